/**
 * Jacobians as JAX computes them: `jacrev` derives the backward graph once per output leaf with a
 * cotangent placeholder and batches it (vmap's rules, vmap-graph.ts) over the rows of an identity
 * matrix — one batched graph whose batch axis is the output elements; `jacfwd` does the same with
 * a tangent placeholder batched over the input elements. `hessian` is `jacfwd(jacrev(f))`.
 */
import { DTypeError, type Node, Tensor, type TreeDef, isFloat, makeNode, npUtil, sizeOf, tree } from "@kiln/core";
import { placeholder } from "./custom-call.js";
import { valueAuxPair } from "./aux.js";
import { GradientTransform, type GradOptions, type TransformFn } from "./grad.js";
import { jvpGraph, vjpGraph } from "./derive.js";
import { moveAxis } from "./rules/batch.js";
import { forceBatched } from "./rules/batch.js";
import { batchNodes } from "./vmap-graph.js";
import { type Trace, TraceCache, outputTensors, resolveArgnums, traceCall, type AnyFunction } from "./trace.js";

const { apply, fullRaw, reshapeRaw } = npUtil;

/** The n one-hot vectors of `aval` stacked: `[n, ...aval.shape]` (iotas compared: no buffer). */
function basis(aval: Node["aval"]): Tensor {
  const n = sizeOf(aval.shape);
  const iota = (axis: number) => new Tensor(makeNode("iota", [], { axis }, { shape: [n, n], dtype: "int32" }));
  const eye = apply("cast", [apply("eq", [iota(0), iota(1)], {})], { dtype: aval.dtype });
  return reshapeRaw(eye, [n, ...aval.shape]);
}

/** `derivative` (a graph over `seed`) evaluated at every basis vector of `seed`: `[n, ...shape]`. */
function overBasis(derivative: Node, seed: Node): Tensor {
  const n = sizeOf(seed.aval.shape);
  const [b] = batchNodes([derivative], new Map([[seed, { node: basis(seed.aval).node, batched: true }]]), n);
  return new Tensor(forceBatched(b!, n));
}

/** The traced outputs (float leaves) of a jacobian transform's function. */
function jacOutputs(op: string, t: Trace): { value: unknown; aux: unknown; outs: Tensor[]; def: TreeDef } {
  const [value, aux] = valueAuxPair(op, t.result, "the transform's function");
  const { leaves: outs, def } = outputTensors(op, value);
  for (const o of outs) {
    if (!isFloat(o.dtype)) throw new DTypeError(`${op} requires real-valued (float) outputs, but the function returned ${o.dtype}`);
  }
  return { value, aux, outs, def };
}

/**
 * Lays out J[k][w] (output leaf k, input placeholder w) as JAX does: the output's structure, each
 * leaf replaced by the argument structure (an array of them when argnums is an array).
 */
function layout(t: Trace, argnums: number | readonly number[], outDef: TreeDef, jac: (k: number, w: Node) => Tensor, nOut: number): unknown {
  const perOut = Array.from({ length: nOut }, (_, k) => {
    const trees = t.diffArgs.map((d) => tree.unflatten(d.def, d.leaves.map((p) => jac(k, p))));
    return typeof argnums === "number" ? trees[0] : trees;
  });
  return tree.unflatten(outDef, perOut);
}

function jacTransform(op: "jacrev" | "jacobian" | "jacfwd"): TransformFn {
  const rows = op !== "jacfwd";
  const transforms: Record<string, TransformFn> = {
    [op]: (f, { argnums }) => {
      const cache = new TraceCache();
      return (...args) => {
        const idx = resolveArgnums(op, argnums, args.length);
        const t = traceCall(op, cache, f, args, { argnums: idx, ints: "error" });
        const { aux, outs, def } = jacOutputs(op, t);
        const J = t.derive(outs.map((o) => o.node), () => (rows ? reverseJacobian(outs, t.wrt) : forwardJacobian(outs, t.wrt)));
        const result = layout(t, argnums, def, (k, w) => J.get(w)![k]!, outs.length);
        const restored = t.restore([result, aux]) as [unknown, unknown];
        t.commitWrites(); // none when f is a GradientTransform's pure function
        return restored;
      };
    },
  };
  return perOutputLeaf(transforms[op]!);
}

/**
 * Marks a transform whose result follows the output's structure first (see `TransformFn`), so
 * GradientTransform splits State and argument Jacobians at each output leaf.
 */
function perOutputLeaf(t: TransformFn): TransformFn {
  return Object.assign(t, { perOutputLeaf: true });
}

