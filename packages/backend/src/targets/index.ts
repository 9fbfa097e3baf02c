/**
 * The target list: every backend of this build, and the host they share. Adding a target is one
 * folder (targets/<name>/, exporting a `TargetFactory`) plus one line in `TARGETS` — select.ts
 * (`backends`, `init`, `setBackend`) reads nothing else.
 */
import { type Executor, type TypedArray } from "@kiln/core";
import { type LoweredKernelInfo } from "../host/inspect.js";
import { type Host, makeHost } from "../host/run.js";
import { type Plan } from "../schedule.js";
import { type Target } from "./target.js";
import { JS_KERNELS, jsTarget } from "./js/index.js";
import { webgpuTarget } from "./webgpu/index.js";
import { gpujsTarget } from "./gpujs/index.js";
import { withWasm } from "./wasm/index.js";

/** The host: runs plan steps on host arrays — wasm kernels where they pay, the JS target's otherwise. */
export const HOST: Host = makeHost(withWasm(JS_KERNELS));

/** The targets, in order of preference among hardware devices; the first is the always-available fallback. */
export const TARGETS: readonly [Target, ...Target[]] = [
  jsTarget(HOST),
  webgpuTarget(HOST),
  gpujsTarget(HOST),
];

/** The target named `name`, if this build has it. */
export function targetNamed(name: string): Target | undefined {
  return TARGETS.find((t) => t.name === name);
}

/** The CPU executor: fused kernels compiled to JavaScript, run synchronously. */
export const cpuExecutor: Executor = targetNamed("cpu")!.executor;

/** The webgpu executor: WGSL compute dispatches; values are read with `await x.data()`. */
export const webgpuExecutor: Executor = targetNamed("webgpu")!.executor;

/**
 * Runs a plan on host arrays (one per plan input); returns the array of every plan buffer.
 * @example
 * const { plan, inputs } = scheduleGraph([y.node], (n) => n.prim === "data");
 * const arrays = runPlan(plan, inputs.map((n) => bufferOf(n)!.host!));
 * arrays[plan.outputs[0]]; // y's values
 */
export function runPlan(plan: Plan, inputs: readonly TypedArray[]): TypedArray[] {
  return HOST.runPlan(plan, inputs);
}

/**
 * One entry per step of the plan, with the rendered source of each kernel.
 * @example planKernels(scheduleGraph([y.node], isInput).plan).map((k) => k.name)
 */
export function planKernels(plan: Plan, backend = "cpu"): LoweredKernelInfo[] {
  return HOST.planKernels(plan, backend);
}
