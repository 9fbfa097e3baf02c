/**
 * Device memory for the webgpu backend: pooled storage buffers, the device side of a DataBuffer,
 * uploads and asynchronous readback.
 *
 * Buffers are recycled by size class (quarter powers of two, so at most ~19% is wasted). Reuse is
 * safe as soon as a buffer is released: every command runs on the one queue, in submission order,
 * so later work writing a recycled buffer runs after earlier work that read it. The exception is
 * work still being *encoded* by an asynchronous plan (one with host steps): while any is in flight,
 * released buffers wait (`hold`/`unhold`) so such a plan never sees its inputs recycled under it.
 */
import { BackendUnavailableError, type DType, DisposedError, type DataBuffer, type TypedArray } from "@kiln/core";
import { allocTypedArray } from "../storage.js";
import { type GpuContext, currentGpu, lostDeviceError } from "./webgpu-device.js";

/** The webgpu backend's handle on a DataBuffer (`DataBuffer.device`). */
export class DeviceData {
  /** Device copy (absent for results computed on the host, e.g. float64). */
  gpu: GPUBuffer | null;
  /** Host result of an asynchronous plan (a DataBuffer's own `host` is fixed at construction). */
  host: TypedArray | null = null;
  /** Set while an asynchronous plan is still producing this value. */
  ready: Promise<void> | null = null;
  error: unknown = null;
  /** Freed by its DataBuffer (a pending plan then returns its result to the pool). */
  released = false;
  /**
   * A mappable copy made in the same submission as the value (small results only): reading it
   * then needs no second submission (`stageForRead`).
   */
  staging: GPUBuffer | null = null;

  constructor(readonly dtype: DType, readonly size: number, gpu: GPUBuffer | null, readonly generation: number) {
    this.gpu = gpu;
  }
}

/** Bytes a buffer of `size` elements takes on the device (every dtype is 4 bytes there). */
export function deviceBytes(size: number): number {
  return Math.max(16, size * 4);
}

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Size class: the next quarter power of two, rounded to 16 bytes. */
function sizeClass(bytes: number): number {
  const q = Math.ceil(Math.log2(bytes) * 4) / 4;
  return Math.ceil(2 ** q / 16) * 16;
}

/** Free buffers kept for reuse at most (larger sets are destroyed, oldest first). */
const POOL_KEEP_BYTES = 512 * 2 ** 20;

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private freeBytes = 0;
  private holds = 0;
  private deferred: GPUBuffer[] = [];
  created = 0;
  reused = 0;

  constructor(private readonly ctx: GpuContext) {}

  acquire(bytes: number): GPUBuffer {
    const cls = sizeClass(Math.max(16, bytes));
    const list = this.free.get(cls);
    const hit = list?.pop();
    if (hit) {
      this.freeBytes -= cls;
      this.reused++;
      return hit;
    }
    if (cls > this.ctx.limits.maxStorageBufferBindingSize) {
      throw new BackendUnavailableError(
        `webgpu: a value of ${bytes} bytes exceeds this adapter's storage binding limit (${this.ctx.limits.maxStorageBufferBindingSize} bytes); ` +
          `split the computation into smaller arrays, or run it on the cpu backend (setBackend("cpu"))`,
      );
    }
    this.created++;
    return this.ctx.device.createBuffer({ size: cls, usage: USAGE() });
  }

  release(buf: GPUBuffer): void {
    if (this.holds > 0) {
      this.deferred.push(buf);
      return;
    }
    const cls = buf.size;
    if (this.freeBytes + cls > POOL_KEEP_BYTES) {
      buf.destroy();
      return;
    }
    (this.free.get(cls) ?? this.free.set(cls, []).get(cls)!).push(buf);
    this.freeBytes += cls;
  }

  /** Defers recycling while an asynchronous plan is encoding work. */
  hold(): void {
    this.holds++;
  }

  unhold(): void {
    if (--this.holds > 0) return;
    const d = this.deferred;
    this.deferred = [];
    for (const b of d) this.release(b);
  }

  /** Destroys every free buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.freeBytes = 0;
  }
}

const pools = new WeakMap<GpuContext, BufferPool>();

export function poolOf(ctx: GpuContext): BufferPool {
  let p = pools.get(ctx);
  if (!p) pools.set(ctx, (p = new BufferPool(ctx)));
  return p;
}

/** Host values in the device's 4-byte layout (bool 0/1 bytes → u32). */
function toDeviceLayout(host: TypedArray, dtype: DType): ArrayBufferView {
  if (dtype === "bool") return Uint32Array.from(host as Uint8Array);
  if (dtype === "float64") throw new Error("internal: float64 values stay on the host with the webgpu backend");
  return host;
}

/** Uploads host values into a pooled buffer (queued: ordered with every later dispatch). */
export function upload(ctx: GpuContext, host: TypedArray, dtype: DType): GPUBuffer {
  const buf = poolOf(ctx).acquire(deviceBytes(host.length));
  if (host.length) ctx.device.queue.writeBuffer(buf, 0, toDeviceLayout(host, dtype) as unknown as ArrayBuffer);
  return buf;
}

