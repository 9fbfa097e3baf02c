/**
 * The C-like base of every renderer: the operator spellings C, WGSL, GLSL and JavaScript share, and
 * the two ways a target names a function (`mathCall`: a function its language has; `preludeCall`:
 * a helper its prelude defines). Each target's table (targets/<name>/) is typed over every ALU op
 * and written out per op, reusing these by name: a new ALU op is a compile error in every target
 * until each says how it renders there — never a call of a function the target does not have.
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

/**
 * A math function the target's dialect provides under `name` (`Math.exp` in JavaScript, the
 * built-in `exp` in WGSL). Never inherited: a target writes `exp: mathCall("exp")` for each op
 * its language really has, so a new op is a compile error in every target table until each says
 * how it renders there.
 * @example JS_ALU.sqrt = mathCall("sqrt") // Math.sqrt(x) in JavaScript
 */
export const mathCall = (name: string): AluRender => (a, _c, d) => `${d.math(name)}(${a.join(", ")})`;

/**
 * A call of the helper function `name` that the target's prelude defines (WGSL's `exp_`, the JS
 * kernels' `roundHalfEven`): the target says explicitly that the op needs a helper. Each target's
 * tests render every op and check that every function called exists there (wgsl.test.ts,
 * js-alu.test.ts).
 * @example WGSL_ALU.exp = preludeCall("exp_") // exp_(x), defined in wgsl-prelude.ts
 */
export const preludeCall = (name: string): AluRender => (a) => `${name}(${a.join(", ")})`;

const infix = (op: string): AluRender => (a) => `(${a[0]} ${op} ${a[1]})`;

/**
 * The spellings C, WGSL, GLSL and JavaScript share: operators, not function names. A target table
 * is a complete `Record<AluOp, AluRender>` written out per op (no spread): it reuses one of these
 * by name (`add: BASE_ALU.add`), calls a math function it has (`mathCall`) or a prelude helper
 * (`preludeCall`), or spells the op itself.
 */
export const BASE_ALU = {
  neg: (a) => `(-${a[0]})`,
  isnan: (a) => `(${a[0]} != ${a[0]})`,
  not: (a) => `(!${a[0]})`,
  add: infix("+"),
  sub: infix("-"),
  mul: infix("*"),
  div: infix("/"),
  rem: infix("%"),
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
  idiv: (a, c) => `(${a[0]} / ${c.param[0]})`,
  imod: (a, c) => `(${a[0]} % ${c.param[0]})`,
} satisfies Partial<Record<AluOp, AluRender>>;

/**
 * The note a renderer appends to the line computing one ALU op (` // op exp`), so that a compile
 * error's line names the op it came from (`opOfLine`). Both targets' languages have `//` comments.
 * @example `let t3 = exp_(t2);${opNote("exp")}` // "let t3 = exp_(t2); // op exp"
 */
export function opNote(op: AluOp): string {
  return ` // op ${op}`;
}

/**
 * The ALU op a rendered line computes (its `opNote`), or null.
 * @example opOfLine("  const t3 = Math.exp(t2); // op exp") // "exp"
 */
export function opOfLine(line: string | undefined): string | null {
  return line?.match(/\/\/ op (\w+)\s*$/)?.[1] ?? null;
}

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
