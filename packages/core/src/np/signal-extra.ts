/**
 * NumPy window functions, 1-D convolution/correlation, set membership and counting (issue 15),
 * as compositions of existing primitives: every output shape is a function of static arguments
 * (JAX's rule), so jit, grad and vmap apply unchanged and no host loop runs over data.
 */
import { isFloat } from "../dtype.js";
import { DTypeError, IndexError, KilnTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { add, cos, divide, equal, floor, greaterEqual, isnan, lessEqual, logicalAnd, logicalNot, multiply, sqrt, subtract, where } from "./elementwise.js";
import { any, sum } from "./reduce.js";
import { pad } from "./pad.js";
import { expandDims, flip } from "./shape.js";
import { take } from "./indexing.js";
import { arange, linspace } from "./creation.js";
import { checkInt, iota, sliceAxis } from "./compose-helpers.js";
import { asTensor, astypeRaw, fullRaw, optionsOf, registeredVmap, reshapeRaw, resultDType } from "./util.js";
import { type Positional, positionalOptions } from "./positional.js";

// ---------------------------------------------------------------------------------------------
// Windows (float32, as jax.numpy)

/** `n = 1-M, 3-M, ..., M-1` divided by `M-1`: the symmetric abscissa of the cosine windows. */
function windowAbscissa(op: string, M: number): Tensor | null {
  checkInt(op, "M", M);
  if (M <= 1) return null; // empty or [1], as NumPy
  return divide(arange(1 - M, M, 2, { dtype: "float32" }), M - 1);
}

/** The three windows NumPy writes as sums of cosines `a0 + a1 cos(pi x) + a2 cos(2 pi x)`. */
function cosineWindow(op: string, M: number, a: readonly [number, number, number]): Tensor {
  const x = windowAbscissa(op, M);
  if (x === null) return fullRaw([Math.max(M, 0)], 1, "float32");
  let w = add(a[0], multiply(a[1], cos(multiply(Math.PI, x))));
  if (a[2] !== 0) w = add(w, multiply(a[2], cos(multiply(2 * Math.PI, x))));
  return w;
}

/**
 * The Bartlett (triangular) window of `M` points; `M < 1` gives an empty array, `M = 1` gives `[1]`.
 * @example np.bartlett(5) // [0, 0.5, 1, 0.5, 0]
 */
export function bartlett(M: number): Tensor {
  const x = windowAbscissa("bartlett", M);
  if (x === null) return fullRaw([Math.max(M, 0)], 1, "float32");
  return subtract(1, where(lessEqual(x, 0), multiply(-1, x), x));
}

/**
 * The Blackman window: `0.42 + 0.5 cos(pi n/(M-1)) + 0.08 cos(2 pi n/(M-1))`.
 * @example np.blackman(5) // [0, 0.34, 1, 0.34, 0] (to float32 rounding)
 */
export function blackman(M: number): Tensor {
  return cosineWindow("blackman", M, [0.42, 0.5, 0.08]);
}

/**
 * The Hamming window: `0.54 + 0.46 cos(pi n/(M-1))`.
 * @example np.hamming(3) // [0.08, 1, 0.08]
 */
export function hamming(M: number): Tensor {
  return cosineWindow("hamming", M, [0.54, 0.46, 0]);
}

/**
 * The Hann window: `0.5 + 0.5 cos(pi n/(M-1))`.
 * @example np.hanning(5) // [0, 0.5, 1, 0.5, 0]
 */
export function hanning(M: number): Tensor {
  return cosineWindow("hanning", M, [0.5, 0.5, 0]);
}

/**
 * The modified Bessel function I0 as its power series `sum_k ((x/2)^k / k!)^2`, each term the
 * previous one times `(x/2)^2 / k^2` (elementwise; the term count is static). 64 terms reach
 * float32 precision for |x| up to about 60, far beyond the betas used for windows.
 */
function besselI0(x: Tensor): Tensor {
  const q = multiply(multiply(x, x), 0.25);
  let term: Tensor = fullRaw(x.shape, 1, x.dtype);
  let total: Tensor = term;
  for (let k = 1; k <= 64; k++) {
    term = multiply(term, divide(q, k * k));
    total = add(total, term);
  }
  return total;
}

/**
 * The Kaiser window: `I0(beta sqrt(1 - (2n/(M-1) - 1)^2)) / I0(beta)`, n = 0..M-1. `beta` may be
 * a Tensor (the window is differentiable in it).
 * @example np.kaiser(3, 0) // [1, 1, 1]
 */
export function kaiser(M: number, beta: ArrayLike): Tensor {
  checkInt("kaiser", "M", M);
  let b = asTensor(beta, "kaiser");
  if (b.ndim !== 0) throw new ShapeError(`kaiser: beta must be a scalar, got shape ${fmtShape(b.shape)}`);
  if (!isFloat(b.dtype)) b = astypeRaw(b, "float32");
  if (M < 1) return fullRaw([0], 1, b.dtype);
  if (M === 1) return fullRaw([1], 1, b.dtype);
  const alpha = (M - 1) / 2;
  const r = divide(subtract(arange(0, M, 1, { dtype: b.dtype }), alpha), alpha);
  // 1 - r^2 can round below 0 at the ends; clamp so sqrt stays real.
  const s = sqrt(where(lessEqual(multiply(r, r), 1), subtract(1, multiply(r, r)), 0));
  return divide(besselI0(multiply(b, s)), besselI0(b));
}

// ---------------------------------------------------------------------------------------------
// Convolution and correlation

export type ConvolveMode = "full" | "same" | "valid";

function checkSignal(op: string, name: string, x: ArrayLike): Tensor {
  const t = asTensor(x, op);
  if (t.ndim !== 1) throw new ShapeError(`${op}: ${name} must be 1-D, got shape ${fmtShape(t.shape)}`);
  if (t.size === 0) throw new ValueError(`${op}: ${name} cannot be empty`);
  return t;
}

/**
 * Full correlation `c[k] = sum_j a[k + j - (m-1)] v[j]` (k = 0..n+m-2) of `a` (length n) with
 * `v` (length m): `a` zero-padded by m-1 on both sides, every length-m window gathered at once
 * with a static index grid `k + j`, then one multiply-and-sum contraction.
 */
function correlateFull(op: string, a: Tensor, v: Tensor): Tensor {
  const n = a.shape[0]!, m = v.shape[0]!;
  let dt = resultDType([a, v], op);
  if (dt === "bool") dt = "int32";
  const x = new Tensor(astypeRaw(a, dt).node, a.weak && v.weak);
  const y = astypeRaw(v, dt);
  const len = n + m - 1;
  const padded = pad(x, [[m - 1, m - 1]]);
  const idx = add(iota([len, m], 0), iota([len, m], 1));
  const windows = take(padded, idx);
  return sum(multiply(windows, reshapeRaw(y, [1, m])), { axis: 1 });
}

function modeOf(op: string, mode: unknown): ConvolveMode {
  if (mode !== "full" && mode !== "same" && mode !== "valid") {
    throw new ValueError(`${op}: mode must be "full", "same" or "valid", got ${describeValue(mode)}`);
  }
  return mode;
}

/** The part of a full result of length n+m-1 that `mode` keeps; `ceilSame` for NumPy's swapped correlate. */
function cropMode(full: Tensor, n: number, m: number, mode: ConvolveMode, ceilSame: boolean): Tensor {
  const lo = Math.min(n, m), hi = Math.max(n, m);
  if (mode === "full") return full;
  if (mode === "valid") return sliceAxis(full, 0, lo - 1, lo - 1 + hi - lo + 1);
  const start = ceilSame ? Math.ceil((lo - 1) / 2) : Math.floor((lo - 1) / 2);
  return sliceAxis(full, 0, start, start + hi);
}

/**
 * Discrete linear convolution of two non-empty 1-D arrays (`np.convolve`); `mode` "full"
 * (default, length n+m-1), "same" (length max(n, m), centred as NumPy) or "valid" (length
 * max(n, m) - min(n, m) + 1). Ints stay int; bools count as int32.
 * @example np.convolve([1, 2, 3], [0, 1, 0.5]) // [0, 1, 2.5, 4, 1.5]
 * @example np.convolve([1, 2, 3], [0, 1, 0.5], "same") // NumPy's positional mode: [1, 2.5, 4]
 */
export function convolve(a: ArrayLike, v: ArrayLike, ...args: Positional<"convolve", { mode?: ConvolveMode }>): Tensor {
  const mode = modeOf("convolve", positionalOptions<{ mode?: ConvolveMode }>("convolve", args).mode ?? "full");
  const x = checkSignal("convolve", "a", a), y = checkSignal("convolve", "v", v);
  const full = correlateFull("convolve", x, flip(y));
  return cropMode(full, x.shape[0]!, y.shape[0]!, mode, false);
}

/**
 * Cross-correlation of two non-empty 1-D arrays (`np.correlate`, real inputs):
 * `c[k] = sum_n a[n + k] v[n]`; `mode` "valid" (default, as NumPy), "same" or "full".
 * @example np.correlate([1, 2, 3], [0, 1, 0.5]) // [3.5]
 */
export function correlate(a: ArrayLike, v: ArrayLike, ...args: Positional<"correlate", { mode?: ConvolveMode }>): Tensor {
  const mode = modeOf("correlate", positionalOptions<{ mode?: ConvolveMode }>("correlate", args).mode ?? "valid");
  const x = checkSignal("correlate", "a", a), y = checkSignal("correlate", "v", v);
  const full = correlateFull("correlate", x, y);
  // NumPy computes a shorter `a` as the reversed correlation of (v, a): its "same" window then
  // starts at ceil((min-1)/2) instead of floor.
  return cropMode(full, x.shape[0]!, y.shape[0]!, mode, x.shape[0]! < y.shape[0]!);
}

// ---------------------------------------------------------------------------------------------
// Membership and counting

/**
 * True where an element of `element` equals some element of `testElements` (any shape;
 * compared after promotion, NaN never matches). `invert` negates the result.
 * @example np.isin([1, 2, 3, 4], [2, 4]) // [false, true, false, true]
 */
export function isin(element: ArrayLike, testElements: ArrayLike, options?: { invert?: boolean }, ...extra: undefined[]): Tensor {
  const opts = optionsOf("isin", options, "isin", extra);
  const e = asTensor(element, "isin");
  const t = asTensor(testElements, "isin");
  const flat = reshapeRaw(t, [t.size]);
  const found = t.size === 0 ? fullRaw(e.shape, 0, "bool") : any(equal(expandDims(e, -1), flat), { axis: -1 });
  return opts.invert ? logicalNot(found) : found;
}

export interface BincountOptions {
  /** One weight per element of `x`; the sums have the weights' dtype (bool weights count as int32). */
  weights?: ArrayLike;
  /** The number of bins (required: the output size must not depend on the data). */
  length: number;
}

/**
 * Counts of each value 0..length-1 in the non-negative int 1-D array `x` (or sums of `weights`).
 * `length` is required and static (JAX's rule); values outside [0, length) are dropped.
 * @example np.bincount([0, 1, 1, 3], { length: 5 }) // [1, 2, 0, 1, 0]
 */
export function bincount(x: ArrayLike, options: BincountOptions, ...extra: undefined[]): Tensor {
  const opts = optionsOf("bincount", options, "bincount", extra);
  if (opts === undefined || opts === null || opts.length === undefined) throw new ValueError(`bincount: options.length is required (the output size must be static)`);
  const length = checkInt("bincount", "length", opts.length, 0);
  const t = asTensor(x, "bincount");
  if (t.ndim !== 1) throw new ShapeError(`bincount: x must be 1-D, got shape ${fmtShape(t.shape)}`);
  if (isFloat(t.dtype)) throw new DTypeError(`bincount: x must be int32 or bool, got ${t.dtype}`);
  return countBins("bincount", astypeRaw(t, "int32"), length, opts.weights);
}

/** `out[b] = sum of w[i] where idx[i] == b`, as a one-hot comparison and a sum over the data axis. */
function countBins(op: string, idx: Tensor, length: number, weights: ArrayLike | undefined): Tensor {
  const hit = equal(reshapeRaw(idx, [idx.size, 1]), iota([1, length], 1));
  if (weights === undefined || weights === null) return sum(astypeRaw(hit, "int32"), { axis: 0 });
  const w = asTensor(weights, op);
  if (w.ndim !== 1 || w.shape[0] !== idx.size) throw new ShapeError(`${op}: weights must have shape ${fmtShape([idx.size])}, got ${fmtShape(w.shape)}`);
  const wd = w.dtype === "bool" ? astypeRaw(w, "int32") : w;
  return sum(where(hit, reshapeRaw(wd, [idx.size, 1]), 0), { axis: 0 });
}

export interface HistogramOptions {
  /** Number of equal-width bins (static, at least 1). */
  bins: number;
  /** `[lo, hi]`, required (a data-derived range would make the edges depend on the data under jit). */
  range: readonly [number, number];
  /** Weights of the elements (same shape as `a`). */
  weights?: ArrayLike;
}

/**
 * `np.histogram` with static `bins` and `range`: `[counts, edges]`, `edges` of length bins+1.
 * Bins are half-open `[e_i, e_{i+1})` except the last, which includes `hi`; values outside the
 * range and NaN are not counted. Counts are int32 (weights' dtype with weights).
 * @example np.histogram([1, 2, 1], { bins: 3, range: [0, 3] }) // [[0, 2, 1], [0, 1, 2, 3]]
 */
export function histogram(a: ArrayLike, options: HistogramOptions, ...extra: undefined[]): [Tensor, Tensor] {
  const opts = optionsOf("histogram", options, "histogram", extra);
  if (opts === undefined || opts === null) throw new ValueError(`histogram: options { bins, range } are required`);
  const bins = checkInt("histogram", "bins", opts.bins, 1);
  const range = opts.range;
  if (!Array.isArray(range) || range.length !== 2 || typeof range[0] !== "number" || typeof range[1] !== "number" || !Number.isFinite(range[0]) || !Number.isFinite(range[1])) {
    throw new ValueError(`histogram: range must be [lo, hi] of finite numbers, got ${describeValue(range)}`);
  }
  let [lo, hi] = range;
  if (lo > hi) throw new ValueError(`histogram: range must have lo <= hi, got [${lo}, ${hi}]`);
  if (lo === hi) { lo -= 0.5; hi += 0.5; } // NumPy widens an empty range the same way
  let t = asTensor(a, "histogram");
  t = reshapeRaw(t, [t.size]);
  const dt = isFloat(t.dtype) ? t.dtype : "float32";
  const x = astypeRaw(t, dt);
  const edges = linspace(lo, hi, bins + 1, { dtype: dt });
  // Bin by scaling, then pull the right edge into the last bin; out-of-range and NaN get index -1.
  const raw = floor(multiply(subtract(x, lo), bins / (hi - lo)));
  const inside = logicalAnd(logicalAnd(greaterEqual(x, lo), lessEqual(x, hi)), logicalNot(isnan(x)));
  const clamped = where(greaterEqual(raw, bins), bins - 1, raw);
  const idx = astypeRaw(where(inside, clamped, -1), "int32");
  let w: ArrayLike | undefined = opts.weights;
  if (w !== undefined && w !== null) {
    const wt = asTensor(w, "histogram");
    if (wt.size !== t.size) throw new ShapeError(`histogram: weights must have a's shape, got ${fmtShape(wt.shape)}`);
    w = reshapeRaw(wt, [wt.size]);
  }
  return [countBins("histogram", idx, bins, w), edges];
}

// ---------------------------------------------------------------------------------------------
// Applying a function over axes

/**
 * `np.apply_over_axes`: `fn(a, axis)` for each axis in turn, each result feeding the next; a
 * result with one dimension fewer (a reduction) gets that axis back as size 1, so the output keeps
 * `a`'s rank. A negative axis counts from the end of the current array.
 * @example np.applyOverAxes(np.sum, np.arange(24).reshape([2, 3, 4]), [0, 2]) // [[[60], [92], [124]]]
 */
export function applyOverAxes(fn: (a: Tensor, axis: number) => ArrayLike, a: ArrayLike, axes: number | readonly number[]): Tensor {
  if (typeof fn !== "function") throw new ValueError(`applyOverAxes: fn must be a function, got ${describeValue(fn)}`);
  let t = asTensor(a, "applyOverAxes");
  if (typeof axes !== "number" && !Array.isArray(axes)) throw new IndexError(`applyOverAxes: axes must be an integer or an array of integers, got ${describeValue(axes)}`);
  for (const ax of typeof axes === "number" ? [axes] : axes) {
    const axis = normAxis("applyOverAxes", ax, t.ndim);
    const r = asTensor(fn(t, axis), "applyOverAxes");
    if (r.ndim === t.ndim) t = r;
    else if (r.ndim === t.ndim - 1) t = expandDims(r, axis);
    else throw new ShapeError(`applyOverAxes: fn must keep the rank ${t.ndim} or reduce it by one, got shape ${fmtShape(r.shape)} from axis ${axis}`);
  }
  return t;
}

/**
 * `np.apply_along_axis` as `jax.numpy`: `fn` applied to every 1-D slice along `axis` by nesting
 * vmap (one level per other axis), so it runs as one batched graph with no host loop. `fn` may
 * return a 0-d or an N-d Tensor: its axes replace `axis` in the result. Needs the transforms
 * package loaded (importing `kiln` does that).
 * @example np.applyAlongAxis((r) => np.sum(np.square(r)), 1, np.array([[1, 2], [3, 4]])) // [5, 25]
 */
export function applyAlongAxis(fn: (slice: Tensor) => ArrayLike, axis: number, arr: ArrayLike): Tensor {
  if (typeof fn !== "function") throw new KilnTypeError(`applyAlongAxis: fn must be a function, got ${describeValue(fn)}`);
  const vmap = registeredVmap();
  if (vmap === null) throw new ValueError(`applyAlongAxis: needs vmap; import "kiln" (or @kiln/transforms) first`);
  const t = asTensor(arr, "applyAlongAxis");
  const ax = normAxis("applyAlongAxis", axis, t.ndim);
  let f = (x: Tensor): Tensor => asTensor(fn(x), "applyAlongAxis");
  // Axes after `axis` (innermost first, each in turn at position i of the remaining array), then before.
  for (let i = 1; i < t.ndim - ax; i++) f = vmap(f, { inAxes: i, outAxes: -1 });
  for (let i = 0; i < ax; i++) f = vmap(f, { inAxes: 0, outAxes: 0 });
  return f(t);
}
