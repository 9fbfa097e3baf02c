/**
 * The set functions of jax.numpy over flattened arrays: `union1d`, `intersect1d`, `setdiff1d`,
 * `setxor1d` and the array API's `uniqueAll`/`uniqueCounts`/`uniqueInverse`/`uniqueValues`.
 * Results are sorted (NaN last). Their length depends on the values, so, as `unique`, each reads
 * the count eagerly unless a static `size` is given (JAX's form, required under jit/vmap/grad):
 * fewer results are padded with `fillValue` (default: the smallest result), more are cut.
 * All are sorts, comparisons and gathers of existing primitives.
 */
import { ConcretizationError, ValueError, describeValue } from "../errors.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { checkBool, checkInt, iota } from "./compose-helpers.js";
import { zeros } from "./creation.js";
import { astype, isnan, less, logicalAnd, logicalNot, notEqual, where } from "./elementwise.js";
import { take } from "./indexing.js";
import { flatnonzero } from "./numpy-more.js";
import { type Positional, positionalOptions } from "./positional.js";
import { sum } from "./reduce.js";
import { concatenate, reshape } from "./shape.js";
import { isin } from "./signal-extra.js";
import { type UniqueOptions, argsort, searchsorted, sort, unique } from "./sort.js";
import { asTensor, optionsOf, resultDType } from "./util.js";

/** The static-size options of the set functions (JAX's keyword-only `size` and `fill_value`). */
export interface SetSizeOptions {
  /** The length of the result (required under jit/vmap/grad): padded with `fillValue`, or cut to the `size` smallest. */
  size?: number;
  /** The padding when there are fewer than `size` results (default: the smallest result). */
  fillValue?: number;
}

/** Options of `setdiff1d`/`setxor1d`. */
export interface SetOptions extends SetSizeOptions {
  /** The inputs are known to hold distinct values (accepted; the result is the same either way). */
  assumeUnique?: boolean;
}

/** Options of `intersect1d`. */
export interface IntersectOptions extends SetOptions {
  /** Also return the position of each result's first occurrence in `ar1` and in `ar2` (int32). */
  returnIndices?: boolean;
}

const flat = (op: string, x: ArrayLike): Tensor => {
  const t = asTensor(x, op);
  return reshape(t, [t.size]);
};

/** True at the first element of each run of equal values of a sorted 1-D array (NaNs are one run). */
function firstOfRun(sorted: Tensor): Tensor {
  const n = sorted.shape[0]!;
  if (n <= 1) return notEqual(zeros([n]), 1);
  const cur = take(sorted, iota([n - 1], 0, "int32").add(1)), prev = take(sorted, iota([n - 1], 0, "int32"));
  const differs = logicalAnd(notEqual(cur, prev), logicalNot(logicalAnd(isnan(cur), isnan(prev))));
  return concatenate([notEqual(zeros([1]), 1), differs]);
}

/** The result length: the static `size`, or the count read eagerly (a ConcretizationError naming `size` under a transform). */
export function resultSize(op: string, count: Tensor, size: unknown, call: string): number {
  if (size !== undefined && size !== null) return checkInt(op, "size", size, 0);
  if (!(count instanceof Tensor)) throw new ValueError(`${op}: the count must be a Tensor, got ${describeValue(count)}`);
  try {
    return count.itemSync();
  } catch (e) {
    if (e instanceof ConcretizationError) {
      throw new ConcretizationError(
        `${op}: the number of results depends on the values, which are traced here (jit, vmap, grad); ` +
          `pass a static size, e.g. np.${op}(${call}, { size: n, fillValue })`,
      );
    }
    throw e;
  }
}

/** The kept entries of a sorted 1-D array, in order, at a static length (see the file comment). */
function compact(op: string, sorted: Tensor, keep: Tensor, opts: SetSizeOptions, call: string): { values: Tensor; pos: Tensor; real: Tensor } {
  const count = sum(astype(keep, "int32"));
  const size = resultSize(op, count, opts.size, call);
  const real = less(iota([size], 0, "int32"), count);
  if (sorted.shape[0] === 0) {
    if (size > 0 && opts.fillValue === undefined) throw new ValueError(`${op}: there are no values to pad ${size} results with; pass fillValue`);
    const values = astype(zeros([size]).add(opts.fillValue ?? 0), sorted.dtype);
    return { values, pos: zeros([size], { dtype: "int32" }), real };
  }
  const pos = flatnonzero(keep, { size, fillValue: 0 });
  const gathered = take(sorted, pos);
  const fill = opts.fillValue !== undefined ? opts.fillValue : size > 0 ? take(gathered, [0]) : 0;
  return { values: astype(where(real, gathered, fill), sorted.dtype), pos, real };
}

