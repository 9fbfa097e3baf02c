/**
 * Scheduling: Graph → ordered kernels + buffer plan.
 *
 * The scheduler only decides which nodes are *materialized* (written to a buffer); everything
 * else is inlined into the kernel of the materialized node that reads it (lower.ts turns that
 * group into loops). The decisions, in order:
 *  - requested outputs, library-kernel primitives (and their inputs) are materialized;
 *  - a matmul becomes the core of a contraction kernel whose root is the end of its chain of
 *    single-consumer elementwise ops (the fused epilogue), or is materialized itself;
 *  - movement ops are never materialized on their own: they are index arithmetic;
 *  - the computed pieces of a concatenate of more than two are materialized (its branch-free
 *    lowering would evaluate every piece at every output element);
 *  - a reduction read by several kernels, or inside a contraction kernel, or whose inlined copy
 *    would run more often than it has outputs (the trial lowering counts this), is materialized;
 *  - an elementwise value read by several kernels is materialized when recomputing it in each
 *    costs more than one write and one read per reader;
 *  - an elementwise value one kernel computes more often than it has elements (read through an
 *    expansion: a broadcast, a gather, a pooling gradient reading each cotangent at every position
 *    of its window) is materialized when recomputing it costs more than a write and a read per use.
 * Then sibling elementwise kernels of one shape that share work become one kernel with several
 * outputs (multi-output.ts), steps are ordered, and buffers are assigned to reusable slots by
 * liveness (memory plan).
 */
import { type CostClass, type DType, Elementwise, Movement, type Node, Reduce, costClassOf, sizeOf, topoSort } from "@kiln/core";
import { lowerContraction } from "./lower-contraction.js";
import { type BufferParam, type Kernel } from "./kernel.js";
import { FusionTooLarge, type LoweredKernel, libraryOf, lowerFused } from "./lower.js";
import { cannotMerge, groupSiblings } from "./multi-output.js";
import { type ScheduleOptions, nodeToSplit } from "./limits.js";
import { bytesPer, storageOf } from "./storage.js";

/** A primitive run by a hand-written JS kernel (host/library.ts), described without graph nodes. */
export interface LibrarySpec {
  readonly name: string;
  readonly params: unknown;
  readonly inShapes: readonly (readonly number[])[];
  readonly outShape: readonly number[];
  readonly dtype: DType;
  /** The inputs' dtypes (a float16/bfloat16 input's array holds bit patterns: host/library.ts decodes it). */
  readonly inDtypes: readonly DType[];
}

export interface KernelStep {
  readonly kind: "elementwise" | "reduce" | "matmul" | "library";
  readonly name: string;
  readonly kernel: Kernel | null;
  readonly library: LibrarySpec | null;
  /** Buffer id per kernel parameter; negative ids are scratch (sized by the kernel's params). */
  readonly bindings: readonly number[];
  /** How many leading bindings the step writes (its outputs); the rest are read (or scratch). */
  readonly outputs: number;
  readonly flops: number;
}

export interface PlanBuffer {
  readonly dtype: DType;
  readonly size: number;
  /** input: a realized buffer passed in; output: returned; temp: lives in a reusable slot. */
  readonly role: "input" | "output" | "temp";
  /** Input position, output position, or slot index (by role). */
  readonly index: number;
}

export interface PlanStats {
  readonly kernels: number;
  readonly flops: number;
  /** Bytes read and written by all kernels. */
  readonly bytes: number;
  /** Most bytes the plan holds at once (temporaries, outputs so far, scratch). */
  readonly peakBytes: number;
}

/** An executable plan; holds no graph nodes, so it can be cached and replayed. */
export interface Plan {
  readonly steps: readonly KernelStep[];
  readonly buffers: readonly PlanBuffer[];
  readonly slots: readonly { readonly dtype: DType; readonly size: number }[];
  readonly inputCount: number;
  /** Buffer id per requested output. */
  readonly outputs: readonly number[];
  readonly stats: PlanStats;
}

