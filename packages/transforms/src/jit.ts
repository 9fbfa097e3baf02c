/**
 * `jit`: trace once per signature, optimize the graph, compile one executable plan, replay it.
 *
 * The signature is the pytree structure of the arguments, each dynamic leaf's aval (and weak
 * flag), the static arguments' values, the environment settings and the backend. States read
 * while tracing become extra graph inputs and States written become extra outputs; a cache entry
 * remembers which States it touched and their avals, and a call whose States have changed shape or
 * dtype traces anew. Writes are committed after the plan ran (and emitted on the States' streams);
 * a failure before that leaves every State as it was.
 *
 * Replays are cheap: a call is matched against the cached entries structurally (its arguments
 * walked against each entry's traced structure and leaf avals, States checked by the identity of
 * their committed values, settings by their memoized signature), with no string key built, no
 * trace and no graph hashed; the compiled plan then runs with its kernels resolved and its
 * temporaries allocated once. `donateArgnums` lets the plan write outputs into the storage of the
 * arguments the caller gives up (see the cpu runtime's `planDonations`).
 */
import {
  type Signature, type StateSlot, NOT_STATIC, countSlowSignature, fastMatch, isLeafTensor, leafKey, leafSpec,
  normNums, stateMatches, staticKey,
} from "./jit-signature.js";
import {
  type AnyState, type CompiledGraph, DataBuffer, type Graph, type Node, type StateTrace, type StateValue, type TreeDef,
  ConcretizationError, Movement, Tensor, ValueError, activeExecutor, bufferOf, commitStateWrites, compileGraph, dataNode,
  dependsOnPlaceholder, environ, interning, substituter, isTracingStates, makeGraph, makeNode, optimizeGraph, printGraph, realizeSync, tree,
  valueSignature, withStateTrace, npUtil, StateError, setExecutor, LruCache,
} from "@kiln/core";
import { type AnyFunction, checkNotAsync } from "./trace.js";

export { jitStats } from "./jit-signature.js";

/** Signatures (traces and compiled plans) one jitted function keeps, least recently used dropped first. */
export const JIT_CACHE_SIZE = 64;

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
  /**
   * Per kernel, in the order a call runs them: its name, backend, rendered source, how many buffers
   * it writes (several for a multi-output kernel) and its flops (per-kernel profiles divide by them).
   */
  readonly kernels: readonly { readonly name: string; readonly backend: string; readonly source: string; readonly outputs: number; readonly flops: number }[];
  readonly stats: {
    readonly kernels: number; readonly flops: number; readonly bytes: number; readonly peakBytes: number;
    /** webgpu: command submissions per call at most, reads of its outputs in the same turn included (1 for a plan without host steps). */
    readonly submissions?: number;
    /** webgpu: where a call runs — the host's kernels for a small plan whose inputs all have a host copy, else the device — and why. */
    readonly placement?: string;
  };
}

export interface Jitted<F extends AnyFunction> {
  (...args: Parameters<F>): ReturnType<F>;
  /** Traces (or reuses the cached trace) and reports the compiled plan, without running it. */
  lower(...args: Parameters<F>): Lowered;
  /** Number of cached signatures. */
  cacheSize(): number;
  clearCache(): void;
  /** How many times the function has been traced (each trace runs the Python... JS function once). */
  traceCount(): number;
}

interface Entry extends Signature {
  /** The signature key the entry is cached under. */
  readonly key: string;
  readonly graph: Graph;
  readonly compiled: CompiledGraph;
  /**
   * Written States, in write order, with how many output leaves each takes; `read` is the slot
   * of the same State when the written value has the avals it was read with (it then stays
   * verified after the commit).
   */
  readonly writes: readonly { state: AnyState; def: TreeDef; count: number; read: StateSlot | null }[];
  readonly outDef: TreeDef;
  readonly numOutLeaves: number;
  readonly outWeak: readonly boolean[];
}

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
 * step.lower(np.ones([4])).stats;   // { kernels, flops, bytes, peakBytes } (+ submissions on webgpu)
 * @example
 * // The caller gives up `w`: the update is written into its storage, and `w` is disposed.
 * const update = jit((w: Tensor, g: Tensor) => w.sub(g.mul(0.1)), { donateArgnums: 0 });
 * let w = np.ones([1024]);
 * w = update(w, np.ones([1024]));
 */
