/**
 * Plan execution on the host: allocates a plan's buffers as typed arrays and runs its steps in
 * order — kernels, library kernels (host/library.ts) and control steps (host/control.ts, which run
 * sub-plans through this same host). The host knows nothing of how a kernel becomes code: it is
 * *handed* a kernel compiler (`HostKernels`; the JS target's today), so no target imports another
 * target, and the executors that run steps on the host (cpu: all of them; webgpu: library and
 * float64 steps) share one implementation.
 */
import { type DType, type TypedArray } from "@kiln/core";
import { type Kernel } from "../kernel.js";
import { type KernelStep, type LibrarySpec, type Plan } from "../schedule.js";
import { allocTypedArray, storageOf } from "../storage.js";
import { controlStep } from "./control.js";
import { type LoweredKernelInfo, describePlan } from "./inspect.js";
import { LIBRARY, type LibraryFn } from "./library.js";

/** What the host needs from a target to run kernels on host arrays. */
export interface HostKernels {
  /** The compiled kernel function (cached by the target): takes one typed array per kernel parameter. */
  run(k: Kernel): (...bufs: unknown[]) => void;
  /** The kernel's rendered source, for inspection (`lowerGraph`). */
  source(k: Kernel): string;
  /** Whether the kernel runs over the heap (a wasm kernel): its arrays are best placed there. */
  inHeap?(k: Kernel): boolean;
}

/** The kernel function of one step bound to its spec: called with the step's arrays (outputs first). */
export type StepFn = (args: TypedArray[]) => void;

/** A host: runs plans with the kernels it was given. */
export interface Host {
  /** Runs a plan on host arrays (one per plan input); returns the array of every plan buffer. */
  runPlan(plan: Plan, inputs: readonly TypedArray[]): TypedArray[];
  /** The function running `step` (resolved once: replayed plans call it directly). */
  stepFn(step: KernelStep): StepFn;
  /** Runs one step on host arrays (its inputs, in binding order), returning a new array per output. */
  runStep(step: KernelStep, ins: readonly TypedArray[], outs: readonly { readonly dtype: DType; readonly size: number }[]): TypedArray[];
  /** One entry per step of the plan, with the rendered source of each kernel. */
  planKernels(plan: Plan, backend?: string): LoweredKernelInfo[];
  /** Whether the step's kernel runs over the heap (host/heap.ts): a wasm kernel. */
  stepInHeap(step: KernelStep): boolean;
}

/** A step timer: called after each host kernel with its kind, milliseconds and the step (its name, kernel, flops). */
export type StepTimer = (kind: KernelStep["kind"], ms: number, step: KernelStep) => void;

/** Per-step timing hook (benchmarks, `profile()`). */
let stepTimer: StepTimer | null = null;

/**
 * Installs (or removes, with `null`) a hook timing every kernel a plan runs, eager or jitted:
 * benchmarks use it to split a step's time into kernels and everything else.
 * @example
 * let matmulMs = 0;
 * setStepTimer((kind, ms) => { if (kind === "matmul") matmulMs += ms; });
 * step(x); setStepTimer(null);
 */
export function setStepTimer(timer: StepTimer | null): void {
  stepTimer = timer;
}

/** The installed step timer (read once per replay by compiled plans). */
export function currentStepTimer(): typeof stepTimer {
  return stepTimer;
}

/** Scratch arrays (packed panels) reused across calls, per storage class and parameter position. */
const scratchPool = new Map<string, TypedArray>();
/** Larger scratch is not kept between calls. */
export const SCRATCH_KEEP = 1 << 24;

/**
 * A scratch array of at least `size` elements for kernel parameter `slot` (pooled up to SCRATCH_KEEP).
 * @example scratch("float32", 4096, 2).length >= 4096 // true
 */
export function scratch(dtype: DType, size: number, slot: number): TypedArray {
  const key = `${storageOf(dtype)}:${slot}`;
  const hit = scratchPool.get(key);
  if (hit && hit.length >= size) return hit;
  const arr = allocTypedArray(dtype, size);
  if (size <= SCRATCH_KEEP) scratchPool.set(key, arr);
  return arr;
}

/**
 * A host running plans with `kernels`. Its library table is the plain library kernels plus the
 * control steps, which run their sub-plans on this host.
 * @example
 * const host = makeHost({ run: (k) => compileKernel(k).run, source: kernelSource });
 * host.runPlan(plan, inputs)[plan.outputs[0]]; // the first output's values
 */
export function makeHost(kernels: HostKernels): Host {
  const library: Readonly<Record<string, LibraryFn>> = {
    ...LIBRARY,
    ...controlStep((plan, inputs) => runPlan(plan, inputs)),
  };
  const libraryFn = (spec: LibrarySpec): LibraryFn => {
    const fn = library[spec.name];
    if (!fn) throw new Error(`kiln internal: no host library kernel "${spec.name}"`);
    return fn;
  };

  function runPlan(plan: Plan, inputs: readonly TypedArray[]): TypedArray[] {
    const slots = plan.slots.map((s) => allocTypedArray(s.dtype, s.size));
    const arrays = plan.buffers.map((b) => {
      if (b.role === "input") return inputs[b.index]!;
      if (b.role === "output") return allocTypedArray(b.dtype, b.size);
      const s = slots[b.index]!;
      return s.length === b.size ? s : s.subarray(0, b.size);
    });
    for (const step of plan.steps) {
      const t0 = stepTimer ? performance.now() : 0;
      if (step.kernel) {
        const params = step.kernel.params;
        const args = step.bindings.map((id, i) => (id >= 0 ? arrays[id]! : scratch(params[i]!.dtype, params[i]!.size, i)));
        kernels.run(step.kernel)(...args);
      } else {
        const [out, ...ins] = step.bindings.map((id) => arrays[id]!);
        libraryFn(step.library!)(step.library!, ins, out!);
      }
      stepTimer?.(step.kind, performance.now() - t0, step);
    }
    return arrays;
  }

  function stepFn(step: KernelStep): StepFn {
    if (step.kernel) {
      const run = kernels.run(step.kernel);
      // Spreading a preallocated array is the cheapest way to call a fixed-arity kernel.
      return (args) => run(...args);
    }
    const spec = step.library!, lib = libraryFn(spec);
    return (args) => lib(spec, args.slice(1), args[0]!);
  }

  function runStep(step: KernelStep, ins: readonly TypedArray[], outs: readonly { readonly dtype: DType; readonly size: number }[]): TypedArray[] {
    const arrays = outs.map((o) => allocTypedArray(o.dtype, o.size));
    if (step.library) {
      libraryFn(step.library)(step.library, ins, arrays[0]!);
      return arrays;
    }
    const k = step.kernel!;
    let j = 0;
    const args = k.params.map((p, i) => (i < arrays.length ? arrays[i]! : p.role === "scratch" ? allocTypedArray(p.dtype, p.size) : ins[j++]!));
    kernels.run(k)(...args);
    return arrays;
  }

  return {
    runPlan,
    stepFn,
    runStep,
    stepInHeap: (step) => step.kernel !== null && (kernels.inHeap?.(step.kernel) ?? false),
    planKernels: (plan, backend = "cpu") => describePlan(plan, backend, kernels.source, (name) => librarySource(library, name)),
  };
}

/** Source text shown by `lowerGraph` for a library kernel. */
function librarySource(library: Readonly<Record<string, LibraryFn>>, name: string): string {
  const fn = library[name];
  return fn ? `// library kernel ${name}\n${fn.toString()}` : `// unknown library kernel ${name}`;
}
