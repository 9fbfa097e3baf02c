/**
 * NumPy math, bitwise, NaN-aware and statistics functions that are compositions of existing
 * primitives (issue 15): nothing here adds a primitive, so jit, grad and vmap see only the
 * primitives each function is built from, and every backend runs them unchanged.
 */
import { type DType, castScalar, checkDType, isFloat, isInt, isUnsigned, promoteTypes } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { fmtShape, normAxis, shapeEq } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import {
  abs, add, ceil, lessEqual, divide, equal, exp, exp2, floor, floorDivide, greaterEqual, isfinite, isnan, less, log, log1p, logicalAnd,
  logicalNot, logicalOr, maximum, minimum, multiply, negative, notEqual, power, remainder, round, sign, sin, sqrt,
  subtract, where,
} from "./elementwise.js";
import { type ReduceOptions, accumulateInput, all, cumsum, max, mean, min, sum } from "./reduce.js";
import { concatenate, expandDims, squeeze, transpose } from "./shape.js";
import { broadcastShapes } from "../shape.js";
import { take } from "./indexing.js";
import { matmul } from "./linalg.js";
import { apply, asTensor, astypeRaw, fullRaw, optionsOf, prepareOperands, reshapeRaw } from "./util.js";
import { type Positional, positionalOptions } from "./positional.js";

// ---------------------------------------------------------------------------------------------
// Plumbing

/** Integers and bools become float32 (NumPy's float64 would not run on webgpu; JAX does the same). */
function asFloat(x: ArrayLike, op: string): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? t : astypeRaw(t, "float32");
}

/** Both operands promoted together, then made float (for ops NumPy defines only on floats). */
function floatPair(op: string, a: ArrayLike, b: ArrayLike): [Tensor, Tensor] {
  const prep = prepareOperands(op, [a, b]);
  const dt = isFloat(prep.dtype) ? prep.dtype : "float32";
  const [x, y] = prep.ts.map((t) => astypeRaw(t, dt));
  // Weak JS scalars stay weak, so `np.fmod(x16, 2)` keeps float16.
  return [new Tensor(x!.node, prep.weak), new Tensor(y!.node, prep.weak)];
}

/** The largest finite value of each float dtype (nanToNum's default for ±inf). */
const MAX_FINITE: { [D in DType]: number } = {
  float16: 65504,
  bfloat16: 3.3895313892515355e38, // (2 - 2^-7)·2^127
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
  int32: 2 ** 31 - 1,
  uint8: 255,
  uint32: 2 ** 32 - 1,
  bool: 1,
};

// ---------------------------------------------------------------------------------------------
// Elementwise math

/**
 * True where the sign bit is set: negative numbers and -0. NaN gives false (the sign of a NaN is
 * not observable through the primitives). Integers: `x < 0`; bool: false.
 * @example np.signbit([-1, -0, 0, 2]) // [true, true, false, false]
 */
export function signbit(x: ArrayLike): Tensor {
  const t = asTensor(x, "signbit");
  if (t.dtype === "bool") return fullRaw(t.shape, 0, "bool");
  if (!isFloat(t.dtype)) return less(t, 0);
  // -0 is the only zero whose reciprocal is negative.
  return logicalOr(less(t, 0), logicalAnd(equal(t, 0), less(divide(1, t), 0)));
}

/**
 * `|a|` with the sign of `b` (its sign bit: `copysign(1, -0)` is -1). Integers give float32.
 * @example np.copysign([1, -2, 3], [-1, 1, -0]) // [-1, 2, -3]
 */
export function copysign(a: ArrayLike, b: ArrayLike): Tensor {
  const [x, y] = floatPair("copysign", a, b);
  const m = abs(x);
  return where(signbit(y), negative(m), m);
}

/**
 * Elementwise maximum that ignores NaN: NaN only where both are NaN (NumPy's `fmax`).
 * @example np.fmax([1, NaN, NaN], [NaN, 2, NaN]) // [1, 2, NaN]
 */
export function fmax(a: ArrayLike, b: ArrayLike): Tensor {
  return nanIgnoring("fmax", maximum, a, b);
}

/**
 * Elementwise minimum that ignores NaN: NaN only where both are NaN (NumPy's `fmin`).
 * @example np.fmin([1, NaN, NaN], [NaN, 2, NaN]) // [1, 2, NaN]
 */
export function fmin(a: ArrayLike, b: ArrayLike): Tensor {
  return nanIgnoring("fmin", minimum, a, b);
}

