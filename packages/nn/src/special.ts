/**
 * The special functions nn uses (exact GELU, the truncated-normal initializers), as the core
 * primitives `erf`, `erfc` and `erfInv` (rows of core's ir/elementwise.ts, SciPy's values; accuracy
 * in docs/special.md). Integer and bool inputs become float32.
 */
import { type ArrayLike, type Tensor, isFloat, np, npUtil, scipySpecial } from "@kiln/core";

/**
 * A float tensor (integer and bool inputs become float32).
 * @example toFloat(np.array([1], { dtype: "int32" }), "gelu").dtype // "float32"
 */
export function toFloat(x: ArrayLike, who: string): Tensor {
  const t = npUtil.asTensor(x, who);
  return isFloat(t.dtype) ? t : np.astype(t, "float32");
}

/**
 * The error function, elementwise (the `erf` primitive).
 * @example erf([0, 0.5, -2]) // [0, 0.5204999, -0.9953223]
 */
export function erf(x: ArrayLike): Tensor {
  return scipySpecial.erf(toFloat(x, "erf"));
}

/**
 * The complementary error function 1 − erf(x), elementwise, without cancellation for large x.
 * @example erfc([0, 3, -1]) // [1, 2.209050e-5, 1.8427008]
 */
export function erfc(x: ArrayLike): Tensor {
  return scipySpecial.erfc(toFloat(x, "erfc"));
}

/**
 * The inverse error function on (-1, 1) (±inf at ±1, NaN outside).
 * @example erfinv([0, 0.5]) // [0, 0.4769363]
 */
export function erfinv(x: ArrayLike): Tensor {
  return scipySpecial.erfinv(toFloat(x, "erfinv"));
}
