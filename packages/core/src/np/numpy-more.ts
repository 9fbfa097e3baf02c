/**
 * Common jax.numpy functions that are compositions of existing np ops (no new primitive):
 * flattening and rank promotion, creation aliases, `inner`/`kron`, the index helpers
 * (`nonzero`, `argwhere`, `unravelIndex`, `triuIndices`, …), `interp`/`digitize` and the NaN-skipping
 * arg-reductions. Semantics follow JAX where it differs from NumPy (clipped indices, -1 for an
 * all-NaN `nanargmax`, static `size` for data-dependent shapes).
 */
import { isFloat, isInt } from "../dtype.js";
import { ConcretizationError, DTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { broadcastShapes, fmtShape } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { atLeastNd, checkInt, iota } from "./compose-helpers.js";
import { type DTypeOption, array, eye, zeros } from "./creation.js";
import {
  abs, add, astype, divide, equal, floor, floorDivide, greater, greaterEqual, isnan, less, log2, logicalAnd, logicalOr, multiply,
  negative, notEqual, power, remainder, subtract, where,
} from "./elementwise.js";
import { at, take } from "./indexing.js";
import { tensordot } from "./linalg.js";
import { type CumulativeOptions, bitwiseAnd, bitwiseOr, cumprod, rightShift } from "./math-extra.js";
import { bitcastConvertType } from "../lax/bitcast.js";
import { all, any, argmax, argmin } from "./reduce.js";
import { broadcastTo, concatenate, flip, reshape, stack } from "./shape.js";
import { argsort, searchsorted } from "./sort.js";
import { apply, asTensor, astypeRaw, checkHostWork, checkNesting, fullRaw, optionsOf, reshapeRaw } from "./util.js";

/**
 * The flattened array (C order), `reshape(x, [-1])`.
 * @example np.ravel([[1, 2], [3, 4]]) // [1, 2, 3, 4]
 */
export function ravel(x: ArrayLike): Tensor {
  return reshape(x, [-1]);
}

function atLeastMany(op: string, rank: 1 | 2 | 3, xs: readonly ArrayLike[]): Tensor | Tensor[] {
  if (xs.length === 0) throw new ValueError(`${op}: needs at least one array`);
  const out = xs.map((x) => atLeastNd(asTensor(x, op), rank));
  return out.length === 1 ? out[0]! : out;
}

/**
 * Views with at least one dimension (a scalar becomes shape [1]); one argument gives a Tensor,
 * several give an array of Tensors (JAX's tuple).
 * @example np.atleast1d(5).shape // [1]
 */
export function atleast1d(x: ArrayLike): Tensor;
export function atleast1d(...xs: ArrayLike[]): Tensor[];
export function atleast1d(...xs: ArrayLike[]): Tensor | Tensor[] {
  return atLeastMany("atleast1d", 1, xs);
}

/**
 * Views with at least two dimensions: a 1-D array of length n becomes [1, n].
 * @example np.atleast2d([1, 2]).shape // [1, 2]
 */
export function atleast2d(x: ArrayLike): Tensor;
export function atleast2d(...xs: ArrayLike[]): Tensor[];
export function atleast2d(...xs: ArrayLike[]): Tensor | Tensor[] {
  return atLeastMany("atleast2d", 2, xs);
}

/**
 * Views with at least three dimensions: [n] becomes [1, n, 1] and [m, n] becomes [m, n, 1] (NumPy).
 * @example np.atleast3d([[1, 2]]).shape // [1, 2, 1]
 */
export function atleast3d(x: ArrayLike): Tensor;
export function atleast3d(...xs: ArrayLike[]): Tensor[];
export function atleast3d(...xs: ArrayLike[]): Tensor | Tensor[] {
  return atLeastMany("atleast3d", 3, xs);
}

/**
 * An array of the given shape; as in JAX (which has no uninitialised memory) it is zeros.
 * @example np.empty([2, 2]) // [[0, 0], [0, 0]]
 */
export function empty(shape: readonly number[], opts: DTypeOption = {}, ...extra: undefined[]): Tensor {
  return zeros(shape, optionsOf("empty", opts, "empty", extra));
}

/**
 * The n×n identity matrix, `eye(n)`.
 * @example np.identity(2, { dtype: "int32" }) // [[1, 0], [0, 1]]
 */
export function identity(n: number, opts: DTypeOption = {}, ...extra: undefined[]): Tensor {
  return eye(n, optionsOf("identity", opts, "identity", extra));
}

/**
 * A copy of `x` as a Tensor. Tensors are immutable, so the copy may share the original's storage.
 * @example np.copy([1, 2]) // [1, 2]
 */
export function copy(x: ArrayLike): Tensor {
  return asTensor(x, "copy");
}

/**
 * Inner product over the last axes of `a` and `b` (a scalar operand multiplies); the result has
 * `a`'s other axes, then `b`'s.
 * @example np.inner([1, 2, 3], [4, 5, 6]) // 32
 * @example np.inner([[1, 2], [3, 4]], [[1, 2], [0, 1]]) // [[5, 2], [11, 4]]
 */
export function inner(a: ArrayLike, b: ArrayLike): Tensor {
  const ta = asTensor(a, "inner"), tb = asTensor(b, "inner");
  if (ta.ndim === 0 || tb.ndim === 0) return multiply(ta, tb);
  return tensordot(ta, tb, [[-1], [-1]]);
}

/**
 * The Kronecker product: blocks `a[i, j] * b` (ranks are equalised by leading 1s, as NumPy).
 * @example np.kron([[1, 2], [3, 4]], [[1, 1]]) // [[1, 1, 2, 2], [3, 3, 4, 4]]
 */
export function kron(a: ArrayLike, b: ArrayLike): Tensor {
  const ta = asTensor(a, "kron"), tb = asTensor(b, "kron");
  const nd = Math.max(ta.ndim, tb.ndim);
  const sa = [...Array<number>(nd - ta.ndim).fill(1), ...ta.shape];
  const sb = [...Array<number>(nd - tb.ndim).fill(1), ...tb.shape];
  // Interleave the axes (a0, b0, a1, b1, …) so one broadcast multiply makes every block, then merge pairs.
  const prodAB = multiply(reshape(ta, sa.flatMap((d) => [d, 1])), reshape(tb, sb.flatMap((d) => [1, d])));
  return reshape(prodAB, sa.map((d, i) => d * sb[i]!));
}

/** Options of {@link nonzero}, {@link argwhere} and {@link flatnonzero}. */
export interface NonzeroOptions {
  /**
   * The static number of results (JAX): required under jit/vmap/grad, where the count is not
   * known while tracing. Fewer nonzeros are padded with `fillValue`; more are cut to the first `size`.
   */
  size?: number;
  /** The padding index when `size` exceeds the count (default 0, as JAX). */
  fillValue?: number;
}

/** The flat int32 positions of `t`'s nonzeros in `size` slots (padding reads 0), which slots are real, and the fill. */
function nonzeroFlat(op: "flatnonzero" | "nonzero" | "argwhere", t: Tensor, options: NonzeroOptions | undefined, ...extra: undefined[]): { pos: Tensor; real: Tensor; fill: number } {
  const opts = optionsOf(op, options, op, extra);
  const fill = opts.fillValue === undefined ? 0 : checkInt(op, "fillValue", opts.fillValue);
  const n = t.size;
  const mask = notEqual(reshapeRaw(t, [n]), 0);
  const count = apply("reduceSum", [astypeRaw(mask, "int32")], { axes: [0] });
  const size = opts.size === undefined ? concreteCount(op, count) : checkInt(op, "size", opts.size, 0);
  // Nonzero k goes to slot k (its running count - 1); zeros aim past the end and are dropped.
  const slot = subtract(apply("cumsum", [astypeRaw(mask, "int32")], { axis: 0, reverse: false }), 1);
  const target = where(mask, slot, size + 1);
  const scattered = apply("scatter", [fullRaw([size + 1], 0, "int32"), target, iota([n], 0)], { axis: 0 });
  const pos = apply("slice", [scattered], { start: [0], stop: [size], step: [1] });
  const real = less(iota([size], 0), count);
  return { pos, real, fill };
}

/** The nonzero count, read eagerly: the size-less forms only work on concrete values (as `unique`). */
function concreteCount(op: string, count: Tensor): number {
  try {
    return count.itemSync();
  } catch (e) {
    if (e instanceof ConcretizationError) {
      throw new ConcretizationError(
        `${op}: the number of nonzero elements of a traced array is not known while tracing (jit, vmap, grad); ` +
          `pass a static size, e.g. np.${op}(x, { size: n, fillValue })`,
      );
    }
    throw e;
  }
}

/**
 * int32 positions of the nonzero elements of the flattened `x`. Without `size` it needs concrete
 * values (as `unique`); with `size` it works under jit/vmap.
 * @example np.flatnonzero([[0, 3], [4, 0]]) // [1, 2]
 * @example np.flatnonzero([0, 5], { size: 3, fillValue: -1 }) // [1, -1, -1]
 */
export function flatnonzero(x: ArrayLike, options?: NonzeroOptions): Tensor {
  const { pos, real, fill } = nonzeroFlat("flatnonzero", asTensor(x, "flatnonzero"), options);
  return where(real, pos, fill);
}

/**
 * One int32 index array per axis of the nonzero elements of `x` (row-major order); a 0-d input
 * is a ShapeError (JAX). `size`/`fillValue` as {@link flatnonzero}.
 * @example np.nonzero([[0, 3], [4, 0]]) // [[0, 1], [1, 0]]
 */
export function nonzero(x: ArrayLike, options?: NonzeroOptions): Tensor[] {
  const t = asTensor(x, "nonzero");
  if (t.ndim === 0) throw new ShapeError(`nonzero: not defined for a 0-d array; use np.atleast1d(x) first (JAX)`);
  const { pos, real, fill } = nonzeroFlat("nonzero", t, options);
  return unravelRaw(pos, t.shape).map((ix) => where(real, ix, fill));
}

/**
 * The indices of the nonzero elements, one row per element: int32 of shape [count, ndim].
 * `size`/`fillValue` as {@link flatnonzero}.
 * @example np.argwhere([[0, 3], [4, 0]]) // [[0, 1], [1, 0]]
 */
export function argwhere(x: ArrayLike, options?: NonzeroOptions): Tensor {
  const t = asTensor(x, "argwhere");
  const { pos, real, fill } = nonzeroFlat("argwhere", t, options);
  // A 0-d x: one row (x nonzero) or none, of no coordinates.
  if (t.ndim === 0) return fullRaw([pos.size, 0], 0, "int32");
  return stack(unravelRaw(pos, t.shape).map((ix) => where(real, ix, fill)), { axis: 1 });
}

/** Row-major coordinates of in-range int32 flat indices. */
function unravelRaw(flat: Tensor, shape: readonly number[]): Tensor[] {
  const out: Tensor[] = [];
  let rest = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    out.unshift(i === 0 ? rest : remainder(rest, d));
    if (i > 0) rest = floorDivide(rest, d);
  }
  return out;
}

