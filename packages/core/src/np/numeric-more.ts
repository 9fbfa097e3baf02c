/**
 * Numeric jax.numpy functions composed from existing primitives: `gradient` (finite differences),
 * `i0`, `spacing`, `bitwiseCount`, `sortComplex`, the histogram helpers (`histogramBinEdges`,
 * `histogram2d`, `histogramdd`) and the bit packers (`packbits`, `unpackbits`). Integer inputs of
 * the float functions compute in float32, as JAX.
 */
import { type DType, isFloat, isInt } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { checkInt, iota, sliceAxis } from "./compose-helpers.js";
import { zeros } from "./creation.js";
import {
  abs, add, astype, divide, equal, exp, greaterEqual, isnan, less, lessEqual, logicalAnd, logicalNot, maximum, minimum, multiply,
  negative, notEqual, subtract, where,
} from "./elementwise.js";
import { take } from "./indexing.js";
import { bitwiseAnd, rightShift } from "./math-extra.js";
import { nextafter } from "./numpy-more.js";
import { max, min, sum } from "./reduce.js";
import { concatenate, expandDims, moveaxis, reshape, stack } from "./shape.js";
import { bincount } from "./signal-extra.js";
import { searchsorted, sort } from "./sort.js";
import { besselI0e } from "../lax/special.js";
import { type Positional, positionalOptions } from "./positional.js";
import { asTensor, optionsOf } from "./util.js";

/** `x` in a float dtype: float dtypes stay, integers and bool become float32 (JAX's default float). */
function floatOf(op: string, x: ArrayLike): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? t : astype(t, "float32");
}

/** Options of `gradient`. */
export interface GradientOptions {
  /** The axis or axes to differentiate along (default: all). */
  axis?: number | readonly number[] | null;
  /** The order of the one-sided differences at the edges: only 1 (JAX's). */
  edgeOrder?: number | null;
}

const isOptions = (v: unknown): v is GradientOptions =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tensor) && !ArrayBuffer.isView(v);

/** The derivative of `t` along `ax`: central differences inside, one-sided at the two ends. */
function gradientAlong(t: Tensor, ax: number, spacing: Tensor | number): Tensor {
  const n = t.shape[ax]!;
  if (n < 2) throw new ValueError(`gradient: axis ${ax} has ${n} element(s); at least 2 are needed for a numerical gradient`);
  const s = (a: number, b: number) => sliceAxis(t, ax, a, b);
  if (typeof spacing === "number" || spacing.ndim === 0) {
    const first = divide(subtract(s(1, 2), s(0, 1)), spacing);
    const last = divide(subtract(s(n - 1, n), s(n - 2, n - 1)), spacing);
    if (n === 2) return concatenate([first, last], { axis: ax });
    const mid = divide(subtract(s(2, n), s(0, n - 2)), multiply(spacing, 2));
    return concatenate([first, mid, last], { axis: ax });
  }
  // Coordinates: second-order accurate weights on uneven steps (NumPy's formula).
  const along = (v: Tensor) => reshape(v, t.shape.map((d, i) => (i === ax ? v.size : 1)));
  const dx = subtract(take(spacing, iota([n - 1], 0, "int32").add(1)), take(spacing, iota([n - 1], 0, "int32")));
  const first = divide(subtract(s(1, 2), s(0, 1)), along(take(dx, [0])));
  const last = divide(subtract(s(n - 1, n), s(n - 2, n - 1)), along(take(dx, [n - 2])));
  if (n === 2) return concatenate([first, last], { axis: ax });
  const d1 = along(take(dx, iota([n - 2], 0, "int32"))), d2 = along(take(dx, iota([n - 2], 0, "int32").add(1)));
  const sumD = add(d1, d2);
  const a = negative(divide(d2, multiply(d1, sumD)));
  const b = divide(subtract(d2, d1), multiply(d1, d2));
  const c = divide(d1, multiply(d2, sumD));
  const mid = add(add(multiply(a, s(0, n - 2)), multiply(b, s(1, n - 1))), multiply(c, s(2, n)));
  return concatenate([first, mid, last], { axis: ax });
}

/**
 * The numerical gradient of sampled `f`: central differences inside, one-sided differences at the
 * ends. Spacings follow `f`: none (1), one scalar for every axis, or one per axis (a scalar or the
 * axis's coordinates). One axis gives a Tensor, several an array of Tensors (NumPy's list).
 * @example np.gradient([1, 2, 4, 7, 11]) // [1, 1.5, 2.5, 3.5, 4]
 * @example np.gradient([[1, 2], [4, 8]], { axis: 0 }) // [[3, 6], [3, 6]]
 * @example np.gradient([1, 4, 9], [0, 1, 3]) // [3, 2.8333333, 2.5]
 */
