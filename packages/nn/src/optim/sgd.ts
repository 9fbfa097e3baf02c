/**
 * Plain and momentum gradient descent.
 */
import { type Tensor, np } from "@kiln/core";
import { type LearningRate, Optimizer, type OptimizerOptions, type StepContext, type WeightRecord, checkHyper, splitOptimizerArgs } from "./optimizer.js";

export interface SGDOptions extends OptimizerOptions {
  lr: LearningRate;
  /** L2 penalty added to the gradient: g + weightDecay · w (default 0). */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent: w ← w − lr · (g + weightDecay · w).
 * @example
 * const opt = new optim.SGD({ lr: 0.1 });
 * opt.registerTrainableWeights(model.states(ParamState));
 * opt.update(grads);
 */
export class SGD extends Optimizer {
  constructor(opts: SGDOptions);
  constructor(weights: WeightRecord, opts: SGDOptions);
  constructor(a: WeightRecord | SGDOptions, b?: SGDOptions) {
    const [weights, opts] = splitOptimizerArgs("optim.SGD", a, b);
    super("optim.SGD", [], opts);
    if (weights) this.registerTrainableWeights(weights);
  }

  protected updateLeaf(w: Tensor, g: Tensor, _slots: Tensor[], { lr, weightDecay }: StepContext): [Tensor, Tensor[]] {
    const grad = weightDecay ? g.add(w.mul(weightDecay)) : g;
    return [w.sub(np.multiply(grad, lr)), []];
  }
}

export interface MomentumOptions extends SGDOptions {
  /** The decay of the velocity (default 0.9). */
  momentum?: number;
  /** Nesterov's variant: step along g + momentum · velocity (default false). */
  nesterov?: boolean;
}

/**
 * Gradient descent with momentum (the PyTorch / optax `sgd(momentum)` convention):
 * velocity ← momentum · velocity + g;  w ← w − lr · velocity (Nesterov: w ← w − lr · (g + momentum · velocity)).
 * Slot: `velocity.<path>`.
 * @example const opt = new optim.Momentum(model.states(ParamState), { lr: 0.1, momentum: 0.9 });
 */
export class Momentum extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(opts: MomentumOptions);
  constructor(weights: WeightRecord, opts: MomentumOptions);
  constructor(a: WeightRecord | MomentumOptions, b?: MomentumOptions) {
    const [weights, opts] = splitOptimizerArgs("optim.Momentum", a, b);
    super("optim.Momentum", ["velocity"], opts);
    this.momentum = checkHyper(this.who, "momentum", opts.momentum ?? 0.9, 0, 1);
    this.nesterov = opts.nesterov ?? false;
    if (weights) this.registerTrainableWeights(weights);
  }

  protected updateLeaf(w: Tensor, g: Tensor, [velocity]: Tensor[], { lr, weightDecay }: StepContext): [Tensor, Tensor[]] {
    const grad = weightDecay ? g.add(w.mul(weightDecay)) : g;
    const v = velocity!.mul(this.momentum).add(grad);
    const step = this.nesterov ? grad.add(v.mul(this.momentum)) : v;
    return [w.sub(np.multiply(step, lr)), [v]];
  }
}
