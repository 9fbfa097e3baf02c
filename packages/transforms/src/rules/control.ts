/**
 * Derivatives of control flow, one call-level rule per primitive: the derivative of a control op
 * is a new control op over sub-graphs derived from its own (with the graph-level drivers the
 * caller passes in — derive.ts's jvpGraph/vjpGraph, so custom rules and nested control flow inside
 * a body are honoured; passed, not imported, because those drivers call these rules).
 *
 * - cond: each branch's jvp (or vjp) becomes a branch of a new cond on the same predicate.
 * - while: forward mode carries (primal, tangent) pairs, the tangent set grown to a fixed point;
 *   reverse mode is an error, as in JAX: the trip count is only known at run time.
 * - scan: forward mode as while. Reverse mode: the body's vjp is split where it stops depending
 *   on the cotangents; the values below that line are residuals — per-iteration ones are extra
 *   stacked outputs of a forward scan, loop-invariant ones are computed once outside — and a
 *   reverse scan runs the rest, carrying the carry's cotangent and the consts' accumulated ones.
 */
import {
  type Aval, type ControlPrim, type Graph, type Node, Tensor, ValueError, isFloat, npUtil, substituter, topoSort,
} from "@kiln/core";
import { followCustomCalls, placeholder } from "../custom-call.js";
import { type Operand, buildCond, buildScan, buildWhile, isConstantExpr } from "../control-build.js";
import type { CallJvpRule, CallVjpRule, GraphDerivatives } from "./types.js";

const T = (n: Node): Tensor => new Tensor(n);
const zeros = (a: Aval): Node => npUtil.fullRaw(a.shape, 0, a.dtype).node;
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const bindAll = (placeholders: readonly Node[], vals: readonly Node[]): Operand[] => placeholders.map((ph, i) => ({ ph, value: vals[i]! }));

/** `graph`'s outputs over `to` instead of its own input placeholders (identity when they are the same). */
function outputsOver(graph: Graph, to: readonly Node[]): Node[] {
  if (graph.inputs.every((p, i) => p === to[i])) return [...graph.outputs];
  const rebuild = substituter(new Map(graph.inputs.map((p, i) => [p, to[i]!])), followCustomCalls);
  return graph.outputs.map(rebuild);
}

/** Which of `roots` and the nodes below them depend on a node of `set`. */
function dependence(roots: readonly Node[], set: ReadonlySet<Node>): Map<Node, boolean> {
  const dep = new Map<Node, boolean>();
  for (const n of topoSort(roots)) dep.set(n, set.has(n) || n.inputs.some((i) => dep.get(i) === true));
  return dep;
}

/**
 * Forward mode of a loop body with `numCarry` carries: which carries have a nonzero tangent (grown
 * until the body maps that set into itself) and the body's output tangents given seeds for them
 * and for the other inputs in `seeded`.
 */
function loopTangents(body: Graph, numCarry: number, tangents: readonly (Tensor | null)[], { jvpGraph }: GraphDerivatives) {
  const ins = body.inputs;
  const floatIn = (i: number) => tangents[i] !== null && isFloat(ins[i]!.aval.dtype);
  const carryNz = new Set(range(0, numCarry).filter(floatIn));
  const otherNz = range(numCarry, ins.length).filter(floatIn);
  const tph = new Map<number, Node>([...range(0, ins.length)].map((i) => [i, placeholder(ins[i]!.aval, "tangent")]));
  for (;;) {
    const seeded = [...carryNz, ...otherNz];
    const touts = jvpGraph(body.outputs.map(T), new Map(seeded.map((i) => [ins[i]!, T(tph.get(i)!)])));
    const grown = range(0, numCarry).filter((k) => !carryNz.has(k) && touts[k] !== null && isFloat(ins[k]!.aval.dtype));
    if (!grown.length) {
      const carries = [...carryNz].sort((a, b) => a - b);
      return { carries, others: otherNz, tph, touts };
    }
    grown.forEach((k) => carryNz.add(k));
  }
}

const condJvp: CallJvpRule<"cond"> = (primals, tangents, { call }, { jvpGraph }) => {
  const [pred, ...ops] = primals;
  const canon = call.branches[0]!.inputs;
  const nz = range(0, ops.length).filter((i) => tangents[i + 1] && isFloat(canon[i]!.aval.dtype));
  const tph = nz.map((i) => placeholder(canon[i]!.aval, "tangent"));
  const seeds = new Map(nz.map((i, j) => [canon[i]!, T(tph[j]!)]));
  const touts = call.branches.map((g) => jvpGraph(outputsOver(g, canon).map(T), seeds));
  const outNz = range(0, call.outAvals.length).filter((k) => isFloat(call.outAvals[k]!.dtype) && touts.some((t) => t[k]));
  if (!outNz.length) return call.outAvals.map(() => null);
  const operands = [...bindAll(canon, ops.map((o) => o.node)), ...bindAll(tph, nz.map((i) => tangents[i + 1]!.node))];
  const nodes = buildCond(pred!.node, operands, touts.map((t) => outNz.map((k) => t[k]?.node ?? zeros(call.outAvals[k]!))));
  return call.outAvals.map((_, k) => (outNz.includes(k) ? T(nodes[outNz.indexOf(k)]!) : null));
};

