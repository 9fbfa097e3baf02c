/**
 * The CPU backend's float32 contraction microkernel, in WebAssembly SIMD: JavaScript has no SIMD,
 * and the inner loop of a matmul is where a CPU spends its time (W3's training step is >95%
 * matmul). The module is assembled here from its bytecode (a few hundred bytes, no toolchain).
 *
 * It multiplies packed panels — the layout lower-contraction.ts packs, with fused prologues, in JS:
 *   A: mp panels of k×4 floats (4 rows of A, row-interleaved per p),
 *   B: 2·npairs panels of k×4 floats (4 columns of B per panel),
 * into C, row-major with `ldc` floats per row: for each pair of B panels (8 columns, kept in L1
 * while A streams past) and each A panel, a 4×8 tile accumulates in eight f32x4 registers
 * (per p: two vector loads of B, four broadcasts of A, sixteen multiply-adds) and is stored once.
 * Sums run in float32 in p order — like every GPU and WASM float32 matmul.
 *
 * Memory is one WebAssembly.Memory that grows on demand; kernels run one at a time on the JS
 * thread, so one workspace is shared by all of them.
 */

/** LEB128 (unsigned) of n. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a small integer. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return out.push(b), out;
    out.push(b | 0x80);
  }
}

const str = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

// Instructions (the few this kernel uses).
const I32 = 0x7f, V128 = 0x7b;
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const add = [0x6a], mul = [0x6c], sub = [0x6b], geU = [0x4f], eqz = [0x45];
const block = [0x02, 0x40], loop = [0x03, 0x40], end = [0x0b];
const br = (d: number) => [0x0c, ...uleb(d)];
const brIf = (d: number) => [0x0d, ...uleb(d)];
const mem = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];
const f32Load = (offset: number) => [0x2a, ...mem(2, offset)];
const simd = (op: number, ...rest: number[]) => [0xfd, ...uleb(op), ...rest];
const v128Load = (offset: number) => simd(0x00, ...mem(2, offset));
const v128Store = (offset: number) => simd(0x0b, ...mem(2, offset));
const v128Zero = simd(0x0c, ...new Array<number>(16).fill(0));
const f32x4Splat = simd(0x13), f32x4Add = simd(0xe4), f32x4Mul = simd(0xe6);

/** The module's bytes: `gemm(aOff, bOff, cOff, mp, npairs, k, ldcBytes)` over an imported memory. */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  // Parameters 0..6, then locals.
  const [aOff, bOff, cOff, mp, npairs, k, ldc] = [0, 1, 2, 3, 4, 5, 6];
  const [jp, ip, p, aPtr, b0Ptr, b1Ptr, cPtr, kb] = [7, 8, 9, 10, 11, 12, 13, 14];
  const c = (r: number, h: number) => 15 + r * 2 + h; // accumulators 15..22
  const [bv0, bv1, av] = [23, 24, 25];

  const fma = (r: number, h: number) => [...get(c(r, h)), ...get(av), ...get(h ? bv1 : bv0), ...f32x4Mul, ...f32x4Add, ...set(c(r, h))];
  const body = [
    ...get(k), ...i32(16), ...mul, ...set(kb),
    ...i32(0), ...set(jp),
    ...block, ...loop,
    ...get(jp), ...get(npairs), ...geU, ...brIf(1),
    ...i32(0), ...set(ip),
    ...block, ...loop,
    ...get(ip), ...get(mp), ...geU, ...brIf(1),
    ...Array.from({ length: 8 }, (_, x) => [...v128Zero, ...set(15 + x)]).flat(),
    ...get(aOff), ...get(ip), ...get(kb), ...mul, ...add, ...set(aPtr),
    ...get(bOff), ...get(jp), ...i32(2), ...mul, ...get(kb), ...mul, ...add, ...set(b0Ptr),
    ...get(b0Ptr), ...get(kb), ...add, ...set(b1Ptr),
    ...get(k), ...set(p),
    ...block, ...loop,
    ...get(p), ...eqz, ...brIf(1),
    ...get(b0Ptr), ...v128Load(0), ...set(bv0),
    ...get(b1Ptr), ...v128Load(0), ...set(bv1),
    ...[0, 1, 2, 3].flatMap((r) => [...get(aPtr), ...f32Load(r * 4), ...f32x4Splat, ...set(av), ...fma(r, 0), ...fma(r, 1)]),
    ...get(aPtr), ...i32(16), ...add, ...set(aPtr),
    ...get(b0Ptr), ...i32(16), ...add, ...set(b0Ptr),
    ...get(b1Ptr), ...i32(16), ...add, ...set(b1Ptr),
    ...get(p), ...i32(1), ...sub, ...set(p),
    ...br(0),
    ...end, ...end,
    // C rows ip·4 .. ip·4+3, columns jp·8 .. jp·8+7.
    ...get(cOff), ...get(ip), ...i32(4), ...mul, ...get(ldc), ...mul, ...add, ...get(jp), ...i32(32), ...mul, ...add, ...set(cPtr),
    ...[0, 1, 2, 3].flatMap((r) => [
      ...get(cPtr), ...get(c(r, 0)), ...v128Store(0),
      ...get(cPtr), ...get(c(r, 1)), ...v128Store(16),
      ...get(cPtr), ...get(ldc), ...add, ...set(cPtr),
    ]),
    ...get(ip), ...i32(1), ...add, ...set(ip),
    ...br(0),
    ...end, ...end,
    ...get(jp), ...i32(1), ...add, ...set(jp),
    ...br(0),
    ...end, ...end,
    ...end,
  ];
  const locals = vec([[...uleb(8), I32], [...uleb(11), V128]]);
  const code = [...locals, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array(7).fill([I32])), 0x00]])),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str("gemm"), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

