/**
 * Kernel IR → WGSL statements. WGSL overrides the C-like base table (render/base.ts) only where
 * its semantics differ from the reference interpreter's:
 *  - NaN: drivers may ignore NaN in built-ins (Mesa returns tanh(NaN) = -1, max(NaN, 0) = 0), so
 *    transcendental functions pass a NaN argument through and max/min propagate it;
 *  - integers: floor division and NumPy remainder with x // 0 = 0, shifts of 32 or more give 0,
 *    float → int32 casts wrap (WGSL saturates) and NaN casts to 0;
 *  - missing built-ins: expm1, log1p (Kahan's exact-rounding tricks), exact fmod, pow with
 *    JavaScript's special cases.
 * Booleans are WGSL `bool` in registers and `u32` 0/1 in storage; int32 and index values are
 * `i32`; float32 and float16 values are `f32`. float64 never reaches this renderer (such kernels
 * run on the host: runtime/webgpu.ts).
 *
 * The mapping of loops onto invocations and workgroups lives in render/wgsl-kernel.ts; this file
 * renders statement lists in one invocation ("serial") given that mapping's decisions.
 */
import { type DType } from "@kiln/core";
import { type AluOp, type ExprDType, type ReduceOp } from "../expr.js";
import { type BufferParam, type Op, type Operand, type Stmt } from "../kernel.js";
import { type AluRender, BASE_ALU, type Dialect } from "./base.js";

export type WgslType = "f32" | "i32" | "bool";

/** Register type of a value of `dt`. */
export function wgslType(dt: ExprDType): WgslType {
  return dt === "int32" || dt === "index" ? "i32" : dt === "bool" ? "bool" : "f32";
}

/** Storage element type of a buffer of `dt` (bool is u32 0/1: storage has no bool or byte type). */
export function storageType(dt: DType): "f32" | "i32" | "u32" {
  return dt === "int32" ? "i32" : dt === "bool" ? "u32" : "f32";
}

