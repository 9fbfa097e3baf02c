/**
 * The CPU worker pool: the same bits for any thread count, a kernel that traps is a KernelTrapError
 * naming its export and leaves the pool usable, a dead worker is replaced, Node exits with the pool
 * started, and a browser main thread (no `Atomics.wait`) runs kernels on the calling thread.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { KernelTrapError, ValueError } from "@kiln/core";
import { type Bytes, T, buildModule, op } from "./wasm-asm.js";
import { ARENA_BASE, heap } from "../../host/heap.js";
import { CTL } from "./wasm-pool-core.js";
import { cpuPoolStats, cpuThreads, hardwareThreads, setCpuThreads, simulateLoadAverage, withCpuThreads, withDefaultCpuThreads } from "./cpu-threads.js";
import { canBlock, heldPoolWorkers, holdPoolWorkers, parallelFor, poolWorkers, simulatePoolEnvironment, terminatePoolWorker } from "./wasm-pool.js";

const h = heap!;
const { get, set, i32Const } = op;

/** A module exporting `name(...params, lo, hi)` whose body runs `step` for i in [lo, hi) (local `i`). */
function loopModule(name: string, params: number, step: Bytes, imports = [] as { module: string; name: string; arity?: number }[], extraLocals = 0): WebAssembly.Module {
  const [lo, hi, i] = [params, params + 1, params + 2];
  const body = [
    ...get(lo), ...set(i),
    ...op.block(), ...op.loop(),
    ...get(i), ...get(hi), ...op.i32GeU, ...op.brIf(1),
    ...step,
    ...get(i), ...i32Const(1), ...op.i32Add, ...set(i),
    ...op.br(0),
    ...op.end, ...op.end, ...op.end,
  ];
  return new WebAssembly.Module(buildModule({
    memory: h.importLimits,
    imports: imports.map((m) => ({ module: m.module, name: m.name, type: { params: new Array(m.arity ?? 1).fill(T.f64), results: [T.f64] } })),
    funcs: [{ type: { params: new Array(params + 2).fill(T.i32), results: [] }, locals: new Array(1 + extraLocals).fill(T.i32), body, export: name }],
  }));
}

/**
 * `expAll(src, dst, lo, hi)`: dst[i] = float32(fmod(Math.exp(src[i]), 1000) + i): Math.exp
 * imported by name as m.exp, fmod from its source as m.fmod.
 */
const addr = (base: number, i: number): Bytes => [...get(base), ...get(i), ...i32Const(2), ...op.i32Shl, ...op.i32Add];
const EXP_ALL = loopModule("expAll", 2, [
  ...addr(1, 4),
  ...addr(0, 4), ...op.f32Load(), ...op.f64PromoteF32, ...op.call(0), ...op.f64Const(1000), ...op.call(1),
  ...get(4), ...op.f64ConvertI32S, ...op.f64Add, ...op.f32DemoteF64,
  ...op.f32Store(),
], [{ module: "m", name: "exp" }, { module: "m", name: "fmod", arity: 2 }]);
const EXP_IMPORTS = { m: { exp: "exp", fmod: { source: "(a, b) => a % b" } } } as const;

/** `boom(lo, hi)`: traps (`unreachable`) at every index but 0. */
const BOOM = loopModule("boom", 0, [...get(2), ...op.if(), ...op.unreachable, ...op.end]);

// Atomic i32 load/store (the threads proposal, 0xfe prefix): the handoff below must not read a stale flag.
const atomicLoad: Bytes = [0xfe, 0x10, 2, 0], atomicStore: Bytes = [0xfe, 0x17, 2, 0];
/**
 * `handoff(flag, lo, hi)` over two chunks: index 0 spins until index 1 has started (flag set; at
 * most 2^31 spins), index 1 sets the flag and traps. The caller claims first and holds chunk 0, so
 * the trap happens on the worker.
 */
const HANDOFF = loopModule("handoff", 1, [
  ...get(3), ...op.i32Eqz, ...op.if(),
  ...op.block(), ...op.loop(),
  ...get(0), ...atomicLoad, ...op.brIf(1),
  ...get(4), ...i32Const(1), ...op.i32Add, ...op.tee(4), ...i32Const(0x7fffffff), ...op.i32Eq, ...op.brIf(1),
  ...op.br(0),
  ...op.end, ...op.end,
  ...op.else, ...get(0), ...i32Const(1), ...atomicStore, ...op.unreachable,
  ...op.end,
], [], 1);

