/**
 * Activation functions (JAX's `jax.nn` names in camelCase). Each takes anything a Tensor is
 * accepted for and returns a lazy Tensor; integer inputs become float32 where the result is real.
 */
import { IndexError, describeValue, npUtil } from "@kiln/core";
import { type ArrayLike, type Tensor, np } from "@kiln/core";
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
export function gelu(x: ArrayLike, opts: GeluOptions = {}): Tensor {
  opts = npUtil.optionsOf("gelu", opts);
  const t = toFloat(x, "gelu");
  if (opts.approximate === false) return t.mul(0.5).mul(erfc(t.mul(-Math.SQRT1_2)));
  const inner = t.add(t.mul(t).mul(t).mul(0.044715)).mul(SQRT_2_OVER_PI);
  return t.mul(0.5).mul(np.tanh(inner).add(1));
}

export interface SoftmaxOptions {
  /** The axis (or axes) normalized over; default -1. */
  axis?: number | readonly number[];
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
 */
export function softmax(x: ArrayLike, opts: SoftmaxOptions = {}): Tensor {
  opts = npUtil.optionsOf("softmax", opts);
  const axis = opts.axis ?? -1;
  const e = np.exp(shifted(x, axis, "softmax"));
  return e.div(np.sum(e, { axis, keepdims: true }));
}

/**
 * log(softmax(x)) over `axis` (default -1), computed as (x − max) − log Σ exp(x − max): exact for
 * large logits where log(softmax(x)) would give −inf.
 * @example logSoftmax([1000, 0]) // [0, -1000]
 */
export function logSoftmax(x: ArrayLike, opts: SoftmaxOptions = {}): Tensor {
  opts = npUtil.optionsOf("logSoftmax", opts);
  const axis = opts.axis ?? -1;
  const s = shifted(x, axis, "logSoftmax");
  return s.sub(np.log(np.sum(np.exp(s), { axis, keepdims: true })));
}
