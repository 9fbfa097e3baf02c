import { DTypeError, ShapeError, describeValue, jsonOf } from "./errors.js";
import { BITS16, type Bits16, bits16ToFloat32, numbersToBits16, roundToBfloat16, roundToHalf } from "./float-bits.js";

/**
 * The element types kiln knows. `float64` is computed on the cpu backend and the interpreter.
 * `uint8`/`uint32` are NumPy's unsigned integers: arithmetic wraps modulo 2^8 / 2^32. `float16`
 * and `bfloat16` are computed in float32 and rounded (half to even) to their 16 bits.
 */
export type DType = "float32" | "float64" | "int32" | "uint8" | "uint32" | "bool" | "float16" | "bfloat16";

export const DTYPES: readonly DType[] = ["bool", "uint8", "uint32", "int32", "float16", "bfloat16", "float32", "float64"];

/** The integer dtypes (bool is not one). */
export type IntDType = "int32" | "uint8" | "uint32";

/**
 * Typed array used to store a realized buffer of each dtype (`allocTyped`): float16 and bfloat16
 * are `Uint16Array`s of bit patterns — read their values with `hostValues`, never by indexing.
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A typed array of values (what `dataSync()` returns): a float16 or bfloat16 tensor's values are a Float32Array. */
export type ValueArray = Exclude<TypedArray, Uint16Array>;

export function isFloat(d: DType): boolean {
  return d === "float32" || d === "float64" || d === "float16" || d === "bfloat16";
}
/**
 * The dtypes stored as 16-bit patterns (float16, bfloat16): their host buffers hold bits.
 * @example isBits16("bfloat16") // true;  isBits16("float32") // false
 */
export function isBits16(d: DType): d is Bits16 {
  return d === "float16" || d === "bfloat16";
}
/** Any integer dtype (signed or unsigned; not bool). */
export function isInt(d: DType): d is IntDType {
  return d === "int32" || d === "uint8" || d === "uint32";
}
/** The unsigned integer dtypes. */
export function isUnsigned(d: DType): d is "uint8" | "uint32" {
  return d === "uint8" || d === "uint32";
}

/**
 * Wraps an integral float64 value into an integer dtype's range (modulo 2^bits, two's complement
 * for int32), as C's integer conversion and NumPy's integer arithmetic do.
 * @example wrapInt(256, "uint8") // 0;  wrapInt(-1, "uint32") // 4294967295
 */
export function wrapInt(v: number, dtype: IntDType): number {
  // ToInt32/ToUint32 are exact modulo 2^32 for any finite integral number.
  return dtype === "int32" ? v | 0 : dtype === "uint32" ? v >>> 0 : v & 255;
}

export function checkDType(d: unknown, op: string): DType {
  if (typeof d === "string" && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new DTypeError(`${op}: unknown dtype ${typeof d === "string" ? jsonOf(d) : describeValue(d)}; expected one of ${DTYPES.join(", ")}`);
}

/**
 * The join of two strong dtypes on JAX's promotion lattice (jax.numpy.promote_types with x64
 * off): bool < uint8 < uint32, bool < int32, and a signed/unsigned mix goes to the smallest
 * signed type holding both — uint8 ⊔ int32 = int32; uint32 ⊔ int32 would be int64, which kiln
 * (like JAX without x64) does not have, so it is int32, as JAX gives. Any int with a float is the
 * float. float16 and bfloat16 sit side by side (neither holds the other): their join is float32.
 */
const JOIN: { readonly [A in DType]: { readonly [B in DType]: DType } } = (() => {
  const order: Record<DType, number> = { bool: 0, uint8: 1, uint32: 2, int32: 3, float16: 4, bfloat16: 4, float32: 5, float64: 6 };
  const table = {} as Record<DType, Record<DType, DType>>;
  for (const a of DTYPES) {
    table[a] = {} as Record<DType, DType>;
    for (const b of DTYPES) table[a][b] = a === b || order[a] > order[b] ? a : order[a] < order[b] ? b : "float32";
  }
  return table;
})();

/**
 * NumPy/JAX type promotion for two operands. A weak operand (a JS number) never widens a strong
 * one within its kind: `int32 + 1 -> int32`, `uint8 + 1 -> uint8`, `float32 + 1.5 -> float32`,
 * but `int32 + 1.5 -> float32`. Strong operands meet on JAX's lattice (`JOIN`).
 */
export function promoteTypes(a: DType, aWeak: boolean, b: DType, bWeak: boolean): DType {
  if (aWeak && !bWeak) return promoteWeak(b, a);
  if (bWeak && !aWeak) return promoteWeak(a, b);
  return JOIN[a][b];
}

function promoteWeak(strong: DType, weak: DType): DType {
  if (isFloat(weak) && !isFloat(strong)) return "float32";
  if (weak === "int32" && strong === "bool") return "int32";
  return strong;
}

export function allocTyped(dtype: DType, size: number): TypedArray {
  try {
    return allocTypedRaw(dtype, size);
  } catch (e) {
    // Graph nodes bound sizes by MAX_ELEMENTS; what is left is the machine running out of memory,
    // which must still be a typed error naming the size (not V8's bare RangeError).
    if (e instanceof RangeError) throw new ShapeError(`cannot allocate ${size} ${dtype} elements (${size * itemSize(dtype)} bytes): ${e.message}`);
    throw e;
  }
}

function allocTypedRaw(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float16":
    case "bfloat16":
      return new Uint16Array(size); // bit patterns: 2 bytes per element
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "uint32":
      return new Uint32Array(size);
    case "uint8":
    case "bool":
      return new Uint8Array(size);
  }
}

