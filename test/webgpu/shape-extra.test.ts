/**
 * A few of the shape-extra and poly compositions on webgpu (strided diagonal slices, the skewed
 * polymul reshape, roll's concatenations, the where-based tril), eager, under jit and under grad.
 */
import { expect } from "chai";
import { type Tensor, grad, jit, np } from "kiln";
import { useWebgpu } from "./env.js";

const data = async (t: Tensor) => Array.from(await t.data());

describe("webgpu: np shape-extra", () => {
  useWebgpu();

  it("diagonal, trace, roll, tril, diff, cross, polymul, polyval", async () => {
    const m = np.reshape(np.arange(12), [3, 4]);
    expect(await data(np.diagonal(m, { offset: 1 }))).to.deep.equal([1, 6, 11]);
    expect(await np.trace(m).item()).to.equal(15);
    expect(await data(np.roll(m, 1, 1))).to.deep.equal([3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10]);
    expect(await data(np.tril(m))).to.deep.equal([0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0]);
    expect(await data(np.diff(np.array([1, 2, 4, 7, 0]), 2))).to.deep.equal([1, 1, -10]);
    expect(await data(np.cross([1, 2, 3], [4, 5, 6]))).to.deep.equal([-3, 6, -3]);
    expect(await data(np.polymul([1, 2, 3], [9, 5, 1]))).to.deep.equal([9, 23, 38, 17, 3]);
    expect(await data(np.polyval([3, 0, 1], [5, -1]))).to.deep.equal([76, 4]);
    const f = jit((x: Tensor) => np.rot90(np.diag(np.diagonal(x))));
    expect(await data(f(np.reshape(np.arange(4), [2, 2])) as Tensor)).to.deep.equal([0, 3, 0, 0]);
  });

  it("grad through diagonal and polymul", async () => {
    const g = grad((x: Tensor) => np.sum(np.polymul(np.diagonal(x), [1, 1])))(np.reshape(np.arange(4), [2, 2])) as Tensor;
    // polymul(d, [1, 1]) sums each diagonal entry twice.
    expect(await data(g)).to.deep.equal([2, 0, 0, 2]);
  });
});
