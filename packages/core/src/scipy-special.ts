/**
 * `scipySpecial`: SciPy's special functions as `jax.scipy.special` spells them (camelCase), over
 * lazy Tensors. Unlike `lax`, these promote as NumPy does (int32 and bool become float32), and
 * broadcast their operands. Each is a primitive (`erf`, `gammaln`, …: the rows of
 * ir/elementwise.ts) or a short composition of primitives chosen for accuracy in the tails
 * (`ndtr` through erfc, `ndtri` through Newton steps on log ndtr). Deviations from JAX are listed in
 * docs/special.md.
 */
import { isFloat } from "./dtype.js";
import { ValueError } from "./errors.js";
import * as lax from "./lax/special.js";
import {
  abs, add, divide, equal, exp, isfinite, less, log, log1p, multiply, negative, sign, sqrt, square, stopGradient, subtract, where,
} from "./np/elementwise.js";
import { type AxisOr, logsumexp as npLogsumexp } from "./np/reduce.js";
import { apply, asTensor, astypeRaw, optionsOf, prepareOperands, reshapeRaw } from "./np/util.js";
import { broadcastShapes, normAxes } from "./shape.js";
import { broadcastTo } from "./np/shape.js";
import { onesLike } from "./np/creation.js";
import type { ArrayLike, Tensor } from "./tensor.js";

/** A float Tensor (int32 and bool become float32, as SciPy's float loops). */
function toFloat(x: ArrayLike, op: string): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? t : astypeRaw(t, "float32");
}

/** Two operands promoted to one float dtype (broadcasting is left to the np functions). */
function floatPair(op: string, a: ArrayLike, b: ArrayLike): [Tensor, Tensor] {
  const { ts, dtype } = prepareOperands(op, [a, b]);
  const f = isFloat(dtype) ? dtype : "float32";
  return [astypeRaw(ts[0]!, f), astypeRaw(ts[1]!, f)];
}

/**
 * The error function. @example scipySpecial.erf([0, 1]) // [0, 0.8427008]
 */
export const erf = (x: ArrayLike): Tensor => lax.erf(toFloat(x, "erf"));

/**
 * The complementary error function 1 − erf(x). @example scipySpecial.erfc([0, 3]) // [1, 2.2090497e-5]
 */
export const erfc = (x: ArrayLike): Tensor => lax.erfc(toFloat(x, "erfc"));

/**
 * The inverse error function: ±inf at ±1, NaN outside [-1, 1]. @example scipySpecial.erfinv([0.5]) // [0.4769363]
 */
export const erfinv = (x: ArrayLike): Tensor => lax.erfInv(toFloat(x, "erfinv"));

/**
 * log |Γ(x)|: +inf at the poles (0, −1, −2, …). @example scipySpecial.gammaln([0.5, 3]) // [0.5723649, 0.6931472]
 */
export const gammaln = (x: ArrayLike): Tensor => lax.lgamma(toFloat(x, "gammaln"));

/**
 * The digamma function ψ (SciPy's `psi`): ψ(±0) = ∓inf, NaN at the negative integers.
 * @example scipySpecial.digamma([1]) // [-0.5772157]
 */
export const digamma = (x: ArrayLike): Tensor => lax.digamma(toFloat(x, "digamma"));

/**
 * e^{-|x|} I₀(x), the exponentially scaled modified Bessel function of order 0.
 * @example scipySpecial.i0e([0, 1]) // [1, 0.4657596]
 */
export const i0e = (x: ArrayLike): Tensor => lax.besselI0e(toFloat(x, "i0e"));

/**
 * e^{-|x|} I₁(x), the exponentially scaled modified Bessel function of order 1.
 * @example scipySpecial.i1e([0, 1]) // [0, 0.2079104]
 */
export const i1e = (x: ArrayLike): Tensor => lax.besselI1e(toFloat(x, "i1e"));

/**
 * The logistic sigmoid 1 / (1 + e^{-x}). @example scipySpecial.expit([0]) // [0.5]
 */
export const expit = (x: ArrayLike): Tensor => {
  const t = toFloat(x, "expit");
  return apply("logistic", [t], {}, t.weak);
};

/**
 * The inverse of expit, log(p / (1 − p)): ∓inf at 0 and 1, NaN outside [0, 1].
 * @example scipySpecial.logit([0.5, 0.75]) // [0, 1.0986123]
 */
