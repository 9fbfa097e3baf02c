/**
 * NumPy/JAX advanced indexing with several integer arrays (`x[rows, cols]`): the arrays broadcast
 * together and pick elements pointwise; their broadcast shape replaces the indexed axes when the
 * advanced components are adjacent and goes first when a slice separates them. Before, `get` and
 * `at` threw "only one integer-array index is supported" (found running jax-js's own test suite:
 * `x[diagIndices(n)]` is the JAX idiom for a diagonal).
 */
import { expect } from "chai";
import { type Tensor, grad, jit, np, slice, vmap } from "kiln";
import { useCpu } from "./util.js";

const seq = (shape: number[]) => np.arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);
const i32 = (v: unknown) => np.array(v as number[], { dtype: "int32" });
const read = (t: Tensor) => [t.shape, t.toArraySync()];

describe("advanced indexing with several integer arrays", () => {
  useCpu();
  const y = seq([2, 3, 4]);

  it("picks elements pointwise, as y[rows, cols] (checked against a JS model)", () => {
    const rows = [1, 0, 1, 1, 0], cols = [2, 0, 1, 2, 2];
    const model = rows.map((r, i) => Array.from({ length: 4 }, (_, k) => r * 12 + cols[i]! * 4 + k));
    expect(read(y.get(rows, cols))).to.deep.equal([[5, 4], model]);
    expect(read(np.get(y, i32(rows), i32(cols)))).to.deep.equal([[5, 4], model]);
    // three arrays: scalars out
    expect(read(y.get([1, 0], [2, 1], [3, 0]))).to.deep.equal([[2], [23, 4]]);
  });

  it("places the broadcast dims as NumPy: in place when adjacent, first when separated", () => {
    expect(read(y.get(slice(), [0, 2], [1, 3]))).to.deep.equal([[2, 2], [[1, 11], [13, 23]]]);
    expect(read(y.get([1, 0], slice(), [3, 0]))).to.deep.equal([[2, 3], [[15, 19, 23], [0, 4, 8]]]);
    // [2, 1] and [2] broadcast to [2, 2]; the adjacent integer does not separate them
    expect(read(y.get(i32([[0], [1]]), i32([0, 2]), 1))).to.deep.equal([[2, 2], [[1, 9], [13, 21]]]);
  });

  it("wraps negative Tensor indices and clamps out-of-range ones per axis (JAX)", () => {
    // 5 clamps to row 1 (not into a neighbouring block), -1 wraps to 2, 9 clamps to 2
    expect(read(y.get(i32([5, -1]), i32([-1, 9])))).to.deep.equal([[2, 4], [[20, 21, 22, 23], [20, 21, 22, 23]]]);
    expect(() => y.get([0, 2], [0, 0])).to.throw(/index 2 is out of bounds for axis 0 with size 2/);
    expect(() => y.get(i32([0, 1, 0]), i32([0, 1]))).to.throw(/cannot be broadcast/);
  });

  it("at().set/add scatter to the pointwise positions; out-of-range Tensor indices are dropped", () => {
    expect(np.at(np.zeros([3, 3]), [0, 1, 2], [2, 1, 0]).set(1).toArraySync()).to.deep.equal([[0, 0, 1], [0, 1, 0], [1, 0, 0]]);
    expect(np.at(np.zeros([3, 3]), i32([0, 5, 0]), i32([1, 1, 1])).add(1).toArraySync()).to.deep.equal([[0, 2, 0], [0, 0, 0], [0, 0, 0]]);
    const n = 4;
    const diag = Array.from({ length: n }, (_, i) => i);
    expect(seq([n, n]).get(diag, diag).toArraySync()).to.deep.equal([0, 5, 10, 15]);
  });

  it("takeAlongAxis without an axis takes along the last (NumPy >= 2.3's default; JAX's axis is required)", () => {
    expect(np.takeAlongAxis(seq([2, 2]), i32([[0], [1]]), undefined).toArraySync()).to.deep.equal([[0], [3]]);
    expect(() => np.takeAlongAxis(seq([2, 2]), i32([[0], [1]]), "1" as never)).to.throw(/axis must be an integer, got string 1$/);
  });

  it("composes with grad, jit and vmap", () => {
    const g = grad((x: Tensor) => x.get([0, 1, 0], [1, 0, 1]).sum())(np.ones([2, 2])) as Tensor;
    expect(g.toArraySync()).to.deep.equal([[0, 2], [1, 0]]);
    const f = jit((x: Tensor, r: Tensor, c: Tensor) => x.get(r, c));
    expect(f(seq([2, 2]), i32([0, 1]), i32([1, 1])).toArraySync()).to.deep.equal([1, 3]);
    expect(f(seq([2, 2]), i32([1]), i32([0])).toArraySync()).to.deep.equal([2]);
    expect(vmap((x: Tensor) => x.get([0, 1], [1, 0]))(seq([2, 2, 2])).toArraySync()).to.deep.equal([[1, 2], [5, 6]]);
  });
});
