/**
 * np: sorting and searching (`sort`, `argsort`, `lexsort`, `partition`, `argpartition`,
 * `searchsorted`, `unique`), built on the `sort` primitive (lax/sort-ops.ts). Order is NumPy's:
 * -inf < … < -0 = +0 < … < inf < NaN; every sort is stable.
 */
import { type DType } from "../dtype.js";
import { ConcretizationError, ShapeError, ValueError, describeValue } from "../errors.js";
import { fmtShape, normAxis, shapeEq } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { sortOperands, sortWithIndices } from "../lax/sort-ops.js";
import { checkBool, checkInt, iota } from "./compose-helpers.js";
import { type Positional, positionalOptions } from "./positional.js";
import { apply, asTensor, astypeRaw, broadcastRaw, fullRaw, optionsOf, reshapeRaw, resultDType } from "./util.js";

/** An axis option: a number, or null to sort the flattened array. */
type AxisOption = number | null;

/** The tensor to sort and the axis, flattening for `axis: null` (and a 0-d input, as NumPy). */
function sortInput(op: string, x: ArrayLike, axis: AxisOption | undefined): { t: Tensor; axis: number } {
  const t0 = asTensor(x, op);
  if (axis !== undefined && axis !== null && typeof axis !== "number") throw new ValueError(`${op}: axis must be an integer or null, got ${describeValue(axis)}`);
  if (axis === null || t0.ndim === 0) return { t: reshapeRaw(t0, [t0.size]), axis: 0 };
  return { t: t0, axis: normAxis(op, axis ?? -1, t0.ndim) };
}

/** Options of {@link sort} and {@link argsort}. */
export interface SortOptions {
  /** The axis to sort along (default -1); null sorts the flattened array. */
  axis?: AxisOption;
  /**
   * Largest first (NaN first). argsort keeps equal values in input order, as JAX; sort reverses
   * the ascending result, as JAX (only the order of -0 and +0 can tell).
   */
  descending?: boolean;
  /** Accepted for JAX compatibility: kiln always sorts stably. */
  stable?: boolean;
}

/**
 * A sorted copy of `a` along `axis` (default -1; null flattens). NaN sorts last and -0 equals +0,
 * as NumPy; `descending` reverses the ascending result (as JAX: of -0 and +0, whichever came
 * first ends last). Differentiable: the gradient flows back through the
 * permutation. Runs as a host kernel on every backend (webgpu reads the operand back).
 * @example
 * np.sort([3, NaN, 1, 2]);                  // [1, 2, 3, NaN]
 * np.sort([[3, 1], [0, 2]], { axis: 0 });   // [[0, 1], [3, 2]]
 * np.sort([[3, 1], [0, 2]], { axis: null }); // [0, 1, 2, 3]
 */
export function sort(a: ArrayLike, ...args: Positional<"sort", SortOptions>): Tensor {
  const opts = positionalOptions<SortOptions>("sort", args);
  const { t, axis } = sortInput("sort", a, opts.axis);
  const descending = checkBool("sort", "descending", opts.descending);
  checkBool("sort", "stable", opts.stable);
  const sorted = new Tensor(sortOperands([t], axis, 1)[0]!.node, t.weak);
  // Descending: the ascending sort reversed, as JAX's `lax.rev(lax.sort(x))`; equal values then
  // come out in reverse input order, which only the signs of equal zeros (-0, +0) can show.
  return descending && t.shape[axis]! > 1 ? apply("flip", [sorted], { axes: [axis] }, t.weak) : sorted;
}

/**
 * The int32 positions that sort `a` along `axis` (default -1; null flattens). Always stable: equal
 * values keep their input order (also with `descending`, as JAX). NaN sorts last (first when
 * descending).
 * @example
 * np.argsort([3, 1, 2, 1]);                        // [1, 3, 2, 0]
 * np.argsort([3, 1, 2, 1], { descending: true });  // [0, 2, 1, 3]
 */
export function argsort(a: ArrayLike, ...args: Positional<"argsort", SortOptions>): Tensor {
  const opts = positionalOptions<SortOptions>("argsort", args);
  const { t, axis } = sortInput("argsort", a, opts.axis);
  const descending = checkBool("argsort", "descending", opts.descending);
  checkBool("argsort", "stable", opts.stable);
  return sortWithIndices(t, axis, descending)[1];
}

