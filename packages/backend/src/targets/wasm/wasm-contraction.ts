/**
 * Float32 contraction kernels (render/contraction.ts's structure) as WebAssembly, the way the JS
 * target's js-matmul.ts runs them but all in wasm: packing phases as ordinary loops into the panel
 * buffers, the register-tile phase as a call of the microkernel (wasm-microkernel.ts) over every
 * pair of B panels, and the epilogue reading the tile registers from C.
 *
 * The statement emitter lives in wasm-render.ts, which imports this file: it lends its functions
 * (`StmtEmitter`) rather than this file importing them back (no import cycle).
 */
import { type BufferParam, type Kernel, type Op, type Operand, type Stmt } from "../../kernel.js";
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
  /** The index of an imported function (added on first use). */
  importIndex(e: E, name: "pool.gemm"): number;
  /** `for (var = start; var < end; var += step) body`, `guard` ending the loop. */
  scalarLoop(varLocal: number, step: number, guard: Bytes, body: Bytes): Bytes;
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
 * Emits the contraction into `out` (C is parameter `cPtr`, see `withC`). Returns the panel sizes the call needs (an odd last B panel
 * gets a zero partner) and C's size, in floats.
 */
export function contractionBody<E, B>(
  P: ContractionParts, cPtr: number, s: StmtEmitter<E, B>, e: E, out: Bytes,
): { scratchFloats: Map<number, number>; cFloats: number } {
  const { lb, tiles, li, mp, np, kk, aStore: sa, bStore: sb } = P;
  const { npairs, ldc, bFloats, cFloats } = contractionLayout(P);
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
    const liBody: Bytes = [];
    s.emitStmts([...lets(li.body), ...readingC(P, cPtr)], liEnv, e, liBody);
    append(tileBody, countedLoop(liVar, mp, liBody));
    append(body, countedLoop(tileVar, np, tileBody));
  }
  append(out, countedLoop(bVar, P.batch, body));
  const scratchFloats = new Map([[sa.buf, mp * MR * kk], [sb.buf, bFloats]]);
  return { scratchFloats, cFloats };
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
