/**
 * lax convolutions and reduceWindow against plain float64 loops written from JAX's definitions
 * (conv_general_dilated: dilate the input, pad, slide the dilated kernel; reduce_window: the same
 * with the init value as fill), plus gradients against finite differences, vmap and jit.
 */
import { expect } from "chai";
import { type Tensor, grad, jit, jvp, lax, lowerGraph, np, vjp, vmap } from "kiln";
import { checkGradFd, expectClose, sample } from "./util.js";

// ------------------------------------------------------------------------------ references

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
function unravel(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) ((out[d] = i % shape[d]!), (i = Math.floor(i / shape[d]!)));
  return out;
}
const ravel = (idx: readonly number[], shape: readonly number[]) => idx.reduce((a, v, d) => a * shape[d]! + v, 0);

interface RefConv {
  strides: number[]; pads: [number, number][]; lhsDil: number[]; rhsDil: number[]; G: number; B: number;
}

/** conv_general_dilated in the canonical layout: x [N, C, S…], w [O, I, K…]. */
function refConv(x: Float64Array, xs: number[], w: Float64Array, ws: number[], p: RefConv): { data: number[]; shape: number[] } {
  const [N, C] = xs as [number, number], [O, I] = ws as [number, number];
  const S = xs.slice(2), K = ws.slice(2);
  const out = S.map((n, i) => {
    const dilN = n === 0 ? 0 : (n - 1) * p.lhsDil[i]! + 1, dilK = (K[i]! - 1) * p.rhsDil[i]! + 1;
    return Math.max(0, Math.floor((dilN + p.pads[i]![0] + p.pads[i]![1] - dilK) / p.strides[i]!) + 1);
  });
  const Nb = N / p.B, shape = [Nb, O, ...out];
  const data = new Array<number>(prod(shape)).fill(0);
  for (let e = 0; e < data.length; e++) {
    const [n, o, ...y] = unravel(e, shape) as [number, number, ...number[]];
    const g = Math.floor(o / (O / p.G)), b = Math.floor(o / (O / p.B));
    let acc = 0;
    for (let ci = 0; ci < I; ci++) {
      for (let kf = 0; kf < prod(K); kf++) {
        const k = unravel(kf, K);
        const src: number[] = [];
        let ok = true;
        y.forEach((yy, i) => {
          const q = yy * p.strides[i]! + k[i]! * p.rhsDil[i]! - p.pads[i]![0];
          if (q < 0 || q % p.lhsDil[i]! !== 0 || q / p.lhsDil[i]! >= S[i]!) ok = false;
          src.push(q / p.lhsDil[i]!);
        });
        if (!ok) continue;
        acc += x[ravel([b * Nb + n, g * I + ci, ...src], xs)]! * w[ravel([o, ci, ...k], ws)]!;
      }
    }
    data[e] = acc;
  }
  return { data, shape };
}

type Op = "max" | "min" | "sum" | "prod";
const COMBINE: Record<Op, (a: number, b: number) => number> = {
  max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  sum: (a, b) => a + b,
  prod: (a, b) => a * b,
};

/** reduce_window: every window element is x (at a real, undilated position) or the init value. */
function refWindow(x: Float64Array, xs: number[], init: number, op: Op, win: number[], strides: number[], pads: [number, number][], baseDil: number[], winDil: number[]): { data: number[]; shape: number[] } {
  const shape = xs.map((n, i) => {
    const dn = n === 0 ? 0 : (n - 1) * baseDil[i]! + 1, dk = (win[i]! - 1) * winDil[i]! + 1;
    return Math.max(0, Math.floor((dn + pads[i]![0] + pads[i]![1] - dk) / strides[i]!) + 1);
  });
  const data = new Array<number>(prod(shape));
  for (let e = 0; e < data.length; e++) {
    const y = unravel(e, shape);
    let acc = init;
    for (let kf = 0; kf < prod(win); kf++) {
      const k = unravel(kf, win);
      const src: number[] = [];
      let ok = true;
      y.forEach((yy, i) => {
        const q = yy * strides[i]! + k[i]! * winDil[i]! - pads[i]![0];
        if (q < 0 || q % baseDil[i]! !== 0 || q / baseDil[i]! >= xs[i]!) ok = false;
        src.push(q / baseDil[i]!);
      });
      acc = COMBINE[op](acc, ok ? x[ravel(src, xs)]! : init);
    }
    data[e] = acc;
  }
  return { data, shape };
}