/** Helper functions every kernel may call (unused ones cost nothing after compilation). */
export const WGSL_PRELUDE = `
var<private> kInf: f32;
var<private> kNaN: f32;
// Identity functions: an operation on constants only would be a WGSL constant expression, and
// evaluating one that overflows (1.0 / 0.0, exp(100.0)) is a compile error instead of Infinity.
fn rtf_(x: f32) -> f32 { return x; }
fn rti_(x: i32) -> i32 { return x; }
fn rtb_(x: bool) -> bool { return x; }
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn g_(y: f32, x: f32) -> f32 { return select(y, x, isnan_(x)); }
fn max_(a: f32, b: f32) -> f32 { return select(max(a, b), a + b, isnan_(a) || isnan_(b)); }
fn min_(a: f32, b: f32) -> f32 { return select(min(a, b), a + b, isnan_(a) || isnan_(b)); }
fn sign_(x: f32) -> f32 { return select(select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0), x, isnan_(x)); }
fn expm1_(x: f32) -> f32 {
  let u = exp(x);
  if (u == 1.0 || isnan_(x)) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (isinf_(u)) { return u; }
  return um1 * x / log(u);
}
fn log1p_(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0 || isnan_(x)) { return x; }
  if (isinf_(u) || u == 0.0) { return log(u); }
  return log(u) * x / (u - 1.0);
}
fn atan2_(y: f32, x: f32) -> f32 {
  if (isnan_(x) || isnan_(y)) { return x + y; }
  let ny = (bitcast<u32>(y) & 0x80000000u) != 0u;
  let nx = (bitcast<u32>(x) & 0x80000000u) != 0u;
  var r: f32;
  if (y == 0.0) { r = select(0.0, 3.1415927, nx); }
  else if (x == 0.0) { r = 1.5707964; }
  else if (isinf_(x)) { r = select(select(0.0, 3.1415927, nx), select(0.7853982, 2.3561945, nx), isinf_(y)); }
  else if (isinf_(y)) { r = 1.5707964; }
  else { return atan2(y, x); }
  return select(r, -r, ny);
}
fn asin_(x: f32) -> f32 { return atan2_(x, sqrt((1.0 - x) * (1.0 + x))); }
fn acos_(x: f32) -> f32 { return atan2_(sqrt((1.0 - x) * (1.0 + x)), x); }
// Bits of 2/pi (word k >= 1 holds bits 32k-31 .. 32k after the point; word 0: the zeros before it).
var<private> twoOverPi_: array<u32, 9> = array<u32, 9>(0u, 0xA2F9836Eu, 0x4E441529u, 0xFC2757D1u, 0xF534DDC0u, 0xDB629599u, 0x3C439041u, 0xFE5163ABu, 0xDEBBC561u);
fn tpw_(s: i32) -> u32 {
  let j = s + 31;
  let k = j / 32;
  let off = u32(j % 32);
  let hi = twoOverPi_[k];
  let lo = twoOverPi_[min(k + 1, 8)];
  return select((hi << off) | (lo >> (32u - off)), hi, off == 0u);
}
// Payne-Hanek reduction: x = q*pi/2 + r with |r| <= pi/4, exact for every finite f32 (drivers
// reduce with a few bits of pi/2 and lose all accuracy beyond ~1e7). Returns (r, q mod 4).
fn rpio2_(x: f32) -> vec2<f32> {
  let ux = bitcast<u32>(x) & 0x7fffffffu;
  let m = (ux & 0x7fffffu) | 0x800000u;
  let s = i32(ux >> 23u) - 151;
  let whi = tpw_(s);
  let wlo = tpw_(s + 32);
  // m * (whi * 2^32 + wlo) mod 2^64: bits 63..62 are the quadrant, the rest the fraction.
  let m0 = m & 0xffffu;
  let m1 = m >> 16u;
  let b0 = wlo & 0xffffu;
  let b1 = wlo >> 16u;
  let p00 = m0 * b0;
  let p01 = m0 * b1;
  let p10 = m1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let lo = (p00 & 0xffffu) | (mid << 16u);
  let hi = m1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u) + m * whi;
  var q = hi >> 30u;
  var f = f32((hi << 2u) | (lo >> 30u)) * 2.3283064365386963e-10 + f32(lo & 0x3fffffffu) * 2.168404344971009e-19;
  if (f >= 0.5) { f = f - 1.0; q = q + 1u; }
  var r = f * 1.5707963267948966;
  if (x < 0.0) { r = -r; q = 4u - (q & 3u); }
  return vec2<f32>(r, f32(q & 3u));
}
fn sin_(x: f32) -> f32 {
  if (!(abs(x) > 65536.0) || isinf_(x)) { return g_(sin(x), x); }
  let rq = rpio2_(x);
  let q = u32(rq.y);
  let v = select(sin(rq.x), cos(rq.x), (q & 1u) == 1u);
  return select(v, -v, q >= 2u);
}
fn cos_(x: f32) -> f32 {
  if (!(abs(x) > 65536.0) || isinf_(x)) { return g_(cos(x), x); }
  let rq = rpio2_(x);
  let q = u32(rq.y);
  let v = select(cos(rq.x), sin(rq.x), (q & 1u) == 1u);
  return select(v, -v, q == 1u || q == 2u);
}
fn tan_(x: f32) -> f32 {
  if (!(abs(x) > 0.78539816) || isinf_(x)) { return g_(tan(x), x); }
  let rq = rpio2_(x);
  let t = tan(rq.x);
  return select(t, -1.0 / t, (u32(rq.y) & 1u) == 1u);
}
fn f2i_(x: f32) -> i32 {
  if (isnan_(x) || isinf_(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  // Wrap modulo 2^32 as JavaScript's x | 0: exact in f32, since |t| >= 2^31 is a multiple of 256.
  return bitcast<i32>(u32(t - floor(t / 4294967296.0) * 4294967296.0));
}
fn idiv_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  return select(q, q - 1, (a % b != 0) && ((a < 0) != (b < 0)));
}
fn irem_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}
fn ipow_(a: i32, b: i32) -> i32 {
  if (b < 0) { return 0; }
  // float64 Math.pow overflows to Infinity (which casts to 0) once |a|^b >= 2^1024.
  if (a != 0 && a != 1 && a != -1 && f32(b) * log2(abs(f32(a))) >= 1024.0) { return 0; }
  var r = 1;
  var base = a;
  var e = b;
  loop {
    if ((e & 1) == 1) { r = r * base; }
    e = e >> 1u;
    if (e == 0) { break; }
    base = base * base;
  }
  return r;
}
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isnan_(a) || isnan_(b)) { return kNaN; }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  let ab = abs(a);
  if (isinf_(b)) {
    if (ab == 1.0) { return kNaN; }
    return select(0.0, kInf, (ab > 1.0) == (b > 0.0));
  }
  let isInt = b == floor(b);
  let odd = isInt && abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1;
  let neg = (bitcast<u32>(a) & 0x80000000u) != 0u;
  if (ab == 0.0 || isinf_(a)) {
    let big = (ab == 0.0) != (b > 0.0);
    let r = select(0.0, kInf, big);
    return select(r, -r, neg && odd);
  }
  if (neg && !isInt) { return kNaN; }
  let r = exp2(b * log2(ab));
  return select(r, -r, neg && odd);
}
fn fmod_(x: f32, y: f32) -> f32 {
  var ux = bitcast<u32>(x);
  var uy = bitcast<u32>(y);
  var ex = i32((ux >> 23u) & 0xffu);
  var ey = i32((uy >> 23u) & 0xffu);
  let sx = ux & 0x80000000u;
  if ((uy << 1u) == 0u || isnan_(y) || ex == 0xff) { return kNaN; }
  if ((ux << 1u) <= (uy << 1u)) {
    if ((ux << 1u) == (uy << 1u)) { return 0.0 * x; }
    return x;
  }
  if (ex == 0) {
    var i = ux << 9u;
    while ((i >> 31u) == 0u) { ex = ex - 1; i = i << 1u; }
    ux = ux << u32(1 - ex);
  } else {
    ux = (ux & 0x007fffffu) | 0x00800000u;
  }
  if (ey == 0) {
    var i = uy << 9u;
    while ((i >> 31u) == 0u) { ey = ey - 1; i = i << 1u; }
    uy = uy << u32(1 - ey);
  } else {
    uy = (uy & 0x007fffffu) | 0x00800000u;
  }
  for (; ex > ey; ex = ex - 1) {
    let i = ux - uy;
    if ((i >> 31u) == 0u) {
      if (i == 0u) { return 0.0 * x; }
      ux = i;
    }
    ux = ux << 1u;
  }
  let i = ux - uy;
  if ((i >> 31u) == 0u) {
    if (i == 0u) { return 0.0 * x; }
    ux = i;
  }
  while ((ux >> 23u) == 0u) { ux = ux << 1u; ex = ex - 1; }
  if (ex > 0) { ux = (ux - 0x00800000u) | (u32(ex) << 23u); } else { ux = ux >> u32(1 - ex); }
  return bitcast<f32>(ux | sx);
}
fn frem_(a: f32, b: f32) -> f32 {
  let r = fmod_(a, b);
  return select(r, r + b, r != 0.0 && ((r < 0.0) != (b < 0.0)));
}
`;

