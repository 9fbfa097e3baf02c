/**
 * WGSL helper functions every kernel may call (unused ones cost nothing after compilation): the
 * parts of the reference semantics WGSL lacks or leaves to the driver — NaN-propagating max/min
 * and transcendentals, exact argument reduction for sin/cos/tan, expm1/log1p, JavaScript's pow,
 * exact fmod and NumPy's remainder, floor division, wrapping float → int32 casts. Each is written
 * to match core/interpret.ts on float32 values (see render/wgsl.ts for where they are used).
 */
export const WGSL_PRELUDE = `
var<private> kInf: f32;
var<private> kNaN: f32;
// Identity functions: an operation on constants only would be a WGSL constant expression, and
// evaluating one that overflows (1.0 / 0.0, exp(100.0)) is a compile error instead of Infinity.
fn rtf_(x: f32) -> f32 { return x; }
fn rti_(x: i32) -> i32 { return x; }
fn rtb_(x: bool) -> bool { return x; }
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn g_(y: f32, x: f32) -> f32 { return select(y, x, isnan_(x)); }
fn max_(a: f32, b: f32) -> f32 { return select(max(a, b), a + b, isnan_(a) || isnan_(b)); }
fn min_(a: f32, b: f32) -> f32 { return select(min(a, b), a + b, isnan_(a) || isnan_(b)); }
fn sign_(x: f32) -> f32 { return select(select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0), x, isnan_(x)); }
fn expm1_(x: f32) -> f32 {
  let u = exp(x);
  if (u == 1.0 || isnan_(x)) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (isinf_(u)) { return u; }
  return um1 * x / log(u);
}
fn log1p_(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0 || isnan_(x)) { return x; }
  if (isinf_(u) || u == 0.0) { return log(u); }
  return log(u) * x / (u - 1.0);
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
  else { return atan2(y, x); }
  return select(r, -r, ny);
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
  var f = f32((hi << 2u) | (lo >> 30u)) * 2.3283064365386963e-10 + f32(lo & 0x3fffffffu) * 2.168404344971009e-19;
  if (f >= 0.5) { f = f - 1.0; q = q + 1u; }
  var r = f * 1.5707963267948966;
  if (x < 0.0) { r = -r; q = 4u - (q & 3u); }
  return vec2<f32>(r, f32(q & 3u));
}
fn sin_(x: f32) -> f32 {
  if (!(abs(x) > 65536.0) || isinf_(x)) { return g_(sin(x), x); }
  let rq = rpio2_(x);
  let q = u32(rq.y);
  let v = select(sin(rq.x), cos(rq.x), (q & 1u) == 1u);
  return select(v, -v, q >= 2u);
}
fn cos_(x: f32) -> f32 {
  if (!(abs(x) > 65536.0) || isinf_(x)) { return g_(cos(x), x); }
  let rq = rpio2_(x);
  let q = u32(rq.y);
  let v = select(cos(rq.x), sin(rq.x), (q & 1u) == 1u);
  return select(v, -v, q == 1u || q == 2u);
}
fn tan_(x: f32) -> f32 {
  if (!(abs(x) > 0.78539816) || isinf_(x)) { return g_(tan(x), x); }
  let rq = rpio2_(x);
  let t = tan(rq.x);
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
  if (b < 0) { return 0; }
  // Wraps like repeated i32 multiplication, as the interpreter's intPow (no overflow to 0).
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
  let r = exp2(b * log2(ab));
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
fn frem_(a: f32, b: f32) -> f32 {
  let r = fmod_(a, b);
  return select(r, r + b, r != 0.0 && ((r < 0.0) != (b < 0.0)));
}
`;

