/**
 * Float64 references of the special-function primitives (`erf`, `erfc`, `erfInv`, `lgamma`,
 * `digamma`, `trigamma`, `i0e`, `i1e`): the interpreter's spec (their rows in ir/elementwise.ts) and, through
 * the JS kernels' helpers, the CPU backend's code — each computed in float64 and rounded once, as
 * every other op (docs/architecture.md, "Rounding"). Values and special points follow SciPy
 * (`scipy.special.erf`, `gammaln`, `psi`, `polygamma(1, ·)`, `i0e`, `i1e`); accuracy in docs/special.md.
 */

const SQRT_PI = 1.772453850905516;
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const LOG_SQRT_2PI = 0.9189385332046728;
const EULER_GAMMA = 0.5772156649015329;

/** e^{-x²} without the rounding of x² (up to 2.5e-15 relative at x = 5): x split as xh + xl, xh² exact. */
function expMinusSquare(x: number): number {
  const xh = Math.round(x * 65536) / 65536;
  return Math.exp(-xh * xh) * Math.exp(-(x - xh) * (x + xh));
}

/**
 * erf(x) for |x| < 1/2 by the series 2/√π e^{-x²} Σ 2ⁿ x^{2n+1} / (1·3···(2n+1)): every term is
 * positive, so nothing cancels (Taylor's alternating series loses a digit by x = 2).
 */
function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
}

/**
 * erfc(x) for x ≥ 2.5 by Laplace's continued fraction e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
 * evaluated backwards from a fixed depth (60 levels reach 1e-16 at x = 2.5; fewer are needed beyond).
 */
function erfcFraction(x: number): number {
  const depth = x > 6 ? 20 : 60;
  let f = x;
  for (let k = depth; k >= 1; k--) f = x + k / 2 / f;
  return expMinusSquare(x) / (SQRT_PI * f);
}

/**
 * The error function (SciPy's `erf`), float64: relative error below 1e-15.
 * @example erfF64(1) // 0.8427007929497149
 */
export function erfF64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 0.5) return erfSeries(x);
  // 1 − erfc: erfc ≤ 0.48 here and relatively accurate, so this is within an ulp of 1 (the
  // series' sum of ~60 rounded terms drifts by a few ulps by x = 2.5).
  const r = erfcF64(a);
  return x < 0 ? r - 1 : 1 - r;
}

/**
 * The complementary error function 1 − erf(x) without cancellation for large x (SciPy's `erfc`):
 * relative error below 1e-15 down to where it underflows (x ≈ 27.2).
 * @example erfcF64(3) // 2.209049699858544e-5
 */
export function erfcF64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  // Below 0.5, erfc ≥ 0.47: 1 − erf loses nothing.
  if (a < 0.5) return 1 - erfSeries(x);
  let r: number;
  if (a > 27.3) r = 0;
  else if (a >= 2.5) r = erfcFraction(a);
  else r = erfcMid(a);
  return x < 0 ? 2 - r : r;
}

/** Taylor step of erfc from c by h: Σ_{n≥0} (−1)ⁿ Hₙ(c) h^{n+1} / (n+1)! (Hₙ the Hermite polynomials), so that erfc(c + h) = erfc(c) − 2/√π e^{-c²} · this. */
function erfcStep(c: number, h: number): number {
  let hPrev = 0; // H_{n-1}(c)
  let hCur = 1; // H_n(c)
  let pow = h; // h^{n+1} / (n+1)!
  let sum = 0;
  for (let n = 0; n < 60; n++) {
    const term = (n % 2 ? -hCur : hCur) * pow;
    sum += term;
    if (n > 4 && Math.abs(term) < 1e-18 * Math.abs(sum)) break;
    const hNext = 2 * c * hCur - 2 * n * hPrev;
    hPrev = hCur;
    hCur = hNext;
    pow *= h / (n + 2);
  }
  return sum;
}

/**
 * erfc at 0.5, 0.75, …, 2.5: erfc(2.5) from the continued fraction, then Taylor steps down (the
 * continued fraction converges too slowly below 2.5, and 1 − erf loses 1/erfc in relative accuracy).
 */