export function gradient(f: ArrayLike, ...args: (ArrayLike | GradientOptions)[]): Tensor | Tensor[] {
  const op = "gradient";
  const last = args[args.length - 1];
  const opts = isOptions(last) ? optionsOf(op, last) : {};
  const spacings = (isOptions(last) ? args.slice(0, -1) : args) as ArrayLike[];
  const t = floatOf(op, f);
  if (opts.edgeOrder !== undefined && opts.edgeOrder !== null && opts.edgeOrder !== 1) {
    throw new ValueError(`gradient: edgeOrder ${describeValue(opts.edgeOrder)} is not supported; only 1 (JAX's)`);
  }
  const axes = opts.axis === undefined || opts.axis === null
    ? t.shape.map((_, i) => i)
    : (typeof opts.axis === "number" ? [opts.axis] : [...opts.axis]).map((a) => normAxis(op, a, t.ndim));
  if (t.ndim === 0) throw new ShapeError(`gradient: f must have at least one dimension, got a 0-d array`);
  let per: (Tensor | number)[];
  if (spacings.length === 0) per = axes.map(() => 1);
  else if (spacings.length === 1 && asTensor(spacings[0]!, op).ndim === 0) per = axes.map(() => floatOf(op, spacings[0]!));
  else if (spacings.length === axes.length) {
    per = spacings.map((sp, k) => {
      const st = floatOf(op, sp);
      if (st.ndim === 0) return st;
      const n = t.shape[axes[k]!]!;
      if (st.ndim !== 1 || st.size !== n) throw new ShapeError(`gradient: coordinates for axis ${axes[k]} must be 1-D of length ${n}, got shape ${fmtShape(st.shape)}`);
      return st;
    });
  } else throw new ValueError(`gradient: expected 0, 1 or ${axes.length} spacings, got ${spacings.length}`);
  const out = axes.map((ax, k) => gradientAlong(t, ax, per[k]!));
  return out.length === 1 ? out[0]! : out;
}

/**
 * The modified Bessel function of the first kind, order 0: `besselI0e(|x|) * exp(|x|)`.
 * @example np.i0([0, 1, -2]) // [1, 1.2660658, 2.2795851]
 */
export function i0(x: ArrayLike): Tensor {
  const a = abs(floatOf("i0", x));
  return multiply(besselI0e(a), exp(a));
}

/**
 * The distance from `x` to the next representable float away from zero (negative for negative
 * `x`; NaN for ±inf and NaN). float32 only, as `nextafter` (integers compute in float32).
 * @example np.spacing([1, -1]) // [1.1920929e-7, -1.1920929e-7]
 */
export function spacing(x: ArrayLike): Tensor {
  const t = floatOf("spacing", x);
  if (t.dtype !== "float32") throw new DTypeError(`spacing: float32 only (no 64-bit bitcast), got ${t.dtype}`);
  const toward = where(less(t, 0), -Infinity, Infinity); // -0 steps up, as NumPy
  return subtract(nextafter(t, toward), t);
}

/**
 * The number of 1 bits in the absolute value of each integer (NumPy's `bitwise_count`), as uint8.
 * @example np.bitwiseCount(np.array([0, 7, -8, 255], { dtype: "int32" })) // [0, 3, 1, 8]
 */
export function bitwiseCount(x: ArrayLike): Tensor {
  const t = asTensor(x, "bitwiseCount");
  if (!(isInt(t.dtype) || t.dtype === "bool")) throw new DTypeError(`bitwiseCount: needs an integer or bool array, got ${t.dtype}`);
  let v = astype(t.dtype === "int32" ? abs(t) : t, "uint32");
  // Bit-parallel count: pairs, nibbles, bytes, then the byte sums folded down (no 32-bit multiply).
  v = subtract(v, bitwiseAnd(rightShift(v, 1), 0x55555555));
  v = add(bitwiseAnd(v, 0x33333333), bitwiseAnd(rightShift(v, 2), 0x33333333));
  v = bitwiseAnd(add(v, rightShift(v, 4)), 0x0f0f0f0f);
  v = add(v, rightShift(v, 8));
  v = add(v, rightShift(v, 16));
  return astype(bitwiseAnd(v, 0x3f), "uint8");
}

/**
 * `a` sorted along its last axis. JAX returns a complex array; kiln has no complex dtype, so a real
 * input gives its sorted values in a float dtype.
 * @example np.sortComplex([5, 3, 6, 2, 1]) // [1, 2, 3, 5, 6]
 */
