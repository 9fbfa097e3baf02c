/**
 * Tracing a user function for a transform: arguments become placeholders, the function runs on
 * Tensors over them (with each placeholder bound to its argument, so value-dependent JS control
 * flow still works, as under JAX's grad), derivatives are derived in terms of the placeholders,
 * and `restore` substitutes the real arguments back into every result.
 *
 * Placeholders are canonical per (transformed function, signature): calling the function again
 * with arguments of the same shapes/dtypes/structure (and the same `environ` settings) rebuilds
 * the identical (hash-consed) traced graph, so the derived graph is looked up instead of derived
 * again.
 *
 * State writes the function makes directly (not through a GradientTransform, which threads
 * States itself) are held by the trace and made effective with `commitWrites` once the transform
 * has finished, in terms of the real arguments: a placeholder never leaks into a State.
 */
import { checkFunction, jsonOf } from "@kiln/core";
import {
  AsyncFunctionError, DTypeError, describeValue, type Node, Tensor, type TreeDef, ValueError, bindPlaceholders, concreteReadCount, constNode, environ,
  isFloat, npUtil, substituter, tree, withStateTrace,
} from "@kiln/core";
import { followCustomCalls, placeholder } from "./custom-call.js";
import { StateEffects, commitOrForward } from "./state-effects.js";

/** `argnums` as users give it. */
export type Argnums = number | readonly number[];

/**
 * A user function a transform accepts: any parameters, any result. The one deliberate `any` of
 * the transforms API — user functions take and return Tensors, numbers and pytrees of them in any
 * shape, and TypeScript's function parameters are contravariant, so `unknown[]` parameters would
 * reject `(x: Tensor) => …`. Results keep the function's own type where the transform preserves it
 * (`vmap`, `jvp`, `vjp`, `linearize`, `checkpoint`, `jit`).
 */
export type AnyFunction = (...args: any[]) => any;

/** Counters for tests and diagnostics: how often functions were traced and derivatives derived. */
export const transformStats = { traces: 0, derivations: 0, cacheHits: 0 };

const ASYNC_TAGS = new Set(["[object AsyncFunction]", "[object AsyncGeneratorFunction]"]);

/**
 * The shared check of a transform's function argument: anything but a function is a ValueError
 * naming the transform. Rejects an `async` function up front with an AsyncFunctionError: tracing runs the function
 * synchronously, so whatever follows its first `await` would run after the trace ended (API.md's
 * `await x.item()` inside jit used to end in an unhandled rejection). A plain function that returns
 * a Promise is caught after its trace, by `withStateTrace`.
 * @example checkNotAsync("jit", async (x) => x) // throws AsyncFunctionError
 */
export function checkNotAsync(op: string, fn: unknown): void {
  checkFunction(op, "the function to transform", fn);
  if (!ASYNC_TAGS.has(Object.prototype.toString.call(fn))) return;
  const { name } = fn as { name?: string };
  throw new AsyncFunctionError(
    `${op}: ${name ? `"${name}" is` : "got"} an async function; transforms trace synchronously, so code after an await would run after the trace ended. ` +
      `Make it synchronous: read values with itemSync() (under grad), branch with np.where / cond (under jit), and await results outside the transformed function.`,
  );
}

/** Validates the form of `argnums` (integers, no duplicates) when a transform is created. */
export function checkArgnumsForm(op: string, argnums: Argnums): void {
  const list = typeof argnums === "number" ? [argnums] : argnums;
  if (!Array.isArray(list) && typeof argnums !== "number") {
    throw new ValueError(`${op}: argnums must be an integer or an array of integers, got ${describeValue(argnums)}`);
  }
  for (const a of list) {
    if (typeof a !== "number" || !Number.isInteger(a)) {
      throw new ValueError(`${op}: argnums must be integers, got ${jsonOf(argnums)}`);
    }
  }
  if (new Set(list).size !== list.length) throw new ValueError(`${op}: argnums ${jsonOf(argnums)} contains duplicates`);
}

/** `argnums` as non-negative positions for a call with `arity` arguments (negative ones count from the end). */
export function resolveArgnums(op: string, argnums: Argnums, arity: number): number[] {
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  const resolved = list.map((a) => {
    if (a < -arity || a >= arity) {
      throw new ValueError(
        `${op}: argnums ${jsonOf(argnums)} is out of range for a function called with ${arity} positional argument(s)`,
      );
    }
    return a < 0 ? a + arity : a;
  });
  if (new Set(resolved).size !== resolved.length) {
    throw new ValueError(`${op}: argnums ${jsonOf(argnums)} names the same argument twice for a function called with ${arity} positional argument(s)`);
  }
  return resolved;
}

/**
 * Maps the Tensor leaves of a pytree through a node substitution; other leaves pass through, and
 * containers whose Tensors are all unchanged are returned as they are (aux stays untouched).
 */
