/**
 * Test helpers (not built into the package): deterministic float64 samples and row-major index
 * arithmetic for the direct reference loops the layer tests compare against.
 */
import { type Tensor, np } from "@kiln/core";

/** Deterministic distinct float64 values of a shape (as a flat array and a Tensor). */
export function sample(shape: readonly number[], seed: number): [number[], Tensor] {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.3 + 0.01 * i);
  return [v, np.array(v, { dtype: "float64" }).reshape([...shape])];
}

/** Row-major strides of a shape, in elements. */
export const strides = (shape: readonly number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** The element of a row-major flat array at an index tuple. */
export const at = (flat: readonly number[], shape: readonly number[], idx: readonly number[]) => flat[idx.reduce((a, d, i) => a + d * strides(shape)[i]!, 0)]!;

/** Every index tuple of a shape, row-major. */
export function indices(shape: readonly number[]): number[][] {
  return shape.reduce<number[][]>((acc, d) => acc.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i])), [[]]);
}
