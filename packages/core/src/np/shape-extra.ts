/**
 * More NumPy array-manipulation names, each a composition of existing primitives (slices,
 * concatenations, transposes, `where`, reductions) so jit, grad and vmap need nothing new.
 * Output shapes depend only on input shapes, never on values.
 */
import { type DType, checkDType, isFloat } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { type Shape, fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { atLeast, atLeastNd, checkInt, iota, listOf, sliceAxis, zerosOf } from "./compose-helpers.js";
import { add, astype, divide, equal, logicalNot, multiply, notEqual, power, subtract, where } from "./elementwise.js";
import { any, sum } from "./reduce.js";
import { concatenate, flip, moveaxis, split, transpose } from "./shape.js";
import { type Positional, positionalOptions } from "./positional.js";
import { apply, asTensor, astypeRaw, checkListLength, optionsOf, registeredVmap, reshapeRaw, resultDType } from "./util.js";

// ---------------------------------------------------------------------------------------------
// Differences and integrals

export interface DiffOptions {
  /** How many times to difference (default 1). */
  n?: number;
  /** Axis along which to difference (default -1). */
  axis?: number;
  /** Values put before `a` along `axis` first (a scalar is broadcast to one slice). */
  prepend?: ArrayLike;
  /** Values put after `a` along `axis` first. */
  append?: ArrayLike;
}

/** A prepend/append value as a slab along `axis`: scalars become one slice, arrays are used as given. */
function slab(op: string, v: ArrayLike, like: Tensor, axis: number): Tensor {
  const t = asTensor(v, op);
  if (t.ndim !== 0) return t;
  const shape = like.shape.map((d, i) => (i === axis ? 1 : d));
  return apply("broadcast", [t], { shape, dims: [] }, t.weak);
}

/**
 * The `n`-th discrete difference `a[i+1] - a[i]` along `axis` (bool input: `a[i+1] != a[i]`).
 * `n` larger than the axis gives an empty axis.
 * @example np.diff(np.array([1, 2, 4, 7, 0])) // [1, 2, 3, -7]
 * @example np.diff(np.array([1, 2, 4, 7, 0]), 2) // [1, 1, -10]
 * @example np.diff(np.array([[1, 2], [4, 8]]), 1, 0) // NumPy order n, axis: [[3, 6]]
 */
export function diff(a: ArrayLike, ...args: Positional<"diff", DiffOptions>): Tensor {
  const opts = positionalOptions<DiffOptions>("diff", args);
  const n = opts.n ?? 1;
  let t = asTensor(a, "diff");
  checkInt("diff", "n", n, 0);
  if (t.ndim === 0) throw new ShapeError(`diff: needs an array of at least one dimension, got a 0-d array`);
  const axis = normAxis("diff", opts.axis ?? -1, t.ndim);
  if (n === 0) return t; // NumPy returns `a` itself: prepend/append are not applied
  const parts: Tensor[] = [];
  if (opts.prepend !== undefined && opts.prepend !== null) parts.push(slab("diff", opts.prepend, t, axis));
  parts.push(t);
  if (opts.append !== undefined && opts.append !== null) parts.push(slab("diff", opts.append, t, axis));
  if (parts.length > 1) t = concatenate(parts, { axis });
  // Past the axis length every further difference is empty again (NumPy's n > length case); stop
  // there rather than build n nodes.
  for (let k = 0; k < n && t.shape[axis]! > 0; k++) {
    const len = t.shape[axis]!;
    const hi = sliceAxis(t, axis, Math.min(1, len), len);
    const lo = sliceAxis(t, axis, 0, Math.max(len - 1, 0));
    t = t.dtype === "bool" ? notEqual(hi, lo) : subtract(hi, lo);
  }
  return t;
}

/**
 * Differences of the flattened array, with optional values before (`toBegin`) and after
 * (`toEnd`), cast to the input's dtype.
 * @example np.ediff1d(np.array([1, 2, 4, 7]), { toBegin: -99, toEnd: [88, 99] }) // [-99, 1, 2, 3, 88, 99]
 */
export function ediff1d(ary: ArrayLike, opts: { toEnd?: ArrayLike; toBegin?: ArrayLike } = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("ediff1d", opts, "ediff1d", extra);
  const t = asTensor(ary, "ediff1d");
  const flat = reshapeRaw(t, [t.size]);
  const d = diff(flat);
  const end = (v: ArrayLike | undefined) => {
    if (v === undefined || v === null) return [];
    const e = asTensor(v, "ediff1d");
    return [astypeRaw(reshapeRaw(e, [e.size]), d.dtype)];
  };
  const parts = [...end(opts.toBegin), d, ...end(opts.toEnd)];
  return parts.length === 1 ? d : concatenate(parts);
}

/** Options of {@link trapezoid}. */
export interface TrapezoidOptions {
  /** Sample points: 1-D along `axis`, or `y`'s shape. */
  x?: ArrayLike | null;
  /**
   * Spacing when `x` is absent (default 1): a number, or an array (JAX) that broadcasts against
   * the pairwise sums of `y` with `axis` moved last.
   */
  dx?: ArrayLike;
  /** Axis to integrate along (default -1). */
  axis?: number;
}

/**
 * Integral of `y` along `axis` (default -1) by the trapezoidal rule, with sample points `x`
 * (1-D along `axis`, or `y`'s shape) or a uniform spacing `dx` (default 1). Integer input gives float32.
 * @example np.trapezoid(np.array([1, 2, 3])) // 4
 * @example np.trapezoid(np.array([1, 2, 3]), { x: [4, 6, 8] }) // 8
 * @example np.trapezoid(np.array([1, 2, 3]), [4, 6, 8]) // NumPy order x, dx, axis: 8
 * @example np.trapezoid(np.array([[1, 2, 3], [4, 5, 6]]), null, np.array([[1, 2], [1, 1]])) // per-interval dx: [6.5, 10]
 */
export function trapezoid(y: ArrayLike, ...args: Positional<"trapezoid", TrapezoidOptions>): Tensor {
  const opts = positionalOptions<TrapezoidOptions>("trapezoid", args);
  let t = asTensor(y, "trapezoid");
  if (t.ndim === 0) throw new ShapeError(`trapezoid: needs an array of at least one dimension, got a 0-d array`);
  if (!isFloat(t.dtype)) t = astypeRaw(t, "float32");
  const axis = normAxis("trapezoid", opts.axis ?? -1, t.ndim);
  let d: ArrayLike;
  if (opts.x !== undefined && opts.x !== null) {
    if (opts.dx !== undefined) throw new ValueError(`trapezoid: give either x or dx, not both`);
    const x = asTensor(opts.x, "trapezoid");
    if (x.ndim === 1) {
      if (x.shape[0] !== t.shape[axis]) throw new ShapeError(`trapezoid: x of shape ${fmtShape(x.shape)} does not match axis ${axis} of y's shape ${fmtShape(t.shape)}`);
      d = reshapeRaw(diff(x), t.shape.map((s, i) => (i === axis ? s - 1 : 1)).map((s) => Math.max(s, 0)));
    } else {
      // The axis as given (default -1), as NumPy: x of lower rank than y then differences its own
      // last axis and broadcasts against y.
      d = diff(x, { axis: opts.axis ?? -1 });
    }
  } else {
    d = opts.dx ?? 1;
    if (typeof d !== "number") {
      // An array dx as JAX: it broadcasts against y's pairwise sums with the axis moved last.
      const dt = asTensor(d, "trapezoid");
      const len = t.shape[axis]!;
      const moved = moveaxis(t, axis, -1);
      const last = moved.ndim - 1;
      const pairs = add(sliceAxis(moved, last, Math.min(1, len), len), sliceAxis(moved, last, 0, Math.max(len - 1, 0)));
      return sum(divide(multiply(dt, pairs), 2), -1);
    }
  }
  const len = t.shape[axis]!;
  const mid = add(sliceAxis(t, axis, Math.min(1, len), len), sliceAxis(t, axis, 0, Math.max(len - 1, 0)));
  return sum(divide(multiply(d, mid), 2), axis);
}

// ---------------------------------------------------------------------------------------------
// Selection by conditions

function asCondList(op: string, condlist: ArrayLike | readonly ArrayLike[]): Tensor[] {
  if (condlist instanceof Tensor) return condlist.ndim === 0 ? [condlist] : unstack(condlist);
  if (!Array.isArray(condlist)) throw new ValueError(`${op}: condlist must be an array of conditions, got ${describeValue(condlist)}`);
  return condlist.map((c) => asTensor(c as ArrayLike, op));
}

/**
 * `choicelist[i]` where `condlist[i]` is the first true condition, else `default` (0). Numeric
 * conditions are cast to bool (nonzero is true), as `jnp.select`; choices and default are
 * promoted together.
 * @example np.select([x.lt(0), x.gt(0)], [-1, x], 99) // sign-like with 99 at zero
 */
export function select(condlist: readonly ArrayLike[], choicelist: readonly ArrayLike[], defaultValue: ArrayLike = 0): Tensor {
  const conds = asCondList("select", condlist);
  if (!Array.isArray(choicelist)) throw new ValueError(`select: choicelist must be an array, got ${describeValue(choicelist)}`);
  if (conds.length !== choicelist.length) {
    throw new ValueError(`select: condlist and choicelist must have the same length, got ${conds.length} and ${choicelist.length}`);
  }
  if (conds.length === 0) throw new ValueError(`select: condlist must not be empty`);
  // Numeric conditions count as true where nonzero: jnp.select casts them to bool (NumPy 2 raises).
  const bools = conds.map((c) => (c.dtype === "bool" ? c : notEqual(c, 0)));
  const choices = [...choicelist, defaultValue].map((c) => asTensor(c, "select"));
  const dtype = resultDType(choices, "select");
  let out = astypeRaw(choices[choices.length - 1]!, dtype);
  // Walk backwards so the first true condition is applied last and wins.
  for (let i = bools.length - 1; i >= 0; i--) out = where(bools[i]!, astypeRaw(choices[i]!, dtype), out);
  return out;
}

/** A piece of `piecewise`: a function of `x` or a constant. */
export type Piece = ((x: Tensor) => ArrayLike) | number | boolean;

/**
 * `funclist[i](x)` where `condlist[i]` holds (later conditions win, as NumPy), 0 elsewhere; one
 * extra function is the default where no condition holds. Every function sees the whole `x`
 * (as JAX), and results are cast to `x`'s dtype.
 * @example np.piecewise(x, [x.lt(0), x.ge(0)], [(v) => v.neg(), (v) => v.mul(2)])
 */
export function piecewise(x: ArrayLike, condlist: ArrayLike | readonly ArrayLike[], funclist: readonly Piece[]): Tensor {
  const t = asTensor(x, "piecewise");
  let conds = piecewiseConds(t, condlist).map((c) => (c.dtype === "bool" ? c : notEqual(c, 0)));
  if (!Array.isArray(funclist)) throw new ValueError(`piecewise: funclist must be an array, got ${describeValue(funclist)}`);
  if (funclist.length === conds.length + 1) {
    conds = [...conds, conds.length ? logicalNot(any(stackConds(conds), 0)) : asTensor(true, "piecewise")];
  } else if (funclist.length !== conds.length) {
    throw new ValueError(`piecewise: funclist has ${funclist.length} entries for ${conds.length} conditions (needs ${conds.length} or ${conds.length + 1})`);
  }
  let out = astypeRaw(zerosOf(t), t.dtype);
  funclist.forEach((f, i) => {
    if (typeof f !== "function" && typeof f !== "number" && typeof f !== "boolean") {
      throw new ValueError(`piecewise: funclist entries must be functions or numbers, got ${describeValue(f)}`);
    }
    const v = typeof f === "function" ? asTensor(f(t), "piecewise") : asTensor(f, "piecewise");
    out = where(conds[i]!, astypeRaw(v, t.dtype), out);
  });
  return out;
}

/**
 * NumPy's reading of `condlist`: one condition shaped like `x` (an array of scalars, or a Tensor
 * of x's rank) is wrapped into a list; a Tensor of one more dimension is a stack of conditions.
 */
function piecewiseConds(x: Tensor, condlist: ArrayLike | readonly ArrayLike[]): Tensor[] {
  const single = condlist instanceof Tensor
    ? condlist.ndim <= x.ndim
    : typeof condlist === "boolean" || typeof condlist === "number" ||
      (Array.isArray(condlist) && x.ndim > 0 && condlist.length > 0 && condlist.every((c) => typeof c === "boolean" || typeof c === "number"));
  return single ? [asTensor(condlist as ArrayLike, "piecewise")] : asCondList("piecewise", condlist);
}

function stackConds(ts: readonly Tensor[]): Tensor {
  const shape = ts.reduce<Shape>((s, c) => (c.ndim >= s.length ? c.shape : s), []);
  return concatenate(ts.map((c) => reshapeRaw(apply("broadcast", [c], { shape: [...shape], dims: c.shape.map((_, i) => i + shape.length - c.ndim) }), [1, ...shape])));
}

// ---------------------------------------------------------------------------------------------
// Creation

/**
 * `fn(i0, i1, ...)` at every coordinate of `shape` (float32 unless `dtype`), as `jax.numpy`
 * does it: `fn` is vmapped over each axis, so it sees 0-d coordinates and a non-scalar result
 * gets `shape` as its leading axes (one batched graph, no host loop). Without the transforms
 * package loaded, `fn` is called once on the coordinate grids (NumPy's reading; the same values
 * for elementwise `fn`).
 * @example np.fromfunction((i, j) => i.add(j), [2, 2]) // [[0, 1], [1, 2]]
 * @example np.fromfunction((i) => i.add(1).mul(np.arange(3)), [2]) // [[0, 1, 2], [0, 2, 4]]
 */
export function fromfunction<R>(fn: (...idx: Tensor[]) => R, shape: readonly number[], opts: { dtype?: DType } = {}, ...extra: undefined[]): R {
  opts = optionsOf("fromfunction", opts, "fromfunction", extra);
  if (typeof fn !== "function") throw new ValueError(`fromfunction: fn must be a function, got ${describeValue(fn)}`);
  const dtype = checkDType(opts.dtype ?? "float32", "fromfunction");
  const s = checkDims("fromfunction", shape);
  const grids = s.map((_, i) => iota(s, i, dtype));
  const vmap = registeredVmap();
  if (vmap === null) return fn(...grids);
  let f = (...idx: Tensor[]): R => fn(...idx);
  for (let i = 0; i < s.length; i++) f = vmap(f, { inAxes: 0, outAxes: 0 });
  return f(...grids);
}

function checkDims(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ValueError(`${op}: shape must be an array of non-negative integers, got ${jsonOf(shape)}`);
  }
  return [...shape];
}

