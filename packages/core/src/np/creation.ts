/**
 * Array creation with NumPy names. Shapes are arrays; options come last.
 *
 * Everything except `array` is a cheap graph node, never a host buffer: a scalar literal broadcast
 * to the shape (`zeros`, `ones`, `full`) or the `iota` primitive plus a little arithmetic
 * (`arange`, `linspace`, `eye`), so a backend can fuse them into their consumers.
 */
import { type DType, castScalar, checkDType, isFloat } from "../dtype.js";
import { DTypeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { makeNode } from "../ir/node.js";
import { type Shape, broadcastShapes, checkShape, fmtShape, sizeOf } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { add, astype, equal, floor, multiply, subtract, where } from "./elementwise.js";
import { type Positional, positionalOptions } from "./positional.js";
import { MAX_NESTING, apply, asTensor, astypeRaw, broadcastRaw, fullRaw, reshapeRaw, optionsOf } from "./util.js";

export interface DTypeOption {
  dtype?: DType;
  /**
   * JAX's / jax-js's `device`: kiln places arrays on the active backend, so only its name (or
   * jax-js's alias: "wasm" for cpu, "webgl" for gpujs) is accepted; any other is a ValueError.
   */
  device?: string;
}

/** `zerosLike`/`onesLike`/`fullLike`: the dtype and, as in JAX, an optional `shape` replacing `x`'s. */
export interface LikeOptions extends DTypeOption {
  shape?: readonly number[];
}

export interface ArrayOptions extends DTypeOption {
  /** The shape of the result: the data (flat, nested or a typed array) is read in row-major order. */
  shape?: readonly number[];
}

/**
 * A Tensor from JS numbers, booleans, nested arrays, Tensors or typed arrays (float32 by default;
 * booleans give bool; a typed array gives its own dtype — Float64Array float64, Uint8Array uint8,
 * Uint32Array uint32, other integer arrays int32, widened as docs/dtypes.md says). Typed arrays are
 * copied: a Tensor is immutable, and a later write to the array must not change it (NumPy's
 * `np.array` copies too). `shape` reshapes the data (its size must match).
 * @example
 * np.array([[1, 2], [3, 4]]) // float32[2,2]
 * np.array(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] }) // float32[2,3]
 * np.array(new Uint8Array([0, 255])) // uint8 [0, 255]
 */
export function array(v: ArrayLike, opts: ArrayOptions = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("array", opts, "array", extra);
  const dtype = opts.dtype ?? (v instanceof Tensor || ArrayBuffer.isView(v) ? undefined : isAllBool(v) ? "bool" : "float32");
  let t = asTensor(v, "array", dtype);
  if (opts.shape !== undefined) {
    const shape = checkShape("array", opts.shape);
    if (sizeOf(shape) !== t.size) {
      throw new ValueError(`array: cannot give data of ${t.size} element(s) (shape ${fmtShape(t.shape)}) the shape ${fmtShape(shape)}`);
    }
    t = reshapeRaw(t, shape);
  }
  return t.weak ? new Tensor(t.node, false) : t;
}

function isAllBool(v: unknown, depth = 0): boolean {
  if (typeof v === "boolean") return true;
  // Past the nesting limit the answer does not matter: asTensor rejects the data with a ShapeError.
  if (Array.isArray(v)) return depth <= MAX_NESTING && v.length > 0 && v.every((e) => isAllBool(e, depth + 1));
  return false;
}

/**
 * Like `array`, but returns a Tensor argument unchanged.
 * @example const t = np.array([1, 2]); np.asarray(t) === t // true
 */
export function asarray(v: ArrayLike, opts: DTypeOption = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("asarray", opts, "asarray", extra);
  return v instanceof Tensor && (!opts.dtype || opts.dtype === v.dtype) ? v : array(v, opts);
}

// ---------------------------------------------------------------------------------------------
// Constant fills

/** The dtype a fill value gets when none is asked for: bool for booleans, else float32 (as `array`). */
function fillDType(op: string, value: ArrayLike, dtype: DType | undefined): DType {
  if (dtype !== undefined) return checkDType(dtype, op);
  if (typeof value === "boolean") return "bool";
  if (value instanceof Tensor) return value.dtype;
  return "float32";
}

/** A literal or an array fill value, cast to `dtype` and broadcast to `shape`. */
function fillTensor(op: string, shape: Shape, value: ArrayLike, dtype: DType): Tensor {
  if (typeof value === "number" || typeof value === "boolean") return fullRaw(shape, castScalar(+value, dtype), dtype);
  const v = asTensor(value, op);
  // The fill value must broadcast to `shape` itself, not to something bigger (NumPy's rule).
  const out = broadcastShapes(op, v.shape, shape);
  if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) {
    throw new ValueError(`${op}: a fill value of shape ${fmtShape(v.shape)} cannot be broadcast to ${fmtShape(shape)}`);
  }
  return new Tensor(broadcastRaw(astypeRaw(v, dtype), shape).node, false);
}

