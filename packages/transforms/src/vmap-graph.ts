/**
 * The batching driver behind `vmap`: maps a traced graph to its batched graph with the rule
 * table, one pass over `topoSort`'s order (a loop, never recursion: deep graphs are fine).
 *
 * Seeds map the per-example placeholders to their batched values (batch axis first). A node
 * whose operands are all unbatched is rebuilt unchanged over its (possibly substituted) operands
 * — hash-consing shares it with the original — and only nodes that see a batched operand go
 * through a batching rule. A multi-output op (control flow) is batched once per call and its
 * sibling outputs read from that one result. Custom-derivative calls (customVjp, customJvp,
 * checkpoint) are re-registered on the batched graph, their rules batched the same way. Rules
 * that batch sub-graphs (control flow, custom calls) get this driver as a parameter.
 */
import { type Node, type Prim, type PrimParams, Tensor, avalString, controlCallOf, dependsOnPlaceholder, makeNode, topoSort } from "@kiln/core";
import { type BatchedNode, BATCH_RULES, type BatchRule, type CallBatchRule } from "./rules/batch.js";
import { CALL_BATCH_RULES } from "./rules/batch-control.js";
import { batchCustomCall } from "./vmap-custom.js";
import { customCallOf } from "./custom-call.js";

/** The call-level rule of a multi-output primitive (control flow), or null for single-output ones. */
function callBatchRuleOf<P extends Prim>(prim: P): CallBatchRule<P> | null {
  return ((CALL_BATCH_RULES as Partial<Record<Prim, unknown>>)[prim] as CallBatchRule<P> | undefined) ?? null;
}

function checkRuleResult(prim: Prim, out: Tensor, node: Node, size: number): void {
  const want = avalString({ shape: [size, ...node.aval.shape], dtype: node.aval.dtype });
  if (avalString({ shape: out.shape, dtype: out.dtype }) !== want) {
    throw new Error(`internal error: the batching rule of ${prim} produced ${out.dtype}[${out.shape}] for ${want}`);
  }
}

/**
 * The batched value of each of `outputs`, given the batched values of some nodes (`seeds`, the
 * placeholders of the mapped arguments). Nodes that do not depend on a seed are unbatched.
 * @example
 * const [y] = batchNodes([p.exp().node], new Map([[p, { node: xs.node, batched: true }]]), 3);
 * // y.node computes exp(xs), y.batched === true
 */
export function batchNodes(outputs: readonly Node[], seeds: ReadonlyMap<Node, BatchedNode>, size: number): BatchedNode[] {
  const env = new Map<Node, BatchedNode>(seeds);
  // When every seed is a placeholder, a node that depends on none cannot depend on a seed.
  const shortcut = [...seeds.keys()].every(dependsOnPlaceholder);
  const settled = (n: Node) => env.has(n) || (shortcut && !dependsOnPlaceholder(n));
  const calls = new Map<string, BatchedNode[]>();
  for (const node of topoSort(outputs, settled)) {
    if (env.has(node)) continue;
    if (node.inputs.length === 0 || (shortcut && !dependsOnPlaceholder(node))) {
      env.set(node, { node, batched: false });
      continue;
    }
    const ins = node.inputs.map((i) => env.get(i)!);
    const custom = customCallOf(node);
    if (custom && ins.some((b) => b.batched)) {
      batchCustomCall(custom, env, size, batchNodes);
      continue;
    }
    if (!ins.some((b) => b.batched)) {
      const same = ins.every((b, k) => b.node === node.inputs[k]);
      env.set(node, { node: same ? node : makeNode(node.prim, ins.map((b) => b.node), node.params as PrimParams[Prim], node.aval), batched: false });
      continue;
    }
    const tensors = ins.map((b) => new Tensor(b.node));
    const flags = ins.map((b) => b.batched);
    const params = node.params as PrimParams[Prim];
    const callRule = callBatchRuleOf(node.prim);
    if (callRule) {
      // Siblings share the call and the operands: batch the op once.
      const key = `${controlCallOf(node)!.id}(${node.inputs.map((i) => i.id).join(",")})`;
      let outs = calls.get(key);
      if (!outs) calls.set(key, (outs = callRule(tensors, flags, params, size, batchNodes)));
      env.set(node, outs[(params as { index: number }).index]!);
      continue;
    }
    const out = (BATCH_RULES[node.prim] as BatchRule<Prim>)(tensors, flags, params, size);
    checkRuleResult(node.prim, out, node, size);
    env.set(node, { node: out.node, batched: true });
  }
  return outputs.map((o) => env.get(o)!);
}
