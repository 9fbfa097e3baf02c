/** The bench's inputs: deterministic, so every runner (and every run) sees the same numbers. */

/**
 * n uniform float32 values in [-scale, scale) from a fixed-seed LCG (no dependency on Math.random,
 * so two runs, and two peers, get the same data).
 * @example
 * random(3, 1, 2).length; // 3
 */
export function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}