const ERFC_CENTERS: readonly number[] = (() => {
  const out = new Array<number>(9);
  out[8] = erfcFraction(2.5);
  for (let j = 8; j > 0; j--) {
    const c = 0.5 + 0.25 * j;
    out[j - 1] = out[j]! - TWO_OVER_SQRT_PI * expMinusSquare(c) * erfcStep(c, -0.25);
  }
  return out;
})();

/** erfc on [0.5, 2.5): a Taylor step of at most 1/8 from the nearest tabulated center. */
function erfcMid(x: number): number {
  const j = Math.round((x - 0.5) * 4);
  const c = 0.5 + 0.25 * j;
  return ERFC_CENTERS[j]! - TWO_OVER_SQRT_PI * expMinusSquare(c) * erfcStep(c, x - c);
}

// Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision: the
// starting point of the float64 Halley iteration below (and the float32 GPU helper's formula).
export const ERFINV_CENTRAL = [1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087, -4.39150654e-6, -3.5233877e-6, 3.43273939e-7, 2.81022636e-8] as const;
export const ERFINV_TAIL = [2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773, -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257] as const;

/** c[0] + c[1] u + c[2] u² + … (Horner). */
function poly(u: number, c: readonly number[]): number {
  let p = c[c.length - 1]!;
  for (let i = c.length - 2; i >= 0; i--) p = p * u + c[i]!;
  return p;
}

/**
 * The inverse error function on [-1, 1] (SciPy's `erfinv`: ±inf at ±1, NaN outside), float64:
 * Giles' approximation refined by Halley steps (two, more within 1e-7 of ±1); the residual is taken through erfc where
 * |x| > 1/2, so that it keeps its relative accuracy near ±1 (1 − |x| is exact there).
 * @example erfInvF64(0.5) // 0.4769362762044699
 */
export function erfInvF64(x: number): number {
  if (Number.isNaN(x) || x < -1 || x > 1) return NaN;
  if (x === 1 || x === -1) return x * Infinity;
  if (x === 0) return x;
  const a = Math.abs(x);
  const w = -Math.log((1 - a) * (1 + a));
  let y = a * (w < 5 ? poly(w - 2.5, ERFINV_CENTRAL) : poly(Math.sqrt(w) - 3, ERFINV_TAIL));
  const tail = a > 0.5;
  const oneMinus = 1 - a;
  // Two steps from the start suffice up to |x| ≈ 1 − 1e-7; closer to ±1 Giles' float32 fit is
  // extrapolated and a few more are taken (cubic convergence: at most 6 in all).
  for (let i = 0; i < 6; i++) {
    // f(y) = erf(y) − a, f' = 2/√π e^{-y²}, f'' = −2y f': Halley's step y − u / (1 + y u), u = f / f'.
    const resid = tail ? oneMinus - erfcF64(y) : erfF64(y) - a;
    const u = resid / (TWO_OVER_SQRT_PI * expMinusSquare(y));
    if (!Number.isFinite(u)) break;
    const step = u / (1 + y * u);
    y -= step;
    if (i >= 1 && Math.abs(step) <= 1e-16 * y) break;
  }
  return x < 0 ? -y : y;
}

/** sin(πx) with the argument reduced exactly first (x − round(x) is exact), so it is 0 at integers. */
export function sinPiF64(x: number): number {
  const n = Math.round(x);
  const r = x - n;
  const s = Math.sin(Math.PI * r);
  return Math.abs(n) % 2 === 1 ? -s : s;
}

/** tan(πx), argument reduced exactly (tan has period π): 0 at integers, ±inf at half-integers. */
function tanPi(x: number): number {
  const r = x - Math.round(x);
  return r === 0.5 || r === -0.5 ? Infinity : Math.tan(Math.PI * r);
}

