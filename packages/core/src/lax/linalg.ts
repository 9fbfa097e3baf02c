/**
 * `lax.linalg`: JAX's `jax.lax.linalg` — the factorizations with JAX's lax-level conventions
 * (no promotion: float operands only; `qr`/`svd` full by default; `eigh` returns eigenvectors
 * first; `triangularSolve` solves from the right by default). Each is a thin layer over the same
 * primitives as `np.linalg` (`cholesky`, `lu`, `qr`, `eigh`, `svd`, `solve`), so derivatives,
 * batching and backends are theirs.
 */
import { isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import { fmtShape } from "../shape.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { add, equal, multiply, where } from "../np/elementwise.js";
import { linalg as npLinalg } from "../np/linalg.js";
import { eigh as npEigh } from "../np/linalg-eigh.js";
import { qr as npQr } from "../np/linalg-qr.js";
import { svd as npSvd } from "../np/linalg-svd.js";
import { matrixTranspose, tril, triu } from "../np/matrix-extra.js";
import { apply, asTensor, optionsOf } from "../np/util.js";
import { checkBool, iota } from "../np/compose-helpers.js";

/** A float (batch of) matrices [..., m, n] (`square`: m = n), as lax requires: no promotion. */
function floatMatrix(op: string, x: ArrayLike, square = false): Tensor {
  const t = asTensor(x, op);
  if (!isFloat(t.dtype)) throw new DTypeError(`${op}: expected a float matrix, got ${t.dtype} (lax does not promote; cast with astype)`);
  const r = t.ndim;
  if (r < 2 || (square && t.shape[r - 1] !== t.shape[r - 2])) {
    throw new ShapeError(`${op}: expected a (batch of) ${square ? "square matrices [..., n, n]" : "matrices [..., m, n]"}, got shape ${fmtShape(t.shape)}`);
  }
  return t;
}

/** (x + xᵀ) / 2 over the last two axes. */
const symmetrized = (x: Tensor): Tensor => multiply(add(x, matrixTranspose(x)), 0.5);

/** Options of {@link linalg.triangularSolve} (JAX's keyword arguments, camelCase). */
export interface TriangularSolveOptions {
  /** Solve `op(a) @ x = b` (true) or `x @ op(a) = b` (false, the default). */
  readonly leftSide?: boolean;
  /** Read `a`'s lower (true) or upper (false, the default) triangle; the other is ignored. */
  readonly lower?: boolean;
  /** op(a) = aᵀ (true) or a (false, the default). */
  readonly transposeA?: boolean;
  /** Conjugate `a` (real matrices: no effect). */
  readonly conjugateA?: boolean;
  /** Take `a`'s diagonal as ones (its stored diagonal is ignored). */
  readonly unitDiagonal?: boolean;
}

/**
 * The `lax.linalg` namespace (JAX's `jax.lax.linalg`).
 * @example
 * import { lax, np } from "kiln";
 * const [lu, pivots, perm] = lax.linalg.lu(np.array([[1, 2], [3, 4]])); // lu [[3, 4], [1/3, 2/3]], pivots [1, 1], perm [1, 0]
 * const x = lax.linalg.triangularSolve(np.array([[2, 0], [1, 4]]), np.array([[2], [9]]), { leftSide: true, lower: true }); // [[1], [2]]
 */
export const linalg = {
  /**
   * Lower Cholesky factor L (a = L Lᵀ) of a (batch of) symmetric positive-definite matrices.
   * With `symmetrizeInput` (default, as JAX) the factor is of (a + aᵀ)/2; without, only a's lower
   * triangle is read. Not positive-definite: NaN (as JAX), not an error.
   * @example lax.linalg.cholesky(np.array([[4, 2], [2, 3]])) // [[2, 0], [1, 1.414]]
   */
  cholesky(x: ArrayLike, options?: { symmetrizeInput?: boolean }, ...extra: undefined[]): Tensor {
    const op = "lax.linalg.cholesky";
    const o = optionsOf(op, options, op, extra);
    const t = floatMatrix(op, x, true);
    return apply("cholesky", [checkBool(op, "symmetrizeInput", o.symmetrizeInput, true) ? symmetrized(t) : t], {});
  },

  /**
   * LU with partial pivoting of a (batch of) m×n matrices, as `jax.lax.linalg.lu`: `[lu, pivots,
   * permutation]` — `lu` packs L (unit diagonal, strictly below) and U (on and above); `pivots`
   * (int32, min(m, n)) says row j was swapped with row pivots[j] at step j; `permutation` (int32,
   * m) is the row order: `a[permutation] = L @ U`. Computed as LAPACK's getrf (the largest
   * |entry| of the column is the pivot, the first on ties) in float64 on the host on every backend.
   * Differentiable in `lu` (JAX's rule; U must be invertible).
   * @example const [lu, pivots, perm] = lax.linalg.lu(np.array([[1, 2], [3, 4]])); // perm [1, 0]
   */
  lu(x: ArrayLike): [Tensor, Tensor, Tensor] {
    const t = floatMatrix("lax.linalg.lu", x);
    return [apply("lu", [t], { index: 0 }), apply("lu", [t], { index: 1 }), apply("lu", [t], { index: 2 })];
  },

  /**
   * QR of a (batch of) m×n matrices: `[q, r]`; `fullMatrices` (default true, as JAX's lax) gives
   * q m×m and r m×n, false the reduced k = min(m, n) forms. R's diagonal signs as LAPACK.
   * @example const [q, r] = lax.linalg.qr(np.array([[3], [4]])); // q [2, 2], r [[-5], [0]]
   */
  qr(x: ArrayLike, options?: { fullMatrices?: boolean }, ...extra: undefined[]): [Tensor, Tensor] {
    const op = "lax.linalg.qr";
    const o = optionsOf(op, options, op, extra);
    const full = checkBool(op, "fullMatrices", o.fullMatrices, true);
    return npQr(floatMatrix(op, x), { mode: full ? "complete" : "reduced" });
  },

  /**
   * Symmetric eigendecomposition, as `jax.lax.linalg.eigh`: `[v, w]` — eigenvectors (columns)
   * first, then ascending eigenvalues. `lower` picks the triangle read when `symmetrizeInput` is
   * false (default true: (a + aᵀ)/2). Eigenvalues are always sorted (`sortEigenvalues: false` is
   * accepted and gives the same, sorted, result).
   * @example const [v, w] = lax.linalg.eigh(np.array([[2, 1], [1, 2]])); // w = [1, 3]
   */
  eigh(x: ArrayLike, options?: { lower?: boolean; symmetrizeInput?: boolean; sortEigenvalues?: boolean }, ...extra: undefined[]): [Tensor, Tensor] {
    const op = "lax.linalg.eigh";
    const o = optionsOf(op, options, op, extra);
    const lower = checkBool(op, "lower", o.lower, true);
    const symmetrizeInput = checkBool(op, "symmetrizeInput", o.symmetrizeInput, true);
    checkBool(op, "sortEigenvalues", o.sortEigenvalues, true);
    const [w, v] = npEigh(floatMatrix(op, x, true), { UPLO: lower ? "L" : "U", symmetrizeInput });
    return [v, w];
  },

  /**
   * Singular value decomposition, as `jax.lax.linalg.svd`: `[u, s, vh]` (`fullMatrices` default
   * true), or only `s` with `computeUv: false`.
   * @example const s = lax.linalg.svd(np.array([[3, 0], [0, -4]]), { computeUv: false }); // [4, 3]
   */
  svd: ((x: ArrayLike, options?: { fullMatrices?: boolean; computeUv?: boolean }, ...extra: undefined[]) => {
    const op = "lax.linalg.svd";
    const o = optionsOf(op, options, op, extra);
    return npSvd(floatMatrix(op, x), { fullMatrices: checkBool(op, "fullMatrices", o.fullMatrices, true), computeUv: checkBool(op, "computeUv", o.computeUv, true) });
  }) as {
    (x: ArrayLike, options: { fullMatrices?: boolean; computeUv: false }): Tensor;
    (x: ArrayLike, options?: { fullMatrices?: boolean; computeUv?: true }): [Tensor, Tensor, Tensor];
  },

  /**
   * Solves a triangular system, as `jax.lax.linalg.triangular_solve`: `op(a) @ x = b`
   * (`leftSide: true`) or `x @ op(a) = b` (default), op(a) = a or aᵀ (`transposeA`), reading only
   * `a`'s `lower` (default false: upper) triangle, with ones on the diagonal if `unitDiagonal`.
   * `a` is [..., m, m], `b` [..., m, n] (left) or [..., n, m] (right); batch dims broadcast.
   * Solved by the `solve` primitive on the masked triangle (LU with pivoting, float64 on the host),
   * so a singular triangle gives inf/NaN as JAX; derivatives reach only the triangle read.
   * @example lax.linalg.triangularSolve(np.array([[2, 0], [1, 4]]), np.array([[2], [9]]), { leftSide: true, lower: true }) // [[1], [2]]
   */
  triangularSolve(a: ArrayLike, b: ArrayLike, options?: TriangularSolveOptions, ...extra: undefined[]): Tensor {
    const op = "lax.linalg.triangularSolve";
    const o = optionsOf(op, options, op, extra);
    const leftSide = checkBool(op, "leftSide", o.leftSide, false);
    const lower = checkBool(op, "lower", o.lower, false);
    const transposeA = checkBool(op, "transposeA", o.transposeA, false);
    checkBool(op, "conjugateA", o.conjugateA, false);
    const unitDiagonal = checkBool(op, "unitDiagonal", o.unitDiagonal, false);
    const ta = floatMatrix(op, a, true);
    const tb = floatMatrix(op, b);
    if (tb.dtype !== ta.dtype) throw new DTypeError(`${op}: a is ${ta.dtype} but b is ${tb.dtype} (lax does not promote)`);
    const m = ta.shape[ta.ndim - 1]!;
    const side = tb.shape[tb.ndim - (leftSide ? 2 : 1)]!;
    if (side !== m) {
      throw new ShapeError(`${op}: a has shape ${fmtShape(ta.shape)} but b has shape ${fmtShape(tb.shape)}; b's ${leftSide ? "rows" : "columns"} must be ${m}`);
    }
    let tri = lower ? tril(ta) : triu(ta);
    if (unitDiagonal) {
      const r = ta.ndim;
      tri = where(equal(iota(ta.shape, r - 2), iota(ta.shape, r - 1)), 1, tri);
    }
    const opA = transposeA ? matrixTranspose(tri) : tri;
    // x · op(a) = b  ⇔  op(a)ᵀ · xᵀ = bᵀ
    return leftSide ? npLinalg.solve(opA, tb) : matrixTranspose(npLinalg.solve(matrixTranspose(opA), matrixTranspose(tb)));
  },
};
