/**
 * `lax.dynamicSlice` / `lax.dynamicUpdateSlice` (JAX's `dynamic_slice`, `dynamic_update_slice` and
 * their `_in_dim` forms): slices whose start may be a traced integer — a loop counter inside
 * `scan`, an index computed on the device — while the slice's size stays static.
 *
 * Compositions, no new primitive: a start given as a JS number becomes a static `slice`/`pad`; a
 * Tensor start becomes a gather (`take`) of `start + arange(size)` along that axis, and an update
 * becomes a `where` between the operand and the update gathered at `position - start`. Their
 * derivatives and batching rules are those of `take` and `where` (an update's cotangent is the
 * operand's cotangent gathered back; the operand's is zero under the written window).
 *
 * Start indices follow JAX: a negative start counts from the end (`start + dim`), and every start
 * is then clamped to `[0, dim - size]`, so the window always lies inside the operand — an
 * out-of-range start moves the window, it never reads or writes out of bounds.
 */
import { isInt } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { iota } from "../np/compose-helpers.js";
import { add, clip, greaterEqual, less, logicalAnd, subtract, where } from "../np/elementwise.js";
import { take } from "../np/indexing.js";
import { apply, asTensor, astypeRaw, broadcastRaw } from "../np/util.js";

/** A start index: a JS integer (static) or an integer scalar Tensor (traced). */
export type StartIndex = number | Tensor;

/** The start indices: one per operand axis, as a list or as a 1-D integer Tensor of length ndim. */
export type StartIndices = readonly StartIndex[] | Tensor;

/** The per-axis starts, checked: JS integers stay numbers, tensors become int32 scalars. */
function startsOf(op: string, starts: unknown, ndim: number): StartIndex[] {
  let list: unknown[];
  if (starts instanceof Tensor) {
    if (starts.ndim !== 1 || starts.shape[0] !== ndim) {
      throw new ShapeError(`${op}: a Tensor of start indices must be 1-D with one entry per operand axis (${ndim}), got shape ${fmtShape(starts.shape)}`);
    }
    list = Array.from({ length: ndim }, (_, i) => take(starts, i));
  } else if (Array.isArray(starts)) {
    list = starts;
  } else {
    throw new ValueError(`${op}: startIndices must be an array (one per axis) or a 1-D integer Tensor, got ${describeValue(starts)}`);
  }
  if (list.length !== ndim) throw new ShapeError(`${op}: got ${list.length} start indices for an operand of rank ${ndim}`);
  return list.map((s, i) => {
    if (typeof s === "number") {
      if (!Number.isInteger(s)) throw new ValueError(`${op}: start index ${i} must be an integer, got ${s}`);
      return s;
    }
    if (s instanceof Tensor) {
      if (!isInt(s.dtype)) throw new DTypeError(`${op}: start index ${i} must have an integer dtype, got ${s.dtype}`);
      if (s.ndim !== 0) throw new ShapeError(`${op}: start index ${i} must be a scalar, got shape ${fmtShape(s.shape)}`);
      return astypeRaw(s, "int32");
    }
    throw new ValueError(`${op}: start index ${i} must be an integer or an integer scalar Tensor, got ${describeValue(s)}`);
  });
}

/** JAX's normalization: negative starts count from the end, then clamp so `size` elements fit. */
function clampStart(start: StartIndex, dim: number, size: number): StartIndex {
  if (typeof start === "number") return Math.min(Math.max(start < 0 ? start + dim : start, 0), dim - size);
  return clip(where(less(start, 0), add(start, dim), start), 0, dim - size);
}

function checkSizes(op: string, what: string, sizes: readonly number[], shape: readonly number[]): void {
  if (sizes.length !== shape.length) throw new ShapeError(`${op}: ${what} ${fmtShape(sizes)} must have one entry per operand axis (operand shape ${fmtShape(shape)})`);
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0 || s > shape[i]!) {
      throw new ShapeError(`${op}: ${what} ${fmtShape(sizes)} must be integers in [0, dim] for the operand of shape ${fmtShape(shape)} (axis ${i})`);
    }
  });
}

/**
 * The `sliceSizes`-shaped window of `operand` starting at `startIndices` (JAX's
 * `lax.dynamic_slice`). Starts may be traced integer scalars (or one 1-D integer Tensor);
 * negative starts count from the end and every start is clamped so the window fits.
 * @example
 * const x = np.arange(10);
 * lax.dynamicSlice(x, [np.array(3, { dtype: "int32" })], [4]);   // [3, 4, 5, 6]
 * lax.dynamicSlice(x, [8], [4]);                                  // [6, 7, 8, 9] (start clamped to 6)
 * // inside a scan: the i-th row of a matrix, i a loop counter
 * lax.dynamicSlice(np.eye(3), [i, 0], [1, 3]);
 */
