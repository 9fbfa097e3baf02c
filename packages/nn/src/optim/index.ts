/**
 * The `optim` namespace: optimizers over records of trainable States, learning-rate schedules and
 * gradient clipping.
 * @example
 * import { optim } from "kiln";
 * const opt = new optim.Adam({ lr: optim.warmupCosineDecaySchedule({ initValue: 0, peakValue: 1e-3, warmupSteps: 100, decaySteps: 1000 }) });
 * opt.registerTrainableWeights(model.states(ParamState));
 */
export {
  Optimizer, type LearningRate, type OptimizerOptions, type OptimizerDefaults, type StepContext, type WeightRecord, type WeightDecayMask,
} from "./optimizer.js";
export { SGD, Momentum, type SGDOptions, type MomentumOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { RMSProp, type RMSPropOptions } from "./rmsprop.js";
export { Adagrad, Adadelta, type AdagradOptions, type AdadeltaOptions } from "./adagrad.js";
export { Lion, type LionOptions } from "./lion.js";
export { LAMB, type LAMBOptions } from "./lamb.js";
export {
  type Schedule, constantSchedule, polynomialSchedule, linearSchedule, piecewiseConstantSchedule, exponentialDecay, cosineDecaySchedule,
  warmupCosineDecaySchedule, joinSchedules, type PolynomialScheduleOptions, type PiecewiseConstantScheduleOptions, type ExponentialDecayOptions,
  type CosineDecayScheduleOptions, type WarmupCosineDecayScheduleOptions,
} from "./schedules.js";
export { clipByGlobalNorm, globalNorm, type ClipByGlobalNormOptions } from "./clip.js";
