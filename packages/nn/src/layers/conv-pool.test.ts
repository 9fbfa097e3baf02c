// Convolution and pooling layers (channels last): shapes, values against direct float64 loops
// written here, finite-difference gradients, a jitted CNN training step, and bad-input errors.
import { expect } from "chai";
import { ParamState, ShapeError, type Tensor, ValueError, np } from "@kiln/core";
import { grad, jit } from "@kiln/transforms";
import { expectClose } from "@kiln/core/testing";
import { Conv1d, Conv2d, Conv3d } from "./conv.js";
import { AvgPool1d, AvgPool2d, GlobalAvgPool, MaxPool1d, MaxPool2d } from "./pool.js";
import { Flatten, Reshape } from "./reshape.js";
import { Linear } from "./linear.js";
import { Sequential } from "./sequential.js";
import { crossEntropy } from "../losses.js";
import { Adam } from "../optim/adam.js";
import { fdCheck } from "./fd-check.test-util.js";
import { at, indices, sample } from "./samples.test-util.js";

interface RefConv { stride: number[]; dilation: number[]; pad: [number, number][]; groups: number }
/**
 * out[n, o..., co] = Σ_{k..., ci} x[n, o·s + k·d − lo, g·Cg + ci] · w[k..., ci, co] (zero outside x),
 * g = co / (O/G): the channels-last grouped convolution, directly.
 */
function refConv(x: number[], xs: number[], w: number[], ws: number[], r: RefConv): [number[], number[]] {
  const sp = xs.length - 2, [N, C] = [xs[0]!, xs[xs.length - 1]!], O = ws[ws.length - 1]!, Cg = C / r.groups, Og = O / r.groups;
  const k = ws.slice(0, sp);
  const outSp = xs.slice(1, -1).map((n, i) => Math.floor((n + r.pad[i]![0] + r.pad[i]![1] - ((k[i]! - 1) * r.dilation[i]! + 1)) / r.stride[i]!) + 1);
  const os = [N, ...outSp, O];
  const out = indices(os).map(([n, ...rest]) => {
    const co = rest.pop()!, g = Math.floor(co / Og);
    let acc = 0;
    for (const kk of indices(k)) {
      const pos = rest.map((o, i) => o * r.stride[i]! + kk[i]! * r.dilation[i]! - r.pad[i]![0]);
      if (pos.some((p, i) => p < 0 || p >= xs[i + 1]!)) continue;
      for (let ci = 0; ci < Cg; ci++) acc += at(x, xs, [n!, ...pos, g * Cg + ci]) * at(w, ws, [...kk, ci, co]);
    }
    return acc;
  });
  return [out, os];
}

