/**
 * Pytrees: nested arrays and plain objects whose leaves are Tensors, numbers or booleans
 * (`null`/`undefined` are empty subtrees, as JAX's None). Object keys are visited in sorted order,
 * as JAX does for dicts, so a structure's leaf order does not depend on insertion order.
 */
import { ValueError, checkFunction, describeValue } from "./errors.js";

const TREE_KINDS: ReadonlySet<unknown> = new Set(["leaf", "none", "array", "object"]);
/** A TreeDef's top level looks right (its children are checked as they are rebuilt). */
const isTreeDef = (d: unknown): d is TreeDef => typeof d === "object" && d !== null && TREE_KINDS.has((d as { kind?: unknown }).kind);

export type TreeDef =
  | { readonly kind: "leaf" }
  | { readonly kind: "none"; readonly value: null | undefined }
  | { readonly kind: "array"; readonly children: readonly TreeDef[] }
  | { readonly kind: "object"; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

const LEAF: TreeDef = Object.freeze({ kind: "leaf" });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Sets `o[key] = value` as an own enumerable data property, whatever the key. A plain assignment
 * with the key `"__proto__"` would replace the object's prototype instead (or, one level down,
 * write into `Object.prototype`), so every keyed record built from user keys — pytrees, state
 * paths, state dicts, optimizer slots — is written through this: such keys are preserved as data.
 * @example const o = {}; defineKey(o, "__proto__", 1); Object.keys(o) // ["__proto__"]
 */
export function defineKey<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * `o[key]` only when `key` is an own property (never an inherited `constructor`, `toString` or
 * the `__proto__` accessor).
 * @example ownValue({}, "constructor") // undefined
 */
