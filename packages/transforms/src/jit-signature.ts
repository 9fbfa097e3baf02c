/**
 * jit's call signatures without string keys: each cache entry keeps the structure and leaf avals
 * its arguments had when traced, and a call is matched against it by walking the arguments (no
 * allocation), checking States by the identity of their committed values and settings by their
 * memoized signature. The string key (`jit.ts`) is built only when no recent entry matches.
 */
import { jsonOf } from "@kiln/core";
import {
  type AnyState, type Node, type StateValue, type TreeDef, Tensor, ValueError, avalString, describeValue, dependsOnPlaceholder, environ, tree,
  valueSignature,
} from "@kiln/core";

export interface StateSlot {
  readonly state: AnyState;
  /** The value signature when traced: a different one means a different graph. */
  readonly signature: string;
  readonly placeholders: readonly Node[];
  /**
   * The last committed value seen to match `signature`, and its leaves: while the State still
   * holds that very object, a call needs no signature string (checked by identity).
   */
  verified: StateValue | null;
  verifiedLeaves: readonly Tensor[];
}

/** What a dynamic leaf was when traced: a Tensor of an aval, or a JS number/boolean. */
export type LeafSpec =
  | { readonly kind: "tensor"; readonly shape: readonly number[]; readonly dtype: Tensor["dtype"]; readonly weak: boolean; readonly donate: boolean }
  | { readonly kind: "int" | "float" | "bool" };

/** What a call must match to replay a cache entry (jit.ts's Entry extends it with the plan). */
export interface Signature {
  readonly reads: readonly StateSlot[];
  readonly arity: number;
  /** Per argument: its static value (compared by identity, or by key for plain data), or NOT_STATIC. */
  readonly statics: readonly unknown[];
  readonly staticKeys: readonly (string | null)[];
  /** Structure of the dynamic arguments (statics are `null` subtrees). */
  readonly argDef: TreeDef;
  readonly leafSpecs: readonly LeafSpec[];
  readonly environ: string;
  readonly backend: string;
  /** Scratch: the argument leaves of the call being matched (refilled every call). */
  readonly leaves: unknown[];
}

export const NOT_STATIC = Symbol("dynamic");

/** Calls whose signature was built as a string key (the slow path): cached calls never take it. */
let slowSignatures = 0;

/** Counts one call that built its string key (jit.ts's slow path). */
export function countSlowSignature(): void {
  slowSignatures++;
}

/**
 * Counters of every jitted function together: `slowSignatures` counts calls that built a string
 * signature key (first calls, new shapes, changed States); a replay matches its cache entry
 * structurally and does not.
 * @example
 * const before = jitStats().slowSignatures;
 * step(x); step(x);
 * jitStats().slowSignatures - before; // at most 1: the second call matched without a key
 */
export function jitStats(): { slowSignatures: number } {
  return { slowSignatures };
}

/** `staticArgnums` / `donateArgnums` as a list, validated (against the arity when known). */
export function normNums(op: string, v: number | readonly number[] | undefined, arity: number | null): number[] {
  if (v === undefined) return [];
  if (typeof v !== "number" && !Array.isArray(v)) throw new ValueError(`jit: ${op} must be an integer or an array of integers, got ${describeValue(v)}`);
  const list = typeof v === "number" ? [v] : [...v];
  for (const n of list) {
    if (!Number.isInteger(n)) throw new ValueError(`jit: ${op} must be integers, got ${jsonOf(v)}`);
    if (arity !== null && (n < -arity || n >= arity)) throw new ValueError(`jit: ${op} ${n} is out of range for a function called with ${arity} argument(s)`);
  }
  return list;
}

/** A static argument's value as key text (JSON). */
export function staticKey(v: unknown): string {
  if (v instanceof Tensor) throw new ValueError(`jit: a static argument must be a hashable JS value (number, string, boolean, plain data), not a Tensor`);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    throw new ValueError(`jit: a static argument must be JSON-serializable plain data`);
  }
}

/** One dynamic leaf in the string key: its aval and weak flag, or the kind of JS number. */
export function leafKey(l: unknown): string {
  if (l instanceof Tensor) return `${avalString(l.node.aval)}${l.weak ? "w" : ""}`;
  if (typeof l === "number") return Number.isInteger(l) ? "n:i" : "n:f";
  if (typeof l === "boolean") return "b";
  throw new ValueError(`jit: arguments must be Tensors, numbers, booleans or pytrees of them (use staticArgnums for other values), got ${typeof l}`);
}

