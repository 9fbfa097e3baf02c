/**
 * `jax.lax.reduce_window` for the four monoids (max, min, sum, product), as a composition:
 * base dilation and padding with the init value, one strided slice per window offset (all of the
 * output's shape), and a balanced tree of elementwise combines over those slices. It is all
 * movement and elementwise ops, so a pooling layer is one fused kernel, not a reduction over a
 * materialized patch tensor.
 *
 * max/min combine with a select that keeps the earlier operand on ties (`right` wins only when
 * strictly greater/less, or NaN over non-NaN), so the gradient of a window flows to the first
 * maximal element — JAX's `_reduce_window_chooser_jvp_rule` / select-and-scatter, not the equal
 * split that `np.max` uses — and NaN propagates.
 */
import { isFloat } from "../dtype.js";
import { DTypeError, ValueError, describeValue } from "../errors.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { add, maximum, minimum, multiply } from "../np/elementwise.js";
import { apply, asTensor, fullRaw } from "../np/util.js";
import { type Padding, dilateAxis, dilatedSize, padSigned, padsOf, positiveInts, windowCount, windowSlices } from "./conv-geometry.js";

/** The monoids `reduceWindow` accepts by name. */
export type WindowComputation = "max" | "min" | "sum" | "prod";

/** A monoid by name, or one of `np.maximum`, `np.minimum`, `np.add`, `np.multiply` (recognized by identity). */
export type WindowComputationLike = WindowComputation | ((a: ArrayLike, b: ArrayLike) => Tensor);

const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;

interface Monoid {
  /** The identity per dtype class: an init value equal to it is not combined in. */
  readonly identity: { readonly float: number; readonly int: number };
  readonly combine: (left: Tensor, right: Tensor) => Tensor;
}

/** `right` if it beats `left` strictly (or is NaN where `left` is not), else `left`: ties keep the first. */
function chooser(beats: "gt" | "lt"): (left: Tensor, right: Tensor) => Tensor {
  return (left, right) => {
    let pick = apply(beats, [right, left], {});
    if (isFloat(left.dtype)) {
      const nanOverNumber = apply("and", [apply("isnan", [right], {}), apply("not", [apply("isnan", [left], {})], {})], {});
      pick = apply("or", [pick, nanOverNumber], {});
    }
    return apply("select", [pick, right, left], {});
  };
}

const MONOIDS: { readonly [C in WindowComputation]: Monoid } = {
  max: { identity: { float: -Infinity, int: INT32_MIN }, combine: chooser("gt") },
  min: { identity: { float: Infinity, int: INT32_MAX }, combine: chooser("lt") },
  sum: { identity: { float: 0, int: 0 }, combine: (a, b) => apply("add", [a, b], {}) },
  prod: { identity: { float: 1, int: 1 }, combine: (a, b) => apply("mul", [a, b], {}) },
};

function computationOf(op: string, c: unknown): WindowComputation {
  if (c === "max" || c === maximum) return "max";
  if (c === "min" || c === minimum) return "min";
  if (c === "sum" || c === add) return "sum";
  if (c === "prod" || c === multiply) return "prod";
  throw new ValueError(`${op}: computation must be "max", "min", "sum", "prod" or one of np.maximum, np.minimum, np.add, np.multiply, got ${describeValue(c)}`);
}

/** Combines adjacent pairs level by level; the left operand always precedes the right in window order. */
function combineTree(xs: Tensor[], combine: (l: Tensor, r: Tensor) => Tensor): Tensor {
  while (xs.length > 1) {
    const next: Tensor[] = [];
    for (let i = 0; i + 1 < xs.length; i += 2) next.push(combine(xs[i]!, xs[i + 1]!));
    if (xs.length % 2) next.push(xs[xs.length - 1]!);
    xs = next;
  }
  return xs[0]!;
}

/** The most window offsets reduceWindow reduces (one slice each). */
const MAX_WINDOW = 2 ** 20;

