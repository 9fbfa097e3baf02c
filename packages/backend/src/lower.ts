/**
 * Fused group → kernel IR. A group is a materialized root plus every node the scheduler inlined
 * into it; lowering asks for the root's value at a symbolic output index and the rules below
 * recurse: elementwise ops apply an ALU op, movement ops rewrite the index (they never run as
 * kernels), reductions open their own loops, materialized inputs become loads.
 *
 * `LOWER_RULES` has one entry per primitive (a compile error otherwise): a lowering, or an explicit
 * `libraryKernel(...)` marker for primitives that run as hand-written JS library kernels.
 */
import {
  BINARY_OPS, type BinaryPrim, ConcretizationError, Elementwise, UNARY_OPS, mapRows, type DType, Movement, type Node, type Prim, type ReducePrim, type UnaryPrim, isFloat, isInt, sizeOf, stridesOf,
} from "@kiln/core";
import { type AluOp, type Expr, ExprBuilder, type ReduceOp, type VarExpr, divModOn } from "./expr.js";
import { type BufferParam, type Kernel, fnv1a, printKernelBody } from "./kernel.js";
import { Emitter, sumBlocked } from "./place.js";
import { type SliceFamily, sliceFamily } from "./slice-family.js";

export interface LowerCtx {
  readonly b: ExprBuilder;
  /** The value of `node` at a multi-index (a load if it is materialized, else its rule). */
  value(node: Node, idx: readonly Expr[]): Expr;
  /** Fresh loop variables for `extents` and the per-axis indices they stand for (adjacent axes
   * share one variable when that leaves no divide/modulo in `build`'s result; with `keepLast` the
   * last axis always keeps its own variable). */
  loopVars(extents: readonly number[], build: (idx: readonly Expr[]) => Expr, opts?: MergeOptions): { vars: VarExpr[]; result: Expr };
}

type LowerRule<P extends Prim> = (ctx: LowerCtx, node: Node<P>, idx: readonly Expr[]) => Expr;
/** "Not lowered: runs as a library kernel" — the scheduler materializes it and its inputs. */
export interface LibraryMarker { readonly library: string }

const libraryKernel = (name: string): LibraryMarker => ({ library: name });

// ------------------------------------------------------------------ rule families (STYLE.md §5)
const unaryLower = (alu: AluOp): LowerRule<UnaryPrim> => (ctx, n, idx) =>
  ctx.b.alu(alu, [ctx.value(n.inputs[0]!, idx)], n.aval.dtype);

const identityLower: LowerRule<UnaryPrim> = (ctx, n, idx) => ctx.value(n.inputs[0]!, idx);

const binaryLower = (alu: AluOp): LowerRule<BinaryPrim> => (ctx, n, idx) =>
  ctx.b.alu(alu, [ctx.value(n.inputs[0]!, idx), ctx.value(n.inputs[1]!, idx)], n.aval.dtype);

/** A reduction: loops over the reduced axes (merged where contiguous). Integer sums and products
 * accumulate in their dtype and wrap at every step, as the interpreter does; the cast back to the dtype
 * turns an empty int32 max/min (±Infinity) into 0 and makes a bool result 0/1. */
const reduceLower = <P extends ReducePrim>(rop: ReduceOp): LowerRule<P> => (ctx, n, idx) => {
  const x = n.inputs[0]!;
  const axes = [...(n.params as { axes: readonly number[] }).axes].sort((a, b) => a - b);
  const shape = x.aval.shape;
  const dt = n.aval.dtype;
  if (axes.some((a) => shape[a] === 0)) return emptyReduction(ctx.b, rop, dt);
  // Blocking follows the innermost reduced axis, which then stays its own loop: merging it with
  // the axes around it would change the order of the float additions from kernel to kernel.
  const blocked = axes.length > 0 && sumBlocked(rop, dt, shape[axes[axes.length - 1]!]!);
  const { vars, result: body } = ctx.loopVars(axes.map((a) => shape[a]!), (r) => {
    const full: Expr[] = [];
    let k = 0, j = 0;
    for (let d = 0; d < shape.length; d++) full.push(axes.includes(d) ? r[j++]! : idx[k++]!);
    return ctx.value(x, full);
  }, { keepLast: blocked });
  const red = ctx.b.reduce(rop, vars, body, dt, n.id, blocked);
  return isInt(dt) || dt === "bool" ? ctx.b.alu("cast", [red], dt) : red;
};

/** What a reduction over no elements starts from (and, with nothing to add, gives). */
const REDUCE_IDENTITY: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