/** int32 indices: an integer Tensor, or plain (nested) JS integers, which would otherwise become float32. */
function intIndex(op: string, x: ArrayLike): Tensor {
  if (!(x instanceof Tensor)) {
    checkNesting(op, x);
    const flat = Array.isArray(x) ? (x as unknown[]).flat(Infinity) : [x];
    const bad = flat.find((v) => typeof v !== "number" || !Number.isInteger(v));
    if (bad !== undefined) throw new DTypeError(`${op}: indices must be integers, got ${describeValue(bad)}`);
    return asTensor(x, op, "int32");
  }
  const t = x;
  if (!isInt(t.dtype)) throw new DTypeError(`${op}: indices must be integers, got dtype ${t.dtype}`);
  return astypeRaw(t, "int32");
}

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new ValueError(`${op}: shape must be an array of sizes, got ${describeValue(shape)}`);
  shape.forEach((d) => checkInt(op, "each size of shape", d, 0));
}

/**
 * The coordinates in an array of `shape` of flat (row-major) `indices`, one int32 array per axis.
 * As JAX (not NumPy), negative indices count from the end and out-of-range ones are clipped.
 * @example np.unravelIndex([5, 1], [2, 3]) // [[1, 0], [2, 1]]
 */
export function unravelIndex(indices: ArrayLike, shape: readonly number[]): Tensor[] {
  checkShape("unravelIndex", shape);
  const idx = intIndex("unravelIndex", indices);
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0) throw new ValueError(`unravelIndex: cannot unravel into an empty shape ${fmtShape(shape)}`);
  const wrapped = where(less(idx, 0), add(idx, total), idx);
  return unravelRaw(where(less(wrapped, 0), 0, where(greater(wrapped, total - 1), total - 1, wrapped)), shape);
}