/**
 * The grid of indices of an array of shape `dimensions`: shape `[ndim, ...dimensions]`, int32
 * unless `dtype`. With `sparse: true`, one array per axis, of size 1 except along its own axis.
 * @example np.indices([2, 3]) // [[[0, 0, 0], [1, 1, 1]], [[0, 1, 2], [0, 1, 2]]]
 */
export function indices(dimensions: readonly number[], opts?: { dtype?: DType; sparse?: false }): Tensor;
export function indices(dimensions: readonly number[], opts: { dtype?: DType; sparse: true }): Tensor[];
export function indices(dimensions: readonly number[], opts: { dtype?: DType; sparse?: boolean } = {}, ...extra: undefined[]): Tensor | Tensor[] {
  opts = optionsOf("indices", opts, "indices", extra);
  const s = checkDims("indices", dimensions);
  const dtype = checkDType(opts.dtype ?? "int32", "indices");
  if (opts.sparse) return s.map((d, i) => iota(s.map((e, j) => (j === i ? d : 1)), i, dtype));
  return iotaStack(s, dtype);
}

function iotaStack(s: number[], dtype: DType): Tensor {
  const grids = s.map((_, i) => reshapeRaw(iota(s, i, dtype), [1, ...s]));
  return grids.length ? concatenate(grids) : iota([0], 0, dtype);
}