function nanIgnoring(op: string, f: (a: ArrayLike, b: ArrayLike) => Tensor, a: ArrayLike, b: ArrayLike): Tensor {
  const prep = prepareOperands(op, [a, b]);
  const [x, y] = prep.ts.map((t) => new Tensor(t.node, prep.weak));
  if (!isFloat(prep.dtype)) return f(x!, y!);
  return where(isnan(y!), x!, where(isnan(x!), y!, f(x!, y!)));
}

/**
 * C's `fmod`: the remainder of truncated division, with the sign of the dividend (NumPy's `fmod`;
 * `remainder` follows the divisor instead). `fmod(x, 0)` is NaN for floats and 0 for integers;
 * `fmod(x, ±inf)` is `x` for finite `x`.
 * @example np.fmod([-3, 3, -3], [2, 2, -2]) // [-1, 1, -1]
 */
export function fmod(a: ArrayLike, b: ArrayLike): Tensor {
  const prep = prepareOperands("fmod", [a, b]);
  if (prep.dtype === "bool") throw new DTypeError(`fmod: not defined for bool operands; cast with astype first`);
  const [x, y] = prep.ts.map((t) => new Tensor(t.node, prep.weak));
  const r = remainder(x!, y!);
  // remainder takes the divisor's sign; moving a nonzero r into the dividend's sign is r - b.
  const wrongSign = logicalAnd(notEqual(r, 0), notEqual(less(r, 0), less(x!, 0)));
  const fixed = where(wrongSign, subtract(r, y!), r);
  if (!isFloat(prep.dtype)) return fixed;
  // remainder(-1, inf) is inf (NumPy), but fmod(-1, inf) is -1. The result always carries the
  // dividend's sign, zeros included (fmod(-4, 2) is -0), which copysign restores exactly.
  return where(logicalAnd(isInfRaw(y!), isfinite(x!)), x!, copysign(fixed, x!));
}

function isInfRaw(t: Tensor): Tensor {
  return apply("isinf", [t], {});
}

/**
 * Fractional and integral parts, both with the sign of `x`: `[frac, int]` (NumPy's `modf`). `±inf`
 * gives `[±0, ±inf]`. Integers give float32.
 * @example np.modf([3.5, -2.25]) // [[0.5, -0.25], [3, -2]]
 */
export function modf(x: ArrayLike): [Tensor, Tensor] {
  const t = asFloat(x, "modf");
  const int = trunc(t);
  const frac = copysign(where(isInfRaw(t), 0, subtract(t, int)), t);
  return [frac, int];
}

/** Rounds toward zero (keeps -0 for negative fractions, as C's trunc). */
function trunc(t: Tensor): Tensor {
  return where(less(t, 0), ceil(t), floor(t));
}

/**
 * `[floorDivide(a, b), remainder(a, b)]` (NumPy's `divmod`).
 * @example np.divmod([7, -7], 2) // [[3, -4], [1, 1]]
 */
export function divmod(a: ArrayLike, b: ArrayLike): [Tensor, Tensor] {
  return [floorDivide(a, b), remainder(a, b)];
}

/**
 * `a ** b` computed in floating point: integer operands are promoted to float32 (JAX's
 * `float_power`; NumPy promotes to float64, which webgpu does not have), so negative integer
 * exponents work.
 * @example np.floatPower([2, 4], -1) // [0.5, 0.25]
 */
export function floatPower(a: ArrayLike, b: ArrayLike): Tensor {
  const [x, y] = floatPair("floatPower", a, b);
  return power(x, y);
}

/**
 * Normalized sinc `sin(πx) / (πx)`, 1 at 0 (with derivative 0 there).
 * @example np.sinc([0, 0.5, 1]) // [1, 0.63662, 0]
 */
export function sinc(x: ArrayLike): Tensor {
  const t = asFloat(x, "sinc");
  const zero = equal(t, 0);
  // The safe operand keeps the untaken branch (and so its gradient) free of 0/0.
  const px = multiply(where(zero, 1, t), Math.PI);
  return where(zero, 1, divide(sin(px), px));
}

/**
 * Base-10 logarithm. @example np.log10([1, 100]) // [0, 2]
 */
export function log10(x: ArrayLike): Tensor {
  return multiply(log(x), Math.LOG10E);
}