/** Options of {@link ravelMultiIndex}. */
export interface RavelMultiIndexOptions {
  /**
   * Out-of-range coordinates: "raise" (default; reads the values, so not under jit), "wrap"
   * (modulo the size) or "clip" (to the range).
   */
  mode?: "raise" | "wrap" | "clip";
}

/**
 * Flat (row-major) int32 indices of coordinates `multiIndex` (one integer array per axis of `dims`).
 * @example np.ravelMultiIndex([[1, 0], [2, 1]], [2, 3]) // [5, 1]
 */
export function ravelMultiIndex(multiIndex: readonly ArrayLike[], dims: readonly number[], options?: RavelMultiIndexOptions, ...extra: undefined[]): Tensor {
  const op = "ravelMultiIndex";
  const mode = optionsOf(op, options, op, extra).mode ?? "raise";
  if (mode !== "raise" && mode !== "wrap" && mode !== "clip") throw new ValueError(`${op}: mode must be "raise", "wrap" or "clip", got ${describeValue(mode)}`);
  checkShape(op, dims);
  if (!Array.isArray(multiIndex) || multiIndex.length !== dims.length) {
    throw new ValueError(`${op}: needs one index array per dimension (${dims.length}), got ${Array.isArray(multiIndex) ? multiIndex.length : describeValue(multiIndex)}`);
  }
  const coords = multiIndex.map((m) => intIndex(op, m));
  if (mode === "raise") {
    const bad = coords.map((c, i) => logicalOr(less(c, 0), greaterEqual(c, dims[i]!)));
    let anyBad: boolean;
    try {
      anyBad = bad.some((b) => any(b).itemSync() as unknown as boolean);
    } catch (e) {
      if (e instanceof ConcretizationError) throw new ConcretizationError(`${op}: mode "raise" reads the indices, which are traced here (jit, vmap, grad); pass mode "clip" or "wrap"`);
      throw e;
    }
    if (anyBad) throw new ValueError(`${op}: invalid entry in coordinates array for dims ${fmtShape(dims)}`);
  }
  let flat: Tensor = asTensor(0, op, "int32");
  coords.forEach((c, i) => {
    const d = dims[i]!;
    const inRange = mode === "wrap" ? remainder(c, d) : where(less(c, 0), 0, where(greater(c, d - 1), d - 1, c));
    flat = add(multiply(flat, d), inRange);
  });
  return flat;
}

