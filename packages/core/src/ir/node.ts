/**
 * Frozen, hash-consed graph nodes (STYLE.md §3). A node never changes after creation, and two
 * structurally identical graph-building nodes are the same object, so common subexpressions are
 * shared as they are built and node identity can key caches.
 *
 * Which nodes are interned: those built while a graph is being built or rewritten (a transform
 * or jit tracing the user's function, `graphRewrite`, see `interning`), every node that depends on
 * a trace placeholder (only traces and graphs derived from them have those), and scalar literals
 * (a bounded table, below). Plain eager values (`x.mul(i).sum()` outside any transform) are not.
 * None of the tables use WeakRefs: V8 keeps a WeakRef's target alive until the current synchronous
 * job ends, so a weak table kept every node of every transform called in a synchronous loop
 * (`for (...) grad(f)(w)`: ~17 KB a call, and through data leaves their buffers) until the loop
 * yielded. Instead:
 * - placeholder-bound nodes live in a table owned by one of their placeholders (the newest), held
 *   in a WeakMap keyed by that placeholder: a transform's trace, derivation and result restoring
 *   are separate scopes that must meet on the same nodes, and a trace cache recognizes a repeated
 *   trace by node identity. Only a holder of the placeholder (or of a node over it) can build such
 *   a node again, so the table lives exactly as long as it can be hit: a trace nothing keeps is
 *   collected whole with its placeholders, in the synchronous job too (an ephemeron, not a WeakRef).
 *   They were in one bounded LRU table (16,384 nodes), which a loop calling a transform every step
 *   (`vmap(f)(x)`, `scan`, `random.normal`) filled with dead traces: ~10 MB before it stopped growing;
 * - nodes over literals alone live in a bounded strong table (SYMBOLIC_NODES, least recently used
 *   dropped): they refer to the constants a function closes over, not to the values a call binds;
 * - nodes over realized values (data leaves) built inside `interning` scopes (rewrites of concrete
 *   graphs, restored results) are shared within the scopes and dropped when the outermost one
 *   ends: they may refer to any call's values.
 * Eager duplicates are merged where it pays: every rewrite rebuilds its graph through the table,
 * and kernels intern their expressions.
 */
import { freeze } from "immer";
import { type DType, DTYPES } from "../dtype.js";
import { ValueError, describeValue } from "../errors.js";
import { DataBuffer } from "../buffer.js";
import { LruCache } from "../lru.js";
import { type Shape, checkShape, checkSize, fmtShape } from "../shape.js";
import { parseParams } from "./params.js";
import { type Aval, type Prim, type PrimParams, type PrimRule, PRIMITIVES } from "./primitives.js";

export interface Node<P extends Prim = Prim> {
  readonly id: number;
  readonly prim: P;
  readonly inputs: readonly Node[];
  readonly params: Readonly<PrimParams[P]>;
  readonly aval: Aval;
  /** Structural key: equal keys mean equal computations (leaves `data`/`input` are unique). */
  readonly key: string;
  /** Ops on the longest path down to a leaf (leaves are 0); realize.ts cuts long pending chains by it. */
  readonly depth: number;
}

let nextId = 1;
/**
 * Every node is an instance of this class, made only by `makeNode`: its private brand is what
 * `isNode` checks (a look-alike object has no validated params, and cannot have the brand). A
 * class brand costs nothing to check, where a WeakSet of every node made weighs on the GC.
 */
