/**
 * The wasm vector math: every function validates and runs; its lanes equal the scalar JS twin bit
 * for bit (the invariant that lets a JS kernel and a wasm kernel agree); the error stays within
 * the bound docs/numerics.md documents; and the special values are IEEE's / JS Math's exactly.
 * The whole-domain sweep is scripts/vecmath-accuracy.ts (too slow for npm test).
 */
import { expect } from "chai";
import {
  VECMATH_HOST, VECMATH_JS, VECMATH_OPS, VECMATH_REFERENCE, type VecMathOp, ulpError, vecMathModule,
} from "./wasm-vecmath.js";

const memory = new WebAssembly.Memory({ initial: 2 });
const hostCalls = { n: 0 };
/** The host functions, counting calls (sin and cos call them only for their rare lanes). */
const host = Object.fromEntries(Object.entries(VECMATH_HOST).map(([k, f]) => [k, (x: number) => (hostCalls.n++, f(x))]));
const runs = new Map<VecMathOp, (p: number, n: number) => void>();

/** The wasm function's lanes for float32 inputs (any count: padded to a multiple of 4); `ys` are pow's exponents. */
function wasmLanes(fn: VecMathOp, xs: Float32Array, ys: Float32Array = xs): Float32Array {
  let run = runs.get(fn);
  if (!run) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(vecMathModule(fn)), { env: { memory }, vecmath: host });
    run = (inst.exports as { run: (p: number, n: number) => void }).run;
    runs.set(fn, run);
  }
  const out = new Float32Array(memory.buffer, 0, 2 * 8192);
  const res = new Float32Array(xs.length);
  for (let i = 0; i < xs.length; i += 8192) {
    const chunk = xs.subarray(i, i + 8192), n = (chunk.length + 3) & ~3;
    out.fill(0, 0, 2 * n).set(chunk);
    out.set(ys.subarray(i, i + 8192), n);
    run(0, n);
    res.set(out.subarray(0, chunk.length), i);
  }
  return res;
}

const fromBits = (b: number) => new Float32Array(Int32Array.of(b).buffer)[0]!;
const bitsOf = (x: number) => new Int32Array(Float32Array.of(x).buffer)[0]!;
const sameValue = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Special inputs: zeros, infinities, NaNs with several payloads, subnormals, extremes. */
const SPECIALS = [
  0, -0, Infinity, -Infinity, NaN, fromBits(0x7fc00001), fromBits(0xffc12345 | 0), fromBits(0x7f800001),
  2 ** -149, -(2 ** -149), 2 ** -127, -(2 ** -127), 2 ** -126, 1e-30, -1e-30, 3.4028234663852886e38, -3.4028234663852886e38,
  1, -1, 0.5, -0.5, 2, -2, 1e30, -1e30, 40, -40,
];
/** Where regimes change: overflow/underflow thresholds, branch points, the reduction's bound. */
const EDGES = [88.72, 89, 103.97, 104, 17.33, 17.5, 0.625, 2 ** -26, 1, 1.25, 3.83, 3.92, Math.PI / 4, Math.PI / 2, 12800, 0.4142, 0.7071];

/**
 * The sample: 2^16 random bit patterns (the whole float32 domain), 2^14 random values in [-20, 20]
 * (where the functions change most), 256 consecutive patterns each side of every edge, specials.
 */
function sample(): Float32Array {
  let s = 0x9e3779b9;
  const rnd = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s | 0);
  const xs: number[] = [...SPECIALS];
  for (let i = 0; i < 1 << 16; i++) xs.push(fromBits(rnd()));
  for (let i = 0; i < 1 << 14; i++) xs.push(Math.fround(((rnd() >>> 0) / 2 ** 32) * 40 - 20));
  for (const e of EDGES) {
    for (const sign of [1, -1]) {
      const b = bitsOf(Math.fround(sign * e));
      for (let j = -256; j < 256; j++) xs.push(fromBits(b + j));
    }
  }
  return Float32Array.from(xs);
}
const SAMPLE = sample();

/**
 * pow's sample: every pair of specials (each special exponent also with random bases), random
 * bit patterns for both, and random bases with exponents that keep y·log2|x| within ±150 (the
 * range of finite non-zero results), negative bases with integer exponents.
 */
