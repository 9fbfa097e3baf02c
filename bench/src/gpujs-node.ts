/**
 * `npm run bench:gpujs`: W1, W2 and W3 on kiln's gpujs backend in Node, where GPU.js's default
 * mode is `webasm` (WebAssembly + f32x4 SIMD, one thread, synchronous), against the same work
 * written by hand as GPU.js kernels on a `new GPU()` in its default mode, and against kiln's cpu
 * backend. Every runner reads its result back; all runners of one workload are timed in
 * interleaved rounds (`measureInterleaved`), and the bench fails loudly when their results do not
 * agree within float32 tolerance.
 *
 *  W1  sum(tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x), x = 2^20 float32: ms per call.
 *  W2  float32 matmul n×n (n = 128, 256, 512, 1024): GFLOP/s.
 *  W3  the MLP training step of w3-mlp.ts (784-256-256-10, batch 128, SGD, loss read back): steps/s.
 *
 * Options: `--only W1,W2,W3`, `--quick` (n ≤ 256, fewer rounds), `--sizes 128,256` (W2's sizes),
 * `--json file`.
 */
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { GPU, type IKernelRunShortcut, type KernelVariable } from "gpu.js";
import { Tensor as KilnTensor, type Tensor, hostDataNode } from "@kiln/core";
import { gpujsMode, init, setBackend } from "@kiln/backend";
import { jit } from "@kiln/transforms";
import { np } from "@kiln/core";
import { random, w1Reference } from "./data.js";
import { type Row, metric, reportWorkload, writeJson } from "./report.js";
import { measureInterleaved } from "./timing.js";
import { BATCH, LR, SIZES, kilnMlp, mlpData, type MlpData } from "./w3-mlp.js";

const W1_N = 1 << 20;

/** A runner: made once (setup outside the timed region), each call does the work and reads it back. */
type Call = () => unknown;

/** What a GPU.js kernel function sees as `this` (the subset these kernels use). */
interface KernelThis {
  readonly thread: { readonly x: number; readonly y: number };
  readonly constants: Record<string, number>;
}

/** GPU.js's kernel function type is generic over its arguments; these are plain functions of arrays. */
type KernelFn = (this: KernelThis, ...args: never[]) => number;
const kernel = (gpu: GPU, fn: KernelFn, settings: Record<string, unknown>): IKernelRunShortcut =>
  gpu.createKernel(fn as unknown as Parameters<GPU["createKernel"]>[0] & string, settings);

/** Rows of a row-major matrix as views (GPU.js's 2-D argument form: `a[y][x]`). */
const rows = (flat: Float32Array, r: number, c: number): Float32Array[] => Array.from({ length: r }, (_, i) => flat.subarray(i * c, (i + 1) * c));

const kilnTensor = (data: Float32Array, shape: number[]) => new KilnTensor(hostDataNode(data, { shape, dtype: "float32" }));
const kilnW1 = (t: Tensor) => np.sum(np.tanh(t.mul(1.5).add(0.5)).mul(np.sigmoid(t)).sub(t.mul(t).mul(0.1)));