class GraphNode<P extends Prim> implements Node<P> {
  readonly #made = true;
  /** The structural key, computed when first asked for: an eager node that is not interned never needs it. */
  #key: string | undefined;
  constructor(
    readonly id: number,
    readonly prim: P,
    readonly inputs: readonly Node[],
    readonly params: Readonly<PrimParams[P]>,
    readonly aval: Aval,
    key?: string,
  ) {
    this.#key = key;
    let d = -1;
    for (const i of inputs) if (i.depth > d) d = i.depth;
    this.depth = d + 1;
  }
  readonly depth: number;
  get key(): string {
    // A private field stays writable on a frozen object: the cache does not change the node.
    return (this.#key ??= nodeKey(this.prim, this.params, this.inputs, this.aval, this.id));
  }
  static isMade(v: object): boolean {
    return #made in v;
  }
}

/** Structural key: equal keys mean equal computations (leaves `data`/`input` are unique by id). */
function nodeKey(prim: Prim, params: object, inputs: readonly Node[], aval: Aval, id: number): string {
  if (prim === "data" || prim === "input") return `${prim}#${id}`;
  return `${prim}${paramsKey(params)}(${inputs.map((i) => i.id).join(",")}):${aval.dtype}${fmtShape(aval.shape)}`;
}
// Params objects that passed validation (frozen copies): rebuilding a node with them skips the walk.
const validParams = new WeakSet<object>();
/** Nodes over literals alone kept for sharing (see the file comment): a few MB at most. */
const SYMBOLIC_NODES = 16384;
const symbolicNodes = new LruCache<string, Node>(SYMBOLIC_NODES);
/** Other nodes built inside the open `interning` scopes; emptied when the outermost one ends. */
const scoped = new Map<string, Node>();
/**
 * Scalar literals (`const`) are shared everywhere, eager code included, through a bounded strong
 * table instead of WeakRefs: they are the leaves every graph repeats (the 2 of `x.mul(2)`), the
 * scheduler and the kernel parameters count them by identity, and the table stays under 1 MB
 * (under 1 KB a literal; its realization is not cached: realize.ts). A loop over distinct scalars
 * evicts the oldest; an evicted literal still in use only stops being shared.
 */
const literals = new LruCache<string, Node>(1024);
/**
 * Nodes that depend on a trace placeholder (an `input` leaf), each mapped to the placeholder whose
 * table interns it (itself for a placeholder): always interned.
 */
const symbolicOwner = new WeakMap<Node, Node>();
/** The interning table of each placeholder's nodes (see the file comment). */
const byPlaceholder = new WeakMap<Node, Map<string, Node>>();
/**
 * Nodes over literals alone (no data leaf, no placeholder below them: `np.ones`' broadcast of a
 * literal): shared across scopes like placeholder-bound nodes, since they hold no call's value.
 */
const overLiterals = new WeakSet<Node>();
/** Open `interning` scopes. */
let internDepth = 0;

/** @internal Whether a graph is being built or rewritten (an `interning` scope is open: a transform traces). */
export function isInterning(): boolean {
  return internDepth > 0;
}

/**
 * Runs `fn` with every node it builds interned (see the file comment): graph building and
 * rewriting share structurally equal nodes, which is their common-subexpression elimination.
 * Scopes nest; nodes over realized values are shared until the outermost scope ends.
 * @example interning(() => makeNode("neg", [c], {}) === makeNode("neg", [c], {})) // true
 */
export function interning<T>(fn: () => T): T {
  internDepth++;
  try {
    return fn();
  } finally {
    if (--internDepth === 0) scoped.clear();
  }
}

// JSON writes NaN, ±Infinity as null and -0 as 0: spell them out so distinct literals never share a node.
const numberText = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));
const jsonNumbers = (_k: string, v: unknown): unknown => (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)) ? `#${numberText(v)}` : v);

/** One validated param value as key text: numbers exactly (NaN, ±Infinity, -0), strings quoted. */
function valueKey(v: unknown): string {
  if (typeof v === "number") return numberText(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) out += (i ? "," : "") + valueKey(v[i]);
    return out + "]";
  }
  return JSON.stringify(v, jsonNumbers);
}

/**
 * Params as key text. Built by hand for the common values (numbers, strings, number arrays):
 * every node built pays for it, and JSON.stringify with a replacer is several times slower.
 */
function paramsKey(params: object): string {
  let out = "{";
  for (const k of Object.keys(params)) out += `${k}:${valueKey((params as Record<string, unknown>)[k])};`;
  return out + "}";
}