/** Relative per-element cost of recomputing an elementwise op, by its row's cost class (≈ adds). */
const RECOMPUTE_COST: { readonly [C in CostClass]: number } = { cheap: 1, multistep: 8, transcendental: 8 };
/** Cost of writing or reading one element of a materialized value, in the same units. */
const MEMORY_COST = 2;

/**
 * Whether a value one kernel computes `runs` times per call — more often than it has elements:
 * read through an expansion (a broadcast, a gather, a pad read at each of a window's positions) —
 * is cheaper materialized: computed once per element and written (`size·(cost + MEMORY_COST)`),
 * then loaded at each read (`runs·MEMORY_COST`), against `runs·cost` recomputed in place.
 * @example recomputeLoses(col2im, 4 * size, 8) // true: 32·size inlined vs 8·size + 2·size + 8·size
 */
function recomputeLoses(n: Node, runs: number, cost: number): boolean {
  const size = sizeOf(n.aval.shape);
  return runs > size && runs * cost > size * (cost + MEMORY_COST) + runs * MEMORY_COST;
}

/**
 * Schedules the graph computing `outputs`. `inputs` receives, in order, the already-realized
 * nodes the plan reads (its input positions).
 * @example
 * const { plan } = scheduleGraph([softmax.node], (n) => n.prim === "data");
 * plan.steps.length;      // 1: max, sum and the normalized row in one kernel
 * plan.stats.peakBytes;   // bytes held at once by the plan
 */
