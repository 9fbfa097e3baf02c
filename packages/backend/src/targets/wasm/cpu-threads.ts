/**
 * How many threads the CPU backend's kernels use: the public setting (`setCpuThreads`,
 * `init({ cpu: { threads } })`) and the pool's counters, apart from the pool itself
 * (wasm-pool.ts) so that the public declarations name no WebAssembly types: a consumer type-checking
 * without the DOM library has no `WebAssembly` namespace.
 */
import { ValueError, describeValue } from "@kiln/core";

/** Threads the option accepts at most (a job's chunks, 4 per thread, stay below the pool's 4096). */
export const MAX_THREADS = 256;

let threads: number | null = null;
let hardware: number | null = null;

/**
 * What the pool has done, updated by wasm-pool.ts: live workers, workers ever started, jobs split
 * across threads, and jobs kept on the calling thread because the machine was oversubscribed
 * (`machineOversubscribed`).
 */
export const poolCounters = { workers: 0, spawned: 0, parallelJobs: 0, loadShedJobs: 0 };

/** The hardware thread count: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in browsers. */
export function hardwareThreads(): number {
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:os") as
    | typeof import("node:os")
    | undefined;
  const n = os?.availableParallelism?.() ?? (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(MAX_THREADS, n));
}

/**
 * Sets the threads CPU kernels run on, the calling thread included (default: the hardware's
 * count). `1` runs every kernel on the calling thread; workers beyond the count stop at the next
 * kernel call. Also `init({ cpu: { threads } })`; docs/backends.md "CPU threads".
 * @example
 * setCpuThreads(1); // every kernel on the calling thread
 * setCpuThreads(4);
 */
export function setCpuThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new ValueError(`setCpuThreads: threads must be an integer from 1 to ${MAX_THREADS}, got ${describeValue(n)}`);
  }
  threads = n;
}

/**
 * Runs `f` with the CPU thread count set to `n`, restoring the previous setting after (tests and
 * benchmarks comparing thread counts).
 * @example withCpuThreads(1, () => np.matmul(a, b).dataSync()); // the single-threaded reference
 */
export function withCpuThreads<R>(n: number, f: () => R): R {
  const before = threads;
  setCpuThreads(n);
  try {
    return f();
  } finally {
    threads = before;
  }
}

/**
 * The threads CPU kernels use: the configured count, or the hardware's (`os.availableParallelism()`,
 * `navigator.hardwareConcurrency`). Kernels still run on one thread where the pool cannot work
 * (a browser's main thread, no shared memory: see `cpuPoolStats().workers`).
 * @example cpuThreads(); // 2 on a 2-core machine
 */
export function cpuThreads(): number {
  hardware ??= hardwareThreads();
  return threads ?? hardware;
}

/** Re-read the load average at most this often (ms): `os.loadavg()` reads /proc. */
const LOAD_READ_MS = 1000;
let simulatedLoad: number | null = null;
let loadReadAt = -Infinity;
let oversubscribed = false;

/** Replaces the machine's 1-minute load average (tests); `null` reads the real one again. */
export function simulateLoadAverage(load: number | null): void {
  simulatedLoad = load;
  loadReadAt = -Infinity;
}

/**
 * Whether split work should stay on the calling thread because the machine is oversubscribed: only
 * with the default thread count (an explicit `setCpuThreads` is obeyed), and only where a load
 * average exists (Node on Unix). Oversubscribed means that, discounting this process's own
 * `threads`, the 1-minute load average still reaches the hardware's thread count: every core is
 * busy with other work, so a worker mostly waits for a core, and the wake-ups, waits and
 * cross-core traffic of a split cost more than its second thread gives (W3 at load ~5 on 2 cores:
 * 206–216 steps/s on one thread vs 185–187 on two, interleaved). libgomp's `OMP_DYNAMIC` reads the
 * load average for the same decision.
 * @example machineOversubscribed(2); // false on an idle machine
 */
export function machineOversubscribed(threadsNow: number): boolean {
  if (threads !== null) return false;
  const now = performance.now();
  if (now - loadReadAt < LOAD_READ_MS) return oversubscribed;
  loadReadAt = now;
  let load = simulatedLoad;
  if (load === null) {
    const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:os") as
      | typeof import("node:os")
      | undefined;
    // Windows reports [0, 0, 0]: never oversubscribed there.
    load = os?.loadavg?.()[0] ?? 0;
  }
  hardware ??= hardwareThreads();
  oversubscribed = load - threadsNow >= hardware;
  return oversubscribed;
}

/**
 * Runs `f` with the default thread count (the hardware's, load-adaptive: `machineOversubscribed`),
 * restoring the previous setting after.
 * @example withDefaultCpuThreads(() => step(x, y).itemSync());
 */
export function withDefaultCpuThreads<R>(f: () => R): R {
  const before = threads;
  threads = null;
  try {
    return f();
  } finally {
    threads = before;
  }
}

/**
 * The pool's state: threads, live workers, workers ever started (replacements included) and
 * jobs split across threads.
 * @example cpuPoolStats(); // { threads: 2, workers: 1, spawned: 1, parallelJobs: 120, loadShedJobs: 0 }
 */
export function cpuPoolStats(): { threads: number; workers: number; spawned: number; parallelJobs: number; loadShedJobs: number } {
  return { threads: cpuThreads(), ...poolCounters };
}