/**
 * `log(exp(a) + exp(b))` without overflow: `max + log1p(exp(-|a - b|))`; equal infinities give
 * themselves (`logaddexp(-inf, -inf)` is -inf).
 * @example np.logaddexp(1000, 1000) // 1000.6931
 */
export function logaddexp(a: ArrayLike, b: ArrayLike): Tensor {
  const [x, y] = floatPair("logaddexp", a, b);
  const delta = subtract(x, y);
  // delta is NaN only for equal infinities (or a NaN operand): x + y is then the right answer.
  return where(isnan(delta), add(x, y), add(maximum(x, y), log1p(exp(negative(abs(delta))))));
}

/**
 * `log2(2^a + 2^b)` without overflow: `max + log1p(2^-|a - b|) / ln 2`.
 * @example np.logaddexp2(1, 1) // 2
 */
export function logaddexp2(a: ArrayLike, b: ArrayLike): Tensor {
  const [x, y] = floatPair("logaddexp2", a, b);
  const delta = subtract(x, y);
  return where(isnan(delta), add(x, y), add(maximum(x, y), multiply(log1p(exp2(negative(abs(delta)))), Math.LOG2E)));
}

/**
 * True where `x` is +inf or -inf. Integers and bools are never infinite.
 * @example np.isinf([1, Infinity, -Infinity, NaN]) // [false, true, true, false]
 */
export function isinf(x: ArrayLike): Tensor {
  const t = asTensor(x, "isinf");
  return isFloat(t.dtype) ? isInfRaw(t) : fullRaw(t.shape, 0, "bool");
}

export interface NanToNumOptions {
  /** Replaces NaN. Default 0. */
  nan?: number;
  /** Replaces +inf. Default: the dtype's largest finite value. */
  posinf?: number;
  /** Replaces -inf. Default: minus the dtype's largest finite value. */
  neginf?: number;
}

/**
 * Replaces NaN and infinities by finite numbers (NumPy's `nan_to_num`). Integer and bool inputs are
 * returned unchanged.
 * @example np.nanToNum([NaN, Infinity, -Infinity, 1]) // [0, 3.4028235e38, -3.4028235e38, 1]
 * @example np.nanToNum([NaN, Infinity], { nan: -1, posinf: 9 }) // [-1, 9]
 */
export function nanToNum(x: ArrayLike, options?: NanToNumOptions, ...extra: undefined[]): Tensor {
  const opts = optionsOf("nanToNum", options, "nanToNum", extra);
  const t = asTensor(x, "nanToNum");
  for (const k of ["nan", "posinf", "neginf"] as const) {
    if (opts[k] !== undefined && typeof opts[k] !== "number") throw new ValueError(`nanToNum: ${k} must be a number, got ${describeValue(opts[k])}`);
  }
  if (!isFloat(t.dtype)) return t;
  const big = MAX_FINITE[t.dtype];
  const noInf = where(equal(t, Infinity), opts.posinf ?? big, where(equal(t, -Infinity), opts.neginf ?? -big, t));
  return where(isnan(t), opts.nan ?? 0, noInf);
}

/**
 * Rounds to the nearest integer, halves to even; integers give float32 (NumPy's `rint`).
 * @example np.rint([0.5, 1.5, -2.5]) // [0, 2, -2]
 */
export function rint(x: ArrayLike): Tensor {
  return round(asFloat(x, "rint"));
}

// ---------------------------------------------------------------------------------------------
// Bitwise (integers and bool; the `and`/`or`/`xor`/`shl`/`shrl` primitives)

function bitsOperands(op: string, a: ArrayLike, b: ArrayLike, allowBool: boolean): { x: Tensor; y: Tensor; weak: boolean; dtype: DType } {
  const prep = prepareOperands(op, [a, b]);
  let dtype = prep.dtype;
  if (dtype === "bool" && !allowBool) dtype = "int32"; // NumPy shifts bools as integers
  if (!isInt(dtype) && dtype !== "bool") throw new DTypeError(`${op}: expected integer or bool operands, got ${prep.dtype}`);
  const [x, y] = prep.ts.map((t) => astypeRaw(t, dtype));
  return { x: x!, y: y!, weak: prep.weak, dtype };
}

/**
 * Bitwise AND of int32s, logical AND of bools.
 * @example np.bitwiseAnd([12, 10], 6) // [4, 2]
 */
export function bitwiseAnd(a: ArrayLike, b: ArrayLike): Tensor {
  const { x, y, weak } = bitsOperands("bitwiseAnd", a, b, true);
  return apply("and", [x, y], {}, weak);
}

