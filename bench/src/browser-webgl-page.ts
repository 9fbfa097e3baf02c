/**
 * The page of `npm run bench:webgl` (bench/src/browser-webgl.ts bundles it into bench/browser/):
 * W1 and W2 in one Chromium page on kiln's gpujs backend in WebGL2 mode (with and without textures
 * kept between kernels), on TF.js's webgl backend, and on kiln's cpu backend; W3 (the MLP training
 * step, bench/src/browser-webgl-w3.ts) on gpujs, TF.js webgl and kiln cpu. Leaves the numbers on
 * `window.kilnBench`.
 */
import * as tf from "@tensorflow/tfjs";
import { Tensor as KilnTensor, hostDataNode, np } from "@kiln/core";
import { gpujsMode, gpujsStats, init, profile, setBackend } from "@kiln/backend";
import { jit } from "@kiln/transforms";
import { measureInterleaved } from "./timing.js";
import { kilnW3, tfW3 } from "./browser-webgl-w3.js";
import { type Peer, tfRunner } from "./tf-runner.js";

/** What the page leaves on `window.kilnBench`. */
export interface BenchResult {
  done: boolean;
  error?: string;
  mode: string | null;
  tfBackend: string;
  w1: Record<string, { ms: number; runs: number; value: number }>;
  w2: Record<string, Record<string, { ms: number; gflops: number; runs: number }>>;
  w3: Record<string, { ms: number; stepsPerS: number; runs: number; firstLoss: number }>;
  /**
   * Where W2's time goes on gpujs (pipelined), per n, ms per call (medians, interleaved): the
   * eager product of fresh inputs read with `dataSync` (`full`), of inputs made once (`inputsKept`:
   * bound as kept textures, no upload), a jitted product of kept inputs whose output stays on the
   * GPU, finished by reading one value of it (`kernels`: the block and epilogue kernels and the
   * per-call work), the same with every fetch's coordinates from its flat index (`kernelsFlatFetch`),
   * and an 8×8 product the same way (`perCall`: the per-call floor).
   */
  w2Profile: Record<string, Record<string, number>>;
  /**
   * Per-kernel time on gpujs (`profile()`, each GL pass finished before its time is taken; a
   * tiled contraction's block pass is `<name>:first`, its epilogue pass `<name>`): the jitted
   * product per n (`w2 n=<n>`) and the W3 step (`w3`), ms per call, and the wall time per call.
   */
  kernelProfile?: Record<string, { wallMs: number; kernels: { name: string; ms: number; runs: number }[] }>;
  /** One `await init({ tune: false, gpujs: { pipeline: true } })` on this page, ms (median of 9). */
  initMs?: number;
  /**
   * GPU.js counts over the whole page: kernels created (and in the tiled contraction form), runs,
   * readbacks; and W3's uploads per step (host arrays GPU.js uploaded, after the first step).
   */
  gpujs?: { compiles: number; tiled: number; runs: number; readbacks: number; keptUploads: number; w3Uploads: Record<string, { uploads: number; bytes: number }> };
}

const W1_N = 1 << 20;
/** W2's sizes: `?sizes=128,256,512,1024` on the page's URL (`npm run bench:webgl -- --sizes 128,256,512,1024`), else 256 and 512. */
const SIZES = new URLSearchParams(location.search).get("sizes")?.split(",").map(Number).filter((n) => n > 0 && n % 4 === 0) ?? [256, 512];

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 6 - 3;
  });
}

/** The gpujs settings the page last gave `init()`. */
const gpujsSet = { pipeline: null as boolean | null, resident: true };

/**
 * `init({ gpujs: { pipeline, resident } })` when a setting changes. Called before every kiln call,
 * so it does not run `init()` each time: a per-call cost the TF.js peer does not pay (`BenchResult.initMs`:
 * 1.4 ms measured at load ~8, it probes WebGPU again where there is no adapter).
 */
async function configure(pipeline: boolean, resident = true): Promise<void> {
  if (gpujsSet.pipeline === pipeline && gpujsSet.resident === resident) return;
  await init({ tune: false, gpujs: { pipeline, resident } });
  Object.assign(gpujsSet, { pipeline, resident });
}

const kilnTensor = (data: Float32Array, shape: number[]) => new KilnTensor(hostDataNode(data, { shape, dtype: "float32" }));

/**
 * kiln on `backend` (eager, fresh tensors each call, as the Node bench's kiln peer); `pipeline`
 * re-inits gpujs. `read: "async"` reads the result with `await data()` / `await item()`, as the
 * TF.js peer does (on WebGL: a pixel-pack buffer and a fence); "sync" with `dataSync()` /
 * `itemSync()` (a blocking `readPixels`).
 */
