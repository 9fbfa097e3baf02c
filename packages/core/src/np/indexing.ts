/**
 * NumPy basic indexing (`x.get(...)`), `take`, `takeAlongAxis` and JAX's functional scatter
 * (`x.at(...).set(v)` / `.add(v)`).
 */
import { NotImplemented } from "./stub.js";
import { type ArrayLike, Tensor } from "../tensor.js";

/** A slice object: `slice(start?, stop?, step?)`; null means "default", as Python's None. */
export interface Slice {
  readonly kind: "slice";
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number | null;
}
/** Inserts a new axis of size 1, as `np.newaxis`. */
export const newaxis: unique symbol = Symbol("newaxis");
/** One index component: an integer, a slice, `newaxis`, `"..."` (ellipsis), or an integer array/Tensor (advanced, one axis). */
export type Index = number | Slice | typeof newaxis | "..." | Tensor | readonly number[];

/** Python's `slice(start, stop, step)`; `slice()` is `:`. */
export function slice(start: number | null = null, stop: number | null = null, step: number | null = null): Slice {
  return { kind: "slice", start, stop, step };
}

export interface AtUpdater {
  set(v: ArrayLike): Tensor;
  add(v: ArrayLike): Tensor;
  get(): Tensor;
}

export function get(x: ArrayLike, ...index: Index[]): Tensor { return NotImplemented("get", x, index); }
export function at(x: ArrayLike, ...index: Index[]): AtUpdater { return NotImplemented("at", x, index); }
/** `np.take(x, indices, { axis })` (axis absent: the flattened array). */
export function take(x: ArrayLike, indices: ArrayLike, opts?: { axis?: number }): Tensor { return NotImplemented("take", x, indices, opts); }
export function takeAlongAxis(x: ArrayLike, indices: ArrayLike, axis: number): Tensor { return NotImplemented("takeAlongAxis", x, indices, axis); }