/**
 * The int32 positions that sort by several keys (NumPy `lexsort`): the LAST key is the primary
 * one. `keys` is a list of equal-shape arrays, or one array whose first axis indexes the keys.
 * Stable, along `axis` (default -1).
 * @example
 * np.lexsort([[1, 5, 1, 4], [9, 4, 0, 4]]); // [2, 3, 1, 0]: by the second key, then the first
 */
export function lexsort(keys: readonly ArrayLike[] | Tensor, options?: { axis?: number }, ...extra: undefined[]): Tensor {
  const opts = optionsOf("lexsort", options, "lexsort", extra);
  let ks: Tensor[];
  if (keys instanceof Tensor) {
    if (keys.ndim === 0) throw new ShapeError(`lexsort: keys must have at least one dimension, got a 0-d array`);
    ks = Array.from({ length: keys.shape[0]! }, (_, i) => apply("slice", [keys], {
      start: keys.shape.map((_, d) => (d === 0 ? i : 0)), stop: keys.shape.map((n, d) => (d === 0 ? i + 1 : n)), step: keys.shape.map(() => 1),
    })).map((k) => reshapeRaw(k, keys.shape.slice(1)));
  } else {
    if (!Array.isArray(keys)) throw new ValueError(`lexsort: keys must be an array of arrays or a Tensor, got ${describeValue(keys)}`);
    ks = keys.map((k) => asTensor(k, "lexsort"));
  }
  if (!ks.length) throw new ValueError(`lexsort: needs at least one key`);
  const shape = ks[0]!.shape;
  for (const k of ks) if (!shapeEq(k.shape, shape)) throw new ShapeError(`lexsort: key shapes ${ks.map((x) => fmtShape(x.shape)).join(", ")} differ`);
  if (shape.length === 0) throw new ShapeError(`lexsort: keys must have at least one dimension`);
  const axis = normAxis("lexsort", opts.axis ?? -1, shape.length);
  const ordered = [...ks].reverse();
  return sortOperands([...ordered, iota(shape, axis)], axis, ordered.length)[ordered.length]!;
}

/**
 * `a` rearranged so the element at `kth` is the one a sort would put there, smaller (or equal)
 * ones before it and larger after (NumPy `partition`, along `axis`, default -1). kiln returns a
 * full sort, which is one such arrangement; the order within each side is unspecified by NumPy
 * and JAX, so do not rely on it.
 * @example
 * np.partition([3, 4, 1, 2], 1); // [1, 2, 3, 4] (element 1 is 2; [1] before, [3, 4] after)
 */
export function partition(a: ArrayLike, kth: number, options?: { axis?: number }, ...extra: undefined[]): Tensor {
  const opts = optionsOf("partition", options, "partition", extra);
  const { t, axis } = sortInput("partition", a, opts.axis ?? -1);
  checkKth("partition", kth, t.shape[axis]!);
  return new Tensor(sortOperands([t], axis, 1)[0]!.node, t.weak);
}

/**
 * The int32 positions that partition `a` at `kth` (NumPy `argpartition`); as {@link partition},
 * kiln returns the stable sorting positions, one valid answer.
 * @example
 * np.argpartition([3, 4, 1, 2], 1); // [2, 3, 0, 1]
 */
export function argpartition(a: ArrayLike, kth: number, options?: { axis?: number }, ...extra: undefined[]): Tensor {
  const opts = optionsOf("argpartition", options, "argpartition", extra);
  const { t, axis } = sortInput("argpartition", a, opts.axis ?? -1);
  checkKth("argpartition", kth, t.shape[axis]!);
  return sortWithIndices(t, axis, false)[1];
}

function checkKth(op: string, kth: number, n: number): void {
  checkInt(op, "kth", kth);
  if (kth < -n || kth >= n) throw new ValueError(`${op}: kth ${kth} is out of bounds for an axis of length ${n}`);
}

/** `a` before `b` in sort order (NaN after every number), elementwise on equal shapes. */
function lessInSortOrder(a: Tensor, b: Tensor): Tensor {
  const bNanOnly = apply("and", [apply("isnan", [b], {}), apply("not", [apply("isnan", [a], {})], {})], {});
  return apply("or", [apply("lt", [a, b], {}), bNanOnly], {});
}

