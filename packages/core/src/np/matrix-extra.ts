/**
 * Matrix-shaped NumPy names composed from existing primitives: triangles, Vandermonde matrices,
 * diagonals, traces, cross products and batched matrix-vector products. No new primitive, so
 * jit, grad and vmap need nothing new.
 */
import { type DType, checkDType } from "../dtype.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { type Shape, fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { add, equal, greaterEqual, lessEqual, multiply, power, subtract, where } from "./elementwise.js";
import { matmul } from "./linalg.js";
import { sum } from "./reduce.js";
import { concatenate, moveaxis, swapaxes } from "./shape.js";
import { atLeast, checkInt, iota, sliceAxis, strideLast, zerosOf } from "./compose-helpers.js";
import { type Positional, positionalOptions } from "./positional.js";
import { apply, asTensor, astypeRaw, checkListLength, optionsOf, reshapeRaw, resultDType } from "./util.js";

// ---------------------------------------------------------------------------------------------
// Triangles and Vandermonde matrices

/** Options of {@link tri}. */
export interface TriOptions {
  /** The diagonal at and below which the ones lie (0 the main one, positive above it). */
  k?: number;
  dtype?: DType;
}

/**
 * A lower-triangular `n × m` array of ones at and below the `k`-th diagonal (float32 unless `dtype`).
 * @example np.tri(3, 2, { k: 0 }) // [[1, 0], [1, 1], [1, 1]]
 * @example np.tri(3, 3, 1) // NumPy's positional k: [[1, 1, 0], [1, 1, 1], [1, 1, 1]]
 */
export function tri(n: number, m?: number | null, ...args: Positional<"tri", TriOptions>): Tensor {
  const opts = positionalOptions<TriOptions>("tri", args);
  const rows = checkInt("tri", "n", n, 0);
  const cols = checkInt("tri", "m", m ?? n, 0);
  const k = checkInt("tri", "k", opts.k ?? 0);
  const dtype = checkDType(opts.dtype ?? "float32", "tri");
  return astypeRaw(triMask([rows, cols], k, "lower"), dtype);
}

/** True at (i, j) with j <= i + k ("lower") or j >= i + k ("upper"). */
function triMask(shape: Shape, k: number, side: "lower" | "upper"): Tensor {
  const r = shape.length;
  const i = iota(shape, r - 2);
  const j = iota(shape, r - 1);
  return side === "lower" ? lessEqual(j, add(i, k)) : greaterEqual(j, add(i, k));
}

function triPart(op: string, m: ArrayLike, k: number, side: "lower" | "upper"): Tensor {
  const t = asTensor(m, op);
  checkInt(op, "k", k);
  atLeast(op, t, 2);
  const mask = triMask(t.shape.slice(-2), k, side);
  return where(mask, t, astypeRaw(zerosOf(t), t.dtype));
}

/**
 * The lower triangle of the last two axes (at and below diagonal `k`); the rest is zero.
 * @example np.tril(np.array([[1, 2], [3, 4]])) // [[1, 0], [3, 4]]
 */
export function tril(m: ArrayLike, k = 0): Tensor {
  return triPart("tril", m, k, "lower");
}

/**
 * The upper triangle of the last two axes (at and above diagonal `k`); the rest is zero.
 * @example np.triu(np.array([[1, 2], [3, 4]])) // [[1, 2], [0, 4]]
 */
export function triu(m: ArrayLike, k = 0): Tensor {
  return triPart("triu", m, k, "upper");
}

/** Options of {@link vander}. */
export interface VanderOptions {
  /** The number of columns (default `len(x)`). */
  N?: number | null;
  /** Powers increase left to right (default: decrease). */
  increasing?: boolean;
}

/**
 * The Vandermonde matrix of 1-D `x`: column j is `x ** (N - 1 - j)` (`increasing`: `x ** j`);
 * `N` defaults to `len(x)`.
 * @example np.vander(np.array([1, 2, 3]), 3) // [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
 * @example np.vander(np.array([1, 2]), { N: 3, increasing: true }) // [[1, 1, 1], [1, 2, 4]]
 */
