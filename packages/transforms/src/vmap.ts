/**
 * `vmap`: the vectorizing map. `fn` is traced once on per-example placeholders (the mapped axis
 * removed) and the traced graph is mapped to a batched graph by the batching rules
 * (vmap-graph.ts, rules/batch.ts), with the real arguments' batch axes moved to the front. The
 * result is lazy Tensors over ordinary primitives, so vmap composes with grad, jit, the jacobians
 * and itself.
 *
 * Unlike grad, the placeholders are not bound to the arguments' values: a value-dependent JS
 * branch on a mapped value has no single answer and is a ConcretizationError, as in JAX.
 *
 * States read inside are shared by the whole batch unless `stateAxes` gives them a batch axis;
 * writes are checked before anything is committed, so a batched value written to an unbatched
 * State is a StateError that leaves every State as it was.
 */
import { npUtil } from "@kiln/core";
import { jsonOf } from "@kiln/core";
import {
  type AnyState, IndexError, type Node, State, StateError, type StateFilter, type StateValue, Tensor, ValueError, describeValue,
  toStatePredicate, tree, withStateTrace,
} from "@kiln/core";
import { placeholder } from "./custom-call.js";
import { type BatchedNode, lift, moveAxis } from "./rules/batch.js";
import { StateEffects, commitOrForward } from "./state-effects.js";
import { checkNotAsync, outputTensors, type AnyFunction } from "./trace.js";
import { batchNodes } from "./vmap-graph.js";

/** An axis per leaf: a number (negative counts from the end), `null` (not mapped), or a pytree prefix of those. */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

/** States (or filters selecting them: a State class, a predicate, a glob on the State's name) and their batch axis. */
export type StateAxes = ReadonlyMap<AnyState | StateFilter, number> | readonly (readonly [AnyState | StateFilter, number])[];

export interface VmapOptions {
  /** Per argument, the axis to map over (default 0): a number, `null`, or an array with one pytree prefix per argument. */
  inAxes?: AxisSpec;
  /** Where the batch axis goes in each output (default 0); `null` for an output that is the same for every example. */
  outAxes?: AxisSpec;
  /** The batch size when no argument is mapped (must agree with the mapped arguments otherwise). */
  axisSize?: number;
  /** States with a batch axis; every other State read inside is shared by the whole batch. */
  stateAxes?: StateAxes;
}

const isTensor = (v: unknown): v is Tensor => v instanceof Tensor;
const fmtShape = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

function checkSpec(what: string, spec: unknown, depth = 0): void {
  if (spec === null || (typeof spec === "number" && Number.isInteger(spec))) return;
  // Axis specs mirror pytrees, which are a few levels deep: past 64 the spec contains itself.
  if (depth >= 64) throw new ValueError(`vmap: ${what} is nested deeper than 64 levels (or contains itself)`);
  if (Array.isArray(spec)) return spec.forEach((s) => checkSpec(what, s, depth + 1));
  if (spec !== undefined && typeof spec === "object" && Object.getPrototypeOf(spec) === Object.prototype) {
    return Object.values(spec as object).forEach((s) => checkSpec(what, s, depth + 1));
  }
  throw new ValueError(`vmap: ${what} entries must be integers or null (or arrays/objects of them), got ${describeValue(spec)}`);
}

/** One axis per leaf of `value` (tree.flatten order), `spec` being a pytree prefix of `value`. */
function axesOfLeaves(spec: AxisSpec, value: unknown, what: string): (number | null)[] {
  const out: (number | null)[] = [];
  const mismatch = (): never => {
    throw new ValueError(
      `vmap: ${what} must be a pytree prefix of the value it describes, got ${jsonOf(spec)} for a value of structure ${tree.structureKey(tree.structure(value))}`,
    );
  };
  const walk = (s: AxisSpec, v: unknown): void => {
    if (s === null || typeof s === "number") {
      for (let n = tree.flatten(v)[0].length; n > 0; n--) out.push(s);
    } else if (Array.isArray(s)) {
      if (!Array.isArray(v) || v.length !== s.length) mismatch();
      s.forEach((si, i) => walk(si, (v as unknown[])[i]));
    } else {
      const obj = s as Record<string, AxisSpec>;
      if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Tensor) mismatch();
      const keys = Object.keys(v as object).sort();
      if (keys.join("\u0000") !== Object.keys(obj).sort().join("\u0000")) mismatch();
      for (const k of keys) walk(obj[k]!, (v as Record<string, unknown>)[k]);
    }
  };
  walk(spec, value);
  return out;
}

/** `axis` as a non-negative axis of a rank-`rank` value, or an IndexError naming the value. */
function normAxis(axis: number, rank: number, what: string, shape: readonly number[]): number {
  if (axis < -rank || axis >= rank) {
    throw new IndexError(`vmap: axis ${axis} is out of range for ${what} of rank ${rank} (shape ${fmtShape(shape)})`);
  }
  return axis < 0 ? axis + rank : axis;
}

