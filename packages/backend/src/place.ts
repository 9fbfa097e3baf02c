/**
 * Placement: turns the expression DAG into kernel IR statements. Every value is computed once, at
 * the outermost loop where all the loop variables it depends on are bound (loop-invariant code
 * motion). That single rule is what fuses reductions with their consumers: in softmax the row
 * max and the row sum depend only on the row index, so they are computed once per row, before
 * the column loop that writes `exp(x - max) / sum`.
 *
 * Index sums are emitted as prefix sums ordered by loop depth, so `((ip·k + p)·4 + ii)` costs
 * one add per level instead of a full multiply-add chain in the innermost loop.
 */
import { type DType, isFloat } from "@kiln/core";
import { type Expr, type ReduceExpr, type ReduceOp, type VarExpr } from "./expr.js";
import { type LoopKind, type Op, type Operand, type Stmt } from "./kernel.js";

/**
 * A float sum whose innermost reduced axis has more than this many terms accumulates that axis in
 * blocks (pairwise-style error growth). The lowering decides it from the reduction's shape
 * (`ReduceExpr.blocked`) and then keeps that axis its own loop, so the order is the same in every
 * kernel that computes the reduction.
 */
export const SUM_BLOCK = 1024;

/**
 * Whether a reduction accumulates in blocks: float sums and products whose innermost reduced axis
 * is longer than SUM_BLOCK.
 * @example
 * sumBlocked("sum", "float32", 4096); // true
 * sumBlocked("max", "float32", 4096); // false (max is exact in any order)
 */
export function sumBlocked(rop: ReduceOp, dtype: DType, innermost: number): boolean {
  return (rop === "sum" || rop === "prod") && isFloat(dtype) && innermost > SUM_BLOCK;
}

export class Scope {
  readonly stmts: Stmt[] = [];
  readonly id: number;
  constructor(readonly parent: Scope | null, readonly depth: number, readonly trips: number, id: number) {
    this.id = id;
  }
}

interface OpenLoop {
  readonly scope: Scope;
  readonly parent: Scope;
  readonly var: string;
  readonly start: Operand;
  readonly end: Operand;
  readonly step: number;
  readonly kind: LoopKind;
  readonly width?: number;
}

const INIT: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

export class Emitter {
  readonly root: Scope;
  private scopes = 0;
  private counters = { t: 0, v: 0, a: 0, r: 0 };
  private readonly varScope = new Map<number, Scope>();
  private readonly varName = new Map<number, string>();
  private readonly memo = new Map<string, Operand>();
  /** Graph buffer id → parameter slot, in first-use order. */
  readonly bufSlots = new Map<number, number>();
  /** Per reduction origin (graph node id): how many times its reductions run per kernel call. */
  readonly reduceRuns = new Map<number, number>();
  /** Per emitted expression (by id): the scope it is computed in. */
  private readonly placed = new Map<number, Scope>();
  flops = 0;

  constructor(firstSlots: readonly number[] = []) {
    this.root = new Scope(null, 0, 1, this.scopes++);
    for (const b of firstSlots) this.slot(b);
  }

  slot(buf: number): number {
    let s = this.bufSlots.get(buf);
    if (s === undefined) this.bufSlots.set(buf, (s = this.bufSlots.size));
    return s;
  }

  fresh(prefix: "t" | "v" | "a" | "r"): string {
    return `${prefix}${this.counters[prefix]++}`;
  }

  // ---------------------------------------------------------------- loops
  /** Opens a loop inside `parent`; its statement is appended to `parent` only on `close`, so values
   * hoisted into `parent` while the body is built land before the loop. */
  open(parent: Scope, v: VarExpr | null, trips: number, opts: { start?: Operand; end?: Operand; step?: number; kind?: LoopKind; width?: number } = {}): OpenLoop {
    const scope = new Scope(parent, parent.depth + 1, parent.trips * trips, this.scopes++);
    const name = this.fresh("v");
    if (v) {
      this.varScope.set(v.id, scope);
      this.varName.set(v.id, name);
    }
    return {
      scope, parent, var: name,
      start: opts.start ?? { k: "const", value: 0, dtype: "index" },
      end: opts.end ?? { k: "const", value: v ? v.extent : trips, dtype: "index" },
      step: opts.step ?? 1, kind: opts.kind ?? "serial", width: opts.width,
    };
  }

