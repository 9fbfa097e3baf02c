/**
 * The `np.fft` namespace (JAX's `jnp.fft`): discrete Fourier transforms of any length over the
 * `fft` primitive, differentiable and batchable. Complex values are `{ re, im }` pairs of real
 * tensors (`Complex`); see docs/fft.md for the representation and the deviations from JAX.
 * @example
 * import { np } from "kiln";
 * const z = np.fft.fft([1, 2, 3, 4]); // { re: [10, -2, -2, -2], im: [0, 2, 0, -2] }
 * np.fft.irfft(np.fft.rfft([1, 2, 3, 4])); // [1, 2, 3, 4]
 * @packageDocumentation
 */
export { type Complex, type ComplexLike, type FftNorm, complex, conj, isComplex } from "./fft-complex.js";
export {
  fft, ifft, rfft, irfft, hfft, ihfft, fftn, ifftn, fft2, ifft2, rfftn, irfftn, rfft2, irfft2,
  type FftOptions, type FftnOptions,
} from "./fft.js";
export { fftfreq, rfftfreq, fftshift, ifftshift, type FftFreqOptions } from "./fft-freq.js";
