/**
 * The JS target: fused kernels rendered as JavaScript functions over typed arrays (js.ts), float32
 * contractions on a WebAssembly SIMD microkernel (js-matmul.ts, ../wasm/wasm-gemm.ts), compiled once per
 * kernel (kernel-cache.ts) and run on the host by the cpu executor (cpu.ts). Its kernels are also
 * the host's: every target runs its host steps through them.
 */
import { type HostKernels } from "../../host/run.js";
import { type TargetFactory } from "../target.js";
import { cpuExecutorOn } from "./cpu.js";
import { compileKernel, kernelSource } from "./kernel-cache.js";

/** The JS kernels as the host runs them. */
export const JS_KERNELS: HostKernels = {
  run: (k) => compileKernel(k).run,
  source: kernelSource,
};

/** The `cpu` backend: always available. */
export const jsTarget: TargetFactory = (host) => ({
  name: "cpu",
  executor: cpuExecutorOn(host),
  status: () => ({ available: true }),
});
