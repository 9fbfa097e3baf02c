/**
 * Issue #6's structural test: a whole training step (MLP forward, softmax cross-entropy, backward,
 * Adam update of every ParamState) under jit compiles to a bounded number of kernels, is traced
 * once, and trains.
 *
 * Why 53 kernels: kernels have one output each, so Adam alone needs three per parameter (m, v and
 * the parameter: 18 for 6 parameters) plus the step count; the forward pass is 3 matmul kernels
 * with fused bias/activation epilogues and ~3 for the loss; the backward pass is 2 matmuls per
 * layer (input and weight gradients), a bias-gradient reduction per layer, and the relu masks.
 * Multi-output kernels (one Adam kernel per parameter) would bring this to ~30.
 */
import { expect } from "chai";
import { nn, optim, random, jit, ParamState } from "kiln";
import { classifierStep, useCpu } from "./util.js";

describe("jit: a whole training step", () => {
  // Kernel counts are the cpu backend's (another suite may leave the interpreter active).
  useCpu();

  it("compiles to a bounded number of kernels, traces once and trains", () => {
    random.seed(1);
    const x = random.normal({ size: [64, 20] });
    const labels = random.randint(0, 10, { size: [64] });
    const model = new nn.MLP([20, 32, 32, 10], { activation: nn.relu });
    const params = model.states(ParamState);
    const opt = new optim.Adam(params, { lr: 1e-2 });
    const step = classifierStep(model, params, opt);
    const { stats } = step.lower(x, labels);
    expect(stats.kernels).to.be.at.most(53);
    expect(stats.kernels).to.be.at.least(20);
    const first = step(x, labels).itemSync();
    for (let i = 0; i < 60; i++) step(x, labels);
    const last = step(x, labels).itemSync();
    expect(step.traceCount()).to.equal(1);
    expect(first).to.be.closeTo(Math.log(10), 1.5);
    expect(last).to.be.below(first / 10);
  });
});