describe("Conv1d / Conv2d / Conv3d (channels last)", () => {
  const cases: { name: string; make: (w: Tensor) => Conv1d | Conv2d | Conv3d; xs: number[]; ws: number[]; r: RefConv }[] = [
    { name: "2-D VALID", make: (w) => new Conv2d(3, 4, [2, 3], { wInit: w, bias: false }), xs: [2, 5, 6, 3], ws: [2, 3, 3, 4], r: { stride: [1, 1], dilation: [1, 1], pad: [[0, 0], [0, 0]], groups: 1 } },
    { name: "2-D stride 2, dilation, explicit pairs", make: (w) => new Conv2d(2, 2, 2, { wInit: w, bias: false, stride: 2, dilation: [1, 2], padding: [1, [0, 2]] }), xs: [1, 5, 5, 2], ws: [2, 2, 2, 2], r: { stride: [2, 2], dilation: [1, 2], pad: [[1, 1], [0, 2]], groups: 1 } },
    { name: "2-D SAME, groups 2", make: (w) => new Conv2d(4, 6, 3, { wInit: w, bias: false, padding: "same", groups: 2 }), xs: [1, 4, 4, 4], ws: [3, 3, 2, 6], r: { stride: [1, 1], dilation: [1, 1], pad: [[1, 1], [1, 1]], groups: 2 } },
    { name: "1-D padding 2 stride 3", make: (w) => new Conv1d(2, 3, 4, { wInit: w, bias: false, padding: 2, stride: 3 }), xs: [2, 9, 2], ws: [4, 2, 3], r: { stride: [3], dilation: [1], pad: [[2, 2]], groups: 1 } },
    { name: "3-D depthwise", make: (w) => new Conv3d(2, 2, [1, 2, 2], { wInit: w, bias: false, groups: 2 }), xs: [1, 2, 3, 3, 2], ws: [1, 2, 2, 1, 2], r: { stride: [1, 1, 1], dilation: [1, 1, 1], pad: [[0, 0], [0, 0], [0, 0]], groups: 2 } },
  ];
  for (const c of cases) {
    it(`${c.name}: values against the direct sum`, () => {
      const [xv, x] = sample(c.xs, 1), [wv, w] = sample(c.ws, 2);
      const conv = c.make(w);
      expect(conv.weight.value.shape).to.deep.equal(c.ws);
      const [ref, shape] = refConv(xv, c.xs, wv, c.ws, c.r);
      const y = conv.call(x);
      expect(y.shape).to.deep.equal(shape);
      expectClose(y.reshape([-1]), ref, { rtol: 1e-11, atol: 1e-12 });
    });
  }

  it("bias is added per output channel; unbatched inputs; default init shapes and zero bias", () => {
    const [, x] = sample([1, 4, 4, 2], 3);
    const conv = new Conv2d(2, 3, 3, { padding: "SAME", bInit: np.array([1, -2, 0.5]) });
    expect(Object.keys(conv.states(ParamState))).to.deep.equal(["bias", "weight"]);
    const noBias = new Conv2d(2, 3, 3, { padding: "SAME", wInit: conv.weight.value, bias: false });
    expectClose(conv.call(x), noBias.call(x).add(np.array([1, -2, 0.5])).toArraySync() as number[][][][], { rtol: 1e-6 });
    expectClose(conv.call(x.reshape([4, 4, 2])), conv.call(x).reshape([4, 4, 3]).toArraySync() as number[][][], { rtol: 1e-6 });
    const d = new Conv2d(8, 16, 3);
    expect(d.weight.value.shape).to.deep.equal([3, 3, 8, 16]);
    expect(d.bias!.value.toArraySync()).to.deep.equal(new Array(16).fill(0));
    // Integer inputs become float; a float64 input with float32 weights computes in float64.
    expect(d.call(np.zeros([1, 3, 3, 8], { dtype: "int32" })).dtype).to.equal("float32");
    expect(d.call(np.zeros([1, 3, 3, 8], { dtype: "float64" })).dtype).to.equal("float64");
  });

  it("gradients in the input and the weight match finite differences", () => {
    const [, x0] = sample([1, 4, 3, 2], 4), [, w0] = sample([2, 2, 1, 4], 5);
    const conv = new Conv2d(2, 4, 2, { wInit: w0, stride: [2, 1], padding: "SAME", groups: 2 });
    const [wt] = sample([1, 2, 3, 4], 6);
    const lossX = (x: Tensor) => np.sum(conv.call(x).mul(np.array(wt, { dtype: "float64" }).reshape([1, 2, 3, 4])));
    fdCheck(lossX, x0);
    const lossW = (w: Tensor) => np.sum(new Conv2d(2, 4, 2, { wInit: w, stride: [2, 1], padding: "SAME", groups: 2, bias: false }).call(x0).mul(np.array(wt, { dtype: "float64" }).reshape([1, 2, 3, 4])));
    fdCheck(lossW, w0);
  });

  it("errors: wrong rank or channels, bad options", () => {
    const conv = new Conv2d(3, 4, 3);
    expect(() => conv.call(np.zeros([1, 3, 8, 8]))).to.throw(ShapeError, /Conv2d\(3, 4, \[3, 3\]\): expected an input \[batch, 2 spatial dims, 3\] \(channels last\), got shape \[1, 3, 8, 8\]/);
    expect(() => conv.call(np.zeros([8, 8]))).to.throw(ShapeError);
    expect(() => new Conv2d(3, 4, [3, 3, 3])).to.throw(ValueError, /kernelSize must be an integer ≥ 1 or 2 of them/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).to.throw(ValueError, /groups must be a positive integer dividing/);
    expect(() => new Conv2d(3, 4, 3, { padding: "full" as "SAME" })).to.throw(ValueError, /padding must be/);
    expect(() => new Conv2d(3, 4, 3, { stride: 0 })).to.throw(ValueError, /stride/);
    expect(() => new Conv1d(0, 4, 3)).to.throw(ValueError, /inChannels must be a positive integer/);
    expect(() => new Conv2d(3, 4, 3, { wInit: np.zeros([3, 3, 4, 3]) })).to.throw(ShapeError, /initializer gave shape \[3, 3, 4, 3\], expected \[3, 3, 3, 4\]/);
  });
});


