/**
 * Resident host arrays: values that stay in the WebAssembly heap across calls. A compiled plan
 * writes the values its next call reads (a State's new value) into a resident region, so that call
 * binds them in place instead of copying them in again, and copies nothing out now.
 *
 * To every other consumer — `dataSync()`, JS kernels, eager ops, the interpreter — a resident array
 * is an ordinary typed array (a view over the shared memory: views of a shared memory survive its
 * growth). The DataBuffer holding it frees the region when released (`adoptHostRegion`), and moves
 * the values to JS memory first when handed to the garbage collector (a State's replaced value that
 * user code may still read): a later call reusing the region cannot change a value anyone holds.
 *
 * Only with a shared heap: a plain memory detaches every view when it grows.
 */
import { type DType, type TypedArray } from "@kiln/core";
import { heap } from "./heap.js";
import { bytesPer, viewOf } from "../storage.js";

/**
 * Whether `a` lies in the shared heap (a resident value): a plan binds it where it is instead of
 * copying it into its region.
 * @example inHeap(residentArray("float32", 4)!.array) // true
 */
export function inHeap(a: ArrayBufferView): boolean {
  return !!heap?.shared && heap.owns(a);
}

/** A resident array and the function that frees its region (idempotent). */
export interface ResidentArray {
  readonly array: TypedArray;
  readonly free: () => void;
}

/**
 * `size` elements of `dt` in a resident heap region, or null when there is none to be had (no
 * shared heap, the resident budget or the memory's limit, or a call in progress whose arena sits
 * where the region would go): the caller falls back to a JS array and copies.
 * @example const r = residentArray("float32", 1024); r?.array.fill(1); r?.free();
 */
export function residentArray(dt: DType, size: number): ResidentArray | null {
  const h = heap;
  if (!h?.shared) return null;
  const at = h.allocResident(size * bytesPer(dt));
  if (at < 0) return null;
  let freed = false;
  return {
    array: viewOf(dt, h.memory.buffer, at, size),
    free: () => {
      if (freed) return;
      freed = true;
      h.freeResident(at);
    },
  };
}

/**
 * Bytes copied between JS arrays and the heap (a compiled plan's inputs in and outputs out, a
 * wasm kernel's staged arrays): `wasmKernelStats().copiedBytes` reports it.
 */
export const heapTraffic = { copiedBytes: 0 };

/**
 * Copies `from` into `to` (same storage class and length), counted in heapTraffic.
 * @example copyCounted(region.views[id]!, inputArray)
 */
export function copyCounted(to: TypedArray, from: TypedArray): void {
  to.set(from as never);
  heapTraffic.copiedBytes += from.byteLength;
}
