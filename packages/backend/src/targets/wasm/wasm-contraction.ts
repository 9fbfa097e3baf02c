/**
 * Float32 contraction kernels (render/contraction.ts's structure) as WebAssembly, the way the JS
 * target's js-matmul.ts runs them but all in wasm: packing phases as ordinary loops into the panel
 * buffers, the register-tile phase as a call of the microkernel (wasm-microkernel.ts) over pairs
 * of B panels, and the epilogue reading the tile registers from C — big products across the worker
 * pool (`ContractionPool`), with the same bits for any thread count: every element of C is summed
 * by the same microkernel instructions in p order whichever thread runs its pair.
 *
 * The statement emitter lives in wasm-render.ts, which imports this file: it lends its functions
 * (`StmtEmitter`) rather than this file importing them back (no import cycle).
 */
import { type BufferParam, type Kernel, type Op, type Operand, type Stmt, walkStmts } from "../../kernel.js";
import { type Bytes, type DefinedFunc, type ValType, T, op, uleb } from "./wasm-asm.js";
import { microkernel } from "./wasm-microkernel.js";
import { type ContractionParts, type LoopStmt, lets } from "../../render/contraction.js";
import { MR, NR } from "../../lower-contraction.js";
import { JOB_ON_CALLER, JOB_PHASE, JOB_PHASES, JOB_PHASE_MASK, JOB_THEN_TILES, PARALLEL_MIN_FLOPS } from "./wasm-gemm.js";

/** An i32 scalar binding of the statement emitter's environment. */
interface I32Binding {
  readonly k: "scalar";
  readonly local: number;
  readonly t: typeof T.i32;
}

/** The statement emitter's environment (names → locals), as far as this file binds names in it. */
export type ContractionEnv<B> = Map<string, B | I32Binding>;

/** The parts of wasm-render.ts's per-function emitter this renderer uses (E: its emitter state, B: its bindings). */
export interface StmtEmitter<E, B> {
  /** Emits statements into `out`, names resolved in `env`. */
  emitStmts(stmts: readonly Stmt[], env: ContractionEnv<B>, e: E, out: Bytes): void;
  /** A new local of the function being emitted. */
  newLocal(e: E, t: ValType): number;
  /** The index of an imported function (added on first use). */
  importIndex(e: E, name: "pool.gemm" | "pool.tiles"): number;
  /** The module's imports so far (shared by its functions). */
  importNames(e: E): readonly string[];
  /** The emitter of another function of the same kernel and module, with `nParams` i32 parameters. */
  newFunction(e: E, nParams: number): E;
  /** The locals a function declared after its parameters. */
  locals(e: E): ValType[];
  /** `for (var = start; var < end; var += step) body`, `guard` ending the loop. */
  scalarLoop(varLocal: number, step: number, guard: Bytes, body: Bytes): Bytes;
}

/** Placeholders for the function indices of `tiles` and the microkernel in a `call` (patched by `patchCalls`). */
const TILES_CALL = -1, GEMM_CALL = -2;

/**
 * `code` with the placeholder calls pointing at the contraction's functions, which the module
 * defines right after `run`: `tiles` at function index `first`, the microkernel after it.
 */
export function patchCalls(code: Bytes, first: number): Bytes {
  const [tiles, gemm] = [uleb(first), uleb(first + 1)];
  return code.flatMap((b) => (b === TILES_CALL ? tiles : b === GEMM_CALL ? gemm : [b]));
}

/**
 * K blocking: blocks of K_BLOCK values of k once a batch element's A panels pass K_BLOCK_MIN_A_BYTES
 * (half of this machine class's 2 MB L2: a 256-deep block of a 1024-row A is 1 MB, a pair's B block 8 KB of L1).
 */
const K_BLOCK = 256, K_BLOCK_MIN_A_BYTES = 1 << 20;

/**
 * Panels up to this size are packed on the calling thread: packing them takes about what a pool
 * call costs (waking a worker, tens of microseconds), and W2's 128² and 256² products are ~0.1–1 ms.
 */
const PACK_ON_CALLER_BYTES = 256 << 10;

/**
 * A pool chunk's pairs rounded up to an even count: two pairs are 16 columns, 64 bytes of each row of
 * C and of the epilogue's outputs — a whole cache line where the row starts on one (the arena
 * aligns its allocations to 64 bytes, host/heap.ts) — so two threads never write the same line
 * (with single pairs they did at every chunk boundary: W3's dW0 = xᵀ·dH product took 0.85 ms on
 * two threads at idle, 0.65 with whole lines).
 */