/**
 * An array of zeros (float32 unless `dtype` says otherwise).
 * @example np.zeros([2, 3]) // float32[2,3] of 0
 */
export function zeros(shape: readonly number[], opts: DTypeOption = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("zeros", opts, "zeros", extra);
  return fullImpl("zeros", shape, 0, opts);
}

/**
 * An array of ones (float32 unless `dtype` says otherwise).
 * @example np.ones([2], { dtype: "int32" }) // [1, 1] int32
 */
export function ones(shape: readonly number[], opts: DTypeOption = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("ones", opts, "ones", extra);
  return fullImpl("ones", shape, 1, opts);
}

/**
 * An array filled with `value`: float32 for numbers, bool for booleans, unless `dtype` is given
 * (the value is then cast, e.g. 2.7 → 2 for int32). `value` may also be an array that broadcasts
 * to `shape`, as in NumPy.
 * @example np.full([2, 2], 7) // [[7, 7], [7, 7]]
 * @example np.full([2, 3], [1, 2, 3]) // [[1, 2, 3], [1, 2, 3]]
 */
export function full(shape: readonly number[], value: ArrayLike, opts: DTypeOption = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("full", opts, "full", extra);
  return fullImpl("full", shape, value, opts);
}

function fullImpl(op: string, shape: readonly number[], value: ArrayLike, opts: DTypeOption): Tensor {
  return fillTensor(op, checkShape(op, shape), value, fillDType(op, value, opts.dtype));
}

/**
 * Zeros with the shape and dtype of `x` (or `dtype`).
 * @example np.zerosLike(np.array([1, 2], { dtype: "int32" })) // [0, 0] int32
 */
export function zerosLike(x: ArrayLike, opts: LikeOptions = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("zerosLike", opts, "zerosLike", extra);
  return fullLikeImpl("zerosLike", x, 0, opts);
}

/**
 * Ones with the shape and dtype of `x` (or `dtype`).
 * @example np.onesLike([[1, 2]]) // [[1, 1]] float32
 */
export function onesLike(x: ArrayLike, opts: LikeOptions = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("onesLike", opts, "onesLike", extra);
  return fullLikeImpl("onesLike", x, 1, opts);
}

/**
 * `value` with the shape and dtype of `x` (or `dtype`); the value is cast to that dtype, so an
 * int32 `x` with 2.5 gives 2 (NumPy).
 * @example np.fullLike(np.array([1, 2]), 5) // [5, 5] float32
 */
export function fullLike(x: ArrayLike, value: ArrayLike, opts: LikeOptions = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("fullLike", opts, "fullLike", extra);
  return fullLikeImpl("fullLike", x, value, opts);
}

function fullLikeImpl(op: string, x: ArrayLike, value: ArrayLike, opts: LikeOptions): Tensor {
  const t = asTensor(x, op);
  const dtype = opts.dtype === undefined ? t.dtype : checkDType(opts.dtype, op);
  return fillTensor(op, opts.shape === undefined ? t.shape : checkShape(op, opts.shape), value, dtype);
}

// ---------------------------------------------------------------------------------------------
// Ranges

/** `out[..., i, ...] = i` along `axis`, in `dtype`. */
function iota(shape: Shape, axis: number, dtype: DType): Tensor {
  return new Tensor(makeNode("iota", [], { axis }, { shape: [...shape], dtype }));
}

