/**
 * W3 on one thread vs two, interleaved in one process (issue 13's "two-core efficiency"):
 *   node --conditions=kiln-source --import tsx bench/src/w3-threads.ts [--rounds 6] [--steps 60] [--pause 40]
 * Per round, for each mode: `steps` consecutive steps timed (wall and process CPU — all threads —
 * per step), the same steps again with every kernel timed (per-kernel minima), and `steps / 4`
 * single steps each after `pause` ms of JavaScript streaming 32 MB ("cold": what a step sees in
 * `npm run bench`, which times one step per runner between jax-js's and TF.js's steps).
 *
 * "1 thread" keeps the worker pool alive and runs every contraction on the calling thread
 * (`setContractionPoolMinFlops(Infinity)`; W3's other kernels never split — checked: the pool must
 * see no job): `setCpuThreads(1)` would stop the worker and every switch back would start a new
 * one, which a comparison should not time. "2 threads" is the default pool (an explicit
 * `setCpuThreads(2)`, so that load shedding does not turn it into one thread on a busy machine).
 * Prints the load average before and after: wall times are only comparable at similar load.
 */
import { parseArgs } from "node:util";
import { loadavg } from "node:os";
import { setBackend, setCpuThreads } from "kiln";
import { cpuPoolStats, setContractionPoolMinFlops, setStepTimer } from "@kiln/backend";
import { kilnMlp, mlpData } from "./w3-mlp.js";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "6" }, steps: { type: "string", default: "60" }, pause: { type: "string", default: "40" } } });
const rounds = Number(values.rounds), steps = Number(values.steps), pauseMs = Number(values.pause);
for (const [k, v] of Object.entries({ rounds, steps, pause: pauseMs })) if (!Number.isInteger(v) || v < (k === "pause" ? 0 : 1)) throw new Error(`w3-threads: --${k} must be a ${k === "pause" ? "non-negative" : "positive"} integer`);

setBackend("cpu");
setCpuThreads(2);
const { x, y, make } = kilnMlp(mlpData());
const step = make();
const run = () => step(x, y).itemSync();
const kernels = step.lower(x, y).kernels;
const junk = new Float32Array(8 << 20);
const pause = () => {
  const end = performance.now() + pauseMs;
  while (performance.now() < end) for (let i = 0; i < junk.length; i += 16) junk[i]! += 1;
};

type Mode = 1 | 2;
const modes: Mode[] = [1, 2];
const setMode = (m: Mode) => setContractionPoolMinFlops(m === 1 ? Infinity : undefined);
interface Acc { wall: number[]; cpu: number[]; cold: number[]; coldCpu: number[]; min: Float64Array; jobs: number }
const newAcc = (): Acc => ({ wall: [], cpu: [], cold: [], coldCpu: [], min: new Float64Array(kernels.length).fill(Infinity), jobs: 0 });
const acc: Record<Mode, Acc> = { 1: newAcc(), 2: newAcc() };

const loadBefore = loadavg()[0]!;
for (const m of modes) (setMode(m), Array.from({ length: 100 }, run));
for (let r = 0; r < rounds; r++) {
  for (const m of modes) {
    const a = acc[m];
    setMode(m);
    for (let i = 0; i < 5; i++) run();
    const jobs0 = cpuPoolStats().parallelJobs;
    for (let s = 0; s < steps; s++) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      run();
      a.wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      a.cpu.push((c.user + c.system) / 1000);
    }
    a.jobs += cpuPoolStats().parallelJobs - jobs0;
    let calls = 0;
    setStepTimer((_kind, ms) => {
      const i = calls++ % kernels.length;
      if (ms < a.min[i]!) a.min[i] = ms;
    });
    try {
      for (let s = 0; s < steps; s++) run();
    } finally {
      setStepTimer(null);
    }
    for (let s = 0; s < steps >> 2; s++) {
      pause();
      const c0 = process.cpuUsage(), t0 = performance.now();
      run();
      a.cold.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      a.coldCpu.push((c.user + c.system) / 1000);
    }
  }
}
if (acc[1].jobs !== 0) throw new Error(`w3-threads: the "1 thread" mode ran ${acc[1].jobs} pool jobs`);

const q = (xs: number[], p: number) => [...xs].sort((u, v) => u - v)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const f = (v: number) => v.toFixed(2);
console.log(`W3 step, 1 vs 2 threads, interleaved: ${rounds} rounds × ${steps} steps (cold: ${steps >> 2} steps after ${pauseMs} ms streaming 32 MB); load ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
console.log("threads   warm ms/step p10 / median   CPU ms/step median   cold ms/step p10 / median   cold CPU median   pool jobs/step");
for (const m of modes) {
  const a = acc[m];
  console.log(`${String(m).padEnd(10)}${`${f(q(a.wall, 0.1))} / ${f(q(a.wall, 0.5))}`.padEnd(30)}${f(q(a.cpu, 0.5)).padEnd(21)}${`${f(q(a.cold, 0.1))} / ${f(q(a.cold, 0.5))}`.padEnd(28)}${f(q(a.coldCpu, 0.5)).padEnd(18)}${(a.jobs / (rounds * steps)).toFixed(1)}`);
}
console.log("\nper kernel (minimum over every timed step), ms: 1 thread, 2 threads, speedup");
let s1 = 0, s2 = 0;
kernels.forEach((k, i) => {
  const [a, b] = [acc[1].min[i]!, acc[2].min[i]!];
  s1 += a;
  s2 += b;
  console.log(`${String(i).padStart(3)}  ${k.name.padEnd(30)}${(k.flops / 1e6).toFixed(1).padStart(6)} MFLOP  ${a.toFixed(3).padStart(7)}  ${b.toFixed(3).padStart(7)}  ${(a / b).toFixed(2)}x`);
});
console.log(`sum of minima: ${s1.toFixed(3)} ms on 1 thread, ${s2.toFixed(3)} ms on 2 (${(s1 / s2).toFixed(2)}x)`);
