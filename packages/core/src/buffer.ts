/**
 * Realized storage. A `DataBuffer` is what a `data` leaf node refers to: host memory (a typed
 * array) and, when a device backend holds it, that backend's handle. A buffer lives as long as its
 * `data` node: it is released when that node is garbage-collected (pending graphs that read it keep
 * it alive), or earlier by `dispose()` / `tidy()` on the Tensor that owns it. Users never count
 * references.
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

/** Hook a device backend installs to free its handle. */
export type DeviceFree = (device: unknown) => void;

/**
 * Device copies made of a value the JS garbage collector manages (`uncount`): no data node's
 * finalizer covers it any more, so the buffer object itself is the target.
 */
const gcDeviceCopies = new FinalizationRegistry<{ device: unknown; free: DeviceFree; bytes: number }>((h) => {
  liveBuffers--;
  liveBytes -= h.bytes;
  h.free(h.device);
});

export class DataBuffer implements DataRef {
  readonly id = nextBufferId++;
  private released = false;
  /** Tensor handles that own this buffer; `dispose()` of the last one frees it early. */
  private owners = 0;
  /** Counted in `memoryStats` (false once the JS garbage collector alone manages the host copy). */
  private counted = true;

  constructor(
    readonly dtype: DType,
    readonly size: number,
    public host: TypedArray | null,
    public device: unknown = null,
    public deviceFree: DeviceFree | null = null,
  ) {
    liveBuffers++;
    liveBytes += host ? host.byteLength : 0;
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
    this.device = device;
    this.deviceFree = free;
    if (this.counted || this.released) return;
    this.counted = true;
    const bytes = this.host ? this.host.byteLength : 0;
    liveBuffers++;
    liveBytes += bytes;
    gcDeviceCopies.register(this, { device, free, bytes }, this);
  }

  /** Installs a host copy of the value (read back from a device), counted in `memoryStats`. */
  adoptHost(host: TypedArray): void {
    if (this.released || this.host) return;
    this.host = host;
    if (this.counted) liveBytes += host.byteLength;
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
    if (this.released || this.device !== null || this.host === null) return false;
    if (this.counted) {
      this.counted = false;
      liveBuffers--;
      liveBytes -= this.host.byteLength;
    }
    return true;
  }

  /**
   * Frees the device storage of a value that has a host copy (read back earlier): reads use the
   * host copy from then on. Returns whether the buffer is host-only now.
   */
  dropDevice(): boolean {
    if (this.released || this.host === null) return false;
    if (this.device !== null && this.deviceFree) this.deviceFree(this.device);
    this.device = null;
    this.owner = null;
    gcDeviceCopies.unregister(this);
    return true;
  }

  /** Frees the storage (idempotent). */
  release(): void {
    if (!this.released) {
      this.released = true;
      if (this.counted) {
        liveBuffers--;
        liveBytes -= this.host ? this.host.byteLength : 0;
      }
      this.host = null;
      if (this.device !== null && this.deviceFree) this.deviceFree(this.device);
      this.device = null;
      gcDeviceCopies.unregister(this);
      onRelease?.(this);
    }
  }

  get isReleased(): boolean {
    return this.released;
  }
}

/** Live buffer count and host bytes, for leak tests and diagnostics. */
export function memoryStats(): { buffers: number; bytes: number } {
  return { buffers: liveBuffers, bytes: liveBytes };
}
