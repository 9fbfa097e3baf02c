/**
 * The `nn` namespace: modules, layers, activations, losses and initializers.
 * @example
 * import { nn, np, ParamState } from "kiln";
 * const model = new nn.MLP([2, 16, 1], { activation: nn.tanh });
 * const loss = nn.mseLoss(model.call(x), y);
 */
export { Module, treefyStates, type NestedStates, type TreefiedStates } from "./module.js";
export { type StateDict } from "./state-dict.js";
export { type StateFilter, type StateClass, type StatePredicate } from "@kiln/core";
export { Linear, type LinearOptions } from "./layers/linear.js";
export { Sequential, MLP, type Layer, type MLPOptions } from "./layers/sequential.js";
export { Dropout } from "./layers/dropout.js";
export { Conv1d, Conv2d, Conv3d, type ConvOptions } from "./layers/conv.js";
export { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, type ConvTransposeOptions } from "./layers/conv-transpose.js";
export { MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, GlobalAvgPool, type PoolOptions, type AvgPoolOptions } from "./layers/pool.js";
export { AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d } from "./layers/adaptive-pool.js";
export { type PaddingLike } from "./layers/window-args.js";
export { Flatten, Reshape } from "./layers/reshape.js";
export { LayerNorm, RMSNorm, type NormOptions } from "./layers/norm.js";
export { Embedding, type EmbeddingOptions } from "./layers/embedding.js";
export {
  dotProductAttention, MultiHeadAttention, type AttentionOptions, type MultiHeadAttentionOptions, type MultiHeadAttentionCallOptions,
} from "./layers/attention.js";
export { TransformerEncoderLayer, type TransformerEncoderLayerOptions } from "./layers/transformer.js";
export {
  RNNCell, GRUCell, LSTMCell, type RecurrentCellOptions, type RNNCellOptions, type LSTMCarry, type AnyRecurrentCell,
} from "./layers/recurrent-cells.js";
export { RNN, type RNNOptions, type RNNCallOptions, type CarryOf } from "./layers/rnn.js";
export { GroupNorm, BatchNorm1d, BatchNorm2d, type AffineOptions, type BatchNormOptions } from "./layers/batch-norm.js";
export {
  relu, gelu, silu, tanh, sigmoid, softmax, logSoftmax, logsumexp, leakyRelu, elu, selu, softplus, softSign, hardTanh, mish, log1mexp, glu,
  standardize, oneHot, type GeluOptions, type SoftmaxOptions, type AxisOptions, type StandardizeOptions, type OneHotOptions,
} from "./activations.js";
export {
  mseLoss, softmaxCrossEntropy, binaryCrossEntropy, crossEntropy, nllLoss, huberLoss, l1Loss, kl,
  type Reduction, type LossOptions, type CrossEntropyOptions, type BinaryCrossEntropyOptions, type HuberLossOptions,
} from "./losses.js";
export * as init from "./init-namespace.js";
export { Dynamics, initAllStates, resetAllStates, type DynamicsParam, type CurrentInput } from "./dynamics/base.js";
export { Neuron, type NeuronOptions, type SpikeReset } from "./dynamics/neuron.js";
export { LIF, LIFRef, IF, ALIF, type LIFOptions, type LIFRefOptions, type IFOptions, type ALIFOptions } from "./dynamics/lif.js";
export { Izhikevich, AdEx, type IzhikevichOptions, type AdExOptions } from "./dynamics/izhikevich.js";
export { HH, type HHOptions } from "./dynamics/hh.js";
export { Alpha, DualExpon, STP, STD, type AlphaOptions, type DualExponOptions, type STPOptions, type STDOptions } from "./dynamics/synapses.js";
export {
  AlignPostProj, SynOut, COBA, CUBA, OneToOne, FixedNumConn, type AlignPostProjOptions, type Connection, type FixedNumConnOptions,
} from "./dynamics/projection.js";
export { PoissonSpike, type PoissonSpikeOptions } from "./dynamics/poisson.js";
export { Expon, type ExponOptions } from "./dynamics/expon.js";
export { integrate, expEulerStep, type Integrator, type Drift } from "./dynamics/integrate.js";
export * as surrogate from "./dynamics/surrogate.js";
export { type SpikeFunction } from "./dynamics/surrogate.js";
export {
  saveSafetensors, loadSafetensors, toSafetensorsBytes, fromSafetensorsBytes, readSafetensors,
  type CheckpointTarget, type SafetensorsSource, type SaveSafetensorsOptions, type LoadSafetensorsOptions, type SafetensorsContents,
} from "./io/checkpoint.js";
