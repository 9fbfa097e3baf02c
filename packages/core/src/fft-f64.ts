/**
 * The float64 discrete Fourier transform shared by the interpreter (the spec) and the host library
 * kernel: X_k = Σ_j x_j e^{∓2πi jk/n} along the last axis, unnormalized in both directions (the
 * np.fft layer applies the `norm` scaling). Powers of two use an iterative radix-2 Cooley–Tukey
 * transform; any other length uses Bluestein's chirp-z algorithm, which rewrites the length-n DFT
 * as a circular convolution computed with power-of-two FFTs of length m ≥ 2n − 1. Both are
 * O(n log n) with error growing like log n, unlike the O(n²) direct sum.
 */
import { sizeOf } from "./shape.js";

/** A prepared length-n transform: reused over every row of a batch. */
interface Plan {
  /** Transforms one row in place (forward sign; the inverse conjugates around it). */
  run(re: Float64Array, im: Float64Array): void;
}

/** Twiddles e^{-2πi k/n}, k < n/2, from the exact angle (a recurrence would accumulate error). */
function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n >> 1), sin = new Float64Array(n >> 1);
  for (let k = 0; k < n >> 1; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  return { cos, sin };
}

/** Iterative radix-2 decimation in time: bit-reversal permutation, then log2(n) butterfly passes. */
function radix2Plan(n: number): Plan {
  const rev = new Uint32Array(n);
  const bits = Math.round(Math.log2(n));
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const { cos, sin } = twiddles(n);
  return {
    run(re, im) {
      for (let i = 0; i < n; i++) {
        const j = rev[i]!;
        if (j > i) {
          const tr = re[i]!, ti = im[i]!;
          re[i] = re[j]!, im[i] = im[j]!, re[j] = tr, im[j] = ti;
        }
      }
      for (let size = 2; size <= n; size <<= 1) {
        const half = size >> 1, step = n / size;
        for (let start = 0; start < n; start += size) {
          for (let k = 0; k < half; k++) {
            const wr = cos[k * step]!, wi = sin[k * step]!;
            const a = start + k, b = a + half;
            const br = re[b]! * wr - im[b]! * wi, bi = re[b]! * wi + im[b]! * wr;
            re[b] = re[a]! - br, im[b] = im[a]! - bi;
            re[a] = re[a]! + br, im[a] = im[a]! + bi;
          }
        }
      }
    },
  };
}

/**
 * Bluestein: with jk = (j² + k² − (k − j)²)/2, X_k = w_k Σ_j (x_j w_j) conj(w_{k−j}), w_j = e^{-πi j²/n},
 * a convolution with the chirp conj(w), done by power-of-two FFTs (its spectrum is computed once).
 */
function bluesteinPlan(n: number): Plan {
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const inner = radix2Plan(m);
  // j² mod 2n keeps the angle small, so cos/sin stay exact for large j.
  const wr = new Float64Array(n), wi = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const angle = (Math.PI * ((j * j) % (2 * n))) / n;
    wr[j] = Math.cos(angle), wi[j] = -Math.sin(angle);
  }
  const chirpRe = new Float64Array(m), chirpIm = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    chirpRe[j] = wr[j]!, chirpIm[j] = -wi[j]!;
    if (j > 0) chirpRe[m - j] = wr[j]!, chirpIm[m - j] = -wi[j]!;
  }
  inner.run(chirpRe, chirpIm);
  const ar = new Float64Array(m), ai = new Float64Array(m);
  return {
    run(re, im) {
      ar.fill(0), ai.fill(0);
      for (let j = 0; j < n; j++) {
        ar[j] = re[j]! * wr[j]! - im[j]! * wi[j]!;
        ai[j] = re[j]! * wi[j]! + im[j]! * wr[j]!;
      }
      inner.run(ar, ai);
      // Pointwise product with the chirp's spectrum, conjugated so the forward plan inverts it.
      for (let k = 0; k < m; k++) {
        const pr = ar[k]! * chirpRe[k]! - ai[k]! * chirpIm[k]!, pi = ar[k]! * chirpIm[k]! + ai[k]! * chirpRe[k]!;
        ar[k] = pr, ai[k] = -pi;
      }
      inner.run(ar, ai);
      for (let k = 0; k < n; k++) {
        // The inverse of the inner transform is conj(fft(conj(·)))/m: undo the conjugation here.
        const cr = ar[k]! / m, ci = -ai[k]! / m;
        re[k] = cr * wr[k]! - ci * wi[k]!;
        im[k] = cr * wi[k]! + ci * wr[k]!;
      }
    },
  };
}

const planOf = (n: number): Plan => ((n & (n - 1)) === 0 ? radix2Plan(n) : bluesteinPlan(n));

/**
 * Output `index` (0: real part, 1: imaginary part) of the unnormalized DFT (`inverse`: the sign
 * +2πi, i.e. n·ifft) of every row along the last axis of the complex batch (`re`, `im`) of `shape`,
 * written to `out`. A row with a non-finite entry spreads NaN through its transform, as any FFT.
 * @example
 * const out = new Float64Array(2);
 * fftBatchInto([1, 2], [0, 0], [2], false, 0, out); // out = [3, -1]
 */
export function fftBatchInto(
  re: ArrayLike<number>, im: ArrayLike<number>, shape: readonly number[], inverse: boolean, index: number,
  out: { [i: number]: number },
): void {
  const n = shape[shape.length - 1]!, rows = sizeOf(shape.slice(0, -1));
  if (n === 0 || rows === 0) return;
  const plan = planOf(n);
  const sign = inverse ? -1 : 1;
  const rowRe = new Float64Array(n), rowIm = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    // The inverse transform is conj(fft(conj(x))): conjugate on the way in and on the way out.
    for (let j = 0; j < n; j++) rowRe[j] = re[r * n + j]!, rowIm[j] = sign * im[r * n + j]!;
    plan.run(rowRe, rowIm);
    const part = index === 0 ? rowRe : rowIm, s = index === 0 ? 1 : sign;
    for (let j = 0; j < n; j++) out[r * n + j] = s * part[j]!;
  }
}
