/**
 * Vector math for the wasm target: float32 exp, expm1, log, log1p, tanh, logistic, sin, cos, erf
 * and pow as f32x4 polynomial approximations, and their scalar JavaScript twins (which the JS
 * target's kernels call for float32 results).
 *
 * Each function is written once, as a program over lanes (`Lanes<V>`: float32 arithmetic, compares,
 * selections, int32 bit operations). Two interpreters run that one program: `wasmLanes` emits SIMD128
 * instructions, `jsLanes` writes a scalar JavaScript function. Every operation a program may use is
 * exactly reproducible in JavaScript — correctly rounded f32 `+ - * /` (float64 then `Math.fround`:
 * 53 ≥ 2·24 + 2 bits, so the double rounding is harmless), min/max/abs/neg/floor, compares,
 * bit reinterpretation, int32 adds and shifts — and nothing else (no fused multiply-add, no f64):
 * so a JS kernel and a wasm kernel compute the same bits for the same float32 input (NaN payloads
 * aside: any NaN is NaN). The one exception is rare lanes, sin/cos past |x| = 12800, which both
 * sides send to the same host function (`VECMATH_HOST`). docs/numerics.md#vector-math has the
 * measured error of each function.
 */
import { erfF64 } from "@kiln/core";
import { type Bytes, T, type ValType, buildModule, op, v } from "./wasm-asm.js";

/** The float32 functions with a vector implementation. */
export const VECMATH_OPS = ["exp", "expm1", "log", "log1p", "tanh", "logistic", "sin", "cos", "erf", "pow"] as const;
export type VecMathOp = (typeof VECMATH_OPS)[number];

/**
 * The operations a vector-math program may use: each exact in float32 (or int32) so that both
 * interpreters agree bit for bit. `V` is one lane value (float32, int32 or a mask); which it is
 * follows from the operation that made it.
 */
interface Lanes<V> {
  f(c: number): V;
  i(c: number): V;
  add(a: V, b: V): V; sub(a: V, b: V): V; mul(a: V, b: V): V; div(a: V, b: V): V;
  /** NaN if either is NaN; min(-0, +0) = -0 (wasm `f32x4.min` and `Math.min` agree). */
  min(a: V, b: V): V; max(a: V, b: V): V;
  abs(a: V): V; neg(a: V): V; floor(a: V): V;
  lt(a: V, b: V): V; le(a: V, b: V): V; ge(a: V, b: V): V; eq(a: V, b: V): V;
  /** Mask select: `m ? a : b` per lane (a and b both float or both int). */
  sel(m: V, a: V, b: V): V;
  not(m: V): V; or(m: V, n: V): V; and(m: V, n: V): V;
  iadd(a: V, b: V): V; isub(a: V, b: V): V; iand(a: V, b: V): V; imin(a: V, b: V): V; ieq(a: V, b: V): V; ilt(a: V, b: V): V;
  shl(a: V, n: number): V; shr(a: V, n: number): V;
  /** Reinterpret float32 ↔ int32 lane bits. */
  bits(a: V): V; float(a: V): V;
  /** 2^k as float32 for an int32 lane k in [-126, 127]. */
  pow2(k: V): V;
  /** Float → int32 truncation. The argument must be NaN (→ 0) or below 2^31 in magnitude. */
  toInt(a: V): V;
  toFloat(a: V): V;
  /** `res`, with the lanes where `m` is set replaced by the host function `VECMATH_HOST[fn]` of x (rare lanes). */
  host(fn: HostFn, x: V, m: V, res: V): V;
}

/**
 * Host functions for the rare lanes the polynomials do not cover: float64 Math rounded once to
 * float32 (the import converts the result), the same function in a JS kernel and a wasm kernel.
 */
export const VECMATH_HOST = { sin: (x: number): number => Math.sin(x), cos: (x: number): number => Math.cos(x) };
export type HostFn = keyof typeof VECMATH_HOST;

/** A function of one lane (`y` is pow's exponent; unary functions ignore it). */
type Program = <V>(l: Lanes<V>, x: V, y: V) => V;

/** Horner's rule in float32, highest coefficient last: c[0] + t·(c[1] + t·(…)). */
function horner<V>(l: Lanes<V>, t: V, c: readonly number[]): V {
  let acc = l.f(c[c.length - 1]!);
  for (let k = c.length - 2; k >= 0; k--) acc = l.add(l.mul(acc, t), l.f(c[k]!));
  return acc;
}

/** Rounds |t| < 2^22 to the nearest integer (ties to even) with two float32 additions. */
const MAGIC = 12582912; // 1.5 · 2^23
const roundInt = <V>(l: Lanes<V>, t: V): V => l.sub(l.add(t, l.f(MAGIC)), l.f(MAGIC));

