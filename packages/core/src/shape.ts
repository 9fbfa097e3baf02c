import { IndexError, ShapeError, describeValue, jsonOf } from "./errors.js";

export type Shape = readonly number[];

/**
 * The most elements one array may have: 2^31 - 1. Kernels index with 32-bit integers (WGSL `i32`,
 * the JS renderer's `| 0` arithmetic), and a bigger array could not be allocated or looped over in
 * reasonable time anyway (`np.zeros([1e6, 1e6]).sum()` would spin for hours). Checked whenever a
 * graph node is built, so an impossible size fails at once with a ShapeError instead of an 8 GB
 * allocation, an endless loop or an untyped RangeError.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmtShape(s: Shape): string {
  // Error messages format whatever a caller passed: String() of each entry, never the implicit
  // conversion that throws on a Symbol.
  return Array.isArray(s) ? `[${s.map(String).join(",")}]` : describeValue(s);
}

/** NumPy broadcasting of several shapes; throws a ShapeError naming the op and all shapes. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i]!;
      if (out[j] === 1) out[j] = d;
      else if (d !== 1 && d !== out[j]) {
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(" and ")} cannot be broadcast together (axis ${j - rank}: ${out[j]} vs ${d})`,
        );
      }
    }
  }
  return out;
}

/** Normalizes a possibly negative axis against `rank`; throws IndexError naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis)) throw new IndexError(`${op}: axis must be an integer, got ${describeValue(axis)}`);
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw new IndexError(`${op}: axis ${axis} is out of bounds for an array of rank ${rank}`);
  }
  return a;
}

/** Normalizes an `axis` option (number, array, or absent = all axes) into sorted unique axes. */
export function normAxes(op: string, axis: number | readonly number[] | undefined | null, rank: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  return axesInOrder(op, axis, rank, " or null").sort((a, b) => a - b);
}

/**
 * Distinct axes normalized to [0, rank), in the order given (`moveaxis` pairs them with
 * destinations); anything but an integer or an array of integers is an IndexError.
 * @example axesInOrder("moveaxis", [-1, 0], 3) // [2, 0]
 */
export function axesInOrder(op: string, axis: number | readonly number[], rank: number, orElse = ""): number[] {
  if (typeof axis !== "number" && !Array.isArray(axis)) {
    throw new IndexError(`${op}: axis must be an integer${orElse ? "," : " or"} an array of integers${orElse}, got ${describeValue(axis)}`);
  }
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = list.map((a) => normAxis(op, a, rank));
  if (new Set(out).size !== out.length) throw new IndexError(`${op}: repeated axis in ${jsonOf(axis)}`);
  return out;
}

/**
 * A user-given shape, validated: an array of non-negative safe integers whose product is at most
 * `MAX_ELEMENTS`. Returns a copy, so a caller mutating its array later changes nothing.
 * @example checkShape("zeros", [2, 3]) // [2, 3]; checkShape("zeros", [-1]) throws ShapeError
 */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: shape must be an array of non-negative integers, got ${describeValue(shape)}`);
  const out = Array.from(shape as unknown[]);
  const bad = out.findIndex((d) => !(typeof d === "number" && Number.isSafeInteger(d) && d >= 0));
  if (bad >= 0) {
    throw new ShapeError(`${op}: shape must be an array of non-negative integers, got ${describeValue(out[bad])} at position ${bad}`);
  }
  checkSize(op, out as number[]);
  return out as number[];
}

/**
 * Throws a ShapeError when an array of `shape` would have more than `MAX_ELEMENTS` elements.
 * @example checkSize("zeros", [1e6, 1e6]) // throws: 1e12 elements
 */
export function checkSize(op: string, shape: Shape): void {
  const n = sizeOf(shape);
  if (n > MAX_ELEMENTS) {
    throw new ShapeError(
      `${op}: an array of shape ${fmtShape(shape)} would have ${n} elements, more than the maximum of ${MAX_ELEMENTS} (2^31 - 1) per array`,
    );
  }
}
