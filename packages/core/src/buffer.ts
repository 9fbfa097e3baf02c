/**
 * Realized storage. A `DataBuffer` is what a `data` leaf node refers to: host memory (a typed
 * array) and, when a device backend holds it, that backend's handle. A buffer lives as long as its
 * `data` node: it is released when that node is garbage-collected (pending graphs that read it keep
 * it alive), or earlier by `dispose()` / `tidy()` on the Tensor that owns it. Users never count
 * references. The host array is JS memory, collected with the buffer; the node's finalizer only
 * settles the accounting and frees the device handle (`BufferStorage`), whenever it gets to run.
 * A host array may instead be a region of memory an executor manages (the cpu backend keeps a
 * State's value in the WebAssembly heap, where the next call reads it in place): the buffer frees
 * that region when it is released, and copies its values out first when it is handed to the
 * garbage collector (`uncount`), whose collection the region cannot wait for. An executor may also
 * keep a *mirror* of a JS host array in its memory (`attachMirror`: the cpu backend's heap copy of a
 * jitted call's input, read in place when the same value is passed again), freed with the buffer.
 * A device copy that its backend can read synchronously (gpujs: a GPU.js texture, `readDeviceWith`)
 * needs no host copy at all: the first access to `host` reads it, and the copy is kept.
 */
import { type DType, type TypedArray } from "./dtype.js";
import type { DataRef } from "./ir/primitives.js";

let nextBufferId = 1;
let liveBuffers = 0;
let liveBytes = 0;

/**
 * Called when a buffer is released early (dispose, tidy, a State's commit, a donation):
 * realize.ts drops the buffer's FinalizationRegistry entry, which would otherwise stay (holding
 * the buffer object) until a callback that a synchronous loop never lets run.
 */
let onRelease: ((buf: DataBuffer) => void) | null = null;

/** @internal Installs the release hook (realize.ts). */
export function setReleaseHook(hook: (buf: DataBuffer) => void): void {
  onRelease = hook;
}

/**
 * A copy of a buffer's host values in memory an executor manages (`DataBuffer.attachMirror`). The
 * values never change (a buffer's values are immutable: a donated buffer is released after the
 * call that wrote over it), so the copy stays valid for the buffer's whole life.
 */
export interface HostMirror {
  readonly array: TypedArray;
  /** Returns the copy's memory (idempotent); the executor may call it earlier itself (its budget). */
  readonly free: () => void;
}

/** Hook a device backend installs to free its handle. */
export type DeviceFree = (device: unknown) => void;
/** Hook a device backend installs that reads its handle's values synchronously (`readDeviceWith`). */
export type DeviceRead = (device: unknown) => TypedArray;

/**
 * Device copies made of a value the JS garbage collector manages (`uncount`): no data node's
 * finalizer covers it any more, so the buffer object itself is the target.
 */
const gcDeviceCopies = new FinalizationRegistry<{ device: unknown; free: DeviceFree; bytes: number }>((h) => {
  liveBuffers--;
  liveBytes -= h.bytes;
  h.free(h.device);
});

/**
 * What freeing a buffer needs, apart from the buffer: its `memoryStats` accounting and its device
 * handle. The finalizer of a collected `data` node holds this record, never the `DataBuffer`: a
 * FinalizationRegistry holds its value strongly until the callback runs, which a synchronous loop
 * never lets happen, so holding the buffer would keep every host array of the loop alive.
 */
export interface BufferStorage {
  released: boolean;
  /** Counted in `memoryStats` (false once the JS garbage collector alone manages the host copy). */
  counted: boolean;
  /** Host bytes counted in `memoryStats` while `counted`. */
  bytes: number;
  device: unknown;
  free: DeviceFree | null;
  /** Frees the host array's memory when an executor manages it (`adoptHostRegion`); null for JS memory. */
  hostFree: (() => void) | null;
  /** An executor's copy of the host values (`attachMirror`), freed with the storage. */
  mirror: HostMirror | null;
}

/**
 * Frees a buffer's storage (idempotent): the accounting and the device handle. The host array is
 * not its business (JS memory, collected with its last reference).
 * @example releaseStorage(buf.storage) // what the finalizer of a collected data node does
 */
