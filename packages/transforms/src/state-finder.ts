/**
 * `StateFinder` (BrainState's `brainstate.transform.StateFinder`): which States a function reads
 * and writes, found by tracing it abstractly. Arguments and State values are replaced by
 * placeholders of the same shapes and dtypes, so nothing is computed (reading data inside the
 * function is a ConcretizationError, as under `jit`), and the writes are dropped: no State
 * changes and no stream emits.
 */
import { npUtil } from "@kiln/core";
import { jsonOf } from "@kiln/core";
import {
  type AnyState, type StateFilter, type StateValue, Tensor, ValueError, describeValue, toStatePredicate, tree,
  withStateTrace,
} from "@kiln/core";
import { placeholder } from "./custom-call.js";
import { StateEffects } from "./state-effects.js";
import { type AnyFunction, checkNotAsync } from "./trace.js";

/** Which States to report: read-only ones, written ones, or every State touched. */
export type StateUsage = "read" | "write" | "all";

export interface StateFinderOptions {
  /** Keep only matching States: a State class, a predicate `(path, state)`, or a path glob (the path is the State's index in first-touch order among the `usage`-selected States, as a string). */
  filter?: StateFilter;
  /**
   * `"all"` (default): every State read or written; `"write"`: States written; `"read"`: States
   * read and never written (BrainState's read-only states).
   */
  usage?: StateUsage;
  /** `"dict"` (default): `{ "0": State, "1": State, ... }`; `"list"`: an array. Both in first-touch order. */
  returnType?: "dict" | "list";
}

/** What a finder returns: a record keyed `"0"`, `"1"`, ... or an array. */
export interface StateFinderFn<R> {
  (...args: any[]): R;
}

const USAGES: readonly StateUsage[] = ["read", "write", "all"];
const RETURN_TYPES = ["dict", "list"] as const;

/** A pytree with each Tensor leaf replaced by a placeholder of its aval (other leaves kept). */
function abstractly<T>(value: T, what: string): T {
  const [leaves, def] = tree.flatten(value);
  return tree.unflatten<T>(def, leaves.map((l) => (l instanceof Tensor ? new Tensor(placeholder(l.node.aval, what), l.weak) : l)));
}

/**
 * A callable that traces `fn` abstractly on its arguments and returns the States it touches, in
 * first-touch order (see the file comment). Filtering keeps that order and renumbers the keys.
 * @example
 * const finder = StateFinder(energy, { filter: ParamState });
 * finder(np.ones([2])); // { "0": scale, "1": offset }
 * grad(energy, { gradStates: finder(np.ones([2])) });
 */
export function StateFinder(fn: AnyFunction, opts?: StateFinderOptions & { returnType?: "dict" }): StateFinderFn<Record<string, AnyState>>;
export function StateFinder(fn: AnyFunction, opts: StateFinderOptions & { returnType: "list" }): StateFinderFn<AnyState[]>;
export function StateFinder(fn: AnyFunction, opts?: StateFinderOptions): StateFinderFn<Record<string, AnyState> | AnyState[]>;
export function StateFinder(fn: AnyFunction, opts: StateFinderOptions = {}, ...extra: undefined[]): StateFinderFn<Record<string, AnyState> | AnyState[]> {
  opts = npUtil.optionsOf("StateFinder", opts, "StateFinder", extra);
  if (typeof fn !== "function") throw new ValueError(`StateFinder: expected a function, got ${describeValue(fn)}`);
  checkNotAsync("StateFinder", fn);
  if (opts === null || typeof opts !== "object") throw new ValueError(`StateFinder: options must be an object, got ${describeValue(opts)}`);
  const usage = opts.usage ?? "all";
  if (!USAGES.includes(usage)) throw new ValueError(`StateFinder: usage must be one of "read", "write", "all"; got ${jsonOf(usage)}`);
  const returnType = opts.returnType ?? "dict";
  if (!RETURN_TYPES.includes(returnType)) throw new ValueError(`StateFinder: returnType must be "dict" or "list"; got ${jsonOf(returnType)}`);
  const keep = toStatePredicate(opts.filter, "StateFinder");

  return (...args: unknown[]) => {
    const effects = new StateEffects((_s, parentValue) => abstractly<StateValue>(parentValue(), "state"));
    withStateTrace(effects, () => fn(...abstractly(args, "arg")));
    const touched = [...effects.touched];
    const used = usage === "all" ? touched : touched.filter((s) => effects.writes.has(s) === (usage === "write"));
    const found = used.filter((s, i) => keep(String(i), s));
    return returnType === "list" ? found : Object.fromEntries(found.map((s, i) => [String(i), s]));
  };
}
