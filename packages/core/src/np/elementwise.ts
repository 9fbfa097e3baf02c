/**
 * Elementwise operations with NumPy names: broadcasting and type promotion happen here, then one
 * strict primitive (or a short composition of them) is recorded. Nothing is computed.
 */
import { type DType, checkDType, isFloat } from "../dtype.js";
import { DTypeError, ValueError } from "../errors.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { broadcastShapes } from "../shape.js";
import { apply, asTensor, astypeRaw, binaryOp, broadcastRaw, prepareOperands, unaryOp } from "./util.js";

// ---- unary (one line each; STYLE.md §5)
/** `-x`. @example np.negative([1, -2]) // [-1, 2] */
export const negative = unaryOp("negative", "neg", { noBool: true });
/** `|x|`. @example np.abs([-1.5, 2]) // [1.5, 2] */
export const abs = unaryOp("abs", "abs", { noBool: true });
/** -1, 0 or 1 (NaN stays NaN). @example np.sign([-3, 0, 2]) // [-1, 0, 1] */
export const sign = unaryOp("sign", "sign", { noBool: true });
/** e^x. @example np.exp([0, 1]) // [1, 2.718...] */
export const exp = unaryOp("exp", "exp", { toFloat: true });
/** e^x - 1, accurate near 0. @example np.expm1(1e-10) // 1e-10 */
export const expm1 = unaryOp("expm1", "expm1", { toFloat: true });
/** Natural logarithm (log of a negative number is NaN, log(0) is -inf). @example np.log([1, Math.E]) // [0, 1] */
export const log = unaryOp("log", "log", { toFloat: true });
/** log(1 + x), accurate near 0. @example np.log1p(1e-10) // 1e-10 */
export const log1p = unaryOp("log1p", "log1p", { toFloat: true });
/** Square root. @example np.sqrt([4, 9]) // [2, 3] */
export const sqrt = unaryOp("sqrt", "sqrt", { toFloat: true });
/** Real cube root (negative for negative x). @example np.cbrt([27, -8]) // [3, -2] */
export const cbrt = unaryOp("cbrt", "cbrt", { toFloat: true });
/** @example np.sin([0]) // [0] */
export const sin = unaryOp("sin", "sin", { toFloat: true });
/** @example np.cos([0]) // [1] */
export const cos = unaryOp("cos", "cos", { toFloat: true });
/** @example np.tan([0]) // [0] */
export const tan = unaryOp("tan", "tan", { toFloat: true });
/** @example np.arcsin([1]) // [π/2] */
export const arcsin = unaryOp("arcsin", "asin", { toFloat: true });
/** @example np.arccos([1]) // [0] */
export const arccos = unaryOp("arccos", "acos", { toFloat: true });
/** @example np.arctan([1]) // [π/4] */
export const arctan = unaryOp("arctan", "atan", { toFloat: true });
/** @example np.sinh([0]) // [0] */
export const sinh = unaryOp("sinh", "sinh", { toFloat: true });
/** @example np.cosh([0]) // [1] */
export const cosh = unaryOp("cosh", "cosh", { toFloat: true });
/** @example np.tanh([0]) // [0] */
export const tanh = unaryOp("tanh", "tanh", { toFloat: true });
/** Logistic sigmoid 1 / (1 + e^-x). @example np.sigmoid([0]) // [0.5] */
export const sigmoid = unaryOp("sigmoid", "logistic", { toFloat: true });
/** @example np.floor([1.5, -1.5]) // [1, -2] */
export const floor = (x: ArrayLike): Tensor => roundingOp("floor", x);
/** @example np.ceil([1.5, -1.5]) // [2, -1] */
export const ceil = (x: ArrayLike): Tensor => roundingOp("ceil", x);
/** The largest value of each integer dtype (round's cutoff for negative decimals). */
const INT_MAX = { int32: 2 ** 31 - 1, uint8: 255, uint32: 2 ** 32 - 1 } as const;

/**
 * Rounds half to even, as NumPy, to `decimals` places (negative: tens, hundreds...). Floats scale by
 * 10^decimals, round and scale back (NumPy's algorithm, so `round(2.675, 2)` is 2.67 or 2.68 as the
 * scaled float falls); integers with negative decimals round exactly in integer arithmetic, in their
 * dtype (a result out of its range wraps, as NumPy's: uint8 255 to tens is 260 mod 256 = 4).
 * @example np.round([0.5, 1.5, 2.5]) // [0, 2, 2]
 * @example np.round([1.2345, 1250], 2) // [1.23, 1250]
 */
