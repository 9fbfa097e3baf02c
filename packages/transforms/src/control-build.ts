/**
 * Building control-flow ops from traced sub-graphs, shared by the user-facing functions
 * (control.ts) and the derivative rules (rules/control.ts).
 *
 * Sub-graphs are closed: closure conversion turns every value a sub-graph uses from outside — a
 * closed-over Tensor, a placeholder of an enclosing trace (grad, jit, an outer loop body), realized
 * data — into an explicit operand. Outer transforms therefore see the dependency through the op's
 * inputs (grad differentiates through a closed-over weight; jit feeds it as an input), and a loop
 * computes such a value once, outside the loop. Constant expressions (literals, iotas and what is
 * built from them alone) stay inside: recomputing them is free.
 */
import {
  type ControlPrim, type ControlSpec, type Graph, type Node, dependsOnPlaceholder, makeControlCall, makeGraph, makeNode,
  substituter, topoSort,
} from "@kiln/core";
import { followCustomCalls, placeholder } from "./custom-call.js";

/** A sub-graph input placeholder and the value the op binds it to. */
export interface Operand {
  readonly ph: Node;
  readonly value: Node;
}

const constantMemo = new WeakMap<Node, boolean>();

/**
 * Whether `node` is built from literals and iotas only (no data, no placeholder).
 * @example isConstantExpr(np.zeros([3]).node) // true
 */
export function isConstantExpr(node: Node): boolean {
  if (dependsOnPlaceholder(node)) return false;
  for (const n of topoSort([node], (x) => constantMemo.has(x))) {
    if (constantMemo.has(n)) continue;
    const leafOk = n.prim === "const" || n.prim === "iota";
    constantMemo.set(n, n.inputs.length ? n.inputs.every((i) => constantMemo.get(i) === true) : leafOk);
  }
  return constantMemo.get(node)!;
}

/**
 * Closure conversion (see the file comment): the values `outputs` use that do not depend on the
 * `bound` placeholders and are not constant expressions become extra operands, each replaced by
 * a fresh placeholder in the returned outputs. Only maximal such values are lifted.
 * @example const { extra, outputs } = liftFree([xPh], [xPh.mul(w)]); // extra = [{ ph, value: w }]
 */
export function liftFree(bound: readonly Node[], outputs: readonly Node[]): { extra: Operand[]; outputs: Node[] } {
  const isBound = new Set(bound);
  const inside = new Map<Node, boolean>();
  for (const n of topoSort(outputs, (x) => isBound.has(x) || !dependsOnPlaceholder(x))) {
    inside.set(n, isBound.has(n) || (dependsOnPlaceholder(n) && n.inputs.some((i) => inside.get(i) === true)));
  }
  const extra: Operand[] = [];
  for (const n of topoSort(outputs, (x) => !inside.get(x))) {
    if (!inside.get(n) && !isConstantExpr(n)) extra.push({ ph: placeholder(n.aval, "closure"), value: n });
  }
  if (!extra.length) return { extra, outputs: [...outputs] };
  const rebuild = substituter(new Map(extra.map((e) => [e.value, e.ph])), followCustomCalls);
  return { extra, outputs: outputs.map(rebuild) };
}

/** The sibling output nodes of a call applied to `inputs`. */
function bind(prim: ControlPrim, spec: ControlSpec, inputs: readonly Node[]): Node[] {
  const call = makeControlCall(spec);
  return call.outAvals.map((_, index) => makeNode(prim, inputs, { call, index } as never));
}

const phs = (ops: readonly Operand[]): Node[] => ops.map((o) => o.ph);
const values = (ops: readonly Operand[]): Node[] => ops.map((o) => o.value);

/**
 * A `cond` op: `branches[i]` (outputs over the operands' placeholders) runs when the predicate's
 * index is i (`[false, true]`). Returns one node per branch output.
 * @example const [y] = buildCond(pred, [{ ph, value: x }], [[ph.neg], [ph.exp]]);
 */
export function buildCond(pred: Node, operands: readonly Operand[], branches: readonly (readonly Node[])[]): Node[] {
  const { extra, outputs } = liftFree(phs(operands), branches.flat());
  const ins = [...operands, ...extra];
  let k = 0;
  const graphs: Graph[] = branches.map((b) => makeGraph(phs(ins), outputs.slice(k, (k += b.length))));
  return bind("cond", { kind: "cond", branches: graphs, predDType: pred.aval.dtype as "bool" | "int32" }, [pred, ...values(ins)]);
}

/**
 * A `while` op: `condOut` (bool scalar) and `bodyOuts` (the next carry) over the placeholders of
 * `carry` and `consts`. Returns one node per carry.
 */
export function buildWhile(carry: readonly Operand[], consts: readonly Operand[], condOut: Node, bodyOuts: readonly Node[]): Node[] {
  const { extra, outputs } = liftFree(phs([...carry, ...consts]), [condOut, ...bodyOuts]);
  const ins = [...carry, ...consts, ...extra];
  const spec: ControlSpec = { kind: "while", cond: makeGraph(phs(ins), [outputs[0]!]), body: makeGraph(phs(ins), outputs.slice(1)), numCarry: carry.length };
  return bind("while", spec, values(ins));
}

/**
 * A `scan` op: `bodyOuts` = `[...next carry, ...y slices]` over the placeholders of `carry`,
 * `consts` and `xs` (whose placeholders are slices and whose values are stacked along axis 0).
 * Returns `[...final carry, ...stacked ys]`.
 */
export function buildScan(
  carry: readonly Operand[], consts: readonly Operand[], xs: readonly Operand[], bodyOuts: readonly Node[], length: number, reverse: boolean,
): Node[] {
  const { extra, outputs } = liftFree(phs([...carry, ...consts, ...xs]), bodyOuts);
  const ins = [...carry, ...consts, ...extra, ...xs];
  const spec: ControlSpec = {
    kind: "scan", body: makeGraph(phs(ins), outputs), numCarry: carry.length, numConsts: consts.length + extra.length, length, reverse,
  };
  return bind("scan", spec, values(ins));
}
