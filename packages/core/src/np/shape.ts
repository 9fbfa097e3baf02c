/**
 * Shape operations with NumPy names. All are movement primitives (index arithmetic for the
 * backend, never kernels) or compositions of them.
 */
import { NotImplemented } from "./stub.js";
import { type ArrayLike, Tensor } from "../tensor.js";

/** `reshape(x, [-1, 3])`: one -1 is inferred. */
export function reshape(x: ArrayLike, shape: readonly number[]): Tensor { return NotImplemented("reshape", x, shape); }
/** Permutes axes (default: reversed), as NumPy. */
export function transpose(x: ArrayLike, axes?: readonly number[]): Tensor { return NotImplemented("transpose", x, axes); }
export function moveaxis(x: ArrayLike, source: number | readonly number[], destination: number | readonly number[]): Tensor { return NotImplemented("moveaxis", x, source, destination); }
export function swapaxes(x: ArrayLike, a: number, b: number): Tensor { return NotImplemented("swapaxes", x, a, b); }
export function expandDims(x: ArrayLike, axis: number | readonly number[]): Tensor { return NotImplemented("expandDims", x, axis); }
/** Removes size-1 axes (all of them when `axis` is absent); a non-1 axis is a ShapeError. */
export function squeeze(x: ArrayLike, axis?: number | readonly number[]): Tensor { return NotImplemented("squeeze", x, axis); }
export function broadcastTo(x: ArrayLike, shape: readonly number[]): Tensor { return NotImplemented("broadcastTo", x, shape); }
export function concatenate(xs: readonly ArrayLike[], opts?: { axis?: number }): Tensor { return NotImplemented("concatenate", xs, opts); }
export function stack(xs: readonly ArrayLike[], opts?: { axis?: number }): Tensor { return NotImplemented("stack", xs, opts); }
/** `split(x, 3)` (equal parts) or `split(x, [2, 5])` (split points), as NumPy. */
export function split(x: ArrayLike, indicesOrSections: number | readonly number[], opts?: { axis?: number }): Tensor[] { return NotImplemented("split", x, indicesOrSections, opts); }
export function tile(x: ArrayLike, reps: number | readonly number[]): Tensor { return NotImplemented("tile", x, reps); }
export function repeat(x: ArrayLike, repeats: number, opts?: { axis?: number }): Tensor { return NotImplemented("repeat", x, repeats, opts); }
export function flip(x: ArrayLike, axis?: number | readonly number[]): Tensor { return NotImplemented("flip", x, axis); }
/** Constant padding: `pad(x, 1)`, `pad(x, [[1, 2], [0, 1]])`, `{ constantValues }`. */
export function pad(x: ArrayLike, padWidth: number | readonly (readonly [number, number])[] | readonly [number, number], opts?: { constantValues?: number }): Tensor { return NotImplemented("pad", x, padWidth, opts); }