/** One dynamic leaf as the structural matcher compares it. */
export function leafSpec(l: unknown, donate: boolean): LeafSpec {
  if (l instanceof Tensor) return { kind: "tensor", shape: l.node.aval.shape, dtype: l.dtype, weak: l.weak, donate };
  return { kind: typeof l === "boolean" ? "bool" : Number.isInteger(l) ? "int" : "float" };
}

export const isLeafTensor = (v: unknown): boolean => v instanceof Tensor;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** How a call compares with a cache entry: it replays it, it does not, or it is symbolic (jit is transparent). */
export type Match = "yes" | "no" | "symbolic";

/**
 * Matches `v` against the traced structure `def` the way `tree.flatten` would walk it, checking
 * each leaf against its spec and collecting the leaves into `out` (from `at`); returns the next
 * leaf position, or -1 on a mismatch and -2 for a symbolic Tensor (jit is transparent then).
 * Nothing is allocated.
 */
function matchTree(v: unknown, def: TreeDef, specs: readonly LeafSpec[], out: unknown[], at: number): number {
  if (v instanceof Tensor) {
    if (def.kind !== "leaf") return -1;
    const spec = specs[at]!;
    if (spec.kind !== "tensor" || v.weak !== spec.weak) return -1;
    const node = v.node; // throws DisposedError for a disposed Tensor, as the slow path does
    if (node.prim !== "data" && dependsOnPlaceholder(node)) return -2;
    const { shape, dtype } = node.aval;
    if (dtype !== spec.dtype || shape.length !== spec.shape.length) return -1;
    for (let i = 0; i < shape.length; i++) if (shape[i] !== spec.shape[i]) return -1;
    out[at] = v;
    return at + 1;
  }
  if (v === null || v === undefined) return def.kind === "none" && def.value === v ? at : -1;
  if (Array.isArray(v)) {
    if (def.kind !== "array" || def.children.length !== v.length) return -1;
    for (let i = 0; i < v.length && at >= 0; i++) at = matchTree(v[i], def.children[i]!, specs, out, at);
    return at;
  }
  if (typeof v === "object" && isPlainObject(v)) {
    if (def.kind !== "object") return -1;
    let n = 0;
    for (const k in v) if (Object.hasOwn(v, k)) n++;
    if (n !== def.keys.length) return -1;
    const o = v as Record<string, unknown>;
    for (let i = 0; i < def.keys.length && at >= 0; i++) {
      if (!Object.hasOwn(o, def.keys[i]!)) return -1;
      at = matchTree(o[def.keys[i]!], def.children[i]!, specs, out, at);
    }
    return at;
  }
  if (def.kind !== "leaf") return -1;
  const spec = specs[at]!;
  const ok = typeof v === "number" ? spec.kind === (Number.isInteger(v) ? "int" : "float") : typeof v === "boolean" && spec.kind === "bool";
  if (!ok) return -1;
  out[at] = v;
  return at + 1;
}

/** Whether `entry` was traced for these arguments, States, settings and backend (no key built). */
export function fastMatch(entry: Signature, args: readonly unknown[], backend: string): Match {
  if (args.length !== entry.arity || entry.backend !== backend || entry.environ !== environ.signature()) return "no";
  const def = entry.argDef as Extract<TreeDef, { kind: "array" }>;
  let at = 0;
  for (let i = 0; i < args.length; i++) {
    const st = entry.statics[i];
    if (st !== NOT_STATIC) {
      // Plain data is compared by its key (it may have been mutated since), anything else by value.
      const byKey = typeof st === "object" && st !== null;
      if (byKey ? typeof args[i] !== "object" || args[i] === null || staticKey(args[i]) !== entry.staticKeys[i] : !Object.is(st, args[i])) return "no";
      continue;
    }
    at = matchTree(args[i], def.children[i]!, entry.leafSpecs, entry.leaves, at);
    if (at < 0) return mismatch(entry, at === -2 ? "symbolic" : "no");
  }
  for (const r of entry.reads) if (!stateMatches(r)) return mismatch(entry, "no");
  return "yes";
}

/** A failed match drops the leaves it collected (an entry holds no arguments between calls). */
function mismatch(entry: Signature, m: Match): Match {
  entry.leaves.fill(undefined);
  return m;
}

/** Whether a read State still has the traced avals: by identity of its value when verified before. */
export function stateMatches(r: StateSlot): boolean {
  const v = r.state.committedValue as StateValue;
  if (v === r.verified) return true;
  if (valueSignature(v) !== r.signature) return false;
  r.verified = v;
  r.verifiedLeaves = v instanceof Tensor ? [v] : (tree.flatten(v, isLeafTensor)[0] as Tensor[]);
  return true;
}

