/**
 * The lazy Tensor handle: an immutable handle on a node of the expression graph. Building one
 * never computes anything; reading it realizes just what it needs. Its chaining methods (`x.add(y)`,
 * `x.sum()`, …) are the short names of `np` functions, attached by np/tensor-methods.ts.
 */
import { DataBuffer } from "./buffer.js";
import { type DType, type TypedArray, type ValueArray, hostValues, isBits16 } from "./dtype.js";
import { CoercionError, DisposedError, ValueError, checkFunction, describeValue } from "./errors.js";
import { type Node, isInterning, isNode } from "./ir/node.js";
import { activeExecutor, bufferOf, readBuffer, readBufferSync, realize, realizeSync, releaseToGc } from "./realize.js";
import { type Shape, sizeOf } from "./shape.js";
import { dependsOnPlaceholder } from "./trace.js";

/** Anything accepted where a Tensor is: a Tensor, a JS number/boolean, or nested arrays of them. */
export type ArrayLike = Tensor | number | boolean | NestedArray | HostArray;
/**
 * JS typed arrays accepted as array data (copied: a Tensor's values never change). Their dtype:
 * Float32Array float32, Float64Array float64, the integer arrays int32 (Uint32Array values must fit).
 */
export type HostArray =
  | Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray;
export interface NestedArray extends ReadonlyArray<number | boolean | NestedArray | Tensor> {}

/** Nested JS arrays of numbers, as returned by `toArray()`. */
export type NestedNumbers = number | NestedNumbers[];
/** Nested JS arrays of booleans, as `toArray()` returns for a bool Tensor. */
export type NestedBooleans = boolean | NestedBooleans[];

// tidy() scopes: every Tensor created inside is recorded so the scope can dispose it.
const tidyScopes: Tensor[][] = [];
/**
 * Handles that are (leaves of) a State's committed value, with how many States hold them: a State
 * owns its value, so `tidy()` never disposes one (as TF.js never disposes a Variable's tensor).
 */
const stateHeld = new WeakMap<Tensor, number>();

/** @internal A State committed `t` (state.ts). */
export function holdForState(t: Tensor): void {
  stateHeld.set(t, (stateHeld.get(t) ?? 0) + 1);
}

/** @internal A State replaced `t`; returns whether another State still holds it. */
export function dropFromState(t: Tensor): boolean {
  const n = (stateHeld.get(t) ?? 0) - 1;
  if (n > 0) stateHeld.set(t, n);
  else stateHeld.delete(t);
  return n > 0;
}
/**
 * @internal Computes the values of `ts` now (one plan for all of them), each handle then pointing
 * at its buffer: a State's value assigned eagerly (`s.value = s.value.sub(g.mul(lr))`) is computed
 * when committed, as BrainState's and JAX's arrays are. Left lazy, every later graph reading the
 * State would recompute its whole history — a training loop quadratic in its steps, its graph
 * growing without bound. Values of a running trace, disposed handles and backends that cannot
 * compute synchronously are left as they are (the read computes them).
 */
export function realizeHandlesSync(ts: readonly Tensor[]): void {
  const ex = activeExecutor();
  if (!ex.canSync && !ex.canEnqueue) return;
  // A node already computed (read through another handle) is adopted too: the handle drops its history.
  const todo = ts.filter((t) => !t.isDisposed && t.node.prim !== "data" && !dependsOnPlaceholder(t.node));
  if (todo.length === 0) return;
  const leaves = realizeSync(todo.map((t) => t.node), "State commit");
  todo.forEach((t, i) => adoptInto(t, leaves[i]!));
}

/** Graph depth at which a new eager handle computes its value (see the Tensor constructor). */
const DEEP_HANDLE = 128;

/** A handle takes a realization of its node (Tensor's private #adopt). */
let adoptInto: (t: Tensor, d: Node<"data">) => void;

