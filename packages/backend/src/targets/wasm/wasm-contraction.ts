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
import { JOB_PHASE, JOB_PHASES, PARALLEL_MIN_FLOPS } from "./wasm-gemm.js";

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

/** Appends byte arrays to `out` (a loop: a kernel's body can exceed the engine's limit on call arguments). */
function append(out: Bytes, ...parts: Bytes[]): void {
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]!);
}

/**
 * How a contraction uses the worker pool:
 *   `null`    — a product below PARALLEL_MIN_FLOPS runs on the calling thread;
 *   `tiles`   — `run` calls the pool (the `pool.tiles` import, wasm-gemm.ts `tilesOnPool`) once per
 *               phase (JOB_PHASE); each runs `tiles` over `pairs` tasks — B-panel pairs in the pairs
 *               strategy, batch elements in the products strategy (ContractionStrategy);
 *   `gemm`    — a `tiles` that calls a host function (workers could not run it) runs on the
 *               calling thread and only the microkernel goes to the pool (the `pool.gemm` import).
 */
export type ContractionPool = { readonly kind: "tiles"; readonly pairs: number; readonly grain: number } | { readonly kind: "gemm" } | null;

/**
 * How a contraction's work is divided into pool tasks:
 *   `pairs`    — per batch element, A packed across the pool, then each task a range of B-panel pairs:
 *                their B panels, tiles and epilogue (one big product: W2);
 *   `products` — each task whole products of a range of batch elements (many products: W8's
 *                `x[b] @ W` and 64 attention heads), in the task range's own panels and C — a batch
 *                element's work stays on one core, and one pool call covers the batch.
 * Either way a batch-invariant B (the same for every batch element: a weight) is packed once.
 */
export type ContractionStrategy = "pairs" | "products";

/**
 * Batches from which products are the tasks even when one product is big enough to split: every
 * thread of a 2–4-core machine then gets whole products, and chunks stay coarse.
 */
const PRODUCTS_MIN_BATCH = 4;

export interface ContractionModule {
  /** `tiles` (exported) and the microkernel, to follow `run` in the module. */
  readonly funcs: readonly DefinedFunc[];
  /** Scratch parameters' sizes in floats (the A panels; the B panels, an odd last one with a zero partner). */
  readonly scratchFloats: Map<number, number>;
  /** C's size in floats. */
  readonly cFloats: number;
  readonly pool: ContractionPool;
  readonly strategy: ContractionStrategy;
  /** B is the same for every batch element (its packing reads nothing of b): packed once per call. */
  readonly invariantB: boolean;
}

/**
 * Renders the contraction: `run`'s body into `out` (C is parameter `cPtr`, see `withC`), and
 * `tiles(ptrs…, C, job, lo, hi)` — phase `job % JOB_PHASES` (JOB_PHASE) of batch element
 * `job / JOB_PHASES` over tasks [lo, hi) — a function of its own so that the pool can run ranges of it.
 */
