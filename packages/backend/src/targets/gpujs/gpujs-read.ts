/**
 * Reading GPU.js output textures back (WebGL, pipeline mode). Synchronous reads are GPU.js's own
 * (`readPixels` into a typed array: the caller waits for the GPU). The asynchronous read is WebGL2's
 * non-blocking pattern, which GPU.js uses only for the outputs of kernels it runs in its `async`
 * mode, not for textures: `readPixels` into a PIXEL_PACK_BUFFER (returns at once), a fence, then
 * `getBufferSubData` once the fence has signalled — polled from the event loop, so the page keeps
 * running while the GPU finishes.
 *
 * A fence is reported late: Chromium's GPU process polls its queries, so a WebGL2 fence reads as
 * signalled 1–5 ms after the GPU finished (measured on SwiftShader: a pass whose values were ready
 * 12 ms before took 4 ms more to read as signalled), which was a quarter of W2's `await data()` at
 * n = 256. So a read blocks once its GPU work is due soon (`ReadOptions.blockNow`; gpujs.ts asks
 * `readBlocks` with the plan's learned `ReadTimes` and `blockingReadMs`): work due within it at the
 * start flushes, yields one task to the event loop, then reads blocking; longer work polls its fence
 * until it is due within it, then blocks. The page is held for at most about `blockingReadMs`, and
 * the values arrive when the GPU is done.
 */
import { BackendUnavailableError, type DType, KernelCompileError, type TypedArray } from "@kiln/core";
import { allocTypedArray } from "../../storage.js";

/** A GPU.js output texture (pipeline mode), as kiln uses it. */
export interface GpujsTexture {
  type: string;
  dimensions: number[];
  output: number[];
  readonly size: readonly [number, number];
  readonly texture: WebGLTexture;
  readonly context: unknown;
  toArray(): unknown;
  /** The texture's RGBA float32 pixels, row by row (GPU.js's float textures). */
  renderRawOutput?(): Float32Array;
  /** The framebuffer GPU.js reads the texture through. */
  framebuffer?(): WebGLFramebuffer;
  delete(): void;
}

export const isTexture = (v: unknown): v is GpujsTexture =>
  typeof v === "object" && v !== null && !ArrayBuffer.isView(v) && typeof (v as GpujsTexture).toArray === "function";

/** GPU.js's name for a float texture of four values per RGBA texel, read as a flat array. */
export const FLAT_TEXTURE = "MemoryOptimizedNumberTexture";

/**
 * A texture's first `n` values. Four-per-texel textures are read as raw pixels (their values in
 * order; GPU.js's `toArray` of an `Array(4)` output would build one small array per texel).
 * @example readTexture(texture, 6); // Float32Array(6)
 */
export function readTexture(t: GpujsTexture, n: number): unknown {
  return t.type === FLAT_TEXTURE && t.renderRawOutput ? t.renderRawOutput().subarray(0, n) : t.toArray();
}

/** How an asynchronous read waits for the GPU. */
export interface ReadOptions {
  /**
   * Whether the GPU work is now expected to finish soon enough to read blocking (asked when the
   * read starts and at each poll of its fence): then the read stops waiting on the fence — whose
   * signal Chromium reports late — and reads blocking (at the start, after one task). Default: the
   * fence alone.
   */
  readonly blockNow?: () => boolean;
}

/**
 * A texture's first `n` values without blocking on the GPU (WebGL2: pixel-pack buffer + fence,
 * or `blockNow`); on WebGL1 or for another texture kind, the synchronous read.
 * @example await readTextureAsync(texture, 6); // Float32Array(6)
 */
export async function readTextureAsync(t: GpujsTexture, n: number, opts: ReadOptions = {}): Promise<unknown> {
  const gl = t.context as WebGL2RenderingContext;
  if (t.type !== FLAT_TEXTURE || !t.framebuffer || typeof gl?.fenceSync !== "function") return readTexture(t, n);
  return (await readRawPacked([t], opts))[0]!.subarray(0, n);
}

/**
 * Float textures' RGBA texels, row by row: without blocking on the GPU on WebGL2 (each texture's
 * `readPixels` into its range of one pixel-pack buffer, one fence, one `getBufferSubData`: one
 * read however many textures; or blocking, once `blockNow`), else GPU.js's blocking
 * `readPixels` per texture.
 * @example const [r0, r1] = await readTexturesRaw([bk0, bk1]); // Float32Array(w · h · 4) each
 */
export async function readTexturesRaw(ts: readonly GpujsTexture[], opts: ReadOptions = {}): Promise<Float32Array[]> {
  const gl = ts[0]?.context as WebGL2RenderingContext | undefined;
  if (ts.some((t) => !t.framebuffer) || typeof gl?.fenceSync !== "function") return ts.map(readRaw);
  return readRawPacked(ts, opts);
}

/**
 * `readTexturesRaw`, blocking: on WebGL2 the same single pixel-pack buffer read (one round trip
 * to the GPU instead of one `readPixels` per texture).
 * @example const [r0, r1] = readTexturesRawSync([bk0, bk1]);
 */
