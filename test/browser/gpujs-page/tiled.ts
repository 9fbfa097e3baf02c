/**
 * The tiled contraction form, split reductions and asynchronous reads on WebGL2 (run by the
 * gpujs page, checked by test/browser/gpujs-webgl.test.ts): contractions of odd shapes and
 * layouts on gpujs against the cpu backend, which of them took the tiled form, the kernel
 * sources `jit(...).lower()` shows, and `await item()` through the pixel-pack-buffer read.
 */
import { type Tensor, gpujsStats, init, jit, np, profile, setBackend } from "kiln";

export interface TiledCase {
  readonly name: string;
  /** Max |gpujs − cpu| / (1 + |cpu|) over the output. */
  readonly maxErr: number;
  /** Tiled kernels gpujs created for the case. */
  readonly tiled: number;
  readonly error?: string;
}

export interface TiledResult {
  /** The cases with the context's block rows (8 on SwiftShader), then again with 4-row blocks (`init({ gpujs: { blockRows: 4 } })`). */
  readonly cases: TiledCase[];
  readonly cases4: TiledCase[];
  /** `jit(x ↦ tanh(x·w + b)).lower()` on gpujs: its kernels' sources. */
  readonly matmulSource: string;
  /** `jit(x ↦ Σ f(x))` over 2^20 values: its kernels' sources. */
  readonly sumSource: string;
  readonly sum: { readonly gpujs: number; readonly cpu: number };
  /** `await item()` / `await data()` of lazy values (the asynchronous read) against `itemSync()` / `dataSync()`. */
  readonly asyncRead: { readonly equal: boolean; readonly readbacks: number; readonly asyncReadbacks: number; readonly blockingReads: number };
  /**
   * The same reads again (their plans' times now known, short): `blockingReads` of them read
   * blocking after one task; then with `blockingReadMs: 0` (fences again), and a jitted result read
   * twice (the resident read); whether every value equals the sync read's.
   */
  readonly blockingRead: { readonly equal: boolean; readonly again: number; readonly off: number; readonly jitted: number[] };
  /** `profile()` of `jit(x ↦ tanh(x·w + b))` on gpujs: its entries (name, ms, runs per call), and whether the profiled calls' value equals an unprofiled call's. */
  readonly profiled: { readonly kernels: { name: string; ms: number | null; runs: number }[]; readonly sameValue: boolean };
  /**
   * The cases and W2/W3-sized products with the block loops' direct texel coordinates
   * (`directFetch`, the default) and without: whether every output is bit-identical, how many
   * products were compared, and a 256×256 product's block kernel source.
   */
  readonly directFetch: { readonly identical: boolean; readonly products: number; readonly mismatches: string[]; readonly source: string };
  /**
   * Plain products read back (their block targets laid out on the host: one GL pass) against the
   * same products jitted (the layout pass on the GPU, the result kept as a texture, then read):
   * whether every value is bit-identical (sync and async reads, pipelined and not), and GPU.js runs per product.
   */
  readonly hostLayout: { readonly identical: boolean; readonly products: number; readonly mismatches: string[]; readonly eagerRuns: number[]; readonly jitRuns: number[] };
}

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

const t = (shape: number[], seed: number) => np.array(values(shape.reduce((a, b) => a * b, 1), seed), { shape });

