/**
 * The `np` namespace: NumPy names over lazy Tensors.
 * @example
 * import { np } from "kiln";
 * const y = np.tanh(np.array([1, 2, 3]).mul(1.5)).sum();
 * await y.item();
 * @packageDocumentation
 */
// Attaches Tensor's chaining methods (x.add, x.sum, …): loading np is what gives Tensors their methods.
import "./tensor-methods.js";

export * from "./creation.js";
export * from "./elementwise.js";
// `where` with JAX's one-argument form (nonzero) overrides elementwise.js's three-argument one.
export { where } from "./where.js";
export {
  sum, mean, prod, max, min, argmax, argmin, var_ as var, std, logsumexp, all, any, cumsum,
  type ReduceOptions, type VarOptions,
} from "./reduce.js";
export * from "./shape.js";
export { pad, type PadMode, type PadOptions, type PadValues, type PadWidth } from "./pad.js";
export { get, at, take, takeAlongAxis, slice, newaxis, type Index, type Slice, type AtUpdater } from "./indexing.js";
export * from "./linalg.js";
export * from "./shape-extra.js";
export * from "./matrix-extra.js";
export * from "./poly.js";

export const float32 = "float32" as const;
export const float64 = "float64" as const;
export const float16 = "float16" as const;
export const bfloat16 = "bfloat16" as const;
export const int32 = "int32" as const;
export const uint8 = "uint8" as const;
export const uint32 = "uint32" as const;
export const bool = "bool" as const;
export * from "./math-extra.js";
export * from "./signal-extra.js";
export { sort, argsort, lexsort, partition, argpartition, searchsorted, unique, type SortOptions, type UniqueOptions } from "./sort.js";
// np.fft: transforms over the `fft` primitive; complex values are { re, im } pairs (docs/fft.md).
export * as fft from "./fft-index.js";
export { unwrap, type UnwrapOptions } from "./unwrap.js";
export * from "./numpy-names.js";
export * from "./numpy-more.js";
export { quantile, percentile, median, nanquantile, nanpercentile, nanmedian, type QuantileMethod, type QuantileOptions } from "./quantile.js";
export { roots, type RootsOptions } from "./roots.js";
// NumPy 2 / array-API names jax.numpy has (acos, concat, permuteDims, cumulativeSum, …).
export * from "./array-api.js";
// Aliases, shape queries, complex parts of real arrays and dtype predicates jax.numpy has.
export * from "./numpy-aliases.js";
export * from "./set-ops.js";
export * from "./array-edit.js";
export * from "./numeric-more.js";
export { vectorize, iterable, finfo, iinfo, type VectorizeOptions, type FInfo, type IInfo } from "./vectorize.js";
export { frombuffer, fromiter, fromstring, type FrombufferOptions } from "./from-data.js";
export { poly, polydiv, polyfit, type PolydivOptions, type PolyfitOptions, type PolyfitFull } from "./poly-fit.js";