const WGSL: Dialect = { math: (name) => name };

const isInt = (c: { in: ExprDType }) => wgslType(c.in) === "i32";
const isBool = (c: { in: ExprDType }) => c.in === "bool";
/** A float built-in that passes NaN through (drivers may not). */
const guarded = (name: string): AluRender => (a) => `g_(${name}(${a[0]}), ${a[0]})`;
const byType = (f: AluRender, i: AluRender, b: AluRender = i): AluRender => (a, c, d) => (isBool(c) ? b : isInt(c) ? i : f)(a, c, d);

/** WGSL's overrides of the C-like base table: only what differs. */
export const WGSL_ALU = {
  ...BASE_ALU,
  neg: byType(BASE_ALU.neg, BASE_ALU.neg, (a) => a[0]!),
  sign: byType((a) => `sign_(${a[0]})`, (a) => `sign(${a[0]})`),
  exp: guarded("exp"),
  expm1: (a) => `expm1_(${a[0]})`,
  log: guarded("log"),
  log1p: (a) => `log1p_(${a[0]})`,
  sqrt: guarded("sqrt"),
  sin: (a) => `sin_(${a[0]})`,
  cos: (a) => `cos_(${a[0]})`,
  tan: (a) => `tan_(${a[0]})`,
  asin: (a) => `asin_(${a[0]})`,
  acos: (a) => `acos_(${a[0]})`,
  atan: guarded("atan"),
  sinh: guarded("sinh"),
  cosh: guarded("cosh"),
  tanh: guarded("tanh"),
  logistic: (a) => `(1.0 / (1.0 + exp(-${a[0]})))`,
  isnan: (a) => `isnan_(${a[0]})`,
  isinf: (a) => `isinf_(${a[0]})`,
  not: byType((a) => `(${a[0]} == 0.0)`, (a) => `(${a[0]} == 0)`, (a) => `(!${a[0]})`),
  div: byType(BASE_ALU.div, (a) => `idiv_(${a[0]}, ${a[1]})`),
  rem: byType((a) => `frem_(${a[0]}, ${a[1]})`, (a) => `irem_(${a[0]}, ${a[1]})`),
  pow: byType((a) => `pow_(${a[0]}, ${a[1]})`, (a) => `ipow_(${a[0]}, ${a[1]})`),
  max: byType((a) => `max_(${a[0]}, ${a[1]})`, BASE_ALU.max, (a) => `(${a[0]} || ${a[1]})`),
  min: byType((a) => `min_(${a[0]}, ${a[1]})`, BASE_ALU.min, (a) => `(${a[0]} && ${a[1]})`),
  atan2: (a) => `atan2_(${a[0]}, ${a[1]})`,
  and: byType(BASE_ALU.and, (a) => `(${a[0]} & ${a[1]})`),
  or: byType(BASE_ALU.or, (a) => `(${a[0]} | ${a[1]})`),
  xor: byType(BASE_ALU.xor, (a) => `(${a[0]} ^ ${a[1]})`, (a) => `(${a[0]} != ${a[1]})`),
  // WGSL shifts by the count modulo 32; the reference gives 0 for counts of 32 or more.
  shl: (a) => `select(${a[0]} << (u32(${a[1]}) & 31u), 0, ${a[1]} >= 32)`,
  shrl: (a) => `select(bitcast<i32>(bitcast<u32>(${a[0]}) >> (u32(${a[1]}) & 31u)), 0, ${a[1]} >= 32)`,
  where: (a) => `select(${a[2]}, ${a[1]}, ${a[0]})`,
  cast: (a, c) => castTo(a[0]!, c.in, c.dtype),
  clamp: (a, c) => `clamp(${a[0]}, ${c.param[0]}, ${c.param[1]})`,
  // Floor division (the JS renderer's Math.floor) for either sign.
  idiv: (a, c) => `select((${a[0]} - ${c.param[0]! - 1}) / ${c.param[0]}, ${a[0]} / ${c.param[0]}, ${a[0]} >= 0)`,
} satisfies Record<AluOp, AluRender>;

