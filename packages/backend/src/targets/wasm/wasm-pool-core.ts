/**
 * The code both sides of the worker pool run, as one JavaScript source: the worker body evaluates
 * it inside each worker, and the calling thread evaluates the same text once (`poolCore`), so the
 * chunk-claiming protocol and the import contract exist exactly once — a worker and the caller can
 * never disagree about either. It is a string rather than TypeScript because a worker must start
 * from source text (`new Worker(src, { eval: true })` in Node, a Blob URL in browsers) whether kiln
 * runs from its TypeScript sources or from dist, and a bundler may rename or wrap a function's own
 * `toString()`.
 *
 * Control block (int32 words at byte 0 of the heap, below ARENA_BASE — see host/heap.ts):
 *   WAKE  bumped once per job; idle workers block in `Atomics.wait` on it,
 *   CLAIM (job sequence << 16) | next chunk index; a thread takes a chunk by compare-exchange, so a
 *         worker still holding an old job's message can never take a chunk of a newer job,
 *   DONE  chunks finished (the caller waits on it),
 *   ERROR 0, or 1 once some chunk threw (the first error's text is at ERROR_AT, ERROR_BYTES long).
 */

/** Word indices and byte areas of the control block (it fits below ARENA_BASE: wasm-pool.test.ts). */
export const CTL = { WAKE: 0, CLAIM: 1, DONE: 2, ERROR: 3, ERROR_LEN: 4, WORDS: 16, ERROR_AT: 64, ERROR_BYTES: 1024 } as const;

/** Chunks per job are at most this (the 16 low bits of CLAIM; 0xffff marks a sealed job). */
export const MAX_CHUNKS = 4096;
/** Job sequence numbers live in CLAIM's 16 high bits. */
export const SEQ_MASK = 0xffff;

export type MathFunctionName = {
  [K in keyof Math]: Math[K] extends (...args: never[]) => number ? K : never;
}[keyof Math];

/**
 * One function a pool kernel imports, described so that every thread can build it: a JS closure
 * cannot be sent to a worker. A `Math` function by name (`"exp"`: every thread's own `Math.exp`,
 * the same results), or the source of a self-contained function expression
 * (`{ source: "(a, b) => a % b" }`, evaluated once per thread and module; it may use only globals).
 */
export type PoolImport = MathFunctionName | { readonly source: string };

/**
 * A kernel's JS imports per import module: `{ m: { exp: "exp", fmod: { source: "(a, b) => a % b" } } }`
 * gives it `m.exp` and `m.fmod` on every thread.
 */
export type PoolImports = Readonly<Record<string, Readonly<Record<string, PoolImport>>>>;

/** What `poolCore` evaluates to on the calling thread. */
export interface PoolCore {
  /** The imports object of a kernel: `env.memory` plus each described function (PoolImport). */
  importsFor(memory: WebAssembly.Memory, names: PoolImports): WebAssembly.Imports;
  /**
   * Claims chunks of job `seq` until none are left (or some chunk failed), running
   * `run(lo, hi)` on each and counting it in DONE; `fail` receives what a chunk threw.
   */
  claimAndRun(ctl: Int32Array, seq: number, n: number, chunk: number, nChunks: number, run: (lo: number, hi: number) => void, fail: (e: unknown) => void): void;
  /** Records the first failure's text in the control block (later ones are dropped). */
  recordError(ctl: Int32Array, bytes: Uint8Array, text: string): void;
  /** The recorded failure's text. */
  readError(ctl: Int32Array, bytes: Uint8Array): string;
}

