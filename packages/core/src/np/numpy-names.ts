/**
 * NumPy names that are aliases or one-line compositions of other np functions, so code (and test
 * suites) written against NumPy's or jax.numpy's spelling runs unchanged: nothing here adds a
 * primitive. Dtypes follow JAX: functions that need a float result compute integers in float32.
 */
import { isFloat } from "../dtype.js";
import { DTypeError } from "../errors.js";
import { normAxes } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import {
  abs, add, ceil, divide, equal, floor, greater, isnan, less, logicalNot, maximum, multiply, round, sqrt, square,
  subtract, where,
} from "./elementwise.js";
import { type ReduceOptions, type VarOptions, ddofOf, max, min, prod, sum } from "./reduce.js";
import { squeeze } from "./shape.js";
import { isinf } from "./math-extra.js";
import { asTensor, astypeRaw, optionsOf, prepareOperands } from "./util.js";

function asFloat(x: ArrayLike, op: string): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? t : astypeRaw(t, "float32");
}

/** Both operands promoted together, then made float (JAX's promote_args_inexact); weak JS scalars stay weak. */
function floatPair(op: string, a: ArrayLike, b: ArrayLike): [Tensor, Tensor] {
  const prep = prepareOperands(op, [a, b]);
  const dt = isFloat(prep.dtype) ? prep.dtype : "float32";
  const [x, y] = prep.ts.map((t) => astypeRaw(t, dt));
  return [new Tensor(x!.node, prep.weak), new Tensor(y!.node, prep.weak)];
}

/** `abs` under NumPy's other name. @example np.absolute([-1, 2]) // [1, 2] */
export const absolute = abs;

/** `round` under NumPy's older name. @example np.around([0.5, 1.5, 2.675], 0) // [0, 2, 3] */
export const around = (x: ArrayLike, decimals = 0): Tensor => round(x, decimals);

/** `divide` under NumPy's older name (true division). @example np.trueDivide(1, 4) // 0.25 */
export const trueDivide = (a: ArrayLike, b: ArrayLike): Tensor => divide(a, b);

/**
 * `+x`: a copy with the same dtype; bool is rejected as NumPy does.
 * @example np.positive([-1, 2]) // [-1, 2]
 */
export function positive(x: ArrayLike): Tensor {
  const t = asTensor(x, "positive");
  if (t.dtype === "bool") throw new DTypeError(`positive: not defined for bool input; cast with astype first`);
  return t;
}

/**
 * The integer part, rounding toward zero; integers are returned as they are (JAX).
 * @example np.trunc([-1.7, 1.7, -0.2]) // [-1, 1, -0]
 */
export function trunc(x: ArrayLike): Tensor {
  const t = asTensor(x, "trunc");
  return isFloat(t.dtype) ? where(less(t, 0), ceil(t), floor(t)) : t;
}

/** `trunc` under NumPy's other name. @example np.fix([-2.5, 2.5]) // [-2, 2] */
export const fix = (x: ArrayLike): Tensor => trunc(x);

/** Absolute value as a float (integers become float32). @example np.fabs([-2, 3]) // [2, 3] */
export const fabs = (x: ArrayLike): Tensor => abs(asFloat(x, "fabs"));

/**
 * `sqrt(a² + b²)` without overflow or underflow in the squares (scaled by the larger magnitude);
 * inf when either is infinite, even against NaN (C's hypot).
 * @example np.hypot(3, 4) // 5
 * @example np.hypot(3e30, 4e30) // 5e30 (float32)
 */
export function hypot(a: ArrayLike, b: ArrayLike): Tensor {
  // Promoted together first (JAX's promote_args_inexact): uint8 with bfloat16 is bfloat16, not float32.
  const [fa, fb] = floatPair("hypot", a, b);
  const x = abs(fa), y = abs(fb);
  const hi = where(greater(y, x), y, x), lo = where(greater(y, x), x, y);
  const r = divide(lo, hi);
  const h = multiply(hi, sqrt(add(square(r), 1)));
  // hi = 0 (r = 0/0), an infinite operand (r = x/inf, or NaN against inf) and NaN need their own
  // answers; NaN is tested on the operands themselves, since WGSL's finite math may turn the
  // comparisons above into a max that drops it.
  const nan = greater(add(multiply(isnan(fa), 1), multiply(isnan(fb), 1)), 0);
  return where(logicalOrInf(fa, fb), Infinity, where(nan, NaN, where(equal(hi, 0), 0, h)));
}