/**
 * Bitwise OR of int32s, logical OR of bools.
 * @example np.bitwiseOr([12, 10], 6) // [14, 14]
 */
export function bitwiseOr(a: ArrayLike, b: ArrayLike): Tensor {
  const { x, y, weak } = bitsOperands("bitwiseOr", a, b, true);
  return apply("or", [x, y], {}, weak);
}

/**
 * Bitwise XOR of int32s, logical XOR of bools.
 * @example np.bitwiseXor([12, 10], 6) // [10, 12]
 */
export function bitwiseXor(a: ArrayLike, b: ArrayLike): Tensor {
  const { x, y, weak } = bitsOperands("bitwiseXor", a, b, true);
  return apply("xor", [x, y], {}, weak);
}

/**
 * Bitwise NOT: `~x` for integers (`-x - 1` on int32, `255 - x` on uint8), logical NOT for bool.
 * @example np.invert([0, 5, -1]) // [-1, -6, 0]
 */
export function invert(x: ArrayLike): Tensor {
  const t = asTensor(x, "invert");
  if (t.dtype === "bool") return apply("not", [t], {});
  if (!isInt(t.dtype)) throw new DTypeError(`invert: expected an integer or bool operand, got ${t.dtype}`);
  // All ones in the dtype (-1 wraps to 255 / 2^32 - 1).
  return apply("xor", [t, fullRaw(t.shape, castScalar(-1, t.dtype), t.dtype)], {}, t.weak);
}

/** Shift counts outside [0, 32) shift every bit out, as NumPy's `npy_lshift`/`npy_rshift`. */
function shiftParts(op: string, a: ArrayLike, b: ArrayLike) {
  const { x, y, weak } = bitsOperands(op, a, b, false);
  const out = logicalOr(less(y, 0), greaterEqual(y, 32));
  // The count takes x's dtype (exact: it is in [0, 32)): a JS number beside a uint32 x is int32.
  const count = where(out, 0, y);
  return { x, count: count.dtype === x.dtype ? new Tensor(count.node) : count.astype(x.dtype), out, weak };
}

/**
 * `a << b` on int32 (wrapping); counts outside [0, 32) give 0, as NumPy. bool operands shift as int32.
 * @example np.leftShift([1, 3], [2, 1]) // [4, 6]
 */
export function leftShift(a: ArrayLike, b: ArrayLike): Tensor {
  const { x, count, out, weak } = shiftParts("leftShift", a, b);
  return where(out, 0, apply("shl", [x, count], {}, weak));
}

/**
 * `a >> b`: arithmetic on int32 (the sign is copied in), logical on uint8/uint32; counts outside
 * [0, 32) give 0 (or -1 for a negative int32 `a`), as NumPy.
 * @example np.rightShift([16, -16], 2) // [4, -4]
 */
export function rightShift(a: ArrayLike, b: ArrayLike): Tensor {
  const { x, count, out, weak } = shiftParts("rightShift", a, b);
  if (isUnsigned(x.dtype)) return new Tensor(where(out, 0, apply("shrl", [x, count], {})).node, weak);
  // The primitive shifts logically; for negative x, ~(~x >>> b) fills with ones instead.
  const ones = fullRaw(x.shape, -1, "int32");
  const neg = less(x, 0);
  const flipped = apply("xor", [x, ones], {});
  const logical = apply("shrl", [where(neg, flipped, x), count], {});
  const shifted = where(neg, apply("xor", [logical, ones], {}), logical);
  return new Tensor(where(out, where(neg, -1, 0), shifted).node, weak);
}

/**
 * Logical XOR (nonzero counts as true).
 * @example np.logicalXor([true, true, 0], [false, 1, 0]) // [true, false, false]
 */
export function logicalXor(a: ArrayLike, b: ArrayLike): Tensor {
  const toBool = (v: ArrayLike): Tensor => {
    const t = asTensor(v, "logicalXor");
    return t.dtype === "bool" ? t : notEqual(t, 0);
  };
  const prep = prepareOperands("logicalXor", [toBool(a), toBool(b)]);
  return apply("xor", prep.ts, {});
}

// ---------------------------------------------------------------------------------------------
// Types

/**
 * The dtype NumPy/JAX promotion gives for these operands: arrays, JS scalars (weak) or dtype
 * names (strong).
 * @example np.resultType("int32", 1.5) // "float32"
 * @example np.resultType(np.array([1], { dtype: "float16" }), "float32") // "float32"
 */