function kilnPeer(name: string, backend: string, read: "sync" | "async", pipeline?: boolean, inputsOnce = false): Peer {
  const use = async () => {
    if (pipeline !== undefined) await configure(pipeline);
    setBackend(backend);
  };
  return {
    name,
    async w1(x) {
      await use();
      return async () => {
        await use();
        const t = kilnTensor(x, [x.length]);
        const sum = np.sum(np.tanh(t.mul(1.5).add(0.5)).mul(np.sigmoid(t)).sub(t.mul(t).mul(0.1)));
        return read === "async" ? sum.item() : sum.itemSync();
      };
    },
    async matmul(a, b, n) {
      await use();
      // Made once, as the TF.js peer's: from the second call on gpujs binds them as kept textures.
      const A = kilnTensor(a, [n, n]), B = kilnTensor(b, [n, n]);
      return async () => {
        await use();
        const c = inputsOnce ? np.matmul(A, B) : np.matmul(kilnTensor(a, [n, n]), kilnTensor(b, [n, n]));
        return read === "async" ? c.data() : c.dataSync();
      };
    },
  };
}

async function main(result: BenchResult): Promise<void> {
  await init({ tune: false });
  result.mode = gpujsMode();
  // What one init() costs on this page (the per-call cost configure() avoids).
  const initTimes: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    await init({ tune: false, gpujs: { pipeline: true } });
    initTimes.push(performance.now() - t0);
  }
  result.initMs = initTimes.sort((a, b) => a - b)[4]!;
  gpujsSet.pipeline = true;
  await tf.setBackend("webgl");
  await tf.ready();
  result.tfBackend = tf.getBackend();
  const useTf = async () => {
    if (tf.getBackend() !== "webgl") await tf.setBackend("webgl");
  };
  const peers: Peer[] = [
    kilnPeer("kiln gpujs (webgl2, pipelined)", "gpujs", "async", true),
    kilnPeer("kiln gpujs (webgl2, pipelined, sync read)", "gpujs", "sync", true),
    kilnPeer("kiln gpujs (webgl2, no pipeline)", "gpujs", "sync", false),
    kilnPeer("kiln gpujs (webgl2, pipelined, inputs made once)", "gpujs", "async", true, true),
    tfRunner(tf, "TF.js (webgl)", useTf),
    kilnPeer("kiln (cpu)", "cpu", "sync"),
  ];
  const x = random(W1_N, 1);
  const w1Runs = await Promise.all(peers.map((p) => p.w1!(x)));
  const values: number[] = [];
  for (const r of w1Runs) values.push(Number(await r()));
  const w1 = await measureInterleaved(w1Runs, { warmup: 2, minRounds: 7, maxRounds: 9, minMs: 300 });
  peers.forEach((p, i) => (result.w1[p.name] = { ...w1[i]!, value: values[i]! }));
  for (const n of SIZES) {
    const a = random(n * n, 2), b = random(n * n, 3);
    const runs = await Promise.all(peers.map((p) => p.matmul!(a, b, n)));
    const times = await measureInterleaved(runs, { warmup: 2, minRounds: 5, maxRounds: 7, minMs: 300 });
    result.w2[String(n)] = Object.fromEntries(peers.map((p, i) => [p.name, { ...times[i]!, gflops: (2 * n ** 3) / (times[i]!.ms * 1e6) }]));
  }
  await configure(true);
  for (const n of SIZES) result.w2Profile[String(n)] = await w2Profile(n);
  // Resident: a step's updated parameters stay on the GPU for the next step; "read back each
  // call" reads them back when the step returns and uploads them again next step (as before).
  const gpujsW3 = (resident: boolean) => kilnW3(async () => {
    await configure(true, resident);
    setBackend("gpujs");
  });
  const w3Peers: [string, () => Promise<number>][] = [
    ["kiln gpujs (webgl2, pipelined)", gpujsW3(true)],
    ["kiln gpujs (webgl2, read back each call)", gpujsW3(false)],
    ["TF.js (webgl)", tfW3(tf, useTf)],
    ["kiln (cpu)", kilnW3(async () => setBackend("cpu"))],
  ];
  await configure(true);
  const firstLoss: number[] = [];
  for (const [, step] of w3Peers) firstLoss.push(await step());
  const w3 = await measureInterleaved(w3Peers.map(([, step]) => step), { warmup: 2, minRounds: 7, maxRounds: 9, minMs: 300 });
  w3Peers.forEach(([name], i) => (result.w3[name] = { ...w3[i]!, stepsPerS: 1000 / w3[i]!.ms, firstLoss: firstLoss[i]! }));
  result.kernelProfile = await kernelProfiles();
  const { compiles, tiled, runs, readbacks, keptUploads } = gpujsStats();
  result.gpujs = { compiles, tiled, runs, readbacks, keptUploads, w3Uploads: await w3Uploads() };
}

