/**
 * The special-value matrix of the WGSL op table: every unary and binary primitive, for every
 * operand dtype the primitive table accepts (float32, int32, bool), plus every cast, compiles to
 * valid WGSL and agrees with the interpreter on NaN, ±inf, ±0, subnormals, the float32 extremes
 * and the int32 extremes (binary ops: every pair of values).
 *
 * Documented deviations (docs/webgpu.md, "Numerics"): a device may flush float32 subnormals to
 * zero, in inputs and in results, so an element passes if it matches the interpreter on the
 * original inputs or on the inputs with subnormals flushed (a subnormal result may read as zero);
 * transcendental functions are compared within their measured error bounds (numerics.test.ts
 * sweeps those) — here a loose relative tolerance, since this suite is about special values.
 */
import { expect } from "chai";
import {
  BINARY_PRIMS, type DType, PRIMITIVES, type Prim, type Tensor, UNARY_PRIMS, costClassOf, hostValues, interpret, npUtil, toTyped,
} from "@kiln/core";
import { tensor } from "../conformance/suite.js";
import { useWebgpu } from "./env.js";

const { apply } = npUtil;
const MIN_NORMAL = 2 ** -126;

const VALUES: Record<"float32" | "int32" | "bool", readonly number[]> = {
  float32: [
    0, -0, 1, -1, 0.5, -2.5, 3, 7, -7, 1e-7, 100, -100, 88.5, 16777218, NaN, Infinity, -Infinity,
    2 ** -149, -(2 ** -140), MIN_NORMAL - 2 ** -149, MIN_NORMAL, 3.4028234663852886e38, -3.4028234663852886e38,
  ],
  int32: [0, 1, -1, 2, -2, 7, -7, 31, 32, 46341, 65536, -65536, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 1],
  bool: [0, 1],
};
type TestDType = keyof typeof VALUES;
const DTYPES: readonly TestDType[] = ["float32", "int32", "bool"];

/** Flushes float32 subnormals to zero (keeping the sign), as a device may. */
const ftz = (v: number) => (v !== 0 && Math.abs(v) < MIN_NORMAL ? (v < 0 ? -0 : 0) : v);

/** Whether `prim` accepts operands of `dtype` (the primitive table's rule decides). */
function accepts(prim: Prim, arity: number, dtype: DType): boolean {
  try {
    PRIMITIVES[prim].infer!(Array.from({ length: arity }, () => ({ shape: [1], dtype })), {} as never);
    return true;
  } catch {
    return false;
  }
}

/** Operand columns: a unary op gets every value, a binary op every (a, b) pair. */
function operands(dtype: TestDType, arity: number, flush: boolean): number[][] {
  const v = VALUES[dtype].map((x) => (flush && dtype === "float32" ? ftz(x) : x));
  if (arity === 1) return [v];
  return [v.flatMap((a) => v.map(() => a)), v.flatMap(() => v)];
}

function build(prim: Prim, dtype: TestDType, cols: readonly number[][], params: object = {}): Tensor {
  return apply(prim, cols.map((c) => tensor(dtype, [c.length], (i) => c[i]!)), params as never);
}

/**
 * Transcendental functions (their rows' cost class): within 4 ulp here (numerics.test.ts measures
 * each bound); pow's bound grows with the result's exponent (2 + 2·|b·log2 a| ulp), so it gets a
 * relative 1e-4.
 */
const isTranscendental = (p: Prim): boolean => costClassOf(p) === "transcendental";

/**
 * The special functions' documented bounds (docs/webgpu.md, measured by special-numerics.test.ts):
 * ulps of max(|result|, floor) — lgamma and digamma have zeros, where the float32 formulas'
 * error is absolute (lgamma(-2.5) = log(pi) - lgamma(3.5) cancels to 0.056).
 */
const SPECIAL_BOUNDS: Partial<Record<Prim, { readonly ulps: number; readonly floor: number }>> = {
  erf: { ulps: 4, floor: 0 }, erfc: { ulps: 8, floor: 0 }, erfInv: { ulps: 8, floor: 0 },
  lgamma: { ulps: 8, floor: 1 }, digamma: { ulps: 8, floor: 1 }, trigamma: { ulps: 8, floor: 0 }, i0e: { ulps: 8, floor: 0 },
  i1e: { ulps: 8, floor: 0 },
};

const show = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

function agrees(g: number, w: number, rtol: number, floor = 0): boolean {
  if (Number.isNaN(w)) return Number.isNaN(g);
  if (!Number.isFinite(w)) return g === w;
  if (w === 0) return g === 0 && Object.is(g, w);
  return Math.abs(g - w) <= rtol * Math.max(Math.abs(w), floor);
}

async function check(prim: Prim, dtype: TestDType, arity: number, params: object = {}): Promise<void> {
  const cols = operands(dtype, arity, false);
  const want = interpret([build(prim, dtype, cols, params).node])[0]!;
  const wantFlushed = interpret([build(prim, dtype, operands(dtype, arity, true), params).node])[0]!;
  const out = build(prim, dtype, cols, params);
  const got = Array.from(await out.data());
  const special = SPECIAL_BOUNDS[prim];
  const rtol = prim === "pow" ? 1e-4 : special ? special.ulps * 2 ** -23 : isTranscendental(prim) ? 4 * 2 ** -23 : out.dtype === "float32" ? 1e-7 : 0;
  const floor = special?.floor ?? 0;
  const [ref, refFlushed] = [hostValues(toTyped(want, out.dtype), out.dtype), hostValues(toTyped(wantFlushed, out.dtype), out.dtype)];
  got.forEach((g, i) => {
    const w = ref[i]!, wf = refFlushed[i]!;
    const flushedOut = (x: number) => out.dtype === "float32" && agrees(g, ftz(x), rtol, floor);
    if (agrees(g, w, rtol, floor) || agrees(g, wf, rtol, floor) || flushedOut(w) || flushedOut(wf)) return;
    const args = cols.map((c) => show(c[i]!)).join(", ");
    expect.fail(`${prim}(${args}) on ${dtype}: webgpu gives ${show(g)}, the interpreter ${show(w)}`);
  });
}

describe("webgpu op matrix: every (primitive, dtype) compiles and agrees on special values", function () {
  this.timeout(120_000);
  useWebgpu();

  for (const prim of UNARY_PRIMS) {
    for (const dtype of DTYPES) {
      if (!accepts(prim, 1, dtype)) continue;
      it(`${prim} ${dtype}`, () => check(prim, dtype, 1));
    }
  }
  for (const prim of BINARY_PRIMS) {
    for (const dtype of DTYPES) {
      if (!accepts(prim, 2, dtype)) continue;
      it(`${prim} ${dtype}`, () => check(prim, dtype, 2));
    }
  }
  for (const from of DTYPES) {
    for (const to of DTYPES) it(`cast ${from} → ${to}`, () => check("cast", from, 1, { dtype: to }));
  }
});
