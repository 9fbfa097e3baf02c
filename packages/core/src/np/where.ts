/**
 * `np.where` with JAX's two forms: `where(cond, x, y)` (the elementwise choice, elementwise.ts) and
 * `where(cond)` / `where(cond, { size, fillValue })` — the indices of the nonzero elements, one
 * array per axis (`nonzero`). Its own module, so elementwise.ts does not depend on numpy-more.ts.
 */
import { ValueError, describeValue } from "../errors.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { where as choose } from "./elementwise.js";
import { type NonzeroOptions, nonzero } from "./numpy-more.js";
import { isPlainObject, noExtraArgs } from "./positional.js";

/**
 * Chooses from `x` where `cond` is true, else from `y`, with broadcasting. With `cond` alone it
 * is `nonzero(cond)` (the indices where it is true, one array per axis; under jit pass
 * `{ size, fillValue }`), as `jax.numpy.where`.
 * @example np.where([true, false], 1, [5, 6]) // [1, 6]
 * @example np.where([[false, true], [true, true]]) // [[0, 1, 1], [1, 0, 1]]
 */
export function where(cond: ArrayLike, options?: NonzeroOptions): Tensor[];
export function where(cond: ArrayLike, x: ArrayLike, y: ArrayLike): Tensor;
export function where(cond: ArrayLike, x?: ArrayLike | NonzeroOptions, y?: ArrayLike, ...extra: undefined[]): Tensor | Tensor[] {
  if (y === undefined && (x === undefined || isPlainObject(x))) return nonzero(cond, x as NonzeroOptions | undefined);
  if (x === undefined || y === undefined) {
    throw new ValueError(`where: give both x and y or neither (JAX), got ${x === undefined ? "y" : "x"} = ${describeValue(x ?? y)} alone`);
  }
  noExtraArgs("where", 3, extra);
  return choose(cond, x as ArrayLike, y);
}
