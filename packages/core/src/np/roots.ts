/**
 * `np.roots` over the `polyRoots` primitive (companion-matrix eigenvalues in float64 on the host,
 * core/src/poly-roots-f64.ts). Roots are complex: they come back as a `{ re, im }` pair, the
 * np.fft representation (docs/fft.md).
 */
import { isFloat } from "../dtype.js";
import { ConcretizationError, ValueError } from "../errors.js";
import { fmtShape } from "../shape.js";
import type { ArrayLike, Tensor } from "../tensor.js";
import { type Complex, isComplex } from "./fft-complex.js";
import { apply, asTensor, astypeRaw, fullRaw, optionsOf, reshapeRaw } from "./util.js";
import { checkBool } from "./compose-helpers.js";

/** Options of `roots`. */
export interface RootsOptions {
  /**
   * Strip leading zero coefficients first (default true, as JAX): reads the coefficients, so it
   * needs concrete values (not under jit, vmap or grad, and not on webgpu, whose reads are async).
   * With false, the output always has n − 1 entries and a polynomial of lower degree gets NaN
   * roots at the end (JAX's `strip_zeros=False`).
   */
  readonly stripZeros?: boolean;
}

/** The number of leading zeros of a concrete 1-D `t`. */
function leadingZeros(t: Tensor): number {
  let values: globalThis.ArrayLike<number>;
  try {
    values = t.dataSync();
  } catch (e) {
    if (e instanceof ConcretizationError) {
      throw new ConcretizationError(`roots: stripping leading zeros reads the coefficients, which are not known while tracing (jit, vmap, grad); pass { stripZeros: false }`);
    }
    throw e;
  }
  let k = 0;
  while (k < values.length && values[k] === 0) k++;
  return k;
}

/**
 * The roots of the polynomial with real coefficients `p` (highest degree first), as `jnp.roots`:
 * the eigenvalues of its companion matrix, returned as a Complex `{ re, im }` sorted by decreasing
 * real part, then decreasing imaginary part (NumPy and JAX return LAPACK's order). Differentiable
 * (with `stripZeros: false`) at simple roots.
 * @example
 * np.roots([1, -3, 2]) // { re: [2, 1], im: [0, 0] }
 * np.roots([1, 0, 1]) // { re: [0, 0], im: [1, -1] }
 * np.roots([0, 1, -2], { stripZeros: false }) // { re: [2, NaN], im: [0, NaN] }
 */
export function roots(p: ArrayLike, options?: RootsOptions, ...extra: undefined[]): Complex {
  const op = "roots";
  const stripZeros = checkBool(op, "stripZeros", optionsOf(op, options, op, extra).stripZeros, true);
  if (isComplex(p)) throw new ValueError(`${op}: expects real coefficients, got a complex { re, im } value`);
  let t = asTensor(p, op);
  if (!isFloat(t.dtype) || t.dtype === "float16" || t.dtype === "bfloat16") t = astypeRaw(t, "float32");
  if (t.ndim === 0) t = reshapeRaw(t, [1]);
  if (t.ndim !== 1) throw new ValueError(`${op}: expected a 1-D array of coefficients, got shape ${fmtShape(t.shape)}`);
  if (stripZeros) {
    const k = leadingZeros(t);
    if (k > 0) t = apply("slice", [t], { start: [Math.min(k, t.size)], stop: [t.size], step: [1] });
  }
  if (t.size < 2) return { re: fullRaw([0], 0, t.dtype), im: fullRaw([0], 0, t.dtype) };
  return { re: apply("polyRoots", [t], { index: 0 }), im: apply("polyRoots", [t], { index: 1 }) };
}
