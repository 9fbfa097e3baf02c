/**
 * Device memory for the webgpu backend: pooled storage buffers, the device side of a DataBuffer,
 * uploads and asynchronous readback.
 *
 * Buffers are recycled by size class (quarter powers of two, so at most ~19% is wasted). Reuse is
 * safe as soon as a buffer is released: every write to device memory — kernels, copies, uploads —
 * is a command of the one open batch or of an earlier submission (webgpu-queue.ts), so later work
 * writing a recycled buffer runs after earlier work that read it. The exception is
 * work still being *encoded* by an asynchronous plan (one with host steps): while any is in flight,
 * released buffers wait (`hold`/`unhold`) so such a plan never sees its inputs recycled under it.
 */
import { BackendUnavailableError, type DType, DisposedError, type DataBuffer, KernelCompileError, type TypedArray, hostValues, isBits16 } from "@kiln/core";
import { type GpuConstants, type GpuContext, currentGpu, lostDeviceError } from "./webgpu-device.js";
import { checkAcquire, checkRelease, trackDeviceData } from "./webgpu-pool-check.js";
import { destroyAfterSubmit, queueStats, readDevice, write } from "./webgpu-queue.js";

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
  /** Asynchronous plans that will still read this value: freeing it waits for the last (`readDeviceData`). */
  readers = 0;
  /** The pool epoch of its last binding (`BufferPool.bindCopy`): a copy bound by the recording under way is never taken back. */
  boundAt = -1;
  /** Size class under which the pool lists `gpu` as a reclaimable copy of host values (0: not listed). */
  copyClass = 0;
  /** A read of `gpu` under way that no one awaits yet (`readOutputBehind`): the value's first read takes it. */
  behind: Promise<TypedArray> | null = null;

  constructor(readonly dtype: DType, readonly size: number, gpu: GPUBuffer | null, readonly generation: number) {
    this.gpu = gpu;
    trackDeviceData(this);
  }
}

/** Bytes a buffer of `size` elements takes on the device (every dtype is 4 bytes there). */
export function deviceBytes(size: number): number {
  return Math.max(16, size * 4);
}

const USAGE = ({ GPUBufferUsage: u }: GpuConstants) => u.STORAGE | u.COPY_SRC | u.COPY_DST;

/** Size class: the next quarter power of two, rounded to 16 bytes. */
function sizeClass(bytes: number): number {
  const q = Math.ceil(Math.log2(bytes) * 4) / 4;
  return Math.ceil(2 ** q / 16) * 16;
}

/** The error for a value larger than one storage binding can hold. */
export function bindingLimitError(bytes: number, limit: number): BackendUnavailableError {
  return new BackendUnavailableError(
    `webgpu: a value of ${bytes} bytes exceeds this adapter's storage binding limit (${limit} bytes); ` +
      `split the computation into smaller arrays, or run it on the cpu backend (setBackend("cpu"))`,
  );
}

/**
 * Recordings a device copy of host values stays untouched before the pool takes its buffer back
 * (at least 1: never one bound by the recording under way). A value just read is often bound
 * again soon (weights logged, then updated with a donation that takes their very buffer); a loop
 * that drops its values gives them up after this many recordings, so it keeps about this many
 * extra buffers per size class and creates none.
 */
const RECLAIM_AGE = 16;

/**
 * Free buffers of a size class the pool keeps in reserve for asynchronous plans (`BufferPool.hold`):
 * while one encodes (a `whileLoop` waiting for its done flag, a host step), no device copy of host
 * values is taken back, so its buffers come from the free lists. A loop whose other steps emptied
 * the free list of a class (their values read back, each taking back an older copy's buffer) made
 * that plan create its buffers every time: a `whileLoop` per step created ~2.5 buffers a step.
 * Below this count a class takes back an old copy before a free buffer: 16 buffers per class, fewer
 * above 16 KB so that a reserve stays within 256 KB (none above 256 KB; measured: 8 a class left the
 * jit(vmap)+control loop creating ~0.4 buffers a step).
 */
