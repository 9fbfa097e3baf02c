/** np.where's two forms (JAX): the elementwise choice, and the one-argument nonzero form. */
import { expect } from "chai";
import { type Tensor, ConcretizationError, ValueError, jit, np } from "kiln";

describe("np.where", () => {
  it("where(cond) is nonzero(cond): one index array per axis (was a ValueError about undefined)", () => {
    const c = np.array([[false, true], [true, true]]);
    expect(np.where(c).map((t) => t.toArraySync())).to.deep.equal([[0, 1, 1], [1, 0, 1]]);
    expect(np.where([0, 3, 0, 5]).map((t) => t.toArraySync())).to.deep.equal([[1, 3]]);
    // Under jit the count must be static, as JAX: size (and fillValue) in the options.
    const f = jit((x: Tensor) => np.where(x.gt(0), { size: 3, fillValue: -1 })[0]!);
    expect(f(np.array([1, -1, 2])).toArraySync()).to.deep.equal([0, 2, -1]);
    expect(() => jit((x: Tensor) => np.where(x.gt(0))[0]!)(np.array([1, -1]))).to.throw(ConcretizationError, /size/);
  });

  it("where(cond, x, y) chooses with broadcasting; x without y, or a fourth argument, is a ValueError", () => {
    expect(np.where([true, false], 1, [5, 6]).toArraySync()).to.deep.equal([1, 6]);
    expect(() => (np.where as (...a: unknown[]) => unknown)([true], 1)).to.throw(ValueError, /both x and y or neither/);
    expect(() => (np.where as (...a: unknown[]) => unknown)([true], 1, 2, 3)).to.throw(ValueError, /takes 3 positional arguments but 4/);
  });
});
