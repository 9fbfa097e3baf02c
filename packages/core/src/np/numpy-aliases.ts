/**
 * More jax.numpy names that are aliases or short compositions of existing np functions: `amax`/
 * `amin`/`mod`, the shape queries (`ndim`, `shape`, `size`), `emptyLike`, `fliplr`/`flipud`,
 * `rollaxis`, `broadcastArrays`/`broadcastShapes`, the complex-part functions (`real`, `imag`,
 * `conj`, `angle`, `iscomplex`, …) and the dtype predicates (`canCast`, `promoteTypes`,
 * `issubdtype`, `isdtype`). No primitive is added, so every backend and transform works.
 *
 * kiln has no complex dtype: as JAX does for a real input, `real` is the input, `imag` is zeros of
 * its dtype, `conj` is the input and `angle` is `atan2(0, x)` (π for negative x). A `{ re, im }`
 * pair from np.fft is accepted too and read as the complex number it stands for.
 */
import { type DType, DTYPES, checkDType, isFloat, isInt, isUnsigned, promoteTypes as joinTypes } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { broadcastShapes as joinShapes, checkShape, fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { type LikeOptions, zerosLike } from "./creation.js";
import { arctan2, equal, notEqual, remainder } from "./elementwise.js";
import { type Complex, conj as conjPair, isComplex } from "./fft-complex.js";
import { rad2deg } from "./numpy-names.js";
import { type Positional, positionalOptions } from "./positional.js";
import { type ReduceOptions, extremum } from "./reduce.js";
import { broadcastTo, flip, moveaxis } from "./shape.js";
import { asTensor, astypeRaw, optionsOf } from "./util.js";

/**
 * Maximum over `axis`, NumPy's older name for `max` (same options; an empty reduction is a ValueError).
 * @example np.amax([[1, 5], [3, 2]], 0) // [3, 5]
 */
export function amax(x: ArrayLike, ...args: Positional<"amax", ReduceOptions>): Tensor {
  return extremum("amax", "reduceMax", x, positionalOptions("amax", args));
}

/**
 * Minimum over `axis`, NumPy's older name for `min`.
 * @example np.amin([[1, 5], [3, 2]], { axis: 1 }) // [1, 2]
 */
export function amin(x: ArrayLike, ...args: Positional<"amin", ReduceOptions>): Tensor {
  return extremum("amin", "reduceMin", x, positionalOptions("amin", args));
}

/**
 * Remainder with the sign of the divisor (Python's `%`), NumPy's name `mod` for `remainder`.
 * @example np.mod([-3, 3], 2) // [1, 1]
 */
export function mod(a: ArrayLike, b: ArrayLike): Tensor {
  return remainder(a, b);
}

/**
 * The number of dimensions of `a` (a JS number, a scalar is 0).
 * @example np.ndim([[1, 2, 3]]) // 2
 */
export function ndim(a: ArrayLike): number {
  return asTensor(a, "ndim").ndim;
}

/**
 * The shape of `a` as an array of sizes (JAX's tuple).
 * @example np.shape([[1, 2, 3]]) // [1, 3]
 */
export function shape(a: ArrayLike): number[] {
  return [...asTensor(a, "shape").shape];
}

/**
 * The number of elements of `a`, or the length of `axis` (negative counts from the end).
 * @example np.size([[1, 2, 3], [4, 5, 6]]) // 6
 * @example np.size([[1, 2, 3], [4, 5, 6]], -1) // 3
 */
export function size(a: ArrayLike, axis?: number | null): number {
  const t = asTensor(a, "size");
  if (axis === undefined || axis === null) return t.size;
  return t.shape[normAxis("size", axis, t.ndim)]!;
}

/**
 * An array with the shape and dtype of `x` (or `shape`/`dtype`); JAX has no uninitialised memory,
 * so it is zeros.
 * @example np.emptyLike([[1, 2]], { dtype: "int32" }) // [[0, 0]]
 */
export function emptyLike(x: ArrayLike, opts: LikeOptions = {}): Tensor {
  return zerosLike(x, optionsOf("emptyLike", opts));
}

/**
 * Reverses the second axis (left/right); needs at least 2 dimensions.
 * @example np.fliplr([[1, 2], [3, 4]]) // [[2, 1], [4, 3]]
 */
export function fliplr(m: ArrayLike): Tensor {
  const t = asTensor(m, "fliplr");
  if (t.ndim < 2) throw new ShapeError(`fliplr: needs an array of at least 2 dimensions, got shape ${fmtShape(t.shape)}`);
  return flip(t, 1);
}

/**
 * Reverses the first axis (up/down); needs at least 1 dimension.
 * @example np.flipud([[1, 2], [3, 4]]) // [[3, 4], [1, 2]]
 */
export function flipud(m: ArrayLike): Tensor {
  const t = asTensor(m, "flipud");
  if (t.ndim < 1) throw new ShapeError(`flipud: needs an array of at least 1 dimension, got a 0-d array`);
  return flip(t, 0);
}

/**
 * Moves `axis` to sit before position `start` (NumPy's older form of `moveaxis`; `start` may be
 * `ndim`, meaning last).
 * @example np.rollaxis(np.zeros([3, 4, 5]), 2).shape // [5, 3, 4]
 * @example np.rollaxis(np.zeros([3, 4, 5]), 0, 3).shape // [4, 5, 3]
 */
export function rollaxis(a: ArrayLike, axis: number, start = 0): Tensor {
  const t = asTensor(a, "rollaxis");
  const n = t.ndim;
  const ax = normAxis("rollaxis", axis, n);
  if (!Number.isInteger(start) || start < -n || start > n) {
    throw new ValueError(`rollaxis: start ${describeValue(start)} must be an integer in [${-n}, ${n}] for an array of ${n} dimensions`);
  }
  let s = start < 0 ? start + n : start;
  if (ax < s) s -= 1; // removing the axis first shifts the later positions down by one
  return ax === s ? t : moveaxis(t, ax, s);
}

/**
 * The arrays broadcast to their common shape (each keeps its dtype).
 * @example np.broadcastArrays([1, 2, 3], [[1], [2]]).map((t) => t.shape) // [[2, 3], [2, 3]]
 */
export function broadcastArrays(...args: ArrayLike[]): Tensor[] {
  const ts = args.map((a) => asTensor(a, "broadcastArrays"));
  const common = joinShapes("broadcastArrays", ...ts.map((t) => t.shape));
  return ts.map((t) => broadcastTo(t, common));
}

/**
 * The shape that the given shapes broadcast to (a ShapeError when they do not).
 * @example np.broadcastShapes([2, 1], [3]) // [2, 3]
 */
export function broadcastShapes(...shapes: readonly (readonly number[] | number)[]): number[] {
  const checked = shapes.map((s) => checkShape("broadcastShapes", typeof s === "number" ? [s] : s));
  return joinShapes("broadcastShapes", ...checked);
}

// ---------------------------------------------------------------------------------------------
// Complex parts of real arrays (and of np.fft's { re, im } pairs)

/**
 * The real part: a real input itself (its dtype kept, as JAX), the `re` of an np.fft pair.
 * @example np.real([1, -2]) // [1, -2]
 */
export function real(val: ArrayLike | Complex): Tensor {
  return isComplex(val) ? val.re : asTensor(val, "real");
}

/**
 * The imaginary part: zeros of a real input's shape and dtype, the `im` of an np.fft pair.
 * @example np.imag([1.5, -2]) // [0, 0]
 */
export function imag(val: ArrayLike | Complex): Tensor {
  return isComplex(val) ? val.im : zerosLike(asTensor(val, "imag"));
}

/**
 * The complex conjugate: a real input itself; an np.fft pair with its imaginary part negated.
 * @example np.conj([1, -2]) // [1, -2]
 */
export function conj(x: ArrayLike): Tensor;
export function conj(x: Complex): Complex;
export function conj(x: ArrayLike | Complex): Tensor | Complex {
  return isComplex(x) ? conjPair(x) : asTensor(x, "conj");
}

/**
 * NumPy's long name for `conj`.
 * @example np.conjugate([3]) // [3]
 */
export function conjugate(x: ArrayLike): Tensor;
export function conjugate(x: Complex): Complex;
export function conjugate(x: ArrayLike | Complex): Tensor | Complex {
  return isComplex(x) ? conjPair(x) : asTensor(x, "conjugate");
}

/** Options of `angle`. */
export interface AngleOptions {
  /** Degrees instead of radians (default false). */
  deg?: boolean;
}

/**
 * The argument `atan2(imag, real)`: for a real input π where it is negative (or -0) and 0 elsewhere,
 * in a float dtype (integers give float32, as JAX).
 * @example np.angle([-1, 0, 2]) // [3.1415927, 0, 0]
 * @example np.angle(np.fft.complex([0], [1]), true) // [90]
 */
export function angle(z: ArrayLike | Complex, ...args: Positional<"angle", AngleOptions>): Tensor {
  const opts = positionalOptions<AngleOptions>("angle", args);
  let out: Tensor;
  if (isComplex(z)) out = arctan2(z.im, z.re);
  else {
    const t = asTensor(z, "angle");
    const f = isFloat(t.dtype) ? t : astypeRaw(t, "float32");
    out = arctan2(zerosLike(f), f);
  }
  if (opts.deg !== undefined && typeof opts.deg !== "boolean") throw new ValueError(`angle: deg must be a boolean, got ${describeValue(opts.deg)}`);
  return opts.deg ? rad2deg(out) : out;
}

/**
 * Elementwise whether the value has a nonzero imaginary part: all false for a real input.
 * @example np.iscomplex([1, 2]) // [false, false]
 */
export function iscomplex(x: ArrayLike | Complex): Tensor {
  const im = imag(x);
  return notEqual(im, 0);
}

/**
 * Elementwise whether the imaginary part is zero: all true for a real input.
 * @example np.isreal([1, 2]) // [true, true]
 */
export function isreal(x: ArrayLike | Complex): Tensor {
  return equal(imag(x), 0);
}

/**
 * Whether `x` is of a complex type: true only for an np.fft `{ re, im }` pair (kiln has no complex dtype).
 * @example np.iscomplexobj([1, 2]) // false
 */
export function iscomplexobj(x: unknown): boolean {
  return isComplex(x);
}

/**
 * Whether `x` is not of a complex type (`!iscomplexobj(x)`).
 * @example np.isrealobj([1, 2]) // true
 */
export function isrealobj(x: unknown): boolean {
  return !isComplex(x);
}

// ---------------------------------------------------------------------------------------------
// dtype predicates

/** A dtype given by name, or as the dtype of an array. */
export type DTypeLike = DType | Tensor;

function dtypeOf(op: string, d: unknown): DType {
  if (d instanceof Tensor) return d.dtype;
  return checkDType(d, op);
}

/** The kind letters of NumPy's casting rules: bool, unsigned, signed, float. */
const kindOf = (d: DType): number => (d === "bool" ? 0 : isUnsigned(d) ? 1 : isInt(d) ? 2 : 3);

/** Safe casts (no value lost) between kiln's dtypes, NumPy's table restricted to them. */
const SAFE: { readonly [F in DType]: readonly DType[] } = {
  bool: DTYPES,
  uint8: ["uint8", "uint32", "int32", "float16", "float32", "float64"],
  uint32: ["uint32", "float64"],
  int32: ["int32", "float64"],
  float16: ["float16", "float32", "float64"],
  bfloat16: ["bfloat16", "float32", "float64"],
  float32: ["float32", "float64"],
  float64: ["float64"],
};

/** NumPy's casting modes. */
export type Casting = "no" | "equiv" | "safe" | "same_kind" | "unsafe";

/**
 * Whether a cast from `from` to `to` is allowed under `casting` (default "safe": no value can be
 * lost). "same_kind" also allows a cast down within a kind (float64 → float32) or to a later kind.
 * @example np.canCast("int32", "float64") // true
 * @example np.canCast("float64", "float32") // false
 * @example np.canCast("float64", "float32", "same_kind") // true
 */
export function canCast(from: DTypeLike, to: DType, casting: Casting = "safe"): boolean {
  const f = dtypeOf("canCast", from), t = checkDType(to, "canCast");
  switch (casting) {
    case "no":
    case "equiv":
      return f === t;
    case "safe":
      return SAFE[f].includes(t);
    case "same_kind":
      return SAFE[f].includes(t) || kindOf(f) <= kindOf(t);
    case "unsafe":
      return true;
    default:
      throw new ValueError(`canCast: casting must be one of "no", "equiv", "safe", "same_kind", "unsafe", got ${jsonOf(casting)}`);
  }
}

/**
 * The dtype a binary operation between the two dtypes computes in (JAX's lattice with x64 off).
 * @example np.promoteTypes("uint8", "int32") // "int32"
 * @example np.promoteTypes("float16", "bfloat16") // "float32"
 */
export function promoteTypes(a: DTypeLike, b: DTypeLike): DType {
  return joinTypes(dtypeOf("promoteTypes", a), false, dtypeOf("promoteTypes", b), false);
}

/** NumPy's abstract dtype categories, by their NumPy names, with the concrete kiln dtypes in each. */
const CATEGORIES: Readonly<Record<string, (d: DType) => boolean>> = {
  generic: () => true,
  number: (d) => d !== "bool",
  integer: (d) => isInt(d),
  signedinteger: (d) => d === "int32",
  unsignedinteger: (d) => isUnsigned(d),
  inexact: (d) => isFloat(d),
  floating: (d) => isFloat(d),
  complexfloating: () => false,
  bool_: (d) => d === "bool",
};

/**
 * Whether `arg1` is `arg2` or in the category `arg2` ("generic", "number", "integer",
 * "signedinteger", "unsignedinteger", "inexact", "floating", "complexfloating", "bool_" or a dtype).
 * @example np.issubdtype("float32", "floating") // true
 * @example np.issubdtype("int32", "float32") // false
 */
export function issubdtype(arg1: DTypeLike, arg2: DType | string): boolean {
  const d = dtypeOf("issubdtype", arg1);
  const cat = typeof arg2 === "string" && Object.hasOwn(CATEGORIES, arg2) ? CATEGORIES[arg2] : undefined;
  if (cat) return cat(d);
  return d === checkDType(arg2, "issubdtype");
}

/** The array API's dtype kinds (`isdtype`). */
const KINDS: Readonly<Record<string, (d: DType) => boolean>> = {
  bool: (d) => d === "bool",
  "signed integer": (d) => d === "int32",
  "unsigned integer": (d) => isUnsigned(d),
  integral: (d) => isInt(d),
  "real floating": (d) => isFloat(d),
  "complex floating": () => false,
  numeric: (d) => d !== "bool",
};

/**
 * Whether `dtype` is of `kind` (the array API): a kind name ("bool", "signed integer",
 * "unsigned integer", "integral", "real floating", "complex floating", "numeric"), a dtype, or an
 * array of these (any matches).
 * @example np.isdtype("float16", "real floating") // true
 * @example np.isdtype("uint8", ["signed integer", "bool"]) // false
 */
export function isdtype(dtype: DType, kind: string | readonly string[]): boolean {
  const d = checkDType(dtype, "isdtype");
  const kinds = typeof kind === "string" ? [kind] : kind;
  if (!Array.isArray(kinds)) throw new DTypeError(`isdtype: kind must be a kind name, a dtype or an array of these, got ${describeValue(kind)}`);
  return kinds.some((k) => {
    const test = typeof k === "string" && Object.hasOwn(KINDS, k) ? KINDS[k] : undefined;
    if (test) return test(d);
    if ((DTYPES as readonly string[]).includes(k)) return d === k;
    throw new DTypeError(`isdtype: unknown kind ${jsonOf(k)}; expected a dtype or one of ${Object.keys(KINDS).map((s) => jsonOf(s)).join(", ")}`);
  });
}
