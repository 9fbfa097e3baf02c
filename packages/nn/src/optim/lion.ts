/**
 * Lion: a sign-based optimizer with one moment.
 */
import { type Tensor, np } from "@kiln/core";
import { type LearningRate, Optimizer, type OptimizerOptions, type StepContext, type WeightRecord, checkHyper, splitOptimizerArgs } from "./optimizer.js";

export interface LionOptions extends OptimizerOptions {
  lr: LearningRate;
  /** Interpolation between momentum and gradient for the step direction (default 0.9). */
  beta1?: number;
  /** Decay of the momentum (default 0.99). */
  beta2?: number;
  /** Decoupled weight decay (default 1e-3, optax). */
  weightDecay?: number;
}

/**
 * Lion (Chen et al., "Symbolic Discovery of Optimization Algorithms"), optax's form:
 * u = sign(β1·m + (1 − β1)·g);  m ← β2·m + (1 − β2)·g;  w ← w − lr·(u + wd·w).
 * Lion's steps have unit size per coordinate, so its lr is typically 3–10× smaller than Adam's.
 * Slot: `m.<path>`.
 * @example const opt = new optim.Lion(model.states(ParamState), { lr: 1e-4, weightDecay: 1e-2 });
 */
export class Lion extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;

  constructor(opts: LionOptions);
  constructor(weights: WeightRecord, opts: LionOptions);
  constructor(a: WeightRecord | LionOptions, b?: LionOptions) {
    const [weights, opts] = splitOptimizerArgs("optim.Lion", a, b);
    super("optim.Lion", ["m"], opts, { weightDecay: 1e-3 });
    this.beta1 = checkHyper(this.who, "beta1", opts.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkHyper(this.who, "beta2", opts.beta2 ?? 0.99, 0, 1);
    if (weights) this.registerTrainableWeights(weights);
  }

  protected updateLeaf(w: Tensor, g: Tensor, [m0]: Tensor[], { lr, weightDecay }: StepContext): [Tensor, Tensor[]] {
    let step = np.sign(m0!.mul(this.beta1).add(g.mul(1 - this.beta1)));
    const m = m0!.mul(this.beta2).add(g.mul(1 - this.beta2));
    if (weightDecay) step = step.add(w.mul(weightDecay));
    return [w.sub(np.multiply(step, lr)), [m]];
  }
}
