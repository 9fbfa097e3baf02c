/**
 * LAMB: Adam's direction scaled per weight by a layer-wise trust ratio.
 */
import { type Tensor, np } from "@kiln/core";
import { type AdamHypers, adamStep, checkAdamHypers } from "./adam.js";
import { type LearningRate, Optimizer, type OptimizerOptions, type StepContext, type WeightRecord, splitOptimizerArgs } from "./optimizer.js";

export interface LAMBOptions extends OptimizerOptions {
  lr: LearningRate;
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to √v̂ (default 1e-6). */
  eps?: number;
  /** Decoupled weight decay, added before the trust ratio (default 0). */
  weightDecay?: number;
}

/**
 * LAMB (You et al., "Large Batch Optimization for Deep Learning"), optax's form: Adam's
 * u = m̂ / (√v̂ + eps) + wd·w, scaled per weight leaf by the trust ratio ‖w‖ / ‖u‖ (1 when either
 * norm is 0):  w ← w − lr · (‖w‖ / ‖u‖) · u.
 * Slots: `m.<path>`, `v.<path>`.
 * @example const opt = new optim.LAMB(model.states(ParamState), { lr: 1e-3, weightDecay: 1e-2 });
 */
export class LAMB extends Optimizer implements AdamHypers {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(opts: LAMBOptions);
  constructor(weights: WeightRecord, opts: LAMBOptions);
  constructor(a: WeightRecord | LAMBOptions, b?: LAMBOptions) {
    const [weights, opts] = splitOptimizerArgs("optim.LAMB", a, b);
    super("optim.LAMB", ["m", "v"], opts);
    ({ beta1: this.beta1, beta2: this.beta2, eps: this.eps } = checkAdamHypers(this.who, opts, 1e-6));
    if (weights) this.registerTrainableWeights(weights);
  }

  protected updateLeaf(w: Tensor, g: Tensor, [m0, v0]: Tensor[], { lr, t, weightDecay }: StepContext): [Tensor, Tensor[]] {
    const { m, v, step } = adamStep(this, g, m0!, v0!, t);
    const u = weightDecay ? step.add(w.mul(weightDecay)) : step;
    const wNorm = np.sqrt(np.sum(w.square()));
    const uNorm = np.sqrt(np.sum(u.square()));
    const ratio = np.where(np.logicalOr(np.equal(wNorm, 0), np.equal(uNorm, 0)), 1, wNorm.div(uNorm));
    return [w.sub(np.multiply(u.mul(ratio), lr)), [m, v]];
  }
}
