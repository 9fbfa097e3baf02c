/**
 * Derivative and batching rules of the `svd` primitive (spread into the jvp/vjp/batch tables).
 * Forward mode follows JAX's `svd_jvp_rule` (real case): with dS = Uᵀ dA V (reduced factors),
 *   ds = diag(dS)
 *   dU = U (F ∘ (dS S + S dSᵀ)) + (I - U Uᵀ) dA V S⁻¹          (second term only when m > n)
 *   dV = V (F ∘ (S dS + dSᵀ S)) + (I - V Vᵀ) dAᵀ U S⁻¹         (second term only when n > m)
 * with F_ij = 1 / (s_j² - s_i²) off the diagonal and 0 on it. Reverse mode is the transpose of
 * the same linear map, written out (each output's cotangent separately; the driver sums them).
 * Repeated singular values make F infinite: U/V derivatives are then inf/NaN, as in JAX. The
 * derivative of s alone is always finite (it only needs diag(dS)).
 */
import { type Tensor, ValueError, npUtil } from "@kiln/core";
import { add, div, eq, eyeLike, indicator, mT, matmul, mul, onesLike, sub, sumAxes, zerosLike } from "./ops.js";
import type { BatchTable } from "./batch.js";
import type { JvpTable, VjpTable } from "./types.js";

const { apply } = npUtil;

/** The reduced factors s [...B,k], u [...B,m,k], vh [...B,k,n] of `a` (siblings of the primal's call). */
function reducedSvd(a: Tensor): { s: Tensor; u: Tensor; vh: Tensor } {
  const at = (index: number) => apply("svd", [a], { fullMatrices: false, index });
  return { s: at(0), u: at(1), vh: at(2) };
}

/** `s` [...B,k] broadcast to [...B,rows,cols] along the last (`axis` -1) or second-to-last (-2) axis. */
function spread(s: Tensor, rows: number, cols: number, axis: -1 | -2): Tensor {
  const nb = s.ndim - 1;
  const batch = [...Array(nb).keys()];
  return apply("broadcast", [s], { shape: [...s.shape.slice(0, nb), rows, cols], dims: [...batch, axis === -1 ? nb + 1 : nb] });
}

/** What every U/V rule needs: F (zero diagonal), sRow_ij = s_j, sCol_ij = s_i, 1/s (0 for s = 0). */
function spectrum(s: Tensor) {
  const k = s.shape[s.ndim - 1]!;
  const sRow = spread(s, k, k, -1), sCol = spread(s, k, k, -2);
  const eye = eyeLike(sRow);
  // 1 / (s_j² - s_i²) off the diagonal; the diagonal is shifted to 1/1 and subtracted back to 0.
  const f = sub(div(onesLike(eye), add(mul(add(sRow, sCol), sub(sRow, sCol)), eye)), eye);
  const zero = indicator(eq(s, zerosLike(s)), s.dtype);
  const sInv = sub(div(onesLike(zero), add(s, zero)), zero);
  return { f, sRow, sCol, sInv };
}

/** JAX refuses U/V derivatives of a non-square full SVD (the extra columns are not unique). */
function requireReduced(a: Tensor, fullMatrices: boolean): void {
  const [m, n] = a.shape.slice(-2) as [number, number];
  if (fullMatrices && m !== n) {
    throw new ValueError(`svd: derivatives of u and vh of a non-square matrix (shape [${a.shape.join(", ")}]) need fullMatrices: false (the completed columns are not unique), as JAX`);
  }
}

export const SVD_JVP = {
  svd: ([a], [t], { fullMatrices, index }) => {
    if (!t) return null;
    const { s, u, vh } = reducedSvd(a!);
    const v = mT(vh);
    const r = a!.ndim;
    const dA = t;
    const dAV = matmul(dA, v);
    const dS = matmul(mT(u), dAV);
    if (index === 0) return sumAxes(mul(dS, eyeLike(dS)), [r - 1]);
    requireReduced(a!, fullMatrices);
    const [m, n] = a!.shape.slice(-2) as [number, number];
    const { f, sRow, sCol, sInv } = spectrum(s);
    const k = Math.min(m, n);
    if (index === 1) {
      let dU = matmul(u, mul(f, add(mul(dS, sRow), mul(sCol, mT(dS)))));
      if (m > n) dU = add(dU, mul(sub(dAV, matmul(u, dS)), spread(sInv, m, k, -1)));
      return dU;
    }
    let dV = matmul(v, mul(f, add(mul(sCol, dS), mul(mT(dS), sRow))));
    if (n > m) dV = add(dV, mul(sub(matmul(mT(dA), u), matmul(v, mT(dS))), spread(sInv, n, k, -1)));
    return mT(dV);
  },
} satisfies Partial<JvpTable>;

export const SVD_VJP = {
  svd: (ct, [a], { fullMatrices, index }) => {
    const { s, u, vh } = reducedSvd(a!);
    const [m, n] = a!.shape.slice(-2) as [number, number];
    const k = Math.min(m, n);
    // ds = diag(Uᵀ dA V): Ā = U diag(s̄) Vᵀ.
    if (index === 0) return [matmul(mul(u, spread(ct, m, k, -1)), vh)];
    requireReduced(a!, fullMatrices);
    const { f, sRow, sCol, sInv } = spectrum(s);
    if (index === 1) {
      // ⟨Ū, U (F ∘ (dS S + S dSᵀ))⟩ = ⟨(J + Jᵀ) S, dS⟩ with J = F ∘ UᵀŪ; dS = Uᵀ dA V.
      const utct = matmul(mT(u), ct);
      const j = mul(f, utct);
      let ctA = matmul(matmul(u, mul(add(j, mT(j)), sRow)), vh);
      if (m > n) ctA = add(ctA, matmul(mul(sub(ct, matmul(u, utct)), spread(sInv, m, k, -1)), vh));
      return [ctA];
    }
    // ct is V̄ᵀ (k×n). ⟨V̄, V (F ∘ (S dS + dSᵀ S))⟩ = ⟨S (K + Kᵀ), dS⟩ with K = F ∘ VᵀV̄.
    const vbar = mT(ct);
    const vtct = matmul(vh, vbar);
    const kk = mul(f, vtct);
    let ctA = matmul(matmul(u, mul(sCol, add(kk, mT(kk)))), vh);
    if (n > m) ctA = add(ctA, matmul(u, mul(spread(sInv, k, n, -2), mT(sub(vbar, matmul(mT(vh), vtct))))));
    return [ctA];
  },
} satisfies Partial<VjpTable>;

/** Batching: the batch axis is one more leading matrix-batch axis. */
export const SVD_BATCH = {
  svd: (xs, bs, p, size) => {
    const x = xs[0]!;
    const lifted = bs[0] ? x : apply("broadcast", [x], { shape: [size, ...x.shape], dims: x.shape.map((_, i) => i + 1) });
    return apply("svd", [lifted], p);
  },
} satisfies Partial<BatchTable>;
