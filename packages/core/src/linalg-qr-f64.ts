/**
 * The float64 Householder QR shared by the interpreter (the spec) and the host library kernel.
 * Reflector signs follow LAPACK's `dgeqrf`/`dlarfg` (what NumPy and JAX return): R[j][j] has the
 * opposite sign of the pivot entry it reflects, and a column that is already zero below the
 * diagonal is left alone (no reflection), so R's diagonal may be negative.
 */
import { sizeOf } from "./shape.js";

/**
 * Q and R of one m×n matrix `a` (row-major). `complete`: Q is m×m and R m×n; otherwise (reduced)
 * Q is m×k and R k×n, k = min(m, n). A non-finite entry gives all-NaN outputs.
 * @example
 * const { q, r } = qrOf(Float64Array.from([3, 4]), 2, 1, false); // q = [-0.6, -0.8], r = [-5]
 */
export function qrOf(a: Float64Array, m: number, n: number, complete: boolean): { q: Float64Array; r: Float64Array } {
  const k = Math.min(m, n), qCols = complete ? m : k, rRows = complete ? m : k;
  if (!a.every(Number.isFinite)) return { q: new Float64Array(m * qCols).fill(NaN), r: new Float64Array(rRows * n).fill(NaN) };
  const w = Float64Array.from(a);
  const vs: Float64Array[] = [], taus: number[] = [];
  for (let j = 0; j < k; j++) {
    const x0 = w[j * n + j]!;
    let sigma = 0;
    for (let i = j + 1; i < m; i++) sigma += w[i * n + j]! ** 2;
    const v = new Float64Array(m);
    v[j] = 1;
    if (sigma === 0) {
      vs.push(v), taus.push(0);
      continue;
    }
    const norm = Math.sqrt(x0 * x0 + sigma), beta = x0 >= 0 ? -norm : norm;
    for (let i = j + 1; i < m; i++) v[i] = w[i * n + j]! / (x0 - beta);
    const tau = (beta - x0) / beta;
    reflect(w, m, n, v, tau, j, j);
    w[j * n + j] = beta;
    for (let i = j + 1; i < m; i++) w[i * n + j] = 0;
    vs.push(v), taus.push(tau);
  }
  const r = new Float64Array(rRows * n);
  for (let i = 0; i < rRows; i++) for (let c = i; c < n; c++) if (i < m) r[i * n + c] = w[i * n + c]!;
  // Q = H_0 ... H_{k-1} applied to the first qCols columns of the identity, last reflector first.
  const q = new Float64Array(m * qCols);
  for (let i = 0; i < Math.min(m, qCols); i++) q[i * qCols + i] = 1;
  for (let j = k - 1; j >= 0; j--) if (taus[j] !== 0) reflect(q, m, qCols, vs[j]!, taus[j]!, j, 0);
  return { q, r };
}

/** x ← (I − τ v vᵀ) x on rows ≥ `row` and columns ≥ `col` of the m×cols matrix x (v is zero above `row`). */
function reflect(x: Float64Array, m: number, cols: number, v: Float64Array, tau: number, row: number, col: number): void {
  for (let c = col; c < cols; c++) {
    let s = 0;
    for (let i = row; i < m; i++) s += v[i]! * x[i * cols + c]!;
    s *= tau;
    for (let i = row; i < m; i++) x[i * cols + c] -= s * v[i]!;
  }
}

/**
 * Output `index` (0: Q, 1: R) of the QR of every m×n matrix in a row-major batch of `shape`
 * [..., m, n], written to `out` (the interpreter's and the host kernel's entry point).
 * @example
 * const r = new Float64Array(1);
 * qrBatchInto([3, 4], [2, 1], false, 1, r); // r = [-5]
 */
export function qrBatchInto(a: ArrayLike<number>, shape: readonly number[], complete: boolean, index: number, out: { [i: number]: number }): void {
  const m = shape[shape.length - 2]!, n = shape[shape.length - 1]!, k = Math.min(m, n);
  const batch = sizeOf(shape.slice(0, -2));
  const size = index === 0 ? m * (complete ? m : k) : (complete ? m : k) * n;
  for (let b = 0; b < batch; b++) {
    const mat = new Float64Array(m * n);
    for (let i = 0; i < m * n; i++) mat[i] = a[b * m * n + i]!;
    const { q, r } = qrOf(mat, m, n, complete);
    const part = index === 0 ? q : r;
    for (let i = 0; i < size; i++) out[b * size + i] = part[i]!;
  }
}