const wholeLines = (pairs: number) => pairs + (pairs & 1);

/** Appends byte arrays to `out` (a loop: a kernel's body can exceed the engine's limit on call arguments). */
function append(out: Bytes, ...parts: Bytes[]): void {
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]!);
}

/**
 * How a contraction uses the worker pool:
 *   `null`    — a product below PARALLEL_MIN_FLOPS runs on the calling thread;
 *   `tiles`   — `run` calls the pool (the `pool.tiles` import, wasm-gemm.ts `tilesOnPool`) once: a
 *               job of two stages, the packing phase and then the tiles phase (JOB_PHASE,
 *               JOB_THEN_TILES), each running `tiles` over the `pairs` tasks: (batch element,
 *               B-panel pair) in batch-major order, a packing phase mapping them onto its panels;
 *   `gemm`    — a `tiles` that calls a host function (workers could not run it) runs on the
 *               calling thread and only the microkernel goes to the pool (the `pool.gemm` import).
 */
export type ContractionPool = {
  readonly kind: "tiles"; readonly pairs: number; readonly grain: number; readonly flops: number;
  /** B's panels packed once per call in the packing phase (a batch-invariant B of a batch of several), else per pair in the tiles phase. */
  readonly bPackedOnce: boolean;
} | { readonly kind: "gemm" } | null;

export interface ContractionModule {
  /** `tiles` (exported) and the microkernel, to follow `run` in the module. */
  readonly funcs: readonly DefinedFunc[];
  /** Scratch parameters' sizes in floats (the A panels; the B panels, an odd last one with a zero partner). */
  readonly scratchFloats: Map<number, number>;
  /** C's size in floats. */
  readonly cFloats: number;
  readonly pool: ContractionPool;
  /** B is the same for every batch element (its packing reads nothing of b): packed once per call for a batch of several. */
  readonly invariantB: boolean;
}

/**
 * Renders the contraction: `run`'s body into `out` (C is parameter `cPtr`, see `withC`), and
 * `tiles(ptrs…, C, job, lo, hi)` — phase `job & JOB_PHASE_MASK` (JOB_PHASE) over tasks [lo, hi) — a
 * function of its own so that the pool can run ranges of it.
 *
 * The tasks are the (batch element, B-panel pair) pairs, batch-major: one pool call per phase covers
 * the whole batch (W8's 16 `x[b] @ W` and 64 attention products are not 16 or 64 pool calls), its
 * chunks are as fine as pairs, and a chunk's pairs of one batch element stay together. Every batch
 * element has its own A panels, C (and B panels unless B is batch-invariant), so batch elements
 * run at the same time on different threads.
 */