/**
 * A reduction over an empty axis is its identity, a literal (sum 0, prod 1, max -inf, min +inf;
 * an integer or bool max/min gives 0, as the cast of ±inf does in the loop form). Lowered as a
 * loop that never runs, the value was only known to be 0 after the shader compiler's own
 * analysis, which under finite-math assumptions folded the 0 / 0 of `nanvar` over an empty array
 * to 0 instead of NaN (llvmpipe); as a literal, the renderers' division by a literal zero applies.
 */
function emptyReduction(b: ExprBuilder, rop: ReduceOp, dt: DType): Expr {
  const v = REDUCE_IDENTITY[rop];
  return b.const(isFloat(dt) || Number.isFinite(v) ? v : 0, dt);
}

const LOWER_RULES = {
  const: (ctx, n) => ctx.b.const(n.params.value, n.aval.dtype),
  data: () => {
    throw new Error("internal: data leaves are loaded, not lowered");
  },
  input: (_ctx, n) => {
    throw new ConcretizationError(`the traced value ${n.params.label} has no concrete value here`);
  },
  iota: (ctx, n, idx) => ctx.b.alu("cast", [idx[n.params.axis]!], n.aval.dtype),

  // Every row is one ALU op of the same name, except stopGradient: the identity on values.
  ...mapRows(UNARY_OPS, (p) => (p === "stopGradient" ? identityLower : unaryLower(p))),
  ...mapRows(BINARY_OPS, (p) => binaryLower(p)),

  cast: (ctx, n, idx) => ctx.b.alu("cast", [ctx.value(n.inputs[0]!, idx)], n.params.dtype),
  bitcast: (ctx, n, idx) => ctx.b.alu("bitcast", [ctx.value(n.inputs[0]!, idx)], n.params.dtype),
  select: (ctx, n, idx) => ctx.b.alu("where", n.inputs.map((i) => ctx.value(i, idx)), n.aval.dtype),

  reduceSum: reduceLower("sum"),
  reduceProd: reduceLower("prod"),
  reduceMax: reduceLower("max"),
  reduceMin: reduceLower("min"),
  argmax: libraryKernel("argmax"),
  argmin: libraryKernel("argmin"),
  cumsum: libraryKernel("cumsum"),

  // Movement: index arithmetic only.
  reshape: (ctx, n, idx) => {
    const inShape = n.inputs[0]!.aval.shape;
    // An empty tensor has no elements to index (and zero strides to divide by).
    if (sizeOf(inShape) === 0) return ctx.b.const(0, n.aval.dtype);
    const linear = ctx.b.dot(idx, stridesOf(n.aval.shape));
    const st = stridesOf(inShape);
    return ctx.value(n.inputs[0]!, inShape.map((d, e) => ctx.b.imod(ctx.b.idiv(linear, st[e]!), d)));
  },
  broadcast: (ctx, n, idx) => {
    const inShape = n.inputs[0]!.aval.shape;
    return ctx.value(n.inputs[0]!, n.params.dims.map((d, i) => (inShape[i] === 1 ? ctx.b.int(0) : idx[d]!)));
  },
  transpose: (ctx, n, idx) => {
    const src = new Array<Expr>(idx.length);
    n.params.perm.forEach((a, i) => (src[a] = idx[i]!));
    return ctx.value(n.inputs[0]!, src);
  },
  slice: (ctx, n, idx) =>
    ctx.value(n.inputs[0]!, idx.map((e, d) => ctx.b.addConst(ctx.b.scale(e, n.params.step[d]!), n.params.start[d]!))),
  flip: (ctx, n, idx) =>
    ctx.value(n.inputs[0]!, idx.map((e, d) => (n.params.axes.includes(d) ? ctx.b.addConst(ctx.b.scale(e, -1), n.aval.shape[d]! - 1) : e))),
  pad: (ctx, n, idx) => {
    const { b } = ctx;
    const x = n.inputs[0]!;
    const fill = b.const(n.params.value, n.aval.dtype);
    if (sizeOf(x.aval.shape) === 0) return fill;
    let valid: Expr = b.const(1, "bool");
    const src = idx.map((e, d) => {
      const v = b.addConst(e, -n.params.lo[d]!);
      const hi = x.aval.shape[d]! - 1;
      valid = b.alu("and", [valid, b.alu("ge", [v, b.int(0)], "bool")], "bool");
      valid = b.alu("and", [valid, b.alu("lt", [v, b.int(hi + 1)], "bool")], "bool");
      return b.clamp(v, 0, hi);
    });
    return b.alu("where", [valid, ctx.value(x, src), fill], n.aval.dtype);
  },
  concatenate: (ctx, n, idx) => {
    const { b } = ctx;
    const axis = n.params.axis;
    const family = sliceFamily(n);
    if (family) return sliceFamilyValue(ctx, n, family, idx);
    const pieces = n.inputs.filter((x) => x.aval.shape[axis]! > 0);
    let offset = n.aval.shape[axis]!;
    let out: Expr | null = null;
    for (let k = pieces.length - 1; k >= 0; k--) {
      const x = pieces[k]!;
      const len = x.aval.shape[axis]!;
      offset -= len;
      const src = idx.map((e, d) => (d === axis ? b.clamp(b.addConst(e, -offset), 0, len - 1) : e));
      const v = ctx.value(x, src);
      out = out === null ? v : b.alu("where", [b.alu("lt", [idx[axis]!, b.int(offset + len)], "bool"), v, out], n.aval.dtype);
    }
    return out ?? b.const(0, n.aval.dtype);
  },

  // A small matmul is a reduction over k (large ones are contraction kernels: lower-contraction.ts).
  matmul: (ctx, n, idx) => {
    const [a, b] = n.inputs as [Node, Node];
    const r = idx.length, k = a.aval.shape[r - 1]!;
    const batch = idx.slice(0, r - 2);
    // int32 products and their sum wrap like int32 arithmetic, as the interpreter does (a float64
    // sum of products loses bits past 2^53); bool products accumulate in float64 and are cast.
    const dt = n.aval.dtype, acc: DType = isFloat(dt) || isInt(dt) ? dt : "float64";
    const operand = (x: Node, i: readonly Expr[]) => (acc === dt ? ctx.value(x, i) : ctx.b.alu("cast", [ctx.value(x, i)], acc));
    const { vars, result: body } = ctx.loopVars([k], ([p]) =>
      ctx.b.alu("mul", [operand(a, [...batch, idx[r - 2]!, p!]), operand(b, [...batch, p!, idx[r - 1]!])], acc));
    const red = ctx.b.reduce("sum", vars, body, acc, n.id, sumBlocked("sum", acc, k));
    return acc === dt ? red : ctx.b.alu("cast", [red], dt);
  },
  // Gather is a load at a data-dependent (clamped) index, so it fuses like a movement op.
  gather: (ctx, n, idx) => {
    const { b } = ctx;
    const [x, ix] = n.inputs as [Node, Node];
    const axis = n.params.axis, r = ix.aval.shape.length;
    const len = x.aval.shape[axis]!;
    const pos = b.clamp(b.alu("cast", [ctx.value(ix, idx.slice(axis, axis + r))], "index"), 0, Math.max(0, len - 1));
    return ctx.value(x, [...idx.slice(0, axis), pos, ...idx.slice(axis + r)]);
  },
  scatterAdd: libraryKernel("scatterAdd"),
  scatter: libraryKernel("scatter"),
  sort: libraryKernel("sort"),
  solve: libraryKernel("solve"),
  cholesky: libraryKernel("cholesky"),
  detSign: libraryKernel("detSign"),
  logAbsDet: libraryKernel("logAbsDet"),
  svd: libraryKernel("svd"),
  // Control flow runs its compiled sub-graphs per branch/iteration (host/control.ts).
  cond: libraryKernel("cond"),
  while: libraryKernel("while"),
  scan: libraryKernel("scan"),

  eigh: libraryKernel("eigh"),
  qr: libraryKernel("qr"),
  lu: libraryKernel("lu"),
  fft: libraryKernel("fft"),
  polyRoots: libraryKernel("polyRoots"),
} satisfies { [P in Prim]: LowerRule<P> | LibraryMarker };