/** One axis, as an option. */
interface AxisOption {
  axis?: number;
}

interface SpaceOptions {
  endpoint?: boolean;
  dtype?: DType;
}

/** `num` exponents `start + i * step` from `start` toward `stop` (as `linspace`; float32 for an integer `dtype`). */
function exponents(op: string, start: number, stop: number, num: number, endpoint: boolean, dtype: DType): { e: Tensor; n: number } {
  const n = checkInt(op, "num", num, 0);
  const div = endpoint ? n - 1 : n;
  // The step is computed in float64 first, so integral exponents stay exact (10 ** 2 is 100).
  const step = div > 0 ? (stop - start) / div : 0;
  return { e: add(multiply(iota([n], 0, isFloat(dtype) ? dtype : "float32"), step), start), n };
}

function finite(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ValueError(`${op}: ${name} must be a finite number, got ${describeValue(v)}`);
  return v;
}

/**
 * `base ** linspace(start, stop, num)` (base 10 by default).
 * @example np.logspace(0, 2, 3) // [1, 10, 100]
 * @example np.logspace(0, 3, 4, true, 2) // NumPy order endpoint, base, dtype: [1, 2, 4, 8]
 */
export function logspace(start: number, stop: number, num = 50, ...args: Positional<"logspace", SpaceOptions & { base?: number }>): Tensor {
  const opts = positionalOptions<SpaceOptions & { base?: number }>("logspace", args);
  finite("logspace", "start", start);
  finite("logspace", "stop", stop);
  const base = finite("logspace", "base", opts.base ?? 10);
  const dtype = checkDType(opts.dtype ?? "float32", "logspace");
  const { e } = exponents("logspace", start, stop, num, opts.endpoint ?? true, dtype);
  const y = power(base, e);
  return isFloat(dtype) ? y : astype(y, dtype);
}

