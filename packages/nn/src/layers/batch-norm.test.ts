// GroupNorm and BatchNorm1d/2d: values against float64 formulas written here, finite-difference
// gradients, running statistics under environ fit true/false (eager and jitted), and errors.
import { expect } from "chai";
import { LongTermState, ParamState, ShapeError, StateError, type Tensor, ValueError, environ, np } from "@kiln/core";
import { grad, jit, vmap } from "@kiln/transforms";
import { expectClose } from "@kiln/core/testing";
import { BatchNorm1d, BatchNorm2d, GroupNorm } from "./batch-norm.js";
import { Linear } from "./linear.js";
import { mseLoss } from "../losses.js";
import { SGD } from "../optim/sgd.js";
import { fdCheck } from "./fd-check.test-util.js";

function sample(shape: number[], seed: number): [number[], Tensor] {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.3 + 0.02 * i);
  return [v, np.array(v, { dtype: "float64" }).reshape(shape)];
}
const meanVar = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length] as const;
};
const f64 = (v: number[]) => np.array(v, { dtype: "float64" });

describe("GroupNorm", () => {
  it("normalizes each example's channel groups over space and channels; scale and bias per channel", () => {
    const [N, H, W, C, G] = [2, 3, 2, 4, 2];
    const [xv, x] = sample([N, H, W, C], 1);
    const scale = [1, 2, -1, 0.5], bias = [0, 1, 2, 3];
    const gn = new GroupNorm(G, C, { scaleInit: f64(scale), biasInit: f64(bias) });
    expect(Object.keys(gn.states(ParamState))).to.deep.equal(["bias", "scale"]);
    const idx = (n: number, p: number, c: number) => (n * H * W + p) * C + c;
    const ref = new Array<number>(xv.length);
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < G; g++) {
        const cs = [2 * g, 2 * g + 1], members: number[] = [];
        for (let p = 0; p < H * W; p++) for (const c of cs) members.push(xv[idx(n, p, c)]!);
        const [m, v] = meanVar(members);
        for (let p = 0; p < H * W; p++) for (const c of cs) ref[idx(n, p, c)] = ((xv[idx(n, p, c)]! - m) / Math.sqrt(v + 1e-5)) * scale[c]! + bias[c]!;
      }
    }
    expectClose(gn.call(x).reshape([-1]), ref, { rtol: 1e-12 });
    const [, w] = sample([N, H, W, C], 2);
    fdCheck((t) => np.sum(gn.call(t).mul(w)), x);
  });

  it("errors", () => {
    expect(() => new GroupNorm(3, 4)).to.throw(ValueError, /groups \(3\) must divide channels \(4\)/);
    expect(() => new GroupNorm(2, 4).call(np.zeros([2, 3, 3]))).to.throw(ShapeError, /4 channels last, got shape \[2, 3, 3\]/);
  });
});

