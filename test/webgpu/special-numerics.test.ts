/**
 * Accuracy of the WGSL special functions (wgsl-prelude.ts: erf_, erfc_, erfInv_, lgamma_,
 * digamma_, trigamma_, i0e_, i1e_), measured on the device against the float64 references (core's
 * special-f64.ts) of the same float32 inputs. The error is in ulps of the float32 result — of
 * max(|result|, 1) for lgamma and digamma, which have zeros (an absolute error of 2^-23 near them).
 * Results below the smallest normal float32 may be flushed (2^-126 absolute is accepted there).
 * The bounds are the ones docs/webgpu.md ("Numerics") and docs/numerics.md state;
 * KILN_REPORT_NUMERICS=1 prints the measured worst cases.
 */
import { expect } from "chai";
import { lax } from "kiln";
import { digammaF64, erfF64, erfInvF64, erfcF64, i0eF64, i1eF64, lgammaF64, np, trigammaF64, type Tensor } from "@kiln/core";
import { useWebgpu } from "./env.js";

const MIN_NORMAL = 2 ** -126;
const report = (line: string) => process.env.KILN_REPORT_NUMERICS && console.log(`    ${line}`);

function ulp(v: number): number {
  const a = Math.abs(v);
  return a < MIN_NORMAL ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Float32 inputs: `per` points in every binade of [lo, hi], both signs if asked. */
function sweep(lo: number, hi: number, opts: { negative?: boolean; per?: number } = {}): number[] {
  const out: number[] = [];
  const per = opts.per ?? 128;
  for (let e = Math.floor(Math.log2(lo)); e <= Math.ceil(Math.log2(hi)); e++) {
    for (let k = 0; k < per; k++) {
      const v = Math.fround(2 ** e * (1 + (k + 0.37) / per));
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return opts.negative ? [...out, ...out.map((v) => -v)] : out;
}

/** n float32 points evenly spread over (lo, hi), none an integer. */
const grid = (n: number, lo: number, hi: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(lo + ((hi - lo) * (i + 0.31)) / n)).filter((v) => !Number.isInteger(v));

interface SpecialFn {
  readonly name: string;
  readonly f: (x: Tensor) => Tensor;
  readonly ref: (x: number) => number;
  readonly inputs: number[];
  /** Errors are in ulps of max(|result|, floor): 0 for relative, 1 where the function has zeros. */
  readonly floor: number;
  /** The documented bound in those ulps. */
  readonly ulps: number;
}

export const SPECIAL_NUMERICS: readonly SpecialFn[] = [
  { name: "erf", f: lax.erf, ref: erfF64, inputs: sweep(MIN_NORMAL, 10, { negative: true }), floor: 0, ulps: 4 },
  { name: "erfc", f: lax.erfc, ref: erfcF64, inputs: [...sweep(MIN_NORMAL, 10.1, { negative: true }), ...grid(2000, -4, 10.1)], floor: 0, ulps: 8 },
  { name: "erfInv", f: lax.erfInv, ref: erfInvF64, inputs: [...sweep(MIN_NORMAL, 0.99999994, { negative: true }), ...grid(2000, -1, 1)], floor: 0, ulps: 8 },
  { name: "lgamma", f: lax.lgamma, ref: lgammaF64, inputs: [...sweep(MIN_NORMAL, 1e36), ...grid(4000, -30, 10)], floor: 1, ulps: 8 },
  { name: "digamma", f: lax.digamma, ref: digammaF64, inputs: [...sweep(MIN_NORMAL, 3e38), ...grid(4000, -30, 10)], floor: 1, ulps: 8 },
  { name: "trigamma", f: lax.trigamma, ref: trigammaF64, inputs: [...sweep(2e-19, 3e38), ...grid(4000, -30, 10)], floor: 0, ulps: 8 },
  { name: "i0e", f: lax.besselI0e, ref: i0eF64, inputs: [...sweep(MIN_NORMAL, 3e38, { negative: true }), ...grid(4000, -30, 30)], floor: 0, ulps: 8 },
  { name: "i1e", f: lax.besselI1e, ref: i1eF64, inputs: [...sweep(MIN_NORMAL, 3e38, { negative: true }), ...grid(4000, -30, 30)], floor: 0, ulps: 8 },
];

/** Error of float32 `g` against float64 `w`, in ulps of max(|w|, floor). */
function errorUlps(g: number, w: number, floor: number): number {
  const want = Math.fround(w);
  if (Number.isNaN(want) || !Number.isFinite(want)) return Object.is(g, want) ? 0 : Infinity;
  if (Math.abs(want) < MIN_NORMAL) return Math.abs(g - want) <= MIN_NORMAL ? 0 : Math.abs(g - want) / ulp(want);
  return Math.abs(g - w) / ulp(Math.max(Math.abs(want), floor));
}

/** The worst error of `fn` over its inputs on the active backend. */
export async function measureSpecial(fn: SpecialFn): Promise<{ ulps: number; at: number; got: number; want: number }> {
  const got = await fn.f(np.array(fn.inputs, { dtype: "float32" })).data();
  let worst = { ulps: 0, at: NaN, got: NaN, want: NaN };
  fn.inputs.forEach((x, i) => {
    const e = errorUlps(got[i]!, fn.ref(x), fn.floor);
    if (!(e <= worst.ulps)) worst = { ulps: e, at: x, got: got[i]!, want: fn.ref(x) };
  });
  return worst;
}

describe("webgpu numerics: special functions within their documented bounds", function () {
  this.timeout(120_000);
  useWebgpu();

  for (const fn of SPECIAL_NUMERICS) {
    it(`${fn.name}: at most ${fn.ulps} ulp${fn.floor ? " of max(|result|, 1)" : ""}`, async () => {
      const m = await measureSpecial(fn);
      report(`${fn.name}: ${m.ulps.toFixed(2)} ulp at ${m.at} (got ${m.got}, float64 ${m.want})`);
      expect(m.ulps, `${fn.name}(${m.at}) = ${m.got}, float64 gives ${m.want}`).to.be.at.most(fn.ulps);
    });
  }

  it("special values: signed zeros, infinities, NaN and poles as the reference", async () => {
    const xs = [0, -0, Infinity, -Infinity, NaN, -1, -2, 1, 2, -2.5, 0.5];
    for (const fn of SPECIAL_NUMERICS) {
      const got = Array.from(await fn.f(np.array(xs, { dtype: "float32" })).data());
      const want = xs.map((x) => Math.fround(fn.ref(x)));
      got.forEach((g, i) => {
        const w = want[i]!;
        const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) || w === 0 ? Object.is(g, w) || (w === 0 && g === 0) : Math.abs(g - w) <= fn.ulps * ulp(Math.max(Math.abs(w), fn.floor));
        expect(ok, `${fn.name}(${xs[i]}) = ${g}, reference ${w}`).to.equal(true);
      });
    }
  });
});
