/**
 * The gradient-check harness shared by the rule tests (a helper, not a test file: mocha does not
 * load it and the package build excludes it; gradcheck.test.ts shows that it can fail).
 *
 * For a function of float64 placeholders it checks, at random points (fast-check):
 *  - jvp(v) against central finite differences (f(x + hv) - f(x - hv)) / 2h, computed by the interpreter;
 *  - vjp(u) against the finite-difference Jacobian, element by element;
 *  - <vjp(u), v> == <u, jvp(v)> to near machine precision;
 *  - second order: jvp of the vjp graph against finite differences of the vjp graph.
 */
import { expect } from "chai";
import fc from "fast-check";
import { type Node, Tensor, interpret, makeNode, np, npUtil, sizeOf } from "@kiln/core";
import { jvpNodes, vjpNodes } from "../derive.js";

const H = 1e-6;

export interface GradCase {
  /** Shapes of the differentiated float64 arguments. */
  shapes: readonly (readonly number[])[];
  /** Values of the arguments, one flat array each (keep them inside the function's smooth domain). */
  args: fc.Arbitrary<number[][]>;
  /** The function under test, built from placeholder Tensors. */
  f: (...xs: Tensor[]) => Tensor;
  runs?: number;
  /** Tolerance of the finite-difference comparisons (scaled by the magnitude of the values). */
  tol?: number;
  /** Also check jvp-of-vjp (default true). */
  secondOrder?: boolean;
}

/** A float64 Tensor holding `values` in `shape`. */
export function f64(values: ArrayLike<number>, shape: readonly number[]): Tensor {
  return npUtil.reshapeRaw(np.array(Array.from(values), { dtype: "float64" }), shape);
}

export function placeholder(shape: readonly number[], label: string, dtype: "float64" | "int32" = "float64"): Tensor {
  return new Tensor(makeNode("input", [], { label }, { shape: [...shape], dtype }));
}

/** Realized values of `t` (float64 reference interpreter), placeholders taken from `env`. */
export function evaluate(t: Tensor, env: ReadonlyMap<Node, Float64Array> = new Map()): Float64Array {
  return interpret([t.node], new Map(env))[0]!;
}

// Values generators -------------------------------------------------------------------------

export const uniform = (n: number, lo: number, hi: number): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min: lo, max: hi, noNaN: true }), { minLength: n, maxLength: n });

/** |v| in [lo, hi] with either sign: stays clear of a kink or pole at 0. */
export const awayFromZero = (n: number, lo: number, hi: number): fc.Arbitrary<number[]> =>
  fc.array(fc.tuple(fc.boolean(), fc.double({ min: lo, max: hi, noNaN: true })).map(([s, v]) => (s ? v : -v)), {
    minLength: n,
    maxLength: n,
  });

/** n values at least 0.2 apart (no ties for max/min/sort-like rules). */
export const distinct = (n: number): fc.Arbitrary<number[]> =>
  fc
    .tuple(fc.uniqueArray(fc.integer({ min: -40, max: 40 }), { minLength: n, maxLength: n }), uniform(n, 0, 0.05))
    .map(([ks, noise]) => ks.map((k, i) => k * 0.25 + noise[i]!));

export const args = (...gens: fc.Arbitrary<number[]>[]): fc.Arbitrary<number[][]> =>
  fc.tuple(...gens).map((vs) => vs as number[][]);

// Checks --------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(...xs: ArrayLike<number>[]): number {
  let m = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

