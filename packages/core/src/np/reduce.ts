/**
 * Reductions with NumPy names: `axis` (number, array, or absent = all axes; negative axes count
 * from the end) and `keepdims`.
 */
import { NotImplemented } from "./stub.js";
import { type ArrayLike, Tensor } from "../tensor.js";

export interface ReduceOptions {
  axis?: number | readonly number[] | null;
  keepdims?: boolean;
}
export interface VarOptions extends ReduceOptions {
  /** Delta degrees of freedom (NumPy's ddof). Default 0. */
  ddof?: number;
}

export function sum(x: ArrayLike, opts?: ReduceOptions): Tensor { return NotImplemented("sum", x, opts); }
export function mean(x: ArrayLike, opts?: ReduceOptions): Tensor { return NotImplemented("mean", x, opts); }
export function prod(x: ArrayLike, opts?: ReduceOptions): Tensor { return NotImplemented("prod", x, opts); }
export function max(x: ArrayLike, opts?: ReduceOptions): Tensor { return NotImplemented("max", x, opts); }
export function min(x: ArrayLike, opts?: ReduceOptions): Tensor { return NotImplemented("min", x, opts); }
export function argmax(x: ArrayLike, opts?: { axis?: number; keepdims?: boolean }): Tensor { return NotImplemented("argmax", x, opts); }
export function argmin(x: ArrayLike, opts?: { axis?: number; keepdims?: boolean }): Tensor { return NotImplemented("argmin", x, opts); }
export function var_(x: ArrayLike, opts?: VarOptions): Tensor { return NotImplemented("var", x, opts); }
export function std(x: ArrayLike, opts?: VarOptions): Tensor { return NotImplemented("std", x, opts); }
export function logsumexp(x: ArrayLike, opts?: ReduceOptions): Tensor { return NotImplemented("logsumexp", x, opts); }
export function all(x: ArrayLike, opts?: ReduceOptions): Tensor { return NotImplemented("all", x, opts); }
export function any(x: ArrayLike, opts?: ReduceOptions): Tensor { return NotImplemented("any", x, opts); }
/** Cumulative sum along `axis` (absent: over the flattened array, as NumPy). */
export function cumsum(x: ArrayLike, opts?: { axis?: number }): Tensor { return NotImplemented("cumsum", x, opts); }
