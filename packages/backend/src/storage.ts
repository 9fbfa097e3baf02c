/** Host storage of each dtype: typed array class, element size, and which dtypes can share a buffer. */
import { type DType, type TypedArray } from "@kiln/core";

/** Storage class: buffers of one class can share a memory-plan slot (float16 is stored as float32). */
export function storageOf(dt: DType): "f32" | "f64" | "i32" | "u8" {
  return dt === "float64" ? "f64" : dt === "int32" ? "i32" : dt === "bool" ? "u8" : "f32";
}

export function allocTypedArray(dt: DType, size: number): TypedArray {
  switch (storageOf(dt)) {
    case "f32": return new Float32Array(size);
    case "f64": return new Float64Array(size);
    case "i32": return new Int32Array(size);
    case "u8": return new Uint8Array(size);
  }
}

/** Bytes per element as stored on the CPU. */
export function bytesPer(dt: DType): number {
  return storageOf(dt) === "f64" ? 8 : storageOf(dt) === "u8" ? 1 : 4;
}
