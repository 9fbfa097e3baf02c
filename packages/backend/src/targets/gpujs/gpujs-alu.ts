/**
 * GPU.js's spelling of every ALU op. A GPU.js kernel is a JavaScript subset that GPU.js translates
 * (to GLSL on WebGL, to WebAssembly in Node): numbers are float32, `Math.*` only as far as GPU.js
 * knows it, no bitwise operators on floats, no helper functions of ours. An op that cannot be
 * rendered exactly there says so (`{ host: why }`): a kernel containing it runs on the host (the
 * JS target) instead — gpujs-render.ts applies that per kernel.
 */
import { type AluOp } from "../../expr.js";
import { type AluRender, BASE_ALU, type Dialect, checkLiteral, mathCall } from "../../render/base.js";

export const GPUJS: Dialect = { math: (name) => `Math.${name}` };

/** An op GPU.js cannot compute as the reference does: its kernels run on the host, for this reason. */
export interface HostOnly {
  readonly host: string;
}

/** How a GPU.js kernel computes an op, or why it cannot. */
export type GpujsRule = AluRender | HostOnly;

/**
 * A float literal GPU.js reads back as the same float32 value: integral values get a decimal point
 * (GPU.js types `2` as an integer), NaN is `0.0 / 0.0` (GPU.js has no `NaN` identifier).
 * @example gpujsLiteral(2) // "2.0"; gpujsLiteral(-0.5) // "(-0.5)"; gpujsLiteral(Infinity) // "(1.0 / 0.0)"
 */
export function gpujsLiteral(v: number): string {
  checkLiteral(v);
  const f = Math.fround(v);
  // GPU.js writes its `Infinity` identifier as FLT_MAX (3.4e38) in GLSL; 1.0 / 0.0 is an infinity
  // in every mode (measured on WebGL2/SwiftShader and in webasm).
  if (Number.isNaN(f)) return "(0.0 / 0.0)";
  if (f === Infinity) return "(1.0 / 0.0)";
  if (f === -Infinity) return "(-1.0 / 0.0)";
  if (Object.is(f, -0)) return "(-0.0)";
  const text = String(f);
  const withPoint = /[.e]/.test(text) ? text : `${text}.0`;
  return f < 0 ? `(${withPoint})` : withPoint;
}

const bool01 = (cond: string) => `(${cond} ? 1.0 : 0.0)`;
const NAN = gpujsLiteral(NaN), INF = gpujsLiteral(Infinity), NEG_INF = gpujsLiteral(-Infinity);

/*
 * GLSL leaves special values and out-of-domain arguments undefined, and GPU.js's GL helpers
 * (cbrt, pow, tanh) are the textbook formulas; measured on WebGL2 (SwiftShader): exp(NaN) = Inf,
 * log(0) = -88, log(-1) = 0, pow(-2, 2) = 4 but pow(-2, 3) = 8, tanh(1e30) = NaN, max(NaN, 0) = 0.
 * The rules below therefore decide those cases in the expression itself (operands are names or
 * literals: repeating one costs nothing). They are plain JavaScript semantics, so they hold in the
 * CPU modes (webasm, cpu) too, where they only cost a compare.
 */

/** `f` with NaN passed through: `x !== x` is the one NaN test GLSL keeps. */
const nanThrough = (x: string, f: string) => `(${x} !== ${x} ? ${x} : ${f})`;

/** log-like functions: NaN below the domain, -Infinity at its edge `at`. */
const logRule = (name: string, at: string): AluRender => (a) => {
  const x = a[0]!;
  return `(${x} > ${at} ? Math.${name}(${x}) : ${x} === ${at} ? ${NEG_INF} : ${NAN})`;
};

/** NumPy's float max/min: NaN if either operand is NaN (GLSL's max/min may drop it). */
const extremum = (name: "max" | "min"): AluRender => (a) => {
  const [x, y] = [a[0]!, a[1]!];
  return `(${x} !== ${x} || ${y} !== ${y} ? ${x} + ${y} : Math.${name}(${x}, ${y}))`;
};
const special: HostOnly = { host: "a special function GPU.js's Math does not have" };
const bitwise: HostOnly = { host: "a bitwise op (GPU.js numbers are float32)" };

