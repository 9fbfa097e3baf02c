/**
 * `jit`: trace once per signature, optimize the graph, compile one executable plan, replay it.
 *
 * The signature is the pytree structure of the arguments, each dynamic leaf's aval (and weak
 * flag), the static arguments' values, the environment settings and the backend. States read
 * while tracing become extra graph inputs and States written become extra outputs; a cache entry
 * remembers which States it touched and their avals, and a call whose States have changed shape or
 * dtype traces anew. Writes are committed after the plan ran (and emitted on the States' streams);
 * a failure before that leaves every State as it was.
 */
import {
  type AnyState, type CompiledGraph, type DataBuffer, type Graph, type Node, type StateTrace, type StateValue, type TreeDef,
  ConcretizationError, Tensor, ValueError, activeExecutor, avalString, bufferOf, commitStateWrites, compileGraph, dataNode,
  dependsOnPlaceholder, environ, substituter, isTracingStates, makeGraph, makeNode, optimizeGraph, printGraph, realizeSync, tree,
  valueSignature, withStateTrace, npUtil, StateError, setExecutor,
} from "@kiln/core";

export interface JitOptions {
  /** Positional arguments that are compile-time constants: their values are part of the cache key. */
  staticArgnums?: number | readonly number[];
  /** Arguments whose buffers the plan may reuse for its outputs (the caller must not use them afterwards). */
  donateArgnums?: number | readonly number[];
  /** Backend to compile for (default: the active one). */
  backend?: string;
}

/** What `lower` returns: the optimized graph's text, every kernel's source, and plan statistics. */
export interface Lowered {
  readonly graph: string;
  readonly kernels: readonly { readonly name: string; readonly backend: string; readonly source: string }[];
  readonly stats: { readonly kernels: number; readonly flops: number; readonly bytes: number; readonly peakBytes: number };
}

export interface Jitted<F extends (...args: any[]) => any> {
  (...args: Parameters<F>): ReturnType<F>;
  /** Traces (or reuses the cached trace) and reports the compiled plan, without running it. */
  lower(...args: Parameters<F>): Lowered;
  /** Number of cached signatures. */
  cacheSize(): number;
  clearCache(): void;
  /** How many times the function has been traced (each trace runs the Python... JS function once). */
  traceCount(): number;
}

interface StateSlot {
  readonly state: AnyState;
  /** The value signature when traced: a different one means a different graph. */
  readonly signature: string;
  readonly placeholders: readonly Node[];
}

interface Entry {
  readonly graph: Graph;
  readonly compiled: CompiledGraph;
  readonly reads: readonly StateSlot[];
  /** Written States, in write order, with how many output leaves each takes. */
  readonly writes: readonly { state: AnyState; def: TreeDef; count: number }[];
  readonly outDef: TreeDef;
  readonly numOutLeaves: number;
  readonly outWeak: readonly boolean[];
}

function normNums(op: string, v: number | readonly number[] | undefined, arity: number | null): number[] {
  if (v === undefined) return [];
  const list = typeof v === "number" ? [v] : [...v];
  for (const n of list) {
    if (!Number.isInteger(n)) throw new ValueError(`jit: ${op} must be integers, got ${JSON.stringify(v)}`);
    if (arity !== null && (n < -arity || n >= arity)) throw new ValueError(`jit: ${op} ${n} is out of range for a function called with ${arity} argument(s)`);
  }
  return list;
}

function staticKey(v: unknown): string {
  if (v instanceof Tensor) throw new ValueError(`jit: a static argument must be a hashable JS value (number, string, boolean, plain data), not a Tensor`);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    throw new ValueError(`jit: a static argument must be JSON-serializable plain data`);
  }
}

function leafKey(l: unknown): string {
  if (l instanceof Tensor) return `${avalString(l.node.aval)}${l.weak ? "w" : ""}`;
  if (typeof l === "number") return Number.isInteger(l) ? "n:i" : "n:f";
  if (typeof l === "boolean") return "b";
  throw new ValueError(`jit: arguments must be Tensors, numbers, booleans or pytrees of them (use staticArgnums for other values), got ${typeof l}`);
}

const isLeafTensor = (v: unknown): boolean => v instanceof Tensor;

let placeholderCounter = 0;
function placeholder(aval: { shape: readonly number[]; dtype: Tensor["dtype"] }, label: string): Node {
  return makeNode("input", [], { label: `${label}${placeholderCounter++}` }, aval);
}

