/**
 * Concatenations that are strided views in disguise. A convolution's im2col stacks one strided
 * slice of its (padded) input per window offset; lowered piece by piece, a concatenate evaluates
 * every piece at every element and selects one (branch-free), so a 3×3 window costs nine loads
 * and eight selects per packed element. When every piece is a slice of the same source with the
 * same shape and steps, and the slices' starts step through a grid (window offsets, row-major),
 * the whole concatenation is one view of the source: the piece number splits into grid digits,
 * each digit moves the start by a constant vector, and the element costs one load.
 */
import { type Node } from "@kiln/core";

/** A concatenate of slices of one source whose starts are `start0 + Σ digit_j · deltas[j]`. */
export interface SliceFamily {
  readonly source: Node;
  readonly start0: readonly number[];
  readonly step: readonly number[];
  /** Grid sizes of the piece number, outermost first (their product is the number of pieces). */
  readonly radices: readonly number[];
  /** Start offset per grid digit (one vector per radix). */
  readonly deltas: readonly (readonly number[])[];
}

const sub = (a: readonly number[], b: readonly number[]) => a.map((v, i) => v - b[i]!);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Mixed-radix decomposition of a list of start vectors: the innermost digit is the run over which
 * the starts advance by one constant vector, the outer digits recurse on every run's first start.
 * @example
 * mixedRadix([[0, 0], [0, 1], [1, 0], [1, 1]]); // { radices: [2, 2], deltas: [[1, 0], [0, 1]] }
 */
export function mixedRadix(starts: readonly (readonly number[])[]): { radices: number[]; deltas: number[][] } | null {
  const n = starts.length;
  if (n === 1) return { radices: [], deltas: [] };
  const d = sub(starts[1]!, starts[0]!);
  const at = (base: readonly number[], j: number) => base.map((v, i) => v + j * d[i]!);
  let r = 2;
  while (r < n && same(starts[r]!, at(starts[0]!, r))) r++;
  if (n % r !== 0) return null;
  for (let k = 0; k < n; k++) if (!same(starts[k]!, at(starts[k - (k % r)]!, k % r))) return null;
  const outer = mixedRadix(starts.filter((_, k) => k % r === 0));
  return outer && { radices: [...outer.radices, r], deltas: [...outer.deltas, d] };
}

const families = new WeakMap<Node, SliceFamily | null>();

/**
 * The slice family a concatenate is, or null (memoized per node): at least two pieces, each a
 * `slice` of the same source with equal shapes and steps and starts on a grid.
 * @example
 * sliceFamily(concatenate([x[:, 0:4:2], x[:, 1:5:2]], axis 1)); // { source: x, radices: [2], deltas: [[0, 1]], ... }
 */
export function sliceFamily(n: Node<"concatenate">): SliceFamily | null {
  let f = families.get(n);
  if (f !== undefined) return f;
  f = null;
  const pieces = n.inputs as readonly Node[];
  const first = pieces[0]!;
  if (pieces.length >= 2 && pieces.every((p) => p.prim === "slice" && p.inputs[0] === first.inputs[0] && same(p.aval.shape, first.aval.shape))) {
    const params = pieces.map((p) => (p as Node<"slice">).params);
    if (params.every((p) => same(p.step, params[0]!.step))) {
      const grid = mixedRadix(params.map((p) => p.start));
      if (grid) f = { source: first.inputs[0]!, start0: params[0]!.start, step: params[0]!.step, ...grid };
    }
  }
  families.set(n, f);
  return f;
}
