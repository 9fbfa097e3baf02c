import { IndexError, ShapeError } from "./errors.js";

export type Shape = readonly number[];

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
  return `[${s.join(",")}]`;
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
  if (!Number.isInteger(axis)) throw new IndexError(`${op}: axis must be an integer, got ${axis}`);
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw new IndexError(`${op}: axis ${axis} is out of bounds for an array of rank ${rank}`);
  }
  return a;
}

/** Normalizes an `axis` option (number, array, or absent = all axes) into sorted unique axes. */
export function normAxes(op: string, axis: number | readonly number[] | undefined | null, rank: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = list.map((a) => normAxis(op, a, rank));
  if (new Set(out).size !== out.length) throw new IndexError(`${op}: repeated axis in ${JSON.stringify(axis)}`);
  return out.sort((a, b) => a - b);
}

export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}
