/**
 * JavaScript's spelling of every ALU op (see js-stmts.ts for the value model: float64 numbers,
 * float32 rounded where computed, integers wrapping into their dtype, booleans 0/1).
 */
import { type AluOp } from "../../expr.js";
import { type AluRender, BASE_ALU, type Dialect, mathCall, preludeCall } from "../../render/base.js";
import { type VecMathOp } from "../wasm/wasm-vecmath.js";

export const JS: Dialect = { math: (name) => `Math.${name}` };

/**
 * How an integer result wraps into its dtype: modulo 2^32 as a signed or unsigned number, or
 * modulo 2^8 (JavaScript's bit operators all work on the low 32 bits, so one suffix does it).
 */
export const INT_WRAP: Readonly<Record<string, string>> = { int32: "| 0", uint32: ">>> 0", uint8: "& 255" };
const isInt = (c: { in: string }) => Object.hasOwn(INT_WRAP, c.in);
/**
 * `expr` wrapped into the integer dtype `dt`. Parenthesized: `>>> 0` binds tighter than `&`, `|`
 * and `^`, so `a | b >>> 0` would wrap `b` alone and leave a signed uint32 result.
 */
const wrapTo = (dt: string, expr: string) => `((${expr}) ${INT_WRAP[dt]})`;
/** Dtypes whose values are float32 numbers (float16, bfloat16: computed as float32, rounded to their 16 bits). */
export const isF32 = (dt: string): boolean => dt === "float32" || dt === "float16" || dt === "bfloat16";

/**
 * A vector-math op (targets/wasm/wasm-vecmath.ts): a float32 result calls the wasm functions'
 * scalar twin (the kernels' helper `f32<op>`), so a JS kernel and a wasm kernel compute the same
 * bits for it; float64 keeps `f64`, Math's or the interpreter's float64 function.
 */
const vecMath = (fn: VecMathOp, f64: AluRender): AluRender => (a, c, d) => (isF32(c.dtype) ? `f32${fn}(${a.join(", ")})` : f64(a, c, d));
const bool01 = (cond: string) => `(${cond} ? 1 : 0)`;
/** NumPy's divmod and int32 power: the reference interpreter's functions (js.ts's JS_HELPERS). */
const FLOOR_DIV = preludeCall("floorDiv"), REM = preludeCall("rem"), IPOW = preludeCall("ipow");
/** A float op, with the integer form wrapping into its dtype. */
const wrapInt = (base: AluRender): AluRender => (a, c, d) => (isInt(c) ? wrapTo(c.dtype, base(a, c, d)) : base(a, c, d));
/** A bit operation: exact on int32, bool and uint8; a uint32 result is reinterpreted as unsigned. */
const bitsOp = (sym: string): AluRender => (a, c) => (c.dtype === "uint32" ? wrapTo("uint32", `${a[0]} ${sym} ${a[1]}`) : `(${a[0]} ${sym} ${a[1]})`);

/**
 * JavaScript's spelling of every ALU op, written out per op (no spread of the base table): a new
 * op is a compile error here until it says how it renders in JavaScript.
 */