/** Converts a value of dtype `from` to dtype `to` with the interpreter's semantics. */
export function castTo(x: string, from: ExprDType, to: ExprDType): string {
  const f = wgslType(from), t = wgslType(to);
  if (f === t) return x;
  if (t === "bool") return f === "f32" ? `(${x} != 0.0)` : `(${x} != 0)`; // NaN is true, as NumPy
  if (t === "i32") return f === "f32" ? `f2i_(${x})` : `i32(${x})`;
  return `f32(${x})`;
}

/** A numeric literal of `dt` that parses back to the same value. */
export function wgslLiteral(v: number, dt: ExprDType): string {
  switch (wgslType(dt)) {
    case "bool": return v ? "true" : "false";
    case "i32": {
      const i = v | 0;
      // -2^31 has no literal (the minus applies to 2147483648, which overflows).
      return i === -2147483648 ? "(-2147483647 - 1)" : i < 0 ? `(${i})` : `${i}`;
    }
    case "f32": {
      // Non-finite constants are not allowed in WGSL constant expressions: kInf/kNaN are set at run time.
      if (Number.isNaN(v)) return "kNaN";
      const f = Math.fround(v);
      if (f === Infinity) return "kInf";
      if (f === -Infinity) return "(-kInf)";
      if (Object.is(f, -0)) return "(-rtf_(0.0))"; // a constant -0.0 may be folded to 0.0
      const s = String(f);
      const t = /[.e]/.test(s) ? s : `${s}.0`;
      return f < 0 ? `(${t})` : t;
    }
  }
}

/** Type of an accumulator fed values of `dt`: bool max/min accumulate as i32 0/1. */
export function accType(dt: ExprDType): "f32" | "i32" {
  return wgslType(dt) === "f32" ? "f32" : "i32";
}