/**
 * `num` samples from `start` to `stop` spaced evenly on a log scale (both must be nonzero and of
 * the same sign); the endpoints are exact.
 * @example np.geomspace(1, 1000, 4) // [1, 10, 100, 1000]
 * @example np.geomspace(1, 1000, 3, false) // NumPy order endpoint, dtype: [1, 10, 100]
 */
export function geomspace(start: number, stop: number, num = 50, ...args: Positional<"geomspace", SpaceOptions>): Tensor {
  const opts = positionalOptions<SpaceOptions>("geomspace", args);
  finite("geomspace", "start", start);
  finite("geomspace", "stop", stop);
  if (start === 0 || stop === 0) throw new ValueError(`geomspace: start and stop must be nonzero, got ${start} and ${stop}`);
  if (Math.sign(start) !== Math.sign(stop)) throw new ValueError(`geomspace: start and stop must have the same sign, got ${start} and ${stop}`);
  const endpoint = opts.endpoint ?? true;
  const dtype = checkDType(opts.dtype ?? "float32", "geomspace");
  // NumPy's construction: sign * 10 ** linspace(log10|start|, log10|stop|).
  const { e, n } = exponents("geomspace", Math.log10(Math.abs(start)), Math.log10(Math.abs(stop)), num, endpoint, dtype);
  let y = multiply(power(10, e), Math.sign(start));
  // 10 ** log10(x) can miss x by an ulp; NumPy pins the endpoints.
  const i = iota([n], 0);
  y = where(equal(i, 0), start, y);
  if (endpoint && n > 1) y = where(equal(i, n - 1), stop, y);
  return isFloat(dtype) ? y : astype(y, dtype);
}

