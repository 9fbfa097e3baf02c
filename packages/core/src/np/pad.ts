/**
 * `np.pad` with NumPy's / `jax.numpy`'s modes. "constant" is one `pad` node; the others are built
 * axis by axis, as NumPy fills them (a later axis reads the padding of the earlier ones, so corners
 * agree with NumPy): gathers of host-computed indices (edge, wrap), reversed chunks of what is
 * padded so far (reflect, symmetric, with their "odd" variants), ramps and statistics of the edge
 * rows. Everything is ordinary graph ops, so it differentiates, vmaps and jits.
 */
import { castScalar, isFloat, isInt } from "../dtype.js";
import { ShapeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { add, floor, multiply, round, subtract } from "./elementwise.js";
import { take } from "./indexing.js";
import { median } from "./quantile.js";
import { max, mean, min } from "./reduce.js";
import { concatenate } from "./shape.js";
import { apply, asTensor, astypeRaw, optionsOf, reshapeRaw } from "./util.js";

/** Padding widths per axis: `n` (all sides), `[lo, hi]` (every axis), or one `[lo, hi]` per axis. */
export type PadWidth = number | readonly (readonly [number, number])[] | readonly [number, number];

/** `np.pad`'s modes (NumPy's names). */
export type PadMode = "constant" | "edge" | "reflect" | "symmetric" | "wrap" | "linear_ramp" | "maximum" | "minimum" | "mean" | "median" | "empty";

/** A number, `[before, after]`, or one `[before, after]` per axis (NumPy's per-axis values). */
export type PadValues = number | readonly [number, number] | readonly (readonly [number, number])[];

/** Options of {@link pad}. */
export interface PadOptions {
  /** The mode (default "constant"); also the third positional argument. */
  mode?: PadMode;
  /** "constant": the fill (default 0). */
  constantValues?: PadValues;
  /** "linear_ramp": the values the ramps end at (default 0). */
  endValues?: PadValues;
  /** "maximum", "minimum", "mean", "median": how many edge values the statistic covers (default all). */
  statLength?: number | readonly [number, number] | readonly (readonly [number, number])[] | null;
  /** "reflect", "symmetric": "even" (default) mirrors; "odd" mirrors through the edge value (2·edge − mirrored). */
  reflectType?: "even" | "odd";
}

const MODES: ReadonlySet<string> = new Set<PadMode>(["constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum", "minimum", "mean", "median", "empty"]);
/** The modes each mode-specific option applies to. */
const OPTION_MODES: Readonly<Record<Exclude<keyof PadOptions, "mode">, readonly PadMode[]>> = {
  constantValues: ["constant"],
  endValues: ["linear_ramp"],
  statLength: ["maximum", "minimum", "mean", "median"],
  reflectType: ["reflect", "symmetric"],
};

/**
 * Pads `x` by `padWidth` per axis: `pad(x, 1)`, `pad(x, [1, 2])` (before/after on every axis) or
 * `pad(x, [[1, 2], [0, 1]])` (per axis), in NumPy's `mode` (default "constant" with
 * `constantValues`, default 0). Modes: "constant", "edge", "reflect", "symmetric", "wrap",
 * "linear_ramp" (`endValues`), "maximum"/"minimum"/"mean"/"median" (`statLength`), "empty" (zeros
 * here); "reflect"/"symmetric" take `reflectType: "odd"`. Integer arrays round a mean/median and
 * floor a ramp, as NumPy.
 * @example np.pad(np.array([1, 2]), [1, 2], { constantValues: 9 }) // [9, 1, 2, 9, 9]
 * @example np.pad(np.array([1, 2, 3]), 2, "reflect") // [3, 2, 1, 2, 3, 2, 1]
 * @example np.pad(np.array([1, 2, 3]), [1, 1], { mode: "edge" }) // [1, 1, 2, 3, 3]
 */
export function pad(x: ArrayLike, padWidth: PadWidth, mode?: PadMode | PadOptions, opts?: PadOptions, ...extra: undefined[]): Tensor {
  let o: PadOptions;
  if (typeof mode === "string") o = { ...optionsOf("pad", opts, "pad", extra), mode: mode as PadMode };
  else {
    if (opts !== undefined) throw new ValueError(`pad: the mode is given once: as the third argument (a string) or as the option 'mode', got ${describeValue(mode)} and then ${describeValue(opts)}`);
    o = optionsOf("pad", mode, "pad", extra);
  }
  const m = o.mode ?? "constant";
  if (typeof m !== "string" || !MODES.has(m)) throw new ValueError(`pad: mode must be one of ${[...MODES].map((s) => `"${s}"`).join(", ")}, got ${describeValue(m)}`);
  const t = asTensor(x, "pad");
  const widths = perAxis("padWidth", padWidth, t.ndim, true);
  for (const [key, modes] of Object.entries(OPTION_MODES) as [keyof PadOptions, readonly PadMode[]][]) {
    if (o[key] !== undefined && o[key] !== null && !modes.includes(m)) throw new ValueError(`pad: option '${key}' applies to mode ${modes.join(", ")}, not "${m}"`);
  }
  if (widths.every(([lo, hi]) => lo === 0 && hi === 0)) return t;
  if (m === "constant" || m === "empty") {
    const values = perAxis("constantValues", m === "empty" ? 0 : o.constantValues ?? 0, t.ndim);
    // One pad node when every side has the same fill; NumPy's axis order otherwise (a later axis fills the corners).
    if (values.every(([a, b]) => Object.is(a, values[0]![0]) && Object.is(b, values[0]![0]))) return constantPad(t, widths, values[0]![0]);
    let out = t;
    widths.forEach(([lo, hi], axis) => {
      out = constantPad(out, widths.map((_, i) => (i === axis ? [lo, 0] : [0, 0])), values[axis]![0]);
      out = constantPad(out, widths.map((_, i) => (i === axis ? [0, hi] : [0, 0])), values[axis]![1]);
    });
    return out;
  }
  widths.forEach(([lo, hi], axis) => {
    if ((lo > 0 || hi > 0) && t.shape[axis] === 0) {
      throw new ValueError(`pad: can't extend the empty axis ${axis} with mode "${m}" (only "constant" or "empty"); shape ${jsonOf(t.shape)}`);
    }
  });
  const reflectOdd = (o.reflectType ?? "even") === "odd";
  if (o.reflectType !== undefined && o.reflectType !== "even" && o.reflectType !== "odd") throw new ValueError(`pad: reflectType must be "even" or "odd", got ${describeValue(o.reflectType)}`);
  const ends = m === "linear_ramp" ? perAxis("endValues", o.endValues ?? 0, t.ndim) : [];
  const stats: (readonly [number | null, number | null])[] = o.statLength === undefined || o.statLength === null
    ? Array.from({ length: t.ndim }, () => [null, null] as const)
    : perAxis("statLength", o.statLength, t.ndim, true);
  let out = t;
  widths.forEach(([lo, hi], axis) => {
    if (lo === 0 && hi === 0) return;
    const n = out.shape[axis]!;
    switch (m) {
      case "edge": out = gather(out, axis, lo, hi, (i) => Math.min(n - 1, Math.max(0, i))); break;
      case "wrap": out = gather(out, axis, lo, hi, (i) => ((i % n) + n) % n); break;
      case "reflect":
      case "symmetric":
        // A size-1 axis reflects to its one value (NumPy's legacy rule for "reflect").
        out = n === 1 ? gather(out, axis, lo, hi, () => 0) : mirror(out, axis, lo, hi, m === "symmetric", reflectOdd);
        break;
      case "linear_ramp": out = ramps(out, axis, lo, hi, ends[axis]!); break;
      default: out = statPad(out, axis, lo, hi, m, stats[axis]!);
    }
  });
  return out;
}

function constantPad(t: Tensor, widths: readonly (readonly [number, number])[], value: number): Tensor {
  // The fill is stored in the array's dtype, so an int32 array padded with 1.5 gets 1, as NumPy.
  return apply("pad", [t], { lo: widths.map((w) => w[0]), hi: widths.map((w) => w[1]), value: castScalar(value, t.dtype) }, t.weak);
}

/** `t` along `axis` at the host-computed positions `idx` (one gather). */
function takeAt(t: Tensor, axis: number, idx: Int32Array): Tensor {
  return take(t, asTensor(idx, "pad"), axis);
}

/** The array along `axis` at source positions `at(i)` for i in [-lo, n + hi). */
function gather(t: Tensor, axis: number, lo: number, hi: number, at: (i: number) => number): Tensor {
  return takeAt(t, axis, Int32Array.from({ length: lo + t.shape[axis]! + hi }, (_, k) => at(k - lo)));
}

/** Positions [from, to) along `axis`, in reverse order when `reversed`. */
function slab(t: Tensor, axis: number, from: number, to: number, reversed: boolean): Tensor {
  return takeAt(t, axis, Int32Array.from({ length: to - from }, (_, k) => (reversed ? to - 1 - k : from + k)));
}

/**
 * NumPy's reflect/symmetric fill: rounds of chunks mirrored from what is valid so far (at most a
 * whole number of the original periods each round), both sides per round; "odd" takes 2·edge − chunk.
 */
function mirror(t: Tensor, axis: number, lo: number, hi: number, symmetric: boolean, odd: boolean): Tensor {
  const period = t.shape[axis]!;
  let cur = t;
  while (lo > 0 || hi > 0) {
    const len = cur.shape[axis]!;
    const old = symmetric ? Math.floor(len / period) * period : Math.floor((len - 1) / (period - 1)) * (period - 1);
    const edge = symmetric ? 0 : 1;
    const parts: Tensor[] = [];
    let left: Tensor | null = null, right: Tensor | null = null;
    if (lo > 0) {
      const c = Math.min(old, lo);
      left = slab(cur, axis, edge, edge + c, true);
      if (odd) left = subtract(multiply(slab(cur, axis, 0, 1, false), 2), left);
      lo -= c;
    }
    if (hi > 0) {
      const c = Math.min(old, hi);
      right = slab(cur, axis, len - edge - c, len - edge, true);
      if (odd) right = subtract(multiply(slab(cur, axis, len - 1, len, false), 2), right);
      hi -= c;
    }
    if (left) parts.push(astypeRaw(left, cur.dtype));
    parts.push(cur);
    if (right) parts.push(astypeRaw(right, cur.dtype));
    cur = concatenate(parts, axis);
  }
  return cur;
}

/** "linear_ramp": from the end value (outermost) towards the edge value, the edge excluded; ints floored. */
function ramps(t: Tensor, axis: number, lo: number, hi: number, [endLo, endHi]: readonly [number, number]): Tensor {
  const n = t.shape[axis]!;
  const ramp = (width: number, edgeAt: number, end: number, outward: boolean): Tensor => {
    const edge = astypeRaw(slab(t, axis, edgeAt, edgeAt + 1, false), isFloat(t.dtype) ? t.dtype : "float32");
    const steps = Float32Array.from({ length: width }, (_, k) => (outward ? width - 1 - k : k) / width);
    const shape = t.shape.map((_, i) => (i === axis ? width : 1));
    const frac = reshapeRaw(asTensor(steps, "pad"), shape);
    const r = add(multiply(subtract(edge, end), frac), end);
    return isInt(t.dtype) ? astypeRaw(floor(r), t.dtype) : astypeRaw(r, t.dtype);
  };
  const parts: Tensor[] = [];
  if (lo > 0) parts.push(ramp(lo, 0, endLo, false));
  parts.push(t);
  if (hi > 0) parts.push(ramp(hi, n - 1, endHi, true));
  return concatenate(parts, axis);
}

/** "maximum"/"minimum"/"mean"/"median" of the first/last `length` values along `axis`, repeated. */
function statPad(t: Tensor, axis: number, lo: number, hi: number, mode: PadMode, [lenLo, lenHi]: readonly [number | null, number | null]): Tensor {
  const n = t.shape[axis]!;
  const stat = (from: number, to: number, width: number): Tensor => {
    if (to <= from) throw new ValueError(`pad: statLength of 0 has no values to take the ${mode} of`);
    const s = slab(t, axis, from, to, false);
    const opts = { axis, keepdims: true };
    let v = mode === "maximum" ? max(s, opts) : mode === "minimum" ? min(s, opts) : mode === "mean" ? mean(s, opts) : median(s, opts);
    if (isInt(t.dtype) && !isInt(v.dtype)) v = astypeRaw(round(v), t.dtype);
    else v = astypeRaw(v, t.dtype);
    return takeAt(v, axis, new Int32Array(width));
  };
  const parts: Tensor[] = [];
  if (lo > 0) parts.push(stat(0, Math.min(n, lenLo ?? n), lo));
  parts.push(t);
  if (hi > 0) parts.push(stat(n - Math.min(n, lenHi ?? n), n, hi));
  return concatenate(parts, axis);
}

/**
 * Per-axis [before, after] values from a number, a pair, `[n]`, or one pair (or `[n]`) per axis;
 * `counts`: each a non-negative integer (pad widths, stat lengths).
 */
function perAxis(key: string, v: unknown, rank: number, counts = false): (readonly [number, number])[] {
  const ok = (w: unknown) => (counts ? Number.isInteger(w) && (w as number) >= 0 : typeof w === "number");
  const pair = (p: unknown): p is readonly number[] => Array.isArray(p) && (p.length === 2 || p.length === 1) && p.every(ok);
  const pairs = ok(v) ? [[v as number]] : pair(v) ? [v] : Array.isArray(v) && v.every(pair) ? (v as readonly (readonly number[])[]) : null;
  if (pairs === null) throw new ValueError(`pad: ${key} must be ${counts ? "a non-negative integer" : "a number"}, a [before, after] pair or one pair per axis, got ${jsonOf(v)}`);
  const out = pairs.map((p) => [p[0]!, p[p.length - 1]!] as const);
  if (out.length === 1) return Array.from({ length: rank }, () => out[0]!);
  if (out.length !== rank) throw new ShapeError(`pad: ${key} gives ${out.length} [before, after] pairs for an array of rank ${rank}`);
  return out;
}
