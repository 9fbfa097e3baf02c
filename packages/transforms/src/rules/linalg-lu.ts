/**
 * Derivatives of the LU factorization (`lu`, output 0 = the packed LU, 1 = pivots, 2 = the
 * permutation), after JAX's `lu_jvp_rule`. With P the permutation matrix, L the m×m unit lower
 * factor (L's k columns padded with identity columns) and U the n×n upper factor (U's k rows
 * padded with identity rows), k = min(m, n):
 *
 *   X = L⁻¹ (P dA) U⁻¹,   dLU = L · tril(X, −1) + triu(X) · U
 *
 * The pivots and permutation are piecewise constant (integer outputs: no derivative). As JAX, the
 * rule needs U's leading k×k block invertible; a singular matrix gives non-finite derivatives.
 */
import { type Tensor, npUtil } from "@kiln/core";
import { add, eq, indicator, iota, matmul, mT, pad, slice, solve, sub, tril } from "./ops.js";

const { apply } = npUtil;

interface LuFactors {
  /** The m×m permutation matrix: (P A)[i] = A[perm[i]]. */
  readonly p: Tensor;
  /** m×m unit lower triangular. */
  readonly l: Tensor;
  /** n×n upper triangular. */
  readonly u: Tensor;
}

function luFactors(a: Tensor): LuFactors {
  const r = a.ndim;
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const batch = a.shape.slice(0, -2);
  const lu = apply("lu", [a], { index: 0 });
  const perm = apply("lu", [a], { index: 2 });
  // P[i, j] = (perm[i] == j)
  const permCol = apply("broadcast", [perm], { shape: [...batch, m, m], dims: [...batch.map((_, i) => i), r - 2] });
  const p = indicator(eq(permCol, iota([...batch, m, m], r - 1)), a.dtype);
  const zeroLo = batch.map(() => 0);
  const lCols = slice(lu, [...zeroLo, 0, 0], [...batch, m, k]);
  const uRows = slice(lu, [...zeroLo, 0, 0], [...batch, k, n]);
  const l = add(pad(tril(lCols, true), [...zeroLo, 0, 0], [...zeroLo, 0, m - k]), eye(batch, m, a.dtype));
  // U's k rows, then identity rows for the n − k columns a wide matrix leaves unpivoted.
  const tail = pad(eye(batch, n - k, a.dtype), [...zeroLo, k, k], [...zeroLo, 0, 0]);
  const u = add(pad(upper(uRows), [...zeroLo, 0, 0], [...zeroLo, n - k, 0]), tail);
  return { p, l, u };
}

/** Identity matrices of size `size` with leading `batch` axes. */
function eye(batch: readonly number[], size: number, dtype: Tensor["dtype"]): Tensor {
  const shape = [...batch, size, size];
  return indicator(eq(iota(shape, shape.length - 2), iota(shape, shape.length - 1)), dtype);
}

/** Upper triangle including the diagonal. */
const upper = (x: Tensor): Tensor => sub(x, tril(x, true));

/** The tangent of output `index` of lu(a) (only the packed LU, output 0, has one). */
export function luTangent(a: Tensor, dA: Tensor, index: number): Tensor | null {
  if (index !== 0) return null;
  const { p, l, u } = luFactors(a);
  const la = solve(l, matmul(p, dA));
  const x = mT(solve(mT(u), mT(la))); // la · U⁻¹
  return add(matmul(l, tril(x, true)), matmul(upper(x), u));
}

/**
 * Transpose of `luTangent`: X̄ = tril(Lᵀ C, −1) + triu(C Uᵀ), then Ā = Pᵀ L⁻ᵀ X̄ U⁻ᵀ for the
 * packed LU's cotangent C.
 */
export function luCotangent(a: Tensor, ct: Tensor, index: number): Tensor | null {
  if (index !== 0) return null;
  const { p, l, u } = luFactors(a);
  const xBar = add(tril(matmul(mT(l), ct), true), upper(matmul(ct, mT(u))));
  const laBar = mT(solve(u, mT(xBar))); // X̄ · U⁻ᵀ
  return matmul(mT(p), solve(mT(l), laBar));
}