/** p · 2^k for k in [-252, 254], in two exact steps: one rounding, also into subnormals. */
function scale<V>(l: Lanes<V>, p: V, k: V): V {
  const k1 = l.shr(k, 1);
  return l.mul(l.mul(p, l.pow2(k1)), l.pow2(l.isub(k, k1)));
}

/** ln 2 in two parts: LN2_HI has 9 significant bits, so k·LN2_HI is exact for |k| < 2^15. */
const LN2_HI = 0.693359375, LN2_LO = -2.1219444170128554e-4, LOG2E = 1.4426950216293335;
/** expm1(r) = r + r²·Q(r) on |r| ≤ ln2/2, minimax for relative error (2.2e-9 with float32 coefficients). */
const EXPM1_Q = [0.5, 0.1666666567325592, 0.041666362434625626, 0.008333389647305012, 0.0013940625358372927, 0.00019845877250190824];

/**
 * Cody–Waite reduction x = k·ln2 + r (|r| ≤ ln2/2, r exact up to LN2_LO's rounding) and
 * u = expm1(r). `x` must already be clamped to [-104, 89] (or NaN: then k = 0 and u = NaN).
 */
function expReduce<V>(l: Lanes<V>, x: V): { k: V; u: V } {
  const kf = roundInt(l, l.mul(x, l.f(LOG2E)));
  const t = l.sub(x, l.mul(kf, l.f(LN2_HI)));
  const lo = l.mul(kf, l.f(LN2_LO));
  const r = l.sub(t, lo);
  // The rounding error of r (Fast2Sum), added back to the small terms: worst exp error 0.89 → 0.6 ulp.
  const rErr = l.sub(l.sub(t, r), lo);
  const u = l.add(r, l.add(rErr, l.mul(l.mul(r, r), horner(l, r, EXPM1_Q))));
  return { k: l.toInt(kf), u };
}

/**
 * exp(x) = 2^k·(1 + u). The clamp keeps k in [-150, 128]: below -104 the result rounds to 0,
 * above 89 to inf (the thresholds are -103.97 and 88.72), and NaN passes through min/max.
 */
const expCore = <V>(l: Lanes<V>, x: V): V => {
  const { k, u } = expReduce(l, l.min(l.max(x, l.f(-104)), l.f(89)));
  return scale(l, l.add(u, l.f(1)), k);
};

/**
 * expm1(x) = 2^k·(u + (1 - 2^-k)): 1 - 2^-k is exact for k ≤ 24 (and rounds to 1 above), so the
 * only rounding before the exact scaling is one addition. Below -17.5 the result is -1.
 */
const expm1Core = <V>(l: Lanes<V>, x: V): V => {
  const { k, u } = expReduce(l, l.min(l.max(x, l.f(-17.5)), l.f(89)));
  const c = l.sub(l.f(1), l.pow2(l.isub(l.i(0), l.imin(k, l.i(25)))));
  return scale(l, l.add(u, c), k);
};

/** Values too small to change under the function (|x| < 2^-26) pass through: keeps ±0 and subnormals exact. */
const passTiny = <V>(l: Lanes<V>, x: V, res: V): V => l.sel(l.lt(l.abs(x), l.f(2 ** -26)), x, res);

/** log1p(f) = f - f²/2 + f³·P(f) on f ∈ [√½ - 1, √2 - 1], minimax for relative error (6.4e-9). */
const LOG_P = [0.3333333134651184, -0.2500081956386566, 0.20001226663589478, -0.16623356938362122, 0.14201757311820984, -0.13160184025764465, 0.127615824341774, -0.07634497433900833];
const SQRT_HALF_BITS = 0x3f3504f3;

/**
 * u = 2^e·(1 + f) with 1 + f ∈ [√½, √2), for finite u > 0 (subnormals scaled by 2^23 first);
 * other inputs give garbage that the caller replaces.
 */
function logSplit<V>(l: Lanes<V>, u: V): { e: V; f: V } {
  const sub = l.lt(u, l.f(2 ** -126));
  const ix = l.iadd(l.bits(l.sel(sub, l.mul(u, l.f(2 ** 23)), u)), l.i(0x3f800000 - SQRT_HALF_BITS));
  const m = l.float(l.iadd(l.iand(ix, l.i(0x7fffff)), l.i(SQRT_HALF_BITS)));
  const e = l.sub(l.toFloat(l.isub(l.shr(ix, 23), l.i(127))), l.sel(sub, l.f(23), l.f(0)));
  return { e, f: l.sub(m, l.f(1)) };
}