export function vander(x: ArrayLike, ...args: Positional<"vander", VanderOptions>): Tensor {
  const opts = positionalOptions<VanderOptions>("vander", args);
  const t = asTensor(x, "vander");
  if (t.ndim !== 1) throw new ShapeError(`vander: x must be 1-D, got shape ${fmtShape(t.shape)}`);
  const cols = checkInt("vander", "N", opts.N ?? t.shape[0]!, 0);
  let e = iota([cols], 0, t.dtype === "bool" ? "int32" : t.dtype);
  if (!opts.increasing) e = subtract(cols - 1, e);
  const base = t.dtype === "bool" ? astypeRaw(t, "int32") : t;
  return power(reshapeRaw(base, [t.shape[0]!, 1]), reshapeRaw(e, [1, cols]));
}

// ---------------------------------------------------------------------------------------------
// Diagonals

/** Options of {@link diagonal} and {@link trace}. */
export interface DiagonalOptions {
  /** The diagonal's offset from the main one (positive: above). */
  offset?: number;
  axis1?: number;
  axis2?: number;
}

/**
 * The diagonal at `offset` of the planes spanned by `axis1` and `axis2` (default 0, 1): those
 * axes are removed and the diagonal becomes the last axis.
 * @example np.diagonal(np.array([[1, 2], [3, 4]])) // [1, 4]
 * @example np.diagonal(np.array([[1, 2], [3, 4]]), { offset: 1 }) // [2]
 */
export function diagonal(x: ArrayLike, ...args: Positional<"diagonal", DiagonalOptions>): Tensor {
  const opts = positionalOptions<DiagonalOptions>("diagonal", args);
  const t0 = asTensor(x, "diagonal");
  atLeast("diagonal", t0, 2);
  const k = checkInt("diagonal", "offset", opts.offset ?? 0);
  const a1 = normAxis("diagonal", opts.axis1 ?? 0, t0.ndim);
  const a2 = normAxis("diagonal", opts.axis2 ?? 1, t0.ndim);
  if (a1 === a2) throw new ValueError(`diagonal: axis1 and axis2 cannot be the same (axis ${a1})`);
  let t = moveaxis(t0, [a1, a2], [-2, -1]);
  const r = t.ndim;
  const [rows, cols] = [t.shape[r - 2]!, t.shape[r - 1]!];
  // Cut the offset away, then take the square L x L corner: its diagonal is every (L+1)-th
  // element of the flattened corner, so only slices and reshapes are recorded.
  t = k >= 0 ? sliceAxis(t, r - 1, Math.min(k, cols), cols) : sliceAxis(t, r - 2, Math.min(-k, rows), rows);
  const L = Math.max(0, Math.min(t.shape[r - 2]!, t.shape[r - 1]!));
  t = sliceAxis(sliceAxis(t, r - 2, 0, L), r - 1, 0, L);
  const batch = t.shape.slice(0, -2);
  return strideLast(reshapeRaw(t, [...batch, L * L]), L + 1);
}

/**
 * 1-D `v`: a 2-D array with `v` on diagonal `k` (zeros elsewhere); 2-D `v`: its `k`-th diagonal.
 * @example np.diag(np.array([1, 2])) // [[1, 0], [0, 2]]
 * @example np.diag(np.array([[1, 2], [3, 4]]), 1) // [2]
 */
export function diag(v: ArrayLike, k = 0): Tensor {
  const t = asTensor(v, "diag");
  checkInt("diag", "k", k);
  if (t.ndim === 2) return diagonal(t, { offset: k });
  if (t.ndim !== 1) throw new ShapeError(`diag: input must be 1-D or 2-D, got shape ${fmtShape(t.shape)}`);
  const L = t.shape[0]!;
  const square = [L, L];
  const on = equal(iota(square, 0), iota(square, 1));
  const spread = apply("broadcast", [t], { shape: square, dims: [1] }, t.weak);
  const placed = where(on, spread, astypeRaw(zerosOf(spread), t.dtype));
  const a = Math.abs(k);
  if (a === 0) return placed;
  const lo = k > 0 ? [0, a] : [a, 0];
  const hi = k > 0 ? [a, 0] : [0, a];
  return apply("pad", [placed], { lo, hi, value: 0 }, t.weak);
}

