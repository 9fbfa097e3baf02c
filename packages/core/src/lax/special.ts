/**
 * lax special functions (`jax.lax.erf`, `erfc`, `erf_inv`, `lgamma`, `digamma`, `polygamma(1, ·)`,
 * `bessel_i0e`, `bessel_i1e`):
 * one elementwise primitive each (rows in ir/elementwise.ts, float64 references in
 * special-f64.ts). As JAX's lax they do not promote: a Tensor operand must already be floating
 * point (int32 and bool are a DTypeError); JavaScript numbers and arrays of them become float32
 * (JavaScript has no separate integer literal). `scipySpecial` has the promoting versions.
 */
import { isFloat } from "../dtype.js";
import { DTypeError } from "../errors.js";
import type { UnaryPrim } from "../ir/elementwise.js";
import { apply, asTensor, astypeRaw } from "../np/util.js";
import { type ArrayLike, Tensor } from "../tensor.js";

/** The scipySpecial function a lax op's error message points to, where the names differ. */
const SCIPY_NAME: Record<string, string> = { lgamma: "gammaln", erfInv: "erfinv", besselI0e: "i0e", besselI1e: "i1e" };

/** A float operand for lax op `op`: Tensors must be float already; plain numbers become float32. */
function floatOperand(op: string, x: ArrayLike): Tensor {
  const t = asTensor(x, `lax.${op}`);
  if (isFloat(t.dtype)) return t;
  if (x instanceof Tensor) {
    throw new DTypeError(`lax.${op}: requires a floating-point operand, got ${t.dtype} (lax does not promote: cast with astype, or use scipySpecial.${SCIPY_NAME[op] ?? op})`);
  }
  return astypeRaw(t, "float32");
}

const special = (op: string, prim: UnaryPrim) => (x: ArrayLike): Tensor => {
  const t = floatOperand(op, x);
  return apply(prim, [t], {}, t.weak);
};

/**
 * The error function 2/√π ∫₀ˣ e^{-t²} dt, elementwise (SciPy's values; float64 to ~1e-16,
 * float32 within the "transcendental" bound of docs/webgpu.md).
 * @example lax.erf(np.array([0, 1, -2])) // [0, 0.8427008, -0.9953223]
 */
export const erf = special("erf", "erf");

/**
 * The complementary error function 1 − erf(x), without cancellation in the right tail.
 * @example lax.erfc(np.array([0, 3])) // [1, 2.2090497e-5]
 */
export const erfc = special("erfc", "erfc");

/**
 * The inverse error function on [-1, 1]: ±inf at ±1, NaN outside (JAX's `erf_inv`).
 * @example lax.erfInv(np.array([0, 0.5, 1])) // [0, 0.4769363, Infinity]
 */
export const erfInv = special("erfInv", "erfInv");

/**
 * log |Γ(x)|, elementwise: +inf at 0, the negative integers and ±inf (SciPy's `gammaln`). Its
 * derivative is `digamma`.
 * @example lax.lgamma(np.array([0.5, 1, 10])) // [0.5723649, 0, 12.801827]
 */
export const lgamma = special("lgamma", "lgamma");

/**
 * The digamma function ψ = d/dx log Γ(x): −inf at +0, +inf at −0, NaN at the negative integers
 * and −inf (SciPy's `psi`). Its derivative is `trigamma`.
 * @example lax.digamma(np.array([1, 0.5])) // [-0.5772157, -1.9635100]
 */
export const digamma = special("digamma", "digamma");

/**
 * The trigamma function ψ₁ = polygamma(1, x) = d/dx digamma: +inf at the poles and at −inf, 0 at +inf.
 * Differentiating it is a ValueError (its derivative, polygamma(2, x), is not implemented).
 * @example lax.trigamma(np.array([1, 0.5])) // [1.6449341, 4.9348022]
 */
export const trigamma = special("trigamma", "trigamma");

/**
 * The exponentially scaled modified Bessel function of order 0, e^{-|x|} I₀(x) (JAX's
 * `bessel_i0e`): even, 1 at 0, 0 at ±inf.
 * @example lax.besselI0e(np.array([0, 1])) // [1, 0.4657596]
 */
export const besselI0e = special("besselI0e", "i0e");

/**
 * The exponentially scaled modified Bessel function of order 1, e^{-|x|} I₁(x) (JAX's
 * `bessel_i1e`): odd, 0 at 0 and at ±inf.
 * @example lax.besselI1e(np.array([0, 1])) // [0, 0.2079104]
 */
export const besselI1e = special("besselI1e", "i1e");