export function round(x: ArrayLike, decimals = 0): Tensor {
  if (!Number.isInteger(decimals)) throw new ValueError(`round: decimals must be an integer, got ${String(decimals)}`);
  if (decimals === 0) return roundingOp("round", x);
  const t = asTensor(x, "round");
  if (!isFloat(t.dtype)) {
    if (decimals > 0 || t.dtype === "bool") return roundingOp("round", t);
    const p = 10 ** -decimals;
    // |x| / p < 1/2 for every value of the dtype (p as a weak operand would wrap, 1000 as uint8 is 232).
    if (p > INT_MAX[t.dtype as "int32" | "uint8" | "uint32"]) return multiply(t, 0);
    // q * p + r with 0 <= r < p; round up past the half, and at the half only to an even q.
    const q = floorDivide(t, p), r = remainder(t, p);
    const up = logicalOr(greater(multiply(r, 2), p), logicalAnd(equal(multiply(r, 2), p), notEqual(remainder(q, 2), 0)));
    // In the input's dtype (NumPy's result wraps there too: round(uint8 255, -1) is 260 mod 256 = 4).
    return multiply(add(q, astypeRaw(up, t.dtype)), p);
  }
  const scale = 10 ** Math.abs(decimals);
  return decimals > 0 ? divide(roundingOp("round", multiply(t, scale)), scale) : multiply(roundingOp("round", divide(t, scale)), scale);
}
/** @example np.isnan([NaN, 1]) // [true, false] */
export const isnan = unaryOp("isnan", "isnan");
/** @example np.logicalNot([true]) // [false] */
export const logicalNot = (x: ArrayLike): Tensor => apply("not", [toBool(x, "logicalNot")], {});

function roundingOp(op: "floor" | "ceil" | "round", x: ArrayLike): Tensor {
  const t = asTensor(x, op);
  // Integers are already integral: NumPy returns them unchanged.
  if (!isFloat(t.dtype)) return t.dtype === "bool" ? astypeRaw(t, "float32") : t;
  return apply(op, [t], {}, t.weak);
}

function toBool(x: ArrayLike, op: string): Tensor {
  const t = asTensor(x, op);
  return t.dtype === "bool" ? t : notEqual(t, 0);
}

/** 2^x. @example np.exp2([3]) // [8] */
export function exp2(x: ArrayLike): Tensor {
  return exp(multiply(asFloat(x, "exp2"), Math.LN2));
}
/** Base-2 logarithm. @example np.log2([8]) // [3] */
export function log2(x: ArrayLike): Tensor {
  return multiply(log(x), Math.LOG2E);
}
/** 1 / sqrt(x). @example np.rsqrt([4]) // [0.5] */
export function rsqrt(x: ArrayLike): Tensor {
  return divide(1, sqrt(x));
}
/** x * x. @example np.square([3]) // [9] */
export function square(x: ArrayLike): Tensor {
  const t = asTensor(x, "square");
  if (t.dtype === "bool") throw new DTypeError(`square: not defined for bool input; cast with astype first`);
  return multiply(t, t);
}
/** 1 / x. @example np.reciprocal([4]) // [0.25] */
export function reciprocal(x: ArrayLike): Tensor {
  return divide(1, asFloat(x, "reciprocal"));
}
/** max(x, 0). @example np.relu([-1, 2]) // [0, 2] */
export function relu(x: ArrayLike): Tensor {
  return maximum(x, 0);
}
/** True where x is neither infinite nor NaN. @example np.isfinite([1, Infinity, NaN]) // [true, false, false] */
export function isfinite(x: ArrayLike): Tensor {
  const t = asTensor(x, "isfinite");
  return logicalNot(logicalOr(apply("isnan", [t], {}), apply("isinf", [t], {})));
}

function asFloat(x: ArrayLike, op: string): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? t : astypeRaw(t, "float32");
}

// ---- binary
/** Elementwise sum with broadcasting (bool + bool is logical or). @example np.add([1, 2], 10) // [11, 12] */
export const add = binaryOp("add", "add", { boolPrim: "or" });
/** @example np.subtract([3, 4], [1, 1]) // [2, 3] */
export const subtract = binaryOp("subtract", "sub", { noBool: true });
/** Elementwise product (bool * bool is logical and). @example np.multiply([[1], [2]], [1, 10]) // [[1, 10], [2, 20]] */
export const multiply = binaryOp("multiply", "mul", { boolPrim: "and" });
/** True division (integers give float32). @example np.divide(1, 2) // 0.5 */
export const divide = binaryOp("divide", "div", { toFloat: true, noBool: true });
/**
 * Floor division as NumPy's `//`: consistent with `remainder` (`a == b * floorDivide(a, b) +
 * remainder(a, b)` up to rounding), so `floorDivide(1, 0.1)` is 9, not `floor(1 / 0.1)` = 10;
 * `inf // 2` is NaN and `1 // -inf` is -1. Integer division by zero gives 0.
 * @example np.floorDivide([7, -7], 2) // [3, -4]
 */
