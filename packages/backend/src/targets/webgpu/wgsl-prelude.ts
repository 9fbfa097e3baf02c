/**
 * WGSL helper functions every kernel may call (unused ones cost nothing after compilation): the
 * parts of the reference semantics WGSL lacks or leaves to the driver — NaN-propagating max/min
 * with signed zeros, the transcendental functions (drivers' built-ins have absolute, not relative,
 * errors: these reduce the argument — Cody-Waite, or Payne-Hanek exactly for sin/cos/tan — and
 * evaluate short polynomials; bounds in docs/webgpu.md "Numerics"), JavaScript's pow, exact fmod
 * and NumPy's divmod, integer floor division and powers, wrapping float → int32 casts. Each is
 * written to match core/interpret.ts on float32 values (see targets/webgpu/wgsl.ts for where they are used).
 * The special functions (erf, erfc, erfInv, lgamma, digamma, trigamma, i0e, i1e) are float32
 * formulas, some with series coefficients from core's float64 references (special-f64.ts); their
 * measured errors are in docs/webgpu.md ("Numerics").
 */
import { ERFINV_CENTRAL, ERFINV_TAIL, LGAMMA_AT_1, LGAMMA_AT_2 } from "@kiln/core";

/** A WGSL f32 literal of `c` (nine significant digits round-trip a float32). */
const lit = (c: number): string => {
  const t = Math.fround(c).toPrecision(9);
  return t.includes(".") || t.includes("e") ? t : `${t}.0`;
};
/** Horner's form of c[0] + c[1] v + c[2] v² + … as WGSL source. */
const horner = (v: string, c: readonly number[]): string =>
  c.slice(0, -1).reduceRight((acc, ci) => `${lit(ci)} + ${v} * (${acc})`, lit(c[c.length - 1]!));

/** Taylor coefficients of erf(x) / x in x²: 2/√π (−1)ⁿ / (n! (2n+1)); 11 terms reach 1e-9 on |x| ≤ 1. */
const ERF_TAYLOR = Array.from({ length: 11 }, (_, n) => {
  let fact = 1;
  for (let k = 2; k <= n; k++) fact *= k;
  return ((2 / Math.sqrt(Math.PI)) * (n % 2 ? -1 : 1)) / (fact * (2 * n + 1));
});
/** Numerical Recipes' Chebyshev fit: erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), fractional error < 1.2e-7 for z ≥ 0. */
const ERFC_CHEB = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

