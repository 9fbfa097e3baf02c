/**
 * Derivatives of the symmetric eigendecomposition (`eigh`, outputs 0 = eigenvalues w, 1 =
 * eigenvectors V), after JAX's `eigh_jvp_rule`. With S the symmetric tangent the primitive sees
 * and M = Vᵀ S V: dw = diag(M), dV = V (F ∘ M), F_ij = 1/(w_j − w_i) off the diagonal and 0 on it.
 * Tied eigenvalues make F infinite, so derivatives through V are inf/NaN there, as in JAX (the
 * eigenvalue derivative stays finite). The primitive reads only the lower triangle, so S is
 * symmetrized from dA's lower triangle and cotangents fold back onto it (like `cholesky`).
 */
import { type Tensor, npUtil } from "@kiln/core";
import { add, div, expandReduced, eyeLike, mT, matmul, mul, onesLike, sub, sumAxes, tril } from "./ops.js";

const { apply } = npUtil;

const eighOutput = (a: Tensor, index: 0 | 1): Tensor => apply("eigh", [a], { index });

/** F: 1/(w_j − w_i) off the diagonal, 0 on it ([..., n] → [..., n, n]). */
function gapInverse(w: Tensor, eye: Tensor): Tensor {
  const r = eye.ndim;
  const wj = expandReduced(w, eye.shape, [r - 2]), wi = expandReduced(w, eye.shape, [r - 1]);
  // eye added first keeps the diagonal at 1/1 (then removed) rather than 1/0.
  return sub(div(onesLike(eye), add(eye, sub(wj, wi))), eye);
}

/** The tangent of output `index` of eigh(a), `out` being that output. */
export function eighTangent(a: Tensor, dA: Tensor, index: number, out: Tensor): Tensor {
  const v = index === 1 ? out : eighOutput(a, 1);
  const s = add(tril(dA), mT(tril(dA, true)));
  const m = matmul(mT(v), matmul(s, v));
  const eye = eyeLike(a);
  if (index === 0) return sumAxes(mul(m, eye), [a.ndim - 1]);
  return matmul(v, mul(gapInverse(eighOutput(a, 0), eye), m));
}

/** Transpose of `eighTangent`: S̄ = V C Vᵀ (C = diag(w̄) or F ∘ (Vᵀ V̄)), folded onto the lower triangle. */
export function eighCotangent(a: Tensor, ct: Tensor, index: number, out: Tensor): Tensor {
  const v = index === 1 ? out : eighOutput(a, 1);
  const eye = eyeLike(a);
  const c = index === 0
    ? mul(expandReduced(ct, a.shape, [a.ndim - 1]), eye)
    : mul(gapInverse(eighOutput(a, 0), eye), matmul(mT(v), ct));
  const g = matmul(v, matmul(c, mT(v)));
  return add(tril(g), tril(mT(g), true));
}
