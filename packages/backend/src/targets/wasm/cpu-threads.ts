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

/** What the pool has done, updated by wasm-pool.ts: live workers, workers ever started, jobs split across threads. */
export const poolCounters = { workers: 0, spawned: 0, parallelJobs: 0 };

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

/**
 * The pool's state: threads, live workers, workers ever started (replacements included) and
 * jobs split across threads.
 * @example cpuPoolStats(); // { threads: 2, workers: 1, spawned: 1, parallelJobs: 120 }
 */
export function cpuPoolStats(): { threads: number; workers: number; spawned: number; parallelJobs: number } {
  return { threads: cpuThreads(), ...poolCounters };
}
