/**
 * Dense per-matrix routines on row-major float64 arrays, shared by the reference interpreter and
 * the CPU backend's library kernels (one implementation of the numerics, two callers).
 */

/** LU with partial pivoting of one n×n matrix, in place; fills `perm`; returns the permutation's sign. */
export function luInPlace(a: Float64Array, n: number, perm: Int32Array): number {
  let sign = 1;
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]!) > Math.abs(a[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[p * n + j]!;
        a[p * n + j] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[p]!;
      perm[p] = t;
      sign = -sign;
    }
    const piv = a[k * n + k]!;
    if (piv === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k]! /= piv);
      for (let j = k + 1; j < n; j++) a[i * n + j]! -= f * a[k * n + j]!;
    }
  }
  return sign;
}

/**
 * Solves A X = B for one matrix: `a` (n×n, overwritten by its LU factors), `b` read from
 * `bArr[bOff..]` (n×k), X written to `out[outOff..]`.
 */
export function solveInto(a: Float64Array, n: number, bArr: ArrayLike<number>, bOff: number, k: number, out: { [i: number]: number }, outOff: number): void {
  const perm = new Int32Array(n);
  const y = new Float64Array(n);
  luInPlace(a, n, perm);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = bArr[bOff + perm[i]! * k + c]!;
      for (let j = 0; j < i; j++) s -= a[i * n + j]! * y[j]!;
      y[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let j = i + 1; j < n; j++) s -= a[i * n + j]! * y[j]!;
      y[i] = s / a[i * n + i]!;
    }
    for (let i = 0; i < n; i++) out[outOff + i * k + c] = y[i]!;
  }
}

/** Lower Cholesky factor of one n×n matrix (reads the lower triangle); NaN where not positive-definite, as LAPACK-backed JAX. */
export function choleskyOf(m: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = m[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    const ljj = d > 0 ? Math.sqrt(d) : NaN;
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = m[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** sign(det(m)) (m is overwritten). */
export function detSignOf(m: Float64Array, n: number): number {
  let sign = luInPlace(m, n, new Int32Array(n));
  for (let i = 0; i < n; i++) sign *= Math.sign(m[i * n + i]!);
  return sign;
}

/** log|det(m)| (m is overwritten). */
export function logAbsDetOf(m: Float64Array, n: number): number {
  luInPlace(m, n, new Int32Array(n));
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(Math.abs(m[i * n + i]!));
  return s;
}
