/**
 * The one open command encoder of a device (the *batch*): every plan, upload and read-back copy
 * is recorded into it, and it is submitted once — when the JS task that recorded it has ended (a
 * macrotask later, so that `step(x)` followed by `await loss.item()` and any other read of the
 * same turn ride in the same submission), or at once when a caller must (a plan whose shaders are
 * not yet known to compile, a long synchronous loop, the tuner).
 *
 * On Dawn's GL ES backend each submission costs ~0.2–0.5 ms whatever it holds, so a jitted step
 * with its read-backs is one submission. The price is a discipline, which this module is the only
 * way to follow — the synchronisation rules of WebGPU that matter once work waits unsubmitted:
 *
 *  1. Writes are commands. `queue.writeBuffer` runs on the queue timeline at the call, ahead of
 *     everything still in the open encoder: a buffer the batch reads, released to the pool and
 *     handed to an upload, would be overwritten before the batch reads it. Uploads (and the pool
 *     checks' poison) are copies recorded in the batch (`write`) from a source buffer that nothing
 *     unsubmitted refers to: `writeBuffer` fills it, and it goes back to its pool only once the
 *     batch holding the copy is submitted (a later `writeBuffer` then follows that submission).
 *  2. A read copies at the point of the request, in command order (`read`): a copy made at submit
 *     time would see whatever later commands of the batch wrote into a buffer recycled meanwhile.
 *  3. A staging buffer returns to its pool only after its map resolved and it was unmapped, never
 *     at submit: mapping or copying into a buffer that is still mapped invalidates a submission.
 *  4. `destroy()` of a buffer the open batch references invalidates the whole submission: buffers
 *     are destroyed after the submit that last uses them (`destroyAfterSubmit`).
 *  5. `mapAsync` is called after the submit holding the copy (it resolves once that work is done).
 *
 * Pooled storage buffers need nothing more: a buffer released while the batch references it can
 * be recorded into again (commands of one encoder run in order) — rule 1 covers the only other
 * way to write it.
 */
import { type DType, type TypedArray, isBits16, numbersToBits16 } from "@kiln/core";
import { allocTypedArray } from "../../storage.js";
import { type GpuContext, lostDeviceError } from "./webgpu-device.js";
import { webgpuObserver } from "./webgpu-observe.js";

interface Batch {
  readonly encoder: GPUCommandEncoder;
  /** Plans recorded (a synchronous loop is cut into submissions of at most `MAX_PLANS`). */
  plans: number;
  /** Buffers to destroy once the batch is submitted (rule 4). */
  readonly destroyAfter: GPUBuffer[];
  /** Upload sources the batch copies from: back to their pool once it is submitted (rule 1). */
  readonly sources: GPUBuffer[];
  /** Staging buffers shared by the batch's small reads (`readDevice`). */
  readonly staging: SharedStaging[];
  /** Resolves once the batch is submitted (rejects if the device is gone). */
  readonly submitted: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
  /** A compute pass is open: copies cannot be recorded until it ends. */
  inPass: boolean;
}

/**
 * Plans recorded into one submission at most. A synchronous loop of jitted steps that never yields
 * would otherwise record everything into one command buffer before the device starts.
 */
const MAX_PLANS = 64;

const batches = new WeakMap<GpuContext, Batch>();
const stagingPools = new WeakMap<GpuContext, Map<number, GPUBuffer[]>>();

/**
 * Submissions, read-backs, bytes written from the host (uploads; the pool checks' poison when on)
 * and staging or upload-source buffers created so far (`webgpuRunStats`).
 */
export const queueStats = { submissions: 0, reads: 0, batchedReads: 0, readsBehind: 0, uploadedBytes: 0, transferBuffersCreated: 0 };

/**
 * Runs `f` as a macrotask, after the promise chains of the current turn (the awaits between a
 * step and the read of its result): `setImmediate` in Node, a MessageChannel message in browsers
 * (nested `setTimeout(0)`s are clamped to 4 ms there).
 */
const later: (f: () => void) => void = (() => {
  if (typeof setImmediate === "function") return (f: () => void) => void setImmediate(f);
  if (typeof MessageChannel === "function") {
    const queue: (() => void)[] = [];
    const channel = new MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
    return (f: () => void) => (queue.push(f), channel.port2.postMessage(null));
  }
  return (f: () => void) => void setTimeout(f, 0);
})();

