/**
 * The order of `lax.sort` (JAX/NumPy): -inf < … < -0 = +0 < … < inf < NaN, and a stable sort over
 * the lexicographic order of several key operands. One implementation, shared by the float64
 * interpreter and the host library kernel every backend runs, so the two cannot drift apart.
 */
import { type Shape, sizeOf } from "./shape.js";

/** Anything indexable by number: a typed array of any dtype or a Float64Array. */
export type NumberArray = { readonly length: number; readonly [i: number]: number };

/**
 * Compares two values in sort order: NaN after everything (all NaNs equal), -0 equal to +0.
 * @example
 * [3, NaN, -Infinity, 0].sort(compareTotal); // [-Infinity, 0, 3, NaN]
 */
export function compareTotal(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Writes operand `index` of a stable sort of `operands` (all of `shape`) along `dimension`, ordered
 * lexicographically by the first `numKeys` operands, into `out` (row-major, like the operands).
 * Equal keys keep their input order: the position breaks ties, so the result never depends on
 * the engine's sort algorithm.
 * @example
 * const out = new Float64Array(3);
 * sortAlongInto([Float64Array.of(2, NaN, 1), Float64Array.of(10, 20, 30)], [3], 0, 1, 1, out); // out = [30, 10, 20]
 */
export function sortAlongInto(
  operands: readonly NumberArray[], shape: Shape, dimension: number, numKeys: number, index: number, out: { [i: number]: number },
): void {
  const outer = sizeOf(shape.slice(0, dimension)), len = shape[dimension]!, inner = sizeOf(shape.slice(dimension + 1));
  const keys = operands.slice(0, numKeys), src = operands[index]!;
  const perm = new Array<number>(len);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      for (let j = 0; j < len; j++) perm[j] = j;
      perm.sort((p, q) => {
        for (const k of keys) {
          const c = compareTotal(k[base + p * inner]!, k[base + q * inner]!);
          if (c !== 0) return c;
        }
        return p - q;
      });
      for (let j = 0; j < len; j++) out[base + j * inner] = src[base + perm[j]! * inner]!;
    }
  }
}