/** `onWorker()`: 1 on a pool worker, 0 on the calling thread (a source import, built per thread). */
const ON_WORKER = { source: "() => (process.getBuiltinModule('node:worker_threads').isMainThread ? 0 : 1)" };

/**
 * `stall(counts, who, flag, lo, hi)`, per index i: counts[i] += 1 (in place: a chunk run twice
 * shows 2), who[i] = onWorker(). On a worker it then sets `flag` and the control block's HOLD word,
 * so the worker stalls before its next claim — a worker pre-empted after one chunk. Index 0 on the
 * calling thread first waits (spinning, at most 2^31 times) for `flag`: some worker has run a chunk.
 */
const STALL = loopModule("stall", 3, [
  ...op.call(0), ...op.i32TruncSatF64S, ...set(6),
  ...get(5), ...op.i32Eqz, ...get(6), ...op.i32Eqz, ...op.i32And, ...op.if(),
  ...op.block(), ...op.loop(),
  ...get(2), ...atomicLoad, ...op.brIf(1),
  ...get(7), ...i32Const(1), ...op.i32Add, ...op.tee(7), ...i32Const(0x7fffffff), ...op.i32Eq, ...op.brIf(1),
  ...op.br(0),
  ...op.end, ...op.end,
  ...op.end,
  ...get(0), ...get(5), ...i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.tee(8),
  ...get(8), ...op.i32Load(), ...i32Const(1), ...op.i32Add, ...op.i32Store(),
  ...get(1), ...get(5), ...i32Const(2), ...op.i32Shl, ...op.i32Add, ...get(6), ...op.i32Store(),
  ...get(6), ...op.if(),
  ...get(2), ...i32Const(1), ...atomicStore,
  ...i32Const(CTL.HOLD * 4), ...i32Const(1), ...atomicStore,
  ...op.end,
], [{ module: "m", name: "onWorker", arity: 0 }], 3);

/**
 * `twoStage(a, b, who, n, mode, lo, hi)`, per index i — mode 0 (a first stage): a[i] = 3i + 1, and
 * index 0 first waits (spinning on the control block's CLAIM word, at most 2^31 times) until a
 * second chunk of the job has been claimed: run as one chunk, the first stage is then still running
 * while another thread holds a chunk of the second stage; it records who[n] = onWorker(). Mode 1 (the second stage):
 * b[i] = a[(7i + 5) mod n] + a[n - 1 - i] — every chunk reads what the whole first stage wrote —
 * and who[i] = onWorker(). Mode 2 traps.
 */
const TWO_STAGE = loopModule("twoStage", 5, [
  ...get(4), ...i32Const(2), ...op.i32Eq, ...op.if(), ...op.unreachable, ...op.end,
  ...get(4), ...op.i32Eqz, ...op.if(),
  ...get(7), ...op.i32Eqz, ...op.if(),
  ...op.block(), ...op.loop(),
  ...i32Const(CTL.CLAIM * 4), ...atomicLoad, ...i32Const(0xffff), ...op.i32And, ...i32Const(2), ...op.i32GeU, ...op.brIf(1),
  ...get(8), ...i32Const(1), ...op.i32Add, ...op.tee(8), ...i32Const(0x7fffffff), ...op.i32Eq, ...op.brIf(1),
  ...op.br(0),
  ...op.end, ...op.end,
  ...addr(2, 3), ...op.call(0), ...op.i32TruncSatF64S, ...op.i32Store(),
  ...op.end,
  ...addr(0, 7), ...get(7), ...i32Const(3), ...op.i32Mul, ...i32Const(1), ...op.i32Add, ...op.i32Store(),
  ...op.else,
  ...addr(1, 7),
  ...get(7), ...i32Const(7), ...op.i32Mul, ...i32Const(5), ...op.i32Add, ...get(3), ...op.i32RemU, ...set(9), ...addr(0, 9), ...op.i32Load(),
  ...get(3), ...i32Const(1), ...op.i32Sub, ...get(7), ...op.i32Sub, ...set(9), ...addr(0, 9), ...op.i32Load(),
  ...op.i32Add, ...op.i32Store(),
  ...addr(2, 7), ...op.call(0), ...op.i32TruncSatF64S, ...op.i32Store(),
  ...op.end,
], [{ module: "m", name: "onWorker", arity: 0 }], 2);