  close(l: OpenLoop): void {
    l.parent.stmts.push({ s: "loop", var: l.var, start: l.start, end: l.end, step: l.step, kind: l.kind, ...(l.width ? { width: l.width } : {}), body: l.scope.stmts });
  }

  varOperand(l: OpenLoop): Operand {
    return { k: "var", name: l.var };
  }

  // ---------------------------------------------------------------- values
  /** The scope where `e` is computed: the deepest loop among its free variables. */
  private target(e: { free: readonly number[] }): Scope {
    let t = this.root;
    for (const v of e.free) {
      const s = this.varScope.get(v);
      if (!s) throw new Error(`internal: loop variable ${v} is not bound here`);
      if (s.depth > t.depth) t = s;
    }
    return t;
  }

  private bind(scope: Scope, key: string, op: Op): Operand {
    const name = this.fresh("t");
    scope.stmts.push({ s: "let", name, value: op });
    if (op.op === "alu" && op.dtype !== "index") this.flops += scope.trips;
    const o: Operand = { k: "local", name, dtype: op.dtype };
    this.memo.set(`${key}@${scope.id}`, o);
    return o;
  }

  /**
   * How many times `e` runs per kernel call: the trip count of the scope it was placed in (0 if it
   * was never emitted: a trial lowering's expression, or one folded away).
   * @example em.runsOf(e) // 802816: once per element of a [64, 28, 28, 16] output
   */
  runsOf(e: Expr): number {
    return this.placed.get(e.id)?.trips ?? 0;
  }

  /** Emits `e` (and what it needs) and returns an operand valid in `at` and its descendants. */
  value(e: Expr): Operand {
    if (e.op === "const") return { k: "const", value: e.value, dtype: e.dtype };
    if (e.op === "var") {
      const name = this.varName.get(e.id);
      if (!name) throw new Error(`internal: loop variable ${e.id} is not bound here`);
      return { k: "var", name };
    }
    const t = this.target(e);
    const hit = this.memo.get(`${e.id}@${t.id}`);
    if (hit) return hit;
    this.placed.set(e.id, t);
    switch (e.op) {
      case "sum": return this.sum(e.terms, e.offset, String(e.id));
      case "alu": return this.bind(t, String(e.id), { op: "alu", alu: e.alu, args: e.args.map((a) => this.value(a)), dtype: e.dtype, param: e.param });
      case "load": return this.bind(t, String(e.id), { op: "load", buf: this.slot(e.buf), index: this.value(e.index), dtype: e.dtype as DType });
      case "reg": return this.bind(t, String(e.id), { op: "reg", name: e.name, idx: e.idx.map((a) => this.value(a)), dtype: e.dtype as DType });
      case "reduce": return this.reduce(e, t);
    }
  }

  /** Σ coeff·term + offset as prefix sums from the outermost term inwards. */
  private sum(terms: readonly (readonly [Expr, number])[], offset: number, key: string): Operand {
    const ordered = [...terms].sort((a, b) => this.target(a[0]).depth - this.target(b[0]).depth || a[0].id - b[0].id);
    let acc: Operand | null = offset !== 0 ? { k: "const", value: offset, dtype: "index" } : null;
    const accFree: number[] = [];
    let prefixKey = `o${offset}`;
    for (const [term, coeff] of ordered) {
      const t = this.value(term);
      const tScope = this.target(term);
      let prod = t;
      if (coeff !== 1) {
        const k = `mul(${term.id},${coeff})`;
        prod = this.memo.get(`${k}@${tScope.id}`) ?? this.bind(tScope, k, { op: "alu", alu: "mul", args: [t, { k: "const", value: coeff, dtype: "index" }], dtype: "index", param: [] });
      }
      accFree.push(...term.free);
      prefixKey += `+${term.id}*${coeff}`;
      if (!acc) {
        acc = prod;
        continue;
      }
      const scope = this.target({ free: accFree });
      acc = this.memo.get(`${prefixKey}@${scope.id}`) ?? this.bind(scope, prefixKey, { op: "alu", alu: "add", args: [acc, prod], dtype: "index", param: [] });
    }
    const out = acc ?? { k: "const", value: offset, dtype: "index" };
    this.memo.set(`${key}@${this.target({ free: accFree }).id}`, out);
    return out;
  }