export function releaseStorage(s: BufferStorage): void {
  if (s.released) return;
  s.released = true;
  if (s.counted) {
    liveBuffers--;
    liveBytes -= s.bytes;
  }
  if (s.device !== null && s.free) s.free(s.device);
  s.device = null;
  const hostFree = s.hostFree;
  s.hostFree = null;
  hostFree?.();
  freeMirror(s);
}

function freeMirror(s: BufferStorage): void {
  const m = s.mirror;
  s.mirror = null;
  m?.free();
}

export class DataBuffer implements DataRef {
  readonly id = nextBufferId++;
  /** Tensor handles that own this buffer; `dispose()` of the last one frees it early. */
  private owners = 0;
  /** @internal The accounting and device handle, shared with the data node's finalizer. */
  readonly storage: BufferStorage;
  #host: TypedArray | null;
  /** Reads the device copy synchronously when there is no host copy (`readDeviceWith`). */
  #readDevice: DeviceRead | null = null;

  constructor(
    readonly dtype: DType,
    readonly size: number,
    host: TypedArray | null,
    device: unknown = null,
    deviceFree: DeviceFree | null = null,
  ) {
    this.#host = host;
    const bytes = host ? host.byteLength : 0;
    this.storage = { released: false, counted: true, bytes, device, free: deviceFree, hostFree: null, mirror: null };
    liveBuffers++;
    liveBytes += bytes;
  }

