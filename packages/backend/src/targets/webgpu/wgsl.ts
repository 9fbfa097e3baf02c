/**
 * Kernel IR → WGSL statements. WGSL overrides the C-like base table (render/base.ts) only where
 * its semantics differ from the reference interpreter's:
 *  - NaN: drivers may ignore NaN in built-ins (Mesa returns tanh(NaN) = -1, max(NaN, 0) = 0), so
 *    transcendental functions pass a NaN argument through and max/min propagate it;
 *  - integers: floor division and NumPy remainder with x // 0 = 0, shifts of 32 or more give 0,
 *    float → int32 casts wrap (WGSL saturates) and NaN casts to 0;
 *  - accuracy: exp, log, expm1, log1p, the trigonometric and hyperbolic functions are the
 *    prelude's (drivers' errors are absolute: Mesa's tanh(1e-5) is off by 1.4e-3 relative);
 *  - missing built-ins: exact fmod, NumPy's divmod, pow with JavaScript's special cases;
 *  - WGSL orders no bools (compared as 0/1) and has no isnan for integers (always false).
 * Booleans are WGSL `bool` in registers and `u32` 0/1 in storage; int32 and index values are
 * `i32`; uint32 and uint8 values are `u32` in registers and storage (uint8 widened on upload,
 * narrowed on read-back, and every uint8 result masked to 8 bits); float32 and float16 values are
 * `f32` (every float16 result rounded to half by the prelude's `f16r_`). float64 never reaches this renderer (such kernels
 * run on the host: targets/webgpu/webgpu.ts).
 *
 * The mapping of loops onto invocations and workgroups lives in targets/webgpu/wgsl-kernel.ts; this file
 * renders statement lists in one invocation ("serial") given that mapping's decisions.
 */
import { BITS16, type Bits16, type DType } from "@kiln/core";
import { type AluOp, type ExprDType, type ReduceOp } from "../../expr.js";
import { type BufferParam, type Op, type Operand, type Stmt } from "../../kernel.js";
import { type AluRender, BASE_ALU, type Dialect, checkLiteral, mathCall, opNote, preludeCall } from "../../render/base.js";

export { WGSL_PRELUDE } from "./wgsl-prelude.js";

export type WgslType = "f32" | "i32" | "u32" | "bool";

/**
 * The prelude's rounding of a value held in an f32 register to each 16-bit float dtype (every
 * float16/bfloat16 result is rounded where it is computed, as the interpreter rounds it).
 */
const ROUND16: { readonly [F in Bits16]: string } = { float16: "f16r_", bfloat16: "bf16r_" };
const round16 = (dt: ExprDType): string | undefined => (dt === "float16" || dt === "bfloat16" ? ROUND16[dt] : undefined);

/** Register type of each value dtype. */
const REGISTER: { readonly [D in ExprDType]: WgslType } = {
  float32: "f32", float16: "f32", bfloat16: "f32", float64: "f32", int32: "i32", index: "i32", uint32: "u32", uint8: "u32", bool: "bool",
};

/** Register type of a value of `dt`. */
export function wgslType(dt: ExprDType): WgslType {
  return REGISTER[dt];
}

/** Storage element type of a buffer of `dt` (bool and uint8 are u32 words: storage has no bool or byte type). */
export function storageType(dt: DType): "f32" | "i32" | "u32" {
  const r = REGISTER[dt];
  return r === "bool" ? "u32" : r;
}

/** The accumulator/scratch types: a register type that workgroup memory and storage can hold. */
export type AccType = "f32" | "i32" | "u32";
/** The dtype whose registers an accumulator type holds (for `castTo`). */
const ACC_DTYPE: { readonly [T in AccType]: DType } = { f32: "float32", i32: "int32", u32: "uint32" };

const WGSL: Dialect = { math: (name) => name };

