/** Host storage of each dtype: typed array class, element size, and which dtypes can share a buffer. */
import { type DType, type TypedArray } from "@kiln/core";

type StorageClass = "f32" | "f64" | "i32" | "u32" | "u16" | "u8";

/** The typed array of each storage class: allocation and element size both come from it. */
const ARRAY: { readonly [S in StorageClass]: { new (size: number): TypedArray; new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray; readonly BYTES_PER_ELEMENT: number } } = {
  f32: Float32Array,
  f64: Float64Array,
  i32: Int32Array,
  u32: Uint32Array,
  u16: Uint16Array,
  u8: Uint8Array,
};

/**
 * Storage class of each dtype: buffers of one class can share a memory-plan slot. float16 and
 * bfloat16 are stored as their bits (u16: kernels convert on load and store, core/float-bits.ts).
 */
const STORAGE: { readonly [D in DType]: StorageClass } = {
  float64: "f64", float32: "f32", float16: "u16", bfloat16: "u16", int32: "i32", uint32: "u32", uint8: "u8", bool: "u8",
};

/** Storage class: buffers of one class can share a memory-plan slot. */
export function storageOf(dt: DType): StorageClass {
  return STORAGE[dt];
}

export function allocTypedArray(dt: DType, size: number): TypedArray {
  return new ARRAY[storageOf(dt)](size);
}

/**
 * Bytes per element as stored on the host: the storage array's element size (core's `itemSize`
 * for every dtype but bool, stored in a byte).
 * @example bytesPer("float16") // 2
 */
export function bytesPer(dt: DType): number {
  return ARRAY[storageOf(dt)].BYTES_PER_ELEMENT;
}

/**
 * A typed array of dtype `dt` over `size` elements of `buffer` from `byteOffset` (a view into the
 * host heap, host/heap.ts).
 * @example viewOf("float32", heapBuffer, 65536, 1024) // Float32Array over bytes 65536..69632
 */
export function viewOf(dt: DType, buffer: ArrayBufferLike, byteOffset: number, size: number): TypedArray {
  return new ARRAY[storageOf(dt)](buffer as ArrayBuffer, byteOffset, size);
}
