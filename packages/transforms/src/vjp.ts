/**
 * Reverse mode: the public `vjp(fn, ...primals) -> [out, vjpFn]`, over derive.ts's `vjpGraph`.
 */
import { DTypeError, type Node, ShapeError, Tensor, ValueError, isFloat, npUtil, tree } from "@kiln/core";
import { placeholder } from "./custom-call.js";
import { vjpGraph } from "./derive.js";
import { splitAuxOption, valueAuxPair } from "./aux.js";
import { TraceCache, outputTensors, perArgTrees, traceCall, type AnyFunction } from "./trace.js";


/**
 * A cotangent given for `out`: a Tensor of the output's shape and dtype, or a number (broadcast).
 * Cotangents of int/bool outputs are ignored (they carry no derivative).
 */
function cotangentLeaf(leaf: unknown, out: Tensor, i: number): Node | null {
  if (!isFloat(out.dtype)) return null;
  if (typeof leaf === "number") return npUtil.fullRaw(out.shape, leaf, out.dtype).node;
  if (!(leaf instanceof Tensor)) throw new ValueError(`vjp: cotangent leaf ${i} must be a Tensor or a number, got ${typeof leaf}`);
  if (leaf.shape.join() !== out.shape.join()) {
    throw new ShapeError(`vjp: cotangent leaf ${i} has shape [${leaf.shape}] but the output it belongs to has shape [${out.shape}]`);
  }
  if (leaf.dtype !== out.dtype) {
    throw new DTypeError(`vjp: cotangent leaf ${i} has dtype ${leaf.dtype} but the output it belongs to is ${out.dtype}; cast it with astype`);
  }
  return leaf.node;
}

/**
 * Reverse-mode derivative: runs `fn` at `primals` and returns its output with a function that
 * maps an output cotangent (same structure as the output) to one cotangent per primal (each with
 * that primal's structure). Int primals get zero cotangents. The backward graph is derived once,
 * on the first call of `vjpFn`, and reused for every cotangent.
 *
 * With a trailing `{ hasAux: true }` (JAX's `has_aux=True`), `fn` returns `[out, aux]`: only `out`
 * is differentiated, and the result is `[out, vjpFn, aux]`.
 * @example
 * const [y, vjpFn] = vjp((x) => x.mul(x).sum(), np.array([1, 2, 3]));
 * const [gx] = vjpFn(np.array(1)); // [2, 4, 6]
 * const [y2, vjpFn2, aux] = vjp((x) => [x.mul(x).sum(), x.max()], np.array([1, 2, 3]), { hasAux: true }); // aux: 3
 */
export function vjp<F extends (...args: never[]) => readonly [unknown, unknown]>(
  fn: F, ...primalsAndOptions: [...unknown[], { hasAux: true }]
): [ReturnType<F>[0], (ct: unknown) => unknown[], ReturnType<F>[1]];
export function vjp<F extends AnyFunction>(fn: F, ...primals: unknown[]): [ReturnType<F>, (ct: unknown) => unknown[]];
export function vjp(fn: AnyFunction, ...given: unknown[]): unknown[] {
  const { args: primals, hasAux } = splitAuxOption("vjp", given);
  const t = traceCall("vjp", new TraceCache(), fn, primals, { argnums: primals.map((_, i) => i), ints: "zero" });
  const [value, auxTraced] = hasAux ? valueAuxPair("vjp", t.result) : [t.result, undefined];
  const { leaves: outs, def: outDef } = outputTensors("vjp", value);
  const out = t.restore(tree.unflatten(outDef, outs));
  const aux = hasAux ? t.restore(auxTraced) : undefined;
  t.commitWrites();
  const vjpFn = (ct: unknown): unknown[] => {
    const [ctLeaves, ctDef] = tree.flatten(ct);
    if (tree.structureKey(ctDef) !== tree.structureKey(outDef)) {
      throw new ValueError(
        `vjp: the cotangent's structure ${tree.structureKey(ctDef)} does not match the output's ${tree.structureKey(outDef)}`,
      );
    }
    const ctNodes = ctLeaves.map((l, i) => cotangentLeaf(l, outs[i]!, i));
    const { phs, grads } = t.derive(outs.map((o) => o.node), () => {
      const phs = outs.map((o) => (isFloat(o.dtype) ? placeholder(o.node.aval, "ct") : null));
      const grads = vjpGraph(outs, phs.map((p) => (p ? new Tensor(p) : null)), t.wrt);
      return { phs, grads: new Map(t.wrt.map((w, i) => [w, grads[i]!])) };
    });
    const extra = new Map<Node, Node>();
    phs.forEach((p, i) => p && extra.set(p, ctNodes[i]!));
    const restore = t.restoreWith(extra);
    return restore(perArgTrees(t.diffArgs, (p) => grads.get(p) ?? null));
  };
  return hasAux ? [out, vjpFn, aux] : [out, vjpFn];
}
