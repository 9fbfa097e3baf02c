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
  const sign = (x >>> 16) & 0x8000, a = x & 0x7fffffff;
  // NaN stays a quiet NaN; 65520 (65504 plus half an ulp: a tie, to even) and above is infinity.
  if (a >= 0x477ff000) return sign | (a > 0x7f800000 ? 0x7e00 : 0x7c00);
  // A normal half: rebias the exponent (127 - 15), drop 13 mantissa bits, half to even; a carry
  // into the exponent is the correct result. Integer ops only: this is every float16 store.
  if (a >= 0x38800000) return sign | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
  // A subnormal half (or zero), in units of 2^-24: adding 0.5 puts them in the float32 mantissa,
  // and the float32 store rounds half to even (0.5 + |x| is exact in float64 wherever it matters:
  // below 2^-25 everything rounds to 0 either way).
  f32[0] = Math.abs(f32[0]!) + 0.5;
  return sign | (u32[0]! - 0x3f000000);
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
 * The bfloat16 bit pattern nearest to `v`: `v` rounded to float32, then its top 16 bits rounded
 * half to even (as JAX/XLA convert float32 to bfloat16). Overflow gives ±Infinity; NaN stays a
 * quiet NaN.
 * @example numberToBfloat16Bits(1) // 0x3f80;  numberToBfloat16Bits(1 + 2 ** -8) // 0x3f80 (tie to even)
 */
export function numberToBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) & 0x8000) | 0x7fc0;
  // A carry out of the mantissa moves into the exponent: the largest values round to infinity, as they should.
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * `v` rounded to the nearest bfloat16 value (through float32, half to even), as a number: what a
 * bfloat16 tensor holds.
 * @example roundToBfloat16(0.1) // 0.10009765625
 */
export function roundToBfloat16(v: number): number {
  return bfloat16BitsToNumber(numberToBfloat16Bits(v));
}

/**
 * `v` rounded to the nearest binary16 value (through float32, half to even), as a number: what a
 * float16 tensor holds. Overflow gives ±Infinity (past 65504 by half an ulp), NaN stays NaN.
 * @example roundToHalf(0.1) // 0.0999755859375
 */
export function roundToHalf(v: number): number {
  return bits16Values("float16")[numberToHalfBits(v)]!; // the table: every float16 result rounds here
}

/** A 16-bit float format kiln stores as bit patterns: float16 (IEEE binary16) or bfloat16. */
export type Bits16 = "float16" | "bfloat16";

/**
 * How each 16-bit float format converts: its bits of a number (rounded half to even through
 * float32), the number of its bits (exact), and its rounding of a number.
 */
export const BITS16: { readonly [F in Bits16]: { readonly toBits: (v: number) => number; readonly fromBits: (b: number) => number; readonly round: (v: number) => number } } = {
  float16: { toBits: numberToHalfBits, fromBits: halfBitsToNumber, round: roundToHalf },
  bfloat16: { toBits: numberToBfloat16Bits, fromBits: bfloat16BitsToNumber, round: roundToBfloat16 },
};

/** The value of every bit pattern per format, indexed by the bits (256 KiB each, built on first use). */
const tables: { [F in Bits16]?: Float32Array } = {};

/**
 * The table of a 16-bit format's values by bit pattern: what JS kernels index to load a float16
 * or bfloat16 element (one table read; exact, as every such value is a float32).
 * @example bits16Values("float16")[0x3c00] // 1;  bits16Values("bfloat16")[0x3f80] // 1
 */
export function bits16Values(format: Bits16): Float32Array {
  const hit = tables[format];
  if (hit) return hit;
  const t = new Float32Array(65536), from = BITS16[format].fromBits;
  for (let h = 0; h < 65536; h++) t[h] = from(h);
  return (tables[format] = t);
}

/**
 * The values of an array of 16-bit patterns (a float16 or bfloat16 host buffer) as a Float32Array (exact).
 * @example bits16ToFloat32(Uint16Array.of(0x3c00, 0x3555), "float16") // Float32Array [1, 0.333251953125]
 */
export function bits16ToFloat32(bits: Uint16Array, format: Bits16): Float32Array {
  const t = bits16Values(format), out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}

/**
 * Values to 16-bit patterns of `format` (each rounded through float32, half to even), written
 * into `out` (a float16 or bfloat16 host buffer).
 * @example numbersToBits16([1, 0.1], new Uint16Array(2), "float16") // Uint16Array [0x3c00, 0x2e66]
 */
export function numbersToBits16(values: ArrayLike<number>, out: Uint16Array, format: Bits16): Uint16Array {
  const to = BITS16[format].toBits;
  for (let i = 0; i < values.length; i++) out[i] = to(values[i]!);
  return out;
}