/** Runs twoStage's two stages (the first as one chunk) as one job over n indices; returns b, who (n + 1 values). */
function twoStageRun(n: number, firstMode = 0): { b: Int32Array; who: Int32Array } {
  const mark = h.mark();
  try {
    const [a, b, who] = [h.alloc(n * 4), h.alloc(n * 4), h.alloc((n + 1) * 4)];
    h.views().i32.fill(0, a / 4, a / 4 + 3 * n + 1);
    parallelFor(TWO_STAGE, "twoStage", [a, b, who, n, firstMode], n, {
      grain: n, imports: { m: { onWorker: ON_WORKER } }, then: { args: [a, b, who, n, 1], n, grain: 1 },
    });
    const i32 = h.views().i32;
    return { b: i32.slice(b / 4, b / 4 + n), who: i32.slice(who / 4, who / 4 + n + 1) };
  } finally {
    h.release(mark);
  }
}

/** Runs `stall` over n indices (one per chunk); returns per index how often it ran and whether a worker ran it. */
function stallRun(n: number): { counts: Int32Array; who: Int32Array } {
  const mark = h.mark();
  try {
    const [counts, who, flag] = [h.alloc(n * 4), h.alloc(n * 4), h.alloc(4)];
    h.views().i32.fill(0, counts / 4, counts / 4 + n);
    h.views().i32[flag / 4] = 0;
    parallelFor(STALL, "stall", [counts, who, flag], n, { grain: 1, imports: { m: { onWorker: ON_WORKER } } });
    const i32 = h.views().i32;
    return { counts: i32.slice(counts / 4, counts / 4 + n), who: i32.slice(who / 4, who / 4 + n) };
  } finally {
    h.release(mark);
  }
}

/** Runs expAll over n inputs and returns the output's bytes. */
function expAll(n: number, grain: number): Uint8Array {
  const mark = h.mark();
  try {
    const [src, dst] = [h.alloc(n * 4), h.alloc(n * 4)];
    const f32 = h.views().f32;
    for (let i = 0; i < n; i++) f32[src / 4 + i] = Math.sin(i * 0.37) * 20;
    parallelFor(EXP_ALL, "expAll", [src, dst], n, { grain, imports: EXP_IMPORTS });
    return h.views().u8.slice(dst, dst + n * 4);
  } finally {
    h.release(mark);
  }
}