export function readTexturesRawSync(ts: readonly GpujsTexture[]): Float32Array[] {
  const gl = ts[0]?.context as WebGL2RenderingContext | undefined;
  if (ts.length < 2 || ts.some((t) => !t.framebuffer) || typeof gl?.fenceSync !== "function") return ts.map(readRaw);
  return readRawPacked(ts, "now");
}

/** A float texture's RGBA texels, row by row (blocking `readPixels`). */
export function readRaw(t: GpujsTexture): Float32Array {
  if (!t.renderRawOutput) throw new KernelCompileError(`GPU.js texture of type ${t.type} has no raw read`);
  return t.renderRawOutput();
}

/**
 * One pixel-pack buffer read of `ts`: `"now"` takes the values at once (blocking); an asynchronous
 * read takes them once its fence has signalled, or blocking once `blockNow()` (checked after one
 * task, then at each poll).
 */
function readRawPacked(ts: readonly GpujsTexture[], wait: "now"): Float32Array[];
function readRawPacked(ts: readonly GpujsTexture[], wait: ReadOptions): Promise<Float32Array[]>;
function readRawPacked(ts: readonly GpujsTexture[], wait: "now" | ReadOptions): Promise<Float32Array[]> | Float32Array[] {
  const gl = ts[0]!.context as WebGL2RenderingContext;
  const offsets: number[] = [];
  let total = 0;
  for (const t of ts) offsets.push(total), (total += t.size[0] * t.size[1] * 4);
  const pbo = gl.createBuffer();
  const take = (): Float32Array[] => {
    const all = new Float32Array(total);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
    gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, all);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    return ts.map((t, i) => all.subarray(offsets[i]!, offsets[i]! + t.size[0] * t.size[1] * 4));
  };
  try {
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
    gl.bufferData(gl.PIXEL_PACK_BUFFER, total * 4, gl.STREAM_READ);
    ts.forEach((t, i) => {
      gl.bindFramebuffer(gl.FRAMEBUFFER, t.framebuffer!());
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, t.texture, 0);
      gl.readPixels(0, 0, t.size[0], t.size[1], gl.RGBA, gl.FLOAT, offsets[i]! * 4);
    });
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  } catch (e) {
    gl.deleteBuffer(pbo);
    throw e;
  }
  if (wait === "now") {
    try {
      return take();
    } finally {
      gl.deleteBuffer(pbo);
    }
  }
  // Queued commands run while the page has its task (a fence, moreover, is only queued: without a
  // flush the driver may never run the commands before it).
  const blockNow = wait.blockNow;
  const sync = blockNow?.() ? null : gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0)!;
  gl.flush();
  const done = sync ? signalled(gl, sync, blockNow).finally(() => gl.deleteSync(sync)) : blockAfterTask(gl);
  return done.then(take).finally(() => gl.deleteBuffer(pbo));
}

/** Resolves after one task, for a blocking read (rejects if the context was lost meanwhile). */
function blockAfterTask(gl: WebGL2RenderingContext): Promise<void> {
  counts.blockingReads++;
  return new Promise((resolve, reject) => nextTask(() => (gl.isContextLost() ? reject(contextLost()) : resolve())));
}

const contextLost = () => new BackendUnavailableError("the WebGL context was lost while reading a GPU.js result");

/**
 * Resolves when the fence has signalled — or, not yet signalled, when `blockNow()` (the read then
 * blocks) — polling once per macrotask (a zero-timeout wait never blocks): on a message channel
 * for the first `FAST_POLL_MS`, then every ~`SLOW_POLL_MS` on a timer set from a message-channel
 * task (so the timer is never nested in a timer, never clamped to 4 ms).
 */
function signalled(gl: WebGL2RenderingContext, sync: WebGLSync, blockNow?: () => boolean): Promise<void> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (gl.isContextLost()) return reject(contextLost());
      const status = gl.clientWaitSync(sync, 0, 0);
      if (status === gl.ALREADY_SIGNALED || status === gl.CONDITION_SATISFIED) return resolve();
      if (status === gl.WAIT_FAILED) return reject(new BackendUnavailableError("clientWaitSync failed while reading a GPU.js result"));
      if (blockNow?.()) return counts.blockingReads++, resolve();
      if (performance.now() - t0 < FAST_POLL_MS) nextTask(poll);
      else nextTask(() => setTimeout(poll, SLOW_POLL_MS));
    };
    poll();
  });
}

/**
 * How long a read polls its fence on a message channel before it falls back to timers. A poll
 * loop's `setTimeout(0)` is clamped to ≥ 4 ms once nested (HTML's timer rule), which was most of
 * a small product's `await data()` (~10 ms against 0.6 ms read synchronously, measured on
 * SwiftShader); a message is the next macrotask at once, and the page still runs between polls.
 * Past this, a longer GPU job is waited for without spinning the event loop, which would take a CPU
 * core from a software rasterizer's threads: polls ~`SLOW_POLL_MS` apart, each timer set from a
 * message-channel task, which HTML does not count as timer nesting — a poll loop of timers alone
 * is clamped to 4 ms, up to 4 ms late for a job of ~10 ms (W2 at n = 256, session 29).
 */
