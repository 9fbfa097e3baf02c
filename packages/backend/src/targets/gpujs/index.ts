/**
 * The GPU.js target: kernels rendered as GPU.js kernel functions (gpujs-render.ts, gpujs-alu.ts), run
 * by one GPU.js instance (gpujs-runtime.ts) — WebGL in browsers, WebAssembly (`webasm`) or plain JS
 * (`cpu`) in Node; contractions as one dot loop per output (gpujs-contraction.ts). Kernels GPU.js
 * cannot run exactly (int32, float64, bitwise and special-function ops) and library steps run on
 * the host it is handed (gpujs.ts).
 */
import { type TargetFactory } from "../target.js";
import { gpujsExecutorOn } from "./gpujs.js";
import { acquireGpujs, currentGpujs, gpujsMode, gpujsUnavailableReason } from "./gpujs-runtime.js";

/** GPU.js modes that compute on a GPU; the others (webasm, cpu) run on the CPU. */
const HARDWARE_MODES: ReadonlySet<string> = new Set(["webgl2", "webgl", "headlessgl", "webgpu"]);

/** The `gpujs` backend: available once `init()` loaded GPU.js. */
export const gpujsTarget: TargetFactory = (host) => ({
  name: "gpujs",
  executor: gpujsExecutorOn(host),
  status(initialized) {
    const mode = gpujsMode();
    if (currentGpujs() && mode) return { available: true, adapter: `GPU.js ${mode}`, software: !HARDWARE_MODES.has(mode) };
    return { available: false, reason: initialized ? gpujsUnavailableReason() ?? "GPU.js did not load" : "not initialized: await init() first" };
  },
  async init(opts) {
    const gpu = await acquireGpujs(opts.gpujs);
    const mode = gpujsMode();
    return gpu && mode ? { name: `GPU.js ${mode}`, software: !HARDWARE_MODES.has(mode) } : null;
  },
});
