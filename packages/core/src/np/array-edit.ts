/**
 * jax.numpy's functions that edit or assemble arrays: `insert`, `delete`, `compress`, `extract`,
 * `place`, `put`, `resize`, `trimZeros`, `choose`, `block`, `ix_`, `trilIndicesFrom`,
 * `triuIndicesFrom`, `maskIndices` and `vecdot`. Each is a gather/scatter/concatenate/select of
 * existing primitives, so it runs on every backend and under every transform; where the result's
 * shape depends on index values (`insert`/`delete` positions, `trimZeros`) the indices must be
 * concrete (JS values or eager Tensors), as in JAX, and a traced index is a ConcretizationError.
 * Functions that write in place in NumPy (`place`, `put`) return the new array (JAX's `inplace=False`).
 */
import { isFloat } from "../dtype.js";
import { ConcretizationError, IndexError, ShapeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { broadcastShapes, fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { checkInt, iota } from "./compose-helpers.js";
import { ones, zeros } from "./creation.js";
import { astype, clip, less, multiply, notEqual, remainder, where } from "./elementwise.js";
import { at, take, takeAlongAxis } from "./indexing.js";
import { flatnonzero, nonzero, trilIndices, triuIndices } from "./numpy-more.js";
import { type Positional, positionalOptions } from "./positional.js";
import { cumsum, sum } from "./reduce.js";
import { resultSize } from "./set-ops.js";
import { broadcastTo, concatenate, expandDims, moveaxis, reshape, squeeze, stack } from "./shape.js";
import { asTensor, optionsOf, resultDType } from "./util.js";

const ravelT = (t: Tensor): Tensor => reshape(t, [t.size]);

/** The values of an index argument as JS integers (a traced Tensor cannot give them: ConcretizationError). */
function concreteInts(op: string, what: string, x: ArrayLike): { ints: number[]; scalar: boolean; bool: boolean } {
  const t = asTensor(x, op);
  // JS numbers arrive as float32: they must be whole; a float Tensor is rejected outright.
  if (isFloat(t.dtype) && x instanceof Tensor) throw new IndexError(`${op}: ${what} must be integers or booleans, got dtype ${t.dtype}`);
  let data: globalThis.ArrayLike<number>;
  try {
    data = t.dataSync();
  } catch (e) {
    if (e instanceof ConcretizationError) throw new ConcretizationError(`${op}: ${what} sets the result's shape, so it must be concrete (not traced under jit, vmap, grad); pass JS numbers`);
    throw e;
  }
  const ints = Array.from(data, Number);
  const bad = ints.find((i) => !Number.isInteger(i));
  if (bad !== undefined) throw new IndexError(`${op}: ${what} must be integers or booleans, got ${bad}`);
  return { ints, scalar: t.ndim === 0, bool: t.dtype === "bool" };
}

/** An integer index array (int32): JS numbers must be whole, a float Tensor is an IndexError. */
function intIndex(op: string, what: string, x: ArrayLike): Tensor {
  const t = asTensor(x, op);
  if (isFloat(t.dtype)) {
    if (x instanceof Tensor) throw new IndexError(`${op}: ${what} must be integers, got dtype ${t.dtype}`);
    const bad = Array.from(t.dataSync(), Number).find((i) => !Number.isInteger(i));
    if (bad !== undefined) throw new IndexError(`${op}: ${what} must be integers, got ${bad}`);
  }
  return astype(t, "int32");
}

/** The array and the axis an `axis=None`-able function works on (None: the flattened array, axis 0). */
function axisTarget(op: string, arr: ArrayLike, axis: number | null | undefined): { t: Tensor; ax: number } {
  const t = asTensor(arr, op);
  if (axis === undefined || axis === null) return { t: ravelT(t), ax: 0 };
  return { t, ax: normAxis(op, axis, t.ndim) };
}

/** Options with an axis that may be null (the flattened array). */
export interface NullableAxisOptions {
  /** The axis to work along; null (the default) works on the flattened array. */
  axis?: number | null;
}

/**
 * A copy of `arr` with `values` inserted before the positions `obj` along `axis` (flattened when
 * null), NumPy's rules: one position inserts all of `values` (broadcast to the other axes);
 * several positions insert one slice each, in order. `values` is cast to `arr`'s dtype.
 * @example np.insert([1, 2, 3], 1, [7, 8]) // [1, 7, 8, 2, 3]
 * @example np.insert([[0, 1], [2, 3]], [0, 2], 9, 1) // [[9, 0, 1, 9], [9, 2, 3, 9]]
 */
export function insert(arr: ArrayLike, obj: ArrayLike, values: ArrayLike, ...args: Positional<"insert", NullableAxisOptions>): Tensor {
  const op = "insert";
  const { t, ax } = axisTarget(op, arr, positionalOptions<NullableAxisOptions>(op, args).axis);
  const n = t.shape[ax]!;
  const { ints, scalar, bool } = concreteInts(op, "obj", obj);
  if (bool) throw new IndexError(`${op}: obj must be integer positions, not a boolean mask`);
  const norm = ints.map((i) => {
    if (i < -n || i > n) throw new IndexError(`${op}: index ${i} is out of bounds for axis ${ax} with size ${n}`);
    return i < 0 ? i + n : i;
  });
  let v = astype(asTensor(values, op), t.dtype);
  if (v.ndim < t.ndim) v = reshape(v, [...Array<number>(t.ndim - v.ndim).fill(1), ...v.shape]);
  if (scalar) v = moveaxis(v, 0, ax);
  const numnew = norm.length === 1 ? v.shape[ax]! : norm.length;
  const positions = norm.length === 1 ? Array<number>(numnew).fill(norm[0]!) : norm;
  const target = t.shape.map((d, i) => (i === ax ? numnew : d));
  const vb = broadcastTo(v, target);
  // The source of each output slot in concatenate([arr, values]): inserted slice j (at n + j)
  // comes before old index positions[j]; equal positions keep their order.
  const order = positions.map((p, j) => [p, j] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const gather: number[] = [];
  let k = 0;
  for (let p = 0; p <= n; p++) {
    while (k < order.length && order[k]![0] === p) gather.push(n + order[k++]![1]);
    if (p < n) gather.push(p);
  }
  return take(concatenate([t, vb], { axis: ax }), asTensor(gather, op, "int32"), { axis: ax });
}

/** Options of `delete`. */
export interface DeleteOptions extends NullableAxisOptions {
  /** The positions are known to be distinct (accepted; the result is the same either way). */
  assumeUniqueIndices?: boolean;
}

/**
 * A copy of `arr` without the entries at positions `obj` (integers, negative from the end, or a
 * boolean mask of the axis's length) along `axis` (flattened when null).
 * @example np.delete([[0, 1, 2], [3, 4, 5]], 1, 1) // [[0, 2], [3, 5]]
 * @example np.delete([1, 2, 3, 4], [true, false, true, false]) // [2, 4]
 */
function deleteImpl(arr: ArrayLike, obj: ArrayLike, ...args: Positional<"delete", DeleteOptions>): Tensor {
  const op = "delete";
  const { t, ax } = axisTarget(op, arr, positionalOptions<DeleteOptions>(op, args).axis);
  const n = t.shape[ax]!;
  const { ints, bool } = concreteInts(op, "obj", obj);
  const drop = new Set<number>();
  if (bool) {
    if (ints.length !== n) throw new ValueError(`${op}: a boolean mask must have the length of axis ${ax} (${n}), got ${ints.length}`);
    ints.forEach((b, i) => b && drop.add(i));
  } else {
    for (const i of ints) {
      if (i < -n || i >= n) throw new IndexError(`${op}: index ${i} is out of bounds for axis ${ax} with size ${n}`);
      drop.add(i < 0 ? i + n : i);
    }
  }
  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !drop.has(i));
  return take(t, asTensor(keep, op, "int32"), { axis: ax });
}
export { deleteImpl as delete };

/** Options of `compress`/`extract` (JAX's static `size` for use under jit). */
export interface CompressOptions extends NullableAxisOptions {
  /** The length of the result along the axis (required under jit/vmap/grad): padded or cut. */
  size?: number;
  /** The padding when fewer than `size` entries are selected (default 0, as JAX). */
  fillValue?: number;
}

function compressImpl(op: "compress" | "extract", condition: ArrayLike, t: Tensor, ax: number, opts: CompressOptions, call: string): Tensor {
  const c0 = asTensor(condition, op);
  if (c0.ndim !== 1) throw new ShapeError(`${op}: condition must be 1-D, got shape ${fmtShape(c0.shape)}`);
  const n = t.shape[ax]!;
  // A shorter condition selects nothing past its end; a longer one is cut to the axis (its extra entries select nothing there).
  let c = notEqual(c0, 0);
  if (c.size > n) c = take(c, asTensor(Array.from({ length: n }, (_, i) => i), op, "int32"));
  else if (c.size < n) c = concatenate([c, notEqual(zeros([n - c.size]), 0)]);
  const count = sum(astype(c, "int32"));
  const size = resultSize(op, count, opts.size, call);
  if (n === 0) return zeros(t.shape.map((d, i) => (i === ax ? size : d)), { dtype: t.dtype }).add(opts.fillValue ?? 0).astype(t.dtype);
  const picked = take(t, flatnonzero(c, { size, fillValue: 0 }), { axis: ax });
  const realShape = t.shape.map((_, i) => (i === ax ? size : 1));
  const real = reshape(less(iota([size], 0, "int32"), count), realShape);
  return astype(where(real, picked, opts.fillValue ?? 0), t.dtype);
}

/**
 * The slices of `a` along `axis` (flattened when null) where the 1-D `condition` is true.
 * Under jit pass a static `size` (JAX): fewer selections are padded with `fillValue` (0).
 * @example np.compress([false, true, true], [[1, 2], [3, 4], [5, 6]], 0) // [[3, 4], [5, 6]]
 * @example np.compress([1, 0, 1], [1, 2, 3], { size: 3, fillValue: -1 }) // [1, 3, -1]
 */
export function compress(condition: ArrayLike, a: ArrayLike, ...args: Positional<"compress", CompressOptions>): Tensor {
  const opts = positionalOptions<CompressOptions>("compress", args);
  const { t, ax } = axisTarget("compress", a, opts.axis);
  return compressImpl("compress", condition, t, ax, opts, "condition, a");
}

/**
 * The elements of the flattened `arr` where the flattened `condition` is nonzero (JAX's static
 * `size`/`fillValue` as `compress`).
 * @example np.extract([[true, false], [false, true]], [[1, 2], [3, 4]]) // [1, 4]
 */
export function extract(condition: ArrayLike, arr: ArrayLike, options?: Omit<CompressOptions, "axis">): Tensor {
  const opts = optionsOf("extract", options);
  const c = asTensor(condition, "extract");
  return compressImpl("extract", ravelT(c), ravelT(asTensor(arr, "extract")), 0, opts, "condition, arr");
}

/** Options of `place`/`put`: kiln arrays are immutable, so only JAX's `inplace: false` is accepted. */
export interface FunctionalOptions {
  /** Must be false (or absent): the updated array is returned, `arr` is unchanged. */
  inplace?: boolean;
}

function checkFunctional(op: string, inplace: unknown): void {
  if (inplace !== undefined && inplace !== false) {
    throw new ValueError(`${op}: kiln arrays are immutable, so ${op} returns the updated array; inplace must be false, got ${describeValue(inplace)}`);
  }
}

/**
 * A copy of `arr` where `mask` is true set to `vals` in order, repeating `vals` when there are more
 * true entries (NumPy's `place`, returning the result as JAX's `inplace=False`).
 * @example np.place([1, 2, 3, 4, 5], [false, false, true, true, true], [10, 20]) // [1, 2, 10, 20, 10]
 */
export function place(arr: ArrayLike, mask: ArrayLike, vals: ArrayLike, options?: FunctionalOptions): Tensor {
  const op = "place";
  checkFunctional(op, optionsOf(op, options).inplace);
  const t = asTensor(arr, op);
  const m = asTensor(mask, op);
  if (m.size !== t.size) throw new ShapeError(`${op}: mask of shape ${fmtShape(m.shape)} must have as many elements as arr, shape ${fmtShape(t.shape)}`);
  const v = ravelT(astype(asTensor(vals, op), t.dtype));
  const mf = notEqual(ravelT(m), 0);
  if (v.size === 0) throw new ValueError(`${op}: vals is empty, so there is nothing to place`);
  // The k-th true entry takes vals[k mod len(vals)]: k is the running count of true entries.
  const k = remainder(cumsum(astype(mf, "int32"), 0).sub(1), v.size);
  const picked = take(v, where(mf, k, 0));
  return reshape(where(mf, picked, ravelT(t)), t.shape);
}

/** Options of `put`. */
export interface PutOptions extends FunctionalOptions {
  /** Out-of-range positions: "fill" (the default, dropped as JAX's), "clip" or "wrap". */
  mode?: "fill" | "clip" | "wrap" | null;
}

/**
 * A copy of `a` with the flat positions `ind` set to `v` (repeated to `ind`'s length; negative
 * positions count from the end). NumPy's `put`, returning the result (JAX's `inplace=False`).
 * @example np.put([1, 2, 3, 4, 5], [0, 2, -1], [9, 8]) // [9, 2, 8, 4, 9]
 */
export function put(a: ArrayLike, ind: ArrayLike, v: ArrayLike, ...args: Positional<"put", PutOptions>): Tensor {
  const op = "put";
  const opts = positionalOptions<PutOptions>(op, args);
  checkFunctional(op, opts.inplace);
  const t = asTensor(a, op);
  const n = t.size;
  let idx = ravelT(intIndex(op, "ind", ind));
  const mode = opts.mode ?? "fill";
  if (mode === "clip") idx = clip(idx, 0, Math.max(n - 1, 0));
  else if (mode === "wrap") idx = n === 0 ? idx : remainder(idx, n);
  else if (mode !== "fill") throw new ValueError(`${op}: mode must be "fill", "clip" or "wrap", got ${jsonOf(mode)}`);
  const vals = ravelT(astype(asTensor(v, op), t.dtype));
  if (idx.size === 0) return t;
  if (vals.size === 0) throw new ValueError(`${op}: v is empty, so there is nothing to put`);
  const cycled = take(vals, remainder(iota([idx.size], 0, "int32"), vals.size));
  return reshape(at(ravelT(t), idx).set(cycled), t.shape);
}

/**
 * An array of `newShape` filled with the flattened `a` repeated in order (zeros if `a` is empty).
 * @example np.resize([1, 2, 3], [2, 4]) // [[1, 2, 3, 1], [2, 3, 1, 2]]
 */
export function resize(a: ArrayLike, newShape: number | readonly number[]): Tensor {
  const op = "resize";
  const t = asTensor(a, op);
  if (typeof newShape !== "number" && !Array.isArray(newShape)) throw new ValueError(`${op}: newShape must be an integer or an array of integers, got ${describeValue(newShape)}`);
  const shape = typeof newShape === "number" ? [newShape] : [...newShape];
  shape.forEach((d) => checkInt(op, "newShape", d, 0));
  const total = shape.reduce((p, d) => p * d, 1);
  if (t.size === 0) return zeros(shape, { dtype: t.dtype });
  return reshape(take(ravelT(t), remainder(iota([total], 0, "int32"), t.size)), shape);
}

/**
 * The 1-D `filt` without its leading ("f"), trailing ("b") or both ("fb", the default) zeros. The
 * length depends on the values, so `filt` must be concrete (not traced), as in JAX.
 * @example np.trimZeros([0, 0, 1, 2, 0, 3, 0]) // [1, 2, 0, 3]
 * @example np.trimZeros([0, 1, 0], "b") // [0, 1]
 */
export function trimZeros(filt: ArrayLike, trim: "f" | "b" | "fb" | "bf" = "fb"): Tensor {
  const op = "trimZeros";
  const t = asTensor(filt, op);
  if (t.ndim !== 1) throw new ShapeError(`${op}: filt must be 1-D, got shape ${fmtShape(t.shape)}`);
  if (typeof trim !== "string" || !/^[fbFB]*$/.test(trim)) throw new ValueError(`${op}: trim must be a string of "f" and "b", got ${describeValue(trim)}`);
  const { ints } = concreteInts(op, "filt", astype(notEqual(t, 0), "int32"));
  const first = ints.indexOf(1), last = ints.lastIndexOf(1);
  if (first < 0) return take(t, asTensor([], op, "int32"));
  const lo = /f/i.test(trim) ? first : 0, hi = /b/i.test(trim) ? last + 1 : t.size;
  return take(t, asTensor(Array.from({ length: hi - lo }, (_, i) => lo + i), op, "int32"));
}

/**
 * Picks, elementwise, from the broadcast `choices` by the integer array `a`: `choices[a[i]][i]`.
 * `mode` "raise" (default; reads `a`, so it must be concrete), "wrap" or "clip" (jit-able).
 * @example np.choose([0, 1, 2, 1], [[1, 2, 3, 4], [10, 20, 30, 40], [100, 200, 300, 400]]) // [1, 20, 300, 40]
 * @example np.choose([3, -1], [1, 2, 3], "wrap") // [1, 3]
 */
export function choose(a: ArrayLike, choices: readonly ArrayLike[] | Tensor, ...args: Positional<"choose", { mode?: "raise" | "wrap" | "clip" }>): Tensor {
  const op = "choose";
  const mode = positionalOptions<{ mode?: string }>(op, args).mode ?? "raise";
  if (!(choices instanceof Tensor) && !Array.isArray(choices)) throw new ValueError(`${op}: choices must be an array of arrays or a Tensor, got ${describeValue(choices)}`);
  const list = choices instanceof Tensor ? Array.from({ length: choices.shape[0] ?? 0 }, (_, i) => take(choices, [i], { axis: 0 }).squeeze(0)) : choices.map((c) => asTensor(c, op));
  if (list.length === 0) throw new ValueError(`${op}: choices must not be empty`);
  let idx = intIndex(op, "a", a);
  const n = list.length;
  if (mode === "wrap") idx = remainder(idx, n);
  else if (mode === "clip") idx = clip(idx, 0, n - 1);
  else if (mode === "raise") {
    let bad: boolean;
    try {
      bad = concreteInts(op, "a", idx).ints.some((i) => i < 0 || i >= n);
    } catch (e) {
      if (e instanceof ConcretizationError) throw new ConcretizationError(`${op}: mode "raise" reads a, which is traced here (jit, vmap, grad); pass mode "wrap" or "clip"`);
      throw e;
    }
    if (bad) throw new ValueError(`${op}: invalid entry in choice array (every entry must be in [0, ${n}))`);
  } else throw new ValueError(`${op}: mode must be "raise", "wrap" or "clip", got ${jsonOf(mode)}`);
  const dtype = resultDType(list, op);
  const shape = broadcastShapes(op, idx.shape, ...list.map((c) => c.shape));
  const stacked = stack(list.map((c) => broadcastTo(astype(c, dtype), shape)));
  return squeeze(takeAlongAxis(stacked, expandDims(broadcastTo(idx, shape), 0), 0), 0);
}

/** A nested list for `block`: arrays (or numbers) at the leaves, all at one depth. */
export type BlockList = ArrayLike | readonly BlockList[];

/**
 * Assembles an array from nested lists of blocks: the innermost lists are joined along the last
 * axis, the next along the second-last, … (blocks gain leading 1-axes up to the result's rank).
 * @example np.block([[np.eye(2), np.zeros([2, 1])], [np.ones([1, 2]), np.full([1, 1], 5)]]) // 3×3
 * @example np.block([np.zeros([2]), 1]) // [0, 0, 1]
 */
export function block(arrays: BlockList): Tensor {
  const op = "block";
  let depth = -1;
  let rank = 0;
  const leaves = new Map<unknown, Tensor>();
  const walk = (x: BlockList, d: number, path: string): void => {
    if (Array.isArray(x)) {
      if (x.length === 0) throw new ValueError(`${op}: the list at arrays${path} is empty`);
      x.forEach((y, i) => walk(y as BlockList, d + 1, `${path}[${i}]`));
      return;
    }
    if (depth === -1) depth = d;
    else if (d !== depth) throw new ValueError(`${op}: list depths are mismatched: an array at depth ${depth} and one at depth ${d} (arrays${path})`);
    const t = asTensor(x as ArrayLike, op);
    leaves.set(x, t);
    rank = Math.max(rank, t.ndim);
  };
  walk(arrays, 0, "");
  rank = Math.max(rank, depth);
  const dtype = resultDType([...leaves.values()], op);
  const build = (x: BlockList, d: number): Tensor => {
    if (!Array.isArray(x)) {
      const t = astype(leaves.get(x)!, dtype);
      return t.ndim < rank ? reshape(t, [...Array<number>(rank - t.ndim).fill(1), ...t.shape]) : t;
    }
    const parts = x.map((y) => build(y as BlockList, d + 1));
    return parts.length === 1 ? parts[0]! : concatenate(parts, { axis: -(depth - d) });
  };
  return build(arrays, 0);
}

/**
 * Open-mesh index arrays: the k-th 1-D sequence reshaped to length along axis k and 1 elsewhere, so
 * `x.get(...np.ix_(rows, cols))` picks the cross product. Boolean sequences become their true positions.
 * @example np.ix_([0, 1], [2, 4]).map((t) => t.shape) // [[2, 1], [1, 2]]
 */
export function ix_(...args: ArrayLike[]): Tensor[] {
  const op = "ix_";
  return args.map((a, k) => {
    let t = asTensor(a, op);
    if (t.ndim !== 1) throw new ShapeError(`${op}: every sequence must be 1-D, got shape ${fmtShape(t.shape)} at position ${k}`);
    t = t.dtype === "bool" ? nonzero(t)[0]! : intIndex(op, `sequence ${k}`, a);
    return reshape(t, args.map((_, i) => (i === k ? t.size : 1)));
  });
}

function matrixShape(op: string, arr: ArrayLike): [number, number] {
  const t = asTensor(arr, op);
  if (t.ndim !== 2) throw new ShapeError(`${op}: arr must be 2-D, got shape ${fmtShape(t.shape)}`);
  return [t.shape[0]!, t.shape[1]!];
}

/**
 * The row and column indices of the lower triangle (on and below diagonal `k`) of the 2-D `arr`.
 * @example np.trilIndicesFrom(np.zeros([3, 3]), -1) // [[1, 2, 2], [0, 0, 1]]
 */
export function trilIndicesFrom(arr: ArrayLike, k = 0): Tensor[] {
  const [n, m] = matrixShape("trilIndicesFrom", arr);
  return trilIndices(n, k, m);
}

/**
 * The row and column indices of the upper triangle (on and above diagonal `k`) of the 2-D `arr`.
 * @example np.triuIndicesFrom(np.zeros([2, 3]), 1) // [[0, 0, 1], [1, 2, 2]]
 */
export function triuIndicesFrom(arr: ArrayLike, k = 0): Tensor[] {
  const [n, m] = matrixShape("triuIndicesFrom", arr);
  return triuIndices(n, k, m);
}

/**
 * The indices of an n×n mask: where `maskFunc(ones([n, n]), k)` is nonzero (e.g. `np.triu`).
 * @example np.maskIndices(3, np.triu, 1) // [[0, 0, 1], [1, 2, 2]]
 */
export function maskIndices(n: number, maskFunc: (a: Tensor, k: number) => Tensor, k = 0, options?: { size?: number }): Tensor[] {
  const op = "maskIndices";
  checkInt(op, "n", n, 0);
  if (typeof maskFunc !== "function") throw new ValueError(`${op}: maskFunc must be a function (a, k) => array, got ${describeValue(maskFunc)}`);
  const opts = optionsOf(op, options);
  return nonzero(maskFunc(ones([n, n], { dtype: "int32" }), k), opts.size === undefined ? undefined : { size: opts.size });
}

/**
 * The dot product of vectors along `axis` (default -1), broadcasting the other axes (the array API's
 * `vecdot`; kiln has no complex dtype, so no conjugation is needed).
 * @example np.vecdot([[1, 2], [3, 4]], [1, 1]) // [3, 7]
 * @example np.vecdot([[1, 2], [3, 4]], [[1], [1]], { axis: 0 }) // [4, 6]
 */
export function vecdot(x1: ArrayLike, x2: ArrayLike, options?: { axis?: number }): Tensor {
  const op = "vecdot";
  const opts = optionsOf(op, options);
  const a = asTensor(x1, op), b = asTensor(x2, op);
  const prod = multiply(a, b);
  const axis = opts.axis ?? -1;
  const neg = normAxis(op, axis, prod.ndim) - prod.ndim;
  const da = a.shape[a.ndim + neg], db = b.shape[b.ndim + neg];
  if (da === undefined || db === undefined || da !== db) {
    throw new ShapeError(`${op}: x1 of shape ${fmtShape(a.shape)} and x2 of shape ${fmtShape(b.shape)} must have the same size along axis ${axis}`);
  }
  return sum(prod, { axis: prod.ndim + neg });
}