export function rebuildTree<T>(value: T, rebuild: (n: Node) => Node): T {
  const walk = (v: unknown): unknown => {
    if (v instanceof Tensor) return retensor(v, rebuild);
    if (Array.isArray(v)) {
      const out = v.map(walk);
      return out.every((x, i) => x === v[i]) ? v : out;
    }
    if (v !== null && typeof v === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
      const entries = Object.entries(v).map(([k, x]) => [k, walk(x)] as const);
      return entries.every(([k, x]) => x === (v as Record<string, unknown>)[k]) ? v : Object.fromEntries(entries);
    }
    return v;
  };
  return walk(value) as T;
}

function retensor(t: Tensor, rebuild: (n: Node) => Node): Tensor {
  const n = rebuild(t.node);
  return n === t.node ? t : new Tensor(n, t.weak);
}

/** How a transform treats the leaves of its differentiated arguments. */
export interface DiffSpec {
  /** Argument positions whose leaves are differentiated, in result order. */
  readonly argnums: readonly number[];
  /**
   * `"error"`: int/bool inputs are a DTypeError (grad, jacobians: JAX's "grad requires
   * real-valued inputs"). `"zero"`: they are carried along with a zero derivative (vjp, jvp).
   */
  readonly ints: "error" | "zero";
}

/** One differentiated argument: its structure and, per leaf, its placeholder. */
export interface DiffArg {
  readonly def: TreeDef;
  readonly leaves: readonly Node[];
}

/** The result of running a function on placeholders. */
export interface Trace {
  /** What the function returned (Tensor leaves over placeholders). */
  readonly result: unknown;
  /** The differentiated arguments in `argnums` order. */
  readonly diffArgs: readonly DiffArg[];
  /** Every float placeholder of the differentiated arguments, flattened in order. */
  readonly wrt: readonly Node[];
  /** Every placeholder of this trace and the argument node it stands for. */
  readonly bindings: ReadonlyMap<Node, Node>;
  /** Substitutes the real arguments for the placeholders (custom-derivative calls follow). */
  readonly restore: <T>(value: T) => T;
  /** Like `restore`, also substituting `extra` (tangent/cotangent placeholders -> values). */
  restoreWith(extra: ReadonlyMap<Node, Node>): <T>(value: T) => T;
  /** Commits the State writes the function made (restored to the real arguments), or hands them to an enclosing trace. */
  commitWrites(): void;
  /**
   * `compute()` (a derivation in terms of the placeholders), cached by the identity of `key`
   * (the traced nodes it differentiates); runs with the arguments bound, like the function.
   */
  derive<D>(key: readonly Node[], compute: () => D): D;
}

interface Slot {
  placeholders: Node[];
  busy: boolean;
  derived: { key: readonly Node[]; value: unknown } | null;
}

/** Canonical placeholders and the last derivation, per argument signature, of one transformed function. */
export class TraceCache {
  readonly #slots = new Map<string, Slot>();
  static readonly MAX_SIGNATURES = 32;