  /** Emits a reduction at scope `t`: accumulator, loops (a float sum is blocked), update. */
  private reduce(e: ReduceExpr, t: Scope): Operand {
    const dtype = e.dtype as DType;
    const acc = this.fresh("a");
    t.stmts.push({ s: "acc", name: acc, init: INIT[e.rop] });
    this.reduceRuns.set(e.origin, (this.reduceRuns.get(e.origin) ?? 0) + t.trips);
    const total = e.vars.reduce((n, v) => n * v.extent, 1);
    const blocked = e.blocked && (e.rop === "sum" || e.rop === "prod") && isFloat(dtype);
    const loops: OpenLoop[] = [];
    let scope = t;
    e.vars.forEach((v, i) => {
      const last = i === e.vars.length - 1;
      if (last && blocked && v.extent > SUM_BLOCK) {
        const outer = this.open(scope, null, Math.ceil(v.extent / SUM_BLOCK), { end: { k: "const", value: v.extent, dtype: "index" }, step: SUM_BLOCK });
        loops.push(outer);
        const start = this.varOperand(outer);
        const end = this.bind(outer.scope, `blockEnd${v.id}`, { op: "alu", alu: "min", args: [this.addConst(outer.scope, start, SUM_BLOCK), { k: "const", value: v.extent, dtype: "index" }], dtype: "index", param: [] });
        scope = outer.scope;
        const inner = this.open(scope, v, SUM_BLOCK, { start, end });
        loops.push(inner);
        scope = inner.scope;
      } else {
        const l = this.open(scope, v, v.extent);
        loops.push(l);
        scope = l.scope;
      }
    });
    // With blocking, the innermost loop sums into a partial that is folded into `acc` per block.
    const partialAt = blocked ? loops.length - 2 : -1;
    let partial = acc;
    if (partialAt >= 0) {
      partial = this.fresh("a");
      loops[partialAt]!.scope.stmts.push({ s: "acc", name: partial, init: INIT[e.rop] });
    }
    scope.stmts.push({ s: "update", name: partial, rop: e.rop, value: this.value(e.body) });
    for (let i = loops.length - 1; i >= 0; i--) {
      if (i === partialAt) loops[i]!.scope.stmts.push({ s: "update", name: acc, rop: e.rop, value: { k: "local", name: partial, dtype } });
      this.close(loops[i]!);
    }
    this.flops += t.trips * total;
    let o: Operand = { k: "local", name: acc, dtype };
    // A target may accumulate wider than the dtype (JS sums float32 in float64): the reduction's
    // value is its dtype's value, so a recomputed reduction equals the stored one bit for bit.
    if (dtype === "float32" || dtype === "float16" || dtype === "bfloat16") o = this.bind(t, `round${e.id}`, { op: "alu", alu: "cast", args: [o], dtype, param: [] });
    this.memo.set(`${e.id}@${t.id}`, o);
    return o;
  }

  private addConst(scope: Scope, a: Operand, k: number): Operand {
    const name = this.fresh("t");
    scope.stmts.push({ s: "let", name, value: { op: "alu", alu: "add", args: [a, { k: "const", value: k, dtype: "index" }], dtype: "index", param: [] } });
    return { k: "local", name, dtype: "index" };
  }
}