const isInt = (c: { in: ExprDType }) => wgslType(c.in) === "i32";
const isUint = (c: { in: ExprDType }) => wgslType(c.in) === "u32";
const isBool = (c: { in: ExprDType }) => c.in === "bool";
/** A float built-in that passes NaN through (drivers may not). */
const guarded = (name: string): AluRender => (a) => `g_(${name}(${a[0]}), ${a[0]})`;
/** Per register type: float, signed int, bool (default: the int one), unsigned (default: the int one). */
/**
 * Float division by a literal ±0, spelled as what IEEE gives: ±inf by the dividend's sign, NaN
 * for a zero or NaN dividend. LLVM (llvmpipe) treats a division by a constant zero as undefined
 * under WGSL's finite-math rules and folds it to garbage even through `rtf_` (np.var with
 * ddof = n gave 0 or -3 instead of inf); kInf and kNaN are set at run time. The explicit zero
 * test keeps 0/0 NaN where LLVM would fold `0 * kInf` to 0 (an empty mean).
 */
function divByLiteralZero(a: readonly string[]): string | null {
  const inf = a[1] === "0.0" ? "kInf" : a[1] === "(-rtf_(0.0))" ? "(-kInf)" : null;
  return inf && `select(${a[0]} * ${inf}, kNaN, ${a[0]} == 0.0)`;
}

/**
 * A float `0.0 - x` or `0.0 / x` with the zero read from `kZero`, set at run time: LLVM folds the
 * literal forms under finite math and no-signed-zeros to `-x` and `0` (0 - 0 gave -0, and 0 / 0
 * and 0 / NaN gave 0 where NumPy gives +0 and NaN: NumPy random programs).
 */
const runtimeZeroLhs = (base: AluRender): AluRender => (a, c, d) => (a[0] === "0.0" ? base(["kZero", ...a.slice(1)], c, d) : base(a, c, d));

/**
 * A float `x + 0.0` (either side) and `x - (-0.0)` with the zero read from `kZero`: LLVM folds the
 * literal forms to `x` under no-signed-zeros, which keeps a -0 that IEEE's -0 + 0 turns into +0
 * (jit(x => np.add(x, 0)) of a -0 gave -0: a deep run of the NumPy random programs, seed 102955).
 */
const runtimeZeroAdd = (base: AluRender): AluRender => (a, c, d) => base(a.map((s) => (s === "0.0" ? "kZero" : s)), c, d);
const runtimeNegZeroRhs = (base: AluRender): AluRender => (a, c, d) => (a[1] === "(-rtf_(0.0))" ? base([a[0]!, "(-kZero)"], c, d) : base(a, c, d));

const byType = (f: AluRender, i: AluRender, b: AluRender = i, u: AluRender = i): AluRender => (a, c, d) =>
  (isBool(c) ? b : isInt(c) ? i : isUint(c) ? u : f)(a, c, d);
const identity: AluRender = (a) => a[0]!;
/** Int32 and bool values are never NaN or infinite. */
const never: AluRender = () => "false";
/** Logical right shift of an i32's bit pattern (shrl takes integers only: the float slot is never used). */
const SHRL_I32: AluRender = (a) => `select(bitcast<i32>(bitcast<u32>(${a[0]}) >> (u32(${a[1]}) & 31u)), 0, ${a[1]} >= 32)`;
/** WGSL orders no bools: compare them as 0/1. */
const ordered = (base: AluRender, op: string): AluRender => byType(base, base, (a) => `(i32(${a[0]}) ${op} i32(${a[1]}))`);

/**
 * WGSL's spelling of every ALU op, written out per op (no spread of the base table): a new op is a
 * compile error here until it says how it renders in WGSL — a built-in WGSL has (`mathCall`), a
 * prelude helper (`preludeCall`, checked against wgsl-prelude.ts by wgsl.test.ts) or its own text.
 */
