/**
 * Do the machine's two vCPUs give two cores' worth of the float32 microkernel, or do they share one
 * core's FP pipes (SMT siblings under the hypervisor — the guest's `lscpu` says 1 thread per core
 * either way)? The W3 step's big products scale only 1.3–1.65x on two threads at idle and the
 * two-thread process spends ~50% more CPU per step (bench/README.md "W3 on two cores"): sibling
 * vCPUs would explain both.
 *   node --conditions=kiln-source --import tsx bench/src/cores-probe.ts [--rounds 30]
 * Each round, interleaved: "one" — the calling thread runs the microkernel over L1-resident panels
 * (an 32×256 A, one 256-deep pair of B panels; no memory traffic) for half the work; "two" — the
 * pool runs the whole work as two chunks, one per thread, at the same time. Independent cores: "two"
 * takes about as long as "one" (plus the worker's wake-up, tens of µs); siblings that share the FP
 * pipes: up to twice as long. Meaningful only near idle (prints the load): under load the other
 * processes decide who runs.
 */
import { parseArgs } from "node:util";
import { loadavg } from "node:os";
import { heap } from "../../packages/backend/src/host/heap.js";
import { parallelFor } from "../../packages/backend/src/targets/wasm/wasm-pool.js";
import { setCpuThreads } from "../../packages/backend/src/targets/wasm/cpu-threads.js";
import { T, buildModule, op } from "../../packages/backend/src/targets/wasm/wasm-asm.js";
import { microkernel } from "../../packages/backend/src/targets/wasm/wasm-microkernel.js";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "30" } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("cores-probe: --rounds must be a positive integer");
if (!heap?.shared) throw new Error("cores-probe: needs the shared WebAssembly heap");
const h = heap;
const { get, set, i32Const } = op;
// rep(a, b, c, lo, hi): for i in [lo, hi): microkernel(a, b, c + 1024·i, mp 8, k 256, ldc 32 bytes, pairs [0, 1)).
const rep = [
  ...get(3), ...set(5), ...op.block(), ...op.loop(), ...get(5), ...get(4), ...op.i32GeU, ...op.brIf(1),
  ...get(0), ...get(1), ...get(2), ...get(5), ...i32Const(1024), ...op.i32Mul, ...op.i32Add,
  ...i32Const(8), ...i32Const(256), ...i32Const(32), ...i32Const(0), ...i32Const(1), ...op.call(0),
  ...get(5), ...i32Const(1), ...op.i32Add, ...set(5), ...op.br(0), ...op.end, ...op.end, ...op.end,
];
const module = new WebAssembly.Module(buildModule({
  memory: h.importLimits, imports: [],
  funcs: [microkernel(), { type: { params: new Array(5).fill(T.i32), results: [] }, locals: [T.i32], body: rep, export: "rep" }],
}));
const N = 4096;
const [a, b, c] = [h.alloc(32 * 256 * 4), h.alloc(8 * 256 * 4), h.alloc(N * 1024)];
const f32 = h.views().f32;
for (let i = 0; i < 32 * 256; i++) f32[a / 4 + i] = Math.sin(i) * 1e-3;
for (let i = 0; i < 8 * 256; i++) f32[b / 4 + i] = Math.cos(i) * 1e-3;
setCpuThreads(2);
const time = (n: number, grain: number) => {
  const t0 = performance.now();
  parallelFor(module, "rep", [a, b, c], n, { grain });
  return performance.now() - t0;
};
for (let i = 0; i < 5; i++) (time(N / 2, N), time(N, N / 2));
const one: number[] = [], two: number[] = [];
const load0 = loadavg()[0]!;
for (let r = 0; r < rounds; r++) (one.push(time(N / 2, N)), two.push(time(N, N / 2)));
const q = (xs: number[], p: number) => [...xs].sort((u, v) => u - v)[Math.floor(p * (xs.length - 1))]!;
const gf = (ms: number, n: number) => ((n * 8 * 256 * 64) / (ms * 1e6)).toFixed(1);
console.log(`microkernel on L1-resident panels, ${rounds} rounds interleaved; load ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
console.log(`one thread, half the work: min ${q(one, 0).toFixed(2)} / median ${q(one, 0.5).toFixed(2)} ms (${gf(q(one, 0), N / 2)} GFLOP/s)`);
console.log(`two threads, all the work: min ${q(two, 0).toFixed(2)} / median ${q(two, 0.5).toFixed(2)} ms (${gf(q(two, 0), N)} GFLOP/s)`);
console.log(`two / one at the minimum: ${(q(two, 0) / q(one, 0)).toFixed(2)} (≈1: two cores' worth; ≈2: one core's FP pipes shared)`);
