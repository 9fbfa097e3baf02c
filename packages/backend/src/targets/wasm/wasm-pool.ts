/**
 * The CPU worker pool: WebAssembly kernels over the one shared heap (host/heap.ts) run on the
 * calling thread and on persistent workers — worker_threads in Node, Web Workers in browsers when
 * `crossOriginIsolated`. `parallelFor` splits [0, n) into fixed chunks that threads claim one at a
 * time; every chunk is a disjoint output range computed by the same code, so the result is the same
 * bits for any thread count (chunk boundaries never change an element's arithmetic).
 *
 * The calling thread works too and waits with `Atomics.wait` for the chunks workers claimed, so a
 * synchronous `dataSync()` keeps working. Where blocking is not allowed (a browser's main thread)
 * or the heap is not shared, kernels run on the calling thread only: the pool is used when kiln
 * runs inside a Worker. Workers start lazily on the first parallel call, are `unref`ed (the pool
 * never keeps Node alive), a worker that dies is replaced on the next call, and workers beyond a
 * lowered thread count (cpu-threads.ts) stop at the next call.
 *
 * Protocol and import contract: wasm-pool-core.ts.
 */
import { KernelTrapError, ValueError, describeValue } from "@kiln/core";
import { cpuThreads, machineOversubscribed, poolCounters } from "./cpu-threads.js";
import { heap } from "../../host/heap.js";
import { CTL, type JobStage, MAX_CHUNKS, MAX_JOB_ARGS, type PoolImports, SEQ_MASK, poolCore, workerSource } from "./wasm-pool-core.js";

export { type PoolImports, type PoolImport, type MathFunctionName } from "./wasm-pool-core.js";

/** Chunks per thread: a thread that finishes early takes another, evening out uneven workers. */
const CHUNKS_PER_THREAD = 4;
/** Chunks per thread of a `fine` job (ParallelForOptions): claims stay ≪ 1% of a contraction task's time. */
const FINE_CHUNKS_PER_THREAD = 16;

/** The platform facts that decide whether workers can be used. */
export interface PoolEnvironment {
  /** The calling thread may block in `Atomics.wait` (not a browser's main thread). */
  readonly canBlock: boolean;
  /** The heap is a shared WebAssembly.Memory. */
  readonly sharedHeap: boolean;
  /** Workers can be created (worker_threads in Node, `Worker` in browsers). */
  readonly workers: boolean;
}

/**
 * Whether this thread may block in `Atomics.wait`: browsers forbid it on the main thread (it
 * throws a TypeError there), everywhere else a zero-timeout wait returns at once.
 * @example
 * canBlock(Atomics); // true in Node
 * canBlock({ wait: () => { throw new TypeError("not allowed"); } }); // false, as on a browser main thread
 */
