/**
 * Derivatives of the QR factorization (`qr`, outputs 0 = Q, 1 = R), after JAX's `qr_jvp_rule`:
 * with X = dA R⁻¹, P = Qᵀ X and Ω = tril(P, −1) − tril(P, −1)ᵀ (skew-symmetric),
 * dQ = Q (Ω − P) + X and dR = (P − Ω) R. Like JAX, only m ≥ n reduced (or square complete)
 * factorizations are differentiable (R must be square and invertible); others are a ValueError.
 */
import { ValueError, type Tensor, npUtil } from "@kiln/core";
import { add, mT, matmul, solve, sub, tril } from "./ops.js";

const { apply } = npUtil;

function qrParts(a: Tensor, complete: boolean): { q: Tensor; r: Tensor } {
  const [m, n] = a.shape.slice(-2) as [number, number];
  if (m < n || (complete && m !== n)) {
    throw new ValueError(`qr: the derivative needs m >= n and a reduced (or square) factorization (as JAX), got shape [${a.shape}]${complete ? " with mode complete" : ""}`);
  }
  return { q: apply("qr", [a], { index: 0, complete }), r: apply("qr", [a], { index: 1, complete }) };
}

/** x R⁻¹ for a square invertible R (a right solve: (R⁻ᵀ xᵀ)ᵀ). */
const rightSolve = (x: Tensor, r: Tensor): Tensor => mT(solve(mT(r), mT(x)));

/** The tangent of output `index` of qr(a). */
export function qrTangent(a: Tensor, dA: Tensor, index: number, complete: boolean): Tensor {
  const { q, r } = qrParts(a, complete);
  const x = rightSolve(dA, r);
  const p = matmul(mT(q), x);
  const low = tril(p, true);
  const omega = sub(low, mT(low));
  return index === 0 ? add(matmul(q, sub(omega, p)), x) : matmul(sub(p, omega), r);
}

/**
 * Transpose of `qrTangent`: with M = QᵀQ̄ − R̄Rᵀ and G = Q (tril(M − Mᵀ, −1) − M) + Q̄, Ā = G R⁻ᵀ
 * (Q̄ or R̄ is `ct`, the other zero).
 */
export function qrCotangent(a: Tensor, ct: Tensor, index: number, complete: boolean): Tensor {
  const { q, r } = qrParts(a, complete);
  const mMat = index === 0 ? matmul(mT(q), ct) : apply("neg", [matmul(ct, mT(r))], {});
  const inner = sub(tril(sub(mMat, mT(mMat)), true), mMat);
  const g = index === 0 ? add(matmul(q, inner), ct) : matmul(q, inner);
  return mT(solve(r, mT(g)));
}