/**
 * Results up to this size get a mappable copy in their own submission (a loss, a metric, W1):
 * measured interleaved on Dawn/llvmpipe, a read then takes ~0.3 ms less (one submission and wait
 * fewer); unread copies go back to a pool when their tensor is freed.
 */
export const STAGE_MAX_BYTES = 64 * 1024;

const stagingPools = new WeakMap<GpuContext, Map<number, GPUBuffer[]>>();

function stagingPool(ctx: GpuContext): Map<number, GPUBuffer[]> {
  let p = stagingPools.get(ctx);
  if (!p) stagingPools.set(ctx, (p = new Map()));
  return p;
}

/**
 * Encodes a copy of a small result into a mappable buffer, in the command buffer that computes it:
 * `await x.data()` then maps it directly instead of submitting a copy and waiting again.
 */
export function stageForRead(ctx: GpuContext, enc: GPUCommandEncoder, dd: DeviceData): void {
  const bytes = dd.size * 4;
  if (!dd.gpu || bytes === 0 || bytes > STAGE_MAX_BYTES || dd.dtype === "float64") return;
  const cls = sizeClass(bytes);
  const staging = stagingPool(ctx).get(cls)?.pop() ?? ctx.device.createBuffer({ size: cls, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  enc.copyBufferToBuffer(dd.gpu, 0, staging, 0, bytes);
  dd.staging = staging;
}

function releaseStaging(ctx: GpuContext | null, generation: number, staging: GPUBuffer): void {
  if (!ctx || ctx.generation !== generation) return;
  const pool = stagingPool(ctx);
  (pool.get(staging.size) ?? pool.set(staging.size, []).get(staging.size)!).push(staging);
}

/** Reads `size` elements of a device buffer back to a host array of `dtype`. */
/** Device reads so far, and how many of them mapped a copy staged with the computation. */
export const readStats = { reads: 0, staged: 0 };

export async function readback(ctx: GpuContext, gpu: GPUBuffer, dtype: DType, size: number, staged: GPUBuffer | null = null): Promise<TypedArray> {
  const out = allocTypedArray(dtype, size);
  if (size === 0) return out;
  readStats.reads++;
  if (staged) readStats.staged++;
  const bytes = size * 4;
  let staging = staged;
  if (!staging) {
    staging = ctx.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = ctx.device.createCommandEncoder();
    enc.copyBufferToBuffer(gpu, 0, staging, 0, bytes);
    ctx.device.queue.submit([enc.finish()]);
  }
  try {
    await staging.mapAsync(GPUMapMode.READ);
  } catch (e) {
    staging.destroy();
    throw deviceFailure(ctx, "readback", e);
  }
  const range = staging.getMappedRange(0, bytes);
  if (dtype === "bool") (out as Uint8Array).set(new Uint32Array(range));
  else if (dtype === "int32") (out as Int32Array).set(new Int32Array(range));
  else out.set(new Float32Array(range));
  staging.unmap();
  if (staged) releaseStaging(ctx, ctx.generation, staged);
  else staging.destroy();
  if (ctx.error) throw deviceFailure(ctx, "readback", null);
  return out;
}

/** The error to report after a failed device operation: a lost device, a kiln bug, or `cause`. */
export function deviceFailure(ctx: GpuContext, op: string, cause: unknown): Error {
  if (ctx.lost) return lostDeviceError(op, ctx.lost);
  if (ctx.error) {
    const msg = ctx.error;
    ctx.error = null; // reported once: later work is unaffected unless it fails too
    return new Error(`internal: ${op}: the WebGPU device reported an error (a kiln bug, please report it): ${msg}`);
  }
  return cause instanceof Error ? cause : new Error(`${op}: ${String(cause)}`);
}

/** The device data of a buffer, uploading host values on first use on the device. */
export function deviceDataOf(ctx: GpuContext, buf: DataBuffer, op: string): DeviceData {
  if (buf.isReleased) throw new DisposedError(`${op}: a tensor of ${buf.dtype}[${buf.size}] was used after dispose()`);
  const d = buf.device;
  if (d instanceof DeviceData && d.generation === ctx.generation) return d;
  if (d instanceof DeviceData && !buf.host) {
    throw new DisposedError(`${op}: this tensor (${buf.dtype}[${buf.size}]) lived on a WebGPU device that is gone (lost or destroyed); recompute it after init()`);
  }
  const dd = new DeviceData(buf.dtype, buf.size, null, ctx.generation);
  if (buf.dtype !== "float64") dd.gpu = upload(ctx, buf.host!, buf.dtype);
  else dd.host = buf.host;
  buf.device = dd;
  buf.deviceFree = freeDeviceData;
  return dd;
}

/** `DataBuffer.deviceFree` of the webgpu backend: the buffer goes back to its pool. */
export function freeDeviceData(d: unknown): void {
  const dd = d as DeviceData;
  dd.released = true;
  const gpu = dd.gpu;
  dd.gpu = null;
  dd.host = null;
  const ctx = currentGpu();
  if (gpu && ctx && ctx.generation === dd.generation) poolOf(ctx).release(gpu);
  if (dd.staging) releaseStaging(ctx, dd.generation, dd.staging);
  dd.staging = null;
}
