/**
 * Activation functions (JAX's `jax.nn` names in camelCase). Each takes anything a Tensor is
 * accepted for and returns a lazy Tensor; integer inputs become float32 where the result is real.
 */
import { DTypeError, IndexError, ShapeError, ValueError, describeValue, isFloat, npUtil } from "@kiln/core";
import { type ArrayLike, type DType, type Tensor, np } from "@kiln/core";
import { erfc, toFloat } from "./special.js";

/**
 * max(x, 0).
 * @example relu([-1, 2]) // [0, 2]
 */
export function relu(x: ArrayLike): Tensor {
  return np.relu(x);
}

/**
 * tanh, elementwise.
 * @example tanh([0]) // [0]
 */
export function tanh(x: ArrayLike): Tensor {
  return np.tanh(x);
}

/**
 * The logistic sigmoid 1 / (1 + exp(-x)).
 * @example sigmoid([0]) // [0.5]
 */
export function sigmoid(x: ArrayLike): Tensor {
  return np.sigmoid(x);
}

/**
 * SiLU (swish): x · sigmoid(x).
 * @example silu([1]) // [0.7310586]
 */
export function silu(x: ArrayLike): Tensor {
  const t = toFloat(x, "silu");
  return t.mul(np.sigmoid(t));
}

export interface GeluOptions {
  /** Use the tanh approximation (default, as `jax.nn.gelu`); `false` gives the exact x·Φ(x). */
  approximate?: boolean;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU. Default: the tanh approximation 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))); with
 * `{ approximate: false }` the exact x·Φ(x) = 0.5x·erfc(−x/√2), accurate to ~1e-7 relative even
 * far in the negative tail.
 * @example gelu([1]) // [0.8411920]
 * @example gelu([1], { approximate: false }) // [0.8413447]
 */
export function gelu(x: ArrayLike, opts: GeluOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("gelu", opts, "gelu", extra);
  const t = toFloat(x, "gelu");
  if (opts.approximate === false) return t.mul(0.5).mul(erfc(t.mul(-Math.SQRT1_2)));
  const inner = t.add(t.mul(t).mul(t).mul(0.044715)).mul(SQRT_2_OVER_PI);
  return t.mul(0.5).mul(np.tanh(inner).add(1));
}

export interface SoftmaxOptions {
  /** The axis (or axes) normalized over; default -1; null: every axis (JAX's None). */
  axis?: number | readonly number[] | null;
}

/** The axes a softmax normalizes over: null is every axis, as JAX's `axis=None`. */
function softmaxAxis(x: ArrayLike, axis: SoftmaxOptions["axis"]): number | readonly number[] {
  if (axis !== null) return axis ?? -1;
  return Array.from({ length: np.asarray(x).ndim }, (_, i) => i);
}

/** x − max(x) over `axis` (the max held constant for gradients): exp never overflows. */
function shifted(x: ArrayLike, axis: number | readonly number[], who: string): Tensor {
  const t = toFloat(x, who);
  // An empty axis has no max (JAX starts the max at -inf); there is nothing to normalize either.
  if (typeof axis !== "number" && !Array.isArray(axis)) throw new IndexError(`${who}: axis must be an integer or an array of integers, got ${describeValue(axis)}`);
  const axes = typeof axis === "number" ? [axis] : axis;
  if (axes.some((a) => t.shape[a < 0 ? a + t.ndim : a] === 0)) return t;
  return t.sub(np.stopGradient(np.max(t, { axis, keepdims: true })));
}

/**
 * exp(x) / sum(exp(x)) over `axis` (default -1), computed from x − max(x) so large logits stay
 * finite.
 * @example softmax([1000, 1000]) // [0.5, 0.5]
 * @example softmax(np.ones([2, 2]), [0, 1]) // JAX's positional axis: every entry 0.25
 */
export function softmax(x: ArrayLike, ...args: npUtil.Positional<"softmax", SoftmaxOptions>): Tensor {
  const opts = npUtil.positionalOptions<SoftmaxOptions>("softmax", args);
  const axis = softmaxAxis(x, opts.axis);
  const e = np.exp(shifted(x, axis, "softmax"));
  return e.div(np.sum(e, { axis, keepdims: true }));
}

/**
 * `jax.nn.logsumexp`: `log(sum(exp(x)))` over `axis`, computed stably (the same function as
 * `np.logsumexp`, reachable where JAX puts it).
 * @example nn.logsumexp(np.array([[0, 0], [1, 1]]), 1) // [0.6931472, 1.6931472]
 */
export const logsumexp = np.logsumexp;