function triangleIndices(op: string, n: number, k: number, m: number | undefined, keep: (i: number, j: number) => boolean): Tensor[] {
  checkInt(op, "n", n, 0);
  checkInt(op, "k", k);
  const cols = m === undefined ? n : checkInt(op, "m", m, 0);
  checkHostWork(op, n * cols, `an ${n}×${cols} matrix`);
  const rows: number[] = [], cs: number[] = [];
  // The shape depends only on the static n, k, m, so the indices are built on the host.
  for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++) if (keep(i, j - k)) { rows.push(i); cs.push(j); }
  return [array(rows, { dtype: "int32" }), array(cs, { dtype: "int32" })];
}

/**
 * Row and column indices (int32) of the upper triangle of an n×m matrix, from diagonal `k` up.
 * @example np.triuIndices(3, 1) // [[0, 0, 1], [1, 2, 2]]
 */
export function triuIndices(n: number, k = 0, m?: number): Tensor[] {
  return triangleIndices("triuIndices", n, k, m, (i, jk) => jk >= i);
}

/**
 * Row and column indices (int32) of the lower triangle of an n×m matrix, up to diagonal `k`.
 * @example np.trilIndices(3) // [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
 */
export function trilIndices(n: number, k = 0, m?: number): Tensor[] {
  return triangleIndices("trilIndices", n, k, m, (i, jk) => jk <= i);
}

/** Options of {@link nanargmax} and {@link nanargmin}. */
export interface NanArgOptions {
  axis?: number | null;
  keepdims?: boolean;
}

function nanArg(op: "nanargmax" | "nanargmin", x: ArrayLike, options: NanArgOptions | undefined, ...extra: undefined[]): Tensor {
  const opts = optionsOf(op, options, op, extra);
  const t = asTensor(x, op);
  const arg = op === "nanargmax" ? argmax : argmin;
  if (!isFloat(t.dtype)) return arg(t, opts);
  const nan = isnan(t);
  const r = arg(where(nan, op === "nanargmax" ? -Infinity : Infinity, t), opts);
  // JAX answers -1 for an all-NaN slice where NumPy raises.
  return where(all(nan, { axis: opts.axis ?? undefined, keepdims: opts.keepdims }), -1, r);
}

/**
 * Index of the maximum ignoring NaN (as `argmax`); an all-NaN slice gives -1 (JAX).
 * @example np.nanargmax([1, NaN, 3]) // 2
 */
export function nanargmax(x: ArrayLike, options?: NanArgOptions): Tensor {
  return nanArg("nanargmax", x, options);
}

