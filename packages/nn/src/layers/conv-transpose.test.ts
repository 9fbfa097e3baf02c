// Transposed convolutions, adaptive average pooling and the 3-D pools (channels last): shapes,
// values against direct float64 scatter/average loops written here, finite-difference gradients,
// and bad-input errors.
import { expect } from "chai";
import { ShapeError, type Tensor, ValueError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from "./conv-transpose.js";
import { AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d } from "./adaptive-pool.js";
import { AvgPool3d, MaxPool3d } from "./pool.js";
import { fdCheck } from "./fd-check.test-util.js";
import { at, indices, sample } from "./samples.test-util.js";

interface RefT { stride: number[]; pad: number[]; outPad: number[]; dilation: number[]; groups: number }
/**
 * PyTorch's definition, as a scatter: y[n, i·s + k·d − p, g·Og + co] += x[n, i, g·Cg + ci] · w[k, ci, g·Og + co],
 * output size (in − 1)·s − 2p + d(k − 1) + outPad + 1.
 */
function refConvTranspose(x: number[], xs: number[], w: number[], ws: number[], r: RefT): [number[], number[]] {
  const sp = xs.length - 2, C = xs[xs.length - 1]!, O = ws[ws.length - 1]!, Cg = C / r.groups, Og = O / r.groups;
  const k = ws.slice(0, sp);
  const outSp = xs.slice(1, -1).map((n, i) => (n - 1) * r.stride[i]! - 2 * r.pad[i]! + r.dilation[i]! * (k[i]! - 1) + r.outPad[i]! + 1);
  const os = [xs[0]!, ...outSp, O];
  const out = new Array<number>(os.reduce((a, b) => a * b, 1)).fill(0);
  const ostr = os.map((_, i) => os.slice(i + 1).reduce((a, b) => a * b, 1));
  for (const [n, ...rest] of indices(xs)) {
    const c = rest.pop()!, g = Math.floor(c / Cg), ci = c % Cg;
    for (const kk of indices(k)) {
      const pos = rest.map((i, d) => i * r.stride[d]! + kk[d]! * r.dilation[d]! - r.pad[d]!);
      if (pos.some((p, d) => p < 0 || p >= outSp[d]!)) continue;
      for (let co = 0; co < Og; co++) {
        const idx = [n!, ...pos, g * Og + co].reduce((a, v, i) => a + v * ostr[i]!, 0);
        out[idx]! += at(x, xs, [n!, ...rest, c]) * at(w, ws, [...kk, ci, g * Og + co]);
      }
    }
  }
  return [out, os];
}

describe("ConvTranspose1d / 2d / 3d (PyTorch geometry, channels last)", () => {
  const one = (n: number, v: number) => new Array<number>(n).fill(v);
  const cases: { name: string; make: (w: Tensor) => ConvTranspose1d | ConvTranspose2d | ConvTranspose3d; xs: number[]; ws: number[]; r: RefT }[] = [
    { name: "2-D stride 2, padding 1, outputPadding 1", make: (w) => new ConvTranspose2d(3, 2, 3, { wInit: w, bias: false, stride: 2, padding: 1, outputPadding: 1 }), xs: [2, 3, 4, 3], ws: [3, 3, 3, 2], r: { stride: [2, 2], pad: [1, 1], outPad: [1, 1], dilation: [1, 1], groups: 1 } },
    { name: "2-D groups 2, dilation 2, per-dimension stride", make: (w) => new ConvTranspose2d(4, 6, [2, 3], { wInit: w, bias: false, stride: [1, 3], dilation: 2, groups: 2 }), xs: [1, 3, 3, 4], ws: [2, 3, 2, 6], r: { stride: [1, 3], pad: [0, 0], outPad: [0, 0], dilation: [2, 2], groups: 2 } },
    { name: "2-D padding larger than d(k − 1) crops", make: (w) => new ConvTranspose2d(1, 1, 2, { wInit: w, bias: false, stride: 3, padding: 2 }), xs: [1, 4, 4, 1], ws: [2, 2, 1, 1], r: { stride: [3, 3], pad: [2, 2], outPad: [0, 0], dilation: [1, 1], groups: 1 } },
    { name: "1-D stride 2, padding 1 (the 2x upsampler)", make: (w) => new ConvTranspose1d(2, 3, 4, { wInit: w, bias: false, stride: 2, padding: 1 }), xs: [2, 5, 2], ws: [4, 2, 3], r: { stride: [2], pad: [1], outPad: [0], dilation: [1], groups: 1 } },
    { name: "3-D stride 2, depthwise", make: (w) => new ConvTranspose3d(2, 2, [1, 2, 2], { wInit: w, bias: false, stride: [1, 2, 2], groups: 2 }), xs: [1, 2, 2, 3, 2], ws: [1, 2, 2, 1, 2], r: { stride: [1, 2, 2], pad: one(3, 0), outPad: one(3, 0), dilation: one(3, 1), groups: 2 } },
  ];
  for (const c of cases) {
    it(`${c.name}: values against the direct scatter`, () => {
      const [xv, x] = sample(c.xs, 1), [wv, w] = sample(c.ws, 2);
      const layer = c.make(w);
      expect(layer.weight.value.shape).to.deep.equal(c.ws);
      const [ref, shape] = refConvTranspose(xv, c.xs, wv, c.ws, c.r);
      const y = layer.call(x);
      expect(y.shape).to.deep.equal(shape);
      expectClose(y.reshape([-1]), ref, { rtol: 1e-11, atol: 1e-12 });
    });
  }

  it("PyTorch's output sizes, bias, unbatched input, default weight shape", () => {
    expect(new ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 }).call(np.ones([2, 7, 7, 16])).shape).to.deep.equal([2, 14, 14, 8]);
    expect(new ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1 }).call(np.ones([2, 7, 7, 16])).shape).to.deep.equal([2, 14, 14, 8]);
    expect(new ConvTranspose1d(4, 2, 4, { stride: 2, padding: 1 }).call(np.ones([1, 8, 4])).shape).to.deep.equal([1, 16, 2]);
    expect(new ConvTranspose3d(2, 4, 2, { stride: 2 }).call(np.ones([1, 2, 3, 3, 2])).shape).to.deep.equal([1, 4, 6, 6, 4]);
    const [, x] = sample([1, 3, 3, 2], 3);
    const layer = new ConvTranspose2d(2, 3, 2, { stride: 2, bInit: np.array([1, -2, 0.5]) });
    expect(layer.weight.value.shape).to.deep.equal([2, 2, 2, 3]);
    const noBias = new ConvTranspose2d(2, 3, 2, { stride: 2, wInit: layer.weight.value, bias: false });
    expectClose(layer.call(x), noBias.call(x).add(np.array([1, -2, 0.5])).toArraySync() as number[][][][], { rtol: 1e-6 });
    expectClose(layer.call(x.reshape([3, 3, 2])), layer.call(x).reshape([6, 6, 3]).toArraySync() as number[][][], { rtol: 1e-6 });
  });

  it("gradients in the input and the weight match finite differences", () => {
    const [, x0] = sample([1, 3, 2, 2], 4), [, w0] = sample([3, 2, 1, 4], 5);
    const opts = { stride: [2, 1], padding: [1, 0], outputPadding: [1, 0], groups: 2 };
    const layer = new ConvTranspose2d(2, 4, [3, 2], { ...opts, wInit: w0 });
    const outShape = layer.call(x0).shape;
    const [wt] = sample(outShape, 6);
    const weights = np.array(wt, { dtype: "float64" }).reshape(outShape);
    fdCheck((x) => np.sum(layer.call(x).mul(weights)), x0);
    fdCheck((w) => np.sum(new ConvTranspose2d(2, 4, [3, 2], { ...opts, wInit: w, bias: false }).call(x0).mul(weights)), w0);
  });

  it("errors: wrong rank or channels, bad options", () => {
    const layer = new ConvTranspose2d(3, 4, 3);
    expect(() => layer.call(np.zeros([1, 3, 8, 8]))).to.throw(ShapeError, /ConvTranspose2d\(3, 4, \[3, 3\]\): expected an input \[batch, 2 spatial dims, 3\] \(channels last\), got shape \[1, 3, 8, 8\]/);
    expect(() => new ConvTranspose2d(3, 4, 3, { outputPadding: 1 })).to.throw(ValueError, /outputPadding \(1\) must be smaller than the stride \(1\) or the dilation \(1\)/);
    expect(() => new ConvTranspose2d(3, 4, 3, { padding: -1 })).to.throw(ValueError, /padding must be an integer ≥ 0/);
    expect(() => new ConvTranspose2d(3, 4, 3, { groups: 2 })).to.throw(ValueError, /groups must be a positive integer dividing/);
    expect(() => new ConvTranspose1d(0, 4, 3)).to.throw(ValueError, /inChannels must be a positive integer/);
    expect(() => new ConvTranspose2d(1, 1, 2, { padding: 3 }).call(np.zeros([1, 2, 2, 1]))).to.throw(ShapeError, /leaves no output/);
  });
});