/**
 * log(softmax(x)) over `axis` (default -1), computed as (x − max) − log Σ exp(x − max): exact for
 * large logits where log(softmax(x)) would give −inf.
 * @example logSoftmax([1000, 0]) // [0, -1000]
 */
export function logSoftmax(x: ArrayLike, ...args: npUtil.Positional<"logSoftmax", SoftmaxOptions>): Tensor {
  const opts = npUtil.positionalOptions<SoftmaxOptions>("logSoftmax", args);
  const axis = softmaxAxis(x, opts.axis);
  const s = shifted(x, axis, "logSoftmax");
  return s.sub(np.log(np.sum(np.exp(s), { axis, keepdims: true })));
}

/**
 * max(x, 0) + negativeSlope · min(x, 0) (default slope 0.01, as `jax.nn.leaky_relu`).
 * @example leakyRelu([-2, 3]) // [-0.02, 3]
 */
export function leakyRelu(x: ArrayLike, negativeSlope = 0.01): Tensor {
  const t = toFloat(x, "leakyRelu");
  checkNumber("leakyRelu", "negativeSlope", negativeSlope);
  return np.where(t.ge(0), t, t.mul(negativeSlope));
}

/**
 * x for x > 0, alpha · (exp(x) − 1) otherwise (default alpha 1). The exponential sees only the
 * non-positive part, so a large positive x never gives exp overflow (or a NaN gradient).
 * @example elu([-1, 2]) // [-0.6321206, 2]
 */
export function elu(x: ArrayLike, alpha = 1): Tensor {
  const t = toFloat(x, "elu");
  checkNumber("elu", "alpha", alpha);
  const pos = t.gt(0);
  return np.where(pos, t, np.expm1(np.where(pos, 0, t)).mul(alpha));
}

// The fixed point constants of Klambauer et al. (2017), as jax.nn.selu.
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * Scaled ELU: scale · elu(x, alpha) with Klambauer et al.'s alpha ≈ 1.6733 and scale ≈ 1.0507.
 * @example selu([1]) // [1.0507010]
 */
export function selu(x: ArrayLike): Tensor {
  return elu(toFloat(x, "selu"), SELU_ALPHA).mul(SELU_SCALE);
}

/**
 * log(1 + exp(x)), computed as max(x, 0) + log1p(exp(−|x|)): finite for any x.
 * @example softplus([0, 1000]) // [0.6931472, 1000]
 */
export function softplus(x: ArrayLike): Tensor {
  const t = toFloat(x, "softplus");
  return np.relu(t).add(np.log1p(np.exp(np.negative(np.abs(t)))));
}

/**
 * x / (|x| + 1).
 * @example softSign([1, -3]) // [0.5, -0.75]
 */
export function softSign(x: ArrayLike): Tensor {
  const t = toFloat(x, "softSign");
  return t.div(np.abs(t).add(1));
}

/**
 * x clipped to [−1, 1] (gradient 1 inside, 0 outside).
 * @example hardTanh([-2, 0.5, 3]) // [-1, 0.5, 1]
 */
export function hardTanh(x: ArrayLike): Tensor {
  const t = toFloat(x, "hardTanh");
  return np.where(t.gt(1), 1, np.where(t.lt(-1), -1, t));
}

/**
 * Mish: x · tanh(softplus(x)).
 * @example mish([1]) // [0.8650984]
 */
export function mish(x: ArrayLike): Tensor {
  const t = toFloat(x, "mish");
  return t.mul(np.tanh(softplus(t)));
}

/**
 * log(1 − exp(−x)) for x > 0, as `jax.nn.log1mexp`: log(−expm1(−x)) for small x and
 * log1p(−exp(−x)) above log 2, each where it is accurate (Mächler 2012). x = 0 gives −inf, x < 0 NaN.
 * @example log1mexp([1e-10, 50]) // [-23.02585, -1.9287e-22]
 */
export function log1mexp(x: ArrayLike): Tensor {
  const t = toFloat(x, "log1mexp");
  const big = t.gt(Math.LN2);
  // Each branch gets an argument where it is finite, so the unused one adds no NaN to the gradient.
  const small = np.log(np.negative(np.expm1(np.negative(np.where(big, 1, t)))));
  const large = np.log1p(np.negative(np.exp(np.negative(np.where(big, t, 1)))));
  return np.where(big, large, small);
}

export interface AxisOptions {
  /** The axis; default -1. */
  axis?: number;
}

function axisOf(who: string, t: Tensor, axis: unknown): number {
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -t.ndim || axis >= t.ndim) {
    throw new IndexError(`${who}: axis ${typeof axis === "number" ? axis : describeValue(axis)} is out of bounds for an input of rank ${t.ndim}`);
  }
  return axis < 0 ? axis + t.ndim : axis;
}