export function dynamicSlice(operand: ArrayLike, startIndices: StartIndices, sliceSizes: readonly number[]): Tensor {
  const op = "dynamicSlice";
  const x = asTensor(operand, op);
  if (!Array.isArray(sliceSizes)) throw new ValueError(`${op}: sliceSizes must be an array of integers, got ${describeValue(sliceSizes)}`);
  checkSizes(op, "sliceSizes", sliceSizes, x.shape);
  const starts = startsOf(op, startIndices, x.ndim).map((s, i) => clampStart(s, x.shape[i]!, sliceSizes[i]!));
  // Static starts: one `slice` over every such axis; traced starts: one gather per axis.
  const staticStart = starts.map((s) => (typeof s === "number" ? s : 0));
  const staticStop = starts.map((s, i) => (typeof s === "number" ? s + sliceSizes[i]! : x.shape[i]!));
  let out = staticStart.every((s, i) => s === 0 && staticStop[i] === x.shape[i])
    ? x
    : apply("slice", [x], { start: staticStart, stop: staticStop, step: x.shape.map(() => 1) }, x.weak);
  starts.forEach((s, axis) => {
    if (typeof s === "number") return;
    out = take(out, add(iota([sliceSizes[axis]!], 0), s), { axis });
  });
  return out;
}

/**
 * `operand` with the window starting at `startIndices` replaced by `update` (JAX's
 * `lax.dynamic_update_slice`). `update` has the operand's rank and dtype (lax does not promote)
 * and fits inside it; starts are normalized and clamped as in {@link dynamicSlice}.
 * @example
 * lax.dynamicUpdateSlice(np.zeros([5]), np.ones([2]), [np.array(1, { dtype: "int32" })]); // [0, 1, 1, 0, 0]
 * lax.dynamicUpdateSlice(np.zeros([2, 3]), np.ones([1, 2]), [1, 5]);  // [[0, 0, 0], [0, 1, 1]]
 */
export function dynamicUpdateSlice(operand: ArrayLike, update: ArrayLike, startIndices: StartIndices): Tensor {
  const op = "dynamicUpdateSlice";
  const x = asTensor(operand, op);
  const u = asTensor(update, op);
  if (u.ndim !== x.ndim) throw new ShapeError(`${op}: update of shape ${fmtShape(u.shape)} must have the operand's rank (shape ${fmtShape(x.shape)})`);
  checkSizes(op, "update shape", u.shape, x.shape);
  if (u.dtype !== x.dtype) throw new DTypeError(`${op}: update dtype ${u.dtype} must equal the operand's ${x.dtype} (lax does not promote; cast with astype)`);
  const starts = startsOf(op, startIndices, x.ndim).map((s, i) => clampStart(s, x.shape[i]!, u.shape[i]!));
  if (u.size === 0) return x;
  if (starts.every((s) => typeof s === "number")) {
    // All static: the update padded into place, selected by a static mask of the same padding.
    const lo = starts as number[];
    const hi = lo.map((s, i) => x.shape[i]! - s - u.shape[i]!);
    const padded = apply("pad", [u], { lo, hi, value: 0 }, u.weak);
    const inside = apply("pad", [broadcastRaw(asTensor(true, op), u.shape)], { lo, hi, value: 0 });
    return where(inside, padded, x);
  }
  // Traced starts: along each axis, gather the update at `position - start` (clamped into the
  // update) and record which positions lie inside the window; the window is the AND over axes.
  let spread = u;
  let inside: Tensor | null = null;
  starts.forEach((s, axis) => {
    const dim = x.shape[axis]!;
    const size = u.shape[axis]!;
    const rel = subtract(iota([dim], 0), s);
    spread = take(spread, clip(rel, 0, Math.max(size - 1, 0)), { axis });
    const shape = x.shape.map((_, i) => (i === axis ? dim : 1));
    const within = logicalAnd(greaterEqual(rel, 0), less(rel, size)).reshape(shape);
    inside = inside === null ? within : logicalAnd(inside, within);
  });
  return where(inside!, spread, x);
}

/**
 * `dynamicSlice` along one axis: `size` elements from `start` (JAX's `dynamic_slice_in_dim`).
 * @example lax.dynamicSliceInDim(np.arange(12).reshape([3, 4]), np.array(1, { dtype: "int32" }), 2, 1); // [[1, 2], [5, 6], [9, 10]]
 */
export function dynamicSliceInDim(operand: ArrayLike, start: StartIndex, size: number, axis = 0): Tensor {
  const x = asTensor(operand, "dynamicSliceInDim");
  const ax = normAxis("dynamicSliceInDim", axis, x.ndim);
  return dynamicSlice(x, x.shape.map((_, i) => (i === ax ? start : 0)), x.shape.map((d, i) => (i === ax ? size : d)));
}

/**
 * `dynamicUpdateSlice` along one axis (JAX's `dynamic_update_slice_in_dim`).
 * @example lax.dynamicUpdateSliceInDim(np.zeros([4]), np.ones([2]), 3, 0); // [0, 0, 1, 1] (start clamped to 2)
 */
export function dynamicUpdateSliceInDim(operand: ArrayLike, update: ArrayLike, start: StartIndex, axis = 0): Tensor {
  const x = asTensor(operand, "dynamicUpdateSliceInDim");
  const ax = normAxis("dynamicUpdateSliceInDim", axis, x.ndim);
  return dynamicUpdateSlice(x, update, x.shape.map((_, i) => (i === ax ? start : 0)));
}