function checkCount(op: string, name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${op}: ${name} must be a non-negative integer, got ${describeValue(n)}`);
  // Indices are int32 on every backend.
  if (n > 0x7fffffff) throw new ValueError(`${op}: ${name} ${n} is too large (at most 2^31 - 1 elements)`);
  return n;
}

function checkFinite(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ValueError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

/** A numeric dtype for ranges: bool has no meaningful arithmetic progression. */
function rangeDType(op: string, dtype: DType | undefined): DType {
  const dt = checkDType(dtype ?? "float32", op);
  if (dt === "bool") throw new DTypeError(`${op}: dtype bool is not supported; use a numeric dtype and compare`);
  return dt;
}

/** `start + i * step` over an iota of length `n`, built in `dtype` (skipping no-op arithmetic). */
function progression(n: number, start: number, step: number, dtype: DType): Tensor {
  let t = iota([n], 0, dtype);
  if (step !== 1) t = multiply(t, step);
  // start + i·step, as NumPy: with a negative step, 0·step is -0 and only adding start (even a
  // start of 0) makes the first element +0.
  if (start !== 0 || step < 0) t = add(t, start);
  return t;
}

/**
 * Evenly spaced values in [start, stop): `arange(stop)`, `arange(start, stop)`,
 * `arange(start, stop, step)`, each optionally followed by `{ dtype }`. The length is
 * `ceil((stop - start) / step)` (0 if negative). float32 unless `dtype` says otherwise; with
 * int32 and a fractional start/step, the values follow NumPy (its first two values, truncated,
 * fix the step).
 * @example np.arange(4) // [0, 1, 2, 3] float32
 * @example np.arange(1, 2, 0.25) // [1, 1.25, 1.5, 1.75]
 * @example np.arange(5, 0, -2, { dtype: "int32" }) // [5, 3, 1]
 */
export function arange(start: number, stop?: number | DTypeOption, step?: number | DTypeOption, opts?: DTypeOption): Tensor {
  // Options may follow any number of positional arguments.
  const pos = [start, stop, step].filter((a): a is number => a !== undefined && (typeof a !== "object" || a === null));
  const o = optionsOf("arange", [stop, step, opts].find((a): a is DTypeOption => typeof a === "object" && a !== null) ?? {});
  if (pos.length === 0) throw new ValueError(`arange: expected arange(stop), arange(start, stop) or arange(start, stop, step)`);
  const [a, b, c] = pos.length === 1 ? [0, pos[0], 1] : [pos[0], pos[1], pos[2] ?? 1];
  const lo = checkFinite("arange", "start", a);
  const hi = checkFinite("arange", "stop", b);
  const st = checkFinite("arange", "step", c);
  if (st === 0) throw new ValueError(`arange: step must not be zero`);
  const dtype = rangeDType("arange", o.dtype);
  const n = checkCount("arange", "length", Math.max(0, Math.ceil((hi - lo) / st)));
  if (dtype !== "int32") return progression(n, lo, st, dtype);
  // NumPy's integer arange: the first two values are cast, and their difference is the step,
  // so arange(0, 5, 1.5, int32) is [0, 1, 2, 3].
  const first = castScalar(lo, "int32");
  return progression(n, first, castScalar(lo + st, "int32") - first, "int32");
}

/**
 * `num` evenly spaced samples over [start, stop] (default 50; `endpoint: false` excludes `stop`).
 * With `endpoint` the last sample is exactly `stop`. Integer dtypes round toward -inf (NumPy 2);
 * float16 and bfloat16 samples are rounded once from float32 ones (NumPy rounds its float64 ones).
 * @example np.linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 * @example np.linspace(0, 1, 4, { endpoint: false }) // [0, 0.25, 0.5, 0.75]
 * @example np.linspace(0, 1, 4, false) // NumPy order endpoint, retstep, dtype: the same
 */
export function linspace(start: number, stop: number, num = 50, ...args: Positional<"linspace", DTypeOption & { endpoint?: boolean }>): Tensor {
  const opts = positionalOptions<DTypeOption & { endpoint?: boolean }>("linspace", args);
  checkFinite("linspace", "start", start);
  checkFinite("linspace", "stop", stop);
  const n = checkCount("linspace", "num", num);
  const endpoint = opts.endpoint ?? true;
  const dtype = rangeDType("linspace", opts.dtype);
  // float16 and bfloat16 samples are computed in float32 and rounded once, as NumPy rounds its
  // float64 samples once (in the 16-bit dtype, i*step and the sum rounded apart: 0.3984 for 0.4).
  const ft: DType = isFloat(dtype) && dtype !== "float16" && dtype !== "bfloat16" ? dtype : "float32";
  const div = endpoint ? n - 1 : n;
  const step = div > 0 ? (stop - start) / div : 0;
  let t = progression(n, start, step, ft);
  // start + i*step can miss `stop` by an ulp; NumPy pins the last sample to `stop`.
  if (endpoint && n > 1) t = where(equal(iota([n], 0, "int32"), n - 1), stop, t);
  return isFloat(dtype) ? astype(t, dtype) : astype(floor(t), dtype);
}

/**
 * A 2-D array with ones on the `k`-th diagonal (k > 0 above the main diagonal) and zeros
 * elsewhere; `m` columns (default `n`).
 * @example np.eye(2) // [[1, 0], [0, 1]]
 * @example np.eye(2, 3, { k: 1 }) // [[0, 1, 0], [0, 0, 1]]
 * @example np.eye(2, { dtype: "int32" }) // options may come second
 */
export function eye(n: number, opts?: DTypeOption & { k?: number }): Tensor;
export function eye(n: number, m?: number | null, opts?: DTypeOption & { k?: number }): Tensor;
export function eye(n: number, mOrOpts?: number | null | (DTypeOption & { k?: number }), opts: DTypeOption & { k?: number } = {}, ...extra: undefined[]): Tensor {
  opts = optionsOf("eye", opts, "eye", extra);
  // `eye(2, { dtype })`: the options may come second (no m), as in `identity`.
  let m: number | null | undefined;
  if (typeof mOrOpts === "object" && mOrOpts !== null) opts = mOrOpts;
  else m = mOrOpts;
  const rows = checkCount("eye", "n", n);
  const cols = checkCount("eye", "m", m ?? n);
  const k = opts.k ?? 0;
  if (!Number.isInteger(k)) throw new ValueError(`eye: k must be an integer, got ${k}`);
  const dtype = checkDType(opts.dtype ?? "float32", "eye");
  const shape = [rows, cols];
  const onDiagonal = equal(subtract(iota(shape, 1, "int32"), iota(shape, 0, "int32")), k);
  return astypeRaw(onDiagonal, dtype);
}

export interface MeshgridOptions {
  /** "xy" (default, Cartesian: the first two output axes swapped) or "ij" (matrix). */
  indexing?: "xy" | "ij";
}

/**
 * Coordinate arrays from 1-D coordinate vectors (inputs are flattened, as NumPy). With the default
 * `indexing: "xy"` and inputs of lengths (a, b, c...), outputs have shape (b, a, c...); with "ij",
 * (a, b, c...). Pass the options object last.
 * @example const [X, Y] = np.meshgrid([1, 2, 3], [4, 5]); // X, Y: float32[2,3]
 * @example const [I, J] = np.meshgrid([1, 2, 3], [4, 5], { indexing: "ij" }); // float32[3,2]
 */
export function meshgrid(...args: (ArrayLike | MeshgridOptions)[]): Tensor[] {
  const last = args[args.length - 1];
  const isOpts = typeof last === "object" && last !== null && !Array.isArray(last) && !(last instanceof Tensor);
  const opts: MeshgridOptions = isOpts ? (last as MeshgridOptions) : {};
  const inputs = (isOpts ? args.slice(0, -1) : args) as ArrayLike[];
  const indexing = opts.indexing ?? "xy";
  if (indexing !== "xy" && indexing !== "ij") {
    throw new ValueError(`meshgrid: indexing must be "xy" or "ij", got ${jsonOf(indexing)}`);
  }
  const vecs = inputs.map((x) => {
    const t = asTensor(x, "meshgrid");
    return reshapeRaw(t, [t.size]);
  });
  // Output axis of input i: "xy" swaps the roles of the first two inputs.
  const axisOf = (i: number): number => (indexing === "xy" && vecs.length >= 2 && i < 2 ? 1 - i : i);
  const shape = vecs.map((_, j) => vecs[vecs.findIndex((__, i) => axisOf(i) === j)]!.size);
  return vecs.map((v, i) => apply("broadcast", [v], { shape, dims: [axisOf(i)] }, v.weak));
}
