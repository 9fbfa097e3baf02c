/**
 * Tracing the user's functions of a control-flow op (control.ts): arguments become placeholders;
 * States the functions read become placeholders too — one set per State, shared by every function
 * of the op, so both branches of a cond (or a loop's cond and body) see the same operand — and
 * writes are recorded, not committed (the op's outputs are written back after it is built). Also
 * the checks that outputs and carries keep their structure, shapes and dtypes, with messages
 * naming both sides.
 */
import {
  type AnyState, DTypeError, type Node, ShapeError, StateError, type StateValue, Tensor, type TreeDef, ValueError, npUtil,
  tree, withStateTrace,
} from "@kiln/core";
import { placeholder } from "./custom-call.js";
import { type Operand } from "./control-build.js";
import { StateEffects, type StateSupply } from "./state-effects.js";
import { checkNotAsync, outputTensors } from "./trace.js";

/** The flattened Tensor leaves of a pytree and its structure. */
export interface Leaves {
  readonly leaves: readonly Tensor[];
  readonly def: TreeDef;
}

const isTensor = (v: unknown): boolean => v instanceof Tensor;
const fmt = (t: Tensor): string => `${t.dtype}[${t.shape.join(",")}]`;

/** The leaves of an operand pytree as Tensors (JS numbers and booleans become weak scalars). */
export function operandLeaves(op: string, value: unknown, what: string): Leaves {
  const [leaves, def] = tree.flatten(value, isTensor);
  return {
    def,
    leaves: leaves.map((l) => {
      if (l instanceof Tensor) return l;
      // A JS integer is an int32 carry (as JAX's weak int): one outside int32's range would wrap
      // (a loop counter starting at 1e12 would run from -727379968), so it is an error, as in JAX.
      if (typeof l === "number" && Number.isInteger(l) && !(l >= -(2 ** 31) && l < 2 ** 31)) {
        throw new ValueError(`${op}: the integer ${l} in ${what} does not fit in int32 (range [-2^31, 2^31)); pass a float32 Tensor (np.array(${l})) for a large value`);
      }
      if (typeof l === "number" || typeof l === "boolean") return npUtil.asTensor(l, op);
      throw new ValueError(`${op}: ${what} must be Tensors, numbers, booleans or pytrees of them; found a leaf of type ${typeof l}`);
    }),
  };
}

/** The output leaves of a traced function (numbers become weak float32 scalars). */
export function resultLeaves(op: string, value: unknown, what: string): Leaves {
  const { leaves, def } = outputTensors(op, value, what);
  return { leaves, def };
}

/** Fresh placeholders standing for `ts` (for `slice`: for one row of each, along axis 0). */
export function placeholdersFor(ts: readonly Tensor[], what: string, slice = false): Tensor[] {
  return ts.map((t) => new Tensor(placeholder({ shape: slice ? t.shape.slice(1) : t.shape, dtype: t.dtype }, what), t.weak));
}

/** Each leaf's path in a structure (`[0]`, `.w`, `[1].b`; empty for a lone leaf), for messages. */
export function leafPaths(def: TreeDef, prefix = ""): string[] {
  switch (def.kind) {
    case "leaf":
      return [prefix];
    case "none":
      return [];
    case "array":
      return def.children.flatMap((c, i) => leafPaths(c, `${prefix}[${i}]`));
    case "object":
      return def.children.flatMap((c, i) => leafPaths(c, `${prefix}.${def.keys[i]}`));
  }
}

/** A State read by the functions of one op: its value outside the op and its placeholders inside. */
export interface StateRead {
  readonly outer: readonly Tensor[];
  readonly inner: readonly Tensor[];
  readonly def: TreeDef;
}

/** The States the functions of one op read, shared by all of them. */
export class StateInputs {
  readonly reads = new Map<AnyState, StateRead>();

  /** The supply of every function's StateEffects: the shared placeholders of a State. */
  readonly supply: StateSupply = (state, parentValue) => {
    const r = this.read(state, parentValue);
    return tree.unflatten<StateValue>(r.def, r.inner);
  };

  /** The State's read, registering it (reading the enclosing context's value) the first time. */
  read(state: AnyState, parentValue: () => StateValue = () => state.value): StateRead {
    let r = this.reads.get(state);
    if (!r) {
      const [outer, def] = tree.flatten(parentValue(), isTensor) as [Tensor[], TreeDef];
      r = { outer, inner: placeholdersFor(outer, "state"), def };
      this.reads.set(state, r);
    }
    return r;
  }