function powSample(): [Float32Array, Float32Array] {
  let s = 0x2545f491;
  const rnd = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s | 0);
  const uniform = () => (rnd() >>> 0) / 2 ** 32;
  const xs: number[] = [], ys: number[] = [];
  const specials = [...SPECIALS, 3, -3, 2.5, -2.5, 16777215, 33554432, -33554431, 0.99999994, 1.0000001];
  for (const x of specials) for (const y of specials) xs.push(x), ys.push(y);
  for (const y of specials) for (let i = 0; i < 64; i++) xs.push(fromBits(rnd())), ys.push(y);
  for (let i = 0; i < 1 << 14; i++) xs.push(fromBits(rnd())), ys.push(fromBits(rnd()));
  for (let i = 0; i < 1 << 15; i++) {
    const x = Math.fround(2 ** (uniform() * 250 - 125) * (1 + uniform()));
    const y = Math.fround(((uniform() * 2 - 1) * 2 ** (uniform() * 7.3)) / Math.log2(x));
    const neg = i % 8 === 0;
    xs.push(neg ? -x : x), ys.push(neg ? Math.round(y) : y);
  }
  return [Float32Array.from(xs), Float32Array.from(ys)];
}
const POW_SAMPLE = powSample();
/** Each function's sample: bases (or arguments) and exponents (pow only). */
const sampleOf = (fn: VecMathOp): [Float32Array, Float32Array] => (fn === "pow" ? POW_SAMPLE : [SAMPLE, SAMPLE]);

/**
 * The documented maximum error in float32 ulps over the whole domain (docs/numerics.md, from
 * scripts/vecmath-accuracy.ts with a margin for what a sweep can miss); sin and cos for all
 * |x| (above 12800 the host's Math is used). pow: where |y·log2|x|| ≤ 64 (results in
 * [2^-64, 2^64]); up to the overflow and underflow thresholds, POW_FAR_ULP.
 */
const MAX_ULP: Record<VecMathOp, number> = {
  exp: 1, expm1: 2, log: 1, log1p: 1, tanh: 1.5, logistic: 2, sin: 3, cos: 3, erf: 2.5, pow: 4,
};
/** pow's error grows with y·log2|x| (log's relative error, multiplied): the bound past 64. */
const POW_FAR_ULP = 6;
const boundOf = (fn: VecMathOp, x: number, y: number) => (fn === "pow" && Math.abs(y * Math.log2(Math.abs(x))) > 64 ? POW_FAR_ULP : MAX_ULP[fn]);

