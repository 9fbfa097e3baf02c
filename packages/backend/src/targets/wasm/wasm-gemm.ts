/**
 * The CPU backend's float32 contraction microkernel, in WebAssembly SIMD: JavaScript has no SIMD,
 * and the inner loop of a matmul is where a CPU spends its time (W3's training step is >95%
 * matmul). The module is assembled with wasm-asm.ts (a few hundred bytes, no toolchain).
 *
 * It multiplies packed panels — the layout lower-contraction.ts packs, with fused prologues, in JS:
 *   A: mp panels of k×4 floats (4 rows of A, row-interleaved per p),
 *   B: 2·npairs panels of k×4 floats (4 columns of B per panel),
 * into C, row-major with `ldc` floats per row: for each pair of B panels (8 columns, kept in L1
 * while A streams past) and each A panel, a 4×8 tile accumulates in eight f32x4 registers
 * (per p: two vector loads of B, four broadcasts of A, sixteen multiply-adds) and is stored once.
 * Sums run in float32 in p order — like every GPU and WASM float32 matmul.
 *
 * The export takes a range of B-panel pairs, `gemm(aOff, bOff, cOff, mp, k, ldcBytes, jpFrom, jpTo)`,
 * which is `parallelFor`'s contract (wasm-pool.ts): pairs write disjoint columns of C, each by the
 * same instructions, so splitting them across threads gives the same bits as one thread. The
 * panels live on the shared heap's arena (wasm-memory.ts), allocated per call and released after.
 */
import { type Bytes, T, buildModule, op, v } from "./wasm-asm.js";
import { heap } from "./wasm-memory.js";
import { parallelFor } from "./wasm-pool.js";

/** The module's bytes over `heap`'s memory. */
function moduleBytes(memory: NonNullable<typeof heap>["importLimits"]): Uint8Array<ArrayBuffer> {
  const [aOff, bOff, cOff, mp, k, ldc, jpFrom, jpTo] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [jp, ip, p, aPtr, b0Ptr, b1Ptr, cPtr, kb] = [8, 9, 10, 11, 12, 13, 14, 15];
  const c = (r: number, h: number) => 16 + r * 2 + h; // accumulators 16..23
  const [bv0, bv1, av] = [24, 25, 26];
  const { get, set, i32Const } = op;

  const fma = (r: number, h: number): Bytes => [...get(c(r, h)), ...get(av), ...get(h ? bv1 : bv0), ...v.f32x4Mul, ...v.f32x4Add, ...set(c(r, h))];
  const body: Bytes = [
    ...get(k), ...i32Const(16), ...op.i32Mul, ...set(kb),
    ...get(jpFrom), ...set(jp),
    ...op.block(), ...op.loop(),
    ...get(jp), ...get(jpTo), ...op.i32GeU, ...op.brIf(1),
    ...i32Const(0), ...set(ip),
    ...op.block(), ...op.loop(),
    ...get(ip), ...get(mp), ...op.i32GeU, ...op.brIf(1),
    ...Array.from({ length: 8 }, (_, x) => [...v.const(new Array<number>(16).fill(0)), ...set(16 + x)]).flat(),
    ...get(aOff), ...get(ip), ...get(kb), ...op.i32Mul, ...op.i32Add, ...set(aPtr),
    ...get(bOff), ...get(jp), ...i32Const(2), ...op.i32Mul, ...get(kb), ...op.i32Mul, ...op.i32Add, ...set(b0Ptr),
    ...get(b0Ptr), ...get(kb), ...op.i32Add, ...set(b1Ptr),
    ...get(k), ...set(p),
    ...op.block(), ...op.loop(),
    ...get(p), ...op.i32Eqz, ...op.brIf(1),
    ...get(b0Ptr), ...v.load(), ...set(bv0),
    ...get(b1Ptr), ...v.load(), ...set(bv1),
    ...[0, 1, 2, 3].flatMap((r) => [...get(aPtr), ...op.f32Load(r * 4), ...v.f32x4Splat, ...set(av), ...fma(r, 0), ...fma(r, 1)]),
    ...get(aPtr), ...i32Const(16), ...op.i32Add, ...set(aPtr),
    ...get(b0Ptr), ...i32Const(16), ...op.i32Add, ...set(b0Ptr),
    ...get(b1Ptr), ...i32Const(16), ...op.i32Add, ...set(b1Ptr),
    ...get(p), ...i32Const(1), ...op.i32Sub, ...set(p),
    ...op.br(0),
    ...op.end, ...op.end,
    // C rows ip·4 .. ip·4+3, columns jp·8 .. jp·8+7.
    ...get(cOff), ...get(ip), ...i32Const(4), ...op.i32Mul, ...get(ldc), ...op.i32Mul, ...op.i32Add, ...get(jp), ...i32Const(32), ...op.i32Mul, ...op.i32Add, ...set(cPtr),
    ...[0, 1, 2, 3].flatMap((r) => [
      ...get(cPtr), ...get(c(r, 0)), ...v.store(0),
      ...get(cPtr), ...get(c(r, 1)), ...v.store(16),
      ...get(cPtr), ...get(ldc), ...op.i32Add, ...set(cPtr),
    ]),
    ...get(ip), ...i32Const(1), ...op.i32Add, ...set(ip),
    ...op.br(0),
    ...op.end, ...op.end,
    ...get(jp), ...i32Const(1), ...op.i32Add, ...set(jp),
    ...op.br(0),
    ...op.end, ...op.end,
    ...op.end,
  ];
  return buildModule({
    memory,
    imports: [],
    funcs: [{ type: { params: new Array(8).fill(T.i32), results: [] }, locals: [...new Array(8).fill(T.i32), ...new Array(11).fill(T.v128)], body, export: "gemm" }],
  });
}