// ---------------------------------------------------------------------------------------------
// Splitting and stacking

/**
 * The slices of `x` along `axis` (default 0), as a list; the inverse of `stack`.
 * @example const [a, b] = np.unstack(np.array([[1, 2], [3, 4]])); // [1, 2], [3, 4]
 */
export function unstack(x: ArrayLike, ...args: Positional<"unstack", AxisOption>): Tensor[] {
  const opts = positionalOptions<AxisOption>("unstack", args);
  const t = asTensor(x, "unstack");
  if (t.ndim === 0) throw new ShapeError(`unstack: needs an array of at least one dimension, got a 0-d array`);
  const axis = normAxis("unstack", opts.axis ?? 0, t.ndim);
  checkListLength("unstack", t.shape[axis]!);
  const rest = t.shape.filter((_, i) => i !== axis);
  return Array.from({ length: t.shape[axis]! }, (_, i) => reshapeRaw(sliceAxis(t, axis, i, i + 1), rest));
}

/**
 * Like `split`, but `sections` need not divide the axis: the first `len % sections` parts get
 * one extra element.
 * @example np.arraySplit(np.arange(5), 3) // [[0, 1], [2, 3], [4]]
 */
export function arraySplit(x: ArrayLike, indicesOrSections: number | readonly number[], ...args: Positional<"arraySplit", AxisOption>): Tensor[] {
  const opts = positionalOptions<AxisOption>("arraySplit", args);
  const t = asTensor(x, "arraySplit");
  if (typeof indicesOrSections !== "number") return split(t, indicesOrSections, opts);
  const k = indicesOrSections;
  if (!Number.isInteger(k) || k <= 0) throw new ValueError(`arraySplit: the number of sections must be a positive integer, got ${describeValue(k)}`);
  checkListLength("arraySplit", k);
  const axis = normAxis("arraySplit", opts.axis ?? 0, t.ndim);
  const n = t.shape[axis]!;
  const [each, extra] = [Math.floor(n / k), n % k];
  const cuts = [0];
  for (let i = 0; i < k; i++) cuts.push(cuts[i]! + each + (i < extra ? 1 : 0));
  return cuts.slice(1).map((stop, i) => sliceAxis(t, axis, cuts[i]!, stop));
}

