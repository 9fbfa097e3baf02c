/**
 * Window geometry shared by the convolutions (conv.ts) and `reduceWindow` (conv-reduce-window.ts):
 * padding modes, dilation, and the strided slices that view every window offset at once.
 *
 * Everything here is a composition of movement primitives (reshape, pad, slice, concatenate), so
 * the scheduler inlines it as index arithmetic into the kernel that consumes it and autodiff and
 * vmap follow from the primitives' own rules.
 */
import { ShapeError, ValueError, describeValue } from "../errors.js";
import { type Tensor } from "../tensor.js";
import { apply, reshapeRaw } from "../np/util.js";

/** `"SAME"`, `"SAME_LOWER"`, `"VALID"` or one explicit `[lo, hi]` pair per spatial dimension. */
export type Padding = "SAME" | "SAME_LOWER" | "VALID" | readonly (readonly [number, number])[];

/** A positive integer per dimension (strides, dilations, window sizes), checked. */
export function positiveInts(op: string, name: string, v: unknown, rank: number, fallback: number | null = 1): number[] {
  if (v === undefined || v === null) {
    if (fallback === null) throw new ValueError(`${op}: ${name} is required`);
    return Array<number>(rank).fill(fallback);
  }
  if (!Array.isArray(v) || v.length !== rank || v.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 1)) {
    throw new ValueError(`${op}: ${name} must be ${rank} positive integer(s), got ${describeValue(v)}`);
  }
  return [...(v as number[])];
}

/**
 * Explicit `[lo, hi]` pads per dimension from a padding mode, as JAX's `padtype_to_pads`: "SAME"
 * (and "SAME_LOWER") pad so that `out = ceil(in / stride)`, the odd element going to the high
 * (low) side; "VALID" pads nothing. `window` is the dilated window size.
 */
export function padsOf(op: string, padding: unknown, inShape: readonly number[], window: readonly number[], strides: readonly number[]): [number, number][] {
  const rank = inShape.length;
  if (typeof padding === "string") {
    const mode = padding.toUpperCase();
    if (mode === "VALID") return inShape.map(() => [0, 0]);
    if (mode === "SAME" || mode === "SAME_LOWER") {
      return inShape.map((n, i) => {
        const out = Math.ceil(n / strides[i]!);
        const total = Math.max((out - 1) * strides[i]! + window[i]! - n, 0);
        const small = Math.floor(total / 2);
        return mode === "SAME" ? [small, total - small] : [total - small, small];
      });
    }
    throw new ValueError(`${op}: padding must be "SAME", "SAME_LOWER", "VALID" or [lo, hi] pairs, got ${describeValue(padding)}`);
  }
  if (!Array.isArray(padding) || padding.length !== rank ||
    padding.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((v: unknown) => typeof v !== "number" || !Number.isInteger(v)))) {
    throw new ValueError(`${op}: padding must be "SAME", "SAME_LOWER", "VALID" or ${rank} [lo, hi] integer pair(s), got ${describeValue(padding)}`);
  }
  return (padding as [number, number][]).map(([lo, hi]) => [lo, hi]);
}

/** `(k - 1) * d + 1`: the extent of a size-k window dilated by d (0 for an empty window). */
export function dilatedSize(k: number, d: number): number {
  return k === 0 ? 0 : (k - 1) * d + 1;
}

/**
 * Inserts `factor - 1` copies of `fill` between neighbouring elements along `axis` (XLA's
 * interior padding): a trailing axis of size 1 padded to `factor`, folded into `axis`, and the
 * trailing holes after the last element sliced off.
 */
export function dilateAxis(x: Tensor, axis: number, factor: number, fill: number): Tensor {
  const n = x.shape[axis]!;
  if (factor === 1 || n <= 1) return x;
  const split = [...x.shape.slice(0, axis + 1), 1, ...x.shape.slice(axis + 1)];
  const lo = split.map(() => 0), hi = split.map((_, i) => (i === axis + 1 ? factor - 1 : 0));
  const holes = apply("pad", [reshapeRaw(x, split)], { lo, hi, value: fill }, x.weak);
  const merged = reshapeRaw(holes, x.shape.map((d, i) => (i === axis ? d * factor : d)));
  return sliceAxes(merged, [axis], [0], [(n - 1) * factor + 1], [1]);
}

/** `x[start:stop:step]` on each listed axis (positive step, in range), other axes whole. */
export function sliceAxes(x: Tensor, axes: readonly number[], start: readonly number[], stop: readonly number[], step: readonly number[]): Tensor {
  const s0 = x.shape.map(() => 0), s1 = [...x.shape], st = x.shape.map(() => 1);
  axes.forEach((a, i) => ((s0[a] = start[i]!), (s1[a] = Math.max(start[i]!, stop[i]!)), (st[a] = step[i]!)));
  if (s0.every((v) => v === 0) && s1.every((v, i) => v === x.shape[i]) && st.every((v) => v === 1)) return x;
  return apply("slice", [x], { start: s0, stop: s1, step: st }, x.weak);
}

/**
 * Pads `axes` by signed `[lo, hi]` amounts with `fill`: positive amounts pad, negative ones crop
 * (JAX allows negative padding). Cropping is a slice so that the pad primitive only ever grows.
 */