/**
 * Gated linear unit: `x` split in two halves a, b along `axis` (default -1), a · sigmoid(b).
 * The axis must have an even size.
 * @example glu([1, 2, 0, 100]) // [0.5, 2]
 */
export function glu(x: ArrayLike, opts: AxisOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("glu", opts, "glu", extra);
  const t = toFloat(x, "glu");
  const ax = axisOf("glu", t, opts.axis ?? -1);
  const n = t.shape[ax]!;
  if (n % 2 !== 0) throw new ShapeError(`glu: axis ${ax} must have an even size to split in two, got shape [${t.shape.join(", ")}]`);
  const half = (start: number) => np.take(t, np.arange(start, start + n / 2, { dtype: "int32" }), { axis: ax });
  return half(0).mul(np.sigmoid(half(n / 2)));
}

export interface StandardizeOptions {
  /** The axis (or axes) normalized over; default -1. */
  axis?: number | readonly number[];
  /** A precomputed mean (broadcastable to x with the axes kept); default the mean over `axis`. */
  mean?: ArrayLike;
  /** A precomputed variance (broadcastable likewise); default the (biased) variance over `axis`. */
  variance?: ArrayLike;
  /** Added to the variance before the square root; default 1e-5. */
  epsilon?: number;
}

/**
 * (x − mean) / √(variance + epsilon) over `axis` (default -1), as `jax.nn.standardize`. The
 * variance is the biased mean((x − mean)²) (JAX's E[x²] − E[x]² form cancels for large means).
 * @example standardize([1, 3]) // [-0.999995, 0.999995]
 */
export function standardize(x: ArrayLike, opts: StandardizeOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("standardize", opts, "standardize", extra);
  const t = toFloat(x, "standardize");
  const axis = opts.axis ?? -1;
  const axes = typeof axis === "number" ? [axis] : axis;
  if (!Array.isArray(axes)) throw new IndexError(`standardize: axis must be an integer or an array of integers, got ${describeValue(axis)}`);
  axes.forEach((a) => axisOf("standardize", t, a));
  const eps = opts.epsilon ?? 1e-5;
  checkNumber("standardize", "epsilon", eps);
  const mean = opts.mean !== undefined ? npUtil.asTensor(opts.mean, "standardize") : np.mean(t, { axis, keepdims: true });
  const centered = t.sub(mean);
  const variance = opts.variance !== undefined ? npUtil.asTensor(opts.variance, "standardize") : np.mean(np.square(centered), { axis, keepdims: true });
  return centered.mul(np.rsqrt(variance.add(eps)));
}

export interface OneHotOptions {
  /** The result's dtype; default float32. */
  dtype?: DType;
  /** Where the class axis goes in the result; default -1 (last). */
  axis?: number;
}

/**
 * One-hot encoding of integer labels: result[..., c] = (labels[...] == c) for c in [0, numClasses),
 * as `jax.nn.one_hot`; a label outside [0, numClasses) gives a row of zeros.
 * @example oneHot(np.array([0, 2], { dtype: "int32" }), 3) // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(labels: ArrayLike, numClasses: number, opts: OneHotOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("oneHot", opts, "oneHot", extra);
  const y = npUtil.asTensor(labels, "oneHot");
  if (!Number.isInteger(numClasses) || numClasses < 0) throw new ValueError(`oneHot: numClasses must be a non-negative integer, got ${describeValue(numClasses)}`);
  if (isFloat(y.dtype) || y.dtype === "bool") throw new DTypeError(`oneHot: labels must be integers (int32), got ${y.dtype}`);
  const axis = opts.axis ?? -1;
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -(y.ndim + 1) || axis > y.ndim) {
    throw new IndexError(`oneHot: axis ${typeof axis === "number" ? axis : describeValue(axis)} is out of bounds for a result of rank ${y.ndim + 1}`);
  }
  const ax = axis < 0 ? axis + y.ndim + 1 : axis;
  const iotaShape = Array.from({ length: y.ndim + 1 }, (_, i) => (i === ax ? numClasses : 1));
  const hit = np.equal(np.expandDims(y, ax), np.arange(numClasses, { dtype: y.dtype }).reshape(iotaShape));
  return np.astype(hit, opts.dtype ?? "float32");
}

function checkNumber(who: string, name: string, v: unknown): void {
  if (typeof v !== "number" || Number.isNaN(v)) throw new ValueError(`${who}: ${name} must be a number, got ${describeValue(v)}`);
}
