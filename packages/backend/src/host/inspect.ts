/** What a plan launches, for inspection (`lowerGraph`, `jit(...).lower()`). */
import { type Kernel, printKernel } from "../kernel.js";
import { type Plan } from "../schedule.js";

export interface LoweredKernelInfo {
  readonly name: string;
  readonly backend: string;
  /** Rendered source (the JS function for cpu; the library function for library kernels). */
  readonly source: string;
  readonly kind: "elementwise" | "reduce" | "matmul" | "library";
  /** Buffers the kernel writes: 1, or several for a multi-output kernel (schedule.ts). */
  readonly outputs: number;
  /** The kernel IR as text (empty for library kernels). */
  readonly ir: string;
  /** Floating-point operations one run of the kernel performs (its share of the plan's `stats.flops`). */
  readonly flops: number;
}

/**
 * One entry per step of the plan, with the source of each kernel as `kernelSource` renders it
 * (the target's renderer) and of each library kernel as `librarySource` shows it.
 * @example describePlan(plan, "cpu", kernelSource, (name) => `// ${name}`).map((k) => k.name)
 */
export function describePlan(plan: Plan, backend: string, kernelSource: (k: Kernel) => string, librarySource: (name: string) => string): LoweredKernelInfo[] {
  return plan.steps.map((s) => ({
    name: s.name,
    backend,
    kind: s.kind,
    outputs: s.outputs,
    source: s.kernel ? kernelSource(s.kernel) : librarySource(s.library!.name),
    ir: s.kernel ? printKernel(s.kernel) : "",
    flops: s.flops,
  }));
}