/** A caller-given aval, validated: a known dtype and a valid shape (as a copy, unless already frozen). */
function checkAval(prim: string, aval: unknown): Aval {
  if (Object.isFrozen(aval) && Object.isFrozen((aval as Aval).shape) && validAvals.has(aval as Aval)) return aval as Aval;
  if (typeof aval !== "object" || aval === null) throw new ValueError(`${prim}: aval must be { shape, dtype }, got ${describeValue(aval)}`);
  const { shape, dtype } = aval as { shape?: unknown; dtype?: unknown };
  if (!(DTYPES as readonly unknown[]).includes(dtype)) throw new ValueError(`${prim}: aval dtype must be one of ${DTYPES.join(", ")}, got ${describeValue(dtype)}`);
  const valid = checkShape(prim, shape);
  // A frozen aval of plain data properties (another node's: every jit output's data leaf is made
  // with its graph output's aval) is remembered as it is, so the next call with it skips the
  // check; anything else is copied. Only avals callers pass are remembered, not every node's.
  const own = (k: string) => Object.getOwnPropertyDescriptor(aval, k);
  if (Object.isFrozen(aval) && Array.isArray(shape) && Object.isFrozen(shape) && own("shape")?.get === undefined && own("dtype")?.get === undefined) {
    validAvals.add(aval as Aval);
    return aval as Aval;
  }
  const checked = Object.freeze({ shape: Object.freeze(valid), dtype: dtype as DType });
  validAvals.add(checked);
  return checked;
}
const validAvals = new WeakSet<Aval>();

function freezeAval(aval: Aval): Aval {
  // An aval taken from another node is frozen already and can be shared (every jit output is a
  // new data leaf with its graph output's aval).
  if (Object.isFrozen(aval) && Object.isFrozen(aval.shape)) return aval;
  return Object.freeze({ shape: Object.freeze([...aval.shape]), dtype: aval.dtype });
}

const NO_INPUTS: readonly Node[] = Object.freeze([]);

/**
 * Creates (or returns the existing identical) node. For non-leaf primitives the shape/dtype
 * rule runs here, so an invalid graph can never be built.
 */
export function makeNode<P extends Prim>(prim: P, inputs: readonly Node[], params: PrimParams[P], aval?: Aval): Node<P> {
  if (typeof prim !== "string" || !Object.hasOwn(PRIMITIVES, prim)) throw new ValueError(`makeNode: unknown primitive ${describeValue(prim)}`);
  const rule = PRIMITIVES[prim] as unknown as PrimRule<P>;
  if (!Array.isArray(inputs) || !inputs.every((i) => typeof i === "object" && i !== null && GraphNode.isMade(i))) {
    throw new ValueError(`${prim}: inputs must be an array of graph nodes, got ${describeValue(inputs)}`);
  }
  if (!validParams.has(params as object)) params = parseParams(prim, rule.params, params);
  if (aval === undefined && !rule.infer) throw new ValueError(`${prim}: a leaf node needs its aval (shape and dtype)`);
  const out = freezeAval(aval !== undefined ? checkAval(prim, aval) : rule.infer!(inputs.map((i) => i.aval), params));
  // Inferred shapes are bounded too: broadcasting to [1e6, 1e6] fails here, not in an endless kernel.
  checkSize(prim, out.shape);
  const unique = prim === "data" || prim === "input";
  // The newest placeholder below the node owns its table entry (any would do: same key, same inputs).
  let owner: Node | undefined;
  for (const i of inputs) {
    const o = symbolicOwner.get(i);
    if (o !== undefined && (owner === undefined || o.id > owner.id)) owner = o;
  }
  const placeholderBound = prim === "input" || owner !== undefined;
  const literalOnly = prim === "const" || prim === "iota" || (inputs.length > 0 && inputs.every((i) => overLiterals.has(i)));
  // Placeholder-bound and literal-only nodes hold no call's value: they may outlive the scope.
  const lasting = placeholderBound || literalOnly;
  const literal = prim === "const";
  const intern = !unique && !literal && (internDepth > 0 || placeholderBound);
  // Only nodes that are shared look their twin up (and so need their key now).
  const key = literal || intern ? nodeKey(prim, params, inputs, out, 0) : undefined;
  if (literal) {
    const hit = literals.get(key!);
    if (hit) return hit as Node<P>;
  } else if (intern) {
    const hit = owner !== undefined ? byPlaceholder.get(owner)?.get(key!) : lasting ? symbolicNodes.get(key!) : scoped.get(key!);
    if (hit) return hit as Node<P>;
  }
  const node: Node<P> = Object.freeze(new GraphNode(
    nextId++,
    prim,
    inputs.length ? Object.freeze([...inputs]) : NO_INPUTS,
    // Leaf params hold a label or a DataBuffer (left unfrozen anyway): a shallow freeze is the same.
    // immer's deep freeze (as nn's stateDict snapshots): plain objects and arrays all the way down;
    // class instances (a DataBuffer, a ControlCall) are left as they are.
    unique ? Object.freeze(params) : freeze(params, true),
    out,
    key,
  ));
  validParams.add(node.params);
  // Not `validAvals.add(out)` for every node: a caller-given aval taken from a node is validated
  // again (checkAval: a shape check and a frozen copy, remembered). A WeakSet entry per node made
  // the set's table grow with the nodes a synchronous loop made: in a loop of PRNG draws
  // (prng.split, prng.normal and random.normal: loop-memory.ts) the heap grew ~8.7 KB a step, after a full
  // collection too; ~0.3 KB without.
  if (placeholderBound) symbolicOwner.set(node, owner ?? node);
  if (literalOnly) overLiterals.add(node);
  if (literal) literals.set(key!, node);
  else if (intern && owner !== undefined) {
    let table = byPlaceholder.get(owner);
    if (table === undefined) byPlaceholder.set(owner, (table = new Map()));
    table.set(key!, node);
  } else if (intern) (lasting ? symbolicNodes : scoped).set(key!, node);
  return node;
}