const whileJvp: CallJvpRule<"while"> = (primals, tangents, { call }, graph) => {
  const { body, numCarry: nC } = call;
  const ins = body.inputs;
  const { carries, others, tph, touts } = loopTangents(body, nC, tangents, graph);
  if (!carries.length) return range(0, nC).map(() => null);
  const tan = (i: number) => tangents[i]?.node ?? zeros(ins[i]!.aval);
  const carry = [...bindAll(ins.slice(0, nC), primals.slice(0, nC).map((p) => p.node)), ...carries.map((i) => ({ ph: tph.get(i)!, value: tan(i) }))];
  const consts = [...bindAll(ins.slice(nC), primals.slice(nC).map((p) => p.node)), ...others.map((i) => ({ ph: tph.get(i)!, value: tan(i) }))];
  const bodyOuts = [...body.outputs, ...carries.map((k) => touts[k]?.node ?? zeros(ins[k]!.aval))];
  const nodes = buildWhile(carry, consts, outputsOver(call.cond, ins)[0]!, bodyOuts);
  return range(0, nC).map((k) => (carries.includes(k) ? T(nodes[nC + carries.indexOf(k)]!) : null));
};

const scanJvp: CallJvpRule<"scan"> = (primals, tangents, { call }, graph) => {
  const { body, numCarry: nC, numConsts: nK } = call;
  const ins = body.inputs;
  const nY = body.outputs.length - nC;
  const { carries, others, tph, touts } = loopTangents(body, nC, tangents, graph);
  const ys = range(0, nY).filter((j) => touts[nC + j] !== null && isFloat(call.outAvals[nC + j]!.dtype));
  if (!carries.length && !ys.length) return call.outAvals.map(() => null);
  const tan = (i: number) => tangents[i]?.node ?? zeros(call.inAvals[i]!);
  const pair = (from: number, to: number, nz: readonly number[]): Operand[] => [
    ...bindAll(ins.slice(from, to), primals.slice(from, to).map((p) => p.node)),
    ...nz.map((i) => ({ ph: tph.get(i)!, value: tan(i) })),
  ];
  const head = nC + nK;
  const bodyOuts = [
    ...body.outputs.slice(0, nC), ...carries.map((k) => touts[k]?.node ?? zeros(ins[k]!.aval)),
    ...body.outputs.slice(nC), ...ys.map((j) => touts[nC + j]!.node),
  ];
  const nodes = buildScan(
    pair(0, nC, carries), pair(nC, head, others.filter((i) => i < head)), pair(head, ins.length, others.filter((i) => i >= head)),
    bodyOuts, call.length, call.reverse,
  );
  const nC2 = nC + carries.length;
  return call.outAvals.map((_, k) => {
    if (k < nC) return carries.includes(k) ? T(nodes[nC + carries.indexOf(k)]!) : null;
    const j = k - nC;
    return ys.includes(j) ? T(nodes[nC2 + nY + ys.indexOf(j)]!) : null;
  });
};

/** The forward-mode call-level rules (derive.ts looks them up by primitive). */
export const CALL_JVP_RULES: { [P in ControlPrim]: CallJvpRule<P> } = { cond: condJvp, while: whileJvp, scan: scanJvp };

// ---------------------------------------------------------------------------------------------
// Reverse mode.

const condVjp: CallVjpRule<"cond"> = (cts, primals, { call }, { vjpGraph }) => {
  const [pred, ...ops] = primals;
  const canon = call.branches[0]!.inputs;
  const outNz = range(0, call.outAvals.length).filter((k) => cts[k] && isFloat(call.outAvals[k]!.dtype));
  if (!outNz.length) return primals.map(() => null);
  const ctPh = outNz.map((k) => placeholder(call.outAvals[k]!, "ct"));
  const grads = call.branches.map((g) => {
    const outs = outputsOver(g, canon);
    return vjpGraph(outNz.map((k) => T(outs[k]!)), ctPh.map(T), canon);
  });
  const inNz = range(0, ops.length).filter((i) => isFloat(canon[i]!.aval.dtype) && grads.some((g) => g[i]));
  if (!inNz.length) return primals.map(() => null);
  const operands = [...bindAll(canon, ops.map((o) => o.node)), ...bindAll(ctPh, outNz.map((k) => cts[k]!.node))];
  const nodes = buildCond(pred!.node, operands, grads.map((g) => inNz.map((i) => g[i]?.node ?? zeros(canon[i]!.aval))));
  return [null, ...ops.map((_, i) => (inNz.includes(i) ? T(nodes[inNz.indexOf(i)]!) : null))];
};

const whileVjp: CallVjpRule<"while"> = () => {
  throw new ValueError(
    `whileLoop: reverse-mode differentiation (grad, vjp, jacrev) does not work through whileLoop: its number of ` +
      `iterations is only known at run time, so the values of each iteration cannot be saved. Use scan or forLoop ` +
      `with a fixed length instead, or forward mode (jvp, jacfwd).`,
  );
};