function samePads(n: number[], k: number[], s: number[], lower = false): [number, number][] {
  return n.map((v, i) => {
    const total = Math.max((Math.ceil(v / s[i]!) - 1) * s[i]! + k[i]! - v, 0);
    const small = Math.floor(total / 2);
    return lower ? [total - small, small] : [small, total - small];
  });
}

function check(t: Tensor, want: { data: number[]; shape: number[] }, tol = 1e-9): void {
  expect(t.shape).to.deep.equal(want.shape);
  const got = Array.from(t.dataSync());
  got.forEach((g, i) => {
    const w = want.data[i]!;
    expect(Object.is(g, w) || Math.abs(g - w) <= tol * (1 + Math.abs(w)), `[${i}]: ${g} vs ${w}`).to.equal(true);
  });
}

// ------------------------------------------------------------------------------ conv values

interface ConvCase {
  name: string; xs: number[]; ws: number[];
  strides?: number[]; padding?: lax.Padding; lhsDil?: number[]; rhsDil?: number[]; G?: number; B?: number;
}

const CONV_CASES: ConvCase[] = [
  { name: "1-d VALID", xs: [2, 3, 9], ws: [4, 3, 3] },
  { name: "1-d stride 2 SAME", xs: [2, 2, 10], ws: [3, 2, 4], strides: [2], padding: "SAME" },
  { name: "1-d SAME_LOWER even kernel", xs: [1, 2, 7], ws: [2, 2, 4], padding: "SAME_LOWER" },
  { name: "2-d SAME", xs: [2, 3, 6, 5], ws: [4, 3, 3, 3], padding: "SAME" },
  { name: "2-d strides + explicit pads", xs: [1, 2, 7, 8], ws: [3, 2, 3, 2], strides: [2, 3], padding: [[1, 2], [0, 1]] },
  { name: "2-d negative pads", xs: [1, 2, 7, 8], ws: [2, 2, 2, 3], padding: [[-1, 0], [1, -2]] },
  { name: "2-d rhs dilation SAME", xs: [1, 2, 9, 9], ws: [2, 2, 3, 2], rhsDil: [2, 3], padding: "SAME" },
  { name: "2-d lhs dilation", xs: [1, 2, 4, 3], ws: [2, 2, 3, 3], lhsDil: [2, 3], padding: [[2, 2], [1, 0]] },
  { name: "2-d lhs+rhs dilation, stride", xs: [2, 1, 5, 5], ws: [2, 1, 2, 2], lhsDil: [2, 2], rhsDil: [2, 1], strides: [2, 1], padding: [[1, 1], [1, 1]] },
  { name: "2-d feature groups", xs: [2, 4, 5, 5], ws: [6, 2, 3, 3], G: 2, padding: "SAME" },
  { name: "2-d depthwise", xs: [2, 3, 6, 6], ws: [6, 1, 3, 3], G: 3, strides: [2, 2], padding: "SAME" },
  { name: "2-d batch groups", xs: [4, 3, 5, 5], ws: [4, 3, 2, 2], B: 2 },
  { name: "3-d SAME stride", xs: [1, 2, 5, 4, 6], ws: [3, 2, 3, 2, 3], strides: [2, 1, 2], padding: "SAME" },
  { name: "3-d dilation groups", xs: [1, 4, 5, 5, 4], ws: [2, 2, 2, 2, 2], rhsDil: [2, 1, 1], G: 2, padding: "VALID" },
  { name: "0 outputs (window past input)", xs: [1, 1, 2], ws: [1, 1, 3] },
  { name: "1x1 kernel, stride 2", xs: [2, 3, 5, 4], ws: [4, 3, 1, 1], strides: [2, 2] },
  { name: "no spatial axes (a dense layer), feature groups", xs: [3, 4], ws: [6, 2], G: 2 },
];

function convOf(c: ConvCase, x: Tensor, w: Tensor, dimensionNumbers?: lax.ConvDimensionNumbersLike): Tensor {
  return lax.convGeneralDilated(x, w, {
    windowStrides: c.strides, padding: c.padding, lhsDilation: c.lhsDil, rhsDilation: c.rhsDil,
    featureGroupCount: c.G, batchGroupCount: c.B, dimensionNumbers,
  });
}

