/**
 * Long loops keep memory flat on webgpu (loop-memory.ts): besides heap, host bytes, live buffers
 * and the caches, the device buffers the pool created, and the staging and upload buffers, stay the
 * same once warm (a leak on the device shows there first). Each loop drops a value per step that
 * the garbage collector would free only after the loop: the pool takes back the buffers of values
 * read back or uploaded, and replaced State values, small eager results, small results of jitted
 * calls and deep eager intermediates are read back behind (webgpu-memory.ts), so every loop here
 * creates no device buffer once warm: not even a PRNG loop, whose threefry rounds realize deep
 * intermediates, nor a jit over more shapes than its cache keeps (an evicted signature returns its
 * plan's buffers).
 * Each loop starts from an empty pool, so that one loop's leftovers cannot hide another's needs.
 * Reads are awaited (webgpu has no synchronous read), every step for the bodies that read each
 * step: fewer steps than on cpu, each one a device round trip.
 */
import { webgpuCacheStats, webgpuRunStats } from "kiln";
import { LOOPS, type Loop, commonGauges, watchLoop } from "../loop-memory.js";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { poolOf } from "../../packages/backend/src/targets/webgpu/webgpu-memory.js";
import { useWebgpu } from "./env.js";

const STEPS: Record<keyof typeof LOOPS, number> = {
  eager: 1_000, jitted: 3_000, gradStep: 500, newGradEachStep: 300, eagerState: 3_000, jittedStateGrad: 3_000,
  optimizersEager: 200, optimizersJitted: 600, modules: 150, transformEachStep: 600, jittedTransforms: 600, randomness: 300,
  hostFunctions: 300, jitNewShapes: 300, lowerEachStep: 300, failingSteps: 400, subscribers: 1_000, awaitedReads: 500,
};
/** Warm-up: 300 steps, more where a loop cycles through more kernels (96 jit signatures). */
const WARMUP: Partial<Record<keyof typeof LOOPS, number>> = { jitNewShapes: 400, hostFunctions: 400 };

describe("webgpu: long loops keep memory flat", () => {
  useWebgpu();
  beforeEach(() => poolOf(currentGpu()!).trim());
  for (const [key, loop] of Object.entries(LOOPS) as [keyof typeof LOOPS, Loop][]) {
    it(`${loop.name}: ${STEPS[key]} steps keep memory and the device pool flat`, async function () {
      this.timeout(0);
      await watchLoop(loop, {
        // A new transform per step needs no longer warm-up: its trace's nodes go with it (ir/node.ts).
        warmup: WARMUP[key] ?? 300, steps: STEPS[key], sync: false,
        gauges: [
          ...commonGauges(),
          { name: "device buffers created", read: () => webgpuRunStats().buffersCreated, slack: 0 },
          { name: "staging and upload-source buffers created", read: () => webgpuRunStats().transferBuffersCreated, slack: 0 },
          { name: "compiled WGSL programs", read: () => webgpuCacheStats().entries, slack: 0 },
        ],
      });
    });
  }
});
