/**
 * Reductions with NumPy names: `axis` (number, array, or absent = all axes; negative axes count
 * from the end) and `keepdims`. Each maps onto one reduce primitive (`reduceSum`, `reduceMax`,
 * `reduceMin`, `reduceProd`, `argmax`, `argmin`, `cumsum`) plus elementwise arithmetic; `keepdims`
 * is a reshape afterwards. Axes, dtypes and empty reductions are checked here, when the op is called.
 */
import { type DType, checkDType, isFloat } from "../dtype.js";
import { DTypeError, IndexError, ValueError, jsonOf } from "../errors.js";
import { type ReducePrim } from "../ir/primitives.js";
import { type Shape, fmtShape, normAxes, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { add, divide, exp, isfinite, log, notEqual, sqrt, square, stopGradient, subtract, where } from "./elementwise.js";
import { type Positional, positionalOptions } from "./positional.js";
import { apply, asTensor, astypeRaw, fullRaw, reshapeRaw } from "./util.js";

export interface ReduceOptions {
  axis?: number | readonly number[] | null;
  keepdims?: boolean;
}
export interface VarOptions extends ReduceOptions {
  /** Delta degrees of freedom (NumPy's ddof): the divisor is `n - ddof`. Default 0. */
  ddof?: number;
  /** The array API's (and JAX's, jax-js's) name for `ddof`; give one of the two. */
  correction?: number;
}

/**
 * `ddof`, or its array-API name `correction` (both given is a ValueError).
 * @example ddofOf("var", { correction: 1 }) // 1
 */
export function ddofOf(op: string, opts: VarOptions): number {
  if (opts.ddof !== undefined && opts.correction !== undefined) throw new ValueError(`${op}: give ddof or correction (its array-API name), not both`);
  return opts.ddof ?? opts.correction ?? 0;
}
export interface SumOptions extends ReduceOptions {
  /** Accumulate (and return) in this dtype; default: the input's, with bool counted as int32. */
  dtype?: DType;
}
export interface ArgReduceOptions {
  /** Absent: the index into the flattened array. */
  axis?: number | null;
  keepdims?: boolean;
}
export interface CumsumOptions {
  /** Absent: over the flattened array (NumPy). */
  axis?: number | null;
  dtype?: DType;
}

/**
 * What a reduction accepts: its options object, or the axis alone as NumPy/JAX write it
 * (`x.sum(0)`, `np.mean(x, [0, 1])`).
 */
export type AxisOr<T> = T | number | readonly number[] | null;

// ---------------------------------------------------------------------------------------------
// Plumbing shared by every reduction.

/** A single axis (argmax, argmin, cumsum): an array is an error naming the op. */
function singleAxis(op: string, axis: unknown): void {
  if (axis !== undefined && axis !== null && typeof axis !== "number") {
    throw new IndexError(`${op}: axis must be an integer (one axis), got ${jsonOf(axis)}`);
  }
}

/** The shape after reducing `axes`: removed, or kept as 1s. */
function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  return keepdims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** How many elements each output element reduces over. */
function countOf(shape: Shape, axes: readonly number[]): number {
  return axes.reduce((n, a) => n * shape[a]!, 1);
}

/** One reduce primitive over `axes`, then `keepdims` as a reshape. */
function reduceAxes(prim: ReducePrim, t: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const r = apply(prim, [t], { axes: [...axes] }, t.weak);
  return keepdims ? reshapeRaw(r, reducedShape(t.shape, axes, true)) : r;
}

/**
 * The input of an accumulating reduction: an explicit dtype, else bool counts as int32 (NumPy) and
 * uint8 accumulates in uint32 (JAX's default unsigned type; NumPy would use uint64).
 */
export function accumulateInput(op: string, x: ArrayLike, dtype: DType | undefined): Tensor {
  const t = asTensor(x, op);
  if (dtype === undefined) return t.dtype === "bool" ? astypeRaw(t, "int32") : t.dtype === "uint8" ? astypeRaw(t, "uint32") : t;
  if (checkDType(dtype, op) === "bool") throw new DTypeError(`${op}: cannot accumulate in bool; use any/all, or a numeric dtype`);
  return astypeRaw(t, dtype);
}

/** The input of a statistic (mean, var, logsumexp): integers and bools become float32. */
function floatInput(op: string, x: ArrayLike): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? t : astypeRaw(t, "float32");
}

function axesOf(op: string, t: Tensor, opts: ReduceOptions): number[] {
  return normAxes(op, opts.axis, t.ndim);
}

// ---------------------------------------------------------------------------------------------
// Sums and products

/**
 * Sum of elements over `axis` (all axes when absent). bool sums count as int32; an empty sum is 0.
 * @example np.sum([[1, 2], [3, 4]]) // 10
 * @example np.sum([[1, 2], [3, 4]], { axis: -1, keepdims: true }) // [[3], [7]]
 */