describe("CPU worker pool", function () {
  this.timeout(60_000);

  it("gives the same bits on 1, 2 and 3 threads, with imported functions (a Math name, a source)", () => {
    for (const [n, grain] of [[100_003, 1000], [4097, 1], [7, 1]] as const) {
      const one = withCpuThreads(1, () => expAll(n, grain));
      const jobs = cpuPoolStats().parallelJobs;
      const two = withCpuThreads(2, () => expAll(n, grain));
      const three = withCpuThreads(3, () => expAll(n, grain));
      expect(Buffer.from(two).equals(Buffer.from(one)), `n=${n} 2 threads`).to.equal(true);
      expect(Buffer.from(three).equals(Buffer.from(one)), `n=${n} 3 threads`).to.equal(true);
      expect(cpuPoolStats().parallelJobs, "the work was split").to.equal(jobs + 2);
    }
    const f32 = new Float32Array(expAll(5, 1).buffer);
    expect(f32[3]).to.equal(Math.fround((Math.exp(Math.fround(Math.sin(3 * 0.37) * 20)) % 1000) + 3));
  });

  it("splits into chunks of whole grains: every chunk starts at a multiple of grain, fine or not", () => {
    // mark(out, lo, hi): out[i] = lo for i in [lo, hi) — each index records where its chunk began.
    const MARK = loopModule("mark", 1, [...addr(0, 3), ...get(1), ...op.i32Store()]);
    withCpuThreads(2, () => {
      for (const [n, grain, fine] of [[70, 2, true], [1000, 6, true], [333, 4, false], [35, 2, true]] as const) {
        const mark = h.mark();
        try {
          const out = h.alloc(n * 4);
          parallelFor(MARK, "mark", [out], n, { grain, fine });
          const starts = new Set(h.views().i32.subarray(out / 4, out / 4 + n));
          expect([...starts].filter((lo) => lo % grain !== 0), `n ${n}, grain ${grain}: chunk starts off the grain`).to.deep.equal([]);
          expect(starts.size, `n ${n}, grain ${grain}: chunks`).to.be.greaterThan(1);
        } finally {
          h.release(mark);
        }
      }
    });
  });

  it("runs small work (n <= grain) on the calling thread alone", () => {
    withCpuThreads(2, () => {
      const jobs = cpuPoolStats().parallelJobs;
      expAll(1000, 1000);
      expect(cpuPoolStats().parallelJobs).to.equal(jobs);
    });
  });

  it("runs a two-stage job's second stage after every chunk of the first, on any thread; one pool job", () => {
    const n = 64;
    const expected = Int32Array.from({ length: n }, (_, i) => ((7 * i + 5) % n) * 3 + 1 + (n - 1 - i) * 3 + 1);
    const one = withCpuThreads(1, () => twoStageRun(n));
    expect([...one.b]).to.deep.equal([...expected]);
    withCpuThreads(2, () => {
      for (let round = 0; round < 5; round++) {
        const jobs = cpuPoolStats().parallelJobs;
        const two = twoStageRun(n);
        expect(cpuPoolStats().parallelJobs - jobs, "both stages in one pool job").to.equal(1);
        expect([...two.b], `round ${round}`).to.deep.equal([...expected]);
        // The first stage's thread (who[n]) waited until the other thread claimed a second-stage
        // chunk, which that thread then held at the barrier and ran: both threads ran the second stage's chunks or the first's.
        const first = two.who[n]!;
        expect(two.who.subarray(0, n).includes(1 - first), "the other thread ran a second-stage chunk").to.equal(true);
      }
      // A first stage that traps: a KernelTrapError, the second stage's chunks skipped, the pool usable.
      expect(() => twoStageRun(n, 2)).to.throw(KernelTrapError, /"twoStage".*unreachable/);
      expect([...twoStageRun(n).b]).to.deep.equal([...expected]);
    });
  });

  it("a kernel that traps on the caller or on a worker is a KernelTrapError naming the export; the pool stays usable", () => {
    withCpuThreads(2, () => {
      const expected = expAll(50_000, 100);
      for (let round = 0; round < 3; round++) {
        expect(() => parallelFor(BOOM, "boom", [], 64, { grain: 1 })).to.throw(KernelTrapError, /"boom".*unreachable/);
        expect(Buffer.from(expAll(50_000, 100)).equals(Buffer.from(expected))).to.equal(true);
      }
      expect(cpuPoolStats().workers).to.equal(1);
      // The worker's trap travels through the control block to the caller.
      const mark = h.mark();
      try {
        const flag = h.alloc(4);
        // Usually the caller claims index 0 first and the worker traps; on a busy machine the woken
        // worker can take the caller's core and claim index 0 first (then the caller traps): tries
        // until a worker's trap has been seen, each a KernelTrapError naming the export.
        const errors: unknown[] = [];
        for (let r = 0; r < 40 && !errors.some((e) => String(e).includes("on a worker thread")); r++) {
          h.views().i32[flag / 4] = 0;
          try {
            parallelFor(HANDOFF, "handoff", [flag], 2, { grain: 1 });
            errors.push(null);
          } catch (e) {
            errors.push(e);
          }
        }
        for (const e of errors) expect(e).to.be.instanceOf(KernelTrapError).and.to.have.property("message").that.matches(/"handoff".*unreachable/);
        expect(errors.filter((e) => /on a worker thread/.test(String(e))), errors.join("\n")).to.have.length.above(0);
      } finally {
        h.release(mark);
      }
      expect(Buffer.from(expAll(50_000, 100)).equals(Buffer.from(expected))).to.equal(true);
      expect(cpuPoolStats().workers).to.equal(1);
      // One thread: the caller's own trap is the same typed error.
      setCpuThreads(1);
      expect(() => parallelFor(BOOM, "boom", [], 64, { grain: 1 })).to.throw(KernelTrapError, /"boom"/);
    });
  });

  it("replaces a worker that died", async () => {
    const before = cpuThreads();
    setCpuThreads(2);
    try {
      const expected = expAll(50_000, 100);
      const spawned = cpuPoolStats().spawned;
      await terminatePoolWorker(0);
      expect(cpuPoolStats().workers).to.equal(0);
      expect(Buffer.from(expAll(50_000, 100)).equals(Buffer.from(expected))).to.equal(true);
      expect(cpuPoolStats()).to.include({ workers: 1, spawned: spawned + 1 });
    } finally {
      setCpuThreads(before);
    }
  });

  it("a stalled worker does not block completion: the other threads take its remaining chunks, each chunk runs once", () => {
    withCpuThreads(3, () => {
      const expected = withCpuThreads(1, () => expAll(50_000, 100));
      expect(Buffer.from(expAll(50_000, 100)).equals(Buffer.from(expected))).to.equal(true); // both workers started
      const sum = (a: Int32Array) => a.reduce((x, y) => x + y, 0);
      try {
        // 12 indices on 3 threads are 12 chunks of one (4 per thread).
        // Held before the job: the workers wake, claim nothing, and the calling thread runs all 12 chunks.
        holdPoolWorkers(true);
        const held = stallRun(12);
        expect([...held.counts].every((c) => c === 1), "every chunk ran exactly once").to.equal(true);
        expect(sum(held.who), "no chunk ran on a held worker").to.equal(0);
        expect(heldPoolWorkers(2, 20_000), "both workers woke for the job and stalled").to.equal(true);
        holdPoolWorkers(false);
        expect(heldPoolWorkers(0, 20_000), "released").to.equal(true);
        // A worker stalls right after its first chunk (the kernel sets HOLD): the rest is not waiting for it.
        const after = stallRun(12);
        expect([...after.counts].every((c) => c === 1), "every chunk ran exactly once").to.equal(true);
        expect(sum(after.who), "each worker ran at most one chunk before it stalled").to.be.within(1, 2);
        expect(heldPoolWorkers(2, 20_000)).to.equal(true);
      } finally {
        holdPoolWorkers(false);
      }
      expect(heldPoolWorkers(0, 20_000)).to.equal(true);
      // Released, the workers find those jobs sealed (no chunk runs twice) and take part again.
      expect(Buffer.from(expAll(50_000, 100)).equals(Buffer.from(expected))).to.equal(true);
      expect(cpuPoolStats().workers).to.equal(2);
    });
  });

  it("with the default thread count, keeps split work on the calling thread while the machine is oversubscribed (an explicit count is obeyed)", () => {
    const expected = withCpuThreads(1, () => expAll(50_000, 100));
    const run = (load: number, explicit: boolean) => {
      simulateLoadAverage(load);
      try {
        const [jobs, shed] = [cpuPoolStats().parallelJobs, cpuPoolStats().loadShedJobs];
        const out = explicit ? withCpuThreads(2, () => expAll(50_000, 100)) : withDefaultCpuThreads(() => expAll(50_000, 100));
        expect(Buffer.from(out).equals(Buffer.from(expected)), `load ${load}: the same bits`).to.equal(true);
        return { split: cpuPoolStats().parallelJobs - jobs, shed: cpuPoolStats().loadShedJobs - shed };
      } finally {
        simulateLoadAverage(null);
      }
    };
    const pooled = hardwareThreads() > 1 ? 1 : 0;
    // Load 100 on this machine's cores: every core busy with other work.
    expect(run(100, false)).to.deep.equal({ split: 0, shed: pooled });
    expect(run(0, false)).to.deep.equal({ split: pooled, shed: 0 });
    expect(run(100, true), "setCpuThreads(2) splits whatever the load").to.deep.equal({ split: 1, shed: 0 });
  });

  it("keeps its control block below the heap's arena", () => {
    expect(CTL.ERROR_AT + CTL.ERROR_BYTES).to.be.at.most(ARENA_BASE);
    expect(CTL.WORDS * 4).to.be.at.most(CTL.ERROR_AT);
    expect(CTL.ERROR_AT + CTL.ERROR_BYTES).to.be.at.most(CTL.JOB_AT);
    expect(CTL.JOB_AT + CTL.JOB_WORDS * 4).to.be.at.most(ARENA_BASE);
  });

  it("rejects bad thread counts and loop bounds with ValueError", () => {
    for (const bad of [0, -1, 1.5, NaN, 1000]) expect(() => setCpuThreads(bad), String(bad)).to.throw(ValueError, /setCpuThreads/);
    expect(() => parallelFor(EXP_ALL, "expAll", [0, 0], -1)).to.throw(ValueError, /non-negative integer/);
    expect(() => parallelFor(EXP_ALL, "nope", [0, 0], 4)).to.throw(ValueError, /"nope"/);
    expect(() => parallelFor(EXP_ALL, "expAll", [0, 0.5], 4)).to.throw(ValueError, /32-bit integers/);
    expect(() => parallelFor(EXP_ALL, "expAll", new Array<number>(600).fill(0), 4)).to.throw(ValueError, /at most \d+ arguments/);
    expect(() => parallelFor(EXP_ALL, "expAll", [0, 0], 4, { then: { args: [0, 0], n: -1 } })).to.throw(ValueError, /then\.n must be/);
    expect(() => parallelFor(EXP_ALL, "expAll", [0, 0], 4, { then: { args: [0, 0], n: 4, grain: 0 } })).to.throw(ValueError, /then\.grain must be/);
    const half = new Array<number>(300).fill(0);
    expect(() => parallelFor(EXP_ALL, "expAll", half, 4, { then: { args: half, n: 4 } }), "both stages' arguments count").to.throw(ValueError, /at most \d+ arguments, got 600/);
  });

  it("never keeps Node from exiting once workers started", () => {
    const url = (f: string) => new URL(f, import.meta.url).href;
    const script = `
      import { buildModule, op, T } from ${JSON.stringify(url("./wasm-asm.ts"))};
      import { heap } from ${JSON.stringify(url("../../host/heap.ts"))};
      import { parallelFor } from ${JSON.stringify(url("./wasm-pool.ts"))};
      import { setCpuThreads, cpuPoolStats } from ${JSON.stringify(url("./cpu-threads.ts"))};
      setCpuThreads(3);
      const m = new WebAssembly.Module(buildModule({ memory: heap.importLimits, imports: [],
        funcs: [{ type: { params: [T.i32, T.i32], results: [] }, locals: [], body: [...op.end], export: "noop" }] }));
      parallelFor(m, "noop", [], 64, { grain: 1 });
      console.log(JSON.stringify(cpuPoolStats()));`;
    const started = performance.now();
    const child = spawnSync(process.execPath, ["--conditions=kiln-source", "--import", "tsx", "--input-type=module", "--eval", script], { encoding: "utf8", timeout: 30_000 });
    expect(child.error, child.stderr).to.equal(undefined);
    expect(child.status, child.stderr).to.equal(0);
    expect(JSON.parse(child.stdout.trim())).to.include({ workers: 2, parallelJobs: 1 });
    // tsx's start-up takes a second or two; a child kept alive by its workers would hit the timeout.
    expect(performance.now() - started).to.be.below(30_000);
  });

  describe("where Atomics.wait is not allowed (a browser's main thread)", () => {
    const forbidden = { wait: (): never => { throw new TypeError("Atomics.wait cannot be called in this context"); } };

    it("detects it by a zero-timeout wait", () => {
      expect(canBlock(Atomics)).to.equal(true);
      expect(canBlock(forbidden)).to.equal(false);
      expect(poolWorkers(4, { canBlock: false, sharedHeap: true, workers: true })).to.equal(0);
      expect(poolWorkers(4, { canBlock: true, sharedHeap: false, workers: true })).to.equal(0);
      expect(poolWorkers(4, { canBlock: true, sharedHeap: true, workers: true })).to.equal(3);
    });

    it("runs every kernel on the calling thread, with the same bits", () => {
      const expected = withCpuThreads(1, () => expAll(20_000, 100));
      simulatePoolEnvironment({ canBlock: canBlock(forbidden), sharedHeap: true, workers: true });
      try {
        withCpuThreads(4, () => {
          const jobs = cpuPoolStats().parallelJobs;
          expect(Buffer.from(expAll(20_000, 100)).equals(Buffer.from(expected))).to.equal(true);
          expect(cpuPoolStats().parallelJobs).to.equal(jobs);
        });
      } finally {
        simulatePoolEnvironment(null);
      }
    });
  });
});
