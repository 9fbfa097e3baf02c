/**
 * Batching control flow, one call-level rule per primitive (JAX's semantics): the batched op is a
 * new control op over batched sub-graphs (batched with the same driver, which the driver passes in
 * — vmap-graph.ts's batchNodes calls these rules, so they cannot import it — so nested control
 * flow, nested vmap and custom rules inside a body work).
 *
 * - cond, unbatched predicate: one cond over the batched branches. Batched predicate: every
 *   branch runs on the whole batch and `select` picks each example's result.
 * - while: carries touched by a batched value become batched (grown to a fixed point). A batched
 *   predicate runs the loop while any example continues; an example that has stopped keeps its
 *   carry (`select` inside the body), so the batch needs as many iterations as its longest member.
 * - scan: as while for the carries; a batched xs has its batch axis moved behind the scan axis,
 *   and a batched y comes back as `[B, length, ...]`.
 */
import { type Aval, type ControlPrim, type Graph, type Node, Tensor, npUtil } from "@kiln/core";
import { type Operand, buildCond, buildScan, buildWhile } from "../control-build.js";
import { placeholder } from "../custom-call.js";
import type { BatchNodes, BatchedNode, CallBatchRule } from "./batch.js";
import { forceBatched, lift, moveAxis } from "./batch.js";

const { apply, fullRaw } = npUtil;
const T = (n: Node): Tensor => new Tensor(n);

/** Fresh sub-graph placeholders: the per-example aval, with the batch axis where `batched`. */
function freshPlaceholders(avals: readonly Aval[], batched: readonly boolean[], size: number): Node[] {
  return avals.map((a, i) => placeholder(batched[i] ? { shape: [size, ...a.shape], dtype: a.dtype } : a, "batched"));
}

/** `graph`'s outputs batched, its inputs standing for `values`. */
function batchGraph(batchNodes: BatchNodes, graph: Graph, values: readonly BatchedNode[], size: number): BatchedNode[] {
  return batchNodes(graph.outputs, new Map(graph.inputs.map((p, i) => [p, values[i]!])), size);
}

const seeded = (phs: readonly Node[], batched: readonly boolean[]): BatchedNode[] => phs.map((node, i) => ({ node, batched: batched[i]! }));

/** Operands binding `phs` to the op's operand values (lifted where the placeholder is batched but the value is not). */
function operands(phs: readonly Node[], ins: readonly Tensor[], inBatched: readonly boolean[], batched: readonly boolean[], size: number): Operand[] {
  return phs.map((ph, i) => ({ ph, value: batched[i] && !inBatched[i] ? lift(ins[i]!, false, size).node : ins[i]!.node }));
}

/** A bool mask of `[B]` broadcast against a batched value of `aval` (per-example). */
function maskFor(mask: Tensor, aval: Aval, size: number): Tensor {
  return apply("broadcast", [mask], { shape: [size, ...aval.shape], dims: [0] });
}

/** True where an example's predicate takes the true branch (bool, or a nonzero int32). */
function truth(pred: Tensor): Tensor {
  return pred.dtype === "bool" ? pred : apply("ne", [pred, fullRaw(pred.shape, 0, pred.dtype)], {});
}

/**
 * Loop carries batched to a fixed point: a carry is batched when its initial value is, or when
 * the body makes it so from batched inputs. Returns the flags and the body batched with them.
 */
function loopCarries(batchNodes: BatchNodes, body: Graph, numCarry: number, inBatched: readonly boolean[], size: number, all = false) {
  let flags = inBatched.map((b, i) => b || (all && i < numCarry));
  for (;;) {
    const phs = freshPlaceholders(body.inputs.map((p) => p.aval), flags, size);
    const outs = batchGraph(batchNodes, body, seeded(phs, flags), size);
    const grown = outs.slice(0, numCarry).some((o, k) => o.batched && !flags[k]);
    if (!grown) return { flags, phs, outs };
    flags = flags.map((b, k) => b || (k < numCarry && outs[k]!.batched));
  }
}