/**
 * `split` along axis 1 (axis 0 for 1-D arrays).
 * @example np.hsplit(np.zeros([2, 4]), 2) // two [2, 2] arrays
 */
export function hsplit(x: ArrayLike, indicesOrSections: number | readonly number[]): Tensor[] {
  const t = asTensor(x, "hsplit");
  atLeast("hsplit", t, 1);
  return split(t, indicesOrSections, { axis: t.ndim > 1 ? 1 : 0 });
}

/**
 * `split` along axis 0. As `jax.numpy.vsplit`, a 1-D array splits too (NumPy requires 2 or more
 * dimensions); a 0-d array is a ShapeError.
 * @example np.vsplit(np.zeros([4, 2]), 2) // two [2, 2] arrays
 * @example np.vsplit(np.arange(6), 3) // [0, 1], [2, 3], [4, 5]
 */
export function vsplit(x: ArrayLike, indicesOrSections: number | readonly number[]): Tensor[] {
  const t = asTensor(x, "vsplit");
  atLeast("vsplit", t, 1);
  return split(t, indicesOrSections, { axis: 0 });
}

/**
 * `split` along axis 2 of an array of at least 3 dimensions.
 * @example np.dsplit(np.zeros([1, 1, 4]), [1]) // shapes [1, 1, 1] and [1, 1, 3]
 */
export function dsplit(x: ArrayLike, indicesOrSections: number | readonly number[]): Tensor[] {
  const t = asTensor(x, "dsplit");
  atLeast("dsplit", t, 3);
  return split(t, indicesOrSections, { axis: 2 });
}

/**
 * Stacks rows: 1-D arrays of length N become [1, N], then concatenated along axis 0.
 * @example np.vstack([[1, 2], [3, 4]]) // [[1, 2], [3, 4]]
 */
export function vstack(xs: readonly ArrayLike[]): Tensor {
  return concatenate(listOf("vstack", xs).map((t) => atLeastNd(t, 2)), { axis: 0 });
}

/**
 * Concatenates along axis 1 (axis 0 for 1-D arrays; scalars become 1-D).
 * @example np.hstack([[1, 2], [3]]) // [1, 2, 3]
 */
export function hstack(xs: readonly ArrayLike[]): Tensor {
  const ts = listOf("hstack", xs).map((t) => atLeastNd(t, 1));
  return concatenate(ts, { axis: ts[0]!.ndim === 1 ? 0 : 1 });
}

/**
 * Concatenates along axis 2 ([N] → [1, N, 1], [M, N] → [M, N, 1] first).
 * @example np.dstack([[1, 2], [3, 4]]) // [[[1, 3], [2, 4]]]
 */
export function dstack(xs: readonly ArrayLike[]): Tensor {
  return concatenate(listOf("dstack", xs).map((t) => atLeastNd(t, 3)), { axis: 2 });
}

/**
 * Stacks 1-D arrays as columns of a 2-D array (2-D arrays are concatenated along axis 1 as they are).
 * @example np.columnStack([[1, 2], [3, 4]]) // [[1, 3], [2, 4]]
 */
export function columnStack(xs: readonly ArrayLike[]): Tensor {
  const ts = listOf("columnStack", xs).map((t) => (t.ndim < 2 ? reshapeRaw(t, [t.size, 1]) : t));
  return concatenate(ts, { axis: 1 });
}

/**
 * `values` appended to `arr` along `axis` (absent: both flattened first).
 * @example np.append([1, 2], [[3, 4]]) // [1, 2, 3, 4]
 */
