/**
 * The float64 singular value decomposition shared by the interpreter (the spec) and the host
 * library kernel, so both give the same bits. One-sided (Hestenes) Jacobi: column rotations make
 * the columns of A V mutually orthogonal; their norms are the singular values. It works on A
 * directly (never on AᵀA, which would square the condition number and lose the small singular
 * values), and is accurate to a few ulps relative to each singular value.
 */
import { sizeOf } from "./shape.js";

/** s, u and vh of one matrix, row-major; `u` is m×m or m×k, `vh` n×n or k×n (k = min(m, n)). */
export interface SvdF64 {
  readonly s: Float64Array;
  readonly u: Float64Array;
  readonly vh: Float64Array;
}

/** Rotation sweeps before giving up (convergence is quadratic; 6-10 sweeps are typical). */
const MAX_SWEEPS = 80;
const EPS = 2 ** -52;
/**
 * Entries and columns below this (relative to the largest entry, which is scaled to about 1) are
 * flushed to zero: a perturbation of 2⁻⁸⁰⁰‖A‖ is far inside float64's backward error (ε‖A‖), and
 * it keeps every rotation out of the subnormal range, where too few bits remain to orthogonalize.
 */
const TINY = 2 ** -800;

/**
 * One-sided Jacobi on a tall column-major copy: `w` holds `cols` columns of length `rows`
 * (rows ≥ cols), `v` the accumulated cols×cols rotation (column-major). On return the columns of
 * `w` are orthogonal (|wₚ·w_q| ≤ ε‖wₚ‖‖w_q‖, at any scale).
 */
function jacobiColumns(w: Float64Array, rows: number, cols: number, v: Float64Array): void {
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        // Scale-free quantities (each column divided by its largest entry first), so that columns
        // of very different size neither underflow nor overflow when squared: r = ‖w_q‖/‖wₚ‖ and
        // the cosine of the angle between them.
        let xt = 0, yt = 0;
        for (let i = 0; i < rows; i++) {
          xt = Math.max(xt, Math.abs(w[p * rows + i]!));
          yt = Math.max(yt, Math.abs(w[q * rows + i]!));
        }
        if (!(xt > 0 && yt > 0)) continue; // a zero column is orthogonal to everything
        if (!Number.isFinite(xt + yt)) return; // inf input: no convergence to wait for
        let a = 0, b = 0, g = 0;
        for (let i = 0; i < rows; i++) {
          const x = w[p * rows + i]! / xt, y = w[q * rows + i]! / yt;
          a += x * x;
          b += y * y;
          g += x * y;
        }
        const cos = g / Math.sqrt(a * b);
        if (Math.abs(cos) <= EPS) continue;
        // The rotation that zeroes the (p, q) entry of WᵀW (Golub & Van Loan, sym.schur2):
        // zeta = (‖w_q‖² - ‖wₚ‖²) / (2 wₚ·w_q) = (r - 1/r) / (2 cos).
        const r = (yt * Math.sqrt(b)) / (xt * Math.sqrt(a));
        const zeta = (r - 1 / r) / (2 * cos);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.hypot(1, zeta));
        if (t === 0) continue; // a rotation too small to represent changes nothing
        rotated = true;
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        let xm = 0, ym = 0;
        for (let i = 0; i < rows; i++) {
          const x = w[p * rows + i]!, y = w[q * rows + i]!;
          w[p * rows + i] = c * x - s * y;
          w[q * rows + i] = s * x + c * y;
          xm = Math.max(xm, Math.abs(w[p * rows + i]!));
          ym = Math.max(ym, Math.abs(w[q * rows + i]!));
        }
        // Deflation: a column rotated down to (numerically) nothing is zero (see TINY).
        if (xm < TINY) w.fill(0, p * rows, (p + 1) * rows);
        if (ym < TINY) w.fill(0, q * rows, (q + 1) * rows);
        for (let i = 0; i < cols; i++) {
          const x = v[p * cols + i]!, y = v[q * cols + i]!;
          v[p * cols + i] = c * x - s * y;
          v[q * cols + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) return;
  }
}

