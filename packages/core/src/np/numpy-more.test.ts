/**
 * numpy-more.ts against NumPy 2.4 values (computed with python3 numpy and hard-coded here), JAX's
 * deviations from NumPy (clipped unravelIndex, -1 for all-NaN nanargmax, static size) and the
 * typed errors for bad input. The transforms (jit/grad/vmap) are in test/numpy-more.test.ts.
 */
import { expect } from "chai";
import { ConcretizationError, DTypeError, ShapeError, Tensor, ValueError, makeNode, np } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();
const all = (ts: Tensor[]) => ts.map(vals);
const i32 = (v: number[]) => np.array(v, { dtype: "int32" });

describe("np: more of jax.numpy's common functions (numpy-more.ts)", () => {
  it("ravel, atleast*, empty, identity, copy", () => {
    expect(vals(np.ravel([[1, 2], [3, 4]]))).to.deep.equal([1, 2, 3, 4]);
    expect(np.atleast1d(5).shape).to.deep.equal([1]);
    expect(np.atleast2d(5).shape).to.deep.equal([1, 1]);
    expect(np.atleast3d([1, 2]).shape).to.deep.equal([1, 2, 1]);
    expect(np.atleast3d([[1, 2]]).shape).to.deep.equal([1, 2, 1]);
    expect(np.atleast2d([1, 2], 3).map((t) => t.shape)).to.deep.equal([[1, 2], [1, 1]]);
    expect(vals(np.empty([2, 2]))).to.deep.equal([[0, 0], [0, 0]]);
    expect(np.empty([1], { dtype: "int32" }).dtype).to.equal("int32");
    expect(vals(np.identity(2, { dtype: "int32" }))).to.deep.equal([[1, 0], [0, 1]]);
    expect(vals(np.copy([1, 2]))).to.deep.equal([1, 2]);
    expect(() => np.atleast1d()).to.throw(ValueError, "atleast1d");
  });

  it("inner and kron (NumPy's values)", () => {
    expect(vals(np.inner([1, 2, 3], [4, 5, 6]))).to.equal(32);
    expect(vals(np.inner([[1, 2], [3, 4]], [[1, 2], [0, 1]]))).to.deep.equal([[5, 2], [11, 4]]);
    expect(vals(np.inner([[0, 1, 2], [3, 4, 5]], [0, 1, 2]))).to.deep.equal([5, 14]);
    expect(vals(np.inner(2, [1, 2]))).to.deep.equal([2, 4]);
    expect(vals(np.kron([[1, 2], [3, 4]], [[1, 1]]))).to.deep.equal([[1, 1, 2, 2], [3, 3, 4, 4]]);
    expect(vals(np.kron([1, 2], [[1], [10]]))).to.deep.equal([[1, 2], [10, 20]]);
    expect(() => np.inner([1, 2], [1, 2, 3])).to.throw(ShapeError);
  });

  it("nonzero, argwhere, flatnonzero, with and without a static size", () => {
    const x = [[0, 3], [4, 0]];
    expect(all(np.nonzero(x))).to.deep.equal([[0, 1], [1, 0]]);
    expect(vals(np.argwhere(x))).to.deep.equal([[0, 1], [1, 0]]);
    expect(vals(np.flatnonzero(x))).to.deep.equal([1, 2]);
    expect(np.flatnonzero(x).dtype).to.equal("int32");
    expect(vals(np.flatnonzero([0, 5], { size: 3, fillValue: -1 }))).to.deep.equal([1, -1, -1]);
    expect(all(np.nonzero([[1, 0], [1, 1]], { size: 2 }))).to.deep.equal([[0, 1], [0, 0]]); // cut to the first 2
    expect(vals(np.argwhere([[0, 0], [0, 7]], { size: 2, fillValue: 9 }))).to.deep.equal([[1, 1], [9, 9]]);
    expect(vals(np.argwhere([false, true, true]))).to.deep.equal([[1], [2]]);
    expect(np.argwhere(np.zeros([2, 0])).shape).to.deep.equal([0, 2]);
    expect(() => np.nonzero(3)).to.throw(ShapeError, "nonzero");
    expect(() => np.flatnonzero([1], { size: -1 })).to.throw(ValueError, "size");
    const traced = new Tensor(makeNode("input", [], { label: "x" }, { shape: [3], dtype: "float32" }));
    expect(() => np.flatnonzero(traced)).to.throw(ConcretizationError, /static size/);
    expect(np.argwhere(traced, { size: 2 }).shape).to.deep.equal([2, 1]);
  });

  it("interp and digitize (NumPy's values)", () => {
    expect(vals(np.interp([0, 1, 1.5, 2.25, 3, 5, NaN], [1, 2, 3], [3, 2, 0]))).to.deep.equal([3, 3, 2.5, 1.5, 0, 0, NaN]);
    expect(vals(np.interp([0, 4], [1, 2, 3], [3, 2, 0], { left: -1, right: 9 }))).to.deep.equal([-1, 9]);
    expect(vals(np.interp([0, 1, 2], [1], [7]))).to.deep.equal([7, 7, 7]);
    expect(vals(np.interp([1.5, 2, 2.5], [1, 2, 2, 3], [0, 1, 5, 6]))).to.deep.equal([0.5, 5, 5.5]);
    expect(np.interp(i32([1]), i32([0, 2]), i32([0, 4])).dtype).to.equal("float32");
    expect(() => np.interp(1, [1, 2], [1, 2, 3])).to.throw(ShapeError, "interp");
    const f64 = (v: number[]) => np.array(v, { dtype: "float64" });
    const periodic = (x: number[], xp: number[], fp: number[], period: number) => vals(np.interp(f64(x), f64(xp), f64(fp), { period })) as number[];
    const close = (got: number[], want: number[]) => got.forEach((g, i) => expect(g, `[${i}]`).to.be.closeTo(want[i]!, 1e-12));
    close(periodic([-170, 190], [-180, 0, 90], [0, 4, 2], 360), [0.22222222222222224, 0.22222222222222224]);
    close(periodic([-180, -170, -100, 0, 45, 90, 100, 180, 200, 360, 725], [190, -190, 350, -350], [5, 10, 3, 4], 360),
      [7.5, 5.0, 4.125, 3.5, 5.3125, 7.0, 7.375, 7.5, 4.875, 3.5, 3.75]);
    close(periodic([0.5, 7], [3, 1], [1, 2], -4), [1.75, 1]);
    expect(() => np.interp(1, [1, 2], [1, 2], { period: 0 })).to.throw(ValueError, "period");
    expect(vals(np.digitize([0.5, 1, 2.5, 4], [1, 2, 3]))).to.deep.equal([0, 1, 2, 3]);
    expect(vals(np.digitize([0.5, 1, 2.5, 4], [1, 2, 3], true))).to.deep.equal([0, 0, 2, 3]);
    expect(vals(np.digitize([0.5, 1, 2.5, 4], [3, 2, 1]))).to.deep.equal([3, 2, 1, 0]);
    expect(vals(np.digitize([0.5, 1, 2.5, 4], [3, 2, 1], true))).to.deep.equal([3, 3, 1, 0]);
    expect(() => np.digitize([1], [[1, 2]])).to.throw(ShapeError, "digitize");
  });

  it("unravelIndex and ravelMultiIndex (NumPy's values; JAX clips out-of-range flat indices)", () => {
    expect(all(np.unravelIndex([5, 1, 3], [2, 3]))).to.deep.equal([[1, 0, 1], [2, 1, 0]]);
    expect(all(np.unravelIndex([-1, 99], [2, 3]))).to.deep.equal([[1, 1], [2, 2]]);
    expect(vals(np.ravelMultiIndex([[1, 0], [2, 1]], [2, 3]))).to.deep.equal([5, 1]);
    expect(vals(np.ravelMultiIndex([[3, -1], [4, 1]], [2, 3], { mode: "wrap" }))).to.deep.equal([4, 4]);
    expect(vals(np.ravelMultiIndex([[3, -1], [4, 1]], [2, 3], { mode: "clip" }))).to.deep.equal([5, 1]);
    expect(() => np.ravelMultiIndex([[2], [0]], [2, 3])).to.throw(ValueError, "invalid entry");
    expect(() => np.ravelMultiIndex([[1]], [2, 3])).to.throw(ValueError, "one index array per dimension");
    expect(() => np.unravelIndex([1.5], [2, 3])).to.throw(DTypeError, "integers");
    expect(() => np.unravelIndex([1], [2, -3])).to.throw(ValueError, "shape");
  });

  it("triuIndices and trilIndices (NumPy's values)", () => {
    expect(all(np.triuIndices(3, 1))).to.deep.equal([[0, 0, 1], [1, 2, 2]]);
    expect(all(np.trilIndices(3))).to.deep.equal([[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]);
    expect(all(np.triuIndices(2, -1, 3))).to.deep.equal([[0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]]);
    expect(all(np.trilIndices(3, 1, 2))).to.deep.equal([[0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1]]);
    expect(() => np.triuIndices(2.5)).to.throw(ValueError, "triuIndices");
  });

  it("nanargmax, nanargmin (-1 for an all-NaN slice, as JAX) and nancumprod", () => {
    expect(vals(np.nanargmax([1, NaN, 3]))).to.equal(2);
    expect(vals(np.nanargmin([[NaN, 2], [1, NaN]], { axis: 1 }))).to.deep.equal([1, 0]);
    expect(vals(np.nanargmax([[NaN, NaN], [1, NaN]], { axis: 1, keepdims: true }))).to.deep.equal([[-1], [0]]);
    expect(vals(np.nanargmin(i32([3, 1, 2])))).to.equal(1);
    expect(vals(np.nancumprod([2, NaN, 3]))).to.deep.equal([2, 2, 6]);
    expect(vals(np.nancumprod([[1, NaN], [2, 3]], { axis: 0 }))).to.deep.equal([[1, 1], [2, 3]]);
    expect(() => np.nanargmax([])).to.throw(ValueError, "empty");
  });

  it("fillDiagonal and putAlongAxis return new arrays (NumPy's in-place values)", () => {
    expect(vals(np.fillDiagonal(np.zeros([3, 3]), [1, 2, 3]))).to.deep.equal([[1, 0, 0], [0, 2, 0], [0, 0, 3]]);
    expect(vals(np.fillDiagonal(np.zeros([5, 2]), [1, 2], { wrap: true }))).to.deep.equal([[1, 0], [0, 2], [0, 0], [1, 0], [0, 2]]);
    expect(vals(np.fillDiagonal(np.zeros([5, 2]), 7))).to.deep.equal([[7, 0], [0, 7], [0, 0], [0, 0], [0, 0]]);
    expect(vals(np.fillDiagonal(np.zeros([2, 2, 2]), 4))).to.deep.equal([[[4, 0], [0, 0]], [[0, 0], [0, 4]]]);
    expect(vals(np.fillDiagonal(np.zeros([2, 4]), [1, 2, 3]))).to.deep.equal([[1, 0, 0, 0], [0, 2, 0, 0]]);
    expect(() => np.fillDiagonal([1, 2], 0)).to.throw(ShapeError, "at least 2-d");
    expect(() => np.fillDiagonal(np.zeros([2, 3, 2]), 0)).to.throw(ShapeError, "equal length");
    expect(vals(np.putAlongAxis(i32([10, 30, 20, 1, 2, 3]).reshape([2, 3]), [[1], [-1]], 99, 1))).to.deep.equal([[10, 99, 20], [1, 2, 99]]);
    expect(vals(np.putAlongAxis(np.zeros([2, 3]), [[1, 0, 1]], [[5, 6, 7]], 0))).to.deep.equal([[0, 6, 0], [5, 0, 7]]);
    expect(() => np.putAlongAxis(np.zeros([2, 3]), [1, 0], 1, 0)).to.throw(ShapeError, "rank");
    expect(() => np.putAlongAxis(np.zeros([2, 3]), [[1]], 1, 2)).to.throw(ShapeError, "out of bounds");
    expect(() => np.putAlongAxis(np.zeros([2, 3]), [[0.5]], 1, 1)).to.throw(DTypeError, "integers");
  });

  it("gcd and lcm of integers (NumPy's values; the worst Euclid case, consecutive Fibonacci numbers)", () => {
    expect(vals(np.gcd([12, 20, 0, 0, -7], [18, -8, 5, 0, 21]))).to.deep.equal([6, 4, 5, 0, 7]);
    expect(vals(np.gcd(i32([1836311903]), i32([1134903170])))).to.deep.equal([1]);
    expect(vals(np.gcd(i32([1664080]), i32([1028458])))).to.deep.equal([2]);
    expect(np.gcd(i32([4]), 6).dtype).to.equal("int32");
    expect(vals(np.lcm([4, 6, 0, -3], [6, -4, 3, 7]))).to.deep.equal([12, 12, 0, 21]);
    expect(() => np.gcd(np.array([1.5]), 2)).to.throw(DTypeError, "integers");
    expect(() => np.lcm([1.5], [2])).to.throw(DTypeError, "integers");
  });

  it("ldexp, frexp and nextafter (NumPy's values, through the subnormals and overflow)", () => {
    const f32 = (v: number[]) => np.array(v, { dtype: "float32" });
    const tiny = 2 ** -149; // the smallest float32 subnormal
    expect(vals(np.ldexp(f32([1, 3, -0.5, 1, tiny, 3e38, 0, 1]), i32([3, -1, 2, -149, 140, -270, 500, 200])))).to.deep.equal(
      [8, 1.5, -2, tiny, 0.001953125, 1.5834672646870433e-43, 0, Infinity]);
    expect(vals(np.ldexp(np.array([3], { dtype: "float64" }), i32([-1074])))).to.deep.equal([1.5e-323]);
    expect(np.ldexp(i32([1]), [2]).dtype).to.equal("float32");
    const [m, e] = np.frexp(f32([8, -0.75, 0, 1e-40, 3e38, Infinity, NaN, 1]));
    expect(vals(m)).to.deep.equal([0.5, -0.75, 0, 0.5444488525390625, 0.8816207647323608, Infinity, NaN, 0.5]);
    expect(vals(e)).to.deep.equal([4, 0, 0, -132, 128, 0, 0, 1]);
    expect(e.dtype).to.equal("int32");
    const [m64, e64] = np.frexp(np.array([8, -0.75, 1e-310, 1e300], { dtype: "float64" }));
    expect(vals(m64)).to.deep.equal([0.5, -0.75, 0.5752618031559393, 0.7466108948025751]);
    expect(vals(e64)).to.deep.equal([4, 0, -1029, 997]);
    expect(vals(np.nextafter(f32([1, 1, 0, 0, -1, -1, 2, NaN, -0]), f32([2, 0, 1, -1, -2, 0, 2, 1, 1])))).to.deep.equal(
      [1.0000001192092896, 0.9999999403953552, tiny, -tiny, -1.0000001192092896, -0.9999999403953552, 2, NaN, tiny]);
    expect(() => np.ldexp([1], [0.5])).to.throw(DTypeError, "integer");
    expect(() => np.ldexp([1], np.array([0.5]))).to.throw(DTypeError, "integer");
    expect(() => np.nextafter(np.array([1], { dtype: "float64" }), 2)).to.throw(DTypeError, "float32 only");
    expect(() => np.frexp([true])).to.throw(DTypeError, "bool");
  });
});
