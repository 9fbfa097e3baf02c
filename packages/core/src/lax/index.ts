/**
 * The `lax` namespace: JAX's lower-level array operations (`jax.lax`) over lazy Tensors —
 * sorting and top-k, convolutions and windowed reductions, special functions. Unlike `np`, `lax`
 * functions do not promote: operands must already have matching dtypes where JAX requires it.
 * @example
 * import { lax, np } from "kiln";
 * const [values, indices] = lax.topK(np.array([3, 1, 4, 1, 5]), 2);      // [5, 4], [4, 2]
 * const y = lax.conv(np.ones([1, 1, 5, 5]), np.ones([1, 1, 3, 3]), [1, 1], "SAME"); // NCHW / OIHW
 * lax.erf(np.array([0, 1]));                                             // [0, 0.8427]
 * @packageDocumentation
 */
export * from "./sort.js";
export * from "./conv.js";
export * from "./special.js";
export * from "./dynamic-slice.js";
export { bitcastConvertType } from "./bitcast.js";
export { linalg, type TriangularSolveOptions } from "./linalg.js";