/** |actual - expected| <= tol · (1 + scale + max|expected|), elementwise. */
export function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, scale = 0): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  const atol = tol * (1 + scale + maxAbs(expected));
  for (let i = 0; i < actual.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > atol) {
      expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (atol ${atol.toPrecision(3)})\n` +
        `actual:   ${Array.from(actual).slice(0, 12).map((v) => v.toPrecision(8))}\n` +
        `expected: ${Array.from(expected).slice(0, 12).map((v) => v.toPrecision(8))}`);
    }
  }
}

/** Runs every check of the module doc on `c`; throws (an assertion error) at the first mismatch. */
export function checkGradients(c: GradCase): void {
  const tol = c.tol ?? 1e-7;
  fc.assert(
    fc.property(c.args, fc.integer({ min: 1, max: 2 ** 31 - 1 }), (vals, seed) => {
      const xs = c.shapes.map((s, i) => placeholder(s, `x${i}`));
      const out = c.f(...xs);
      const envAt = (vs: readonly ArrayLike<number>[]) => new Map(xs.map((x, i) => [x.node, Float64Array.from(vs[i]!)]));
      const evalAt = (ts: readonly (Tensor | null)[], vs: readonly ArrayLike<number>[], like: readonly Tensor[]) => {
        const env = envAt(vs);
        return ts.map((t, i) => (t ? evaluate(t, env) : new Float64Array(like[i]!.size)));
      };
      /** Central difference of the tensors `ts` along the direction `dir` (one array per argument). */
      const fd = (ts: readonly Tensor[], dir: readonly Float64Array[]) => {
        const plus = evalAt(ts, vals.map((v, i) => v.map((x, j) => x + H * dir[i]![j]!)), ts);
        const minus = evalAt(ts, vals.map((v, i) => v.map((x, j) => x - H * dir[i]![j]!)), ts);
        return plus.map((p, k) => p.map((pv, j) => (pv - minus[k]![j]!) / (2 * H)));
      };
      const rand = rng(seed);
      const vs = c.shapes.map((s) => Float64Array.from({ length: sizeOf(s) }, rand));
      const u = Float64Array.from({ length: out.size }, rand);
      const f0 = evalAt([out], vals, [out])[0]!;
      const fScale = maxAbs(f0);

      // Forward mode against finite differences.
      const [t] = jvpNodes([out], new Map(xs.map((x, i) => [x.node, f64(vs[i]!, c.shapes[i]!)])));
      const jv = evalAt([t ?? null], vals, [out])[0]!;
      expectNear(jv, fd([out], vs)[0]!, tol, "jvp vs finite differences", fScale);

      // Reverse mode against the finite-difference Jacobian, one input element at a time.
      const cts = vjpNodes([out], [f64(u, out.shape)], xs.map((x) => x.node));
      const ctv = evalAt(cts, vals, xs);
      c.shapes.forEach((s, i) => {
        const col = new Float64Array(sizeOf(s));
        for (let j = 0; j < col.length; j++) {
          const e = c.shapes.map((s2, k) => Float64Array.from({ length: sizeOf(s2) }, (_, m) => (k === i && m === j ? 1 : 0)));
          col[j] = dot(fd([out], e)[0]!, u);
        }
        expectNear(ctv[i]!, col, tol, `vjp of argument ${i} vs finite differences`, fScale);
      });

      // Transposition: <vjp(u), v> == <u, jvp(v)>, up to rounding only.
      const lhs = ctv.reduce((acc, ct, i) => acc + dot(ct, vs[i]!), 0);
      const rhs = dot(u, jv);
      expect(Math.abs(lhs - rhs), `<vjp(u), v> = ${lhs} vs <u, jvp(v)> = ${rhs}`).to.be.at.most(1e-9 * (1 + Math.abs(rhs) + maxAbs(f0)));

      // Second order: the vjp graph is differentiable again (jvp of vjp against finite differences).
      if (c.secondOrder ?? true) {
        const grads = cts.map((g, i) => g ?? npUtil.fullRaw(xs[i]!.shape, 0, "float64"));
        const seeds = new Map(xs.map((x, i) => [x.node, f64(vs[i]!, c.shapes[i]!)]));
        const hv = evalAt(jvpNodes(grads, seeds), vals, grads);
        const fdHv = fd(grads, vs);
        hv.forEach((h, i) => expectNear(h, fdHv[i]!, tol, `jvp of the vjp of argument ${i} vs finite differences`, maxAbs(...ctv)));
      }
    }),
    // No shrinking: a shrunk input may fail a different check than the one that found the bug.
    { numRuns: c.runs ?? 20, includeErrorInReport: true, endOnFailure: true },
  );
}