/**
 * Reduces every window of `x` with a monoid — `jax.lax.reduce_window`. Windows have
 * `windowDimensions` (one size per axis of `x`, dilated by `windowDilation`), move by
 * `windowStrides` (default 1s) over `x` dilated by `baseDilation` (holes hold `initValue`) and
 * padded with `initValue` ("VALID" by default; "SAME"/"SAME_LOWER" pad from the undilated shape
 * and the dilated window, as JAX; explicit `[lo, hi]` pairs may be negative). Each output is
 * `initValue ⊕ window elements`. Differentiable (max/min: the gradient goes to the first
 * extreme element of each window, as JAX) and batched by `vmap`. A window wider than the padded
 * operand gives an empty result; one of more than 2^20 elements is a `ValueError`.
 *
 * Pooling, as `flax.linen.max_pool`/`avg_pool` do it (kiln's nn builds on this):
 * max pooling is `reduceWindow(x, -Infinity, "max", [1, 1, 2, 2], [1, 1, 2, 2])` on NCHW;
 * average pooling is the "sum" window divided by the window size, or, to exclude padding from the
 * count, by the "sum" window of `np.onesLike(x)` with the same arguments.
 * @example
 * const x = np.arange(16).reshape([1, 1, 4, 4]);
 * lax.reduceWindow(x, -Infinity, "max", [1, 1, 2, 2], [1, 1, 2, 2]);   // [[[[5, 7], [13, 15]]]]
 * lax.reduceWindow(np.arange(10), 1, np.multiply, [2]);                // [0, 2, 6, ..., 72]
 * lax.reduceWindow(x, 0, "sum", [1, 1, 3, 3], [1, 1, 1, 1], "SAME").shape; // [1, 1, 4, 4]
 */
export function reduceWindow(
  x: ArrayLike, initValue: number, computation: WindowComputationLike, windowDimensions: readonly number[],
  windowStrides?: readonly number[], padding: Padding = "VALID",
  baseDilation?: readonly number[], windowDilation?: readonly number[],
): Tensor {
  const op = "reduceWindow";
  const t = asTensor(x, op);
  const name = computationOf(op, computation);
  if (t.dtype === "bool") throw new DTypeError(`${op}: bool operands are not supported; cast first`);
  if (typeof initValue !== "number") throw new ValueError(`${op}: initValue must be a number, got ${describeValue(initValue)}`);
  const float = isFloat(t.dtype);
  if (!float && !(Number.isInteger(initValue) && initValue >= INT32_MIN && initValue <= INT32_MAX)) {
    throw new ValueError(`${op}: initValue ${initValue} is not an int32 (the operand's dtype); the max identity is ${INT32_MIN}, the min identity ${INT32_MAX}`);
  }
  const rank = t.ndim;
  const window = positiveInts(op, "windowDimensions", windowDimensions, rank, null);
  const strides = positiveInts(op, "windowStrides", windowStrides, rank);
  const baseDil = positiveInts(op, "baseDilation", baseDilation, rank);
  const winDil = positiveInts(op, "windowDilation", windowDilation, rank);
  const axes = t.shape.map((_, i) => i);
  const pads = padsOf(op, padding, t.shape, window.map((k, i) => dilatedSize(k, winDil[i]!)), strides);

  let y = t;
  axes.forEach((a) => (y = dilateAxis(y, a, baseDil[a]!, initValue)));
  y = padSigned(op, y, axes, pads, initValue);
  // The window is reduced as one strided slice per window offset: an empty output needs none (a
  // window wider than the padded input used to build its 10^12 slices), a huge window is refused.
  const outSizes = axes.map((a) => windowCount(y.shape[a]!, dilatedSize(window[a]!, winDil[a]!), strides[a]!));
  if (outSizes.includes(0)) return fullRaw(outSizes, initValue, t.dtype);
  const offsets = window.reduce((p, k) => p * k, 1);
  if (offsets > MAX_WINDOW) {
    throw new ValueError(`${op}: a window of ${offsets} elements (windowDimensions [${window.join(", ")}]) is more than the ${MAX_WINDOW} (2^20) reduceWindow reduces; reduce over whole axes with np.sum/np.max instead`);
  }
  const { slices } = windowSlices(y, axes, window, strides, winDil);
  const monoid = MONOIDS[name];
  const identity = float ? monoid.identity.float : monoid.identity.int;
  const reduced = combineTree(slices, monoid.combine);
  if (initValue === identity) return reduced;
  return monoid.combine(fullRaw(reduced.shape, initValue, t.dtype), reduced);
}
