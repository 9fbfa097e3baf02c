/**
 * lax: sorting, top-k and cumulative reductions (`jax.lax.sort`, `sort_key_val`, `top_k`,
 * `cumsum`/`cumprod`/`cummax`/`cummin`). `sort` is one primitive (ir/primitives.ts, JAX's
 * `sort_p`): a stable lexicographic sort of several operands along one axis, NaN last and -0 equal
 * to +0. It runs as a host library kernel on every backend (webgpu reads its operands back).
 */
import { type DType } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { type BinaryPrim } from "../ir/elementwise.js";
import { fmtShape, normAxis, shapeEq } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { checkInt } from "../np/compose-helpers.js";
import { cumprod as npCumprod } from "../np/math-extra.js";
import { type Positional, positionalOptions } from "../np/positional.js";
import { moveaxis } from "../np/shape.js";
import { apply, asTensor, optionsOf } from "../np/util.js";
import { sortOperands, sortWithIndices } from "./sort-ops.js";

/** Options of {@link sort}. */
export interface SortOptions {
  /** The axis to sort along (default -1, the last; negative counts from the end). */
  dimension?: number;
  /** How many leading operands are sort keys, compared lexicographically (default 1). */
  numKeys?: number;
  /** Accepted for JAX compatibility: kiln's sort is always stable (a stable sort is a valid unstable one). */
  isStable?: boolean;
}

function checkOperands(op: string, xs: readonly Tensor[]): void {
  if (!xs.length) throw new ValueError(`${op}: needs at least one operand`);
  for (const x of xs) {
    if (x.ndim === 0) throw new ShapeError(`${op}: cannot sort a 0-d array (shape ${fmtShape(x.shape)})`);
    if (!shapeEq(x.shape, xs[0]!.shape)) throw new ShapeError(`${op}: operand shapes ${xs.map((t) => fmtShape(t.shape)).join(", ")} differ`);
  }
}

/**
 * Sorts one operand, or several of equal shape, along `dimension` (`jax.lax.sort`): the operands
 * are ordered lexicographically by the first `numKeys` of them and every operand is permuted the
 * same way. The sort is stable; NaN sorts after +inf and -0 equals +0 (NumPy/JAX order). One
 * operand gives a Tensor, an array gives an array. Differentiable in every float operand (the
 * permutation carries the tangent); batched by vmap.
 * @example
 * lax.sort(np.array([3, NaN, 1, -Infinity]));              // [-inf, 1, 3, NaN]
 * const [k, v] = lax.sort([np.array([2, 1, 2]), np.array([10, 20, 30])]); // k [1, 2, 2], v [20, 10, 30]
 * lax.sort([np.array([1, 1, 0]), np.array([5, 4, 9])], { numKeys: 2 });    // [[0, 1, 1], [9, 4, 5]]
 */
export function sort(operands: readonly Tensor[], options?: SortOptions): Tensor[];
export function sort(operand: ArrayLike, options?: SortOptions): Tensor;
export function sort(operands: ArrayLike | readonly Tensor[], options?: SortOptions, ...extra: undefined[]): Tensor | Tensor[] {
  const opts = optionsOf("lax.sort", options, "lax.sort", extra);
  const single = !(Array.isArray(operands) && operands.length > 0 && operands.every((o) => o instanceof Tensor));
  const xs = single ? [asTensor(operands as ArrayLike, "lax.sort")] : (operands as readonly Tensor[]);
  checkOperands("lax.sort", xs);
  const dimension = normAxis("lax.sort", opts.dimension ?? -1, xs[0]!.ndim);
  const numKeys = checkInt("lax.sort", "numKeys", opts.numKeys ?? 1, 1);
  if (numKeys > xs.length) throw new ValueError(`lax.sort: numKeys ${numKeys} exceeds the ${xs.length} operand(s)`);
  const out = sortOperands(xs, dimension, numKeys);
  return single ? out[0]! : out;
}