/** e·ln2 + log1p(f) + c, adding the small terms first (c: log1p's correction, or 0). */
function logJoin<V>(l: Lanes<V>, e: V, f: V, c: V): V {
  const z = l.mul(f, f);
  const y = l.add(l.mul(l.mul(f, z), horner(l, f, LOG_P)), l.add(c, l.mul(e, l.f(LN2_LO))));
  return l.add(l.add(f, l.sub(y, l.mul(z, l.f(0.5)))), l.mul(e, l.f(LN2_HI)));
}

/** The IEEE special values of log-like functions at the domain's edge `lo` (0 for log, -1 for log1p). */
function logEdges<V>(l: Lanes<V>, x: V, lo: number, res: V): V {
  res = l.sel(l.eq(x, l.f(Infinity)), x, res);
  res = l.sel(l.eq(x, l.f(lo)), l.f(-Infinity), res);
  return l.sel(l.not(l.ge(x, l.f(lo))), l.f(NaN), res); // below the domain, or NaN
}

const logCore: Program = (l, x) => {
  const { e, f } = logSplit(l, x);
  return logEdges(l, x, 0, logJoin(l, e, f, l.f(0)));
};

/**
 * log1p(x) = log(u) + c/u for u = fl(1 + x), c the rounding error of that addition (exact: Sterbenz).
 * Where u ∈ [√½, √2) (e = 0) the reduced argument is x itself.
 */
const log1pCore: Program = (l, x) => {
  const u = l.add(x, l.f(1));
  const { e, f } = logSplit(l, u);
  const big = l.ge(x, l.f(1));
  const c = l.sel(big, l.sub(l.f(1), l.sub(u, x)), l.sub(x, l.sub(u, l.f(1))));
  const e0 = l.eq(e, l.f(0));
  const res = logJoin(l, e, l.sel(e0, x, f), l.sel(e0, l.f(0), l.div(c, u)));
  return passTiny(l, x, logEdges(l, x, -1, res));
};

/** tanh(x) = x + x³·P(x²) on |x| < 0.625, minimax for relative error (8.5e-9). */
const TANH_P = [-0.3333328068256378, 0.13331441581249237, -0.05373971536755562, 0.0206390842795372, -0.005704984534531832];

/** |x| < 0.625: the odd polynomial; above: 1 - 2/(exp(2|x|) + 1), with the sign of x. */
const tanhCore: Program = (l, x) => {
  const a = l.abs(x);
  const z = l.mul(x, x);
  const small = l.add(x, l.mul(x, l.mul(z, horner(l, z, TANH_P))));
  const t = l.sub(l.f(1), l.div(l.f(2), l.add(expCore(l, l.add(a, a)), l.f(1))));
  return passTiny(l, x, l.sel(l.lt(a, l.f(0.625)), small, l.sel(l.lt(x, l.f(0)), l.neg(t), t)));
};

/**
 * n/(1 + e) with e = exp(-|x|), n = 1 for x ≥ 0 and e below: never exp of a large positive number.
 * d = fl(1 + e) misses δ = (1 - d) + e (exact: Fast2Sum, 1 ≥ e), and n/(d + δ) ≈ q - q·δ/d for
 * q = n/d removes that rounding (worst case 2.0 → 1.3 ulp). 1/d need not be divided again:
 * it is q for n = 1 and 1 - q for n = e, to the few bits the correction needs.
 */
const logisticCore: Program = (l, x) => {
  const e = expCore(l, l.neg(l.abs(x)));
  const neg = l.lt(x, l.f(0));
  const d = l.add(e, l.f(1));
  const q = l.div(l.sel(neg, e, l.f(1)), d);
  const delta = l.add(l.sub(l.f(1), d), e);
  return l.sub(q, l.mul(l.mul(q, delta), l.sel(neg, l.sub(l.f(1), q), q)));
};

/**
 * π/2 in five parts: four of 11 significant bits, so k·PIO2[i] is exact and each subtraction in
 * the reduction is exact while |k| < 2^13 (|x| ≤ 12867), and a float32 tail (π/2 to ~2^-78).
 */
const PIO2 = [1.5703125, 0.0004837512969970703, 7.549533620476723e-8, 2.5632829192545614e-12, 6.123234262925839e-17];
const TWO_OVER_PI = 0.6366197466850281;
/** sin r = r + r³·S(r²), cos r = 1 - r²/2 + r⁴·C(r²) on |r| ≤ π/4 (relative error 8.3e-9, 1.7e-10). */
const SIN_S = [-0.16666655242443085, 0.00833216030150652, -0.00019515282474458218];
const COS_C = [0.04166664555668831, -0.0013887316454201937, 2.44331567955669e-5];