function refOf(c: ConvCase, x: Tensor, w: Tensor) {
  const nsp = c.xs.length - 2, ones = Array<number>(nsp).fill(1);
  const strides = c.strides ?? ones, rhsDil = c.rhsDil ?? ones;
  const pads = typeof c.padding === "string"
    ? c.padding === "VALID" ? ones.map((): [number, number] => [0, 0]) : samePads(c.xs.slice(2), c.ws.slice(2).map((k, i) => (k - 1) * rhsDil[i]! + 1), strides, c.padding === "SAME_LOWER")
    : (c.padding as [number, number][] | undefined) ?? ones.map((): [number, number] => [0, 0]);
  return refConv(x.dataSync() as Float64Array, c.xs, w.dataSync() as Float64Array, c.ws, { strides, pads, lhsDil: c.lhsDil ?? ones, rhsDil, G: c.G ?? 1, B: c.B ?? 1 });
}

describe("lax.convGeneralDilated: values against a float64 loop", () => {
  for (const c of CONV_CASES) {
    it(`${c.name} (NC… layout)`, () => {
      const x = sample(c.xs, 1), w = sample(c.ws, 2);
      check(convOf(c, x, w), refOf(c, x, w));
    });
  }
  for (const c of CONV_CASES.filter((c) => c.xs.length === 4)) {
    it(`${c.name} (NHWC / HWIO layout)`, () => {
      const x = sample(c.xs, 1), w = sample(c.ws, 2);
      const want = refOf(c, x, w);
      const y = convOf(c, np.transpose(x, [0, 2, 3, 1]), np.transpose(w, [2, 3, 1, 0]), ["NHWC", "HWIO", "NHWC"]);
      const back = np.transpose(y, [0, 3, 1, 2]);
      check(back, want);
    });
  }
  it("mixed layout: out spec differs from lhs spec, spatial letters reordered", () => {
    const c: ConvCase = { name: "mixed", xs: [2, 3, 5, 4], ws: [2, 3, 3, 2], strides: [1, 2], padding: "SAME" };
    const x = sample(c.xs, 1), w = sample(c.ws, 2);
    const want = refOf(c, x, w);
    // lhs "NWHC", kernel "OIHW", out "CNHW".
    const y = convOf(c, np.transpose(x, [0, 3, 2, 1]), w, ["NWHC", "OIHW", "CNHW"]);
    check(np.transpose(y, [1, 0, 2, 3]), want);
  });
  it("integer convolution stays int32 and exact", () => {
    const x = np.array([[[1, 2, 3, 4]]], { dtype: "int32" }), w = np.array([[[1, -1]]], { dtype: "int32" });
    const y = lax.conv(x, w, [1], "VALID");
    expect(y.dtype).to.equal("int32");
    expect(y.toArraySync()).to.deep.equal([[[-1, -1, -1]]]);
  });
  it("preferredElementType computes in that dtype", () => {
    const x = np.array([[[1, 2, 3]]], { dtype: "int32" }), w = np.array([[[2]]], { dtype: "int32" });
    const y = lax.convGeneralDilated(x, w, { preferredElementType: "float32" });
    expect(y.dtype).to.equal("float32");
    expect(y.toArraySync()).to.deep.equal([[[2, 4, 6]]]);
  });
  it("conv and convWithGeneralPadding are convGeneralDilated with the default layout", () => {
    const x = sample([1, 2, 6, 5]), w = sample([3, 2, 2, 3], 3);
    expectClose(lax.conv(x, w, [2, 1], "SAME"), convOf({ name: "", xs: [], ws: [], strides: [2, 1], padding: "SAME" }, x, w).toArraySync() as number[]);
    const c: ConvCase = { name: "", xs: [1, 2, 6, 5], ws: [3, 2, 2, 3], padding: [[1, 0], [2, 1]], lhsDil: [2, 1], rhsDil: [1, 2] };
    check(lax.convWithGeneralPadding(x, w, [1, 1], c.padding!, c.lhsDil, c.rhsDil), refOf(c, x, w));
  });
});

