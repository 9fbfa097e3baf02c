/**
 * Special functions composed from existing primitives (the primitive table has no `erf`):
 * `erf`, `erfc` (relative error ≤ 1.2e-7 where float32 can represent the result) and `erfinv`
 * (Giles' single-precision approximation, relative error ≤ 1.3e-7). Used by exact GELU and the
 * truncated-normal initializers.
 */
import { type ArrayLike, type Tensor, isFloat, np, npUtil } from "@kiln/core";

/**
 * A float tensor (integer and bool inputs become float32).
 * @example toFloat(np.array([1], { dtype: "int32" }), "gelu").dtype // "float32"
 */
export function toFloat(x: ArrayLike, who: string): Tensor {
  const t = npUtil.asTensor(x, who);
  return isFloat(t.dtype) ? t : np.astype(t, "float32");
}

/** Horner evaluation of `c[0] + c[1] u + c[2] u² + ...`. */
function horner(u: Tensor, coeffs: readonly number[]): Tensor {
  let p: Tensor = np.fullLike(u, coeffs[coeffs.length - 1]!);
  for (let i = coeffs.length - 2; i >= 0; i--) p = p.mul(u).add(coeffs[i]!);
  return p;
}

// erf(x) = x · Σ c_n x^{2n} with c_n = 2/√π · (-1)^n / (n! (2n+1)); 13 terms reach 1e-11 on |x| ≤ 1.
const ERF_SERIES = Array.from({ length: 13 }, (_, n) => {
  let fact = 1;
  for (let k = 2; k <= n; k++) fact *= k;
  return ((2 / Math.sqrt(Math.PI)) * (n % 2 ? -1 : 1)) / (fact * (2 * n + 1));
});

// Numerical Recipes' Chebyshev fit: erfc(z) = t·exp(-z² + P(t)), t = 1/(1 + z/2), fractional error
// < 1.2e-7 for every z ≥ 0. P's constant term -1.26551223 is folded in below.
const ERFC_CHEB = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
];

/** erfc(z) for z ≥ 1 (the branch with relative accuracy), z clamped where it underflows anyway. */
function erfcTail(z: Tensor): Tensor {
  const zc = np.minimum(z, 30); // erfc(30) ≈ 2.6e-393 underflows even float64; avoids inf − inf below
  const t = np.reciprocal(zc.mul(0.5).add(1));
  // exp(-z²) with z² split as zh² + (z - zh)(z + zh): zh has few bits, so zh² is exact in float32
  // and the rounding of z² (up to 5e-6 relative near z = 9) does not reach the result.
  const zh = np.floor(zc.mul(16)).div(16);
  const expo = zh.square().neg().sub(zc.sub(zh).mul(zc.add(zh))).add(horner(t, ERFC_CHEB));
  return t.mul(np.exp(expo));
}

/** The series branch, on an input clamped to [-1, 1] so the unused branch never overflows (NaN gradients). */
function erfSeries(x: Tensor): Tensor {
  const xs = np.clip(x, -1, 1);
  return xs.mul(horner(xs.square(), ERF_SERIES));
}

/**
 * The error function, elementwise: relative error ≤ 1.2e-7 (a Taylor series on |x| < 1, then
 * 1 − erfc with the Numerical Recipes Chebyshev fit).
 * @example erf([0, 0.5, -2]) // [0, 0.5204999, -0.9953223]
 */
export function erf(x: ArrayLike): Tensor {
  const t = toFloat(x, "erf");
  const z = t.abs();
  const r = erfcTail(z);
  return np.where(z.lt(1), erfSeries(t), np.where(t.lt(0), r.sub(1), np.negative(r).add(1)));
}

/**
 * The complementary error function 1 − erf(x), elementwise, without cancellation for large x:
 * relative error ≤ 1.2e-7 down to where the result underflows.
 * @example erfc([0, 3, -1]) // [1, 2.209050e-5, 1.8427008]
 */
export function erfc(x: ArrayLike): Tensor {
  const t = toFloat(x, "erfc");
  const z = t.abs();
  const r = erfcTail(z);
  return np.where(z.lt(1), np.negative(erfSeries(t)).add(1), np.where(t.lt(0), np.negative(r).add(2), r));
}

// Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision.
const ERFINV_CENTRAL = [1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087, -4.39150654e-6, -3.5233877e-6, 3.43273939e-7, 2.81022636e-8];
const ERFINV_TAIL = [2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773, -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257];

/**
 * The inverse error function on (-1, 1) (±inf at ±1, NaN outside).
 * @example erfinv([0, 0.5]) // [0, 0.4769363]
 */
export function erfinv(x: ArrayLike): Tensor {
  const t = toFloat(x, "erfinv");
  const w = np.negative(np.log(np.negative(t).add(1).mul(t.add(1))));
  const central = horner(w.sub(2.5), ERFINV_CENTRAL);
  // The tail branch takes sqrt(w); keep its argument ≥ 5 so the unused side stays finite.
  const tail = horner(np.sqrt(np.maximum(w, 5)).sub(3), ERFINV_TAIL);
  const inner = np.where(w.lt(5), central, tail).mul(t);
  return np.where(t.abs().eq(1), t.mul(Infinity), inner); // the polynomials give inf − inf at ±1
}