export const JS_ALU = {
  neg: (a, c) => (c.in === "bool" ? a[0]! : isInt(c) ? wrapTo(c.dtype, `-${a[0]}`) : `(-${a[0]})`),
  abs: wrapInt(mathCall("abs")),
  sign: (a) => `(${a[0]} > 0 ? 1 : ${a[0]} < 0 ? -1 : ${a[0]} === ${a[0]} ? 0 : NaN)`,
  exp: vecMath("exp", mathCall("exp")),
  expm1: vecMath("expm1", mathCall("expm1")),
  log: vecMath("log", mathCall("log")),
  log1p: vecMath("log1p", mathCall("log1p")),
  sqrt: mathCall("sqrt"),
  cbrt: mathCall("cbrt"),
  sin: vecMath("sin", mathCall("sin")),
  cos: vecMath("cos", mathCall("cos")),
  tan: mathCall("tan"),
  asin: mathCall("asin"),
  acos: mathCall("acos"),
  atan: mathCall("atan"),
  sinh: mathCall("sinh"),
  cosh: mathCall("cosh"),
  tanh: vecMath("tanh", mathCall("tanh")),
  // 1 / (1 + exp(-x)) is exact to float64 rounding except below x ≈ -709, where it gives 0
  // instead of a subnormal: branch-free, and ~10% faster than the two-sided form on random signs.
  logistic: vecMath("logistic", (a) => `(1.0 / (1.0 + Math.exp(-${a[0]})))`),
  // Math has no special functions: the reference interpreter's own (js.ts's JS_HELPERS).
  erf: vecMath("erf", preludeCall("erf")),
  erfc: preludeCall("erfc"),
  erfInv: preludeCall("erfInv"),
  lgamma: preludeCall("lgamma"),
  digamma: preludeCall("digamma"),
  trigamma: preludeCall("trigamma"),
  i0e: preludeCall("i0e"),
  i1e: preludeCall("i1e"),
  floor: mathCall("floor"),
  ceil: mathCall("ceil"),
  round: preludeCall("roundHalfEven"),
  isnan: (a) => bool01(`${a[0]} !== ${a[0]}`),
  isinf: (a) => bool01(`${a[0]} === Infinity || ${a[0]} === -Infinity`),
  not: (a) => bool01(`${a[0]} === 0`),
  add: wrapInt(BASE_ALU.add),
  sub: wrapInt(BASE_ALU.sub),
  // int32 needs no wrap: Math.imul's result is the wrapped int32.
  mul: (a, c, d) => (isInt(c) ? (c.dtype === "int32" ? `Math.imul(${a[0]}, ${a[1]})` : wrapTo(c.dtype, `Math.imul(${a[0]}, ${a[1]})`)) : BASE_ALU.mul(a, c, d)),
  // Integer division floors and x // 0 is 0, as the reference interpreter.
  div: (a, c, d) => (isInt(c) ? `(${a[1]} === 0 ? 0 : ${wrapTo(c.dtype, `Math.floor(${a[0]} / ${a[1]})`)})` : BASE_ALU.div(a, c, d)),
  floorDiv: (a, c, d) => (isInt(c) ? `(${a[1]} === 0 ? 0 : ${wrapTo(c.dtype, `Math.floor(${a[0]} / ${a[1]})`)})` : FLOOR_DIV(a, c, d)),
  rem: (a, c, d) => (isInt(c) ? `(${a[1]} === 0 ? 0 : ${wrapTo(c.dtype, `rem(${a[0]}, ${a[1]})`)})` : REM(a, c, d)),
  pow: (a, c, d) => (isInt(c) ? (c.dtype === "int32" ? IPOW(a, c, d) : wrapTo(c.dtype, IPOW(a, c, d))) : vecMath("pow", mathCall("pow"))(a, c, d)),
  max: mathCall("max"),
  min: mathCall("min"),
  atan2: mathCall("atan2"),
  eq: (a) => bool01(`${a[0]} === ${a[1]}`),
  ne: (a) => bool01(`${a[0]} !== ${a[1]}`),
  lt: (a) => bool01(`${a[0]} < ${a[1]}`),
  le: (a) => bool01(`${a[0]} <= ${a[1]}`),
  gt: (a) => bool01(`${a[0]} > ${a[1]}`),
  ge: (a) => bool01(`${a[0]} >= ${a[1]}`),
  // Logical on 0/1 booleans, bitwise on integers: the same operators.
  and: bitsOp("&"),
  or: bitsOp("|"),
  xor: bitsOp("^"),
  // Shifts by 32 or more give 0 (JavaScript would shift by the count mod 32); unsigned results wrap.
  shl: (a, c) => `(${a[1]} >= 32 ? 0 : ${c.dtype === "int32" ? `${a[0]} << ${a[1]}` : wrapTo(c.dtype, `${a[0]} << ${a[1]}`)})`,
  shrl: (a, c) => `(${a[1]} >= 32 ? 0 : ${wrapTo(c.dtype === "int32" ? "int32" : c.dtype, `${a[0]} >>> ${a[1]}`)})`,
  where: (a) => `(${a[0]} !== 0 ? ${a[1]} : ${a[2]})`,
  cast: (a, c) => {
    switch (c.dtype) {
      case "float32":
        return c.in === "bool" ? a[0]! : `Math.fround(${a[0]})`;
      case "float16":
        return c.in === "bool" ? a[0]! : `f16round(${a[0]})`;
      case "bfloat16":
        return c.in === "bool" ? a[0]! : `bf16round(${a[0]})`;
      case "int32":
        return c.in === "bool" || c.in === "index" ? a[0]! : `(${a[0]} | 0)`;
      // Truncation toward zero, then the wrap (NaN and ±inf give 0): dtype.ts's castScalar.
      case "uint32":
      case "uint8":
        return c.in === "bool" ? a[0]! : wrapTo(c.dtype, a[0]!);
      case "bool":
        return bool01(`${a[0]} !== 0`); // NaN is true, as NumPy and XLA
      default:
        return a[0]!;
    }
  },
  // The bits of a 4-byte value read as another 4-byte dtype (core's bitcastScalar, through a DataView).
  bitcast: (a, c) => `bitcast(${a[0]}, "${c.in}", "${c.dtype}")`,
  clamp: (a, c) => `Math.min(Math.max(${a[0]}, ${c.param[0]}), ${c.param[1]})`,
  idiv: (a, c) => `Math.floor(${a[0]} / ${c.param[0]})`,
  imod: BASE_ALU.imod,
} satisfies Record<AluOp, AluRender>;