/**
 * Completes `have` orthonormal columns of `q` (column-major, `rows` long) to `want` columns with
 * standard basis vectors orthogonalized against them (twice, "twice is enough"), picking the
 * basis vector with the largest residual each time so the result is well conditioned.
 */
function completeBasis(q: Float64Array, rows: number, have: readonly boolean[], want: number): void {
  const filled = have.slice();
  for (let j = 0; j < want; j++) {
    if (filled[j]) continue;
    let best: Float64Array | null = null, bestNorm = -1;
    for (let e = 0; e < rows; e++) {
      const r = new Float64Array(rows);
      r[e] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < want; c++) {
          if (!filled[c]) continue;
          let d = 0;
          for (let i = 0; i < rows; i++) d += q[c * rows + i]! * r[i]!;
          for (let i = 0; i < rows; i++) r[i] = r[i]! - d * q[c * rows + i]!;
        }
      }
      let nn = 0;
      for (let i = 0; i < rows; i++) nn += r[i]! * r[i]!;
      if (nn > bestNorm + 1e-12) (best = r), (bestNorm = nn);
    }
    const norm = Math.sqrt(bestNorm);
    for (let i = 0; i < rows; i++) q[j * rows + i] = best![i]! / norm;
    filled[j] = true;
  }
}

/**
 * The SVD a = u·diag(s)·vh of one m×n row-major matrix: s descending (k = min(m, n) values),
 * `full` gives square u (m×m) and vh (n×n), else u is m×k and vh k×n. Sign convention: the
 * largest-magnitude entry (the first, on ties) of each right singular vector (row of vh) is
 * positive when m ≥ n, of each left one (column of u) when m < n; the other factor follows from
 * a v = s u. A NaN or ±inf in `a` gives all-NaN outputs (LAPACK's, so JAX's, answer; NumPy raises
 * LinAlgError): the singular values of an infinite matrix are undefined, not the finite ones that
 * rotations of its finite columns would give.
 * @example
 * svdF64(Float64Array.of(3, 0, 0, -2), 2, 2, true).s; // Float64Array [3, 2]
 */
