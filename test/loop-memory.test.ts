/**
 * Long synchronous loops (10^4 steps of the cheap bodies) keep memory flat on cpu, on cpu with every
 * kernel as wasm on 3 threads, and on gpujs: heap, host bytes, live buffers, the wasm memory, the
 * kernel and plan caches and each jitted function's trace cache read the same after the loop as
 * after its warm-up (loop-memory.ts; webgpu in webgpu/loop-memory.test.ts).
 */
import { clearWasmKernels, cpuThreads, gpujsStats, setCpuThreads, setWasmMinElements, wasmKernelStats } from "@kiln/backend";
import { LOOPS, type Loop, commonGauges, watchLoop } from "./loop-memory.js";
import { useCpu, useGpujs } from "./util.js";

/** Steps per loop after warm-up: the cheap bodies 10^4, the gradient bodies fewer (each builds a vjp graph). */
const STEPS: Record<keyof typeof LOOPS, number> = { eager: 10_000, jitted: 10_000, gradStep: 1_000, newGradEachStep: 1_000, eagerState: 10_000, jittedStateGrad: 10_000 };
/** Warm-up: fills the literal table (1,024 scalars) and the kernel and plan caches. */
const WARMUP: Record<keyof typeof LOOPS, number> = { eager: 1_500, jitted: 300, gradStep: 200, newGradEachStep: 1_000, eagerState: 300, jittedStateGrad: 300 };

function loopTests(extra: () => ReturnType<typeof commonGauges> = () => [], scale = 1, known: ReadonlySet<string> = new Set()): void {
  for (const [key, loop] of Object.entries(LOOPS) as [keyof typeof LOOPS, Loop][]) {
    if (known.has(key)) continue;
    it(`${loop.name}: ${Math.round(STEPS[key] * scale)} steps keep memory flat`, async function () {
      this.timeout(0);
      await watchLoop(loop, { warmup: Math.round(WARMUP[key] * Math.max(scale, 0.5)), steps: Math.round(STEPS[key] * scale), sync: true, gauges: [...commonGauges(), ...extra()] });
    });
  }
}

describe("long synchronous loops keep memory flat: cpu", () => {
  useCpu();
  loopTests();
});

describe("long synchronous loops keep memory flat: cpu, every kernel as wasm on 3 threads", () => {
  useCpu();
  let threads = 1;
  before(() => {
    threads = cpuThreads();
    setWasmMinElements(0, { imports: true });
    clearWasmKernels();
    setCpuThreads(3);
  });
  after(() => {
    setCpuThreads(threads);
    clearWasmKernels();
    setWasmMinElements();
  });
  loopTests(() => [{ name: "compiled wasm kernels", read: () => wasmKernelStats().entries, slack: 0 }], 0.2);
});

describe("long synchronous loops keep memory flat: gpujs", () => {
  useGpujs();
  // The eager loop once grew the heap ~4.5 KB per step here: the gpujs executor printed each step's
  // scalar into its kernel, so every step compiled a new host JS kernel (the JS kernel cache,
  // bounded at 2,048, was still filling after the warm-up). Its eager plans now read scalars from
  // a parameter array as cpu's do: one plan, one kernel.
  loopTests(() => [{ name: "compiled GPU.js kernels", read: () => gpujsStats().entries, slack: 0 }], 0.2);
});
