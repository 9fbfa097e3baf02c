/**
 * The float64 symmetric eigendecomposition shared by the interpreter (the spec) and the host
 * library kernel, so both backends and the reference agree to the bit on the same float64 input.
 *
 * Cyclic Jacobi: each rotation zeroes one off-diagonal pair exactly, and sweeps repeat until the
 * off-diagonal mass is negligible against the matrix norm. It is slower than LAPACK's tridiagonal
 * QR for large n, but it is simple, unconditionally stable and accurate to full relative precision
 * on the small-to-moderate matrices kiln runs on the host.
 */
import { sizeOf } from "./shape.js";

/** Sweeps after which Jacobi stops regardless (convergence is quadratic; 10 sweeps suffice in practice). */
const MAX_SWEEPS = 60;

/**
 * Eigenvalues (ascending) and eigenvectors (as columns, row-major n×n) of the symmetric matrix
 * whose lower triangle is `m`'s (the upper triangle is ignored, as LAPACK's `syevd` with
 * UPLO="L"). Each eigenvector is normalized and signed so its largest-magnitude component (the
 * first one on a tie) is positive, which makes the result deterministic. A non-finite input gives
 * all-NaN outputs (LAPACK-backed JAX returns NaN too).
 * @example
 * const { w, v } = eighOf(Float64Array.from([2, 0, 1, 2]), 2); // w = [1, 3]
 */
export function eighOf(m: Float64Array, n: number): { w: Float64Array; v: Float64Array } {
  const a = new Float64Array(n * n);
  let finite = true;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = m[i * n + j]!;
      if (!Number.isFinite(x)) finite = false;
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  }
  if (!finite) return { w: new Float64Array(n).fill(NaN), v: new Float64Array(n * n).fill(NaN) };
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  jacobiSweeps(a, v, n);
  return sortAndSign(a, v, n);
}

function offDiagonalSq(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) s += a[i * n + j]! ** 2;
  return s;
}

/** Rotates `a` towards diagonal form in place, accumulating the rotations into `v` (A = V D Vᵀ). */
function jacobiSweeps(a: Float64Array, v: Float64Array, n: number): void {
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm += a[i]! ** 2;
  const tol = (Number.EPSILON * Number.EPSILON) * norm;
  for (let sweep = 0; sweep < MAX_SWEEPS && offDiagonalSq(a, n) > tol; sweep++) {
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        // The rotation angle that zeroes a[p][q]; the smaller root keeps |t| ≤ 1 (stable).
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.hypot(theta, 1));
        const c = 1 / Math.hypot(t, 1), s = t * c;
        rotate(a, v, n, p, q, c, s);
      }
    }
  }
}

/** A ← Jᵀ A J and V ← V J for the Givens rotation J in the (p, q) plane. */
function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p]!, akq = a[k * n + q]!;
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k]!, aqk = a[q * n + k]!;
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  // Exactly zero by construction; rounding would leave a residue that the next sweep revisits.
  a[p * n + q] = 0;
  a[q * n + p] = 0;
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p]!, vkq = v[k * n + q]!;
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}

/** Eigenvalues ascending (stable), eigenvector columns permuted alike and sign-normalized. */
function sortAndSign(a: Float64Array, v: Float64Array, n: number): { w: Float64Array; v: Float64Array } {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i]! - a[j * n + j]! || i - j);
  const w = new Float64Array(n), out = new Float64Array(n * n);
  order.forEach((src, col) => {
    w[col] = a[src * n + src]!;
    let big = 0;
    for (let k = 0; k < n; k++) if (Math.abs(v[k * n + src]!) > Math.abs(big)) big = v[k * n + src]!;
    const sign = big < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) out[k * n + col] = sign * v[k * n + src]!;
  });
  return { w, v: out };
}

/**
 * Output `index` (0: eigenvalues, 1: eigenvectors) of every n×n matrix in a row-major batch of
 * `shape` [..., n, n], written to `out` (the interpreter's and the host kernel's entry point).
 * @example
 * const w = new Float64Array(2);
 * eighBatchInto([2, 0, 1, 2], [2, 2], 0, w); // w = [1, 3]
 */
export function eighBatchInto(a: ArrayLike<number>, shape: readonly number[], index: number, out: { [i: number]: number }): void {
  const n = shape[shape.length - 1]!;
  const batch = sizeOf(shape.slice(0, -2));
  const size = index === 0 ? n : n * n;
  for (let b = 0; b < batch; b++) {
    const mat = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) mat[i] = a[b * n * n + i]!;
    const { w, v } = eighOf(mat, n);
    const part = index === 0 ? w : v;
    for (let i = 0; i < size; i++) out[b * size + i] = part[i]!;
  }
}