// No finalizer on handles: a collected handle must not free a buffer that pending graphs still
// read (np.array(v).add(1) keeps v's data node, not its handle). The buffer is freed when its
// data node is collected (realize.ts), i.e. when neither a handle nor a graph refers to it.

/**
 * A caller's own copy of a buffer's values: float16/bfloat16 bits decode into a new Float32Array,
 * any other host array is copied (the buffer stays immutable).
 */
function valuesCopy(buf: DataBuffer, host: TypedArray): ValueArray {
  return isBits16(buf.dtype) ? hostValues(host, buf.dtype) : (host as ValueArray).slice();
}

export class Tensor {
  #node: Node;
  #disposed = false;
  /** The buffer this handle owns (after it realized), released by `dispose()`. */
  #owned: DataBuffer | null = null;
  /** A weakly typed value (from a JS number): it does not widen the other operand's dtype. */
  readonly weak: boolean;

  /** @internal Use `np.array` and friends; this wraps an existing graph node. */
  constructor(node: Node, weak = false) {
    // The exported constructor is a trust boundary: a look-alike node's params would reach a renderer.
    if (!isNode(node)) throw new ValueError(`Tensor: expected a graph node from makeNode/constNode, got ${describeValue(node)}; create tensors with np.array, np.zeros, ...`);
    if (typeof weak !== "boolean") throw new ValueError(`Tensor: weak must be a boolean, got ${describeValue(weak)}`);
    this.#node = node;
    this.weak = weak;
    tidyScopes[tidyScopes.length - 1]?.push(this);
    const buf = node.prim === "data" ? bufferOf(node) : undefined;
    if (buf) this.#own(buf);
    // A deep eager value is computed now (outside any transform's graph building): a value a loop
    // carries without reading it (`[key, sub] = prng.split(key)`, `w = w.mul(0.99).add(g)` read
    // only through a loss) otherwise keeps its whole history of graph nodes, however the reads cut
    // its recomputation (realize.ts): ~70 KB a step for a carried PRNG key. Its handle then points
    // at a buffer, so the history kept is at most DEEP_HANDLE levels.
    else if (node.depth >= DEEP_HANDLE && !isInterning()) {
      try {
        realizeHandlesSync([this]);
        // Most such values are a deep computation's intermediates (threefry's rounds), dropped at
        // once: a host value is left to the GC, not to a finalizer that waits for the loop to yield;
        // a device-only one (webgpu) is read behind first, its device buffer then back in the pool
        // (`releaseToGc`): otherwise each held a device buffer until a full collection.
        const own = this.#owned;
        if (own) releaseToGc(own);
      } catch {
        // Left pending: the read computes it again and reports what failed.
      }
    }
  }