export function sortComplex(a: ArrayLike): Tensor {
  return sort(floatOf("sortComplex", a), -1);
}

// ---------------------------------------------------------------------------------------------
// Histograms

/** A histogram's `bins`: a count or the edges (increasing). */
export type Bins = number | ArrayLike;

/** The edges of `count` equal bins over [lo, hi] (each a 0-d Tensor: a data range stays traceable). */
function evenEdges(lo: Tensor, hi: Tensor, count: number, dtype: DType): Tensor {
  // An empty range is widened by 0.5 each way, as NumPy.
  const same = equal(lo, hi);
  const l = where(same, subtract(lo, 0.5), lo), h = where(same, add(hi, 0.5), hi);
  const i = astype(iota([count + 1], 0, "int32"), dtype);
  const e = add(l, multiply(divide(subtract(h, l), count), i));
  return astype(where(equal(i, count), h, e), dtype);
}

function rangeOf(op: string, range: unknown): [number, number] | null {
  if (range === undefined || range === null) return null;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new ValueError(`${op}: range must be [lo, hi] of finite numbers, got ${describeValue(range)}`);
  }
  if (range[0] > range[1]) throw new ValueError(`${op}: range must have lo <= hi, got [${range[0]}, ${range[1]}]`);
  return [range[0], range[1]];
}

/** The bin edges of one dimension: given edges, or `count` bins over `range` (else the data's min to max). */
function edgesOf(op: string, data: Tensor, bins: Bins, range: [number, number] | null): Tensor {
  const dtype: DType = isFloat(data.dtype) ? data.dtype : "float32";
  if (typeof bins !== "number") {
    const e = floatOf(op, bins);
    if (e.ndim !== 1 || e.size < 2) throw new ShapeError(`${op}: bin edges must be 1-D with at least 2 entries, got shape ${fmtShape(e.shape)}`);
    return e;
  }
  const count = checkInt(op, "bins", bins, 1);
  if (range) return evenEdges(asTensor(range[0], op, dtype), asTensor(range[1], op, dtype), count, dtype);
  if (data.size === 0) return evenEdges(asTensor(0, op, dtype), asTensor(1, op, dtype), count, dtype);
  const x = astype(data, dtype);
  return evenEdges(min(x), max(x), count, dtype);
}

/** Options of `histogramBinEdges`. */
export interface HistogramBinEdgesOptions {
  /** `[lo, hi]` (default: the data's minimum and maximum). */
  range?: readonly [number, number] | null;
  /** Accepted and unused, as NumPy (the edges do not depend on weights). */
  weights?: ArrayLike | null;
}

/**
 * The edges `histogram` would use: `bins` equal bins over `range` (default the data's min and max,
 * computed on the device, so it works under jit), or the given edges.
 * @example np.histogramBinEdges([1, 2, 5], 4) // [1, 2, 3, 4, 5]
 */
export function histogramBinEdges(a: ArrayLike, bins: Bins = 10, ...args: Positional<"histogramBinEdges", HistogramBinEdgesOptions>): Tensor {
  const op = "histogramBinEdges";
  const opts = positionalOptions<HistogramBinEdgesOptions>(op, args);
  const t = asTensor(a, op);
  return edgesOf(op, reshape(t, [t.size]), bins, rangeOf(op, opts.range));
}

/** Options of `histogramdd`/`histogram2d`. */
export interface HistogramddOptions {
  /** One `[lo, hi]` per dimension (null entries: that dimension's min and max). */
  range?: readonly (readonly [number, number] | null)[] | null;
  /** A weight per sample (the counts become sums of weights). */
  weights?: ArrayLike | null;
  /** Divide by the total and the bin volume, so the histogram integrates to 1. */
  density?: boolean | null;
}

/**
 * The D-dimensional histogram of `sample` (shape [N, D]): `[H, edges]`, H of shape bins per
 * dimension (float counts, as NumPy/JAX). Bins are half-open except the last, which includes its
 * right edge; samples outside or NaN are not counted. `bins`: one count for all dimensions, or
 * one count or edge array per dimension.
 * @example np.histogramdd([[0, 0], [1, 1], [1, 0.2]], 2)[0] // [[1, 0], [1, 1]]
 */
export function histogramdd(sample: ArrayLike, bins: Bins | readonly Bins[] = 10, ...args: Positional<"histogramdd", HistogramddOptions>): [Tensor, Tensor[]] {
  return histogramImpl("histogramdd", asTensor(sample, "histogramdd"), bins, positionalOptions<HistogramddOptions>("histogramdd", args));
}

