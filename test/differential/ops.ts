/**
 * The op table of the random program generator (program.ts): one row per op family member. A
 * row sees the avals of the values built so far, picks operands and parameters (or declines with
 * null), and returns an `Instr` holding both the builder and the printed code, so the two cannot
 * drift apart. Domain guards are smooth (e.g. `log(x² + 0.5)`), so a program without a kinked op
 * is differentiable everywhere.
 */
import { type DType, type Tensor, lax, newaxis, np } from "kiln";
import { npUtil } from "kiln/internal";

/** One call of a program: operands by value index, its builder, its printed form. */
export interface Instr {
  /** The op table row that made it (a key of OPS). */
  readonly op: string;
  readonly args: readonly number[];
  readonly build: (xs: readonly Tensor[]) => Tensor;
  readonly code: (names: readonly string[]) => string;
  /** False for ops with kinks or jumps (abs, max, floor, comparisons, integer casts...). */
  readonly smooth: boolean;
  /**
   * The row's drawn parameters as plain JSON (axes, shapes, indices...): with `op` and `args`, a
   * complete description of the call, which the NumPy evaluator (scripts/npdiff-fixtures.py) reads.
   */
  readonly p?: Readonly<Record<string, unknown>>;
  /** The call reads values to size its result (`np.unique` without `size`): eager programs only. */
  readonly eagerOnly?: boolean;
}

