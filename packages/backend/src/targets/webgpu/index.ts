/**
 * The WebGPU target: kernels rendered as WGSL compute shaders (wgsl*.ts), run on a device found
 * through Dawn in Node (the optional `webgpu` package) or `navigator.gpu` in browsers
 * (webgpu-device.ts), with pooled device memory (webgpu-memory.ts), a program cache and store
 * (webgpu-programs.ts, webgpu-store.ts) and measured contraction tuning (webgpu-tune.ts). Steps
 * WGSL cannot run (library kernels, float64) run on the host it is handed.
 */
import { type TargetFactory } from "../target.js";
import { webgpuExecutorOn } from "./webgpu.js";
import { acquireGpu, currentGpu, gpuUnavailableReason } from "./webgpu-device.js";
import { tuneWebgpu } from "./webgpu-tune.js";

/** The `webgpu` backend: available once `init()` found an adapter. */
export const webgpuTarget: TargetFactory = (host) => ({
  name: "webgpu",
  executor: webgpuExecutorOn(host),
  status(initialized) {
    const gpu = currentGpu();
    return gpu
      ? { available: true, adapter: gpu.adapter.name, software: gpu.adapter.software }
      : { available: false, reason: initialized ? gpuUnavailableReason() ?? "no WebGPU device" : "not initialized: await init() first" };
  },
  async init(opts) {
    const gpu = await acquireGpu();
    if (!gpu) return null;
    if (opts.tune ?? !gpu.adapter.software) {
      try {
        await tuneWebgpu();
      } catch (e) {
        // Measuring is an optimization: the adapter class's defaults still run correctly.
        console.warn(`kiln: WebGPU kernel tuning failed; using the defaults for this adapter (${(e as Error).message})`);
      }
    }
    return gpu.adapter;
  },
});