/** Below this |x| the reduction is exact (|k| < 2^13); above, a lane calls the host's Math.sin/cos. */
const SINCOS_EXACT = 12800;

/**
 * sin or cos (quadrant offset `shift` 0 or 1): x = k·π/2 + r, then ±sin r or ±cos r by k mod 4.
 * Lanes with |x| > SINCOS_EXACT (and ±inf, NaN) take the host function: a correct reduction of
 * large arguments needs π to ~180 bits (Payne–Hanek), not worth its cost in every lane for
 * arguments that rare.
 */
function sinCos<V>(l: Lanes<V>, x: V, fn: HostFn): V {
  const kf = roundInt(l, l.mul(x, l.f(TWO_OVER_PI)));
  let r = x;
  for (const p of PIO2) r = l.sub(r, l.mul(kf, l.f(p)));
  const z = l.mul(r, r);
  const s = l.add(r, l.mul(r, l.mul(z, horner(l, z, SIN_S))));
  const c = l.add(l.sub(l.mul(l.mul(z, z), horner(l, z, COS_C)), l.mul(z, l.f(0.5))), l.f(1));
  const big = l.not(l.le(l.abs(x), l.f(SINCOS_EXACT)));
  // Large lanes' k is not used, but it must stay a valid truncation argument.
  const q = l.iadd(l.toInt(l.min(l.max(kf, l.f(-(2 ** 14))), l.f(2 ** 14))), l.i(fn === "cos" ? 1 : 0));
  const val = l.sel(l.ieq(l.iand(q, l.i(1)), l.i(0)), s, c);
  return l.host(fn, x, big, l.sel(l.ieq(l.iand(q, l.i(2)), l.i(0)), val, l.neg(val)));
}

/** erf(x) = x + x·P(x²) on |x| < 1.25 (minimax, relative error 5.9e-9). */
const ERF_P = [0.12837916612625122, -0.37612637877464294, 0.11283784359693527, -0.026865702122449875, 0.005222438368946314, -0.000851962249726057, 0.00011735783482436091, -1.2792237612302415e-05, 8.261400239462091e-07];
/** log erfc(x) = G(x - 2.585) on [1.25, 3.92] (minimax for the error it causes in erf: 1.5e-9 relative). */
const ERFC_G = [-8.268620491027832, -5.513381481170654, -0.9465805888175964, -0.010099237784743309, 0.002154313726350665, -0.00020633850363083184, 0.00015467090997844934];

/** |x| < 1.25: the odd polynomial; above: ±(1 - exp(G(|x|))), |x| clamped to 3.92 where erf rounds to 1. */
const erfCore: Program = (l, x) => {
  const a = l.abs(x);
  const small = l.add(x, l.mul(x, horner(l, l.mul(x, x), ERF_P)));
  const g = horner(l, l.sub(l.min(a, l.f(3.92)), l.f(2.585)), ERFC_G);
  const big = l.sub(l.f(1), expCore(l, g));
  return l.sel(l.lt(a, l.f(1.25)), small, l.sel(l.lt(x, l.f(0)), l.neg(big), big));
};

/** Veltkamp's split: a = hi + lo with 12 significant bits each, so products of parts are exact. */
function split<V>(l: Lanes<V>, a: V): [V, V] {
  const c = l.mul(a, l.f(4097));
  const hi = l.sub(c, l.sub(c, a));
  return [hi, l.sub(a, hi)];
}

/** Dekker's product: a·b = p + err exactly (no fused multiply-add needed). */
function twoProd<V>(l: Lanes<V>, a: V, b: V): [V, V] {
  const p = l.mul(a, b);
  const [ah, al] = split(l, a), [bh, bl] = split(l, b);
  const err = l.add(l.add(l.add(l.sub(l.mul(ah, bh), p), l.mul(ah, bl)), l.mul(al, bh)), l.mul(al, bl));
  return [p, err];
}

/** Knuth's sum: a + b = s + err exactly, for any magnitudes. */
function twoSum<V>(l: Lanes<V>, a: V, b: V): [V, V] {
  const s = l.add(a, b);
  const bv = l.sub(s, a);
  return [s, l.add(l.sub(a, l.sub(s, bv)), l.sub(b, bv))];
}

/** log's P one degree higher (relative error 3.2e-9): pow multiplies log's error by y. */
const POW_LOG_P = [0.3333331346511841, -0.25000008940696716, 0.2000211924314499, -0.1666799634695053, 0.14219552278518677, -0.1240558847784996, 0.11888165026903152, -0.11675657331943512, 0.06746641546487808];

/** log2(e) in two parts (hi + lo = log2(e) to ~2^-48). */
const LOG2E_HI = 1.4426950216293335, LOG2E_LO = 1.925963033500011e-8;