export interface Aval {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export type Rand = () => number;
export const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
export const lit = (v: unknown) => JSON.stringify(v);
/** Float values (float16 and bfloat16 included: computed in float32, rounded on every backend). */
const isF = (a: Aval) => a.dtype === "float32" || a.dtype === "float16" || a.dtype === "bfloat16";

/** Picks an operand index (recent values are likelier) satisfying `ok`, or -1. */
function operand(r: Rand, avals: readonly Aval[], ok: (a: Aval) => boolean): number {
  const c = avals.map((a, i) => [a, i] as const).filter(([a]) => ok(a)).map(([, i]) => i);
  if (c.length === 0) return -1;
  return r() < 0.6 ? c[c.length - 1]! : pick(r, c);
}

type Row = (r: Rand, avals: readonly Aval[]) => Instr | null;

/** A unary call `f(x)` on a value accepted by `ok`; `code` prints it from the operand name. */
function unary(op: string, ok: (a: Aval) => boolean, f: (x: Tensor) => Tensor, code: (x: string) => string, smooth = true): Row {
  return (r, avals) => {
    const i = operand(r, avals, ok);
    return i < 0 ? null : { op, args: [i], build: ([x]) => f(x!), code: ([x]) => code(x!), smooth };
  };
}

/** Shapes that broadcast: equal after aligning on the right, or 1 on one side. */
function broadcasts(a: readonly number[], b: readonly number[]): boolean {
  for (let k = 1; k <= Math.min(a.length, b.length); k++) {
    const x = a[a.length - k]!, y = b[b.length - k]!;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** A binary call on two broadcast-compatible values accepted by `ok` with equal dtypes. */
function binary(op: string, ok: (a: Aval) => boolean, f: (a: Tensor, b: Tensor) => Tensor, code: (a: string, b: string) => string, smooth = true): Row {
  return (r, avals) => {
    const i = operand(r, avals, ok);
    if (i < 0) return null;
    const a = avals[i]!;
    const j = operand(r, avals, (b) => ok(b) && b.dtype === a.dtype && broadcasts(a.shape, b.shape));
    return { op, args: [i, j], build: ([x, y]) => f(x!, y!), code: ([x, y]) => code(x!, y!), smooth };
  };
}

const anyDt = () => true;
const numeric = (a: Aval) => a.dtype !== "bool";
/** Integer values: int32, uint8 and uint32 (the unsigned ones wrap modulo 2^8 / 2^32). */
const intOnly = (a: Aval) => a.dtype === "int32" || a.dtype === "uint8" || a.dtype === "uint32";
const boolOnly = (a: Aval) => a.dtype === "bool";
const hasAxes = (a: Aval) => a.shape.length > 0;

/**
 * The NumPy programs' own stream for how an axis is spelled (set while one is generated, see
 * `withAxisSpelling`): drawn apart from the program's stream, so the programs stay what they were
 * and only some axes turn negative.
 */
let axisSpelling: Rand | null = null;

/** Runs `f` (a program's generation) with some axes spelled negatively, drawn from `r`. */
export function withAxisSpelling<T>(r: Rand, f: () => T): T {
  const previous = axisSpelling;
  axisSpelling = r;
  try {
    return f();
  } finally {
    axisSpelling = previous;
  }
}

/** `axis` of a rank-`rank` value (`rank + 1` for a new axis), or at times in a NumPy program its negative spelling `axis - rank`. */
const spell = (axis: number, rank: number): number => (axisSpelling && axisSpelling() < 0.3 ? axis - rank : axis);
const spellAll = (axes: readonly number[], rank: number): number[] => axes.map((a) => spell(a, rank));

/** A random subset of `0..rank-1` (possibly empty), ascending. */
function axesSubset(r: Rand, rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i).filter(() => r() < 0.5);
}

/** A reshape target of `shape`: merges runs of adjacent axes (3+ at times) and splits some. */
function reshapeTarget(r: Rand, shape: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < shape.length) {
    const run = Math.min(shape.length - i, pick(r, [1, 1, 2, 3, 4]));
    out.push(size(shape.slice(i, i + run)));
    i += run;
  }
  // Split a composite size or insert a size-1 axis, sometimes.
  const k = int(r, 0, out.length);
  if (r() < 0.3) out.splice(k, 0, 1);
  else if (out.length > 0 && r() < 0.4) {
    const d = out[k % out.length]!;
    const f = [2, 3, 5].find((p) => d % p === 0 && d > p);
    if (f) out.splice(k % out.length, 1, f, d / f);
  }
  return out;
}

/** Python-style slice of one axis with a random (possibly negative) step. */
function randomSlice(r: Rand, n: number): [number | null, number | null, number] {
  // Bounds drawn so the slice is mostly non-empty in the step's direction (empty values are declined).
  const step = pick(r, [1, 1, 2, -1, -1, -2, 3]);
  const lo = int(r, 0, n - 1), hi = int(r, lo + 1, n);
  const neg = (v: number) => (r() < 0.3 ? v - n : v);
  if (step > 0) return [r() < 0.3 ? null : neg(lo), r() < 0.3 ? null : hi === n ? hi : neg(hi), step];
  return [r() < 0.3 ? null : neg(hi - 1), r() < 0.3 || lo === 0 ? null : neg(lo - 1), step];
}

/** Constant int32 indices in [-n, n) (negative ones wrap), rank 0–2. */
function indexArray(r: Rand, n: number): { shape: number[]; values: number[] } {
  const shape = pick(r, [[], [int(r, 1, 4)], [int(r, 1, 3), int(r, 1, 3)]]);
  return { shape, values: Array.from({ length: size(shape) }, () => int(r, -n, n - 1)) };
}
const idxTensor = (ix: { shape: number[]; values: number[] }) => np.array(ix.values, { dtype: "int32" }).reshape(ix.shape);
const idxCode = (ix: { shape: number[]; values: number[] }) => `np.array(${lit(ix.values)}, { dtype: "int32" }).reshape(${lit(ix.shape)})`;
const sliceCode = (s: readonly (number | null)[]) => `slice(${s.map((v) => (v === null ? "null" : v)).join(", ")})`;

const RAW_INT_BINARY = ["and", "or", "xor", "shl", "shrl"] as const;
/** The calls of the `promote` row; the ones NumPy and JAX reject for bools take numbers only. */
const PROMOTE_FNS = ["add", "subtract", "multiply", "divide", "floorDivide", "remainder", "maximum", "minimum", "less", "equal", "arctan2"] as const;
const NUMERIC_ONLY_FNS: ReadonlySet<string> = new Set(["subtract", "divide", "floorDivide", "remainder", "arctan2"]);
const NP_UNARY = ["square", "positive", "signbit", "isinf", "reciprocal", "rint", "trunc", "fix", "exp2", "log2", "log10", "sinc", "nanToNum", "invert"] as const;
/** The NP_UNARY functions that take floats only (NumPy gives ints float64 results there, or none). */
const NP_UNARY_FLOAT: ReadonlySet<string> = new Set(["reciprocal", "rint", "trunc", "fix", "exp2", "log2", "log10", "sinc", "nanToNum"]);
const NP_BINARY = ["fmod", "copysign", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "floatPower", "logicalXor", "bitwiseAnd", "bitwiseOr", "bitwiseXor", "leftShift", "rightShift"] as const;
const NP_BINARY_INT: ReadonlySet<string> = new Set(["bitwiseAnd", "bitwiseOr", "bitwiseXor", "leftShift", "rightShift"]);
const NP_REDUCE = ["var", "std", "nanmax", "nanmin", "nansum", "ptp", "countNonzero", "median"] as const;
const NP_REDUCE_MORE = ["nanmean", "nanprod", "nanvar", "nanstd", "nanmedian", "argmax", "argmin", "logsumexp", "quantile", "percentile", "varDdof", "stdDdof", "average", "amax"] as const;
const NP_SHAPE = ["swapaxes", "moveaxis", "rot90", "ravel", "squeezeAxis", "tile", "repeat", "roll", "stackSelf", "split", "tril", "triu", "diag", "diagonal", "trace"] as const;
type NormOrd = number | "fro" | null;
const NP_LINALG = ["inv", "det", "slogdet", "solve", "cholesky", "eigvalsh", "norm", "normAxis", "normMatrix"] as const;
const SCALAR_FNS = ["add", "subtract", "multiply", "divide", "floorDivide", "remainder", "power", "maximum", "greater"] as const;

/**
 * The op table: one row per op family member. The names are kiln's (np / Tensor methods), or the
 * primitive's name for primitives without an np function (bitwise ops, reached through
 * `npUtil.apply`, as the PRNG uses them).
 */
export const OPS = {
  // ---- unary elementwise (domain guards are smooth: see the file comment)
  negative: unary("negative", numeric, (x) => np.negative(x), (x) => `np.negative(${x})`),
  abs: unary("abs", numeric, (x) => np.abs(x), (x) => `np.abs(${x})`, false),
  sign: unary("sign", numeric, (x) => np.sign(x), (x) => `np.sign(${x})`, false),
  exp: unary("exp", isF, (x) => np.exp(np.tanh(x).mul(4)), (x) => `np.exp(np.tanh(${x}).mul(4))`),
  expm1: unary("expm1", isF, (x) => np.expm1(np.tanh(x).mul(4)), (x) => `np.expm1(np.tanh(${x}).mul(4))`),
  log: unary("log", isF, (x) => np.log(x.square().add(0.5)), (x) => `np.log(${x}.square().add(0.5))`),
  log1p: unary("log1p", isF, (x) => np.log1p(x.square()), (x) => `np.log1p(${x}.square())`),
  sqrt: unary("sqrt", isF, (x) => np.sqrt(x.square().add(0.25)), (x) => `np.sqrt(${x}.square().add(0.25))`),
  // Not smooth at 0 (an infinite slope): values only; the row's derivative check covers the gradient.
  cbrt: unary("cbrt", isF, (x) => np.cbrt(x), (x) => `np.cbrt(${x})`, false),
  // Special functions: their domains kept smooth (erfInv inside (-1, 1), the gamma family on x > 0).
  erf: unary("erf", isF, (x) => lax.erf(x), (x) => `lax.erf(${x})`),
  erfc: unary("erfc", isF, (x) => lax.erfc(x), (x) => `lax.erfc(${x})`),
  erfInv: unary("erfInv", isF, (x) => lax.erfInv(np.tanh(x).mul(0.9)), (x) => `lax.erfInv(np.tanh(${x}).mul(0.9))`),
  lgamma: unary("lgamma", isF, (x) => lax.lgamma(x.square().add(0.3)), (x) => `lax.lgamma(${x}.square().add(0.3))`),
  digamma: unary("digamma", isF, (x) => lax.digamma(x.square().add(0.3)), (x) => `lax.digamma(${x}.square().add(0.3))`),
  // Values only: its derivative (polygamma(2, x)) is not implemented (a ValueError), so the grad
  // modes see it above a stopGradient (which the vjp does not differentiate through: no error).
  trigamma: unary("trigamma", isF, (x) => lax.trigamma(np.stopGradient(x).square().add(0.3)), (x) => `lax.trigamma(np.stopGradient(${x}).square().add(0.3))`, false),
  // Kinks at 0 (from e^{-|x|}): values only.
  i0e: unary("i0e", isF, (x) => lax.besselI0e(x), (x) => `lax.besselI0e(${x})`, false),
  i1e: unary("i1e", isF, (x) => lax.besselI1e(x), (x) => `lax.besselI1e(${x})`, false),
  sin: unary("sin", isF, (x) => np.sin(x), (x) => `np.sin(${x})`),
  cos: unary("cos", isF, (x) => np.cos(x), (x) => `np.cos(${x})`),
  tan: unary("tan", isF, (x) => np.tan(np.tanh(x)), (x) => `np.tan(np.tanh(${x}))`),
  arcsin: unary("arcsin", isF, (x) => np.arcsin(np.tanh(x).mul(0.9)), (x) => `np.arcsin(np.tanh(${x}).mul(0.9))`),
  arccos: unary("arccos", isF, (x) => np.arccos(np.tanh(x).mul(0.9)), (x) => `np.arccos(np.tanh(${x}).mul(0.9))`),
  arctan: unary("arctan", isF, (x) => np.arctan(x), (x) => `np.arctan(${x})`),
  sinh: unary("sinh", isF, (x) => np.sinh(np.tanh(x).mul(4)), (x) => `np.sinh(np.tanh(${x}).mul(4))`),
  cosh: unary("cosh", isF, (x) => np.cosh(np.tanh(x).mul(4)), (x) => `np.cosh(np.tanh(${x}).mul(4))`),
  tanh: unary("tanh", isF, (x) => np.tanh(x), (x) => `np.tanh(${x})`),
  sigmoid: unary("sigmoid", isF, (x) => np.sigmoid(x), (x) => `np.sigmoid(${x})`),
  floor: unary("floor", isF, (x) => np.floor(x), (x) => `np.floor(${x})`, false),
  ceil: unary("ceil", isF, (x) => np.ceil(x), (x) => `np.ceil(${x})`, false),
  round: unary("round", isF, (x) => np.round(x), (x) => `np.round(${x})`, false),
  isnan: unary("isnan", anyDt, (x) => np.isnan(x), (x) => `np.isnan(${x})`, false),
  isfinite: unary("isfinite", anyDt, (x) => np.isfinite(x), (x) => `np.isfinite(${x})`, false),
  logicalNot: unary("logicalNot", boolOnly, (x) => np.logicalNot(x), (x) => `np.logicalNot(${x})`, false),
  // Not "smooth" for our purpose: a finite difference sees through stopGradient, grad does not.
  stopGradient: unary("stopGradient", anyDt, (x) => np.stopGradient(x), (x) => `np.stopGradient(${x})`, false),
  astype: (r, avals) => {
    const i = operand(r, avals, anyDt);
    const to = pick(r, ["float32", "int32", "bool", "uint8", "uint32", "float16", "bfloat16"] as const);
    return { op: "astype", args: [i], p: { to }, build: ([x]) => np.astype(x!, to), code: ([x]) => `np.astype(${x}, "${to}")`, smooth: to === "float32" && avals[i]!.dtype === "float32" };
  },

  // ---- binary elementwise
  add: binary("add", numeric, (a, b) => np.add(a, b), (a, b) => `np.add(${a}, ${b})`),
  subtract: binary("subtract", numeric, (a, b) => np.subtract(a, b), (a, b) => `np.subtract(${a}, ${b})`),
  multiply: binary("multiply", numeric, (a, b) => np.multiply(a, b), (a, b) => `np.multiply(${a}, ${b})`),
  divide: binary("divide", isF, (a, b) => np.divide(a, b.square().add(0.5)), (a, b) => `np.divide(${a}, ${b}.square().add(0.5))`),
  // Integer division and remainder by a nonzero divisor (by zero is in the special-value table).
  floorDivide: binary("floorDivide", numeric, (a, b) => np.floorDivide(a, b.square().add(1)), (a, b) => `np.floorDivide(${a}, ${b}.square().add(1))`, false),
  remainder: binary("remainder", numeric, (a, b) => np.remainder(a, b.square().add(1)), (a, b) => `np.remainder(${a}, ${b}.square().add(1))`, false),
  power: binary("power", isF, (a, b) => np.power(a.square().add(0.5), np.tanh(b).mul(3)), (a, b) => `np.power(${a}.square().add(0.5), np.tanh(${b}).mul(3))`),
  powerInt: binary("powerInt", intOnly, (a, b) => np.power(a, np.remainder(b, 4)), (a, b) => `np.power(${a}, np.remainder(${b}, 4))`, false),
  maximum: binary("maximum", anyDt, (a, b) => np.maximum(a, b), (a, b) => `np.maximum(${a}, ${b})`, false),
  minimum: binary("minimum", anyDt, (a, b) => np.minimum(a, b), (a, b) => `np.minimum(${a}, ${b})`, false),
  arctan2: binary("arctan2", isF, (a, b) => np.arctan2(a, b.square().add(0.5)), (a, b) => `np.arctan2(${a}, ${b}.square().add(0.5))`),
  equal: binary("equal", anyDt, (a, b) => np.equal(a, b), (a, b) => `np.equal(${a}, ${b})`, false),
  notEqual: binary("notEqual", anyDt, (a, b) => np.notEqual(a, b), (a, b) => `np.notEqual(${a}, ${b})`, false),
  less: binary("less", numeric, (a, b) => np.less(a, b), (a, b) => `np.less(${a}, ${b})`, false),
  lessEqual: binary("lessEqual", numeric, (a, b) => np.lessEqual(a, b), (a, b) => `np.lessEqual(${a}, ${b})`, false),
  greater: binary("greater", numeric, (a, b) => np.greater(a, b), (a, b) => `np.greater(${a}, ${b})`, false),
  greaterEqual: binary("greaterEqual", numeric, (a, b) => np.greaterEqual(a, b), (a, b) => `np.greaterEqual(${a}, ${b})`, false),
  logicalAnd: binary("logicalAnd", boolOnly, (a, b) => np.logicalAnd(a, b), (a, b) => `np.logicalAnd(${a}, ${b})`, false),
  logicalOr: binary("logicalOr", boolOnly, (a, b) => np.logicalOr(a, b), (a, b) => `np.logicalOr(${a}, ${b})`, false),
  // Bitwise primitives (equal shapes: the primitives do not broadcast); shifts by 0..31.
  bitwise: (r, avals) => {
    const i = operand(r, avals, intOnly);
    if (i < 0) return null;
    const j = operand(r, avals, (b) => b.dtype === avals[i]!.dtype && b.shape.join() === avals[i]!.shape.join());
    const p = pick(r, RAW_INT_BINARY);
    const shift = p === "shl" || p === "shrl";
    return {
      op: "bitwise", args: [i, j], p: { prim: p }, smooth: false,
      build: ([a, b]) => npUtil.apply(p, [a!, shift ? np.remainder(b!, 32) : b!], {}),
      code: ([a, b]) => `npUtil.apply("${p}", [${a}, ${shift ? `np.remainder(${b}, 32)` : b}], {})`,
    };
  },
  where: (r, avals) => {
    const c = operand(r, avals, boolOnly);
    const i = operand(r, avals, anyDt);
    if (c < 0 || !broadcasts(avals[c]!.shape, avals[i]!.shape)) return null;
    const j = operand(r, avals, (b) => b.dtype === avals[i]!.dtype && broadcasts(b.shape, avals[i]!.shape) && broadcasts(b.shape, avals[c]!.shape));
    return { op: "where", args: [c, i, j], build: ([k, a, b]) => np.where(k!, a!, b!), code: ([k, a, b]) => `np.where(${k}, ${a}, ${b})`, smooth: false };
  },

  // ---- reductions
  reduce: (r, avals) => {
    const i = operand(r, avals, anyDt);
    const a = avals[i]!;
    const fn = pick(r, a.dtype === "bool" ? (["max", "min", "sum"] as const) : (["sum", "prod", "max", "min", "mean"] as const));
    const drawn = r() < 0.25 ? null : axesSubset(r, a.shape.length);
    const axes = drawn && spellAll(drawn, a.shape.length);
    const keepdims = r() < 0.4;
    const opts = `{ axis: ${axes === null ? "null" : lit(axes)}, keepdims: ${keepdims} }`;
    return {
      op: "reduce", args: [i], p: { fn, axes, keepdims }, smooth: fn === "sum" || fn === "mean" || fn === "prod",
      build: ([x]) => np[fn](x!, { axis: axes, keepdims }),
      code: ([x]) => `np.${fn}(${x}, ${opts})`,
    };
  },
  argReduce: (r, avals) => {
    const i = operand(r, avals, (a) => numeric(a) && hasAxes(a));
    if (i < 0) return null;
    const fn = pick(r, ["argmax", "argmin"] as const);
    const axis = spell(int(r, 0, avals[i]!.shape.length - 1), avals[i]!.shape.length);
    return { op: "argReduce", args: [i], p: { fn, axis }, smooth: false, build: ([x]) => np[fn](x!, { axis }), code: ([x]) => `np.${fn}(${x}, { axis: ${axis} })` };
  },
  // Kinked where values tie (the permutation jumps), so not smooth; argsort's positions are int32.
  sort: (r, avals) => {
    const i = operand(r, avals, hasAxes);
    if (i < 0) return null;
    const fn = pick(r, ["sort", "argsort"] as const);
    const drawn = r() < 0.2 ? null : int(r, 0, avals[i]!.shape.length - 1);
    const axis = drawn === null ? null : spell(drawn, avals[i]!.shape.length);
    const descending = r() < 0.3;
    const opts = `{ axis: ${axis}, descending: ${descending} }`;
    return { op: "sort", args: [i], p: { fn, axis, descending }, smooth: false, build: ([x]) => np[fn](x!, { axis, descending }), code: ([x]) => `np.${fn}(${x}, ${opts})` };
  },
  reduceWindow: (r, avals) => {
    // A max or sum window (≤ 3 wide per axis, stride ≤ 2, SAME or VALID): the select/add tree.
    const i = operand(r, avals, (a) => isF(a) && hasAxes(a) && a.shape.length <= 3);
    if (i < 0) return null;
    const s = avals[i]!.shape;
    const win = s.map((d) => Math.min(d, int(r, 1, 3)));
    const strides = s.map(() => int(r, 1, 2));
    const padding = pick(r, ["SAME", "VALID"] as const);
    const [init, fn] = pick(r, [[-Infinity, "max"], [0, "sum"]] as const);
    return {
      op: "reduceWindow", args: [i], p: { init, fn, win, strides, padding }, smooth: fn === "sum",
      build: ([x]) => lax.reduceWindow(x!, init, fn, win, strides, padding),
      code: ([x]) => `lax.reduceWindow(${x}, ${init}, "${fn}", ${lit(win)}, ${lit(strides)}, "${padding}")`,
    };
  },
  cumsum: (r, avals) => {
    const i = operand(r, avals, numeric);
    if (i < 0) return null;
    const rank = avals[i]!.shape.length;
    const drawn = rank === 0 || r() < 0.2 ? null : int(r, 0, rank - 1);
    const axis = drawn === null ? null : spell(drawn, rank);
    return { op: "cumsum", args: [i], p: { axis }, smooth: true, build: ([x]) => np.cumsum(x!, { axis }), code: ([x]) => `np.cumsum(${x}, { axis: ${axis} })` };
  },

  // ---- movement
  reshape: (r, avals) => {
    const i = operand(r, avals, anyDt);
    const to = reshapeTarget(r, avals[i]!.shape);
    return { op: "reshape", args: [i], p: { to }, smooth: true, build: ([x]) => x!.reshape(to), code: ([x]) => `${x}.reshape(${lit(to)})` };
  },
  transpose: (r, avals) => {
    const i = operand(r, avals, hasAxes);
    if (i < 0) return null;
    const perm = avals[i]!.shape.map((_, k) => k).sort(() => r() - 0.5);
    return { op: "transpose", args: [i], p: { perm }, smooth: true, build: ([x]) => x!.transpose(perm), code: ([x]) => `${x}.transpose(${lit(perm)})` };
  },
  flip: (r, avals) => {
    const i = operand(r, avals, hasAxes);
    if (i < 0) return null;
    const axes = spellAll(axesSubset(r, avals[i]!.shape.length), avals[i]!.shape.length);
    return { op: "flip", args: [i], p: { axes }, smooth: true, build: ([x]) => x!.flip(axes), code: ([x]) => `${x}.flip(${lit(axes)})` };
  },
  sliceGet: (r, avals) => {
    const i = operand(r, avals, hasAxes);
    if (i < 0) return null;
    const sl = avals[i]!.shape.map((n) => randomSlice(r, n));
    return {
      op: "sliceGet", args: [i], p: { sl }, smooth: true,
      build: ([x]) => x!.get(...sl.map(([a, b, c]) => np.slice(a, b, c))),
      code: ([x]) => `${x}.get(${sl.map(sliceCode).join(", ")})`,
    };
  },
  broadcastTo: (r, avals) => {
    const i = operand(r, avals, anyDt);
    const s = avals[i]!.shape;
    const to = [...(r() < 0.5 ? [int(r, 1, 3)] : []), ...s.map((d) => (d === 1 ? int(r, 1, 4) : d))];
    return { op: "broadcastTo", args: [i], p: { to }, smooth: true, build: ([x]) => x!.broadcastTo(to), code: ([x]) => `${x}.broadcastTo(${lit(to)})` };
  },
  pad: (r, avals) => {
    const i = operand(r, avals, (a) => hasAxes(a) && a.dtype !== "bool");
    if (i < 0) return null;
    const widths = avals[i]!.shape.map(() => [int(r, 0, 2), int(r, 0, 2)] as [number, number]);
    const value = pick(r, [0, 1, -2]);
    return {
      op: "pad", args: [i], p: { widths, value }, smooth: true,
      build: ([x]) => np.pad(x!, widths, { constantValues: value }),
      code: ([x]) => `np.pad(${x}, ${lit(widths)}, { constantValues: ${value} })`,
    };
  },
  concatenate: (r, avals) => {
    const i = operand(r, avals, hasAxes);
    if (i < 0) return null;
    const a = avals[i]!;
    const drawn = int(r, 0, a.shape.length - 1);
    const j = operand(r, avals, (b) => b.dtype === a.dtype && b.shape.length === a.shape.length && b.shape.every((d, k) => k === drawn || d === a.shape[k]));
    const axis = spell(drawn, a.shape.length);
    return { op: "concatenate", args: [i, j], p: { axis }, smooth: true, build: ([x, y]) => np.concatenate([x!, y!], { axis }), code: ([x, y]) => `np.concatenate([${x}, ${y}], { axis: ${axis} })` };
  },
  expandDims: (r, avals) => {
    const i = operand(r, avals, (a) => a.shape.length < 4);
    if (i < 0) return null;
    const axis = spell(int(r, 0, avals[i]!.shape.length), avals[i]!.shape.length + 1);
    return { op: "expandDims", args: [i], p: { axis }, smooth: true, build: ([x]) => x!.expandDims(axis), code: ([x]) => `${x}.expandDims(${axis})` };
  },
  squeeze: (r, avals) => {
    const i = operand(r, avals, (a) => a.shape.includes(1));
    if (i < 0) return null;
    return { op: "squeeze", args: [i], smooth: true, build: ([x]) => x!.squeeze(), code: ([x]) => `${x}.squeeze()` };
  },

  // ---- contractions
  matmul: (r, avals) => {
    const i = operand(r, avals, (a) => numeric(a) && a.shape.length >= 1);
    if (i < 0) return null;
    const a = avals[i]!;
    const k = a.shape[a.shape.length - 1]!;
    const fits = (b: Aval) => b.dtype === a.dtype && b.shape.length >= 1 &&
      (b.shape.length === 1 ? b.shape[0] === k : b.shape[b.shape.length - 2] === k && broadcasts(a.shape.slice(0, -2), b.shape.slice(0, -2)));
    const j = operand(r, avals, fits);
    if (j >= 0 && r() < 0.6) return { op: "matmul", args: [i, j], p: { form: "matmul" }, smooth: true, build: ([x, y]) => np.matmul(x!, y!), code: ([x, y]) => `np.matmul(${x}, ${y})` };
    // x @ xᵀ always fits.
    return a.shape.length < 2
      ? { op: "matmul", args: [i], p: { form: "dotSelf" }, smooth: true, build: ([x]) => np.dot(x!, x!), code: ([x]) => `np.dot(${x}, ${x})` }
      : { op: "matmul", args: [i], p: { form: "gram" }, smooth: true, build: ([x]) => np.matmul(x!, x!.swapaxes(-1, -2)), code: ([x]) => `np.matmul(${x}, ${x}.swapaxes(-1, -2))` };
  },
  dot: (r, avals) => {
    const i = operand(r, avals, (a) => numeric(a) && a.shape.length >= 1 && a.shape.length <= 2);
    if (i < 0) return null;
    const k = avals[i]!.shape[avals[i]!.shape.length - 1]!;
    const j = operand(r, avals, (b) => b.dtype === avals[i]!.dtype && b.shape.length >= 1 && b.shape.length <= 2 && b.shape[0] === k);
    if (j < 0) return null;
    return { op: "dot", args: [i, j], smooth: true, build: ([x, y]) => np.dot(x!, y!), code: ([x, y]) => `np.dot(${x}, ${y})` };
  },
  einsum: (r, avals) => {
    // x·x contracted over a random subset of its axes, the kept ones in random order.
    const i = operand(r, avals, (a) => numeric(a) && hasAxes(a));
    if (i < 0) return null;
    const letters = "abcd".slice(0, avals[i]!.shape.length);
    const out = [...letters].filter(() => r() < 0.5).sort(() => r() - 0.5).join("");
    const two = r() < 0.6;
    const spec = two ? `${letters},${letters}->${out}` : `${letters}->${out}`;
    return {
      op: "einsum", args: [i], p: { spec, two }, smooth: true,
      build: ([x]) => (two ? np.einsum(spec, x!, x!) : np.einsum(spec, x!)),
      code: ([x]) => (two ? `np.einsum("${spec}", ${x}, ${x})` : `np.einsum("${spec}", ${x})`),
    };
  },

  // Singular values of a (batch of) float matrices (the svd primitive, host kernel on every
  // backend). Kinked where singular values cross, so not smooth.
  svdvals: (r, avals) => {
    const i = operand(r, avals, (a) => isF(a) && a.shape.length >= 2);
    if (i < 0) return null;
    return { op: "svdvals", args: [i], smooth: false, build: ([x]) => np.linalg.svdvals(x!), code: ([x]) => `np.linalg.svdvals(${x})` };
  },
  convGeneralDilated: (r, avals) => {
    // x as one channel of a 1-3 spatial-dim image, a constant 2-filter kernel (≤ 2 wide), random
    // stride and padding: the composed im2col contraction with its strided slices.
    const i = operand(r, avals, (a) => isF(a) && a.shape.length >= 1 && a.shape.length <= 3);
    if (i < 0) return null;
    const s = avals[i]!.shape;
    const k = s.map((d) => Math.min(d, int(r, 1, 2)));
    const w = Array.from({ length: 2 * size(k) }, (_, n) => ((n * 7) % 5) / 4 - 0.5);
    const strides = s.map(() => int(r, 1, 2));
    const padding = pick(r, ["SAME", "VALID"] as const);
    const opts = `{ windowStrides: ${lit(strides)}, padding: "${padding}" }`;
    return {
      op: "convGeneralDilated", args: [i], p: { kernel: k, w, strides, padding }, smooth: true,
      build: ([x]) => lax.convGeneralDilated(x!.reshape([1, 1, ...s]), np.array(w).reshape([2, 1, ...k]), { windowStrides: strides, padding }),
      code: ([x]) => `lax.convGeneralDilated(${x}.reshape(${lit([1, 1, ...s])}), np.array(${lit(w)}).reshape(${lit([2, 1, ...k])}), ${opts})`,
    };
  },

  // ---- indexing
  take: (r, avals) => {
    const i = operand(r, avals, hasAxes);
    if (i < 0) return null;
    const drawn = int(r, 0, avals[i]!.shape.length - 1);
    const ix = indexArray(r, avals[i]!.shape[drawn]!);
    const axis = spell(drawn, avals[i]!.shape.length);
    return { op: "take", args: [i], p: { axis, ix }, smooth: true, build: ([x]) => np.take(x!, idxTensor(ix), { axis }), code: ([x]) => `np.take(${x}, ${idxCode(ix)}, { axis: ${axis} })` };
  },
  gatherGet: (r, avals) => {
    // x[idx, s] or x[s, idx]: an int array index with a slice.
    const i = operand(r, avals, (a) => a.shape.length >= 2);
    if (i < 0) return null;
    const s = avals[i]!.shape;
    const first = r() < 0.5;
    const ix = indexArray(r, s[first ? 0 : 1]!);
    const sl = randomSlice(r, s[first ? 1 : 0]!);
    return {
      op: "gatherGet", args: [i], p: { first, ix, sl }, smooth: true,
      build: ([x]) => (first ? x!.get(idxTensor(ix), np.slice(...sl)) : x!.get(np.slice(...sl), idxTensor(ix))),
      code: ([x]) => (first ? `${x}.get(${idxCode(ix)}, ${sliceCode(sl)})` : `${x}.get(${sliceCode(sl)}, ${idxCode(ix)})`),
    };
  },
  atUpdate: (r, avals) => {
    // x.at[idx].set/add(y[0-d slice]) with duplicate indices; updates broadcast from a scalar.
    const i = operand(r, avals, (a) => hasAxes(a) && a.dtype !== "bool");
    if (i < 0) return null;
    const ix = indexArray(r, avals[i]!.shape[0]!);
    const j = operand(r, avals, (b) => b.dtype === avals[i]!.dtype);
    const mode = pick(r, ["set", "add"] as const);
    return {
      op: "atUpdate", args: [i, j], p: { ix, mode }, smooth: mode === "add",
      build: ([x, y]) => x!.at(idxTensor(ix))[mode](np.mean(y!).astype(x!.dtype)),
      code: ([x, y]) => `${x}.at(${idxCode(ix)}).${mode}(np.mean(${y}).astype(${x}.dtype))`,
    };
  },
  // The symmetric x·xᵀ + diag(m, m + 2, …, 3m − 2) of any float matrix (square or not): the distinct
  // diagonal keeps the eigenvalues apart also on x·xᵀ's null space (a wide or tall x has one), where
  // m·I made them all equal and the eigenvectors arbitrary. Eigenvalues or eigenvectors. Kinked where
  // eigenvalues cross (and eigenvectors flip sign there), so not smooth; the reference's rounding
  // sensitivity widens the tolerance near such crossings.
  eigh: (r, avals) => {
    const i = operand(r, avals, (a) => isF(a) && a.shape.length >= 2 && a.shape.length <= 3);
    if (i < 0) return null;
    const m = avals[i]!.shape.at(-2)!, out = pick(r, [0, 1] as const);
    const sym = (x: Tensor) => np.add(np.matmul(x, x.swapaxes(-1, -2)), np.diag(np.arange(m, 3 * m, 2)));
    return {
      op: "eigh", args: [i], p: { m, out }, smooth: false,
      build: ([x]) => np.linalg.eigh(sym(x!))[out],
      code: ([x]) => `np.linalg.eigh(np.add(np.matmul(${x}, ${x}.swapaxes(-1, -2)), np.diag(np.arange(${m}, ${3 * m}, 2))))[${out}]`,
    };
  },
  // The real or imaginary part of the DFT of x along its last axis (radix-2 or Bluestein by length):
  // linear, so smooth.
  fft: (r, avals) => {
    const i = operand(r, avals, (a) => isF(a) && hasAxes(a) && a.shape.at(-1)! > 0);
    if (i < 0) return null;
    const part = pick(r, ["re", "im"] as const);
    return { op: "fft", args: [i], p: { part }, smooth: true, build: ([x]) => np.fft.fft(x!)[part], code: ([x]) => `np.fft.fft(${x}).${part}` };
  },
  // Q or R of t + (m + n)·I (rectangular identity), t = x or xᵀ whichever is tall (m ≥ n), complete
  // only when square: the shapes JAX differentiates (programs take gradients of every op). Not
  // smooth: a reflector's sign jumps where a pivot crosses zero.
  qr: (r, avals) => {
    const i = operand(r, avals, (a) => isF(a) && a.shape.length >= 2 && a.shape.length <= 3);
    if (i < 0) return null;
    const [rows, cols] = avals[i]!.shape.slice(-2) as [number, number];
    const flip = rows < cols, m = Math.max(rows, cols), n = Math.min(rows, cols);
    const out = pick(r, [0, 1] as const), mode = m === n ? pick(r, ["reduced", "complete"] as const) : "reduced";
    return {
      op: "qr", args: [i], p: { flip, m, n, out, mode }, smooth: false,
      build: ([x]) => np.linalg.qr(np.add(flip ? x!.swapaxes(-1, -2) : x!, np.multiply(np.eye(m, n), m + n)), { mode })[out],
      code: ([x]) => `np.linalg.qr(np.add(${flip ? `${x}.swapaxes(-1, -2)` : x}, np.multiply(np.eye(${m}, ${n}), ${m + n})), { mode: "${mode}" })[${out}]`,
    };
  },

  // ---- rows only the NumPy suite draws (NUMPY_ONLY): semantics the float64 interpreter cannot
  // judge, because kiln resolves them before the graph exists (dtype promotion, weak scalars).
  // A binary call on operands of any two dtypes that broadcast: JAX's promotion lattice, and
  // divisors that may be 0 or negative (integer division and remainder signs, x // 0, x % 0).
  promote: (r, avals) => {
    const fn = pick(r, PROMOTE_FNS);
    const ok = NUMERIC_ONLY_FNS.has(fn) ? numeric : anyDt;
    const i = operand(r, avals, ok);
    if (i < 0) return null;
    const j = operand(r, avals, (b) => ok(b) && broadcasts(avals[i]!.shape, b.shape));
    return { op: "promote", args: [i, j], p: { fn }, smooth: false, build: ([x, y]) => np[fn](x!, y!), code: ([x, y]) => `np.${fn}(${x}, ${y})` };
  },
  // x ∘ c or c ∘ x with a JS number c (weakly typed: an int value keeps x's dtype, a fraction
  // makes integers float32), including c = 0 and negative c on unsigned x.
  scalar: (r, avals) => {
    const i = operand(r, avals, numeric);
    if (i < 0) return null;
    const fn = pick(r, SCALAR_FNS), c = pick(r, [2, 3, -3, 0, 0.5, -1.5]), left = r() < 0.3;
    const num = String(c);
    // An int32 exponent tensor is taken modulo 8: a negative one makes NumPy raise (a check of
    // values, which kiln, like JAX, does not make: c ** -2 is 0 for |c| > 1), a deep run's seed 201535.
    if (fn === "power" && left && avals[i]!.dtype === "int32" && Number.isInteger(c)) {
      return {
        op: "scalar", args: [i], p: { fn, c, left, mod: 8 }, smooth: false,
        build: ([x]) => np.power(c, np.remainder(x!, 8)),
        code: ([x]) => `np.power(${num}, np.remainder(${x}, 8))`,
      };
    }
    return {
      op: "scalar", args: [i], p: { fn, c, left }, smooth: false,
      build: ([x]) => (left ? np[fn](c, x!) : np[fn](x!, c)),
      code: ([x]) => (left ? `np.${fn}(${num}, ${x})` : `np.${fn}(${x}, ${num})`),
    };
  },
  // clip with scalar bounds (lo > hi at times: NumPy's minimum(maximum(x, lo), hi) gives hi).
  // np.all / np.any over random axes of any dtype (NaN is true, -0 false).
  logicalReduce: (r, avals) => {
    const i = operand(r, avals, anyDt);
    if (i < 0) return null;
    const fn = pick(r, ["all", "any"] as const), drawn = r() < 0.25 ? null : axesSubset(r, avals[i]!.shape.length), keepdims = r() < 0.4;
    const axes = drawn && spellAll(drawn, avals[i]!.shape.length);
    const opts = `{ axis: ${axes === null ? "null" : lit(axes)}, keepdims: ${keepdims} }`;
    return { op: "logicalReduce", args: [i], p: { fn, axes, keepdims }, smooth: false, build: ([x]) => np[fn](x!, { axis: axes, keepdims }), code: ([x]) => `np.${fn}(${x}, ${opts})` };
  },
  // np.where of a bool condition between operands of any two dtypes (the branches promote).
  whereMixed: (r, avals) => {
    const c = operand(r, avals, boolOnly);
    if (c < 0) return null;
    const i = operand(r, avals, (a) => broadcasts(a.shape, avals[c]!.shape));
    const j = operand(r, avals, (b) => broadcasts(b.shape, avals[i]!.shape) && broadcasts(b.shape, avals[c]!.shape));
    return { op: "whereMixed", args: [c, i, j], smooth: false, build: ([k, a, b]) => np.where(k!, a!, b!), code: ([k, a, b]) => `np.where(${k}, ${a}, ${b})` };
  },
  // More np functions on raw operands (no domain guards: NaN and ±inf results are NumPy's too).
  npUnary: (r, avals) => {
    const fn = pick(r, NP_UNARY);
    const i = operand(r, avals, NP_UNARY_FLOAT.has(fn) ? isF : fn === "invert" ? intOnly : numeric);
    if (i < 0) return null;
    return { op: "npUnary", args: [i], p: { fn }, smooth: false, build: ([x]) => np[fn](x!), code: ([x]) => `np.${fn}(${x})` };
  },
  npBinary: (r, avals) => {
    const fn = pick(r, NP_BINARY);
    const ok = NP_BINARY_INT.has(fn) ? (a: Aval) => intOnly(a) || (fn.startsWith("bitwise") && boolOnly(a)) : fn === "logicalXor" ? anyDt : numeric;
    const i = operand(r, avals, ok);
    if (i < 0) return null;
    const j = operand(r, avals, (b) => ok(b) && broadcasts(avals[i]!.shape, b.shape));
    return { op: "npBinary", args: [i, j], p: { fn }, smooth: false, build: ([x, y]) => np[fn](x!, y!), code: ([x, y]) => `np.${fn}(${x}, ${y})` };
  },
  npReduce: (r, avals) => {
    const i = operand(r, avals, numeric);
    if (i < 0) return null;
    const fn = pick(r, NP_REDUCE);
    const drawn = r() < 0.25 ? null : axesSubset(r, avals[i]!.shape.length), keepdims = r() < 0.4;
    const axes = drawn && spellAll(drawn, avals[i]!.shape.length);
    const opts = `{ axis: ${axes === null ? "null" : lit(axes)}, keepdims: ${keepdims} }`;
    return { op: "npReduce", args: [i], p: { fn, axes, keepdims }, smooth: false, build: ([x]) => np[fn](x!, { axis: axes, keepdims }), code: ([x]) => `np.${fn}(${x}, ${opts})` };
  },
  // A float → integer cast of values scaled out of the target's range (±inf for 16-bit floats):
  // C leaves it undefined; kiln defines it (docs/dtypes.md), the deviation `float-to-int-out-of-range`.
  castOutOfRange: (r, avals) => {
    const i = operand(r, avals, isF);
    if (i < 0) return null;
    const to = pick(r, ["int32", "uint8", "uint32"] as const);
    return { op: "castOutOfRange", args: [i], p: { to }, smooth: false, build: ([x]) => np.astype(np.multiply(x!, 1e10), to), code: ([x]) => `np.astype(np.multiply(${x}, 1e10), "${to}")` };
  },
  clip: (r, avals) => {
    const i = operand(r, avals, numeric);
    if (i < 0) return null;
    const lo = pick(r, [-1, 0, 2.5, 3, null]), hi = pick(r, [0, 1, 2.5, 4, null]);
    if (lo === null && hi === null) return null;
    return { op: "clip", args: [i], p: { lo, hi }, smooth: false, build: ([x]) => np.clip(x!, lo, hi), code: ([x]) => `np.clip(${x}, ${lo}, ${hi})` };
  },

  // ---- more of NumPy's surface (NUMPY_ONLY): reductions with axis/keepdims, scans, shape
  // functions, contractions, linear algebra on well-conditioned matrices, set/search/count
  // functions; every row picks a function `fn` and its parameters.
  npReduceMore: (r, avals) => {
    const fn = pick(r, NP_REDUCE_MORE);
    const i = operand(r, avals, numeric);
    if (i < 0) return null;
    const rank = avals[i]!.shape.length;
    const keepdims = r() < 0.4;
    if (fn === "argmax" || fn === "argmin") {
      const axis = rank === 0 || r() < 0.3 ? null : int(r, -rank, rank - 1);
      return { op: "npReduceMore", args: [i], p: { fn, axis, keepdims }, smooth: false, build: ([x]) => np[fn](x!, { axis, keepdims }), code: ([x]) => `np.${fn}(${x}, { axis: ${axis}, keepdims: ${keepdims} })` };
    }
    const axes = r() < 0.25 ? null : axesSubset(r, rank);
    const opts = `{ axis: ${axes === null ? "null" : lit(axes)}, keepdims: ${keepdims} }`;
    if (fn === "quantile" || fn === "percentile") {
      const q = pick(r, fn === "quantile" ? [0, 0.25, 0.5, 0.9, 1] : [10, 50, 75]);
      return { op: "npReduceMore", args: [i], p: { fn, q, axes, keepdims }, smooth: false, build: ([x]) => np[fn](x!, q, { axis: axes, keepdims }), code: ([x]) => `np.${fn}(${x}, ${q}, ${opts})` };
    }
    if (fn === "varDdof" || fn === "stdDdof") {
      const f = fn === "varDdof" ? "var" : "std";
      return { op: "npReduceMore", args: [i], p: { fn, axes, keepdims }, smooth: false, build: ([x]) => np[f](x!, { axis: axes, keepdims, ddof: 1 }), code: ([x]) => `np.${f}(${x}, { axis: ${axes === null ? "null" : lit(axes)}, keepdims: ${keepdims}, ddof: 1 })` };
    }
    return { op: "npReduceMore", args: [i], p: { fn, axes, keepdims }, smooth: false, build: ([x]) => np[fn](x!, { axis: axes, keepdims }), code: ([x]) => `np.${fn}(${x}, ${opts})` };
  },
  // cumprod / nancumsum / nancumprod / diff (n = 1, 2) along an axis (null: the flattened array).
  npScan: (r, avals) => {
    const fn = pick(r, ["cumprod", "nancumsum", "nancumprod", "diff", "diff", "cumsumBool"] as const);
    const i = operand(r, avals, fn === "cumsumBool" ? boolOnly : fn === "diff" ? (a) => hasAxes(a) : numeric);
    if (i < 0) return null;
    const rank = avals[i]!.shape.length;
    if (fn === "diff") {
      const n = pick(r, [1, 1, 2]), axis = int(r, -rank, rank - 1);
      return { op: "npScan", args: [i], p: { fn, n, axis }, smooth: false, build: ([x]) => np.diff(x!, n, axis), code: ([x]) => `np.diff(${x}, ${n}, ${axis})` };
    }
    const axis = rank === 0 || r() < 0.25 ? null : int(r, 0, rank - 1);
    const f = fn === "cumsumBool" ? "cumsum" : fn;
    return { op: "npScan", args: [i], p: { fn, axis }, smooth: false, build: ([x]) => np[f](x!, { axis }), code: ([x]) => `np.${f}(${x}, { axis: ${axis} })` };
  },
  // Shape functions of one value (any dtype).
  npShape: (r, avals) => {
    const fn = pick(r, NP_SHAPE);
    const need = fn === "tril" || fn === "triu" || fn === "diagonal" || fn === "trace" || fn === "rot90" || fn === "swapaxes" ? 2 : fn === "diag" || fn === "squeezeAxis" || fn === "split" ? 1 : 0;
    const i = operand(r, avals, (a) => a.shape.length >= need && (fn !== "trace" || numeric(a)) && (fn !== "diag" || a.shape.length <= 2) &&
      (fn !== "squeezeAxis" || a.shape.includes(1)));
    if (i < 0) return null;
    const s = avals[i]!.shape, rank = s.length;
    const ax = () => int(r, -rank, rank - 1);
    let p: Record<string, unknown>, build: (x: Tensor) => Tensor, code: (x: string) => string;
    switch (fn) {
      case "swapaxes": { const a = ax(), b = ax(); p = { a, b }; build = (x) => np.swapaxes(x, a, b); code = (x) => `np.swapaxes(${x}, ${a}, ${b})`; break; }
      case "moveaxis": {
        const src = rank === 0 ? [] : [ax()], dst = rank === 0 ? [] : [ax()];
        if (rank === 0) return null;
        p = { src: src[0], dst: dst[0] }; build = (x) => np.moveaxis(x, src[0]!, dst[0]!); code = (x) => `np.moveaxis(${x}, ${src[0]}, ${dst[0]})`; break;
      }
      case "rot90": { const k = int(r, -1, 3); p = { k }; build = (x) => np.rot90(x, k); code = (x) => `np.rot90(${x}, ${k})`; break; }
      case "ravel": p = {}; build = (x) => np.ravel(x); code = (x) => `np.ravel(${x})`; break;
      case "squeezeAxis": { const axis = s.indexOf(1); p = { axis }; build = (x) => np.squeeze(x, axis); code = (x) => `np.squeeze(${x}, ${axis})`; break; }
      case "tile": { const reps = pick(r, [2, [2, 1], [1, 2, 1], 0] as const); p = { reps }; build = (x) => np.tile(x, reps); code = (x) => `np.tile(${x}, ${lit(reps)})`; break; }
      case "repeat": {
        const n = pick(r, [0, 1, 2, 3]), axis = rank === 0 || r() < 0.3 ? null : ax();
        p = { n, axis }; build = (x) => (axis === null ? np.repeat(x, n) : np.repeat(x, n, axis)); code = (x) => (axis === null ? `np.repeat(${x}, ${n})` : `np.repeat(${x}, ${n}, ${axis})`); break;
      }
      case "roll": {
        const shift = int(r, -5, 5), axis = rank === 0 || r() < 0.3 ? null : ax();
        p = { shift, axis }; build = (x) => np.roll(x, shift, axis); code = (x) => `np.roll(${x}, ${shift}, ${axis})`; break;
      }
      case "stackSelf": { const axis = int(r, -rank - 1, rank); p = { axis }; build = (x) => np.stack([x, x], axis); code = (x) => `np.stack([${x}, ${x}], ${axis})`; break; }
      case "split": {
        const axis = ax(), n = s.at(axis)!;
        const parts = [1, 2, 3].filter((d) => n % d === 0);
        const sections = pick(r, parts), k = int(r, 0, sections - 1);
        p = { axis, sections, k }; build = (x) => np.split(x, sections, axis)[k]!; code = (x) => `np.split(${x}, ${sections}, ${axis})[${k}]`; break;
      }
      case "tril": case "triu": { const k = int(r, -2, 2); p = { k }; build = (x) => np[fn](x, k); code = (x) => `np.${fn}(${x}, ${k})`; break; }
      case "diag": { const k = int(r, -2, 2); p = { k }; build = (x) => np.diag(x, k); code = (x) => `np.diag(${x}, ${k})`; break; }
      case "diagonal": case "trace": {
        const offset = int(r, -2, 2);
        p = { offset }; build = (x) => np[fn](x, offset); code = (x) => `np.${fn}(${x}, ${offset})`; break;
      }
    }
    return { op: "npShape", args: [i], p: { fn, ...p! }, smooth: false, build: ([x]) => build(x!), code: ([x]) => code(x!) };
  },
  // Joining two values: concatenate (axis null flattens) / stack / hstack / vstack of operands of
  // any two dtypes (they promote).
  npJoin: (r, avals) => {
    const fn = pick(r, ["concatenate", "concatenateFlat", "stack", "hstack", "vstack"] as const);
    const i = operand(r, avals, (a) => fn === "concatenateFlat" || a.shape.length >= (fn === "stack" ? 0 : 1));
    if (i < 0) return null;
    const a = avals[i]!.shape, rank = a.length;
    const axis = fn === "concatenate" ? int(r, 0, rank - 1) : fn === "stack" ? int(r, 0, rank) : null;
    const fits = (b: Aval) => fn === "concatenateFlat" || (b.shape.length === rank &&
      b.shape.every((d, k) => d === a[k] || (k === (fn === "vstack" ? 0 : fn === "hstack" ? (rank === 1 ? 0 : 1) : axis) && fn !== "stack")));
    const j = operand(r, avals, fits);
    if (j < 0) return null;
    const call = fn === "concatenateFlat" ? "concatenate" : fn;
    const extra = fn === "concatenateFlat" ? ", null" : axis === null ? "" : `, ${axis}`;
    return {
      op: "npJoin", args: [i, j], p: { fn, axis }, smooth: false,
      build: ([x, y]) => (fn === "concatenateFlat" ? np.concatenate([x!, y!], null) : fn === "concatenate" || fn === "stack" ? np[fn]([x!, y!], axis!) : np[fn]([x!, y!])),
      code: ([x, y]) => `np.${call}([${x}, ${y}]${extra})`,
    };
  },
  // Contractions of two numeric values of one dtype: tensordot (over 0–2 axes), outer, inner, vdot, kron.
  npContract: (r, avals) => {
    const fn = pick(r, ["tensordot", "tensordot", "outer", "inner", "vdot", "kron"] as const);
    const i = operand(r, avals, (a) => numeric(a) && (fn === "outer" || fn === "kron" || fn === "vdot" || a.shape.length >= 1));
    if (i < 0) return null;
    const a = avals[i]!.shape;
    if (fn === "tensordot") {
      const k = int(r, 0, Math.min(2, a.length));
      const tail = a.slice(a.length - k);
      const j = operand(r, avals, (b) => b.dtype === avals[i]!.dtype && b.shape.length >= k && tail.every((d, m) => b.shape[m] === d));
      if (j < 0) return null;
      return { op: "npContract", args: [i, j], p: { fn, k }, smooth: true, build: ([x, y]) => np.tensordot(x!, y!, k), code: ([x, y]) => `np.tensordot(${x}, ${y}, ${k})` };
    }
    const j = operand(r, avals, (b) => b.dtype === avals[i]!.dtype && (fn === "outer" || fn === "kron" ? true : fn === "vdot" ? size(b.shape) === size(a) : b.shape.length >= 1 && b.shape.at(-1) === a.at(-1)));
    if (j < 0) return null;
    return { op: "npContract", args: [i, j], p: { fn }, smooth: true, build: ([x, y]) => np[fn](x!, y!), code: ([x, y]) => `np.${fn}(${x}, ${y})` };
  },
  // Linear algebra on the well-conditioned SPD matrix c·cᵀ + n·I, c = clip(nanToNum(x), -2, 2) for a
  // float32 (batch of) matrix x (n rows); norms also of the raw x (NaN and ±inf included).
  npLinalg: (r, avals) => {
    const fn = pick(r, NP_LINALG);
    const raw = fn === "norm" || fn === "normAxis" || fn === "normMatrix";
    const i = operand(r, avals, (a) => a.dtype === "float32" && (raw ? a.shape.length >= 1 : a.shape.length >= 2 && a.shape.length <= 3));
    if (i < 0) return null;
    const s = avals[i]!.shape, rank = s.length;
    // ±Infinity as "inf"/"-inf" in the parameters (JSON has no infinities).
    const ordP = (o: number | string | null) => (o === Infinity ? "inf" : o === -Infinity ? "-inf" : o);
    const ordCode = (o: number | string | null) => (typeof o === "number" && !Number.isFinite(o) ? String(o) : lit(o));
    if (fn === "norm") {
      const ord: NormOrd = rank <= 2 ? pick<NormOrd>(r, rank === 1 ? [null, 1, 2, Infinity, -Infinity, 0, 3] : [null, "fro", 1, Infinity, -1]) : null;
      return { op: "npLinalg", args: [i], p: { fn, ord: ordP(ord) }, smooth: false, build: ([x]) => np.linalg.norm(x!, { ord }), code: ([x]) => `np.linalg.norm(${x}, { ord: ${ordCode(ord)} })` };
    }
    if (fn === "normAxis") {
      const axis = int(r, -rank, rank - 1), ord = pick(r, [null, 1, 2, Infinity]), keepdims = r() < 0.4;
      return { op: "npLinalg", args: [i], p: { fn, ord: ordP(ord), axis, keepdims }, smooth: false, build: ([x]) => np.linalg.norm(x!, { ord, axis, keepdims }), code: ([x]) => `np.linalg.norm(${x}, { ord: ${ordCode(ord)}, axis: ${axis}, keepdims: ${keepdims} })` };
    }
    if (fn === "normMatrix") {
      if (rank < 2) return null;
      const ord = pick<NormOrd>(r, [null, "fro", 1, -1, Infinity, -Infinity]);
      return { op: "npLinalg", args: [i], p: { fn, ord: ordP(ord) }, smooth: false, build: ([x]) => np.linalg.norm(x!, { ord, axis: [-2, -1] }), code: ([x]) => `np.linalg.norm(${x}, { ord: ${ordCode(ord)}, axis: [-2, -1] })` };
    }
    const n = s.at(-2)!;
    const spd = (x: Tensor) => { const c = np.clip(np.nanToNum(x), -2, 2); return np.add(np.matmul(c, c.swapaxes(-1, -2)), np.eye(n).mul(n)); };
    const spdCode = (x: string) => `np.add(np.matmul(np.clip(np.nanToNum(${x}), -2, 2), np.clip(np.nanToNum(${x}), -2, 2).swapaxes(-1, -2)), np.eye(${n}).mul(${n}))`;
    const f: (m: Tensor) => Tensor = fn === "inv" ? (m) => np.linalg.inv(m) : fn === "det" ? (m) => np.linalg.det(m) : fn === "slogdet" ? (m) => np.linalg.slogdet(m)[1]
      : fn === "cholesky" ? (m) => np.linalg.cholesky(m) : fn === "eigvalsh" ? (m) => np.linalg.eigvalsh(m) : (m) => np.linalg.solve(m, np.sum(m, { axis: -1, keepdims: true }));
    const c = fn === "inv" ? "np.linalg.inv(m)" : fn === "det" ? "np.linalg.det(m)" : fn === "slogdet" ? "np.linalg.slogdet(m)[1]" : fn === "cholesky" ? "np.linalg.cholesky(m)"
      : fn === "eigvalsh" ? "np.linalg.eigvalsh(m)" : "np.linalg.solve(m, np.sum(m, { axis: -1, keepdims: true }))";
    return { op: "npLinalg", args: [i], p: { fn, n }, smooth: false, build: ([x]) => f(spd(x!)), code: ([x]) => `((m) => ${c})(${spdCode(x!)})` };
  },
  // Elementwise functions the other rows lack: isclose, heaviside, gcd, lcm, divmod's parts, round to decimals.
  npElem: (r, avals) => {
    const fn = pick(r, ["isclose", "isclose", "allclose", "heaviside", "gcd", "lcm", "roundDecimals", "roundDecimals", "divmodQ", "divmodR", "clipLo", "clipHi"] as const);
    const ok = fn === "gcd" || fn === "lcm" ? intOnly : fn === "heaviside" ? isF : numeric;
    const i = operand(r, avals, ok);
    if (i < 0) return null;
    if (fn === "roundDecimals") {
      const d = pick(r, [1, 2, -1]);
      return { op: "npElem", args: [i], p: { fn, d }, smooth: false, build: ([x]) => np.round(x!, d), code: ([x]) => `np.round(${x}, ${d})` };
    }
    const j = operand(r, avals, (b) => ok(b) && broadcasts(avals[i]!.shape, b.shape) && (fn !== "gcd" && fn !== "lcm" || b.dtype === avals[i]!.dtype));
    if (j < 0) return null;
    if (fn === "divmodQ" || fn === "divmodR") {
      const k = fn === "divmodQ" ? 0 : 1;
      return { op: "npElem", args: [i, j], p: { fn }, smooth: false, build: ([x, y]) => np.divmod(x!, y!)[k]!, code: ([x, y]) => `np.divmod(${x}, ${y})[${k}]` };
    }
    if (fn === "clipLo" || fn === "clipHi") {
      const lo = fn === "clipLo";
      return { op: "npElem", args: [i, j], p: { fn }, smooth: false, build: ([x, y]) => (lo ? np.clip(x!, y!, null) : np.clip(x!, null, y!)), code: ([x, y]) => (lo ? `np.clip(${x}, ${y}, null)` : `np.clip(${x}, null, ${y})`) };
    }
    return { op: "npElem", args: [i, j], p: { fn }, smooth: false, build: ([x, y]) => np[fn](x!, y!), code: ([x, y]) => `np.${fn}(${x}, ${y})` };
  },
  // Indexing and searching: takeAlongAxis with argsort's indices, two broadcast integer-array
  // indices, searchsorted into a sorted value, bincount, histogram.
  npIndex: (r, avals) => {
    const fn = pick(r, ["takeAlongAxis", "getTwo", "searchsorted", "bincount", "histogram"] as const);
    if (fn === "takeAlongAxis") {
      const i = operand(r, avals, (a) => hasAxes(a) && numeric(a));
      if (i < 0) return null;
      const rank = avals[i]!.shape.length, axis = int(r, -rank, rank - 1), descending = r() < 0.3;
      return { op: "npIndex", args: [i], p: { fn, axis, descending }, smooth: false,
        build: ([x]) => np.takeAlongAxis(x!, np.argsort(x!, { axis, descending }), axis),
        code: ([x]) => `np.takeAlongAxis(${x}, np.argsort(${x}, { axis: ${axis}, descending: ${descending} }), ${axis})` };
    }
    if (fn === "getTwo") {
      const i = operand(r, avals, (a) => a.shape.length >= 2 && a.shape[0]! > 0 && a.shape[1]! > 0);
      if (i < 0) return null;
      const s = avals[i]!.shape;
      const a = indexArray(r, s[0]!), b = { shape: [int(r, 1, 3)], values: [] as number[] };
      b.values = Array.from({ length: b.shape[0]! }, () => int(r, -s[1]!, s[1]! - 1));
      return { op: "npIndex", args: [i], p: { fn, a, b }, smooth: false,
        build: ([x]) => x!.get(idxTensor(a).expandDims(-1), idxTensor(b)), code: ([x]) => `${x}.get(${idxCode(a)}.expandDims(-1), ${idxCode(b)})` };
    }
    if (fn === "searchsorted") {
      const i = operand(r, avals, (a) => numeric(a) && hasAxes(a));
      if (i < 0) return null;
      const j = operand(r, avals, numeric);
      const side = pick(r, ["left", "right"] as const);
      return { op: "npIndex", args: [i, j], p: { fn, side }, smooth: false,
        build: ([x, v]) => np.searchsorted(np.sort(np.ravel(x!)), v!, { side }), code: ([x, v]) => `np.searchsorted(np.sort(np.ravel(${x})), ${v}, { side: "${side}" })` };
    }
    if (fn === "bincount") {
      const i = operand(r, avals, (a) => intOnly(a) || boolOnly(a));
      if (i < 0) return null;
      const length = int(r, 1, 8);
      return { op: "npIndex", args: [i], p: { fn, length }, smooth: false,
        build: ([x]) => np.bincount(np.ravel(np.clip(x!, 0, 9)), { length }), code: ([x]) => `np.bincount(np.ravel(np.clip(${x}, 0, 9)), { length: ${length} })` };
    }
    const i = operand(r, avals, numeric);
    if (i < 0) return null;
    const bins = int(r, 1, 5), range = pick(r, [[-2, 2], [0, 3], [-1, 1]] as const), out = pick(r, [0, 1] as const);
    return { op: "npIndex", args: [i], p: { fn, bins, range, out }, smooth: false,
      build: ([x]) => np.histogram(x!, { bins, range })[out], code: ([x]) => `np.histogram(${x}, { bins: ${bins}, range: ${lit(range)} })[${out}]` };
  },
  // Basic and mixed indexing: an integer (negative too), "..." with an integer, newaxis, and an
  // integer array with an integer on the far side of a slice or "..." (advanced indices that are not
  // adjacent put their broadcast axes first, as NumPy).
  npGet: (r, avals) => {
    const form = pick(r, ["int", "ellipsisInt", "newaxis", "arrayEllipsisInt", "intSliceArray"] as const);
    const need = form === "intSliceArray" ? 3 : form === "arrayEllipsisInt" ? 2 : form === "newaxis" ? 0 : 1;
    const i = operand(r, avals, (a) => a.shape.length >= need && a.shape.every((d) => d > 0));
    if (i < 0) return null;
    const s = avals[i]!.shape;
    const k0 = int(r, -s[0]!, (s[0] ?? 1) - 1), kl = int(r, -s.at(-1)!, (s.at(-1) ?? 1) - 1);
    if (form === "int") return { op: "npGet", args: [i], p: { form, k: k0 }, smooth: false, build: ([x]) => x!.get(k0), code: ([x]) => `${x}.get(${k0})` };
    if (form === "ellipsisInt") return { op: "npGet", args: [i], p: { form, k: kl }, smooth: false, build: ([x]) => x!.get("...", kl), code: ([x]) => `${x}.get("...", ${kl})` };
    if (form === "newaxis") return { op: "npGet", args: [i], p: { form }, smooth: false, build: ([x]) => x!.get("...", newaxis), code: ([x]) => `${x}.get("...", newaxis)` };
    const ix = indexArray(r, form === "arrayEllipsisInt" ? s[0]! : s[2]!);
    if (form === "arrayEllipsisInt") {
      return { op: "npGet", args: [i], p: { form, k: kl, ix }, smooth: false, build: ([x]) => x!.get(idxTensor(ix), "...", kl), code: ([x]) => `${x}.get(${idxCode(ix)}, "...", ${kl})` };
    }
    return { op: "npGet", args: [i], p: { form, k: k0, ix }, smooth: false, build: ([x]) => x!.get(k0, np.slice(null, null, -1), idxTensor(ix)), code: ([x]) => `${x}.get(${k0}, slice(null, null, -1), ${idxCode(ix)})` };
  },
  // Functions whose result size depends on the values (no static `size`): eager programs only.
  npEager: (r, avals) => {
    const fn = pick(r, ["unique", "unique", "nonzero", "flatnonzero", "argwhere", "uniqueCounts"] as const);
    const i = operand(r, avals, anyDt);
    if (i < 0) return null;
    const rank = avals[i]!.shape.length;
    const k = fn === "nonzero" ? int(r, 0, Math.max(0, rank - 1)) : 0;
    if (fn === "nonzero" && rank === 0) return null;
    const build = (x: Tensor): Tensor => fn === "unique" ? np.unique(x) : fn === "uniqueCounts" ? np.unique(x, { returnCounts: true })[1]! : fn === "nonzero" ? np.nonzero(x)[k]! : np[fn](x);
    const code = (x: string) => fn === "unique" ? `np.unique(${x})` : fn === "uniqueCounts" ? `np.unique(${x}, { returnCounts: true })[1]` : fn === "nonzero" ? `np.nonzero(${x})[${k}]` : `np.${fn}(${x})`;
    return { op: "npEager", args: [i], p: { fn, k }, smooth: false, eagerOnly: true, build: ([x]) => build(x!), code: ([x]) => code(x!) };
  },
} satisfies Record<string, Row>;

export type OpName = keyof typeof OPS;
export const OP_NAMES = Object.keys(OPS) as OpName[];

type Family = "unary" | "binary" | "reduce" | "movement" | "contract" | "index";

/** The family of every op (a missing op is a compile error), which decides how often it is drawn. */
const FAMILY: { readonly [K in OpName]: Family } = {
  negative: "unary", abs: "unary", sign: "unary", exp: "unary", expm1: "unary", log: "unary", log1p: "unary",
  sqrt: "unary", cbrt: "unary", erf: "unary", erfc: "unary", erfInv: "unary", lgamma: "unary", digamma: "unary", trigamma: "unary", i0e: "unary", i1e: "unary", sin: "unary", cos: "unary", tan: "unary", arcsin: "unary", arccos: "unary", arctan: "unary",
  sinh: "unary", cosh: "unary", tanh: "unary", sigmoid: "unary", floor: "unary", ceil: "unary", round: "unary",
  isnan: "unary", isfinite: "unary", logicalNot: "unary", stopGradient: "unary", astype: "unary",
  add: "binary", subtract: "binary", multiply: "binary", divide: "binary", floorDivide: "binary",
  remainder: "binary", power: "binary", powerInt: "binary", maximum: "binary", minimum: "binary",
  arctan2: "binary", equal: "binary", notEqual: "binary", less: "binary", lessEqual: "binary", greater: "binary",
  greaterEqual: "binary", logicalAnd: "binary", logicalOr: "binary", bitwise: "binary", where: "binary",
  reduce: "reduce", argReduce: "reduce", cumsum: "reduce", sort: "reduce", reduceWindow: "reduce",
  reshape: "movement", transpose: "movement", flip: "movement", sliceGet: "movement", broadcastTo: "movement",
  pad: "movement", concatenate: "movement", expandDims: "movement", squeeze: "movement",
  matmul: "contract", dot: "contract", einsum: "contract", convGeneralDilated: "contract", svdvals: "contract",
  take: "index", gatherGet: "index", atUpdate: "index",
  eigh: "contract", qr: "contract", fft: "contract",
  promote: "binary", scalar: "binary", clip: "unary", logicalReduce: "reduce", whereMixed: "binary",
  npUnary: "unary", npBinary: "binary", npReduce: "reduce", castOutOfRange: "unary",
  npReduceMore: "reduce", npScan: "reduce", npShape: "movement", npJoin: "movement", npContract: "contract", npLinalg: "contract",
  npElem: "binary", npIndex: "index", npEager: "index", npGet: "index",
};

/** Rows only the NumPy suite draws (the differential programs of a seed stay as they were). */
export const NUMPY_ONLY: ReadonlySet<OpName> = new Set(["promote", "scalar", "clip", "logicalReduce", "whereMixed", "npUnary", "npBinary", "npReduce", "castOutOfRange",
  "npReduceMore", "npScan", "npShape", "npJoin", "npContract", "npLinalg", "npElem", "npIndex", "npEager", "npGet"]);

/**
 * Rows the NumPy suite does not draw, and why: their values are checked against the float64
 * interpreter (and SciPy's, special.md) by the differential suites.
 */
export const NOT_IN_NUMPY: { readonly [K in OpName]?: string } = {
  reduceWindow: "lax.reduceWindow has no NumPy function",
  convGeneralDilated: "lax.convGeneralDilated has no NumPy function",
  eigh: "eigenvectors are unique only up to sign (and the row may pick them)",
  qr: "Q and R are unique only up to the signs of R's diagonal",
};

/** The rows the differential programs draw from. */
export const DIFFERENTIAL_OPS: readonly OpName[] = OP_NAMES.filter((o) => !NUMPY_ONLY.has(o));
/**
 * The rows the NumPy programs draw from; the rows probing what the interpreter cannot judge
 * (promotion, weak scalars, casts, rounding ties, integer division) listed again, drawn 3x as often.
 */
export const NUMPY_OPS: readonly OpName[] = [
  ...OP_NAMES.filter((o) => NOT_IN_NUMPY[o] === undefined),
  ...(["promote", "scalar", "astype", "clip", "round", "whereMixed", "floorDivide", "remainder", "sign", "npUnary", "npBinary", "npReduce", "astype",
    "npReduceMore", "npScan", "npShape", "npJoin", "npContract", "npLinalg", "npElem", "npIndex", "npGet"] as const).flatMap((o) => [o, o]),
];

/**
 * Draw weights per family: movement chains (reshape∘flip∘slice) and reductions are where index
 * arithmetic and accumulation go wrong, so they are drawn more often than their share of ops.
 */
const FAMILY_WEIGHT: { readonly [F in Family]: number } = { unary: 3, binary: 3, reduce: 2, movement: 4, contract: 1, index: 1.5 };

/** Family weights of the NumPy programs: elementwise semantics first, movement less. */
export const NUMPY_FAMILY_WEIGHT: { readonly [F in Family]: number } = { unary: 4, binary: 5, reduce: 3, movement: 3, contract: 1.5, index: 1.5 };

/** Draws an op of `ops`: a family by `weights`, then a member uniformly. */
export function drawOp(r: Rand, ops: readonly OpName[] = DIFFERENTIAL_OPS, weights = FAMILY_WEIGHT): OpName {
  const fams = Object.keys(weights) as Family[];
  let u = r() * fams.reduce((a, f) => a + weights[f], 0);
  const fam = fams.find((f) => (u -= weights[f]) < 0) ?? "unary";
  return pick(r, ops.filter((o) => FAMILY[o] === fam));
}