export function append(arr: ArrayLike, values: ArrayLike, ...args: Positional<"append", { axis?: number | null }>): Tensor {
  const opts = positionalOptions<{ axis?: number | null }>("append", args);
  const a = asTensor(arr, "append");
  const v = asTensor(values, "append");
  if (opts.axis === undefined || opts.axis === null) return concatenate([reshapeRaw(a, [a.size]), reshapeRaw(v, [v.size])]);
  return concatenate([a, v], { axis: opts.axis });
}

// ---------------------------------------------------------------------------------------------
// Rearranging

/**
 * Rolls elements by `shift` along `axis` (elements leaving one end come back at the other);
 * without `axis`, over the flattened array. `shift` and `axis` may be matching arrays.
 * `axis` may also be given as `{ axis }` (JAX's keyword).
 * @example np.roll(np.arange(5), 2) // [3, 4, 0, 1, 2]
 * np.roll(np.eye(2), 1, { axis: 1 }) // [[0, 1], [1, 0]]
 */
export function roll(x: ArrayLike, shift: number | readonly number[], ...args: Positional<"roll", { axis?: number | readonly number[] | null }>): Tensor {
  const t = asTensor(x, "roll");
  const { axis } = positionalOptions<{ axis?: number | readonly number[] | null }>("roll", args);
  if (axis !== undefined && axis !== null && typeof axis !== "number" && !(Array.isArray(axis) && axis.every((a) => typeof a === "number"))) {
    throw new ValueError(`roll: axis must be an integer, an array of integers or null, got ${describeValue(axis)}`);
  }
  const shifts = typeof shift === "number" ? [shift] : Array.isArray(shift) ? [...shift] : null;
  if (!shifts || !shifts.every(Number.isInteger)) throw new ValueError(`roll: shift must be an integer or an array of integers, got ${describeValue(shift)}`);
  if (axis === undefined || axis === null) {
    if (shifts.length !== 1) throw new ValueError(`roll: without axis, shift must be one integer, got ${jsonOf(shift)}`);
    return reshapeRaw(roll(reshapeRaw(t, [t.size]), shifts[0]!, 0), t.shape);
  }
  const axes = typeof axis === "number" ? [axis] : [...axis];
  // shift and axis broadcast against each other; a repeated axis adds its shifts (NumPy).
  const count = Math.max(shifts.length, axes.length);
  if ((shifts.length !== 1 && shifts.length !== count) || (axes.length !== 1 && axes.length !== count)) {
    throw new ValueError(`roll: shift ${jsonOf(shift)} and axis ${jsonOf(axis)} must have the same length (or one of them a single value)`);
  }
  const total = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const a = normAxis("roll", axes[axes.length === 1 ? 0 : i]!, t.ndim);
    total.set(a, (total.get(a) ?? 0) + shifts[shifts.length === 1 ? 0 : i]!);
  }
  let out = t;
  for (const [a, s] of total) {
    const n = out.shape[a]!;
    if (n === 0) continue;
    const r = ((s % n) + n) % n;
    if (r !== 0) out = concatenate([sliceAxis(out, a, n - r, n), sliceAxis(out, a, 0, n - r)], { axis: a });
  }
  return out;
}

/**
 * Rotates by 90° `k` times in the plane of `axes` (default [0, 1]), from the first axis toward the second.
 * @example np.rot90(np.array([[1, 2], [3, 4]])) // [[2, 4], [1, 3]]
 */
export function rot90(m: ArrayLike, k = 1, axes: readonly [number, number] = [0, 1]): Tensor {
  const t = asTensor(m, "rot90");
  checkInt("rot90", "k", k);
  if (!Array.isArray(axes) || axes.length !== 2) throw new ValueError(`rot90: axes must be two axes, got ${jsonOf(axes)}`);
  atLeast("rot90", t, 2);
  const [a0, a1] = [normAxis("rot90", axes[0], t.ndim), normAxis("rot90", axes[1], t.ndim)];
  if (a0 === a1) throw new ValueError(`rot90: axes must be different, got ${jsonOf(axes)}`);
  const turns = ((k % 4) + 4) % 4;
  if (turns === 0) return t;
  if (turns === 2) return flip(flip(t, a0), a1);
  const perm = t.shape.map((_, i) => (i === a0 ? a1 : i === a1 ? a0 : i));
  return turns === 1 ? transpose(flip(t, a1), perm) : flip(transpose(t, perm), a1);
}