/**
 * Index of the minimum ignoring NaN (as `argmin`); an all-NaN slice gives -1 (JAX).
 * @example np.nanargmin([[NaN, 2], [1, NaN]], { axis: 1 }) // [1, 0]
 */
export function nanargmin(x: ArrayLike, options?: NanArgOptions): Tensor {
  return nanArg("nanargmin", x, options);
}

/**
 * Cumulative product treating NaN as 1 (mirrors `nancumsum`).
 * @example np.nancumprod([2, NaN, 3]) // [2, 2, 6]
 */
export function nancumprod(x: ArrayLike, options?: CumulativeOptions, ...extra: undefined[]): Tensor {
  const t = asTensor(x, "nancumprod");
  return cumprod(isFloat(t.dtype) ? where(isnan(t), 1, t) : t, optionsOf("nancumprod", options, "nancumprod", extra));
}

/** Options of {@link interp}. */
export interface InterpOptions {
  /** The value below `xp[0]` (default `fp[0]`). */
  left?: number;
  /** The value above `xp[-1]` (default `fp[-1]`). */
  right?: number;
  /** Treat x as periodic with this period (`xp` need not be sorted; `left`/`right` are ignored). */
  period?: number;
}

/**
 * Piecewise-linear interpolation of the points (`xp`, `fp`) at `x`; `xp` must be increasing
 * (not checked, as NumPy) unless `period` is given. Differentiable in `x` and `fp`. Float32 for
 * integer input.
 * @example np.interp([0, 1.5, 5], [1, 2, 3], [3, 2, 0]) // [3, 2.5, 0]
 * @example np.interp([-170, 190], [-180, 0, 90], [0, 4, 2], { period: 360 }) // [0.22222, 0.22222]
 */
export function interp(x: ArrayLike, xp: ArrayLike, fp: ArrayLike, options?: InterpOptions, ...extra: undefined[]): Tensor {
  const op = "interp";
  const opts = optionsOf(op, options, op, extra);
  const toF = (v: ArrayLike) => { const t = asTensor(v, op); return isFloat(t.dtype) ? t : astype(t, "float32"); };
  let tx = toF(x), txp = toF(xp), tfp = toF(fp);
  if (txp.ndim !== 1 || tfp.ndim !== 1 || txp.shape[0] !== tfp.shape[0]) {
    throw new ShapeError(`${op}: xp and fp must be 1-D of the same length, got shapes ${fmtShape(txp.shape)} and ${fmtShape(tfp.shape)}`);
  }
  if (txp.shape[0] === 0) throw new ValueError(`${op}: xp and fp must not be empty`);
  if (opts.period !== undefined) {
    if (typeof opts.period !== "number" || opts.period === 0 || !Number.isFinite(opts.period)) throw new ValueError(`${op}: period must be a finite non-zero number, got ${describeValue(opts.period)}`);
    // Everything is brought into [0, period), the points sorted, and one point wrapped past each end (JAX, NumPy).
    const p = Math.abs(opts.period);
    tx = remainder(tx, p);
    const order = argsort(remainder(txp, p));
    const sxp = take(remainder(txp, p), order), sfp = take(tfp, order);
    const last = txp.shape[0]! - 1;
    txp = concatenate([subtract(reshape(take(sxp, last), [1]), p), sxp, add(reshape(take(sxp, 0), [1]), p)]);
    tfp = concatenate([reshape(take(sfp, last), [1]), sfp, reshape(take(sfp, 0), [1])]);
  }
  const n = txp.shape[0]!;
  let f: Tensor;
  if (n === 1) f = add(multiply(tx, 0), take(tfp, 0));
  else {
    const i = searchsorted(txp, tx, { side: "right" });
    const hi = where(less(i, 1), 1, where(greater(i, n - 1), n - 1, i));
    const lo = subtract(hi, 1);
    const fLo = take(tfp, lo), xLo = take(txp, lo);
    const df = subtract(take(tfp, hi), fLo), dx = subtract(take(txp, hi), xLo);
    // A zero-width interval (repeated xp) takes fp at its left end; the guarded divisor keeps its gradient finite.
    const dx0 = equal(dx, 0);
    f = where(dx0, fLo, add(fLo, multiply(subtract(tx, xLo), divide(df, where(dx0, 1, dx)))));
  }
  if (opts.period !== undefined) return f;
  f = where(less(tx, take(txp, 0)), opts.left ?? take(tfp, 0), f);
  return where(greater(tx, take(txp, n - 1)), opts.right ?? take(tfp, n - 1), f);
}

