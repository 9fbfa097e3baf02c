/**
 * The float64 LU factorization with partial pivoting shared by the interpreter (the spec) and the
 * host library kernel — LAPACK's `dgetrf` (what JAX's `lax.linalg.lu` returns on the CPU): at
 * step j the row with the largest |entry| in column j (the first such row on ties) is swapped in;
 * a zero pivot column is left as it is (no scaling, the factorization goes on), so a singular
 * matrix still factors, with a zero on U's diagonal.
 */
import { sizeOf } from "./shape.js";

/** Packed LU of one m×n matrix: L (unit diagonal, strictly below) and U (on and above) in one m×n array. */
export interface LuParts {
  /** L below the diagonal (its unit diagonal implicit) and U on and above, row-major m×n. */
  readonly lu: Float64Array;
  /** Row j was swapped with row pivots[j] at step j (k = min(m, n) entries, LAPACK's ipiv from 0). */
  readonly pivots: Int32Array;
  /** The row permutation: row i of P·A is row permutation[i] of A (m entries). */
  readonly permutation: Int32Array;
}

/**
 * LU of one m×n matrix `a` (row-major): P·A = L·U. A non-finite entry gives an all-NaN `lu` and
 * the identity pivots/permutation.
 * @example
 * const { lu, pivots, permutation } = luOf(Float64Array.from([1, 2, 3, 4]), 2, 2);
 * // lu = [3, 4, 1/3, 2/3], pivots = [1, 1], permutation = [1, 0]
 */
export function luOf(a: Float64Array, m: number, n: number): LuParts {
  const k = Math.min(m, n);
  const lu = Float64Array.from(a);
  const pivots = Int32Array.from({ length: k }, (_, j) => j);
  const permutation = Int32Array.from({ length: m }, (_, i) => i);
  if (!a.every(Number.isFinite)) return { lu: lu.fill(NaN), pivots, permutation };
  for (let j = 0; j < k; j++) {
    let p = j;
    for (let i = j + 1; i < m; i++) if (Math.abs(lu[i * n + j]!) > Math.abs(lu[p * n + j]!)) p = i;
    pivots[j] = p;
    if (p !== j) {
      for (let c = 0; c < n; c++) {
        const t = lu[j * n + c]!;
        lu[j * n + c] = lu[p * n + c]!;
        lu[p * n + c] = t;
      }
      const t = permutation[j]!;
      permutation[j] = permutation[p]!;
      permutation[p] = t;
    }
    const d = lu[j * n + j]!;
    if (d === 0) continue;
    for (let i = j + 1; i < m; i++) {
      const l = (lu[i * n + j]! /= d);
      if (l !== 0) for (let c = j + 1; c < n; c++) lu[i * n + c] -= l * lu[j * n + c]!;
    }
  }
  return { lu, pivots, permutation };
}

/**
 * Output `index` (0: packed LU [..., m, n], 1: pivots [..., k], 2: permutation [..., m]) of the
 * LU of every m×n matrix in a row-major batch of `shape` [..., m, n], written to `out` (the
 * interpreter's and the host kernel's entry point).
 * @example
 * const perm = new Int32Array(2);
 * luBatchInto([1, 2, 3, 4], [2, 2], 2, perm); // perm = [1, 0]
 */
export function luBatchInto(a: ArrayLike<number>, shape: readonly number[], index: number, out: { [i: number]: number }): void {
  const m = shape[shape.length - 2]!, n = shape[shape.length - 1]!, k = Math.min(m, n);
  const batch = sizeOf(shape.slice(0, -2));
  const size = index === 0 ? m * n : index === 1 ? k : m;
  for (let b = 0; b < batch; b++) {
    const mat = new Float64Array(m * n);
    for (let i = 0; i < m * n; i++) mat[i] = a[b * m * n + i]!;
    const parts = luOf(mat, m, n);
    const part = index === 0 ? parts.lu : index === 1 ? parts.pivots : parts.permutation;
    for (let i = 0; i < size; i++) out[b * size + i] = part[i]!;
  }
}
