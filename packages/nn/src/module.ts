/**
 * `Module`: the base of every layer and model (BrainState's `nn.Module`). A module declares its
 * States and sub-modules as fields; `states()` discovers them by walking those fields, so there is
 * no registration step. Paths are dotted field names (`"layer1.weight"`, `"layers.0.weight"` for
 * arrays), sorted segment by segment.
 */
import { type AnyState, State, defineKey, ownValue } from "@kiln/core";
import { type StateClass, type StateFilter, type StatePredicate, compareSegments, toStatePredicate } from "@kiln/core";
import { type StateDict, loadStateDictInto, stateDictOf } from "./state-dict.js";

/**
 * Base class of layers and models. Subclasses declare `ParamState`s (and other States) and
 * sub-modules as fields, and define `call(...)`, the forward computation.
 * @example
 * class LinearRegressor extends nn.Module {
 *   weight = new ParamState(np.zeros([1, 1]));
 *   bias = new ParamState(np.zeros([1]));
 *   call(x: Tensor) { return x.matmul(this.weight.value).add(this.bias.value); }
 * }
 * new LinearRegressor().states(ParamState); // { bias: ParamState, weight: ParamState }
 */
export abstract class Module {
  /** The forward computation. */
  // `any`: each subclass declares its own parameters and result (unknown[] would reject them).
  abstract call(...args: any[]): any;

  /**
   * The States reachable from this module's fields, keyed by dotted path in sorted order. A State
   * reachable along several paths is listed once, under its first path in that order.
   * `filter`: a State class (`ParamState`), a predicate `(path, state) => boolean`, or a path glob
   * (`"layer1.*"`, `"*.bias"`).
   * @example model.states(ParamState) // { "layer1.bias": ..., "layer1.weight": ..., "layer2.bias": ... }
   */
  // The predicate overload comes first so an arrow function's parameters are typed from it.
  states(filter: StatePredicate): Record<string, AnyState>;
  states<S extends AnyState>(filter: StateClass<S>): Record<string, S>;
  states(filter?: StateFilter): Record<string, AnyState>;
  states(filter?: StateFilter): Record<string, AnyState> {
    return collectStates(this, filter, "states");
  }

  /**
   * A frozen snapshot `{ path: value }` of the (filtered) States' values. The record and any pytree
   * containers inside it are deep-frozen (immer `freeze`); the Tensors are immutable handles.
   * @example const snap = model.stateDict(); ...; model.loadStateDict(snap);
   */
  stateDict(filter?: StateFilter): StateDict {
    return stateDictOf(collectStates(this, filter, "stateDict"));
  }

  /**
   * Restores values from a `stateDict()` snapshot. Keys must match the (filtered) States exactly
   * and every value must have the State's structure, shapes and dtypes; everything is checked
   * before anything is assigned, then all States are committed at once (each stream emits once).
   * Throws `StateError` naming the missing/unexpected keys or the path and both shapes/dtypes.
   * @example model.loadStateDict(snapshot);
   */
  loadStateDict(snapshot: StateDict, filter?: StateFilter): void {
    loadStateDictInto(collectStates(this, filter, "loadStateDict"), snapshot, "loadStateDict");
  }
}

/** Containers `states()` walks into: modules, arrays and plain objects (not Tensors or other classes). */
function isContainer(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  if (v instanceof Module || Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Visits every State reachable from `root` once, depth first with children in sorted key order —
 * which is exactly sorted path order, so the first path a State is met along is its smallest.
 * `visitModule`, if given, sees every reachable Module once (root included), before its fields.
 * @example walkStates(model, (path, s) => console.log(path.join("."), s.describe()))
 */
export function walkStates(
  root: unknown, visit: (path: readonly string[], state: AnyState) => void, visitModule?: (path: readonly string[], module: Module) => void,
): void {
  const seen = new Set<object>();
  const go = (node: unknown, path: string[]): void => {
    if (node instanceof State) {
      if (!seen.has(node)) {
        seen.add(node);
        visit(path, node);
      }
      return;
    }
    if (!isContainer(node) || seen.has(node)) return; // also breaks reference cycles
    seen.add(node);
    if (visitModule && node instanceof Module) visitModule(path, node);
    const keys = Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node).sort(compareSegments);
    for (const k of keys) go(node[k], [...path, k]);
  };
  go(root, []);
}

/**
 * The flat `{ path: State }` record behind `Module.states` (works on any module, array or object).
 * @example collectStates([encoder, decoder], ParamState, "states") // { "0.bias": ..., "1.weight": ... }
 */
export function collectStates(root: unknown, filter: StateFilter | undefined, who: string): Record<string, AnyState> {
  const keep = toStatePredicate(filter, who);
  const out: Record<string, AnyState> = {};
  walkStates(root, (segs, s) => {
    const path = segs.join(".");
    if (keep(path, s)) defineKey(out, path, s);
  });
  return out;
}

/** A nested record of States, one level per path segment. */
export interface NestedStates {
  [key: string]: AnyState | NestedStates;
}

/** `treefyStates`' result: nested States plus a non-enumerable `toFlat()` on every level. */
export type TreefiedStates = NestedStates & {
  /** The same States as a flat `{ "a.b": State }` record (paths relative to this level). */
  toFlat(): Record<string, AnyState>;
};

/**
 * The States of a module (or any array/object of modules and States) as a nested record:
 * `{ layer1: { weight: State, bias: State } }`. Every level has a non-enumerable `toFlat()`
 * returning the flat record `module.states(filter)` would give. Array indices become string keys.
 * @example treefyStates(model, ParamState).layer1 // { bias: ParamState, weight: ParamState }
 * @example treefyStates(model, ParamState).toFlat() // { "layer1.bias": ..., "layer1.weight": ... }
 */
export function treefyStates(root: unknown, filter?: StateFilter): TreefiedStates {
  const top = nestedLevel();
  for (const [path, s] of Object.entries(collectStates(root, filter, "treefyStates"))) {
    const segs = path.split(".");
    let level: NestedStates = top;
    // Keys are user field names: "__proto__" or "constructor" must stay data (never reach Object.prototype).
    for (const seg of segs.slice(0, -1)) {
      let next = ownValue(level, seg);
      if (next === undefined) defineKey(level, seg, (next = nestedLevel()));
      level = next as NestedStates;
    }
    defineKey(level, segs[segs.length - 1]!, s);
  }
  return top;
}

function nestedLevel(): TreefiedStates {
  const level = {} as TreefiedStates;
  Object.defineProperty(level, "toFlat", { value: () => flattenNested(level), enumerable: false });
  return level;
}

function flattenNested(level: NestedStates): Record<string, AnyState> {
  const out: Record<string, AnyState> = {};
  const go = (node: NestedStates, prefix: string): void => {
    for (const k of Object.keys(node).sort(compareSegments)) {
      const v = node[k]!;
      const path = prefix ? `${prefix}.${k}` : k;
      if (v instanceof State) defineKey(out, path, v);
      else go(v, path);
    }
  };
  go(level, "");
  return out;
}
