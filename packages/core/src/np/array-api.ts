/**
 * The NumPy 2 / Python array-API names that `jax.numpy` has beside the classic ones (`acos` for
 * `arccos`, `concat` for `concatenate`, `permute_dims` for `transpose`, …), the inverse
 * hyperbolic functions, `isposinf`/`isneginf`, and `cumulative_sum`/`cumulative_prod` (whose axis and `include_initial`
 * differ from `cumsum`). Code ported from JAX or from array-API libraries runs unchanged.
 */
import { ValueError } from "../errors.js";
import { normAxis } from "../shape.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { type DType } from "../dtype.js";
import { abs, add, equal, arccos, arcsin, arctan, arctan2, divide, log, log1p, multiply, power, sign, sqrt, square, subtract } from "./elementwise.js";
import { invert, leftShift, rightShift, cumprod } from "./math-extra.js";
import { cumsum } from "./reduce.js";
import { concatenate, transpose } from "./shape.js";
import { asTensor, fullRaw, optionsOf, reshapeRaw } from "./util.js";

/** Array-API name of `arccos`. @example np.acos([1]) // [0] */
export const acos = arccos;
/** Array-API name of `arcsin`. @example np.asin([0]) // [0] */
export const asin = arcsin;
/** Array-API name of `arctan`. @example np.atan([0]) // [0] */
export const atan = arctan;
/** Array-API name of `arctan2`. @example np.atan2([1], [1]) // [0.7853982] */
export const atan2 = arctan2;
/** Array-API name of `power`. @example np.pow([2], 3) // [8] */
export const pow = power;
/** Array-API name of `concatenate`. @example np.concat([[1], [2]]) // [1, 2] */
export const concat = concatenate;
/** Array-API name of `transpose` (the axes are required there; optional here). @example np.permuteDims(np.zeros([2, 3]), [1, 0]).shape // [3, 2] */
export const permuteDims = transpose;
/** Array-API name of `invert`. @example np.bitwiseInvert([true]) // [false] */
export const bitwiseInvert = invert;
/** NumPy 2 alias of `invert`. @example np.bitwiseNot(np.array([0], { dtype: "int32" })) // [-1] */
export const bitwiseNot = invert;
/** Array-API name of `leftShift`. @example np.bitwiseLeftShift(1, 3) // 8 */
export const bitwiseLeftShift = leftShift;
/** Array-API name of `rightShift`. @example np.bitwiseRightShift(8, 3) // 1 */
export const bitwiseRightShift = rightShift;

/**
 * Inverse hyperbolic sine, `sign(x) * log(|x| + sqrt(x² + 1))` (odd symmetry keeps large
 * negative inputs from cancelling); integers give float32.
 * @example np.arcsinh([0, 1]) // [0, 0.8813736]
 */
export function arcsinh(x: ArrayLike): Tensor {
  const t = floatOf(x, "arcsinh");
  const a = abs(t);
  return multiply(sign(t), log(add(a, sqrt(add(square(a), 1)))));
}

/**
 * Inverse hyperbolic cosine, `log(x + sqrt(x² - 1))`; NaN below 1.
 * @example np.arccosh([1, 2]) // [0, 1.3169579]
 */
export function arccosh(x: ArrayLike): Tensor {
  const t = floatOf(x, "arccosh");
  return log(add(t, sqrt(subtract(square(t), 1))));
}

/**
 * Inverse hyperbolic tangent, `log1p(2x / (1 - x)) / 2`; ±inf at ±1, NaN beyond.
 * @example np.arctanh([0, 0.5]) // [0, 0.5493061]
 */
export function arctanh(x: ArrayLike): Tensor {
  const t = floatOf(x, "arctanh");
  return multiply(log1p(divide(multiply(t, 2), subtract(1, t))), 0.5);
}

/** Array-API name of `arcsinh`. @example np.asinh([0]) // [0] */
export const asinh = arcsinh;
/** Array-API name of `arccosh`. @example np.acosh([1]) // [0] */
export const acosh = arccosh;
/** Array-API name of `arctanh`. @example np.atanh([0]) // [0] */
export const atanh = arctanh;

function floatOf(x: ArrayLike, op: string): Tensor {
  const t = asTensor(x, op);
  return t.dtype === "float32" || t.dtype === "float64" || t.dtype === "float16" || t.dtype === "bfloat16" ? t : t.astype("float32");
}

/**
 * Whether each element is +inf (`jnp.isposinf`); false for every integer or bool element.
 * @example np.isposinf([-Infinity, 1, Infinity]) // [false, false, true]
 */
export function isposinf(x: ArrayLike): Tensor {
  const t = asTensor(x, "isposinf");
  return equal(t, Infinity);
}

/**
 * Whether each element is -inf (`jnp.isneginf`); false for every integer or bool element.
 * @example np.isneginf([-Infinity, 1, Infinity]) // [true, false, false]
 */
export function isneginf(x: ArrayLike): Tensor {
  const t = asTensor(x, "isneginf");
  return equal(t, -Infinity);
}

/** Options of {@link cumulativeSum} and {@link cumulativeProd} (keyword-only in JAX). */
export interface CumulativeSumOptions {
  /** The axis; may be omitted only for 0-d and 1-D input. */
  axis?: number;
  dtype?: DType;
  /** Start with the identity (0 or 1): the result is one longer along `axis`. */
  includeInitial?: boolean;
}

function cumulative(op: "cumulativeSum" | "cumulativeProd", x: ArrayLike, options: CumulativeSumOptions | undefined, identity: number, extra: readonly unknown[] = []): Tensor {
  const opts = optionsOf(op, options, op, extra);
  let t = asTensor(x, op);
  // The array API treats a 0-d input as one element (jnp.cumulative_sum(5) is [5]).
  if (t.ndim === 0) t = reshapeRaw(t, [1]);
  if (opts.axis === undefined && t.ndim > 1) throw new ValueError(`${op}: axis must be given for an array of ${t.ndim} dimensions`);
  const axis = normAxis(op, opts.axis ?? 0, t.ndim);
  const r = identity === 0 ? cumsum(t, { axis, dtype: opts.dtype }) : cumprod(t, { axis, dtype: opts.dtype });
  if (!opts.includeInitial) return r;
  const first = fullRaw(r.shape.map((d, i) => (i === axis ? 1 : d)), identity, r.dtype);
  return concatenate([first, r], { axis });
}

/**
 * `jnp.cumulative_sum`: cumsum along `axis` (required beyond 1-D), optionally starting with 0.
 * @example np.cumulativeSum([1, 2, 3], { includeInitial: true }) // [0, 1, 3, 6]
 */
export function cumulativeSum(x: ArrayLike, options?: CumulativeSumOptions, ...extra: undefined[]): Tensor {
  return cumulative("cumulativeSum", x, options, 0, extra);
}

/**
 * `jnp.cumulative_prod`: cumprod along `axis` (required beyond 1-D), optionally starting with 1.
 * @example np.cumulativeProd([1, 2, 3], { includeInitial: true }) // [1, 1, 2, 6]
 */
export function cumulativeProd(x: ArrayLike, options?: CumulativeSumOptions, ...extra: undefined[]): Tensor {
  return cumulative("cumulativeProd", x, options, 1, extra);
}
