/**
 * @kiln/backend — fusion and code generation: the scheduler cuts a graph into fused kernels,
 * lowering turns each into the kernel IR, renderers print it for a target, runtimes run it.
 * Importing this package registers the "cpu" executor (`useCpuBackend()` also activates it).
 */
import { type Node, Tensor, ValueError, bufferOf, describeValue, isNode, registerExecutor, setExecutor } from "@kiln/core";
import { type LoweredKernelInfo } from "./host/inspect.js";
import { planFor } from "./targets/js/cpu.js";
import { cpuExecutor, planKernels } from "./targets/index.js";
import { parameterizeConstants } from "./params.js";
import { type PlanStats } from "./schedule.js";

export { cpuExecutor, webgpuExecutor, runPlan, planKernels } from "./targets/index.js";
export { clearPlanCache, planCacheStats } from "./targets/js/cpu.js";
export { setStepTimer, type StepTimer } from "./host/run.js";
export { profile, type Profile, type KernelProfile, type ProfileOptions } from "./profile.js";
export { kernelCacheStats, clearKernelCache } from "./targets/js/kernel-cache.js";
export { parameterizeConstants, staysLiteral, type Parameterized } from "./params.js";
export { type Kernel, type Stmt, type Op, type Operand, type BufferParam, type LoopKind, printKernel } from "./kernel.js";
export { type Plan, type PlanStats, type KernelStep, scheduleGraph } from "./schedule.js";
export { renderJs } from "./targets/js/js.js";
export { setWasmMinElements, wasmKernelStats, clearWasmKernels, wasmUnsupported } from "./targets/wasm/index.js";
export { BASE_ALU, type AluRender, type Dialect } from "./render/base.js";
export { libraryOf } from "./lower.js";
export { type LoweredKernelInfo } from "./host/inspect.js";
export { backends, init, setBackend, getBackend, defaultBackend, type BackendInfo, type BackendName, type InitOptions } from "./select.js";
export { setCpuThreads, cpuThreads, cpuPoolStats, withCpuThreads } from "./targets/wasm/cpu-threads.js";
export { setContractionPoolMinFlops, wasmContractionStats } from "./targets/wasm/wasm-gemm.js";
export { tuneWebgpu, type TuneOptions, type TuneReport } from "./targets/webgpu/webgpu-tune.js";
export { webgpuRunStats, clearWebgpuCache, resetFloat64Warning } from "./targets/webgpu/webgpu.js";
export { setWebgpuHostPlanLimit, type HostPlanLimit } from "./targets/webgpu/webgpu-small-plans.js";
export { gpujsStats, gpujsMode, destroyGpujs, GPUJS_MODES, type GpujsMode, type GpujsInitOptions } from "./targets/gpujs/gpujs-runtime.js";
// From webgpu-api.ts, not the device modules: their declarations name WebGPU's global types.
export {
  destroyGpu, webgpuCacheStats, setWgslSourceStore, type AdapterSummary, type WgslSourceStore, type WgslStoreProblem,
} from "./targets/webgpu/webgpu-api.js";
export { renderWgslProgram, type WgslProgram, type WgslTuning, type MatmulChoice, type MatmulStrategy } from "./targets/webgpu/wgsl-kernel.js";

export interface LoweredGraph {
  readonly kernels: readonly LoweredKernelInfo[];
  readonly stats: PlanStats;
}

/**
 * Schedules and lowers the graph computing `outputs` without running it: the kernels it would
 * launch (name, backend, source) and the plan's statistics (kernel count, flops, bytes moved,
 * peak bytes held). Already-realized tensors count as inputs.
 * @example
 * const x = np.array([1, 2, 3]);
 * const { kernels, stats } = lowerGraph(np.tanh(x.mul(1.5)).mul(2));
 * kernels.length; // 1: the whole chain is one fused kernel
 */
export function lowerGraph(outputs: Tensor | Node | readonly (Tensor | Node)[]): LoweredGraph {
  const list = (Array.isArray(outputs) ? outputs : [outputs]) as (Tensor | Node)[];
  const nodes = list.map((o) => {
    if (o instanceof Tensor) return o.node;
    if (isNode(o)) return o;
    throw new ValueError(`lowerGraph: expected a Tensor, a graph Node or an array of them, got ${describeValue(o)}`);
  });
  const isBuffer = (n: Node) => n.prim === "data" || bufferOf(n) !== undefined;
  // The kernels as they run: scalar constants read from the parameter buffer (params.ts).
  const { outputs: outs, params } = parameterizeConstants(nodes, isBuffer);
  const { plan } = planFor(outs, isBuffer);
  params?.release();
  return {
    kernels: planKernels(plan),
    stats: plan.stats,
  };
}

/**
 * Registers the CPU backend (if needed) and makes it the active executor.
 * @example
 * import { useCpuBackend } from "@kiln/backend";
 * useCpuBackend(); // every realization now runs fused JS kernels
 */
export function useCpuBackend(): void {
  registerExecutor(cpuExecutor);
  setExecutor("cpu");
}

// Registered and active on import: fused JS kernels are the default realization path (the
// reference interpreter stays the spec). `await init()` may then choose a hardware WebGPU adapter.
useCpuBackend();
