/**
 * Custom-derivative calls: the graph-level mechanism behind customVjp, customJvp and checkpoint.
 *
 * There is no "custom" primitive: a call's outputs are ordinary nodes behind a barrier,
 * `add(stopGradient(value), uniqueZero)`. The stopGradient hides the call's interior from the
 * rule tables (their derivative through the barrier is zero); the unique zero — a `data` leaf of
 * its own — keeps hash-consing from merging the barrier with any other node, so a side table
 * keyed by node can attach the call's own rules to it. `vjpGraph`/`jvpGraph` consult that table.
 *
 * A barrier is only created when the call's inputs are symbolic (depend on a trace placeholder):
 * otherwise no transform can differentiate through it and the call is a plain function call.
 */
import {
  type Node, type RebuildHook, Tensor, allocTyped, dependsOnPlaceholder, hostDataNode, makeNode, npUtil,
} from "@kiln/core";

const { apply, broadcastRaw } = npUtil;

/** The derivative rules of one call, in terms of its differentiable inputs and its outputs. */
export interface CustomRules {
  /** Reverse mode: a cotangent per output (null = zero) -> a cotangent per input (null = zero). */
  vjp(cts: readonly (Tensor | null)[]): (Tensor | null)[];
  /** Forward mode: a tangent per input (null = zero) -> a tangent per output (null = zero). */
  jvp(tangents: readonly (Tensor | null)[]): (Tensor | null)[];
}

/** A registered call: its differentiable inputs, its barrier outputs and its rules. */
export interface CustomCall {
  /** For error messages: `customVjp(clip)`, `checkpoint(block)`. */
  readonly name: string;
  readonly inputs: readonly Node[];
  /** Barrier nodes, one per float output leaf. */
  readonly outputs: readonly Node[];
  readonly rules: CustomRules;
  /**
   * The same call after a graph substitution (`rebuild` maps old nodes to new ones): rules built
   * from closures over old nodes must answer in terms of the new ones.
   */
  rebuilt(rebuild: (n: Node) => Node): CustomRules;
}

const calls = new WeakMap<Node, CustomCall>();

/** The custom call a barrier node belongs to, if any. */
export function customCallOf(node: Node): CustomCall | undefined {
  return calls.get(node);
}

/** A fresh scalar zero leaf that no other node shares (the uniqueness of the barrier). */
function uniqueZero(like: Node): Tensor {
  const dtype = like.aval.dtype;
  const zero = hostDataNode(allocTyped(dtype, 1), { shape: [], dtype }); // zero bits are 0 in every dtype
  return broadcastRaw(new Tensor(zero), like.aval.shape);
}

/**
 * `x + 0` with a zero leaf of its own: equal in value and derivative to `x`, but a node no other
 * computation shares — the "separate copy" checkpoint recomputes from.
 */
export function uniqueCopy(x: Node): Node {
  return apply("add", [new Tensor(x), uniqueZero(x)], {}).node;
}

/**
 * Puts `values` (the call's float outputs) behind barriers and registers the call. Returns the
 * barrier nodes; returns `values` unchanged when no input is symbolic.
 */
export function registerCustomCall(
  name: string,
  inputs: readonly Node[],
  values: readonly Node[],
  rules: CustomRules,
  rebuildRules: (rebuild: (n: Node) => Node, inputs: readonly Node[]) => CustomRules,
): Node[] {
  if (!inputs.some(dependsOnPlaceholder)) return [...values];
  const outputs = values.map((v) => {
    const hidden = apply("stopGradient", [new Tensor(v)], {});
    return apply("add", [hidden, uniqueZero(v)], {}).node;
  });
  const call: CustomCall = {
    name,
    inputs,
    outputs,
    rules,
    rebuilt: (rebuild) => rebuildRules(rebuild, inputs.map(rebuild)),
  };
  for (const o of outputs) calls.set(o, call);
  return outputs;
}

/**
 * The RebuildHook every transform substitutes with: when a substitution rebuilds a barrier
 * node, the call is re-registered on the rebuilt barriers with rules over the rebuilt inputs, so
 * an outer transform still sees the custom rule (grad of grad through customVjp).
 */
export const followCustomCalls: RebuildHook = (old, rebuilt, rebuild) => {
  const call = calls.get(old);
  if (!call || calls.has(rebuilt)) return;
  const outputs = call.outputs.map(rebuild);
  const inputs = call.inputs.map(rebuild);
  const next: CustomCall = {
    name: call.name,
    inputs,
    outputs,
    rules: call.rebuilt(rebuild),
    rebuilt: (r2) => call.rebuilt((n) => r2(rebuild(n))),
  };
  for (const o of outputs) calls.set(o, next);
};

/**
 * The custom calls `outputs` depend on, outside any call's interior, ordered so that every call
 * comes after the calls its inputs depend on. With `wrt`, only the calls whose inputs depend on a
 * `wrt` node (the ones a reverse pass must go through). Iterative: deep graphs are fine.
 */
export function findCustomCalls(outputs: readonly Node[], wrt?: readonly Node[]): CustomCall[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  // Post-order walk where a barrier's "inputs" are its call's inputs (its interior is skipped).
  const upstream = (n: Node): readonly Node[] => calls.get(n)?.inputs ?? n.inputs;
  const stack: [Node, number][] = [];
  for (const root of outputs) {
    if (seen.has(root) || !dependsOnPlaceholder(root)) continue;
    seen.add(root);
    stack.push([root, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const ins = upstream(top[0]);
      if (top[1] < ins.length) {
        const next = ins[top[1]++]!;
        if (!seen.has(next) && dependsOnPlaceholder(next)) {
          seen.add(next);
          stack.push([next, 0]);
        }
        continue;
      }
      stack.pop();
      order.push(top[0]);
    }
  }
  const wanted = wrt && new Set(wrt);
  const reaches = new Set<Node>();
  const found: CustomCall[] = [];
  const done = new Set<CustomCall>();
  for (const n of order) {
    const r = !wanted || wanted.has(n) || upstream(n).some((i) => reaches.has(i));
    if (r) reaches.add(n);
    const call = calls.get(n);
    if (call && r && !done.has(call)) {
      done.add(call);
      found.push(call);
    }
  }
  return found;
}

let nextLabel = 1;

/** A fresh placeholder (`input` leaf) for an abstract value: argument, tangent and cotangent stand-ins. */
export function placeholder(like: { shape: readonly number[]; dtype: Node["aval"]["dtype"] }, what: string): Node {
  return makeNode("input", [], { label: `${what}${nextLabel++}` }, { shape: [...like.shape], dtype: like.dtype });
}
