/**
 * Derivatives of `polyRoots` (outputs 0/1 = real/imaginary parts of the roots), by implicit
 * differentiation of P(r) = Σ_k c_k r^{n−1−k} = 0 at a simple root:
 *   dr_j = −(Σ_k dc_k r_j^{n−1−k}) / P′(r_j) = Σ_k S_jk dc_k,   S_jk = −r_j^{n−1−k} / P′(r_j),
 * a complex sensitivity matrix [..., n − 1, n] applied to the real coefficient tangents; the vjp is
 * its transpose (Σ_j ct_j S_jk). Complex numbers are (re, im) pairs, as everywhere in np.fft. At a
 * repeated root P′(r) = 0 and the derivative is inf/NaN (the roots are not differentiable there),
 * as eigenvalue derivatives at repeated eigenvalues. Batching is elementwiseBatch (rules/batch.ts):
 * leading axes are independent polynomials.
 */
import { type Tensor, npUtil } from "@kiln/core";
import { add, div, matmul, mul, neg, onesLike, slice, sub, zerosLike } from "./ops.js";
import type { JvpTable, VjpTable } from "./types.js";

const { apply, asTensor, reshapeRaw } = npUtil;

interface Pair {
  readonly re: Tensor;
  readonly im: Tensor;
}

const cmul = (a: Pair, b: Pair): Pair => ({ re: sub(mul(a.re, b.re), mul(a.im, b.im)), im: add(mul(a.re, b.im), mul(a.im, b.re)) });

/** Appends a unit axis: [..., m] → [..., m, 1]. */
const column = (t: Tensor): Tensor => reshapeRaw(t, [...t.shape, 1]);

/** The part `index` (0 re, 1 im) of the sensitivity S [..., n − 1, n] of the roots of `c` [..., n]. */
function sensitivity(c: Tensor, index: number): Tensor {
  const n = c.shape[c.ndim - 1]!;
  const r: Pair = { re: apply("polyRoots", [c], { index: 0 }), im: apply("polyRoots", [c], { index: 1 }) };
  // Powers r^0 … r^{n−1}, then V_jk = r_j^{n−1−k} (columns highest power first, like c).
  const pows: Pair[] = [{ re: onesLike(r.re), im: zerosLike(r.im) }];
  for (let m = 1; m < n; m++) pows.push(cmul(pows[m - 1]!, r));
  const last = c.ndim;
  const stack = (part: "re" | "im") => apply("concatenate", [...pows].reverse().map((p) => column(p[part])), { axis: last });
  const v: Pair = { re: stack("re"), im: stack("im") };
  // P′(r_j) = Σ_{k < n−1} (n − 1 − k) c_k r_j^{n−2−k}: weights (n − 1 − k) c_k against V's columns 1 … n − 1.
  const lead = c.shape.slice(0, -1);
  const degrees = asTensor(Array.from({ length: n - 1 }, (_, k) => n - 1 - k), "polyRoots", c.dtype);
  const head = slice(c, c.shape.map(() => 0), [...lead, n - 1]);
  const wk = column(mul(head, apply("broadcast", [degrees], { shape: head.shape, dims: [c.ndim - 1] })));
  const tail = (t: Tensor) => slice(t, t.shape.map((_, i) => (i === last ? 1 : 0)), t.shape);
  const dp: Pair = { re: matmul(tail(v.re), wk), im: matmul(tail(v.im), wk) };
  // g = −1 / P′ = −conj(P′) / |P′|².
  const mag = add(mul(dp.re, dp.re), mul(dp.im, dp.im));
  // Spread over V's columns: [..., n − 1, 1] → [..., n − 1, n].
  const spread = (t: Tensor) => apply("broadcast", [reshapeRaw(t, t.shape.slice(0, -1))], { shape: v.re.shape, dims: [...Array(c.ndim).keys()] });
  const g: Pair = { re: spread(neg(div(dp.re, mag))), im: spread(div(dp.im, mag)) };
  const s = cmul(g, v);
  return index === 0 ? s.re : s.im;
}

export const POLY_ROOTS_JVP = {
  polyRoots: ([c], [t], { index }, out) => {
    if (!t || out.size === 0) return null;
    return reshapeRaw(matmul(sensitivity(c!, index), column(t)), out.shape);
  },
} satisfies Partial<JvpTable>;

export const POLY_ROOTS_VJP = {
  polyRoots: (ct, [c], { index }) => {
    if (ct.size === 0) return [zerosLike(c!)];
    return [reshapeRaw(matmul(reshapeRaw(ct, [...ct.shape.slice(0, -1), 1, ct.shape[ct.ndim - 1]!]), sensitivity(c!, index)), c!.shape)];
  },
} satisfies Partial<VjpTable>;
