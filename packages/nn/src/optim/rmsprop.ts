/**
 * RMSProp (Hinton's lecture 6e), in optax's `rmsprop` form with PyTorch's coupled weight decay.
 */
import { type Tensor, np } from "@kiln/core";
import { type LearningRate, Optimizer, type OptimizerOptions, type StepContext, type WeightRecord, checkHyper, splitOptimizerArgs } from "./optimizer.js";

export interface RMSPropOptions extends OptimizerOptions {
  lr: LearningRate;
  /** Decay of the mean square (optax `decay`, PyTorch `alpha`; default 0.9 as optax). */
  decay?: number;
  /** Stabilizer (default 1e-8). */
  eps?: number;
  /** Where eps goes: √(ν + eps) (default, optax) or √ν + eps (PyTorch). */
  epsInSqrt?: boolean;
  /** The value ν starts at (optax `initial_scale`, default 0). */
  initialScale?: number;
  /** Divide by the centered second moment ν − μ² (an estimate of the variance; default false). */
  centered?: boolean;
  /** Momentum of the scaled step (default 0: none). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, as PyTorch (default 0). */
  weightDecay?: number;
}

/**
 * RMSProp: g ← g + wd·w;  ν ← decay·ν + (1 − decay)·g²;  (centered: μ ← decay·μ + (1 − decay)·g, ν̃ = ν − μ²)
 * s = g / √(ν̃ + eps);  with momentum b ← momentum·b + s (Nesterov: s + momentum·b);  w ← w − lr·step.
 * The momentum buffer holds the unscaled step (PyTorch); optax's holds lr·s — the same for a constant lr.
 * Slots: `nu.<path>`, and `mu.<path>` (centered), `momentum.<path>` (momentum > 0).
 * @example const opt = new optim.RMSProp(model.states(ParamState), { lr: 1e-3, centered: true, momentum: 0.9 });
 */
export class RMSProp extends Optimizer {
  readonly decay: number;
  readonly eps: number;
  readonly epsInSqrt: boolean;
  readonly initialScale: number;
  readonly centered: boolean;
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(opts: RMSPropOptions);
  constructor(weights: WeightRecord, opts: RMSPropOptions);
  constructor(a: WeightRecord | RMSPropOptions, b?: RMSPropOptions) {
    const [weights, opts] = splitOptimizerArgs("optim.RMSProp", a, b);
    const who = "optim.RMSProp";
    const momentum = checkHyper(who, "momentum", opts.momentum ?? 0, 0, 1, true);
    super(who, ["nu", ...(opts.centered ? ["mu"] : []), ...(momentum ? ["momentum"] : [])], opts);
    this.decay = checkHyper(who, "decay", opts.decay ?? 0.9, 0, 1, true);
    this.eps = checkHyper(who, "eps", opts.eps ?? 1e-8, 0, Infinity, true);
    this.epsInSqrt = opts.epsInSqrt ?? true;
    this.initialScale = checkHyper(who, "initialScale", opts.initialScale ?? 0, 0, Infinity, true);
    this.centered = opts.centered ?? false;
    this.momentum = momentum;
    this.nesterov = opts.nesterov ?? false;
    if (weights) this.registerTrainableWeights(weights);
  }

  protected override initialSlotValue(slot: string): number {
    return slot === "nu" ? this.initialScale : 0;
  }

  protected updateLeaf(w: Tensor, g0: Tensor, slots: Tensor[], { lr, weightDecay }: StepContext): [Tensor, Tensor[]] {
    const g = weightDecay ? g0.add(w.mul(weightDecay)) : g0;
    const [nu0, ...rest] = slots;
    const nu = nu0!.mul(this.decay).add(g.square().mul(1 - this.decay));
    const out = [nu];
    let meanSquare = nu;
    if (this.centered) {
      const mu = rest.shift()!.mul(this.decay).add(g.mul(1 - this.decay));
      out.push(mu);
      meanSquare = nu.sub(mu.square());
    }
    const denom = this.epsInSqrt ? np.sqrt(meanSquare.add(this.eps)) : np.sqrt(meanSquare).add(this.eps);
    let step = g.div(denom);
    if (this.momentum) {
      const buf = rest.shift()!.mul(this.momentum).add(step);
      out.push(buf);
      step = this.nesterov ? step.add(buf.mul(this.momentum)) : buf;
    }
    return [w.sub(np.multiply(step, lr)), out];
  }
}