const condBatch: CallBatchRule<"cond"> = ([pred, ...ops], [predBatched, ...opsBatched], { call }, size, batchNodes) => {
  if (predBatched) {
    const values = ops.map((o, i) => ({ node: o.node, batched: opsBatched[i]! }));
    const outs = call.branches.map((g) => batchGraph(batchNodes, g, values, size));
    const take = truth(pred!);
    return call.outAvals.map((a, k) => {
      const [f, t] = [outs[0]![k]!, (outs[1] ?? outs[0]!)[k]!].map((o) => T(forceBatched(o, size)));
      return { node: apply("select", [maskFor(take, a, size), t!, f!], {}).node, batched: true };
    });
  }
  const phs = freshPlaceholders(call.inAvals.slice(1), opsBatched, size);
  const outs = call.branches.map((g) => batchGraph(batchNodes, g, seeded(phs, opsBatched), size));
  const outBatched = call.outAvals.map((_, k) => outs.some((o) => o[k]!.batched));
  const branches = outs.map((o) => o.map((v, k) => (outBatched[k] ? forceBatched(v, size) : v.node)));
  const nodes = buildCond(pred!.node, operands(phs, ops, opsBatched, opsBatched, size), branches);
  return nodes.map((node, k) => ({ node, batched: outBatched[k]! }));
};

const whileBatch: CallBatchRule<"while"> = (ins, inBatched, { call }, size, batchNodes) => {
  const nC = call.numCarry;
  let loop = loopCarries(batchNodes, call.body, nC, inBatched, size);
  let pred = batchGraph(batchNodes, call.cond, seeded(loop.phs, loop.flags), size)[0]!;
  if (pred.batched && loop.flags.slice(0, nC).some((b) => !b)) {
    // Examples stop at different times: every carry must be able to hold per-example values.
    loop = loopCarries(batchNodes, call.body, nC, inBatched, size, true);
    pred = batchGraph(batchNodes, call.cond, seeded(loop.phs, loop.flags), size)[0]!;
  }
  const { flags, phs, outs } = loop;
  let condOut = pred.node;
  let bodyOuts = outs.map((o, k) => (flags[k] ? forceBatched(o, size) : o.node));
  if (pred.batched) {
    // Continue while any example does (a count > 0, which is false for an empty batch).
    const count = apply("reduceSum", [apply("cast", [T(pred.node)], { dtype: "int32" })], { axes: [0] });
    condOut = apply("gt", [count, fullRaw([], 0, "int32")], {}).node;
    const keep = (k: number) => maskFor(T(pred.node), call.body.inputs[k]!.aval, size);
    bodyOuts = bodyOuts.map((o, k) => (k < nC ? apply("select", [keep(k), T(o), T(phs[k]!)], {}).node : o));
  }
  const ops = operands(phs, ins, inBatched, flags, size);
  const nodes = buildWhile(ops.slice(0, nC), ops.slice(nC), condOut, bodyOuts);
  return nodes.map((node, k) => ({ node, batched: flags[k]! }));
};

const scanBatch: CallBatchRule<"scan"> = (ins, inBatched, { call }, size, batchNodes) => {
  const { numCarry: nC, numConsts: nK, length, reverse } = call;
  const head = nC + nK;
  const { flags, phs, outs } = loopCarries(batchNodes, call.body, nC, inBatched, size);
  const bodyOuts = outs.map((o, k) => (k < nC && flags[k] ? forceBatched(o, size) : o.node));
  // A batched xs is [B, length, ...]: the scan runs over axis 0, so the batch axis goes second.
  const values = ins.map((x, i) => (i >= head && inBatched[i] ? moveAxis(x, 0, 1) : x));
  const ops = operands(phs, values, inBatched, flags, size);
  const nodes = buildScan(ops.slice(0, nC), ops.slice(nC, head), ops.slice(head), bodyOuts, length, reverse);
  return nodes.map((node, k) => {
    if (k < nC) return { node, batched: flags[k]! };
    const batched = outs[k]!.batched;
    return { node: batched ? moveAxis(T(node), 1, 0).node : node, batched };
  });
};

/** The call-level batching rules (vmap-graph.ts looks them up by primitive). */
export const CALL_BATCH_RULES: { [P in ControlPrim]: CallBatchRule<P> } = { cond: condBatch, while: whileBatch, scan: scanBatch };