export function renderContraction<E, B>(P: ContractionParts, cPtr: number, s: StmtEmitter<E, B>, e: E, out: Bytes): ContractionModule {
  const { lb, tiles, li, mp, np, kk, batch, aStore: sa, bStore: sb } = P;
  const { npairs, ldc, bFloats, cFloats } = contractionLayout(P);
  const aFloats = mp * MR * kk;
  const nPtrs = cPtr + 1;
  const i32 = (local: number): I32Binding => ({ k: "scalar", local, t: T.i32 });
  const perProduct = 2 * mp * MR * npairs * 2 * NR * kk;
  const invariantB = batchInvariant(P, P.packB);
  // A batch-invariant B is packed once per call, in the packing phase — worth it only for a batch of
  // several: with one batch element each pair's panels are packed once either way, and packing them
  // in the tiles phase right before the microkernel reads them keeps them in the cache of the thread
  // that uses them (L1 for a pair of panels up to ~1500 deep) instead of the packing thread's.
  const packBOnce = invariantB && batch > 1;
  const tasks = batch * npairs;

  // tiles(ptrs…, C, job, lo, hi): the phases' code first, then the dispatch on the phase.
  const t = s.newFunction(e, nPtrs + 3);
  const importsBefore = s.importNames(e).length;
  const [job, lo, hi] = [nPtrs, nPtrs + 1, nPtrs + 2];
  const [bVar, from, to, phase, segFrom, segTo, aBase, bBase, cBase] = Array.from({ length: 9 }, () => s.newLocal(t, T.i32));
  const env: ContractionEnv<B> = new Map();
  const code = (stmts: readonly Stmt[]): Bytes => {
    const b: Bytes = [];
    s.emitStmts(stmts, env, t, b);
    return b;
  };
  const head = code(P.rootLets);
  env.set(lb.var, i32(bVar!));
  const range = { start: { k: "local", name: "$from", dtype: "index" }, end: { k: "local", name: "$to", dtype: "index" } } as const;
  env.set(range.start.name, i32(from!));
  env.set(range.end.name, i32(to!));
  const bLets = code(lets(lb.body));
  const packA = code([{ ...rowsInner(P.packA), ...range }]);
  const packB = code([{ ...P.packB, ...range }]);
  // An odd last B panel is paired with zeros (its C columns are never read).
  const zeroPanel: Bytes = [];
  if (np % 2) {
    const z = s.newLocal(t, T.i32);
    const zero = [...op.get(sb.buf), ...op.get(z), ...op.i32Add, ...op.f32Const(0), ...op.f32Store()];
    append(zeroPanel, op.i32Const(np * NR * kk * 4), op.set(z), s.scalarLoop(z, 4, [...op.get(z), ...op.i32Const(bFloats * 4), ...op.i32GeU], zero));
  }
  const tileLoop: Stmt = { ...tiles, ...range, body: [...lets(tiles.body), { ...li, body: [...lets(li.body), ...readingC(P, cPtr)] }] };
  const epilogue = code([tileLoop]);
  // The pool runs `tiles` only if it calls no host function: a worker's instance gets stubs.
  const hostCalls = s.importNames(e).length > importsBefore;
  const pool: ContractionPool = perProduct * batch < PARALLEL_MIN_FLOPS ? null
    : hostCalls ? { kind: "gemm" }
    : { kind: "tiles", pairs: tasks, grain: wholeLines(Math.max(1, Math.ceil(PARALLEL_MIN_FLOPS / (perProduct / npairs)))), flops: perProduct * batch, bPackedOnce: packBOnce };

  const get = op.get, set = op.set, c32 = op.i32Const;
  const setRange = (f: Bytes, tt: Bytes): Bytes => [...f, ...set(from!), ...tt, ...set(to!)];
  /**
   * `⌊x · count / tasks⌋`: a task boundary mapped onto `count` items (a packing phase's share), in
   * float64 — the product can pass 2^31, and below 2^53 the rounded quotient has the exact floor.
   */
  const share = (x: number, count: number): Bytes =>
    [...get(x), ...op.f64ConvertI32S, ...op.f64Const(count), ...op.f64Mul, ...op.f64Const(tasks), ...op.f64Div, ...op.f64Floor, ...op.i32TruncSatF64S];
  const min = (a: Bytes, b: Bytes): Bytes => [...a, ...b, ...a, ...b, ...op.i32LtS, ...op.select];
  const max = (a: Bytes, b: Bytes): Bytes => [...a, ...b, ...a, ...b, ...op.i32GtS, ...op.select];
  /** `buf = base + b · floats` (floats per batch element): batch element b's panels or C. */
  const rebase = (buf: number, base: number, floats: number): Bytes => [...get(base), ...get(bVar!), ...c32(floats * 4), ...op.i32Mul, ...op.i32Add, ...set(buf)];
  /**
   * `body` per batch element b of the items [x0, x1) of the batch-major sequence of `per` items per
   * batch element, with b's own items as [segFrom, segTo).
   */
  const segments = (x0: Bytes, x1: Bytes, per: number, body: Bytes): Bytes => {
    const first = [...get(bVar!), ...c32(per), ...op.i32Mul];
    const seg = [
      ...max([...x0, ...first, ...op.i32Sub], c32(0)), ...set(segFrom!),
      ...min([...x1, ...first, ...op.i32Sub], c32(per)), ...set(segTo!),
      ...body,
    ];
    return [...x0, ...c32(per), ...op.i32DivU, ...set(bVar!), ...s.scalarLoop(bVar!, 1, [...first, ...x1, ...op.i32GeS], seg)];
  };
  // K blocks of KC when A's panels outgrow L2: each pair then streams a KC-deep block of A that
  // stays in L2 instead of all of A from L3; the microkernel continues the sums from C (same bits).
  const kc = pool?.kind !== "gemm" && aFloats * 4 > K_BLOCK_MIN_A_BYTES ? K_BLOCK : kk;
  const gemm: Bytes = pool?.kind === "gemm"
    ? [...get(sa.buf), ...get(sb.buf), ...get(cPtr), ...c32(mp), ...c32(kk), ...c32(ldc * 4), ...c32(npairs), ...op.call(s.importIndex(e, "pool.gemm"))]
    : Array.from({ length: Math.ceil(kk / kc) }, (_, j) => [
      ...get(sa.buf), ...c32(j * kc * 16), ...op.i32Add, ...get(sb.buf), ...c32(j * kc * 16), ...op.i32Add, ...get(cPtr),
      ...c32(mp), ...c32(kk), ...c32(Math.min(kc, kk - j * kc)), ...c32(ldc * 4), ...c32(j > 0 ? 1 : 0), ...get(segFrom!), ...get(segTo!), 0x10, GEMM_CALL,
    ]).flat();
  const isPhase = (p: number): Bytes => [...get(phase!), ...c32(p), ...op.i32Eq];
  const pairsFrom = [...get(segFrom!), ...c32(1), ...op.i32Shl];
  const pairsTo = min([...get(segTo!), ...c32(1), ...op.i32Shl], c32(np));
  const tb: Bytes = [
    ...head, ...get(job), ...c32(JOB_PHASE_MASK), ...op.i32And, ...set(phase!),
    ...get(sa.buf), ...set(aBase!), ...get(sb.buf), ...set(bBase!), ...get(cPtr), ...set(cBase!),
  ];
  append(tb,
    // `packs`: B's panels once for every batch element — the tasks' share of the np panels — and then A's.
    isPhase(JOB_PHASE.packs), op.if(), setRange(share(lo, np), share(hi, np)), packB,
    np % 2 ? [...get(hi), ...c32(tasks), ...op.i32GeS, ...op.if(), ...zeroPanel, ...op.end] : [],
    op.end,
    // A's panels (`packs` and `packA`): the tasks' share of the batch × mp panels, per batch element.
    get(phase!), c32(JOB_PHASE.packA), op.i32LeU, op.if(),
    segments(share(lo, batch * mp), share(hi, batch * mp), mp, [
      ...rebase(sa.buf, aBase!, aFloats), ...bLets, ...get(segFrom!), ...set(from!), ...get(segTo!), ...set(to!), ...packA,
    ]),
    op.else,
    // The tasks' pairs, per batch element: their B panels (unless packed once), tiles and epilogue.
    segments(get(lo), get(hi), npairs, [
      ...rebase(sa.buf, aBase!, aFloats), ...rebase(cPtr, cBase!, cFloats), ...(packBOnce ? [] : rebase(sb.buf, bBase!, bFloats)),
      ...bLets, ...setRange(pairsFrom, pairsTo),
      ...(packBOnce ? [] : [...packB, ...(np % 2 ? [...get(segTo!), ...c32(npairs), ...op.i32GeS, ...op.if(), ...zeroPanel, ...op.end] : [])]),
      ...gemm, ...epilogue,
    ]),
    op.end, op.end);

  // run(ptrs…, C): the packing phase, then the tiles — one two-stage pool call (the threads go from
  // packing to tiles without a wake-up in between), or two calls of `tiles` over every task.
  const ptrs = Array.from({ length: nPtrs }, (_, i) => get(i)).flat();
  const direct = (p: number): Bytes => [...ptrs, ...c32(JOB_PHASES * batch + p), ...c32(0), ...c32(tasks), 0x10, TILES_CALL];
  // A batch-invariant B is packed in the same phase as A (one barrier fewer; the pair of
  // 256-wide products' panels, 384 KB together, are split across threads where each alone was not).
  const [packPhase, tilePhase] = packBOnce ? [JOB_PHASE.packs, JOB_PHASE.tilesPacked] : [JOB_PHASE.packA, JOB_PHASE.tiles];
  const packBytes = ((packBOnce ? bFloats : 0) + batch * aFloats) * 4;
  if (pool?.kind === "tiles") {
    const job = JOB_PHASES * batch + JOB_THEN_TILES + (packBytes > PACK_ON_CALLER_BYTES ? 0 : JOB_ON_CALLER) + packPhase;
    append(out, [...ptrs, ...c32(job), ...op.call(s.importIndex(e, "pool.tiles"))]);
  } else {
    append(out, direct(packPhase), direct(tilePhase));
  }

  const tilesFunc: DefinedFunc = { type: { params: new Array(nPtrs + 3).fill(T.i32), results: [] }, locals: s.locals(t), body: tb, export: "tiles" };
  return {
    funcs: [tilesFunc, microkernel(undefined, true)],
    scratchFloats: new Map([[sa.buf, batch * aFloats], [sb.buf, (packBOnce ? 1 : batch) * bFloats]]),
    cFloats: batch * cFloats,
    pool,
    invariantB,
  };
}

