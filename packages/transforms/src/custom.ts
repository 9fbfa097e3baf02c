/**
 * User-defined derivatives: `customVjp` (a backward rule) and `customJvp` (a forward rule), as
 * JAX's `custom_vjp` / `custom_jvp`. A call's float outputs go behind a barrier registered with
 * the rules (custom-call.ts); `vjpGraph`/`jvpGraph` apply them. In reverse mode a customJvp rule
 * is transposed (its tangent output is linear in the tangents); forward mode through a customVjp
 * function is an error, as in JAX.
 *
 * Only the arguments are differentiated through the rule: values the function closes over get
 * no derivative through it (JAX requires `closure_convert` for those).
 */
import { checkFunction, jsonOf } from "@kiln/core";
import {
  DTypeError, type Node, ShapeError, Tensor, type TreeDef, ValueError, isFloat, npUtil, substituter, tree,
} from "@kiln/core";
import { type CustomRules, followCustomCalls, placeholder, registerCustomCall } from "./custom-call.js";
import { vjpGraph } from "./derive.js";
import { checkNotAsync, rebuildTree, zerosLike, type AnyFunction } from "./trace.js";

export interface CustomOptions {
  /** Positions of arguments that are not differentiated (passed first to the rules, as in JAX). */
  nondiffArgnums?: readonly number[];
}

/** A function with a custom backward rule. */
export interface CustomVjpFunction extends AnyFunction {
  /**
   * `fwd(...args)` returns `[out, residuals]`; `bwd(...nondiffArgs, residuals, gOut)` returns
   * an array with one cotangent per differentiable argument (`null` = zero).
   */
  defVjp(fwd: (...args: any[]) => [unknown, unknown], bwd: (...args: any[]) => readonly unknown[]): CustomVjpFunction;
}

/** A function with a custom forward rule. */
export interface CustomJvpFunction extends AnyFunction {
  /** `rule(...nondiffArgs, primals, tangents)` returns `[out, tangentOut]`. */
  defJvp(rule: (...args: any[]) => [unknown, unknown]): CustomJvpFunction;
}

function checkNondiff(op: string, nondiff: readonly number[]): Set<number> {
  for (const a of nondiff) {
    if (!Number.isInteger(a) || a < 0) throw new ValueError(`${op}: nondiffArgnums must be non-negative integers, got ${jsonOf(nondiff)}`);
  }
  if (new Set(nondiff).size !== nondiff.length) throw new ValueError(`${op}: nondiffArgnums ${jsonOf(nondiff)} contains duplicates`);
  return new Set(nondiff);
}

/** How one call splits its arguments and outputs. */
interface CallShape {
  readonly nondiffArgs: unknown[];
  /** Differentiable arguments, in order, with their structure. */
  readonly diffArgs: { readonly value: unknown; readonly def: TreeDef; readonly leaves: readonly unknown[] }[];
  /** Float Tensor leaves of the differentiable arguments (the call's inputs). */
  readonly inputs: Node[];
  readonly out: { readonly def: TreeDef; readonly leaves: readonly unknown[] };
  /** Positions of the float Tensor leaves of the output. */
  readonly floatOut: number[];
}

function splitCall(op: string, nondiff: ReadonlySet<number>, args: readonly unknown[], out: unknown): CallShape {
  for (const i of nondiff) {
    if (i >= args.length) throw new ValueError(`${op}: nondiffArgnums ${[...nondiff].join(",")} is out of range for a call with ${args.length} argument(s)`);
  }
  const nondiffArgs = args.filter((_, i) => nondiff.has(i));
  const diffArgs = args.filter((_, i) => !nondiff.has(i)).map((value) => {
    const [leaves, def] = tree.flatten(value);
    return { value, def, leaves };
  });
  const inputs = diffArgs.flatMap((a) => a.leaves).filter((l): l is Tensor => l instanceof Tensor && isFloat(l.dtype)).map((t) => t.node);
  const [outLeaves, outDef] = tree.flatten(out);
  const floatOut = outLeaves.flatMap((l, i) => (l instanceof Tensor && isFloat(l.dtype) ? [i] : []));
  return { nondiffArgs, diffArgs, inputs, out: { def: outDef, leaves: outLeaves }, floatOut };
}

/** Replaces the float output leaves by `nodes` (the barriers). */
function withOutputs(shape: CallShape, nodes: readonly Node[]): unknown {
  const leaves = [...shape.out.leaves];
  shape.floatOut.forEach((i, k) => (leaves[i] = new Tensor(nodes[k]!, (leaves[i] as Tensor).weak)));
  return tree.unflatten(shape.out.def, leaves);
}