/**
 * Sorts `keys` along `dimension` and permutes `values` the same way (`jax.lax.sort_key_val`);
 * stable, NaN keys last.
 * @example
 * const [k, v] = lax.sortKeyVal(np.array([3, 1, 2]), np.array([0, 1, 2])); // k [1, 2, 3], v [1, 2, 0]
 */
export function sortKeyVal(keys: ArrayLike, values: ArrayLike, options?: { dimension?: number; isStable?: boolean }, ...extra: undefined[]): [Tensor, Tensor] {
  const opts = optionsOf("lax.sortKeyVal", options, "lax.sortKeyVal", extra);
  const [k, v] = sort([asTensor(keys, "lax.sortKeyVal"), asTensor(values, "lax.sortKeyVal")], { dimension: opts.dimension ?? -1 });
  return [k!, v!];
}

/**
 * The `k` largest entries along `axis` (default -1, the last) and their int32 positions
 * (`jax.lax.top_k`), in descending order; equal values come lowest index first and NaN counts as
 * the largest value. Differentiable in the values (the gradient flows to the chosen positions).
 * @example
 * const [vals, idx] = lax.topK(np.array([1, 5, 3, 5]), 2); // vals [5, 5], idx [1, 3]
 * lax.topK(np.array([[1, 9], [4, 2]]), 1, 0);              // along axis 0: vals [[4, 9]], idx [[1, 0]]
 */
export function topK(x: ArrayLike, k: number, ...args: Positional<"lax.topK", { axis?: number }>): [Tensor, Tensor] {
  const { axis: axisOpt = -1 } = positionalOptions<{ axis?: number }>("lax.topK", args);
  const t = asTensor(x, "lax.topK");
  if (t.ndim === 0) throw new ShapeError(`lax.topK: needs an array of at least 1 dimension, got a 0-d array`);
  const axis = normAxis("lax.topK", axisOpt, t.ndim);
  const n = t.shape[axis]!;
  checkInt("lax.topK", "k", k, 0);
  if (k > n) throw new ValueError(`lax.topK: k = ${k} exceeds the length ${n} of axis ${axis}`);
  const [v, i] = sortWithIndices(t, axis, true);
  const first = (a: Tensor) =>
    apply("slice", [a], { start: a.shape.map(() => 0), stop: a.shape.map((d, ax) => (ax === axis ? k : d)), step: a.shape.map(() => 1) });
  return [first(v), first(i)];
}

/** Options of the cumulative reductions: the axis (default 0, as JAX) and the direction. */
export interface CumulativeOptions {
  /** The axis to accumulate along (default 0; negative counts from the end). */
  axis?: number;
  /** Accumulate from the end of the axis towards its start. */
  reverse?: boolean;
}

function cumulativeInput(op: "lax.cumsum" | "lax.cumprod" | "lax.cummax" | "lax.cummin", x: ArrayLike, options: CumulativeOptions | undefined, boolOk: boolean, extra: readonly unknown[] = []): { t: Tensor; axis: number; reverse: boolean } {
  const opts = optionsOf(op, options, op, extra);
  const t = asTensor(x, op);
  if (t.ndim === 0) throw new ShapeError(`${op}: needs an array of at least 1 dimension, got a 0-d array`);
  if (!boolOk && t.dtype === "bool") throw new DTypeError(`${op}: cannot accumulate bool values; cast first`);
  if (opts.reverse !== undefined && typeof opts.reverse !== "boolean") throw new ValueError(`${op}: reverse must be a boolean, got ${describeValue(opts.reverse)}`);
  return { t, axis: normAxis(op, opts.axis ?? 0, t.ndim), reverse: opts.reverse ?? false };
}

/** `f` applied along `axis` from the end: flip, accumulate, flip back. */
function reversed(t: Tensor, axis: number, reverse: boolean, f: (t: Tensor) => Tensor): Tensor {
  if (!reverse) return f(t);
  const flip = (a: Tensor) => apply("flip", [a], { axes: [axis] });
  return flip(f(flip(t)));
}