  /**
   * The values in host memory: the host copy, else (for a device copy its backend reads
   * synchronously, `readDeviceWith`) the device copy read now and kept as the host copy; null when
   * there is none (a device-only value of an asynchronous backend, a released buffer).
   */
  get host(): TypedArray | null {
    const s = this.storage;
    if (this.#host === null && this.#readDevice !== null && s.device !== null && !s.released) this.adoptHost(this.#readDevice(s.device));
    return this.#host;
  }

  /** Sets the host copy as is (no accounting: webgpu's control steps lend an array for a step). */
  set host(host: TypedArray | null) {
    this.#host = host;
  }

  /** Whether a host copy exists now (without reading a device copy, as `host` would). */
  get hasHost(): boolean {
    return this.#host !== null;
  }

  /** Whether `host` gives the values synchronously: there is a host copy, or a device copy read on access. */
  get readableSync(): boolean {
    return this.#host !== null || (this.#readDevice !== null && this.storage.device !== null && !this.storage.released);
  }

  /**
   * The device copy can be read synchronously by `read` (gpujs's textures): while there is no
   * host copy, the first access to `host` (a read, a cpu kernel, a State handing the value to
   * the garbage collector) reads it and keeps the copy.
   * @example buf.readDeviceWith((t) => readTexture(t as GpujsTexture)); buf.host // read from the device once
   */
  readDeviceWith(read: DeviceRead): void {
    this.#readDevice = read;
  }

  /** The device backend's handle on the value (null when only the host holds it). */
  get device(): unknown {
    return this.storage.device;
  }

  /** Frees `device` (the backend that made the handle installs it). */
  get deviceFree(): DeviceFree | null {
    return this.storage.free;
  }

  /**
   * The executor whose device memory holds the value when there is no host copy (e.g. "webgpu"):
   * another backend reads it through that executor (`realize.ts`'s `readBuffer`).
   */
  owner: string | null = null;

  /**
   * Attaches a device backend's copy of the value (an upload of a host value). A value the JS
   * garbage collector manages counts again while the copy exists, which is freed with the buffer.
   */
  attachDevice(device: unknown, free: DeviceFree): void {
    const s = this.storage;
    s.device = device;
    s.free = free;
    if (s.counted || s.released) return;
    s.counted = true;
    const bytes = this.#host ? this.#host.byteLength : 0;
    s.bytes = bytes;
    liveBuffers++;
    liveBytes += bytes;
    gcDeviceCopies.register(this, { device, free, bytes }, this);
  }

  /** Installs a host copy of the value (read back from a device), counted in `memoryStats`. */
  adoptHost(host: TypedArray): void {
    const s = this.storage;
    if (s.released || this.#host) return;
    this.#host = host;
    if (s.counted) {
      s.bytes += host.byteLength;
      liveBytes += host.byteLength;
    }
  }

  /**
   * @internal The host array lies in memory an executor manages: `free` returns it, when the
   * buffer is released (or its data node collected). Until then the array is the buffer's alone.
   */
  adoptHostRegion(free: () => void): void {
    this.storage.hostFree = free;
  }

  /**
   * @internal Takes over the host array's managed memory (a donated buffer whose region becomes
   * an output's): returns its `free`, which releasing this buffer no longer calls; null for JS memory.
   */
  takeHostRegion(): (() => void) | null {
    const free = this.storage.hostFree;
    this.storage.hostFree = null;
    return free;
  }

  /**
   * @internal Keeps `m`, an executor's copy of the host values, until the buffer is released or
   * handed to the garbage collector (`uncount`), or the executor frees it; a released buffer frees
   * it at once. Replaces (and frees) an earlier mirror.
   */
  attachMirror(m: HostMirror): void {
    freeMirror(this.storage);
    if (this.storage.released) m.free();
    else this.storage.mirror = m;
  }

  /** The executor's copy of the host values (attachMirror), or null. */
  get mirror(): TypedArray | null {
    return this.storage.mirror?.array ?? null;
  }

  /** Whether the host array lies in memory an executor manages (adoptHostRegion). */
  get hostInRegion(): boolean {
    return this.storage.hostFree !== null;
  }

  retain(): void {
    this.owners++;
  }

  /** Drops one owner (from `dispose()`); frees the storage when none is left. */
  disown(): void {
    if (--this.owners <= 0) this.release();
  }

  /**
   * Hands a host-only value to the JS garbage collector: it stays readable for as long as anything
   * refers to it, and stops counting as a live kiln buffer (there is no device storage to free, so
   * nothing waits for a finalizer). `realize.ts`'s `releaseToGc` also drops the finalizer.
   * Returns false (and does nothing) for a buffer that still holds device storage.
   */
  uncount(): boolean {
    const s = this.storage;
    if (s.released || s.device !== null || this.#host === null) return false;
    // Managed memory cannot wait for the collector (a synchronous loop never lets it run): the
    // values move to JS memory and the region is freed now.
    if (s.hostFree) {
      this.#host = this.#host.slice();
      const free = s.hostFree;
      s.hostFree = null;
      free();
    }
    // Nor can a mirror wait: no finalizer covers the buffer from here on.
    freeMirror(s);
    if (s.counted) {
      s.counted = false;
      liveBuffers--;
      liveBytes -= s.bytes;
      s.bytes = 0;
    }
    return true;
  }

  /**
   * Frees the device storage of a value that has a host copy (read back earlier, or now for a
   * device copy read synchronously: `readDeviceWith`): reads use the host copy from then on.
   * Returns whether the buffer is host-only now.
   */
  dropDevice(): boolean {
    const s = this.storage;
    if (s.released || this.host === null) return false;
    if (s.device !== null && s.free) s.free(s.device);
    s.device = null;
    this.owner = null;
    gcDeviceCopies.unregister(this);
    return true;
  }

  /** Frees the storage (idempotent). */
  release(): void {
    if (!this.storage.released) {
      releaseStorage(this.storage);
      this.#host = null;
      gcDeviceCopies.unregister(this);
      onRelease?.(this);
    }
  }

  get isReleased(): boolean {
    return this.storage.released;
  }
}

/**
 * Live buffer count and host bytes, for leak tests and diagnostics: the buffers kiln still has to
 * free. A buffer whose data node was garbage-collected counts until that node's finalizer runs,
 * which needs the event loop: inside a synchronous loop the numbers lag (the host memory itself is
 * already reclaimed) and are exact again once it yields. `dispose`, `tidy` and State ownership
 * update them at once.
 * @example const before = memoryStats().buffers; tidy(() => np.ones([3]).mul(2).dataSync()); memoryStats().buffers === before // true
 */
export function memoryStats(): { buffers: number; bytes: number } {
  return { buffers: liveBuffers, bytes: liveBytes };
}
