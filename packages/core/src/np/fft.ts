/**
 * The np.fft transforms (JAX's `jnp.fft`), all built on the one `fft` primitive through `dftAlong`
 * (fft-complex.ts): multi-axis transforms apply it axis by axis, the real transforms keep or rebuild
 * the Hermitian half. Complex values are `{ re, im }` pairs (docs/fft.md).
 */
import { ValueError, jsonOf } from "../errors.js";
import { normAxis } from "../shape.js";
import type { ArrayLike, Tensor } from "../tensor.js";
import {
  type Complex, type ComplexLike, type FftNorm, asComplex, asReal, axisOf, conj, dftAlong, lengthOf, moveAxisLast, moveLast,
  normOf, resizeLast, swapNorm,
} from "./fft-complex.js";
import { apply, asTensor, broadcastRaw, optionsOf, type SignatureName } from "./util.js";
import { type Positional, positionalOptions } from "./positional.js";

/** Options of the 1-D transforms. */
export interface FftOptions {
  /** Length of the transform: the input is cut or zero-padded to it along `axis` (default: its length). */
  readonly n?: number;
  /** The transformed axis (default -1). */
  readonly axis?: number;
  /** Scaling: "backward" (default: 1/n on the inverse), "ortho" (1/√n both ways) or "forward" (1/n on the forward). */
  readonly norm?: FftNorm;
}

/** Options of the n-D transforms. */
export interface FftnOptions {
  /** Transform lengths per axis of `axes` (each cuts or zero-pads; default: the axis lengths). */
  readonly s?: readonly number[];
  /** The transformed axes (default: all, or the last `s.length` when `s` is given; fft2 family: [-2, -1]). */
  readonly axes?: readonly number[];
  /** As in `FftOptions`; for n-D transforms n is the product of the lengths. */
  readonly norm?: FftNorm;
}

function fft1(op: "fft.fft" | "fft.ifft", a: ComplexLike, options: FftOptions | undefined, inverse: boolean, extra: readonly unknown[] = []): Complex {
  const { n, axis, norm } = optionsOf(op, options, op, extra);
  const z = asComplex(op, a);
  return dftAlong(op, z, axisOf(op, z, axis), n, inverse, normOf(op, norm));
}

/**
 * The 1-D discrete Fourier transform along `axis`, as `jnp.fft.fft`: X_k = Σ_j x_j e^{-2πi jk/n}.
 * Any length (radix-2, or Bluestein for other lengths), float64 inside the kernel.
 * @example
 * const z = np.fft.fft([1, 2, 3, 4]); // z.re [10, -2, -2, -2], z.im [0, 2, 0, -2]
 * np.fft.fft([1, 0, 0], { n: 4 }).re // [1, 1, 1, 1] (zero-padded to 4)
 */
export function fft(a: ComplexLike, ...args: Positional<"fft.fft", FftOptions>): Complex {
  return fft1("fft.fft", a, positionalOptions<FftOptions>("fft.fft", args), false);
}

/**
 * The inverse 1-D transform, as `jnp.fft.ifft`: x_j = (1/n) Σ_k X_k e^{2πi jk/n} ("backward" norm).
 * @example np.fft.ifft(np.fft.fft([1, 2, 3])).re // [1, 2, 3]
 */
export function ifft(a: ComplexLike, ...args: Positional<"fft.ifft", FftOptions>): Complex {
  return fft1("fft.ifft", a, positionalOptions<FftOptions>("fft.ifft", args), true);
}

/** The first `keep` entries of both parts along `axis`. */
function keepLeading(z: Complex, axis: number, keep: number): Complex {
  const moved = moveLast(z, axis);
  return moveLast({ re: resizeLast(moved.re, keep), im: resizeLast(moved.im, keep) }, axis, true);
}

/**
 * The transform of a real array keeping the n//2 + 1 non-negative frequencies, as `jnp.fft.rfft`.
 * Complex input is a ValueError (JAX raises a TypeError).
 * @example np.fft.rfft([1, 2, 3, 4]) // { re: [10, -2, -2], im: [0, 2, 0] }
 */
export function rfft(a: ArrayLike, options?: FftOptions, ...extra: undefined[]): Complex {
  const op = "fft.rfft";
  const { n, axis, norm } = optionsOf(op, options, op, extra);
  const z = asComplex(op, asReal(op, a));
  return rfftAlong(op, z, axisOf(op, z, axis), n, normOf(op, norm));
}

/** rfft along a normalized axis (shared by rfft, rfftn and ihfft). */
function rfftAlong(op: string, z: Complex, axis: number, n: number | undefined, norm: FftNorm): Complex {
  const full = dftAlong(op, z, axis, n, false, norm);
  return keepLeading(full, axis, (full.re.shape[axis]! >> 1) + 1);
}

/**
 * The inverse of `rfft`, as `jnp.fft.irfft`: the real length-n signal whose spectrum has the given
 * non-negative half (n defaults to 2·(m − 1) for m input entries; the half is cut or zero-padded to
 * n//2 + 1). The imaginary parts of the zero frequency and (n even) the Nyquist frequency are ignored,
 * as NumPy and JAX.
 * @example np.fft.irfft(np.fft.rfft([1, 2, 3, 4, 5]), { n: 5 }) // [1, 2, 3, 4, 5]
 */