export function scheduleGraph(outputs: readonly Node[], isBuffer: (n: Node) => boolean, opts: ScheduleOptions = {}): { plan: Plan; inputs: Node[] } {
  const nodes = topoSort(outputs, isBuffer);
  const consumers = new Map<Node, Set<Node>>();
  for (const n of nodes) {
    if (isBuffer(n)) continue;
    for (const i of n.inputs) (consumers.get(i) ?? consumers.set(i, new Set()).get(i)!).add(n);
  }
  const mat = new Set<Node>(outputs.filter((o) => !isBuffer(o)));
  for (const n of nodes) {
    if (isBuffer(n) || !libraryOf(n.prim)) continue;
    mat.add(n);
    for (const i of n.inputs) if (!isBuffer(i)) mat.add(i);
  }
  // A concatenate lowers branch-free (each piece is evaluated at every output element, and one is
  // selected): with more than two pieces, a piece that computes something is materialized once.
  for (const n of nodes) {
    if (n.prim !== "concatenate" || isBuffer(n) || n.inputs.length <= 2) continue;
    for (let p of n.inputs) {
      while (Movement.has(p.prim) && p.inputs.length === 1 && !isBuffer(p)) p = p.inputs[0]!;
      if (!isBuffer(p) && p.inputs.length > 0 && !Movement.has(p.prim)) mat.add(p);
    }
  }
  const coreOf = planContractions(nodes, isBuffer, consumers, mat);

  // Fixed point: materialize until no kernel inlines something it should not. Buffer ids are
  // stable across rounds and a kernel is lowered again only when its region changed.
  const ids = new Map<Node, number>();
  const nodeOfBuffer = new Map<number, Node>();
  const assign = (n: Node) => (nodeOfBuffer.set(ids.size, n), ids.set(n, ids.size));
  for (const n of nodes) if (isBuffer(n)) assign(n);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const order = new Map(nodes.map((n, i) => [n, i]));
  const lowered = new Map<Node, { region: Set<Node>; kernel: LoweredKernel }>();
  for (;;) {
    const regions = new Map<Node, Set<Node>>();
    for (const root of mat) regions.set(root, regionOf(root, mat, isBuffer));
    if (materializeShared(regions, coreOf, mat, isBuffer) || cutDeepChains(order, regions, mat)) continue;
    for (const n of nodes) if (mat.has(n) && !ids.has(n)) assign(n);
    let changed = false;
    for (const [root, region] of regions) {
      if (libraryOf(root.prim)) continue;
      const prev = lowered.get(root);
      if (!prev || prev.region.size !== region.size || [...region].some((n) => !prev.region.has(n))) {
        try {
          lowered.set(root, { region, kernel: lowerGroup(root, region, coreOf.get(root), ids, nodeOfBuffer) });
        } catch (e) {
          if (!(e instanceof FusionTooLarge)) throw e;
          // Progress or a clear error: retrying with nothing newly materialized would loop forever.
          if (!e.nodes.some((n) => !mat.has(n) && !isBuffer(n))) throw new Error(`internal: kernel ${root.prim}#${root.id} is too large to lower and nothing in it can be materialized`);
          // Reductions first (each inlined copy reruns its loop), then the outermost of the rest:
          // what lies below a materialized value is read from its buffer, not inlined again.
          const reductions = e.nodes.filter(isReduction);
          for (const n of outermost(reductions.length ? reductions : e.nodes, (x) => region.has(x) && x !== root)) mat.add(n);
          changed = true;
          break;
        }
      }
      for (const [origin, runs] of lowered.get(root)!.kernel.reduceRuns) {
        const node = byId.get(origin)!;
        if (runs > sizeOf(node.aval.shape) && !mat.has(node)) (mat.add(node), (changed = true));
      }
      const costs = new Map<Node, number>(), inlined = (x: Node) => !mat.has(x) && !isBuffer(x);
      const expanded: Node[] = [];
      for (const [origin, runs] of lowered.get(root)!.kernel.valueRuns) {
        const node = byId.get(origin)!;
        if (inlined(node) && recomputeLoses(node, runs, costOf(node, inlined, costs))) expanded.push(node);
      }
      for (const n of expansionCut(expanded, inlined)) (mat.add(n), (changed = true));
      // A target binding few buffers per kernel (WebGPU): split regions that read too many.
      if (opts.maxBuffers !== undefined && lowered.get(root)!.kernel.kernel.params.length > opts.maxBuffers) {
        const cores = new Set(coreOf.values());
        const n = nodeToSplit(root, region, opts.maxBuffers, (x) => cores.has(x));
        if (n && !mat.has(n)) (mat.add(n), (changed = true));
      }
    }
    if (!changed) {
      const kernels = new Map([...lowered].map(([r, l]) => [r, l.kernel]));
      const roots = nodes.filter((n) => mat.has(n)), deps = depsOf(regions, mat);
      const groups = opts.multiOutput === false ? new Map<Node, readonly Node[]>() : mergeSiblings(roots, deps, regions, coreOf, isBuffer, ids, nodeOfBuffer, kernels, opts);
      return buildPlan(nodes, outputs, isBuffer, ids, kernels, orderSteps(roots, deps, groups));
    }
  }
}

/** Per materialized root: the materialized roots its kernel reads. */
function depsOf(regions: ReadonlyMap<Node, ReadonlySet<Node>>, mat: ReadonlySet<Node>): Map<Node, Set<Node>> {
  const deps = new Map<Node, Set<Node>>();
  for (const [root, region] of regions) {
    const d = new Set<Node>();
    for (const n of region) for (const i of n.inputs) if (!region.has(i) && mat.has(i)) d.add(i);
    deps.set(root, d);
  }
  return deps;
}

