/**
 * Float32 contraction kernels (render/contraction.ts's structure) as WebAssembly, the way the JS
 * target's js-matmul.ts runs them but all in wasm: packing phases as ordinary loops into the panel
 * buffers, the register-tile phase as a call of the microkernel (wasm-microkernel.ts) over every
 * pair of B panels, and the epilogue reading the tile registers from C.
 *
 * The statement emitter lives in wasm-render.ts, which imports this file: it lends its functions
 * (`StmtEmitter`) rather than this file importing them back (no import cycle).
 */
import { type Operand, type Stmt } from "../../kernel.js";
import { type Bytes, type ValType, T, op } from "./wasm-asm.js";
import { type ContractionParts, lets } from "../../render/contraction.js";
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
  /** Code pushing `o` as an i32. */
  pushI32(o: Operand, env: ContractionEnv<B>, e: E): Bytes;
  /** The index of an imported function (added on first use). */
  importIndex(e: E, name: "pool.gemm"): number;
  /** Makes register reads (`let x = regs[ii][jj]`) push the given code; undefined ends it. */
  setRegAlias(e: E, alias: ((name: string, idx: readonly Operand[], env: ContractionEnv<B>) => Bytes) | undefined): void;
  /** `for (var = start; var < end; var += step) body`, `guard` ending the loop. */
  scalarLoop(varLocal: number, step: number, guard: Bytes, body: Bytes): Bytes;
  /** The kernel's parameter count (C is the parameter after them). */
  params(e: E): number;
}

/** Placeholder for the microkernel's function index in a `call` (patched by `patchGemmCalls`). */
const GEMM_CALL = -1;

/** `out` with the microkernel calls pointing at function `index` (its bytes, uleb-encoded). */
export function patchGemmCalls(code: Bytes, index: Bytes): Bytes {
  return code.flatMap((b) => (b === GEMM_CALL ? index : [b]));
}

/** Appends byte arrays to `out` (a loop: a kernel's body can exceed the engine's limit on call arguments). */
function append(out: Bytes, ...parts: Bytes[]): void {
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]!);
}

/**
 * Emits the contraction into `out`. Returns the panel sizes the call needs (an odd last B panel
 * gets a zero partner) and C's size, in floats.
 */
export function contractionBody<E, B>(
  P: ContractionParts, s: StmtEmitter<E, B>, e: E, out: Bytes,
): { scratchFloats: Map<number, number>; cFloats: number } {
  const { lb, tiles, li, regs, mp, np, kk, aStore: sa, bStore: sb } = P;
  const npairs = Math.ceil(np / 2), ldc = npairs * 2 * NR;
  const bFloats = npairs * 2 * NR * kk, cFloats = mp * MR * ldc;
  const cPtr = s.params(e);
  const i32 = (local: number): I32Binding => ({ k: "scalar", local, t: T.i32 });
  const countedLoop = (v: number, n: number, body: Bytes): Bytes =>
    [...op.i32Const(0), ...op.set(v), ...s.scalarLoop(v, 1, [...op.get(v), ...op.i32Const(n), ...op.i32GeS], body)];
  const env: ContractionEnv<B> = new Map();
  s.emitStmts(P.rootLets, env, e, out);
  const bVar = s.newLocal(e, T.i32);
  const tileVar = s.newLocal(e, T.i32), liVar = s.newLocal(e, T.i32);
  const inner: ContractionEnv<B> = new Map(env);
  inner.set(lb.var, i32(bVar));
  const body: Bytes = [];
  for (const st of lb.body) {
    if (st !== tiles) {
      s.emitStmts([st], inner, e, body);
      continue;
    }
    // An odd last B panel is paired with zeros (its C columns are never read).
    if (np % 2) {
      const z = s.newLocal(e, T.i32);
      const from = np * NR * kk * 4, to = bFloats * 4;
      append(body, op.i32Const(from), op.set(z), s.scalarLoop(z, 4, [...op.get(z), ...op.i32Const(to), ...op.i32GeU],
        [...op.get(sb.buf), ...op.get(z), ...op.i32Add, ...op.f32Const(0), ...op.f32Store()]));
    }
    // Big products go to the worker pool (an import: wasm-gemm.ts's gemmOnPool splits the pairs
    // across threads, same bits); small ones call the microkernel in this module.
    const args = [...op.get(sa.buf), ...op.get(sb.buf), ...op.get(cPtr), ...op.i32Const(mp), ...op.i32Const(kk), ...op.i32Const(ldc * 4)];
    if (2 * mp * MR * npairs * 2 * NR * kk >= PARALLEL_MIN_FLOPS) append(body, args, op.i32Const(npairs), op.call(s.importIndex(e, "pool.gemm")));
    else append(body, args, op.i32Const(0), op.i32Const(npairs), [0x10, GEMM_CALL]);
    // for tiles in [0, np): for li in [0, mp): the epilogue, tile registers read from C.
    const tileEnv: ContractionEnv<B> = new Map(inner);
    tileEnv.set(tiles.var, i32(tileVar));
    const tileBody: Bytes = [];
    s.emitStmts(lets(tiles.body), tileEnv, e, tileBody);
    const liEnv: ContractionEnv<B> = new Map(tileEnv);
    liEnv.set(li.var, i32(liVar));
    s.setRegAlias(e, (name, idx, env2) => {
      if (name !== regs.name) throw new Error(`wasm: unknown register ${name}`);
      // C[(li·MR + ii)·ldc + tile·NR + jj]
      return [...op.get(cPtr),
        ...op.get(liVar), ...op.i32Const(MR), ...op.i32Mul, ...s.pushI32(idx[0]!, env2, e), ...op.i32Add, ...op.i32Const(ldc), ...op.i32Mul,
        ...op.get(tileVar), ...op.i32Const(NR), ...op.i32Mul, ...op.i32Add, ...s.pushI32(idx[1]!, env2, e), ...op.i32Add,
        ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load()];
    });
    const liBody: Bytes = [];
    s.emitStmts([...lets(li.body), P.epilogue], liEnv, e, liBody);
    s.setRegAlias(e, undefined);
    append(tileBody, countedLoop(liVar, mp, liBody));
    append(body, countedLoop(tileVar, np, tileBody));
  }
  append(out, countedLoop(bVar, P.batch, body));
  const scratchFloats = new Map([[sa.buf, mp * MR * kk], [sb.buf, bFloats]]);
  return { scratchFloats, cFloats };
}