describe("lax.convTranspose", () => {
  // The gradient of a strided forward conv with respect to its input is convTranspose with
  // transposeKernel: that is the identity the op exists for (JAX's conv_transpose docs).
  for (const [padding, n] of [["SAME", 6], ["VALID", 7], ["SAME", 5]] as const) {
    it(`with transposeKernel it is the input gradient of a stride-2 ${padding} conv (n=${n})`, () => {
      const x = sample([1, n, n, 2]), w = sample([3, 3, 2, 4], 2);
      const fwd = (t: Tensor) => lax.convGeneralDilated(t, w, { windowStrides: [2, 2], padding, dimensionNumbers: ["NHWC", "HWIO", "NHWC"] });
      const y = fwd(x), ct = sample(y.shape, 5);
      const g = grad((t: Tensor) => np.sum(np.multiply(fwd(t), ct)))(x) as Tensor;
      const t = lax.convTranspose(ct, w, [2, 2], padding, { transposeKernel: true });
      // SAME / VALID transposes give in*stride (+ window excess): crop to the input's size as Keras does.
      const cropped = np.get(t, np.slice(), np.slice(0, n), np.slice(0, n));
      if (padding === "VALID" || n % 2 === 0) expectClose(cropped, g.toArraySync() as number[][][][], { atol: 1e-9 });
      expect(t.shape[1]).to.equal(padding === "SAME" ? y.shape[1]! * 2 : y.shape[1]! * 2 + 1);
    });
  }
  it("explicit pads are the dilated conv's pads; 1-d default layout NHC/HIO", () => {
    const x = sample([1, 3, 2]), w = sample([2, 2, 3], 2);
    const y = lax.convTranspose(x, w, [2], [[1, 0]]);
    const c: ConvCase = { name: "", xs: [1, 2, 3], ws: [3, 2, 2], padding: [[1, 0]], lhsDil: [2] };
    const want = refOf(c, np.transpose(x, [0, 2, 1]), np.transpose(w, [2, 1, 0]));
    check(np.transpose(y, [0, 2, 1]), want);
  });
});

describe("lax conv: errors", () => {
  const x = np.ones([1, 4, 5, 5]), w = np.ones([2, 2, 3, 3]);
  it("names the mismatch", () => {
    expect(() => lax.convGeneralDilated(x, np.ones([2, 3, 3, 3]))).to.throw(/featureGroupCount/);
    expect(() => lax.convGeneralDilated(x, w, { featureGroupCount: 2, batchGroupCount: 2 })).to.throw(/at most one/);
    expect(() => lax.convGeneralDilated(x, np.ones([2, 2, 3]))).to.throw(/same rank/);
    expect(() => lax.convGeneralDilated(x, w, { featureGroupCount: 2, windowStrides: [0, 1] })).to.throw(/windowStrides/);
    expect(() => lax.convGeneralDilated(x, w, { featureGroupCount: 2, padding: "FULL" as "SAME" })).to.throw(/padding/);
    expect(() => lax.convGeneralDilated(x, w, { featureGroupCount: 2, padding: "SAME", lhsDilation: [2, 2] })).to.throw(/lhsDilation/);
    expect(() => lax.convGeneralDilated(x, w, { featureGroupCount: 2, dimensionNumbers: ["NCHW", "OIHW", "NCXY"] })).to.throw(/spatial/);
    expect(() => lax.convGeneralDilated(x, np.ones([2, 2, 3, 3], { dtype: "int32" }), { featureGroupCount: 2 })).to.throw(/dtypes differ/);
    expect(() => lax.convGeneralDilated(x, w, { featureGroupCount: 2, padding: [[-9, 0], [0, 0]] })).to.throw(/negative padding/);
  });
});

// ------------------------------------------------------------------------------ reduceWindow

interface WinCase { name: string; xs: number[]; init: number; op: Op; win: number[]; strides?: number[]; padding?: lax.Padding; baseDil?: number[]; winDil?: number[] }

const WIN_CASES: WinCase[] = [
  { name: "1-d max", xs: [9], init: -Infinity, op: "max", win: [3], strides: [2] },
  { name: "2-d max pool NCHW", xs: [2, 3, 6, 6], init: -Infinity, op: "max", win: [1, 1, 2, 2], strides: [1, 1, 2, 2] },
  { name: "2-d max SAME", xs: [1, 2, 5, 5], init: -Infinity, op: "max", win: [1, 1, 3, 3], strides: [1, 1, 2, 2], padding: "SAME" },
  { name: "2-d min SAME_LOWER", xs: [5, 4], init: Infinity, op: "min", win: [2, 2], padding: "SAME_LOWER" },
  { name: "2-d sum explicit pads", xs: [1, 5, 6, 2], init: 0, op: "sum", win: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: [[0, 0], [1, 1], [1, 2], [0, 0]] },
  { name: "sum with init 1.5", xs: [7], init: 1.5, op: "sum", win: [3] },
  { name: "max with init 0 (relu-like)", xs: [8], init: 0, op: "max", win: [2], strides: [2] },
  { name: "prod", xs: [6], init: 1, op: "prod", win: [2] },
  { name: "window dilation", xs: [4, 9], init: -Infinity, op: "max", win: [2, 3], winDil: [2, 3] },
  { name: "base dilation (holes hold init)", xs: [3, 4], init: 0, op: "sum", win: [2, 2], baseDil: [2, 3], padding: [[1, 1], [0, 1]] },
  { name: "3-d avg-style sum", xs: [1, 4, 4, 4], init: 0, op: "sum", win: [1, 2, 2, 2], strides: [1, 2, 2, 2] },
];