describe("BatchNorm1d / BatchNorm2d", () => {
  it("fit: true normalizes with batch statistics and moves the running statistics; fit: false uses them", () => {
    const [xv, x] = sample([5, 3], 3);
    const bn = new BatchNorm1d(3, { momentum: 0.8 });
    expect(Object.keys(bn.states(ParamState))).to.deep.equal(["bias", "scale"]);
    expect(Object.keys(bn.states(LongTermState))).to.deep.equal(["runningMean", "runningVar"]);
    const cols = [0, 1, 2].map((c) => meanVar([0, 1, 2, 3, 4].map((n) => xv[n * 3 + c]!)));
    const ref = xv.map((u, i) => (u - cols[i % 3]![0]) / Math.sqrt(cols[i % 3]![1] + 1e-5));
    expectClose(bn.call(x).reshape([-1]), ref, { rtol: 1e-6 });
    expectClose(bn.runningMean.value, cols.map(([m]) => 0.2 * m), { rtol: 1e-6 });
    expectClose(bn.runningVar.value, cols.map(([, v]) => 0.8 + 0.2 * v), { rtol: 1e-6 });
    const rm = bn.runningMean.value, rv = bn.runningVar.value;
    const evalOut = environ.context({ fit: false }, () => bn.call(x));
    expect(bn.runningMean.value).to.equal(rm);
    expect(bn.runningVar.value).to.equal(rv);
    const rmv = Array.from(rm.dataSync()), rvv = Array.from(rv.dataSync());
    expectClose(evalOut.reshape([-1]), xv.map((u, i) => (u - rmv[i % 3]!) / Math.sqrt(rvv[i % 3]! + 1e-5)), { rtol: 1e-6 });
  });

  it("BatchNorm2d: per-channel statistics over batch and space; gradient through the batch statistics", () => {
    const [xv, x] = sample([2, 2, 3, 2], 4);
    const bn = new BatchNorm2d(2, { eps: 0.1 });
    const stats = [0, 1].map((c) => meanVar(xv.filter((_, i) => i % 2 === c)));
    expectClose(bn.call(x).reshape([-1]), xv.map((u, i) => (u - stats[i % 2]![0]) / Math.sqrt(stats[i % 2]![1] + 0.1)), { rtol: 1e-6 });
    const [, w] = sample([2, 2, 3, 2], 5);
    fdCheck((t) => np.sum(new BatchNorm2d(2).call(t).mul(w)), x);
  });

  it("in a jitted training step the running statistics advance with each step; frozen under fit: false", () => {
    const [, x] = sample([6, 3], 6), [, y] = sample([6, 1], 7);
    const bn = new BatchNorm1d(3);
    const lin = new Linear(3, 1, { wInit: 0.1 });
    const params = { ...bn.states(ParamState), ...Object.fromEntries(Object.entries(lin.states(ParamState)).map(([k, v]) => [`lin.${k}`, v])) };
    const opt = new SGD(params, { lr: 0.1 });
    const step = jit((xb: Tensor, yb: Tensor) => {
      const [grads, loss] = grad(() => mseLoss(lin.call(bn.call(xb)), yb), { gradStates: params, returnValue: true })();
      opt.update(grads);
      return loss;
    });
    const m = [0, 1, 2].map((c) => meanVar(Array.from(x.dataSync()).filter((_, i) => i % 3 === c))[0]);
    step(x, y);
    expectClose(bn.runningMean.value, m.map((v) => 0.1 * v), { rtol: 1e-5 });
    step(x, y);
    expectClose(bn.runningMean.value, m.map((v) => 0.19 * v), { rtol: 1e-5 });
    const frozen = bn.runningMean.value;
    const evalStep = jit((xb: Tensor) => environ.context({ fit: false }, () => bn.call(xb)));
    evalStep(x);
    expect(Array.from(bn.runningMean.value.dataSync())).to.deep.equal(Array.from(frozen.dataSync()));
  });

  it("under vmap: evaluation maps per example; a training call (per-example running statistics) is a StateError", () => {
    const [, x] = sample([4, 5, 3], 8);
    const bn = new BatchNorm1d(3);
    const y = environ.context({ fit: false }, () => vmap((xb: Tensor) => bn.call(xb))(x));
    expectClose(y, environ.context({ fit: false }, () => bn.call(x)).toArraySync() as number[][][], { rtol: 1e-12 });
    expect(() => vmap((xb: Tensor) => bn.call(xb))(x)).to.throw(StateError, /differs per example/);
    expectClose(bn.runningMean.value, [0, 0, 0]);
  });

  it("errors", () => {
    expect(() => new BatchNorm2d(3).call(np.zeros([2, 3]))).to.throw(ShapeError, /BatchNorm2d\(3\): expected an input \[batch, H, W, channels\]/);
    expect(() => new BatchNorm1d(3).call(np.zeros([2, 4]))).to.throw(ShapeError);
    expect(() => new BatchNorm1d(3, { momentum: 2 })).to.throw(ValueError, /momentum must be in \[0, 1\]/);
    expect(() => new BatchNorm1d(0)).to.throw(ValueError, /features must be a positive integer/);
  });
});
