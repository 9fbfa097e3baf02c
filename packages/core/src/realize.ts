/**
 * Realization: turns pending nodes into buffers through the active executor. Core defines the
 * executor interface and a registry; backends register implementations (core never imports one).
 * Until a compiled backend is registered, the reference interpreter realizes everything.
 */
import { type BufferStorage, DataBuffer, releaseStorage, setReleaseHook } from "./buffer.js";
import { type DType, type TypedArray, hostValues, toTyped } from "./dtype.js";
import { BackendUnavailableError, ConcretizationError } from "./errors.js";
import { type Graph, topoSort } from "./ir/graph.js";
import { type Node, makeDataLeaf } from "./ir/node.js";
import { type Aval } from "./ir/primitives.js";
import { interpret } from "./interpret.js";
import { sizeOf } from "./shape.js";
import { resolveBindings } from "./trace.js";

/** What a backend offers core: run the graph that computes `outputs`. */
export interface Executor {
  readonly name: string;
  /** Whether `executeSync` and synchronous readback are possible (cpu, gpujs: yes; webgpu: no). */
  readonly canSync: boolean;
  /**
   * `executeSync` only enqueues device work and returns buffers whose reads are asynchronous
   * (webgpu): realizing synchronously (jit's arguments) is possible even though `canSync` is false.
   */
  readonly canEnqueue?: boolean;
  /**
   * Whether a buffer without a host copy is still usable by this executor (a device backend says
   * no for buffers of a device that was lost or destroyed: their computed values are recomputed).
   */
  holds?(buf: DataBuffer): boolean;
  executeSync(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[];
  execute(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): Promise<DataBuffer[]>;
  /** Host copy of a buffer's contents (device backends read back). */
  read(buf: DataBuffer): Promise<TypedArray>;
  readSync(buf: DataBuffer): TypedArray;
  /**
   * Starts copying a device-only value to the host: a value kiln no longer owns that user code may
   * still hold (a State replaced it after handing it out), which would otherwise keep its device
   * storage until the garbage collector finalizes it — never, within a loop that allocates little.
   * Resolves once the host copy is kept (`adoptHost`), when `releaseToGc` frees the device copy;
   * null when the executor keeps the value on the device (optional: e.g. too large to copy per step).
   */
  readBehind?(buf: DataBuffer): Promise<unknown> | null;
  /**
   * Compiles a whole graph once into an executable plan that `jit` replays (optional: without it,
   * `compileGraph` replays through `executeSync`).
   */
  compile?(graph: Graph, opts?: CompileOptions): CompiledGraph;
}

/** Options of `Executor.compile`. */
export interface CompileOptions {
  /**
   * Per graph input: whether the plan may write an output into that input's storage (jit's
   * `donateArgnums`). An input buffer taken over is released by `run`; executors may ignore this.
   */
  readonly donate?: readonly boolean[];
  /**
   * Per graph output: whether its value is read by the next call and by nothing that could outlive
   * kiln's control of it (jit's State writes: the State frees or copies out a replaced value). The
   * executor may keep such a value where the next call reads it in place (the cpu backend: in the
   * WebAssembly heap); executors may ignore this.
   */
  readonly resident?: readonly boolean[];
}

/** A graph compiled once for replay: inputs are buffers for `graph.inputs`, in order. */
export interface CompiledGraph {
  run(inputs: readonly DataBuffer[]): DataBuffer[];
  /**
   * The caller drops this compilation (jit's signature cache evicted it): the executor may take
   * back what it keeps for its calls (webgpu: the plan's own device buffers, returned to the pool
   * instead of waiting for the collector). A later `run` still works (it allocates them again).
   */
  release?(): void;
  /** The kernels the plan launches, for inspection (`jit(...).lower()`); `outputs`: buffers each writes; `flops`: per run. */
  readonly kernels: readonly { readonly name: string; readonly backend: string; readonly source: string; readonly outputs: number; readonly flops: number }[];
  readonly stats: {
    readonly kernels: number; readonly flops: number; readonly bytes: number; readonly peakBytes: number;
    /** Device backends: command submissions per call, at most (reads of its outputs in the same turn included). */
    readonly submissions?: number;
    /** Device backends: where a call runs — the device, or the host for small plans whose inputs are there — and why. */
    readonly placement?: string;
  };
}

/**
 * Compiles `graph` with the executor's own compiler, or wraps `executeSync` (the interpreter's
 * path: no kernels, values computed by the reference semantics).
 */
export function compileGraph(graph: Graph, executor: Executor = active, opts: CompileOptions = {}): CompiledGraph {
  if (executor.compile) return executor.compile(graph, opts);
  const index = new Map(graph.inputs.map((n, i) => [n, i]));
  return {
    run(inputs) {
      const known = (n: Node): DataBuffer | undefined => {
        const i = index.get(n);
        return i === undefined ? bufferOf(n) : inputs[i];
      };
      const outs = executor.executeSync(graph.outputs, known);
      // An output that is an input or a constant comes back as that buffer: copy-free, but the
      // executor may hand the same buffer twice; callers treat buffers as immutable.
      return outs;
    },
    kernels: [],
    stats: { kernels: 0, flops: 0, bytes: 0, peakBytes: 0 },
  };
}

function interpretToBuffers(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[] {
  const env = new Map<Node, Float64Array>();
  for (const n of topoSort(outputs, (x) => known(x) !== undefined)) {
    const b = known(n);
    if (b?.host) env.set(n, Float64Array.from(hostValues(b.host, b.dtype)));
  }
  return interpret(outputs, env).map((v, i) => new DataBuffer(outputs[i]!.aval.dtype, v.length, toTyped(v, outputs[i]!.aval.dtype)));
}

/** The reference interpreter as an executor: the spec, and the fallback realization path. */
export const interpreterExecutor: Executor = {
  name: "interpreter",
  canSync: true,
  executeSync: interpretToBuffers,
  execute: async (outputs, known) => interpretToBuffers(outputs, known),
  read: async (buf) => buf.host!,
  readSync: (buf) => buf.host!,
};

const executors = new Map<string, Executor>([["interpreter", interpreterExecutor]]);
let active: Executor = interpreterExecutor;

/** Whether an executor holding values in device memory is registered (webgpu after `init()`). */
let deviceExecutors = false;

export function registerExecutor(ex: Executor): void {
  executors.set(ex.name, ex);
  if (!ex.canSync) deviceExecutors = true;
}

export function setExecutor(name: string): void {
  const ex = executors.get(name);
  if (!ex) throw new BackendUnavailableError(`no backend named "${name}" is registered (have: ${[...executors.keys()].join(", ")})`);
  active = ex;
}

export function activeExecutor(): Executor {
  return active;
}

// ---------------------------------------------------------------------------------------------
// Realized-node bookkeeping.

// The held value is the buffer's storage record, not the buffer: the host array goes with the
// last reference to the buffer even while a synchronous loop keeps this callback from running.
const dataNodeRegistry = new FinalizationRegistry<BufferStorage>(releaseStorage);
// A buffer released early needs no finalizer (and its registry entry would hold it meanwhile).
setReleaseHook((buf) => dataNodeRegistry.unregister(buf));
/** A computed node that was realized maps to its data leaf, so other graphs reuse the value. */
const realizedOf = new WeakMap<Node, Node<"data">>();

/** Wraps a buffer in a `data` leaf; the buffer is released when the node is collected. */
export function dataNode(buf: DataBuffer, aval: Aval): Node<"data"> {
  const node = makeDataLeaf(buf, aval);
  // The buffer is its own unregister token (held weakly): `releaseToGc` cancels the finalizer.
  dataNodeRegistry.register(node, buf.storage, buf);
  return node;
}

/**
 * Leaves a value that kiln no longer owns (a State replaced it, but user code may still hold it)
 * to the JS garbage collector instead of the FinalizationRegistry. The registry holds its buffer
 * strongly until its callback runs, and callbacks never run during a synchronous loop; a host-only
 * buffer needs no callback at all (its typed array is ordinary JS memory, collected with the last
 * handle or graph that refers to it). A device value read back to the host first gives up its
 * device storage. Returns false for a device-only value: that one stays with the registry, unless
 * its executor copies it to the host (`Executor.readBehind`), after which it is released here.
 * @example releaseToGc(bufferOf(replaced.node)!) // true on cpu: the replaced value is plain JS memory now
 */
export function releaseToGc(buf: DataBuffer): boolean {
  if (buf.device !== null && !buf.dropDevice()) {
    // Device-only: once its owner copied it to the host, the device storage goes (and the rest as here).
    const owner = buf.owner === null ? undefined : executors.get(buf.owner);
    owner?.readBehind?.(buf)?.then(() => void releaseToGc(buf), () => undefined);
    return false;
  }
  if (!buf.uncount()) return false;
  dataNodeRegistry.unregister(buf);
  return true;
}

/** A host typed array as a data leaf (copies nothing: the array is taken over). */
export function hostDataNode(data: TypedArray, aval: Aval): Node<"data"> {
  return dataNode(new DataBuffer(aval.dtype, sizeOf(aval.shape), data), aval);
}

export function bufferOf(node: Node): DataBuffer | undefined {
  if (node.prim === "data") return (node as Node<"data">).params.ref as DataBuffer;
  const d = realizedOf.get(node);
  // A realization whose buffer was disposed does not count: hash-consing hands the same node to
  // later code (the same graph built twice while tracing), which must compute it again. Nor does
  // one held only in device memory (webgpu) while a host executor is active, or in a device's
  // memory that is gone: the executor computes the value itself.
  const buf = d && (d.params.ref as DataBuffer);
  return buf && !buf.isReleased && (buf.readableSync || (!active.canSync && (active.holds?.(buf) ?? true))) ? buf : undefined;
}

function checkConcrete(nodes: readonly Node[], op: string): void {
  for (const n of topoSort(nodes, (x) => bufferOf(x) !== undefined)) {
    if (n.prim === "input") {
      throw new ConcretizationError(
        `${op}: this value depends on a traced argument (${(n as Node<"input">).params.label}: ${n.aval.dtype}[${n.aval.shape}]) ` +
          `and has no concrete value while the function is being transformed. Value-dependent control flow ` +
          `(if/while on a tensor's value) cannot be traced: use cond, whileLoop or scan instead, or mark the argument static.`,
      );
    }
  }
}

/**
 * The data leaves of `nodes` once `pending` (those of them without a value) were computed into
 * `bufs`: each computed node's realization is recorded, so other graphs reuse the value.
 */
function record(nodes: readonly Node[], pending: readonly Node[], bufs: readonly DataBuffer[]): Node<"data">[] {
  const made = new Map<Node, Node<"data">>();
  const cutFrom = pending.length - (cutsOf.get(pending) ?? 0);
  pending.forEach((n, i) => {
    const d = dataNode(bufs[i]!, n.aval);
    // A chain cut (pendingOf) is a cache the read made, not a value anyone asked for: most die with
    // the read (a deep one-shot graph: threefry's rounds, erfinv's polynomial). A host value leaves
    // the finalizer for the GC, whose registry entry (holding its storage) would outlive the node
    // until a synchronous loop yields: ~12 a step for prng.split in a loop, ~190 bytes each. A
    // device-only one (webgpu) is read behind first and then gives its device buffer back to the
    // pool (`releaseToGc`): left to the finalizer, each held a device buffer until a full collection.
    if (i >= cutFrom) releaseToGc(bufs[i]!);
    // A literal is recomputed for free, and literals live in a strong table (ir/node.ts): caching
    // its realization there would keep the buffer for as long as the literal stays in the table.
    if (n.prim !== "const") realizedOf.set(n, d);
    made.set(n, d);
  });
  return nodes.map((n) => (n.prim === "data" ? (n as Node<"data">) : made.get(n) ?? realizedOf.get(n)!));
}

/**
 * A buffer whose value only another executor's device holds (no host copy yet; gpujs reads its
 * own synchronously, webgpu only asynchronously).
 */
function heldElsewhere(buf: DataBuffer): Executor | null {
  if (buf.hasHost || buf.isReleased || buf.owner === null || buf.owner === active.name) return null;
  return executors.get(buf.owner) ?? null;
}

function deviceOnlyError(op: string, buf: DataBuffer, owner: Executor): BackendUnavailableError {
  return new BackendUnavailableError(
    `${op}: a ${buf.dtype}[${buf.size}] value is held in the ${owner.name} backend's device memory and the ${active.name} backend ` +
      `cannot read it synchronously; copy it to the host with await x.data() (the ${active.name} backend can use it after that), ` +
      `or setBackend("${owner.name}")`,
  );
}

/** The buffers of the realized leaves `nodes` (with their pending graphs) read from. */
function leafBuffers(nodes: readonly Node[]): DataBuffer[] {
  const out: DataBuffer[] = [];
  for (const n of topoSort(nodes, (x) => bufferOf(x) !== undefined)) {
    const buf = bufferOf(n);
    if (buf) out.push(buf);
  }
  return out;
}

/**
 * Host copies of values another executor's device holds, for a host executor about to compute
 * with them (a value computed on webgpu, then used after `setBackend("cpu")`).
 */
async function transferToHost(nodes: readonly Node[]): Promise<void> {
  if (!active.canSync || !deviceExecutors) return;
  await Promise.all(leafBuffers(nodes).map(async (buf) => {
    const owner = heldElsewhere(buf);
    if (owner) buf.adoptHost(await owner.read(buf));
  }));
}

/**
 * A buffer's values on the host: the active executor reads its own buffers; one that another
 * executor's device holds is read back through that executor. The host copy is kept.
 * @example
 * const host = await readBuffer(bufferOf(node)!);
 */
export async function readBuffer(buf: DataBuffer): Promise<TypedArray> {
  // (Not `buf.host`, which would read a gpujs texture with a blocking read: the executor reads it without.)
  if (buf.hasHost) return buf.host!;
  // The copy is kept (as JAX keeps an array's host value): later host reads and host backends use it.
  const host = await (heldElsewhere(buf) ?? active).read(buf);
  buf.adoptHost(host);
  return host;
}

/**
 * Synchronous `readBuffer`: a value held by another executor's device is read through that
 * executor when it reads synchronously (gpujs), else a clear error.
 */
export function readBufferSync(buf: DataBuffer, op: string): TypedArray {
  const owner = heldElsewhere(buf);
  if (owner && !owner.canSync) throw deviceOnlyError(op, buf, owner);
  return (owner ?? active).readSync(buf);
}

/**
 * Pending nodes to compute and keep along with what a read asked for: values are computed only
 * when read, so an eager loop that carries a value it never reads (`w = w.mul(0.99).add(g)`, a
 * loss read each step) would recompute the carried value's whole history at every read — time
 * quadratic in the step count. Depths fall into bands of `CUT_DEPTH` levels; a read also realizes
 * each node its pending graph reaches across a band boundary (caching it as any realized node is,
 * for as long as the node lives), so no later read recomputes more than two bands of a chain.
 * Graphs shallower than one band (nearly all eager code) are unchanged.
 */
function pendingOf(nodes: readonly Node[]): Node[] {
  const pending = [...new Set(nodes.filter((n) => bufferOf(n) === undefined))];
  if (!pending.some((n) => n.depth >= CUT_DEPTH)) return pending;
  const band = (n: Node) => Math.floor(n.depth / CUT_DEPTH);
  const seen = new Set<Node>(pending);
  const stack = [...pending];
  const cuts: Node[] = [];
  while (stack.length) {
    const n = stack.pop()!;
    for (const i of n.inputs) {
      if (seen.has(i)) continue;
      seen.add(i);
      if (i.inputs.length === 0 || bufferOf(i) !== undefined) continue;
      if (band(i) < band(n)) cuts.push(i);
      else stack.push(i);
    }
  }
  if (cuts.length === 0) return pending;
  const all = [...pending, ...cuts];
  cutsOf.set(all, cuts.length);
  return all;
}
/** How many of a pendingOf result's nodes (at its end) are chain cuts rather than asked-for values. */
const cutsOf = new WeakMap<readonly Node[], number>();
/** Levels of a pending chain in one band (see pendingOf). */
const CUT_DEPTH = 64;

/**
 * Realizes nodes synchronously; returns their data leaves. Read values through the returned
 * leaves: a scalar literal's realization is not cached, so `bufferOf(literal)` stays undefined.
 * @example const [d] = realizeSync([x.mul(2).node]); bufferOf(d)!.host // Float32Array
 */
export function realizeSync(nodes: readonly Node[], op = "dataSync"): Node<"data">[] {
  // Reading back a data leaf (a jit output) needs no binding resolution, check or graph walk.
  if (nodes.length === 1 && nodes[0]!.prim === "data") return [nodes[0] as Node<"data">];
  // Placeholders bound by a running transform compute with their bound values (trace.ts).
  const resolved = resolveBindings(nodes);
  if (resolved !== nodes) return realizeSync(resolved, op);
  checkConcrete(nodes, op);
  const pending = pendingOf(nodes);
  if (pending.length) {
    if (!active.canSync && !active.canEnqueue) {
      throw new BackendUnavailableError(`${op}: the ${active.name} backend cannot read synchronously; use the async form (await x.data() / x.item() / x.toArray())`);
    }
    // Only a device backend leaves values without a host copy: skip the walk otherwise.
    if (active.canSync && deviceExecutors) {
      for (const buf of leafBuffers(pending)) {
        const owner = heldElsewhere(buf);
        if (owner && !owner.canSync) throw deviceOnlyError(op, buf, owner);
      }
    }
    return record(nodes, pending, active.executeSync(pending, bufferOf));
  }
  return record(nodes, [], []);
}

/**
 * Realizes nodes (async); returns their data leaves (read values through them, see `realizeSync`).
 * @example const [d] = await realize([x.mul(2).node]); await readBuffer(bufferOf(d)!)
 */
export async function realize(nodes: readonly Node[], op = "data"): Promise<Node<"data">[]> {
  if (nodes.length === 1 && nodes[0]!.prim === "data") return [nodes[0] as Node<"data">];
  const resolved = resolveBindings(nodes);
  if (resolved !== nodes) return realize(resolved, op);
  checkConcrete(nodes, op);
  const pending = pendingOf(nodes);
  if (pending.length) {
    await transferToHost(pending);
    return record(nodes, pending, await active.execute(pending, bufferOf));
  }
  return record(nodes, [], []);
}
