/**
 * Forward mode: the public `jvp(fn, primals, tangents) -> [out, tangentOut]` and
 * `linearize(fn, ...primals)`, over derive.ts's `jvpGraph`.
 */
import { DTypeError, type Node, ShapeError, Tensor, type TreeDef, ValueError, isFloat, npUtil, tree } from "@kiln/core";
import { placeholder } from "./custom-call.js";
import { jvpGraph } from "./derive.js";
import { type AuxOptions, auxOptions, splitAuxOption, valueAuxPair } from "./aux.js";
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
function linearized(
  op: string, fn: AnyFunction, primals: readonly unknown[], hasAux: boolean,
): { out: unknown; aux: unknown; push: (tangents: readonly unknown[]) => unknown } {
  const t: Trace = traceCall(op, new TraceCache(), fn, primals, { argnums: primals.map((_, i) => i), ints: "zero" });
  const [value, auxTraced] = hasAux ? valueAuxPair(op, t.result) : [t.result, undefined];
  const { leaves: outs, def: outDef } = outputTensors(op, value);
  const out = t.restore(tree.unflatten(outDef, outs));
  const aux = hasAux ? t.restore(auxTraced) : undefined;
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
  return { out, aux, push };
}

/**
 * Forward-mode derivative: `fn`'s output at `primals` and its directional derivative along
 * `tangents` (one per primal, same structure, shapes and dtypes; numbers are broadcast).
 *
 * With `{ hasAux: true }` (JAX's `has_aux=True`), `fn` returns `[out, aux]`: only `out` is
 * differentiated, and the result is `[out, tangentOut, aux]`.
 * @example
 * const [y, dy] = jvp((x) => x.mul(x), [np.array([1, 2])], [np.array([1, 0])]); // dy = [2, 0]
 * const [y2, dy2, aux] = jvp((x) => [x.sin(), x.cos()], [np.array(0)], [np.array(1)], { hasAux: true }); // dy2 = 1, aux = 1
 */
export function jvp<F extends (...args: never[]) => readonly [unknown, unknown]>(
  fn: F, primals: readonly unknown[], tangents: readonly unknown[], opts: { hasAux: true },
): [ReturnType<F>[0], ReturnType<F>[0], ReturnType<F>[1]];
export function jvp<F extends AnyFunction>(fn: F, primals: readonly unknown[], tangents: readonly unknown[], opts?: AuxOptions): [ReturnType<F>, ReturnType<F>];
export function jvp(fn: AnyFunction, primals: readonly unknown[], tangents: readonly unknown[], opts?: AuxOptions): unknown[] {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new ValueError(`jvp: primals and tangents must be arrays (one entry per argument of fn)`);
  }
  if (primals.length !== tangents.length) {
    throw new ValueError(`jvp: got ${primals.length} primal(s) but ${tangents.length} tangent(s); pass one tangent per primal`);
  }
  primals.forEach((p, i) => checkSameStructure("jvp", tree.structure(p), tangents[i], i));
  const hasAux = auxOptions("jvp", opts);
  const { out, aux, push } = linearized("jvp", fn, primals, hasAux);
  return hasAux ? [out, push(tangents), aux] : [out, push(tangents)];
}

/**
 * `fn`'s output at `primals` and its linearization there: a function from tangents (one per
 * primal) to the output tangent. The forward derivative is derived once and reused.
 *
 * With a trailing `{ hasAux: true }`, `fn` returns `[out, aux]` and the result is `[out, fJvp, aux]`.
 * @example
 * const [y, f] = linearize((x) => x.sin(), np.array(0));
 * f(np.array(2)); // 2 * cos(0) = 2
 */
export function linearize<F extends (...args: never[]) => readonly [unknown, unknown]>(
  fn: F, ...primalsAndOptions: [...unknown[], { hasAux: true }]
): [ReturnType<F>[0], (...tangents: unknown[]) => ReturnType<F>[0], ReturnType<F>[1]];
export function linearize<F extends AnyFunction>(fn: F, ...primals: unknown[]): [ReturnType<F>, (...tangents: unknown[]) => ReturnType<F>];
export function linearize(fn: AnyFunction, ...given: unknown[]): unknown[] {
  const { args: primals, hasAux } = splitAuxOption("linearize", given);
  const { out, aux, push } = linearized("linearize", fn, primals, hasAux);
  const fJvp = (...tangents: unknown[]) => push(tangents);
  return hasAux ? [out, fJvp, aux] : [out, fJvp];
}
