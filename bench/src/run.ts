/**
 * `npm run bench`: kiln against its peers in one process, side by side.
 *  W1  sum(tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x), x = 2^20 float32: ms per call.
 *  W2  float32 matmul n×n, n = 128…1024: GFLOP/s.
 * Each number is the median of repeated runs after warm-up. Prints a table with ratios and writes
 * the numbers as JSON (`--out path`, default bench/results/latest.json). `--quick` runs smaller sizes.
 * Not a test: timings depend on the machine and its load.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Peer, handPeers, jaxPeer, kilnPeer, tfPeer } from "./peers.js";
import { measureInterleaved } from "./timing.js";
import { handWgslPeers } from "./hand-wgsl.js";
import { webgpuBench } from "./webgpu.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const outPath = args.includes("--out") ? args[args.indexOf("--out") + 1]! : join(dirname(fileURLToPath(import.meta.url)), "..", "results", "latest.json");
const W1_N = 1 << 20;
const SIZES = quick ? [128, 256] : [128, 256, 512, 1024];

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 6 - 3;
  });
}

function w1Reference(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    s += Math.tanh(v * 1.5 + 0.5) / (1 + Math.exp(-v)) - 0.1 * v * v;
  }
  return s;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s);

async function main(): Promise<void> {
  const peers: Peer[] = [kilnPeer(), ...handPeers(), await jaxPeer(), await tfPeer("cpu"), await tfPeer("wasm")];
  const result = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown" },
    w1: {} as Record<string, { ms: number; runs: number; relErr: number }>,
    matmul: {} as Record<string, Record<string, { ms: number; gflops: number; runs: number }>>,
  };

  // ---- W1
  const x = random(W1_N, 1);
  const want = w1Reference(x);
  console.log(`W1: sum(tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x), x = 2^20 float32 (float64 reference ${want.toFixed(3)})`);
  const w1Peers = peers.filter((p) => p.w1);
  const w1Runs: (() => unknown)[] = [];
  for (const p of w1Peers) w1Runs.push(await p.w1!(x));
  const w1Got: number[] = [];
  for (const run of w1Runs) w1Got.push(Number(await run()));
  const w1Times = await measureInterleaved(w1Runs, { warmup: 2, minRounds: 9, minMs: 500 });
  w1Peers.forEach((p, i) => (result.w1[p.name] = { ...w1Times[i]!, relErr: Math.abs(w1Got[i]! - want) / Math.abs(want) }));
  const hand = result.w1["hand-written JS (i-k-j)"]!.ms;
  console.log(`${pad("", 28)}${lpad("ms", 10)}${lpad("vs hand JS", 12)}${lpad("rel. error", 12)}`);
  for (const [name, r] of Object.entries(result.w1)) {
    console.log(`${pad(name, 28)}${lpad(r.ms.toFixed(2), 10)}${lpad((r.ms / hand).toFixed(2) + "x", 12)}${lpad(r.relErr.toExponential(1), 12)}`);
  }

  // ---- W2
  console.log(`\nW2: float32 matmul n×n, GFLOP/s (higher is better)`);
  for (const n of SIZES) {
    const a = random(n * n, 2), b = random(n * n, 3);
    const row: Record<string, { ms: number; gflops: number; runs: number }> = {};
    const mmPeers = peers.filter((p) => p.matmul);
    const runs: (() => unknown)[] = [];
    for (const p of mmPeers) runs.push(await p.matmul!(a, b, n));
    // The plain loops take seconds at n = 1024: a few rounds are enough for a median there.
    const times = await measureInterleaved(runs, n >= 1024 ? { warmup: 1, minRounds: 3, maxRounds: 3 } : { warmup: 2, minRounds: 5, maxRounds: 25, minMs: 300 });
    mmPeers.forEach((p, i) => (row[p.name] = { ...times[i]!, gflops: (2 * n ** 3) / (times[i]!.ms * 1e6) }));
    result.matmul[String(n)] = row;
  }
  const names = Object.keys(result.matmul[String(SIZES[0])]!);
  console.log(`${pad("", 28)}${SIZES.map((n) => lpad(`n=${n}`, 10)).join("")}`);
  for (const name of names) console.log(`${pad(name, 28)}${SIZES.map((n) => lpad(result.matmul[String(n)]![name]!.gflops.toFixed(2), 10)).join("")}`);
  const kilnVsHand = SIZES.map((n) => {
    const r = result.matmul[String(n)]!;
    const bestHand = Math.max(...names.filter((k) => k.startsWith("hand")).map((k) => r[k]!.gflops));
    return r["kiln (cpu)"]!.gflops / bestHand;
  });
  console.log(`${pad("kiln / best hand-written", 28)}${kilnVsHand.map((v) => lpad(v.toFixed(2) + "x", 10)).join("")}`);

  console.log(`\ntargets: W1 kiln within 1.2x of the hand-written loop: ${(result.w1["kiln (cpu)"]!.ms / hand).toFixed(2)}x; ` +
    `matmul kiln within 1.2x of the best hand-written loop order: min ratio ${Math.min(...kilnVsHand).toFixed(2)}x`);
  // ---- WebGPU (only where an adapter exists)
  const gpu = await webgpuBench({ x, want, sizes: SIZES, random, handPeers: await handWgslPeers() });
  if (gpu) Object.assign(result, { webgpu: gpu });
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${outPath}`);
}

await main();
await (await import("./jit-bench.js")).runJitBenchmarks(args);
await (await import("./cnn-bench.js")).runCnnBenchmark(args);
// Dawn devices and the peers' runtimes keep Node's event loop alive: the bench is done.
process.exit(0);