export function jit<F extends AnyFunction>(fn: F, opts: JitOptions = {}, ...extra: undefined[]): Jitted<F> {
  opts = npUtil.optionsOf("jit", opts, "jit", extra);
  if (typeof fn !== "function") throw new ValueError(`jit: expected a function, got ${typeof fn}`);
  checkNotAsync("jit", fn);
  normNums("staticArgnums", opts.staticArgnums, null);
  normNums("donateArgnums", opts.donateArgnums, null);
  /** Every entry, most recently used first: a call tries them in this order before building a key. */
  const recent: Entry[] = [];
  // Signatures kept per function: a loop over ever new shapes or static values must not keep every
  // trace and compiled plan alive. An evicted signature is traced again if it comes back.
  const cache = new LruCache<string, Entry[]>(JIT_CACHE_SIZE, (_key, evicted) => {
    for (const e of evicted) {
      const at = recent.indexOf(e);
      if (at >= 0) recent.splice(at, 1);
      // Its device buffers go back to the pool now: a loop over ever new shapes evicts one per call.
      e.compiled.release?.();
    }
  });
  let traces = 0;

  const staticsOf = (arity: number): Set<number> =>
    new Set(normNums("staticArgnums", opts.staticArgnums, arity).map((i) => (i < 0 ? i + arity : i)));
  const donatedOf = (arity: number): Set<number> =>
    new Set(normNums("donateArgnums", opts.donateArgnums, arity).map((i) => (i < 0 ? i + arity : i)));

  const signatureOf = (args: readonly unknown[]): string => {
    countSlowSignature();
    const statics = staticsOf(args.length);
    const dynamic = args.map((a, i) => (statics.has(i) ? null : a));
    const [leaves, def] = tree.flatten(dynamic, isLeafTensor);
    const parts = [tree.structureKey(def), leaves.map(leafKey).join(","), [...statics].sort().map((i) => `${i}=${staticKey(args[i])}`).join(";"), environ.signature(), opts.backend ?? activeExecutor().name];
    return parts.join("|");
  };

  const findEntry = (key: string): Entry | undefined => cache.get(key)?.find((e) => e.reads.every(stateMatches));

  const trace = (args: readonly unknown[], key: string): Entry => {
    traces++;
    // The settings the key was built with (fn could change them while it is traced).
    const env = environ.signature(), backend = opts.backend ?? activeExecutor().name;
    const statics = staticsOf(args.length);
    const donated = donatedOf(args.length);
    const dynamic = args.map((a, i) => (statics.has(i) ? null : a));
    const [leaves, def] = tree.flatten(dynamic, isLeafTensor);
    // Which leaves belong to a donated argument (leaves are in argument order).
    const leafDonated: boolean[] = [];
    (def as Extract<TreeDef, { kind: "array" }>).children.forEach((c, i) => {
      for (let k = tree.numLeaves(c); k > 0; k--) leafDonated.push(donated.has(i) && !statics.has(i));
    });
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
        reads.push({ state, signature: valueSignature(current), placeholders: ps, verified: current, verifiedLeaves: ls as Tensor[] });
        readValues.set(state, value);
        return value;
      },
      write(state, value) {
        writes.set(state, value);
      },
    };
    // Tracing builds a graph: closed-over concrete values are interned too (core ir/node.ts).
    const out = interning(() => withStateTrace(stateTrace, () => fn(...tracedArgs)));
    const [outLeaves, outDef] = tree.flatten(out, isLeafTensor);
    const outTensors = outLeaves.map((l) => {
      if (l instanceof Tensor) return l;
      if (typeof l === "number" || typeof l === "boolean") return npUtil.asTensor(l, "jit");
      throw new ValueError(`jit: the function must return Tensors, numbers or pytrees of them, got ${typeof l}`);
    });
    const writeList = [...writes].map(([state, value]) => {
      const [ls, wdef] = tree.flatten(value, isLeafTensor);
      const slot = reads.find((r) => r.state === state);
      return { state, def: wdef, count: ls.length, leaves: ls as Tensor[], read: slot && valueSignature(value) === slot.signature ? slot : null };
    });
    const inputs = [...argPlaceholders, ...reads.flatMap((r) => r.placeholders)];
    const outputs = hoistConstants([...outTensors, ...writeList.flatMap((w) => w.leaves)].map((t) => t.node));
    const graph = optimizeGraph(makeGraph(inputs, outputs));
    const donate = leaves.map((l, i) => leafDonated[i]! && l instanceof Tensor);
    // State writes stay where the next call reads them (the State frees a replaced value); returned
    // values go to the caller, whose references kiln cannot follow.
    const resident = outputs.map((_, i) => i >= outTensors.length);
    const compileOpts = { ...(donate.some(Boolean) ? { donate } : {}), ...(writeList.length ? { resident } : {}) };
    const compiled = withBackend(opts.backend, () => compileGraph(graph, activeExecutor(), compileOpts));
    const entry: Entry = {
      key, graph, compiled, reads,
      writes: writeList.map(({ state, def: d, count, read }) => ({ state, def: d, count, read })),
      outDef, numOutLeaves: outTensors.length, outWeak: outTensors.map((t) => t.weak),
      arity: args.length,
      statics: args.map((a, i) => (statics.has(i) ? a : NOT_STATIC)),
      staticKeys: args.map((a, i) => (statics.has(i) ? staticKey(a) : null)),
      argDef: def, leafSpecs: leaves.map((l, i) => leafSpec(l, donate[i]!)),
      environ: env, backend,
      leaves: [],
    };
    const list = cache.peek(key) ?? [];
    list.push(entry);
    cache.set(key, list);
    return entry;
  };

  /** The entry for a call: a structural match against recent entries, else the keyed cache, else a trace. */
  const entryFor = (args: readonly unknown[]): Entry | null => {
    const backend = opts.backend ?? activeExecutor().name;
    for (let i = 0; i < recent.length; i++) {
      const m = fastMatch(recent[i]!, args, backend);
      if (m === "symbolic") return null;
      if (m === "yes") {
        const e = recent[i]!;
        if (i > 0) {
          recent.splice(i, 1);
          recent.unshift(e);
          cache.get(e.key); // most recently used in the bounded cache too
        }
        return e;
      }
    }
    // Under another transform's trace (or given symbolic values), jit is transparent: the
    // function's graph joins the enclosing one, so grad(jit(f)) differentiates through f.
    const [argLeaves] = tree.flatten(args, isLeafTensor);
    if (argLeaves.some((l) => l instanceof Tensor && l.node.prim !== "data" && dependsOnPlaceholder(l.node))) return null;
    const key = signatureOf(args);
    const e = findEntry(key) ?? trace(args, key);
    const at = recent.indexOf(e);
    if (at >= 0) recent.splice(at, 1);
    recent.unshift(e);
    const [leaves] = tree.flatten(args.map((a, i) => (e.statics[i] === NOT_STATIC ? a : null)), isLeafTensor);
    leaves.forEach((l, i) => (e.leaves[i] = l));
    return e;
  };

  const call = (...args: any[]): any => {
    if (isTracingStates()) return fn(...args);
    const entry = entryFor(args);
    if (!entry) return fn(...args);
    return run(entry);
  };

  const run = (entry: Entry): unknown => {
    const { leafSpecs, leaves, reads } = entry;
    const tensors: Tensor[] = [];
    const scalars: DataBuffer[] = [];
    for (let i = 0; i < leafSpecs.length; i++) {
      const l = leaves[i], spec = leafSpecs[i]!;
      // A JS number or boolean is written straight into a one-element buffer (no graph, no realization).
      if (spec.kind === "tensor") tensors.push(l as Tensor);
      else scalars.push(scalarBuffer(l as number | boolean, spec.kind));
    }
    for (const r of reads) for (const t of r.verifiedLeaves) tensors.push(t);
    leaves.fill(undefined);
    const temporaries: DataBuffer[] = [];
    const tensorBufs = realizeBuffers(tensors, temporaries);
    const buffers: DataBuffer[] = new Array(scalars.length + tensorBufs.length);
    let t = 0, n = 0;
    for (let i = 0; i < leafSpecs.length; i++) buffers[i] = leafSpecs[i]!.kind === "tensor" ? tensorBufs[t++]! : scalars[n++]!;
    for (let i = leafSpecs.length; t < tensorBufs.length; i++) buffers[i] = tensorBufs[t++]!;
    let outBufs: DataBuffer[];
    try {
      outBufs = withBackend(opts.backend, () => entry.compiled.run(buffers));
    } finally {
      for (const b of scalars) b.release();
      for (const b of temporaries) if (!b.isReleased) b.release();
      // Donated arguments are given up, whether or not their storage was reused (the plan
      // released the buffers it took over) and whether or not the run succeeded.
      for (let i = 0, k = 0; i < leafSpecs.length; i++) {
        const spec = leafSpecs[i]!;
        if (spec.kind !== "tensor") continue;
        if (spec.donate) tensors[k]!.dispose();
        k++;
      }
    }
    const outputs = entry.graph.outputs;
    const outs: Tensor[] = new Array(outBufs.length);
    for (let i = 0; i < outBufs.length; i++) {
      outs[i] = new Tensor(dataNode(outBufs[i]!, outputs[i]!.aval), i < entry.numOutLeaves ? entry.outWeak[i] : false);
    }
    // Commit: every write assigned, then every stream emits (commitStateWrites).
    if (entry.writes.length) {
      let k = entry.numOutLeaves;
      const commits = new Map<AnyState, StateValue>();
      for (const w of entry.writes) {
        commits.set(w.state, w.def.kind === "leaf" ? outs[k]! : tree.unflatten<StateValue>(w.def, outs.slice(k, k + w.count)));
        k += w.count;
      }
      // The written values are the plan's fresh outputs: the States may free them when replaced.
      commitStateWrites(commits, { fresh: true });
      // A written State whose new value has the avals it was read with stays verified.
      for (const w of entry.writes) {
        if (!w.read) continue;
        const v = w.state.committedValue as StateValue;
        w.read.verified = v;
        w.read.verifiedLeaves = v instanceof Tensor ? [v] : (tree.flatten(v, isLeafTensor)[0] as Tensor[]);
      }
    }
    return entry.outDef.kind === "leaf" ? outs[0] : tree.unflatten(entry.outDef, outs.slice(0, entry.numOutLeaves));
  };

  const jitted = call as Jitted<F>;
  jitted.lower = (...args: any[]) => {
    // As JAX's `jit(f).lower(*args)`: the arguments pick the trace. Without them a function that
    // takes some would be traced on `undefined`s and fail somewhere inside the user's code.
    if (args.length < fn.length) {
      throw new ValueError(`jit: lower() takes the arguments of a call (the function declares ${fn.length}, got ${args.length}): step.lower(x, y) lowers the trace for those shapes and dtypes`);
    }
    const entry = entryFor(args);
    if (!entry) throw new ValueError(`jit: lower() needs concrete arguments, not values traced by an enclosing transform`);
    entry.leaves.fill(undefined);
    // A copy: a backend may compute a stat when asked (webgpu's placement follows its current limit).
    return { graph: printGraph(entry.graph), kernels: entry.compiled.kernels, stats: { ...entry.compiled.stats } };
  };
  jitted.cacheSize = () => recent.length;
  jitted.clearCache = () => {
    cache.clear();
    recent.length = 0;
  };
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
  // Literals arranged by movement ops (a broadcast scalar, the one-hot tangents of jacfwd: a pad
  // of a literal) are index arithmetic inside a fused kernel; a buffer would cost a load.
  const literalMemo = new Map<Node, boolean>();
  const cheap = (n: Node): boolean => {
    if (n.inputs.length === 0) return true;
    let hit = literalMemo.get(n);
    if (hit === undefined) literalMemo.set(n, (hit = Movement.has(n.prim) && n.inputs.every(cheap)));
    return hit;
  };
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