/**
 * The int32 index of the bin of `bins` (1-D, increasing or decreasing) each of `x` falls in:
 * `bins[i-1] <= x < bins[i]` for increasing bins (`x <= bins[i]` with `right`).
 * @example np.digitize([0.5, 1, 2.5, 4], [1, 2, 3]) // [0, 1, 2, 3]
 */
export function digitize(x: ArrayLike, bins: ArrayLike, right = false): Tensor {
  const tb = asTensor(bins, "digitize");
  if (tb.ndim !== 1) throw new ShapeError(`digitize: bins must be 1-D, got shape ${fmtShape(tb.shape)}`);
  if (typeof right !== "boolean") throw new ValueError(`digitize: right must be a boolean, got ${describeValue(right)}`);
  const tx = asTensor(x, "digitize");
  const n = tb.shape[0]!;
  if (n === 0) return astypeRaw(multiply(tx, 0), "int32");
  const side = right ? "left" : "right";
  const increasing = greaterEqual(take(tb, n - 1), take(tb, 0));
  return where(increasing, searchsorted(tb, tx, { side }), subtract(n, searchsorted(flip(tb), tx, { side })));
}

/** Options of {@link fillDiagonal}. */
export interface FillDiagonalOptions {
  /** For a tall 2-D array, restart the diagonal below the first square block (NumPy's `wrap`). */
  wrap?: boolean;
}

/**
 * A copy of `a` with its main diagonal set to `val` (JAX's `fill_diagonal(…, inplace=False)`):
 * `val` is flattened and repeated along the diagonal. A 2-D array may be non-square; more
 * dimensions must all have the same length. Differentiable in `a` and `val`.
 * @example np.fillDiagonal(np.zeros([3, 3]), [1, 2, 3]) // [[1, 0, 0], [0, 2, 0], [0, 0, 3]]
 */
export function fillDiagonal(a: ArrayLike, val: ArrayLike, options?: FillDiagonalOptions, ...extra: undefined[]): Tensor {
  const op = "fillDiagonal";
  const opts = optionsOf(op, options, op, extra);
  const wrap = opts.wrap ?? false;
  if (typeof wrap !== "boolean") throw new ValueError(`${op}: wrap must be a boolean, got ${describeValue(wrap)}`);
  const t = asTensor(a, op);
  if (t.ndim < 2) throw new ShapeError(`${op}: array must be at least 2-d, got shape ${fmtShape(t.shape)}`);
  if (t.ndim > 2 && t.shape.some((d) => d !== t.shape[0])) throw new ShapeError(`${op}: all dimensions of input must be of equal length, got shape ${fmtShape(t.shape)}`);
  const v = reshape(astype(asTensor(val, op), t.dtype), [-1]);
  if (v.size === 0) throw new ValueError(`${op}: val must not be empty`);
  // In the flattened array the diagonal is every `step`-th element (NumPy's own formulation).
  let step = 1, stride = 1;
  for (let i = t.ndim - 1; i > 0; i--) { stride *= t.shape[i]!; step += stride; }
  const end = wrap || t.ndim !== 2 ? t.size : Math.min(t.size, t.shape[1]! * t.shape[1]!);
  const pos = iota([t.size], 0);
  const onDiag = logicalAnd(equal(remainder(pos, step), 0), less(pos, end));
  const vals = take(v, remainder(floorDivide(pos, step), v.size));
  return reshape(where(onDiag, vals, reshape(t, [-1])), t.shape);
}

/**
 * A copy of `arr` with `values` written at `indices` along `axis` (JAX's
 * `put_along_axis(…, inplace=False)`, the inverse of `takeAlongAxis`): `indices` has `arr`'s rank and
 * broadcasts with it on the other axes; negative indices count from the end. Differentiable in
 * `arr` and `values`.
 * @example np.putAlongAxis([[10, 30, 20]], [[1]], 99, 1) // [[10, 99, 20]]
 */
