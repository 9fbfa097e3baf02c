/**
 * Accuracy of the WGSL transcendental functions, measured: each sweeps float32 inputs across its
 * domain (both signs, every binade from the smallest normal to overflow, dense near 0 and near the
 * overflow threshold) on the device, compares with float64 `Math.*` of the same float32 input,
 * and asserts the largest error in units in the last place (ulp of the float32 result) stays
 * within the bound docs/webgpu.md ("Numerics") states. Results below the smallest normal float32
 * may be flushed to zero (an absolute error of 2^-126 is accepted there).
 */
import { expect } from "chai";
import { np } from "kiln";
import { type Tensor } from "@kiln/core";
import { useWebgpu } from "./env.js";

const MIN_NORMAL = 2 ** -126;
/** KILN_REPORT_NUMERICS=1 prints each function's measured worst case (the numbers in docs/webgpu.md). */
const report = (line: string) => process.env.KILN_REPORT_NUMERICS && console.log(`    ${line}`);

/** Units in the last place of float32 at `v` (the spacing of float32 numbers there). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < MIN_NORMAL) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Float32 inputs: `perBinade` points in every binade of [lo, hi] (magnitudes), both signs if asked. */
function sweep(lo: number, hi: number, opts: { negative?: boolean; perBinade?: number; extra?: number[] } = {}): number[] {
  const out: number[] = [];
  const per = opts.perBinade ?? 256;
  for (let e = Math.floor(Math.log2(lo)); e <= Math.ceil(Math.log2(hi)); e++) {
    for (let k = 0; k < per; k++) {
      const v = Math.fround(2 ** e * (1 + (k + 0.37) / per));
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  out.push(...(opts.extra ?? []).map(Math.fround));
  return opts.negative ? [...out, ...out.map((v) => -v)] : out;
}

interface Fn {
  readonly name: string;
  readonly f: (x: Tensor) => Tensor;
  readonly ref: (x: number) => number;
  readonly inputs: number[];
  /** The documented bound, in ulps (docs/webgpu.md "Numerics"). */
  readonly ulps: number;
}

const all = (hi = 3.4e38) => sweep(MIN_NORMAL, hi, { negative: true, extra: [1e-7, 1e-5, 1e-3] });
const logistic = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Each function's domain and documented error bound. */
export const NUMERICS: readonly Fn[] = [
  { name: "exp", f: np.exp, ref: Math.exp, inputs: sweep(MIN_NORMAL, 88.72, { negative: true, extra: [88.7, 88.72, -95, -100, -103.9] }), ulps: 2 },
  { name: "expm1", f: np.expm1, ref: Math.expm1, inputs: sweep(MIN_NORMAL, 88.72, { negative: true, extra: [1e-7, 88.7] }), ulps: 2 },
  { name: "log", f: np.log, ref: Math.log, inputs: sweep(2 ** -149, 3.4e38, { extra: [1 + 2 ** -23, 1 - 2 ** -24, 0.75, 1.3] }), ulps: 3 },
  { name: "log1p", f: np.log1p, ref: Math.log1p, inputs: [...sweep(MIN_NORMAL, 3.4e38, { extra: [1e-7, 3.4e38] }), ...sweep(MIN_NORMAL, 0.99999994).map((v) => -v)], ulps: 4 },
  { name: "sqrt", f: np.sqrt, ref: Math.sqrt, inputs: sweep(2 ** -149, 3.4e38), ulps: 1 },
  { name: "sin", f: np.sin, ref: Math.sin, inputs: sweep(MIN_NORMAL, 3.4e38, { negative: true, perBinade: 16 }), ulps: 3 },
  { name: "cos", f: np.cos, ref: Math.cos, inputs: sweep(MIN_NORMAL, 3.4e38, { negative: true, perBinade: 16 }), ulps: 3 },
  { name: "tan", f: np.tan, ref: Math.tan, inputs: sweep(MIN_NORMAL, 3.4e38, { negative: true, perBinade: 16 }), ulps: 4 },
  { name: "arcsin", f: np.arcsin, ref: Math.asin, inputs: sweep(MIN_NORMAL, 1, { negative: true }), ulps: 3 },
  { name: "arccos", f: np.arccos, ref: Math.acos, inputs: sweep(MIN_NORMAL, 1, { negative: true }), ulps: 3 },
  { name: "arctan", f: np.arctan, ref: Math.atan, inputs: all(), ulps: 2 },
  { name: "sinh", f: np.sinh, ref: Math.sinh, inputs: sweep(MIN_NORMAL, 89.41, { negative: true, extra: [1e-5, 89.4] }), ulps: 3 },
  { name: "cosh", f: np.cosh, ref: Math.cosh, inputs: sweep(MIN_NORMAL, 89.41, { negative: true, extra: [89.4] }), ulps: 2 },
  { name: "tanh", f: np.tanh, ref: Math.tanh, inputs: all(), ulps: 3 },
  // Around -87.33654, where sigmoid's result leaves the normal float32 range (flushed to 0 beyond).
  { name: "sigmoid", f: (x) => np.sigmoid(x), ref: logistic, inputs: [...all(), ...[-87.3365, -87.33654, -87.33655, -87.4, -88.72, -88.73, -103.9].map(Math.fround)], ulps: 3 },
];

/** Binary functions over a grid of (a, b) pairs. */
interface Fn2 {
  readonly name: string;
  readonly f: (a: Tensor, b: Tensor) => Tensor;
  readonly ref: (a: number, b: number) => number;
  readonly a: number[];
  readonly b: number[];
  /** The documented bound at (a, b), in ulps. */
  readonly ulps: (a: number, b: number) => number;
  readonly bound: string;
}

const grid = (n: number, lo: number, hi: number) => Array.from({ length: n }, (_, i) => Math.fround(lo + ((hi - lo) * (i + 0.31)) / n));
export const NUMERICS2: readonly Fn2[] = [
  { name: "arctan2", f: np.arctan2, ref: Math.atan2, a: [...sweep(1e-30, 1e30, { negative: true, perBinade: 2 }), 0], b: [...sweep(1e-30, 1e30, { negative: true, perBinade: 2 }), 0], ulps: () => 2, bound: "2" },
  // pow(a, b) = exp(b · log a): rounding b · log a to float32 costs about |b · log2 a| ulp.
  { name: "power", f: np.power, ref: Math.pow, a: sweep(1e-3, 1e3, { perBinade: 16 }), b: grid(64, -12, 12), ulps: (a, b) => 2 + 2 * Math.abs(b * Math.log2(a)), bound: "2 + 2·|b·log2 a|" },
];

/** Largest error in ulps of `got` against float64 `want` (one element). */
function ulpError(g: number, w64: number): number {
  const want = Math.fround(w64);
  if (Number.isNaN(want) || !Number.isFinite(want)) return Object.is(g, want) ? 0 : Infinity;
  if (Math.abs(want) < MIN_NORMAL) return Math.abs(g - want) <= MIN_NORMAL ? 0 : Math.abs(g - want) / ulp(want);
  return Math.abs(g - w64) / ulp(want);
}

/** Largest error in ulps over `inputs`, and where. */
async function measure(fn: Fn): Promise<{ ulps: number; at: number; got: number; want: number }> {
  const got = await fn.f(np.array(fn.inputs)).data();
  let worst = { ulps: 0, at: NaN, got: NaN, want: NaN };
  fn.inputs.forEach((x, i) => {
    const err = ulpError(got[i]!, fn.ref(x));
    if (!(err <= worst.ulps)) worst = { ulps: err, at: x, got: got[i]!, want: fn.ref(x) };
  });
  return worst;
}

describe("webgpu numerics: transcendental functions within their documented ulp bounds", function () {
  this.timeout(120_000);
  useWebgpu();

  for (const fn of NUMERICS) {
    it(`${fn.name}: at most ${fn.ulps} ulp`, async () => {
      const m = await measure(fn);
      report(`${fn.name}: ${m.ulps.toFixed(2)} ulp at ${m.at} (got ${m.got}, float64 ${m.want})`);
      expect(m.ulps, `${fn.name}(${m.at}) = ${m.got}, float64 gives ${m.want}`).to.be.at.most(fn.ulps);
    });
  }

  for (const fn of NUMERICS2) {
    it(`${fn.name}: at most ${fn.bound} ulp`, async () => {
      const as = fn.a.flatMap((a) => fn.b.map(() => a)), bs = fn.a.flatMap(() => fn.b);
      const got = await fn.f(np.array(as), np.array(bs)).data();
      // The worst ratio of error to bound (a ratio above 1 fails).
      let worst = { ratio: 0, ulps: 0, at: "" };
      as.forEach((a, i) => {
        const err = ulpError(got[i]!, fn.ref(a, bs[i]!));
        const ratio = err / fn.ulps(a, bs[i]!);
        if (!(ratio <= worst.ratio)) worst = { ratio, ulps: err, at: `(${a}, ${bs[i]}): got ${got[i]}, float64 ${fn.ref(a, bs[i]!)}` };
      });
      report(`${fn.name}: ${worst.ulps.toFixed(2)} ulp (${(100 * worst.ratio).toFixed(0)}% of the bound) at ${worst.at}`);
      expect(worst.ratio, `${fn.name}${worst.at}: ${worst.ulps} ulp`).to.be.at.most(1);
    });
  }

  it("the tracker's cases: tanh(1e-5), expm1(1e-7), log1p(1e-7) accurate; expm1(88.7), log1p(3.4e38) finite", async () => {
    const [t, e, l] = await Promise.all([np.tanh(np.array([1e-5])), np.expm1(np.array([1e-7, 88.7])), np.log1p(np.array([1e-7, 3.4e38]))].map((x) => x.data()));
    const rel = (g: number, w: number) => Math.abs(g - w) / Math.abs(w);
    expect(rel(t![0]!, Math.tanh(Math.fround(1e-5)))).to.be.below(2e-7);
    expect(rel(e![0]!, Math.expm1(Math.fround(1e-7)))).to.be.below(2e-7);
    expect(rel(l![0]!, Math.log1p(Math.fround(1e-7)))).to.be.below(2e-7);
    expect(rel(e![1]!, Math.expm1(Math.fround(88.7)))).to.be.below(1e-5);
    expect(rel(l![1]!, Math.log1p(Math.fround(3.4e38)))).to.be.below(2e-7);
  });
});