export function resultType(...args: (ArrayLike | DType)[]): DType {
  if (!args.length) throw new ValueError(`resultType: needs at least one operand`);
  const parts = args.map((a): [DType, boolean] => {
    if (typeof a === "string") return [checkDType(a, "resultType"), false];
    const t = asTensor(a, "resultType");
    return [t.dtype, t.weak];
  });
  let [dt, weak] = parts[0]!;
  for (const [d, w] of parts.slice(1)) {
    dt = promoteTypes(dt, weak, d, w);
    weak = weak && w;
  }
  return dt;
}

/**
 * Whether `x` is a scalar: a JS number or boolean, or a 0-d Tensor (as `jnp.isscalar`; NumPy's
 * `isscalar` says false for 0-d arrays). JS arrays and higher-rank Tensors are not.
 * @example np.isscalar(3.5) // true
 * @example np.isscalar(np.array(3.5)) // true
 * @example np.isscalar(np.array([3.5])) // false
 */
export function isscalar(x: unknown): boolean {
  return typeof x === "number" || typeof x === "boolean" || (x instanceof Tensor && x.ndim === 0);
}

// ---------------------------------------------------------------------------------------------
// Counting, weighted and NaN-aware reductions

/**
 * Number of nonzero (true) elements over `axis` (all when absent), as int32.
 * @example np.countNonzero([[0, 1, 7], [0, 0, 2]], { axis: 1 }) // [2, 1]
 */
export function countNonzero(x: ArrayLike, ...args: Positional<"countNonzero", ReduceOptions>): Tensor {
  const opts = positionalOptions<ReduceOptions>("countNonzero", args);
  const t = asTensor(x, "countNonzero");
  const nz = t.dtype === "bool" ? t : notEqual(t, 0);
  return sum(nz, { axis: opts.axis, keepdims: opts.keepdims, dtype: "int32" });
}

export interface AverageOptions extends ReduceOptions {
  /** Weights: the shape of `x`, or 1-D along a single `axis`. Absent: all ones. */
  weights?: ArrayLike;
}

/**
 * Weighted mean over `axis`: `sum(x * w) / sum(w)`. With `returned: true`, also the sum of the
 * weights, broadcast to the result's shape: `[avg, sumOfWeights]`. Weights summing to zero give
 * NaN/inf (NumPy raises ZeroDivisionError, which needs the data).
 * @example np.average([1, 2, 3, 4], { weights: [4, 3, 2, 1] }) // 2
 * @example np.average([[1, 2], [3, 4]], { axis: 1, returned: true }) // [[1.5, 3.5], [2, 2]]
 * @example np.average([[1, 2], [3, 4]], 1, [3, 1]) // NumPy order axis, weights, returned, keepdims: [1.25, 3.25]
 */
export function average(x: ArrayLike, options: AverageOptions & { returned: true }): [Tensor, Tensor];
export function average(x: ArrayLike, axis: ReduceOptions["axis"], weights: ArrayLike | null | undefined, returned: true, keepdims?: boolean | null): [Tensor, Tensor];
export function average(x: ArrayLike, ...args: Positional<"average", AverageOptions & { returned?: false }>): Tensor;
export function average(x: ArrayLike, ...args: unknown[]): Tensor | [Tensor, Tensor] {
  const opts = positionalOptions<AverageOptions & { returned?: boolean }>("average", args);
  const t = asFloat(x, "average");
  const red = { axis: opts.axis, keepdims: opts.keepdims };
  let avg: Tensor, scl: Tensor;
  if (opts.weights === undefined || opts.weights === null) {
    avg = mean(t, red);
    // Unit weights: their sum is the number of elements reduced into each output.
    const count = avg.size === 0 ? 0 : t.size / avg.size;
    scl = fullRaw(avg.shape, count, avg.dtype);
  } else {
    let w = asTensor(opts.weights, "average");
    if (!shapeEq(w.shape, t.shape)) {
      if (opts.axis === undefined || opts.axis === null) throw new ShapeError(`average: axis must be given when x (shape ${fmtShape(t.shape)}) and weights (shape ${fmtShape(w.shape)}) differ in shape`);
      if (typeof opts.axis !== "number" || w.ndim !== 1) throw new ShapeError(`average: 1-D weights need a single axis; weights of shape ${fmtShape(w.shape)} differ from x's ${fmtShape(t.shape)}`);
      const axis = normAxis("average", opts.axis, t.ndim);
      if (w.shape[0] !== t.shape[axis]) throw new ShapeError(`average: weights of length ${w.shape[0]} do not match axis ${opts.axis} of length ${t.shape[axis]}`);
      w = reshapeRaw(w, t.shape.map((d, i) => (i === axis ? d : 1)));
    }
    const dt = resultType(t, w);
    const wf = astypeRaw(w, isFloat(dt) ? dt : "float32");
    scl = sum(multiply(wf, fullRaw(t.shape, 1, wf.dtype)), red);
    avg = divide(sum(multiply(t, wf), red), scl);
  }
  return opts.returned ? [avg, scl] : avg;
}

