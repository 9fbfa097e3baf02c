/**
 * Complex values for np.fft (docs/fft.md): kiln has no complex dtype, so a complex array is a
 * `Complex` — a plain `{ re, im }` object of two real tensors of one shape and dtype. A plain object
 * is a pytree, so grad/vmap/jit see it as two leaves with no special casing. This file holds the
 * representation, its conversions, and the one building block every transform composes: the
 * unnormalized DFT along one axis (the `fft` primitive runs along the last axis; other axes are
 * moved there and back), with `n` padding or truncating and the `norm` scaling.
 */
import { type DType } from "../dtype.js";
import { ValueError, describeValue, jsonOf } from "../errors.js";
import { broadcastShapes, fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { transposeRaw } from "./contract.js";
import { apply, asTensor, astypeRaw, broadcastRaw, fullRaw, resultDType } from "./util.js";

/**
 * A complex array as its real and imaginary parts: `z.re` is JAX's `z.real`, `z.im` is `z.imag`.
 * Both parts have the same shape and float dtype (float32 stands for complex64, float64 for complex128).
 * @example
 * const z: np.fft.Complex = np.fft.fft([1, 2, 3, 4]); // z.re [10, -2, -2, -2], z.im [0, 2, 0, -2]
 */
export interface Complex {
  readonly re: Tensor;
  readonly im: Tensor;
}

/** What the transforms accept: a real array (imaginary part zero) or a `Complex`. */
export type ComplexLike = ArrayLike | Complex;

/** JAX's `norm` argument: where the 1/n of a transform pair goes ("backward": all on the inverse). */
export type FftNorm = "backward" | "ortho" | "forward";

/**
 * Whether `x` is a `{ re, im }` object rather than an array (a Tensor, nested array, typed array or scalar).
 * @example np.fft.isComplex(np.fft.fft([1, 2])) // true; np.fft.isComplex([1, 2]) // false
 */
export function isComplex(x: unknown): x is Complex {
  return typeof x === "object" && x !== null && !(x instanceof Tensor) && !Array.isArray(x) && !ArrayBuffer.isView(x) && "re" in x;
}

/** Float dtype of a transform: float64 stays, every other dtype computes in float32 (JAX's complex64). */
const fftDType = (dt: DType): DType => (dt === "float64" ? "float64" : "float32");

/**
 * A complex array from its real part and optional imaginary part (zero by default), as JAX's
 * `lax.complex(re, im)`: the parts are broadcast together and promoted to one float dtype
 * (int and bool parts become float32).
 * @example
 * const z = np.fft.complex([1, 2], [0.5, -1]); // { re: [1, 2], im: [0.5, -1] }
 * np.fft.complex(np.ones([2, 3])).im.shape // [2, 3], all zeros
 */
export function complex(re: ArrayLike, im?: ArrayLike): Complex {
  const op = "fft.complex";
  const r = asTensor(re, op);
  const i = im === undefined ? null : asTensor(im, op);
  const parts = i ? [r, i] : [r];
  const dtype = fftDType(resultDType(parts, op));
  const shape = i ? broadcastShapes(op, r.shape, i.shape) : [...r.shape];
  const rt = broadcastRaw(astypeRaw(r, dtype), shape);
  return { re: rt, im: i ? broadcastRaw(astypeRaw(i, dtype), shape) : fullRaw(shape, 0, dtype) };
}

/**
 * The complex conjugate `{ re, im: -im }` (JAX's `jnp.conj`).
 * @example np.fft.conj(np.fft.complex([1], [2])).im // [-2]
 */
export function conj(z: Complex): Complex {
  const c = asComplex("fft.conj", z);
  return { re: c.re, im: apply("neg", [c.im], {}) };
}

/** `x` as a Complex (a real array gets a zero imaginary part); rejects other objects with a ValueError. */
export function asComplex(op: string, x: ComplexLike): Complex {
  if (!isComplex(x)) return complex(x);
  const { re, im } = x as { re: unknown; im?: unknown };
  if (re === undefined || re === null) throw new ValueError(`${op}: a complex value needs a real part \`re\`, got ${describeValue(re)}`);
  return complex(re as ArrayLike, im as ArrayLike | undefined);
}

/** A real-only input, as `rfft`/`ihfft` need (JAX raises a TypeError for complex input). */
export function asReal(op: string, x: ArrayLike): Tensor {
  if (isComplex(x)) throw new ValueError(`${op}: expects a real array, got a complex { re, im } value (use fft for complex input)`);
  return complex(x).re;
}

/** Validates `norm` (undefined = "backward"). */
export function normOf(op: string, norm: unknown): FftNorm {
  if (norm === undefined || norm === null) return "backward";
  if (norm !== "backward" && norm !== "ortho" && norm !== "forward") {
    throw new ValueError(`${op}: norm must be "backward", "ortho" or "forward", got ${jsonOf(norm)}`);
  }
  return norm;
}

/** hfft/ihfft use the opposite direction's convention: "backward" ↔ "forward" (NumPy's `_swap_direction`). */
export const swapNorm = (norm: FftNorm): FftNorm => (norm === "backward" ? "forward" : norm === "forward" ? "backward" : "ortho");

/** Validates a transform length `n` (a positive integer; NumPy/JAX reject 0). */
export function lengthOf(op: string, n: unknown, what = "n"): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    throw new ValueError(`${op}: invalid number of FFT data points: ${what} must be a positive integer, got ${describeValue(n)}`);
  }
  return n;
}