/**
 * A concatenate of grid-strided slices of one source (slice-family.ts) at `idx`: the piece number
 * and the position inside the piece come from the concatenated axis, the piece number's grid
 * digits shift the start — one read of the source instead of one per piece.
 */
function sliceFamilyValue(ctx: LowerCtx, n: Node<"concatenate">, f: SliceFamily, idx: readonly Expr[]): Expr {
  const { b } = ctx;
  const axis = n.params.axis, len = n.inputs[0]!.aval.shape[axis]!;
  if (len === 0) return b.const(0, n.aval.dtype);
  let rest = b.idiv(idx[axis]!, len);
  const digits = new Array<Expr>(f.radices.length);
  for (let j = f.radices.length - 1; j >= 0; j--) {
    digits[j] = b.imod(rest, f.radices[j]!);
    rest = b.idiv(rest, f.radices[j]!);
  }
  const src = f.start0.map((s0, d) => {
    let e = b.addConst(b.scale(d === axis ? b.imod(idx[axis]!, len) : idx[d]!, f.step[d]!), s0);
    digits.forEach((q, j) => (e = b.add(e, b.scale(q, f.deltas[j]![d]!))));
    return e;
  });
  return ctx.value(f.source, src);
}

/**
 * The library kernel a primitive runs as, or null when it is lowered to the kernel IR.
 * @example
 * libraryOf("argmax"); // "argmax"
 * libraryOf("add");    // null
 */
