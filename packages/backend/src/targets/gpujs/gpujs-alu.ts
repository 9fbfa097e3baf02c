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
 * @example gpujsLiteral(2) // "2.0"; gpujsLiteral(-0.5) // "(-0.5)"
 */
export function gpujsLiteral(v: number): string {
  checkLiteral(v);
  const f = Math.fround(v);
  if (Number.isNaN(f)) return "(0.0 / 0.0)";
  if (f === Infinity) return "Infinity";
  if (f === -Infinity) return "(-Infinity)";
  if (Object.is(f, -0)) return "(-0.0)";
  const text = String(f);
  const withPoint = /[.e]/.test(text) ? text : `${text}.0`;
  return f < 0 ? `(${withPoint})` : withPoint;
}

const bool01 = (cond: string) => `(${cond} ? 1.0 : 0.0)`;
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
  exp: mathCall("exp"),
  expm1: mathCall("expm1"),
  log: mathCall("log"),
  log1p: mathCall("log1p"),
  sqrt: mathCall("sqrt"),
  cbrt: mathCall("cbrt"),
  sin: mathCall("sin"),
  cos: mathCall("cos"),
  tan: mathCall("tan"),
  asin: mathCall("asin"),
  acos: mathCall("acos"),
  atan: mathCall("atan"),
  sinh: mathCall("sinh"),
  cosh: mathCall("cosh"),
  tanh: mathCall("tanh"),
  logistic: (a) => `(1.0 / (1.0 + Math.exp(-${a[0]})))`,
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
  // literal), so repeating it costs nothing.
  round: (a) => {
    const x = a[0]!, f = `Math.floor(${x})`;
    return `(${x} - ${f} < 0.5 ? ${f} : ${x} - ${f} > 0.5 ? ${f} + 1.0 : ${f} - 2.0 * Math.floor(${f} * 0.5) === 0.0 ? ${f} : ${f} + 1.0)`;
  },
  isnan: (a) => bool01(`${a[0]} !== ${a[0]}`),
  isinf: (a) => bool01(`Math.abs(${a[0]}) === Infinity`),
  not: (a) => `(1.0 - ${a[0]})`,
  add: BASE_ALU.add,
  sub: BASE_ALU.sub,
  mul: BASE_ALU.mul,
  div: BASE_ALU.div,
  // NumPy's float divmod takes care at the edges (signs, infinities) that one float32 expression
  // does not reproduce.
  floorDiv: { host: "NumPy's float floor division (divmod edge cases)" },
  rem: { host: "NumPy's float remainder (divmod edge cases)" },
  pow: mathCall("pow"),
  max: mathCall("max"),
  min: mathCall("min"),
  atan2: mathCall("atan2"),
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