  /** @internal The graph node this handle currently points at. */
  get node(): Node {
    if (this.#disposed) throw new DisposedError(`a Tensor(${this.#node.aval.dtype}[${this.#node.aval.shape}]) was used after dispose()`);
    return this.#node;
  }

  get shape(): number[] {
    return [...this.#node.aval.shape];
  }
  get dtype(): DType {
    return this.#node.aval.dtype;
  }
  get ndim(): number {
    return this.#node.aval.shape.length;
  }
  get size(): number {
    return sizeOf(this.#node.aval.shape);
  }
  get isDisposed(): boolean {
    return this.#disposed;
  }

  #own(buf: DataBuffer): void {
    if (this.#owned === buf) return;
    buf.retain();
    this.#owned = buf;
  }

  static {
    adoptInto = (t, d) => t.#adopt(d);
  }

  #adopt(dataNode: Node<"data">): void {
    // A traced value (read through a transform's placeholder binding) keeps its graph: the
    // transform still differentiates through it.
    if (dependsOnPlaceholder(this.#node)) return;
    // After realization the handle points at the buffer leaf and drops the graph above it.
    this.#node = dataNode;
    this.#own(bufferOf(dataNode)!);
  }

  // ------------------------------------------------------------------ readback
  /** Realizes and returns the values as a typed array (Float32Array for float32, float16 and bfloat16). */
  async data(): Promise<ValueArray> {
    return this.#read("data");
  }
  async #read(op: string): Promise<ValueArray> {
    const [d] = await realize([this.node], op);
    this.#adopt(d!);
    return valuesCopy(bufferOf(d!)!, await readBuffer(bufferOf(d!)!));
  }
  /** Synchronous `data()`; cpu backends only (webgpu throws, naming `await x.data()`). */
  dataSync(): ValueArray {
    return this.#readSync("dataSync");
  }
  /** `dataSync()` whose errors (a traced value under jit, a webgpu buffer) name the method called. */
  #readSync(op: string): ValueArray {
    const [d] = realizeSync([this.node], op);
    this.#adopt(d!);
    return valuesCopy(bufferOf(d!)!, readBufferSync(bufferOf(d!)!, op));
  }
  /**
   * The single value of a size-1 tensor: a number, or a boolean for a bool tensor (as NumPy's and
   * JAX's `item()`). The static type is a number unless asked for: `await mask.item<boolean>()`.
   * @example await np.array([2.5]).item() // 2.5
   * @example await np.array(3).greater(2).item<boolean>() // true
   */
  async item<T extends number | boolean = number>(): Promise<NoInfer<T>> {
    checkItem(this);
    return scalarOf(await this.#read("item"), this.dtype) as T;
  }
  /** Synchronous `item()`; cpu backends only. A bool tensor gives a boolean (`itemSync<boolean>()`). */
  itemSync<T extends number | boolean = number>(): NoInfer<T> {
    checkItem(this);
    return scalarOf(this.#readSync("itemSync"), this.dtype) as T;
  }
  /**
   * Nested JS arrays (a number for a scalar); a bool tensor gives booleans, as NumPy's and JAX's
   * `tolist()` (`data()` stays a typed array of 0/1). Typed as numbers unless asked for.
   * @example await np.array([1, 2]).greater(1).toArray<NestedBooleans>() // [false, true]
   */
  async toArray<T extends NestedNumbers | NestedBooleans = NestedNumbers>(): Promise<NoInfer<T>> {
    return nest(await this.#read("toArray"), this.shape, this.dtype === "bool") as T;
  }
  /** Synchronous `toArray()`; cpu backends only. */
  toArraySync<T extends NestedNumbers | NestedBooleans = NestedNumbers>(): NoInfer<T> {
    return nest(this.#readSync("toArraySync"), this.shape, this.dtype === "bool") as T;
  }
  /** Realized values where a sync read is possible, else `Tensor(float32[3], pending)`. */
  toString(): string {
    try {
      if (activeExecutor().canSync) return `Tensor(${JSON.stringify(this.toArraySync())}, ${this.dtype})`;
    } catch {
      // traced or disposed: fall through to the description
    }
    return `Tensor(${this.dtype}[${this.shape}], ${this.#disposed ? "disposed" : "pending"})`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
  /**
   * JS coercion. A Tensor is not a number: `x.sum() > 0`, `x + 1`, `Number(x)` and `+x` throw a
   * CoercionError instead of silently giving NaN or `false` (under `jit` a silently wrong branch
   * would be compiled in). Read the value with `itemSync()`/`await item()`, compute with
   * `np.greater`/`np.where`, or branch on traced values with `cond`.
   *
   * Strings: `` `${x}` `` and `String(x)` give `toString()` (the values, as `console.log` shows
   * them) outside a transform, but throw inside one when `x` is traced, since a traced value has no
   * values to print and code building strings from it would bake one trace's text into the graph.
   * @example
   * const x = np.array([1, 2]);
   * `${x}`            // "Tensor([1,2], float32)"
   * x.sum() > 0       // throws CoercionError: use x.sum().itemSync() > 0 or np.greater(...)
   */
  [Symbol.toPrimitive](hint: "number" | "string" | "default"): string {
    const traced = !this.#disposed && dependsOnPlaceholder(this.#node);
    if (hint === "string" && !traced) return this.toString();
    const what = `a Tensor(${this.dtype}[${this.shape}])${traced ? " traced by a transform" : ""}`;
    const fix = traced
      ? "inside jit/grad/vmap, compute with np.where / np.greater and branch with cond (or whileLoop); under grad, itemSync() reads the value"
      : "read a value with itemSync() / await item() (or toArraySync()), or compute with np.where / np.greater";
    throw new CoercionError(`${what} was used as a JS ${hint === "string" ? "string" : "number"} (comparison, arithmetic, Number(), template string): ${fix}`);
  }
  /** Frees this handle's buffer now (optional: buffers are also freed when the handle is collected). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#owned) {
      this.#owned.disown();
      this.#owned = null;
    }
  }
  // The chaining methods (add, sum, reshape, T, get, matmul, …) are np's: declared and installed
  // by np/tensor-methods.ts, so this file does not load np.
}

function checkItem(t: Tensor): void {
  if (t.size !== 1) throw new ValueError(`item(): only size-1 tensors have an item; this one has shape [${t.shape}] — use data() or toArray()`);
}

/** The first value, as a JS boolean for a bool tensor. */
function scalarOf(data: TypedArray, dtype: DType): number | boolean {
  return dtype === "bool" ? data[0] !== 0 : data[0]!;
}

/** Nested arrays of the values in `shape`; `bools` turns the stored 0/1 into false/true. */
function nest(data: TypedArray, shape: Shape, bools: boolean): NestedNumbers | NestedBooleans {
  const at = bools ? (i: number) => data[i] !== 0 : (i: number) => data[i]!;
  if (shape.length === 0) return at(0);
  type Nested = number | boolean | Nested[];
  const build = (offset: number, d: number): Nested[] => {
    const n = shape[d]!;
    const stride = sizeOf(shape.slice(d + 1));
    const out: Nested[] = [];
    for (let i = 0; i < n; i++) out.push(d === shape.length - 1 ? at(offset + i) : build(offset + i * stride, d + 1));
    return out;
  };
  return build(0, 0) as NestedNumbers | NestedBooleans;
}

/**
 * Runs `fn` and frees every Tensor created inside it that `fn` does not return (buffers that a
 * returned pending tensor still needs are kept). Values committed to a State inside `fn` belong to
 * the State and are never freed here (nor the buffers they read).
 * @example const y = tidy(() => x.mul(2).add(1).sum()); // the temporaries are freed
 */
export function tidy<T>(fn: () => T): T {
  checkFunction("tidy", "fn", fn);
  const scope: Tensor[] = [];
  tidyScopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    tidyScopes.pop();
  }
  const keep = new Set<Tensor>();
  const keepBuffers = new Set<DataBuffer>();
  const visit = (v: unknown): void => {
    if (v instanceof Tensor) {
      keep.add(v);
      if (!v.isDisposed) collectBuffers(v.node, keepBuffers);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(visit);
  };
  visit(result);
  // Values committed to States are the States' (and so is every buffer their pending graphs read).
  const held = scope.filter((t) => stateHeld.has(t));
  held.forEach(visit);
  const outer = tidyScopes[tidyScopes.length - 1];
  for (const t of scope) {
    if (keep.has(t)) {
      if (!stateHeld.has(t)) outer?.push(t); // a returned tensor belongs to the enclosing scope
      continue;
    }
    const buf = t.isDisposed ? undefined : bufferOf(t.node);
    if (buf && keepBuffers.has(buf)) continue;
    t.dispose();
  }
  return result;
}

function collectBuffers(root: Node, out: Set<DataBuffer>): void {
  const stack = [root];
  const seen = new Set<Node>();
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const b = bufferOf(n);
    if (b) {
      out.add(b);
      continue;
    }
    stack.push(...n.inputs);
  }
}
