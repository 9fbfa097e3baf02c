/**
 * The WebGPU section of `npm run bench` (printed only when a WebGPU adapter exists): W1 and W2
 * on the GPU, kiln's webgpu backend side by side with hand-written WGSL and the peers that run on
 * Dawn in Node. Every runner reads its result back to the host, like the CPU section's runners;
 * inputs are uploaded once, outside the timed region.
 *
 * Peers: jax-js's and TF.js's webgpu backends through the `navigator.gpu` shim of gpu-peers.ts;
 * if one cannot run, the reason is printed.
 */
import { type Tensor, np } from "@kiln/core";
import { backends, destroyGpu, init, setBackend, tuneWebgpu } from "@kiln/backend";
import { jit } from "@kiln/transforms";
import { jaxWebgpu, onJaxDevice, tfWebgpu } from "./gpu-peers.js";
import { type Peer, tfRunner } from "./peers.js";
import { type RowResult, metric, reportUnavailable, reportWorkload } from "./report.js";
import { measureInterleaved } from "./timing.js";

export interface GpuBenchResult {
  adapter: string;
  w1?: Record<string, RowResult>;
  matmul: Record<string, Record<string, RowResult>>;
  unavailable: Record<string, string>;
}

/** kiln on webgpu: jit-compiled, inputs resident on the device. */
function kilnGpuPeer(): Peer {
  const kt = (d: Float32Array, shape: number[]) => np.array(d, { shape });
  const w1 = jit((t: Tensor) => np.sum(np.tanh(t.mul(1.5).add(0.5)).mul(np.sigmoid(t)).sub(t.mul(t).mul(0.1))));
  const mm = jit((a: Tensor, b: Tensor) => np.matmul(a, b));
  return {
    name: "kiln (webgpu)",
    async w1(x) {
      setBackend("webgpu");
      const t = kt(x, [x.length]).add(0); // uploaded and computed once: later calls reuse the device copy
      await t.data();
      return async () => (w1(t) as Tensor).item();
    },
    async matmul(a, b, n) {
      setBackend("webgpu");
      const [A, B] = [kt(a, [n, n]).add(0), kt(b, [n, n]).add(0)];
      await Promise.all([A.data(), B.data()]);
      return async () => (mm(A, B) as Tensor).data();
    },
  };
}

async function jaxGpuPeer(): Promise<Peer | string> {
  const jax = await jaxWebgpu();
  if (typeof jax === "string") return jax;
  const { jit: jaxJit, nn, numpy: jnp } = jax;
  const w1 = jaxJit((x: InstanceType<typeof jnp.Array>) => jnp.sum(jnp.tanh(x.ref.mul(1.5).add(0.5)).mul(nn.sigmoid(x.ref)).sub(x.ref.mul(x).mul(0.1))));
  const mm = jaxJit((a: InstanceType<typeof jnp.Array>, b: InstanceType<typeof jnp.Array>) => jnp.matmul(a, b));
  const onGpu = <T>(f: () => T): T => onJaxDevice(jax, "webgpu", f);
  return {
    name: "jax-js (webgpu, jit)",
    w1(x) {
      const xa = onGpu(() => jnp.array(x));
      return async () => onGpu(async () => (await w1(xa.ref).data())[0]);
    },
    matmul(a, b, n) {
      const [A, B] = onGpu(() => [jnp.array(a).reshape([n, n]), jnp.array(b).reshape([n, n])]);
      return async () => onGpu(async () => await mm(A.ref, B.ref).data());
    },
  };
}

/** TF.js on webgpu, on the same Dawn instance as jax-js (gpu-peers.ts). */
async function tfGpuPeer(): Promise<Peer | string> {
  const tf = await tfWebgpu();
  if (typeof tf === "string") return tf;
  return tfRunner(tf, "TF.js (webgpu)", async () => {
    if (tf.getBackend() !== "webgpu") await tf.setBackend("webgpu");
  });
}

/**
 * Runs the WebGPU section, or returns null (after saying why) without an adapter.
 * @example
 * const gpu = await webgpuBench({ x, want, sizes: [128, 256], w1: true, random, handPeers: [] });
 */
export async function webgpuBench(opts: {
  x: Float32Array; want: number; sizes: readonly number[]; w1: boolean; random: (n: number, seed: number) => Float32Array; handPeers: Peer[];
}): Promise<GpuBenchResult | null> {
  if (!opts.w1 && opts.sizes.length === 0) return null;
  await init();
  const info = backends().find((b) => b.name === "webgpu")!;
  if (!info.available) {
    console.log(`\nWebGPU: no adapter here (${info.reason}): the webgpu section is skipped.`);
    return null;
  }
  const result: GpuBenchResult = { adapter: `${info.adapter}${info.software ? " (software)" : ""}`, matmul: {}, unavailable: {} };
  console.log(`\n==== WebGPU — adapter: ${result.adapter}`);
  // Measured kernels for this adapter (init() tunes hardware adapters only).
  const tuning = await tuneWebgpu();
  console.log(`contraction table (${tuning.source}): ${tuning.table.map((c) => `${c.strategy} ${c.tm}x${c.tn} up to ${c.upTo >= Number.MAX_SAFE_INTEGER ? "∞" : `${Math.round(Math.cbrt(c.upTo))}³`}`).join(", ")}`);
  const jax = await jaxGpuPeer();
  const tf = await tfGpuPeer();
  if (typeof jax === "string") result.unavailable["jax-js (webgpu)"] = jax;
  if (typeof tf === "string") result.unavailable["TF.js (webgpu)"] = tf;
  const peers: Peer[] = [kilnGpuPeer(), ...opts.handPeers, ...[jax, tf].filter((p): p is Peer => typeof p !== "string")];
  try {
    if (opts.w1) {
      const w1Peers = peers.filter((p) => p.w1);
      const runs: (() => unknown)[] = [];
      for (const p of w1Peers) runs.push(await p.w1!(opts.x));
      const got: number[] = [];
      for (const r of runs) got.push(Number(await r()));
      const times = await measureInterleaved(runs, { warmup: 2, minRounds: 9, minMs: 300 });
      result.w1 = reportWorkload("W1 on the GPU (2^20 float32, result read back): ms per call",
        w1Peers.map((p, i) => ({ name: p.name, timing: times[i]!, extra: { "rel. error": Math.abs(got[i]! - opts.want) / Math.abs(opts.want) } })), metric.ms());
    }
    for (const n of opts.sizes) {
      const a = opts.random(n * n, 2), b = opts.random(n * n, 3);
      const mmPeers = peers.filter((p) => p.matmul);
      const mmRuns: (() => unknown)[] = [];
      for (const p of mmPeers) mmRuns.push(await p.matmul!(a, b, n));
      const t = await measureInterleaved(mmRuns, n >= 1024 ? { warmup: 1, minRounds: 3, maxRounds: 5 } : { warmup: 2, minRounds: 5, maxRounds: 25, minMs: 300 });
      result.matmul[String(n)] = reportWorkload(`W2 on the GPU: float32 matmul ${n}×${n}, result read back: GFLOP/s (target: kiln ≥ 2x TF.js webgpu)`,
        mmPeers.map((p, i) => ({ name: p.name, timing: t[i]! })), metric.gflops(2 * n ** 3));
    }
    reportUnavailable(result.unavailable);
  } finally {
    setBackend("cpu");
    destroyGpu();
  }
  return result;
}