/** `acc rop= value` as a WGSL expression of the new accumulator value. */
export function combine(rop: ReduceOp | "set", ty: "f32" | "i32", acc: string, v: string): string {
  switch (rop) {
    case "sum": return `${acc} + ${v}`;
    case "prod": return `${acc} * ${v}`;
    case "max": return ty === "f32" ? `max_(${acc}, ${v})` : `max(${acc}, ${v})`;
    case "min": return ty === "f32" ? `min_(${acc}, ${v})` : `min(${acc}, ${v})`;
    case "set": return v;
  }
}

// ------------------------------------------------------------------ statements

interface Local {
  readonly dtype: ExprDType;
  /** Set for accumulators and register arrays: their WGSL element type. */
  readonly acc?: "f32" | "i32";
}

/**
 * Renders statement lists of one kernel. Knows every local's type (a pre-pass over the whole
 * kernel: accumulators and register arrays take the type of the values they are fed) and which
 * buffer parameters the text references (the pipeline binds only those).
 */
export class WgslWriter {
  /** Buffer parameters the text rendered since `begin()` reads or writes, and those it writes. */
  used = new Set<number>();
  written = new Set<number>();
  private readonly locals = new Map<string, Local>();
  /** Register reads replaced by a named value (the contraction epilogue's accumulator). */
  readonly regAlias = new Map<string, string>();

  constructor(readonly params: readonly BufferParam[], body: readonly Stmt[]) {
    this.scan(body);
  }

  /** Accumulators some update of which can run (the others keep their initial value). */
  private readonly updated = new Set<string>();

  private scan(stmts: readonly Stmt[], empty = false): void {
    for (const st of stmts) {
      if (st.s === "let") this.locals.set(st.name, { dtype: st.value.dtype });
      else if (st.s === "update" || st.s === "regUpdate") {
        this.locals.set(st.name, { dtype: this.dtypeOf(st.value), acc: accType(this.dtypeOf(st.value)) });
        if (!empty) this.updated.add(st.name);
      } else if (st.s === "if") this.scan(st.body, empty);
      else if (st.s === "loop") {
        const none = st.start.k === "const" && st.end.k === "const" && st.end.value <= st.start.value;
        this.scan(st.body, empty || none);
      }
    }
  }

  /**
   * Initial value of an accumulator. The reference accumulates integers in float64 and casts:
   * an int32 max/min over nothing is -Infinity cast to int32, i.e. 0; an i32 accumulator that
   * is updated starts from the extreme value instead.
   */
  accInit(name: string, init: number): string {
    const l = this.locals.get(name);
    if (l?.acc === "i32" && l.dtype === "int32" && !this.updated.has(name) && !Number.isFinite(init)) return "0";
    return accInitValue(init, l?.acc ?? "f32");
  }

  /** Starts a new dispatch: forgets which buffers were referenced. */
  begin(): void {
    this.used = new Set();
    this.written = new Set();
  }

  dtypeOf(o: Operand): ExprDType {
    return o.k === "var" ? "index" : o.dtype;
  }

  accTypeOf(name: string): "f32" | "i32" {
    return this.locals.get(name)?.acc ?? "f32";
  }

  operand(o: Operand): string {
    if (o.k === "const") return wgslLiteral(o.value, o.dtype);
    if (o.k === "var") return o.name;
    const l = this.locals.get(o.name);
    // An accumulator holding bools as i32 0/1, read as a bool.
    if (l?.acc === "i32" && o.dtype === "bool") return `(${o.name} != 0)`;
    if (l?.acc === "f32" && wgslType(o.dtype) !== "f32") return castTo(o.name, "float32", o.dtype);
    return o.name;
  }

  load(buf: number, index: string): string {
    this.used.add(buf);
    const p = this.params[buf]!;
    return p.dtype === "bool" && p.role !== "scratch" ? `(b${buf}[${index}] != 0u)` : `b${buf}[${index}]`;
  }

  store(buf: number, index: string, v: string, from: ExprDType): string {
    this.used.add(buf);
    this.written.add(buf);
    const p = this.params[buf]!;
    const st = p.role === "scratch" ? "f32" : storageType(p.dtype);
    const val = st === "u32" ? `select(0u, 1u, ${castTo(v, from, "bool")})` : castTo(v, from, st === "i32" ? "int32" : "float32");
    return `b${buf}[${index}] = ${val};`;
  }