/**
 * The sorted distinct values found in either array (both flattened).
 * @example np.union1d([3, 1, 2], [2, 5]) // [1, 2, 3, 5]
 * @example np.union1d([3, 1], [1], { size: 4, fillValue: -1 }) // [1, 3, -1, -1]
 */
export function union1d(ar1: ArrayLike, ar2: ArrayLike, options?: SetSizeOptions): Tensor {
  const opts = optionsOf("union1d", options);
  const both = concatenate([flat("union1d", ar1), flat("union1d", ar2)]);
  const s = sort(both);
  return compact("union1d", s, firstOfRun(s), opts, "ar1, ar2").values;
}

/**
 * The sorted distinct values of `ar1` that are not in `ar2` (`ar1`'s dtype).
 * @example np.setdiff1d([1, 2, 3, 2, 4, 1], [3, 4, 5, 6]) // [1, 2]
 */
export function setdiff1d(ar1: ArrayLike, ar2: ArrayLike, ...args: Positional<"setdiff1d", SetOptions>): Tensor {
  const opts = positionalOptions<SetOptions>("setdiff1d", args);
  checkBool("setdiff1d", "assumeUnique", opts.assumeUnique);
  const s = sort(flat("setdiff1d", ar1));
  const keep = logicalAnd(firstOfRun(s), isin(s, flat("setdiff1d", ar2), { invert: true }));
  return compact("setdiff1d", s, keep, opts, "ar1, ar2").values;
}

/**
 * The sorted values found in exactly one of the arrays.
 * @example np.setxor1d([1, 2, 3, 4], [3, 4, 5, 6]) // [1, 2, 5, 6]
 */
export function setxor1d(ar1: ArrayLike, ar2: ArrayLike, ...args: Positional<"setxor1d", SetOptions>): Tensor {
  const opts = positionalOptions<SetOptions>("setxor1d", args);
  checkBool("setxor1d", "assumeUnique", opts.assumeUnique);
  const a = flat("setxor1d", ar1), b = flat("setxor1d", ar2);
  const dtype = resultDType([a, b], "setxor1d");
  const sa = sort(astype(a, dtype)), sb = sort(astype(b, dtype));
  const ka = logicalAnd(firstOfRun(sa), isin(sa, sb, { invert: true }));
  const kb = logicalAnd(firstOfRun(sb), isin(sb, sa, { invert: true }));
  // Each side's survivors are distinct from the other's, so one stable sort of both gives the result order.
  const both = concatenate([sa, sb]), keepBoth = concatenate([ka, kb]);
  const order = argsort(both);
  return compact("setxor1d", take(both, order), take(keepBoth, order), opts, "ar1, ar2").values;
}

/**
 * The sorted distinct values found in both arrays. With `returnIndices` the result is
 * `[values, indices1, indices2]`: the first position of each value in the flattened `ar1` and `ar2`
 * (padding: the array's size, out of bounds).
 * @example np.intersect1d([1, 3, 4, 3], [3, 1, 2, 1]) // [1, 3]
 * @example np.intersect1d([1, 3, 4, 3], [3, 1, 2, 1], false, true) // [[1, 3], [0, 1], [1, 0]]
 */
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, options?: IntersectOptions & { returnIndices?: false | null }): Tensor;
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, options: IntersectOptions & { returnIndices: true }): Tensor[];
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, assumeUnique: boolean | null | undefined, returnIndices: true, options?: SetSizeOptions): Tensor[];
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, assumeUnique?: boolean | null, returnIndices?: false | null, options?: SetSizeOptions): Tensor;
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, ...args: unknown[]): Tensor | Tensor[] {
  const opts = positionalOptions<IntersectOptions>("intersect1d", args as Positional<"intersect1d", IntersectOptions>);
  checkBool("intersect1d", "assumeUnique", opts.assumeUnique);
  const withIndices = checkBool("intersect1d", "returnIndices", opts.returnIndices);
  const a = flat("intersect1d", ar1), b = flat("intersect1d", ar2);
  const dtype = resultDType([a, b], "intersect1d");
  const ta = astype(a, dtype), tb = astype(b, dtype);
  const permA = argsort(ta);
  const sa = take(ta, permA);
  const keep = logicalAnd(firstOfRun(sa), isin(sa, tb));
  const { values, pos, real } = compact("intersect1d", sa, keep, opts, "ar1, ar2");
  if (!withIndices) return values;
  const n1 = a.size, n2 = b.size;
  // The stable sort puts a value's first occurrence at the start of its run, in either array.
  const i1 = n1 === 0 ? zeros([values.size], { dtype: "int32" }) : take(permA, pos);
  const permB = argsort(tb);
  const i2 = n2 === 0 ? zeros([values.size], { dtype: "int32" }) : take(permB, searchsorted(take(tb, permB), values));
  return [values, where(real, i1, n1), where(real, i2, n2)];
}

