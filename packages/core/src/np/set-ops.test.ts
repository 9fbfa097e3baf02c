/**
 * set-ops.ts against NumPy 2.4 values (computed with python3 numpy, hard-coded here): sorted
 * results, NaN handling, dtypes, empty inputs, JAX's static size/fillValue and the typed errors.
 * Under jit the size-less forms throw a ConcretizationError (test/np-surface.test.ts).
 */
import { expect } from "chai";
import { ValueError, np, type Tensor } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();
const all = (ts: Tensor[]) => ts.map(vals);
const i32 = (v: number[]) => np.array(v, { dtype: "int32" });

describe("np: set functions (set-ops.ts)", () => {
  it("union1d, setdiff1d, setxor1d, intersect1d (NumPy's values)", () => {
    expect(vals(np.union1d([3, 1, 2], [2, 5]))).to.deep.equal([1, 2, 3, 5]);
    expect(vals(np.union1d([[3, 1], [1, 0]], 2))).to.deep.equal([0, 1, 2, 3]);
    expect(vals(np.setdiff1d([1, 2, 3, 2, 4, 1], [3, 4, 5, 6]))).to.deep.equal([1, 2]);
    expect(vals(np.setxor1d([1, 2, 3, 4], [3, 4, 5, 6]))).to.deep.equal([1, 2, 5, 6]);
    expect(vals(np.setxor1d([1, 1, 2], [2, 2, 3], true))).to.deep.equal([1, 3]);
    expect(vals(np.intersect1d([1, 3, 4, 3], [3, 1, 2, 1]))).to.deep.equal([1, 3]);
    // np.intersect1d([1, 3, 4, 3], [3, 1, 2, 1], return_indices=True) == ([1, 3], [0, 1], [1, 0])
    expect(all(np.intersect1d([1, 3, 4, 3], [3, 1, 2, 1], false, true))).to.deep.equal([[1, 3], [0, 1], [1, 0]]);
    expect(all(np.intersect1d([5, 1, 5], [[5], [7]], { returnIndices: true }))).to.deep.equal([[5], [0], [0]]);
  });

  it("NaN: one value in union1d, never equal in setdiff1d/intersect1d/setxor1d (NumPy)", () => {
    expect(vals(np.union1d([NaN, 1, NaN], [NaN]))).to.deep.equal([1, NaN]);
    expect(vals(np.setdiff1d([NaN, 1], [NaN]))).to.deep.equal([1, NaN]);
    expect(vals(np.intersect1d([NaN, 1], [NaN, 1]))).to.deep.equal([1]);
    expect(vals(np.setxor1d([NaN, 2], [NaN, 1]))).to.deep.equal([1, 2, NaN, NaN]);
  });

  it("dtypes: setdiff1d keeps ar1's, the others promote", () => {
    expect(np.setdiff1d(i32([1, 2]), [1.5]).dtype).to.equal("int32");
    expect(vals(np.setxor1d(i32([1, 2]), np.array([2.5], { dtype: "float32" })))).to.deep.equal([1, 2, 2.5]);
    expect(np.union1d(i32([1]), i32([2])).dtype).to.equal("int32");
    expect(vals(np.intersect1d(i32([1, 2]), np.array([1, 2.5])))).to.deep.equal([1]);
  });

  it("empty inputs and static size/fillValue (JAX)", () => {
    expect(vals(np.union1d([], []))).to.deep.equal([]);
    expect(vals(np.setdiff1d([], [1]))).to.deep.equal([]);
    expect(vals(np.intersect1d([1, 2], []))).to.deep.equal([]);
    expect(vals(np.union1d([3, 1], [1], { size: 4, fillValue: -1 }))).to.deep.equal([1, 3, -1, -1]);
    expect(vals(np.union1d([3, 1], [1], { size: 4 }))).to.deep.equal([1, 3, 1, 1]); // padded with the smallest
    expect(vals(np.setdiff1d([3, 1, 5], [1], { size: 1 }))).to.deep.equal([3]); // cut to the smallest
    expect(vals(np.setdiff1d([], [1], { size: 2, fillValue: 7 }))).to.deep.equal([7, 7]);
    expect(all(np.intersect1d([4, 2], [2], false, true, { size: 2, fillValue: 0 }))).to.deep.equal([[2, 0], [1, 2], [0, 1]]);
    expect(() => np.union1d([], [], { size: 2 })).to.throw(ValueError, "fillValue");
    expect(() => np.setxor1d([1], [2], { size: -1 })).to.throw(ValueError, "size");
    expect(() => np.setdiff1d([1], [2], { sise: 1 } as never)).to.throw(ValueError, "size");
    expect(() => np.setdiff1d([1], [2], 1 as never)).to.throw(ValueError, "assumeUnique");
  });

  it("uniqueAll/Counts/Inverse/Values (the array API: NaNs distinct; named and positional parts)", () => {
    expect(vals(np.uniqueValues([3, 1, 3, NaN, NaN]))).to.deep.equal([1, 3, NaN, NaN]);
    const [v, c] = np.uniqueCounts([3, 1, 3]);
    expect([vals(v), vals(c)]).to.deep.equal([[1, 3], [1, 2]]);
    const inv = np.uniqueInverse([[3, 1], [3, 2]]);
    expect(vals(inv.values)).to.deep.equal([1, 2, 3]);
    expect(vals(inv.inverseIndices)).to.deep.equal([[2, 0], [2, 1]]);
    const u = np.uniqueAll([3, 1, 3]);
    expect([u.values, u.indices, u.inverseIndices, u.counts].map(vals)).to.deep.equal([[1, 3], [1, 0], [1, 0, 1], [1, 2]]);
    expect(all([...u])).to.deep.equal([[1, 3], [1, 0], [1, 0, 1], [1, 2]]);
    expect(vals(np.uniqueValues([2, 2, 5], { size: 3, fillValue: 0 }))).to.deep.equal([2, 5, 0]);
    expect(vals(np.uniqueCounts([2, 2, 5], { size: 3 }).counts)).to.deep.equal([2, 1, 0]);
    expect(vals(np.uniqueValues(np.zeros([0])))).to.deep.equal([]);
    expect(() => np.uniqueValues([1], { fill: 0 } as never)).to.throw(ValueError, "fillValue");
    expect(() => np.uniqueValues([1], { size: 1, fillValue: 0, dtype: "int32" } as never)).to.throw(ValueError);
    expect(() => np.union1d({} as never, [1])).to.throw();
  });
});