/**
 * Work below which a product runs on the calling thread alone, and the least work a chunk of B-panel
 * pairs gets: waking a worker costs tens of microseconds, 2^20 flops take ~50 µs on one core.
 */
export const PARALLEL_MIN_FLOPS = 1 << 20;

export interface GemmWorkspace {
  /** Float32 views of the A panels, B panels and C on the heap, valid until `release`. */
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly c: Float32Array;
  /** Multiplies the panels into C (`npairs` pairs of B panels; C rows hold `ldc` floats), across the pool when big enough. */
  run(mp: number, npairs: number, k: number, ldc: number): void;
  /** Returns the workspace's memory to the arena (in a `finally`: stack discipline). */
  release(): void;
}

export interface Gemm {
  /** Allocates a workspace on the heap's arena; the caller releases it. */
  workspace(aFloats: number, bFloats: number, cFloats: number): GemmWorkspace;
}

function instantiate(): Gemm | null {
  if (!heap || typeof WebAssembly === "undefined") return null;
  const h = heap;
  const bytes = moduleBytes(h.importLimits);
  if (!WebAssembly.validate(bytes)) return null;
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
  return {
    workspace(aFloats, bFloats, cFloats) {
      const mark = h.mark();
      const [aOff, bOff, cOff] = [h.alloc(aFloats * 4), h.alloc(bFloats * 4), h.alloc(cFloats * 4)];
      // Views after the last alloc: an unshared heap detaches older views when it grows.
      const buf = h.views().f32.buffer;
      return {
        a: new Float32Array(buf, aOff, aFloats),
        b: new Float32Array(buf, bOff, bFloats),
        c: new Float32Array(buf, cOff, cFloats),
        run(mp, npairs, k, ldc) {
          const pairFlops = 2 * mp * 4 * 8 * k;
          const grain = Math.max(1, Math.ceil(PARALLEL_MIN_FLOPS / pairFlops));
          parallelFor(module, "gemm", [aOff, bOff, cOff, mp, k, ldc * 4], npairs, { grain });
        },
        release: () => h.release(mark),
      };
    },
  };
}

/** The SIMD microkernel, or null where WebAssembly SIMD is unavailable (the JS kernels run then). */
export const wasmGemm: Gemm | null = instantiate();