/**
 * Rounds a float64 value to what the dtype can hold (float32 rounding, float16 and bfloat16 to the
 * nearest value through float32, bool). Integer dtypes
 * truncate toward zero and wrap modulo 2^bits; NaN and ±inf become 0. (C leaves an out-of-range
 * float-to-integer cast undefined and NumPy inherits that; kiln's is this one defined rule, the
 * same as storing into a JS Int32Array/Uint32Array/Uint8Array.)
 */
export function castScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case "float32":
      return Math.fround(v);
    case "float16":
      return roundToHalf(v);
    case "bfloat16":
      return roundToBfloat16(v);
    case "float64":
      return v;
    case "int32":
    case "uint8":
    case "uint32":
      return Number.isFinite(v) ? wrapInt(Math.trunc(v), dtype) : 0;
    case "bool":
      return v !== 0 ? 1 : 0; // NaN is truthy, as NumPy and XLA convert to bool
  }
}

/**
 * A zeroed typed array for `size` values of `dtype` (what `dataSync()` returns): `allocTyped`'s,
 * except float16 and bfloat16 values, which are a Float32Array (their storage is 16-bit patterns).
 * @example allocValues("float16", 2) // Float32Array [0, 0]
 */
export function allocValues(dtype: DType, size: number): ValueArray {
  return isBits16(dtype) ? new Float32Array(size) : (allocTyped(dtype, size) as ValueArray);
}

/**
 * What a host array of `dtype` stores for the value `v`: `castScalar`'s value, except float16 and
 * bfloat16, whose host storage holds the bits of the rounded value (half to even).
 * @example storedScalar(1, "float16") // 0x3c00;  storedScalar(1, "bfloat16") // 0x3f80;  storedScalar(1.5, "int32") // 1
 */
export function storedScalar(v: number, dtype: DType): number {
  return isBits16(dtype) ? BITS16[dtype].toBits(v) : castScalar(v, dtype);
}

/**
 * The values of a host array of `dtype`: the array itself, except float16 and bfloat16, whose bit
 * patterns are decoded into a new Float32Array (exact: every such value is a float32). What
 * `dataSync()` returns and what the interpreter reads.
 * @example hostValues(Uint16Array.of(0x3c00), "float16") // Float32Array [1]
 */
export function hostValues(host: TypedArray, dtype: DType): ValueArray {
  return isBits16(dtype) ? bits16ToFloat32(host as Uint16Array, dtype) : (host as ValueArray);
}

/**
 * A host array of `dtype` holding `values`, each converted as `castScalar` does (float32
 * rounding, integer truncation and wrapping; float16 and bfloat16 stored as bit patterns).
 * @example toTyped([0.1], "float16") // Uint16Array [0x2e66]
 */
export function toTyped(values: ArrayLike<number>, dtype: DType): TypedArray {
  const out = allocTyped(dtype, values.length);
  if (isBits16(dtype)) return numbersToBits16(values, out as Uint16Array, dtype);
  if (dtype === "float64" || dtype === "float32") out.set(values);
  else for (let i = 0; i < values.length; i++) out[i] = castScalar(values[i]!, dtype);
  return out;
}

/**
 * A dtype's logical size in bytes (NumPy's itemsize).
 * @example itemSize("uint8") // 1
 */
export function itemSize(dtype: DType): number {
  return dtype === "float64" ? 8 : dtype === "bool" || dtype === "uint8" ? 1 : isBits16(dtype) ? 2 : 4;
}

/** The 4-byte dtypes whose bits `bitcastScalar` reinterprets; others view only as themselves. */
const WORD = { float32: "Float32", int32: "Int32", uint32: "Uint32" } as const;
const bits = new DataView(new ArrayBuffer(4));

/**
 * Why `x.view(to)` of a `from` tensor is not allowed, or null when it is: the same dtype, or two
 * of float32/int32/uint32 (equal item sizes, as JAX's `bitcast_convert_type`). kiln has no other
 * dtype of 1, 2 or 8 bytes to reinterpret as (bool is excluded, as in JAX), and NumPy's view that
 * changes the item size (resizing the last axis) is not supported.
 * @example bitcastError("float32", "float64") // "float32 (4 bytes) and float64 (8 bytes) differ in item size; ..."
 */
export function bitcastError(from: DType, to: DType): string | null {
  if (from === to || (Object.hasOwn(WORD, from) && Object.hasOwn(WORD, to))) return null;
  if (itemSize(from) !== itemSize(to)) {
    return `${from} (${itemSize(from)} bytes) and ${to} (${itemSize(to)} bytes) differ in item size; kiln views only between equal item sizes (NumPy's last-axis resizing view is not supported)`;
  }
  return `${from} and ${to} cannot be viewed as each other: bits are reinterpreted only among float32, int32 and uint32`;
}

/**
 * The value whose bits, stored as `to`, are those of `v` stored as `from` (a pair `bitcastError`
 * allows). JS numbers carry no NaN payload: a float32 NaN reads as the quiet NaN 0x7fc00000.
 * @example bitcastScalar(1, "float32", "int32") // 1065353216 (0x3f800000)
 */
export function bitcastScalar(v: number, from: DType, to: DType): number {
  if (from === to) return v;
  const f = WORD[from as keyof typeof WORD], t = WORD[to as keyof typeof WORD];
  bits[`set${f}`](0, v);
  return bits[`get${t}`](0);
}