export function canBlock(atomics: Pick<typeof Atomics, "wait">): boolean {
  if (typeof SharedArrayBuffer === "undefined") return false;
  try {
    atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Workers the pool runs besides the calling thread: `threads - 1` where all of blocking, a shared
 * heap and workers are available, else 0 (kernels run on the calling thread).
 * @example
 * poolWorkers(4, { canBlock: false, sharedHeap: true, workers: true }); // 0: a browser main thread
 */
export function poolWorkers(threads: number, env: PoolEnvironment): number {
  return env.canBlock && env.sharedHeap && env.workers ? threads - 1 : 0;
}

type NodeWorkerThreads = typeof import("node:worker_threads");

/** node:worker_threads, loaded on first use without a static import (browser bundles stay clean). */
function nodeWorkerThreads(): NodeWorkerThreads | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return (p?.getBuiltinModule?.("node:worker_threads") as NodeWorkerThreads | undefined) ?? null;
}

const hasWebWorkers = () => typeof (globalThis as { Worker?: unknown }).Worker === "function" && typeof URL.createObjectURL === "function";

interface Slot {
  post(message: unknown, transfer?: Transferable[]): void;
  /** A browser worker takes a "run" message per job (it cannot block on WAKE); a Node worker none. */
  readonly runMessage: boolean;
  terminate(): Promise<unknown>;
  /** Cleared by the worker's `exit`/`error` event: the slot is replaced on the next call. */
  alive: boolean;
  /** Module ids this worker has instantiated. */
  readonly modules: Set<number>;
}

interface ModuleEntry {
  readonly id: number;
  readonly imports: PoolImports;
  /** The module's exported functions by name, in the order a job names them (by index). */
  readonly names: readonly string[];
  instance: WebAssembly.Instance | null;
}

/** Modules remembered at most (workers are told to forget the oldest). */
const MODULE_CACHE = 512;

function spawnSlot(): Slot | null {
  const memory = heap!.memory;
  const wt = nodeWorkerThreads();
  if (wt) {
    const { port1, port2 } = new wt.MessageChannel();
    // execArgv []: the body is plain JavaScript, so loaders the parent runs under (tsx) are not needed.
    const w = new wt.Worker(workerSource(), { eval: true, workerData: { memory, port: port2 }, transferList: [port2], execArgv: [] });
    w.unref();
    port1.unref();
    const slot: Slot = { post: (m) => port1.postMessage(m), runMessage: false, terminate: () => w.terminate(), alive: true, modules: new Set() };
    const dead = () => ((slot.alive = false), countLive());
    w.on("exit", dead);
    w.on("error", dead);
    return slot;
  }
  if (!hasWebWorkers()) return null;
  const url = URL.createObjectURL(new Blob([workerSource()], { type: "text/javascript" }));
  const w = new Worker(url);
  URL.revokeObjectURL(url);
  const slot: Slot = { post: (m) => w.postMessage(m), runMessage: true, terminate: async () => w.terminate(), alive: true, modules: new Set() };
  w.onerror = () => ((slot.alive = false), countLive());
  w.postMessage({ kind: "init", memory });
  return slot;
}

/** Options of `parallelFor`. */
export interface ParallelForOptions {
  /**
   * The smallest chunk worth a thread, in loop indices (default 1). `n <= grain` runs on the
   * calling thread alone: waking a worker costs tens of microseconds. Chunks are whole multiples
   * of it, so every chunk starts at a multiple of `grain` (a contraction aligns its chunks to
   * cache lines so).
   */
  readonly grain?: number;
  /** The kernel's JS imports (PoolImport: Math functions by name, or self-contained sources); fixed per module at its first call. */
  readonly imports?: PoolImports;
  /**
   * FINE_CHUNKS_PER_THREAD chunks per thread (at least `grain` indices each) instead of
   * CHUNKS_PER_THREAD: for long jobs of sizeable indices (a contraction's tasks cover its whole
   * batch). The calling thread waits for every chunk a worker claimed, so the chunk a slow or
   * preempted worker holds last is what the call waits for; finer chunks bound it.
   */
  readonly fine?: boolean;
  /**
   * A second stage of the same export, run once every chunk of the first is done, in the same
   * pool job: its chunks call `export(...then.args, lo, hi)` over [0, then.n), at least `then.grain`
   * indices each (default 1). The threads go from one stage to the next without a wake-up in
   * between — a contraction's packing and then its tiles are one job. Both stages' arguments
   * together are at most the job's limit.
   */
  readonly then?: ParallelStage;
}

/** The second stage of a `parallelFor` job (ParallelForOptions.then). */
export interface ParallelStage {
  readonly args: readonly number[];
  readonly n: number;
  readonly grain?: number;
}

let environment: PoolEnvironment | null = null;
const slots: Slot[] = [];
const modules = new Map<WebAssembly.Module, ModuleEntry>();
let nextModuleId = 0;
let seq = 0;
let busy = false;

function env(): PoolEnvironment {
  environment ??= { canBlock: canBlock(Atomics), sharedHeap: !!heap?.shared, workers: !!nodeWorkerThreads() || hasWebWorkers() };
  return environment;
}

/** Replaces the detected environment (tests simulate a browser's main thread); `null` detects again. */
export function simulatePoolEnvironment(e: PoolEnvironment | null): void {
  environment = e;
}

/** Stops worker `i` as a crash would (tests of replacement); resolves once it has exited. */
export async function terminatePoolWorker(i: number): Promise<void> {
  const slot = slots[i];
  if (slot) (await slot.terminate(), (slot.alive = false), countLive());
}

/**
 * Stalls the pool's workers (tests): while held, a worker waits before claiming its next chunk, as
 * a worker pre-empted between two chunks (or not yet woken) would — the other threads take the
 * remaining chunks. `false` lets them go on.
 * @example holdPoolWorkers(true); parallelFor(m, "f", [], 64); holdPoolWorkers(false);
 */
export function holdPoolWorkers(hold: boolean): void {
  if (!heap) return;
  const ctl = new Int32Array(heap.memory.buffer, 0, CTL.WORDS);
  Atomics.store(ctl, CTL.HOLD, hold ? 1 : 0);
  if (!hold) Atomics.notify(ctl, CTL.HOLD);
}

/**
 * Waits (Atomics.wait, at most `timeoutMs`) until exactly `count` workers are held by
 * `holdPoolWorkers`; returns whether they are.
 * @example holdPoolWorkers(true); parallelFor(m, "f", [], 64); heldPoolWorkers(1, 5000); // true
 */
export function heldPoolWorkers(count: number, timeoutMs: number): boolean {
  if (!heap) return false;
  const ctl = new Int32Array(heap.memory.buffer, 0, CTL.WORDS);
  const end = performance.now() + timeoutMs;
  for (let held = Atomics.load(ctl, CTL.HELD); held !== count; held = Atomics.load(ctl, CTL.HELD)) {
    const left = end - performance.now();
    if (left <= 0) return false;
    Atomics.wait(ctl, CTL.HELD, held, left);
  }
  return true;
}

function countLive(): void {
  poolCounters.workers = slots.filter((s) => s.alive).length;
}

/** Stops workers beyond `count` (the thread count was lowered). */
function trimWorkers(count: number): void {
  if (slots.length <= count) return;
  for (const slot of slots.splice(count)) void slot.terminate();
  countLive();
}

/** Starts missing workers and replaces dead ones, up to `count`. */
function ensureWorkers(count: number): void {
  for (let i = 0; i < count; i++) {
    if (slots[i]?.alive) continue;
    const slot = spawnSlot();
    if (!slot) break;
    slots[i] = slot;
    poolCounters.spawned++;
  }
  countLive();
}

function entryOf(module: WebAssembly.Module, imports: PoolImports): ModuleEntry {
  let e = modules.get(module);
  if (e) return e;
  if (modules.size >= MODULE_CACHE) {
    const [oldModule, old] = modules.entries().next().value!;
    modules.delete(oldModule);
    for (const s of slots) if (s.modules.delete(old.id)) s.post({ kind: "forget", id: old.id });
  }
  const names = WebAssembly.Module.exports(module).filter((x) => x.kind === "function").map((x) => x.name);
  e = { id: nextModuleId++, imports, names, instance: null };
  modules.set(module, e);
  return e;
}

function exportOf(entry: ModuleEntry, module: WebAssembly.Module, name: string): (...args: number[]) => void {
  entry.instance ??= new WebAssembly.Instance(module, poolCore().importsFor(heap!.memory as WebAssembly.Memory, entry.imports));
  const f = entry.instance.exports[name];
  if (typeof f !== "function") throw new ValueError(`parallelFor: the module has no exported function "${name}"`);
  return f as (...args: number[]) => void;
}

const trapped = (name: string, e: unknown) =>
  new KernelTrapError(`the WebAssembly kernel "${name}" failed: ${e instanceof Error ? e.message : String(e)}`);

/**
 * Runs `module.exports[exportName](...args, lo, hi)` over disjoint chunks [lo, hi) covering
 * [0, n), on the calling thread and the pool's workers, and returns when every chunk is done. The
 * export must write only its chunk's outputs (then the result is the same for any thread count).
 * A chunk that traps or throws makes the call throw a KernelTrapError naming the export; the pool
 * stays usable.
 * @example
 * // (func (export "scale") (param $ptr i32) (param $lo i32) (param $hi i32) …) over a heap buffer:
 * parallelFor(module, "scale", [ptr], 1 << 20, { grain: 4096 });
 * // a kernel calling Math.exp imports it by name: (import "m" "exp" (func (param f64) (result f64)))
 * parallelFor(expModule, "expAll", [src, dst], n, { grain: 4096, imports: { m: { exp: "exp" } } });
 */
export function parallelFor(module: WebAssembly.Module, exportName: string, args: readonly number[], n: number, opts: ParallelForOptions = {}): void {
  if (!heap) throw new ValueError("parallelFor: WebAssembly is not available here");
  const stages = [checkedStage("", { args, n, grain: opts.grain }), ...(opts.then ? [checkedStage("then.", opts.then)] : [])];
  const nArgs = stages.reduce((sum, st) => sum + st.args.length, 0);
  if (nArgs > MAX_JOB_ARGS) throw new ValueError(`parallelFor: at most ${MAX_JOB_ARGS} arguments, got ${nArgs}`);
  const entry = entryOf(module, opts.imports ?? {});
  const f = exportOf(entry, module, exportName);
  const workers = poolWorkers(cpuThreads(), env());
  trimWorkers(workers);
  const worthSplitting = stages.some((st) => st.n > st.grain);
  // On an oversubscribed machine (default thread count only) the split stays home; workers are
  // kept for when the load falls (no trim: restarting them would cost more).
  const shed = workers > 0 && worthSplitting && !busy && machineOversubscribed(workers + 1);
  if (shed) poolCounters.loadShedJobs++;
  if (workers === 0 || !worthSplitting || busy || shed) {
    try {
      for (const st of stages) if (st.n > 0) f(...st.args, 0, st.n);
    } catch (e) {
      throw trapped(exportName, e);
    }
    return;
  }
  busy = true;
  try {
    runShared(module, entry, f, exportName, stages, workers, opts.fine ?? false);
  } finally {
    busy = false;
  }
}

interface Stage {
  readonly args: readonly number[];
  readonly n: number;
  readonly grain: number;
}

function checkedStage(prefix: string, st: ParallelStage): Stage {
  const { args, n } = st;
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`parallelFor: ${prefix}n must be a non-negative integer, got ${describeValue(n)}`);
  const grain = st.grain ?? 1;
  if (!Number.isInteger(grain) || grain < 1) throw new ValueError(`parallelFor: ${prefix}grain must be a positive integer, got ${describeValue(grain)}`);
  // Workers read the arguments back as int32 words (the job descriptor): i32 parameters only.
  for (const a of args) if ((a | 0) !== a && a >>> 0 !== a) throw new ValueError(`parallelFor: arguments must be 32-bit integers, got ${describeValue(a)}`);
  return { args, n, grain };
}

