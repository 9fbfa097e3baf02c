/**
 * The expression DAG a fused group lowers to before loops are placed: values at symbolic
 * indices, index arithmetic in an affine normal form, loads and (unplaced) reductions.
 *
 * Index expressions (`dtype: "index"`) are kept as `Σ coeff·term + offset` with inclusive
 * ranges, so movement ops compose into plain strides: a reshape's divide/modulo by a stride
 * cancels against the multiply that built the linear index (`(f/b)*b + f%b → f`), and a divide
 * whose remainder part is known to stay below the divisor folds away. That is what turns
 * `reshape(transpose(x))` chains back into `b0[i*64 + j]`.
 *
 * One builder per kernel lowering; nodes are interned (equal structure → same object), so a
 * value used twice is computed once and every expression has a stable creation order.
 */
import { type BinaryPrim, type DType, type UnaryPrim, castScalar } from "@kiln/core";

export type ExprDType = DType | "index";
export type ReduceOp = "sum" | "prod" | "max" | "min";

/** ALU operations of the kernel IR: the elementwise primitives plus select, casts and index ops. */
export type AluOp = Exclude<UnaryPrim, "stopGradient"> | BinaryPrim | "where" | "cast" | "bitcast" | "clamp" | "idiv" | "imod";

interface Base {
  readonly id: number;
  readonly dtype: ExprDType;
  /** Ids of the loop variables this expression depends on (sorted, unique). */
  readonly free: readonly number[];
  /** Inclusive value range, for index expressions (±Infinity otherwise). */
  readonly lo: number;
  readonly hi: number;
}
export interface ConstExpr extends Base { readonly op: "const"; readonly value: number }
export interface VarExpr extends Base { readonly op: "var"; readonly extent: number }
/** Σ coeff·term + offset over index terms (vars or opaque index expressions). */
export interface SumExpr extends Base {
  readonly op: "sum";
  readonly terms: readonly (readonly [Expr, number])[];
  readonly offset: number;
}
export interface AluExpr extends Base {
  readonly op: "alu";
  readonly alu: AluOp;
  readonly args: readonly Expr[];
  /** Constant parameter: divisor of idiv/imod, [lo, hi] of clamp. */
  readonly param: readonly number[];
}
export interface LoadExpr extends Base { readonly op: "load"; readonly buf: number; readonly index: Expr }
export interface ReduceExpr extends Base {
  readonly op: "reduce";
  readonly rop: ReduceOp;
  readonly vars: readonly VarExpr[];
  readonly body: Expr;
  /** The graph node this reduction came from (for the recompute check); not part of its identity. */
  readonly origin: number;
  /**
   * Accumulate the last loop in blocks of partial sums (place.ts). Decided from the reduction's
   * shape alone, never from how its loops merged, so the accumulation order — and hence the value —
   * is the same in every kernel that computes this reduction.
   */
  readonly blocked: boolean;
}
/** One element of a register array (contraction accumulators); `idx` are unrolled loop vars. */
export interface RegExpr extends Base { readonly op: "reg"; readonly name: string; readonly idx: readonly Expr[] }
export type Expr = ConstExpr | VarExpr | SumExpr | AluExpr | LoadExpr | ReduceExpr | RegExpr;

type Draft = { op: Expr["op"]; dtype: ExprDType; lo?: number; hi?: number } & Record<string, unknown>;