/** A derivative given by a rule for a float leaf: a Tensor of its shape and dtype, or a number. */
function ruleLeaf(op: string, what: string, v: unknown, like: Node): Tensor | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return npUtil.fullRaw(like.aval.shape, v, like.aval.dtype);
  if (!(v instanceof Tensor)) throw new ValueError(`${op}: ${what} must be a Tensor, a number or null, got ${typeof v}`);
  if (v.shape.join() !== like.aval.shape.join()) throw new ShapeError(`${op}: ${what} has shape [${v.shape}] but should have shape [${like.aval.shape}]`);
  if (v.dtype !== like.aval.dtype) throw new DTypeError(`${op}: ${what} has dtype ${v.dtype} but should be ${like.aval.dtype}`);
  return v;
}

/** Per-input derivatives from a rule's per-argument pytrees (`null` = zero for the whole argument). */
function perInput(op: string, shape: CallShape, given: readonly unknown[], what: string): (Tensor | null)[] {
  const result: (Tensor | null)[] = [];
  shape.diffArgs.forEach((a, i) => {
    const g = given[i];
    const gl = g === null || g === undefined ? null : tree.flatten(g);
    if (gl && tree.structureKey(gl[1]) !== tree.structureKey(a.def)) {
      throw new ValueError(`${op}: ${what} ${i} has structure ${tree.structureKey(gl[1])} but the argument has ${tree.structureKey(a.def)}`);
    }
    a.leaves.forEach((l, j) => {
      if (l instanceof Tensor && isFloat(l.dtype)) result.push(gl ? ruleLeaf(op, `${what} ${i}`, gl[0][j], l.node) : null);
    });
  });
  return result;
}

/** A pytree shaped like the output with `values` at the float leaves and zeros elsewhere. */
function outputTree(shape: CallShape, values: readonly (Tensor | null)[]): unknown {
  const leaves = shape.out.leaves.map((l) => (l instanceof Tensor ? zerosLike(l.node) : l));
  shape.floatOut.forEach((i, k) => (leaves[i] = values[k] ?? zerosLike((shape.out.leaves[i] as Tensor).node)));
  return tree.unflatten(shape.out.def, leaves);
}

/** Per-argument pytrees from per-input values (zeros for int leaves, numbers passed through). */
function argTrees(shape: CallShape, values: readonly (Tensor | null)[]): unknown[] {
  let k = 0;
  return shape.diffArgs.map((a) =>
    tree.unflatten(a.def, a.leaves.map((l) => {
      if (!(l instanceof Tensor)) return l;
      return isFloat(l.dtype) ? (values[k++] ?? zerosLike(l.node)) : zerosLike(l.node);
    })),
  );
}

/** The float output leaves of a rule's result pytree, checked against the call's output. */
function outputLeaves(op: string, shape: CallShape, value: unknown, what: string): (Tensor | null)[] {
  const [leaves, def] = tree.flatten(value);
  if (tree.structureKey(def) !== tree.structureKey(shape.out.def)) {
    throw new ValueError(`${op}: ${what} has structure ${tree.structureKey(def)} but the function's output has ${tree.structureKey(shape.out.def)}`);
  }
  return shape.floatOut.map((i) => ruleLeaf(op, what, leaves[i], (shape.out.leaves[i] as Tensor).node));
}

function fnName(fn: AnyFunction): string {
  return fn.name || "fn";
}

/**
 * Gives `fn` a custom backward rule (JAX's `custom_vjp`).
 * @example
 * const clipGradient = customVjp((x: Tensor, t: number) => x);
 * clipGradient.defVjp((x, t) => [x, t], (t, g) => [g.clip(-t, t), null]);
 * grad((x) => clipGradient(x, 0.5).pow(3).sum())(np.array([2, -3, 1])); // [0.5, 0.5, 0.5]
 */