export function irfft(a: ComplexLike, options?: FftOptions, ...extra: undefined[]): Tensor {
  const op = "fft.irfft";
  const { n, axis, norm } = optionsOf(op, options, op, extra);
  const z = asComplex(op, a);
  const ax = axisOf(op, z, axis);
  return irfftAlong(op, z, ax, n, normOf(op, norm));
}

/** irfft along a normalized axis (shared by irfft, irfftn and hfft). */
function irfftAlong(op: string, z: Complex, axis: number, n: number | undefined, norm: FftNorm): Tensor {
  const len = lengthOf(op, n ?? 2 * (z.re.shape[axis]! - 1), n === undefined ? `n (default 2·(m − 1) from m = ${z.re.shape[axis]})` : "n");
  const half = (len >> 1) + 1;
  const moved = moveLast(z, axis);
  const re = resizeLast(moved.re, half);
  // Zero the imaginary parts a real signal cannot have: DC, and Nyquist when len is even.
  const mask = asTensor(Array.from({ length: half }, (_, k) => (k === 0 || 2 * k === len ? 0 : 1)), op, re.dtype);
  const im = apply("mul", [resizeLast(moved.im, half), broadcastRaw(mask, re.shape)], {});
  // The negative frequencies len − k (k = 1 … len − half) are conj(X_k), in reverse order.
  const tail = len - half;
  const last = re.ndim - 1;
  const mirrored = (t: Tensor, negate: boolean): Tensor => {
    const cut = apply("slice", [t], { start: t.shape.map((_, i) => (i === last ? 1 : 0)), stop: t.shape.map((d, i) => (i === last ? 1 + tail : d)), step: t.shape.map(() => 1) });
    const flipped = apply("flip", [cut], { axes: [last] });
    return negate ? apply("neg", [flipped], {}) : flipped;
  };
  const full = tail === 0 ? { re, im } : {
    re: apply("concatenate", [re, mirrored(re, false)], { axis: last }),
    im: apply("concatenate", [im, mirrored(im, true)], { axis: last }),
  };
  return moveAxisLast(dftAlong(op, full, last, len, true, norm).re, axis, true);
}

/**
 * The transform of a signal with Hermitian symmetry (a real spectrum), as `jnp.fft.hfft`:
 * irfft(conj(a)) scaled by n ("backward" norm), a real result of length n (default 2·(m − 1)).
 * @example np.fft.hfft([1, 2, 3]) // [8, -2, 0, -2] (n = 2·(3 − 1) = 4)
 */
export function hfft(a: ComplexLike, options?: FftOptions, ...extra: undefined[]): Tensor {
  const op = "fft.hfft";
  const { n, axis, norm } = optionsOf(op, options, op, extra);
  const z = conj(asComplex(op, a));
  return irfftAlong(op, z, axisOf(op, z, axis), n, swapNorm(normOf(op, norm)));
}

/**
 * The inverse of `hfft` for a real signal, as `jnp.fft.ihfft`: conj(rfft(a)) / n ("backward" norm).
 * @example np.fft.ihfft([8, -2, 0, -2]) // { re: [1, 2, 3], im: [0, 0, 0] }
 */
export function ihfft(a: ArrayLike, options?: FftOptions, ...extra: undefined[]): Complex {
  const op = "fft.ihfft";
  const { n, axis, norm } = optionsOf(op, options, op, extra);
  const z = asComplex(op, asReal(op, a));
  return conj(rfftAlong(op, z, axisOf(op, z, axis), n, swapNorm(normOf(op, norm))));
}

/** The normalized `axes` and lengths `s` of an n-D transform (JAX: repeated axes are a ValueError). */
function axesOf(op: SignatureName, z: Complex, options: FftnOptions | undefined, fallback: "all" | "last2", extra: readonly unknown[]): { axes: number[]; s: (number | undefined)[]; norm: FftNorm } {
  const { s, axes, norm } = optionsOf(op, options, op, extra);
  const rank = z.re.ndim;
  if (s !== undefined && !Array.isArray(s)) throw new ValueError(`${op}: s must be an array of lengths, got ${jsonOf(s)}`);
  if (axes !== undefined && !Array.isArray(axes)) throw new ValueError(`${op}: axes must be an array of integers, got ${jsonOf(axes)}`);
  const raw = axes ?? (fallback === "last2" ? [-2, -1] : s ? s.map((_, i) => rank - s.length + i) : [...Array(rank).keys()]);
  const list = raw.map((a) => normAxis(op, a, rank));
  if (new Set(list).size !== list.length) throw new ValueError(`${op}: repeated axes are not supported (as JAX), got axes ${jsonOf(raw)}`);
  if (s && s.length !== list.length) throw new ValueError(`${op}: s ${jsonOf(s)} and axes ${jsonOf(raw)} must have the same length`);
  return { axes: list, s: list.map((_, i) => (s ? lengthOf(op, s[i], `s[${i}]`) : undefined)), norm: normOf(op, norm) };
}