export function sum(x: ArrayLike, ...args: Positional<"sum", SumOptions>): Tensor {
  const opts = positionalOptions<SumOptions>("sum", args);
  const t = accumulateInput("sum", x, opts.dtype);
  return reduceAxes("reduceSum", t, axesOf("sum", t, opts), opts.keepdims);
}

/**
 * Product of elements over `axis`. bool counts as int32; an empty product is 1.
 * @example np.prod([[1, 2], [3, 4]], { axis: 0 }) // [3, 8]
 */
export function prod(x: ArrayLike, ...args: Positional<"prod", SumOptions>): Tensor {
  const opts = positionalOptions<SumOptions>("prod", args);
  const t = accumulateInput("prod", x, opts.dtype);
  return reduceAxes("reduceProd", t, axesOf("prod", t, opts), opts.keepdims);
}

/**
 * Arithmetic mean over `axis`; integer and bool inputs give float32. The mean of nothing is NaN.
 * @example np.mean([[1, 2], [3, 5]], { axis: 1 }) // [1.5, 4]
 */
export function mean(x: ArrayLike, ...args: Positional<"mean", ReduceOptions>): Tensor {
  const opts = positionalOptions<ReduceOptions>("mean", args);
  const t = floatInput("mean", x);
  const axes = axesOf("mean", t, opts);
  return divide(reduceAxes("reduceSum", t, axes, opts.keepdims), countOf(t.shape, axes));
}

/**
 * Variance over `axis`: `sum((x - mean)^2) / (n - ddof)` (ddof defaults to 0, as NumPy). A divisor
 * of zero or less gives NaN or inf, as NumPy does.
 * @example np.var([1, 2, 3, 4]) // 1.25   (`var_` in this module; `np.var` and `x.var()` outside)
 * @example np.var([1, 2, 3, 4], { ddof: 1 }) // 1.6666666
 */
export function var_(x: ArrayLike, ...args: Positional<"var", VarOptions>): Tensor {
  return variance("var", x, positionalOptions("var", args));
}

/**
 * Standard deviation over `axis`: `sqrt(var(x, { ddof }))`.
 * @example np.std([1, 2, 3, 4]) // 1.1180339
 */
export function std(x: ArrayLike, ...args: Positional<"std", VarOptions>): Tensor {
  return sqrt(variance("std", x, positionalOptions("std", args)));
}

function variance(op: "var" | "std", x: ArrayLike, opts: VarOptions): Tensor {
  const ddof = ddofOf(op, opts);
  if (typeof ddof !== "number" || !Number.isFinite(ddof)) throw new ValueError(`${op}: ddof must be a finite number, got ${String(ddof)}`);
  const t = floatInput(op, x);
  const axes = axesOf(op, t, opts);
  const n = countOf(t.shape, axes);
  const centered = subtract(t, divide(reduceAxes("reduceSum", t, axes, true), n));
  // NumPy clamps the divisor at 0, so n <= ddof gives inf (or NaN for a zero numerator).
  return divide(reduceAxes("reduceSum", square(centered), axes, opts.keepdims), Math.max(n - ddof, 0));
}

/**
 * `log(sum(exp(x)))` over `axis`, computed stably: the (stop-gradient) maximum is subtracted
 * first. A slice of all -inf gives -inf (not NaN); an empty slice gives -inf.
 * @example np.logsumexp([1000, 1000]) // 1000.6931
 * @example np.logsumexp([[0, 0], [-Infinity, -Infinity]], { axis: 1 }) // [0.6931, -inf]
 */
export function logsumexp(x: ArrayLike, ...args: Positional<"logsumexp", ReduceOptions>): Tensor {
  const opts = positionalOptions<ReduceOptions>("logsumexp", args);
  const t = floatInput("logsumexp", x);
  const axes = axesOf("logsumexp", t, opts);
  const m = reduceAxes("reduceMax", t, axes, true);
  // An infinite (or NaN) maximum cannot be subtracted: shift by 0 there, and exp/log give the limit.
  const shift = stopGradient(where(isfinite(m), m, 0));
  const out = add(log(reduceAxes("reduceSum", exp(subtract(t, shift)), axes, true)), shift);
  return opts.keepdims ? out : reshapeRaw(out, reducedShape(t.shape, axes, false));
}

// ---------------------------------------------------------------------------------------------
// Extrema

export function extremum(op: "max" | "min" | "amax" | "amin", prim: "reduceMax" | "reduceMin", x: ArrayLike, opts: ReduceOptions): Tensor {
  const t = asTensor(x, op);
  const axes = axesOf(op, t, opts);
  if (countOf(t.shape, axes) === 0 && axes.length > 0) {
    throw new ValueError(`${op}: zero-size array to reduction operation ${op} which has no identity (shape ${fmtShape(t.shape)}, axes ${fmtShape(axes)})`);
  }
  return reduceAxes(prim, t, axes, opts.keepdims);
}

/**
 * Maximum over `axis` (NaN propagates). An empty reduction is a ValueError, as NumPy.
 * @example np.max([[1, 5], [3, 2]], { axis: 0 }) // [3, 5]
 */