/** The scale of a length-n transform (`inverse`: of the inverse direction) under `norm`. */
function scaleOf(norm: FftNorm, n: number, inverse: boolean): number {
  if (norm === "ortho") return 1 / Math.sqrt(n);
  return (norm === "forward") !== inverse ? 1 / n : 1;
}

/** `z` times a real constant (no node when it is 1). */
export function scaled(z: Complex, s: number): Complex {
  if (s === 1) return z;
  const by = (t: Tensor) => apply("mul", [t, fullRaw(t.shape, s, t.dtype)], {});
  return { re: by(z.re), im: by(z.im) };
}

/** `x` with its last axis cut or zero-padded at the end to length `n`. */
export function resizeLast(x: Tensor, n: number): Tensor {
  const last = x.ndim - 1, size = x.shape[last]!;
  if (n === size) return x;
  if (n < size) {
    return apply("slice", [x], { start: x.shape.map(() => 0), stop: x.shape.map((d, i) => (i === last ? n : d)), step: x.shape.map(() => 1) });
  }
  return apply("pad", [x], { lo: x.shape.map(() => 0), hi: x.shape.map((_, i) => (i === last ? n - size : 0)), value: 0 });
}

/** The permutation taking `axis` to the end (`back`: its inverse, from the end back to `axis`). */
function lastPerm(rank: number, axis: number, back: boolean): number[] {
  const toEnd = [...[...Array(rank).keys()].filter((d) => d !== axis), axis];
  return back ? toEnd.map((_, i) => toEnd.indexOf(i)) : toEnd;
}

/** `t` with `axis` moved to the end (`back`: the last axis moved back to position `axis`). */
export const moveAxisLast = (t: Tensor, axis: number, back = false): Tensor => transposeRaw(t, lastPerm(t.ndim, axis, back));

/** `moveAxisLast` on both parts. */
export const moveLast = (z: Complex, axis: number, back = false): Complex =>
  ({ re: moveAxisLast(z.re, axis, back), im: moveAxisLast(z.im, axis, back) });

/** The axis of a 1-D transform, normalized (an IndexError names the op when out of range). */
export function axisOf(op: string, z: Complex, axis: unknown): number {
  if (axis === undefined || axis === null) return normAxis(op, -1, z.re.ndim);
  if (typeof axis !== "number") throw new ValueError(`${op}: axis must be an integer, got ${describeValue(axis)}`);
  return normAxis(op, axis, z.re.ndim);
}

/**
 * The `fft` primitive along `axis` of `z`, resized to `n` first (default: the axis length), scaled
 * for `norm`. Both outputs are sibling nodes of one transform.
 */
export function dftAlong(op: string, z: Complex, axis: number, n: number | undefined, inverse: boolean, norm: FftNorm): Complex {
  const size = z.re.shape[axis]!;
  const len = n === undefined ? lengthOf(op, size, `the length of axis ${axis} of shape ${fmtShape(z.re.shape)}`) : lengthOf(op, n);
  const moved = moveLast(z, axis);
  const re = resizeLast(moved.re, len), im = resizeLast(moved.im, len);
  const out = { re: apply("fft", [re, im], { inverse, index: 0 }), im: apply("fft", [re, im], { inverse, index: 1 }) };
  return scaled(moveLast(out, axis, true), scaleOf(norm, len, inverse));
}
