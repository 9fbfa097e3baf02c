/**
 * Adam and AdamW.
 */
import { type Tensor, np } from "@kiln/core";
import { type LearningRate, Optimizer, type StepContext, type WeightRecord, checkHyper, splitOptimizerArgs } from "./optimizer.js";

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: LearningRate;
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to the root of the bias-corrected second moment (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay?: number;
}

/** The shared Adam step; `decoupled` selects AdamW's weight decay. */
abstract class AdamBase extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  protected constructor(who: string, opts: AdamOptions, defaultDecay: number, private readonly decoupled: boolean) {
    super(who, ["m", "v"], opts.lr ?? 1e-3);
    this.beta1 = checkHyper(who, "beta1", opts.beta1 ?? 0.9, 0, 1, true);
    this.beta2 = checkHyper(who, "beta2", opts.beta2 ?? 0.999, 0, 1, true);
    this.eps = checkHyper(who, "eps", opts.eps ?? 1e-8, 0, Infinity, true);
    this.weightDecay = checkHyper(who, "weightDecay", opts.weightDecay ?? defaultDecay, 0, Infinity, true);
  }

  protected updateLeaf(w: Tensor, g: Tensor, [m0, v0]: Tensor[], { lr, t }: StepContext): [Tensor, Tensor[]] {
    const grad = !this.decoupled && this.weightDecay ? g.add(w.mul(this.weightDecay)) : g;
    const m = m0!.mul(this.beta1).add(grad.mul(1 - this.beta1));
    const v = v0!.mul(this.beta2).add(grad.square().mul(1 - this.beta2));
    // Bias corrections 1 − β^t, with t the 1-based step.
    const mHat = m.div(np.negative(np.power(this.beta1, t)).add(1));
    const vHat = v.div(np.negative(np.power(this.beta2, t)).add(1));
    let step = mHat.div(np.sqrt(vHat).add(this.eps));
    if (this.decoupled && this.weightDecay) step = step.add(w.mul(this.weightDecay));
    return [w.sub(np.multiply(step, lr)), [m, v]];
  }
}

/**
 * Adam (Kingma & Ba): m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;
 * w ← w − lr · m̂ / (√v̂ + eps) with m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t) (optax / PyTorch form).
 * Slots: `m.<path>`, `v.<path>`.
 * @example
 * const opt = new optim.Adam({ lr: 1e-3 });
 * opt.registerTrainableWeights(model.states(ParamState));
 */
export class Adam extends AdamBase {
  constructor(opts?: AdamOptions);
  constructor(weights: WeightRecord, opts?: AdamOptions);
  constructor(a?: WeightRecord | AdamOptions, b?: AdamOptions) {
    const [weights, opts] = splitOptimizerArgs(a, b);
    super("optim.Adam", opts, 0, false);
    if (weights) this.registerTrainableWeights(weights);
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay,
 * w ← w − lr · (m̂ / (√v̂ + eps) + weightDecay · w); weightDecay defaults to 1e-2 (BrainState, PyTorch).
 * @example const opt = new optim.AdamW(model.states(ParamState), { lr: 1e-3, weightDecay: 1e-4 });
 */
export class AdamW extends AdamBase {
  constructor(opts?: AdamOptions);
  constructor(weights: WeightRecord, opts?: AdamOptions);
  constructor(a?: WeightRecord | AdamOptions, b?: AdamOptions) {
    const [weights, opts] = splitOptimizerArgs(a, b);
    super("optim.AdamW", opts, 1e-2, true);
    if (weights) this.registerTrainableWeights(weights);
  }
}