export function padSigned(op: string, x: Tensor, axes: readonly number[], pads: readonly (readonly [number, number])[], fill: number): Tensor {
  axes.forEach((a, i) => {
    const [lo, hi] = pads[i]!;
    if (x.shape[a]! + lo + hi < 0) {
      throw new ShapeError(`${op}: negative padding [${lo}, ${hi}] is larger than dimension ${a} of size ${x.shape[a]}`);
    }
  });
  const lo = x.shape.map(() => 0), hi = x.shape.map(() => 0);
  axes.forEach((a, i) => ((lo[a] = Math.max(pads[i]![0], 0)), (hi[a] = Math.max(pads[i]![1], 0))));
  let y = lo.some((v) => v > 0) || hi.some((v) => v > 0) ? apply("pad", [x], { lo, hi, value: fill }, x.weak) : x;
  const start = axes.map((_, i) => Math.max(-pads[i]![0], 0));
  const stop = axes.map((a, i) => y.shape[a]! - Math.max(-pads[i]![1], 0));
  y = sliceAxes(y, axes, start, stop, axes.map(() => 1));
  return y;
}

/** Output length of a window sweep: `max(0, floor((n - window) / stride) + 1)` (JAX's stride_dim). */
export function windowCount(n: number, window: number, stride: number): number {
  return Math.max(0, Math.floor((n - window) / stride) + 1);
}

/**
 * One strided slice of `x` per window offset: for offset `k` (row-major over `window`), the
 * elements `x[..., o * stride + k * dilation, ...]` for every output position `o` along each of
 * `axes`. Every slice has the output's shape; `x` is already padded.
 *
 * Along an axis whose windows do not overlap (every offset falls inside one stride, as in
 * pooling), the axis is cropped to `out * stride` and split into `[out, stride]`, and an offset is
 * a unit slice of the inner axis. The values are the same; what differs is the transpose: a unit
 * slice transposes to a plain pad, which reads the cotangent at the same index for every offset
 * (computed once per element), while a strided slice transposes to an interleave whose offsets
 * each read it at another index (a pooling gradient recomputed once per window element).
 */
export function windowSlices(x: Tensor, axes: readonly number[], window: readonly number[], strides: readonly number[], dilation: readonly number[]): { slices: Tensor[]; outSizes: number[] } {
  const outSizes = axes.map((a, i) => windowCount(x.shape[a]!, dilatedSize(window[i]!, dilation[i]!), strides[i]!));
  const blocked = axes.map((a, i) => strides[i]! > 1 && outSizes[i]! > 0 && (window[i]! - 1) * dilation[i]! < strides[i]! && outSizes[i]! * strides[i]! <= x.shape[a]!);
  const split = blocked.some((b) => b) ? splitBlocks(x, axes, blocked, outSizes, strides) : null;
  const slices: Tensor[] = [];
  const total = window.reduce((p, k) => p * k, 1);
  for (let flat = 0; flat < total; flat++) {
    const offset = new Array<number>(window.length);
    let rest = flat;
    for (let i = window.length - 1; i >= 0; i--) ((offset[i] = rest % window[i]!), (rest = Math.floor(rest / window[i]!)));
    const start = offset.map((k, i) => k * dilation[i]!);
    if (!split) {
      const stop = start.map((s, i) => (outSizes[i]! === 0 ? s : s + (outSizes[i]! - 1) * strides[i]! + 1));
      slices.push(sliceAxes(x, axes, start, stop, strides));
      continue;
    }
    // In the split tensor: a blocked axis takes unit slice `start` of its inner axis; the others
    // keep their strided slice (their position shifts by the inner axes inserted before them).
    const sAxes: number[] = [], s0: number[] = [], s1: number[] = [], st: number[] = [];
    axes.forEach((_, i) => {
      const at = split.positions[i]!;
      if (blocked[i]) sAxes.push(at + 1), s0.push(start[i]!), s1.push(start[i]! + 1), st.push(1);
      else sAxes.push(at), s0.push(start[i]!), s1.push(outSizes[i]! === 0 ? start[i]! : start[i]! + (outSizes[i]! - 1) * strides[i]! + 1), st.push(strides[i]!);
    });
    const unit = sliceAxes(split.x, sAxes, s0, s1, st);
    const shape = [...x.shape];
    axes.forEach((a, i) => (shape[a] = outSizes[i]!));
    slices.push(reshapeRaw(unit, shape));
  }
  return { slices, outSizes };
}

/** `x` with each blocked axis cropped to `out * stride` and split into `[out, stride]`; where each of `axes` went. */
function splitBlocks(x: Tensor, axes: readonly number[], blocked: readonly boolean[], outSizes: readonly number[], strides: readonly number[]): { x: Tensor; positions: number[] } {
  const crop = axes.filter((_, i) => blocked[i]);
  const y = sliceAxes(x, crop, crop.map(() => 0), crop.map((a) => outSizes[axes.indexOf(a)]! * strides[axes.indexOf(a)]!), crop.map(() => 1));
  const shape: number[] = [], where: number[] = [];
  y.shape.forEach((d, a) => {
    where.push(shape.length);
    const i = axes.indexOf(a);
    if (i >= 0 && blocked[i]) shape.push(outSizes[i]!, strides[i]!);
    else shape.push(d);
  });
  return { x: reshapeRaw(y, shape), positions: axes.map((a) => where[a]!) };
}
