/**
 * Roots of real polynomials in float64, shared by the interpreter (the spec) and the host library
 * kernel: the eigenvalues of the companion matrix (what NumPy and JAX compute), found by balancing
 * it (a diagonal similarity with powers of 2, exact in floating point, which evens out row and column
 * norms so the eigenvalues come out to the precision of the coefficients) and running the Francis
 * double-shift QR algorithm on it directly: a companion matrix is already upper Hessenberg.
 */
import { sizeOf } from "./shape.js";

/** Balances the n×n row-major `a` in place (EISPACK `balanc`, radix 2, no permutations). */
function balance(a: Float64Array, n: number): void {
  let done = false;
  while (!done) {
    done = true;
    for (let i = 0; i < n; i++) {
      let c = 0, r = 0;
      for (let j = 0; j < n; j++) {
        if (j !== i) c += Math.abs(a[j * n + i]!), r += Math.abs(a[i * n + j]!);
      }
      if (c === 0 || r === 0) continue;
      const s = c + r;
      let f = 1, g = r / 2;
      while (c < g) f *= 2, c *= 4;
      g = r * 2;
      while (c > g) f /= 2, c /= 4;
      if ((c + r) / f < 0.95 * s) {
        done = false;
        for (let j = 0; j < n; j++) a[i * n + j] /= f;
        for (let j = 0; j < n; j++) a[j * n + i] *= f;
      }
    }
  }
}

const sign = (a: number, b: number): number => (b >= 0 ? Math.abs(a) : -Math.abs(a));

/**
 * The eigenvalues (wr + i·wi) of the upper Hessenberg n×n row-major `a` (destroyed), by the
 * Francis double-shift QR iteration with deflation (EISPACK `hqr`). Returns false when an
 * eigenvalue does not converge within the iteration budget.
 */
