/**
 * The float32 matmul microkernel as a function of a wasm module: contraction kernels rendered as
 * WebAssembly (wasm-render.ts) include it and call it between their packing and epilogue phases.
 *
 * It multiplies packed panels (lower-contraction.ts's layout) into C, row-major with `ldc` floats
 * per row: A is mp panels of k×4 floats (4 rows, row-interleaved per p), B is pairs of panels of
 * k×4 floats (4 columns each); for each pair of B panels in [jpLo, jpHi) (8 columns, kept in L1
 * while A streams past) and each A panel, a 4×8 tile accumulates in eight f32x4 registers (per p:
 * two vector loads of B, four broadcast loads of A, sixteen multiply-adds) and is stored once. Sums run
 * in float32 in p order; a range of pairs is independent of every other, so splitting the pairs
 * across threads gives the same bits.
 */
import { type Bytes, type DefinedFunc, T, op, v } from "./wasm-asm.js";

/** Parameters: (aOff, bOff, cOff, mp, k, ldcBytes, jpLo, jpHi), all i32 — the range last, as the worker pool passes it. */
export const MICROKERNEL_PARAMS = 8;

/**
 * Parameters of the K-blocked variant: (aOff, bOff, cOff, mp, kStride, kc, ldcBytes, load, jpLo, jpHi) —
 * panels `kStride` long of which it multiplies `kc` values from aOff/bOff on, and with `load` set it
 * continues the sums already in C instead of starting from zero.
 */
export const BLOCKED_MICROKERNEL_PARAMS = 10;

/**
 * The microkernel function (not exported unless `exportAs` is given); `blocked`: the K-blocked
 * variant (BLOCKED_MICROKERNEL_PARAMS). Continuing a sum from C gives the same bits as one pass:
 * the accumulators are float32 either way, so storing and reloading them changes nothing and every
 * element still adds its products in p order.
 * @example buildModule({ memory, imports: [], funcs: [microkernel("gemm")] })
 */
export function microkernel(exportAs?: string, blocked = false): DefinedFunc {
  const nParams = blocked ? BLOCKED_MICROKERNEL_PARAMS : MICROKERNEL_PARAMS;
  const [aOff, bOff, cOff, mp, k] = [0, 1, 2, 3, 4];
  const [kc, ldc, load, jpLo, jpHi] = blocked ? [5, 6, 7, 8, 9] : [4, 5, -1, 6, 7];
  const [jp, ip, p, aPtr, b0Ptr, b1Ptr, cPtr, kb] = Array.from({ length: 8 }, (_, i) => nParams + i) as [number, number, number, number, number, number, number, number];
  const acc = (r: number, h: number) => nParams + 8 + r * 2 + h; // 8 accumulators
  const [bv0, bv1, av] = [nParams + 16, nParams + 17, nParams + 18];
  const zero = v.const(new Array<number>(16).fill(0));
  const fma = (r: number, h: number): Bytes => [
    ...op.get(acc(r, h)), ...op.get(av), ...op.get(h ? bv1 : bv0), ...v.f32x4Mul, ...v.f32x4Add, ...op.set(acc(r, h)),
  ];
  // C rows ip·4 .. ip·4+3, columns jp·8 .. jp·8+7: cPtr at row r after `rowStep(r)`.
  const cAddress: Bytes = [
    ...op.get(cOff), ...op.get(ip), ...op.i32Const(4), ...op.i32Mul, ...op.get(ldc), ...op.i32Mul, ...op.i32Add,
    ...op.get(jp), ...op.i32Const(32), ...op.i32Mul, ...op.i32Add, ...op.set(cPtr),
  ];
  const eachRow = (f: (r: number) => Bytes): Bytes => [0, 1, 2, 3].flatMap((r) => [
    ...f(r), ...op.get(cPtr), ...op.get(ldc), ...op.i32Add, ...op.set(cPtr),
  ]);
  const zeros = Array.from({ length: 8 }, (_, x) => [...zero, ...op.set(acc(x >> 1, x & 1))]).flat();
  const init: Bytes = blocked
    ? [...op.get(load), ...op.if(), ...cAddress,
      ...eachRow((r) => [...op.get(cPtr), ...v.load(0), ...op.set(acc(r, 0)), ...op.get(cPtr), ...v.load(16), ...op.set(acc(r, 1))]),
      ...op.else, ...zeros, ...op.end]
    : zeros;
  const body: Bytes = [
    ...op.get(k), ...op.i32Const(16), ...op.i32Mul, ...op.set(kb),
    ...op.get(jpLo), ...op.set(jp),
    ...op.block(), ...op.loop(),
    ...op.get(jp), ...op.get(jpHi), ...op.i32GeU, ...op.brIf(1),
    ...op.i32Const(0), ...op.set(ip),
    ...op.block(), ...op.loop(),
    ...op.get(ip), ...op.get(mp), ...op.i32GeU, ...op.brIf(1),
    ...init,
    ...op.get(aOff), ...op.get(ip), ...op.get(kb), ...op.i32Mul, ...op.i32Add, ...op.set(aPtr),
    ...op.get(bOff), ...op.get(jp), ...op.i32Const(2), ...op.i32Mul, ...op.get(kb), ...op.i32Mul, ...op.i32Add, ...op.set(b0Ptr),
    ...op.get(b0Ptr), ...op.get(kb), ...op.i32Add, ...op.set(b1Ptr),
    ...op.get(kc), ...op.set(p),
    ...op.block(), ...op.loop(),
    ...op.get(p), ...op.i32Eqz, ...op.brIf(1),
    ...op.get(b0Ptr), ...v.load(), ...op.set(bv0),
    ...op.get(b1Ptr), ...v.load(), ...op.set(bv1),
    ...[0, 1, 2, 3].flatMap((r) => [...op.get(aPtr), ...v.load32Splat(r * 4), ...op.set(av), ...fma(r, 0), ...fma(r, 1)]),
    ...op.get(aPtr), ...op.i32Const(16), ...op.i32Add, ...op.set(aPtr),
    ...op.get(b0Ptr), ...op.i32Const(16), ...op.i32Add, ...op.set(b0Ptr),
    ...op.get(b1Ptr), ...op.i32Const(16), ...op.i32Add, ...op.set(b1Ptr),
    ...op.get(p), ...op.i32Const(1), ...op.i32Sub, ...op.set(p),
    ...op.br(0),
    ...op.end, ...op.end,
    ...cAddress,
    ...eachRow((r) => [...op.get(cPtr), ...op.get(acc(r, 0)), ...v.store(0), ...op.get(cPtr), ...op.get(acc(r, 1)), ...v.store(16)]),
    ...op.get(ip), ...op.i32Const(1), ...op.i32Add, ...op.set(ip),
    ...op.br(0),
    ...op.end, ...op.end,
    ...op.get(jp), ...op.i32Const(1), ...op.i32Add, ...op.set(jp),
    ...op.br(0),
    ...op.end, ...op.end,
    ...op.end,
  ];
  return {
    type: { params: new Array(nParams).fill(T.i32), results: [] },
    locals: [...new Array(8).fill(T.i32), ...new Array(11).fill(T.v128)],
    body,
    ...(exportAs ? { export: exportAs } : {}),
  };
}
