/**
 * Issue 16 item 3's structural test: a whole training step with gradient clipping, a scheduled
 * learning rate and a masked weight decay — `jit(() => { grads; clip; opt.update })` — is traced
 * once, compiles to a bounded number of kernels, advances its schedule inside the compiled step and
 * trains. The kernel counts are the cpu backend's; they are reported in docs/optimizers.md.
 */
import { expect } from "chai";
import { np, nn, optim, random, jit, grad, ParamState, type Tensor } from "kiln";
import { useCpu } from "./util.js";

describe("jit: a training step with clipping, a schedule and a weight-decay mask", () => {
  useCpu();

  function setup(makeOpt: (params: Record<string, ParamState>) => optim.Optimizer, returnNorm: boolean) {
    random.seed(1);
    const x = random.normal({ size: [64, 20] });
    const labels = random.randint(0, 10, { size: [64] });
    const model = new nn.MLP([20, 32, 32, 10], { activation: nn.relu });
    const params = model.states(ParamState) as Record<string, ParamState>;
    const opt = makeOpt(params);
    const step = jit((xb: Tensor, yb: Tensor) => {
      const [g, loss] = grad(() => nn.softmaxCrossEntropy(model.call(xb), yb), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
      if (!returnNorm) {
        opt.update(optim.clipByGlobalNorm(g, 1));
        return [loss, loss] as const;
      }
      const [clipped, norm] = optim.clipByGlobalNorm(g, 1, { returnNorm: true });
      opt.update(clipped);
      return [loss, norm] as const;
    });
    return { x, labels, opt, step };
  }

  // Kernels today: 25 for AdamW with the norm returned, 36 for LAMB without (54 and 73 before
  // multi-output kernels: each parameter's update is now one kernel; docs/optimizers.md).
  // The bounds catch a regression that unfuses the step further.
  for (const [name, makeOpt, returnNorm, maxKernels] of [
    ["AdamW", (p: Record<string, ParamState>) => new optim.AdamW(p, { lr: optim.warmupCosineDecaySchedule({ initValue: 0, peakValue: 0.02, warmupSteps: 10, decaySteps: 100 }), weightDecayMask: "*.weight" }), true, 28],
    ["LAMB", (p: Record<string, ParamState>) => new optim.LAMB(p, { lr: optim.exponentialDecay({ initValue: 0.05, transitionSteps: 20, decayRate: 0.5 }), weightDecay: 1e-3, weightDecayMask: "*.weight" }), false, 40],
  ] as const) {
    it(`${name}: traced once, bounded kernels, the lr follows the schedule, the loss falls`, () => {
      const { x, labels, opt, step } = setup(makeOpt, returnNorm);
      const { stats } = step.lower(x, labels);
      expect(stats.kernels).to.be.at.most(maxKernels);
      const [first, norm0] = step(x, labels);
      expect(norm0.itemSync()).to.be.above(0);
      for (let i = 0; i < 60; i++) step(x, labels);
      const [last] = step(x, labels);
      expect(step.traceCount()).to.equal(1);
      expect(opt.stepCount.value.itemSync()).to.equal(62);
      const sched = opt.lr as (t: Tensor) => Tensor;
      expect(opt.learningRate!.value.itemSync()).to.be.closeTo(sched(np.array(61)).itemSync(), 1e-7);
      expect(last.itemSync()).to.be.below(first.itemSync() / 3);
    });
  }
});