/** The array API's `unique_*` results: an array (destructure by position) that also names its parts. */
export type UniqueAllResult = [Tensor, Tensor, Tensor, Tensor] & { values: Tensor; indices: Tensor; inverseIndices: Tensor; counts: Tensor };
export type UniqueCountsResult = [Tensor, Tensor] & { values: Tensor; counts: Tensor };
export type UniqueInverseResult = [Tensor, Tensor] & { values: Tensor; inverseIndices: Tensor };

/** `unique` with NaNs kept apart (the array API's rule for the `unique_*` functions), its errors naming `op`. */
function uniqueAs(op: string, x: ArrayLike, options: SetSizeOptions | undefined, flags: UniqueOptions): Tensor[] {
  const opts = optionsOf(op as "uniqueAll", options);
  try {
    const r = unique(asTensor(x, op), { ...flags, equalNan: false, ...(opts.size === undefined ? {} : { size: opts.size }), ...(opts.fillValue === undefined ? {} : { fillValue: opts.fillValue }) });
    return r instanceof Tensor ? [r] : r;
  } catch (e) {
    if (e instanceof ConcretizationError) {
      throw new ConcretizationError(`${op}: the number of distinct values of a traced array is not known while tracing (jit, vmap, grad); pass a static size, e.g. np.${op}(x, { size: n, fillValue })`);
    }
    throw e;
  }
}

/**
 * The distinct values (sorted; each NaN distinct, as the array API), with the first index of each,
 * each element's position in the values (`x`'s shape) and the counts.
 * @example
 * const { values, indices, inverseIndices, counts } = np.uniqueAll([3, 1, 3]);
 * // values [1, 3], indices [1, 0], inverseIndices [1, 0, 1], counts [1, 2]
 */
export function uniqueAll(x: ArrayLike, options?: SetSizeOptions): UniqueAllResult {
  const [values, indices, inverseIndices, counts] = uniqueAs("uniqueAll", x, options, { returnIndex: true, returnInverse: true, returnCounts: true }) as [Tensor, Tensor, Tensor, Tensor];
  return Object.assign([values, indices, inverseIndices, counts] as [Tensor, Tensor, Tensor, Tensor], { values, indices, inverseIndices, counts });
}

/**
 * The distinct values (sorted) and how many times each occurs.
 * @example const [values, counts] = np.uniqueCounts([3, 1, 3]); // [1, 3], [1, 2]
 */
export function uniqueCounts(x: ArrayLike, options?: SetSizeOptions): UniqueCountsResult {
  const [values, counts] = uniqueAs("uniqueCounts", x, options, { returnCounts: true }) as [Tensor, Tensor];
  return Object.assign([values, counts] as [Tensor, Tensor], { values, counts });
}

/**
 * The distinct values (sorted) and each element's position in them (`x`'s shape).
 * @example const { values, inverseIndices } = np.uniqueInverse([[3, 1], [3, 2]]); // [1, 2, 3], [[2, 0], [2, 1]]
 */
export function uniqueInverse(x: ArrayLike, options?: SetSizeOptions): UniqueInverseResult {
  const [values, inverseIndices] = uniqueAs("uniqueInverse", x, options, { returnInverse: true }) as [Tensor, Tensor];
  return Object.assign([values, inverseIndices] as [Tensor, Tensor], { values, inverseIndices });
}

/**
 * The distinct values, sorted (each NaN distinct, as the array API).
 * @example np.uniqueValues([3, 1, 3, NaN, NaN]) // [1, 3, NaN, NaN]
 */
export function uniqueValues(x: ArrayLike, options?: SetSizeOptions): Tensor {
  return uniqueAs("uniqueValues", x, options, {})[0]!;
}