export const logit = (x: ArrayLike): Tensor => {
  const p = toFloat(x, "logit");
  return log(divide(p, subtract(1, p)));
};

/**
 * x · log(y), 0 where x = 0 (whatever y is, NaN included), as SciPy.
 * @example scipySpecial.xlogy([0, 2], [0, 3]) // [0, 2.1972246]
 */
export function xlogy(x: ArrayLike, y: ArrayLike): Tensor {
  const [a, b] = floatPair("xlogy", x, y);
  const zero = equal(a, 0);
  // y is replaced by 1 where x = 0, so that neither the value nor the gradient sees log(0) · 0.
  return where(zero, 0, multiply(a, log(where(zero, 1, b))));
}

/**
 * x · log(1 + y), 0 where x = 0, as SciPy.
 * @example scipySpecial.xlog1py([0, 2], [-1, 1]) // [0, 1.3862944]
 */
export function xlog1py(x: ArrayLike, y: ArrayLike): Tensor {
  const [a, b] = floatPair("xlog1py", x, y);
  const zero = equal(a, 0);
  return where(zero, 0, multiply(a, log1p(where(zero, 0, b))));
}

/**
 * log |B(a, b)| = gammaln(a) + gammaln(b) − gammaln(a + b) (which cancels when one argument is
 * much larger than the other: docs/special.md, deviations).
 * @example scipySpecial.betaln([1, 2], [1, 3]) // [0, -2.4849067] (log 1/12)
 */
export function betaln(a: ArrayLike, b: ArrayLike): Tensor {
  const [x, y] = floatPair("betaln", a, b);
  return subtract(add(gammaln(x), gammaln(y)), gammaln(add(x, y)));
}

const SQRT1_2 = Math.SQRT1_2;

/**
 * The standard normal CDF Φ(x) = erfc(−x/√2) / 2, through erfc in both tails so that Φ(−10) ≈
 * 7.6e-24 keeps its relative accuracy (as JAX's ndtr).
 * @example scipySpecial.ndtr([0, -10]) // [0.5, 7.619853e-24]
 */
export function ndtr(x: ArrayLike): Tensor {
  const t = toFloat(x, "ndtr");
  const z = multiply(abs(t), SQRT1_2);
  // |x| < 1: 1 + erf(x/√2); beyond, erfc(|x|/√2) or 2 − erfc(|x|/√2).
  const y = where(less(z, SQRT1_2), add(1, erf(multiply(t, SQRT1_2))), where(less(t, 0), erfc(z), subtract(2, erfc(z))));
  return multiply(0.5, y);
}

/** c[0] + c[1] u + … on Tensors. */
function horner(u: Tensor, c: readonly number[]): Tensor {
  let p: Tensor = add(multiply(u, 0), c[c.length - 1]!);
  for (let i = c.length - 2; i >= 0; i--) p = add(multiply(p, u), c[i]!);
  return p;
}

// Abramowitz & Stegun 26.2.23: the lower-tail quantile to 4.5e-4 absolute, t = √(−2 log q).
const AS_NUM = [2.515517, 0.802853, 0.010328];
const AS_DEN = [1, 1.432788, 0.189269, 0.001308];

/**
 * The inverse of ndtr (the standard normal quantile): −inf at 0, +inf at 1, NaN outside [0, 1].
 * For q = min(p, 1 − p) (1 − p is exact for p ≥ 1/2): Abramowitz & Stegun's rational start, then
 * three Newton steps on log ndtr(x) = log q — in log space, so that they converge deep in the
 * tail (q = 1e-300) and the residual keeps its relative accuracy; 2q − 1 (which rounds to −1 for
 * tiny q, the erfinv route) is never formed.
 * @example scipySpecial.ndtri([0.5, 0.975, 1e-10]) // [0, 1.959964, -6.361341]
 */
