/**
 * State filters and state paths. A filter selects States by class (`ParamState`), by a predicate
 * `(path, state) => boolean`, or by a path glob (`"layer1.*"`, `"*.bias"`); paths are dotted
 * (`"layers.0.weight"`) and sort segment by segment, numeric segments numerically.
 */
import { ValueError, describeValue } from "./errors.js";
import { type AnyState, State } from "./state.js";

/** A State class used as a filter: every State that is an instance of it is selected. */
export type StateClass<S extends AnyState = AnyState> = abstract new (...args: any[]) => S;

/** A filter given as a function of the State's dotted path and the State. */
export type StatePredicate = (path: string, state: AnyState) => boolean;

/**
 * What `states(filter)` accepts: a State class, a predicate, or a path glob string in which `*`
 * matches any run of characters (dots included, as Python's `fnmatch`) and `?` one character.
 */
export type StateFilter = StateClass | StatePredicate | string;

/**
 * Whether `f` is `State` or one of its subclasses (rather than a predicate function).
 * @example isStateClass(ParamState) // true; isStateClass((p) => true) // false
 */
export function isStateClass(f: unknown): f is StateClass {
  return typeof f === "function" && (f === State || (f as { prototype?: unknown }).prototype instanceof State);
}

/**
 * Compiles a path glob to an anchored RegExp: `*` → any characters, `?` → one character.
 * @example globToRegExp("*.bias").test("layer1.bias") // true
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*+/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/**
 * Turns any filter into a predicate; absent selects everything. `who` names the caller in errors.
 * @example toStatePredicate(ParamState, "states")("w", new ParamState(np.zeros([1]))) // true
 */
export function toStatePredicate(filter: StateFilter | undefined, who: string): StatePredicate {
  if (filter === undefined || filter === null) return () => true;
  if (typeof filter === "string") {
    const re = globToRegExp(filter);
    return (path) => re.test(path);
  }
  if (isStateClass(filter)) return (_path, state) => state instanceof filter;
  if (typeof filter === "function") return filter as StatePredicate;
  throw new ValueError(`${who}: a filter is a State class, a predicate (path, state) => boolean, or a path glob string; got ${describeValue(filter)}`);
}

const INTEGER = /^\d+$/;

/**
 * Orders dotted paths segment by segment; two integer segments compare numerically, so
 * `layers.2` sorts before `layers.10`.
 * @example ["b", "a.10", "a.2"].sort(comparePaths) // ["a.2", "a.10", "b"]
 */
export function comparePaths(a: string, b: string): number {
  const as = a.split("."), bs = b.split(".");
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = compareSegments(as[i]!, bs[i]!);
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}

/**
 * Segment order: integers numerically (before names), names by code unit.
 * @example ["b", "10", "a", "2"].sort(compareSegments) // ["2", "10", "a", "b"]
 */
export function compareSegments(x: string, y: string): number {
  const xi = INTEGER.test(x), yi = INTEGER.test(y);
  if (xi && yi) return Number(x) - Number(y) || (x < y ? -1 : x > y ? 1 : 0);
  if (xi !== yi) return xi ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

// Defined with the errors (the IR's validators use it too); re-exported here where it always was.
export { describeValue };