/** Multi-output kernels (multi-output.ts): per root of a merged kernel, the roots it stores. */
function mergeSiblings(
  roots: readonly Node[], deps: ReadonlyMap<Node, ReadonlySet<Node>>, regions: ReadonlyMap<Node, ReadonlySet<Node>>, coreOf: ReadonlyMap<Node, Node>,
  isBuffer: (n: Node) => boolean, ids: ReadonlyMap<Node, number>, nodeOfBuffer: ReadonlyMap<number, Node>, kernels: Map<Node, LoweredKernel>, opts: ScheduleOptions,
): Map<Node, readonly Node[]> {
  const groups = groupSiblings({
    roots, regions, deps, isBuffer,
    eligible: (r) => !coreOf.has(r) && /^(elementwise|reduce)_/.test(kernels.get(r)?.kernel.name ?? ""),
    reduces: (r) => kernels.get(r)!.kernel.name.startsWith("reduce_"),
    lower: (rs) => {
      const region = new Set(rs.flatMap((r) => [...regions.get(r)!]));
      // Kernels cut from one deep chain would merge back into one (each stores its value and the
      // next reads it in a register): the merged kernel stays within the fused-depth budget.
      if (rs.length > 1 && fusedWeight(region) > MAX_MERGED_WEIGHT) return null;
      try {
        const k = lowerGroup(rs, region, undefined, ids, nodeOfBuffer);
        return opts.maxBuffers !== undefined && k.kernel.params.length > opts.maxBuffers ? null : k;
      } catch (e) {
        if (cannotMerge(e)) return null;
        throw e;
      }
    },
  });
  const unitOf = new Map<Node, readonly Node[]>();
  for (const g of groups) {
    for (const r of g.roots) (unitOf.set(r, g.roots), kernels.delete(r));
    kernels.set(g.roots[0]!, g.kernel);
  }
  return unitOf;
}

/** Reductions and (small, inlined) matmuls: values that are expensive to recompute. */
function isReduction(n: Node): boolean {
  return Reduce.has(n.prim) || n.prim === "matmul";
}

/**
 * Longest chain of ops inlined into one kernel; deeper chains are cut by materializing. A
 * transcendental op counts TRANSCENDENTAL_DEPTH levels: each is a vector-math polynomial inlined
 * in the kernel twice (vector body and scalar tail), so an eager loop that chains `sin` 200 deep
 * without reading made a 570 KB module that took ~0.7 s to render.
 */
const MAX_FUSED_DEPTH = 200;
const TRANSCENDENTAL_DEPTH = 8;
/** Weighted ops (`fusedWeight`) a multi-output kernel may merge. */
const MAX_MERGED_WEIGHT = 2 * MAX_FUSED_DEPTH;

/** Ops in a region, a transcendental one counting TRANSCENDENTAL_DEPTH. */
function fusedWeight(region: ReadonlySet<Node>): number {
  let w = 0;
  for (const n of region) w += weightOf(n);
  return w;
}
function weightOf(n: Node): number {
  return Elementwise.has(n.prim) && costClassOf(n.prim) === "transcendental" ? TRANSCENDENTAL_DEPTH : 1;
}
/** Reductions nested deeper than this in one kernel are materialized (softmax and layer norm nest 2). */
const MAX_REDUCE_NESTING = 2;

/**
 * Cuts inlined chains that are too deep: more than MAX_FUSED_DEPTH ops (a long unrolled loop of
 * elementwise ops: lowering recurses along them, and a kernel of thousands of ops compiles slowly)
 * or more than MAX_REDUCE_NESTING reductions inside one another (a lazily built training loop
 * nests one step's reductions in the next; inlined, each level would rerun the ones below).
 */