function stateAxisTable(stateAxes: StateAxes | undefined): (state: AnyState) => number | null {
  if (stateAxes === undefined) return () => null;
  const entries = stateAxes instanceof Map ? [...stateAxes] : Array.isArray(stateAxes) ? [...stateAxes] : null;
  if (!entries) throw new ValueError(`vmap: stateAxes must be a Map or an array of [State or filter, axis] pairs, got ${describeValue(stateAxes)}`);
  const matchers = entries.map((e) => {
    if (!Array.isArray(e) || e.length !== 2 || !Number.isInteger(e[1])) {
      throw new ValueError(`vmap: each stateAxes entry must be a [State or filter, integer axis] pair, got ${describeValue(e)}`);
    }
    const [key, axis] = e as [unknown, number];
    if (key instanceof State) return { matches: (s: AnyState) => s === key, axis };
    const pred = toStatePredicate(key as StateFilter, "vmap stateAxes");
    // Filters see the State's name as its path (a State has no module path here).
    return { matches: (s: AnyState) => pred(s.name ?? "", s), axis };
  });
  return (state) => matchers.find((m) => m.matches(state))?.axis ?? null;
}

/**
 * Vectorizes `fn` over a batch axis of its arguments (JAX's `vmap`): `vmap(fn)(xs)` computes
 * `fn` on every slice of `xs` along axis 0 and stacks the results along axis 0, as one graph.
 *
 * - `inAxes`: the mapped axis of each argument — a number (all arguments), `null` (an argument
 *   shared by every example), or an array with one entry per argument, each a pytree prefix of
 *   the argument. Negative axes count from the end. Every mapped axis must have the same size.
 * - `outAxes`: where the batch axis goes in the outputs (same forms, a prefix of the output). An
 *   output that does not depend on a mapped input is broadcast; `null` keeps it unbatched (and is
 *   an error for an output that does depend on one).
 * - `axisSize`: the batch size when nothing is mapped.
 * - `stateAxes`: a Map (or an array of pairs) from a State — or a filter: a State class, a
 *   predicate `(name, state) => boolean`, a glob on the State's name — to its batch axis. Other
 *   States read inside are the same for every example; writing a value that differs per example
 *   to one of them is a StateError (nothing is committed). Batched States are read per example
 *   and written back with the batch axis in place.
 * @example
 * const dot = (a: Tensor, b: Tensor) => a.mul(b).sum();
 * vmap(dot)(np.ones([5, 3]), np.ones([5, 3])).shape;               // [5]
 * vmap(dot, { inAxes: [0, null] })(np.ones([5, 3]), np.ones([3])); // 5 dot products with one vector
 * vmap(dot, [0, null])(np.ones([5, 3]), np.ones([3]));              // JAX's positional in_axes, out_axes
 * @example
 * // Per-example gradients.
 * const loss = (w: Tensor, x: Tensor, y: Tensor) => x.matmul(w).sub(y).square().sum();
 * const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] })(w, xs, ys); // [B, ...w.shape]
 */
