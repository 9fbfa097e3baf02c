/**
 * Custom-derivative calls (customVjp, customJvp, checkpoint) under vmap. A call's outputs are
 * barrier nodes whose derivative lives in a side table (custom-call.ts), so batching the barrier
 * as ordinary primitives would silently lose the rule (grad(vmap(f)) would see zero). Instead the
 * call is registered again on the batched graph with batched rules: a rule runs per example on
 * placeholders, and its result is batched with the same driver, as JAX batches custom_vjp's
 * fwd/bwd. The cotangent of an input shared by the whole batch is summed over the batch.
 */
import { type Node, Tensor, npUtil } from "@kiln/core";
import { type CustomCall, type CustomRules, placeholder, registerCustomCall } from "./custom-call.js";
import { type BatchNodes, type BatchedNode, forceBatched } from "./rules/batch.js";

/**
 * Batches `call` (its inputs and the values behind its barriers) with the driver `batchNodes`
 * (vmap-graph.ts, which calls this) and records its batched barriers in `env`, which also serves
 * the rules later (they are batched lazily, when an outer transform differentiates).
 */
export function batchCustomCall(call: CustomCall, env: Map<Node, BatchedNode>, size: number, batchNodes: BatchNodes): void {
  const ins = batchNodes(call.inputs, env, size);
  // A barrier is add(stopGradient(value), uniqueZero): the value is behind the stopGradient.
  const values = batchNodes(call.outputs.map((o) => o.inputs[0]!.inputs[0]!), env, size).map((v) => forceBatched(v, size));
  const inBatched = ins.map((b) => b.batched);
  const batchedRules = (post: (n: Node) => Node): CustomRules => {
    /** Batches the per-example rule outputs `outs` given the batched values of the rule's placeholders. */
    const batchOuts = (outs: readonly (Tensor | null)[], seeds: [Node, BatchedNode][]): (BatchedNode | null)[] => {
      const live = outs.filter((t): t is Tensor => t !== null).map((t) => t.node);
      const res = batchNodes(live, new Map([...env, ...seeds]), size);
      let k = 0;
      return outs.map((t) => (t ? res[k++]! : null));
    };
    return {
      jvp(tangents) {
        const tph = call.inputs.map((i) => placeholder(i.aval, "tangent"));
        const touts = call.rules.jvp(tangents.map((t, i) => t && new Tensor(tph[i]!)));
        const seeds = tangents.flatMap((t, i) => (t ? [[tph[i]!, { node: t.node, batched: inBatched[i]! }] as [Node, BatchedNode]] : []));
        return batchOuts(touts, seeds).map((b) => b && new Tensor(post(forceBatched(b, size))));
      },
      vjp(cts) {
        const cph = call.outputs.map((o) => placeholder(o.aval, "ct"));
        const g = call.rules.vjp(cts.map((c, j) => c && new Tensor(cph[j]!)));
        const seeds = cts.flatMap((c, j) => (c ? [[cph[j]!, { node: c.node, batched: true }] as [Node, BatchedNode]] : []));
        return batchOuts(g, seeds).map((b, i) => {
          if (!b) return null;
          const full = new Tensor(forceBatched(b, size));
          // An input shared by every example collects the cotangents of all of them.
          const ct = inBatched[i] ? full : npUtil.apply("reduceSum", [full], { axes: [0] });
          return new Tensor(post(ct.node));
        });
      },
    };
  };
  const outs = registerCustomCall(call.name, ins.map((b) => b.node), values, batchedRules((n) => n), (rebuild) => batchedRules(rebuild));
  call.outputs.forEach((o, j) => env.set(o, { node: outs[j]!, batched: true }));
}
