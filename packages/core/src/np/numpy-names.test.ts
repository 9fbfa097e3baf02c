import { expect } from "chai";
import { DTypeError, np } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();
const i32 = (v: number[]) => np.array(v, { dtype: "int32" });

describe("np: NumPy's aliases and one-line compositions (numpy-names.ts)", () => {
  it("aliases give their target's values", () => {
    expect(vals(np.absolute([-1, 2]))).to.deep.equal([1, 2]);
    expect(vals(np.around([0.5, 1.5, 2.5]))).to.deep.equal([0, 2, 2]);
    expect(vals(np.trueDivide(i32([1, 3]), i32([4, 2])))).to.deep.equal([0.25, 1.5]);
    expect(vals(np.fix([-2.5, 2.5]))).to.deep.equal([-2, 2]);
    expect(vals(np.radians(180))).to.be.closeTo(Math.PI, 1e-6);
    expect(vals(np.degrees(Math.PI))).to.be.closeTo(180, 1e-4);
  });

  it("dtypes follow JAX: trunc keeps integers, fabs/hypot/deg2rad make float32, positive rejects bool", () => {
    expect(np.trunc(i32([3])).dtype).to.equal("int32");
    expect(Object.is((vals(np.trunc([-0.2])) as number[])[0], -0)).to.equal(true);
    expect(np.fabs(i32([-3])).dtype).to.equal("float32");
    expect(np.hypot(i32([3]), 4).dtype).to.equal("float32");
    expect(np.deg2rad(i32([180])).dtype).to.equal("float32");
    expect(() => np.positive([true])).to.throw(DTypeError, "positive");
    expect(() => np.ptp([true, false])).to.throw(DTypeError, "ptp");
  });

  it("hypot neither overflows nor loses inf to NaN", () => {
    expect(vals(np.hypot([3e30, 0, Infinity, NaN, 0], [4e30, 0, NaN, -Infinity, -5]))).to.deep.equal([Math.fround(5e30), 0, Infinity, Infinity, 5]);
  });

  it("heaviside, ptp and the nan* statistics", () => {
    expect(vals(np.heaviside([-1, 0, 2, NaN], 0.5))).to.deep.equal([0, 0.5, 1, NaN]);
    expect(vals(np.ptp([[4, 9, 2], [7, 1, 5]], { axis: 1 }))).to.deep.equal([7, 6]);
    expect(vals(np.nanprod([2, NaN, 3]))).to.equal(6);
    expect(vals(np.nanvar([1, NaN, 3]))).to.equal(1);
    expect(vals(np.nanvar([[1, NaN, 3], [NaN, NaN, NaN]], { axis: 1, ddof: 1 }))).to.deep.equal([2, NaN]);
    expect(vals(np.nanstd([1, NaN, 3], { keepdims: true }))).to.deep.equal([1]);
  });
});