export function libraryOf(prim: Prim): string | null {
  const r = LOWER_RULES[prim] as LowerRule<Prim> | LibraryMarker;
  return typeof r === "function" ? null : r.library;
}

// ------------------------------------------------------------------ lowering a group

/** What the scheduler tells the lowering about one group. */
export interface GroupEnv {
  /** Buffer id of a node that is read from memory (materialized or already realized). */
  bufferOf(n: Node): number | undefined;
  /** Values supplied by the caller instead of rules (the contraction core's register). */
  readonly seeds?: ReadonlyMap<Node, (idx: readonly Expr[]) => Expr | undefined>;
}

/**
 * Thrown when a group grows past EXPR_BUDGET expressions: a value reused at many different
 * indices (a lazily built training loop reads each step's weights through several views) would
 * otherwise be inlined exponentially often. The scheduler materializes `node` and retries.
 */
export class FusionTooLarge extends Error {
  constructor(readonly nodes: readonly Node[]) {
    super("internal: fused group too large");
  }
}

const EXPR_BUDGET = 20000;

/** A node that computes values (not index arithmetic, not a literal). */
export function isComputed(n: Node): boolean {
  return !Movement.has(n.prim) && n.prim !== "const" && n.prim !== "iota";
}
/** When over budget, values inlined at more than this many distinct indices are materialized. */
const MAX_INSTANCES = 2;

/**
 * Thrown when one root of a multi-output group reads another root at an index other than the one
 * both are written at (a transpose, a broadcast): that value must be complete in memory before the
 * reader runs, so the two cannot share one kernel. The scheduler keeps them apart.
 */
export class CrossElementRead extends Error {
  constructor(readonly node: Node) {
    super(`internal: ${node.prim}#${node.id} is read at another element than it is written`);
  }
}

export class GroupLowering implements LowerCtx {
  readonly b = new ExprBuilder();
  private readonly memo = new Map<string, Expr>();
  private readonly instances = new Map<Node, number>();
  /** Per inlined elementwise node: the expressions computing it (one per distinct index it is read at). */
  readonly elementwise = new Map<Node, Set<Expr>>();
  /** Inside the pieces of a branch-free concatenate: their evaluations at every element are that
   * lowering's accepted cost (the scheduler materializes pieces of longer ones), not expansions. */
  private inPieces = 0;
  private readonly roots: ReadonlySet<Node>;
  /** The output index every root is written at (multi-output groups): set per loop attempt. */
  outIdx: readonly Expr[] = [];

  constructor(roots: Node | readonly Node[], private readonly env: GroupEnv) {
    this.roots = new Set(Array.isArray(roots) ? roots : [roots as Node]);
  }