export const WGSL_ALU = {
  // WGSL has no unary minus on u32: 0 - x wraps the same way.
  neg: byType(BASE_ALU.neg, BASE_ALU.neg, identity, (a) => `(0u - ${a[0]})`),
  abs: byType(mathCall("abs"), mathCall("abs"), identity, identity),
  sign: byType(preludeCall("sign_"), mathCall("sign"), identity, (a) => `select(0u, 1u, ${a[0]} != 0u)`),
  exp: preludeCall("exp_"),
  expm1: preludeCall("expm1_"),
  log: preludeCall("log_"),
  log1p: preludeCall("log1p_"),
  sqrt: guarded("sqrt"),
  cbrt: preludeCall("cbrt_"),
  sin: preludeCall("sin_"),
  cos: preludeCall("cos_"),
  tan: preludeCall("tan_"),
  asin: preludeCall("asin_"),
  acos: preludeCall("acos_"),
  atan: preludeCall("atan_"),
  sinh: preludeCall("sinh_"),
  cosh: preludeCall("cosh_"),
  tanh: preludeCall("tanh_"),
  logistic: preludeCall("sigmoid_"),
  erf: preludeCall("erf_"),
  erfc: preludeCall("erfc_"),
  erfInv: preludeCall("erfInv_"),
  lgamma: preludeCall("lgamma_"),
  digamma: preludeCall("digamma_"),
  trigamma: preludeCall("trigamma_"),
  i0e: preludeCall("i0e_"),
  i1e: preludeCall("i1e_"),
  floor: mathCall("floor"),
  ceil: mathCall("ceil"),
  // WGSL's round rounds half to even, as NumPy.
  round: mathCall("round"),
  isnan: byType(preludeCall("isnan_"), never),
  isinf: byType(preludeCall("isinf_"), never),
  not: byType((a) => `(${a[0]} == 0.0)`, (a) => `(${a[0]} == 0)`, BASE_ALU.not),
  // i32 arithmetic wraps in WGSL, as the reference's int32.
  add: runtimeZeroAdd(BASE_ALU.add),
  sub: runtimeNegZeroRhs(runtimeZeroLhs(BASE_ALU.sub)),
  mul: BASE_ALU.mul,
  div: byType(runtimeZeroLhs((a, c, d) => divByLiteralZero(a) ?? BASE_ALU.div(a, c, d)), preludeCall("idiv_"), preludeCall("idiv_"), preludeCall("udiv_")),
  floorDiv: byType(preludeCall("ffloordiv_"), preludeCall("idiv_"), preludeCall("idiv_"), preludeCall("udiv_")),
  rem: byType(preludeCall("frem_"), preludeCall("irem_"), preludeCall("irem_"), preludeCall("urem_")),
  pow: byType(preludeCall("pow_"), preludeCall("ipow_"), preludeCall("ipow_"), preludeCall("upow_")),
  max: byType(preludeCall("max_"), mathCall("max"), (a) => `(${a[0]} || ${a[1]})`),
  min: byType(preludeCall("min_"), mathCall("min"), (a) => `(${a[0]} && ${a[1]})`),
  // The reference computes int32 atan2 in float64 and truncates.
  atan2: byType(preludeCall("atan2_"), (a) => `f2i_(atan2_(f32(${a[0]}), f32(${a[1]})))`, undefined,
    (a) => `bitcast<u32>(f2i_(atan2_(f32(${a[0]}), f32(${a[1]}))))`),
  eq: BASE_ALU.eq,
  ne: BASE_ALU.ne,
  lt: ordered(BASE_ALU.lt, "<"),
  le: ordered(BASE_ALU.le, "<="),
  gt: ordered(BASE_ALU.gt, ">"),
  ge: ordered(BASE_ALU.ge, ">="),
  and: byType(BASE_ALU.and, (a) => `(${a[0]} & ${a[1]})`),
  or: byType(BASE_ALU.or, (a) => `(${a[0]} | ${a[1]})`),
  xor: byType(BASE_ALU.xor, (a) => `(${a[0]} ^ ${a[1]})`, (a) => `(${a[0]} != ${a[1]})`),
  // WGSL shifts by the count modulo 32; the reference gives 0 for counts of 32 or more.
  // (The literals 0 and 32 are abstract integers: they take i32 or u32 from the operand.)
  shl: (a) => `select(${a[0]} << (u32(${a[1]}) & 31u), 0, ${a[1]} >= 32)`,
  shrl: byType(SHRL_I32, SHRL_I32, undefined, (a) => `select(${a[0]} >> (${a[1]} & 31u), 0u, ${a[1]} >= 32u)`),
  where: (a) => `select(${a[2]}, ${a[1]}, ${a[0]})`,
  // A cast to float16/bfloat16 always rounds: its operand may be an f32 accumulator of that dtype (place.ts's rounding cast).
  cast: (a, c) => (round16(c.dtype) && c.in !== "bool" ? `${round16(c.dtype)}(${castTo(a[0]!, c.in, "float32")})` : castTo(a[0]!, c.in, c.dtype)),
  // f32, i32 and u32 are all 32-bit words (view pairs are 4-byte dtypes or a dtype with itself).
  bitcast: (a, c) => `bitcast<${wgslType(c.dtype)}>(${a[0]})`,
  clamp: (a, c) => `clamp(${a[0]}, ${c.param[0]}, ${c.param[1]})`,
  // Index division's argument is never negative (expr.ts's idiv invariant, which imod's `%` relies
  // on too), so truncation is floor division: one divide, where the either-sign form evaluated two
  // (a select computes both arms) — ~10 per element of a convolution's operand packing.
  idiv: BASE_ALU.idiv,
  imod: BASE_ALU.imod,
} satisfies Record<AluOp, AluRender>;

