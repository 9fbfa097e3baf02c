import { DTypeError, ShapeError, describeValue, jsonOf } from "./errors.js";

/** The element types kiln knows. `float64` is computed on the cpu backend and the interpreter. */
export type DType = "float32" | "float64" | "int32" | "bool" | "float16";

export const DTYPES: readonly DType[] = ["bool", "int32", "float16", "float32", "float64"];

/** Typed array used to store a realized buffer of each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export function isFloat(d: DType): boolean {
  return d === "float32" || d === "float64" || d === "float16";
}
export function isInt(d: DType): boolean {
  return d === "int32";
}

export function checkDType(d: unknown, op: string): DType {
  if (typeof d === "string" && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new DTypeError(`${op}: unknown dtype ${typeof d === "string" ? jsonOf(d) : describeValue(d)}; expected one of ${DTYPES.join(", ")}`);
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float16: 2, float32: 3, float64: 4 };

/**
 * NumPy/JAX type promotion for two operands. A weak operand (a JS number) never widens a strong
 * one within its kind: `int32 + 1 -> int32`, `float32 + 1.5 -> float32`, but `int32 + 1.5 -> float32`.
 */
export function promoteTypes(a: DType, aWeak: boolean, b: DType, bWeak: boolean): DType {
  if (aWeak && !bWeak) return promoteWeak(b, a);
  if (bWeak && !aWeak) return promoteWeak(a, b);
  return RANK[a] >= RANK[b] ? a : b;
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
    case "float16":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/** Rounds a float64 value to what the dtype can hold (float32 rounding, int32 truncation, bool). */
export function castScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case "float32":
    case "float16":
      return Math.fround(v);
    case "float64":
      return v;
    case "int32":
      return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case "bool":
      return v !== 0 ? 1 : 0; // NaN is truthy, as NumPy and XLA convert to bool
  }
}

export function itemSize(dtype: DType): number {
  return dtype === "float64" ? 8 : dtype === "bool" ? 1 : dtype === "float16" ? 2 : 4;
}
