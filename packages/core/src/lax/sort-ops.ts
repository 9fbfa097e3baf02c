/**
 * The sort primitive's building blocks shared by `lax` and `np` (not part of either namespace):
 * every output of one sort, and a sort with its positions in either direction.
 */
import { type Tensor } from "../tensor.js";
import { iota } from "../np/compose-helpers.js";
import { apply } from "../np/util.js";

/** Every output of one sort primitive (sibling nodes: same operands and params but `index`). */
export function sortOperands(operands: readonly Tensor[], dimension: number, numKeys: number): Tensor[] {
  return operands.map((_, index) => apply("sort", operands, { dimension, numKeys, index }));
}

/**
 * `x` sorted along `axis` with the int32 positions that sort it (stable). `descending` is JAX's
 * `argsort(descending=True)`: the array and its positions are reversed before an ascending stable
 * sort and the result is reversed back, so equal values keep their input order and NaN comes first.
 */
export function sortWithIndices(x: Tensor, axis: number, descending: boolean): [Tensor, Tensor] {
  const pos = iota(x.shape, axis);
  if (!descending) {
    const [v, i] = sortOperands([x, pos], axis, 1);
    return [v!, i!];
  }
  const flip = (t: Tensor) => apply("flip", [t], { axes: [axis] });
  const [v, i] = sortOperands([flip(x), flip(pos)], axis, 1);
  return [flip(v!), flip(i!)];
}
