/**
 * JAX names and readback that code ported from JAX (or run through a name shim from jax-js)
 * relies on: bool readback as JS booleans, the NumPy 2 array-API aliases jax.numpy has,
 * `jnp.isscalar` of 0-d arrays, `jax.nn.logsumexp`.
 */
import { expect } from "chai";
import { ValueError, grad, nn, np, type NestedBooleans } from "kiln";

describe("bool readback (NumPy's and JAX's tolist/item give bools)", () => {
  it("toArray/toArraySync/item/itemSync of a bool tensor give JS booleans", async () => {
    const b = np.array([1, 5, 3]).gt(2);
    expect(b.toArraySync()).to.deep.equal([false, true, true]);
    expect(await b.toArray<NestedBooleans>()).to.deep.equal([false, true, true]);
    expect(np.array([[1], [3]]).gt(2).toArraySync()).to.deep.equal([[false], [true]]);
    expect(np.any([0, 1]).itemSync<boolean>()).to.equal(true);
    expect(await np.all([0, 1]).item<boolean>()).to.equal(false);
    expect(np.array(true).toArraySync()).to.equal(true);
  });
  it("data()/dataSync() stay typed arrays of 0/1; numeric tensors still read numbers", async () => {
    const b = np.array([1, 5]).gt(2);
    expect(Array.from(b.dataSync())).to.deep.equal([0, 1]);
    expect(Array.from(await b.data())).to.deep.equal([0, 1]);
    expect(np.array([1, 2]).toArraySync()).to.deep.equal([1, 2]);
    expect(np.array([0, 1], { dtype: "int32" }).itemSync).to.be.a("function");
    expect(np.array(7, { dtype: "int32" }).itemSync()).to.equal(7);
  });
});

describe("JAX's array-API aliases", () => {
  const x = np.array([-0.5, 0, 0.75]);
  const same = (a: unknown, b: unknown) => expect((a as { toArraySync(): unknown }).toArraySync()).to.deep.equal((b as { toArraySync(): unknown }).toArraySync());
  it("aliases are the same functions as the classic names", () => {
    expect(np.absolute).to.equal(np.abs);
    expect(np.acos).to.equal(np.arccos);
    expect(np.asin).to.equal(np.arcsin);
    expect(np.atan).to.equal(np.arctan);
    expect(np.atan2).to.equal(np.arctan2);
    expect(np.pow).to.equal(np.power);
    expect(np.concat).to.equal(np.concatenate);
    expect(np.permuteDims).to.equal(np.transpose);
    expect(np.bitwiseInvert).to.equal(np.invert);
    expect(np.bitwiseNot).to.equal(np.invert);
    expect(np.bitwiseLeftShift).to.equal(np.leftShift);
    expect(np.bitwiseRightShift).to.equal(np.rightShift);
    expect(np.asinh).to.equal(np.arcsinh);
    expect(np.acosh).to.equal(np.arccosh);
    expect(np.atanh).to.equal(np.arctanh);
  });
  it("inverse hyperbolics match Math.asinh/acosh/atanh, with NumPy's edge values", () => {
    const close = (t: { dataSync(): ArrayLike<number> }, ref: number[]) =>
      Array.from(t.dataSync()).forEach((v, i) => (Number.isNaN(ref[i]!) ? expect(v).to.be.NaN : !Number.isFinite(ref[i]!) ? expect(v).to.equal(ref[i]) : expect(v).to.be.closeTo(ref[i]!, 1e-6 * Math.max(1, Math.abs(ref[i]!)))));
    const xs = [-1e4, -2, -0.5, 0, 0.5, 2, 1e4];
    close(np.arcsinh(xs), xs.map(Math.asinh));
    close(np.arccosh([0.5, 1, 2, 1e4]), [NaN, 0, Math.acosh(2), Math.acosh(1e4)]);
    close(np.arctanh([-1, -0.5, 0, 0.5, 1, 2]), [-Infinity, Math.atanh(-0.5), 0, Math.atanh(0.5), Infinity, NaN]);
    expect(np.arcsinh(np.array([1], { dtype: "int32" })).dtype).to.equal("float32");
    expect(grad((t) => np.arcsinh(t).sum())(x).dataSync()[2]).to.be.closeTo(1 / Math.sqrt(1 + 0.75 ** 2), 1e-6);
  });
  it("cumulativeSum / cumulativeProd: 0-d input is one element, includeInitial, axis required beyond 1-D", () => {
    expect(np.cumulativeSum(5).toArraySync()).to.deep.equal([5]);
    expect(np.cumulativeSum([1, 2, 3], { includeInitial: true }).toArraySync()).to.deep.equal([0, 1, 3, 6]);
    expect(np.cumulativeProd([[1, 2], [3, 4]], { axis: 1, includeInitial: true }).toArraySync()).to.deep.equal([[1, 1, 2], [1, 3, 12]]);
    same(np.cumulativeSum([[1, 2], [3, 4]], { axis: 0 }), np.cumsum([[1, 2], [3, 4]], { axis: 0 }));
    expect(() => np.cumulativeSum([[1, 2], [3, 4]])).to.throw(ValueError, /cumulativeSum: axis must be given/);
  });
  it("isscalar is true for a 0-d Tensor (jnp.isscalar), false for higher rank", () => {
    expect(np.isscalar(np.array(2))).to.equal(true);
    expect(np.isscalar(np.array([2]))).to.equal(false);
  });
  it("isposinf / isneginf", () => {
    expect(np.isposinf([-Infinity, 1, Infinity, NaN]).toArraySync()).to.deep.equal([false, false, true, false]);
    expect(np.isneginf(np.array([-Infinity, 1, Infinity]).astype("float64")).toArraySync()).to.deep.equal([true, false, false]);
    expect(np.isneginf(np.array([1], { dtype: "int32" })).toArraySync()).to.deep.equal([false]);
  });
  it("nn.logsumexp is jax.nn.logsumexp", () => {
    expect(nn.logsumexp).to.equal(np.logsumexp);
    expect(nn.logsumexp([[0, 0]], 1).dataSync()[0]).to.be.closeTo(Math.log(2), 1e-6);
  });
  it("softmax over every axis with JAX's axis=None", () => {
    same(nn.softmax([[1, 2], [3, 4]], null), nn.softmax([[1, 2], [3, 4]], { axis: [0, 1] }));
  });
});