export function putAlongAxis(arr: ArrayLike, indices: ArrayLike, values: ArrayLike, axis: number): Tensor {
  const op = "putAlongAxis";
  const t = asTensor(arr, op);
  const ax = normAxisChecked(op, axis, t.ndim);
  const idx = intIndex(op, indices);
  if (idx.ndim !== t.ndim) throw new ShapeError(`${op}: indices of shape ${fmtShape(idx.shape)} must have the rank of the array, shape ${fmtShape(t.shape)}`);
  const grid = t.shape.map((d, i) => {
    if (i === ax) return idx.shape[i]!;
    if (idx.shape[i] !== d && idx.shape[i] !== 1) throw new ShapeError(`${op}: indices of shape ${fmtShape(idx.shape)} do not broadcast with the array's shape ${fmtShape(t.shape)} off axis ${ax}`);
    return d;
  });
  const n = t.shape[ax]!;
  const along = broadcastTo(where(less(idx, 0), add(idx, n), idx), grid);
  // The flat position of every written element: its own coordinates, with `indices` on `axis`.
  let flat: Tensor = asTensor(0, op, "int32");
  t.shape.forEach((d, i) => { flat = add(multiply(flat, d), i === ax ? along : iota(grid, i)); });
  const written = broadcastTo(astype(asTensor(values, op), t.dtype), grid);
  return reshape(at(reshape(t, [-1]), reshape(flat, [-1])).set(reshape(written, [-1])), t.shape);
}

