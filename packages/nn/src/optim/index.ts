/**
 * The `optim` namespace: optimizers over records of trainable States.
 * @example
 * import { optim } from "kiln";
 * const opt = new optim.Adam({ lr: 1e-3 });
 * opt.registerTrainableWeights(model.states(ParamState));
 */
export { Optimizer, type LearningRate, type OptimizerOptions, type StepContext, type WeightRecord } from "./optimizer.js";
export { SGD, Momentum, type SGDOptions, type MomentumOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