const SPECIAL_PRELUDE = `
// erf(x) / x on |x| <= 1: its Taylor series in x^2 (truncation below 1e-9).
fn erfs_(x: f32) -> f32 { let z = x * x; return x * (${horner("z", ERF_TAYLOR)}); }
// erfc(z) for z >= 1/2 (Numerical Recipes' Chebyshev fit): exp(-z^2) is taken as exp(-zh^2) times
// exp(-(z - zh)(z + zh) + P), zh = z to 1/16 (zh^2 exact): the rounding of z^2 in f32 would cost
// up to 100 ulp near z = 10. 0 from z = 10.1, where erfc underflows float32.
fn erfct_(z: f32) -> f32 {
  if (z > 10.1) { return 0.0; }
  let t = 1.0 / (1.0 + 0.5 * z);
  let zh = floor(z * 16.0) * 0.0625;
  let p = ${horner("t", ERFC_CHEB)};
  return t * exp_(-zh * zh) * exp_(p - (z - zh) * (z + zh));
}
fn erf_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let z = abs(x);
  if (z < 1.0) { return erfs_(x); }
  let r = 1.0 - erfct_(z);
  return select(r, -r, x < 0.0);
}
fn erfc_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  // 1 - erf only where erfc >= 0.48 (from 1/2 the subtraction would amplify erf's rounding).
  if (abs(x) < 0.5) { return 1.0 - erfs_(x); }
  let r = erfct_(abs(x));
  return select(r, 2.0 - r, x < 0.0);
}
// erfinv: Giles' single-precision approximation (the float64 reference's starting point).
fn erfInv_(x: f32) -> f32 {
  if (isnan_(x) || abs(x) > 1.0) { return kNaN; }
  if (abs(x) == 1.0) { return x * kInf; }
  let w = -log_((1.0 - x) * (1.0 + x));
  var p: f32;
  if (w < 5.0) { let u = w - 2.5; p = ${horner("u", ERFINV_CENTRAL)}; }
  else { let u = sqrt(w) - 3.0; p = ${horner("u", ERFINV_TAIL)}; }
  return p * x;
}
// lgamma(1 + z) and lgamma(2 + z) for |z| <= 1/2 by their Taylor series (core's LGAMMA_AT_1/2,
// truncated below 3e-8 relative): relative accuracy through the zeros at 1 and 2.
fn lg1_(z: f32) -> f32 { return z * (${horner("z", LGAMMA_AT_1.slice(0, 22))}); }
fn lg2_(z: f32) -> f32 { return z * (${horner("z", LGAMMA_AT_2.slice(0, 13))}); }
// lgamma for x >= 1/2: the series on [1/2, 5/2), the recurrence down to it below 8, Stirling's
// series from 8 (written x (log x - 1) so that it overflows only where lgamma does).
fn lgp_(x: f32) -> f32 {
  if (x < 1.5) { return lg1_(x - 1.0); }
  if (x < 2.5) { return lg2_(x - 2.0); }
  if (x < 8.0) {
    var y = x;
    var p = 1.0;
    while (y >= 2.5) { y = y - 1.0; p = p * y; }
    return log_(p) + lg2_(y - 2.0);
  }
  let l = log_(x);
  let r = 1.0 / x;
  let z = r * r;
  return x * (l - 1.0) - 0.5 * l + 0.9189385 + r * (0.083333333 - z * (0.0027777778 - z * (7.9365079e-4 - z * 5.9523810e-4)));
}
// sin(pi x) with the argument reduced exactly first (x - round(x) is exact in f32).
fn sinpi_(x: f32) -> f32 {
  let n = round(x);
  let s = sin_(3.1415927 * (x - n));
  return select(s, -s, abs(n - 2.0 * floor(0.5 * n)) == 1.0);
}
// lgamma = log|Gamma|: +inf at the poles and at +-inf; lgamma(x) = lgamma(1 + x) - log x on
// (0, 1/2), the reflection log(pi / |sin(pi x)|) - lgamma(1 - x) below 0.
fn lgamma_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (isinf_(x) || (x <= 0.0 && x == floor(x))) { return kInf; }
  if (x >= 0.5) { return lgp_(x); }
  if (x > 0.0) { return lg1_(x) - log_(x); }
  return log_(3.1415927 / abs(sinpi_(x))) - lgp_(1.0 - x);
}
// digamma: -+inf at +-0 and NaN at the negative integers (SciPy's psi); reflection
// psi(1 - x) - pi / tan(pi x) below 0, the recurrence up to 6 (fewer rounded terms; the series'
// truncation there is 1e-11), then the asymptotic series.
fn digamma_(x: f32) -> f32 {
  if (isnan_(x) || x == -kInf) { return kNaN; }
  if (x == kInf) { return x; }
  if (x == 0.0) { return select(-kInf, kInf, (bitcast<u32>(x) & 0x80000000u) != 0u); }
  var y = x;
  var acc = 0.0;
  if (x < 0.0) {
    if (x == floor(x)) { return kNaN; }
    acc = -3.1415927 / tan_(3.1415927 * (x - round(x)));
    y = 1.0 - x;
  }
  while (y < 6.0) { acc = acc - 1.0 / y; y = y + 1.0; }
  let r = 1.0 / y;
  let z = r * r;
  return acc + log_(y) - 0.5 * r - z * (0.083333333 - z * (0.0083333333 - z * (0.0039682540 - z * (0.0041666667 - z * 0.0075757576))));
}
// trigamma = polygamma(1, x): +inf at the poles and -inf (SciPy), 0 at +inf; reflection pi^2 / sin^2(pi x) -
// trigamma(1 - x) below 0, the recurrence up to 6 (as (1/y)^2: y^2 is subnormal for tiny y), then the asymptotic series.
fn trigamma_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (x == kInf) { return 0.0; }
  if (x == -kInf) { return kInf; }
  var y = x;
  var acc = 0.0;
  var sgn = 1.0;
  if (x <= 0.0) {
    if (x == floor(x)) { return kInf; }
    let s = sinpi_(x);
    acc = 9.8696044 / (s * s);
    sgn = -1.0;
    y = 1.0 - x;
  }
  var t = 0.0;
  while (y < 6.0) { let w = 1.0 / y; t = t + w * w; y = y + 1.0; }
  let r = 1.0 / y;
  let z = r * r;
  t = t + r + 0.5 * z + r * z * (0.16666667 - z * (0.033333333 - z * (0.023809524 - z * 0.033333333)));
  return acc + sgn * t;
}
// e^{-|x|} I_nu(|x|), nu = 0 or 1: the power series sum_k (x^2/4)^k / (k! (k + nu)!) up to |x| = 9
// (positive terms; 2|x| + 10 of them reach 2^-26; beyond 9 their rounding grows past 8 ulp),
// Hankel's asymptotic series beyond, 16 terms (truncation below 6e-9 relative from 9).
fn besselie_(a: f32, nu: f32) -> f32 {
  if (a <= 9.0) {
    let q = 0.25 * a * a;
    var term = 1.0;
    var sum = 1.0;
    let n = i32(2.0 * a) + 10;
    for (var k = 1; k <= n; k = k + 1) {
      let kf = f32(k);
      term = term * q / (kf * (kf + nu));
      sum = sum + term;
    }
    return exp_(-a) * select(sum, 0.5 * a * sum, nu == 1.0);
  }
  let mu = 4.0 * nu * nu;
  var term = 1.0;
  var sum = 1.0;
  for (var k = 1; k <= 16; k = k + 1) {
    let j = f32(2 * k - 1);
    term = term * (j * j - mu) / (8.0 * f32(k) * a);
    sum = sum + term;
  }
  return sum * (0.39894228 / sqrt(a)); // 1/sqrt(2 pi a), without forming 2 pi a (overflows near 5e37)
}
fn i0e_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (isinf_(x)) { return 0.0; }
  return besselie_(abs(x), 0.0);
}
fn i1e_(x: f32) -> f32 {
  if (isnan_(x) || x == 0.0) { return x; }
  if (isinf_(x)) { return select(0.0, -rtf_(0.0), x < 0.0); }
  let r = besselie_(abs(x), 1.0);
  return select(r, -r, x < 0.0);
}
`;

