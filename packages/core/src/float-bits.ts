/**
 * IEEE half (binary16) and bfloat16 bit patterns to and from JS numbers: float16 rounding (every
 * float16 value is a half, computed in float32 and rounded once), float16 host storage (a
 * `Uint16Array` of half bits, converted on every load and store) and checkpoint files.
 * Node 20 has neither `Float16Array` nor `DataView.getFloat16`, so the conversions are written out.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The float value of a binary16 bit pattern (exact: every half is a float32).
 * @example halfBitsToNumber(0x3c00) // 1
 */
export function halfBitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The binary16 bit pattern nearest to `v` (round half to even, as NumPy's `astype(float16)`);
 * values beyond the half range become ±Infinity, NaN stays a quiet NaN.
 * @example numberToHalfBits(1) // 0x3c00
 */
export function numberToHalfBits(v: number): number {
  f32[0] = v; // float32 first: kiln computes float16 in float32 and rounds (as NumPy converts float32 arrays)
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15; // the half exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full 24-bit significand into the 10-bit field.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    return sign | roundShift(full, shift);
  }
  // Normal: the carry of a round-up can ripple into the exponent, which is the correct result.
  return sign | ((e << 10) + roundShift(mant, 13));
}

/** `value >> shift`, rounded half to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && kept & 1) ? kept + 1 : kept;
}

/**
 * The float value of a bfloat16 bit pattern (the top half of a float32: exact).
 * @example bfloat16BitsToNumber(0x3f80) // 1
 */
export function bfloat16BitsToNumber(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/**
 * `v` rounded to the nearest binary16 value (through float32, half to even), as a number: what a
 * float16 tensor holds. Overflow gives ±Infinity (past 65504 by half an ulp), NaN stays NaN.
 * @example roundToHalf(0.1) // 0.0999755859375
 */
export function roundToHalf(v: number): number {
  return halfBitsToNumber(numberToHalfBits(v));
}

/**
 * The value of every half bit pattern, indexed by the bits: a float16 load is one table read
 * (256 KiB, built on first use). Exact, as every half is a float32.
 */
let halfTable: Float32Array | null = null;

/**
 * The table of half values by bit pattern (`halfValues()[0x3c00] === 1`): what JS kernels index
 * to load a float16 element.
 * @example halfValues()[0xc000] // -2
 */
export function halfValues(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = halfBitsToNumber(h);
  return (halfTable = t);
}

/**
 * The values of an array of half bit patterns (a float16 host buffer) as a Float32Array (exact).
 * @example halfBitsToFloat32(Uint16Array.of(0x3c00, 0x3555)) // Float32Array [1, 0.333251953125]
 */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  const t = halfValues(), out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}

/**
 * Values to half bit patterns (each rounded through float32 to the nearest half, half to even),
 * written into `out` (a float16 host buffer).
 * @example numbersToHalfBits([1, 0.1], new Uint16Array(2)) // Uint16Array [0x3c00, 0x2e66]
 */
export function numbersToHalfBits(values: ArrayLike<number>, out: Uint16Array): Uint16Array {
  for (let i = 0; i < values.length; i++) out[i] = numberToHalfBits(values[i]!);
  return out;
}