function unionFree(parts: readonly Expr[], minus: readonly number[] = []): number[] {
  const s = new Set<number>();
  for (const p of parts) for (const v of p.free) s.add(v);
  for (const v of minus) s.delete(v);
  return [...s].sort((a, b) => a - b);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
function floorDiv(a: number, c: number): number {
  return Math.floor(a / c);
}
function posMod(a: number, c: number): number {
  return ((a % c) + c) % c;
}

/** Builds interned expressions; one per kernel lowering. */
/** max/min of two constants: Math's are the reference's (NaN if either is; max(+0, -0) = +0, min = -0). */
const PICK_CONST: Partial<Record<AluOp, (x: number, y: number) => number>> = { max: Math.max, min: Math.min };
/** Float arithmetic on two constants (IEEE: x / 0 is ±inf, 0 / 0 NaN), rounded by the caller. */
const ARITH_CONST: Partial<Record<AluOp, (x: number, y: number) => number>> = {
  add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y,
};

export class ExprBuilder {
  private readonly interned = new Map<string, Expr>();
  private nextId = 0;

  /** Expressions created so far (the size of the kernel being lowered, trial attempts included). */
  get size(): number {
    return this.nextId;
  }

  private make<E extends Expr>(key: string, draft: Draft, children: readonly Expr[], minus: readonly number[] = []): E {
    // Loop variables are never shared: each call makes a new one.
    const unique = draft.op === "var";
    const hit = unique ? undefined : this.interned.get(key);
    if (hit) return hit as E;
    // Drafts are fresh literals from the callers: completing one in place avoids a copy per node.
    const e = draft as Draft & { id: number; free: readonly number[] };
    e.id = this.nextId++;
    e.free = unique ? [e.id] : children.length === 1 && minus.length === 0 ? children[0]!.free : unionFree(children, minus);
    e.lo ??= -Infinity;
    e.hi ??= Infinity;
    if (!unique) this.interned.set(key, e as unknown as Expr);
    return e as unknown as E;
  }

  const(value: number, dtype: ExprDType): ConstExpr {
    return this.make(`c${dtype}:${Object.is(value, -0) ? "-0" : value}`, { op: "const", value, dtype, lo: value, hi: value }, []);
  }
  int(value: number): ConstExpr {
    return this.const(value, "index");
  }
  /** A fresh loop variable ranging over [0, extent). */
  var(extent: number): VarExpr {
    return this.make(`var`, { op: "var", dtype: "index", extent, lo: 0, hi: Math.max(0, extent - 1) }, []);
  }

  // ---------------------------------------------------------------- index arithmetic
  /** The affine view of an index expression: terms (by id) and offset. */
  private affine(e: Expr): { terms: Map<Expr, number>; offset: number } {
    if (e.op === "const") return { terms: new Map(), offset: e.value };
    if (e.op === "sum") return { terms: new Map(e.terms), offset: e.offset };
    return { terms: new Map([[e, 1]]), offset: 0 };
  }

  private fromAffine(terms: Map<Expr, number>, offset0: number): Expr {
    const offset = offset0 + recombineDivMod(terms, (x) => this.affine(x));
    const list = [...terms].filter(([, c]) => c !== 0).sort((a, b) => a[0].id - b[0].id);
    if (list.length === 0) return this.int(offset);
    if (list.length === 1 && list[0]![1] === 1 && offset === 0) return list[0]![0];
    let lo = offset, hi = offset;
    for (const [t, c] of list) {
      lo += c > 0 ? c * t.lo : c * t.hi;
      hi += c > 0 ? c * t.hi : c * t.lo;
    }
    const key = `sum(${list.map(([t, c]) => `${t.id}*${c}`).join("+")}+${offset})`;
    return this.make(key, { op: "sum", dtype: "index", terms: list, offset, lo, hi }, list.map(([t]) => t));
  }

  add(a: Expr, b: Expr): Expr {
    const x = this.affine(a), y = this.affine(b);
    for (const [t, c] of y.terms) x.terms.set(t, (x.terms.get(t) ?? 0) + c);
    return this.fromAffine(x.terms, x.offset + y.offset);
  }
  addConst(a: Expr, k: number): Expr {
    return k === 0 ? a : this.add(a, this.int(k));
  }
  scale(a: Expr, k: number): Expr {
    const x = this.affine(a);
    for (const [t, c] of x.terms) x.terms.set(t, c * k);
    return this.fromAffine(x.terms, x.offset * k);
  }
  /** Σ idx[d]·strides[d]. */
  dot(idx: readonly Expr[], strides: readonly number[]): Expr {
    let s: Expr = this.int(0);
    idx.forEach((e, d) => (s = this.add(s, this.scale(e, strides[d]!))));
    return s;
  }

  /**
   * Floor division by a positive constant; multiples of `c` are pulled out of the sum.
   *
   * Invariant (what keeps every renderer sound): the argument of an emitted idiv/imod is never
   * negative. Renderers spell imod as the target's `%`, which truncates toward zero, so a
   * negative argument (a flip or negative-step slice read through a reshape) would select the
   * wrong element. `liftNonNegative` shifts the argument by a multiple of `c` instead, which
   * changes the quotient by a known constant and the remainder not at all.
   */
  idiv(a: Expr, c: number): Expr {
    if (c === 1) return a;
    if (!(c > 0)) throw new Error(`internal: index division by ${c}`);
    if (a.lo >= 0 && a.hi < c) return this.int(0);
    const f = this.factorOut(a, c);
    if (f) return this.idiv(f.high, c / f.c1);
    const { terms, offset } = this.affine(a);
    const q = new Map<Expr, number>(), r = new Map<Expr, number>();
    for (const [t, k] of terms) (k % c === 0 ? q.set(t, k / c) : r.set(t, k));
    const lifted = this.liftNonNegative(this.fromAffine(r, posMod(offset, c)), c);
    // floor((rest + shift·c) / c) = floor(rest / c) + shift.
    const qOff = floorDiv(offset, c) - lifted.shift;
    const rest = lifted.arg;
    let tail: Expr;
    if (rest.lo >= 0 && rest.hi < c) tail = this.int(0);
    else if (rest.op === "alu" && rest.alu === "idiv" && rest.lo >= 0) tail = this.idiv(rest.args[0]!, rest.param[0]! * c);
    else tail = this.make(`idiv(${rest.id},${c})`, { op: "alu", alu: "idiv", dtype: "index", args: [rest], param: [c], lo: floorDiv(rest.lo, c), hi: floorDiv(rest.hi, c) }, [rest]);
    return this.add(this.fromAffine(q, qOff), tail);
  }

  /** Non-negative modulo by a positive constant (see `idiv` for why its argument is never negative). */
  imod(a: Expr, c: number): Expr {
    if (c === 1) return this.int(0);
    if (!(c > 0)) throw new Error(`internal: index modulo by ${c}`);
    const f = this.factorOut(a, c);
    if (f) return this.add(this.scale(this.imod(f.high, c / f.c1), f.c1), f.low);
    const { terms, offset } = this.affine(a);
    for (const [t, k] of terms) if (k % c === 0) terms.delete(t);
    const unlifted = this.fromAffine(terms, posMod(offset, c));
    if (unlifted.lo >= 0 && unlifted.hi < c) return unlifted;
    if (!Number.isFinite(unlifted.lo)) {
      // No multiple of c makes an unbounded argument non-negative: x - c·floor(x / c) needs only
      // idiv, which every renderer implements as floor division for any sign.
      return this.add(unlifted, this.scale(this.idiv(unlifted, c), -c));
    }
    // (rest + shift·c) mod c = rest mod c.
    const rest = this.liftNonNegative(unlifted, c).arg;
    if (rest.lo >= 0 && rest.hi < c) return rest;
    if (rest.op === "alu" && rest.alu === "imod" && rest.param[0]! % c === 0) return this.imod(rest.args[0]!, c);
    return this.make(`imod(${rest.id},${c})`, { op: "alu", alu: "imod", dtype: "index", args: [rest], param: [c], lo: 0, hi: Math.min(c - 1, rest.hi) }, [rest]);
  }

  /**
   * `a = c1·high + low` with `c1` a proper divisor of `c` (> 1) and `low` in [0, c1): then
   * `a idiv c = high idiv (c / c1)` and `a mod c = c1·(high mod (c / c1)) + low`. This is the
   * delinearization of a linear index built with a stride that divides `c` (`p·196 + q` with
   * q < 196, divided by 196·9), which otherwise stays an opaque divide in the innermost loop.
   * The largest such `c1` among the terms' coefficients is taken; null when none qualifies.
   */
  private factorOut(a: Expr, c: number): { c1: number; high: Expr; low: Expr } | null {
    if (a.op !== "sum" || a.terms.length < 2) return null;
    let best = 0;
    for (const [, k] of a.terms) {
      const c1 = gcd(Math.abs(k), c);
      if (c1 <= best || c1 <= 1 || c1 === c) continue;
      // The low part's range from its terms' ranges (as fromAffine computes it), before building it.
      let lo = posMod(a.offset, c1), hi = lo;
      for (const [t, kt] of a.terms) if (kt % c1 !== 0) ((lo += kt > 0 ? kt * t.lo : kt * t.hi), (hi += kt > 0 ? kt * t.hi : kt * t.lo));
      if (lo >= 0 && hi < c1) best = c1;
    }
    if (best === 0) return null;
    const high = new Map<Expr, number>(), low = new Map<Expr, number>();
    for (const [t, kt] of a.terms) (kt % best === 0 ? high.set(t, kt / best) : low.set(t, kt));
    return { c1: best, high: this.fromAffine(high, floorDiv(a.offset, best)), low: this.fromAffine(low, posMod(a.offset, best)) };
  }

  /** `a + shift·c` with the smallest shift ≥ 0 that makes its range non-negative (0 when unbounded). */
  private liftNonNegative(a: Expr, c: number): { arg: Expr; shift: number } {
    if (a.lo >= 0 || !Number.isFinite(a.lo)) return { arg: a, shift: 0 };
    const shift = Math.ceil(-a.lo / c);
    return { arg: this.addConst(a, shift * c), shift };
  }

  /** Clamps an index into [lo, hi]; vanishes when the range already fits. */
  clamp(a: Expr, lo: number, hi: number): Expr {
    if (a.lo >= lo && a.hi <= hi) return a;
    // A range entirely on one side (or a one-value range, as a pad of width 1 has) clamps to a
    // constant: every reader of that position then shares one index expression, and the value
    // read there is computed once instead of once per spelling of the same index.
    if (a.hi <= lo) return this.int(lo);
    if (a.lo >= hi) return this.int(hi);
    return this.make(`clamp(${a.id},${lo},${hi})`, { op: "alu", alu: "clamp", dtype: "index", args: [a], param: [lo, hi], lo, hi }, [a]);
  }

  // ---------------------------------------------------------------- values
  alu(alu: AluOp, args: readonly Expr[], dtype: ExprDType): Expr {
    const folded = this.foldBool(alu, args, dtype);
    if (folded) return folded;
    const range = alu === "where" && dtype === "index" ? [Math.min(args[1]!.lo, args[2]!.lo), Math.max(args[1]!.hi, args[2]!.hi)] : [];
    return this.make(`${alu}:${dtype}(${args.map((a) => a.id).join(",")})`, { op: "alu", alu, dtype, args, param: [], lo: range[0], hi: range[1] }, args);
  }

  /** Decides index comparisons from ranges, folds `where` on a known condition and casts of constants. */
  private foldBool(alu: AluOp, args: readonly Expr[], dtype: ExprDType): Expr | null {
    const [a, b] = args;
    if (a && b && a.dtype === "index" && b.dtype === "index") {
      const decided =
        alu === "lt" ? (a.hi < b.lo ? 1 : a.lo >= b.hi ? 0 : -1)
        : alu === "ge" ? (a.lo >= b.hi ? 1 : a.hi < b.lo ? 0 : -1)
        : -1;
      if (decided >= 0) return this.const(decided, "bool");
    }
    if (alu === "where" && a?.op === "const") return a.value ? args[1]! : args[2]!;
    // A cast of a constant is the constant of the target dtype: `f32(0u)` as a divisor is then the
    // literal 0.0 the renderers recognize (WGSL spells a division by it as IEEE's ±inf/NaN, where
    // llvmpipe folded `x / f32(0u)` to 0 under finite math: np.divide(uint32Tensor, 0) gave 0).
    if (alu === "cast" && a?.op === "const" && dtype !== "index") return this.const(castScalar(a.value, dtype), dtype);
    // Two constants: max/min (any dtype) and float arithmetic fold to the constant, rounded to the
    // dtype — what is left to the device is a literal, not an operation llvmpipe may fold under
    // finite math (nanvar of [] divided 0 by max(0 - ddof, 0) and got 0 instead of NaN).
    if (a?.op === "const" && b?.op === "const" && dtype !== "index") {
      const pick = PICK_CONST[alu];
      if (pick) return this.const(pick(a.value, b.value), dtype);
      const arith = ARITH_CONST[alu];
      if (arith && dtype === "float32") return this.const(Math.fround(arith(a.value, b.value)), dtype);
      if (arith && dtype === "float64") return this.const(arith(a.value, b.value), dtype);
    }
    // Only a logical `and` has a constant that is an identity; int32 `and` is bitwise (x & 17 is not x).
    if (alu === "and" && dtype === "bool" && a?.op === "const") return a.value ? b! : a;
    if (alu === "and" && dtype === "bool" && b?.op === "const") return b.value ? a! : b;
    return null;
  }

  load(buf: number, index: Expr, dtype: DType): LoadExpr {
    return this.make(`load${buf}[${index.id}]`, { op: "load", dtype, buf, index }, [index]);
  }

  reduce(rop: ReduceOp, vars: readonly VarExpr[], body: Expr, dtype: DType, origin: number, blocked = false): ReduceExpr {
    const key = `reduce:${rop}:${dtype}${blocked ? ":blocked" : ""}(${vars.map((v) => v.id).join(",")};${body.id})`;
    return this.make(key, { op: "reduce", dtype, rop, vars, body, origin, blocked }, [body], vars.map((v) => v.id));
  }

  reg(name: string, idx: readonly Expr[], dtype: DType): RegExpr {
    return this.make(`reg:${name}[${idx.map((e) => e.id).join(",")}]`, { op: "reg", dtype, name, idx }, idx);
  }
}

/**
 * `k·c·(x idiv c) + k·(x imod c)` is `k·x`: the pair a reshape's delinearization leaves behind when
 * the linear index is rebuilt with the same stride. Folding it back is what lets merged loops and
 * reshapes of contiguous data load with a plain affine index.
 */
function recombineDivMod(terms: Map<Expr, number>, affine: (x: Expr) => { terms: Map<Expr, number>; offset: number }): number {
  let extraOffset = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (const [m, k] of terms) {
      if (m.op !== "alu" || m.alu !== "imod" || k === 0) continue;
      const x = m.args[0]!, c = m.param[0]!;
      const d = [...terms.keys()].find((t) => t.op === "alu" && t.alu === "idiv" && t.args[0] === x && t.param[0] === c);
      if (!d || terms.get(d) !== k * c) continue;
      terms.delete(m);
      terms.delete(d);
      const inner = affine(x);
      for (const [t, kk] of inner.terms) terms.set(t, (terms.get(t) ?? 0) + kk * k);
      extraOffset += inner.offset * k;
      changed = true;
      break;
    }
  }
  return extraOffset;
}

/** Visits every expression reachable from `roots` once (children first). */
export function walkExprs(roots: readonly Expr[], f: (e: Expr) => void): void {
  const seen = new Set<number>();
  const stack: [Expr, boolean][] = roots.map((r) => [r, false]);
  while (stack.length) {
    const [e, done] = stack.pop()!;
    if (done) {
      f(e);
      continue;
    }
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    stack.push([e, true]);
    for (const c of children(e)) if (!seen.has(c.id)) stack.push([c, false]);
  }
}

export function children(e: Expr): readonly Expr[] {
  switch (e.op) {
    case "sum": return e.terms.map(([t]) => t);
    case "alu": return e.args;
    case "load": return [e.index];
    case "reduce": return [...e.vars, e.body];
    case "reg": return e.idx;
    default: return [];
  }
}

/** Number of divide/modulo nodes that depend on loop variable `v` (the cost of merging loops). */
export function divModOn(roots: readonly Expr[], v: VarExpr): number {
  let n = 0;
  walkExprs(roots, (e) => {
    if (e.op === "alu" && (e.alu === "idiv" || e.alu === "imod") && e.free.includes(v.id)) n++;
  });
  return n;
}
