/**
 * Adam and AdamW.
 */
import { type Tensor, np } from "@kiln/core";
import { type LearningRate, Optimizer, type OptimizerOptions, type StepContext, type WeightRecord, checkHyper, splitOptimizerArgs } from "./optimizer.js";

export interface AdamOptions extends OptimizerOptions {
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

/** Adam's moment decays and stabilizer (shared by Adam, AdamW and LAMB). */
export interface AdamHypers {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/**
 * Validates Adam's hyperparameters (betas in [0, 1), eps ≥ 0) with their defaults.
 * @example checkAdamHypers("optim.LAMB", {}, 1e-6) // { beta1: 0.9, beta2: 0.999, eps: 1e-6 }
 */
export function checkAdamHypers(who: string, opts: Partial<AdamHypers>, defaultEps: number): AdamHypers {
  return {
    beta1: checkHyper(who, "beta1", opts.beta1 ?? 0.9, 0, 1, true),
    beta2: checkHyper(who, "beta2", opts.beta2 ?? 0.999, 0, 1, true),
    eps: checkHyper(who, "eps", opts.eps ?? defaultEps, 0, Infinity, true),
  };
}

/**
 * Adam's moment updates and bias-corrected direction m̂ / (√v̂ + eps) for the 1-based step t.
 * @example const { m, v, step } = adamStep({ beta1: 0.9, beta2: 0.999, eps: 1e-8 }, g, m0, v0, t);
 */
export function adamStep({ beta1, beta2, eps }: AdamHypers, g: Tensor, m0: Tensor, v0: Tensor, t: Tensor): { m: Tensor; v: Tensor; step: Tensor } {
  const m = m0.mul(beta1).add(g.mul(1 - beta1));
  const v = v0.mul(beta2).add(g.square().mul(1 - beta2));
  // Bias corrections 1 − β^t, with t the 1-based step.
  const mHat = m.div(np.negative(np.power(beta1, t)).add(1));
  const vHat = v.div(np.negative(np.power(beta2, t)).add(1));
  return { m, v, step: mHat.div(np.sqrt(vHat).add(eps)) };
}

/** The shared Adam step; `decoupled` selects AdamW's weight decay. */
abstract class AdamBase extends Optimizer implements AdamHypers {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  protected constructor(who: string, opts: AdamOptions, defaultDecay: number, private readonly decoupled: boolean) {
    super(who, ["m", "v"], opts, { lr: 1e-3, weightDecay: defaultDecay });
    ({ beta1: this.beta1, beta2: this.beta2, eps: this.eps } = checkAdamHypers(who, opts, 1e-8));
  }

  protected updateLeaf(w: Tensor, g: Tensor, [m0, v0]: Tensor[], { lr, t, weightDecay }: StepContext): [Tensor, Tensor[]] {
    const grad = !this.decoupled && weightDecay ? g.add(w.mul(weightDecay)) : g;
    const { m, v, step: direction } = adamStep(this, grad, m0!, v0!, t);
    const step = this.decoupled && weightDecay ? direction.add(w.mul(weightDecay)) : direction;
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
    const [weights, opts] = splitOptimizerArgs("optim.Adam", a, b);
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
    const [weights, opts] = splitOptimizerArgs("optim.AdamW", a, b);
    super("optim.AdamW", opts, 1e-2, true);
    if (weights) this.registerTrainableWeights(weights);
  }
}