const scanVjp: CallVjpRule<"scan"> = (cts, primals, { call }, { vjpGraph }) => {
  const { body, numCarry: nC, numConsts: nK, length, reverse } = call;
  const ins = body.inputs;
  const head = nC + nK;
  const nX = ins.length - head;
  const floatC = range(0, nC).filter((i) => isFloat(ins[i]!.aval.dtype));
  const ysNz = range(0, body.outputs.length - nC).filter((j) => cts[nC + j] && isFloat(call.outAvals[nC + j]!.dtype));
  // One iteration's vjp, over cotangent placeholders for the next carry and this iteration's ys.
  const qC = floatC.map((i) => placeholder(ins[i]!.aval, "ct"));
  const qY = ysNz.map((j) => placeholder(body.outputs[nC + j]!.aval, "ct"));
  const outs = [...floatC.map((i) => T(body.outputs[i]!)), ...ysNz.map((j) => T(body.outputs[nC + j]!))];
  const grads = vjpGraph(outs, [...qC, ...qY].map(T), ins).map((g) => g?.node ?? null);
  const live = grads.filter((g): g is Node => g !== null);
  if (!live.length) return primals.map(() => null);

  // Residuals: the maximal parts of the vjp that do not depend on the cotangents.
  const dependsOnCt = dependence(live, new Set([...qC, ...qY]));
  const frontier = topoSort(live, (n) => !dependsOnCt.get(n)).filter((n) => !dependsOnCt.get(n));
  const xPh = ins.slice(head);
  const perIteration = dependence(frontier, new Set([...ins.slice(0, nC), ...xPh]));
  const saved: Node[] = [], hoisted: Node[] = [], xsRead: number[] = [];
  for (const f of frontier) {
    if (perIteration.get(f)) {
      if (xPh.includes(f)) xsRead.push(xPh.indexOf(f));
      else saved.push(f);
    } else if (!isConstantExpr(f)) hoisted.push(f);
  }

  // The forward pass again, also returning the per-iteration residuals as stacked ys.
  const inputs = bindAll(ins, primals.map((p) => p.node));
  const forward = saved.length
    ? buildScan(inputs.slice(0, nC), inputs.slice(nC, head), inputs.slice(head), [...body.outputs.slice(0, nC), ...saved], length, reverse).slice(nC)
    : [];
  const outside = substituter(new Map(ins.slice(nC, head).map((p, i) => [p, primals[nC + i]!.node])), followCustomCalls);

  // The backward scan, in the opposite direction.
  const acc = range(0, nK).filter((i) => grads[nC + i] !== null);
  const accPh = acc.map((i) => placeholder(ins[nC + i]!.aval, "ct"));
  const hoistedPh = hoisted.map((h) => placeholder(h.aval, "residual"));
  const savedPh = saved.map((s) => placeholder(s.aval, "residual"));
  const local = substituter(new Map([...hoisted.map((h, i) => [h, hoistedPh[i]!] as const), ...saved.map((s, i) => [s, savedPh[i]!] as const)]), followCustomCalls);
  const xs = range(0, nX).filter((i) => grads[head + i] !== null);
  const bodyOuts = [
    ...floatC.map((i) => (grads[i] ? local(grads[i]!) : zeros(ins[i]!.aval))),
    ...acc.map((i, j) => npUtil.apply("add", [T(accPh[j]!), T(local(grads[nC + i]!))], {}).node),
    ...xs.map((i) => local(grads[head + i]!)),
  ];
  const backward = buildScan(
    [
      ...qC.map((ph, j) => ({ ph, value: cts[floatC[j]!]?.node ?? zeros(ins[floatC[j]!]!.aval) })),
      ...accPh.map((ph) => ({ ph, value: zeros(ph.aval) })),
    ],
    hoisted.map((h, j) => ({ ph: hoistedPh[j]!, value: outside(h) })),
    [
      ...qY.map((ph, j) => ({ ph, value: cts[nC + ysNz[j]!]!.node })),
      ...savedPh.map((ph, j) => ({ ph, value: forward[j]! })),
      ...xsRead.map((i) => inputs[head + i]!),
    ],
    bodyOuts, length, !reverse,
  );
  const nBC = floatC.length + acc.length;
  return primals.map((_, i) => {
    if (i < nC) return floatC.includes(i) ? T(backward[floatC.indexOf(i)]!) : null;
    if (i < head) return acc.includes(i - nC) ? T(backward[floatC.length + acc.indexOf(i - nC)]!) : null;
    return xs.includes(i - head) ? T(backward[nBC + xs.indexOf(i - head)]!) : null;
  });
};

/** The reverse-mode call-level rules (rules/vjp.ts and derive.ts look them up by primitive). */
export const CALL_VJP_RULES: { [P in ControlPrim]: CallVjpRule<P> } = { cond: condVjp, while: whileVjp, scan: scanVjp };