export function ownValue<T>(o: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/**
 * The deepest pytree nesting `flatten` walks. Real pytrees are a few levels deep; the bound turns a
 * structure that contains itself (or a runaway nesting) into a ValueError instead of a RangeError
 * from a JS stack overflow.
 */
const MAX_TREE_DEPTH = 1000;

/** Flattens a pytree into its leaves and a structure to rebuild it with. */
export function flatten(tree: unknown, isLeaf?: (v: unknown) => boolean): [unknown[], TreeDef] {
  checkFunction("tree", "isLeaf", isLeaf, true);
  const leaves: unknown[] = [];
  // The containers on the path from the root: meeting one again is a cycle.
  const open = new Set<object>();
  const walk = (v: unknown): TreeDef => {
    if (isLeaf?.(v)) {
      leaves.push(v);
      return LEAF;
    }
    if (v === null || v === undefined) return { kind: "none", value: v };
    const container = Array.isArray(v) || isPlainObject(v);
    if (!container) {
      leaves.push(v);
      return LEAF;
    }
    if (open.has(v)) throw new ValueError("tree: a pytree must not contain itself (an array or object is its own descendant)");
    if (open.size >= MAX_TREE_DEPTH) throw new ValueError(`tree: pytree nested deeper than ${MAX_TREE_DEPTH} levels`);
    open.add(v);
    let def: TreeDef;
    if (Array.isArray(v)) def = { kind: "array", children: v.map(walk) };
    else {
      const keys = Object.keys(v).sort();
      def = { kind: "object", keys, children: keys.map((k) => walk((v as Record<string, unknown>)[k])) };
    }
    open.delete(v);
    return def;
  };
  const def = walk(tree);
  return [leaves, def];
}

/** Rebuilds a pytree of the given structure from leaves (in `flatten` order). */
export function unflatten<T = unknown>(def: TreeDef, leaves: readonly unknown[]): T {
  if (!Array.isArray(leaves)) throw new ValueError(`tree.unflatten: leaves must be an array, got ${describeValue(leaves)}`);
  let i = 0;
  const build = (d: TreeDef): unknown => {
    if (!isTreeDef(d)) throw new ValueError(`tree.unflatten: expected a TreeDef from tree.flatten, got ${describeValue(d)}`);
    switch (d.kind) {
      case "leaf":
        if (i >= leaves.length) throw new ValueError(`tree.unflatten: too few leaves (${leaves.length}) for the structure`);
        return leaves[i++];
      case "none":
        return d.value;
      case "array":
        return d.children.map(build);
      case "object": {
        const o: Record<string, unknown> = {};
        d.keys.forEach((k, j) => defineKey(o, k, build(d.children[j]!)));
        return o;
      }
    }
  };
  const out = build(def);
  if (i !== leaves.length) throw new ValueError(`tree.unflatten: ${leaves.length} leaves given, structure has ${i}`);
  return out as T;
}

export function leaves(tree: unknown, isLeaf?: (v: unknown) => boolean): unknown[] {
  return flatten(tree, isLeaf)[0];
}

export function structure(tree: unknown, isLeaf?: (v: unknown) => boolean): TreeDef {
  return flatten(tree, isLeaf)[1];
}

export function numLeaves(def: TreeDef): number {
  switch (def.kind) {
    case "leaf":
      return 1;
    case "none":
      return 0;
    default:
      return def.children.reduce((a, c) => a + numLeaves(c), 0);
  }
}

/** A string that is equal for equal structures (cache keys). */
export function structureKey(def: TreeDef): string {
  switch (def.kind) {
    case "leaf":
      return "*";
    case "none":
      return def.value === null ? "null" : "undef";
    case "array":
      return `[${def.children.map(structureKey).join(",")}]`;
    case "object":
      return `{${def.keys.map((k, i) => `${JSON.stringify(k)}:${structureKey(def.children[i]!)}`).join(",")}}`;
  }
}

/**
 * Maps `f` over the leaves of one or more trees of the same structure.
 * @example tree.map((a, b) => a.add(b), { w: w1 }, { w: w2 })  // { w: w1 + w2 }
 */
export function map<R = unknown>(f: (...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): R {
  checkFunction("tree.map", "f", f);
  const [ls, def] = flatten(tree);
  const others = rest.map((t) => {
    const [l, d] = flatten(t);
    if (structureKey(d) !== structureKey(def)) {
      throw new ValueError(`tree.map: tree structures differ: ${structureKey(def)} vs ${structureKey(d)}`);
    }
    return l;
  });
  return unflatten<R>(def, ls.map((l, i) => f(l, ...others.map((o) => o[i]))));
}

/**
 * Checks a TreeDef given by a caller all the way down (kinds, children arrays, string keys, no
 * cycles): the internal `numLeaves`/`structureKey` trust the defs `flatten` builds.
 */
function checkTreeDef(op: string, def: unknown): TreeDef {
  const open = new Set<object>();
  const walk = (d: unknown): void => {
    if (!isTreeDef(d)) throw new ValueError(`${op}: expected a TreeDef from tree.flatten or tree.structure, got ${describeValue(d)}`);
    if (d.kind !== "array" && d.kind !== "object") return;
    if (open.has(d) || open.size >= MAX_TREE_DEPTH) throw new ValueError(`${op}: the TreeDef contains itself or is nested deeper than ${MAX_TREE_DEPTH} levels`);
    const children: unknown = d.children;
    if (!Array.isArray(children)) throw new ValueError(`${op}: a TreeDef of kind "${d.kind}" needs a children array, got ${describeValue(children)}`);
    if (d.kind === "object") {
      const keys: unknown = d.keys;
      if (!Array.isArray(keys) || keys.length !== children.length || !keys.every((k) => typeof k === "string")) {
        throw new ValueError(`${op}: a TreeDef of kind "object" needs one string key per child`);
      }
    }
    open.add(d);
    children.forEach(walk);
    open.delete(d);
  };
  walk(def);
  return def as TreeDef;
}

/** The `tree` namespace of API.md §2. */
export const tree = {
  map,
  leaves,
  flatten,
  unflatten,
  structure,
  /** A string that is equal for equal structures. @example tree.structureKey(tree.structure({ a: 1 })) // '{"a":*}' */
  structureKey: (def: TreeDef): string => structureKey(checkTreeDef("tree.structureKey", def)),
  /** The number of leaves of a structure. @example tree.numLeaves(tree.structure([1, [2, 3]])) // 3 */
  numLeaves: (def: TreeDef): number => numLeaves(checkTreeDef("tree.numLeaves", def)),
};
