/**
 * Derivative and batching rules of the `fft` primitive (spread into the jvp/vjp/batch tables).
 * The unnormalized DFT along the last axis is linear in the pair (re, im), so its tangent is the
 * transform of the tangents. Its transpose, with the real inner product Σ re·re' + im·im' on pairs
 * (= Re⟨z, w⟩ on complex vectors), is the adjoint F^H: the unnormalized transform in the other
 * direction (F^H = conj(F)ᵀ = conj(F), the DFT matrix being symmetric). Output 0 (the real part)
 * receives the cotangent ct as ct + 0i, output 1 (the imaginary part) as 0 + ct·i; the driver sums
 * the two siblings' contributions. The np.fft norm modes are scalings around the primitive, so
 * they transpose on their own. Batching is elementwiseBatch (rules/batch.ts): a leading batch axis
 * is one more row axis.
 */
import { npUtil } from "@kiln/core";
import { orZeros, zerosLike } from "./ops.js";
import type { JvpTable, VjpTable } from "./types.js";

const { apply } = npUtil;

export const FFT_JVP = {
  fft: ([re, im], [tRe, tIm], params) =>
    tRe || tIm ? apply("fft", [orZeros(tRe!, re!), orZeros(tIm!, im!)], params) : null,
} satisfies Partial<JvpTable>;

export const FFT_VJP = {
  fft: (ct, _primals, { inverse, index }) => {
    const parts = index === 0 ? [ct, zerosLike(ct)] : [zerosLike(ct), ct];
    return [0, 1].map((part) => apply("fft", parts, { inverse: !inverse, index: part }));
  },
} satisfies Partial<VjpTable>;