/** J[w][k] by reverse mode: one derivation per output leaf, batched over its elements. */
function reverseJacobian(outs: readonly Tensor[], wrt: readonly Node[]): Map<Node, Tensor[]> {
  const J = new Map<Node, Tensor[]>(wrt.map((w) => [w, []]));
  outs.forEach((o, k) => {
    const ct = placeholder(o.node.aval, "ct");
    const g = vjpGraph(outs, outs.map((_, i) => (i === k ? new Tensor(ct) : null)), wrt);
    wrt.forEach((w, i) => {
      const shape = [...o.shape, ...w.aval.shape];
      const gi = g[i];
      // Rows: [m, ...inShape] is already [...outShape, ...inShape] in memory order.
      J.get(w)!.push(gi && sizeOf(shape) > 0 ? reshapeRaw(overBasis(gi.node, ct), shape) : fullRaw(shape, 0, o.dtype));
    });
  });
  return J;
}

/** J[w][k] by forward mode: one derivation per input leaf, batched over its elements. */
function forwardJacobian(outs: readonly Tensor[], wrt: readonly Node[]): Map<Node, Tensor[]> {
  const J = new Map<Node, Tensor[]>();
  for (const w of wrt) {
    const tan = placeholder(w.aval, "tangent");
    const ts = jvpGraph(outs, new Map([[w, new Tensor(tan)]]));
    J.set(w, outs.map((o, k) => {
      const shape = [...o.shape, ...w.aval.shape];
      const tk = ts[k];
      if (!tk || sizeOf(shape) === 0) return fullRaw(shape, 0, o.dtype);
      // Columns: [n, ...outShape] -> [...outShape, n] -> [...outShape, ...inShape].
      const cols = reshapeRaw(overBasis(tk.node, tan), [sizeOf(w.aval.shape), sizeOf(o.shape)]);
      return reshapeRaw(moveAxis(cols, 0, 1), shape);
    }));
  }
  return J;
}

export const jacrevTransform = jacTransform("jacrev");
/** `jacrev`'s transform under jacobian's name (its errors name the function the user called). */
const jacobianTransform = jacTransform("jacobian");
export const jacfwdTransform = jacTransform("jacfwd");

const hessianTransforms: Record<string, TransformFn> = {
  hessian: (f, opts) => jacfwdTransform(jacrevTransform(f, opts), opts),
};
export const hessianTransform = perOutputLeaf(hessianTransforms.hessian!);

/**
 * The Jacobian by reverse mode: for each output leaf and each differentiated argument leaf, a
 * Tensor of shape `[...outShape, ...inShape]`. Options and results follow `grad`'s table.
 * @example jacrev((x) => x.mul(x))(np.array([1, 2])); // [[2, 0], [0, 4]]
 */
export function jacrev(fn: AnyFunction, opts: GradOptions = {}, ...extra: undefined[]): GradientTransform {
  opts = npUtil.optionsOf("jacrev", opts, "jacrev", extra);
  return new GradientTransform(fn, { ...opts, transform: jacrevTransform });
}

/**
 * The Jacobian by forward mode (one tangent per input element); same results as `jacrev`.
 * @example jacfwd((x) => x.sin())(np.array([0])); // [[1]]
 */
export function jacfwd(fn: AnyFunction, opts: GradOptions = {}, ...extra: undefined[]): GradientTransform {
  opts = npUtil.optionsOf("jacfwd", opts, "jacfwd", extra);
  return new GradientTransform(fn, { ...opts, transform: jacfwdTransform });
}

/**
 * Alias of `jacrev`.
 * @example jacobian((xy) => xy.mul(xy))(np.array([2, 3])); // [[4, 0], [0, 6]]
 */
export function jacobian(fn: AnyFunction, opts: GradOptions = {}, ...extra: undefined[]): GradientTransform {
  opts = npUtil.optionsOf("jacobian", opts, "jacobian", extra);
  return new GradientTransform(fn, { ...opts, transform: jacobianTransform });
}

/**
 * Second derivatives: `jacfwd(jacrev(fn))`, shape `[...outShape, ...inShape, ...inShape]`.
 * @example hessian((x) => x.mul(x).sum())(np.array([1, 2])); // [[2, 0], [0, 2]]
 */
export function hessian(fn: AnyFunction, opts: GradOptions = {}, ...extra: undefined[]): GradientTransform {
  opts = npUtil.optionsOf("hessian", opts, "hessian", extra);
  return new GradientTransform(fn, { ...opts, transform: hessianTransform });
}