function openBatch(ctx: GpuContext): Batch {
  let b = batches.get(ctx);
  if (b) return b;
  let resolve!: () => void, reject!: (e: unknown) => void;
  const submitted = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  void submitted.catch(() => undefined); // observed by the reads that wait on it
  b = { encoder: ctx.device.createCommandEncoder(), plans: 0, destroyAfter: [], sources: [], staging: [], submitted, resolve, reject, inPass: false };
  batches.set(ctx, b);
  later(() => flushQueue(ctx));
  return b;
}

/**
 * Submits the open batch now (nothing to do without one). Called by the scheduled task, and by
 * callers whose next step must follow the batch on the queue (the tuner's timed runs).
 * @example
 * flushQueue(ctx); // everything recorded so far is on the queue
 */
export function flushQueue(ctx: GpuContext): void {
  const b = batches.get(ctx);
  if (!b) return;
  if (b.inPass) throw new Error("internal: webgpu: the batch was submitted while a compute pass was open");
  batches.delete(ctx);
  if (ctx.lost) {
    b.reject(lostDeviceError("submit", ctx.lost));
    return;
  }
  ctx.device.pushErrorScope("validation");
  const observer = webgpuObserver(), t0 = observer ? performance.now() : 0;
  ctx.device.queue.submit([b.encoder.finish()]);
  observer?.submission(ctx.device.queue.onSubmittedWorkDone().then(() => performance.now() - t0));
  const check = ctx.device.popErrorScope().then(
    (err) => void (err && (ctx.error ??= err.message)),
    () => undefined,
  );
  ctx.pending.add(check);
  void check.finally(() => ctx.pending.delete(check));
  queueStats.submissions++;
  for (const buf of b.destroyAfter) buf.destroy();
  for (const buf of b.sources) releaseTo(uploadPools, ctx, buf, UPLOAD_KEEP);
  b.resolve();
}

/**
 * Records one plan: `f` records its passes and copies into the batch. `alone`: the plan holds a
 * program whose compilation is not checked yet — it is submitted by itself, so that a shader that
 * fails (and the invalid command buffer it makes) cannot take other work down with it.
 * @example
 * recordPlan(ctx, false, () => recordPass(ctx, (pass) => pass.dispatchWorkgroups(4, 1, 1)));
 */
export function recordPlan<T>(ctx: GpuContext, alone: boolean, f: () => T): T {
  if (alone) flushQueue(ctx);
  const out = f();
  const b = batches.get(ctx);
  if (alone || (b && ++b.plans >= MAX_PLANS)) flushQueue(ctx);
  return out;
}

/** Records `f`'s dispatches as one compute pass of the batch. */
export function recordPass(ctx: GpuContext, f: (pass: GPUComputePassEncoder) => void): void {
  const b = openBatch(ctx);
  const pass = b.encoder.beginComputePass();
  b.inPass = true;
  try {
    f(pass);
  } finally {
    pass.end();
    b.inPass = false;
  }
}

/** Records a copy of `bytes` between device buffers into the batch (command order, rule 2). */
export function recordCopy(ctx: GpuContext, src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
  if (bytes) copyInBatch(openBatch(ctx), src, srcOffset, dst, bytes, dstOffset);
}

function copyInBatch(b: Batch, src: GPUBuffer, srcOffset: number, dst: GPUBuffer, bytes: number, dstOffset = 0): void {
  if (b.inPass) throw new Error("internal: webgpu: a copy was recorded inside a compute pass");
  b.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
}

/**
 * Writes `data` at the start of `dst` as a command of the batch (rule 1): from a mapped-at-creation
 * source buffer, destroyed after the submit.
 * @example
 * write(ctx, buf, new Float32Array([1, 2, 3]));
 */