/**
 * `diag` of the flattened input.
 * @example np.diagflat([[1, 2]]) // [[1, 0], [0, 2]]
 */
export function diagflat(v: ArrayLike, k = 0): Tensor {
  const t = asTensor(v, "diagflat");
  return diag(reshapeRaw(t, [t.size]), k);
}

/**
 * Index arrays reaching the main diagonal of an `ndim`-dimensional array with all sides `n`:
 * `ndim` copies of `arange(n)` (int32).
 * @example np.diagIndices(3) // [[0, 1, 2], [0, 1, 2]]
 */
export function diagIndices(n: number, ndim = 2): Tensor[] {
  checkInt("diagIndices", "n", n, 0);
  checkInt("diagIndices", "ndim", ndim, 0);
  checkListLength("diagIndices", ndim);
  const r = iota([n], 0);
  return Array.from({ length: ndim }, () => r);
}

/**
 * `diagIndices` for `arr`, which must have at least 2 dimensions, all of the same size.
 * @example np.diagIndicesFrom(np.zeros([2, 2])) // [[0, 1], [0, 1]]
 */
export function diagIndicesFrom(arr: ArrayLike): Tensor[] {
  const t = asTensor(arr, "diagIndicesFrom");
  atLeast("diagIndicesFrom", t, 2);
  if (!t.shape.every((d) => d === t.shape[0])) throw new ShapeError(`diagIndicesFrom: all dimensions must have the same size, got shape ${fmtShape(t.shape)}`);
  return diagIndices(t.shape[0]!, t.ndim);
}

/**
 * Sum of the diagonal at `offset` of the planes of `axis1`, `axis2` (bool counts as int32).
 * @example np.trace(np.array([[1, 2], [3, 4]])) // 5
 * @example np.trace(x, 0, 1, 2) // NumPy order: offset, axis1, axis2
 */
export function trace(x: ArrayLike, ...args: Positional<"trace", DiagonalOptions & { dtype?: DType }>): Tensor {
  const opts = positionalOptions<DiagonalOptions & { dtype?: DType }>("trace", args);
  const d = diagonal(x, { offset: opts.offset, axis1: opts.axis1, axis2: opts.axis2 });
  return sum(d, { axis: -1, dtype: opts.dtype });
}

// ---------------------------------------------------------------------------------------------
// Vector and matrix products

export interface CrossOptions {
  axisa?: number;
  axisb?: number;
  axisc?: number;
  /** Overrides `axisa`, `axisb` and `axisc`. */
  axis?: number;
}

/**
 * Cross product of 2- or 3-vectors along `axisa`/`axisb` (default -1), broadcast over the other
 * axes. Two 2-vectors give the scalar z component; otherwise the 3-vector goes to `axisc`.
 * @example np.cross([1, 0, 0], [0, 1, 0]) // [0, 0, 1]
 * @example np.cross([1, 2], [3, 4]) // -2
 */