describe("wasm vector math", () => {
  it("every function's module validates and computes its function", () => {
    for (const fn of VECMATH_OPS) {
      expect(WebAssembly.validate(vecMathModule(fn)), fn).to.equal(true);
      const xs = Float32Array.of(0.25, 0.75, 1.5, 2, 0.125), ys = Float32Array.of(2, -0.5, 3, 0.25, 1);
      const got = wasmLanes(fn, xs, ys);
      xs.forEach((x, i) => expect(Math.abs(got[i]! - VECMATH_REFERENCE[fn](x, ys[i]!)), `${fn}(${x})`).to.be.below(1e-6));
    }
  });

  it("wasm lanes equal the JS twin bit for bit (any NaN is NaN), over the whole domain and the specials", () => {
    for (const fn of VECMATH_OPS) {
      const [xs, ys] = sampleOf(fn);
      const got = wasmLanes(fn, xs, ys), twin = VECMATH_JS[fn];
      let bad = 0, first = "";
      xs.forEach((x, i) => {
        const t = twin(x, ys[i]);
        if (!sameValue(got[i]!, t)) first ||= `${fn}(${x}, ${ys[i]}): wasm ${got[i]}, JS ${t}`, bad++;
      });
      expect(bad, first).to.equal(0);
    }
  });

  it("the error stays within the documented bound (ulps of float32, against float64)", () => {
    for (const fn of VECMATH_OPS) {
      const [xs, ys] = sampleOf(fn);
      const got = wasmLanes(fn, xs, ys), ref = VECMATH_REFERENCE[fn];
      let worst = 0, at = "";
      xs.forEach((x, i) => {
        const e = ulpError(got[i]!, ref(x, ys[i]!)) / boundOf(fn, x, ys[i]!);
        if (e > worst) worst = e, at = `${x}, ${ys[i]}`;
      });
      expect(worst, `${fn}: ${worst.toFixed(3)} of the bound at (${at})`).to.be.at.most(1);
    }
  });

  it("special values are exact: infinities, NaN, signed zeros, subnormals, domain edges", () => {
    const S = 2 ** -149, NEG_S = -(2 ** -149);
    const cases: Record<VecMathOp, [number, number][]> = {
      exp: [[Infinity, Infinity], [-Infinity, 0], [0, 1], [-0, 1], [88.72283172607422, 3.402798519021476e38], [88.72283935546875, Infinity], [-103.97207641601562, S], [-103.97208404541016, 0], [S, 1]],
      expm1: [[Infinity, Infinity], [-Infinity, -1], [0, 0], [-0, -0], [S, S], [NEG_S, NEG_S], [-20, -1], [88.73, Infinity]],
      log: [[Infinity, Infinity], [-Infinity, NaN], [0, -Infinity], [-0, -Infinity], [-1, NaN], [NEG_S, NaN], [1, 0], [S, -103.27893]],
      log1p: [[Infinity, Infinity], [-1, -Infinity], [-1.5, NaN], [-Infinity, NaN], [0, 0], [-0, -0], [S, S], [NEG_S, NEG_S]],
      tanh: [[Infinity, 1], [-Infinity, -1], [0, 0], [-0, -0], [S, S], [NEG_S, NEG_S], [20, 1], [-20, -1]],
      logistic: [[Infinity, 1], [-Infinity, 0], [0, 0.5], [-0, 0.5], [-200, 0], [20, 1]],
      sin: [[Infinity, NaN], [-Infinity, NaN], [0, 0], [-0, -0], [S, S], [NEG_S, NEG_S]],
      cos: [[Infinity, NaN], [-Infinity, NaN], [0, 1], [-0, 1], [S, 1]],
      erf: [[Infinity, 1], [-Infinity, -1], [0, 0], [-0, -0], [S, S], [NEG_S, NEG_S], [4, 1], [-4, -1]],
      pow: [], // a binary function: its own test below
    };
    for (const fn of VECMATH_OPS.filter((f) => f !== "pow")) {
      const xs = Float32Array.from([...cases[fn].map(([x]) => x), NaN, fromBits(0x7fc00001), fromBits(0xffc12345 | 0)]);
      const want = [...cases[fn].map(([, y]) => Math.fround(y)), NaN, NaN, NaN];
      const got = wasmLanes(fn, xs);
      xs.forEach((x, i) => {
        expect(sameValue(got[i]!, want[i]!), `${fn}(${x}) = ${got[i]}, want ${want[i]}`).to.equal(true);
        expect(sameValue(VECMATH_JS[fn](x), want[i]!), `JS ${fn}(${x})`).to.equal(true);
      });
    }
  });

  it("pow's special cases are JavaScript's Math.pow exactly (pow(1, NaN) and pow(±1, ±inf) are NaN, pow(NaN, 0) = 1)", () => {
    const cases: [number, number, number][] = [
      [NaN, 0, 1], [NaN, -0, 1], [1, NaN, NaN], [1, Infinity, NaN], [-1, -Infinity, NaN], [1, 3, 1], [-1, 3, -1], [-1, 2, 1],
      [0, 3, 0], [-0, 3, -0], [-0, 2, 0], [-0, -3, -Infinity], [-0, -2, Infinity], [0, -1, Infinity], [-0, 0.5, 0],
      [Infinity, 2, Infinity], [Infinity, -2, 0], [-Infinity, 3, -Infinity], [-Infinity, -3, -0], [-Infinity, 0.5, Infinity], [-Infinity, -2, 0],
      [2, Infinity, Infinity], [0.5, Infinity, 0], [2, -Infinity, 0], [0.5, -Infinity, Infinity], [-2, Infinity, Infinity],
      [-2, 0.5, NaN], [-8, 1 / 3, NaN], [-2, 3, -8], [-2, 16777216, Infinity], [-0.5, 16777215, -0], [2, 128, Infinity], [2, -150, 0], [2, -149, 2 ** -149],
    ];
    const xs = Float32Array.from(cases.map(([x]) => x)), ys = Float32Array.from(cases.map(([, y]) => y));
    const got = wasmLanes("pow", xs, ys);
    cases.forEach(([x, y, want], i) => {
      expect(sameValue(Math.fround(Math.pow(Math.fround(x), Math.fround(y))), want), `the case pow(${x}, ${y}) itself`).to.equal(true);
      expect(sameValue(got[i]!, want), `pow(${x}, ${y}) = ${got[i]}, want ${want}`).to.equal(true);
      expect(sameValue(VECMATH_JS.pow(x, y), want), `JS pow(${x}, ${y})`).to.equal(true);
    });
  });

  it("sin and cos call the host only for lanes past the exact reduction (|x| > 12800)", () => {
    for (const fn of ["sin", "cos"] as const) {
      hostCalls.n = 0;
      wasmLanes(fn, Float32Array.of(1, -12800, 12799.99, 3));
      expect(hostCalls.n).to.equal(0);
      const got = wasmLanes(fn, Float32Array.of(1, 12801, 2, 1e30));
      expect(hostCalls.n).to.equal(2);
      expect(got[3]).to.equal(Math.fround(Math[fn](Math.fround(1e30))));
    }
  });

  it("ulpError: exact specials or infinitely wrong", () => {
    expect(ulpError(-0, 0)).to.equal(Infinity);
    expect(ulpError(NaN, NaN)).to.equal(0);
    expect(ulpError(1, NaN)).to.equal(Infinity);
    expect(ulpError(Infinity, 1e39)).to.equal(0);
    expect(ulpError(3.4028234663852886e38, 1e39)).to.equal(Infinity);
    expect(ulpError(Math.fround(1 + 2 ** -23), 1)).to.equal(1);
    expect(ulpError(2 ** -148, 2 ** -149)).to.equal(1);
  });
});