export function write(ctx: GpuContext, dst: GPUBuffer, data: ArrayBufferView): void {
  const bytes = data.byteLength;
  if (!bytes) return;
  queueStats.uploadedBytes += bytes;
  const u = ctx.constants.GPUBufferUsage;
  const padded = Math.ceil(bytes / 4) * 4;
  const b = openBatch(ctx);
  if (padded > UPLOAD_POOL_MAX_BYTES) {
    queueStats.transferBuffersCreated++;
    const src = ctx.device.createBuffer({ size: padded, usage: u.COPY_SRC, mappedAtCreation: true });
    new Uint8Array(src.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, bytes));
    src.unmap();
    copyInBatch(b, src, 0, dst, bytes);
    b.destroyAfter.push(src);
    return;
  }
  const size = Math.max(16, 2 ** Math.ceil(Math.log2(padded)));
  const src = takeFrom(uploadPools, ctx, size) ?? (queueStats.transferBuffersCreated++, ctx.device.createBuffer({ size, usage: u.COPY_SRC | u.COPY_DST }));
  const from = new Uint8Array(data.buffer, data.byteOffset, bytes);
  // A view of shared memory (the cpu backend's WebAssembly heap) or of an odd length is copied first.
  const view = padded === bytes && from.buffer instanceof ArrayBuffer ? (from as Uint8Array<ArrayBuffer>) : new Uint8Array(padded);
  if (view !== from) view.set(from);
  ctx.device.queue.writeBuffer(src, 0, view);
  copyInBatch(b, src, 0, dst, bytes);
  b.sources.push(src);
}

/**
 * Uploads up to this size go through pooled source buffers (sizes: powers of two), at most
 * `UPLOAD_KEEP` kept per size: a loop uploading a scalar per step made one buffer per step.
 */
const UPLOAD_POOL_MAX_BYTES = 64 << 10, UPLOAD_KEEP = 64;
const uploadPools = new WeakMap<GpuContext, Map<number, GPUBuffer[]>>();

function takeFrom(pools: WeakMap<GpuContext, Map<number, GPUBuffer[]>>, ctx: GpuContext, size: number): GPUBuffer | undefined {
  return pools.get(ctx)?.get(size)?.pop();
}

/** Keeps `buf` in its size's list of `pools` (at most `keep` per size), else destroys it. */
function releaseTo(pools: WeakMap<GpuContext, Map<number, GPUBuffer[]>>, ctx: GpuContext, buf: GPUBuffer, keep: number): void {
  let sizes = pools.get(ctx);
  if (!sizes) pools.set(ctx, (sizes = new Map()));
  const list = sizes.get(buf.size) ?? sizes.set(buf.size, []).get(buf.size)!;
  if (list.length < keep) list.push(buf);
  else buf.destroy();
}

/** Destroys `buf` after the submit of the open batch, which may reference it (rule 4). */
export function destroyAfterSubmit(ctx: GpuContext, buf: GPUBuffer): void {
  const b = batches.get(ctx);
  if (b) b.destroyAfter.push(buf);
  else buf.destroy();
}

/**
 * Staging buffers (bytes rounded up to 256) kept per size, for reads of up to 1 MB: up to 1 MB of
 * them per size, between 8 and 64 buffers. Reads of small values come many to a submission (a
 * State read back per step, `Executor.readBehind`, until a loop yields): with 8 kept, each
 * submission of 16 such reads made 8 new ones.
 */
const STAGING_MAX_BYTES = 1 << 20;
const stagingKeep = (size: number) => Math.min(64, Math.max(8, Math.floor(STAGING_MAX_BYTES / size)));

function acquireStaging(ctx: GpuContext, bytes: number): GPUBuffer {
  const size = Math.ceil(bytes / 256) * 256;
  const hit = takeFrom(stagingPools, ctx, size);
  if (hit) return hit;
  const u = ctx.constants.GPUBufferUsage;
  queueStats.transferBuffersCreated++;
  return ctx.device.createBuffer({ size, usage: u.MAP_READ | u.COPY_DST });
}

/** Returns an unmapped staging buffer (rule 3) to its pool, or destroys it. */
function releaseStaging(ctx: GpuContext, staging: GPUBuffer): void {
  if (staging.size <= STAGING_MAX_BYTES) releaseTo(stagingPools, ctx, staging, stagingKeep(staging.size));
  else staging.destroy();
}

/**
 * A staging buffer shared by the small reads of one batch: each copies into its own 8-byte aligned
 * range, and the buffer is mapped once for all of them (rule 5: by the first reader to resume
 * after the submit, when no read can join any more) and returned to its pool by the last (rule 3).
 * A loop that enqueues many steps per submission, each reading a value back (a State read back
 * behind, `Executor.readBehind`), paid one map per read: on Dawn's GL backend a map costs more than
 * the rest of a small jitted step.
 */
