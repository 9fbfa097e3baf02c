/**
 * Scalar arithmetic with NumPy's semantics where JavaScript's operators differ: floor division
 * and remainder as NumPy's `npy_divmod` defines them, and wrapping int32 powers. The reference
 * interpreter and the host (JavaScript) backend both call these, so the two agree by
 * construction; the WGSL prelude (backend/src/targets/webgpu/wgsl-prelude.ts) transcribes them.
 */

const copysignZero = (s: number): number => (s < 0 || Object.is(s, -0) ? -0 : 0);

/**
 * NumPy's `floor_divide` on floats: `(a - fmod(a, b)) / b`, moved down by one where the
 * remainder's sign differs from the divisor's, then snapped to the nearest integer. Unlike
 * `Math.floor(a / b)` it never rounds up through the division (`1 // 0.1` is 9, not 10) and it is
 * consistent with `remainderScalar`: `a == b * q + r` up to rounding. Special values:
 * `x // 0` is `x / 0` (±inf or NaN), `±inf // b` is NaN, `a // ±inf` is 0 or -1 by sign, and a
 * zero quotient takes the sign of `a / b`.
 * @example
 * floorDivideScalar(1, 0.1);       // 9 (the float64 0.1 is slightly above 1/10)
 * floorDivideScalar(1, -Infinity); // -1
 */
export function floorDivideScalar(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b; // C's fmod: exact
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return copysignZero(a / b);
  const floor = Math.floor(div);
  return div - floor > 0.5 ? floor + 1 : floor;
}

/**
 * NumPy's `remainder` on floats: `fmod(a, b)`, plus `b` where its sign differs from the
 * divisor's; a zero remainder takes the divisor's sign.
 * @example
 * remainderScalar(-3, 2); // 1
 * remainderScalar(4, -2); // -0
 */
export function remainderScalar(a: number, b: number): number {
  const r = a % b;
  if (r === 0) return copysignZero(b);
  return r < 0 !== b < 0 ? r + b : r;
}

/**
 * `a ** b` on int32 values as NumPy computes it: exact products wrapping modulo 2^32 (float64
 * `Math.pow` would round past 2^53 first); negative exponents give 0.
 * @example
 * powerInt32(7, 31); // 265001655, i.e. 7^31 mod 2^32 as int32
 */
export function powerInt32(a: number, b: number): number {
  if (b < 0) return 0;
  let r = 1, base = a | 0, e = b;
  while (e > 0) {
    if (e & 1) r = Math.imul(r, base);
    e >>>= 1;
    if (e) base = Math.imul(base, base);
  }
  return r;
}