/**
 * Inclusive prefix scan of an associative binary primitive along `axis` in log₂(n) steps
 * (Hillis–Steele): step k combines each element with the partial result 2ᵏ places earlier, padded
 * with the identity. Every step is an elementwise op, so the scan fuses and differentiates like
 * any elementwise program.
 */
function prefixScan(t: Tensor, axis: number, combine: BinaryPrim, identity: number): Tensor {
  let y = t;
  const n = t.shape[axis]!;
  for (let k = 1; k < n; k *= 2) {
    const head = apply("slice", [y], { start: y.shape.map(() => 0), stop: y.shape.map((d, i) => (i === axis ? d - k : d)), step: y.shape.map(() => 1) });
    const shifted = apply("pad", [head], { lo: y.shape.map((_, i) => (i === axis ? k : 0)), hi: y.shape.map(() => 0), value: identity });
    y = apply(combine, [y, shifted], {});
  }
  return y;
}

/** The identity of max (the dtype's lowest value) or min (its highest). */
function extreme(dtype: DType, lowest: boolean): number {
  if (dtype === "bool") return lowest ? 0 : 1;
  if (dtype === "int32") return lowest ? -(2 ** 31) : 2 ** 31 - 1;
  return lowest ? -Infinity : Infinity;
}

/**
 * Running sum along `axis` (`jax.lax.cumsum`; default axis 0). int32 sums wrap like int32 addition.
 * @example
 * lax.cumsum(np.array([1, 2, 3]));                    // [1, 3, 6]
 * lax.cumsum(np.array([1, 2, 3]), { reverse: true }); // [6, 5, 3]
 */
export function cumsum(x: ArrayLike, options?: CumulativeOptions, ...extra: undefined[]): Tensor {
  const { t, axis, reverse } = cumulativeInput("lax.cumsum", x, options, false, extra);
  return apply("cumsum", [t], { axis, reverse });
}

/**
 * Running product along `axis` (`jax.lax.cumprod`; default axis 0), via `np.cumprod`'s log-step
 * scan. Its gradient is exact at zeros (no division).
 * @example
 * lax.cumprod(np.array([1, 2, 3, 4]));                    // [1, 2, 6, 24]
 * lax.cumprod(np.array([1, 2, 3, 4]), { reverse: true }); // [24, 24, 12, 4]
 */
export function cumprod(x: ArrayLike, options?: CumulativeOptions, ...extra: undefined[]): Tensor {
  const { t, axis, reverse } = cumulativeInput("lax.cumprod", x, options, false, extra);
  return reversed(t, axis, reverse, (a) => npCumprod(a, { axis }));
}

/**
 * Running maximum along `axis` (`jax.lax.cummax`; default axis 0). NaN propagates. The gradient
 * goes to the position of the running maximum (the derivative of the max scan, as JAX); equal
 * values share it.
 * @example
 * lax.cummax(np.array([1, 3, 2, 5])); // [1, 3, 3, 5]
 */
export function cummax(x: ArrayLike, options?: CumulativeOptions, ...extra: undefined[]): Tensor {
  const { t, axis, reverse } = cumulativeInput("lax.cummax", x, options, true, extra);
  return reversed(t, axis, reverse, (a) => prefixScan(a, axis, "max", extreme(a.dtype, true)));
}

/**
 * Running minimum along `axis` (`jax.lax.cummin`; default axis 0). NaN propagates; the gradient
 * goes to the position of the running minimum.
 * @example
 * lax.cummin(np.array([4, 2, 3, 1]));                    // [4, 2, 2, 1]
 * lax.cummin(np.array([4, 2, 3, 1]), { reverse: true }); // [1, 1, 1, 1]
 */
export function cummin(x: ArrayLike, options?: CumulativeOptions, ...extra: undefined[]): Tensor {
  const { t, axis, reverse } = cumulativeInput("lax.cummin", x, options, true, extra);
  return reversed(t, axis, reverse, (a) => prefixScan(a, axis, "min", extreme(a.dtype, false)));
}