export function ndtri(p: ArrayLike): Tensor {
  const t = toFloat(p, "ndtri");
  const q = where(less(t, 0.5), t, subtract(1, t));
  const edge = equal(q, 0);
  const safe = where(edge, 0.25, q); // q = 0 is −inf below; keep the steps finite
  const s = sqrt(multiply(-2, log(safe)));
  let x = subtract(divide(horner(s, AS_NUM), horner(s, AS_DEN)), s);
  const logQ = log(safe);
  for (let i = 0; i < 3; i++) {
    // x − (log Φ(x) − log q) · Φ(x) / φ(x), φ(x) = e^{-x²/2} / √(2π).
    const cdf = ndtr(x);
    const pdf = multiply(exp(multiply(-0.5, square(x))), 1 / Math.sqrt(2 * Math.PI));
    x = subtract(x, multiply(subtract(log(cdf), logQ), divide(cdf, pdf)));
  }
  x = where(edge, -Infinity, where(equal(q, 0.5), 0, x));
  return where(less(t, 0.5), x, subtract(0, x));
}

/** Options of {@link logsumexp}: JAX's `axis`, `b`, `keepdims` and `return_sign`. */
export interface LogsumexpOptions {
  readonly axis?: number | readonly number[] | null;
  /** Weights: log Σ b · e^a. Entries with b = 0 are left out (an a of +inf there does not count). */
  readonly b?: ArrayLike;
  readonly keepdims?: boolean;
  /** Return [log |Σ b e^a|, sign(Σ b e^a)] instead of NaN where the sum is negative. */
  readonly returnSign?: boolean;
}

/**
 * log Σ b · e^a over `axis`, computed stably (the maximum is shifted out first): JAX's
 * `logsumexp(a, axis, b, keepdims, return_sign)`. Without `returnSign`, a negative weighted sum is
 * NaN; with it, the result is `[log |sum|, sign(sum)]`.
 * @example scipySpecial.logsumexp([1000, 1000]) // 1000.6931
 * @example scipySpecial.logsumexp([0, 0], { b: [1, -2], returnSign: true }) // [0, -1]
 */
export function logsumexp(a: ArrayLike, opts: LogsumexpOptions & { returnSign: true }): [Tensor, Tensor];
export function logsumexp(a: ArrayLike, opts?: AxisOr<LogsumexpOptions & { returnSign?: false }>): Tensor;
export function logsumexp(a: ArrayLike, opts?: AxisOr<LogsumexpOptions>): Tensor | [Tensor, Tensor];
export function logsumexp(a: ArrayLike, options?: AxisOr<LogsumexpOptions>): Tensor | [Tensor, Tensor] {
  const opts: LogsumexpOptions = options === null || typeof options === "number" || Array.isArray(options) ? { axis: options as number | number[] | null } : optionsOf("scipySpecial.logsumexp", options as LogsumexpOptions | undefined, "logsumexp");
  if (opts.returnSign !== undefined && typeof opts.returnSign !== "boolean") throw new ValueError(`logsumexp: returnSign must be a boolean, got ${String(opts.returnSign)}`);
  const keepdims = opts.keepdims ?? false;
  if (opts.b === undefined && !opts.returnSign) return npLogsumexp(a, { axis: opts.axis ?? undefined, keepdims });
  let x = toFloat(a, "logsumexp");
  let w: Tensor;
  if (opts.b === undefined) w = onesLike(x);
  else {
    [x, w] = floatPair("logsumexp", x, opts.b);
    // Broadcast both to one shape, and leave out the entries whose weight is 0 (JAX: a = −inf there).
    const shape = broadcastShapes("logsumexp", x.shape, w.shape);
    x = broadcastTo(x, shape);
    w = broadcastTo(w, shape);
    x = where(equal(w, 0), -Infinity, x);
  }
  const axes = normAxes("logsumexp", opts.axis ?? undefined, x.ndim);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const m = reshapeRaw(apply("reduceMax", [x], { axes }), keptShape);
  // An infinite (or NaN) maximum cannot be subtracted: shift by 0 there, and exp/log give the limit.
  const shift = stopGradient(where(isfinite(m), m, 0));
  const s = reshapeRaw(apply("reduceSum", [multiply(w, exp(subtract(x, shift)))], { axes }), keptShape);
  const sgn = sign(s);
  let out = add(log(abs(s)), shift);
  if (!opts.returnSign) out = where(less(sgn, 0), NaN, out);
  const shaped = (t: Tensor) => (keepdims ? t : reshapeRaw(t, x.shape.filter((_, i) => !axes.includes(i))));
  return opts.returnSign ? [shaped(out), shaped(sgn)] : shaped(out);
}
