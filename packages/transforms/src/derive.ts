/**
 * Graph-level differentiation drivers: forward (jvp) and reverse (vjp) passes over the nodes
 * between some seed nodes and the outputs, using the rule tables (jvpNodes, vjpNodes), and the
 * same with custom-derivative calls applied on the way (jvpGraph, vjpGraph). Everything above
 * (vjp, jvp, linearize, grad, jacobians, hessian) is built on jvpGraph and vjpGraph.
 *
 * Both passes are loops over `topoSort`'s order (never recursion), so a 10,000-op chain is fine.
 * Tangents and cotangents are `null` for symbolic zeros and only ever exist for float nodes:
 * int/bool values (indices, masks, comparisons) carry no derivative.
 *
 * A multi-output op (control flow: sibling nodes sharing one call) is differentiated once, by its
 * call-level rule: forward mode at its first sibling, reverse mode once every sibling's consumers
 * have sent their cotangents.
 */
import {
  DTypeError, type Node, type Prim, type PrimParams, ShapeError, Tensor, ValueError, avalString, controlCallOf, isFloat,
  npUtil, topoSort,
} from "@kiln/core";
import { type CustomCall, customCallOf, findCustomCalls } from "./custom-call.js";
import { CALL_JVP_RULES, CALL_VJP_RULES } from "./rules/control.js";
import { jvpRuleOf } from "./rules/jvp.js";
import { blocksCotangent } from "./rules/partials.js";
import type { CallJvpRule, CallVjpRule, GraphDerivatives } from "./rules/types.js";
import { vjpRuleOf } from "./rules/vjp.js";

/** The call-level rule of a multi-output primitive (control flow), or null for single-output ones. */
function callJvpRuleOf<P extends Prim>(prim: P): CallJvpRule<P> | null {
  return ((CALL_JVP_RULES as Partial<Record<Prim, unknown>>)[prim] as CallJvpRule<P> | undefined) ?? null;
}

function callVjpRuleOf<P extends Prim>(prim: P): CallVjpRule<P> | null {
  return ((CALL_VJP_RULES as Partial<Record<Prim, unknown>>)[prim] as CallVjpRule<P> | undefined) ?? null;
}

/** One Tensor handle per node for the duration of a pass (rules receive primals as Tensors). */
function tensorCache(): (n: Node) => Tensor {
  const cache = new Map<Node, Tensor>();
  return (n) => {
    let t = cache.get(n);
    if (!t) cache.set(n, (t = new Tensor(n)));
    return t;
  };
}

/** A user-supplied tangent/cotangent must look exactly like the node it stands for. */
function checkLike(what: string, t: Tensor, node: Node): void {
  const want = avalString(node.aval);
  if (t.shape.length !== node.aval.shape.length || t.shape.some((d, i) => d !== node.aval.shape[i])) {
    throw new ShapeError(`${what} has shape [${t.shape}] but the value it belongs to has shape [${node.aval.shape}] (${want})`);
  }
  if (t.dtype !== node.aval.dtype) {
    throw new DTypeError(`${what} has dtype ${t.dtype} but the value it belongs to is ${want}; cast it with astype`);
  }
}

/** A rule's result must match its node: a mismatch is a bug in the rule table, reported as such. */
function assertRuleResult(mode: "jvp" | "vjp", op: string, t: Tensor, node: Node): void {
  if (avalString(node.aval) !== avalString({ shape: t.shape, dtype: t.dtype })) {
    throw new Error(`internal error: the ${mode} rule of ${op} produced ${t.dtype}[${t.shape}] for ${avalString(node.aval)}`);
  }
}

/**
 * The sibling outputs of each multi-output op among `order` (same call, same inputs), each node
 * mapped to its group in topological order.
 */
function siblingGroups(order: readonly Node[]): Map<Node, Node[]> {
  const byCall = new Map<string, Node[]>();
  const groups = new Map<Node, Node[]>();
  for (const n of order) {
    const call = controlCallOf(n);
    if (!call) continue;
    const key = `${call.id}(${n.inputs.map((i) => i.id).join(",")})`;
    let group = byCall.get(key);
    if (!group) byCall.set(key, (group = []));
    group.push(n);
    groups.set(n, group);
  }
  return groups;
}

const outputIndex = (n: Node): number => (n.params as { index: number }).index;

/**
 * Forward pass: the tangent of each output given tangents for some nodes (`seeds`, usually the
 * placeholders of the differentiated arguments). Nodes not reachable from a seed have zero
 * (null) tangent; the result is null for an output whose tangent is zero.
 *
 * A seeded node is treated as an independent variable: its own inputs are not differentiated.
 * Seeds on int/bool nodes are ignored (their tangent space is trivial).
 * @example
 * const x = np.array([1, 2], { dtype: "float64" });
 * const [t] = jvpNodes([np.sin(x)], new Map([[x.node, np.array([1, 0], { dtype: "float64" })]]));
 * // t = cos(x) * [1, 0]
 */