function histogramImpl(op: "histogramdd" | "histogram2d", s: Tensor, bins: Bins | readonly Bins[], opts: HistogramddOptions): [Tensor, Tensor[]] {
  if (s.ndim !== 2) throw new ShapeError(`${op}: sample must be 2-D [N, D], got shape ${fmtShape(s.shape)}`);
  const [n, d] = s.shape as [number, number];
  const perDim: Bins[] = typeof bins === "number" ? Array<Bins>(d).fill(bins) : Array.isArray(bins) ? [...bins] as Bins[] : [];
  if (perDim.length !== d) throw new ValueError(`${op}: bins must be one count or one entry per dimension (${d}), got ${describeValue(bins)}`);
  const ranges = opts.range ?? null;
  if (ranges !== null && (!Array.isArray(ranges) || ranges.length !== d)) throw new ValueError(`${op}: range must have one [lo, hi] (or null) per dimension (${d})`);
  const dtype: DType = isFloat(s.dtype) ? s.dtype : "float32";
  const x = astype(s, dtype);
  const cols = Array.from({ length: d }, (_, k) => reshape(take(x, [k], { axis: 1 }), [n]));
  const edges = cols.map((c, k) => edgesOf(op, c, perDim[k]!, rangeOf(op, ranges?.[k])));
  const counts = edges.map((e) => e.size - 1);
  let flat: Tensor = zeros([n], { dtype: "int32" });
  let inside: Tensor = notEqual(zeros([n]), 1);
  cols.forEach((c, k) => {
    const e = edges[k]!;
    const lo = take(e, [0]), hi = take(e, [e.size - 1]);
    // The bin is the last edge <= value; the right edge itself belongs to the last bin.
    const raw = subtract(searchsorted(e, c, { side: "right" }), 1);
    const idx = minimum(maximum(raw, 0), counts[k]! - 1);
    inside = logicalAnd(inside, logicalAnd(logicalAnd(greaterEqual(c, lo), lessEqual(c, hi)), logicalNot(isnan(c))));
    flat = add(multiply(flat, counts[k]!), astype(idx, "int32"));
  });
  const total = counts.reduce((p, q) => p * q, 1);
  const w = opts.weights === undefined || opts.weights === null ? undefined : floatOf(op, opts.weights);
  if (w && (w.ndim !== 1 || w.size !== n)) throw new ShapeError(`${op}: weights must have shape ${fmtShape([n])}, got ${fmtShape(w.shape)}`);
  const picked = astype(where(inside, flat, total), "int32");
  let h = astype(bincount(picked, { length: total, ...(w ? { weights: astype(w, dtype) } : {}) }), dtype);
  if (opts.density) {
    let vol: Tensor = asTensor(1, op, dtype);
    edges.forEach((e, k) => {
      const widths = subtract(take(e, iota([counts[k]!], 0, "int32").add(1)), take(e, iota([counts[k]!], 0, "int32")));
      vol = multiply(expandDims(vol, -1), reshape(widths, [...Array<number>(k).fill(1), counts[k]!]));
    });
    h = divide(divide(h, sum(h)), reshape(vol, [total]));
  }
  return [reshape(h, counts), edges];
}

/**
 * The 2-D histogram of points (`x[i]`, `y[i]`): `[H, xedges, yedges]` (H is x-bins × y-bins).
 * @example np.histogram2d([0, 1, 1], [0, 1, 0.2], 2)[0] // [[1, 0], [1, 1]]
 */
export function histogram2d(x: ArrayLike, y: ArrayLike, bins: Bins | readonly [Bins, Bins] = 10, ...args: Positional<"histogram2d", HistogramddOptions>): [Tensor, Tensor, Tensor] {
  const op = "histogram2d";
  const options = positionalOptions<HistogramddOptions>(op, args);
  const tx = asTensor(x, op), ty = asTensor(y, op);
  if (tx.ndim !== 1 || ty.ndim !== 1 || tx.size !== ty.size) throw new ShapeError(`${op}: x and y must be 1-D of one length, got shapes ${fmtShape(tx.shape)} and ${fmtShape(ty.shape)}`);
  const dt: DType = isFloat(tx.dtype) || isFloat(ty.dtype) ? (tx.dtype === "float64" || ty.dtype === "float64" ? "float64" : "float32") : "float32";
  const perDim: readonly Bins[] = Array.isArray(bins) && bins.length === 2 ? bins as readonly Bins[] : [bins as Bins, bins as Bins];
  const [h, [ex, ey]] = histogramImpl(op, stack([astype(tx, dt), astype(ty, dt)], { axis: 1 }), perDim, options) as [Tensor, [Tensor, Tensor]];
  return [h, ex, ey];
}

