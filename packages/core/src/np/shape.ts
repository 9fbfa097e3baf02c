/**
 * Shape operations with NumPy names. All are movement primitives (index arithmetic for the
 * backend, never kernels) or compositions of them. Shapes and axes are checked when the op is
 * called, so a bad call fails at the line that made it, with the op and the shapes in the message.
 */
import { castScalar } from "../dtype.js";
import { IndexError, ShapeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { type Shape, axesInOrder, checkShape, fmtShape, normAxes, normAxis, shapeEq, sizeOf } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { type Positional, positionalOptions } from "./positional.js";
import { apply, asTensor, astypeRaw, broadcastRaw, checkListLength, optionsOf, reshapeRaw, resultDType } from "./util.js";

/**
 * Gives `x` a new shape with the same number of elements; one `-1` is inferred from the others.
 * @example np.reshape(np.array([1, 2, 3, 4, 5, 6]), [-1, 3]) // [[1, 2, 3], [4, 5, 6]]
 */
export function reshape(x: ArrayLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, "reshape");
  return reshapeRaw(t, inferShape(t.shape, shape));
}

function inferShape(from: Shape, to: readonly number[]): number[] {
  if (!Array.isArray(to) || !to.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new ShapeError(`reshape: shape must be an array of non-negative integers with at most one -1, got ${jsonOf(to)}`);
  }
  const holes = to.filter((d) => d === -1).length;
  if (holes > 1) throw new ShapeError(`reshape: only one dimension can be -1 (inferred), got ${fmtShape(to)}`);
  const size = sizeOf(from);
  const known = sizeOf(to.filter((d) => d !== -1));
  const mismatch = () => new ShapeError(`reshape: cannot reshape an array of shape ${fmtShape(from)} (size ${size}) into shape ${fmtShape(to)}`);
  if (holes === 0) {
    if (known !== size) throw mismatch();
    return [...to];
  }
  // With a 0 among the known dims the -1 is ambiguous (NumPy refuses it too).
  if (known === 0 || size % known !== 0) throw mismatch();
  return to.map((d) => (d === -1 ? size / known : d));
}

/**
 * Permutes the axes: output axis i is input axis `axes[i]` (default: reversed, so a matrix is transposed).
 * @example np.transpose(np.zeros([2, 3, 4]), [1, 0, 2]).shape // [3, 2, 4]
 */
export function transpose(x: ArrayLike, axes?: readonly number[]): Tensor {
  const t = asTensor(x, "transpose");
  if (axes === undefined || axes === null) return transposeRaw(t, t.shape.map((_, i) => t.ndim - 1 - i));
  if (axes.length !== t.ndim) {
    throw new ShapeError(`transpose: axes ${jsonOf(axes)} do not match an array of shape ${fmtShape(t.shape)} (need ${t.ndim} axes)`);
  }
  return transposeRaw(t, axesInOrder("transpose", axes, t.ndim));
}

function transposeRaw(t: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((a, i) => a === i)) return t;
  return apply("transpose", [t], { perm: [...perm] }, t.weak);
}

/** Normalizes axes (negative allowed), keeping their order; a repeated axis is an IndexError. */
/**
 * Moves axes `source` to positions `destination`; the other axes keep their order.
 * @example np.moveaxis(np.zeros([2, 3, 4]), 0, -1).shape // [3, 4, 2]
 */
export function moveaxis(x: ArrayLike, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const t = asTensor(x, "moveaxis");
  const src = axesInOrder("moveaxis", source, t.ndim);
  const dst = axesInOrder("moveaxis", destination, t.ndim);
  if (src.length !== dst.length) {
    throw new ValueError(`moveaxis: source ${jsonOf(source)} and destination ${jsonOf(destination)} must have the same number of axes`);
  }
  const order = t.shape.map((_, i) => i).filter((i) => !src.includes(i));
  // Inserting in increasing destination order puts every moved axis exactly where asked (NumPy's algorithm).
  const byDst = src.map((s, k) => [dst[k]!, s] as const).sort((a, b) => a[0] - b[0]);
  for (const [d, s] of byDst) order.splice(d, 0, s);
  return transposeRaw(t, order);
}

