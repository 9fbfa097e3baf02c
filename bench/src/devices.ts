/**
 * kiln's devices in the model workloads (W7, W8): the same step built and run on cpu and, where an
 * adapter exists, on webgpu, interleaved with the peers. kiln has one active backend per process,
 * so each webgpu runner switches to it around its own calls and back, and the cpu runners (which
 * never switch) keep running on cpu.
 */
import { backends, getBackend, init, setBackend } from "kiln";

export type KilnDevice = "cpu" | "webgpu";

/**
 * Runs `f` with `device` as kiln's active backend, then restores the previous one. A promise `f`
 * returns is not awaited inside: work is dispatched during the call, only reads finish later.
 * @example
 * const loss = await onDevice("webgpu", () => step(x, y).item());
 */
export function onDevice<T>(device: KilnDevice, f: () => T): T {
  const was = getBackend();
  if (was !== device) setBackend(device);
  try {
    return f();
  } finally {
    if (was !== device) setBackend(was);
  }
}

/**
 * Whether kiln has a WebGPU adapter here. `init()` each time, not a cached answer: the W1/W2
 * WebGPU section destroys its device when done, and init() makes a new one.
 */
export async function webgpuAvailable(): Promise<boolean> {
  await init();
  return backends().some((b) => b.name === "webgpu" && b.available);
}
