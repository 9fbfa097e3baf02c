/**
 * Order statistics: `quantile`, `percentile`, `median` and their NaN-ignoring forms, as NumPy's
 * (and JAX's) with the five classic methods. One code path for all six: sort along the reduced
 * axes (merged into one, NaN sorts last), count the values that take part (all of them, or the
 * non-NaN ones), and interpolate between the order statistics around `q · (count - 1)`. The
 * count is a Tensor, so the positions are computed in the graph and the functions trace under
 * jit and vmap; nothing is read back.
 */
import { isFloat } from "../dtype.js";
import { ValueError, describeValue } from "../errors.js";
import { normAxes } from "../shape.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import {
  add, astype, equal, floor, greater, greaterEqual, isnan, logicalAnd, logicalNot, logicalOr, maximum, minimum, multiply,
  remainder, subtract, where,
} from "./elementwise.js";
import { any, sum } from "./reduce.js";
import { transpose } from "./shape.js";
import { takeAlongAxis } from "./indexing.js";
import { sort } from "./sort.js";
import { array } from "./creation.js";
import { asTensor, astypeRaw, fullRaw, optionsOf, reshapeRaw } from "./util.js";

/** NumPy's discontinuous and continuous methods of choosing between two order statistics. */
export type QuantileMethod = "linear" | "lower" | "higher" | "nearest" | "midpoint";

export interface QuantileOptions {
  /** The axis or axes to reduce (absent or null: all, flattened). Negative axes count from the end. */
  axis?: number | readonly number[] | null;
  keepdims?: boolean;
  /** Default "linear" (NumPy's default, type 7 of Hyndman and Fan). */
  method?: QuantileMethod;
}

/**
 * How each method picks a value from the order statistics `lo` and `hi` around the fractional
 * position `lo + g`. `odd` marks an odd `lo`: "nearest" rounds a tie (g = 0.5) to the even index,
 * as NumPy does.
 */
const METHODS: { readonly [M in QuantileMethod]: (lo: Tensor, hi: Tensor, g: Tensor, odd: Tensor) => Tensor } = {
  linear: lerp,
  lower: (lo) => lo,
  higher: (lo, hi, g) => where(greater(g, 0), hi, lo),
  nearest: (lo, hi, g, odd) => where(logicalOr(greater(g, 0.5), logicalAnd(equal(g, 0.5), odd)), hi, lo),
  // JAX's (lo + hi) / 2, which is also NumPy's median (a mean of the middle pair): the median of
  // [1, inf, inf] is inf, where NumPy's quantile midpoint (a lerp) gives inf - inf = NaN.
  midpoint: (lo, hi, g) => where(greater(g, 0), multiply(add(lo, hi), 0.5), lo),
};

/** NumPy's `_lerp`: from the nearer end, so g = 1 gives `hi` exactly and the result is monotonic. */
function lerp(lo: Tensor, hi: Tensor, g: Tensor): Tensor {
  const d = subtract(hi, lo);
  return where(greaterEqual(g, 0.5), subtract(hi, multiply(d, subtract(1, g))), add(lo, multiply(d, g)));
}