/** ζ(k) for k ≥ 2 by Euler–Maclaurin after 9 terms of the sum (correct to float64 rounding). */
function zeta(k: number): number {
  const N = 10;
  let s = 0;
  for (let n = 1; n < N; n++) s += n ** -k;
  // Tail Σ_{n≥N} n^-k = N^{1-k}/(k-1) + N^-k/2 + Σ_j B_2j/(2j)! · k(k+1)…(k+2j-2) · N^{-k-2j+1}.
  const B = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6];
  s += N ** (1 - k) / (k - 1) + 0.5 * N ** -k;
  let rising = k; // k(k+1)…(k+2j-2)
  let fact = 2; // (2j)!
  for (let j = 1; j <= B.length; j++) {
    s += (B[j - 1]! / fact) * rising * N ** (-k - 2 * j + 1);
    rising *= (k + 2 * j - 1) * (k + 2 * j);
    fact *= (2 * j + 1) * (2 * j + 2);
  }
  return s;
}

/**
 * Taylor coefficients of lgamma about 1 and 2, for |z| ≤ 1/2 (where lgamma has its zeros and the
 * Lanczos sum no relative accuracy): lgamma(1 + z) = −γz + Σ_{k≥2} (−1)^k ζ(k)/k z^k and
 * lgamma(2 + z) = (1 − γ)z + Σ_{k≥2} (−1)^k (ζ(k) − 1)/k z^k. Entry i is the coefficient of z^{i+1}.
 * The WGSL prelude evaluates shorter prefixes of the same series.
 */
export const LGAMMA_AT_1: readonly number[] = [-EULER_GAMMA, ...Array.from({ length: 40 }, (_, i) => ((i % 2 ? -1 : 1) * zeta(i + 2)) / (i + 2))];
export const LGAMMA_AT_2: readonly number[] = [1 - EULER_GAMMA, ...Array.from({ length: 40 }, (_, i) => ((i % 2 ? -1 : 1) * (zeta(i + 2) - 1)) / (i + 2))];

// Lanczos (g = 7, n = 9), the coefficients of Numerical Recipes / Godfrey: Γ to ~1e-15 relative.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** lgamma for x ≥ 1/2 away from 1 and 2: log of the Lanczos approximation. */
function lgammaLanczos(x: number): number {
  const z = x - 1;
  let a = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  // (z + 1/2) log t − t, written as (z + 1/2)(log t − 1) − (g) so that it does not overflow early.
  return LOG_SQRT_2PI + (z + 0.5) * (Math.log(t) - 1) - LANCZOS_G + Math.log(a);
}

/** Σ c[i] z^{i+1}, terms until they no longer matter. */
function series(z: number, c: readonly number[]): number {
  let s = 0;
  for (let i = c.length - 1; i >= 0; i--) s = (s + c[i]!) * z;
  return s;
}

/**
 * log |Γ(x)| (SciPy's `gammaln`), float64: +inf at the poles (0 and the negative integers) and at
 * ±inf (−inf gives +inf as JAX/XLA; SciPy returns −inf there). Relative error ~1e-15 on x > 0 (series about 1 and 2 near the zeros, Lanczos elsewhere),
 * by reflection below 1/2 (absolute error ~1e-15 there, relative near the negative zeros).
 * @example lgammaF64(0.5) // 0.5723649429247001 (log √π)
 */
export function lgammaF64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    if (Math.abs(x) < 1e-300) return -Math.log(Math.abs(x));
    return Math.log(Math.PI / Math.abs(sinPiF64(x))) - lgammaF64(1 - x);
  }
  if (Math.abs(x - 1) <= 0.25) return series(x - 1, LGAMMA_AT_1);
  if (Math.abs(x - 2) <= 0.25) return series(x - 2, LGAMMA_AT_2);
  return lgammaLanczos(x);
}

// B_2k / (2k), k = 1..7: ψ(x) ~ log x − 1/(2x) − Σ B_2k / (2k x^2k).
const DIGAMMA_ASYMPTOTIC = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12];
// B_2k, k = 1..8: ψ₁(x) ~ 1/x + 1/(2x²) + Σ B_2k / x^{2k+1}.
const TRIGAMMA_ASYMPTOTIC = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510];

/**
 * The digamma function ψ = d/dx lgamma (SciPy's `psi`), float64: ψ(±0) = ∓inf and NaN at the
 * negative integers and −inf, as SciPy. Recurrence up to x ≥ 10, then the asymptotic series;
 * reflection ψ(x) = ψ(1 − x) − π / tan(πx) below 0. Absolute error ~1e-16 near the positive
 * root 1.4616…, relative ~1e-15 elsewhere on x > 0.
 * @example digammaF64(1) // -0.5772156649015329
 */