describe("lax.reduceWindow: values against a float64 loop", () => {
  for (const c of WIN_CASES) {
    it(c.name, () => {
      const x = sample(c.xs);
      const ones = c.xs.map(() => 1);
      const strides = c.strides ?? ones, winDil = c.winDil ?? ones;
      const pads = typeof c.padding === "string"
        ? samePads(c.xs, c.win.map((k, i) => (k - 1) * winDil[i]! + 1), strides, c.padding === "SAME_LOWER")
        : (c.padding as [number, number][] | undefined) ?? c.xs.map((): [number, number] => [0, 0]);
      const want = refWindow(x.dataSync() as Float64Array, c.xs, c.init, c.op, c.win, strides, pads, c.baseDil ?? ones, winDil);
      check(lax.reduceWindow(x, c.init, c.op, c.win, c.strides, c.padding, c.baseDil, c.winDil), want);
    });
  }
  it("accepts np.maximum / np.add by identity; NaN propagates through max", () => {
    const x = np.array([1, NaN, 3, 2, 5, 4]);
    expect(Array.from(lax.reduceWindow(x, -Infinity, np.maximum, [2], [2]).dataSync())).to.deep.equal([NaN, 3, 5]);
    expect(Array.from(lax.reduceWindow(np.array([1, 2, 3]), 0, np.add, [2]).dataSync())).to.deep.equal([3, 5]);
  });
  it("int32 windows use int identities and reject a non-int init", () => {
    const x = np.array([3, -1, 4, 1, -5], { dtype: "int32" });
    const y = lax.reduceWindow(x, -(2 ** 31), "max", [2]);
    expect(y.dtype).to.equal("int32");
    expect(Array.from(y.dataSync())).to.deep.equal([3, 4, 4, 1]);
    expect(() => lax.reduceWindow(x, -Infinity, "max", [2])).to.throw(/int32/);
    expect(() => lax.reduceWindow(x, 0, "mean" as "max", [2])).to.throw(/computation/);
    expect(() => lax.reduceWindow(x, 0, "max", [2, 2])).to.throw(/windowDimensions/);
  });
});

// ------------------------------------------------------------------------------ derivatives