export function svdF64(a: Float64Array, m: number, n: number, full: boolean): SvdF64 {
  const k = Math.min(m, n);
  // Work on the tall orientation: rows ≥ cols. For m < n, aᵀ = u' s v'ᵀ gives u = v', v = u'.
  const tall = m >= n;
  const rows = tall ? m : n, cols = k;
  const w = new Float64Array(rows * cols); // column-major: column j of the tall matrix
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const x = a[i * n + j]!;
      if (tall) w[j * rows + i] = x;
      else w[i * rows + j] = x;
    }
  }
  const rot = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) rot[i * cols + i] = 1;
  const ucols = full ? rows : cols;
  const left = new Float64Array(rows * ucols); // column-major left vectors of the tall matrix
  const sigma = new Float64Array(cols);
  if (a.some((x) => !Number.isFinite(x))) {
    return { s: sigma.fill(NaN), u: new Float64Array(m * (full ? m : k)).fill(NaN), vh: new Float64Array((full ? n : k) * n).fill(NaN) };
  }
  // Scale by a power of two (exact) so the largest entry is about 1: the squared norms and dot
  // products of the rotations neither overflow nor underflow for any finite input.
  let big = 0;
  for (let i = 0; i < w.length; i++) big = Math.max(big, Math.abs(w[i]!));
  // (Clamped: 2^1074 for a subnormal-only matrix would overflow; 2^1000 leaves it near 2^-74.)
  const scale = big > 0 && Number.isFinite(big) ? 2 ** Math.min(1000, Math.max(-1000, -Math.round(Math.log2(big)))) : 1;
  for (let i = 0; i < w.length; i++) {
    const x = w[i]! * scale;
    w[i] = Math.abs(x) < TINY ? 0 : x;
  }
  jacobiColumns(w, rows, cols, rot);
  for (let j = 0; j < cols; j++) {
    // A scaled norm (max · ‖x / max‖): a column far below the largest still normalizes exactly.
    let top = 0, nn = 0;
    for (let i = 0; i < rows; i++) top = Math.max(top, Math.abs(w[j * rows + i]!));
    if (top > 0) {
      for (let i = 0; i < rows; i++) nn += (w[j * rows + i]! / top) ** 2;
      const norm = Math.sqrt(nn);
      for (let i = 0; i < rows; i++) w[j * rows + i] = w[j * rows + i]! / top / norm; // unit column
      sigma[j] = (top * norm) / scale;
    } else if (top !== top) {
      sigma[j] = NaN;
    }
  }
  // Descending order; a stable sort keeps equal values in column order (deterministic).
  const order = [...sigma.keys()].sort((x, y) => sigma[y]! - sigma[x]! || x - y);
  const s = Float64Array.from(order, (j) => sigma[j]!);
  const right = new Float64Array(cols * cols); // column-major right vectors, reordered
  const have: boolean[] = new Array<boolean>(ucols).fill(false);
  order.forEach((src, dst) => {
    // Sign: the largest-|.| entry of the right vector positive (first on ties).
    let at = 0;
    for (let i = 1; i < cols; i++) if (Math.abs(rot[src * cols + i]!) > Math.abs(rot[src * cols + at]!)) at = i;
    const sign = rot[src * cols + at]! < 0 ? -1 : 1;
    for (let i = 0; i < cols; i++) right[dst * cols + i] = sign * rot[src * cols + i]!;
    // A zero singular value leaves its left vector undetermined: completed below. (The columns
    // of w were normalized above.)
    if (s[dst]! > 0) {
      for (let i = 0; i < rows; i++) left[dst * rows + i] = sign * w[src * rows + i]!;
      have[dst] = true;
    }
  });
  completeBasis(left, rows, have, ucols);
  // Back to the caller's orientation, row-major.
  const uRows = m, uCols = full ? m : k, vRows = full ? n : k;
  const u = new Float64Array(uRows * uCols), vh = new Float64Array(vRows * n);
  if (tall) {
    // u = left (m×ucols); vh = rightᵀ (k×n, n = cols).
    for (let i = 0; i < m; i++) for (let j = 0; j < uCols; j++) u[i * uCols + j] = left[j * rows + i]!;
    for (let r = 0; r < vRows; r++) for (let j = 0; j < n; j++) vh[r * n + j] = right[r * cols + j]!;
  } else {
    // a = (aᵀ)ᵀ = right · s · leftᵀ: u = right (m×m, m = cols), vh = leftᵀ (ucols×n).
    for (let i = 0; i < m; i++) for (let j = 0; j < uCols; j++) u[i * uCols + j] = right[j * cols + i]!;
    for (let r = 0; r < vRows; r++) for (let j = 0; j < n; j++) vh[r * n + j] = left[r * rows + j]!;
  }
  return { s, u, vh };
}

/**
 * Output `index` (0: s, 1: u, 2: vh) of the SVD of every m×n matrix in a row-major batch of
 * `shape` [..., m, n], written to `out` (the interpreter's and the host kernel's entry point).
 * @example
 * const s = new Float64Array(2);
 * svdBatchInto([3, 0, 0, -4], [2, 2], false, 0, s); // s = [4, 3]
 */
export function svdBatchInto(a: ArrayLike<number>, shape: readonly number[], full: boolean, index: number, out: { [i: number]: number }): void {
  const m = shape[shape.length - 2]!, n = shape[shape.length - 1]!, k = Math.min(m, n);
  const batch = sizeOf(shape.slice(0, -2));
  const size = index === 0 ? k : index === 1 ? m * (full ? m : k) : (full ? n : k) * n;
  for (let b = 0; b < batch; b++) {
    const mat = new Float64Array(m * n);
    for (let i = 0; i < m * n; i++) mat[i] = a[b * m * n + i]!;
    const r = svdF64(mat, m, n, full);
    const part = index === 0 ? r.s : index === 1 ? r.u : r.vh;
    for (let i = 0; i < size; i++) out[b * size + i] = part[i]!;
  }
}
