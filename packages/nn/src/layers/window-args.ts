/**
 * Argument checking shared by the convolution and pooling layers: per-dimension integers
 * (`kernelSize: 3` or `[3, 5]`) and padding (`"SAME"`, `"VALID"`, a number, or per-dimension
 * numbers / `[lo, hi]` pairs), resolved to the forms `lax` takes.
 */
import { ValueError, describeValue, lax } from "@kiln/core";

/** `"SAME"`/`"VALID"` (any case), one pad for every side, or per spatial dimension a pad or `[lo, hi]`. */
export type PaddingLike = "SAME" | "VALID" | "same" | "valid" | number | readonly (number | readonly [number, number])[];

/**
 * `v` as `n` integers ≥ `min`: a number is repeated, an array must have length n.
 * @example perDim("Conv2d", "stride", 2, 2, 1) // [2, 2]
 */
export function perDim(who: string, name: string, v: unknown, n: number, min: number): number[] {
  const ok = (d: unknown): d is number => typeof d === "number" && Number.isInteger(d) && d >= min;
  if (ok(v)) return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every(ok)) return [...v];
  throw new ValueError(`${who}: ${name} must be an integer ≥ ${min} or ${n} of them, got ${describeValue(v)}`);
}

/**
 * The `lax` padding for `n` spatial dimensions.
 * @example paddingOf("Conv2d", 1, 2) // [[1, 1], [1, 1]]
 */
export function paddingOf(who: string, p: unknown, n: number): lax.Padding {
  if (typeof p === "string" && (p.toUpperCase() === "SAME" || p.toUpperCase() === "VALID")) return p.toUpperCase() as "SAME" | "VALID";
  const nonNeg = (d: unknown): d is number => typeof d === "number" && Number.isInteger(d) && d >= 0;
  const pair = (d: unknown): [number, number] | undefined => {
    if (nonNeg(d)) return [d, d];
    if (Array.isArray(d) && d.length === 2 && nonNeg(d[0]) && nonNeg(d[1])) return [d[0], d[1]];
    return undefined;
  };
  if (nonNeg(p)) return new Array(n).fill([p, p]);
  if (Array.isArray(p) && p.length === n) {
    const pairs = p.map(pair);
    if (pairs.every((q) => q !== undefined)) return pairs as [number, number][];
  }
  throw new ValueError(`${who}: padding must be "SAME", "VALID", a non-negative integer, or ${n} integers or [lo, hi] pairs, got ${describeValue(p)}`);
}
