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
 *         worker still reading an old job can never take a chunk of a newer job,
 *   DONE  chunks finished (the caller waits on it),
 *   ERROR 0, or 1 once some chunk threw (the first error's text is at ERROR_AT, ERROR_BYTES long),
 *   HOLD  nonzero: workers wait before each claim until it is 0 again (tests stall workers with it,
 *         `holdPoolWorkers`); HELD counts the workers waiting so.
 * The current job is a descriptor at JOB_AT (JOB): written by the calling thread under a sequence
 * lock (VERSION odd while it writes), read by a worker after each wake-up — a job posts no message.
 *
 * Scheduling is dynamic: every thread, the caller included, claims the next unclaimed chunk from
 * CLAIM when it is free, so the chunks of a worker that wakes late, or is pre-empted between two
 * chunks, are taken by the others; the caller only ever waits for chunks some thread has started
 * (each chunk runs exactly once, so a kernel may update its output in place).
 *
 * A job may have two stages (a contraction's packing, then its tiles that read the packed panels):
 * the second stage's chunks follow the first's in CLAIM's numbering, and a thread that claims a
 * second-stage chunk first waits until DONE counts every first-stage chunk (all of them were claimed
 * before it, so it waits only for chunks other threads are running). One wake-up per two-stage job
 * instead of two jobs: the worker goes from packing to tiles without sleeping in between.
 */

/** Word indices and byte areas of the control block (it fits below ARENA_BASE: wasm-pool.test.ts). */
export const CTL = {
  WAKE: 0, CLAIM: 1, DONE: 2, ERROR: 3, ERROR_LEN: 4, HOLD: 5, HELD: 6, WORDS: 16, ERROR_AT: 64, ERROR_BYTES: 1024, JOB_AT: 2048, JOB_WORDS: 512,
} as const;

/** Word offsets of the job descriptor (at CTL.JOB_AT); its `args` follow ARGS. */
export const JOB = {
  VERSION: 0, ID: 1, NAME: 2, SEQ: 3, N: 4, CHUNK: 5, N_CHUNKS: 6, N_ARGS: 7, N2: 8, CHUNK2: 9, N_CHUNKS2: 10, N_ARGS2: 11, ARGS: 12,
} as const;
/** Arguments a job passes at most (besides lo and hi), both stages' together (the second stage's follow the first's). */
export const MAX_JOB_ARGS = CTL.JOB_WORDS - JOB.ARGS;

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

/** One stage of a job: [n, chunk, nChunks] — indices [0, n) in nChunks chunks of `chunk`. */
export type JobStage = readonly [n: number, chunk: number, nChunks: number];

/** What `poolCore` evaluates to on the calling thread. */
export interface PoolCore {
  /** The imports object of a kernel: `env.memory` plus each described function (PoolImport). */
  importsFor(memory: WebAssembly.Memory, names: PoolImports): WebAssembly.Imports;
  /**
   * Claims chunks of job `seq` until none are left (or some chunk failed), running
   * `run(lo, hi, stage)` on each and counting it in DONE; `fail` receives what a chunk threw. The
   * job's `stages` are [n, chunk, nChunks] each (one or two; see the file's comment). A worker
   * (`worker` true) first waits while HOLD is set.
   */
  claimAndRun(ctl: Int32Array, seq: number, stages: readonly JobStage[], run: (lo: number, hi: number, stage: number) => void, fail: (e: unknown) => void, worker: boolean): void;
  /** Writes the job descriptor (under its sequence lock): a stage's arguments with its [n, chunk, nChunks]. */
  writeJob(ctl: Int32Array, id: number, name: number, seq: number, stages: readonly JobStage[], args: readonly (readonly number[])[]): void;
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
// Spins on DONE at a stage boundary before sleeping on it: the first stage's last chunks are
// micro-seconds long, a futex round trip is not.
const BARRIER_SPINS = 2000;
function claimAndRun(ctl, seq, stages, run, fail, worker) {
  const first = stages[0][2], total = first + (stages.length > 1 ? stages[1][2] : 0);
  for (;;) {
    if (worker && Atomics.load(ctl, CTL.HOLD) !== 0) {
      Atomics.add(ctl, CTL.HELD, 1);
      Atomics.notify(ctl, CTL.HELD);
      for (let h = Atomics.load(ctl, CTL.HOLD); h !== 0; h = Atomics.load(ctl, CTL.HOLD)) Atomics.wait(ctl, CTL.HOLD, h);
      Atomics.sub(ctl, CTL.HELD, 1);
      Atomics.notify(ctl, CTL.HELD);
    }
    if (Atomics.load(ctl, CTL.ERROR) !== 0) return;
    const cur = Atomics.load(ctl, CTL.CLAIM);
    const c = cur & 0xffff;
    if ((cur >>> 16) !== seq || c >= total) return;
    if (Atomics.compareExchange(ctl, CTL.CLAIM, cur, cur + 1) !== cur) continue;
    const stage = c < first ? 0 : 1;
    if (stage === 1) {
      let spins = 0;
      for (let d = Atomics.load(ctl, CTL.DONE); d < first; d = Atomics.load(ctl, CTL.DONE)) if (++spins > BARRIER_SPINS) Atomics.wait(ctl, CTL.DONE, d);
    }
    const [n, chunk] = stages[stage];
    const lo = (stage ? c - first : c) * chunk;
    try {
      // A failed first stage leaves the second's inputs unwritten: its chunks are only counted.
      if (stage === 0 || Atomics.load(ctl, CTL.ERROR) === 0) run(lo, Math.min(n, lo + chunk), stage);
    } catch (e) {
      fail(e);
    }
    Atomics.add(ctl, CTL.DONE, 1);
    Atomics.notify(ctl, CTL.DONE);
  }
}
const J = CTL.JOB_AT >> 2;
function writeJob(ctl, id, name, seq, stages, args) {
  const v = Atomics.load(ctl, J + ${JOB.VERSION});
  Atomics.store(ctl, J + ${JOB.VERSION}, v + 1);
  Atomics.store(ctl, J + ${JOB.ID}, id); Atomics.store(ctl, J + ${JOB.NAME}, name); Atomics.store(ctl, J + ${JOB.SEQ}, seq);
  const two = stages.length > 1;
  Atomics.store(ctl, J + ${JOB.N}, stages[0][0]); Atomics.store(ctl, J + ${JOB.CHUNK}, stages[0][1]); Atomics.store(ctl, J + ${JOB.N_CHUNKS}, stages[0][2]);
  Atomics.store(ctl, J + ${JOB.N2}, two ? stages[1][0] : 0); Atomics.store(ctl, J + ${JOB.CHUNK2}, two ? stages[1][1] : 0);
  Atomics.store(ctl, J + ${JOB.N_CHUNKS2}, two ? stages[1][2] : 0);
  Atomics.store(ctl, J + ${JOB.N_ARGS}, args[0].length); Atomics.store(ctl, J + ${JOB.N_ARGS2}, two ? args[1].length : 0);
  let at = J + ${JOB.ARGS};
  for (const a of args) for (let i = 0; i < a.length; i++) Atomics.store(ctl, at++, a[i]);
  Atomics.store(ctl, J + ${JOB.VERSION}, v + 2);
}
// The descriptor as the caller last wrote it, or null while it is being written (the caller wakes
// the workers again once it is done).
function readJob(ctl) {
  const v = Atomics.load(ctl, J + ${JOB.VERSION});
  if (v & 1) return null;
  const nArgs = Math.min(Atomics.load(ctl, J + ${JOB.N_ARGS}), ${MAX_JOB_ARGS});
  const nArgs2 = Math.min(Atomics.load(ctl, J + ${JOB.N_ARGS2}), ${MAX_JOB_ARGS} - nArgs);
  const nChunks2 = Atomics.load(ctl, J + ${JOB.N_CHUNKS2});
  const stages = [[Atomics.load(ctl, J + ${JOB.N}), Atomics.load(ctl, J + ${JOB.CHUNK}), Atomics.load(ctl, J + ${JOB.N_CHUNKS})]];
  if (nChunks2 > 0) stages.push([Atomics.load(ctl, J + ${JOB.N2}), Atomics.load(ctl, J + ${JOB.CHUNK2}), nChunks2]);
  const job = {
    id: Atomics.load(ctl, J + ${JOB.ID}), name: Atomics.load(ctl, J + ${JOB.NAME}), seq: Atomics.load(ctl, J + ${JOB.SEQ}),
    stages, args: [new Array(nArgs), new Array(nArgs2)],
  };
  for (let i = 0; i < nArgs; i++) job.args[0][i] = Atomics.load(ctl, J + ${JOB.ARGS} + i);
  for (let i = 0; i < nArgs2; i++) job.args[1][i] = Atomics.load(ctl, J + ${JOB.ARGS} + nArgs + i);
  return Atomics.load(ctl, J + ${JOB.VERSION}) === v ? job : null;
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
 * The worker's own part: instantiate modules as they arrive (cached by id), run the current job's
 * chunks. In Node the worker blocks in `Atomics.wait` on WAKE between jobs; after each wake-up it
 * drains its MessagePort with `receiveMessageOnPort` (new modules: posted before the job that first
 * uses them) and reads the job descriptor — no event-loop turn and no message per job. A browser
 * worker has no `receiveMessageOnPort`: it takes modules as events, and a "run" message per job.
 */
const WORKER_SOURCE = String.raw`"use strict";
${CORE_SOURCE}
function makeHandler(memory) {
  const ctl = new Int32Array(memory.buffer, 0, CTL.JOB_AT / 4 + CTL.JOB_WORDS);
  const errorBytes = new Uint8Array(memory.buffer, CTL.ERROR_AT, CTL.ERROR_BYTES);
  const instances = new Map();
  const fail = (e) => recordError(ctl, errorBytes, String(e && e.message ? e.message : e));
  return {
    ctl,
    take(m) {
      if (m.kind === "module") {
        try {
          const exports = new WebAssembly.Instance(m.module, importsFor(memory, m.imports)).exports;
          instances.set(m.id, m.names.map((name) => exports[name]));
        } catch {
          // Claim nothing for this module: the other threads run its chunks.
        }
      } else if (m.kind === "forget") {
        instances.delete(m.id);
      }
    },
    runCurrent() {
      const job = readJob(ctl);
      const f = job && instances.get(job.id)?.[job.name];
      if (typeof f !== "function") return;
      const [args, args2] = job.args;
      claimAndRun(ctl, job.seq, job.stages, (lo, hi, stage) => (stage ? f(...args2, lo, hi) : f(...args, lo, hi)), fail, true);
    },
  };
}
if (typeof require === "function") {
  const wt = require("node:worker_threads");
  const { memory, port } = wt.workerData;
  const handler = makeHandler(memory);
  const ctl = handler.ctl;
  for (;;) {
    const wake = Atomics.load(ctl, CTL.WAKE);
    for (let r = wt.receiveMessageOnPort(port); r; r = wt.receiveMessageOnPort(port)) handler.take(r.message);
    handler.runCurrent();
    Atomics.wait(ctl, CTL.WAKE, wake);
  }
} else {
  let handler = null;
  self.onmessage = (e) => {
    if (e.data.kind === "init") handler = makeHandler(e.data.memory);
    else if (!handler) return;
    else if (e.data.kind === "run") handler.runCurrent();
    else handler.take(e.data);
  };
}
`;

/** The worker body's source text. */
export const workerSource = (): string => WORKER_SOURCE;

let core: PoolCore | null = null;
/** The protocol functions for the calling thread, evaluated from the same text as the workers'. */
export function poolCore(): PoolCore {
  core ??= new Function(`${CORE_SOURCE}\nreturn { importsFor, claimAndRun, writeJob, recordError, readError };`)() as PoolCore;
  return core;
}
