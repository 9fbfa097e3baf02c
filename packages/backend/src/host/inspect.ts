/** What a plan launches, for inspection (`lowerGraph`, `jit(...).lower()`). */
import { kernelSource } from "../targets/js/kernel-cache.js";
import { printKernel } from "../kernel.js";
import { librarySource } from "./library.js";
import { type Plan } from "../schedule.js";

export interface LoweredKernelInfo {
  readonly name: string;
  readonly backend: string;
  /** Rendered source (the JS function for cpu; the library function for library kernels). */
  readonly source: string;
  readonly kind: "elementwise" | "reduce" | "matmul" | "library";
  /** The kernel IR as text (empty for library kernels). */
  readonly ir: string;
}

/**
 * One entry per step of the plan, with the rendered source of each kernel.
 * @example planKernels(scheduleGraph([y.node], isInput).plan).map((k) => k.name)
 */
export function planKernels(plan: Plan, backend = "cpu"): LoweredKernelInfo[] {
  return plan.steps.map((s) => ({
    name: s.name,
    backend,
    kind: s.kind,
    source: s.kernel ? kernelSource(s.kernel) : librarySource(s.library!.name),
    ir: s.kernel ? printKernel(s.kernel) : "",
  }));
}