export function jvpNodes(outputs: readonly Tensor[], seeds: ReadonlyMap<Node, Tensor>): (Tensor | null)[] {
  for (const [node, t] of seeds) checkLike("jvp: a tangent", t, node);
  const tangents = new Map<Node, Tensor>();
  const wrap = tensorCache();
  const order = topoSort(outputs.map((o) => o.node), (n) => seeds.has(n));
  const groups = siblingGroups(order);
  const done = new Set<Node>();
  for (const node of order) {
    if (!isFloat(node.aval.dtype)) continue;
    const seed = seeds.get(node);
    if (seed) {
      tangents.set(node, seed);
      continue;
    }
    if (node.inputs.length === 0 || done.has(node)) continue;
    const ts = node.inputs.map((i) => tangents.get(i) ?? null);
    if (ts.every((t) => t === null)) continue;
    const callRule = callJvpRuleOf(node.prim);
    if (callRule) {
      const touts = callRule(node.inputs.map(wrap), ts, node.params as PrimParams[Prim], GRAPH_DERIVATIVES);
      for (const s of groups.get(node)!) {
        done.add(s);
        const t = touts[outputIndex(s)];
        if (!t || seeds.has(s)) continue;
        assertRuleResult("jvp", s.prim, t, s);
        tangents.set(s, t);
      }
      continue;
    }
    const rule = jvpRuleOf(node.prim);
    if (!rule) throw new Error(`internal error: ${node.prim} has inputs but no jvp rule`);
    const t = rule(node.inputs.map(wrap), ts, node.params as PrimParams[Prim], wrap(node));
    if (t) {
      assertRuleResult("jvp", node.prim, t, node);
      tangents.set(node, t);
    }
  }
  return outputs.map((o) => tangents.get(o.node) ?? null);
}

/**
 * Reverse pass: the cotangent of each node in `wrt` given a cotangent for each output (null =
 * zero). A `wrt` node the outputs do not depend on gets null.
 *
 * Only nodes that can reach a `wrt` node are visited; cotangents arriving at a node from several
 * consumers are summed. A `wrt` node that is not a leaf gets its total cotangent (the derivative
 * with respect to the value it holds), and propagation continues through it to any `wrt` node below.
 * @example
 * const x = np.array([1, 2], { dtype: "float64" });
 * const [g] = vjpNodes([np.sin(x)], [np.array([1, 1], { dtype: "float64" })], [x.node]);
 * // g = cos(x)
 */
export function vjpNodes(outputs: readonly Tensor[], cts: readonly (Tensor | null)[], wrt: readonly Node[]): (Tensor | null)[] {
  return reverseSweep(outputs, cts, wrt, () => undefined);
}

/**
 * The reverse pass behind vjpNodes and vjpGraph: one sweep over the nodes in reverse topological
 * order. With `callOf`, a custom call's barrier nodes depend on the call's inputs (its interior
 * is never visited) and the call's rule runs once, at its first output in topological order —
 * by then every consumer of every output has sent its cotangent — sending cotangents to the
 * call's inputs. One sweep keeps BPTT through a JS loop of custom calls (spikes, checkpoints)
 * linear in the loop's length: a pass per call down to the earlier calls would be quadratic.
 */