/**
 * Exchanges two axes.
 * @example np.swapaxes(np.zeros([2, 3, 4]), 0, -1).shape // [4, 3, 2]
 */
export function swapaxes(x: ArrayLike, a: number, b: number): Tensor {
  const t = asTensor(x, "swapaxes");
  const [i, j] = [normAxis("swapaxes", a, t.ndim), normAxis("swapaxes", b, t.ndim)];
  const perm = t.shape.map((_, k) => (k === i ? j : k === j ? i : k));
  return transposeRaw(t, perm);
}

/**
 * Inserts size-1 axes at positions `axis` of the result (negative positions count from its end).
 * @example np.expandDims(np.zeros([2, 3]), [0, -1]).shape // [1, 2, 3, 1]
 */
export function expandDims(x: ArrayLike, axis: number | readonly number[]): Tensor {
  const t = asTensor(x, "expandDims");
  if (typeof axis !== "number" && !Array.isArray(axis)) {
    throw new IndexError(`expandDims: axis must be an integer or an array of integers, got ${describeValue(axis)}`);
  }
  const count = typeof axis === "number" ? 1 : axis.length;
  const rank = t.ndim + count;
  const axes = axesInOrder("expandDims", axis, rank);
  let k = 0;
  return reshapeRaw(t, Array.from({ length: rank }, (_, i) => (axes.includes(i) ? 1 : t.shape[k++]!)));
}

/**
 * Removes size-1 axes (all of them when `axis` is absent); naming an axis whose size is not 1 is a ShapeError.
 * @example np.squeeze(np.zeros([1, 3, 1]), 0).shape // [3, 1]
 */
export function squeeze(x: ArrayLike, axis?: number | readonly number[]): Tensor {
  const t = asTensor(x, "squeeze");
  const axes = axis === undefined || axis === null ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes("squeeze", axis, t.ndim);
  for (const a of axes) {
    if (t.shape[a] !== 1) throw new ShapeError(`squeeze: cannot squeeze axis ${a} of an array of shape ${fmtShape(t.shape)}: its size is ${t.shape[a]}, not 1`);
  }
  return reshapeRaw(t, t.shape.filter((_, i) => !axes.includes(i)));
}

/**
 * Broadcasts `x` to `shape` (NumPy rules: align trailing axes; size-1 axes stretch).
 * @example np.broadcastTo(np.array([1, 2]), [2, 2]) // [[1, 2], [1, 2]]
 */
export function broadcastTo(x: ArrayLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, "broadcastTo");
  const target = checkShape("broadcastTo", shape);
  const offset = target.length - t.ndim;
  if (offset < 0 || t.shape.some((d, i) => d !== 1 && d !== target[i + offset])) {
    throw new ShapeError(`broadcastTo: cannot broadcast an array of shape ${fmtShape(t.shape)} to shape ${fmtShape(target)}`);
  }
  return broadcastRaw(t, target);
}

/** Converts and type-promotes the operands of concatenate/stack (at least one). */
function promoteAll(op: string, xs: readonly ArrayLike[]): Tensor[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new ValueError(`${op}: needs a non-empty array of arrays`);
  const ts = xs.map((x) => asTensor(x, op));
  const dtype = resultDType(ts, op);
  return ts.map((t) => astypeRaw(t, dtype));
}

function concatRaw(ts: readonly Tensor[], axis: number): Tensor {
  if (ts.length === 1) return ts[0]!;
  return apply("concatenate", ts, { axis }, ts.every((t) => t.weak));
}

/**
 * Joins arrays along an existing axis (default 0; null flattens them first, as NumPy); the other
 * axes must agree. Dtypes are promoted.
 * @example np.concatenate([[[1, 2]], [[3, 4]]], { axis: 1 }) // [[1, 2, 3, 4]]
 * @example np.concatenate([[[1, 2]], [[3, 4]]], 1) // NumPy's positional axis, the same
 */
