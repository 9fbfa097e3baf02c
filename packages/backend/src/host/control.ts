/**
 * Control flow on the host. `cond`, `while` and `scan` nodes are library steps: each
 * sub-graph is scheduled once into a plan (cached per graph, so a loop body is lowered and its
 * kernels compiled once) and the host's `runPlan` (handed in: host/run.ts) runs it per branch or iteration, driven by `evalControl` —
 * the loop runs inside the executable plan with the interpreter's exact semantics.
 *
 * A k-output op is k sibling library steps (steps have one output). The first step computes every
 * output; its siblings reuse the result when their operands hold the same contents (compared, not
 * just by array identity: a plan reuses memory slots, so an array can hold another value later).
 * What it keeps for them are copies: an evaluation can return the operand arrays themselves (a
 * loop that runs zero times, a branch returning an operand), and a sibling may read its result in
 * a later run of the plan, after the caller's slots were reused.
 */
import { type ControlCall, type ControlRuntime, type DataBuffer, DisposedError, type Graph, type Node, type TypedArray, evalControl, sizeOf } from "@kiln/core";
import { type LibrarySpec, type Plan, scheduleGraph } from "../schedule.js";
import { allocTypedArray } from "../storage.js";

interface SubPlan {
  readonly plan: Plan;
  /**
   * Per plan input: the position of the graph input it is, or a realized leaf's buffer — its host
   * array is looked up per run: a resident value can move to JS memory (DataBuffer.uncount), or be
   * disposed, after the sub-plan was made.
   */
  readonly feeds: readonly (number | DataBuffer)[];
}

const subPlans = new WeakMap<Graph, SubPlan>();

function hostOf(buf: DataBuffer): TypedArray {
  if (buf.isReleased || !buf.host) throw new DisposedError(`a tensor of ${buf.dtype}[${buf.size}] used inside a control-flow op was disposed`);
  return buf.host;
}

function subPlanOf(graph: Graph): SubPlan {
  let sp = subPlans.get(graph);
  if (!sp) {
    const position = new Map(graph.inputs.map((n, i) => [n, i]));
    const { plan, inputs } = scheduleGraph(graph.outputs, (n) => position.has(n) || n.prim === "data");
    sp = { plan, feeds: inputs.map((n) => position.get(n) ?? ((n as Node<"data">).params.ref as DataBuffer)) };
    subPlans.set(graph, sp);
  }
  return sp;
}

/** Runs a plan on host arrays: the host's `runPlan`. */
export type RunPlan = (plan: Plan, inputs: readonly TypedArray[]) => TypedArray[];

function hostRuntime(runPlan: RunPlan): ControlRuntime<TypedArray> {
  return {
    run: (graph, inputs) => {
      const { plan, feeds } = subPlanOf(graph);
      const arrays = runPlan(plan, feeds.map((f) => (typeof f === "number" ? inputs[f]! : hostOf(f))));
      return plan.outputs.map((id) => arrays[id]!);
    },
    row: (x, i, n) => x.subarray(i * n, (i + 1) * n),
    stack: (rows, aval) => {
      const out = allocTypedArray(aval.dtype, sizeOf(aval.shape));
      let offset = 0;
      for (const r of rows) (out.set(r, offset), (offset += r.length));
      return out;
    },
    scalar: (x) => x[0]!,
  };
}

function sameContents(a: readonly TypedArray[], b: readonly TypedArray[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!, y = b[k]!;
    if (x.length !== y.length) return false;
    // Object.is: NaN matches NaN, and -0 differs from 0 (it can change a result).
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  }
  return true;
}

/** The last evaluation of each multi-output call, until every sibling has read it. */
const lastRun = new WeakMap<ControlCall, { inputs: TypedArray[]; outputs: TypedArray[]; served: Set<number> }>();

/**
 * The library kernels of the control primitives, running their sub-plans with `runPlan`: each
 * writes output `index` of the call in `spec.params`.
 * @example
 * const { scan } = controlStep(host.runPlan);
 * scan(spec, [init, xs], out); // out = the scan's output spec.params.index
 */
export function controlStep(runPlan: RunPlan): Record<"cond" | "while" | "scan", (spec: LibrarySpec, ins: readonly TypedArray[], out: TypedArray) => void> {
  const runtime = hostRuntime(runPlan);
  const run = (spec: LibrarySpec, ins: readonly TypedArray[], out: TypedArray): void => {
    const { call, index } = spec.params as { call: ControlCall; index: number };
    if (call.outAvals.length === 1) {
      out.set(evalControl(call, ins, runtime)[0]!);
      return;
    }
    let last = lastRun.get(call);
    if (!last || !sameContents(last.inputs, ins)) {
      const outputs = evalControl(call, ins, runtime).map((x) => x.slice());
      last = { inputs: ins.map((x) => x.slice()), outputs, served: new Set() };
      lastRun.set(call, last);
    }
    last.served.add(index);
    out.set(last.outputs[index]!);
    if (last.served.size === call.outAvals.length) lastRun.delete(call);
  };
  return { cond: run, while: run, scan: run };
}
