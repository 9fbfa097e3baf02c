/**
 * State effects of one traced call, shared by GradientTransform, StateFinder and every
 * `traceCall`: a `StateTrace` that answers reads (a write made earlier in the same call, else a
 * value the owner supplies, else the enclosing context's value) and records writes without
 * committing them. The owner commits the writes in one step once everything that can fail has run
 * (`commitOrForward`), so a failure leaves every State and stream as it was.
 *
 * Also the `gradStates` option: which States a gradient transform differentiates, in what
 * container shape (a State, an array or a record of States, or any pytree of them).
 */
import {
  type AnyState, DTypeError, State, type StateTrace, type StateValue, Tensor, type TreeDef, ValueError, commitStateWrites,
  describeValue, isFloat, isTracingStates, tree,
} from "@kiln/core";

/** Supplies the value a read sees when the call has not written the State yet. */
export type StateSupply = (state: AnyState, parentValue: () => StateValue) => StateValue;

/**
 * Records the reads and writes of one traced call (see the file comment).
 * @example
 * const fx = new StateEffects();
 * withStateTrace(fx, () => { counter.value = counter.value.add(1); });
 * commitOrForward(fx.writes); // counter advances once, its stream emits once
 */
export class StateEffects implements StateTrace {
  /** Every State read or written, in first-touch order. */
  readonly touched = new Set<AnyState>();
  /** States whose value came from outside the call (read before any write in it), with that value. */
  readonly inputs = new Map<AnyState, StateValue>();
  /** The last value written to each State, in first-write order. */
  readonly writes = new Map<AnyState, StateValue>();

  constructor(private readonly supply: StateSupply = (_s, parentValue) => parentValue()) {}

  read(state: AnyState, parentValue: () => StateValue): StateValue {
    this.touched.add(state);
    const written = this.writes.get(state);
    if (written !== undefined) return written;
    // Cached, so every read of a State in one call sees the same value (and the same placeholders).
    let v = this.inputs.get(state);
    if (v === undefined) this.inputs.set(state, (v = this.supply(state, parentValue)));
    return v;
  }

  write(state: AnyState, value: StateValue): void {
    this.touched.add(state);
    this.writes.set(state, value);
  }
}

/**
 * Makes writes take effect: inside an enclosing trace they become that trace's writes (it commits
 * them, or not, when it finishes); otherwise they are committed at once with `commitStateWrites`
 * (every value assigned, then every stream emits once).
 * @example commitOrForward(new Map([[counter, np.array(1)]]));
 */
export function commitOrForward(writes: Iterable<readonly [AnyState, StateValue]>): void {
  const list = [...writes];
  if (!list.length) return;
  if (isTracingStates()) for (const [s, v] of list) s.value = v;
  else commitStateWrites(new Map(list));
}

/** A parsed `gradStates` option: the States in leaf order, their container, and each one's position. */
export interface GradStates {
  readonly states: readonly AnyState[];
  readonly def: TreeDef;
  readonly index: ReadonlyMap<AnyState, number>;
}

/**
 * Validates `gradStates` (a State, an array or a record of States, or a pytree of them).
 * @example parseGradStates("grad", model.states(ParamState)).states.length // 2
 */
export function parseGradStates(op: string, gradStates: unknown): GradStates {
  const [leaves, def] = tree.flatten(gradStates);
  const index = new Map<AnyState, number>();
  leaves.forEach((s, i) => {
    if (!(s instanceof State)) {
      throw new ValueError(
        `${op}: gradStates must be a State, an array or a record of States (e.g. model.states(ParamState)); found ${describeValue(s)}`,
      );
    }
    if (index.has(s)) throw new ValueError(`${op}: gradStates lists ${s.describe()} twice`);
    index.set(s, i);
  });
  return { states: leaves as AnyState[], def, index };
}

/**
 * The current values of the selected States in the container shape of `gradStates` (each State
 * replaced by its value). They must be float: a gradient of an int or bool State is a DTypeError.
 * @example gradStateValues("grad", parseGradStates("grad", [w])) // [w.value]
 */
export function gradStateValues(op: string, gs: GradStates): unknown {
  const values = gs.states.map((s) => {
    const v = s.value;
    for (const leaf of tree.leaves(v)) {
      if (!(leaf instanceof Tensor) || !isFloat(leaf.dtype)) {
        const dtype = leaf instanceof Tensor ? leaf.dtype : typeof leaf;
        throw new DTypeError(`${op} requires real-valued (float) States, but gradStates holds ${s.describe()} with a leaf of dtype ${dtype}`);
      }
    }
    return v;
  });
  return tree.unflatten(gs.def, values);
}

/**
 * The subtrees of `container` at the leaf positions of `def` (inverse of putting one subtree per
 * leaf): the per-State values inside a traced `gradStates` container.
 * @example subtreesAt(tree.structure([w, b]), [wValue, bValue]) // [wValue, bValue]
 */
export function subtreesAt(def: TreeDef, container: unknown): unknown[] {
  const out: unknown[] = [];
  const walk = (d: TreeDef, v: unknown): void => {
    if (d.kind === "leaf") out.push(v);
    else if (d.kind === "array") d.children.forEach((c, i) => walk(c, (v as unknown[])[i]));
    else if (d.kind === "object") d.children.forEach((c, i) => walk(c, (v as Record<string, unknown>)[d.keys[i]!]));
  };
  walk(def, container);
  return out;
}

/**
 * Applies `f` to the subtree of `x` at each leaf position of `def` (the rest of `x` follows `def`):
 * how per-output-leaf results (Jacobians of a pytree-valued function) are regrouped.
 * @example atLeaves(tree.structure({ a: 1 }), { a: [g0, g1] }, ([v, a]) => [v, [a]]) // { a: [g0, [g1]] }
 */
export function atLeaves(def: TreeDef, x: unknown, f: (sub: unknown) => unknown): unknown {
  switch (def.kind) {
    case "leaf":
      return f(x);
    case "none":
      return x;
    case "array":
      return def.children.map((c, i) => atLeaves(c, (x as unknown[])[i], f));
    case "object":
      return Object.fromEntries(def.keys.map((k, i) => [k, atLeaves(def.children[i]!, (x as Record<string, unknown>)[k], f)]));
  }
}