const logicalOrInf = (x: Tensor, y: Tensor): Tensor => greater(add(multiply(isinf(x), 1), multiply(isinf(y), 1)), 0);

const DEG = Math.PI / 180;

/** Degrees to radians. @example np.deg2rad(180) // 3.1415927 */
export const deg2rad = (x: ArrayLike): Tensor => multiply(asFloat(x, "deg2rad"), DEG);
/** Radians to degrees. @example np.rad2deg(Math.PI) // 180 */
export const rad2deg = (x: ArrayLike): Tensor => multiply(asFloat(x, "rad2deg"), 1 / DEG);
/** `deg2rad` under NumPy's other name. @example np.radians(90) // 1.5707964 */
export const radians = (x: ArrayLike): Tensor => deg2rad(x);
/** `rad2deg` under NumPy's other name. @example np.degrees(Math.PI / 2) // 90 */
export const degrees = (x: ArrayLike): Tensor => rad2deg(x);

/**
 * The Heaviside step: 0 below zero, 1 above, `h0` at zero (NaN stays NaN).
 * @example np.heaviside([-1, 0, 2], 0.5) // [0, 0.5, 1]
 */
export function heaviside(x: ArrayLike, h0: ArrayLike): Tensor {
  // Promoted together first (JAX's promote_args_inexact): float16 with uint8 stays float16.
  const [t, h] = floatPair("heaviside", x, h0);
  return where(less(t, 0), 0, where(greater(t, 0), 1, where(isnan(t), t, h)));
}

/**
 * Peak to peak, `max - min` over `axis`, in the input's dtype (integers wrap as NumPy's).
 * @example np.ptp([[4, 9, 2], [7, 1, 5]], { axis: 1 }) // [7, 6]
 */
export function ptp(x: ArrayLike, options?: ReduceOptions, ...extra: undefined[]): Tensor {
  const opts = optionsOf("ptp", options, "ptp", extra);
  const t = asTensor(x, "ptp");
  if (t.dtype === "bool") throw new DTypeError(`ptp: not defined for bool input (NumPy cannot subtract bools)`);
  return subtract(max(t, opts), min(t, opts));
}

/**
 * Product ignoring NaN (NaN counts as 1); an all-NaN slice gives 1.
 * @example np.nanprod([2, NaN, 3]) // 6
 */
export function nanprod(x: ArrayLike, options?: ReduceOptions, ...extra: undefined[]): Tensor {
  const t = asTensor(x, "nanprod");
  return prod(isFloat(t.dtype) ? where(isnan(t), 1, t) : t, optionsOf("nanprod", options, "nanprod", extra));
}

/**
 * Variance of the non-NaN elements (`ddof` as `var`); an all-NaN slice gives NaN.
 * @example np.nanvar([1, NaN, 3]) // 1
 */
export function nanvar(x: ArrayLike, options?: VarOptions, ...extra: undefined[]): Tensor {
  const opts = optionsOf("nanvar", options, "nanvar", extra);
  const t = asFloat(x, "nanvar");
  const nan = isnan(t);
  const keep = { axis: opts.axis, keepdims: true };
  const count = sum(logicalNot(nan), { ...keep, dtype: t.dtype });
  const mean = divide(sum(where(nan, 0, t), keep), count);
  const sq = sum(where(nan, 0, square(subtract(t, mean))), { axis: opts.axis, keepdims: opts.keepdims });
  const n = opts.keepdims ? count : squeeze(count, normAxes("nanvar", opts.axis, t.ndim));
  // NumPy clamps the divisor at 0: n <= ddof gives inf, or NaN for a zero numerator.
  return divide(sq, maximum(subtract(n, ddofOf("nanvar", opts)), 0));
}

/**
 * Standard deviation of the non-NaN elements, `sqrt(nanvar)`.
 * @example np.nanstd([1, NaN, 3]) // 1
 */
export function nanstd(x: ArrayLike, options?: VarOptions, ...extra: undefined[]): Tensor {
  return sqrt(nanvar(x, optionsOf("nanstd", options, "nanstd", extra)));
}
