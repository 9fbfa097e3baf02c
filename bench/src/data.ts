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

/**
 * W1's value in float64: Σ tanh(1.5x + 0.5) · sigmoid(x) − 0.1x², the reference every W1 runner is checked against.
 * @example w1Reference(random(1 << 20, 1)); // ≈ 23487
 */
export function w1Reference(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    s += Math.tanh(v * 1.5 + 0.5) / (1 + Math.exp(-v)) - 0.1 * v * v;
  }
  return s;
}