// ---------------------------------------------------------------------------------------------
// Bit packing

export type BitOrder = "big" | "little";

/** Options of `packbits`. */
export interface PackbitsOptions {
  /** The axis to pack along; null (the default) packs the flattened array. */
  axis?: number | null;
  /** "big" (default): the first element is the highest bit; "little": the lowest. */
  bitorder?: BitOrder;
}

/** Options of `unpackbits`. */
export interface UnpackbitsOptions extends PackbitsOptions {
  /** How many bits to keep along the axis (negative: drop from the end; beyond the end: pad with 0). */
  count?: number | null;
}

function bitOrderOf(op: string, v: unknown): BitOrder {
  if (v === undefined || v === null || v === "big") return "big";
  if (v === "little") return "little";
  throw new ValueError(`${op}: bitorder must be "big" or "little", got ${jsonOf(v)}`);
}

/**
 * Packs the truth of each element into the bits of uint8 (8 per byte along `axis`, flattened when
 * null; the last byte padded with 0 bits). "big" puts the first element in the highest bit.
 * @example np.packbits([1, 0, 1, 1, 0, 0, 0, 0, 1]) // [176, 128]
 */
export function packbits(a: ArrayLike, ...args: Positional<"packbits", PackbitsOptions>): Tensor {
  const op = "packbits";
  const o = positionalOptions<PackbitsOptions>(op, args);
  const order = bitOrderOf(op, o.bitorder);
  let t = asTensor(a, op);
  // JS numbers arrive as float32 and are read as truth values; a float Tensor is rejected (NumPy).
  if (isFloat(t.dtype) && a instanceof Tensor) throw new DTypeError(`${op}: needs an integer or bool array, got ${t.dtype}`);
  let ax: number;
  if (o.axis === undefined || o.axis === null) { t = reshape(t, [t.size]); ax = 0; } else ax = normAxis(op, o.axis, t.ndim);
  t = moveaxis(astype(notEqual(t, 0), "int32"), ax, -1);
  const n = t.shape[t.ndim - 1]!;
  const bytes = Math.ceil(n / 8);
  if (bytes * 8 > n) t = concatenate([t, zeros([...t.shape.slice(0, -1), bytes * 8 - n], { dtype: "int32" })], { axis: -1 });
  const grouped = reshape(t, [...t.shape.slice(0, -1), bytes, 8]);
  const weights = Array.from({ length: 8 }, (_, i) => (order === "big" ? 128 >> i : 1 << i));
  const packed = sum(multiply(grouped, asTensor(weights, op, "int32")), { axis: -1 });
  return moveaxis(astype(packed, "uint8"), -1, ax);
}

/**
 * Unpacks each uint8 into 8 elements of 0/1 (uint8) along `axis` (flattened when null); `count`
 * keeps that many bits (negative: drops from the end; more than available: pads with 0).
 * @example np.unpackbits(np.array([176], { dtype: "uint8" })) // [1, 0, 1, 1, 0, 0, 0, 0]
 */
export function unpackbits(a: ArrayLike, ...args: Positional<"unpackbits", UnpackbitsOptions>): Tensor {
  const op = "unpackbits";
  const o = positionalOptions<UnpackbitsOptions>(op, args);
  const order = bitOrderOf(op, o.bitorder);
  let t = asTensor(a, op);
  if (t.dtype !== "uint8") throw new DTypeError(`${op}: needs a uint8 array, got ${t.dtype}`);
  let ax: number;
  if (o.axis === undefined || o.axis === null) { t = reshape(t, [t.size]); ax = 0; } else ax = normAxis(op, o.axis, t.ndim);
  t = moveaxis(t, ax, -1);
  const shifts = Array.from({ length: 8 }, (_, i) => (order === "big" ? 7 - i : i));
  const bits = bitwiseAnd(rightShift(expandDims(astype(t, "int32"), -1), asTensor(shifts, op, "int32")), 1);
  const n = t.shape[t.ndim - 1]! * 8;
  let flat = reshape(bits, [...t.shape.slice(0, -1), n]);
  if (o.count !== undefined && o.count !== null) {
    const c = checkInt(op, "count", o.count);
    const keep = c < 0 ? Math.max(n + c, 0) : c;
    if (keep <= n) flat = sliceAxis(flat, flat.ndim - 1, 0, keep);
    else flat = concatenate([flat, zeros([...flat.shape.slice(0, -1), keep - n], { dtype: "int32" })], { axis: -1 });
  }
  return moveaxis(astype(flat, "uint8"), -1, ax);
}
