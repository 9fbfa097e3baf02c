/**
 * Elementwise derivatives, written once and shared by both modes: the jvp table multiplies them by
 * tangents, the vjp table by the cotangent (JAX's `defjvp` partials). Formulas and the values at
 * special points (ties, zeros) follow JAX's lax rules.
 */
import { type Tensor, np, npUtil } from "@kiln/core";
import { div, eq, indicator, mul, neg, onesLike, where, zerosLike } from "./ops.js";

const { apply } = npUtil;

/** d out / d x of a unary op, given the input and the primal output (reused where cheaper). */
export type UnaryDerivative = (x: Tensor, out: Tensor) => Tensor;
/** Partials of a binary op with respect to each operand. */
export type BinaryPartials = readonly [
  (a: Tensor, b: Tensor, out: Tensor) => Tensor,
  (a: Tensor, b: Tensor, out: Tensor) => Tensor,
];

const oneMinusSquare = (y: Tensor): Tensor => np.subtract(1, np.square(y));

export const UNARY_DERIVATIVES = {
  // sign(0) = 0: the derivative of |x| at 0 is 0, as JAX.
  abs: (x) => np.sign(x),
  exp: (_x, y) => y,
  expm1: (_x, y) => np.add(y, 1),
  log: (x) => np.reciprocal(x),
  log1p: (x) => np.reciprocal(np.add(x, 1)),
  sqrt: (_x, y) => np.divide(0.5, y),
  sin: (x) => np.cos(x),
  cos: (x) => np.negative(np.sin(x)),
  tan: (_x, y) => np.add(1, np.square(y)),
  asin: (x) => np.rsqrt(oneMinusSquare(x)),
  acos: (x) => np.negative(np.rsqrt(oneMinusSquare(x))),
  atan: (x) => np.reciprocal(np.add(1, np.square(x))),
  sinh: (x) => np.cosh(x),
  cosh: (x) => np.sinh(x),
  tanh: (_x, y) => oneMinusSquare(y),
  logistic: (_x, y) => np.multiply(y, np.subtract(1, y)),
} satisfies Record<string, UnaryDerivative>;

/**
 * JAX's `_balanced_eq`: the share of the gradient of max/min that goes to `x` — 1 where `x` alone
 * is the result, 1/2 where both operands tie, 0 elsewhere (and where either is NaN). Decided by
 * comparing the operands with each other, not with the output: a backend may compute the output in
 * another kernel, and an `x == out` that misses by one rounding would give neither operand a share.
 */
function balancedShare(x: Tensor, other: Tensor, wins: "gt" | "lt"): Tensor {
  const alone = indicator(apply(wins, [x, other], {}), x.dtype);
  const tie = indicator(eq(x, other), x.dtype);
  return np.add(alone, np.multiply(0.5, tie));
}

/** x where x != 0, else 1 (keeps the unselected branch of a select finite, as JAX's `_replace_zero`). */
function replaceZero(x: Tensor): Tensor {
  return where(eq(x, zerosLike(x)), onesLike(x), x);
}

export const BINARY_PARTIALS = {
  mul: [(_a, b) => b, (a) => a],
  div: [(_a, b) => np.reciprocal(b), (_a, b, out) => neg(div(out, b))],
  // NumPy's remainder a - b·(a // b): piecewise linear, jumps at a/b integral.
  rem: [(a) => onesLike(a), (a, b) => neg(np.floorDivide(a, b))],
  // d/da = b·a^(b-1), defined as 0 where b == 0 (so 0^0 has slope 0); d/db = log(a)·a^b with log(0)
  // replaced by 0, so the slope in b at a == 0 is 0 (JAX's _pow_jvp_lhs/_pow_jvp_rhs).
  pow: [
    (a, b) => where(eq(b, zerosLike(b)), zerosLike(b), mul(replaceZero(b), np.power(a, np.subtract(b, 1)))),
    (a, _b, out) => mul(np.log(replaceZero(a)), out),
  ],
  max: [(a, b) => balancedShare(a, b, "gt"), (a, b) => balancedShare(b, a, "gt")],
  min: [(a, b) => balancedShare(a, b, "lt"), (a, b) => balancedShare(b, a, "lt")],
  // atan2(a, b) = atan(a / b) in the right quadrant.
  atan2: [
    (a, b) => div(b, np.add(np.square(a), np.square(b))),
    (a, b) => neg(div(a, np.add(np.square(a), np.square(b)))),
  ],
} satisfies Record<string, BinaryPartials>;
