/**
 * The CPU runtime: allocates a plan's buffers as typed arrays, runs its kernels in order and
 * wraps the outputs as DataBuffers. Plans are cached by the structure of the graph they came from
 * (realized inputs abstracted to their dtype and shape), so re-running the same computation on
 * new data — every eager training step — skips scheduling and lowering entirely.
 */
import {
  type CompiledGraph, DataBuffer, DisposedError, type Executor, type Graph, type Node, type TypedArray, topoSort,
} from "@kiln/core";
import { planKernels } from "../inspect.js";
import { allocTypedArray, storageOf } from "../storage.js";
import { compileKernel } from "../cache.js";
import { type Plan, scheduleGraph } from "../schedule.js";
import { LIBRARY } from "./library.js";

const PLAN_CACHE_SIZE = 512;
const plans = new Map<string, Plan>();

/** Scratch arrays (packed panels) reused across calls, per storage class and parameter position. */
const scratchPool = new Map<string, TypedArray>();
/** Larger scratch is not kept between calls. */
const SCRATCH_KEEP = 1 << 24;

function scratch(dtype: Parameters<typeof allocTypedArray>[0], size: number, slot: number): TypedArray {
  const key = `${storageOf(dtype)}:${slot}`;
  const hit = scratchPool.get(key);
  if (hit && hit.length >= size) return hit;
  const arr = allocTypedArray(dtype, size);
  if (size <= SCRATCH_KEEP) scratchPool.set(key, arr);
  return arr;
}

/**
 * Runs a plan on host arrays (one per plan input); returns the array of every plan buffer.
 * @example
 * const { plan, inputs } = scheduleGraph([y.node], (n) => n.prim === "data");
 * const arrays = runPlan(plan, inputs.map((n) => bufferOf(n)!.host!));
 * arrays[plan.outputs[0]]; // y's values
 */
export function runPlan(plan: Plan, inputs: readonly TypedArray[]): TypedArray[] {
  const slots = plan.slots.map((s) => allocTypedArray(s.dtype, s.size));
  const arrays = plan.buffers.map((b) => {
    if (b.role === "input") return inputs[b.index]!;
    if (b.role === "output") return allocTypedArray(b.dtype, b.size);
    const s = slots[b.index]!;
    return s.length === b.size ? s : s.subarray(0, b.size);
  });
  for (const step of plan.steps) {
    if (step.kernel) {
      const params = step.kernel.params;
      const args = step.bindings.map((id, i) => (id >= 0 ? arrays[id]! : scratch(params[i]!.dtype, params[i]!.size, i)));
      compileKernel(step.kernel).run(...args);
    } else {
      const [out, ...ins] = step.bindings.map((id) => arrays[id]!);
      LIBRARY[step.library!.name]!(step.library!, ins, out!);
    }
  }
  return arrays;
}

/** JSON writes NaN and ±Infinity as null and -0 as 0; all of them change results, so keep them. */
function paramReplacer(_k: string, v: unknown): unknown {
  return typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)) ? `#${Object.is(v, -0) ? "-0" : v}` : v;
}

const numKey = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/** Params as text: numbers and number arrays directly (fast, and NaN/±Infinity/-0 exact), the rest as JSON. */
function paramsKey(params: Record<string, unknown>): string {
  let out = "";
  for (const k in params) {
    const v = params[k];
    const text = typeof v === "number" ? numKey(v)
      : Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]).map(numKey).join(",")
      : typeof v === "string" || typeof v === "boolean" ? String(v)
      : JSON.stringify(v, paramReplacer);
    out += `${k}=${text};`;
  }
  return `{${out}}`;
}

/** Structural key of the graph computing `outputs`; realized inputs are `B<dtype>[shape]`. */
export function graphKey(nodes: readonly Node[], outputs: readonly Node[], isBuffer: (n: Node) => boolean): string {
  const pos = new Map<Node, number>();
  const parts = nodes.map((n, i) => {
    pos.set(n, i);
    if (isBuffer(n)) return `B${n.aval.dtype}[${n.aval.shape}]`;
    const params = paramsKey(n.params as Record<string, unknown>);
    return `${n.prim}${params}(${n.inputs.map((x) => pos.get(x)).join(",")})${n.aval.dtype}[${n.aval.shape}]`;
  });
  return `${parts.join(";")}=>${outputs.map((o) => pos.get(o)).join(",")}`;
}

/** The plan for `outputs` (cached) and the realized nodes it reads, in input order. */
export function planFor(outputs: readonly Node[], isBuffer: (n: Node) => boolean): { plan: Plan; inputs: Node[] } {
  const nodes = topoSort(outputs, isBuffer);
  const key = graphKey(nodes, outputs, isBuffer);
  const hit = plans.get(key);
  if (hit) {
    plans.delete(key); // refresh LRU position
    plans.set(key, hit);
    return { plan: hit, inputs: nodes.filter(isBuffer) };
  }
  const made = scheduleGraph(outputs, isBuffer);
  plans.set(key, made.plan);
  if (plans.size > PLAN_CACHE_SIZE) plans.delete(plans.keys().next().value!);
  return made;
}

function hostOf(n: Node, known: (n: Node) => DataBuffer | undefined): TypedArray {
  const buf = known(n) ?? ((n as Node<"data">).params.ref as DataBuffer);
  if (buf.isReleased || !buf.host) throw new DisposedError(`a tensor of shape [${n.aval.shape}] was read after dispose()`);
  return buf.host;
}

function executeCpu(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[] {
  const isBuffer = (n: Node) => n.prim === "data" || known(n) !== undefined;
  const { plan, inputs } = planFor(outputs, isBuffer);
  const arrays = runPlan(plan, inputs.map((n) => hostOf(n, known)));
  return plan.outputs.map((id) => {
    const b = plan.buffers[id]!;
    return new DataBuffer(b.dtype, b.size, arrays[id]!);
  });
}

/**
 * Schedules a whole graph once (jit): `run` binds the graph's inputs and replays the plan with no
 * graph walk, hashing or scheduling per call.
 */
function compileCpu(graph: Graph): CompiledGraph {
  const position = new Map(graph.inputs.map((n, i) => [n, i]));
  const isBuffer = (n: Node) => n.prim === "data" || position.has(n);
  const { plan, inputs } = scheduleGraph(graph.outputs, isBuffer);
  // Each plan input is a graph input (by position) or a constant captured in the graph.
  const sources = inputs.map((n) => position.get(n) ?? ((n as Node<"data">).params.ref as DataBuffer));
  return {
    run(buffers) {
      const arrays = runPlan(plan, sources.map((s, i) => {
        const buf = typeof s === "number" ? buffers[s]! : s;
        if (buf.isReleased || !buf.host) throw new DisposedError(`a tensor of shape [${inputs[i]!.aval.shape}] was read after dispose()`);
        return buf.host;
      }));
      return plan.outputs.map((id) => {
        const b = plan.buffers[id]!;
        return new DataBuffer(b.dtype, b.size, arrays[id]!);
      });
    },
    kernels: planKernels(plan),
    stats: plan.stats,
  };
}

/** The CPU executor: fused kernels compiled to JavaScript, run synchronously. */
export const cpuExecutor: Executor = {
  name: "cpu",
  canSync: true,
  compile: compileCpu,
  executeSync: executeCpu,
  execute: async (outputs, known) => executeCpu(outputs, known),
  read: async (buf) => buf.host!,
  readSync: (buf) => buf.host!,
};

/**
 * Drops cached plans (tests; memory in long-running processes).
 * @example
 * clearPlanCache(); // the next realization schedules its graph again
 */
export function clearPlanCache(): void {
  plans.clear();
}