/**
 * y·log2|x| as a float32 pair (hi + lo carries ~40 bits): log1p(f) = f - f²/2 + f³·P(f) with the
 * first two terms exact (Dekker), times log2(e), plus the exponent, times y.
 */
function yLog2<V>(l: Lanes<V>, ax: V, y: V): [V, V] {
  const { e, f } = logSplit(l, ax);
  const [f2, f2e] = twoProd(l, f, f);
  const tail = l.mul(l.mul(f, f2), horner(l, f, POW_LOG_P));
  const [sh, sl] = twoSum(l, f, l.mul(f2, l.f(-0.5)));
  const [lh, ll] = twoSum(l, sh, l.add(l.sub(sl, l.mul(f2e, l.f(0.5))), tail));
  const [ph, pe] = twoProd(l, lh, l.f(LOG2E_HI));
  const pl = l.add(pe, l.add(l.mul(lh, l.f(LOG2E_LO)), l.mul(ll, l.f(LOG2E_HI))));
  const [th, te] = twoSum(l, e, ph);
  const [Lh, Ll] = twoSum(l, th, l.add(te, pl));
  const [yh, ye] = twoProd(l, Lh, y);
  return twoSum(l, yh, l.add(ye, l.mul(Ll, y)));
}

const LN2 = 0.6931471824645996;

/**
 * pow(x, y) with JavaScript's Math.pow special cases (which the float64 kernels follow): y = ±0
 * gives 1 (even for NaN x), a NaN y gives NaN, |x| = 1 with y = ±inf gives NaN, a negative x
 * needs an integer y (its parity sets the sign), ±0 and ±inf as the IEEE table.
 */
const powCore = <V>(l: Lanes<V>, x: V, y: V): V => {
  const ax = l.abs(x);
  // |y| ≥ 2^40 overflows or underflows unless |x| = 1 (then log2|x| = 0 and the result is 1 either
  // way): the clamp keeps Dekker's split finite.
  const [th, tl] = yLog2(l, ax, l.min(l.max(y, l.f(-(2 ** 40))), l.f(2 ** 40)));
  // 2^(th + tl) = 2^k·2^r: k = round(th), r small; past the overflow/underflow thresholds th is
  // clamped and tl (then meaningless) dropped.
  const tc = l.min(l.max(th, l.f(-160)), l.f(140));
  const kf = roundInt(l, tc);
  const w = l.mul(l.add(l.sub(tc, kf), l.sel(l.eq(tc, th), tl, l.f(0))), l.f(LN2));
  const u = l.add(w, l.mul(l.mul(w, w), horner(l, w, EXPM1_Q)));
  const mag = scale(l, l.add(u, l.f(1)), l.toInt(kf));
  // Special magnitudes: |x| ∈ {0, inf} or y = ±inf (the core's log of 0 or inf is garbage).
  const yInf = l.eq(l.abs(y), l.f(Infinity));
  const grows = l.sel(yInf, l.lt(l.f(1), ax), l.eq(ax, l.f(Infinity))); // the result is +inf for y > 0, 0 for y < 0
  const shrinks = l.sel(yInf, l.lt(ax, l.f(1)), l.eq(ax, l.f(0)));
  const pos = l.lt(l.f(0), y);
  const inf = l.or(l.and(grows, pos), l.and(shrinks, l.not(pos)));
  let res = l.sel(l.or(grows, shrinks), l.sel(inf, l.f(Infinity), l.f(0)), mag);
  // The sign: negative x (and -0, -inf) with an odd integer y; a negative finite x with a non-integer y is NaN.
  const isInt = l.eq(l.floor(y), y);
  const half = l.mul(y, l.f(0.5));
  const odd = l.and(isInt, l.not(l.eq(l.floor(half), half)));
  const negX = l.ilt(l.bits(x), l.i(0));
  res = l.sel(l.and(negX, odd), l.neg(res), res);
  const negFinite = l.and(l.lt(x, l.f(0)), l.lt(ax, l.f(Infinity)));
  res = l.sel(l.and(negFinite, l.not(l.or(isInt, yInf))), l.f(NaN), res);
  res = l.sel(l.and(yInf, l.eq(ax, l.f(1))), l.f(NaN), res);
  res = l.sel(l.or(l.not(l.eq(x, x)), l.not(l.eq(y, y))), l.f(NaN), res);
  return l.sel(l.eq(y, l.f(0)), l.f(1), res);
};