export function vmap<F extends AnyFunction>(fn: F, ...args: npUtil.Positional<"vmap", VmapOptions>): (...args: Parameters<F>) => ReturnType<F> {
  const opts = npUtil.positionalOptions<VmapOptions>("vmap", args);
  if (typeof fn !== "function") throw new ValueError(`vmap: expected a function, got ${describeValue(fn)}`);
  checkNotAsync("vmap", fn);
  const { inAxes = 0, outAxes = 0, axisSize, stateAxes } = opts;
  checkSpec("inAxes", inAxes);
  checkSpec("outAxes", outAxes);
  if (inAxes !== null && typeof inAxes === "object" && !Array.isArray(inAxes)) {
    throw new ValueError(`vmap: inAxes must be a number, null or an array with one entry per argument; to describe an object argument wrap it: inAxes: [${jsonOf(inAxes)}]`);
  }
  if (axisSize !== undefined && !(Number.isInteger(axisSize) && axisSize >= 0)) {
    throw new ValueError(`vmap: axisSize must be a non-negative integer, got ${describeValue(axisSize)}`);
  }
  const stateAxisOf = stateAxisTable(stateAxes);

  return ((...args: unknown[]) => {
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new ValueError(
        `vmap: inAxes must have one entry per positional argument, but it has ${inAxes.length} and the function was called with ${args.length}`,
      );
    }
    // Mapped leaves: where they come from, their batch axis and size.
    const sizes: string[] = [];
    let size = axisSize;
    let consistent = true;
    const noteSize = (n: number, what: string) => {
      sizes.push(`  ${what} has size ${n}`);
      if (size === undefined) size = n;
      else if (size !== n) consistent = false;
    };
    const seeds = new Map<Node, BatchedNode>();
    const mapLeaf = (leaf: unknown, axis: number | null, what: string): unknown => {
      if (axis === null) return leaf;
      if (!(leaf instanceof Tensor)) {
        throw new ValueError(`vmap: ${what} is ${describeValue(leaf)}, which has no axis ${axis} to map over; pass null in inAxes for it, or a Tensor`);
      }
      const ax = normAxis(axis, leaf.ndim, what, leaf.shape);
      noteSize(leaf.shape[ax]!, `${what} (shape ${fmtShape(leaf.shape)}) along axis ${axis}`);
      const ph = placeholder({ shape: leaf.shape.filter((_, i) => i !== ax), dtype: leaf.dtype }, "vmap_arg");
      seeds.set(ph, { node: moveAxis(leaf, ax, 0).node, batched: true });
      return new Tensor(ph, leaf.weak);
    };
    const traced = args.map((arg, i) => {
      const spec = Array.isArray(inAxes) ? (inAxes[i] as AxisSpec) : inAxes;
      const axes = axesOfLeaves(spec, arg, `inAxes[${i}]`);
      const [leaves, def] = tree.flatten(arg);
      const one = leaves.length === 1 && def.kind === "leaf";
      return tree.unflatten(def, leaves.map((l, j) => mapLeaf(l, axes[j]!, `argument ${i}${one ? "" : ` (leaf ${j})`}`)));
    });
    const inconsistent = () =>
      new ValueError(`vmap got inconsistent sizes for array axes to be mapped:\n${[...(axisSize !== undefined ? [`  axisSize is ${axisSize}`] : []), ...sizes].join("\n")}`);
    if (!consistent) throw inconsistent();
    if (size === undefined && stateAxes === undefined) {
      throw new ValueError(`vmap must have at least one non-null value in inAxes, or be given axisSize`);
    }

    // States: batched ones are read per example (placeholders), the others pass through.
    const effects = new StateEffects((state, parentValue) => {
      const value = parentValue();
      const axis = stateAxisOf(state);
      if (axis === null) return value;
      const [leaves, def] = tree.flatten(value, isTensor);
      return tree.unflatten<StateValue>(def, leaves.map((l, j) => mapLeaf(l, axis, `${state.describe()}${leaves.length > 1 ? ` (leaf ${j})` : ""}`)));
    });
    const result = withStateTrace(effects, () => fn(...traced));
    if (!consistent) throw inconsistent();
    if (size === undefined) throw new ValueError(`vmap must have at least one non-null value in inAxes, or be given axisSize`);
    const B = size;

    const { leaves: outs, def: outDef } = outputTensors("vmap", result);
    const outAx = axesOfLeaves(outAxes, result, "outAxes");
    const writes = [...effects.writes].map(([state, value]) => ({ state, leaves: tree.flatten(value, isTensor) }));
    const all = batchNodes([...outs, ...writes.flatMap((w) => w.leaves[0] as Tensor[])].map((t) => t.node), seeds, B);

    const outputs = outs.map((o, j) => {
      const b = all[j]!;
      const axis = outAx[j]!;
      if (axis === null) {
        if (b.batched) throw new ValueError(`vmap has mapped output but outAxes is null: output leaf ${j} (per-example shape ${fmtShape(o.shape)}) depends on a mapped input`);
        return new Tensor(b.node, o.weak);
      }
      const ax = normAxis(axis, o.ndim + 1, `output leaf ${j}`, [B, ...o.shape]);
      return moveAxis(lift(new Tensor(b.node, o.weak), b.batched, B), 0, ax);
    });

    // Every write is checked before any is committed.
    let k = outs.length;
    const commits = writes.map(({ state, leaves: [ls, def] }) => {
      const axis = stateAxisOf(state);
      const vals = (ls as Tensor[]).map((l) => ({ l, b: all[k++]! }));
      if (axis === null) {
        if (vals.some((v) => v.b.batched)) {
          throw new StateError(
            `vmap: ${state.describe()} is written with a value that differs per example (it depends on a mapped input), ` +
              `but the State has no batch axis; give it one with stateAxes (e.g. stateAxes: [[state, 0]]) or write a value shared by the batch`,
          );
        }
        return [state, tree.unflatten<StateValue>(def, vals.map(({ l, b }) => new Tensor(b.node, l.weak)))] as const;
      }
      const batched = vals.map(({ l, b }) => moveAxis(lift(new Tensor(b.node, l.weak), b.batched, B), 0, normAxis(axis, l.ndim + 1, state.describe(), [B, ...l.shape])));
      return [state, tree.unflatten<StateValue>(def, batched)] as const;
    });
    commitOrForward(commits);
    return tree.unflatten(outDef, outputs);
  }) as (...args: Parameters<F>) => ReturnType<F>;
}

// np.applyAlongAxis and np.vectorize (in core, which cannot import this package) map with vmap.
npUtil.registerVmap((fn, opts) => vmap(fn, opts) as typeof fn);