export function digammaF64(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x === 0) return 1 / x < 0 ? Infinity : -Infinity;
  if (x < 0) {
    if (Number.isInteger(x)) return NaN;
    return digammaF64(1 - x) - Math.PI / tanPi(x);
  }
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const z = 1 / (x * x);
  return acc + Math.log(x) - 0.5 / x - z * poly(z, DIGAMMA_ASYMPTOTIC);
}

/**
 * The trigamma function ψ₁ = d/dx ψ (SciPy's `polygamma(1, x)`), float64: +inf at the poles (0 and
 * the negative integers) and at −inf (as SciPy), 0 at +inf. Recurrence up to x ≥ 12, then the asymptotic
 * series; reflection ψ₁(x) = π² / sin²(πx) − ψ₁(1 − x) below 0. Relative error ~1e-15 (ψ₁ > 0).
 * @example trigammaF64(1) // 1.6449340668482264 (π²/6)
 */
export function trigammaF64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return Infinity; // SciPy's polygamma(1, -inf)
  if (x <= 0) {
    if (Number.isInteger(x)) return Infinity;
    const s = sinPiF64(x);
    return (Math.PI * Math.PI) / (s * s) - trigammaF64(1 - x);
  }
  let acc = 0;
  while (x < 12) {
    acc += 1 / (x * x);
    x += 1;
  }
  const r = 1 / x;
  const z = r * r;
  return acc + r + 0.5 * z + r * z * poly(z, TRIGAMMA_ASYMPTOTIC);
}

/**
 * e^{-|x|} I_ν(|x|) for ν = 0 or 1 and |x| > 20 by Hankel's asymptotic series
 * 1/√(2π|x|) Σ (−1)^k a_k(ν) / |x|^k, a_k = Π_{j≤k} (4ν² − (2j − 1)²) / (k! 8^k): its smallest
 * term, near k = 2|x|, is below e^{-2|x|} < 1e-17 relative.
 */
function besselScaledAsymptotic(a: number, nu: 0 | 1): number {
  const mu = 4 * nu * nu;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200; k++) {
    const next = (term * -(mu - (2 * k - 1) ** 2)) / (8 * k * a);
    if (Math.abs(next) >= Math.abs(term)) break; // the series starts to diverge
    term = next;
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return sum / Math.sqrt(2 * Math.PI * a);
}

/** Σ_k (x²/4)^k / (k! (k + ν)!) for |x| ≤ 20: positive terms, nothing cancels. */
function besselSeries(a: number, nu: 0 | 1): number {
  const q = (a * a) / 4;
  let term = 1; // k = 0: 1 / (0! ν!), ν ≤ 1
  let sum = term;
  for (let k = 1; k < 300; k++) {
    term *= q / (k * (k + nu));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

/**
 * The exponentially scaled modified Bessel function e^{-|x|} I₀(x) (SciPy's `i0e`), float64: even,
 * 1 at 0, ~1/√(2π|x|) for large |x|, 0 at ±inf. The power series below |x| = 20, Hankel's
 * asymptotic series beyond; relative error ~1e-15.
 * @example i0eF64(1) // 0.46575960759364043
 */
export function i0eF64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a === Infinity) return 0;
  return a <= 20 ? Math.exp(-a) * besselSeries(a, 0) : besselScaledAsymptotic(a, 0);
}

/**
 * The exponentially scaled modified Bessel function e^{-|x|} I₁(x) (SciPy's `i1e`), float64: odd,
 * 0 at ±0, ±0 at ±inf. As i0eF64 (the series carries the factor x/2).
 * @example i1eF64(1) // 0.2079104153497085
 */
export function i1eF64(x: number): number {
  if (Number.isNaN(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a === Infinity) return x > 0 ? 0 : -0;
  const r = a <= 20 ? Math.exp(-a) * (a / 2) * besselSeries(a, 1) : besselScaledAsymptotic(a, 1);
  return x < 0 ? -r : r;
}