function hessenbergEigenvalues(a: Float64Array, n: number, wr: Float64Array, wi: Float64Array): boolean {
  const at = (i: number, j: number) => a[i * n + j]!;
  const set = (i: number, j: number, v: number) => void (a[i * n + j] = v);
  let anorm = 0;
  for (let i = 0; i < n; i++) for (let j = Math.max(i - 1, 0); j < n; j++) anorm += Math.abs(at(i, j));
  let nn = n - 1, t = 0;
  while (nn >= 0) {
    let its = 0, l: number;
    do {
      // A negligible subdiagonal entry splits the matrix: the active block is rows l..nn.
      for (l = nn; l >= 1; l--) {
        let s = Math.abs(at(l - 1, l - 1)) + Math.abs(at(l, l));
        if (s === 0) s = anorm;
        if (Math.abs(at(l, l - 1)) + s === s) {
          set(l, l - 1, 0);
          break;
        }
      }
      let x = at(nn, nn);
      if (l === nn) {
        wr[nn] = x + t, wi[nn] = 0, nn--;
      } else {
        let y = at(nn - 1, nn - 1), w = at(nn, nn - 1) * at(nn - 1, nn);
        if (l === nn - 1) {
          // A 2×2 block: a real pair or a complex-conjugate pair.
          const p = 0.5 * (y - x), q = p * p + w;
          let z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            z = p + sign(z, p);
            wr[nn - 1] = wr[nn] = x + z;
            if (z !== 0) wr[nn] = x - w / z;
            wi[nn - 1] = wi[nn] = 0;
          } else {
            wr[nn - 1] = wr[nn] = x + p;
            wi[nn - 1] = z, wi[nn] = -z;
          }
          nn -= 2;
        } else {
          if (its === 60) return false;
          if (its === 10 || its === 20) {
            // Exceptional shift, to break a cycle.
            t += x;
            for (let i = 0; i <= nn; i++) set(i, i, at(i, i) - x);
            const s = Math.abs(at(nn, nn - 1)) + Math.abs(at(nn - 1, nn - 2));
            y = x = 0.75 * s;
            w = -0.4375 * s * s;
          }
          its++;
          let m: number, p = 0, q = 0, r = 0;
          // Two consecutive small subdiagonal entries: start the double-shift sweep at row m.
          for (m = nn - 2; m >= l; m--) {
            const z = at(m, m);
            r = x - z;
            const s0 = y - z;
            p = (r * s0 - w) / at(m + 1, m) + at(m, m + 1);
            q = at(m + 1, m + 1) - z - r - s0;
            r = at(m + 2, m + 1);
            const s = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= s, q /= s, r /= s;
            if (m === l) break;
            const u = Math.abs(at(m, m - 1)) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(at(m - 1, m - 1)) + Math.abs(z) + Math.abs(at(m + 1, m + 1)));
            if (u + v === v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            set(i, i - 2, 0);
            if (i !== m + 2) set(i, i - 3, 0);
          }
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = at(k, k - 1), q = at(k + 1, k - 1), r = k !== nn - 1 ? at(k + 2, k - 1) : 0;
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) p /= x, q /= x, r /= x;
            }
            const s = sign(Math.sqrt(p * p + q * q + r * r), p);
            if (s === 0) continue;
            if (k === m) {
              if (l !== m) set(k, k - 1, -at(k, k - 1));
            } else set(k, k - 1, -s * x);
            p += s;
            x = p / s;
            y = q / s;
            const z = r / s;
            q /= p, r /= p;
            for (let j = k; j <= nn; j++) {
              let pp = at(k, j) + q * at(k + 1, j);
              if (k !== nn - 1) pp += r * at(k + 2, j), set(k + 2, j, at(k + 2, j) - pp * z);
              set(k + 1, j, at(k + 1, j) - pp * y);
              set(k, j, at(k, j) - pp * x);
            }
            const mmin = Math.min(nn, k + 3);
            for (let i = l; i <= mmin; i++) {
              let pp = x * at(i, k) + y * at(i, k + 1);
              if (k !== nn - 1) pp += z * at(i, k + 2), set(i, k + 2, at(i, k + 2) - pp * r);
              set(i, k + 1, at(i, k + 1) - pp * q);
              set(i, k, at(i, k) - pp);
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return true;
}

/**
 * The n − 1 roots of the polynomial with real coefficients `p` (highest degree first), sorted by
 * decreasing real part, then decreasing imaginary part (so a conjugate pair is +, −). Leading zero
 * coefficients lower the degree d: the d roots come first and the last n − 1 − d entries are NaN
 * (JAX's `strip_zeros=False`). A non-finite coefficient, or no convergence, gives all NaN.
 * @example
 * polyRootsOf(Float64Array.from([1, -3, 2])) // { re: [2, 1], im: [0, 0] }
 */
export function polyRootsOf(p: Float64Array): { re: Float64Array; im: Float64Array } {
  const count = Math.max(p.length - 1, 0);
  const re = new Float64Array(count).fill(NaN), im = new Float64Array(count).fill(NaN);
  let lead = 0;
  while (lead < p.length && p[lead] === 0) lead++;
  const degree = p.length - 1 - lead;
  if (degree <= 0 || !p.every(Number.isFinite)) return { re, im };
  // Companion matrix: first row −p[lead+1..]/p[lead], ones on the subdiagonal.
  const a = new Float64Array(degree * degree);
  for (let j = 0; j < degree; j++) a[j] = -p[lead + 1 + j]! / p[lead]!;
  for (let i = 1; i < degree; i++) a[i * degree + i - 1] = 1;
  balance(a, degree);
  const wr = new Float64Array(degree), wi = new Float64Array(degree);
  if (!hessenbergEigenvalues(a, degree, wr, wi)) return { re, im };
  const order = [...wr.keys()].sort((i, j) => wr[j]! - wr[i]! || wi[j]! - wi[i]!);
  order.forEach((k, i) => (re[i] = wr[k]!, im[i] = wi[k]!));
  return { re, im };
}

/**
 * Output `index` (0: real parts, 1: imaginary parts) of the roots of every coefficient row along
 * the last axis of `p` (`shape` [..., n]), written to `out` ([..., n − 1]).
 * @example
 * const out = new Float64Array(2);
 * polyRootsBatchInto([1, 0, 1], [3], 1, out); // out = [1, -1] (±i)
 */
export function polyRootsBatchInto(p: ArrayLike<number>, shape: readonly number[], index: number, out: { [i: number]: number }): void {
  const n = shape[shape.length - 1]!, rows = sizeOf(shape.slice(0, -1));
  if (n < 2) return;
  for (let b = 0; b < rows; b++) {
    const row = new Float64Array(n);
    for (let j = 0; j < n; j++) row[j] = p[b * n + j]!;
    const { re, im } = polyRootsOf(row);
    const part = index === 0 ? re : im;
    for (let j = 0; j < n - 1; j++) out[b * (n - 1) + j] = part[j]!;
  }
}