/**
 * Where to insert each of `v` into the sorted 1-D `a` to keep it sorted (NumPy `searchsorted`):
 * `side: "left"` gives the first such position, `"right"` the last. NaN is ordered last, as
 * NumPy (and `a` is assumed sorted that way, e.g. by `np.sort`). int32 positions shaped like `v`.
 * Computed by comparing every `v` with every element of `a` (O(len(a)·size(v)) work, fused into
 * one reduction): fine for moderate sizes.
 * @example
 * np.searchsorted([1, 2, 2, 3], [2, 0, 5]);                     // [1, 0, 4]
 * np.searchsorted([1, 2, 2, 3], [2, 0, 5], { side: "right" });  // [3, 0, 4]
 */
export function searchsorted(a: ArrayLike, v: ArrayLike, options?: { side?: "left" | "right" }, ...extra: undefined[]): Tensor {
  const opts = optionsOf("searchsorted", options, "searchsorted", extra);
  const side = opts.side ?? "left";
  if (side !== "left" && side !== "right") throw new ValueError(`searchsorted: side must be "left" or "right", got ${describeValue(side)}`);
  const sa = asTensor(a, "searchsorted"), sv = asTensor(v, "searchsorted");
  if (sa.ndim !== 1) throw new ShapeError(`searchsorted: a must be 1-D, got shape ${fmtShape(sa.shape)}`);
  const dt: DType = resultDType([sa, sv], "searchsorted");
  const n = sa.shape[0]!;
  const grid = [...sv.shape, n];
  const av = broadcastRaw(astypeRaw(sa, dt), grid);
  const vv = apply("broadcast", [astypeRaw(sv, dt)], { shape: grid, dims: sv.shape.map((_, i) => i) });
  // left: how many of a come before v; right: how many do not come after it.
  const counted = side === "left" ? lessInSortOrder(av, vv) : apply("not", [lessInSortOrder(vv, av)], {});
  return apply("reduceSum", [astypeRaw(counted, "int32")], { axes: [grid.length - 1] });
}

/** Options of {@link unique}. */
export interface UniqueOptions {
  /**
   * The static number of results (JAX): required under jit/vmap/grad, where the number of distinct
   * values is not known while tracing. Fewer distinct values are padded with `fillValue`; more are
   * cut to the `size` smallest.
   */
  size?: number;
  /** The padding of the values when `size` exceeds the distinct count (default: the smallest value). */
  fillValue?: number;
  /** Also return the position of each value's first occurrence (int32; padding: that of the smallest). */
  returnIndex?: boolean;
  /** Also return, for each input element, the position of its value in the result (int32, the input's shape). */
  returnInverse?: boolean;
  /** Also return how many times each value occurs (int32; 0 for padding). */
  returnCounts?: boolean;
  /** Treat all NaNs as one value (default true, as NumPy ≥ 1.24 and JAX). */
  equalNan?: boolean;
}

type NoExtras = { returnIndex?: false; returnInverse?: false; returnCounts?: false };

/**
 * The sorted distinct values of the flattened `a` (NumPy/JAX `unique`, NaNs as one value last).
 * With `size` (JAX's static form, required inside jit/vmap/grad) the result has exactly `size`
 * entries. Without it the count is read from the values, so it works only on concrete (not
 * traced) arrays on a backend with synchronous reads (cpu): under a transform it throws a
 * ConcretizationError naming `size`. With any `return*` flag the result is an array
 * `[values, index?, inverse?, counts?]` in that order, as NumPy's tuple.
 * @example
 * np.unique([3, 1, 3, 2]);                                  // [1, 2, 3]
 * np.unique([3, 1, 3], { size: 4, fillValue: 0 });          // [1, 3, 0, 0]
 * const [u, counts] = np.unique([3, 1, 3], { returnCounts: true }); // u [1, 3], counts [1, 2]
 */