/**
 * Sum treating NaN as 0. @example np.nansum([1, NaN, 2]) // 3
 */
export function nansum(x: ArrayLike, ...args: Positional<"nansum", ReduceOptions>): Tensor {
  return sum(zeroNans(x, "nansum"), positionalOptions<ReduceOptions>("nansum", args));
}

function zeroNans(x: ArrayLike, op: string): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? where(isnan(t), 0, t) : t;
}

/**
 * Mean of the non-NaN elements; a slice of only NaNs gives NaN.
 * @example np.nanmean([1, NaN, 3]) // 2
 */
export function nanmean(x: ArrayLike, ...args: Positional<"nanmean", ReduceOptions>): Tensor {
  const opts = positionalOptions<ReduceOptions>("nanmean", args);
  const t = asFloat(x, "nanmean");
  const count = sum(logicalNot(isnan(t)), { axis: opts.axis, keepdims: opts.keepdims, dtype: t.dtype });
  return divide(sum(where(isnan(t), 0, t), opts), count);
}

/**
 * Maximum ignoring NaN; a slice of only NaNs gives NaN. An empty reduction is a ValueError.
 * @example np.nanmax([[1, NaN], [NaN, NaN]], { axis: 1 }) // [1, NaN]
 */
export function nanmax(x: ArrayLike, ...args: Positional<"nanmax", ReduceOptions>): Tensor {
  return nanExtremum("nanmax", max, -Infinity, x, positionalOptions("nanmax", args));
}

/**
 * Minimum ignoring NaN; a slice of only NaNs gives NaN. An empty reduction is a ValueError.
 * @example np.nanmin([3, NaN, 1]) // 1
 */
export function nanmin(x: ArrayLike, ...args: Positional<"nanmin", ReduceOptions>): Tensor {
  return nanExtremum("nanmin", min, Infinity, x, positionalOptions("nanmin", args));
}

function nanExtremum(op: string, f: typeof max, fill: number, x: ArrayLike, opts: ReduceOptions): Tensor {
  const t = asTensor(x, op);
  if (!isFloat(t.dtype)) return f(t, opts);
  const nan = isnan(t);
  return where(all(nan, opts), NaN, f(where(nan, fill, t), opts));
}

export interface CumulativeOptions {
  /** Absent: over the flattened array (NumPy). */
  axis?: number | null;
  dtype?: DType;
}

/**
 * Cumulative product along `axis` (flattened when absent); bool counts as int32 and uint8 as
 * uint32 (as `prod`). Exact for zeros
 * and negative numbers: a log-depth doubling scan (Hillis–Steele) of products of shifted slices,
 * never exp/log. int32 wraps as NumPy.
 * @example np.cumprod([1, 2, 3, 4]) // [1, 2, 6, 24]
 * @example np.cumprod([[1, -2], [0, 3]], { axis: 0 }) // [[1, -2], [0, -6]]
 */
export function cumprod(x: ArrayLike, ...args: Positional<"cumprod", CumulativeOptions>): Tensor {
  const opts = positionalOptions<CumulativeOptions>("cumprod", args);
  if (opts.axis !== undefined && opts.axis !== null && typeof opts.axis !== "number") throw new ValueError(`cumprod: axis must be an integer, got ${describeValue(opts.axis)}`);
  // The accumulation dtype of sum, prod and cumsum: uint8 accumulates in uint32 (JAX), bool in int32.
  const t0 = accumulateInput("cumprod", x, opts.dtype);
  const flat = opts.axis === undefined || opts.axis === null || t0.ndim === 0;
  if (t0.ndim === 0 && opts.axis !== undefined && opts.axis !== null) normAxis("cumprod", opts.axis, 1);
  let y = flat ? reshapeRaw(t0, [t0.size]) : t0;
  const axis = flat ? 0 : normAxis("cumprod", opts.axis as number, y.ndim);
  const n = y.shape[axis]!;
  // Step k multiplies each element by the partial product ending k places earlier (1 before the start).
  for (let k = 1; k < n; k *= 2) {
    const start = y.shape.map(() => 0);
    const stop = y.shape.map((d, i) => (i === axis ? d - k : d));
    const head = apply("slice", [y], { start, stop, step: y.shape.map(() => 1) });
    const lo = y.shape.map((_, i) => (i === axis ? k : 0));
    const shifted = apply("pad", [head], { lo, hi: y.shape.map(() => 0), value: 1 });
    y = new Tensor(apply("mul", [y, shifted], {}).node, t0.weak);
  }
  return y;
}

