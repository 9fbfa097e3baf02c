/**
 * array-edit.ts against NumPy 2.4 values (computed with python3 numpy, hard-coded here), JAX's
 * deviations (functional place/put, static size for compress/extract) and the typed errors.
 * The transforms are in test/np-surface.test.ts.
 */
import { expect } from "chai";
import { IndexError, ShapeError, ValueError, np, type Tensor } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();
const all = (ts: Tensor[]) => ts.map(vals);
const a23 = () => np.reshape(np.arange(6, { dtype: "int32" }), [2, 3]);

describe("np: insert, delete, compress, place, put, resize, choose, block, … (array-edit.ts)", () => {
  it("insert (NumPy's scalar and sequence rules, dtype of arr)", () => {
    expect(vals(np.insert(a23(), 1, [7, 8], 1))).to.deep.equal([[0, 7, 1, 2], [3, 8, 4, 5]]);
    expect(vals(np.insert(a23(), [1], [[7], [8]], { axis: 1 }))).to.deep.equal([[0, 7, 1, 2], [3, 8, 4, 5]]);
    expect(vals(np.insert(a23(), 1, [7, 8, 9], 0))).to.deep.equal([[0, 1, 2], [7, 8, 9], [3, 4, 5]]);
    expect(vals(np.insert([1, 2, 3], [0, 0, 3], [7, 8, 9]))).to.deep.equal([7, 8, 1, 2, 3, 9]);
    expect(vals(np.insert([1, 2, 3], -1, 5))).to.deep.equal([1, 2, 5, 3]);
    expect(vals(np.insert(a23(), 2, 9))).to.deep.equal([0, 1, 9, 2, 3, 4, 5]);
    expect(vals(np.insert([1, 2, 3], [2, 0], [7, 8]))).to.deep.equal([8, 1, 2, 7, 3]);
    expect(vals(np.insert([1, 2, 3], 1, [7, 8]))).to.deep.equal([1, 7, 8, 2, 3]);
    const ti = np.insert(np.array([1, 2], { dtype: "int32" }), 1, 3.7);
    expect([vals(ti), ti.dtype]).to.deep.equal([[1, 3, 2], "int32"]);
    expect(vals(np.insert([1, 2], [], 5))).to.deep.equal([1, 2]);
    expect(vals(np.insert(np.zeros([0]), 0, [1, 2]))).to.deep.equal([1, 2]);
    expect(() => np.insert([1, 2], 3, 0)).to.throw(IndexError, "insert");
    expect(() => np.insert([1, 2], 0.5, 0)).to.throw(IndexError, "obj");
    expect(() => np.insert([1, 2], [true, false], 0)).to.throw(IndexError, "boolean");
    expect(() => np.insert(a23(), 1, [1, 2], 0)).to.throw(ShapeError);
  });

  it("delete (positions, negative, repeated, boolean mask)", () => {
    expect(vals(np.delete(a23(), 1, 1))).to.deep.equal([[0, 2], [3, 5]]);
    expect(vals(np.delete(a23(), [0, 2]))).to.deep.equal([1, 3, 4, 5]);
    expect(vals(np.delete([1, 2, 3, 4], [true, false, true, false]))).to.deep.equal([2, 4]);
    expect(vals(np.delete([1, 2, 3], [-1, 0, 0]))).to.deep.equal([2]);
    expect(vals(np.delete(a23(), [], { axis: 0 }))).to.deep.equal([[0, 1, 2], [3, 4, 5]]);
    expect(() => np.delete([1, 2, 3], 5)).to.throw(IndexError, "out of bounds");
    expect(() => np.delete([1, 2, 3], [true])).to.throw(ValueError, "mask");
    expect(() => np.delete([1, 2, 3], np.array([1]))).to.throw(IndexError, "integers");
    expect(() => np.delete(a23(), 0, 2)).to.throw(IndexError);
  });

  it("compress and extract (static size, fillValue 0 as JAX)", () => {
    expect(vals(np.extract([[1, 0], [0, 1]], [[1, 2], [3, 4]]))).to.deep.equal([1, 4]);
    expect(vals(np.compress([0, 1], [[1, 2], [3, 4]], 0))).to.deep.equal([[3, 4]]);
    expect(vals(np.compress([false, true, true], [1, 2, 3, 4]))).to.deep.equal([2, 3]);
    expect(vals(np.compress([1, 0, 1], [[1, 2], [3, 4]]))).to.deep.equal([1, 3]);
    expect(vals(np.compress([true, false], [[1, 2], [3, 4]], { axis: 1 }))).to.deep.equal([[1], [3]]);
    expect(vals(np.compress([1, 0, 1], [1, 2, 3], { size: 3, fillValue: -1 }))).to.deep.equal([1, 3, -1]);
    expect(vals(np.extract([0, 1, 1], [4, 5, 6], { size: 1 }))).to.deep.equal([5]);
    expect(vals(np.extract([0, 0], [4, 5]))).to.deep.equal([]);
    expect(() => np.compress([[1]], [1])).to.throw(ShapeError, "1-D");
    expect(() => np.extract([1], [1], { axis: 0 } as never)).to.throw(ValueError);
  });

  it("place and put return the updated array (JAX's inplace=False)", () => {
    expect(vals(np.place([1, 2, 3, 4, 5], [false, false, true, true, true], [10, 20]))).to.deep.equal([1, 2, 10, 20, 10]);
    expect(vals(np.place([[1, 2], [3, 4]], [[true, false], [false, true]], 0, { inplace: false }))).to.deep.equal([[0, 2], [3, 0]]);
    expect(vals(np.put([1, 2, 3, 4, 5], [0, 2, -1], [9, 8]))).to.deep.equal([9, 2, 8, 4, 9]);
    expect(vals(np.put([[1, 2], [3, 4]], 3, 0))).to.deep.equal([[1, 2], [3, 0]]);
    expect(vals(np.put([1, 2, 3], [5, -7], [7, 8], "clip"))).to.deep.equal([8, 2, 7]);
    expect(vals(np.put([1, 2, 3], [4], [7], { mode: "wrap" }))).to.deep.equal([1, 7, 3]);
    expect(vals(np.put([1, 2, 3], [7], [7]))).to.deep.equal([1, 2, 3]); // "fill": out of range is dropped
    expect(() => np.place([1, 2], [true, false], [1], { inplace: true })).to.throw(ValueError, "inplace");
    expect(() => np.place([1, 2], [true], [1])).to.throw(ShapeError, "mask");
    expect(() => np.put([1, 2], [0], [1], "raise" as never)).to.throw(ValueError, "mode");
  });

  it("resize, trimZeros", () => {
    expect(vals(np.resize([1, 2, 3], [2, 4]))).to.deep.equal([[1, 2, 3, 1], [2, 3, 1, 2]]);
    expect(vals(np.resize([], [2]))).to.deep.equal([0, 0]);
    expect(vals(np.resize([[1, 2], [3, 4]], 5))).to.deep.equal([1, 2, 3, 4, 1]);
    expect(() => np.resize([1], [-1])).to.throw(ValueError, "newShape");
    expect(vals(np.trimZeros([0, 0, 1, 2, 0, 3, 0]))).to.deep.equal([1, 2, 0, 3]);
    expect(vals(np.trimZeros([0, 0, 1, 2, 0], "f"))).to.deep.equal([1, 2, 0]);
    expect(vals(np.trimZeros([0, 0, 1, 2, 0], "b"))).to.deep.equal([0, 0, 1, 2]);
    expect(vals(np.trimZeros([0, 0]))).to.deep.equal([]);
    expect(() => np.trimZeros([[1]])).to.throw(ShapeError);
  });

  it("choose (raise/wrap/clip, broadcasting)", () => {
    expect(vals(np.choose([0, 1, 2, 1], [[1, 2, 3, 4], [10, 20, 30, 40], [100, 200, 300, 400]]))).to.deep.equal([1, 20, 300, 40]);
    expect(vals(np.choose([[0, 1], [1, 0]], [5, [1, 2]]))).to.deep.equal([[5, 2], [1, 5]]);
    expect(vals(np.choose([3, -1], [1, 2, 3], "wrap"))).to.deep.equal([1, 3]);
    expect(vals(np.choose([3, -1], [1, 2, 3], { mode: "clip" }))).to.deep.equal([3, 1]);
    expect(vals(np.choose([1, 0], np.array([[1, 2], [3, 4]])))).to.deep.equal([3, 2]);
    expect(() => np.choose([3], [1, 2, 3])).to.throw(ValueError, "invalid entry");
    expect(() => np.choose([0], [])).to.throw(ValueError, "empty");
    expect(() => np.choose([0.5], [1])).to.throw(IndexError);
  });

  it("block (NumPy's nesting rules)", () => {
    const b = np.block([[np.eye(2), np.zeros([2, 1])], [np.ones([1, 2]), np.full([1, 1], 5)]]);
    expect(vals(b)).to.deep.equal([[1, 0, 0], [0, 1, 0], [1, 1, 5]]);
    expect(vals(np.block([[1, 2], [3, 4]]))).to.deep.equal([[1, 2], [3, 4]]);
    expect(vals(np.block(5))).to.equal(5);
    expect(vals(np.block([np.zeros([2]), 1]))).to.deep.equal([0, 0, 1]);
    expect(vals(np.block([[np.zeros([2])], [np.ones([2])]]))).to.deep.equal([[0, 0], [1, 1]]);
    expect(vals(np.block([np.ones([2, 2]), np.zeros([2, 1])]))).to.deep.equal([[1, 1, 0], [1, 1, 0]]);
    expect(() => np.block([1, 2, [3, 4]])).to.throw(ValueError, "depths");
    expect(() => np.block([])).to.throw(ValueError, "empty");
    expect(() => np.block([np.ones([2]), np.ones([3, 1])])).to.throw(ShapeError);
  });

  it("ix_, trilIndicesFrom, triuIndicesFrom, maskIndices", () => {
    expect(all(np.ix_([0, 1], [2, 4]))).to.deep.equal([[[0], [1]], [[2, 4]]]);
    expect(np.ix_([true, false, true], [1]).map((t) => t.shape)).to.deep.equal([[2, 1], [1, 1]]);
    expect(np.ix_()).to.deep.equal([]);
    expect(() => np.ix_([[0]])).to.throw(ShapeError, "1-D");
    expect(() => np.ix_([0.5])).to.throw(IndexError);
    expect(all(np.trilIndicesFrom(np.zeros([3, 3]), -1))).to.deep.equal([[1, 2, 2], [0, 0, 1]]);
    expect(all(np.triuIndicesFrom(np.zeros([2, 3]), 1))).to.deep.equal([[0, 0, 1], [1, 2, 2]]);
    expect(() => np.trilIndicesFrom(np.zeros([3]))).to.throw(ShapeError, "2-D");
    expect(all(np.maskIndices(3, np.triu, 1))).to.deep.equal([[0, 0, 1], [1, 2, 2]]);
    expect(all(np.maskIndices(2, np.tril, 0, { size: 4 }))).to.deep.equal([[0, 1, 1, 0], [0, 0, 1, 0]]);
    expect(() => np.maskIndices(2, 3 as never)).to.throw(ValueError, "maskFunc");
  });

  it("vecdot (array API: axis sizes must match)", () => {
    expect(vals(np.vecdot([[1, 2], [3, 4]], [1, 1]))).to.deep.equal([3, 7]);
    expect(vals(np.vecdot([[1, 2], [3, 4]], [[1], [1]], { axis: 0 }))).to.deep.equal([4, 6]);
    expect(vals(np.vecdot([1, 2, 3], [4, 5, 6]))).to.equal(32);
    expect(() => np.vecdot([[1, 2]], [[1], [2]])).to.throw(ShapeError, "vecdot");
    expect(() => np.vecdot([1, 2], [1, 2], { axis: 1 })).to.throw(IndexError);
  });

});