  value(node: Node, idx: readonly Expr[]): Expr {
    const key = `${node.id}|${idx.map((e) => e.id).join(",")}`;
    let v = this.memo.get(key);
    if (v) return v;
    const seeded = this.env.seeds?.get(node)?.(idx);
    const isRoot = this.roots.has(node);
    // A root read by another root of the same kernel is the value computed in the same iteration,
    // which exists only for the element being written.
    if (isRoot && this.roots.size > 1 && (idx.length !== this.outIdx.length || idx.some((e, d) => e.id !== this.outIdx[d]!.id))) throw new CrossElementRead(node);
    const buf = isRoot ? undefined : this.env.bufferOf(node);
    if (seeded) v = seeded;
    else if (buf !== undefined) v = this.b.load(buf, this.b.dot(idx, stridesOf(node.aval.shape)), node.aval.dtype);
    else {
      const k = (this.instances.get(node) ?? 0) + 1;
      this.instances.set(node, k);
      // Stop early when one computed value is clearly being inlined over and over, at the latest at
      // the budget. A movement node read at many indices (a convolution's im2col stacks one slice
      // of its input per kernel offset) is only index arithmetic: it does not trigger the early stop,
      // which could not name anything to materialize for it.
      if (this.b.size > EXPR_BUDGET || (k > 16 && isComputed(node) && this.b.size > EXPR_BUDGET / 10)) throw new FusionTooLarge(this.overused());
      const rule = LOWER_RULES[node.prim] as LowerRule<Prim> | LibraryMarker;
      if (typeof rule !== "function") throw new Error(`internal: ${node.prim} runs as a library kernel and must be materialized`);
      const pieces = node.prim === "concatenate" && node.inputs.length > 1 && !sliceFamily(node as Node<"concatenate">);
      this.inPieces += pieces ? 1 : 0;
      try {
        v = rule(this, node, idx);
      } finally {
        this.inPieces -= pieces ? 1 : 0;
      }
      if (!isRoot && this.inPieces === 0 && Elementwise.has(node.prim)) (this.elementwise.get(node) ?? this.elementwise.set(node, new Set()).get(node)!).add(v);
    }
    this.memo.set(key, v);
    return v;
  }

  loopVars(extents: readonly number[], build: (idx: readonly Expr[]) => Expr, opts?: MergeOptions): { vars: VarExpr[]; result: Expr } {
    return mergeLoops(this.b, extents, build, opts);
  }

  /**
   * Computing (not movement) nodes instantiated most often; never the root. When only movement is
   * inlined, the most instantiated movement node (materializing it always makes progress).
   */
  private overused(): Node[] {
    const candidates = [...this.instances].filter(([n]) => !this.roots.has(n) && n.prim !== "const" && n.prim !== "iota");
    const ranked = candidates.filter(([n]) => isComputed(n));
    const many = ranked.filter(([, k]) => k > MAX_INSTANCES).map(([n]) => n);
    if (many.length) return many;
    const pool = ranked.length ? ranked : candidates;
    pool.sort((a, b) => b[1] - a[1]);
    return pool.slice(0, 1).map(([n]) => n);
  }
}

/**
 * Chooses loop variables for `extents`: starting from one variable per axis, adjacent axes are
 * merged (inner first) when the merged variable appears in no divide/modulo of the result, i.e.
 * every access it feeds is contiguous across the pair.
 */
/** Loop nests with at most this many iterations are not worth merging. */
const MERGE_MIN = 256;

export interface MergeOptions {
  /** Never merge the last axis into another (a blocked reduction's innermost axis). */
  readonly keepLast?: boolean;
}

export function mergeLoops(b: ExprBuilder, extents: readonly number[], build: (idx: readonly Expr[]) => Expr, opts: MergeOptions = {}): { vars: VarExpr[]; result: Expr } {
  const { vars, results } = mergeLoopsAll(b, extents, (idx) => [build(idx)], opts);
  return { vars, result: results[0]! };
}

/** `mergeLoops` for several values over the same extents (a multi-output kernel's roots): a merge
 * must leave every one of them free of divide/modulo on the merged variable. */
function mergeLoopsAll(b: ExprBuilder, extents: readonly number[], build: (idx: readonly Expr[]) => readonly Expr[], opts: MergeOptions = {}): { vars: VarExpr[]; results: readonly Expr[] } {
  if (extents.includes(0) || extents.reduce((n, e) => n * e, 1) <= MERGE_MIN) {
    // No iterations at all (or too few for loop overhead to matter): one variable per axis,
    // nothing to merge (or divide by), one lowering instead of several trials.
    const vars = extents.map((e) => b.var(e));
    return { vars, results: build(vars) };
  }
  const attempt = (groups: readonly number[][]) => {
    const vars = groups.map((g) => b.var(g.reduce((n, d) => n * extents[d]!, 1)));
    const idx: Expr[] = [];
    groups.forEach((g, gi) => {
      const v = vars[gi]!;
      let inner = 1;
      for (let j = g.length - 1; j >= 0; j--) {
        const ext = extents[g[j]!]!;
        idx[g[j]!] = g.length === 1 ? v : b.imod(b.idiv(v, inner), ext);
        inner *= ext;
      }
    });
    return { vars, results: build(idx) };
  };
  // The common case first: every axis contiguous with the next, one loop for all of them.
  const all = [extents.map((_, i) => i)];
  if (extents.length >= 2 && !opts.keepLast) {
    const cand = attempt(all);
    if (divModOn(cand.results, cand.vars[0]!) === 0) return cand;
    if (extents.length === 2) return attempt(extents.map((_, i) => [i]));
  }
  let groups = extents.map((_, i) => [i]);
  let best = attempt(groups);
  for (let g = groups.length - 2; g >= 0; g--) {
    if (opts.keepLast && g + 1 === groups.length - 1) continue;
    const merged = [...groups.slice(0, g), [...groups[g]!, ...groups[g + 1]!], ...groups.slice(g + 2)];
    const cand = attempt(merged);
    if (divModOn(cand.results, cand.vars[g]!) === 0) {
      groups = merged;
      best = cand;
    }
  }
  return best;
}