/** Contractions the tiled form covers (and two it leaves to the dot form), each a function of fresh inputs. */
const CASES: readonly [string, () => Tensor][] = [
  ["aligned 66×36·36×68 + bias, tanh", () => np.tanh(np.matmul(t([66, 36], 1), t([36, 68], 2)).add(t([68], 3)))],
  ["odd k 33×35·35×64 (scalar A reads, k tail)", () => np.matmul(t([33, 35], 4), t([35, 64], 5))],
  ["batched 3×33×36·3×36×64", () => np.matmul(t([3, 33, 36], 6), t([3, 36, 64], 7))],
  ["broadcast B, odd k 2×33×35·35×64", () => np.matmul(t([2, 33, 35], 8), t([35, 64], 9))],
  ["transposed A (35×33)ᵀ·35×64", () => np.matmul(np.transpose(t([35, 33], 10)), t([35, 64], 11))],
  ["transposed B 33×36·(64×36)ᵀ (column texels)", () => np.matmul(t([33, 36], 12), np.transpose(t([64, 36], 13)))],
  ["transposed B, odd k 33×35·(64×35)ᵀ", () => np.matmul(t([33, 35], 14), np.transpose(t([64, 35], 15)))],
  // Edges of the 4×4 blocks: rows past m in the last block (35 and 34 rows, batched), A's rows as texels of A stored transposed.
  ["35 rows (last block of 3) 35×36·36×64", () => np.matmul(t([35, 36], 26), t([36, 64], 27))],
  ["batched, 34 rows (last block of 2), bias 3×34×36·36×64 + 64", () => np.matmul(t([3, 34, 36], 28), t([36, 64], 29)).add(t([64], 30))],
  ["transposed A, aligned (36×32)ᵀ·36×64 (row texels)", () => np.matmul(np.transpose(t([36, 32], 33)), t([36, 64], 34))],
  ["transposed A and B (36×30)ᵀ·(64×36)ᵀ", () => np.matmul(np.transpose(t([36, 30], 35)), np.transpose(t([64, 36], 36)))],
  // n not a multiple of 4: the last block's columns clamped, the epilogue's lanes gathered one by one (they span rows).
  ["odd n 40×36·36×66", () => np.matmul(t([40, 36], 16), t([36, 66], 17))],
  ["W3's last layer, n = 10: 128×256·256×10 + bias", () => np.matmul(t([128, 256], 50), t([256, 10], 51)).add(t([10], 52))],
  ["W3's weight gradient, n = 10: (128×256)ᵀ·128×10", () => np.matmul(np.transpose(t([128, 256], 53)), t([128, 10], 54))],
  ["n = 6, batched 3×70×36·36×6, bias along rows", () => np.matmul(t([3, 70, 36], 55), t([36, 6], 56)).add(t([3, 70, 1], 57))],
  ["n = 3, transposed B, odd k 128×255·(3×255)ᵀ", () => np.matmul(t([128, 255], 58), np.transpose(t([3, 255], 59)))],
  ["n = 2, 131 rows 131×256·256×2", () => np.matmul(t([131, 256], 60), t([256, 2], 61))],
  // Elementwise prologues on the fetched values (exact ops with constants): relu on A, as W3's
  // logits and the W₂ gradient read h₂ = relu(…); scale/shift/abs/min on B with odd k and ragged edges.
  ["relu prologue, n = 10: relu(128×256)·256×10 + bias", () => np.matmul(np.maximum(t([128, 256], 62), 0), t([256, 10], 63)).add(t([10], 64))],
  ["relu prologue, transposed A: relu(128×256)ᵀ·128×10", () => np.matmul(np.transpose(np.maximum(t([128, 256], 65), 0)), t([128, 10], 66))],
  ["prologues on both, batched, 35 rows, odd k: max(2·(3×35×37) − 0.5, 0)·(−0.5·|37×66| + 0.25)", () => np.matmul(np.maximum(t([3, 35, 37], 67).mul(2).sub(0.5), 0), np.abs(t([37, 66], 68)).mul(-0.5).add(0.25))],
  // Eager scalars (0.3, 0.25) are bound as data: prologue operands read once per thread.
  ["scalar operands, batched, odd k: min(3×35×37, 0.3)·(0.25 − 0.5·|37×66|)", () => np.matmul(np.minimum(t([3, 35, 37], 71), 0.3), np.subtract(0.25, np.abs(t([37, 66], 72)).mul(0.5)))],
  ["prologue on transposed B: 33×36·(−(64×36))ᵀ", () => np.matmul(t([33, 36], 69), np.transpose(np.negative(t([64, 36], 70))))],
  ["fused prologue 36×40·tanh(40×36) (dot form)", () => np.matmul(t([36, 40], 18), np.tanh(t([40, 36], 19)))],
];

const w1 = (x: Tensor) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.sigmoid(x)).sub(x.mul(x).mul(0.1)));

/** Each case on gpujs against cpu: the largest relative difference and how many tiled kernels gpujs created. */
function runCases(): TiledCase[] {
  const cases: TiledCase[] = [];
  for (const [name, f] of CASES) {
    try {
      setBackend("cpu");
      const want = f().dataSync();
      setBackend("gpujs");
      const before = gpujsStats().tiled;
      const got = f().dataSync();
      let maxErr = got.length === want.length ? 0 : Infinity;
      for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
      cases.push({ name, maxErr, tiled: gpujsStats().tiled - before });
    } catch (e) {
      cases.push({ name, maxErr: Infinity, tiled: 0, error: String((e as Error)?.message ?? e).slice(0, 600) });
    }
  }
  return cases;
}

