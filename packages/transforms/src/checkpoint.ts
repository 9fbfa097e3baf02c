/**
 * Gradient checkpointing (rematerialization), as JAX's `checkpoint`/`remat`.
 *
 * In a lazy graph "store versus recompute" is a question of which nodes the backward graph
 * references. Normally it references the forward nodes, which a scheduler must then keep alive
 * until the backward pass reaches them. A checkpointed call instead derives its backward graph
 * from a separate copy of its interior, rebuilt from unique copies of its inputs (custom-call.ts's
 * `uniqueCopy`, which hash-consing cannot merge with the forward nodes): the forward activations
 * inside the call die as soon as its outputs exist, and the copy is computed when the backward
 * pass needs it. A policy names interior values that may be saved instead: those stay the forward
 * nodes (and so does anything computed from saved values alone — recomputing it would be the very
 * same hash-consed computation). `peakLiveBytes` (memory.ts) measures the effect.
 */
import { npUtil } from "@kiln/core";
import { jsonOf } from "@kiln/core";
import {
  type Aval, type Node, type Prim, Tensor, ValueError, dependsOnPlaceholder, isFloat, sizeOf, substituter, topoSort, tree,
} from "@kiln/core";
import { type CustomRules, followCustomCalls, registerCustomCall, uniqueCopy } from "./custom-call.js";
import { jvpGraph, vjpGraph } from "./derive.js";
import { TraceCache, checkNotAsync, traceCall, type AnyFunction } from "./trace.js";

/** Which interior values the backward pass may take from the forward pass instead of recomputing. */
export type CheckpointPolicy =
  | "nothingSaveable"
  | "dotsSaveable"
  | ((prim: Prim, params: unknown, aval: Aval) => boolean);

export interface CheckpointOptions {
  /** Default `"nothingSaveable"`: everything inside is recomputed from the inputs. */
  policy?: CheckpointPolicy;
}

const POLICIES: Record<"nothingSaveable" | "dotsSaveable", (prim: Prim) => boolean> = {
  nothingSaveable: () => false,
  dotsSaveable: (prim) => prim === "matmul",
};

function resolvePolicy(policy: CheckpointPolicy | undefined): (prim: Prim, params: unknown, aval: Aval) => boolean {
  if (policy === undefined) return POLICIES.nothingSaveable;
  if (typeof policy === "function") return policy;
  if (typeof policy === "string" && policy in POLICIES) return POLICIES[policy as keyof typeof POLICIES];
  throw new ValueError(`checkpoint: unknown policy ${jsonOf(policy)}; use "nothingSaveable", "dotsSaveable" or a predicate (prim, params, aval) => boolean`);
}

/**
 * Which inputs the recomputation copies. Copying an input makes every interior node depending on
 * it a new node; each interior node must depend on at least one copy, and copies cost memory, so
 * each node is covered through its smallest float input (a 20-layer MLP block copies its [64,256]
 * activation, never its [256,256] weights).
 */
function inputsToCopy(interior: readonly Node[], keys: readonly Node[]): Set<Node> {
  const isKey = new Set(keys);
  const bytes = (n: Node) => sizeOf(n.aval.shape);
  const smallest = new Map<Node, Node | null>();
  const copied = new Set<Node>();
  for (const n of topoSort(interior, (x) => isKey.has(x) || !dependsOnPlaceholder(x))) {
    if (isKey.has(n)) {
      smallest.set(n, isFloat(n.aval.dtype) ? n : null);
      continue;
    }
    let best: Node | null = null;
    for (const i of n.inputs) {
      const s = smallest.get(i) ?? null;
      if (s && (!best || bytes(s) < bytes(best))) best = s;
    }
    smallest.set(n, best);
    if (best) copied.add(best);
  }
  return copied;
}

