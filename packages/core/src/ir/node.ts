/**
 * Frozen, hash-consed graph nodes (STYLE.md §3). A node never changes after creation, and two
 * structurally identical nodes are the same object, so common subexpressions are shared as they
 * are built and node identity can key caches.
 */
import { type DType } from "../dtype.js";
import { type Shape, fmtShape } from "../shape.js";
import { type Aval, type Prim, type PrimParams, PRIMITIVES } from "./primitives.js";

export interface Node<P extends Prim = Prim> {
  readonly id: number;
  readonly prim: P;
  readonly inputs: readonly Node[];
  readonly params: Readonly<PrimParams[P]>;
  readonly aval: Aval;
  /** Structural key: equal keys mean equal computations (leaves `data`/`input` are unique). */
  readonly key: string;
}

let nextId = 1;
const interned = new Map<string, WeakRef<Node>>();
const unintern = new FinalizationRegistry<string>((key) => {
  const ref = interned.get(key);
  if (ref && ref.deref() === undefined) interned.delete(key);
});

function paramsKey(params: object): string {
  // JSON writes NaN, ±Infinity as null and -0 as 0: spell them out so distinct literals never share a node.
  return JSON.stringify(params, (_k, v) => (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)) ? `${Object.is(v, -0) ? "-0" : v}` : v));
}

function freezeAval(aval: Aval): Aval {
  // An aval taken from another node is frozen already and can be shared (every jit output is a
  // new data leaf with its graph output's aval).
  if (Object.isFrozen(aval) && Object.isFrozen(aval.shape)) return aval;
  return Object.freeze({ shape: Object.freeze([...aval.shape]), dtype: aval.dtype });
}

const NO_INPUTS: readonly Node[] = Object.freeze([]);

/** Freezes plain objects and arrays of params; class instances (a DataBuffer) are left as they are. */
function freezeDeep<T>(v: T): T {
  const plain = Array.isArray(v) || (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype);
  if (plain && !Object.isFrozen(v)) {
    for (const k of Object.keys(v as object)) freezeDeep((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/**
 * Creates (or returns the existing identical) node. For non-leaf primitives the shape/dtype
 * rule runs here, so an invalid graph can never be built.
 */
export function makeNode<P extends Prim>(prim: P, inputs: readonly Node[], params: PrimParams[P], aval?: Aval): Node<P> {
  const rule = PRIMITIVES[prim] as { infer: ((a: readonly Aval[], p: PrimParams[P]) => Aval) | null };
  const out = freezeAval(aval ?? rule.infer!(inputs.map((i) => i.aval), params));
  const unique = prim === "data" || prim === "input";
  const key = unique
    ? `${prim}#${nextId}`
    : `${prim}${paramsKey(params)}(${inputs.map((i) => i.id).join(",")}):${out.dtype}${fmtShape(out.shape)}`;
  if (!unique) {
    const hit = interned.get(key)?.deref();
    if (hit) return hit as Node<P>;
  }
  const node: Node<P> = Object.freeze({
    id: nextId++,
    prim,
    inputs: inputs.length ? Object.freeze([...inputs]) : NO_INPUTS,
    // Leaf params hold a label or a DataBuffer (left unfrozen anyway): a shallow freeze is the same.
    params: unique ? Object.freeze(params) : freezeDeep(params),
    aval: out,
    key,
  });
  if (!unique) {
    interned.set(key, new WeakRef(node));
    unintern.register(node, key);
  }
  return node;
}

/** A scalar literal node. */
export function constNode(value: number, dtype: DType): Node<"const"> {
  return makeNode("const", [], { value }, { shape: [], dtype });
}

export function avalString(aval: Aval): string {
  const short: Record<DType, string> = { float32: "f32", float64: "f64", float16: "f16", int32: "i32", bool: "bool" };
  return `${short[aval.dtype]}${fmtShape(aval.shape)}`;
}

export function isLeaf(node: Node): boolean {
  return node.inputs.length === 0;
}

export type { Shape };