function cutDeepChains(order: ReadonlyMap<Node, number>, regions: ReadonlyMap<Node, ReadonlySet<Node>>, mat: Set<Node>): boolean {
  let changed = false;
  for (const [root, region] of regions) {
    if (region.size < 3) continue;
    const depth = new Map<Node, number>([[root, 0]]);
    const nesting = new Map<Node, number>([[root, isReduction(root) ? 1 : 0]]);
    // Consumers before producers: reverse topological order of the region.
    for (const n of [...region].sort((a, b) => order.get(b)! - order.get(a)!)) {
      let d = depth.get(n);
      if (d === undefined) continue;
      let r = nesting.get(n)!;
      if (n !== root && (d >= MAX_FUSED_DEPTH || (isReduction(n) && r > MAX_REDUCE_NESTING))) {
        mat.add(n);
        changed = true;
        // The cut value roots its own kernel: the walk goes on below it from depth 0, so a chain
        // thousands of kernels deep is cut in one pass (one scheduling round, not one per cut).
        depth.set(n, (d = 0));
        nesting.set(n, (r = isReduction(n) ? 1 : 0));
      }
      const step = weightOf(n);
      for (const i of n.inputs) {
        if (!region.has(i)) continue;
        depth.set(i, Math.max(depth.get(i) ?? 0, d + step));
        nesting.set(i, Math.max(nesting.get(i) ?? 0, r + (isReduction(i) ? 1 : 0)));
      }
    }
  }
  return changed;
}

function regionOf(root: Node, mat: ReadonlySet<Node>, isBuffer: (n: Node) => boolean): Set<Node> {
  const region = new Set<Node>([root]);
  const stack = [...root.inputs];
  while (stack.length) {
    const n = stack.pop()!;
    if (region.has(n) || mat.has(n) || isBuffer(n)) continue;
    region.add(n);
    stack.push(...n.inputs);
  }
  return region;
}

/**
 * Below this many multiply-adds a matmul lowers as an ordinary reduction (and fuses like one):
 * packing and register tiles only pay off once operands outgrow the cache, and a plain loop
 * is much cheaper to lower and compile.
 */
const SMALL_MATMUL = 32 * 32 * 32;

function isSmallMatmul(m: Node): boolean {
  const s = m.inputs[0]!.aval.shape;
  return sizeOf(s) * m.aval.shape[s.length - 1]! <= SMALL_MATMUL;
}

/** Matmul → the root of its contraction kernel (end of its single-consumer elementwise chain). */
function planContractions(nodes: readonly Node[], isBuffer: (n: Node) => boolean, consumers: ReadonlyMap<Node, ReadonlySet<Node>>, mat: Set<Node>): Map<Node, Node> {
  const coreOf = new Map<Node, Node>();
  for (const m of nodes) {
    if (m.prim !== "matmul" || isBuffer(m) || isSmallMatmul(m)) continue;
    let end = m;
    while (!mat.has(end)) {
      const cs = [...(consumers.get(end) ?? [])];
      if (cs.length !== 1 || !Elementwise.has(cs[0]!.prim)) break;
      end = cs[0]!;
    }
    if (coreOf.has(end)) end = m; // one contraction per kernel: a second matmul is materialized
    mat.add(end);
    coreOf.set(end, m);
  }
  return coreOf;
}

/** Per-element cost of computing `n` with everything it inlines (memoized per round). */
function costOf(n: Node, inlined: (x: Node) => boolean, memo: Map<Node, number>): number {
  const hit = memo.get(n);
  if (hit !== undefined) return hit;
  let c = Elementwise.has(n.prim) ? RECOMPUTE_COST[costClassOf(n.prim)] : 0;
  for (const i of n.inputs) if (inlined(i)) c += costOf(i, inlined, memo);
  memo.set(n, c);
  return c;
}

/**
 * Materializes values inlined into several kernels (or reductions inside contractions). Only the
 * candidates that no other candidate inlines are taken in one round: materializing a shared value
 * makes everything below it private to its new kernel, so cutting the whole shared chain at once
 * (a max-pool's compare/select tree read by the forward and the backward kernels) would launch a
 * kernel per node where one suffices. The scheduler's fixed point re-examines the rest.
 */