/**
 * Compiles `fn` once per signature and replays the compiled plan on later calls.
 * @example
 * const step = jit((x: Tensor) => np.sum(np.tanh(x).mul(x)));
 * step(np.ones([4])).itemSync();    // traced and compiled
 * step(np.ones([4])).itemSync();    // replayed
 * step.lower(np.ones([4])).stats;   // { kernels, flops, bytes, peakBytes }
 */
export function jit<F extends (...args: any[]) => any>(fn: F, opts: JitOptions = {}): Jitted<F> {
  if (typeof fn !== "function") throw new ValueError(`jit: expected a function, got ${typeof fn}`);
  normNums("staticArgnums", opts.staticArgnums, null);
  normNums("donateArgnums", opts.donateArgnums, null);
  const cache = new Map<string, Entry[]>();
  let traces = 0;

  const signatureOf = (args: readonly unknown[]): { key: string; dynamic: unknown[] } => {
    const statics = new Set(normNums("staticArgnums", opts.staticArgnums, args.length).map((i) => (i < 0 ? i + args.length : i)));
    const dynamic = args.map((a, i) => (statics.has(i) ? null : a));
    const [leaves, def] = tree.flatten(dynamic, isLeafTensor);
    const parts = [tree.structureKey(def), leaves.map(leafKey).join(","), [...statics].sort().map((i) => `${i}=${staticKey(args[i])}`).join(";"), environ.signature(), opts.backend ?? activeExecutor().name];
    return { key: parts.join("|"), dynamic };
  };

  const findEntry = (key: string): Entry | undefined =>
    cache.get(key)?.find((e) => e.reads.every((r) => valueSignature(r.state.committedValue) === r.signature));

  const trace = (args: readonly unknown[], key: string): Entry => {
    traces++;
    const statics = new Set(normNums("staticArgnums", opts.staticArgnums, args.length).map((i) => (i < 0 ? i + args.length : i)));
    const [leaves, def] = tree.flatten(args.map((a, i) => (statics.has(i) ? null : a)), isLeafTensor);
    const argPlaceholders: Node[] = [];
    const tracedLeaves = leaves.map((l) => {
      const t = l instanceof Tensor ? l : npUtil.asTensor(l as number | boolean, "jit");
      const p = placeholder(t.node.aval, "arg");
      argPlaceholders.push(p);
      return new Tensor(p, t.weak);
    });
    const tracedDynamic = tree.unflatten<unknown[]>(def, tracedLeaves);
    const tracedArgs = args.map((a, i) => (statics.has(i) ? a : tracedDynamic[i]));

    const reads: StateSlot[] = [];
    const readValues = new Map<AnyState, StateValue>();
    const writes = new Map<AnyState, StateValue>();
    const stateTrace: StateTrace = {
      read(state, parentValue) {
        const written = writes.get(state);
        if (written) return written;
        const seen = readValues.get(state);
        if (seen) return seen;
        const current = parentValue();
        const [ls, sdef] = tree.flatten(current, isLeafTensor);
        const ps = ls.map((l) => placeholder((l as Tensor).node.aval, "state"));
        const value = tree.unflatten<StateValue>(sdef, ps.map((p, i) => new Tensor(p, (ls[i] as Tensor).weak)));
        reads.push({ state, signature: valueSignature(current), placeholders: ps });
        readValues.set(state, value);
        return value;
      },
      write(state, value) {
        writes.set(state, value);
      },
    };
    const out = withStateTrace(stateTrace, () => fn(...tracedArgs));
    const [outLeaves, outDef] = tree.flatten(out, isLeafTensor);
    const outTensors = outLeaves.map((l) => {
      if (l instanceof Tensor) return l;
      if (typeof l === "number" || typeof l === "boolean") return npUtil.asTensor(l, "jit");
      throw new ValueError(`jit: the function must return Tensors, numbers or pytrees of them, got ${typeof l}`);
    });
    const writeList = [...writes].map(([state, value]) => {
      const [ls, wdef] = tree.flatten(value, isLeafTensor);
      return { state, def: wdef, count: ls.length, leaves: ls as Tensor[] };
    });
    const inputs = [...argPlaceholders, ...reads.flatMap((r) => r.placeholders)];
    const outputs = hoistConstants([...outTensors, ...writeList.flatMap((w) => w.leaves)].map((t) => t.node));
    const graph = optimizeGraph(makeGraph(inputs, outputs));
    const compiled = withBackend(opts.backend, () => compileGraph(graph, activeExecutor()));
    const entry: Entry = {
      graph, compiled, reads,
      writes: writeList.map(({ state, def: d, count }) => ({ state, def: d, count })),
      outDef, numOutLeaves: outTensors.length, outWeak: outTensors.map((t) => t.weak),
    };
    const list = cache.get(key) ?? [];
    list.push(entry);
    cache.set(key, list);
    return entry;
  };

  const entryFor = (args: readonly unknown[]): { entry: Entry; dynamic: unknown[] } => {
    const { key, dynamic } = signatureOf(args);
    return { entry: findEntry(key) ?? trace(args, key), dynamic };
  };

  const call = (...args: any[]): any => {
    // Under another transform's trace (or given symbolic values), jit is transparent: the
    // function's graph joins the enclosing one, so grad(jit(f)) differentiates through f.
    const [argLeaves] = tree.flatten(args, isLeafTensor);
    if (isTracingStates() || argLeaves.some((l) => l instanceof Tensor && l.node.prim !== "data" && dependsOnPlaceholder(l.node))) {
      return fn(...args);
    }
    const { entry, dynamic } = entryFor(args);
    const [leaves] = tree.flatten(dynamic, isLeafTensor);
    const inputTensors = [
      ...leaves.map((l) => (l instanceof Tensor ? l : npUtil.asTensor(l as number | boolean, "jit"))),
      ...entry.reads.flatMap((r) => tree.flatten(r.state.committedValue, isLeafTensor)[0] as Tensor[]),
    ];
    const buffers = realizeBuffers(inputTensors);
    const outBufs = withBackend(opts.backend, () => entry.compiled.run(buffers));
    const outs = entry.graph.outputs.map((n, i) => new Tensor(dataNode(outBufs[i]!, n.aval), i < entry.numOutLeaves ? entry.outWeak[i] : false));
    // Commit: every write assigned, then every stream emits (commitStateWrites).
    let k = entry.numOutLeaves;
    const commits = new Map<AnyState, StateValue>();
    for (const w of entry.writes) {
      commits.set(w.state, tree.unflatten<StateValue>(w.def, outs.slice(k, k + w.count)));
      k += w.count;
    }
    if (commits.size) commitStateWrites(commits);
    return tree.unflatten(entry.outDef, outs.slice(0, entry.numOutLeaves));
  };

  const jitted = call as Jitted<F>;
  jitted.lower = (...args: any[]) => {
    const { entry } = entryFor(args);
    return { graph: printGraph(entry.graph), kernels: entry.compiled.kernels, stats: entry.compiled.stats };
  };
  jitted.cacheSize = () => [...cache.values()].reduce((a, l) => a + l.length, 0);
  jitted.clearCache = () => cache.clear();
  jitted.traceCount = () => traces;
  return jitted;
}