export interface GemmWorkspace {
  /** Float32 views of the A panels, B panels and C, valid until the next `workspace` call. */
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly c: Float32Array;
  /** Multiplies the panels into C (`npairs` pairs of B panels; C rows hold `ldc` floats). */
  run(mp: number, npairs: number, k: number, ldc: number): void;
}

export interface Gemm {
  workspace(aFloats: number, bFloats: number, cFloats: number): GemmWorkspace;
}

function instantiate(): Gemm | null {
  const bytes = moduleBytes();
  if (typeof WebAssembly === "undefined" || !WebAssembly.validate(bytes)) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const gemm = instance.exports.gemm as (a: number, b: number, c: number, mp: number, npairs: number, k: number, ldc: number) => void;
    let last: { buffer: ArrayBuffer; sizes: string; ws: GemmWorkspace } | null = null;
    return {
      workspace(aFloats, bFloats, cFloats) {
        const sizes = `${aFloats},${bFloats},${cFloats}`;
        if (last && last.buffer === memory.buffer && last.sizes === sizes) return last.ws;
        // 16-byte aligned regions: A, B, C.
        const al = (n: number) => Math.ceil(n / 4) * 16;
        const [aOff, bOff, cOff] = [0, al(aFloats), al(aFloats) + al(bFloats)];
        const bytes = cOff + al(cFloats);
        const have = memory.buffer.byteLength;
        if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
        const buf = memory.buffer;
        const ws: GemmWorkspace = {
          a: new Float32Array(buf, aOff, aFloats),
          b: new Float32Array(buf, bOff, bFloats),
          c: new Float32Array(buf, cOff, cFloats),
          run: (mp, npairs, k, ldc) => gemm(aOff, bOff, cOff, mp, npairs, k, ldc * 4),
        };
        last = { buffer: buf, sizes, ws };
        return ws;
      },
    };
  } catch {
    return null;
  }
}

/** The SIMD microkernel, or null where WebAssembly SIMD is unavailable (the JS kernels run then). */
export const wasmGemm: Gemm | null = instantiate();
