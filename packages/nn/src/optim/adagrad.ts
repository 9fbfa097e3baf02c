/**
 * Adagrad and Adadelta: per-coordinate step sizes from the history of squared gradients.
 */
import { type Tensor, np } from "@kiln/core";
import { type LearningRate, Optimizer, type OptimizerOptions, type StepContext, type WeightRecord, checkHyper, splitOptimizerArgs } from "./optimizer.js";

export interface AdagradOptions extends OptimizerOptions {
  lr: LearningRate;
  /** The value the sum of squares starts at (default 0.1, optax; PyTorch's is 0). */
  initialAccumulatorValue?: number;
  /** Added inside the root (default 1e-7, optax). */
  eps?: number;
  /** L2 penalty added to the gradient, as PyTorch (default 0). */
  weightDecay?: number;
}

/**
 * Adagrad (Duchi et al.), optax's form: g ← g + wd·w;  s ← s + g²;  w ← w − lr · g / √(s + eps)
 * (a coordinate whose sum is still 0 does not move). PyTorch's `lr_decay` is a schedule here:
 * `lr: (t) => lr0 / (1 + t·lrDecay)`.
 * Slot: `sumOfSquares.<path>`.
 * @example const opt = new optim.Adagrad(model.states(ParamState), { lr: 0.1 });
 */
export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly eps: number;

  constructor(opts: AdagradOptions);
  constructor(weights: WeightRecord, opts: AdagradOptions);
  constructor(a: WeightRecord | AdagradOptions, b?: AdagradOptions) {
    const [weights, opts] = splitOptimizerArgs("optim.Adagrad", a, b);
    super("optim.Adagrad", ["sumOfSquares"], opts);
    this.initialAccumulatorValue = checkHyper(this.who, "initialAccumulatorValue", opts.initialAccumulatorValue ?? 0.1, 0, Infinity, true);
    this.eps = checkHyper(this.who, "eps", opts.eps ?? 1e-7, 0, Infinity, true);
    if (weights) this.registerTrainableWeights(weights);
  }

  protected override initialSlotValue(): number {
    return this.initialAccumulatorValue;
  }

  protected updateLeaf(w: Tensor, g0: Tensor, [s0]: Tensor[], { lr, weightDecay }: StepContext): [Tensor, Tensor[]] {
    const g = weightDecay ? g0.add(w.mul(weightDecay)) : g0;
    const s = s0!.add(g.square());
    // optax's guard: with eps = 0 and a zero history, g / √s would be 0/0.
    const scale = np.where(np.greater(s, 0), np.reciprocal(np.sqrt(s.add(this.eps))), 0);
    return [w.sub(np.multiply(g.mul(scale), lr)), [s]];
  }
}

export interface AdadeltaOptions extends OptimizerOptions {
  /** Default 1 (PyTorch; optax's default applies no scaling, the same). */
  lr?: LearningRate;
  /** Decay of both running averages (default 0.9). */
  rho?: number;
  /** Added inside both roots (default 1e-6). */
  eps?: number;
  /** L2 penalty added to the gradient, as optax and PyTorch (default 0). */
  weightDecay?: number;
}

/**
 * Adadelta (Zeiler): g ← g + wd·w;  E[g²] ← ρ·E[g²] + (1 − ρ)·g²;  Δ = √(E[Δ²] + eps) / √(E[g²] + eps) · g;
 * E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ²;  w ← w − lr·Δ.
 * Slots: `eG.<path>` (E[g²]), `eX.<path>` (E[Δ²]).
 * @example const opt = new optim.Adadelta(model.states(ParamState), { rho: 0.95 });
 */
export class Adadelta extends Optimizer {
  readonly rho: number;
  readonly eps: number;

  constructor(opts?: AdadeltaOptions);
  constructor(weights: WeightRecord, opts?: AdadeltaOptions);
  constructor(a?: WeightRecord | AdadeltaOptions, b?: AdadeltaOptions) {
    const [weights, opts] = splitOptimizerArgs("optim.Adadelta", a, b);
    super("optim.Adadelta", ["eG", "eX"], opts, { lr: 1 });
    this.rho = checkHyper(this.who, "rho", opts.rho ?? 0.9, 0, 1, true);
    this.eps = checkHyper(this.who, "eps", opts.eps ?? 1e-6, 0, Infinity, true);
    if (weights) this.registerTrainableWeights(weights);
  }

  protected updateLeaf(w: Tensor, g0: Tensor, [eG0, eX0]: Tensor[], { lr, weightDecay }: StepContext): [Tensor, Tensor[]] {
    const g = weightDecay ? g0.add(w.mul(weightDecay)) : g0;
    const eG = eG0!.mul(this.rho).add(g.square().mul(1 - this.rho));
    const delta = np.sqrt(eX0!.add(this.eps)).div(np.sqrt(eG.add(this.eps))).mul(g);
    const eX = eX0!.mul(this.rho).add(delta.square().mul(1 - this.rho));
    return [w.sub(np.multiply(delta, lr)), [eG, eX]];
  }
}
