/**
 * `np.unwrap`: phase unwrapping as `jnp.unwrap`, a composition of existing primitives (diff, a floor
 * remainder, a cumulative sum), so it is differentiable (the correction is piecewise constant),
 * batchable and jittable with no host loop over the data.
 */
import { isFloat } from "../dtype.js";
import { ValueError, describeValue } from "../errors.js";
import { normAxis } from "../shape.js";
import type { ArrayLike, Tensor } from "../tensor.js";
import { abs, add, equal, greater, less, logicalAnd, remainder, subtract, where } from "./elementwise.js";
import { cumsum } from "./reduce.js";
import { concatenate } from "./shape.js";
import { sliceAxis } from "./compose-helpers.js";
import { asTensor, astypeRaw, optionsOf } from "./util.js";
import { type Positional, positionalOptions } from "./positional.js";

/** Options of `unwrap`. */
export interface UnwrapOptions {
  /** Jumps with |Δ| below this are kept (default and minimum effective value: period / 2). */
  readonly discont?: number;
  /** The axis to unwrap along (default -1). */
  readonly axis?: number;
  /** The period of the values (default 2π). */
  readonly period?: number;
}

/**
 * Unwraps `p` along `axis`: wherever consecutive values jump by more than `discont` (and at least
 * period/2), adds the multiple of `period` that brings the jump into [−period/2, period/2], as
 * `jnp.unwrap` (integer and bool inputs compute in float32). The first value is unchanged.
 * @example np.unwrap([0, 3, 6.5, 0.5]) // [0, 3, 6.5 − 2π, 0.5] ≈ [0, 3, 0.2168, 0.5]
 * @example np.unwrap([0, 1, 4, 9], { period: 4 }) // [0, 1, 0, 1]
 * @example np.unwrap([0, 1, 4, 9], null, -1, 4) // NumPy order discont, axis, period: the same
 */
export function unwrap(p: ArrayLike, ...args: Positional<"unwrap", UnwrapOptions>): Tensor {
  const op = "unwrap";
  const { discont, axis, period = 2 * Math.PI } = positionalOptions<UnwrapOptions>(op, args);
  if (typeof period !== "number" || !Number.isFinite(period) || period <= 0) {
    throw new ValueError(`${op}: period must be a finite positive number, got ${describeValue(period)}`);
  }
  if (discont !== undefined && (typeof discont !== "number" || Number.isNaN(discont))) {
    throw new ValueError(`${op}: discont must be a number, got ${describeValue(discont)}`);
  }
  let t = asTensor(p, op);
  if (!isFloat(t.dtype)) t = astypeRaw(t, "float32");
  if (t.ndim === 0) throw new ValueError(`${op}: needs an array of at least one dimension, got a 0-d array`);
  const ax = normAxis(op, axis ?? -1, t.ndim);
  const len = t.shape[ax]!;
  if (len < 2) return t;
  const half = period / 2;
  const dd = subtract(sliceAxis(t, ax, 1, len), sliceAxis(t, ax, 0, len - 1));
  // The jump brought into [−half, half); a jump of exactly +half stays +half (JAX and NumPy).
  let ddmod = subtract(remainder(add(dd, half), period), half);
  ddmod = where(logicalAnd(equal(ddmod, -half), greater(dd, 0)), half, ddmod);
  const correction = where(less(abs(dd), discont ?? half), 0, subtract(ddmod, dd));
  return concatenate([sliceAxis(t, ax, 0, 1), add(sliceAxis(t, ax, 1, len), cumsum(correction, { axis: ax }))], { axis: ax });
}