  /** The slot for a signature (a throwaway one while the slot is in use by an enclosing call). */
  slot(signature: string, avals: readonly Node["aval"][]): { slot: Slot; cached: boolean } {
    const hit = this.#slots.get(signature);
    if (hit && !hit.busy) return { slot: hit, cached: true };
    const slot: Slot = { placeholders: avals.map((a) => placeholder(a, "arg")), busy: false, derived: null };
    if (hit) return { slot, cached: false }; // re-entrant call: fresh placeholders, nothing cached
    if (this.#slots.size >= TraceCache.MAX_SIGNATURES) this.#slots.delete(this.#slots.keys().next().value!);
    this.#slots.set(signature, slot);
    return { slot, cached: true };
  }
}

type LeafKind = "tensor" | "number" | "static";

function leafKindOf(op: string, leaf: unknown, diff: boolean, spec: DiffSpec, argnum: number): LeafKind {
  if (leaf instanceof Tensor) {
    if (diff && !isFloat(leaf.dtype) && spec.ints === "error") {
      throw new DTypeError(
        `${op} requires real-valued (float) inputs, but argument ${argnum} has a leaf of dtype ${leaf.dtype}; ` +
          `cast it with astype("float32") or leave it out of argnums`,
      );
    }
    return "tensor";
  }
  if (typeof leaf === "number") return diff ? "number" : "static";
  if (diff) {
    const what = typeof leaf === "boolean" ? "a boolean (dtype bool)" : `a ${typeof leaf}`;
    const E = typeof leaf === "boolean" ? DTypeError : ValueError;
    throw new E(`${op} requires real-valued (float) inputs, but argument ${argnum} has a leaf that is ${what}`);
  }
  return "static";
}

/**
 * Runs `fn` on placeholders standing for `args` (see the file comment). Tensor leaves of every
 * argument become placeholders (so the trace does not depend on their values); JS numbers in
 * differentiated arguments become float32 placeholders (JS has no float literal: `grad(f)(3)`
 * differentiates at 3.0); every other leaf is passed through as it is.
 */
export function traceCall(op: string, cache: TraceCache, fn: AnyFunction, args: readonly unknown[], spec: DiffSpec): Trace {
  checkNotAsync(op, fn);
  const diffSet = new Set(spec.argnums);
  const perArg = args.map((a, i) => {
    const [leaves, def] = tree.flatten(a);
    const kinds = leaves.map((l) => leafKindOf(op, l, diffSet.has(i), spec, i));
    return { leaves, def, kinds };
  });
  const avals: Node["aval"][] = [];
  const actual: Node[] = [];
  const weak: boolean[] = [];
  // The environment is part of the key: layers read it while building the graph (Dropout's "fit").
  const sig: string[] = [spec.argnums.join(","), environ.signature()];
  for (const { leaves, def, kinds } of perArg) {
    sig.push(tree.structureKey(def));
    leaves.forEach((l, j) => {
      const kind = kinds[j]!;
      if (kind === "static") return void sig.push("s");
      const node = kind === "tensor" ? (l as Tensor).node : constNode(l as number, "float32");
      avals.push(node.aval);
      actual.push(node);
      weak.push(kind === "number" || (l as Tensor).weak);
      sig.push(`${node.aval.dtype}[${node.aval.shape}]${weak[weak.length - 1] ? "w" : ""}`);
    });
  }
  const { slot, cached } = cache.slot(sig.join(";"), avals);
  const bindings = new Map(slot.placeholders.map((p, k) => [p, actual[k]!]));

  // The arguments the function sees, and the differentiated placeholders.
  let k = 0;
  const diffArgs: DiffArg[] = [];
  const byArg = new Map<number, DiffArg>();
  const traced = perArg.map(({ leaves, def, kinds }, i) => {
    const phs: Node[] = [];
    const ls = leaves.map((l, j) => {
      if (kinds[j] === "static") return l;
      const p = slot.placeholders[k]!;
      const t = new Tensor(p, weak[k++]);
      phs.push(p);
      return t;
    });
    if (diffSet.has(i)) byArg.set(i, { def, leaves: phs });
    return tree.unflatten(def, ls);
  });
  for (const i of spec.argnums) diffArgs.push(byArg.get(i)!);
  const wrt = diffArgs.flatMap((d) => d.leaves.filter((p) => isFloat(p.aval.dtype)));

  const effects = new StateEffects();
  slot.busy = true;
  let result: unknown;
  try {
    result = bindPlaceholders(bindings, () => withStateTrace(effects, () => fn(...traced)));
  } finally {
    slot.busy = false;
  }
  transformStats.traces++;

  const restoreNode = substituter(bindings, followCustomCalls);
  return {
    result,
    diffArgs,
    wrt,
    bindings,
    restore: (value) => rebuildTree(value, restoreNode),
    commitWrites: () => commitOrForward([...effects.writes].map(([s, v]) => [s, rebuildTree(v, restoreNode)] as const)),
    restoreWith: (extra) => {
      const both = substituter(new Map([...bindings, ...extra]), followCustomCalls);
      return (value) => rebuildTree(value, both);
    },
    derive<D>(key: readonly Node[], compute: () => D): D {
      const d = slot.derived;
      if (cached && d && d.key.length === key.length && d.key.every((n, j) => n === key[j])) {
        transformStats.cacheHits++;
        return d.value as D;
      }
      const before = concreteReadCount();
      const value = bindPlaceholders(bindings, compute);
      transformStats.derivations++;
      // A derivation that branched on a concrete value (a custom rule reading data) is not reusable.
      if (cached && concreteReadCount() === before) slot.derived = { key: [...key], value };
      return value;
    },
  };
}

/** Zeros shaped like a node (a lazy broadcast literal). */
export function zerosLike(n: Node): Tensor {
  return npUtil.fullRaw(n.aval.shape, 0, n.aval.dtype);
}

/** Ones shaped like a node. */
export function onesLike(n: Node): Tensor {
  return npUtil.fullRaw(n.aval.shape, 1, n.aval.dtype);
}

/**
 * Per differentiated argument, the pytree of its derivative: `value(placeholder)` for each leaf,
 * zeros where that is null (an input the output does not depend on, or an int input).
 */
export function perArgTrees(diffArgs: readonly DiffArg[], value: (p: Node) => Tensor | null): unknown[] {
  return diffArgs.map((d) => tree.unflatten(d.def, d.leaves.map((p) => value(p) ?? zerosLike(p))));
}

/**
 * The output leaves of a traced function as Tensors: JS numbers become float32 literals, any
 * other leaf is a ValueError naming the transform.
 */
export function outputTensors(op: string, value: unknown, what = "output"): { leaves: Tensor[]; def: TreeDef } {
  const [leaves, def] = tree.flatten(value);
  return {
    def,
    leaves: leaves.map((l) => {
      if (l instanceof Tensor) return l;
      if (typeof l === "number") return new Tensor(constNode(l, "float32"), true);
      throw new ValueError(`${op}: the function's ${what} must be Tensors, numbers or pytrees of them; found a leaf of type ${typeof l}`);
    }),
  };
}
