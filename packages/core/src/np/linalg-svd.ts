/**
 * The singular value decomposition and what is built on it: `linalg.svd`, `svdvals`, `pinv`,
 * `lstsq` and `matrixRank` (NumPy/JAX semantics). The `svd` primitive (one-sided Jacobi in
 * float64 on the host, core/linalg-svd-f64.ts) has three sibling outputs: s, u, vh.
 */
import { type DType, isFloat } from "../dtype.js";
import { ShapeError, ValueError, jsonOf } from "../errors.js";
import { fmtShape } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { matmulRaw, reduceRaw, transposeRaw } from "./contract.js";
import { apply, asTensor, astypeRaw, broadcastRaw, fullRaw, optionsOf, reshapeRaw } from "./util.js";

export interface SvdOptions {
  /** Square u (m×m) and vh (n×n) (default true, as NumPy/JAX); false: u m×k, vh k×n, k = min(m, n). */
  fullMatrices?: boolean;
  /** Return [u, s, vh] (default true); false returns s alone. */
  computeUv?: boolean;
  /** Accepted for NumPy compatibility; a symmetric input gets the general algorithm (same s, u, vh up to signs). */
  hermitian?: boolean;
}

/** Machine epsilon of a float dtype (NumPy's finfo(dtype).eps). */
function epsOf(dtype: DType): number {
  return dtype === "float64" ? 2 ** -52 : dtype === "float16" ? 2 ** -10 : dtype === "bfloat16" ? 2 ** -7 : 2 ** -23;
}

/** `a` as a float (batch of) matrices: int/bool computed in float32 (as JAX); rank < 2 is a ShapeError. */
function matrixOperand(op: string, a: ArrayLike): Tensor {
  const t0 = asTensor(a, op);
  const t = isFloat(t0.dtype) ? t0 : astypeRaw(t0, "float32");
  if (t.ndim < 2) throw new ShapeError(`${op}: expected a (batch of) matrices [..., m, n], got shape ${fmtShape(t.shape)}`);
  return t;
}

const svdOut = (t: Tensor, fullMatrices: boolean, index: number): Tensor => apply("svd", [t], { fullMatrices, index });

/** Swaps the last two axes. */
function mT(x: Tensor): Tensor {
  const r = x.ndim;
  return transposeRaw(x, [...Array(r - 2).keys(), r - 1, r - 2]);
}

/** s [...B, k] as [...B, 1, k] (a row per matrix, for scaling the columns of a [..., m, k] matrix). */
const asRow = (s: Tensor): Tensor => reshapeRaw(s, [...s.shape.slice(0, -1), 1, s.shape[s.ndim - 1]!]);

/**
 * Singular value decomposition a = u · diag(s) · vh of a (batch of) matrices [..., m, n], as
 * `numpy.linalg.svd` / `jax.numpy.linalg.svd`: s descending; u and vh orthogonal. Singular
 * vectors are unique only up to sign: kiln makes the largest-magnitude entry of each right
 * singular vector (row of vh) positive when m ≥ n, of each left one (column of u) when m < n.
 * Derivatives: s always (finite even for repeated values); u and vh with distinct nonzero
 * singular values (inf/NaN otherwise, as JAX) and, for non-square matrices, `fullMatrices: false`.
 * @example
 * const [u, s, vh] = np.linalg.svd([[3, 0], [0, -2]]);  // s = [3, 2]; u @ diag(s) @ vh reconstructs a
 * np.linalg.svd(np.ones([4, 2]), { computeUv: false });   // [2.828..., 0]
 * np.linalg.svd(np.ones([5, 3]), { fullMatrices: false })[0].shape; // [5, 3]
 */
export function svd(a: ArrayLike, opts: SvdOptions & { computeUv: false }): Tensor;
export function svd(a: ArrayLike, opts?: SvdOptions & { computeUv?: true }): [Tensor, Tensor, Tensor];
export function svd(a: ArrayLike, opts?: SvdOptions): [Tensor, Tensor, Tensor] | Tensor;
export function svd(a: ArrayLike, opts?: SvdOptions, ...extra: undefined[]): [Tensor, Tensor, Tensor] | Tensor {
  const op = "linalg.svd";
  const o = optionsOf(op, opts, op, extra);
  const t = matrixOperand(op, a);
  const full = o.fullMatrices ?? true;
  if (typeof full !== "boolean") throw new ValueError(`${op}: fullMatrices must be a boolean, got ${jsonOf(full)}`);
  if (o.computeUv === false) return svdOut(t, false, 0);
  return [svdOut(t, full, 1), svdOut(t, full, 0), svdOut(t, full, 2)];
}

