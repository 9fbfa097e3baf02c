/**
 * Jacobians without vmap: `jacrev` derives the backward graph once per output leaf with a
 * cotangent placeholder and instantiates it with one one-hot cotangent per output element (the
 * rows); `jacfwd` does the same with tangent placeholders and one-hot tangents per input element
 * (the columns). Rows/columns are stacked with `concatenate` into `[...outShape, ...inShape]`.
 * `hessian` is `jacfwd(jacrev(f))`.
 */
import { DTypeError, type Node, Tensor, type TreeDef, isFloat, npUtil, sizeOf, substituter, tree } from "@kiln/core";
import { followCustomCalls, placeholder } from "./custom-call.js";
import { GradientTransform, type GradOptions, type TransformFn, valueAuxPair } from "./grad.js";
import { jvpGraph } from "./jvp.js";
import { vjpGraph } from "./vjp.js";
import { type Trace, TraceCache, outputTensors, resolveArgnums, traceCall } from "./trace.js";

const { apply, fullRaw, reshapeRaw } = npUtil;

/** The one-hot vector e_j of `aval`'s size, shaped like `aval` (a padded literal: no buffer). */
function oneHot(aval: Node["aval"], j: number): Node {
  const n = sizeOf(aval.shape);
  const one = reshapeRaw(fullRaw([], 1, aval.dtype), [1]);
  const e = apply("pad", [one], { lo: [j], hi: [n - 1 - j], value: 0 });
  return reshapeRaw(e, aval.shape).node;
}

/**
 * Stacks `parts` (one per element of the "stacked" side, each shaped `partShape`) into
 * `[...outShape, ...inShape]`. `rows`: parts are indexed by output elements (jacrev), else by
 * input elements (jacfwd).
 */
function stackJacobian(parts: readonly Tensor[], rows: boolean, outShape: readonly number[], inShape: readonly number[], dtype: Node["aval"]["dtype"]): Tensor {
  const shape = [...outShape, ...inShape];
  if (!parts.length || sizeOf(shape) === 0) return fullRaw(shape, 0, dtype);
  const other = rows ? sizeOf(inShape) : sizeOf(outShape);
  const pieces = parts.map((p) => reshapeRaw(p, rows ? [1, other] : [other, 1]));
  const m = pieces.length === 1 ? pieces[0]! : apply("concatenate", pieces, { axis: rows ? 0 : 1 });
  return reshapeRaw(m, shape);
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

function jacTransform(op: "jacrev" | "jacfwd"): TransformFn {
  const rows = op === "jacrev";
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

/** J[w][k] by reverse mode: one derivation per output leaf, one substitution per output element. */
function reverseJacobian(outs: readonly Tensor[], wrt: readonly Node[]): Map<Node, Tensor[]> {
  const J = new Map<Node, Tensor[]>(wrt.map((w) => [w, []]));
  outs.forEach((o, k) => {
    const ct = placeholder(o.node.aval, "ct");
    const g = vjpGraph(outs, outs.map((_, i) => (i === k ? new Tensor(ct) : null)), wrt);
    const m = sizeOf(o.shape);
    wrt.forEach((w, i) => {
      const gi = g[i];
      const parts: Tensor[] = [];
      for (let j = 0; gi && j < m; j++) {
        const sub = substituter(new Map([[ct, oneHot(o.node.aval, j)]]), followCustomCalls);
        parts.push(new Tensor(sub(gi.node)));
      }
      J.get(w)!.push(stackJacobian(parts, true, o.shape, w.aval.shape, o.dtype));
    });
  });
  return J;
}

/** J[w][k] by forward mode: one derivation per input leaf, one substitution per input element. */
function forwardJacobian(outs: readonly Tensor[], wrt: readonly Node[]): Map<Node, Tensor[]> {
  const J = new Map<Node, Tensor[]>();
  for (const w of wrt) {
    const tan = placeholder(w.aval, "tangent");
    const ts = jvpGraph(outs, new Map([[w, new Tensor(tan)]]));
    const n = sizeOf(w.aval.shape);
    const subs = Array.from({ length: n }, (_, j) => substituter(new Map([[tan, oneHot(w.aval, j)]]), followCustomCalls));
    J.set(w, outs.map((o, k) => {
      const tk = ts[k];
      const parts = tk ? subs.map((sub) => new Tensor(sub(tk.node))) : [];
      return stackJacobian(parts, false, o.shape, w.aval.shape, o.dtype);
    }));
  }
  return J;
}

export const jacrevTransform = jacTransform("jacrev");
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
export function jacrev(fn: (...args: any[]) => any, opts: GradOptions = {}): GradientTransform {
  return new GradientTransform(fn, { ...opts, transform: jacrevTransform });
}

/**
 * The Jacobian by forward mode (one tangent per input element); same results as `jacrev`.
 * @example jacfwd((x) => x.sin())(np.array([0])); // [[1]]
 */
export function jacfwd(fn: (...args: any[]) => any, opts: GradOptions = {}): GradientTransform {
  return new GradientTransform(fn, { ...opts, transform: jacfwdTransform });
}

/**
 * Alias of `jacrev`.
 * @example jacobian((xy) => xy.mul(xy))(np.array([2, 3])); // [[4, 0], [0, 6]]
 */
export function jacobian(fn: (...args: any[]) => any, opts: GradOptions = {}): GradientTransform {
  return new GradientTransform(fn, { ...opts, transform: jacrevTransform });
}

/**
 * Second derivatives: `jacfwd(jacrev(fn))`, shape `[...outShape, ...inShape, ...inShape]`.
 * @example hessian((x) => x.mul(x).sum())(np.array([1, 2])); // [[2, 0], [0, 2]]
 */
export function hessian(fn: (...args: any[]) => any, opts: GradOptions = {}): GradientTransform {
  return new GradientTransform(fn, { ...opts, transform: hessianTransform });
}