/** Direct pooling over channels-last x with a window, stride and [lo, hi] pads; NaN-free inputs. */
function refPool(x: number[], xs: number[], win: number[], stride: number[], pad: [number, number][], kind: "max" | "avg" | "avgReal"): [number[], number[]] {
  const outSp = xs.slice(1, -1).map((n, i) => Math.floor((n + pad[i]![0] + pad[i]![1] - win[i]!) / stride[i]!) + 1);
  const os = [xs[0]!, ...outSp, xs[xs.length - 1]!];
  const out = indices(os).map(([n, ...rest]) => {
    const c = rest.pop()!;
    const vals: number[] = [];
    for (const kk of indices(win)) {
      const pos = rest.map((o, i) => o * stride[i]! + kk[i]! - pad[i]![0]);
      if (pos.every((p, i) => p >= 0 && p < xs[i + 1]!)) vals.push(at(x, xs, [n!, ...pos, c]));
    }
    const sum = vals.reduce((a, b) => a + b, 0);
    return kind === "max" ? Math.max(...vals) : kind === "avg" ? sum / win.reduce((a, b) => a * b, 1) : sum / vals.length;
  });
  return [out, os];
}

describe("pooling layers", () => {
  it("MaxPool2d / AvgPool2d: stride defaults to the window; values against direct loops", () => {
    const xs = [2, 5, 6, 3];
    const [xv, x] = sample(xs, 7);
    const cases: [MaxPool2d | AvgPool2d, number[], number[], [number, number][], "max" | "avg" | "avgReal"][] = [
      [new MaxPool2d(2), [2, 2], [2, 2], [[0, 0], [0, 0]], "max"],
      [new MaxPool2d([3, 2], { stride: 1, padding: [1, 0] }), [3, 2], [1, 1], [[1, 1], [0, 0]], "max"],
      [new AvgPool2d(2), [2, 2], [2, 2], [[0, 0], [0, 0]], "avg"],
      [new AvgPool2d(3, { stride: 2, padding: 1 }), [3, 3], [2, 2], [[1, 1], [1, 1]], "avg"],
      [new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), [3, 3], [2, 2], [[1, 1], [1, 1]], "avgReal"],
    ];
    for (const [pool, win, st, pad, kind] of cases) {
      const [ref, shape] = refPool(xv, xs, win, st, pad, kind);
      const y = pool.call(x);
      expect(y.shape, `${kind} ${win}`).to.deep.equal(shape);
      expectClose(y.reshape([-1]), ref, { rtol: 1e-12 });
    }
    expect(new MaxPool2d(2, { padding: "SAME" }).call(x).shape).to.deep.equal([2, 3, 3, 3]);
  });

  it("1-D pools, unbatched input, and the documented examples", () => {
    const x = np.array([[[1], [3], [2], [0]]]);
    expect(new MaxPool1d(2).call(x).toArraySync()).to.deep.equal([[[3], [2]]]);
    expect(new AvgPool1d(2).call(x).toArraySync()).to.deep.equal([[[2], [1]]]);
    expect(new MaxPool1d(2).call(np.array([[1], [3], [2], [0]])).toArraySync()).to.deep.equal([[3], [2]]);
  });

  it("gradients: max pool to the first maximum of each window, avg pool 1/window", () => {
    const g = grad((t: Tensor) => np.sum(new MaxPool1d(2).call(t)))(np.array([[[1], [3], [2], [2]]]));
    expect(g.toArraySync()).to.deep.equal([[[0], [1], [1], [0]]]);
    const [, x0] = sample([1, 4, 4, 2], 8);
    fdCheck((t) => np.sum(new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).call(t).mul(np.arange(8, { dtype: "float64" }).reshape([1, 2, 2, 2]))), x0);
    fdCheck((t) => np.sum(new MaxPool2d(2, { stride: 1 }).call(t).mul(np.arange(18, { dtype: "float64" }).reshape([1, 3, 3, 2]))), x0);
  });

  it("GlobalAvgPool, Flatten and Reshape", () => {
    const [xv, x] = sample([2, 3, 4, 5], 9);
    const ref = [0, 1].flatMap((n) => [0, 1, 2, 3, 4].map((c) => indices([3, 4]).reduce((a, [h, w]) => a + at(xv, [2, 3, 4, 5], [n, h!, w!, c]), 0) / 12));
    expectClose(new GlobalAvgPool().call(x).reshape([-1]), ref, { rtol: 1e-12 });
    expect(new GlobalAvgPool().call(x).shape).to.deep.equal([2, 5]);
    expect(new Flatten().call(x).shape).to.deep.equal([2, 60]);
    expect(new Flatten(1, 2).call(x).shape).to.deep.equal([2, 12, 5]);
    expectClose(new Flatten().call(x).reshape([-1]), xv);
    expect(new Reshape([4, -1]).call(x).shape).to.deep.equal([2, 4, 15]);
    expect(() => new GlobalAvgPool().call(np.zeros([2, 3]))).to.throw(ShapeError, /rank ≥ 3/);
    expect(() => new Flatten(2, 1).call(x)).to.throw(ShapeError, /do not fit/);
    expect(() => new Reshape([7]).call(x)).to.throw(ShapeError, /cannot reshape examples of shape \[3, 4, 5\] to \[7\]/);
    expect(() => new Reshape([-1, -1])).to.throw(ValueError);
  });

  it("errors: input rank, window and stride values", () => {
    expect(() => new MaxPool2d(2).call(np.zeros([2, 3]))).to.throw(ShapeError, /MaxPool2d\(\[2, 2\]\): expected an input \[batch, 2 spatial dims, channels\]/);
    expect(() => new AvgPool2d([2, 2, 2])).to.throw(ValueError, /windowSize/);
    expect(() => new MaxPool1d(2, { stride: -1 })).to.throw(ValueError, /stride/);
    expect(() => new AvgPool1d(2, { countIncludePad: 1 as unknown as boolean })).to.throw(ValueError, /countIncludePad/);
  });
});