describe("lax conv / reduceWindow: gradients against finite differences", () => {
  const w = (s: number[]) => sample(s, 3);
  const GRADS: [string, (x: Tensor) => Tensor, number[]][] = [
    ["conv lhs, stride 2 SAME", (x) => lax.conv(x, w([2, 2, 3, 3]), [2, 2], "SAME"), [1, 2, 5, 5]],
    ["conv rhs, stride 2 SAME", (k) => lax.conv(sample([2, 2, 5, 5]), k, [2, 2], "SAME"), [2, 2, 3, 3]],
    ["conv lhs, lhs+rhs dilation, explicit pads", (x) => lax.convWithGeneralPadding(x, w([2, 1, 2, 2]), [1, 2], [[1, 0], [2, 1]], [2, 1], [1, 2]), [1, 1, 4, 5]],
    ["conv rhs, rhs dilation + negative pad", (k) => lax.convWithGeneralPadding(sample([1, 1, 7, 6]), k, [1, 1], [[-1, 1], [0, 0]], [1, 1], [2, 2]), [2, 1, 2, 2]],
    ["depthwise lhs, NHWC", (x) => lax.convGeneralDilated(x, w([3, 3, 1, 4]), { padding: "SAME", featureGroupCount: 4, dimensionNumbers: ["NHWC", "HWIO", "NHWC"] }), [1, 4, 4, 4]],
    ["feature groups rhs", (k) => lax.convGeneralDilated(sample([1, 4, 4, 4]), k, { featureGroupCount: 2, windowStrides: [2, 1] }), [4, 2, 2, 2]],
    ["batch groups lhs", (x) => lax.convGeneralDilated(x, w([4, 2, 2, 2]), { batchGroupCount: 2 }), [2, 2, 3, 3]],
    ["1-d conv lhs", (x) => lax.conv(x, w([2, 2, 3]), [2], "VALID"), [1, 2, 8]],
    ["3-d conv rhs", (k) => lax.conv(sample([1, 1, 3, 3, 3]), k, [1, 1, 1], "SAME"), [1, 1, 2, 2, 2]],
    ["convTranspose lhs", (x) => lax.convTranspose(x, w([3, 2, 2]), [2], "SAME"), [1, 3, 2]],
    ["max pool overlapping SAME", (x) => lax.reduceWindow(x, -Infinity, "max", [2, 3], [1, 2], "SAME"), [4, 5]],
    ["min window dilation", (x) => lax.reduceWindow(x, Infinity, "min", [2, 2], [1, 1], "VALID", undefined, [2, 1]), [4, 3]],
    ["sum window base dilation", (x) => lax.reduceWindow(x, 0, "sum", [2, 2], [1, 2], [[1, 0], [0, 1]], [2, 1]), [3, 3]],
    ["prod window", (x) => lax.reduceWindow(x, 1, "prod", [3], [1]), [5]],
  ];
  for (const [name, f, shape] of GRADS) it(name, () => checkGradFd(name, f, shape));

  it("max window: ties send the whole gradient to the first maximum (as JAX), overlaps add", () => {
    const x = np.array([1, 3, 3, 2, 3], { dtype: "float64" });
    const g = grad((t: Tensor) => np.sum(lax.reduceWindow(t, -Infinity, "max", [3], [1])))(x) as Tensor;
    // windows [1,3,3] → x1, [3,3,2] → x1, [3,2,3] → x2.
    expect(Array.from(g.dataSync())).to.deep.equal([0, 2, 1, 0, 0]);
    const gm = grad((t: Tensor) => np.sum(lax.reduceWindow(t, Infinity, "min", [2], [2])))(np.array([2, 2, 0, 0], { dtype: "float64" })) as Tensor;
    expect(Array.from(gm.dataSync())).to.deep.equal([1, 0, 1, 0]);
  });
});

/**
 * JAX's select-and-scatter in float64: each window's cotangent goes to its first extreme element
 * (row-major window order; NaN beats a number), windows over padding pick nothing there.
 */
function refSelectAndScatter(x: Float64Array, shape: number[], ct: Float64Array, win: number[], strides: number[], pads: [number, number][], beats: (a: number, b: number) => boolean): number[] {
  const out = shape.map((n, i) => Math.floor((n + pads[i]![0] + pads[i]![1] - win[i]!) / strides[i]!) + 1);
  const dx = new Array<number>(x.length).fill(0);
  for (let o = 0; o < prod(out); o++) {
    const oi = unravel(o, out);
    let best = -1;
    for (let k = 0; k < prod(win); k++) {
      const ki = unravel(k, win);
      const xi = oi.map((v, d) => v * strides[d]! + ki[d]! - pads[d]![0]);
      if (xi.some((v, d) => v < 0 || v >= shape[d]!)) continue;
      const at = ravel(xi, shape);
      if (best < 0 || beats(x[at]!, x[best]!)) best = at;
    }
    if (best >= 0) dx[best]! += ct[o]!;
  }
  return dx;
}