export function customVjp(fn: AnyFunction, opts: CustomOptions = {}, ...extra: undefined[]): CustomVjpFunction {
  checkFunction("customVjp", "fn", fn);
  opts = npUtil.optionsOf("customVjp", opts, "customVjp", extra);
  const op = `customVjp(${fnName(fn)})`;
  checkNotAsync(op, fn);
  const nondiff = checkNondiff(op, opts.nondiffArgnums ?? []);
  let rule: { fwd: (...args: any[]) => [unknown, unknown]; bwd: (...args: any[]) => readonly unknown[] } | null = null;
  const f = ((...args: unknown[]) => {
    if (!rule) throw new ValueError(`${op}: no backward rule defined; call defVjp(fwd, bwd) first`);
    const { fwd, bwd } = rule;
    const shape = splitCall(op, nondiff, args, fn(...args));
    if (!shape.inputs.length || !shape.floatOut.length) return withOutputs(shape, shape.floatOut.map((i) => (shape.out.leaves[i] as Tensor).node));
    const fo = fwd(...args);
    if (!Array.isArray(fo) || fo.length !== 2) throw new ValueError(`${op}: fwd must return a pair [out, residuals]`);
    const makeRules = (rebuild: (n: Node) => Node): CustomRules => {
      const res = rebuildTree(fo[1], rebuild);
      const nd = rebuildTree(shape.nondiffArgs, rebuild);
      return {
        vjp: (cts) => {
          const r = bwd(...nd, res, outputTree(shape, cts));
          if (!Array.isArray(r) || r.length !== shape.diffArgs.length) {
            throw new ValueError(`${op}: bwd must return an array with one cotangent per differentiable argument (${shape.diffArgs.length}), got ${Array.isArray(r) ? `${r.length} entries` : typeof r}`);
          }
          return perInput(op, shape, r, "cotangent");
        },
        jvp: () => {
          throw new ValueError(`${op}: can't apply forward-mode autodiff (jvp, jacfwd, hessian) to a customVjp function; use customJvp or jacrev`);
        },
      };
    };
    const values = shape.floatOut.map((i) => (shape.out.leaves[i] as Tensor).node);
    return withOutputs(shape, registerCustomCall(op, shape.inputs, values, makeRules((n) => n), (rebuild) => makeRules(rebuild)));
  }) as CustomVjpFunction;
  f.defVjp = (fwd, bwd) => {
    if (typeof fwd !== "function" || typeof bwd !== "function") throw new ValueError(`${op}: defVjp(fwd, bwd) takes two functions`);
    rule = { fwd, bwd };
    return f;
  };
  return f;
}

/**
 * Gives `fn` a custom forward rule (JAX's `custom_jvp`); reverse mode transposes it.
 * @example
 * const f = customJvp((x: Tensor) => x.sin());
 * f.defJvp(([x], [t]) => [x.sin(), t.mul(x.cos())]);
 * grad((x) => f(x))(0); // 1
 */
export function customJvp(fn: AnyFunction, opts: CustomOptions = {}, ...extra: undefined[]): CustomJvpFunction {
  checkFunction("customJvp", "fn", fn);
  opts = npUtil.optionsOf("customJvp", opts, "customJvp", extra);
  const op = `customJvp(${fnName(fn)})`;
  checkNotAsync(op, fn);
  const nondiff = checkNondiff(op, opts.nondiffArgnums ?? []);
  let rule: ((...args: any[]) => [unknown, unknown]) | null = null;
  const f = ((...args: unknown[]) => {
    if (!rule) throw new ValueError(`${op}: no forward rule defined; call defJvp(rule) first`);
    const jvpRule = rule;
    const shape = splitCall(op, nondiff, args, fn(...args));
    const values = shape.floatOut.map((i) => (shape.out.leaves[i] as Tensor).node);
    if (!shape.inputs.length || !shape.floatOut.length) return withOutputs(shape, values);
    const makeRules = (rebuild: (n: Node) => Node): CustomRules => {
      const primals = rebuildTree(shape.diffArgs.map((a) => a.value), rebuild);
      const nd = rebuildTree(shape.nondiffArgs, rebuild);
      const tangentOut = (tangents: readonly (Tensor | null)[]): (Tensor | null)[] => {
        const r = jvpRule(...nd, primals, argTrees(shape, tangents));
        if (!Array.isArray(r) || r.length !== 2) throw new ValueError(`${op}: the jvp rule must return a pair [out, tangentOut]`);
        return outputLeaves(op, shape, r[1], "tangentOut");
      };
      return {
        jvp: tangentOut,
        // The tangent map is linear: its transpose is its vjp with respect to stand-in tangents.
        vjp: (cts) => {
          const ins = shape.inputs.map((n) => placeholder(n.aval, "tangent"));
          const touts = tangentOut(ins.map((p) => new Tensor(p)));
          const live = touts.flatMap((t, k) => (t && cts[k] ? [k] : []));
          if (!live.length) return ins.map(() => null);
          const g = vjpGraph(live.map((k) => touts[k]!), live.map((k) => cts[k]!), ins);
          // A rule that used a tangent nonlinearly would leave it in the graph: it is zero there.
          const zero = substituter(new Map(ins.map((p) => [p, zerosLike(p).node])), followCustomCalls);
          return g.map((t) => (t ? new Tensor(zero(t.node)) : null));
        },
      };
    };
    return withOutputs(shape, registerCustomCall(op, shape.inputs, values, makeRules((n) => n), (rebuild) => makeRules(rebuild)));
  }) as CustomJvpFunction;
  f.defJvp = (r) => {
    if (typeof r !== "function") throw new ValueError(`${op}: defJvp(rule) takes a function`);
    rule = r;
    return f;
  };
  return f;
}