/**
 * Whether statement `st` of the batch loop computes the same for every batch element: it reads the
 * batch variable neither directly nor through the loop's lets. A B operand that is (a weight shared
 * by every `x[b] @ W`) is packed once per call instead of once per batch element.
 */
export function batchInvariant(P: ContractionParts, st: Stmt): boolean {
  const dependent = new Set([P.lb.var]);
  const reads = (o: Operand) => o.k !== "const" && dependent.has(o.name);
  const opReads = (v: Op) => (v.op === "alu" ? v.args.some(reads) : v.op === "load" ? reads(v.index) : v.idx.some(reads));
  for (const l of lets(P.lb.body)) if (l.s === "let" && opReads(l.value)) dependent.add(l.name);
  for (const x of walkStmts([st])) {
    if (x.s === "let") {
      if (opReads(x.value)) dependent.add(x.name);
    } else if (x.s === "store" ? reads(x.index) || reads(x.value) : x.s === "loop" ? reads(x.start) || reads(x.end) : x.s === "if" ? reads(x.cond) : true) {
      return false;
    }
  }
  return true;
}

/**
 * A's packing nest `for ip, ii, p: Ap[(ip·k + p)·MR + ii] = …` as `for ip, p, ii`: the store is then
 * contiguous in ii (one f32x4 store per p) and the MR-row loop runs f32x4 — a transposed A (dW = xᵀ·dY)
 * reads contiguous rows too. The nest is perfect and its value a function of (ip, ii, p) alone, so
 * the order of its iterations is free; ii's lets move inside p.
 */