/**
 * The singular values of a (batch of) matrices, descending (`jax.numpy.linalg.svdvals`).
 * @example np.linalg.svdvals([[3, 0], [0, -4]]) // [4, 3]
 */
export function svdvals(a: ArrayLike): Tensor {
  return svdOut(matrixOperand("linalg.svdvals", a), false, 0);
}

/** rtol as a [...B, 1] tensor (a number or a tensor broadcast against the batch). */
function perMatrix(op: string, v: ArrayLike, like: Tensor): Tensor {
  const t = asTensor(v, op);
  const shape = [...like.shape.slice(0, -1), 1];
  return broadcastRaw(astypeRaw(t.ndim === 0 ? t : reshapeRaw(t, [...t.shape, 1]), like.dtype), shape);
}

/**
 * Moore-Penrose pseudo-inverse [..., n, m] of a (batch of) matrices [..., m, n], from the reduced
 * SVD: singular values ≤ rtol · max(s) are treated as zero. `rtol` defaults to max(m, n) · eps
 * (as JAX; NumPy's `rcond` default is 1e-15).
 * @example np.linalg.pinv([[1, 0], [0, 0]]) // [[1, 0], [0, 0]]
 */
export function pinv(a: ArrayLike, opts?: { rtol?: ArrayLike }, ...extra: undefined[]): Tensor {
  const op = "linalg.pinv";
  const o = optionsOf(op, opts, op, extra);
  const t = matrixOperand(op, a);
  const [m, n] = t.shape.slice(-2) as [number, number];
  if (m === 0 || n === 0) return fullRaw([...t.shape.slice(0, -2), n, m], 0, t.dtype);
  const s = svdOut(t, false, 0), u = svdOut(t, false, 1), vh = svdOut(t, false, 2);
  const rtol = perMatrix(op, o.rtol ?? Math.max(m, n) * epsOf(t.dtype), s);
  const cutoff = apply("mul", [rtol, reshapeRaw(reduceRaw("reduceMax", s, [s.ndim - 1]), [...s.shape.slice(0, -1), 1])], {});
  const keep = apply("gt", [s, broadcastRaw(cutoff, s.shape)], {});
  // 1/s where kept, 0 elsewhere (dividing by a safe 1 so no inf reaches the gradient).
  const one = fullRaw(s.shape, 1, s.dtype), zero = fullRaw(s.shape, 0, s.dtype);
  const sInv = apply("select", [keep, apply("div", [one, apply("select", [keep, s, one], {})], {}), zero], {});
  const scaled = apply("mul", [mT(vh), broadcastRaw(asRow(sInv), [...s.shape.slice(0, -1), n, s.shape[s.ndim - 1]!])], {});
  return matmulRaw(scaled, mT(u));
}

/**
 * Least-squares solution x of a x ≈ b (`numpy.linalg.lstsq`): a [m, n], b [m] or [m, k]. Returns
 * `[x, residuals, rank, s]`: x [n] / [n, k]; residuals the squared 2-norm of each column of
 * b - a x, shape [k] ([1] for a 1-D b) when m > n, else empty [0]; rank (int32) the number of
 * singular values > rcond · max(s); s the singular values. `rcond` defaults to max(m, n) · eps.
 * Deviation: NumPy also returns empty residuals when rank < n, which depends on the data; kiln's
 * shapes are static, so a rank-deficient a with m > n still gets the residual sums.
 * @example
 * const [x, res, rank] = np.linalg.lstsq([[1, 0], [0, 1], [1, 1]], [1, 2, 2]); // x ≈ [0.667, 1.667], res [0.333], rank 2
 */