export const WGSL_PRELUDE = `
var<private> kInf: f32;
var<private> kNaN: f32;
var<private> kZero: f32;
// Identity functions: an operation on constants only would be a WGSL constant expression, and
// evaluating one that overflows (1.0 / 0.0, exp(100.0)) is a compile error instead of Infinity.
fn rtf_(x: f32) -> f32 { return x; }
fn rti_(x: i32) -> i32 { return x; }
fn rtu_(x: u32) -> u32 { return x; }
fn rtb_(x: bool) -> bool { return x; }
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn g_(y: f32, x: f32) -> f32 { return select(y, x, isnan_(x)); }
// Equal operands: the built-ins may return either zero for max(0, -0); the reference gives +0
// for max and -0 for min (the sign bits and-ed / or-ed; equal nonzero values are unchanged).
fn max_(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return a + b; }
  if (a == b) { return bitcast<f32>(bitcast<u32>(a) & bitcast<u32>(b)); }
  return max(a, b);
}
fn min_(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return a + b; }
  if (a == b) { return bitcast<f32>(bitcast<u32>(a) | bitcast<u32>(b)); }
  return min(a, b);
}
fn sign_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (x > 0.0) { return 1.0; }
  if (x < 0.0) { return -1.0; }
  return abs(x); // +0 for ±0 (a literal 0.0 returned here read back as -0 on Mesa)
}
// log(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1]: 2 atanh(s), s = f / (2 + f), |s| < 0.172, by
// its odd series to s^11 (truncation below 2^-30). Drivers compute log near 1 with an absolute
// error of about 2^-24, i.e. no relative accuracy at all for results near 0.
fn logc_(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let z = s * s;
  return 2.0 * s * (1.0 + z * (0.33333333 + z * (0.2 + z * (0.14285714 + z * (0.11111111 + z * 0.09090909)))));
}
// log x = k ln2 + log m, m in [sqrt(1/2), sqrt(2)) from the bits (Cody-Waite: k * 0.693359375 is
// exact), log m by logc_. Drivers' log has an absolute error of ~2^-24: no relative accuracy near
// x = 1 (Mesa: 2^-24 for log(1 + 2^-23)), and Mesa misreads subnormals (log(2^-149) = -88.03).
fn log_(x: f32) -> f32 {
  if (isnan_(x) || x < 0.0) { return kNaN; }
  if (x == 0.0) { return -kInf; }
  if (isinf_(x)) { return x; }
  var y = x;
  var k = 0;
  if (y < 1.1754944e-38) { y = y * 8388608.0; k = -23; } // subnormal: scale by 2^23
  let u = bitcast<u32>(y);
  k = k + i32(u >> 23u) - 127;
  var m = bitcast<f32>((u & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) { m = m * 0.5; k = k + 1; }
  let kf = f32(k);
  return kf * 0.693359375 + (logc_(m - 1.0) - kf * 2.12194440e-4);
}
// x - n ln2 for n the integer nearest x / ln2 (|n| <= 150), by Cody-Waite: n * 0.693359375 is exact.
fn rln2_(x: f32, n: f32) -> f32 { return (x - n * 0.693359375) + n * 2.12194440e-4; }
// 2^k for -126 <= k <= 127, exactly.
fn e2_(k: i32) -> f32 { return bitcast<f32>(u32(k + 127) << 23u); }
// e^r - 1 for |r| <= ln2 / 2: r + r^2 p(r), p of degree 5 fitted to (e^r - 1 - r) / r^2 for the
// smallest relative error of the whole (2^-28.8 with these float32 coefficients; the Taylor series
// needs one more term, r^8, for 2^-31 — a multiply-add per exp in every kernel for an error far
// below float32's rounding).
fn em1r_(r: f32) -> f32 {
  return r * (1.0 + r * (0.5 + r * (0.16666666 + r * (0.041666362 + r * (0.0083333896 + r * (0.0013940617 + r * 1.9845874e-4))))));
}
// The one path of exp and expm1: x = n ln2 + r with |r| <= ln2 / 2 (Cody-Waite: n * 0.693359375
// is exact), e^r - 1 by the series, then (e^r - 1 + c) 2^n with c = 1 (exp) or 1 - 2^-n (expm1:
// exact for the n that matter, so nothing cancels) and two exact power-of-two scalings (2^n alone
// overflows for n = 128). Branch-free on purpose: the invocations of a workgroup run as SIMD lanes
// (llvmpipe's 8-wide vectors, a GPU's warps), which execute both sides of a divergent branch —
// the former expm1 (a series below ln 2, exp beyond) cost two polynomials per call in a reduction
// over varied inputs. x is clamped first so that n stays within e2_'s range; the callers set the
// results outside it. Drivers compute exp2(x * log2(e)), whose rounding grows with |x| (Mesa: ~26
// ulp at 44) and which overflows early (Mesa: exp(88.7) = inf).
fn expn_(x: f32, lo: f32, m1: bool) -> f32 {
  let xc = clamp(x, lo, 88.8);
  let n = round(xc * 1.442695);
  let r = rln2_(xc, n);
  let k = i32(n);
  let h = k / 2;
  // 1 - 2^-n is 1 in f32 from n = 25: capping n keeps e2_'s argument in range.
  let c = select(1.0, 1.0 - e2_(-min(k, 64)), m1);
  return ((em1r_(r) + c) * e2_(h)) * e2_(k - h);
}
fn exp_(x: f32) -> f32 {
  let y = select(expn_(x, -104.0, false), 0.0, x < -103.97209);
  return select(select(y, kInf, x > 88.72284), x, isnan_(x));
}
// expm1 is -1 in f32 below -17.33 (the clamp); ±0 and NaN pass through (r would lose -0's sign).
fn expm1_(x: f32) -> f32 {
  return select(expn_(x, -17.5, true), x, isnan_(x) || x == 0.0);
}
fn log1p_(x: f32) -> f32 {
  if (isnan_(x) || x == 0.0) { return x; }
  if (x > -0.29289323 && x < 0.41421357) { return logc_(x); }
  if (x < -1.0) { return kNaN; }
  let u = 1.0 + x;
  if (isinf_(u) || u == 0.0) { return log_(u); }
  // Kahan: x / (u - 1) corrects the rounding of 1 + x (parenthesized: log(u) * x overflows near 3.4e38).
  return log_(u) * (x / (u - 1.0));
}
// cbrt: |x|^(1/3) from kiln's exp and log, then one Newton step y + (x / y^2 - y) / 3 (written so
// that nothing overflows near the f32 range or underflows for subnormal x), sign restored.
fn cbrt_(x: f32) -> f32 {
  if (isnan_(x) || isinf_(x) || x == 0.0) { return x; }
  let ax = abs(x);
  var y = exp_(log_(ax) * 0.33333334);
  y = y + (ax / (y * y) - y) * 0.33333334;
  return select(y, -y, x < 0.0);
}
// sinh, cosh, tanh from expm1/exp: drivers compute sinh(x) and tanh(x) as (e^x - e^-x) / ...,
// which cancels near 0 (Mesa: tanh(1e-5) off by 1.4e-3 relative); half-argument exp near overflow.
fn sinh_(x: f32) -> f32 {
  if (isnan_(x) || x == 0.0) { return x; }
  let ax = abs(x);
  var s: f32;
  if (ax > 88.0) { let h = exp_(0.5 * ax); s = (0.5 * h) * h; }
  else { let e = expm1_(ax); s = 0.5 * (e + e / (e + 1.0)); }
  return select(s, -s, x < 0.0);
}
fn cosh_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let ax = abs(x);
  if (ax > 88.0) { let h = exp_(0.5 * ax); return (0.5 * h) * h; }
  let e = exp_(ax);
  return 0.5 * (e + 1.0 / e);
}
fn tanh_(x: f32) -> f32 {
  // tanh(x) rounds to 1 from |x| = 9.01: clamping keeps a = 2|x| <= 18.2, where expn_'s path for
  // expm1 needs neither its clamps nor its split scaling (n <= 27: 2^n and 1 - 2^-n in one e2_
  // each, 1 - 2^-n exact up to n = 24 and rounding to 1 beyond); one branch-free path (see expn_).
  let a = 2.0 * min(abs(x), 9.1);
  let n = round(a * 1.442695);
  let r = rln2_(a, n);
  let k = i32(n);
  let e = (em1r_(r) + (1.0 - e2_(-k))) * e2_(k);
  let t = e / (e + 2.0);
  return select(bitcast<f32>(bitcast<u32>(t) | (bitcast<u32>(x) & 0x80000000u)), x, isnan_(x));
}
// sigmoid(x) = 1 / (1 + s) for x >= 0, s / (1 + s) below, s = e^-|x| <= 1: one exp whose result
// needs a single scaling (n from -126 to 0). Beyond |x| = 87.33654 (the largest float32 below
// ln 2^126 = 87.336545) the result for negative x is below the smallest normal float32 and is
// flushed to 0 (a device may flush it anyway: docs/webgpu.md).
fn sigmoid_(x: f32) -> f32 {
  let a = min(abs(x), 87.33654);
  let n = round(a * -1.442695);
  let r = rln2_(-a, n);
  let s = (em1r_(r) + 1.0) * e2_(i32(n));
  let y = select(s, 1.0, x >= 0.0) / (1.0 + s);
  return select(select(y, 0.0, x < -87.33654), x, isnan_(x));
}
fn atan2_(y: f32, x: f32) -> f32 {
  if (isnan_(x) || isnan_(y)) { return x + y; }
  let ny = (bitcast<u32>(y) & 0x80000000u) != 0u;
  let nx = (bitcast<u32>(x) & 0x80000000u) != 0u;
  var r: f32;
  if (y == 0.0) { r = select(0.0, 3.1415927, nx); }
  else if (x == 0.0) { r = 1.5707964; }
  else if (isinf_(x)) { r = select(select(0.0, 3.1415927, nx), select(0.7853982, 2.3561945, nx), isinf_(y)); }
  else if (isinf_(y)) { r = 1.5707964; }
  else {
    // Both tiny: scale by 2^64 first (the quotient of two subnormals may be flushed).
    let k = select(1.0, 18446744073709551616.0, max(abs(x), abs(y)) < 1e-30);
    let a = atan_(abs(y * k) / abs(x * k));
    // pi - a with pi in two parts (pi as one f32 is 0.7 ulp off here).
    r = select(a, (3.1415927 - a) - 8.742278e-8, nx);
  }
  return select(r, -r, ny);
}
// atan (Cephes atanf): reduced to |t| <= tan(pi/8) by atan(x) = pi/4 + atan((x-1)/(x+1)) or
// pi/2 - atan(1/x), then an odd polynomial. Drivers' atan has an absolute error of ~2^-24, i.e.
// hundreds of ulps for small results (Mesa: 345 ulp at 2.3e-38).
fn atan_(x: f32) -> f32 {
  if (isnan_(x) || x == 0.0) { return x; }
  let ax = abs(x);
  var base = 0.0;
  var t = ax;
  if (ax > 2.4142137) { base = 1.5707964; t = -1.0 / ax; }
  else if (ax > 0.41421357) { base = 0.7853982; t = (ax - 1.0) / (ax + 1.0); }
  let z = t * t;
  let y = base + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t);
  return select(y, -y, x < 0.0);
}
fn asin_(x: f32) -> f32 { return atan2_(x, sqrt((1.0 - x) * (1.0 + x))); }
fn acos_(x: f32) -> f32 { return atan2_(sqrt((1.0 - x) * (1.0 + x)), x); }
// Bits of 2/pi (word k >= 1 holds bits 32k-31 .. 32k after the point; word 0: the zeros before it).
var<private> twoOverPi_: array<u32, 9> = array<u32, 9>(0u, 0xA2F9836Eu, 0x4E441529u, 0xFC2757D1u, 0xF534DDC0u, 0xDB629599u, 0x3C439041u, 0xFE5163ABu, 0xDEBBC561u);
fn tpw_(s: i32) -> u32 {
  let j = s + 31;
  let k = j / 32;
  let off = u32(j % 32);
  let hi = twoOverPi_[k];
  let lo = twoOverPi_[min(k + 1, 8)];
  return select((hi << off) | (lo >> (32u - off)), hi, off == 0u);
}
// Payne-Hanek reduction: x = q*pi/2 + r with |r| <= pi/4, exact for every finite f32 (drivers
// reduce with a few bits of pi/2 and lose all accuracy beyond ~1e7). Returns (r, q mod 4).
fn rpio2_(x: f32) -> vec2<f32> {
  let ux = bitcast<u32>(x) & 0x7fffffffu;
  let m = (ux & 0x7fffffu) | 0x800000u;
  let s = i32(ux >> 23u) - 151;
  let whi = tpw_(s);
  let wlo = tpw_(s + 32);
  // m * (whi * 2^32 + wlo) mod 2^64: bits 63..62 are the quadrant, the rest the fraction.
  let m0 = m & 0xffffu;
  let m1 = m >> 16u;
  let b0 = wlo & 0xffffu;
  let b1 = wlo >> 16u;
  let p00 = m0 * b0;
  let p01 = m0 * b1;
  let p10 = m1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let lo = (p00 & 0xffffu) | (mid << 16u);
  let hi = m1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u) + m * whi;
  var q = hi >> 30u;
  var fhi = (hi << 2u) | (lo >> 30u);
  var flo = lo << 2u;
  // A fraction of 1/2 or more is taken as f - 1 (the next quadrant), negated in the integers: in
  // f32, 1 - f would keep only 2^-24 of absolute precision (200 ulp for results near 0).
  let up = (fhi & 0x80000000u) != 0u;
  if (up) {
    flo = ~flo + 1u;
    fhi = ~fhi + select(0u, 1u, flo == 0u);
    q = q + 1u;
  }
  let f = f32(fhi) * 2.3283064365386963e-10 + f32(flo) * 5.421010862427522e-20;
  var r = select(f, -f, up) * 1.5707963267948966;
  if (x < 0.0) { r = -r; q = 4u - (q & 3u); }
  return vec2<f32>(r, f32(q & 3u));
}
// sin and cos of |r| <= pi/4 (Cephes sinf/cosf polynomials). Drivers' sin/cos have an absolute
// error of ~2^-24 (relative errors of hundreds of ulps for small results).
fn sinr_(r: f32) -> f32 {
  let z = r * r;
  return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
}
fn cosr_(r: f32) -> f32 {
  let z = r * r;
  return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}
// tan of |r| <= pi/4 (Cephes tanf).
fn tanr_(r: f32) -> f32 {
  let z = r * r;
  return select(r, (((((9.38540185543e-3 * z + 3.11992232697e-3) * z + 2.44301354525e-2) * z + 5.34112807005e-2) * z + 1.33387994085e-1) * z + 3.33331568548e-1) * z * r + r, abs(r) > 1e-4);
}
// (r, quadrant): the argument reduced exactly (rpio2_) unless it is within pi/4 already.
fn reduce_(x: f32) -> vec2<f32> {
  if (abs(x) <= 0.78539816) { return vec2<f32>(x, 0.0); }
  return rpio2_(x);
}
fn sin_(x: f32) -> f32 {
  if (isnan_(x) || isinf_(x)) { return kNaN; }
  if (x == 0.0) { return x; }
  let rq = reduce_(x);
  let q = u32(rq.y);
  let v = select(sinr_(rq.x), cosr_(rq.x), (q & 1u) == 1u);
  return select(v, -v, q >= 2u);
}
fn cos_(x: f32) -> f32 {
  if (isnan_(x) || isinf_(x)) { return kNaN; }
  let rq = reduce_(x);
  let q = u32(rq.y);
  let v = select(cosr_(rq.x), sinr_(rq.x), (q & 1u) == 1u);
  return select(v, -v, q == 1u || q == 2u);
}
fn tan_(x: f32) -> f32 {
  if (isnan_(x) || isinf_(x)) { return kNaN; }
  if (x == 0.0) { return x; }
  let rq = reduce_(x);
  let t = tanr_(rq.x);
  return select(t, -1.0 / t, (u32(rq.y) & 1u) == 1u);
}
fn f2i_(x: f32) -> i32 {
  if (isnan_(x) || isinf_(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  // Wrap modulo 2^32 as JavaScript's x | 0: exact in f32, since |t| >= 2^31 is a multiple of 256.
  return bitcast<i32>(u32(t - floor(t / 4294967296.0) * 4294967296.0));
}
fn idiv_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  return select(q, q - 1, (a % b != 0) && ((a < 0) != (b < 0)));
}
fn irem_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}
fn ipow_(a: i32, b: i32) -> i32 {
  // Exact products wrapping modulo 2^32, as NumPy (core/arith.ts's powerInt32).
  if (b < 0) { return 0; }
  var r = 1;
  var base = a;
  var e = b;
  loop {
    if ((e & 1) == 1) { r = r * base; }
    e = e >> 1u;
    if (e == 0) { break; }
    base = base * base;
  }
  return r;
}
// A float16 value: x rounded to the nearest binary16 (half to even), kept in an f32 (core's
// roundToHalf, written with integer ops: pack2x16float's rounding is not specified).
fn f16r_(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let a = b & 0x7fffffffu;
  let s = b & 0x80000000u;
  if (a >= 0x7f800000u) { return x; }
  // 65520 and above round past the largest half (65504).
  if (a >= 0x477ff000u) { return bitcast<f32>(s | 0x7f800000u); }
  // Below 2^-14 halves are multiples of 2^-24: the scaling is exact and round() is half to even.
  if (a < 0x38800000u) { return bitcast<f32>(s | bitcast<u32>(round(bitcast<f32>(a) * 16777216.0) / 16777216.0)); }
  // Normal: drop 13 mantissa bits, half to even; a carry into the exponent is the right result.
  let r = (a + 0xfffu + ((a >> 13u) & 1u)) & 0xffffe000u;
  return bitcast<f32>(s | r);
}
// A bfloat16 value: x rounded to its top 16 bits (half to even), kept in an f32 (core's
// roundToBfloat16); a carry out of the mantissa into the exponent is the right result (up to inf).
fn bf16r_(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) >= 0x7f800000u) { return x; }
  return bitcast<f32>((b + 0x7fffu + ((b >> 16u) & 1u)) & 0xffff0000u);
}
// Unsigned division and remainder (x // 0 = x % 0 = 0, as the reference); nonnegative operands need no flooring fix.
fn udiv_(a: u32, b: u32) -> u32 {
  if (b == 0u) { return 0u; }
  return a / b;
}
fn urem_(a: u32, b: u32) -> u32 {
  if (b == 0u) { return 0u; }
  return a % b;
}
fn upow_(a: u32, b: u32) -> u32 {
  // Exact products wrapping modulo 2^32 (NumPy's unsigned power).
  var r = 1u;
  var base = a;
  var e = b;
  loop {
    if ((e & 1u) == 1u) { r = r * base; }
    e = e >> 1u;
    if (e == 0u) { break; }
    base = base * base;
  }
  return r;
}
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isnan_(a) || isnan_(b)) { return kNaN; }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  let ab = abs(a);
  if (isinf_(b)) {
    if (ab == 1.0) { return kNaN; }
    return select(0.0, kInf, (ab > 1.0) == (b > 0.0));
  }
  let isInt = b == floor(b);
  let odd = isInt && abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1;
  let neg = (bitcast<u32>(a) & 0x80000000u) != 0u;
  if (ab == 0.0 || isinf_(a)) {
    let big = (ab == 0.0) != (b > 0.0);
    let r = select(0.0, kInf, big);
    return select(r, -r, neg && odd);
  }
  if (neg && !isInt) { return kNaN; }
  // exp(b log a) with kiln's log and exp (drivers' log2 near 1 has no relative accuracy); the
  // rounding of b log a still costs about |b log a| ulp.
  let r = exp_(b * log_(ab));
  return select(r, -r, neg && odd);
}
fn fmod_(x: f32, y: f32) -> f32 {
  var ux = bitcast<u32>(x);
  var uy = bitcast<u32>(y);
  var ex = i32((ux >> 23u) & 0xffu);
  var ey = i32((uy >> 23u) & 0xffu);
  let sx = ux & 0x80000000u;
  if ((uy << 1u) == 0u || isnan_(y) || ex == 0xff) { return kNaN; }
  if ((ux << 1u) <= (uy << 1u)) {
    if ((ux << 1u) == (uy << 1u)) { return 0.0 * x; }
    return x;
  }
  if (ex == 0) {
    var i = ux << 9u;
    while ((i >> 31u) == 0u) { ex = ex - 1; i = i << 1u; }
    ux = ux << u32(1 - ex);
  } else {
    ux = (ux & 0x007fffffu) | 0x00800000u;
  }
  if (ey == 0) {
    var i = uy << 9u;
    while ((i >> 31u) == 0u) { ey = ey - 1; i = i << 1u; }
    uy = uy << u32(1 - ey);
  } else {
    uy = (uy & 0x007fffffu) | 0x00800000u;
  }
  for (; ex > ey; ex = ex - 1) {
    let i = ux - uy;
    if ((i >> 31u) == 0u) {
      if (i == 0u) { return 0.0 * x; }
      ux = i;
    }
    ux = ux << 1u;
  }
  let i = ux - uy;
  if ((i >> 31u) == 0u) {
    if (i == 0u) { return 0.0 * x; }
    ux = i;
  }
  while ((ux >> 23u) == 0u) { ux = ux << 1u; ex = ex - 1; }
  if (ex > 0) { ux = (ux - 0x00800000u) | (u32(ex) << 23u); } else { ux = ux >> u32(1 - ex); }
  return bitcast<f32>(ux | sx);
}
// NumPy's remainder (npy_divmod): the sign of the divisor, a zero remainder included.
// NumPy's floor_divide (npy_divmod, core/arith.ts): (a - fmod(a, b)) / b, one less where the
// remainder's sign differs from the divisor's, snapped to the nearest integer; a zero quotient
// takes the sign of a / b. floor(a / b) would round up through the division (1 // 0.1 = 10).
fn ffloordiv_(a: f32, b: f32) -> f32 {
  let neg = ((bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u) != 0u;
  if (b == 0.0) {
    if (a == 0.0 || isnan_(a)) { return kNaN; }
    return select(kInf, -kInf, neg);
  }
  let m = fmod_(a, b);
  var d = (a - m) / b;
  if (isnan_(d)) { return kNaN; }
  if (m != 0.0 && ((b < 0.0) != (m < 0.0))) { d = d - 1.0; }
  if (d == 0.0) { return bitcast<f32>(select(0u, 0x80000000u, neg)); }
  let f = floor(d);
  return select(f, f + 1.0, d - f > 0.5);
}
fn frem_(a: f32, b: f32) -> f32 {
  let r = fmod_(a, b);
  if (r == 0.0) { return bitcast<f32>(bitcast<u32>(b) & 0x80000000u); }
  return select(r, r + b, (r < 0.0) != (b < 0.0));
}
${SPECIAL_PRELUDE}`;