export function renderContraction<E, B>(P: ContractionParts, cPtr: number, s: StmtEmitter<E, B>, e: E, out: Bytes): ContractionModule {
  const { lb, tiles, li, mp, np, kk, batch, aStore: sa, bStore: sb } = P;
  const { npairs, ldc, bFloats, cFloats } = contractionLayout(P);
  const nPtrs = cPtr + 1;
  const i32 = (local: number): I32Binding => ({ k: "scalar", local, t: T.i32 });
  const perProduct = 2 * mp * MR * npairs * 2 * NR * kk;
  const invariantB = batchInvariant(P, P.packB);

  // tiles(ptrs…, C, job, lo, hi): the phases' code first (the same for both strategies), then the dispatch.
  const t = s.newFunction(e, nPtrs + 3);
  const importsBefore = s.importNames(e).length;
  const [job, lo, hi] = [nPtrs, nPtrs + 1, nPtrs + 2];
  const [bVar, from, to, phase] = [T.i32, T.i32, T.i32, T.i32].map((ty) => s.newLocal(t, ty)) as [number, number, number, number];
  const env: ContractionEnv<B> = new Map();
  const code = (stmts: readonly Stmt[]): Bytes => {
    const b: Bytes = [];
    s.emitStmts(stmts, env, t, b);
    return b;
  };
  const head = code(P.rootLets);
  env.set(lb.var, i32(bVar));
  const range = { start: { k: "local", name: "$from", dtype: "index" }, end: { k: "local", name: "$to", dtype: "index" } } as const;
  env.set(range.start.name, i32(from));
  env.set(range.end.name, i32(to));
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

  const strategy: ContractionStrategy = !hostCalls && batch > 1 && (batch >= PRODUCTS_MIN_BATCH || perProduct < PARALLEL_MIN_FLOPS) ? "products" : "pairs";
  const tasks = strategy === "pairs" ? npairs : batch;
  const taskFlops = strategy === "pairs" ? perProduct / npairs : perProduct;
  const pool: ContractionPool = (strategy === "pairs" ? perProduct : perProduct * batch) < PARALLEL_MIN_FLOPS ? null
    : hostCalls ? { kind: "gemm" }
    : { kind: "tiles", pairs: tasks, grain: Math.max(1, Math.ceil(PARALLEL_MIN_FLOPS / taskFlops)) };
  // Products run in the panels and C of their task range's first element: chunks are disjoint, so
  // their slots are; one slot when everything runs on the calling thread.
  const slots = strategy === "products" && pool ? batch : 1;
  const aFloats = mp * MR * kk;

  const setRange = (f: Bytes, tt: Bytes): Bytes => [...f, ...op.set(from), ...tt, ...op.set(to)];
  /** `x · count / tasks`: a task range mapped onto `count` panels (a packing phase's share). */
  const share = (x: number, count: number): Bytes => [...op.get(x), ...op.i32Const(count), ...op.i32Mul, ...op.i32Const(tasks), ...op.i32DivU];
  const isPhase = (p: number): Bytes => [...op.get(phase), ...op.i32Const(p), ...op.i32Eq];
  const gemm = (jLo: Bytes, jHi: Bytes): Bytes => {
    const args = [...op.get(sa.buf), ...op.get(sb.buf), ...op.get(cPtr), ...op.i32Const(mp), ...op.i32Const(kk), ...op.i32Const(ldc * 4)];
    return pool?.kind === "gemm" ? [...args, ...op.i32Const(npairs), ...op.call(s.importIndex(e, "pool.gemm"))] : [...args, ...jLo, ...jHi, 0x10, GEMM_CALL];
  };
  const tb: Bytes = [...head, ...op.get(job), ...op.i32Const(JOB_PHASES - 1), ...op.i32And, ...op.set(phase)];
  if (strategy === "pairs") {
    const pairsFrom = [...op.get(lo), ...op.i32Const(1), ...op.i32Shl];
    const pairsTo = [...op.get(hi), ...op.i32Const(1), ...op.i32Shl, ...op.i32Const(np), ...op.get(hi), ...op.i32Const(1), ...op.i32Shl,
      ...op.i32Const(np), ...op.i32LtS, ...op.select];
    append(tb, op.get(job), op.i32Const(JOB_PHASES), op.i32DivU, op.set(bVar), bLets,
      isPhase(JOB_PHASE.packA), op.if(), setRange(share(lo, mp), share(hi, mp)), packA,
      op.else, setRange(pairsFrom, pairsTo),
      isPhase(JOB_PHASE.pairs), op.if(), packB,
      np % 2 ? [...op.get(hi), ...op.i32Const(npairs), ...op.i32GeS, ...op.if(), ...zeroPanel, ...op.end] : [],
      op.end,
      gemm(op.get(lo), op.get(hi)), epilogue,
      op.end);
  } else {
    // Whole products of batch elements [lo, hi), each in slot lo's A panels, C (and B panels unless shared).
    const rebase = (buf: number, floats: number): Bytes => [...op.get(buf), ...op.get(lo), ...op.i32Const(floats * 4), ...op.i32Mul, ...op.i32Add, ...op.set(buf)];
    const product = [
      ...bLets, ...setRange(op.i32Const(0), op.i32Const(mp)), ...packA,
      ...(invariantB ? [] : [...setRange(op.i32Const(0), op.i32Const(np)), ...packB, ...zeroPanel]),
      ...setRange(op.i32Const(0), op.i32Const(np)), ...gemm(op.i32Const(0), op.i32Const(npairs)), ...epilogue,
    ];
    append(tb, isPhase(JOB_PHASE.packB), op.if(), setRange(share(lo, np), share(hi, np)), packB,
      np % 2 ? [...op.get(hi), ...op.i32Const(tasks), ...op.i32GeS, ...op.if(), ...zeroPanel, ...op.end] : [],
      op.else, rebase(sa.buf, aFloats), rebase(cPtr, cFloats), invariantB ? [] : rebase(sb.buf, bFloats),
      op.get(lo), op.set(bVar), s.scalarLoop(bVar, 1, [...op.get(bVar), ...op.get(hi), ...op.i32GeS], product),
      op.end);
  }
  append(tb, op.end);

  // run(ptrs…, C): the phases in order — one pool call each (or a direct call of `tiles` over every task).
  const ptrs = Array.from({ length: nPtrs }, (_, i) => op.get(i)).flat();
  const runPhase = (jobCode: Bytes): Bytes => pool?.kind === "tiles"
    ? [...ptrs, ...jobCode, ...op.call(s.importIndex(e, "pool.tiles"))]
    : [...ptrs, ...jobCode, ...op.i32Const(0), ...op.i32Const(tasks), 0x10, TILES_CALL];
  if (strategy === "pairs") {
    const b = s.newLocal(e, T.i32);
    const jobOf = (p: Bytes): Bytes => [...op.get(b), ...op.i32Const(JOB_PHASES), ...op.i32Mul, ...p, ...op.i32Add];
    // A batch-invariant B's panels, packed for b = 0, serve every later b.
    const pairsPhase = invariantB
      ? [...op.i32Const(JOB_PHASE.pairs), ...op.i32Const(JOB_PHASE.pairsPacked), ...op.get(b), ...op.i32Eqz, ...op.select]
      : op.i32Const(JOB_PHASE.pairs);
    const body = [...runPhase(jobOf(op.i32Const(JOB_PHASE.packA))), ...runPhase(jobOf(pairsPhase))];
    append(out, op.i32Const(0), op.set(b), s.scalarLoop(b, 1, [...op.get(b), ...op.i32Const(batch), ...op.i32GeS], body));
  } else {
    if (invariantB) append(out, runPhase(op.i32Const(JOB_PHASE.packB)));
    append(out, runPhase(op.i32Const(invariantB ? JOB_PHASE.productsPacked : JOB_PHASE.products)));
  }

  const tilesFunc: DefinedFunc = { type: { params: new Array(nPtrs + 3).fill(T.i32), results: [] }, locals: s.locals(t), body: tb, export: "tiles" };
  const bSlots = strategy === "products" && !invariantB ? slots : 1;
  return {
    funcs: [tilesFunc, microkernel()],
    scratchFloats: new Map([[sa.buf, slots * aFloats], [sb.buf, bSlots * bFloats]]),
    cFloats: slots * cFloats,
    pool,
    strategy,
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