export function concatenate(xs: readonly ArrayLike[], ...args: Positional<"concatenate", { axis?: number | null }>): Tensor {
  const opts = positionalOptions<{ axis?: number | null }>("concatenate", args);
  const ts0 = promoteAll("concatenate", xs);
  const ts = opts.axis === null ? ts0.map((t) => reshapeRaw(t, [t.size])) : ts0;
  const first = ts[0]!;
  if (first.ndim === 0) throw new ShapeError(`concatenate: zero-dimensional arrays cannot be concatenated; use stack`);
  const axis = normAxis("concatenate", opts.axis ?? 0, first.ndim);
  if (ts.some((t) => t.ndim !== first.ndim || t.shape.some((d, i) => i !== axis && d !== first.shape[i]))) {
    throw new ShapeError(`concatenate: shapes ${ts.map((t) => fmtShape(t.shape)).join(", ")} must agree on every axis except axis ${axis}`);
  }
  return concatRaw(ts, axis);
}

/**
 * Joins equally shaped arrays along a new axis (default 0).
 * @example np.stack([[1, 2], [3, 4]], { axis: 1 }) // [[1, 3], [2, 4]]
 * @example np.stack([[1, 2], [3, 4]], -1) // NumPy's positional axis: [[1, 3], [2, 4]]
 */
export function stack(xs: readonly ArrayLike[], ...args: Positional<"stack", { axis?: number }>): Tensor {
  const opts = positionalOptions<{ axis?: number }>("stack", args);
  const ts = promoteAll("stack", xs);
  const first = ts[0]!;
  if (ts.some((t) => !shapeEq(t.shape, first.shape))) {
    throw new ShapeError(`stack: all arrays must have the same shape, got ${ts.map((t) => fmtShape(t.shape)).join(", ")}`);
  }
  const axis = normAxis("stack", opts.axis ?? 0, first.ndim + 1);
  const shape = [...first.shape];
  shape.splice(axis, 0, 1);
  return concatRaw(ts.map((t) => reshapeRaw(t, shape)), axis);
}

/**
 * `split(x, 3)` cuts an axis (default 0) into 3 equal parts; `split(x, [2, 5])` cuts before
 * indices 2 and 5 (Python slice rules: negative indices count from the end, out-of-range clamp).
 * @example np.split(np.array([1, 2, 3, 4, 5]), [2, 3]) // [[1, 2], [3], [4, 5]]
 * @example np.split(np.zeros([2, 6]), 3, 1) // NumPy's positional axis: three [2, 2] arrays
 */
export function split(x: ArrayLike, indicesOrSections: number | readonly number[], ...args: Positional<"split", { axis?: number }>): Tensor[] {
  const opts = positionalOptions<{ axis?: number }>("split", args);
  const t = asTensor(x, "split");
  const axis = normAxis("split", opts.axis ?? 0, t.ndim);
  const n = t.shape[axis]!;
  let cuts: number[];
  if (typeof indicesOrSections === "number") {
    const k = indicesOrSections;
    if (!Number.isInteger(k) || k <= 0) throw new ValueError(`split: the number of sections must be a positive integer, got ${k}`);
    checkListLength("split", k);
    if (n % k !== 0) throw new ShapeError(`split: axis ${axis} of shape ${fmtShape(t.shape)} (size ${n}) cannot be split into ${k} equal sections`);
    cuts = Array.from({ length: k + 1 }, (_, i) => (i * n) / k);
  } else {
    if (!Array.isArray(indicesOrSections)) {
      throw new ValueError(`split: expected a number of sections or an array of split indices, got ${describeValue(indicesOrSections)}`);
    }
    if (!indicesOrSections.every(Number.isInteger)) throw new ValueError(`split: split indices must be integers, got ${jsonOf(indicesOrSections)}`);
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
    cuts = [0, ...indicesOrSections.map(clamp), n];
  }
  return cuts.slice(1).map((stop, i) => sliceAxis(t, axis, cuts[i]!, Math.max(stop, cuts[i]!)));
}