/**
 * Booleans are 0.0/1.0 floats inside a GPU.js kernel (int32 and float64 kernels never get here,
 * see gpujs-render.ts), so the logical ops are exact arithmetic on 0/1.
 */
export const GPUJS_ALU = {
  neg: (a, c) => (c.in === "bool" ? a[0]! : `(-${a[0]})`),
  abs: mathCall("abs"),
  // Math.sign(-0) is -0 in GPU.js; the reference gives 0.
  sign: (a) => `(${a[0]} > 0.0 ? 1.0 : ${a[0]} < 0.0 ? -1.0 : ${a[0]} === ${a[0]} ? 0.0 : ${a[0]})`,
  exp: (a) => nanThrough(a[0]!, `Math.exp(${a[0]})`),
  expm1: (a) => nanThrough(a[0]!, `Math.expm1(${a[0]})`),
  log: logRule("log", "0.0"),
  log1p: logRule("log1p", "(-1.0)"),
  sqrt: mathCall("sqrt"),
  // GPU.js's GL cbrt raises negative numbers to 1/3 (undefined in GLSL): odd symmetry instead.
  cbrt: (a) => nanThrough(a[0]!, `(${a[0]} < 0.0 ? -Math.cbrt(-${a[0]}) : Math.cbrt(${a[0]}))`),
  sin: mathCall("sin"),
  cos: mathCall("cos"),
  tan: mathCall("tan"),
  asin: mathCall("asin"),
  acos: mathCall("acos"),
  atan: mathCall("atan"),
  sinh: mathCall("sinh"),
  cosh: (a) => nanThrough(a[0]!, `Math.cosh(${a[0]})`),
  // tanh(x) rounds to ±1 in float32 for |x| > 9; GL's exp-based tanh overflows to NaN far out.
  tanh: (a) => `(Math.abs(${a[0]}) > 9.0 ? (${a[0]} > 0.0 ? 1.0 : -1.0) : Math.tanh(${a[0]}))`,
  logistic: (a) => nanThrough(a[0]!, `(1.0 / (1.0 + Math.exp(-${a[0]})))`),
  erf: special,
  erfc: special,
  erfInv: special,
  lgamma: special,
  digamma: special,
  trigamma: special,
  i0e: special,
  i1e: special,
  floor: mathCall("floor"),
  ceil: mathCall("ceil"),
  // Half to even, as NumPy: GPU.js's Math.round rounds half up. `x` is an operand (a name or a
  // literal), so repeating it costs nothing. Rounding up is ceil(x), not floor(x) + 1: x is no
  // integer there, and ceil keeps the sign of a zero result (round(-0.25) is -0, as NumPy's).
  round: (a) => {
    const x = a[0]!, f = `Math.floor(${x})`, c = `Math.ceil(${x})`;
    return `(${x} - ${f} < 0.5 ? ${f} : ${x} - ${f} > 0.5 ? ${c} : ${f} - 2.0 * Math.floor(${f} * 0.5) === 0.0 ? ${f} : ${c})`;
  },
  isnan: (a) => bool01(`${a[0]} !== ${a[0]}`),
  isinf: (a) => bool01(`Math.abs(${a[0]}) === ${INF}`),
  not: (a) => `(1.0 - ${a[0]})`,
  add: BASE_ALU.add,
  sub: BASE_ALU.sub,
  mul: BASE_ALU.mul,
  div: BASE_ALU.div,
  // NumPy's float divmod takes care at the edges (signs, infinities) that one float32 expression
  // does not reproduce.
  floorDiv: { host: "NumPy's float floor division (divmod edge cases)" },
  rem: { host: "NumPy's float remainder (divmod edge cases)" },
  // GLSL's pow is exp2(y·log2(x)): undefined for x < 0, and finite at x = 0, y < 0 (log2(0) is
  // not -Inf on SwiftShader). A negative base takes |x|^y with the sign of an odd integer exponent
  // (NaN for a non-integer one, but not for -Infinity), zero to a negative power is ±Infinity, NaN propagates (but
  // x^0 = 1) and (±1)^±Infinity is NaN, as the reference's Math.pow.
  pow: (a) => {
    const [x, y] = [a[0]!, a[1]!];
    const odd = `Math.floor(${y} * 0.5) * 2.0 !== ${y}`;
    const negative = `(Math.floor(${y}) !== ${y} ? (${x} === ${NEG_INF} ? Math.pow(-${x}, ${y}) : ${NAN}) : ${odd} ? -Math.pow(-${x}, ${y}) : Math.pow(-${x}, ${y}))`;
    const zero = `(Math.floor(${y}) === ${y} && ${odd} && 1.0 / ${x} < 0.0 ? ${NEG_INF} : ${INF})`;
    const nan = `(${x} !== ${x} || ${y} !== ${y} || (Math.abs(${x}) === 1.0 && Math.abs(${y}) === ${INF}) ? ${NAN} : `;
    return `(${y} === 0.0 ? 1.0 : ${nan}${x} < 0.0 ? ${negative} : ${x} === 0.0 && ${y} < 0.0 ? ${zero} : Math.pow(${x}, ${y})))`;
  },
  max: extremum("max"),
  min: extremum("min"),
  // At y = ±0 the result depends on signs GL does not keep (GPU.js's atan2 gives 0 at (0, -0),
  // SwiftShader's atan(-0, 1) gives π, atan(NaN, 0) gives 0): ±0 for x > 0 or +0, ±π for x < 0 or
  // -0, NaN from NaN, as NumPy.
  atan2: (a) => {
    const [y, x] = [a[0]!, a[1]!];
    const pi = `(1.0 / ${y} < 0.0 ? ${gpujsLiteral(-Math.PI)} : ${gpujsLiteral(Math.PI)})`;
    const signedZero = `${x} < 0.0 || (${x} === 0.0 && 1.0 / ${x} < 0.0) ? ${pi} : ${y}`;
    return `(${x} !== ${x} || ${y} !== ${y} ? ${x} + ${y} : ${y} === 0.0 ? (${signedZero}) : Math.atan2(${y}, ${x}))`;
  },
  eq: (a) => bool01(`${a[0]} === ${a[1]}`),
  ne: (a) => bool01(`${a[0]} !== ${a[1]}`),
  lt: (a) => bool01(`${a[0]} < ${a[1]}`),
  le: (a) => bool01(`${a[0]} <= ${a[1]}`),
  gt: (a) => bool01(`${a[0]} > ${a[1]}`),
  ge: (a) => bool01(`${a[0]} >= ${a[1]}`),
  // On 0/1 booleans (int32 kernels run on the host): exact in float32.
  and: (a) => `(${a[0]} * ${a[1]})`,
  or: (a) => `Math.max(${a[0]}, ${a[1]})`,
  xor: (a) => `Math.abs(${a[0]} - ${a[1]})`,
  shl: bitwise,
  shrl: bitwise,
  where: (a) => `(${a[0]} !== 0.0 ? ${a[1]} : ${a[2]})`,
  bitcast: { host: "a bit reinterpretation (GPU.js numbers are float32)" },
  cast: (a, c) => (c.dtype === "bool" && c.in !== "bool" ? bool01(`${a[0]} !== 0.0`) : a[0]!), // NaN is true, as NumPy
  clamp: (a, c) => {
    // Index bounds stay integers (GPU.js types them as such); float bounds are float literals.
    const lit = (v: number) => (c.dtype === "index" ? String(v) : gpujsLiteral(v));
    return `Math.min(Math.max(${a[0]}, ${lit(c.param[0]!)}), ${lit(c.param[1]!)})`;
  },
  // Index arithmetic: exact in float32 below 2^24, which gpujs-render.ts requires of every buffer.
  idiv: (a, c) => `Math.floor(${a[0]} / ${c.param[0]})`,
  imod: BASE_ALU.imod,
} satisfies Record<AluOp, GpujsRule>;

/** Whether a rule sends its kernels to the host. */
export function isHostOnly(rule: GpujsRule): rule is HostOnly {
  return typeof rule !== "function";
}