/**
 * Wraps `fn` so that, in reverse mode, the values computed inside it are recomputed in the
 * backward pass instead of being kept from the forward pass. Values and derivatives are unchanged.
 * Closed-over values are differentiated too (they are inputs of the recomputation).
 * @example
 * const block = checkpoint((h: Tensor) => np.tanh(h.matmul(W1)).matmul(W2));
 * grad((x) => block(x).sum())(x); // same gradient, fewer live activations
 */
export function checkpoint<F extends AnyFunction>(fn: F, opts: CheckpointOptions = {}, ...extra: undefined[]): F {
  opts = npUtil.optionsOf("checkpoint", opts, "checkpoint", extra);
  if (typeof fn !== "function") throw new ValueError(`checkpoint: expected a function, got ${typeof fn}`);
  checkNotAsync("checkpoint", fn);
  const saveable = resolvePolicy(opts.policy);
  const op = `checkpoint(${fn.name || "fn"})`;
  const cache = new TraceCache();
  const wrapped = (...args: unknown[]) => {
    const t = traceCall(op, cache, fn, args, { argnums: [], ints: "zero" });
    const [outLeaves, outDef] = tree.flatten(t.result);
    const floatOut = outLeaves.flatMap((l, i) => (l instanceof Tensor && isFloat(l.dtype) ? [i] : []));
    const interior = floatOut.map((i) => (outLeaves[i] as Tensor).node);
    // Inputs of the recomputation: the float arguments, and placeholders of enclosing transforms
    // the function closes over (their derivatives flow through the call too).
    const own = [...t.bindings.keys()];
    const free = topoSort(interior, (n) => !dependsOnPlaceholder(n)).filter((n) => n.prim === "input" && !t.bindings.has(n));
    const keys = [...own, ...free];
    const copied = inputsToCopy(interior, keys);
    const makeRules = (inputs: readonly Node[]): CustomRules => {
      const forward = substituter(new Map(keys.map((k, i) => [k, inputs[i]!] as const)), followCustomCalls);
      return {
        jvp: (tangents) => {
          const seeds = new Map(keys.flatMap((k, i) => (tangents[i] ? [[k, tangents[i]!] as const] : [])));
          return jvpGraph(interior.map((n) => new Tensor(n)), seeds).map((x) => (x ? new Tensor(forward(x.node)) : null));
        },
        vjp: (cts) => {
          const live = cts.flatMap((c, k) => (c ? [k] : []));
          const g = vjpGraph(live.map((k) => new Tensor(interior[k]!)), live.map((k) => cts[k]!), keys);
          // The recomputation: copied inputs -> unique copies, others -> themselves; saveable
          // interior values -> the forward nodes.
          const copy = new Map<Node, Node>(keys.map((k, i) => [k, copied.has(k) ? uniqueCopy(inputs[i]!) : inputs[i]!] as const));
          for (const n of topoSort(interior, (x) => !dependsOnPlaceholder(x))) {
            if (n.inputs.length && dependsOnPlaceholder(n) && saveable(n.prim, n.params, n.aval)) copy.set(n, forward(n));
          }
          const recompute = substituter(copy, followCustomCalls);
          return g.map((x) => (x ? new Tensor(recompute(x.node)) : null));
        },
      };
    };
    const inputs = keys.map((k) => t.bindings.get(k) ?? k);
    const values = interior.map((n) => t.restore(new Tensor(n)).node);
    const barriers = registerCustomCall(op, inputs, values, makeRules(inputs), (_rebuild, ins) => makeRules(ins));
    const leaves = outLeaves.map((l) => t.restore(l));
    floatOut.forEach((i, k) => (leaves[i] = new Tensor(barriers[k]!, (outLeaves[i] as Tensor).weak)));
    t.commitWrites();
    return tree.unflatten(outDef, leaves);
  };
  return wrapped as F;
}

/** Alias of `checkpoint` (JAX's `remat`). @example const f = remat((x: Tensor) => x.sin().sin()); */
export const remat = checkpoint;
