/**
 * The `lax` namespace: JAX's lower-level array operations (`jax.lax`) over lazy Tensors —
 * sorting and top-k, convolutions and windowed reductions, special functions. Unlike `np`, `lax`
 * functions do not promote: operands must already have matching dtypes where JAX requires it.
 * @example
 * import { lax, np } from "kiln";
 * @packageDocumentation
 */
export * from "./sort.js";
export * from "./conv.js";
export * from "./special.js";