describe("a jitted CNN training step (Conv2d + MaxPool2d + Linear)", () => {
  it("the loss decreases on a tiny batch", () => {
    // Two classes of 6×6 one-channel images: a bright left half or a bright right half, plus a ramp.
    const n = 8;
    const imgs = Array.from({ length: n }, (_, i) => Array.from({ length: 36 }, (_, p) => ((p % 6 < 3) === (i % 2 === 0) ? 1 : 0) + 0.05 * ((p * (i + 1)) % 7)));
    const x = np.array(imgs).reshape([n, 6, 6, 1]);
    const y = np.array(imgs.map((_, i) => i % 2), { dtype: "int32" });
    const [, w1] = sample([3, 3, 1, 4], 11), [, w2] = sample([36, 2], 12);
    const model = new Sequential(
      new Conv2d(1, 4, 3, { padding: "SAME", wInit: np.astype(w1, "float32").mul(0.3) }), np.tanh,
      new MaxPool2d(2), new Flatten(), new Linear(36, 2, { wInit: np.astype(w2, "float32").mul(0.1) }),
    );
    const params = model.states(ParamState);
    expect(Object.keys(params)).to.deep.equal(["layers.0.bias", "layers.0.weight", "layers.4.bias", "layers.4.weight"]);
    const opt = new Adam(params, { lr: 0.05 });
    const step = jit((xb: Tensor, yb: Tensor) => {
      const [grads, loss] = grad(() => crossEntropy(model.call(xb), yb), { gradStates: params, returnValue: true })();
      opt.update(grads);
      return loss;
    });
    const losses = Array.from({ length: 15 }, () => (step(x, y) as Tensor).itemSync());
    expect(losses.every(Number.isFinite)).to.equal(true);
    expect(losses[14]!).to.be.below(losses[0]! * 0.5);
    // Each step returns the loss before its update: the eager loss at the final parameters is lower still.
    expect(crossEntropy(model.call(x), y).itemSync()).to.be.below(losses[14]!);
  });
});