/** Products whose layouts take the direct loads (W2's, texture widths dividing the row steps) and whose don't (W3's 784-sided). */
const DIRECT_CASES: readonly [string, () => Tensor][] = [
  ...CASES,
  ["W2 256×256·256×256", () => np.matmul(t([256, 256], 40), t([256, 256], 41))],
  ["W3 128×784·784×256", () => np.matmul(t([128, 784], 44), t([784, 256], 45))],
  ["W3 (128×784)ᵀ·128×256", () => np.matmul(np.transpose(t([128, 784], 46)), t([128, 256], 47))],
];

/** Every DIRECT_CASES product on gpujs with and without direct texel coordinates, compared bit for bit. */
async function runDirectFetch(): Promise<TiledResult["directFetch"]> {
  const outputs = async (directFetch: boolean) => {
    await init({ tune: false, gpujs: { directFetch } });
    setBackend("gpujs");
    return DIRECT_CASES.map(([, f]) => f().dataSync());
  };
  const flat = await outputs(false), direct = await outputs(true);
  const mismatches = DIRECT_CASES.flatMap(([name], i) => {
    const a = direct[i]!, b = flat[i]!;
    return a.length === b.length && a.every((v, k) => Object.is(v, b[k])) ? [] : [name];
  });
  const source = jit((a: Tensor, b: Tensor) => np.matmul(a, b)).lower(t([256, 256], 40), t([256, 256], 41)).kernels.map((k) => k.source).join("\n");
  return { identical: mismatches.length === 0, products: DIRECT_CASES.length, mismatches, source };
}

/** Plain products (shapes not multiples of the block, batched, transposed operands, n = 10, W2's n = 256) as functions of their inputs. */
const PLAIN: readonly [string, (a: Tensor, b: Tensor) => Tensor, number[], number[]][] = [
  ["W2 256×256·256×256", (a, b) => np.matmul(a, b), [256, 256], [256, 256]],
  ["odd k, 35 rows 35×37·37×64", (a, b) => np.matmul(a, b), [35, 37], [37, 64]],
  ["batched, odd n 3×34×36·3×36×66", (a, b) => np.matmul(a, b), [3, 34, 36], [3, 36, 66]],
  ["transposed A, n = 10 (128×256)ᵀ·128×10", (a, b) => np.matmul(np.transpose(a), b), [128, 256], [128, 10]],
  ["transposed B, n = 3 131×255·(3×255)ᵀ", (a, b) => np.matmul(a, np.transpose(b)), [131, 255], [3, 255]],
];

async function runHostLayout(): Promise<TiledResult["hostLayout"]> {
  const mismatches: string[] = [], eagerRuns: number[] = [], jitRuns: number[] = [], jitted: Float32Array[] = [];
  const same = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, k) => Object.is(v, y[k]));
  for (const pipeline of [true, false]) {
    await init({ tune: false, gpujs: { pipeline } });
    setBackend("gpujs");
    for (const [i, [name, f, sa, sb]] of PLAIN.entries()) {
      const a = t(sa, 80 + 2 * i), b = t(sb, 81 + 2 * i);
      if (pipeline) {
        // The reference: jitted, its result resident (the layout pass ran on the GPU), then read.
        const jf = jit(f);
        jf(a, b);
        const r0 = gpujsStats().runs;
        jitted[i] = (await (jf(a, b) as Tensor).data()) as Float32Array;
        jitRuns.push(gpujsStats().runs - r0);
      }
      const r1 = gpujsStats().runs;
      const eager = f(a, b).dataSync() as Float32Array;
      if (pipeline) eagerRuns.push(gpujsStats().runs - r1);
      const eagerAsync = (await f(a, b).data()) as Float32Array;
      if (!same(eager, jitted[i]!) || !same(eagerAsync, jitted[i]!)) mismatches.push(`${name}${pipeline ? "" : " (no pipeline)"}`);
    }
  }
  return { identical: mismatches.length === 0, products: PLAIN.length, mismatches, eagerRuns, jitRuns };
}