function fftn1(op: SignatureName, a: ComplexLike, options: FftnOptions | undefined, inverse: boolean, fallback: "all" | "last2", extra: readonly unknown[] = []): Complex {
  let z = asComplex(op, a);
  const { axes, s, norm } = axesOf(op, z, options, fallback, extra);
  axes.forEach((ax, i) => (z = dftAlong(op, z, ax, s[i], inverse, norm)));
  return z;
}

/**
 * The n-D transform over `axes` (default all), as `jnp.fft.fftn`.
 * @example np.fft.fftn([[1, 2], [3, 4]]).re // [[10, -2], [-4, 0]]
 */
export function fftn(a: ComplexLike, options?: FftnOptions, ...extra: undefined[]): Complex {
  return fftn1("fft.fftn", a, options, false, "all", extra);
}

/**
 * The inverse n-D transform, as `jnp.fft.ifftn`.
 * @example np.fft.ifftn(np.fft.fftn([[1, 2], [3, 4]])).re // [[1, 2], [3, 4]]
 */
export function ifftn(a: ComplexLike, options?: FftnOptions, ...extra: undefined[]): Complex {
  return fftn1("fft.ifftn", a, options, true, "all", extra);
}

/**
 * The 2-D transform over the last two axes (or `axes`), as `jnp.fft.fft2`.
 * @example np.fft.fft2([[1, 2], [3, 4]]).re // [[10, -2], [-4, 0]]
 */
export function fft2(a: ComplexLike, options?: FftnOptions, ...extra: undefined[]): Complex {
  return fftn1("fft.fft2", a, options, false, "last2", extra);
}

/**
 * The inverse 2-D transform, as `jnp.fft.ifft2`.
 * @example np.fft.ifft2(np.fft.fft2([[1, 2], [3, 4]])).re // [[1, 2], [3, 4]]
 */
export function ifft2(a: ComplexLike, options?: FftnOptions, ...extra: undefined[]): Complex {
  return fftn1("fft.ifft2", a, options, true, "last2", extra);
}

function rfftn1(op: SignatureName, a: ArrayLike, options: FftnOptions | undefined, fallback: "all" | "last2", extra: readonly unknown[] = []): Complex {
  let z = asComplex(op, asReal(op, a));
  const { axes, s, norm } = axesOf(op, z, options, fallback, extra);
  if (axes.length === 0) return z;
  const last = axes.length - 1;
  z = rfftAlong(op, z, axes[last]!, s[last], norm);
  axes.slice(0, last).forEach((ax, i) => (z = dftAlong(op, z, ax, s[i], false, norm)));
  return z;
}

function irfftn1(op: SignatureName, a: ComplexLike, options: FftnOptions | undefined, fallback: "all" | "last2", extra: readonly unknown[] = []): Tensor {
  let z = asComplex(op, a);
  const { axes, s, norm } = axesOf(op, z, options, fallback, extra);
  if (axes.length === 0) return z.re;
  const last = axes.length - 1;
  axes.slice(0, last).forEach((ax, i) => (z = dftAlong(op, z, ax, s[i], true, norm)));
  return irfftAlong(op, z, axes[last]!, s[last], norm);
}

/**
 * The n-D transform of a real array, as `jnp.fft.rfftn`: rfft over the last of `axes`, fft over the others.
 * @example np.fft.rfftn([[1, 2, 3], [4, 5, 6]]).re // [[21, -3], [-9, 0]]
 */
export function rfftn(a: ArrayLike, options?: FftnOptions, ...extra: undefined[]): Complex {
  return rfftn1("fft.rfftn", a, options, "all", extra);
}

/**
 * The inverse of `rfftn`, as `jnp.fft.irfftn` (the last axis length defaults to 2·(m − 1); pass `s`
 * for odd lengths).
 * @example np.fft.irfftn(np.fft.rfftn([[1, 2, 3], [4, 5, 6]]), { s: [2, 3] }) // [[1, 2, 3], [4, 5, 6]]
 */
export function irfftn(a: ComplexLike, options?: FftnOptions, ...extra: undefined[]): Tensor {
  return irfftn1("fft.irfftn", a, options, "all", extra);
}

/**
 * The 2-D transform of a real array over the last two axes, as `jnp.fft.rfft2`.
 * @example np.fft.rfft2([[1, 2, 3], [4, 5, 6]]).re // [[21, -3], [-9, 0]]
 */
export function rfft2(a: ArrayLike, options?: FftnOptions, ...extra: undefined[]): Complex {
  return rfftn1("fft.rfft2", a, options, "last2", extra);
}

/**
 * The inverse of `rfft2`, as `jnp.fft.irfft2`.
 * @example np.fft.irfft2(np.fft.rfft2([[1, 2], [3, 4]])) // [[1, 2], [3, 4]]
 */
export function irfft2(a: ComplexLike, options?: FftnOptions, ...extra: undefined[]): Tensor {
  return irfftn1("fft.irfft2", a, options, "last2", extra);
}