export function max(x: ArrayLike, ...args: Positional<"max", ReduceOptions>): Tensor {
  return extremum("max", "reduceMax", x, positionalOptions("max", args));
}

/**
 * Minimum over `axis` (NaN propagates). An empty reduction is a ValueError, as NumPy.
 * @example np.min([[1, 5], [3, 2]], { axis: 1 }) // [1, 2]
 */
export function min(x: ArrayLike, ...args: Positional<"min", ReduceOptions>): Tensor {
  return extremum("min", "reduceMin", x, positionalOptions("min", args));
}

function argReduce(op: "argmax" | "argmin", x: ArrayLike, opts: ArgReduceOptions): Tensor {
  singleAxis(op, opts.axis);
  const t0 = asTensor(x, op);
  const flat = opts.axis === undefined || opts.axis === null;
  const t = flat ? reshapeRaw(t0, [t0.size]) : t0;
  const axis = flat ? 0 : normAxis(op, opts.axis as number, t.ndim);
  if (t.shape[axis] === 0) throw new ValueError(`${op}: attempt to get ${op} of an empty sequence (shape ${fmtShape(t0.shape)})`);
  const r = apply(op, [t], { axis });
  if (!opts.keepdims) return r;
  return reshapeRaw(r, flat ? t0.shape.map(() => 1) : reducedShape(t.shape, [axis], true));
}

/**
 * int32 index of the (first) maximum along `axis`, or into the flattened array when `axis` is
 * absent. The first NaN counts as the maximum, as NumPy.
 * @example np.argmax([[1, 5], [7, 2]]) // 2
 * @example np.argmax([[1, 5], [7, 2]], { axis: 1 }) // [1, 0]
 */
export function argmax(x: ArrayLike, ...args: Positional<"argmax", ArgReduceOptions>): Tensor {
  return argReduce("argmax", x, positionalOptions("argmax", args));
}

/**
 * int32 index of the (first) minimum along `axis`, or into the flattened array when `axis` is absent.
 * @example np.argmin([[1, 5], [7, 0]], { axis: 0 }) // [0, 1]
 */
export function argmin(x: ArrayLike, ...args: Positional<"argmin", ArgReduceOptions>): Tensor {
  return argReduce("argmin", x, positionalOptions("argmin", args));
}

// ---------------------------------------------------------------------------------------------
// Logical reductions

function logical(op: "all" | "any", prim: "reduceMin" | "reduceMax", x: ArrayLike, opts: ReduceOptions): Tensor {
  const t0 = asTensor(x, op);
  const t = t0.dtype === "bool" ? t0 : notEqual(t0, 0); // NaN counts as true, as NumPy
  const axes = axesOf(op, t, opts);
  // Empty slices get the identity directly (all → true, any → false): shapes are static.
  if (countOf(t.shape, axes) === 0 && axes.length > 0) return fullRaw(reducedShape(t.shape, axes, !!opts.keepdims), op === "all" ? 1 : 0, "bool");
  return reduceAxes(prim, t, axes, opts.keepdims);
}

/**
 * Whether every element along `axis` is true (nonzero). bool result; `all` of nothing is true.
 * @example np.all([[true, false], [true, true]], { axis: 1 }) // [false, true]
 */
export function all(x: ArrayLike, ...args: Positional<"all", ReduceOptions>): Tensor {
  return logical("all", "reduceMin", x, positionalOptions("all", args));
}

/**
 * Whether any element along `axis` is true (nonzero). bool result; `any` of nothing is false.
 * @example np.any([0, 0, 3]) // true
 */
export function any(x: ArrayLike, ...args: Positional<"any", ReduceOptions>): Tensor {
  return logical("any", "reduceMax", x, positionalOptions("any", args));
}

// ---------------------------------------------------------------------------------------------

/**
 * Cumulative sum along `axis`; without `axis`, over the flattened array (NumPy). bool counts as int32.
 * @example np.cumsum([[1, 2], [3, 4]]) // [1, 3, 6, 10]
 * @example np.cumsum([[1, 2], [3, 4]], { axis: 0 }) // [[1, 2], [4, 6]]
 */
export function cumsum(x: ArrayLike, ...args: Positional<"cumsum", CumsumOptions>): Tensor {
  const opts = positionalOptions<CumsumOptions>("cumsum", args);
  singleAxis("cumsum", opts.axis);
  const t0 = accumulateInput("cumsum", x, opts.dtype);
  // NumPy flattens a 0-d input to one element whatever the axis (`np.cumsum(5, 0)` is `[5]`).
  const flat = opts.axis === undefined || opts.axis === null || t0.ndim === 0;
  if (t0.ndim === 0 && opts.axis !== undefined && opts.axis !== null) normAxis("cumsum", opts.axis, 1);
  const t = flat ? reshapeRaw(t0, [t0.size]) : t0;
  const axis = flat ? 0 : normAxis("cumsum", opts.axis as number, t.ndim);
  return apply("cumsum", [t], { axis, reverse: false }, t.weak);
}
