/**
 * Forward mode: the public `jvp(fn, primals, tangents) -> [out, tangentOut]` and
 * `linearize(fn, ...primals)`, over derive.ts's `jvpGraph`.
 */
import { DTypeError, type Node, ShapeError, Tensor, type TreeDef, ValueError, isFloat, npUtil, tree } from "@kiln/core";
import { placeholder } from "./custom-call.js";
import { jvpGraph } from "./derive.js";
import { type Trace, TraceCache, outputTensors, traceCall, zerosLike, type AnyFunction } from "./trace.js";

/** A tangent leaf for a primal placeholder: a Tensor of its shape and dtype, or a number. */
function tangentLeaf(op: string, leaf: unknown, primal: Node, where: string): Node {
  const { shape, dtype } = primal.aval;
  if (typeof leaf === "number") return npUtil.fullRaw(shape, leaf, dtype).node;
  if (!(leaf instanceof Tensor)) throw new ValueError(`${op}: tangent ${where} must be a Tensor or a number, got ${typeof leaf}`);
  if (leaf.shape.join() !== shape.join()) {
    throw new ShapeError(`${op}: tangent ${where} has shape [${leaf.shape}] but its primal has shape [${shape}]`);
  }
  if (isFloat(dtype) && leaf.dtype !== dtype) {
    throw new DTypeError(`${op}: tangent ${where} has dtype ${leaf.dtype} but its primal is ${dtype}; primal and tangent dtypes must match`);
  }
  return leaf.node;
}

/** The leaves of tangent `i`, which must have the structure of primal `i`. */
function checkSameStructure(op: string, primalDef: TreeDef, tangent: unknown, i: number): unknown[] {
  const [ls, def] = tree.flatten(tangent);
  if (tree.structureKey(def) !== tree.structureKey(primalDef)) {
    throw new ValueError(`${op}: tangent ${i} has structure ${tree.structureKey(def)} but primal ${i} has ${tree.structureKey(primalDef)}`);
  }
  return ls;
}

/** The traced function and its forward derivative as a function of the tangents. */
function linearized(op: string, fn: AnyFunction, primals: readonly unknown[]): { out: unknown; push: (tangents: readonly unknown[]) => unknown } {
  const t: Trace = traceCall(op, new TraceCache(), fn, primals, { argnums: primals.map((_, i) => i), ints: "zero" });
  const { leaves: outs, def: outDef } = outputTensors(op, t.result);
  const out = t.restore(tree.unflatten(outDef, outs));
  t.commitWrites();
  const push = (tangents: readonly unknown[]): unknown => {
    if (tangents.length !== primals.length) {
      throw new ValueError(`${op}: got ${tangents.length} tangent(s) for ${primals.length} primal(s); pass one per primal`);
    }
    const given = new Map<Node, Node>();
    tangents.forEach((tan, i) => {
      const d = t.diffArgs[i]!;
      const ls = checkSameStructure(op, d.def, tan, i);
      d.leaves.forEach((p, j) => given.set(p, tangentLeaf(op, ls[j], p, `${i}${d.leaves.length > 1 ? ` (leaf ${j})` : ""}`)));
    });
    const { phs, touts } = t.derive(outs.map((o) => o.node), () => {
      const phs = new Map(t.wrt.map((p) => [p, placeholder(p.aval, "tangent")]));
      const touts = jvpGraph(outs, new Map([...phs].map(([p, tp]) => [p, new Tensor(tp)])));
      return { phs, touts };
    });
    const extra = new Map<Node, Node>();
    for (const [p, tp] of phs) extra.set(tp, given.get(p)!);
    return t.restoreWith(extra)(tree.unflatten(outDef, touts.map((tt, i) => tt ?? zerosLike(outs[i]!.node))));
  };
  return { out, push };
}

/**
 * Forward-mode derivative: `fn`'s output at `primals` and its directional derivative along
 * `tangents` (one per primal, same structure, shapes and dtypes; numbers are broadcast).
 * @example
 * const [y, dy] = jvp((x) => x.mul(x), [np.array([1, 2])], [np.array([1, 0])]); // dy = [2, 0]
 */
export function jvp<F extends AnyFunction>(fn: F, primals: readonly unknown[], tangents: readonly unknown[]): [ReturnType<F>, ReturnType<F>] {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new ValueError(`jvp: primals and tangents must be arrays (one entry per argument of fn)`);
  }
  if (primals.length !== tangents.length) {
    throw new ValueError(`jvp: got ${primals.length} primal(s) but ${tangents.length} tangent(s); pass one tangent per primal`);
  }
  primals.forEach((p, i) => checkSameStructure("jvp", tree.structure(p), tangents[i], i));
  const { out, push } = linearized("jvp", fn, primals);
  return [out as ReturnType<F>, push(tangents) as ReturnType<F>];
}

/**
 * `fn`'s output at `primals` and its linearization there: a function from tangents (one per
 * primal) to the output tangent. The forward derivative is derived once and reused.
 * @example
 * const [y, f] = linearize((x) => x.sin(), np.array(0));
 * f(np.array(2)); // 2 * cos(0) = 2
 */
export function linearize<F extends AnyFunction>(fn: F, ...primals: unknown[]): [ReturnType<F>, (...tangents: unknown[]) => ReturnType<F>] {
  const { out, push } = linearized("linearize", fn, primals);
  return [out as ReturnType<F>, (...tangents) => push(tangents) as ReturnType<F>];
}