/** One module-scope declaration of the prelude: its name, its text (comments included), what it calls. */
interface PreludeDecl {
  readonly name: string;
  readonly text: string;
  readonly uses: readonly string[];
}

/**
 * The prelude cut into its declarations. A declaration starts at a column-0 line (`fn`, `var`),
 * takes the comment lines just above it, and runs until the next column-0 line that is not its
 * closing brace; what it uses is every other declaration's name in its code (comments stripped).
 */
function preludeDecls(): readonly PreludeDecl[] {
  const units: { name: string; lines: string[] }[] = [];
  let comments: string[] = [];
  for (const line of WGSL_PRELUDE.split("\n")) {
    if (line.startsWith("//")) comments.push(line);
    else if (/^(fn|var)\b/.test(line)) {
      const name = /^fn (\w+)\(|^var<private> (\w+)/.exec(line);
      if (!name) throw new Error(`internal: wgsl-prelude: unrecognized declaration: ${line}`);
      units.push({ name: name[1] ?? name[2]!, lines: [...comments, line] });
      comments = [];
    } else if (line.trim() !== "") {
      if (!units.length || comments.length) throw new Error(`internal: wgsl-prelude: a line outside any declaration: ${line}`);
      units[units.length - 1]!.lines.push(line);
    }
  }
  const names = new Set(units.map((u) => u.name));
  return units.map(({ name, lines }) => {
    const code = lines.filter((l) => !l.startsWith("//")).join("\n");
    return { name, text: lines.join("\n"), uses: [...new Set([...code.matchAll(/\b\w+\b/g)].map((m) => m[0]))].filter((n) => n !== name && names.has(n)) };
  });
}

let decls: readonly PreludeDecl[] | null = null;
let declName: RegExp | null = null;

/**
 * The prelude declarations `code` (a module's bindings, helper functions and `main`) reaches,
 * directly or through each other, in prelude order. Every module used to carry the whole prelude
 * (~25,000 characters, 60 functions): the driver parses and validates all of it per shader module,
 * which was most of a software adapter's module-creation time (the W7 step: 43 modules, 1.1 s).
 * @example
 * preludeFor("let y = exp_(x);"); // kInf/kNaN only if used, exp_, and what exp_ calls (expn_, isnan_ …)
 */
export function preludeFor(code: string): string {
  decls ??= preludeDecls();
  declName ??= new RegExp(`\\b(${decls.map((d) => d.name).join("|")})\\b`, "g");
  const byName = new Map(decls.map((d) => [d.name, d]));
  const needed = new Set<string>();
  const visit = (n: string) => {
    if (needed.has(n)) return;
    needed.add(n);
    for (const u of byName.get(n)!.uses) visit(u);
  };
  for (const m of code.matchAll(declName)) visit(m[1]!);
  return decls.filter((d) => needed.has(d.name)).map((d) => d.text).join("\n");
}