  op(v: Op): string {
    switch (v.op) {
      case "alu": {
        const args = v.args.map((a) => this.operand(a));
        if (v.args.length && v.args.every((a) => a.k === "const")) {
          args[0] = `rt${wgslType(this.dtypeOf(v.args[0]!))[0]}_(${args[0]})`;
        }
        const inDt = v.args[0] ? this.dtypeOf(v.args[0]) : "index";
        return WGSL_ALU[v.alu](args, { dtype: v.dtype, in: inDt, param: v.param }, WGSL);
      }
      case "load": return this.load(v.buf, this.operand(v.index));
      case "reg": {
        const alias = this.regAlias.get(v.name);
        if (alias !== undefined) return alias;
        return `${v.name}[${this.regIndex(v.name, v.idx)}]`;
      }
    }
  }

  private readonly regShapes = new Map<string, readonly number[]>();

  private regIndex(name: string, idx: readonly Operand[]): string {
    const shape = this.regShapes.get(name) ?? [];
    let s = "0";
    idx.forEach((o, d) => (s = d === 0 ? this.operand(o) : `(${s}) * ${shape[d]} + ${this.operand(o)}`));
    return s;
  }

  /**
   * Renders `stmts` for one invocation: loops run serially. `inline` names loops whose variable
   * is already bound (a parameter or a distributed index): their body is emitted in place.
   */
  serial(stmts: readonly Stmt[], ind: string, out: string[], inline: ReadonlySet<string> = new Set()): void {
    for (const st of stmts) {
      switch (st.s) {
        case "let": out.push(`${ind}let ${st.name} = ${this.op(st.value)};`); break;
        case "acc": {
          const ty = this.accTypeOf(st.name);
          out.push(`${ind}var ${st.name}: ${ty} = ${this.accInit(st.name, st.init)};`);
          break;
        }
        case "update": {
          const ty = this.accTypeOf(st.name);
          const v = castTo(this.operand(st.value), this.dtypeOf(st.value), ty === "i32" ? "int32" : "float32");
          out.push(`${ind}${st.name} = ${combine(st.rop, ty, st.name, v)};`);
          break;
        }
        case "regs": {
          this.regShapes.set(st.name, st.shape);
          const ty = this.accTypeOf(st.name);
          const n = st.shape.reduce((a, b) => a * b, 1);
          out.push(`${ind}var ${st.name}: array<${ty}, ${n}>;`);
          if (st.init !== 0) out.push(`${ind}for (var i_ = 0; i_ < ${n}; i_++) { ${st.name}[i_] = ${accInitValue(st.init, ty)}; }`);
          break;
        }
        case "regUpdate": {
          const ty = this.accTypeOf(st.name);
          const ref = `${st.name}[${this.regIndex(st.name, st.idx)}]`;
          const v = castTo(this.operand(st.value), this.dtypeOf(st.value), ty === "i32" ? "int32" : "float32");
          out.push(`${ind}${ref} = ${combine(st.rop, ty, ref, v)};`);
          break;
        }
        case "store": out.push(`${ind}${this.store(st.buf, this.operand(st.index), this.operand(st.value), this.dtypeOf(st.value))}`); break;
        case "if":
          out.push(`${ind}if (${castTo(this.operand(st.cond), this.dtypeOf(st.cond), "bool")}) {`);
          this.serial(st.body, ind + "  ", out, inline);
          out.push(`${ind}}`);
          break;
        case "loop":
          if (inline.has(st.var)) {
            this.serial(st.body, ind, out, inline);
            break;
          }
          out.push(`${ind}for (var ${st.var}: i32 = ${this.operand(st.start)}; ${st.var} < ${this.operand(st.end)}; ${st.var} += ${st.step}) {`);
          this.serial(st.body, ind + "  ", out, inline);
          out.push(`${ind}}`);
          break;
      }
    }
  }
}

/** An accumulator's initial value (the IR gives a number; ±Infinity for max/min). */
export function accInitValue(init: number, ty: "f32" | "i32"): string {
  if (ty === "i32" && !Number.isFinite(init)) return init > 0 ? "2147483647" : "(-2147483647 - 1)";
  return wgslLiteral(init, ty === "i32" ? "int32" : "float32");
}