/** kiln on `backend` (selected before every call: the runners of one round alternate backends). */
function kilnRunners(backend: "gpujs" | "cpu") {
  const use = () => setBackend(backend);
  const w1 = jit(kilnW1), mm = jit((a: Tensor, b: Tensor) => np.matmul(a, b));
  return {
    w1Jit(x: Float32Array): Call {
      const t = np.array(x);
      return () => {
        use();
        return (w1(t) as Tensor).itemSync();
      };
    },
    w1Eager(x: Float32Array): Call {
      return () => {
        use();
        return kilnW1(kilnTensor(x, [x.length])).itemSync();
      };
    },
    mmJit(a: Float32Array, b: Float32Array, n: number): () => Float32Array {
      const A = np.array(a, { shape: [n, n] }), B = np.array(b, { shape: [n, n] });
      return () => {
        use();
        return (mm(A, B) as Tensor).dataSync() as Float32Array;
      };
    },
    mmEager(a: Float32Array, b: Float32Array, n: number): () => Float32Array {
      return () => {
        use();
        return np.matmul(kilnTensor(a, [n, n]), kilnTensor(b, [n, n])).dataSync() as Float32Array;
      };
    },
    w3(d: MlpData): () => number {
      use();
      const { x, y, make } = kilnMlp(d);
      const step = make();
      return () => {
        use();
        return (step(x, y) as Tensor).itemSync();
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Hand-written GPU.js kernels, as GPU.js's documentation writes them.

/**
 * W1 by hand. GPU.js has no reduction, so the sum is written two ways and both are timed:
 * the elementwise kernel then a JavaScript sum of its output (`ew`), and a two-level partial sum
 * (one kernel whose 1024 threads each sum 1024 elements of the fused expression, `pipeline: true`,
 * then a one-thread kernel adding the partials, `partials`).
 * @example const w1 = handW1(new GPU(), 1 << 20); w1.partials(x)(); // the sum
 */
export function handW1(gpu: GPU, n: number): { ew: (x: Float32Array) => Call; partials: (x: Float32Array) => Call } {
  const ew = kernel(gpu, function (x: Float32Array) {
    const v = x[this.thread.x]!;
    return (Math.tanh(v * 1.5 + 0.5) / (1 + Math.exp(-v))) - 0.1 * v * v;
  } as KernelFn, { output: [n] });
  const chunk = 1024, chunks = n / chunk;
  const part = kernel(gpu, function (x: Float32Array) {
    let s = 0;
    for (let i = 0; i < this.constants.chunk!; i++) {
      const v = x[this.thread.x * this.constants.chunk! + i]!;
      s += (Math.tanh(v * 1.5 + 0.5) / (1 + Math.exp(-v))) - 0.1 * v * v;
    }
    return s;
  } as KernelFn, { output: [chunks], constants: { chunk }, loopMaxIterations: chunk, pipeline: true });
  const total = kernel(gpu, function (p: Float32Array) {
    let s = 0;
    for (let i = 0; i < this.constants.chunks!; i++) s += p[i]!;
    return s;
  } as KernelFn, { output: [1], constants: { chunks }, loopMaxIterations: chunks });
  return {
    ew: (x) => () => {
      const e = ew(x) as Float32Array;
      let s = 0;
      for (let i = 0; i < e.length; i++) s += e[i]!;
      return s;
    },
    partials: (x) => () => (total(part(x)) as Float32Array)[0]!,
  };
}

/**
 * W2 by hand: the classic one-thread-per-output kernel over 2-D arrays, `loopMaxIterations` = n.
 * @example const mm = handMatmul(new GPU(), a, b, 256); mm()[3]![5]; // (a·b)[3][5]
 */
export function handMatmul(gpu: GPU, a: Float32Array, b: Float32Array, n: number): () => Float32Array[] {
  const mm = kernel(gpu, function (a: Float32Array[], b: Float32Array[]) {
    let sum = 0;
    for (let i = 0; i < this.constants.n!; i++) sum += a[this.thread.y]![i]! * b[i]![this.thread.x]!;
    return sum;
  } as KernelFn, { output: [n, n], constants: { n }, loopMaxIterations: n });
  const A = rows(a, n, n), B = rows(b, n, n);
  return () => mm(A, B) as Float32Array[];
}

/**
 * W3 by hand: the MLP step as a chain of GPU.js kernels (`pipeline: true`: in webasm mode each
 * result is a fresh typed array passed straight to the next kernel). Forward: three dense kernels
 * (product + bias + tanh / relu / none); the loss (softmax cross-entropy, mean over the batch) as a
 * one-thread kernel, and the logits' gradient (softmax − one-hot) / batch; backward: the two
 * hidden gradients (product with Wᵀ times the activation's derivative), then each weight's
 * gradient fused with its SGD update (`W − lr · aᵀd`, one thread per weight) and each bias's.
 * Returns a step that runs them and reads the loss: `"chain"` calls the kernels one by one from
 * JavaScript; `"pipeline"` hands the same calls to GPU.js's `createPipeline` (traced once, run as
 * one plan; in webasm mode `fused-sync`: one thread, intermediates kept in one wasm memory), whose
 * step returns a promise.
 * @example const step = handW3(new GPU(), mlpData()); step(); // 2.4926…, the first loss
 */
export function handW3(gpu: GPU, d: MlpData, form?: "chain"): () => number;
export function handW3(gpu: GPU, d: MlpData, form: "pipeline"): () => Promise<number>;
export function handW3(gpu: GPU, d: MlpData, form: "chain" | "pipeline" = "chain"): () => number | Promise<number> {
  const [I, H1, H2, O] = SIZES;
  const B = BATCH;
  const dense = (k: number, n: number, act: 0 | 1 | 2) => kernel(gpu, function (a: Float32Array[], w: Float32Array[], bias: Float32Array) {
    let s = 0;
    for (let i = 0; i < this.constants.k!; i++) s += a[this.thread.y]![i]! * w[i]![this.thread.x]!;
    s += bias[this.thread.x]!;
    if (this.constants.act === 1) return Math.tanh(s);
    if (this.constants.act === 2) return Math.max(s, 0);
    return s;
  } as KernelFn, { output: [n, B], constants: { k, act }, loopMaxIterations: k, pipeline: true });
  const fwd1 = dense(I, H1, 1), fwd2 = dense(H1, H2, 2), fwd3 = dense(H2, O, 0);
  const loss = kernel(gpu, function (z: Float32Array[], onehot: Float32Array[]) {
    let total = 0;
    for (let r = 0; r < this.constants.b!; r++) {
      let m = z[r]![0]!;
      for (let j = 1; j < this.constants.o!; j++) m = Math.max(m, z[r]![j]!);
      let s = 0, picked = 0;
      for (let j = 0; j < this.constants.o!; j++) {
        s += Math.exp(z[r]![j]! - m);
        picked += onehot[r]![j]! * z[r]![j]!;
      }
      total += Math.log(s) + m - picked;
    }
    return total / this.constants.b!;
  } as KernelFn, { output: [1], constants: { b: B, o: O }, loopMaxIterations: B });
  const dLogits = kernel(gpu, function (z: Float32Array[], onehot: Float32Array[]) {
    const r = this.thread.y;
    let m = z[r]![0]!;
    for (let j = 1; j < this.constants.o!; j++) m = Math.max(m, z[r]![j]!);
    let s = 0;
    for (let j = 0; j < this.constants.o!; j++) s += Math.exp(z[r]![j]! - m);
    return (Math.exp(z[r]![this.thread.x]! - m) / s - onehot[r]![this.thread.x]!) / this.constants.b!;
  } as KernelFn, { output: [O, B], constants: { b: B, o: O }, loopMaxIterations: O, pipeline: true });
  // dA = (dZ · Wᵀ) ∘ act'(A): act 1 = tanh (1 − a²), 2 = relu (a > 0).
  const back = (k: number, n: number, act: 1 | 2) => kernel(gpu, function (dz: Float32Array[], w: Float32Array[], a: Float32Array[]) {
    let s = 0;
    for (let j = 0; j < this.constants.k!; j++) s += dz[this.thread.y]![j]! * w[this.thread.x]![j]!;
    const v = a[this.thread.y]![this.thread.x]!;
    if (this.constants.act === 1) return s * (1 - v * v);
    if (v > 0) return s;
    return 0;
  } as KernelFn, { output: [n, B], constants: { k, act }, loopMaxIterations: k, pipeline: true });
  const back2 = back(O, H2, 2), back1 = back(H2, H1, 1);
  // W − lr · Aᵀ·dZ, one thread per weight (rows = inputs k, columns = outputs n).
  const sgdW = (k: number, n: number) => kernel(gpu, function (w: Float32Array[], a: Float32Array[], dz: Float32Array[]) {
    let s = 0;
    for (let r = 0; r < this.constants.b!; r++) s += a[r]![this.thread.y]! * dz[r]![this.thread.x]!;
    return w[this.thread.y]![this.thread.x]! - this.constants.lr! * s;
  } as KernelFn, { output: [n, k], constants: { b: B, lr: LR }, loopMaxIterations: B, pipeline: true });
  const sgdB = (n: number) => kernel(gpu, function (bias: Float32Array, dz: Float32Array[]) {
    let s = 0;
    for (let r = 0; r < this.constants.b!; r++) s += dz[r]![this.thread.x]!;
    return bias[this.thread.x]! - this.constants.lr! * s;
  } as KernelFn, { output: [n], constants: { b: B, lr: LR }, loopMaxIterations: B, pipeline: true });
  const updW = [sgdW(I, H1), sgdW(H1, H2), sgdW(H2, O)], updB = [sgdB(H1), sgdB(H2), sgdB(O)];

  // One step over the state (x, one-hot, W0, b0, W1, b1, W2, b2) ↦ (loss, W0′, b0′, W1′, b1′, W2′, b2′).
  type V = KernelVariable;
  const run = (f: IKernelRunShortcut, ...args: V[]): V => f(...args) as V;
  const orchestrate = (x: V, onehot: V, w0: V, b0: V, w1: V, b1: V, w2: V, b2: V): V[] => {
    const h1 = run(fwd1, x, w0, b0), h2 = run(fwd2, h1, w1, b1), z = run(fwd3, h2, w2, b2);
    const value = run(loss, z, onehot);
    const dz = run(dLogits, z, onehot);
    const dh2 = run(back2, dz, w2, h2), dh1 = run(back1, dh2, w1, h1);
    return [value, run(updW[0]!, w0, x, dh1), run(updB[0]!, b0, dh1), run(updW[1]!, w1, h1, dh2), run(updB[1]!, b1, dh2), run(updW[2]!, w2, h2, dz), run(updB[2]!, b2, dz)];
  };
  const x = rows(d.x, B, I);
  const onehot = Array.from({ length: B }, (_, r) => Float32Array.from({ length: O }, (_, j) => (d.labels[r] === j ? 1 : 0)));
  let state: V[] = [];
  for (let l = 0; l < 3; l++) state.push(rows(Float32Array.from(d.w[l]!), SIZES[l]!, SIZES[l + 1]!), Float32Array.from(d.b[l]!));
  const lossOf = (out: readonly unknown[]) => (out[0] as Float32Array)[0]!;
  if (form === "chain") {
    return () => {
      const out = orchestrate(x, onehot, ...(state as [V, V, V, V, V, V]));
      state = out.slice(1);
      return lossOf(out);
    };
  }
  // createPipeline traces the orchestration once and runs it as one plan (webasm: "fused-sync",
  // every step over one WebAssembly.Memory, intermediates never copied out); single-threaded, as
  // kiln's gpujs and the kernel chain are. Its calls return promises.
  const plan = gpu.createPipeline(function (x: V, onehot: V, w0: V, b0: V, w1: V, b1: V, w2: V, b2: V) {
    return orchestrate(x, onehot, w0, b0, w1, b1, w2, b2);
  } as never, { threads: false } as never);
  const step = async () => {
    const out = await (plan as unknown as (...a: V[]) => Promise<V[]>)(x, onehot, ...state);
    state = out.slice(1);
    return lossOf(out);
  };
  return Object.assign(step, { executor: () => (plan as unknown as { executorKind?: string; fallbackReason?: string | null }) });
}

/**
 * A runner that also records each call's process CPU time (`process.cpuUsage`, every thread of the
 * process: kiln cpu's pool workers included), so a row carries a measure the machine's load does
 * not inflate the way it inflates wall time: GPU.js's webasm mode computes on the calling thread.
 */
function cpuTimed(run: () => unknown): { run: () => unknown; cpuMs: number[] } {
  const cpuMs: number[] = [];
  const record = (c0: NodeJS.CpuUsage) => {
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  };
  return {
    cpuMs,
    run: () => {
      const c0 = process.cpuUsage();
      const v = run();
      if (v instanceof Promise) return v.then((r: unknown) => (record(c0), r));
      record(c0);
      return v;
    },
  };
}

/** The median of a non-empty list. */
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// ---------------------------------------------------------------------------------------------
// Agreement checks: a disagreement ends the bench with an error.

/** Throws unless `got` is within rtol of `want` (plus atol). */
function assertClose(what: string, got: number, want: number, rtol: number, atol = 0): void {
  if (!(Math.abs(got - want) <= atol + rtol * Math.abs(want))) {
    throw new Error(`gpujs bench: ${what} = ${got} disagrees with ${want} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * W2's check: every element of `got` (flat, or GPU.js's rows) within float32-accumulation
 * tolerance of `want` (rtol 1e-4, atol 4e-7 · n · scale², inputs in [-scale, scale)); throws otherwise,
 * else returns the largest absolute difference.
 * @example assertMatrixClose("W2 n=256 GPU.js", handMatmul(gpu, a, b, 256)(), kilnCpuResult, 256, 3);
 */
export function assertMatrixClose(what: string, got: Float32Array | Float32Array[], want: Float32Array, n: number, scale: number): number {
  const flat = Array.isArray(got) ? got : [got];
  const atol = 4e-7 * n * scale * scale;
  let i = 0, worst = 0;
  for (const part of flat) {
    for (let j = 0; j < part.length; j++, i++) {
      assertClose(`${what}[${i}]`, part[j]!, want[i]!, 1e-4, atol);
      worst = Math.max(worst, Math.abs(part[j]! - want[i]!));
    }
  }
  if (i !== want.length) throw new Error(`gpujs bench: ${what} has ${i} elements, want ${want.length}`);
  return worst;
}

// ---------------------------------------------------------------------------------------------

export interface GpujsBenchOptions {
  readonly only: ReadonlySet<"W1" | "W2" | "W3">;
  readonly quick: boolean;
  readonly sizes: readonly number[];
}

/**
 * Runs the selected workloads, prints their tables, and returns their records (as `reportWorkload`
 * returns them). Throws when any runner's result disagrees with the others.
 * @example await runGpujsNodeBenchmarks(parseGpujsArgs(["--only", "W2", "--sizes", "256"]));
 */
export async function runGpujsNodeBenchmarks(opts: GpujsBenchOptions): Promise<Record<string, unknown>> {
  await init({ tune: false });
  setBackend("gpujs");
  const mode = gpujsMode();
  const gpu = new GPU();
  const handMode = (gpu as unknown as { mode: string }).mode;
  console.log(`kiln gpujs mode: ${mode}; hand-written GPU.js: new GPU() in mode ${handMode}; Node ${process.version}`);
  const gj = kilnRunners("gpujs"), cpu = kilnRunners("cpu");
  const result: Record<string, unknown> = { mode, handMode };

  if (opts.only.has("W1")) {
    const x = random(W1_N, 1, 3);
    const want = w1Reference(x);
    const hand = handW1(gpu, W1_N);
    const runners: [string, Call][] = [
      ["kiln (gpujs, jit)", gj.w1Jit(x)],
      ["kiln (gpujs, eager)", gj.w1Eager(x)],
      ["GPU.js hand (kernel + JS sum)", hand.ew(x)],
      ["GPU.js hand (2-level partials)", hand.partials(x)],
      ["kiln (cpu, jit)", cpu.w1Jit(x)],
      ["kiln (cpu, eager)", cpu.w1Eager(x)],
    ];
    const got = runners.map(([name, run]) => {
      const v = Number(run());
      assertClose(`W1 ${name}`, v, want, 1e-4);
      return v;
    });
    const timed = runners.map(([, run]) => cpuTimed(run));
    const times = await measureInterleaved(timed.map((t) => t.run), opts.quick ? { warmup: 1, minRounds: 3, minMs: 200 } : { warmup: 2, minRounds: 7, maxRounds: 15, minMs: 500 });
    result.W1 = reportWorkload(`W1 (gpujs ${mode}): sum(tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x), x = 2^20 float32, read back: ms per call (float64 reference ${want.toFixed(3)}; CPU ms: median process CPU time per call)`,
      runners.map(([name], i) => ({ name, timing: times[i]!, extra: { "CPU ms": median(timed[i]!.cpuMs).toFixed(2), value: got[i]!.toFixed(3), "rel. error": Math.abs(got[i]! - want) / Math.abs(want) } })), metric.ms());
  }

  if (opts.only.has("W2")) {
    const w2: Record<string, unknown> = {};
    for (const n of opts.sizes) {
      const a = random(n * n, 2, 3), b = random(n * n, 3, 3);
      const runners: [string, () => Float32Array | Float32Array[]][] = [
        ["kiln (gpujs, jit)", gj.mmJit(a, b, n)],
        ["kiln (gpujs, eager)", gj.mmEager(a, b, n)],
        ["GPU.js hand (a[y][i]*b[i][x])", handMatmul(gpu, a, b, n)],
        ["kiln (cpu, jit)", cpu.mmJit(a, b, n)],
        ["kiln (cpu, eager)", cpu.mmEager(a, b, n)],
      ];
      const want = runners[3]![1]() as Float32Array;
      const diffs = runners.map(([name, run]) => assertMatrixClose(`W2 n=${n} ${name}`, run(), want, n, 3));
      // As the cpu bench: a sample is K calls back to back for the small sizes.
      const K = Math.max(1, Math.round(2 ** 24 / n ** 3));
      const timed = runners.map(([, run]) => cpuTimed(run));
      const calls = timed.map(({ run }) => (K === 1 ? run : () => {
        for (let k = 0; k < K; k++) run();
      }));
      const times = await measureInterleaved(calls, n >= 1024 ? { warmup: 1, minRounds: 3, maxRounds: 3 } : { warmup: 2, minRounds: opts.quick ? 3 : 5, maxRounds: 15, minMs: 300 });
      const label = `W2 (gpujs ${mode}): float32 matmul ${n}×${n}, read back${K > 1 ? `, ${K} calls a sample` : ""}: GFLOP/s (CPU ms: median process CPU time per call; max |Δ|: largest difference from kiln cpu jit)`;
      w2[String(n)] = reportWorkload(label, runners.map(([name], i) => ({ name, timing: times[i]!, extra: { "CPU ms": median(timed[i]!.cpuMs).toFixed(2), "max |Δ|": diffs[i]!.toExponential(1) } })), metric.gflops(2 * n ** 3 * K));
    }
    result.W2 = w2;
  }

  if (opts.only.has("W3")) {
    const d = mlpData();
    const plan = handW3(gpu, d, "pipeline");
    const runners: [string, () => number | Promise<number>][] = [
      ["kiln (gpujs, jit)", gj.w3(d)],
      ["GPU.js hand (kernel chain)", handW3(gpu, d)],
      ["GPU.js hand (createPipeline)", plan],
      ["kiln (cpu, jit)", cpu.w3(d)],
    ];
    const ref = runners.length - 1;
    // Every runner steps its own copy of the same weights, once per round: the k-th losses agree.
    const losses = runners.map(() => [] as number[]);
    const timed = runners.map(([, step], i) => cpuTimed(async () => losses[i]!.push(await step())));
    const calls = timed.map((t) => t.run);
    const times = await measureInterleaved(calls, opts.quick ? { warmup: 1, minRounds: 3, minMs: 300 } : { warmup: 2, minRounds: 9, maxRounds: 25, minMs: 1000 });
    const steps = Math.min(...losses.map((l) => l.length));
    for (let i = 0; i < runners.length; i++) {
      for (let s = 0; s < steps; s++) assertClose(`W3 ${runners[i]![0]} loss at step ${s}`, losses[i]![s]!, losses[ref]![s]!, s === 0 ? 1e-5 : 1e-4);
    }
    const rowsOut: Row[] = runners.map(([name], i) => ({ name, timing: times[i]!, extra: { "CPU ms": median(timed[i]!.cpuMs.slice(2)).toFixed(2), "first loss": losses[i]![0]!, [`loss@${steps}`]: losses[i]![steps - 1]! } }));
    const executor = (plan as { executor?: () => { executorKind?: string; fallbackReason?: string | null } }).executor?.();
    console.log(`\nGPU.js createPipeline ran as: ${executor?.executorKind}${executor?.fallbackReason ? ` (fallback: ${executor.fallbackReason})` : ""}`);
    result.W3 = reportWorkload(`W3 (gpujs ${mode}): MLP 784-256-256-10 training step, batch 128, SGD, loss read back: steps/s (CPU ms: median process CPU time per step)`, rowsOut, metric.perSecond("steps/s"));
  }
  gpu.destroy();
  return result;
}

/**
 * The command line of `npm run bench:gpujs`: `--only`, `--quick`, `--sizes`, `--json` (an unknown
 * option or workload is a RangeError).
 * @example parseGpujsArgs(["--only", "w2", "--sizes", "128,256"]).sizes; // [128, 256]
 */
export function parseGpujsArgs(argv: readonly string[]): GpujsBenchOptions & { json: string | null } {
  const usage = "usage: npm run bench:gpujs -- [--quick] [--only W1,W2,W3] [--sizes 128,256,512,1024] [--json file]";
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { quick: { type: "boolean", default: false }, only: { type: "string", multiple: true }, sizes: { type: "string" }, json: { type: "string" } }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new RangeError(`${(e as Error).message}\n${usage}`);
  }
  const only = new Set<"W1" | "W2" | "W3">();
  for (const item of (values.only ?? []).flatMap((s) => s.split(","))) {
    const name = item.trim().toUpperCase();
    if (name !== "W1" && name !== "W2" && name !== "W3") throw new RangeError(`--only: unknown workload "${item}" (this bench runs W1, W2, W3)\n${usage}`);
    only.add(name);
  }
  const sizes = values.sizes?.split(",").map((s) => Number(s.trim())) ?? (values.quick ? [128, 256] : [128, 256, 512, 1024]);
  for (const n of sizes) if (!Number.isInteger(n) || n < 4) throw new RangeError(`--sizes: ${n} is not a matrix size (an integer ≥ 4)\n${usage}`);
  return { quick: values.quick, only: only.size ? only : new Set(["W1", "W2", "W3"]), sizes, json: values.json ?? null };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parseGpujsArgs(process.argv.slice(2));
  const result = await runGpujsNodeBenchmarks(opts);
  if (opts.json) writeJson(opts.json, { date: new Date().toISOString(), ...result });
  process.exit(0);
}