export function cross(a: ArrayLike, b: ArrayLike, opts: CrossOptions = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("cross", opts, "cross", extra);
  const [ta, tb] = [asTensor(a, "cross"), asTensor(b, "cross")];
  atLeast("cross", ta, 1);
  atLeast("cross", tb, 1);
  const dtype = resultDType([ta, tb], "cross");
  if (dtype === "bool") throw new DTypeError(`cross: not defined for bool arrays; cast with astype first`);
  const va = moveaxis(astypeRaw(ta, dtype), opts.axis ?? opts.axisa ?? -1, -1);
  const vb = moveaxis(astypeRaw(tb, dtype), opts.axis ?? opts.axisb ?? -1, -1);
  const [na, nb] = [va.shape[va.ndim - 1]!, vb.shape[vb.ndim - 1]!];
  if ((na !== 2 && na !== 3) || (nb !== 2 && nb !== 3)) {
    throw new ShapeError(`cross: vector dimension must be 2 or 3, got ${na} and ${nb} (shapes ${fmtShape(ta.shape)}, ${fmtShape(tb.shape)})`);
  }
  const comp = (v: Tensor, i: number): Tensor | null => (i < v.shape[v.ndim - 1]! ? reshapeRaw(sliceAxis(v, v.ndim - 1, i, i + 1), v.shape.slice(0, -1)) : null);
  // u*w with a missing (zero) z component dropped, so no 0 * inf NaN is introduced.
  const term = (u: Tensor | null, w: Tensor | null): Tensor | null => (u && w ? multiply(u, w) : null);
  const minus = (p: Tensor | null, q: Tensor | null, like: Tensor): Tensor =>
    p && q ? subtract(p, q) : p ?? (q ? multiply(q, -1) : multiply(like, 0));
  const [a0, a1, a2] = [0, 1, 2].map((i) => comp(va, i));
  const [b0, b1, b2] = [0, 1, 2].map((i) => comp(vb, i));
  const z = minus(term(a0!, b1!), term(a1!, b0!), a0!);
  if (na === 2 && nb === 2) return z;
  const x = minus(term(a1!, b2!), term(a2!, b1!), z);
  const y = minus(term(a2!, b0!), term(a0!, b2!), z);
  const shape = broadcastShape3(x, y, z);
  const c = concatenate([x, y, z].map((p) => reshapeRaw(apply("broadcast", [p], { shape, dims: p.shape.map((_, i) => i + shape.length - p.ndim) }), [...shape, 1])), { axis: -1 });
  return moveaxis(c, -1, opts.axis ?? opts.axisc ?? -1);
}

function broadcastShape3(...ts: Tensor[]): number[] {
  const rank = Math.max(...ts.map((t) => t.ndim));
  return Array.from({ length: rank }, (_, i) => Math.max(...ts.map((t) => t.shape[i - rank + t.ndim] ?? 1)));
}

/**
 * Matrix-vector product over the last axes: `[..., m, n] x [..., n] -> [..., m]`.
 * @example np.matvec([[1, 2], [3, 4]], [1, 1]) // [3, 7]
 */
export function matvec(x1: ArrayLike, x2: ArrayLike): Tensor {
  const [m, v] = [asTensor(x1, "matvec"), asTensor(x2, "matvec")];
  atLeast("matvec", m, 2);
  atLeast("matvec", v, 1);
  const out = matmul(m, reshapeRaw(v, [...v.shape, 1]));
  return reshapeRaw(out, out.shape.slice(0, -1));
}

/**
 * Vector-matrix product over the last axes: `[..., n] x [..., n, m] -> [..., m]`.
 * @example np.vecmat([1, 1], [[1, 2], [3, 4]]) // [4, 6]
 */
export function vecmat(x1: ArrayLike, x2: ArrayLike): Tensor {
  const [v, m] = [asTensor(x1, "vecmat"), asTensor(x2, "vecmat")];
  atLeast("vecmat", v, 1);
  atLeast("vecmat", m, 2);
  const out = matmul(reshapeRaw(v, [...v.shape.slice(0, -1), 1, v.shape[v.ndim - 1]!]), m);
  return reshapeRaw(out, [...out.shape.slice(0, -2), out.shape[out.ndim - 1]!]);
}

/**
 * Swaps the last two axes (a batch of matrices transposed).
 * @example np.matrixTranspose(np.zeros([5, 2, 3])).shape // [5, 3, 2]
 */
export function matrixTranspose(x: ArrayLike): Tensor {
  const t = asTensor(x, "matrixTranspose");
  atLeast("matrixTranspose", t, 2);
  return swapaxes(t, -1, -2);
}