export interface LoweredKernel {
  readonly kernel: Kernel;
  /** Buffer id per kernel parameter (negative for scratch). */
  readonly bindings: readonly number[];
  /** Per inlined reduction (graph node id): runs per call, for the recompute check. */
  readonly reduceRuns: ReadonlyMap<number, number>;
  /** Per inlined elementwise node read through an expansion (graph node id): how many values of it the kernel computes per call, for the recompute check. */
  readonly valueRuns: ReadonlyMap<number, number>;
}

/** Index copies of a float floorDiv/rem in one kernel from which they count as an expansion (see finishKernel). */
const MANY_COPIES = 4;

export function finishKernel(kind: string, root: Node, em: Emitter, params: (buf: number) => BufferParam, flops: number | undefined, ctx: GroupLowering): LoweredKernel {
  const bindings = [...em.bufSlots.entries()].sort((a, b) => a[1] - b[1]).map(([buf]) => buf);
  const ps = bindings.map(params);
  const text = printKernelBody(ps, em.root.stmts);
  const kernel: Kernel = { name: `${kind}_${root.prim}_${fnv1a(text)}`, params: ps, body: em.root.stmts, flops: flops ?? em.flops };
  // Only values some single read expands (computed more often than they have elements at one
  // index: a broadcast, a gather, a window's pad) are listed. A value read at several indices, each
  // once per element (softmax's exp in its sum and in its output), is fused recompute by design.
  // Except a float floor division or remainder read at MANY_COPIES indices or more (a window's
  // positions): each copy inlines the exact fmod loop, and a WGSL kernel with dozens of them took
  // llvmpipe minutes to compile (a reduceWindow of floorDivide(remainder(...)): a deep run's
  // random program 100293 hung on webgpu). Its runs are then counted as one expansion's.
  const valueRuns = new Map<number, number>();
  for (const [n, exprs] of ctx.elementwise) {
    const runs = [...exprs].map((e) => em.runsOf(e));
    const total = runs.reduce((a, b) => a + b, 0);
    const loopy = (n.prim === "floorDiv" || n.prim === "rem") && isFloat(n.aval.dtype) && exprs.size >= MANY_COPIES;
    if (Math.max(...runs) > sizeOf(n.aval.shape) || (loopy && total > sizeOf(n.aval.shape))) valueRuns.set(n.id, total);
  }
  return { kernel, bindings, reduceRuns: em.reduceRuns, valueRuns };
}

/**
 * Lowers a fused elementwise/reduction group: one loop per (merged) output axis, one store per
 * root. Several roots (same shape) make a multi-output kernel: every value they share is computed
 * once per element, and a root read by another is used as computed, not loaded (CrossElementRead
 * when it is read at another element). All values are computed before the first store, so an
 * output may take over a donated input's storage that the iteration reads (host/donate.ts).
 */
export function lowerFused(roots: readonly Node[], outBufs: readonly number[], env: GroupEnv, params: (buf: number) => BufferParam): LoweredKernel {
  const ctx = new GroupLowering(roots, env);
  const { vars, results } = mergeLoopsAll(ctx.b, roots[0]!.aval.shape, (idx) => {
    ctx.outIdx = idx;
    return roots.map((r) => ctx.value(r, idx));
  });
  const em = new Emitter(outBufs);
  let scope = em.root;
  const loops = vars.map((v) => {
    const l = em.open(scope, v, v.extent, { kind: "parallel" });
    scope = l.scope;
    return l;
  });
  const vals = results.map((r) => em.value(r));
  const index = em.value(ctx.b.dot(vars, stridesOf(vars.map((v) => v.extent))));
  vals.forEach((value, buf) => scope.stmts.push({ s: "store", buf, index, value }));
  for (let i = loops.length - 1; i >= 0; i--) em.close(loops[i]!);
  return finishKernel(em.reduceRuns.size ? "reduce" : "elementwise", roots[0]!, em, params, undefined, ctx);
}
