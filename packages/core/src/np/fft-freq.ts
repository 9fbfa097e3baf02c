/**
 * The np.fft helpers that are not transforms: sample frequencies (computed in float64 on the host,
 * then stored in the requested dtype) and the zero-frequency shifts (rolls by n//2).
 */
import { type DType, allocTyped, isFloat, storedScalar } from "../dtype.js";
import { hostDataNode } from "../realize.js";
import { DTypeError, ValueError, describeValue } from "../errors.js";
import { checkShape, normAxes } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { type Complex, type ComplexLike, asComplex, isComplex, lengthOf } from "./fft-complex.js";
import { roll } from "./shape-extra.js";
import { asTensor, optionsOf } from "./util.js";

/** Options of `fftfreq` and `rfftfreq`. */
export interface FftFreqOptions {
  /** Float dtype of the result (default float32, JAX's default without x64). */
  readonly dtype?: DType;
}

function freqs(op: "fft.fftfreq" | "fft.rfftfreq", n: number, d: number, options: FftFreqOptions | undefined, countOf: (n: number) => number, k: (i: number) => number, extra: readonly unknown[] = []): Tensor {
  lengthOf(op, n);
  const count = countOf(n);
  checkShape(op, [count]);
  if (typeof d !== "number" || !(d !== 0) || !Number.isFinite(d)) throw new ValueError(`${op}: the sample spacing d must be a finite non-zero number, got ${describeValue(d)}`);
  const dtype = optionsOf(op, options, op, extra).dtype ?? "float32";
  if (!isFloat(dtype)) throw new DTypeError(`${op}: dtype must be a float dtype, got ${describeValue(dtype)}`);
  // Straight into the result's storage, not through a JS array: V8 aborts the process on JS arrays
  // past ~10^8 elements, while a typed allocation that fails is a ShapeError (allocTyped). Each
  // value is computed in float64 and rounded once to the dtype.
  const values = allocTyped(dtype, count);
  for (let i = 0; i < count; i++) values[i] = storedScalar(k(i) / (n * d), dtype);
  return new Tensor(hostDataNode(values, { shape: [count], dtype }));
}

/**
 * The sample frequencies of an n-point `fft` with sample spacing `d`, as `jnp.fft.fftfreq`:
 * [0, 1, …, ⌈n/2⌉ − 1, −⌊n/2⌋, …, −1] / (d·n).
 * @example np.fft.fftfreq(4) // [0, 0.25, -0.5, -0.25]
 */
export function fftfreq(n: number, d = 1, options?: FftFreqOptions, ...extra: undefined[]): Tensor {
  return freqs("fft.fftfreq", n, d, options, (len) => len, (k) => (k < Math.ceil(n / 2) ? k : k - n), extra);
}

/**
 * The non-negative sample frequencies of an n-point `rfft`, as `jnp.fft.rfftfreq`: [0, 1, …, ⌊n/2⌋] / (d·n).
 * @example np.fft.rfftfreq(5, 0.1) // [0, 2, 4]
 */
export function rfftfreq(n: number, d = 1, options?: FftFreqOptions, ...extra: undefined[]): Tensor {
  return freqs("fft.rfftfreq", n, d, options, (len) => Math.floor(len / 2) + 1, (k) => k, extra);
}

function shift(op: string, x: ComplexLike, axes: number | readonly number[] | null | undefined, sign: 1 | -1): Tensor | Complex {
  const rollAll = (t: Tensor): Tensor => {
    const list = normAxes(op, axes, t.ndim);
    return list.length === 0 ? t : roll(t, list.map((a) => sign * (t.shape[a]! >> 1)), list);
  };
  if (!isComplex(x)) return rollAll(asTensor(x, op));
  const z = asComplex(op, x);
  return { re: rollAll(z.re), im: rollAll(z.im) };
}

/**
 * Moves the zero frequency to the center (rolls each of `axes`, default all, by ⌊n/2⌋), as
 * `jnp.fft.fftshift`; a Complex input shifts both parts.
 * @example np.fft.fftshift(np.fft.fftfreq(5)) // [-0.4, -0.2, 0, 0.2, 0.4]
 */
export function fftshift(x: ArrayLike, axes?: number | readonly number[] | null): Tensor;
export function fftshift(x: Complex, axes?: number | readonly number[] | null): Complex;
export function fftshift(x: ComplexLike, axes?: number | readonly number[] | null): Tensor | Complex {
  return shift("fft.fftshift", x, axes, 1);
}

/**
 * The inverse of `fftshift` (rolls by −⌊n/2⌋), as `jnp.fft.ifftshift`.
 * @example np.fft.ifftshift(np.fft.fftshift(np.arange(5))) // [0, 1, 2, 3, 4]
 */
export function ifftshift(x: ArrayLike, axes?: number | readonly number[] | null): Tensor;
export function ifftshift(x: Complex, axes?: number | readonly number[] | null): Complex;
export function ifftshift(x: ComplexLike, axes?: number | readonly number[] | null): Tensor | Complex {
  return shift("fft.ifftshift", x, axes, -1);
}