describe("lax.reduceWindow max/min: gradients equal select-and-scatter exactly (non-overlapping windows take the split-axis form)", () => {
  const gt = (a: number, b: number) => a > b || (Number.isNaN(a) && !Number.isNaN(b));
  const lt = (a: number, b: number) => a < b || (Number.isNaN(a) && !Number.isNaN(b));
  // Values from a small set: many ties inside windows.
  const CASES: { name: string; shape: number[]; win: number[]; strides: number[]; pads: [number, number][]; op: "max" | "min" }[] = [
    { name: "2x2 pool, stride 2 (NHWC)", shape: [2, 6, 6, 3], win: [1, 2, 2, 1], strides: [1, 2, 2, 1], pads: [[0, 0], [0, 0], [0, 0], [0, 0]], op: "max" },
    { name: "2x2 pool on odd sizes (the last row and column are in no window)", shape: [1, 7, 5, 2], win: [1, 2, 2, 1], strides: [1, 2, 2, 1], pads: [[0, 0], [0, 0], [0, 0], [0, 0]], op: "max" },
    { name: "2x2 pool with padding", shape: [1, 5, 5, 1], win: [1, 2, 2, 1], strides: [1, 2, 2, 1], pads: [[0, 0], [1, 0], [0, 1], [0, 0]], op: "max" },
    { name: "window 2, stride 3 (gaps), min", shape: [2, 11], win: [1, 2], strides: [1, 3], pads: [[0, 0], [0, 0]], op: "min" },
    { name: "3-d 2x2x2 pool, mixed with an overlapping axis", shape: [1, 4, 5, 4, 2], win: [1, 2, 3, 2, 1], strides: [1, 2, 1, 2, 1], pads: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], op: "max" },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      const n = prod(c.shape);
      const xv = Float64Array.from({ length: n }, (_, i) => [0, 1, 1, 2, -1, 2][(i * 7 + (i >> 2)) % 6]!);
      if (n > 9) xv[9] = NaN;
      const f = (t: Tensor) => lax.reduceWindow(t, c.op === "max" ? -Infinity : Infinity, c.op, c.win, c.strides, c.pads);
      const y = f(np.array(xv, { shape: c.shape }));
      const ct = Float64Array.from({ length: y.size }, (_, i) => 1 + (i % 5));
      const g = grad((t: Tensor) => np.sum(f(t).mul(np.array(ct, { shape: y.shape }))))(np.array(xv, { shape: c.shape })) as Tensor;
      expect(Array.from(g.dataSync())).to.deep.equal(refSelectAndScatter(xv, c.shape, ct, c.win, c.strides, c.pads, c.op === "max" ? gt : lt));
    });
  }
});

describe("lax conv / reduceWindow under vmap and jit", () => {
  it("vmap over a batch of kernels equals each conv", () => {
    const x = sample([1, 2, 5, 5]), ks = sample([3, 2, 2, 3, 3], 4);
    const f = (k: Tensor) => lax.conv(x, k, [1, 2], "SAME");
    const batched = vmap(f)(ks) as Tensor;
    for (let i = 0; i < 3; i++) expectClose(np.get(batched, i), f(np.get(ks, i)).toArraySync() as number[][][][], { atol: 1e-12 });
  });
  it("vmap over inputs (in_axes 1) of a grouped conv and a max pool", () => {
    const xs = sample([2, 3, 4, 6, 6]), k = sample([4, 2, 3, 3], 2);
    const f = (x: Tensor) => lax.reduceWindow(lax.convGeneralDilated(x, k, { featureGroupCount: 2, padding: "SAME" }), -Infinity, "max", [1, 1, 2, 2], [1, 1, 2, 2]);
    const batched = vmap(f, { inAxes: 1 })(xs) as Tensor;
    for (let i = 0; i < 3; i++) expectClose(np.get(batched, i), f(np.get(xs, np.slice(), i)).toArraySync() as number[][][][], { atol: 1e-12 });
  });
  it("vmap over inputs and kernels together (NHWC, batch groups)", () => {
    const xs = sample([2, 4, 5, 5, 2]), ks = sample([2, 2, 2, 2, 4], 3);
    const f = (x: Tensor, k: Tensor) => lax.convGeneralDilated(x, k, { batchGroupCount: 2, dimensionNumbers: ["NHWC", "HWIO", "NHWC"], windowStrides: [2, 1] });
    const batched = vmap(f)(xs, ks) as Tensor;
    for (let i = 0; i < 2; i++) expectClose(np.get(batched, i), f(np.get(xs, i), np.get(ks, i)).toArraySync() as number[][][][], { atol: 1e-12 });
  });
  it("jvp in the input is the convolution of the tangent (linearity), in the kernel likewise", () => {
    const x = sample([1, 2, 6, 6]), k = sample([3, 2, 3, 3], 2), tx = sample([1, 2, 6, 6], 4), tk = sample([3, 2, 3, 3], 5);
    const opts = { windowStrides: [2, 1], padding: "SAME" as const, rhsDilation: [1, 2] };
    const [, dx] = jvp((t: Tensor) => lax.convGeneralDilated(t, k, opts), [x], [tx]) as [Tensor, Tensor];
    expectClose(dx, lax.convGeneralDilated(tx, k, opts).toArraySync() as number[][][][], { atol: 1e-12 });
    const [, dk] = jvp((t: Tensor) => lax.convGeneralDilated(x, t, opts), [k], [tk]) as [Tensor, Tensor];
    expectClose(dk, lax.convGeneralDilated(x, tk, opts).toArraySync() as number[][][][], { atol: 1e-12 });
  });
  it("jit of a conv's gradient matches eager", () => {
    const x = sample([2, 2, 5, 5]), k = sample([3, 2, 3, 3], 2);
    const loss = (kk: Tensor) => np.sum(np.square(lax.conv(x, kk, [1, 1], "SAME")));
    expectClose(jit(grad(loss))(k) as Tensor, (grad(loss)(k) as Tensor).toArraySync() as number[][][][], { atol: 1e-9 });
  });
});

