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
 * Inputs get the same treatment from the other side: the first call that copies a DataBuffer's JS
 * values into the heap keeps the copy as the buffer's mirror (`heapCopyOf`), so a call passing the
 * same value again — a benchmark's or an epoch's reused batch, a captured constant — binds it in
 * place. Mirrors are bounded (setInputCopyLimit; least recently bound evicted first) because a
 * value passed once and dropped is only freed when its finalizer runs, which a synchronous loop
 * never lets happen; and a buffer's values never change, so a mirror cannot go stale.
 *
 * Only with a shared heap: a plain memory detaches every view when it grows.
 */
import { type DType, type DataBuffer, type HostMirror, type TypedArray } from "@kiln/core";
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

/**
 * Values below this are copied per call: copying a few KB costs less than a region's bookkeeping,
 * and small regions would crowd the allocator's hole list.
 */
const MIRROR_MIN_BYTES = 4096;

/** Bytes of input mirrors kept by default: 64 MiB, beyond it the least recently bound go first. */
const INPUT_COPY_LIMIT = 64 << 20;
let inputCopyLimit = INPUT_COPY_LIMIT;

/**
 * @internal Caps the bytes input mirrors may hold (tests: 0 copies every input per call, as
 * without them); no argument restores the default (64 MiB). Mirrors beyond a lowered cap are
 * evicted at the next call's binding.
 * @example setInputCopyLimit(0); // every jitted call copies its inputs into the heap again
 */
export function setInputCopyLimit(bytes: number = INPUT_COPY_LIMIT): void {
  inputCopyLimit = bytes;
}

/** A DataBuffer's mirror in a resident region; `bound`: the binding it was last bound in. */
interface InputCopy extends HostMirror {
  readonly bytes: number;
  bound: number;
}

/** Live mirrors, least recently bound first (a Set iterates in insertion order; binding re-inserts). */
const inputCopies = new Set<InputCopy>();
let inputCopyBytes = 0;
/** The current binding (`beginInputBinding`): its mirrors are never evicted to make room for its other inputs. */
let binding = 0;

/**
 * Starts binding one call's inputs: mirrors bound from now on (heapCopyOf) stay until the next
 * binding starts, whatever else this call's inputs need.
 * @example beginInputBinding(); const xs = inputs.map(heapCopyOf);
 */
export function beginInputBinding(): void {
  binding++;
}

/** Evicts the least recently bound mirror not bound in this binding; false when there is none. */
function evictOne(): boolean {
  const lru = inputCopies.values().next().value;
  if (!lru || lru.bound === binding) return false;
  lru.free();
  return true;
}

/**
 * `buf`'s values in the heap for a plan to read in place: its mirror, or a new one (the values
 * copied now, counted in heapTraffic) — or null, when the caller copies as before: no shared heap,
 * a call in progress (its arena pins the regions; a nested call makes none), a value below
 * MIRROR_MIN_BYTES or above the cap, or no room once every mirror not bound in this binding is evicted.
 * @example beginInputBinding(); const view = heapCopyOf(bufferOf(x.node)!) ?? copyIntoArena(x);
 */
export function heapCopyOf(buf: DataBuffer): TypedArray | null {
  const m = buf.storage.mirror as InputCopy | null;
  if (m) {
    inputCopies.delete(m);
    inputCopies.add(m);
    m.bound = binding;
    return m.array;
  }
  const h = heap, host = buf.host;
  if (!h?.shared || !h.idle() || !host || buf.isReleased || host.byteLength < MIRROR_MIN_BYTES) return null;
  const bytes = Math.ceil(host.byteLength / 16) * 16;
  if (bytes > inputCopyLimit) return null;
  while (inputCopyBytes + bytes > inputCopyLimit) if (!evictOne()) return null;
  let at = h.allocResident(bytes);
  // The resident budget or the memory's limit: room that mirrors hold is theirs to give back.
  while (at < 0 && evictOne()) at = h.allocResident(bytes);
  if (at < 0) return null;
  const array = viewOf(buf.dtype, h.memory.buffer, at, host.length);
  copyCounted(array, host);
  // The storage, not the buffer: the set must not keep the buffer's JS array alive.
  const storage = buf.storage;
  let freed = false;
  const copy: InputCopy = {
    array, bytes, bound: binding,
    free: () => {
      if (freed) return;
      freed = true;
      inputCopies.delete(copy);
      inputCopyBytes -= bytes;
      if (storage.mirror === copy) storage.mirror = null;
      h.freeResident(at);
    },
  };
  inputCopies.add(copy);
  inputCopyBytes += bytes;
  buf.attachMirror(copy);
  return array;
}

/**
 * Live input mirrors and their bytes (tests: a loop over fresh batches stays within the cap).
 * @example inputCopyStats().bytes <= (64 << 20) // true
 */
export function inputCopyStats(): { copies: number; bytes: number } {
  return { copies: inputCopies.size, bytes: inputCopyBytes };
}
