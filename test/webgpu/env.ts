/**
 * Test environment of the webgpu suites: finds the adapter before a suite and destroys the device
 * after it (a Node process does not exit while a Dawn device is alive, and mocha waits for it).
 * Under CI (CI=true) a missing adapter fails the suite; elsewhere it is skipped with a warning.
 */
import { backends, destroyGpu, init, setBackend, setWebgpuHostPlanLimit } from "@kiln/backend";
import { activeExecutor, setExecutor } from "@kiln/core";

/** Acquires the WebGPU device and makes webgpu active (skips, or fails under CI, without one). */
export async function requireWebgpu(this: Mocha.Context | void): Promise<void> {
  previous = activeExecutor().name;
  await init();
  const info = backends().find((b) => b.name === "webgpu")!;
  if (!info.available) {
    const why = `no WebGPU adapter: ${info.reason}`;
    if (process.env.CI === "true" || !this) throw new Error(`${why} (CI requires the webgpu suites to run)`);
    console.warn(`\n  webgpu suite skipped: ${why}\n`);
    this.skip();
  }
  setBackend("webgpu");
  // The suites test the device: their jitted calls take small host arrays, which the small-plan
  // rule would run on the host's kernels (test/webgpu/small-plans.test.ts tests the rule itself).
  setWebgpuHostPlanLimit(DEVICE_ONLY);
}

/** The small-plan limit that keeps every jitted call on the device. */
export const DEVICE_ONLY = { bytes: 0, flops: 0 } as const;

/** The backend active before the suite, restored after it. */
let previous = "cpu";

/** Registers the hooks for a describe block that runs on webgpu. */
export function useWebgpu(): void {
  before(requireWebgpu);
  after(() => {
    setExecutor(previous);
    destroyGpu();
  });
}