function rowsInner(packA: LoopStmt): LoopStmt {
  const ii = packA.body.find((st): st is LoopStmt => st.s === "loop")!;
  const p = ii.body.find((st): st is LoopStmt => st.s === "loop")!;
  const iiLets = ii.body.filter((st) => st !== p);
  if (iiLets.some((st) => st.s !== "let")) return packA;
  return { ...packA, body: [...packA.body.filter((st) => st !== ii), { ...p, body: [{ ...ii, body: [...iiLets, ...p.body] }] }] };
}

/**
 * The epilogue with its tile-register reads (`let x = c[ii][jj]`) as loads of C — element
 * (li·MR + ii)·ldc + tile·NR + jj, a buffer parameter (`withC`) — so the epilogue is an ordinary
 * loop nest: its jj loop runs f32x4 (C's row is contiguous in jj) like any elementwise loop,
 * vector math included, instead of per element.
 */
function readingC(P: ContractionParts, cBuf: number): Stmt[] {
  const { ldc } = contractionLayout(P);
  const idx = (k: number): Operand => ({ k: "const", value: k, dtype: "index" });
  const alu = (a: "mul" | "add", x: Operand, y: Operand): Op => ({ op: "alu", alu: a, args: [x, y], dtype: "index", param: [] });
  const local = (name: string): Operand => ({ k: "local", name, dtype: "index" });
  const map = (st: Stmt): Stmt[] => {
    if (st.s === "loop" || st.s === "if") return [{ ...st, body: st.body.flatMap(map) }];
    if (st.s !== "let" || st.value.op !== "reg") return [st];
    if (st.value.name !== P.regs.name) throw new Error(`wasm: unknown register ${st.value.name}`);
    const [ii, jj] = st.value.idx as [Operand, Operand];
    const n = (i: number) => `${st.name}$c${i}`;
    return [
      { s: "let", name: n(0), value: alu("mul", { k: "var", name: P.li.var }, idx(MR * ldc)) },
      { s: "let", name: n(1), value: alu("mul", { k: "var", name: P.tiles.var }, idx(NR)) },
      { s: "let", name: n(2), value: alu("mul", ii, idx(ldc)) },
      { s: "let", name: n(3), value: alu("add", local(n(0)), local(n(1))) },
      { s: "let", name: n(4), value: alu("add", local(n(3)), local(n(2))) },
      { s: "let", name: n(5), value: alu("add", local(n(4)), jj) },
      { s: "let", name: st.name, value: { op: "load", buf: cBuf, index: local(n(5)), dtype: "float32" } },
    ];
  };
  return map(P.epilogue);
}

/** B-panel pairs, C's row length (floats), and the sizes of the B panels and C, in floats. */
export function contractionLayout(P: ContractionParts): { npairs: number; ldc: number; bFloats: number; cFloats: number } {
  const npairs = Math.ceil(P.np / 2), ldc = npairs * 2 * NR;
  return { npairs, ldc, bFloats: npairs * 2 * NR * P.kk, cFloats: P.mp * MR * ldc };
}

/** The kernel with C, the microkernel's output, as one more (float32) parameter: the epilogue loads it. */
export function withC(k: Kernel, P: ContractionParts): Kernel {
  const c: BufferParam = { dtype: "float32", size: contractionLayout(P).cFloats, role: "scratch" };
  return { ...k, params: [...k.params, c] };
}
