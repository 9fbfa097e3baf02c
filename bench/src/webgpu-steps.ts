/**
 * Per-call cost on webgpu (issue 17): kiln only, W1 (2^20 fused elementwise + sum), W3 (the jitted
 * MLP training step of jit-bench.ts, loss read back), W4 (jitted grad of sum(sin(x)*x), 16
 * elements, read back) and a jitted scan of 1,000 small steps, each with the device submissions
 * it made per call. `node --conditions=kiln-source --import tsx bench/src/webgpu-steps.ts [rounds] [w1,w3,w4,scan]`.
 * Not part of `npm run bench` (no peers): for before/after comparisons of the runtime. Prints the
 * median and the spread (min–max) of `rounds` timed rounds, and the process CPU time per call
 * (llvmpipe's shader threads included): on a machine shared with other work it moves far less
 * than wall time, so before/after comparisons under load read it first.
 */
import { setLoopKernels, setScanDeviceMinBytes } from "../../packages/backend/src/targets/webgpu/webgpu.js";
import { type Tensor, destroyGpu, grad, init, jit, np, scan, setBackend, setWebgpuHostPlanLimit, webgpuRunStats } from "kiln";

import { random } from "./data.js";
import { kilnMlp, mlpData } from "./w3-mlp.js";

/** The workloads to run (comma-separated: w1,w3,w4,scan; all by default): one alone on a noisy machine. */
const only = (process.argv[3] ?? "w1,w3,w4,scan").split(",");

const rounds = Number(process.argv[2] ?? 5);

/** Milliseconds per call of `f` over `rounds` rounds of at least `minMs`: median and spread. */
async function time(name: string, f: () => Promise<unknown>, minMs: number, unit: "ms" | "per s"): Promise<void> {
  for (let i = 0; i < 3; i++) await f();
  const per: number[] = [];
  let subs = 0, calls = 0;
  const cpu0 = process.cpuUsage();
  const stat = (k: string) => (webgpuRunStats() as unknown as Record<string, number>)[k] ?? NaN;
  const g0 = stat("bindGroupsCreated");
  for (let r = 0; r < rounds; r++) {
    const s0 = stat("submissions");
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < minMs || n < 3) (await f(), n++);
    per.push((performance.now() - t0) / n);
    subs += stat("submissions") - s0;
    calls += n;
  }
  per.sort((a, b) => a - b);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / calls;
  const show = (ms: number) => (unit === "ms" ? ms.toFixed(3) : (1000 / ms).toFixed(0));
  const med = per[per.length >> 1]!;
  console.log(`${name.padEnd(34)} ${show(med).padStart(9)} ${unit}  (spread ${show(unit === "ms" ? per[0]! : per[per.length - 1]!)}–${show(unit === "ms" ? per[per.length - 1]! : per[0]!)}; submissions/call ${(subs / calls).toFixed(2)}; bind groups created/call ${((stat("bindGroupsCreated") - g0) / calls).toFixed(2)}; cpu ${cpuMs.toFixed(3)} ms/call)`);
}

const workloads: Record<string, () => Promise<void>> = {
  // W1
  w1: async () => {
    const w1 = jit((t: Tensor) => np.sum(np.tanh(t.mul(1.5).add(0.5)).mul(np.sigmoid(t)).sub(t.mul(t).mul(0.1))));
    const x1 = np.array(random(1 << 20, 1, 3)).add(0);
    await x1.data();
    await time("W1 2^20 fused + sum, read back", () => (w1(x1) as Tensor).item(), 400, "ms");
  },
  // W3
  w3: async () => {
    const { x: xb, y: yb, make } = kilnMlp(mlpData()); // jit-bench.ts's W3 step
    const step = make();
    await time("W3 MLP step, loss read back", () => (step(xb, yb) as Tensor).item(), 1500, "per s");
  },
  // W4
  w4: async () => {
    const g4 = jit(grad((x: Tensor) => np.sum(np.sin(x).mul(x))));
    const x4 = np.array(random(16, 4, 3)).add(0);
    await x4.data();
    await time("W4 jit(grad) 16 elements, read back", () => (g4(x4) as Tensor).data(), 800, "per s"); // on the host (small plan)
    const was = setWebgpuHostPlanLimit({ bytes: 0, flops: 0 });
    await time("W4, device path (small-plan rule off)", () => (g4(x4) as Tensor).data(), 800, "per s");
    setWebgpuHostPlanLimit(was);
  },
  // scan of 1,000 small steps
  scan: async () => {
    const mkScan1k = () => jit((c0: Tensor) => scan((c: Tensor) => [c.mul(0.999).add(0.001), null] as [Tensor, null], c0, null, { length: 1000 })[0]);
    const c0 = np.ones([16]).add(0);
    await c0.data();
    const mkBig = () => jit((b0: Tensor) => scan((c: Tensor) => [np.tanh(c.mul(0.999).add(0.001)), null] as [Tensor, null], b0, null, { length: 100 })[0]);
    const b0 = np.ones([1 << 18]).add(0);
    await b0.data();
    // The default (element-local bodies: one loop kernel), a compute pass per iteration, the host.
    for (const [where, bytes, loops] of [["device loop kernel", 0, true], ["device per iteration", 0, false], ["host", Infinity, false]] as const) {
      const was = setScanDeviceMinBytes(bytes), wasLoops = setLoopKernels(loops);
      const scan1k = mkScan1k(), big = mkBig(); // compiled under this setting
      await time(`jitted scan, 1,000 steps of [16], ${where}`, () => (scan1k(c0) as Tensor).data(), 1500, "ms");
      await time(`jitted scan, 100 steps of [2^18], ${where}`, () => (big(b0) as Tensor).data(), 1500, "ms");
      setScanDeviceMinBytes(was);
      setLoopKernels(wasLoops);
    }
  },
};

await init();
setBackend("webgpu");
try {
  for (const name of only) await workloads[name]!();
} finally {
  setBackend("cpu");
  destroyGpu();
}
