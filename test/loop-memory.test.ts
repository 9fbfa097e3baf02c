/**
 * Long synchronous loops (10^4 steps of the cheap bodies) keep memory flat on cpu, on cpu with every
 * kernel as wasm on 3 threads, and on gpujs: heap, host bytes, live buffers, the wasm memory, the
 * kernel and plan caches and each jitted function's trace cache read the same after the loop as
 * after its warm-up (loop-memory.ts; webgpu in webgpu/loop-memory.test.ts).
 */
import { clearWasmKernels, cpuThreads, gpujsStats, setCpuThreads, setWasmMinElements, wasmKernelStats } from "@kiln/backend";
import { LOOPS, type Loop, commonGauges, watchLoop } from "./loop-memory.js";
import { expect } from "chai";
import { type Tensor, np, prng } from "kiln";
import { useCpu, useGpujs } from "./util.js";

/**
 * Steps per loop after warm-up: the cheap bodies 10^4, the bodies that trace or build a vjp graph
 * every step fewer (2,000 steps still show 1 KB a step over the 4 MB heap slack).
 */
const STEPS: Record<keyof typeof LOOPS, number> = {
  eager: 10_000, jitted: 10_000, gradStep: 1_000, newGradEachStep: 1_000, eagerState: 10_000, jittedStateGrad: 10_000,
  optimizersEager: 1_000, optimizersJitted: 5_000, modules: 600, transformEachStep: 2_000, jittedTransforms: 5_000, randomness: 2_000,
  hostFunctions: 1_000, jitNewShapes: 2_000, lowerEachStep: 2_000, failingSteps: 2_000, subscribers: 5_000, awaitedReads: 2_000,
};
/**
 * Warm-up: fills the literal table (1,024 scalars) and the kernel and plan caches. A new transform
 * per step needs no more: its trace's nodes go with its placeholders (ir/node.ts).
 */
const WARMUP: Record<keyof typeof LOOPS, number> = {
  eager: 1_500, jitted: 300, gradStep: 200, newGradEachStep: 200, eagerState: 300, jittedStateGrad: 300,
  optimizersEager: 200, optimizersJitted: 200, modules: 100, transformEachStep: 300, jittedTransforms: 300, randomness: 1_000,
  hostFunctions: 1_000, jitNewShapes: 300, lowerEachStep: 100, failingSteps: 300, subscribers: 300, awaitedReads: 300,
};

function loopTests(extra: () => ReturnType<typeof commonGauges> = () => [], scale = 1, known: ReadonlySet<string> = new Set()): void {
  for (const [key, loop] of Object.entries(LOOPS) as [keyof typeof LOOPS, Loop][]) {
    if (known.has(key)) continue;
    it(`${loop.name}: ${Math.round(STEPS[key] * scale)} steps keep memory flat`, async function () {
      this.timeout(0);
      await watchLoop(loop, { warmup: Math.round(WARMUP[key] * Math.max(scale, 0.5)), steps: Math.round(STEPS[key] * scale), sync: !loop.async, gauges: [...commonGauges(), ...extra()] });
    });
  }
}

describe("long synchronous loops keep memory flat: cpu", () => {
  useCpu();
  loopTests();

  it("a value carried and never read keeps a bounded history (a PRNG key split every step)", () => {
    // [key, sub] = split(key) with only sub's draws read: the key's graph grew a threefry hash a
    // step (~70 KB), kept whole by the handle. A deep eager handle is computed when made (tensor.ts).
    let key = prng.key(0);
    let acc = 0, deepest = 0;
    for (let i = 0; i < 500; i++) {
      const [carry, sub] = prng.split(key) as unknown as [Tensor, Tensor];
      key = carry;
      deepest = Math.max(deepest, key.node.depth);
      if (i % 50 === 0) acc += np.sum(prng.normal(sub, [4])).itemSync();
    }
    expect(deepest).to.be.below(256);
    expect(key.node.prim === "data" || key.node.depth < 128).to.equal(true);
    expect(acc).to.be.finite;
    // The same key sequence as when every key is read.
    let k2 = prng.key(0);
    for (let i = 0; i < 500; i++) {
      [k2] = prng.split(k2) as unknown as [Tensor, Tensor];
      k2.dataSync();
    }
    expect(Array.from(key.dataSync())).to.deep.equal(Array.from(k2.dataSync()));
  });
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
