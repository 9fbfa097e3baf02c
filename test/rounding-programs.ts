/**
 * Random programs for the rounding property (docs/architecture.md, "Rounding: one value, one set of
 * bits"): f, jit(f), grad(f) and jit(grad(f)) must agree on a backend, because every value has one
 * set of bits whichever kernel computes it. The steps are chosen to put equality masks behind
 * recomputed values — max/min reductions of computed operands, maximum/minimum, clip, where on a
 * comparison — the derivatives that took the wrong branch when a fused kernel kept more precision
 * than the stored value it was compared with (issue 11 item 2, issue 19).
 */
import { expect } from "chai";
import fc from "fast-check";
import { type Tensor, grad, jit, np } from "kiln";

/** One step: the running value v (shape [n]) and the inputs a ([n]), b ([n], nonzero) and c (scalar). */
type Step = (v: Tensor, a: Tensor, b: Tensor, c: Tensor) => Tensor;

export const STEPS: Record<string, Step> = {
  ratio: (v, _a, b) => v.div(b),
  // Issue 19's shape: a select on a comparison of a recomputed quotient, then maximum with a constant.
  whereLess: (v, a, b, c) => np.where(np.less(v.div(b), 0.5), np.multiply(c, a), v.div(b)),
  maximumConst: (v) => np.maximum(v, -0.75),
  maximum: (v, a) => np.maximum(v, a.mul(0.3)),
  minimum: (v, _a, b) => np.minimum(v, b.mul(0.7)),
  clip: (v) => np.clip(v, -0.9, 0.8),
  log1p: (v) => np.log1p(np.abs(v)),
  tanh: (v, a) => np.tanh(v.mul(1.37).add(a)),
  // Issue 11 item 2's shape: the max of an einsum by a scalar.
  maxOfScaled: (v, _a, _b, c) => v.add(np.max(np.einsum("a,->a", v, c))),
  minOfProduct: (v, a) => v.sub(np.min(v.mul(a)).mul(0.5)),
  rowMax: (v) => {
    const m = v.reshape([2, -1]);
    return m.sub(np.max(m, { axis: 1, keepdims: true })).reshape([-1]);
  },
  sumMix: (v, a) => v.add(np.sum(v.mul(a)).mul(0.1)),
};
export const STEP_NAMES = Object.keys(STEPS);

function run(names: readonly string[], a: Tensor, b: Tensor, c: Tensor): Tensor {
  let v = a;
  for (const name of names) v = STEPS[name]!(v, a, b, c);
  return v;
}

export function program(names: readonly string[]): (a: Tensor, b: Tensor, c: Tensor) => Tensor {
  return (a, b, c) => {
    const v = run(names, a, b, c);
    return np.sum(v.mul(v).mul(0.5).add(v));
  };
}

/**
 * Which way the program's equality masks go, as int32 counts: how many elements equal the max and
 * the min of the result, and how many quotients lie below 0.5. Compared bitwise.
 */
export function maskCounts(names: readonly string[]): (a: Tensor, b: Tensor, c: Tensor) => Tensor {
  return (a, b, c) => {
    const v = run(names, a, b, c);
    const count = (m: Tensor) => np.sum(m.astype("int32"));
    return np.stack([count(np.equal(v, np.max(v))), count(np.equal(v, np.min(v))), count(np.less(v.div(b), 0.5))]);
  };
}

/** |x - y| <= atol + rtol·|y|, NaN only against NaN. */
function close(x: number, y: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(y) || Number.isNaN(x)) return Number.isNaN(x) && Number.isNaN(y);
  return Math.abs(x - y) <= atol + rtol * Math.abs(y);
}

export interface RoundingTol {
  readonly rtol: number;
  readonly atol: number;
}

/**
 * Runs one random program as f, jit(f), grad(f) and jit(grad(f)) on the active backend and checks
 * that the four agree (a derivative that took another branch differs by O(1), far outside `tol`).
 */
export async function checkProgram(names: readonly string[], seed: number, tol: RoundingTol): Promise<void> {
  const n = 6;
  const r = (k: number) => Math.sin(seed * 12.9898 + k * 78.233) * 1.7;
  const a = np.array(Array.from({ length: n }, (_, i) => r(i)));
  const b = np.array(Array.from({ length: n }, (_, i) => (r(i + n) >= 0 ? 1 : -1) * (0.5 + Math.abs(r(i + n)) / 2)));
  const c = np.array(r(2 * n));
  const f = program(names);
  const g = grad(f, { argnums: [0, 1, 2] });
  const values = async (ts: Tensor | Tensor[]) => (await Promise.all((Array.isArray(ts) ? ts : [ts]).map(async (t) => Array.from(await t.data())))).flat();
  const fe = await values(f(a, b, c));
  const fj = await values(jit(f)(a, b, c));
  const ge = await values(g(a, b, c) as Tensor[]);
  const gj = await values(jit(g)(a, b, c) as Tensor[]);
  const where = `program [${names.join(", ")}] seed ${seed}`;
  const counts = maskCounts(names);
  const ce = await values(counts(a, b, c)), cj = await values(jit(counts)(a, b, c));
  expect(cj, `${where}: mask counts, jit vs eager`).to.deep.equal(ce);
  expect(ce[0]! >= 1 && ce[1]! >= 1, `${where}: the max and the min are among the values (${ce})`).to.equal(true);
  expect(close(fj[0]!, fe[0]!, tol.rtol, tol.atol), `${where}: jit(f) ${fj} vs f ${fe}`).to.equal(true);
  ge.forEach((x, i) => expect(close(gj[i]!, x, tol.rtol, tol.atol), `${where}: jit(grad(f)) ${gj} vs grad(f) ${ge}`).to.equal(true));
}

/** The property over random programs (fast-check drives the choice of steps and data). */
export async function roundingProperty(tol: RoundingTol, numRuns: number, seed: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...STEP_NAMES), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      (names, s) => checkProgram(names, s, tol),
    ),
    { numRuns, seed },
  );
}