/**
 * Cumulative sum treating NaN as 0. @example np.nancumsum([1, NaN, 2]) // [1, 1, 3]
 */
export function nancumsum(x: ArrayLike, options?: CumulativeOptions, ...extra: undefined[]): Tensor {
  return cumsum(zeroNans(x, "nancumsum"), optionsOf("nancumsum", options, "nancumsum", extra));
}

// ---------------------------------------------------------------------------------------------
// Comparison of whole arrays

/**
 * Whether two arrays have the same shape and elements, as a 0-d bool Tensor (JAX; NumPy returns a
 * Python bool). Different shapes give false without comparing. NaN ≠ NaN unless `equalNan`.
 * @example np.arrayEqual([1, 2], [1, 2]) // true
 * @example np.arrayEqual([1, NaN], [1, NaN], { equalNan: true }) // true
 */
export function arrayEqual(a: ArrayLike, b: ArrayLike, options?: { equalNan?: boolean; /** jax-js's spelling of equalNan. */ equalNaN?: boolean }, ...extra: undefined[]): Tensor {
  const opts = optionsOf("arrayEqual", options, "arrayEqual", extra);
  const x = asTensor(a, "arrayEqual"), y = asTensor(b, "arrayEqual");
  if (!shapeEq(x.shape, y.shape)) return fullRaw([], 0, "bool");
  let eq = equal(x, y);
  if (opts.equalNan ?? opts.equalNaN) eq = logicalOr(eq, logicalAnd(isnanAny(x), isnanAny(y)));
  return all(eq);
}

function isnanAny(t: Tensor): Tensor {
  return isFloat(t.dtype) ? isnan(t) : fullRaw(t.shape, 0, "bool");
}

/**
 * Whether two arrays are equal after broadcasting, as a 0-d bool Tensor; shapes that do not
 * broadcast give false.
 * @example np.arrayEquiv([1, 2], [[1, 2], [1, 2]]) // true
 */
export function arrayEquiv(a: ArrayLike, b: ArrayLike): Tensor {
  const x = asTensor(a, "arrayEquiv"), y = asTensor(b, "arrayEquiv");
  try {
    broadcastShapes("arrayEquiv", x.shape, y.shape);
  } catch (e) {
    if (e instanceof ShapeError) return fullRaw([], 0, "bool");
    throw e;
  }
  return all(equal(x, y));
}

export interface IsCloseOptions {
  /** Relative tolerance, scaled by `|b|`. Default 1e-5. */
  rtol?: number;
  /** Absolute tolerance. Default 1e-8. */
  atol?: number;
  /** NaNs in the same place count as equal. Default false. */
  equalNan?: boolean;
  /** jax-js's spelling of `equalNan`. */
  equalNaN?: boolean;
}

/**
 * `|a - b| <= atol + rtol * |b|` elementwise (NumPy's `isclose`, asymmetric in `b`); infinities
 * are close only to themselves, NaN to nothing unless `equalNan`.
 * @example np.isclose([1, 1e-9, Infinity], [1.000001, 0, Infinity]) // [true, true, true]
 */
export function isclose(a: ArrayLike, b: ArrayLike, options?: IsCloseOptions, ...extra: undefined[]): Tensor {
  const opts = optionsOf("isclose", options, "isclose", extra);
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-8;
  if (typeof rtol !== "number" || typeof atol !== "number") throw new ValueError(`isclose: rtol and atol must be numbers`);
  const [x, y] = floatPair("isclose", a, b);
  const near = logicalAnd(lessEqual(abs(subtract(x, y)), add(atol, multiply(rtol, abs(y)))), isfinite(y));
  const close = logicalOr(near, equal(x, y));
  return (opts.equalNan ?? opts.equalNaN) ? logicalOr(close, logicalAnd(isnan(x), isnan(y))) : close;
}