/** W2's time on gpujs split by what each variant leaves out (BenchResult.w2Profile). */
async function w2Profile(n: number): Promise<Record<string, number>> {
  setBackend("gpujs");
  const a = random(n * n, 2), b = random(n * n, 3);
  const A = kilnTensor(a, [n, n]), B = kilnTensor(b, [n, n]);
  const small = [kilnTensor(random(64, 4), [8, 8]), kilnTensor(random(64, 5), [8, 8])] as const;
  const product = jit((x: KilnTensor, y: KilnTensor) => np.matmul(x, y));
  // One value of the resident output read back: the kernels finished, 16 bytes read.
  const finish = (x: KilnTensor, y: KilnTensor) => {
    const c = product(x, y) as KilnTensor;
    const v = c.get(0, 0).itemSync();
    c.dispose();
    return v;
  };
  const flat = async (directFetch: boolean) => init({ tune: false, gpujs: { pipeline: true, resident: true, directFetch } });
  const runners: [string, () => unknown][] = [
    ["full", () => np.matmul(kilnTensor(a, [n, n]), kilnTensor(b, [n, n])).dataSync()],
    ["inputsKept", () => np.matmul(A, B).dataSync()],
    ["kernels", () => finish(A, B)],
    ["kernelsFlatFetch", async () => {
      await flat(false);
      try {
        return finish(A, B);
      } finally {
        await flat(true);
      }
    }],
    ["perCall", () => finish(...small)],
  ];
  for (const [, r] of runners) await r();
  const times = await measureInterleaved(runners.map(([, r]) => r), { warmup: 2, minRounds: 5, maxRounds: 7, minMs: 300 });
  return Object.fromEntries(runners.map(([name], i) => [name, times[i]!.ms]));
}

/** BenchResult.kernelProfile: W2's jitted product and the W3 step on gpujs, kernel by kernel. */
async function kernelProfiles(): Promise<NonNullable<BenchResult["kernelProfile"]>> {
  await configure(true);
  setBackend("gpujs");
  const out: NonNullable<BenchResult["kernelProfile"]> = {};
  const keep = (p: Awaited<ReturnType<typeof profile>>) => ({ wallMs: p.wallMs, kernels: p.kernels.map((k) => ({ name: k.name, ms: k.ms ?? NaN, runs: k.runs })) });
  for (const n of SIZES) {
    const A = kilnTensor(random(n * n, 2), [n, n]), B = kilnTensor(random(n * n, 3), [n, n]);
    const product = jit((x: KilnTensor, y: KilnTensor) => np.matmul(x, y));
    out[`w2 n=${n}`] = keep(await profile(() => product(A, B), { calls: 5, warmup: 2 }));
  }
  const step = kilnW3(async () => setBackend("gpujs"));
  out.w3 = keep(await profile(() => step(), { calls: 5, warmup: 2 }));
  return out;
}

/**
 * W3's uploads per step on gpujs (resident and read back each call): arrays and bytes of the third
 * step (the first uploads everything, the second copies the batch, bound again, to textures kept
 * from then on: gpujs-upload.ts).
 */
async function w3Uploads(): Promise<Record<string, { uploads: number; bytes: number }>> {
  const out: Record<string, { uploads: number; bytes: number }> = {};
  for (const resident of [true, false]) {
    await configure(true, resident);
    const step = kilnW3(async () => setBackend("gpujs"));
    await step();
    await step();
    const before = gpujsStats();
    await step();
    const after = gpujsStats();
    out[resident ? "resident" : "read back each call"] = { uploads: after.uploads - before.uploads, bytes: after.uploadedBytes - before.uploadedBytes };
  }
  return out;
}

const result: BenchResult = { done: false, mode: null, tfBackend: "", w1: {}, w2: {}, w3: {}, w2Profile: {} };
(window as unknown as { kilnBench: BenchResult }).kilnBench = result;
main(result).then(
  () => {
    result.done = true;
    document.getElementById("out")!.textContent = JSON.stringify(result, null, 2);
  },
  (e: unknown) => {
    result.error = String((e as Error)?.stack ?? e);
    result.done = true;
  },
);