const CORE_SOURCE = String.raw`
const CTL = ${JSON.stringify(CTL)};
function importsFor(memory, names) {
  const out = { env: { memory } };
  for (const mod of Object.keys(names)) {
    const fns = {};
    for (const field of Object.keys(names[mod])) {
      const spec = names[mod][field];
      const f = typeof spec === "string" ? Math[spec] : new Function("return (" + spec.source + ");")();
      if (typeof f !== "function") throw new TypeError("pool import " + mod + "." + field + " is not a function: " + JSON.stringify(spec));
      fns[field] = f;
    }
    out[mod] = fns;
  }
  return out;
}
function claimAndRun(ctl, seq, n, chunk, nChunks, run, fail) {
  for (;;) {
    if (Atomics.load(ctl, CTL.ERROR) !== 0) return;
    const cur = Atomics.load(ctl, CTL.CLAIM);
    const c = cur & 0xffff;
    if ((cur >>> 16) !== seq || c >= nChunks) return;
    if (Atomics.compareExchange(ctl, CTL.CLAIM, cur, cur + 1) !== cur) continue;
    const lo = c * chunk;
    try {
      run(lo, Math.min(n, lo + chunk));
    } catch (e) {
      fail(e);
    }
    Atomics.add(ctl, CTL.DONE, 1);
    Atomics.notify(ctl, CTL.DONE);
  }
}
function recordError(ctl, bytes, text) {
  if (Atomics.compareExchange(ctl, CTL.ERROR, 0, 1) !== 0) return;
  const encoded = new TextEncoder().encode(text).subarray(0, CTL.ERROR_BYTES);
  bytes.set(encoded);
  Atomics.store(ctl, CTL.ERROR_LEN, encoded.length);
}
function readError(ctl, bytes) {
  return new TextDecoder().decode(bytes.slice(0, Atomics.load(ctl, CTL.ERROR_LEN)));
}
`;

/**
 * The worker's own part: instantiate modules as they arrive (cached by id), run the latest job's
 * chunks. In Node the worker blocks in `Atomics.wait` between jobs and drains its MessagePort with
 * `receiveMessageOnPort` after each wake-up (no event-loop turn between a job and its start); a
 * browser worker has no `receiveMessageOnPort` and takes its messages as events instead. Only the
 * last job of a drained batch can be current: the caller waits for each job before the next.
 */
const WORKER_SOURCE = String.raw`"use strict";
${CORE_SOURCE}
function makeHandler(memory) {
  const ctl = new Int32Array(memory.buffer, 0, CTL.WORDS);
  const errorBytes = new Uint8Array(memory.buffer, CTL.ERROR_AT, CTL.ERROR_BYTES);
  const instances = new Map();
  return function handle(messages) {
    let job = null;
    for (const m of messages) {
      if (m.kind === "module") {
        try {
          instances.set(m.id, new WebAssembly.Instance(m.module, importsFor(memory, m.imports)));
        } catch {
          // Claim nothing for this module: the calling thread runs its chunks.
        }
      } else if (m.kind === "forget") {
        instances.delete(m.id);
      } else {
        job = m;
      }
    }
    const f = job && instances.get(job.id)?.exports[job.name];
    if (typeof f !== "function") return;
    const args = job.args;
    claimAndRun(ctl, job.seq, job.n, job.chunk, job.nChunks, (lo, hi) => f(...args, lo, hi), (e) =>
      recordError(ctl, errorBytes, String(e && e.message ? e.message : e)));
  };
}
if (typeof require === "function") {
  const wt = require("node:worker_threads");
  const { memory, port } = wt.workerData;
  const handle = makeHandler(memory);
  const ctl = new Int32Array(memory.buffer, 0, CTL.WORDS);
  for (;;) {
    const wake = Atomics.load(ctl, CTL.WAKE);
    const messages = [];
    for (let r = wt.receiveMessageOnPort(port); r; r = wt.receiveMessageOnPort(port)) messages.push(r.message);
    if (messages.length) handle(messages);
    Atomics.wait(ctl, CTL.WAKE, wake);
  }
} else {
  let handle = null;
  self.onmessage = (e) => {
    if (e.data.kind === "init") handle = makeHandler(e.data.memory);
    else if (handle) handle([e.data]);
  };
}
`;

/** The worker body's source text. */
export const workerSource = (): string => WORKER_SOURCE;

let core: PoolCore | null = null;
/** The protocol functions for the calling thread, evaluated from the same text as the workers'. */
export function poolCore(): PoolCore {
  core ??= new Function(`${CORE_SOURCE}\nreturn { importsFor, claimAndRun, recordError, readError };`)() as PoolCore;
  return core;
}