export function unique(a: ArrayLike, options?: UniqueOptions & NoExtras): Tensor;
export function unique(a: ArrayLike, options: UniqueOptions): Tensor[];
export function unique(a: ArrayLike, options?: UniqueOptions, ...extra: undefined[]): Tensor | Tensor[] {
  const opts = optionsOf("unique", options, "unique", extra);
  const t0 = asTensor(a, "unique");
  const flat = reshapeRaw(t0, [t0.size]);
  const equalNan = opts.equalNan ?? true;
  const [aux, perm] = sortWithIndices(flat, 0, false);
  const mask = firstOfRun(aux, equalNan);
  const size = opts.size === undefined ? concreteCount(mask) : checkInt("unique", "size", opts.size, 0);
  const n = t0.size;
  if (n === 0 && size > 0 && opts.fillValue === undefined) {
    throw new ValueError(`unique: an empty array has no values to pad ${size} results with; pass fillValue`);
  }
  // Slot k of the result reads sorted position pos[k], the start of the k-th run (0 for padding, as JAX).
  const runId = apply("sub", [apply("cumsum", [astypeRaw(mask, "int32")], { axis: 0, reverse: false }), fullRaw([n], 1, "int32")], {});
  const target = apply("select", [mask, runId, fullRaw([n], size + 1, "int32")], {}); // past the end: dropped
  const starts = apply("scatter", [fullRaw([size + 1], n, "int32"), target, iota([n], 0)], { axis: 0 });
  const pos = apply("slice", [starts], { start: [0], stop: [size], step: [1] });
  const real = apply("lt", [iota([size], 0), broadcastRaw(reshapeRaw(apply("reduceSum", [astypeRaw(mask, "int32")], { axes: [0] }), [1]), [size])], {});
  const safePos = apply("select", [real, pos, fullRaw([size], 0, "int32")], {});
  const gathered = n === 0 ? fullRaw([size], 0, t0.dtype) : apply("gather", [aux, safePos], { axis: 0 });
  const fill = opts.fillValue === undefined
    ? (n === 0 ? fullRaw([size], 0, t0.dtype) : broadcastRaw(reshapeRaw(apply("slice", [aux], { start: [0], stop: [1], step: [1] }), [1]), [size]))
    : fullRaw([size], opts.fillValue, t0.dtype);
  const values = new Tensor(apply("select", [real, gathered, fill], {}).node, t0.weak);
  if (!opts.returnIndex && !opts.returnInverse && !opts.returnCounts) return values;
  const out = [values];
  if (opts.returnIndex) out.push(n === 0 ? fullRaw([size], 0, "int32") : apply("gather", [perm, safePos], { axis: 0 }));
  if (opts.returnInverse) {
    // The run id of each sorted element, sent back to the element's input position (the inverse
    // permutation is a sort by `perm`).
    out.push(reshapeRaw(sortOperands([perm, runId], 0, 1)[1]!, t0.shape));
  }
  if (opts.returnCounts) {
    // Run k spans sorted positions [start_k, start_{k+1}), the next start being n past the last run.
    const next = apply("slice", [starts], { start: [1], stop: [size + 1], step: [1] });
    const counts = apply("sub", [next, pos], {});
    out.push(apply("select", [real, counts, fullRaw([size], 0, "int32")], {}));
  }
  return out;
}

/** True at the first element of each run of equal values in a sorted 1-D array (NaNs one run when `equalNan`). */
function firstOfRun(sorted: Tensor, equalNan: boolean): Tensor {
  const n = sorted.shape[0]!;
  if (n === 0) return fullRaw([0], 0, "bool");
  const head = fullRaw([1], 1, "bool");
  const cur = apply("slice", [sorted], { start: [1], stop: [n], step: [1] });
  const prev = apply("slice", [sorted], { start: [0], stop: [n - 1], step: [1] });
  let differs = apply("ne", [cur, prev], {});
  if (equalNan) differs = apply("and", [differs, apply("not", [apply("and", [apply("isnan", [cur], {}), apply("isnan", [prev], {})], {})], {})], {});
  return apply("concatenate", [head, differs], { axis: 0 });
}

/** The number of runs, read eagerly: the size-less `unique` only works on concrete values. */
function concreteCount(mask: Tensor): number {
  const count = apply("reduceSum", [astypeRaw(mask, "int32")], { axes: [0] });
  try {
    return count.itemSync();
  } catch (e) {
    if (e instanceof ConcretizationError) {
      throw new ConcretizationError(
        `unique: the number of distinct values of a traced array is not known while tracing (jit, vmap, grad); ` +
          `pass a static size, e.g. np.unique(x, { size: n, fillValue })`,
      );
    }
    throw e;
  }
}