function materializeShared(regions: ReadonlyMap<Node, ReadonlySet<Node>>, coreOf: ReadonlyMap<Node, Node>, mat: Set<Node>, isBuffer: (n: Node) => boolean): boolean {
  const users = new Map<Node, Node[]>();
  for (const [root, region] of regions) for (const n of region) if (n !== root) (users.get(n) ?? users.set(n, []).get(n)!).push(root);
  const cores = new Set(coreOf.values());
  const memo = new Map<Node, number>();
  const inlined = (x: Node) => !mat.has(x) && !isBuffer(x);
  const candidates = new Set<Node>();
  for (const [n, roots] of users) {
    if (cores.has(n)) continue;
    let materialize = false;
    if (isReduction(n)) materialize = roots.length > 1 || roots.some((r) => coreOf.has(r));
    else if ((Elementwise.has(n.prim) || n.prim === "concatenate") && roots.length > 1) {
      // A concatenation of computed pieces (Threefry's two output words) is itself a candidate:
      // taken whole, its pieces' shared computation stays in one kernel; cut inside, each piece
      // gets a kernel and what they share below cascades into a kernel per op.
      materialize = costOf(n, inlined, memo) * (roots.length - 1) > 2 * (roots.length + 1);
    }
    if (materialize) candidates.add(n);
  }
  // Shared reductions are materialized at once (recomputing one reruns its loop, and a lazily
  // built training loop nests many: one per round would reschedule it once per reduction);
  // elementwise candidates below another candidate wait for the next round.
  const top = new Set(outermost(candidates, inlined));
  for (const n of candidates) if (isReduction(n) || top.has(n)) mat.add(n);
  return candidates.size > 0;
}

/**
 * Which of the values a kernel recomputes through an expansion to materialize this round. The
 * outermost ones, as for shared values (what lies below one becomes private to its new kernel and
 * runs once per element there) — unless several of them read one value below them (a max-pool's
 * per-offset cotangents all read conv2's col2im): then that value, read by the most of them, is
 * taken alone (one buffer instead of one per reader); the rest are examined again next round, at
 * their cost without it.
 * @example expansionCut([ct0, ct1, ct2, ct3, col2im], inlined) // [col2im]
 */
function expansionCut(expanded: readonly Node[], inlined: (n: Node) => boolean): Node[] {
  const top = outermost(expanded, inlined);
  if (top.length < 2) return top;
  const candidates = new Set(expanded), readers = new Map<Node, number>();
  for (const t of top) {
    const seen = new Set<Node>(), stack = t.inputs.filter(inlined);
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      if (candidates.has(n)) readers.set(n, (readers.get(n) ?? 0) + 1);
      stack.push(...n.inputs.filter(inlined));
    }
  }
  const most = Math.max(0, ...readers.values());
  return most < 2 ? top : outermost([...readers].filter(([, k]) => k === most).map(([n]) => n), inlined);
}

/**
 * The nodes of `nodes` that no other node of `nodes` reaches through inlined nodes: the cut
 * closest to the kernels' roots. Materializing one of these makes what lies below it private to
 * its new kernel, so the nodes below may no longer need a buffer of their own.
 * @example outermost([add2, add1], inlined) // [add2] when add2 = add(add1, x) inlines add1
 */
export function outermost(nodes: Iterable<Node>, inlined: (n: Node) => boolean): Node[] {
  const list = [...nodes];
  const below = new Set<Node>();
  const stack = list.flatMap((c) => c.inputs.filter(inlined));
  while (stack.length) {
    const n = stack.pop()!;
    if (below.has(n)) continue;
    below.add(n);
    for (const i of n.inputs) if (inlined(i) && !below.has(i)) stack.push(i);
  }
  return list.filter((n) => !below.has(n));
}

/**
 * Lowered kernels by root node, reusable by any later schedule in which the root inlines exactly
 * the same nodes: a lazily built loop realizes a graph that contains the previous one, and its
 * kernels come back unchanged. Bindings are kept as nodes (the kernel's own inputs, which the root
 * keeps alive anyway) and mapped to the new schedule's buffer ids.
 */
type CachedLowering = { key: string; kernel: LoweredKernel; bindings: readonly (Node | number)[] };
const loweredByRoot = new WeakMap<Node, CachedLowering>();
/** The same for multi-output kernels, by their first root (kept apart: its own kernel is cached too). */
const loweredByGroup = new WeakMap<Node, CachedLowering>();

