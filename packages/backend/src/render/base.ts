/**
 * The C-like base of every renderer: one entry per ALU operation of the kernel IR, written in the
 * syntax C, WGSL, GLSL and JavaScript share. A target overrides only what differs — its math
 * function names (through `Dialect.math`), integer wrapping, boolean representation — never the
 * whole table (STYLE.md §7). A new ALU op is one line here plus one per target that differs.
 */
import { ValueError } from "@kiln/core";
import { type AluOp, type ExprDType } from "../expr.js";

export interface AluCtx {
  /** Result dtype. */
  readonly dtype: ExprDType;
  /** Dtype of the first argument (the operands of a binary op share it). */
  readonly in: ExprDType;
  /** Constant parameters: divisor of idiv/imod, [lo, hi] of clamp. */
  readonly param: readonly number[];
}

export interface Dialect {
  /** Spelling of a math function, e.g. `exp` → `Math.exp` in JavaScript. */
  math(name: string): string;
}

export type AluRender = (a: readonly string[], c: AluCtx, d: Dialect) => string;

const call = (name: string): AluRender => (a, _c, d) => `${d.math(name)}(${a.join(", ")})`;
const infix = (op: string): AluRender => (a) => `(${a[0]} ${op} ${a[1]})`;

export const BASE_ALU = {
  neg: (a) => `(-${a[0]})`,
  abs: call("abs"),
  sign: call("sign"),
  exp: call("exp"),
  expm1: call("expm1"),
  log: call("log"),
  log1p: call("log1p"),
  sqrt: call("sqrt"),
  sin: call("sin"),
  cos: call("cos"),
  tan: call("tan"),
  asin: call("asin"),
  acos: call("acos"),
  atan: call("atan"),
  sinh: call("sinh"),
  cosh: call("cosh"),
  tanh: call("tanh"),
  logistic: (a, _c, d) => `(1.0 / (1.0 + ${d.math("exp")}(-${a[0]})))`,
  floor: call("floor"),
  ceil: call("ceil"),
  round: call("round"),
  isnan: (a) => `(${a[0]} != ${a[0]})`,
  isinf: (a, _c, d) => `(${d.math("abs")}(${a[0]}) == 1.0 / 0.0)`,
  not: (a) => `(!${a[0]})`,
  add: infix("+"),
  sub: infix("-"),
  mul: infix("*"),
  div: infix("/"),
  // No C-like operator: targets call their NumPy floor division (core/arith.ts).
  floorDiv: call("floorDiv"),
  rem: infix("%"),
  pow: call("pow"),
  max: call("max"),
  min: call("min"),
  atan2: call("atan2"),
  eq: infix("=="),
  ne: infix("!="),
  lt: infix("<"),
  le: infix("<="),
  gt: infix(">"),
  ge: infix(">="),
  and: infix("&&"),
  or: infix("||"),
  xor: infix("^"),
  shl: infix("<<"),
  shrl: infix(">>"),
  where: (a) => `(${a[0]} ? ${a[1]} : ${a[2]})`,
  cast: (a) => a[0]!,
  clamp: (a, c, d) => `${d.math("min")}(${d.math("max")}(${a[0]}, ${c.param[0]}), ${c.param[1]})`,
  idiv: (a, c) => `(${a[0]} / ${c.param[0]})`,
  imod: (a, c) => `(${a[0]} % ${c.param[0]})`,
} satisfies Record<AluOp, AluRender>;

/**
 * Refuses anything but a JS number where a literal is written into kernel source. Params are
 * validated when nodes are built (core ir/params.ts); this is the second line of the trust
 * boundary, so a string can never become code even if a value slipped past the first.
 * @example checkLiteral(1.5) // ok; checkLiteral("globalThis.x=1" as never) throws ValueError
 */
export function checkLiteral(v: unknown): asserts v is number {
  if (typeof v !== "number") throw new ValueError(`kernel literal: expected a number, got ${typeof v}`);
}

/** Renders a numeric literal so that it parses back to the same value. */
export function literal(v: number): string {
  checkLiteral(v);
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  return v < 0 ? `(${v})` : String(v);
}