/**
 * Values the traced function closed over that do not depend on its arguments or States (a batch
 * built lazily outside, a random matrix) are realized once, at trace time, and enter the graph as
 * constants — as JAX bakes closed-over arrays into the jaxpr — instead of being recomputed on
 * every call. Literals and their broadcasts stay inline.
 */
function hoistConstants(outputs: readonly Node[]): Node[] {
  const hoist: Node[] = [];
  const seen = new Set<Node>();
  const cheap = (n: Node): boolean => n.inputs.length === 0 || (n.prim === "broadcast" && n.inputs[0]!.prim === "const");
  const visit = (n: Node): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (!dependsOnPlaceholder(n)) {
      if (!cheap(n) && bufferOf(n) === undefined) hoist.push(n);
      return;
    }
    for (const i of n.inputs) visit(i);
  };
  const stack = [...outputs];
  // Iterative walk of the symbolic part of the graph; constant frontiers are collected.
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    if (!dependsOnPlaceholder(n)) {
      visit(n);
      continue;
    }
    seen.add(n);
    stack.push(...n.inputs);
  }
  if (!hoist.length) return [...outputs];
  const realized = realizeSync(hoist, "jit");
  const rebuild = substituter(new Map(hoist.map((n, i) => [n, realized[i]!])));
  return outputs.map(rebuild);
}

function withBackend<T>(name: string | undefined, f: () => T): T {
  if (!name || name === activeExecutor().name) return f();
  const prev = activeExecutor().name;
  setExecutor(name);
  try {
    return f();
  } finally {
    setExecutor(prev);
  }
}

/** Buffers for the plan's inputs (pending arguments are realized first, all together). */
function realizeBuffers(ts: readonly Tensor[]): DataBuffer[] {
  const pending = ts.filter((t) => bufferOf(t.node) === undefined);
  if (pending.length) realizeSync(pending.map((t) => t.node), "jit");
  return ts.map((t) => {
    const b = bufferOf(t.node);
    if (!b) throw new ConcretizationError(`jit: an argument could not be realized`);
    if (b.isReleased) throw new StateError(`jit: an argument or State value was used after dispose()`);
    return b;
  });
}
