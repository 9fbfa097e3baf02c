/** Hand-written JavaScript baselines: the plain loops a careful JS programmer would write. */

/** W1 as one loop: sum(tanh(x*1.5+0.5) * sigmoid(x) - 0.1*x*x). */
export function w1Loop(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    s += Math.tanh(v * 1.5 + 0.5) * (1 / (1 + Math.exp(-v))) - 0.1 * v * v;
  }
  return s;
}

/** C = A·B, i-k-j order (streams rows of B and C: the best plain order for row-major data). */
export function matmulIkj(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const c = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const av = a[i * n + k]!;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j]! += av * b[bk + j]!;
    }
  }
  return c;
}

/** C = A·B as row-by-row dot products against a transposed copy of B (i-j-k over contiguous data). */
export function matmulDotT(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const bt = new Float32Array(n * n);
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) bt[j * n + k] = b[k * n + j]!;
  const c = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * bt[j * n + k]!;
      c[i * n + j] = s;
    }
  }
  return c;
}