/**
 * @internal Whether `node` depends on a trace placeholder (an `input` leaf), as recorded when it
 * was built: `trace.ts`'s `dependsOnPlaceholder` without a graph walk.
 */
export function isPlaceholderBound(node: Node): boolean {
  return symbolicOwner.has(node);
}

/**
 * Whether `v` is a node built by `makeNode` (a look-alike object was never validated, so a Tensor
 * or a graph must not be built on it: its params would reach a kernel renderer unchecked).
 * @example isNode(np.zeros([2]).node) // true; isNode({ prim: "const", params: { value: "x" } }) // false
 */
export function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && GraphNode.isMade(v);
}

/**
 * @internal The `data` leaf of a realized buffer (realize.ts `dataNode`): its params are built
 * here from a DataBuffer the caller made, so the schema walk is skipped (one leaf per realized
 * value: a jitted step makes one per output, every call).
 */
export function makeDataLeaf(ref: DataBuffer, aval: Aval): Node<"data"> {
  if (!(ref instanceof DataBuffer)) throw new ValueError(`data: ref must be a DataBuffer, got ${describeValue(ref)}`);
  const out = checkAval("data", aval);
  checkSize("data", out.shape);
  const id = nextId++;
  return Object.freeze(new GraphNode<"data">(id, "data", NO_INPUTS, Object.freeze({ ref }), out));
}

/** A scalar literal node. */
export function constNode(value: number, dtype: DType): Node<"const"> {
  // The common case first: a number literal already in the table is returned without building
  // its params (the key is the one makeNode computes for it).
  if (typeof value === "number" && Object.hasOwn(SCALAR_AVALS, dtype)) {
    const hit = literals.get(`const{value:${numberText(value)};}():${dtype}[]`);
    if (hit) return hit as Node<"const">;
    return makeNode("const", [], { value }, SCALAR_AVALS[dtype]);
  }
  return makeNode("const", [], { value }, { shape: [], dtype });
}

/** One frozen, validated scalar aval per dtype (every literal has one). */
const SCALAR_AVALS = Object.fromEntries(DTYPES.map((d) => {
  const aval: Aval = Object.freeze({ shape: Object.freeze([]) as readonly number[], dtype: d });
  validAvals.add(aval);
  return [d, aval];
})) as Record<DType, Aval>;

export function avalString(aval: Aval): string {
  const short: Record<DType, string> = { float32: "f32", float64: "f64", float16: "f16", bfloat16: "bf16", int32: "i32", uint8: "u8", uint32: "u32", bool: "bool" };
  return `${short[aval.dtype]}${fmtShape(aval.shape)}`;
}

export function isLeaf(node: Node): boolean {
  return node.inputs.length === 0;
}

export type { Shape };