/** Every function as one program: the single definition both interpreters run. */
const PROGRAMS: Record<VecMathOp, Program> = {
  exp: (l, x) => expCore(l, x),
  expm1: (l, x) => passTiny(l, x, expm1Core(l, x)),
  log: logCore,
  log1p: log1pCore,
  tanh: tanhCore,
  logistic: logisticCore,
  // sin(-0) = -0: the one input where the reduced argument is an exact zero.
  sin: (l, x) => l.sel(l.eq(x, l.f(0)), x, sinCos(l, x, "sin")),
  cos: (l, x) => sinCos(l, x, "cos"),
  erf: erfCore,
  pow: powCore,
};

/** Functions of two arguments (base, then exponent). */
const isBinary = (fn: VecMathOp) => fn === "pow";

/** Local allocation for an emitted function: the caller owns the numbering of its function's locals. */
export interface VecMathCtx {
  /** A fresh local of the given type; its index. */
  local(type: ValType): number;
  /**
   * The function index of an import of `VECMATH_HOST[fn]`, type (f32) → f32, that the caller
   * adds to its module (as `vecmath.<fn>`, say) and instantiates with `VECMATH_HOST`'s function.
   */
  hostFn(fn: HostFn): number;
}

const f32x4Const = (c: number): Bytes => {
  const b = new DataView(new ArrayBuffer(16));
  for (let i = 0; i < 4; i++) b.setFloat32(4 * i, c, true);
  return v.const(Array.from(new Uint8Array(b.buffer)));
};
const i32x4Const = (c: number): Bytes => {
  const b = new DataView(new ArrayBuffer(16));
  for (let i = 0; i < 4; i++) b.setInt32(4 * i, c, true);
  return v.const(Array.from(new Uint8Array(b.buffer)));
};

/**
 * The wasm interpreter of a program: a value is the bytes that push it (`local.get`, or a
 * constant); each operation stores its result in a fresh v128 local, appending to `body`.
 */
function wasmLanes(ctx: VecMathCtx, body: Bytes): Lanes<Bytes> {
  const emit = (...parts: Bytes[]): Bytes => {
    const i = ctx.local(T.v128);
    body.push(...parts.flat(), ...op.set(i));
    return op.get(i);
  };
  const bin = (code: Bytes) => (a: Bytes, b: Bytes) => emit(a, b, code);
  const un = (code: Bytes) => (a: Bytes) => emit(a, code);
  return {
    f: f32x4Const, i: i32x4Const,
    add: bin(v.f32x4Add), sub: bin(v.f32x4Sub), mul: bin(v.f32x4Mul), div: bin(v.f32x4Div),
    min: bin(v.f32x4Min), max: bin(v.f32x4Max),
    abs: un(v.f32x4Abs), neg: un(v.f32x4Neg), floor: un(v.f32x4Floor),
    lt: bin(v.f32x4Lt), le: bin(v.f32x4Le), ge: bin(v.f32x4Ge), eq: bin(v.f32x4Eq),
    sel: (m, a, b) => emit(a, b, m, v.bitselect),
    not: un(v.not), or: bin(v.or), and: bin(v.and),
    iadd: bin(v.i32x4Add), isub: bin(v.i32x4Sub), iand: bin(v.and), imin: bin(v.i32x4MinS), ieq: bin(v.i32x4Eq), ilt: bin(v.i32x4LtS),
    shl: (a, n) => emit(a, op.i32Const(n), v.i32x4Shl),
    shr: (a, n) => emit(a, op.i32Const(n), v.i32x4ShrS),
    bits: (a) => a, float: (a) => a,
    // The exponent field.
    pow2: (k) => emit(k, i32x4Const(127), v.i32x4Add, op.i32Const(23), v.i32x4Shl),
    toInt: un(v.i32x4TruncSatF32x4S), toFloat: un(v.f32x4ConvertI32x4S),
    host: (fn, x, m, res) => {
      // Rare lanes: one any_true test per vector; then lane by lane, a call where the mask is set.
      const out = ctx.local(T.v128);
      body.push(...res, ...op.set(out), ...m, ...v.anyTrue, ...op.if());
      for (let lane = 0; lane < 4; lane++) {
        body.push(...m, ...v.i32x4ExtractLane(lane), ...op.if());
        body.push(...op.get(out), ...x, ...v.f32x4ExtractLane(lane), ...op.call(ctx.hostFn(fn)), ...v.f32x4ReplaceLane(lane), ...op.set(out), ...op.end);
      }
      body.push(...op.end);
      return op.get(out);
    },
  };
}