/** Converts a value of dtype `from` to dtype `to` with the interpreter's semantics. */
export function castTo(x: string, from: ExprDType, to: ExprDType): string {
  const f = wgslType(from), t = wgslType(to);
  // Into float16/bfloat16: the float32 value rounded to it (f32 registers hold float16 and bfloat16 values).
  if (round16(to) && from !== to) return `${round16(to)}(${castTo(x, from, "float32")})`;
  // Into uint8 from anything wider: the wrap modulo 2^8.
  if (to === "uint8" && from !== "uint8" && from !== "bool") return `(${castTo(x, from, "uint32")} & 255u)`;
  if (f === t) return x;
  if (t === "bool") return f === "f32" ? `(${x} != 0.0)` : `(${x} != 0)`; // NaN is true, as NumPy
  // Integer ↔ integer keeps the 32 bits (C's conversion modulo 2^32); a float is wrapped by f2i_.
  if (t === "i32") return f === "f32" ? `f2i_(${x})` : f === "u32" ? `bitcast<i32>(${x})` : `i32(${x})`;
  if (t === "u32") return f === "f32" ? `bitcast<u32>(f2i_(${x}))` : f === "i32" ? `bitcast<u32>(${x})` : `u32(${x})`;
  return `f32(${x})`;
}

/** A numeric literal of `dt` that parses back to the same value. */
export function wgslLiteral(v: number, dt: ExprDType): string {
  checkLiteral(v);
  switch (wgslType(dt)) {
    case "bool": return v ? "true" : "false";
    case "u32": return `${v >>> 0}u`;
    case "i32": {
      const i = v | 0;
      // -2^31 has no literal (the minus applies to 2147483648, which overflows).
      return i === -2147483648 ? "(-2147483647 - 1)" : i < 0 ? `(${i})` : `${i}`;
    }
    case "f32": {
      // Non-finite constants are not allowed in WGSL constant expressions: kInf/kNaN are set at run time.
      if (Number.isNaN(v)) return "kNaN";
      const f = dt === "float16" || dt === "bfloat16" ? BITS16[dt].round(v) : Math.fround(v);
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
export function accType(dt: ExprDType): AccType {
  const r = wgslType(dt);
  return r === "bool" ? "i32" : r;
}

/** `acc rop= value` as a WGSL expression of the new accumulator value. */
export function combine(rop: ReduceOp | "set", ty: AccType, acc: string, v: string): string {
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
  readonly acc?: AccType;
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
    if (l?.acc === "u32" && !this.updated.has(name) && !Number.isFinite(init)) return "0u";
    return accInitValue(init, l?.acc ?? "f32");
  }

  /**
   * A vectorized reduction's current lane (wgsl-kernel.ts): a load of one of `bufs` at exactly
   * `index` is lane `u` of the quad `q<buf>_` already fetched through the buffer's vec4 view.
   */
  lane: { readonly bufs: ReadonlySet<number>; readonly index: string; readonly u: number } | null = null;

  /** Starts a new dispatch: forgets which buffers were referenced. */
  begin(): void {
    this.used = new Set();
    this.written = new Set();
    this.lane = null;
  }

  dtypeOf(o: Operand): ExprDType {
    return o.k === "var" ? "index" : o.dtype;
  }

  accTypeOf(name: string): AccType {
    return this.locals.get(name)?.acc ?? "f32";
  }

  operand(o: Operand): string {
    if (o.k === "const") return wgslLiteral(o.value, o.dtype);
    if (o.k === "var") return o.name;
    const l = this.locals.get(o.name);
    // An accumulator holding bools as i32 0/1, read as a bool.
    if (l?.acc === "i32" && o.dtype === "bool") return `(${o.name} != 0)`;
    // A u32 accumulator of uint8 values (a sum may pass 255), read as uint8.
    if (l?.acc === "u32" && o.dtype === "uint8") return `(${o.name} & 255u)`;
    if (l?.acc === "f32" && wgslType(o.dtype) !== "f32") return castTo(o.name, "float32", o.dtype);
    return o.name;
  }

  load(buf: number, index: string): string {
    // (The quad came through the vec4 view: the scalar binding is declared only if read otherwise.)
    if (this.lane?.bufs.has(buf) && index === this.lane.index) return `q${buf}_[${this.lane.u}]`;
    this.used.add(buf);
    const p = this.params[buf]!;
    return p.dtype === "bool" && p.role !== "scratch" ? `(b${buf}[${index}] != 0u)` : `b${buf}[${index}]`;
  }

  store(buf: number, index: string, v: string, from: ExprDType): string {
    this.used.add(buf);
    this.written.add(buf);
    const p = this.params[buf]!;
    const val = p.role === "scratch" ? castTo(v, from, "float32")
      : p.dtype === "bool" ? `select(0u, 1u, ${castTo(v, from, "bool")})` : castTo(v, from, p.dtype);
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
        const text = WGSL_ALU[v.alu](args, { dtype: v.dtype, in: inDt, param: v.param }, WGSL);
        // uint8 lives in u32 registers: every uint8 result is wrapped to 8 bits; float16 and
        // bfloat16 in f32 registers: every such result is rounded to its 16 bits (a cast already is).
        if (v.alu === "cast") return text;
        const r16 = round16(v.dtype);
        return v.dtype === "uint8" ? `(${text} & 255u)` : r16 ? `${r16}(${text})` : text;
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
        case "let": out.push(`${ind}let ${st.name} = ${this.op(st.value)};${st.value.op === "alu" ? opNote(st.value.alu) : ""}`); break;
        case "acc": {
          const ty = this.accTypeOf(st.name);
          out.push(`${ind}var ${st.name}: ${ty} = ${this.accInit(st.name, st.init)};`);
          break;
        }
        case "update": {
          const ty = this.accTypeOf(st.name);
          const v = castTo(this.operand(st.value), this.dtypeOf(st.value), ACC_DTYPE[ty]);
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
          const v = castTo(this.operand(st.value), this.dtypeOf(st.value), ACC_DTYPE[ty]);
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

/**
 * An accumulator's initial value (the IR gives a number; ±Infinity for max/min). A float sum's
 * +0 is `kZero`, set at run time: from a literal 0.0 LLVM (llvmpipe) folds `0.0 + x` to `x` under
 * no-signed-zeros, so a sum or contraction over one element kept a -0 that the cpu backend, JAX
 * and NumPy's BLAS dot give as +0 (np.tensordot(a, b, 0) of a -0: a deep run of the NumPy random
 * programs, seed 102050).
 */
export function accInitValue(init: number, ty: AccType): string {
  if (ty === "i32" && !Number.isFinite(init)) return init > 0 ? "2147483647" : "(-2147483647 - 1)";
  if (ty === "u32" && !Number.isFinite(init)) return init > 0 ? "4294967295u" : "0u";
  if (ty === "f32" && Object.is(init, 0)) return "kZero";
  return wgslLiteral(init, ACC_DTYPE[ty]);
}