export async function runTiled(): Promise<TiledResult> {
  const cases = runCases();
  await init({ tune: false, gpujs: { blockRows: 4 } });
  const cases4 = runCases();
  await init({ tune: false, gpujs: { blockRows: 8 } });
  setBackend("gpujs");
  const x = t([128, 784], 20), w = t([784, 256], 21), b = t([256], 22);
  const matmulSource = jit((xb: Tensor) => np.tanh(xb.matmul(w).add(b))).lower(x).kernels.map((k) => k.source).join("\n");
  const big = t([1 << 20], 23);
  const sumSource = jit(w1).lower(big).kernels.map((k) => k.source).join("\n");
  const sum = { gpujs: w1(big).itemSync(), cpu: 0 };
  setBackend("cpu");
  sum.cpu = w1(big).itemSync();
  setBackend("gpujs");
  const before = gpujsStats();
  const asyncSum = await w1(big).item();
  const asyncProduct = await np.matmul(t([33, 36], 24), t([36, 64], 25)).data();
  const after = gpujsStats();
  const syncProduct = np.matmul(t([33, 36], 24), t([36, 64], 25)).dataSync();
  const equal = asyncSum === w1(big).itemSync() && asyncProduct.every((v, i) => v === syncProduct[i]);
  const asyncRead = {
    equal, readbacks: after.readbacks - before.readbacks, asyncReadbacks: after.asyncReadbacks - before.asyncReadbacks,
    blockingReads: after.blockingReads - before.blockingReads,
  };
  const blockingRead = await runBlockingReads();
  const directFetch = await runDirectFetch();
  const hostLayout = await runHostLayout();
  // As runDirectFetch left it (runHostLayout's last init turned pipelining off).
  await init({ tune: false, gpujs: { directFetch: true, pipeline: true } });
  setBackend("gpujs");
  const layer = jit((xb: Tensor) => np.tanh(xb.matmul(w).add(b)));
  let last: Tensor | null = null;
  const p = await profile(() => (last = layer(x) as Tensor), { calls: 2, warmup: 1 });
  const want = await (layer(x) as Tensor).data(), got = await last!.data();
  const profiled = { kernels: p.kernels.map((k) => ({ name: k.name, ms: k.ms, runs: k.runs })), sameValue: want.every((v, i) => v === got[i]) };
  return { cases, cases4, matmulSource, sumSource, sum, asyncRead, blockingRead, directFetch, hostLayout, profiled };
}

/**
 * TiledResult.blockingRead: an eager sum and product read asynchronously after runs that learned
 * their plans' times (with `blockingReadMs: 1000`, so the choice does not depend on the machine's
 * speed), again with `blockingReadMs: 0`, and a jitted result read on three calls.
 */
async function runBlockingReads(): Promise<TiledResult["blockingRead"]> {
  const sum = () => np.sum(np.tanh(t([4096], 27))), product = () => np.matmul(t([33, 36], 28), t([36, 64], 29));
  const wantSum = sum().itemSync(), want = product().dataSync();
  const blocking = () => gpujsStats().blockingReads;
  const reads = async () => (await sum().item()) === wantSum && (await product().data()).every((v, i) => v === want[i]);
  await init({ tune: false, gpujs: { blockingReadMs: 1000 } });
  let equal = await reads();
  let b0 = blocking();
  equal = (await reads()) && equal;
  const again = blocking() - b0;
  await init({ tune: false, gpujs: { blockingReadMs: 0 } });
  b0 = blocking();
  equal = (await reads()) && equal;
  const off = blocking() - b0;
  await init({ tune: false, gpujs: { blockingReadMs: 1000 } });
  // A jitted result (resident until read): calls that compile kernels learn no time (the first, and
  // the second, whose input is now a kept texture); then a read learns the plan's time, and the next blocks.
  const f = jit((x: Tensor) => np.tanh(x.mul(2)));
  const x = t([64, 64], 26);
  const wantF = (f(x) as Tensor).dataSync();
  const jitted: number[] = [];
  for (let i = 0; i < 4; i++) {
    const y = f(x) as Tensor;
    b0 = blocking();
    const got = await y.data();
    jitted.push(blocking() - b0);
    equal = equal && got.every((v, j) => v === wantF[j]);
  }
  await init({ tune: false, gpujs: { blockingReadMs: 16 } });
  return { equal, again, off, jitted };
}