/**
 * The instructions of one float32 vector function: they consume the f32x4 argument on top of
 * the stack (pow: the base, then the exponent on top) and leave the f32x4 result. They use
 * v128 locals from `ctx.local` (a few dozen) and, for sin and cos, the host import `ctx.hostFn`.
 * @example
 * // In a function with one parameter (ptr): local i is locals[i - 1], so push returns the index.
 * const locals: ValType[] = [];
 * const ctx = { local: (t: ValType) => locals.push(t), hostFn: (fn: HostFn) => hostImportIndex[fn] };
 * const body = [...op.get(0), ...op.get(0), ...v.load(), ...emitVecMath("tanh", ctx), ...v.store(), ...op.end];
 */
export function emitVecMath(fn: VecMathOp, ctx: VecMathCtx): Bytes {
  const x = ctx.local(T.v128), y = isBinary(fn) ? ctx.local(T.v128) : x;
  const body: Bytes = isBinary(fn) ? [...op.set(y), ...op.set(x)] : [...op.set(x)];
  const res = PROGRAMS[fn](wasmLanes(ctx, body), op.get(x), op.get(y));
  return [...body, ...res];
}

/**
 * A module exporting `run(ptr, n)`: the function applied in place to n float32 values at byte
 * offset ptr of the imported `env.memory` (n a multiple of 4; pow's exponents follow the n
 * bases, at ptr + 4n); it imports `VECMATH_HOST` as
 * `vecmath`. For tests, the accuracy sweep and measurements; kernels inline `emitVecMath` instead.
 * @example
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const imports = { env: { memory }, vecmath: VECMATH_HOST };
 * const { run } = new WebAssembly.Instance(new WebAssembly.Module(vecMathModule("exp")), imports).exports;
 */
export function vecMathModule(fn: VecMathOp): Uint8Array<ArrayBuffer> {
  // Parameters: 0 ptr, 1 n; local 2: the end pointer, 3: the bytes from x to y; the function's locals follow.
  const locals: ValType[] = [T.i32, T.i32];
  const hosts = Object.keys(VECMATH_HOST) as HostFn[];
  const ctx: VecMathCtx = { local: (t) => locals.push(t) + 1, hostFn: (h) => hosts.indexOf(h) };
  const body: Bytes = [
    ...op.get(1), ...op.i32Const(2), ...op.i32Shl, ...op.tee(3), ...op.get(0), ...op.i32Add, ...op.set(2),
    ...op.block(), ...op.loop(),
    ...op.get(0), ...op.get(2), ...op.i32GeU, ...op.brIf(1),
    ...op.get(0), ...op.get(0), ...v.load(), ...(isBinary(fn) ? [...op.get(0), ...op.get(3), ...op.i32Add, ...v.load()] : []),
    ...emitVecMath(fn, ctx), ...v.store(),
    ...op.get(0), ...op.i32Const(16), ...op.i32Add, ...op.set(0), ...op.br(0),
    ...op.end, ...op.end, ...op.end,
  ];
  const imports = hosts.map((h) => ({ module: "vecmath", name: h, type: { params: [T.f32], results: [T.f32] } }));
  return buildModule({ memory: { minPages: 1 }, imports, funcs: [{ type: { params: [T.i32, T.i32], results: [] }, locals, body, export: "run" }] });
}

/** A float32 constant as JavaScript source that evaluates to exactly that number. */
function jsConst(c: number): string {
  if (Number.isNaN(c)) return "NaN";
  if (c === Infinity) return "Infinity";
  if (c === -Infinity) return "-Infinity";
  return Object.is(c, -0) ? "-0" : String(Math.fround(c));
}

/**
 * The JavaScript interpreter of a program: one `const` per operation, float results through
 * `Math.fround`, int32 results through `| 0`, masks as booleans, bit reinterpretation through a
 * shared Float32Array/Int32Array pair (`F32`, `I32`).
 */