/**
 * Whether every element pair is `isclose`, as a 0-d bool Tensor.
 * @example np.allclose([1, 2], [1, 2.00001]) // true
 */
export function allclose(a: ArrayLike, b: ArrayLike, options?: IsCloseOptions, ...extra: undefined[]): Tensor {
  return all(isclose(a, b, optionsOf("allclose", options, "allclose", extra)));
}

// ---------------------------------------------------------------------------------------------
// Covariance

export interface CovOptions {
  /** Extra variables, stacked after `m`'s. */
  y?: ArrayLike;
  /** Rows are variables and columns observations (default true). */
  rowvar?: boolean;
  /** Divide by N instead of N - 1. */
  bias?: boolean;
  /** Overrides `bias`: the divisor is N - ddof. */
  ddof?: number;
}

function asVariables(op: string, x: ArrayLike, rowvar: boolean): Tensor {
  let t = asFloat(x, op);
  if (t.ndim > 2) throw new ShapeError(`${op}: expected a 1-D or 2-D array, got shape ${fmtShape(t.shape)}`);
  if (t.ndim < 2) t = reshapeRaw(t, [1, t.size]);
  return !rowvar && t.shape[0] !== 1 ? transpose(t) : t;
}

/**
 * Covariance matrix of the variables in the rows of `m` (columns when `rowvar: false`), squeezed
 * as NumPy: one variable gives a 0-d Tensor. `fweights`/`aweights` are not supported. The options
 * may also be given positionally in JAX's order (`y, rowvar, bias, ddof`); a null `y` is no `y`.
 * @example np.cov([[0, 1, 2], [2, 1, 0]]) // [[1, -1], [-1, 1]]
 * @example np.cov([-1, 0, 1], [1, 0, -1]) // [[1, -1], [-1, 1]]
 * @example np.cov(samples, null, { rowvar: false }) // variables in columns
 */
export function cov(m: ArrayLike, ...args: Positional<"cov", CovOptions>): Tensor {
  const opts = positionalOptions<CovOptions>("cov", args);
  const rowvar = opts.rowvar ?? true;
  let x = asVariables("cov", m, rowvar);
  if (opts.y !== undefined) {
    const y = asVariables("cov", opts.y, rowvar);
    if (y.shape[1] !== x.shape[1]) throw new ShapeError(`cov: m and y have ${x.shape[1]} and ${y.shape[1]} observations`);
    x = concatenate([x, y], { axis: 0 });
  }
  const ddof = opts.ddof ?? (opts.bias ? 0 : 1);
  if (typeof ddof !== "number" || !Number.isInteger(ddof)) throw new ValueError(`cov: ddof must be an integer, got ${describeValue(ddof)}`);
  const n = x.shape[1]!;
  const xc = subtract(x, mean(x, { axis: 1, keepdims: true }));
  // NumPy clamps the divisor at 0 (with a warning): inf or NaN.
  const c = divide(matmul(xc, transpose(xc)), Math.max(n - ddof, 0));
  return squeeze(c);
}

/**
 * Pearson correlation coefficients `cov[i, j] / sqrt(cov[i, i] * cov[j, j])`, clipped to [-1, 1].
 * `y` and `rowvar` may also be given positionally, in JAX's order.
 * @example np.corrcoef([[0, 1, 2], [2, 1, 0]]) // [[1, -1], [-1, 1]]
 * @example np.corrcoef([0, 1, 2], [2, 1, 0]) // [[1, -1], [-1, 1]]
 */
export function corrcoef(x: ArrayLike, ...args: Positional<"corrcoef", Pick<CovOptions, "y" | "rowvar">>): Tensor {
  const opts = positionalOptions<Pick<CovOptions, "y" | "rowvar">>("corrcoef", args);
  const c = cov(x, { y: opts.y, rowvar: opts.rowvar });
  if (c.ndim === 0) return divide(c, c);
  const k = c.shape[0]!;
  const onDiagonal = Array.from({ length: k }, (_, i) => i * (k + 1));
  const diag = take(reshapeRaw(c, [k * k]), asTensor(onDiagonal, "corrcoef", "int32"));
  const s = sqrt(diag);
  const r = divide(divide(c, expandDims(s, 1)), expandDims(s, 0));
  return maximum(minimum(r, 1), -1);
}