/** The shared body; `o` is already checked by the public function (median adds its own method). */
function quantiles(op: string, x: ArrayLike, q: number | readonly number[], o: QuantileOptions, skipNan: boolean, scale = 1): Tensor {
  const method = o.method ?? "linear";
  if (!Object.hasOwn(METHODS, method)) throw new ValueError(`${op}: method must be one of ${Object.keys(METHODS).join(", ")}, got ${describeValue(method)}`);
  if (typeof q !== "number" && !Array.isArray(q)) throw new ValueError(`${op}: q must be a number or an array of numbers, got ${describeValue(q)}`);
  const qs = (typeof q === "number" ? [q] : [...q]).map((v) => {
    if (typeof v !== "number" || !(v / scale >= 0 && v / scale <= 1)) {
      throw new ValueError(`${op}: q must be in [0, ${scale}], got ${describeValue(v)}`);
    }
    return v / scale;
  });
  let t = asTensor(x, op);
  if (!isFloat(t.dtype)) t = astypeRaw(t, "float32");
  const axes = normAxes(op, o.axis, t.ndim);
  const kept = t.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const n = axes.reduce((p, a) => p * t.shape[a]!, 1);
  // The reduced axes last, merged: one sort along the last axis.
  const flat = reshapeRaw(transpose(t, [...kept, ...axes]), [...kept.map((i) => t.shape[i]!), n]);
  const sorted = sort(flat, { axis: -1 });
  const nan = isnan(flat);
  const count = skipNan ? sum(logicalNot(nan), { axis: -1, keepdims: true }) : null;
  const last = count ? subtract(astype(count, t.dtype), 1) : n - 1;
  // Positions [..., Q] in the sorted values; an empty slice (last = -1) reads index 0 and is NaN below.
  const qT = reshapeRaw(array(qs, { dtype: t.dtype }), [...kept.map(() => 1), qs.length]);
  const pos = multiply(qT, last);
  const below = maximum(floor(pos), 0);
  const g = subtract(pos, below);
  const loIdx = astype(below, "int32");
  const hiIdx = astype(maximum(minimum(add(below, 1), last), 0), "int32");
  let r: Tensor;
  // Every slice empty: NaN in each (kept axes may be non-empty: quantile over axis 1 of [3, 0]).
  if (n === 0) r = add(multiply(pos, NaN), fullRaw([...kept.map((i) => t.shape[i]!), 1], 0, t.dtype));
  else {
    const lo = takeAlongAxis(sorted, loIdx, -1), hi = takeAlongAxis(sorted, hiIdx, -1);
    r = METHODS[method](lo, hi, g, equal(remainder(loIdx, 2), 1));
    // NumPy: a NaN anywhere in the slice makes the quantile NaN; the nan* forms are NaN only
    // when nothing is left.
    r = where(count ? equal(count, 0) : any(nan, { axis: -1, keepdims: true }), NaN, r);
  }
  // [..., Q] → [Q, ...kept] (or the kept shape with 1s where the reduced axes were).
  const outShape = o.keepdims ? t.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((i) => t.shape[i]!);
  r = transpose(r, [r.ndim - 1, ...Array.from({ length: r.ndim - 1 }, (_, i) => i)]);
  return reshapeRaw(r, typeof q === "number" ? outShape : [qs.length, ...outShape]);
}

/**
 * The `q`-th quantile(s) over `axis` (NumPy/JAX `quantile`), q in [0, 1]: a number gives the
 * reduced shape, an array of them a leading axis of that length. Integers compute in float32.
 * A NaN in a slice makes its quantile NaN; an empty slice gives NaN.
 * @example np.quantile([1, 2, 3, 4], 0.5) // 2.5
 * @example np.quantile([[1, 5], [3, 4]], [0, 1], { axis: 1 }) // [[1, 3], [5, 4]]
 * @example np.quantile([1, 2, 3, 4], 0.4, { method: "lower" }) // 2
 */
export function quantile(x: ArrayLike, q: number | readonly number[], options: QuantileOptions = {}, ...extra: undefined[]): Tensor {
  return quantiles("quantile", x, q, optionsOf("quantile", options, "quantile", extra), false);
}

/**
 * `quantile` with q in percent, [0, 100].
 * @example np.percentile([1, 2, 3, 4, 5], 25) // 2
 */
export function percentile(x: ArrayLike, q: number | readonly number[], options: QuantileOptions = {}, ...extra: undefined[]): Tensor {
  return quantiles("percentile", x, q, optionsOf("percentile", options, "percentile", extra), false, 100);
}

/**
 * The median over `axis`: the middle value, or the mean of the middle pair of an even count
 * (the 0.5 quantile by the "midpoint" method, as JAX).
 * @example np.median([[1, 3, 2], [4, 6, 5]], { axis: 1 }) // [2, 5]
 */
export function median(x: ArrayLike, options: Omit<QuantileOptions, "method"> = {}, ...extra: undefined[]): Tensor {
  return quantiles("median", x, 0.5, { ...optionsOf("median", options, "median", extra), method: "midpoint" }, false);
}

/**
 * `quantile` ignoring NaNs; a slice of NaNs only gives NaN.
 * @example np.nanquantile([1, NaN, 3], 0.5) // 2
 */
export function nanquantile(x: ArrayLike, q: number | readonly number[], options: QuantileOptions = {}, ...extra: undefined[]): Tensor {
  return quantiles("nanquantile", x, q, optionsOf("nanquantile", options, "nanquantile", extra), true);
}

/**
 * `percentile` ignoring NaNs.
 * @example np.nanpercentile([1, NaN, 3], 50) // 2
 */
export function nanpercentile(x: ArrayLike, q: number | readonly number[], options: QuantileOptions = {}, ...extra: undefined[]): Tensor {
  return quantiles("nanpercentile", x, q, optionsOf("nanpercentile", options, "nanpercentile", extra), true, 100);
}

/**
 * `median` ignoring NaNs.
 * @example np.nanmedian([1, NaN, 3, 4]) // 3
 */
export function nanmedian(x: ArrayLike, options: Omit<QuantileOptions, "method"> = {}, ...extra: undefined[]): Tensor {
  return quantiles("nanmedian", x, 0.5, { ...optionsOf("nanmedian", options, "nanmedian", extra), method: "midpoint" }, true);
}