describe("lax conv / reduceWindow: lowering", () => {
  // The measured case of the brief (N=8, C=16, 28x28, O=32, 3x3): the im2col chain is index
  // arithmetic inside the contraction's operand packing, not a buffer; pooling is one kernel.
  const x = np.zeros([8, 16, 28, 28]), w = np.zeros([32, 16, 3, 3]);
  const names = (t: Tensor | Tensor[]) => lowerGraph(t).kernels.map((k) => k.name.split("_")[0]);
  it("a 2-D conv is one contraction kernel (plus the copy that reshapes a requested output)", () => {
    expect(names(lax.conv(x, w, [1, 1], "SAME"))).to.deep.equal(["matmul", "elementwise"]);
    expect(names(np.maximum(lax.conv(x, w, [1, 1], "SAME"), 0))).to.deep.equal(["matmul", "elementwise"]);
  });
  it("a small 5x5 convolution's gradients lower to a few kernels (the scheduler once retried forever)", () => {
    // A small matmul lowers as a reduction with the 25-slice im2col stack inlined: only movement
    // ops, many instances. The early over-budget stop named nothing to materialize and the
    // scheduler looped; the input gradient was cut into one kernel per slice.
    const xs = np.zeros([1, 4, 16, 16]), ws = np.zeros([4, 4, 5, 5]);
    const loss = (x: Tensor, k: Tensor) => np.sum(np.multiply(lax.conv(x, k, [2, 2], "SAME"), 1.5));
    const [gx, gw] = grad(loss, { argnums: [0, 1] })(xs, ws) as Tensor[];
    expect(names(gw!).length).to.be.at.most(2);
    expect(names(gx!).length).to.be.at.most(3);
  });
  it("no host library step in the forward pass, the gradient or a max pool", () => {
    const loss = (xx: Tensor, ww: Tensor) => np.sum(np.square(lax.conv(xx, ww, [2, 2], "SAME")));
    const all = [
      ...names(lax.convGeneralDilated(x, np.zeros([3, 3, 1, 16]), { padding: "SAME", featureGroupCount: 16, dimensionNumbers: ["NCHW", "HWIO", "NCHW"] })),
      ...names(grad(loss, { argnums: [0, 1] })(x, w) as Tensor[]),
    ];
    expect(all.filter((k) => k === "library")).to.deep.equal([]);
    expect(names(lax.reduceWindow(x, -Infinity, "max", [1, 1, 2, 2], [1, 1, 2, 2]))).to.deep.equal(["elementwise"]);
  });
  it("a max pool's gradient reads each window's cotangent and masks once per input element, not once per window offset", () => {
    // Non-overlapping windows take the split-axis form: each input element's gradient reads its
    // window's three compare masks and its cotangent at one index (4 loads; 11 with the strided
    // form, whose offsets each read them at another index). The cotangent — a 9-term window sum of
    // exps, as conv2's col2im is in the digits CNN — is read 4 times per element: it gets a buffer.
    const xp = np.array(Float32Array.from({ length: 4 * 8 * 8 * 3 }, (_, i) => Math.sin(i)), { shape: [4, 8, 8, 3] });
    const up = np.array(Float32Array.from({ length: 4 * 6 * 6 * 3 }, (_, i) => Math.cos(i)), { shape: [4, 6, 6, 3] });
    const pooled = (v: Tensor) => lax.reduceWindow(v, -Infinity, "max", [1, 2, 2, 1], [1, 2, 2, 1]);
    const ctOf = (u: Tensor) => lax.reduceWindow(np.exp(u), 0, "sum", [1, 3, 3, 1], [1, 1, 1, 1], [[0, 0], [0, 0], [0, 0], [0, 0]]);
    const [dx] = vjp(pooled, xp)[1](ctOf(up)) as Tensor[];
    const { kernels } = lowerGraph(dx!);
    const last = kernels[kernels.length - 1]!.source;
    expect(last.match(/= b\d+\[/g)!.length).to.equal(4);
    expect(last).not.to.match(/f32exp\(|exp:float32\(/);
    expect(kernels.length).to.be.at.most(4);
  });
});