/** PyTorch's adaptive average: output i of an axis of length L averages [floor(iL/out), ceil((i+1)L/out)). */
function refAdaptive(x: number[], xs: number[], out: number[]): [number[], number[]] {
  const os = [xs[0]!, ...out, xs[xs.length - 1]!];
  const vals = indices(os).map(([n, ...rest]) => {
    const c = rest.pop()!;
    const ranges = rest.map((i, d) => [Math.floor((i * xs[d + 1]!) / out[d]!), Math.ceil(((i + 1) * xs[d + 1]!) / out[d]!)] as const);
    const win = indices(ranges.map(([s, e]) => e - s));
    return win.reduce((a, kk) => a + at(x, xs, [n!, ...kk.map((k, d) => k + ranges[d]![0]), c]), 0) / win.length;
  });
  return [vals, os];
}

describe("AdaptiveAvgPool1d / 2d / 3d and the 3-D pools", () => {
  it("values against PyTorch's start/end windows (dividing, overlapping and growing sizes)", () => {
    const cases: [AdaptiveAvgPool1d | AdaptiveAvgPool2d | AdaptiveAvgPool3d, number[], number[]][] = [
      [new AdaptiveAvgPool1d(3), [2, 7, 2], [3]],
      [new AdaptiveAvgPool1d(5), [1, 3, 1], [5]],
      [new AdaptiveAvgPool2d([2, 3]), [2, 5, 7, 3], [2, 3]],
      [new AdaptiveAvgPool2d(1), [2, 4, 4, 3], [1, 1]],
      [new AdaptiveAvgPool3d([2, 1, 3]), [1, 3, 4, 5, 2], [2, 1, 3]],
    ];
    for (const [pool, xs, out] of cases) {
      const [xv, x] = sample(xs, 7);
      const [ref, shape] = refAdaptive(xv, xs, out);
      const y = pool.call(x);
      expect(y.shape, `${xs} → ${out}`).to.deep.equal(shape);
      expectClose(y.reshape([-1]), ref, { rtol: 1e-12, atol: 1e-14 });
    }
    expect(new AdaptiveAvgPool1d(2).call(np.array([[[1], [2], [3]]])).toArraySync()).to.deep.equal([[[1.5], [2.5]]]);
    expect(new AdaptiveAvgPool2d(2).call(np.ones([5, 6, 3])).shape).to.deep.equal([2, 2, 3]);
  });

  it("gradient matches finite differences", () => {
    const [, x0] = sample([1, 5, 3, 2], 8);
    fdCheck((t) => np.sum(new AdaptiveAvgPool2d([3, 2]).call(t).mul(np.arange(12, { dtype: "float64" }).reshape([1, 3, 2, 2]))), x0);
  });

  it("MaxPool3d / AvgPool3d", () => {
    const xs = [1, 4, 2, 4, 2];
    const [xv, x] = sample(xs, 9);
    const win = [2, 2, 2];
    const ref = (kind: "max" | "avg") => indices([1, 2, 1, 2, 2]).map(([n, d, h, w, c]) => {
      const vals = indices(win).map(([a, b, e]) => at(xv, xs, [n!, 2 * d! + a!, 2 * h! + b!, 2 * w! + e!, c!]));
      return kind === "max" ? Math.max(...vals) : vals.reduce((p, q) => p + q, 0) / vals.length;
    });
    expectClose(new MaxPool3d(2).call(x).reshape([-1]), ref("max"), { rtol: 1e-12 });
    expectClose(new AvgPool3d(2).call(x).reshape([-1]), ref("avg"), { rtol: 1e-12 });
    expect(new AvgPool3d([1, 2, 2]).call(np.ones([1, 4, 4, 4, 3])).shape).to.deep.equal([1, 4, 2, 2, 3]);
  });

  it("errors: input rank, output size", () => {
    expect(() => new AdaptiveAvgPool2d(2).call(np.zeros([2, 3]))).to.throw(ShapeError, /AdaptiveAvgPool2d\(\[2, 2\]\): expected an input \[batch, 2 spatial dims, channels\]/);
    expect(() => new AdaptiveAvgPool2d([2, 0])).to.throw(ValueError, /outputSize must be an integer ≥ 1/);
    expect(() => new AdaptiveAvgPool1d([2, 2])).to.throw(ValueError, /outputSize/);
    expect(() => new MaxPool3d(2).call(np.zeros([2, 3, 3]))).to.throw(ShapeError, /MaxPool3d/);
  });
});