function jsLanes(lines: string[]): Lanes<string> {
  const emit = (expr: string): string => {
    const name = `t${lines.length}`;
    lines.push(`const ${name} = ${expr};`);
    return name;
  };
  const fr = (e: string) => emit(`Math.fround(${e})`);
  return {
    f: jsConst, i: (c) => String(c | 0),
    add: (a, b) => fr(`${a} + ${b}`), sub: (a, b) => fr(`${a} - ${b}`), mul: (a, b) => fr(`${a} * ${b}`), div: (a, b) => fr(`${a} / ${b}`),
    min: (a, b) => emit(`Math.min(${a}, ${b})`), max: (a, b) => emit(`Math.max(${a}, ${b})`),
    abs: (a) => emit(`Math.abs(${a})`), neg: (a) => emit(`-(${a})`), floor: (a) => emit(`Math.floor(${a})`),
    lt: (a, b) => emit(`${a} < ${b}`), le: (a, b) => emit(`${a} <= ${b}`), ge: (a, b) => emit(`${a} >= ${b}`), eq: (a, b) => emit(`${a} === ${b}`),
    sel: (m, a, b) => emit(`${m} ? ${a} : ${b}`),
    not: (m) => emit(`!${m}`), or: (m, n) => emit(`${m} || ${n}`), and: (m, n) => emit(`${m} && ${n}`),
    iadd: (a, b) => emit(`(${a} + ${b}) | 0`), isub: (a, b) => emit(`(${a} - ${b}) | 0`), iand: (a, b) => emit(`${a} & ${b}`),
    imin: (a, b) => emit(`${a} < ${b} ? ${a} : ${b}`), ieq: (a, b) => emit(`${a} === ${b}`), ilt: (a, b) => emit(`${a} < ${b}`),
    shl: (a, n) => emit(`${a} << ${n}`), shr: (a, n) => emit(`${a} >> ${n}`),
    bits: (a) => emit(`(F32[0] = ${a}, I32[0])`), float: (a) => emit(`(I32[0] = ${a}, F32[0])`),
    // A table read: no store-to-load round trip through the scratch arrays (the same value).
    pow2: (k) => emit(`POW2[${k} + 127]`),
    toInt: (a) => emit(`${a} | 0`), toFloat: (a) => fr(a),
    host: (fn, x, m, res) => emit(`${m} ? Math.fround(HOST.${fn}(${x})) : ${res}`),
  };
}

/** The JavaScript source of one function's twin (a function of `x`, closing over `F32`, `I32`, `POW2`, `HOST`). */
export function vecMathJsSource(fn: VecMathOp): string {
  const lines = ["const x0 = Math.fround(x);", ...(isBinary(fn) ? ["const y0 = Math.fround(y);"] : [])];
  const res = PROGRAMS[fn](jsLanes(lines), "x0", isBinary(fn) ? "y0" : "x0");
  return `function f32${fn}(x, y) {\n  ${lines.join("\n  ")}\n  return ${res};\n}`;
}

const f32Scratch = new Float32Array(1);
/** 2^(i - 127) for i in [1, 254]: the twin's `pow2`. */
const POW2 = Float32Array.from({ length: 256 }, (_, i) => 2 ** (i - 127));
const i32Scratch = new Int32Array(f32Scratch.buffer);

/**
 * The scalar JavaScript twin of each vector function: for a float32 input it returns, bit for bit,
 * what one lane of `emitVecMath(fn)` computes (any NaN is NaN). The JS target calls these for
 * float32 results, so a JS kernel and a wasm kernel agree.
 * @example VECMATH_JS.exp(1) // 2.7182817459106445 (Math.fround(Math.E))
 */
export const VECMATH_JS = Object.fromEntries(
  VECMATH_OPS.map((fn) => [fn, new Function("F32", "I32", "POW2", "HOST", `return ${vecMathJsSource(fn)};`)(f32Scratch, i32Scratch, POW2, VECMATH_HOST)]),
) as Record<VecMathOp, (x: number, y?: number) => number>;

/**
 * What the accuracy of each function is measured against: float64 functions (the interpreter's
 * erf for erf), whose float32 rounding is the correctly rounded result almost everywhere.
 */
export const VECMATH_REFERENCE: Record<VecMathOp, (x: number, y: number) => number> = {
  pow: Math.pow, exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, tanh: Math.tanh, sin: Math.sin, cos: Math.cos, erf: erfF64,
  logistic: (x) => (x < 0 ? Math.exp(x) / (1 + Math.exp(x)) : 1 / (1 + Math.exp(-x))),
};

/**
 * The error of a float32 result against a float64 reference in float32 ulps (the spacing of
 * float32 numbers at the reference; 2^-149 among subnormals). Special values are exact or
 * infinitely wrong: a reference that rounds to ±inf must give it, NaN must give NaN, and a zero
 * must have the reference's sign.
 * @example ulpError(Math.fround(Math.E) , Math.E) // 0.27…
 */
export function ulpError(got: number, ref: number): number {
  const r32 = Math.fround(ref);
  if (!Number.isFinite(r32) || !Number.isFinite(got) || got === 0 || r32 === 0) {
    if (Object.is(got, r32) || (Number.isNaN(got) && Number.isNaN(r32))) return 0;
    if (got === 0 && r32 === 0) return Infinity; // a zero of the wrong sign
    if (Number.isNaN(got) || Number.isNaN(r32) || !Number.isFinite(got) || !Number.isFinite(r32)) return Infinity;
  }
  const a = Math.abs(ref);
  const ulp = 2 ** Math.max(Math.floor(Math.log2(a)) - 23, -149);
  return Math.abs(got - ref) / ulp;
}
