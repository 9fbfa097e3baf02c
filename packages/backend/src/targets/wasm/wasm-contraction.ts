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
import { type BufferParam, type Kernel, type Op, type Operand, type Stmt } from "../../kernel.js";
import { type Bytes, type DefinedFunc, type ValType, T, op, uleb } from "./wasm-asm.js";
import { microkernel } from "./wasm-microkernel.js";
import { type ContractionParts, type LoopStmt, lets } from "../../render/contraction.js";
import { MR, NR } from "../../lower-contraction.js";
import { PARALLEL_MIN_FLOPS } from "./wasm-gemm.js";

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
 *   `tiles`   — `run` packs A, then the pool runs `tiles` over ranges of B-panel pairs: each range
 *               packs its B panels, multiplies them and runs the epilogue on its columns of C, so
 *               everything but A's packing is one parallel region (the `pool.tiles` import,
 *               wasm-gemm.ts `tilesOnPool`);
 *   `gemm`    — a `tiles` that calls a host function (workers could not run it) runs on the
 *               calling thread and only the microkernel goes to the pool (the `pool.gemm` import).
 */
export type ContractionPool = { readonly kind: "tiles"; readonly pairs: number; readonly grain: number } | { readonly kind: "gemm" } | null;

export interface ContractionModule {
  /** `tiles` (exported) and the microkernel, to follow `run` in the module. */
  readonly funcs: readonly DefinedFunc[];
  /** Scratch parameters' sizes in floats (the A panels; the B panels, an odd last one with a zero partner). */
  readonly scratchFloats: Map<number, number>;
  /** C's size in floats. */
  readonly cFloats: number;
  readonly pool: ContractionPool;
}

/**
 * Renders the contraction: `run`'s body into `out` (C is parameter `cPtr`, see `withC`), and
 * `tiles(ptrs…, C, b, lo, hi)` — batch element b's B panels of pairs [lo, hi), their tiles and
 * their epilogue — a function of its own so that the pool can run ranges of it.
 */
export function renderContraction<E, B>(P: ContractionParts, cPtr: number, s: StmtEmitter<E, B>, e: E, out: Bytes): ContractionModule {
  const { lb, tiles, li, mp, np, kk, aStore: sa, bStore: sb } = P;
  const { npairs, ldc, bFloats, cFloats } = contractionLayout(P);
  const nPtrs = cPtr + 1;
  const i32 = (local: number): I32Binding => ({ k: "scalar", local, t: T.i32 });
  const flops = 2 * mp * MR * npairs * 2 * NR * kk;

  // tiles(ptrs…, C, b, lo, hi)
  const t = s.newFunction(e, nPtrs + 3);
  const importsBefore = s.importNames(e).length;
  const [bArg, lo, hi] = [nPtrs, nPtrs + 1, nPtrs + 2];
  const tEnv: ContractionEnv<B> = new Map();
  const tb: Bytes = [];
  s.emitStmts(P.rootLets, tEnv, t, tb);
  tEnv.set(lb.var, i32(bArg));
  s.emitStmts(lets(lb.body), tEnv, t, tb);
  // Panels [2·lo, min(2·hi, np)): the pairs' own B panels and tiles.
  const [from, to] = [s.newLocal(t, T.i32), s.newLocal(t, T.i32)];
  append(tb, op.get(lo), op.i32Const(1), op.i32Shl, op.set(from),
    op.get(hi), op.i32Const(1), op.i32Shl, op.set(to),
    op.get(to), op.i32Const(np), op.get(to), op.i32Const(np), op.i32LtS, op.select, op.set(to));
  const range = { start: { k: "local", name: "$from", dtype: "index" }, end: { k: "local", name: "$to", dtype: "index" } } as const;
  tEnv.set(range.start.name, i32(from));
  tEnv.set(range.end.name, i32(to));
  s.emitStmts([{ ...P.packB, ...range }], tEnv, t, tb);
  // An odd last B panel is paired with zeros (its C columns are never read).
  if (np % 2) {
    const z = s.newLocal(t, T.i32);
    const zero = [...op.get(sb.buf), ...op.get(z), ...op.i32Add, ...op.f32Const(0), ...op.f32Store()];
    append(tb, op.get(hi), op.i32Const(npairs), op.i32GeS, op.if(),
      op.i32Const(np * NR * kk * 4), op.set(z), s.scalarLoop(z, 4, [...op.get(z), ...op.i32Const(bFloats * 4), ...op.i32GeU], zero),
      op.end);
  }
  const epilogue: Bytes = [];
  const tileLoop: Stmt = { ...tiles, ...range, body: [...lets(tiles.body), { ...li, body: [...lets(li.body), ...readingC(P, cPtr)] }] };
  s.emitStmts([tileLoop], tEnv, t, epilogue);
  // The pool runs `tiles` only if it calls no host function: a worker's instance gets stubs.
  const hostCalls = s.importNames(e).length > importsBefore;
  const pool: ContractionPool = flops < PARALLEL_MIN_FLOPS ? null
    : hostCalls ? { kind: "gemm" }
    : { kind: "tiles", pairs: npairs, grain: Math.max(1, Math.ceil(PARALLEL_MIN_FLOPS / (flops / npairs))) };
  const args = [...op.get(sa.buf), ...op.get(sb.buf), ...op.get(cPtr), ...op.i32Const(mp), ...op.i32Const(kk), ...op.i32Const(ldc * 4)];
  if (pool?.kind === "gemm") append(tb, args, op.i32Const(npairs), op.call(s.importIndex(e, "pool.gemm")));
  else append(tb, args, op.get(lo), op.get(hi), [0x10, GEMM_CALL]);
  append(tb, epilogue, op.end);

  // run(ptrs…, C): for each batch element, pack A, then the tiles of every pair.
  const env: ContractionEnv<B> = new Map();
  s.emitStmts(P.rootLets, env, e, out);
  const bVar = s.newLocal(e, T.i32);
  env.set(lb.var, i32(bVar));
  const body: Bytes = [];
  s.emitStmts(lb.body.flatMap((st) => (st === P.packA ? [rowsInner(P.packA)] : st === P.packB || st === tiles ? [] : [st])), env, e, body);
  const ptrs = Array.from({ length: nPtrs }, (_, i) => op.get(i)).flat();
  if (pool?.kind === "tiles") append(body, ptrs, op.get(bVar), op.call(s.importIndex(e, "pool.tiles")));
  else append(body, ptrs, op.get(bVar), op.i32Const(0), op.i32Const(npairs), [0x10, TILES_CALL]);
  append(out, op.i32Const(0), op.set(bVar), s.scalarLoop(bVar, 1, [...op.get(bVar), ...op.i32Const(P.batch), ...op.i32GeS], body));

  const tilesFunc: DefinedFunc = { type: { params: new Array(nPtrs + 3).fill(T.i32), results: [] }, locals: s.locals(t), body: tb, export: "tiles" };
  return { funcs: [tilesFunc, microkernel()], scratchFloats: new Map([[sa.buf, mp * MR * kk], [sb.buf, bFloats]]), cFloats, pool };
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