  /** The placeholders of the States' values bound to their values outside. */
  operands(states: Iterable<AnyState>): Operand[] {
    return [...states].flatMap((s) => {
      const r = this.reads.get(s)!;
      return r.inner.map((t, i) => ({ ph: t.node, value: r.outer[i]!.node }));
    });
  }
}

/** Runs a user function of an op with its State accesses recorded. */
export function traceFn(op: string, name: string, fn: unknown, args: readonly unknown[], states: StateInputs): { out: unknown; effects: StateEffects } {
  if (typeof fn !== "function") throw new ValueError(`${op}: ${name} must be a function, got ${fn === null ? "null" : typeof fn}`);
  checkNotAsync(`${op} (${name})`, fn);
  const effects = new StateEffects(states.supply);
  const out = withStateTrace(effects, () => (fn as (...a: unknown[]) => unknown)(...args));
  return { out, effects };
}

/**
 * The leaves of a value written to `state` inside the op, which must look like its value
 * outside (`who` names the function for the message).
 */
export function writtenLeaves(op: string, who: string, state: AnyState, value: StateValue, read: StateRead): Tensor[] {
  const [leaves, def] = tree.flatten(value, isTensor) as [Tensor[], TreeDef];
  if (tree.structureKey(def) !== tree.structureKey(read.def)) {
    throw new StateError(`${op}: ${who} changes the structure of ${state.describe()} from ${tree.structureKey(read.def)} to ${tree.structureKey(def)}`);
  }
  leaves.forEach((t, i) => {
    const was = read.outer[i]!;
    if (t.dtype === was.dtype && t.shape.join() === was.shape.join()) return;
    const E = t.dtype === was.dtype ? ShapeError : DTypeError;
    throw new E(`${op}: ${who} changes ${state.describe()} from ${fmt(was)} to ${fmt(t)}; a State written inside ${op} must keep its shape and dtype`);
  });
  return leaves;
}

/** The same structure on both sides, or a ValueError naming both. */
export function checkStructure(op: string, a: { name: string; def: TreeDef }, b: { name: string; def: TreeDef }, what: string): void {
  const ka = tree.structureKey(a.def), kb = tree.structureKey(b.def);
  if (ka !== kb) throw new ValueError(`${op}: ${what} must have the same structure; ${a.name} is ${ka} but ${b.name} is ${kb}`);
}

/**
 * Equal shapes and dtypes leaf by leaf, or a ShapeError/DTypeError naming the leaf and both sides
 * (`hint` ends the message).
 */
export function checkAvals(op: string, what: string, def: TreeDef, a: { name: string; leaves: readonly Tensor[] }, b: { name: string; leaves: readonly Tensor[] }, hint = ""): void {
  const paths = leafPaths(def);
  a.leaves.forEach((x, i) => {
    const y = b.leaves[i]!;
    if (x.dtype === y.dtype && x.shape.join() === y.shape.join()) return;
    const E = x.shape.join() !== y.shape.join() ? ShapeError : DTypeError;
    const prop = x.shape.join() !== y.shape.join() ? "shape" : "dtype";
    throw new E(`${op}: ${what}${paths[i] ?? ""} has ${prop} ${prop === "shape" ? `[${x.shape}]` : x.dtype} in ${a.name} but ${prop === "shape" ? `[${y.shape}]` : y.dtype} in ${b.name} (${fmt(x)} vs ${fmt(y)})${hint}`);
  });
}

/**
 * A weakly typed init leaf (a JS number) whose carry comes back with another dtype is promoted to
 * it, as JAX does (`scan(f, 0, xs)` with a float carry). Returns the new init, or null if none changed.
 */
export function promoteWeakInit(init: readonly Tensor[], out: readonly Tensor[]): Tensor[] | null {
  let changed = false;
  const next = init.map((t, i) => {
    const o = out[i]!;
    if (!t.weak || t.dtype === o.dtype || t.shape.join() !== o.shape.join()) return t;
    changed = true;
    return new Tensor(npUtil.astypeRaw(t, o.dtype).node, o.weak);
  });
  return changed ? next : null;
}

/** Writes the op's State outputs back in the enclosing context (a trace records them; eager code commits). */
export function writeBack(states: StateInputs, written: readonly AnyState[], nodes: readonly Node[]): void {
  let k = 0;
  for (const s of written) {
    const r = states.reads.get(s)!;
    const leaves = nodes.slice(k, (k += r.inner.length)).map((n, i) => new Tensor(n, r.outer[i]!.weak));
    s.value = tree.unflatten<StateValue>(r.def, leaves);
  }
}