const FAST_POLL_MS = 1, SLOW_POLL_MS = 1;

let channel: { port: MessagePort; queue: (() => void)[] } | null = null;

/** Runs `f` as the next macrotask through a MessageChannel (no clamping), or a timer where there is none. */
function nextTask(f: () => void): void {
  if (typeof MessageChannel === "undefined") return void setTimeout(f, 0);
  if (!channel) {
    const ch = new MessageChannel(), queue: (() => void)[] = [];
    ch.port1.onmessage = () => queue.shift()?.();
    // Node: an open port would keep the process alive.
    (ch.port1 as { unref?: () => void }).unref?.();
    channel = { port: ch.port2, queue };
  }
  channel.queue.push(f);
  channel.port.postMessage(null);
}

const counts = { readbacks: 0, asyncReadbacks: 0, blockingReads: 0 };

/** Counts a GPU.js result brought to a JavaScript array (`async`: without blocking on the GPU). */
export function countGpujsReadback(async = false): void {
  counts.readbacks++;
  if (async) counts.asyncReadbacks++;
}

/**
 * @internal The readbacks so far (`gpujsStats`); `blockingReads`: asynchronous reads that, expected
 * to finish soon, read blocking after one task instead of waiting on a fence.
 */
export function readbackCounts(): { readbacks: number; asyncReadbacks: number; blockingReads: number } {
  return { ...counts };
}

/**
 * A texture's first `size` values as a new array of `dtype` (one readback; `readPixels` waits for the GPU).
 * @example readTextureAs("buffer 3", texture, "float32", 6); // Float32Array(6)
 */
export function readTextureAs(name: string, t: GpujsTexture, dtype: DType, size: number): TypedArray {
  const a = allocTypedArray(dtype, size);
  countGpujsReadback();
  checkedCopy(name, readTexture(t, size), a);
  return a;
}

/**
 * Expected times from a plan's submission to its values read back, per key (a plan), learned
 * from its reads: the least seen, allowed to grow by a quarter per read (the machine's load
 * changes). An observation is only taken from a read asked for before the work was expected to be
 * done: a value read long after its plan ran says nothing of the plan's time.
 * @example
 * const times = new ReadTimes<Plan>();
 * const t0 = performance.now(); run(plan); await read(plan);
 * times.observe(plan, t0, t0, performance.now()); times.expect(plan); // ms, or undefined before the first read
 */
export class ReadTimes<K extends object> {
  readonly #ms = new WeakMap<K, number>();

  /** The expected time from submission to values read back, in ms (undefined: never observed). */
  expect(key: K): number | undefined {
    return this.#ms.get(key);
  }

  /** A read of `key`'s work submitted at `submitted`, asked for at `asked`, done at `done` (performance.now() times). */
  observe(key: K, submitted: number, asked: number, done: number): void {
    const e = this.#ms.get(key);
    if (e !== undefined && asked - submitted > e) return;
    const ms = done - submitted;
    this.#ms.set(key, e === undefined ? ms : Math.min(ms, e * 1.25));
  }
}

/**
 * Whether a read whose work was submitted at `submitted` and is expected to take `expectMs` in all
 * should block (after one task) instead of waiting on a fence: it is expected to be done within
 * `limitMs` from now (a limit of 0: never).
 * @example readBlocks(performance.now(), 9, 16); // true
 */
export function readBlocks(submitted: number, expectMs: number | undefined, limitMs: number): boolean {
  return limitMs > 0 && expectMs !== undefined && submitted + expectMs - performance.now() <= limitMs;
}

/**
 * `readTextureAs` without blocking on the GPU (`readTextureAsync`).
 * @example await readTextureAsAsync("a result", texture, "float32", 6); // Float32Array(6)
 */
export async function readTextureAsAsync(name: string, t: GpujsTexture, dtype: DType, size: number, opts: ReadOptions = {}): Promise<TypedArray> {
  const a = allocTypedArray(dtype, size);
  countGpujsReadback(true);
  checkedCopy(name, await readTextureAsync(t, size, opts), a);
  return a;
}

/** Copies a kernel result (read back) into `dst`, checking it is what the kernel writes. */
export function checkedCopy(name: string, values: unknown, dst: TypedArray): void {
  if (!(values instanceof Float32Array) || values.length !== dst.length) {
    throw new KernelCompileError(`kernel ${name}: GPU.js returned ${describe(values)}, expected Float32Array(${dst.length})`);
  }
  dst.set(values);
}

function describe(v: unknown): string {
  return v && typeof v === "object" ? `${v.constructor.name}(${(v as { length?: number }).length ?? "?"})` : typeof v;
}
