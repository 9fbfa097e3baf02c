/**
 * State-dict snapshots: `stateDictOf` freezes the current values of a `{ path: State }` record;
 * `loadStateDictInto` validates a snapshot against the States completely before it assigns
 * anything, then commits every value in one `commitStateWrites` (all-or-nothing, one emission each).
 */
import { jsonOf } from "@kiln/core";
import { type AnyState, type StateValue, StateError, Tensor, commitStateWrites, isTracingStates, tree } from "@kiln/core";
import { freeze } from "immer";
import { defineKey, describeValue } from "@kiln/core";

/** A frozen `{ path: value }` snapshot of States' values. */
export type StateDict = Readonly<Record<string, StateValue>>;

/** Fresh pytree containers around the same (immutable) Tensors, so freezing never touches a State. */
function copyValue(v: StateValue): StateValue {
  const [leaves, def] = tree.flatten(v);
  return tree.unflatten<StateValue>(def, leaves);
}

/**
 * Snapshots the States' current values into a deep-frozen record.
 * @example Object.isFrozen(stateDictOf({ w })) // true
 */
export function stateDictOf(states: Readonly<Record<string, AnyState>>): StateDict {
  const snap: Record<string, StateValue> = {};
  for (const [path, s] of Object.entries(states)) defineKey(snap, path, copyValue(s.value as StateValue));
  return freeze(snap, true);
}

const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** Problems with one path's value, as message fragments (empty when it fits). */
function valueProblems(path: string, current: StateValue, given: unknown): string[] {
  const [cur, curDef] = tree.flatten(current);
  const [giv, givDef] = tree.flatten(given);
  const curKey = tree.structureKey(curDef), givKey = tree.structureKey(givDef);
  if (curKey !== givKey) return [`"${path}" has structure ${curKey} in the module but ${givKey} in the state dict`];
  const problems: string[] = [];
  giv.forEach((g, i) => {
    const c = cur[i] as Tensor;
    const where = cur.length === 1 ? `"${path}"` : `"${path}" (leaf ${i})`;
    if (!(g instanceof Tensor)) problems.push(`${where} must be a Tensor, got ${describeValue(g)}`);
    else if (g.shape.length !== c.shape.length || g.shape.some((d, j) => d !== c.shape[j])) {
      problems.push(`${where} has shape ${fmt(c.shape)} in the module but ${fmt(g.shape)} in the state dict`);
    } else if (g.dtype !== c.dtype) problems.push(`${where} has dtype ${c.dtype} in the module but ${g.dtype} in the state dict`);
  });
  return problems;
}

/**
 * Assigns a snapshot to the States with the same paths, or throws `StateError` and changes nothing.
 * @example loadStateDictInto(model.states(), snapshot, "loadStateDict")
 */
export function loadStateDictInto(states: Readonly<Record<string, AnyState>>, snapshot: StateDict, who: string): void {
  if (snapshot === null || typeof snapshot !== "object" || Array.isArray(snapshot)) {
    throw new StateError(`${who}: expected a state dict { path: value }, got ${describeValue(snapshot)}`);
  }
  const expected = Object.keys(states), given = Object.keys(snapshot);
  const missing = expected.filter((k) => !Object.hasOwn(snapshot, k));
  const extra = given.filter((k) => !Object.hasOwn(states, k));
  if (missing.length || extra.length) {
    const parts = [];
    if (missing.length) parts.push(`missing keys ${jsonOf(missing)}`);
    if (extra.length) parts.push(`unexpected keys ${jsonOf(extra)}`);
    throw new StateError(`${who}: the state dict does not match the module's States: ${parts.join("; ")}`);
  }
  const problems = expected.flatMap((path) => valueProblems(path, states[path]!.value as StateValue, snapshot[path]));
  if (problems.length) throw new StateError(`${who}: ${problems.join("; ")}`);
  const writes = new Map(expected.map((path) => [states[path]!, copyValue(snapshot[path]!)] as const));
  // Inside a transform the writes go to the trace (committed when it finishes), as any State write.
  if (isTracingStates()) for (const [s, v] of writes) s.value = v;
  else commitStateWrites(writes);
}