export function lstsq(a: ArrayLike, b: ArrayLike, opts?: { rcond?: number | null }, ...extra: undefined[]): [Tensor, Tensor, Tensor, Tensor] {
  const op = "linalg.lstsq";
  const o = optionsOf(op, opts, op, extra);
  const ta = matrixOperand(op, a);
  const tb0 = asTensor(b, op);
  if (ta.ndim !== 2) throw new ShapeError(`${op}: a must be 2-D [m, n], got shape ${fmtShape(ta.shape)}`);
  if (tb0.ndim !== 1 && tb0.ndim !== 2) throw new ShapeError(`${op}: b must be 1-D or 2-D, got shape ${fmtShape(tb0.shape)}`);
  const [m, n] = ta.shape as [number, number];
  if (tb0.shape[0] !== m) throw new ShapeError(`${op}: a ${fmtShape(ta.shape)} and b ${fmtShape(tb0.shape)} need the same number of rows`);
  const vector = tb0.ndim === 1;
  const tb = astypeRaw(vector ? reshapeRaw(tb0, [m, 1]) : tb0, ta.dtype);
  const k = tb.shape[1]!;
  const rcond = o.rcond ?? Math.max(m, n) * epsOf(ta.dtype);
  if (typeof rcond !== "number") throw new ValueError(`${op}: rcond must be a number, got ${jsonOf(rcond)}`);
  const s = svdOut(ta, false, 0), u = svdOut(ta, false, 1), vh = svdOut(ta, false, 2);
  const kk = Math.min(m, n);
  const top = kk ? reduceRaw("reduceMax", s, [0]) : fullRaw([], 0, ta.dtype);
  const keep = apply("gt", [s, broadcastRaw(apply("mul", [top, fullRaw([], rcond, ta.dtype)], {}), [kk])], {});
  const rank = reduceRaw("reduceSum", astypeRaw(keep, "int32"), [0]);
  const one = fullRaw([kk], 1, ta.dtype), zero = fullRaw([kk], 0, ta.dtype);
  const sInv = apply("select", [keep, apply("div", [one, apply("select", [keep, s, one], {})], {}), zero], {});
  const utb = apply("mul", [matmulRaw(mT(u), tb), broadcastRaw(reshapeRaw(sInv, [kk, 1]), [kk, k])], {});
  const x = matmulRaw(mT(vh), utb);
  let residuals: Tensor;
  if (m > n) {
    const r = apply("sub", [tb, matmulRaw(ta, x)], {});
    residuals = reduceRaw("reduceSum", apply("mul", [r, r], {}), [0]);
  } else {
    residuals = fullRaw([0], 0, ta.dtype);
  }
  return [vector ? reshapeRaw(x, [n]) : x, residuals, rank, s];
}

/**
 * The rank of a (batch of) matrices: the number of singular values > tol, where tol defaults to
 * rtol · max(s) and rtol to max(m, n) · eps (`numpy.linalg.matrix_rank`). A 0-D or 1-D input has
 * rank 1 unless it is all zeros. The result is int32.
 * @example
 * np.linalg.matrixRank([[1, 2], [2, 4]])          // 1
 * np.linalg.matrixRank(np.eye(3), { tol: 0.5 })   // 3
 */
export function matrixRank(a: ArrayLike, opts?: { rtol?: ArrayLike; tol?: ArrayLike }, ...extra: undefined[]): Tensor {
  const op = "linalg.matrixRank";
  const o = optionsOf(op, opts, op, extra);
  const t0 = asTensor(a, op);
  if (t0.ndim < 2) {
    const nz = apply("ne", [t0, fullRaw(t0.shape, 0, t0.dtype)], {});
    return astypeRaw(reduceRaw("reduceMax", astypeRaw(nz, "int32"), [...Array(t0.ndim).keys()]), "int32");
  }
  if (o.tol !== undefined && o.rtol !== undefined) throw new ValueError(`${op}: pass tol or rtol, not both`);
  const t = matrixOperand(op, t0);
  const [m, n] = t.shape.slice(-2) as [number, number];
  const s = svdOut(t, false, 0);
  const k = Math.min(m, n);
  if (k === 0) return fullRaw(t.shape.slice(0, -2), 0, "int32");
  let tol: Tensor;
  if (o.tol !== undefined) tol = perMatrix(op, o.tol, s);
  else {
    const rtol = perMatrix(op, o.rtol ?? Math.max(m, n) * epsOf(t.dtype), s);
    tol = apply("mul", [rtol, reshapeRaw(reduceRaw("reduceMax", s, [s.ndim - 1]), [...s.shape.slice(0, -1), 1])], {});
  }
  const above = apply("gt", [s, broadcastRaw(tol, s.shape)], {});
  return reduceRaw("reduceSum", astypeRaw(above, "int32"), [s.ndim - 1]);
}