function lowerGroup(roots: Node | readonly Node[], region: ReadonlySet<Node>, core: Node | undefined, ids: ReadonlyMap<Node, number>, byId: ReadonlyMap<number, Node>): LoweredKernel {
  const rs: readonly Node[] = Array.isArray(roots) ? roots : [roots as Node];
  const root = rs[0]!, cache = rs.length > 1 ? loweredByGroup : loweredByRoot;
  const key = `${core?.id ?? ""}:${rs.map((r) => r.id).join(",")}:${[...region].map((n) => n.id).sort((a, b) => a - b).join(",")}`;
  const hit = cache.get(root);
  if (hit && hit.key === key) {
    return { ...hit.kernel, bindings: hit.bindings.map((b) => (typeof b === "number" ? b : ids.get(b)!)) };
  }
  const env = { bufferOf: (n: Node) => ids.get(n) };
  // The roots' own parameters are the outputs; other materialized nodes are inputs here.
  const params = (buf: number): BufferParam => {
    const n = byId.get(buf)!;
    return { dtype: n.aval.dtype, size: sizeOf(n.aval.shape), role: rs.includes(n) ? "out" : "in" };
  };
  const kernel = core
    ? lowerContraction(root, core as Node<"matmul">, ids.get(root)!, env, params)
    : lowerFused(rs, rs.map((r) => ids.get(r)!), env, params);
  cache.set(root, { key, kernel, bindings: kernel.bindings.map((b) => (b < 0 ? b : byId.get(b)!)) });
  return kernel;
}

/**
 * The order steps run in: each step (a kernel's roots) after every step it reads. Without
 * multi-output kernels this is the graph's topological order; a merged kernel runs once all of
 * its members' inputs are ready, which may pull kernels that come later in that order before it.
 */
function orderSteps(roots: readonly Node[], deps: ReadonlyMap<Node, ReadonlySet<Node>>, groups: ReadonlyMap<Node, readonly Node[]>): (readonly Node[])[] {
  const unitOf = new Map<Node, readonly Node[]>(groups);
  const unit = (n: Node) => unitOf.get(n) ?? unitOf.set(n, [n]).get(n)!;
  const done = new Set<readonly Node[]>(), open = new Set<readonly Node[]>();
  const ordered: (readonly Node[])[] = [];
  for (const r of roots) {
    const stack: { unit: readonly Node[]; deps: Node[]; next: number }[] = [];
    const push = (u: readonly Node[]) => {
      if (done.has(u) || open.has(u)) return;
      open.add(u);
      stack.push({ unit: u, deps: u.flatMap((m) => [...(deps.get(m) ?? [])]), next: 0 });
    };
    push(unit(r));
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.deps.length) push(unit(top.deps[top.next++]!));
      else (stack.pop(), open.delete(top.unit), done.add(top.unit), ordered.push(top.unit));
    }
  }
  return ordered;
}

