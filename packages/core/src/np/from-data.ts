/**
 * jax.numpy's array constructors from host data: `frombuffer` (raw bytes), `fromiter` (any JS
 * iterable) and `fromstring` (text with a separator). They read JS values, so they run eagerly and
 * produce constants (as in JAX, whose versions run on the host too).
 */
import { type DType, checkDType, itemSize } from "../dtype.js";
import { DTypeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { type Tensor } from "../tensor.js";
import { checkInt } from "./compose-helpers.js";
import { array } from "./creation.js";
import { optionsOf } from "./util.js";

/** The typed-array view of bytes for each dtype kiln can read directly from memory. */
const VIEWS: Partial<Record<DType, (b: ArrayBuffer, offset: number, count: number) => ArrayLike<number>>> = {
  float32: (b, o, n) => new Float32Array(b, o, n),
  float64: (b, o, n) => new Float64Array(b, o, n),
  int32: (b, o, n) => new Int32Array(b, o, n),
  uint32: (b, o, n) => new Uint32Array(b, o, n),
  uint8: (b, o, n) => new Uint8Array(b, o, n),
  bool: (b, o, n) => new Uint8Array(b, o, n),
};

/** Options of `frombuffer`. */
export interface FrombufferOptions {
  /** The element type of the bytes (default float32, JAX's default float). */
  dtype?: DType;
  /** How many elements to read (default -1: all that remain after `offset`). */
  count?: number;
  /** Bytes to skip at the start. */
  offset?: number;
}

/**
 * A 1-D array read from raw bytes (little-endian, as the platform's typed arrays).
 * @example np.frombuffer(new Int32Array([1, 2, 3]).buffer, { dtype: "int32", offset: 4 }) // [2, 3]
 */
export function frombuffer(buffer: ArrayBuffer | ArrayBufferView, options?: FrombufferOptions): Tensor {
  const op = "frombuffer";
  const opts = optionsOf(op, options);
  const dtype = checkDType(opts.dtype ?? "float32", op);
  const view = VIEWS[dtype];
  if (!view) throw new DTypeError(`${op}: ${dtype} cannot be read from bytes here; read float32/float64/int32/uint32/uint8/bool and cast`);
  const bytes = ArrayBuffer.isView(buffer) ? buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) : buffer;
  if (!(bytes instanceof ArrayBuffer)) throw new ValueError(`${op}: expected an ArrayBuffer or a typed array, got ${describeValue(buffer)}`);
  const offset = checkInt(op, "offset", opts.offset ?? 0, 0);
  const size = itemSize(dtype);
  const avail = bytes.byteLength - offset;
  const count = opts.count === undefined || opts.count < 0 ? avail / size : checkInt(op, "count", opts.count, 0);
  if (!Number.isInteger(count) || count * size > avail) {
    throw new ValueError(`${op}: ${avail} byte(s) after offset ${offset} do not hold ${opts.count === undefined || opts.count < 0 ? "a whole number of" : count} ${dtype} element(s) of ${size} bytes`);
  }
  // Copy out first: a view needs an aligned offset, which raw bytes need not have.
  const aligned = bytes.slice(offset, offset + count * size);
  const data = Array.from(view(aligned, 0, count), Number);
  return array(dtype === "bool" ? data.map((v) => v !== 0) : data, { dtype });
}

/**
 * A 1-D array of the values an iterable yields (at most `count`; -1 means all).
 * @example np.fromiter(new Set([3, 1, 2]), "int32") // [3, 1, 2]
 */
export function fromiter(iterable: Iterable<number | boolean>, dtype: DType, count = -1): Tensor {
  const op = "fromiter";
  const dt = checkDType(dtype, op);
  if (iterable === null || typeof iterable !== "object" || !(Symbol.iterator in iterable)) throw new ValueError(`${op}: expected an iterable, got ${describeValue(iterable)}`);
  const n = checkInt(op, "count", count, -1);
  const out: (number | boolean)[] = [];
  for (const v of iterable) {
    if (n >= 0 && out.length >= n) break;
    if (typeof v !== "number" && typeof v !== "boolean") throw new ValueError(`${op}: the iterable yielded ${describeValue(v)}, not a number`);
    out.push(v);
  }
  if (n >= 0 && out.length < n) throw new ValueError(`${op}: the iterable ended after ${out.length} of the ${n} requested values`);
  return array(out as number[], { dtype: dt });
}

/**
 * A 1-D array parsed from text whose numbers are separated by `sep` (whitespace around each number
 * is ignored; `sep: " "` splits on any whitespace). JAX's form: a separator is required.
 * @example np.fromstring("1, 2, 3", { sep: ",", dtype: "int32" }) // [1, 2, 3]
 */
export function fromstring(string: string, options: { sep: string; dtype?: DType; count?: number }): Tensor {
  const op = "fromstring";
  if (typeof string !== "string") throw new ValueError(`${op}: expected a string, got ${describeValue(string)}`);
  const opts = optionsOf(op, options);
  if (opts === undefined || opts === null || typeof opts.sep !== "string" || opts.sep === "") throw new ValueError(`${op}: a non-empty sep is required (binary mode is not supported, as JAX); use frombuffer for bytes`);
  const dtype = checkDType(opts.dtype ?? "float32", op);
  const parts = (opts.sep.trim() === "" ? string.trim().split(/\s+/) : string.split(opts.sep)).map((p) => p.trim());
  const values = parts.filter((p) => p !== "").map((p) => {
    const v = Number(p);
    if (Number.isNaN(v) && !/^[+-]?nan$/i.test(p)) throw new ValueError(`${op}: ${jsonOf(p)} is not a number`);
    return v;
  });
  const n = opts.count === undefined || opts.count < 0 ? values.length : checkInt(op, "count", opts.count, 0);
  if (n > values.length) throw new ValueError(`${op}: the text holds ${values.length} value(s), fewer than count ${n}`);
  return array(values.slice(0, n), { dtype });
}