interface SharedStaging {
  readonly buf: GPUBuffer;
  used: number;
  /** Reads not yet done with their range. */
  readers: number;
  mapped: Promise<void> | null;
}

/** Reads up to this size share a staging buffer of `SHARED_STAGING_BYTES`. */
const SHARED_READ_MAX_BYTES = 256, SHARED_STAGING_BYTES = 4096;

/** The batch's shared staging buffer with room for `bytes` more (a new one when the last is full). */
function sharedStaging(ctx: GpuContext, b: Batch, bytes: number): SharedStaging {
  const last = b.staging[b.staging.length - 1];
  if (last && last.used + bytes <= SHARED_STAGING_BYTES) return last;
  const made: SharedStaging = { buf: acquireStaging(ctx, SHARED_STAGING_BYTES), used: 0, readers: 0, mapped: null };
  b.staging.push(made);
  return made;
}

/**
 * Reads `size` elements of `gpu` back as `dtype`: the copy is recorded into the batch now (so it
 * sees exactly the commands recorded before it), and its staging buffer is mapped once the batch
 * is submitted — every read of one turn rides the submission that computes the values, and their
 * maps resolve together (small reads share one staging buffer and one map). Errors are the
 * device's (webgpu-memory.ts's `readback` explains them).
 * @example
 * const host = await readDevice(ctx, dd.gpu, "float32", 16);
 */
export async function readDevice(ctx: GpuContext, gpu: GPUBuffer, dtype: DType, size: number, behind = false): Promise<TypedArray> {
  const out = allocTypedArray(dtype, size);
  if (size === 0) return out;
  const bytes = size * 4;
  const b = openBatch(ctx);
  // A read behind (webgpu-memory.ts's `readOutputBehind`) is counted as a read by whoever takes it.
  if (behind) queueStats.readsBehind++;
  else {
    queueStats.reads++;
    if (b.plans > 0) queueStats.batchedReads++;
  }
  if (bytes <= SHARED_READ_MAX_BYTES) {
    // Ranges start at multiples of 8 (mapAsync and getMappedRange offsets).
    const shared = sharedStaging(ctx, b, Math.ceil(bytes / 8) * 8);
    const offset = shared.used;
    shared.used += Math.ceil(bytes / 8) * 8;
    shared.readers++;
    copyInBatch(b, gpu, 0, shared.buf, bytes, offset);
    try {
      await b.submitted;
      await (shared.mapped ??= shared.buf.mapAsync(ctx.constants.GPUMapMode.READ, 0, shared.used));
    } catch (e) {
      if (--shared.readers === 0) destroyAfterSubmit(ctx, shared.buf);
      throw e;
    }
    toHost(shared.buf.getMappedRange(offset, bytes), dtype, out);
    if (--shared.readers === 0) {
      shared.buf.unmap();
      releaseStaging(ctx, shared.buf);
    }
    return out;
  }
  const staging = acquireStaging(ctx, bytes);
  copyInBatch(b, gpu, 0, staging, bytes);
  try {
    await b.submitted;
    await staging.mapAsync(ctx.constants.GPUMapMode.READ, 0, bytes);
  } catch (e) {
    destroyAfterSubmit(ctx, staging);
    throw e;
  }
  toHost(staging.getMappedRange(0, bytes), dtype, out);
  staging.unmap();
  releaseStaging(ctx, staging);
  return out;
}

/** Device words (a mapped range) into a host array of `dtype`. */
function toHost(range: ArrayBuffer, dtype: DType, out: TypedArray): void {
  // u32 words narrow into bool/uint8 bytes; int32 and uint32 words are copied as they are.
  if (dtype === "bool" || dtype === "uint8" || dtype === "uint32") out.set(new Uint32Array(range));
  else if (dtype === "int32") (out as Int32Array).set(new Int32Array(range));
  // f32 words → float16/bfloat16 bits (round half to even; exact, as every such result on the device is already rounded).
  else if (isBits16(dtype)) numbersToBits16(new Float32Array(range), out as Uint16Array, dtype);
  else out.set(new Float32Array(range));
}
