/**
 * Internal building blocks of the composed np functions (shape-extra.ts, matrix-extra.ts, poly.ts):
 * axis slices, iotas, argument checks. Not exported through the np namespace.
 */
import { type DType } from "../dtype.js";
import { KilnTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { makeNode } from "../ir/node.js";
import { type Shape, fmtShape } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { apply, asTensor, reshapeRaw } from "./util.js";

/** `t[start:stop]` along `axis` (start/stop already in range; an empty range is allowed). */
export function sliceAxis(t: Tensor, axis: number, start: number, stop: number): Tensor {
  stop = Math.max(start, stop);
  if (start === 0 && stop === t.shape[axis]) return t;
  const starts = t.shape.map((_, i) => (i === axis ? start : 0));
  const stops = t.shape.map((d, i) => (i === axis ? stop : d));
  return apply("slice", [t], { start: starts, stop: stops, step: t.shape.map(() => 1) }, t.weak);
}

/** Every `step`-th element of the last axis, from 0 (the slice's length is ceil(n / step)). */
export function strideLast(t: Tensor, step: number): Tensor {
  if (step === 1) return t;
  const last = t.ndim - 1;
  return apply("slice", [t], { start: t.shape.map(() => 0), stop: [...t.shape], step: t.shape.map((_, i) => (i === last ? step : 1)) }, t.weak);
}

/** `out[..., i, ...] = i` along `axis`. */
export function iota(shape: Shape, axis: number, dtype: DType = "int32"): Tensor {
  return new Tensor(makeNode("iota", [], { axis }, { shape: [...shape], dtype }));
}

export function checkInt(op: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new ValueError(`${op}: ${name} must be ${min === 0 ? "a non-negative " : "an "}integer, got ${describeValue(v)}`);
  }
  return v;
}

/** An optional boolean option: absent gives `dflt`, anything but a boolean is a ValueError. */
export function checkBool(op: string, name: string, v: unknown, dflt = false): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new ValueError(`${op}: ${name} must be a boolean, got ${describeValue(v)}`);
  return v;
}

export function atLeast(op: string, t: Tensor, rank: number): void {
  // NumPy's wording ("dsplit only works on arrays of 3 or more dimensions"), with the shape.
  if (t.ndim < rank) throw new ShapeError(`${op}: only works on arrays of ${rank} or more dimensions, got shape ${fmtShape(t.shape)}`);
}

/** The same tensor with `rank - ndim` axes inserted where NumPy's atleast_{1,2,3}d put them. */
export function atLeastNd(t: Tensor, rank: 1 | 2 | 3): Tensor {
  if (t.ndim >= rank) return t;
  if (t.ndim === 0) return reshapeRaw(t, Array<number>(rank).fill(1));
  if (t.ndim === 1) return reshapeRaw(t, rank === 2 ? [1, t.shape[0]!] : [1, t.shape[0]!, 1]);
  return reshapeRaw(t, [...t.shape, 1]);
}

/** The operands of a stacking function, converted (at least one). */
export function listOf(op: string, xs: readonly ArrayLike[]): Tensor[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new ValueError(`${op}: needs a non-empty array of arrays`);
  return xs.map((x) => asTensor(x, op));
}

/** Zeros of `t`'s shape and dtype. */
export function zerosOf(t: Tensor): Tensor {
  return apply("broadcast", [asTensor(0, "zeros", t.dtype)], { shape: [...t.shape], dims: [] });
}

/**
 * @internal The slices of `t` along axis 0. A 0-d tensor is not iterable (NumPy's TypeError),
 * checked when the iterator is asked for, as `iter()` does, not at the first `next()`.
 */
export function iterateFirstAxis(t: Tensor): IterableIterator<Tensor> {
  if (t.ndim === 0) throw new KilnTypeError(`iteration over a 0-d tensor (shape []); read it with item() or itemSync()`);
  return slicesAlongFirst(t);
}

function* slicesAlongFirst(t: Tensor): IterableIterator<Tensor> {
  const rest = t.shape.slice(1);
  for (let i = 0; i < t.shape[0]!; i++) yield reshapeRaw(sliceAxis(t, 0, i, i + 1), rest);
}
