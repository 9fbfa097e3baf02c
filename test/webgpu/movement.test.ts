/**
 * Issue 11 item 1 on webgpu: a flip or negative-step slice read through a reshape that merges three
 * or more axes (the index modulo of a negative value read out of bounds, i.e. zeros, before the
 * index simplifier kept divide/modulo arguments non-negative).
 */
import { expect } from "chai";
import { type Tensor, grad, jit, np, slice } from "kiln";
import { useWebgpu } from "./env.js";

describe("webgpu: movement chains through reshapes that merge 3+ axes", () => {
  useWebgpu();

  it("flip and negative-step slices after a reshape, eager and jit", async () => {
    const x = np.array([[[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, 5, 6]]]);
    expect(Array.from(await x.reshape([12]).flip(0).data())).to.deep.equal([6, 5, 4, 3, 2, 1, 6, 5, 4, 3, 2, 1]);
    const f = jit((v: Tensor) => v.reshape([12]).get(slice(null, null, -2)));
    expect(Array.from(await (f(x) as Tensor).data())).to.deep.equal([6, 4, 2, 6, 4, 2]);
  });

  it("grad(prod) over rank 3", async () => {
    const x = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 0.5]]]);
    const all = [1, 2, 3, 4, 5, 6, 7, 0.5];
    const total = all.reduce((p, v) => p * v, 1);
    expect(Array.from(await (grad((v: Tensor) => np.prod(v))(x) as Tensor).data())).to.deep.equal(all.map((v) => total / v));
  });
});