function sliceAxis(t: Tensor, axis: number, start: number, stop: number): Tensor {
  if (start === 0 && stop === t.shape[axis]) return t;
  const starts = t.shape.map((_, i) => (i === axis ? start : 0));
  const stops = t.shape.map((d, i) => (i === axis ? stop : d));
  return apply("slice", [t], { start: starts, stop: stops, step: t.shape.map(() => 1) }, t.weak);
}

/**
 * Repeats the whole array `reps` times along each axis (`reps` is aligned to the trailing axes).
 * @example np.tile(np.array([1, 2]), [2, 2]) // [[1, 2, 1, 2], [1, 2, 1, 2]]
 */
export function tile(x: ArrayLike, reps: number | readonly number[]): Tensor {
  const t = asTensor(x, "tile");
  if (typeof reps !== "number" && !Array.isArray(reps)) throw new ValueError(`tile: reps must be an integer or an array of integers, got ${describeValue(reps)}`);
  const given = typeof reps === "number" ? [reps] : [...reps];
  if (!given.every((r) => Number.isInteger(r) && r >= 0)) throw new ValueError(`tile: reps must be non-negative integers, got ${jsonOf(reps)}`);
  const rank = Math.max(t.ndim, given.length);
  const s = [...Array<number>(rank - t.ndim).fill(1), ...t.shape];
  const r = [...Array<number>(rank - given.length).fill(1), ...given];
  if (r.every((k) => k === 1)) return reshapeRaw(t, s);
  // Broadcast to [r0, s0, r1, s1, ...] (a copy per repetition before each axis), then merge the pairs.
  const wide = r.flatMap((k, i) => [k, s[i]!]);
  const b = apply("broadcast", [reshapeRaw(t, s)], { shape: wide, dims: s.map((_, i) => 2 * i + 1) }, t.weak);
  return reshapeRaw(b, s.map((d, i) => d * r[i]!));
}

/**
 * Repeats each element `repeats` times along `axis` (absent: over the flattened array).
 * @example np.repeat(np.array([[1, 2], [3, 4]]), 2, { axis: 1 }) // [[1, 1, 2, 2], [3, 3, 4, 4]]
 */
export function repeat(x: ArrayLike, repeats: number, ...args: Positional<"repeat", { axis?: number }>): Tensor {
  let t = asTensor(x, "repeat");
  const opts = positionalOptions<{ axis?: number }>("repeat", args);
  if (!Number.isInteger(repeats) || repeats < 0) throw new ValueError(`repeat: repeats must be a non-negative integer, got ${describeValue(repeats)}`);
  if (opts.axis === undefined || opts.axis === null) t = reshapeRaw(t, [t.size]);
  const axis = normAxis("repeat", opts.axis ?? 0, t.ndim);
  const s = t.shape;
  // A new axis right after `axis`, broadcast to `repeats`, merged with it: each element repeats in place.
  const wide = [...s.slice(0, axis + 1), repeats, ...s.slice(axis + 1)];
  const b = apply("broadcast", [t], { shape: wide, dims: s.map((_, i) => (i <= axis ? i : i + 1)) }, t.weak);
  return reshapeRaw(b, s.map((d, i) => (i === axis ? d * repeats : d)));
}

/**
 * Reverses the order of elements along `axis` (absent: every axis).
 * @example np.flip(np.array([[1, 2], [3, 4]]), -1) // [[2, 1], [4, 3]]
 */
export function flip(x: ArrayLike, axis?: number | readonly number[]): Tensor {
  const t = asTensor(x, "flip");
  // Flipping an axis of size 0 or 1 changes nothing, so it is left out of the node.
  const axes = normAxes("flip", axis, t.ndim).filter((a) => t.shape[a]! > 1);
  return axes.length ? apply("flip", [t], { axes }, t.weak) : t;
}