function normAxisChecked(op: string, axis: number, rank: number): number {
  checkInt(op, "axis", axis);
  if (axis < -rank || axis >= rank) throw new ShapeError(`${op}: axis ${axis} is out of bounds for an array of rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

function intOperands(op: string, a: ArrayLike, b: ArrayLike): [Tensor, Tensor] {
  const ta = asTensor(a, op), tb = asTensor(b, op);
  const fromJs = (x: ArrayLike, t: Tensor) => (x instanceof Tensor ? t : intIndex(op, x));
  const [x, y] = [fromJs(a, ta), fromJs(b, tb)];
  for (const t of [x, y]) if (!isInt(t.dtype)) throw new DTypeError(`${op}: arguments must be integers, got dtype ${t.dtype}`);
  return [x, y];
}

/** Euclid's steps needed for any 32-bit pair: consecutive Fibonacci numbers are the worst case, F(47) > 2^32. */
const EUCLID_STEPS = 47;

/**
 * Greatest common divisor of integers, elementwise (gcd(0, 0) = 0; the result is non-negative).
 * A fixed number of Euclid steps, so it works under jit/vmap.
 * @example np.gcd([12, 20, 0], [18, -8, 5]) // [6, 4, 5]
 */
export function gcd(a: ArrayLike, b: ArrayLike): Tensor {
  const [x0, y0] = intOperands("gcd", a, b);
  let x = abs(x0), y = abs(y0);
  for (let k = 0; k < EUCLID_STEPS; k++) {
    const done = equal(y, 0);
    const r = remainder(x, where(done, 1, y));
    [x, y] = [where(done, x, y), where(done, y, r)];
  }
  return x;
}

/**
 * Least common multiple of integers, elementwise (0 when either is 0; non-negative).
 * @example np.lcm([4, 6, 0], [6, -4, 3]) // [12, 12, 0]
 */
export function lcm(a: ArrayLike, b: ArrayLike): Tensor {
  const [x, y] = intOperands("lcm", a, b);
  const d = gcd(x, y);
  const zero = equal(d, 0);
  return where(zero, 0, abs(multiply(x, floorDivide(y, where(zero, 1, d)))));
}

// ---------------------------------------------------------------------------------------------
// Floating-point decomposition. Exact powers of two are built from their bits (float32) or
// `power` (float64, cpu-only, where Math.pow(2, k) is exact): exp2 may round on a GPU.

function floatOperand(op: string, x: ArrayLike): Tensor {
  const t = asTensor(x, op);
  if (t.dtype === "bool") throw new DTypeError(`${op}: not defined for bool input`);
  return isFloat(t.dtype) ? t : astype(t, "float32");
}

/** 2^k exactly, for int32 `k` within the dtype's normal exponent range (±126 for float32). */
function pow2(k: Tensor, dtype: Tensor["dtype"]): Tensor {
  if (dtype === "float32") return bitcastConvertType(multiply(add(k, 127), 1 << 23), "float32");
  return power(asTensor(2, "ldexp", dtype), astype(k, dtype));
}

/**
 * `x · 2^e` for integer `e`, exact (no rounding beyond the result's own), with overflow to ±inf
 * and underflow through the subnormals. Integer `x` becomes float32. Differentiable in `x`.
 * @example np.ldexp([1, 3, -0.5], [3, -1, 2]) // [8, 1.5, -2]
 */
export function ldexp(x: ArrayLike, e: ArrayLike): Tensor {
  const op = "ldexp";
  const t = floatOperand(op, x);
  if (t.dtype !== "float32" && t.dtype !== "float64") throw new DTypeError(`${op}: float32 or float64 only, got ${t.dtype}`);
  const te = e instanceof Tensor ? e : intIndex(op, e);
  if (!isInt(te.dtype)) throw new DTypeError(`${op}: the exponent must be an integer, got dtype ${te.dtype}`);
  // Any exponent past the bound gives 0 or inf for every finite nonzero x; split in three so each
  // factor stays a normal power of two (|k| <= 112 for float32).
  const bound = t.dtype === "float32" ? 330 : 2200;
  const k = where(less(te, -bound), -bound, where(greater(te, bound), bound, astype(te, "int32")));
  const third = floorDivide(k, 3);
  const last = subtract(k, multiply(third, 2));
  return multiply(multiply(multiply(t, pow2(third, t.dtype)), pow2(third, t.dtype)), pow2(last, t.dtype));
}

/**
 * Mantissa and exponent: `x = m · 2^e` with `0.5 <= |m| < 1` (int32 `e`); 0, ±inf and NaN give
 * `[x, 0]`, as NumPy. Integer `x` becomes float32.
 * @example np.frexp([8, -0.75, 0]) // [[0.5, -0.75, 0], [4, 0, 0]]
 */
export function frexp(x: ArrayLike): [Tensor, Tensor] {
  const op = "frexp";
  const t = floatOperand(op, x);
  const special = logicalOr(equal(t, 0), logicalOr(isnan(t), equal(abs(t), Infinity)));
  let m: Tensor, e: Tensor;
  if (t.dtype === "float32") {
    // Subnormals are first scaled by 2^25 into the normal range; the exponent field then gives e.
    const sub = less(abs(t), 2 ** -126);
    const xs = where(sub, multiply(t, 2 ** 25), t);
    const bits = bitcastConvertType(xs, "uint32");
    const field = astype(bitwiseAnd(rightShift(bits, asTensor(23, op, "uint32")), asTensor(0xff, op, "uint32")), "int32");
    e = subtract(subtract(field, 126), where(sub, 25, 0));
    const mbits = bitwiseOr(bitwiseAnd(bits, asTensor(0x807fffff, op, "uint32")), asTensor(0x3f000000, op, "uint32"));
    m = bitcastConvertType(mbits, "float32");
  } else if (t.dtype === "float64") {
    // No 64-bit bitcast: log2 gives the exponent to within one, corrected by the mantissa's range.
    const safe = where(special, 1, abs(t));
    const e0 = add(astype(floor(log2(safe)), "int32"), 1);
    const m0 = divide(where(special, 1, t), pow2(e0, "float64"));
    const hi = greaterEqual(abs(m0), 1), lo = less(abs(m0), 0.5);
    m = where(hi, divide(m0, 2), where(lo, multiply(m0, 2), m0));
    e = where(hi, add(e0, 1), where(lo, subtract(e0, 1), e0));
  } else {
    throw new DTypeError(`${op}: float32 or float64 only, got ${t.dtype}`);
  }
  return [where(special, t, m), where(special, 0, e)];
}

/**
 * The next float32 after `a` toward `b`, elementwise (`b` itself when equal; NaN if either is
 * NaN). float32 only: kiln has no 64-bit bitcast, so float64 is a DTypeError. Not differentiable.
 * @example np.nextafter([1, 1], [2, 0]) // [1.0000001, 0.99999994]
 */
export function nextafter(a: ArrayLike, b: ArrayLike): Tensor {
  const op = "nextafter";
  const ta = floatOperand(op, a), tb = floatOperand(op, b);
  if (ta.dtype !== "float32" || tb.dtype !== "float32") throw new DTypeError(`${op}: float32 only (no 64-bit bitcast), got ${ta.dtype} and ${tb.dtype}`);
  // Broadcast by shape (not `x + 0 * y`, which turns an infinite target into NaN).
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  const [x, y] = [broadcastTo(ta, shape), broadcastTo(tb, shape)];
  const bits = bitcastConvertType(x, "uint32");
  // Sign-magnitude: moving away from zero is one more in the bits, toward zero one less.
  const away = equal(greater(y, x), greater(x, 0));
  const stepped = bitcastConvertType(where(away, add(bits, asTensor(1, op, "uint32")), subtract(bits, asTensor(1, op, "uint32"))), "float32");
  const tiny = bitcastConvertType(asTensor(1, op, "uint32"), "float32"); // the smallest subnormal
  const fromZero = where(greater(y, 0), tiny, negative(tiny));
  return where(logicalOr(isnan(x), isnan(y)), NaN, where(equal(x, y), y, where(equal(x, 0), fromZero, stepped)));
}