function buildPlan(
  nodes: readonly Node[], outputs: readonly Node[], isBuffer: (n: Node) => boolean,
  ids: ReadonlyMap<Node, number>, lowered: ReadonlyMap<Node, LoweredKernel>, units: readonly (readonly Node[])[],
): { plan: Plan; inputs: Node[] } {
  const inputs = nodes.filter(isBuffer);
  const steps: KernelStep[] = [];
  for (const unit of units) {
    const n = unit[0]!;
    const lk = lowered.get(n);
    if (lk) {
      const kind = lk.kernel.name.split("_")[0] as KernelStep["kind"];
      steps.push({ kind, name: lk.kernel.name, kernel: lk.kernel, library: null, bindings: lk.bindings, outputs: unit.length, flops: lk.kernel.flops });
      continue;
    }
    const name = libraryOf(n.prim)!;
    const spec: LibrarySpec = { name, params: n.params, inShapes: n.inputs.map((i) => i.aval.shape), outShape: n.aval.shape, dtype: n.aval.dtype, inDtypes: n.inputs.map((i) => i.aval.dtype) };
    steps.push({ kind: "library", name: `library_${name}`, kernel: null, library: spec, bindings: [ids.get(n)!, ...n.inputs.map((i) => ids.get(i)!)], outputs: 1, flops: sizeOf(n.aval.shape) });
  }
  const outIndex = new Map<Node, number>();
  outputs.forEach((o, i) => outIndex.has(o) || outIndex.set(o, i));
  const inputIndex = new Map(inputs.map((n, i) => [n, i]));
  const byId = [...ids].sort((a, b) => a[1] - b[1]).map(([n]) => n);
  const buffers: PlanBuffer[] = byId.map((n) => ({
    dtype: n.aval.dtype,
    size: sizeOf(n.aval.shape),
    role: isBuffer(n) ? "input" : outIndex.has(n) ? "output" : "temp",
    index: inputIndex.get(n) ?? outIndex.get(n) ?? -1,
  }));
  const { slots, peakBytes, bytes } = planMemory(steps, buffers);
  const plan: Plan = {
    steps,
    buffers,
    slots,
    inputCount: inputs.length,
    outputs: outputs.map((o) => ids.get(o)!),
    stats: { kernels: steps.length, flops: steps.reduce((s, k) => s + k.flops, 0), bytes, peakBytes },
  };
  return { plan, inputs };
}

/**
 * Liveness-based slot assignment: a temporary takes the smallest free slot of its storage class
 * that fits (growing one if none fits) and frees it after its last reader. The outputs of one
 * step take their slots together, before that step's inputs are freed: no two of them share one.
 */
function planMemory(steps: readonly KernelStep[], buffers: PlanBuffer[]): { slots: { dtype: DType; size: number }[]; peakBytes: number; bytes: number } {
  const lastUse = new Map<number, number>();
  steps.forEach((s, k) => s.bindings.forEach((b) => lastUse.set(b, k)));
  const slots: { dtype: DType; size: number }[] = [];
  const free: number[] = [];
  let live = 0, peak = 0, bytes = 0;
  const nbytes = (b: { dtype: DType; size: number }) => b.size * bytesPer(b.dtype);
  steps.forEach((s, k) => {
    for (const out of s.bindings.slice(0, s.outputs)) {
      const ob = buffers[out]!;
      if (ob.role === "temp") {
        const cls = storageOf(ob.dtype);
        const fits = free.filter((i) => storageOf(slots[i]!.dtype) === cls).sort((a, b) => slots[a]!.size - slots[b]!.size);
        const pick = fits.find((i) => slots[i]!.size >= ob.size) ?? fits[fits.length - 1];
        let slot: number;
        if (pick === undefined) slot = slots.push({ dtype: ob.dtype, size: ob.size }) - 1;
        else {
          slot = pick;
          free.splice(free.indexOf(pick), 1);
          slots[slot] = { dtype: slots[slot]!.dtype, size: Math.max(slots[slot]!.size, ob.size) };
        }
        buffers[out] = { ...ob, index: slot };
      }
      if (ob.role !== "input") live += nbytes(ob);
    }
    let scratch = 0;
    s.kernel?.params.forEach((p) => {
      if (p.role === "scratch") scratch += nbytes(p);
      else bytes += nbytes(p);
    });
    if (s.library) s.bindings.forEach((b) => (bytes += nbytes(buffers[b]!)));
    peak = Math.max(peak, live + scratch);
    for (const b of new Set(s.bindings)) {
      const buf = buffers[b];
      if (buf?.role === "temp" && lastUse.get(b) === k) {
        free.push(buf.index);
        live -= nbytes(buf);
      }
    }
  });
  return { slots, peakBytes: peak, bytes };
}
