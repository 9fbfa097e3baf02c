/**
 * W1 and W2 on the CPU (run by `npm run bench`, see run.ts):
 *  W1  sum(tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x), x = 2^20 float32: ms per call.
 *  W2  float32 matmul n×n, n = 128, 256, 512, 1024: GFLOP/s.
 * All runners of one workload (and one n) are timed in interleaved rounds; every runner reads its
 * result back to host memory. The WebGPU section (webgpu.ts) follows when an adapter exists.
 */
import { random, w1Reference } from "./data.js";
import { type Peer, handPeers, jaxPeer, kilnEagerPeer, kilnJitPeer, tfPeer } from "./peers.js";
import { handWgslPeers } from "./hand-wgsl.js";
import type { BenchOptions } from "./options.js";
import { type Row, metric, reportWorkload } from "./report.js";
import { measureInterleaved } from "./timing.js";
import { webgpuBench } from "./webgpu.js";

const W1_N = 1 << 20;

/** Runs W1 and/or W2 (as selected) on the CPU peers, then on WebGPU where an adapter exists. */
export async function runArrayBenchmarks(opts: BenchOptions): Promise<Record<string, unknown>> {
  const sizes = opts.quick ? [128, 256] : [128, 256, 512, 1024];
  // TF.js runs on its wasm backend, its fastest CPU backend (its plain-JS cpu backend is 5-50x slower here).
  const peers: Peer[] = [kilnJitPeer(), kilnEagerPeer(), ...handPeers(), await jaxPeer(), await tfPeer("wasm")];
  const result: Record<string, unknown> = {};
  const x = random(W1_N, 1, 3);
  const want = w1Reference(x);

  if (opts.only.has("W1")) {
    const w1Peers = peers.filter((p) => p.w1);
    const runs: (() => unknown)[] = [];
    for (const p of w1Peers) runs.push(await p.w1!(x));
    const got: number[] = [];
    for (const run of runs) got.push(Number(await run()));
    const times = await measureInterleaved(runs, opts.quick ? { warmup: 1, minRounds: 5, minMs: 200 } : { warmup: 2, minRounds: 9, minMs: 500 });
    const rows: Row[] = w1Peers.map((p, i) => ({ name: p.name, timing: times[i]!, extra: { "rel. error": Math.abs(got[i]! - want) / Math.abs(want) } }));
    result.W1 = reportWorkload(`W1: sum(tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x), x = 2^20 float32, result read back: ms per call (float64 reference ${want.toFixed(3)})`, rows, metric.ms());
  }

  if (opts.only.has("W2")) {
    const w2: Record<string, unknown> = {};
    for (const n of sizes) {
      const a = random(n * n, 2, 3), b = random(n * n, 3, 3);
      const mmPeers = peers.filter((p) => p.matmul);
      // Small products take well under a millisecond: a sample is K calls back to back (as a user's
      // loop runs them), so one call's timer resolution, a peer's thread waking from another
      // peer's turn and the first calls' unoptimized JS do not make the number.
      const K = Math.max(1, Math.round(2 ** 22 / n ** 3 * 4));
      const runs: (() => unknown)[] = [];
      for (const p of mmPeers) {
        const call = await p.matmul!(a, b, n);
        runs.push(K === 1 ? call : async () => {
          for (let k = 0; k < K; k++) await call();
        });
      }
      // The plain loops take seconds at n = 1024: a few rounds are enough for a median there.
      const times = await measureInterleaved(runs, n >= 1024 ? { warmup: 1, minRounds: 3, maxRounds: 3 } : { warmup: K > 1 ? 5 : 2, minRounds: opts.quick ? 3 : 5, maxRounds: 25, minMs: 300 });
      const label = K > 1 ? `W2: float32 matmul ${n}×${n}, result read back, ${K} calls a sample: GFLOP/s` : `W2: float32 matmul ${n}×${n}, result read back: GFLOP/s`;
      w2[String(n)] = reportWorkload(label, mmPeers.map((p, i) => ({ name: p.name, timing: times[i]! })), metric.gflops(2 * n ** 3 * K));
    }
    result.W2 = w2;
  }

  // ---- WebGPU (only where an adapter exists)
  const gpu = opts.cpuOnly ? null : await webgpuBench({ x, want, sizes: opts.only.has("W2") ? sizes : [], w1: opts.only.has("W1"), random: (n, seed) => random(n, seed, 3), handPeers: await handWgslPeers() });
  if (gpu) result.webgpu = gpu;
  return result;
}