function runShared(
  module: WebAssembly.Module, entry: ModuleEntry, f: (...args: number[]) => void, name: string, stages: readonly Stage[], workers: number, fine: boolean,
): void {
  const core = poolCore();
  const buffer = heap!.memory.buffer;
  const ctl = new Int32Array(buffer, 0, CTL.JOB_AT / 4 + CTL.JOB_WORDS);
  const errorBytes = new Uint8Array(buffer, CTL.ERROR_AT, CTL.ERROR_BYTES);
  // Each stage's chunks stay within its share of MAX_CHUNKS (256 threads × 16 fine chunks per stage would not).
  const perStage = Math.min((workers + 1) * (fine ? FINE_CHUNKS_PER_THREAD : CHUNKS_PER_THREAD), Math.floor(MAX_CHUNKS / stages.length));
  const split: JobStage[] = stages.map(({ n, grain }) => {
    // A whole number of grains: chunks start at multiples of `grain` (a contraction's even pair counts: cache lines).
    const chunk = Math.ceil(Math.max(grain, Math.ceil(n / perStage)) / grain) * grain;
    return [n, chunk, Math.ceil(n / chunk)];
  });
  const nChunks = split.reduce((sum, st) => sum + st[2], 0);
  if (nChunks > MAX_CHUNKS) throw new Error(`parallelFor: ${nChunks} chunks exceed ${MAX_CHUNKS}`);
  ensureWorkers(workers);
  seq = (seq + 1) & SEQ_MASK;
  Atomics.store(ctl, CTL.ERROR, 0);
  Atomics.store(ctl, CTL.DONE, 0);
  Atomics.store(ctl, CTL.CLAIM, seq << 16);
  // A worker meets a module before its first job that uses it (messages stay in order).
  for (const slot of slots.slice(0, workers)) {
    if (slot.alive && !slot.modules.has(entry.id)) (slot.post({ kind: "module", id: entry.id, module, imports: entry.imports, names: entry.names }), slot.modules.add(entry.id));
  }
  const args = stages.map((st) => st.args);
  core.writeJob(ctl, entry.id, entry.names.indexOf(name), seq, split, args);
  for (const slot of slots.slice(0, workers)) if (slot.alive && slot.runMessage) slot.post({ kind: "run" });
  Atomics.add(ctl, CTL.WAKE, 1);
  Atomics.notify(ctl, CTL.WAKE);
  poolCounters.parallelJobs++;
  let own: unknown = undefined;
  let failed = false;
  const [args1, args2] = [args[0]!, args[1] ?? []];
  core.claimAndRun(ctl, seq, split, (lo, hi, stage) => (stage ? f(...args2, lo, hi) : f(...args1, lo, hi)), (e) => {
    if (!failed) (own = e), (failed = true);
    core.recordError(ctl, errorBytes, String(e));
  }, false);
  // Seal the job: chunks no thread has claimed yet never will be; wait for those that were.
  const claimed = Math.min(Atomics.exchange(ctl, CTL.CLAIM, (seq << 16) | 0xffff) & 0xffff, nChunks);
  for (let done = Atomics.load(ctl, CTL.DONE); done < claimed; done = Atomics.load(ctl, CTL.DONE)) Atomics.wait(ctl, CTL.DONE, done);
  if (failed) throw trapped(name, own);
  if (Atomics.load(ctl, CTL.ERROR) !== 0) throw trapped(name, `${core.readError(ctl, errorBytes)} (on a worker thread)`);
}