export const floorDivide = binaryOp("floorDivide", "floorDiv", { noBool: true });
/** Remainder with the sign of the divisor, as NumPy. @example np.remainder([-3], 2) // [1] */
export const remainder = binaryOp("remainder", "rem", { noBool: true });
const powerOp = binaryOp("power", "pow", { noBool: true });
/**
 * x ** y. An integer tensor to a negative integer JS number is a ValueError, as in NumPy (and a
 * TypeError in JAX's `integer_pow`): the result is no integer. Cast the base to a float first.
 * (A negative value inside an integer exponent *tensor* cannot be checked under jit: it gives 0
 * for |x| > 1.)
 * @example np.power([2, 3], 2) // [4, 9]
 */
export function power(x: ArrayLike, y: ArrayLike): Tensor {
  if (typeof y === "number" && Number.isInteger(y) && y < 0 && x instanceof Tensor && x.dtype !== "bool" && !isFloat(x.dtype)) {
    throw new ValueError(`power: integers to negative integer powers are not allowed (${x.dtype} ** ${y}); cast the base to a float first`);
  }
  return powerOp(x, y);
}
/** Elementwise maximum (NaN propagates). @example np.maximum([1, 5], [3, 2]) // [3, 5] */
export const maximum = binaryOp("maximum", "max");
/** Elementwise minimum (NaN propagates). @example np.minimum([1, 5], [3, 2]) // [1, 2] */
export const minimum = binaryOp("minimum", "min");
/** atan(y / x) in the right quadrant. @example np.arctan2([1], [-1]) // [3π/4] */
export const arctan2 = binaryOp("arctan2", "atan2", { toFloat: true, noBool: true });
/** @example np.equal([1, 2], 2) // [false, true] */
export const equal = binaryOp("equal", "eq");
/** @example np.notEqual([1, 2], 2) // [true, false] */
export const notEqual = binaryOp("notEqual", "ne");
/** @example np.less([1, 2], 2) // [true, false] */
export const less = binaryOp("less", "lt");
/** @example np.lessEqual([1, 3], 2) // [true, false] */
export const lessEqual = binaryOp("lessEqual", "le");
/** @example np.greater([1, 3], 2) // [false, true] */
export const greater = binaryOp("greater", "gt");
/** @example np.greaterEqual([1, 2], 2) // [false, true] */
export const greaterEqual = binaryOp("greaterEqual", "ge");
/** @example np.logicalAnd([true, true], [true, false]) // [true, false] */
export function logicalAnd(a: ArrayLike, b: ArrayLike): Tensor {
  return binaryOp("logicalAnd", "and")(toBool(a, "logicalAnd"), toBool(b, "logicalAnd"));
}
/** @example np.logicalOr([false, true], [false, false]) // [false, true] */
export function logicalOr(a: ArrayLike, b: ArrayLike): Tensor {
  return binaryOp("logicalOr", "or")(toBool(a, "logicalOr"), toBool(b, "logicalOr"));
}

/**
 * Chooses from `x` where `cond` is true, else from `y`, with broadcasting.
 * @example np.where([true, false], 1, [5, 6]) // [1, 6]
 */
export function where(cond: ArrayLike, x: ArrayLike, y: ArrayLike): Tensor {
  const c = toBool(cond, "where");
  const branches = prepareOperands("where", [x, y]);
  const shape = broadcastShapes("where", c.shape, branches.shape);
  const [xb, yb] = branches.ts.map((t) => broadcastRaw(t, shape));
  return apply("select", [broadcastRaw(c, shape), xb!, yb!], {}, branches.weak);
}

/**
 * Clips values to [lo, hi]; either bound may be null.
 * @example np.clip([-2, 0.5, 3], 0, 1) // [0, 0.5, 1]
 */
export function clip(x: ArrayLike, lo: ArrayLike | null, hi: ArrayLike | null): Tensor {
  let t = asTensor(x, "clip");
  if (lo !== null && lo !== undefined) t = maximum(t, lo);
  if (hi !== null && hi !== undefined) t = minimum(t, hi);
  return t;
}

/**
 * Casts to another dtype (float→int truncates toward zero, nonzero→true).
 * @example np.astype([1.7, -1.7], "int32") // [1, -1]
 */
export function astype(x: ArrayLike, dtype: DType): Tensor {
  checkDType(dtype, "astype");
  return astypeRaw(asTensor(x, "astype"), dtype);
}

/**
 * Identity in the forward pass; blocks gradients in every transform.
 * @example grad((x) => stopGradient(x).mul(x))(3) // 3
 */
export function stopGradient(x: ArrayLike): Tensor {
  const t = asTensor(x, "stopGradient");
  return apply("stopGradient", [t], {}, t.weak);
}