const RESERVE = 16;
function reserveOf(cls: number): number {
  return Math.min(RESERVE, Math.floor((256 << 10) / cls));
}

/** Free buffers kept for reuse at most (larger sets are destroyed, oldest first). */
const POOL_KEEP_BYTES = 512 * 2 ** 20;

/**
 * Buffers recycled by size class, and device copies of values that also live on the host, which
 * the pool takes back when a class has no free buffer.
 *
 * Why the copies: a tensor user code dropped returns its buffer only when the JS collector
 * finalizes it, and a loop whose steps allocate little JS memory (a loss read per step, a scalar
 * uploaded per call) runs thousands of steps before a full collection — it created one device
 * buffer per step while live values stayed flat. A value read back (`data()`, `item()`) or
 * uploaded from a host array has its values on the host too, so its device buffer is a cache: on a
 * miss, the least recently bound such copy of the class gives up its buffer (one not bound by the
 * last `RECLAIM_AGE` recordings, and never while an asynchronous plan is encoding), and the value
 * is uploaded again if a later step binds it. Values that exist only on the device are never taken.
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private freeBytes = 0;
  private holds = 0;
  private deferred: GPUBuffer[] = [];
  /** Per size class, the reclaimable copies, least recently bound first (Map order), with their values' buffers. */
  private readonly copies = new Map<number, Map<DeviceData, WeakRef<DataBuffer>>>();
  /** Bumped by `beginRecording`: copies bound since then are in use. */
  private epoch = 0;
  created = 0;
  reused = 0;
  /** Buffers taken back from device copies of host values (`copies`). */
  reclaimed = 0;

  constructor(private readonly ctx: GpuContext) {}

  acquire(bytes: number): GPUBuffer {
    const cls = sizeClass(Math.max(16, bytes));
    const list = this.free.get(cls);
    // Down to its reserve, a class takes back an old copy first: the free buffers are left for
    // asynchronous plans, which cannot take copies back while they encode (`hold`).
    const taken = list && list.length > reserveOf(cls) ? null : this.reclaim(cls);
    if (taken) {
      checkRelease(this.ctx, taken);
      checkAcquire(taken);
      this.reclaimed++;
      return taken;
    }
    const hit = list?.pop();
    if (hit) {
      checkAcquire(hit);
      this.freeBytes -= cls;
      this.reused++;
      return hit;
    }
    if (cls > this.ctx.limits.maxStorageBufferBindingSize) {
      throw bindingLimitError(bytes, this.ctx.limits.maxStorageBufferBindingSize);
    }
    this.created++;
    return this.ctx.device.createBuffer({ size: cls, usage: USAGE(this.ctx.constants) });
  }

  release(buf: GPUBuffer): void {
    if (this.holds > 0) {
      this.deferred.push(buf);
      return;
    }
    this.recycle(buf);
  }

  /**
   * Returns a buffer to the pool now, even while an asynchronous plan is encoding (`hold`): for
   * a buffer no other plan can reference — made and last used by the loop that releases it (a
   * carry, a predicate). A device loop inside an asynchronous plan would otherwise hold one such
   * buffer per iteration until the plan ends.
   */
  recycle(buf: GPUBuffer): void {
    // Checked here, not when deferred: a plan still encoding may read a deferred buffer.
    checkRelease(this.ctx, buf);
    const cls = buf.size;
    if (this.freeBytes + cls > POOL_KEEP_BYTES) {
      destroyAfterSubmit(this.ctx, buf);
      return;
    }
    (this.free.get(cls) ?? this.free.set(cls, []).get(cls)!).push(buf);
    this.freeBytes += cls;
  }

  /**
   * Starts the recording of a plan: the copies it binds from here on (`bindCopy`) stay its own
   * until the next recording starts. Commands of the batch run in order, so a copy bound by an
   * earlier recording can be taken like any released buffer.
   */
  beginRecording(): void {
    this.epoch++;
  }

  /**
   * `dd`, a value of `buf`, is bound by the recording under way; `buf` holds its values on the
   * host too (read back, or uploaded from a host array) when `hostCopy`: its buffer is then
   * reclaimable once later recordings no longer bind it.
   */
  bindCopy(dd: DeviceData, buf: DataBuffer, hostCopy: boolean): void {
    dd.boundAt = this.epoch;
    if (!dd.gpu) return;
    const cls = dd.copyClass || (hostCopy ? dd.gpu.size : 0);
    if (!cls) return;
    const list = this.copies.get(cls) ?? this.copies.set(cls, new Map()).get(cls)!;
    const ref = list.get(dd) ?? new WeakRef(buf);
    list.delete(dd);
    list.set(dd, ref); // most recently bound last
    dd.copyClass = cls;
  }

  /** Stops listing `dd`'s buffer as reclaimable (it is freed, donated, or lost its host copy). */
  forgetCopy(dd: DeviceData): void {
    if (!dd.copyClass) return;
    this.copies.get(dd.copyClass)?.delete(dd);
    dd.copyClass = 0;
  }

  /** Takes the buffer of the least recently bound reclaimable copy of class `cls`, if any. */
  private reclaim(cls: number): GPUBuffer | null {
    const list = this.copies.get(cls);
    if (!list || this.holds > 0) return null;
    for (const [dd, ref] of list) {
      // Copies are listed in binding order: from here on, all are too recent.
      if (this.epoch - dd.boundAt < RECLAIM_AGE) return null;
      if (dd.readers > 0 || dd.ready) continue;
      list.delete(dd);
      dd.copyClass = 0;
      const buf = ref.deref();
      // A collected buffer's value is unreachable: its storage is free whatever its host copy.
      const hostCopy = !buf || (buf.device === dd && buf.hasHost && !buf.isReleased);
      if (!hostCopy || dd.released || !dd.gpu || dd.gpu.size !== cls) continue;
      const gpu = dd.gpu;
      dd.gpu = null;
      return gpu;
    }
    return null;
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
    for (const list of this.free.values()) for (const b of list) destroyAfterSubmit(this.ctx, b);
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

/**
 * Host values in the device's 4-byte layout (bool 0/1 and uint8 bytes → u32 words; float16 and
 * bfloat16 bits → their f32 values, exact: the adapter has no `shader-f16` here, so the device
 * computes both in f32 and rounds every such result to its 16 bits).
 */
function toDeviceLayout(host: TypedArray, dtype: DType): ArrayBufferView {
  if (dtype === "bool" || dtype === "uint8") return Uint32Array.from(host as Uint8Array);
  if (isBits16(dtype)) return hostValues(host, dtype);
  if (dtype === "float64") throw new Error("internal: float64 values stay on the host with the webgpu backend");
  return host;
}

/** Uploads host values into a pooled buffer: a copy recorded into the open batch (webgpu-queue.ts, rule 1). */
export function upload(ctx: GpuContext, host: TypedArray, dtype: DType): GPUBuffer {
  const buf = poolOf(ctx).acquire(deviceBytes(host.length));
  if (host.length) write(ctx, buf, toDeviceLayout(host, dtype));
  return buf;
}

/**
 * Reads `size` elements of a device buffer back to a host array of `dtype`: a copy recorded into
 * the open batch, mapped once the batch is submitted (webgpu-queue.ts). A failure is reported as
 * the device's error — a lost device, a kernel that did not compile, a validation error — once the
 * pending compile checks are in.
 */
export async function readback(ctx: GpuContext, gpu: GPUBuffer, dtype: DType, size: number, started?: Promise<TypedArray>): Promise<TypedArray> {
  let out: TypedArray;
  if (started) countTakenBehind();
  try {
    out = await (started ?? readDevice(ctx, gpu, dtype, size));
  } catch (e) {
    await compileChecks(ctx);
    throw deviceFailure(ctx, "readback", e);
  }
  await compileChecks(ctx);
  if (ctx.error || ctx.compileError) throw deviceFailure(ctx, "readback", null);
  return out;
}

/**
 * Copies a device-only value to the host in the background (`Executor.readBehind`) and keeps the
 * copy (`adoptHost`), making its device buffer free to take back. Unlike `readback` it reports
 * nothing: a device error stays for the value's own reads to report, and the value is then not
 * copied (its device data may be what a failed kernel left).
 * @example
 * await readBehind(ctx, buf, dd); buf.hasHost // true
 */
export async function readBehind(ctx: GpuContext, buf: DataBuffer, dd: DeviceData): Promise<void> {
  if (dd.behind) countTakenBehind();
  const host = await (dd.behind ?? readDevice(ctx, dd.gpu!, dd.dtype, dd.size));
  if (!(await adoptRead(ctx, buf, dd, host))) throw new Error("webgpu: not read behind (the device reported an error, left for the value's reads)");
}

/** Taking a read behind counts it as the value's read (it rode the submission that computed the value). */
function countTakenBehind(): void {
  queueStats.reads++;
  queueStats.batchedReads++;
}

/**
 * Keeps a finished read's values as `buf`'s host copy, its device buffer then a copy the pool may
 * take back (`readCopy`); false, copying nothing, when the device reported an error (left for the
 * value's reads to report).
 */
async function adoptRead(ctx: GpuContext, buf: DataBuffer, dd: DeviceData, host: TypedArray): Promise<boolean> {
  await compileChecks(ctx);
  if (ctx.lost || ctx.error || ctx.compileError) return false;
  buf.adoptHost(host);
  readCopy(ctx, buf, dd);
  return true;
}

/** Largest value a jitted call reads behind (`readOutputBehind`): the size of the reads that share one staging buffer. */
export const OUTPUT_BEHIND_MAX_BYTES = 256;

/**
 * Starts reading a small device-only result handed to user code (a jitted step's loss) back to
 * the host, in the batch that computes it (the read shares the batch's staging buffer), and keeps
 * the copy: its device buffer is then one the pool may take back (`readCopy`). A result the loop
 * never reads and drops otherwise held its buffer until a full collection — the JS heap barely
 * grows per step, so thousands of steps, each creating a buffer. The value's own first read
 * (`await loss.item()`) takes this read (`readback`'s `started`): no second copy. A device error
 * is left for that read to report; the value is then not copied.
 * @example
 * const outs = runDeviceOnly(ctx, gp, ins, "jit"); for (const b of outs) readOutputBehind(ctx, b, b.device as DeviceData);
 */
export function readOutputBehind(ctx: GpuContext, buf: DataBuffer, dd: DeviceData): void {
  if (!dd.gpu || dd.ready || dd.error || dd.behind || buf.hasHost || buf.isReleased || deviceBytes(dd.size) > OUTPUT_BEHIND_MAX_BYTES) return;
  const raw = readDevice(ctx, dd.gpu, dd.dtype, dd.size, true);
  dd.behind = raw;
  void raw
    .then((host) => adoptRead(ctx, buf, dd, host))
    .catch(() => undefined)
    .finally(() => {
      if (dd.behind === raw) dd.behind = null;
    });
}

/** Waits for pending error checks: a shader that did not compile is the cause of any "invalid pipeline" error. */
async function compileChecks(ctx: GpuContext): Promise<void> {
  while (ctx.pending.size) await Promise.all([...ctx.pending]);
}

/**
 * Runs `f` (encoding, bind groups, submission) inside a validation error scope; its errors are
 * recorded on the context (`ctx.error`) and reported by the next read, after the compile checks.
 * @example
 * scopedErrors(ctx, () => ctx.device.queue.submit([enc.finish()]));
 */
export function scopedErrors<T>(ctx: GpuContext, f: () => T): T {
  ctx.device.pushErrorScope("validation");
  try {
    return f();
  } finally {
    const check = ctx.device.popErrorScope().then(
      (err) => void (err && (ctx.error ??= err.message)),
      () => undefined,
    );
    ctx.pending.add(check);
    void check.finally(() => ctx.pending.delete(check));
  }
}

/** The error to report after a failed device operation: a lost device, a kiln bug, or `cause`. */
export function deviceFailure(ctx: GpuContext, op: string, cause: unknown): Error {
  if (ctx.lost) return lostDeviceError(op, ctx.lost);
  if (ctx.compileError) {
    const msg = ctx.compileError;
    // Reported once, with the invalid-pipeline errors it caused.
    ctx.compileError = ctx.error = null;
    return new KernelCompileError(`${op}: a kernel did not compile on the WebGPU device (a kiln bug, or a corrupt persistent WGSL store entry): ${msg}`);
  }
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
  buf.attachDevice(dd, freeDeviceData);
  return dd;
}

/**
 * Starts the recording of a plan on `inputs`: their device copies are its own from here on, so no
 * upload or output of the recording can take one back (a donated input's buffer, looked up before
 * the recording, becomes an output's storage).
 * @example
 * beginRecording(ctx, inputs); const ins = inputs.map((b) => boundBuffer(ctx, b, "jit"));
 */
export function beginRecording(ctx: GpuContext, inputs: readonly DataBuffer[]): void {
  const pool = poolOf(ctx);
  pool.beginRecording();
  for (const b of inputs) {
    const dd = b.device;
    if (dd instanceof DeviceData && dd.generation === ctx.generation) pool.bindCopy(dd, b, b.hasHost);
  }
}

/**
 * The device buffer of `buf` for the recording under way: its device copy (listed as reclaimable
 * when `buf` has a host copy, `BufferPool.bindCopy`), uploaded again when the pool took it back.
 * @example
 * poolOf(ctx).beginRecording();
 * const gpu = boundBuffer(ctx, x, "jit"); // stays x's until the next recording starts
 */
export function boundBuffer(ctx: GpuContext, buf: DataBuffer, op: string): GPUBuffer {
  const dd = deviceDataOf(ctx, buf, op);
  if (dd.error) throw dd.error;
  if (!dd.gpu) {
    const host = dd.host ?? buf.host;
    if (!host) throw new DisposedError(`${op}: a tensor of ${buf.dtype}[${buf.size}] was used after dispose()`);
    dd.gpu = upload(ctx, host, buf.dtype);
  }
  poolOf(ctx).bindCopy(dd, buf, buf.hasHost);
  return dd.gpu;
}

/**
 * After a read of `buf` (its host copy adopted): its device buffer becomes reclaimable.
 * @example
 * buf.adoptHost(await readback(ctx, dd.gpu, dd.dtype, dd.size)); readCopy(ctx, buf, dd);
 */
export function readCopy(ctx: GpuContext, buf: DataBuffer, dd: DeviceData): void {
  if (buf.device === dd && buf.hasHost && dd.gpu && !dd.released && dd.generation === ctx.generation) poolOf(ctx).bindCopy(dd, buf, true);
}

/**
 * Marks `dd` as read by an asynchronous plan until `doneReadingDeviceData`: freed meanwhile, its
 * storage stays until then.
 * @example
 * readDeviceData(dd); try { await job(dd.gpu); } finally { doneReadingDeviceData(ctx, dd); }
 */
export function readDeviceData(dd: DeviceData): void {
  dd.readers++;
}

/** Ends a read begun by `readDeviceData`: the last reader of a freed value returns its storage. */
export function doneReadingDeviceData(ctx: GpuContext, dd: DeviceData): void {
  if (--dd.readers > 0 || !dd.released || dd.ready) return;
  if (ctx.generation === dd.generation) poolOf(ctx).forgetCopy(dd);
  const gpu = dd.gpu;
  dd.gpu = null;
  dd.host = null;
  if (gpu && ctx.generation === dd.generation) poolOf(ctx).release(gpu);
}

/** `DataBuffer.deviceFree` of the webgpu backend: the buffer goes back to its pool (once no pending plan reads it). */
export function freeDeviceData(d: unknown): void {
  const dd = d as DeviceData;
  dd.released = true;
  const ctx = currentGpu();
  if (ctx && ctx.generation === dd.generation) poolOf(ctx).forgetCopy(dd);
  if (dd.readers > 0) return;
  const gpu = dd.gpu;
  dd.gpu = null;
  dd.host = null;
  if (gpu && ctx && ctx.generation === dd.generation) poolOf(ctx).release(gpu);
}
