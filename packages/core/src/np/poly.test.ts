/** Polynomial helpers against NumPy's documented examples, with dtype and edge cases. */
import { expect } from "chai";
import { np, DTypeError, ShapeError, ValueError, type Tensor } from "../index.js";

const vals = (t: Tensor) => t.toArraySync();

describe("np poly", () => {
  it("polyval: Horner over scalars and arrays, dtype promotion, empty p", () => {
    expect(vals(np.polyval([3, 0, 1], 5))).to.equal(76);
    expect(vals(np.polyval([3, 0, 1], [[1, 2], [0, -1]]))).to.deep.equal([[4, 13], [1, 4]]);
    const i = np.polyval(np.array([1, 2], { dtype: "int32" }), np.array([3], { dtype: "int32" }));
    expect([i.dtype, vals(i)]).to.deep.equal(["int32", [5]]);
    expect(np.polyval(np.array([1, 2], { dtype: "int32" }), [0.5]).dtype).to.equal("float32");
    expect(vals(np.polyval(np.zeros([0]), [1, Infinity]))).to.deep.equal([0, 0]);
    expect(vals(np.polyval([7], [1, 2]))).to.deep.equal([7, 7]);
    expect(vals(np.polyval([1, 0], [Infinity, NaN]))).to.deep.equal([Infinity, NaN]);
    expect(() => np.polyval([[1, 2, 3]], [1, 2])).to.throw(ShapeError, /polyval: shapes \[3\] and \[2\] cannot be broadcast/);
    expect(() => np.polyval([true], 1)).to.throw(DTypeError);
  });
  it("polyadd, polysub keep leading zeros", () => {
    expect(vals(np.polyadd([1, 2], [9, 5, 4]))).to.deep.equal([9, 6, 6]);
    expect(vals(np.polyadd([9, 5, 4], [1, 2]))).to.deep.equal([9, 6, 6]);
    expect(vals(np.polysub([2, 10, -2], [3, 10, -4]))).to.deep.equal([-1, 0, 2]);
    expect(vals(np.polysub([1, 2], [1, 2]))).to.deep.equal([0, 0]);
    expect(vals(np.polyadd(3, [1, 1]))).to.deep.equal([1, 4]);
    expect(np.polyadd(np.array([1], { dtype: "int32" }), np.array([2], { dtype: "int32" })).dtype).to.equal("int32");
  });
  it("polymul is the full convolution", () => {
    expect(vals(np.polymul([1, 2, 3], [9, 5, 1]))).to.deep.equal([9, 23, 38, 17, 3]);
    expect(vals(np.polymul([2], [1, 2, 3]))).to.deep.equal([2, 4, 6]);
    expect(vals(np.polymul([1, 1], [1, -1]))).to.deep.equal([1, 0, -1]);
    expect(vals(np.polymul([1, 2, 3, 4], [1, 0]))).to.deep.equal([1, 2, 3, 4, 0]);
    const i = np.polymul(np.array([1, 1], { dtype: "int32" }), np.array([1, 1], { dtype: "int32" }));
    expect([i.dtype, vals(i)]).to.deep.equal(["int32", [1, 2, 1]]);
    // An empty coefficient array is the zero polynomial (NumPy's poly1d([]) is [0]): np.polymul([], [1, 2]) is [0, 0].
    expect(vals(np.polymul(np.zeros([0]), [1, 2]))).to.deep.equal([0, 0]);
    expect(vals(np.polymul([3], np.zeros([0])))).to.deep.equal([0]);
  });
  it("polyder: orders, constants, dtype", () => {
    expect(vals(np.polyder([1, 1, 1, 1]))).to.deep.equal([3, 2, 1]);
    expect(vals(np.polyder([1, 1, 1, 1], 2))).to.deep.equal([6, 2]);
    expect(vals(np.polyder([1, 1, 1, 1], 3))).to.deep.equal([6]);
    expect(np.polyder([1, 1, 1, 1], 4).shape).to.deep.equal([0]);
    expect(vals(np.polyder([1, 2], 0))).to.deep.equal([1, 2]);
    expect(np.polyder(np.array([1, 2, 3], { dtype: "int32" })).dtype).to.equal("int32");
    expect(() => np.polyder([1, 2], -1)).to.throw(ValueError, /order/);
  });
  it("polyint: orders and integration constants (k[0] for the first integration)", () => {
    expect(vals(np.polyint([1, 1, 1]))).to.deep.equal([1 / 3, 0.5, 1, 0].map(Math.fround));
    expect(vals(np.polyint([3, 2, 1]))).to.deep.equal([1, 1, 1, 0]);
    expect(vals(np.polyint([1], 2, [3, 4]))).to.deep.equal([0.5, 3, 4]);
    expect(vals(np.polyint([6], 2, 1))).to.deep.equal([3, 1, 1]);
    expect(vals(np.polyder(np.polyint([4, 3, 2, 1])))).to.deep.equal([4, 3, 2, 1]);
    expect(vals(np.polyint([1, 2], 0))).to.deep.equal([1, 2]);
    expect(np.polyint(np.array([1, 2], { dtype: "int32" })).dtype).to.equal("float32");
    expect(() => np.polyint([1], 2, [1])).to.throw(ValueError, /k must be/);
  });
});