/** A JS number or boolean argument as the buffer of its traced aval (int32, float32 or bool, weak). */
function scalarBuffer(v: number | boolean, kind: "int" | "float" | "bool"): DataBuffer {
  const host = kind === "int" ? Int32Array.of(Number(v)) : kind === "float" ? Float32Array.of(Number(v)) : Uint8Array.of(v ? 1 : 0);
  return new DataBuffer(kind === "int" ? "int32" : kind === "float" ? "float32" : "bool", 1, host);
}

/** Buffers for the plan's inputs (pending arguments are realized first, all together). */
function realizeBuffers(ts: readonly Tensor[], temporaries: DataBuffer[]): DataBuffer[] {
  const out: DataBuffer[] = new Array(ts.length);
  let pending: number[] | null = null;
  for (let i = 0; i < ts.length; i++) {
    const b = bufferOf(ts[i]!.node);
    if (b) out[i] = b;
    else (pending ??= []).push(i);
  }
  if (pending) {
    // The returned leaves, not bufferOf(node) again: a literal's realization is not cached (core
    // realize.ts), so its buffer belongs to this call alone — a temporary the caller releases (a 0-d
    // State holding a literal, read by every call of a jitted step, leaked one buffer per call).
    const leaves = realizeSync(pending.map((i) => ts[i]!.node), "jit");
    pending.forEach((i, k) => {
      const b = bufferOf(leaves[k]!)!;
      out[i] = b;
      if (bufferOf(ts[i]!.node) !== b && !out.slice(0, i).includes(b)) temporaries.push(b);
    });
  }
  for (const b of out) {
    if (!b) throw new ConcretizationError(`jit: an argument could not be realized`);
    if (b.isReleased) throw new StateError(`jit: an argument or State value was used after dispose()`);
  }
  return out;
}