function reverseSweep(
  outputs: readonly Tensor[], cts: readonly (Tensor | null)[], wrt: readonly Node[], callOf: (n: Node) => CustomCall | undefined,
): (Tensor | null)[] {
  if (cts.length !== outputs.length) {
    throw new ValueError(`vjp: got ${cts.length} cotangent(s) for ${outputs.length} output(s); pass one per output (null for zero)`);
  }
  cts.forEach((c, i) => c && checkLike(`vjp: the cotangent of output ${i}`, c, outputs[i]!.node));
  const wanted = new Set(wrt);
  const upstream = (n: Node): readonly Node[] => callOf(n)?.inputs ?? n.inputs;
  const order = topoSort(outputs.map((o) => o.node), undefined, upstream);

  // Reachability first: a node matters only if a wanted node lies below it through float values
  // and through ops that pass a cotangent (not through stopGradient, floor, comparisons, ...).
  // A barrier passes its cotangent to its call's inputs (through the call's rule).
  const reaches = new Set<Node>();
  for (const n of order) {
    const passes = callOf(n) !== undefined || !blocksCotangent(n.prim);
    if (isFloat(n.aval.dtype) && (wanted.has(n) || (passes && upstream(n).some((i) => reaches.has(i))))) reaches.add(n);
  }

  const pending = new Map<Node, Tensor[]>();
  const send = (n: Node, t: Tensor): void => {
    const list = pending.get(n);
    if (list) list.push(t);
    else pending.set(n, [t]);
  };
  outputs.forEach((o, i) => {
    const c = cts[i];
    if (c && reaches.has(o.node)) send(o.node, c);
  });

  const result = new Map<Node, Tensor>();
  const wrap = tensorCache();
  /** The summed cotangent that reached `node` (recorded when wanted), or null. */
  const collect = (node: Node): Tensor | null => {
    const parts = pending.get(node);
    if (!parts) return null;
    pending.delete(node);
    const ct = parts.reduce((a, b) => npUtil.apply("add", [a, b], {}));
    if (wanted.has(node)) result.set(node, ct);
    return ct;
  };
  const sendTo = (who: string, targets: readonly Node[], inCts: readonly (Tensor | null)[]): void => {
    targets.forEach((input, i) => {
      const c = inCts[i];
      if (!c || !reaches.has(input)) return;
      assertRuleResult("vjp", who, c, input);
      send(input, c);
    });
  };
  const groups = siblingGroups(order);
  // Each call's first output in topological order: where its rule runs.
  const firstOutput = new Map<CustomCall, Node>();
  for (const n of order) {
    const call = callOf(n);
    if (call && !firstOutput.has(call)) firstOutput.set(call, n);
  }
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    const call = callOf(node);
    if (call) {
      if (firstOutput.get(call) !== node) continue;
      const outCts = call.outputs.map(collect);
      if (outCts.every((c) => c === null)) continue;
      const inCts = call.rules.vjp(outCts).map((c, i) => (c && isFloat(call.inputs[i]!.aval.dtype) ? c : null));
      sendTo(call.name, call.inputs, inCts);
      continue;
    }
    const group = groups.get(node);
    if (group) {
      // Every consumer of every sibling comes after the first sibling: differentiate the op there.
      if (node !== group[0]) continue;
      const cts: (Tensor | null)[] = controlCallOf(node)!.outAvals.map(() => null);
      for (const s of group) cts[outputIndex(s)] = collect(s);
      if (cts.every((c) => c === null)) continue;
      sendTo(node.prim, node.inputs, callVjpRuleOf(node.prim)!(cts, node.inputs.map(wrap), node.params as PrimParams[Prim], GRAPH_DERIVATIVES));
      continue;
    }
    const ct = collect(node);
    if (!ct || node.inputs.length === 0) continue;
    const rule = vjpRuleOf(node.prim);
    if (!rule) throw new Error(`internal error: ${node.prim} has inputs but no vjp rule`);
    sendTo(node.prim, node.inputs, rule(ct, node.inputs.map(wrap), node.params as PrimParams[Prim], wrap(node)));
  }
  return wrt.map((n) => result.get(n) ?? null);
}

// ---------------------------------------------------------------------------------------------
// With custom-derivative calls: the drivers every transform uses (and control-flow rules get passed).

/**
 * The tangent of each output given tangents for some nodes, like `jvpNodes`, but applying the
 * forward rule of every custom call on the way: calls are visited in dependency order, each one's
 * input tangents computed by the driver and its output tangents seeded for what follows.
 * @example const [t] = jvpGraph([y], new Map([[x.node, np.ones([3])]]));
 */
export function jvpGraph(outputs: readonly Tensor[], seeds: ReadonlyMap<Node, Tensor>): (Tensor | null)[] {
  const calls = findCustomCalls(outputs.map((o) => o.node));
  if (!calls.length) return jvpNodes(outputs, seeds);
  const all = new Map(seeds);
  for (const call of calls) {
    const tin = jvpNodes(call.inputs.map((n) => new Tensor(n)), all);
    if (tin.every((t) => t === null)) continue;
    const tout = call.rules.jvp(tin);
    call.outputs.forEach((o, i) => {
      const t = tout[i];
      if (t) all.set(o, t);
    });
  }
  return jvpNodes(outputs, all);
}

/**
 * The cotangent of each `wrt` node given a cotangent per output (null = zero), like `vjpNodes`,
 * but applying the reverse rule of every custom call (customVjp, customJvp, checkpoint) on the
 * way, in the same single sweep: a call's rule runs once all its outputs' cotangents are in.
 * @example const [g] = vjpGraph([y], [onesLike(y.node)], [x.node]);
 */
export function vjpGraph(outputs: readonly Tensor[], cts: readonly (Tensor | null)[], wrt: readonly Node[]): (Tensor | null)[] {
  return reverseSweep(outputs, cts, wrt, customCallOf);
}

/** Handed to call-level rules, which differentiate sub-graphs with the full drivers. */
const GRAPH_DERIVATIVES: GraphDerivatives = { jvpGraph, vjpGraph };
