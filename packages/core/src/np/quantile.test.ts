import { expect } from "chai";
import { ValueError, np } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();

describe("np quantile / percentile / median (and nan* forms)", () => {
  it("NumPy's values for every method, q arrays lead the result", () => {
    const x = [1, 2, 3, 4];
    expect(vals(np.quantile(x, 0.5))).to.equal(2.5);
    expect(vals(np.quantile(x, 0.4, { method: "lower" }))).to.equal(2);
    expect(vals(np.quantile(x, 0.4, { method: "higher" }))).to.equal(3);
    expect(vals(np.quantile(x, 0.5, { method: "nearest" }))).to.equal(3); // position 1.5: tie to the even index 2
    expect(vals(np.quantile([1, 2, 3, 4, 5, 6], 0.5, { method: "nearest" }))).to.equal(3); // position 2.5 → 2
    expect(vals(np.quantile(x, 0.4, { method: "midpoint" }))).to.equal(2.5);
    expect(vals(np.quantile([[1, 5], [3, 4]], [0, 1], { axis: 1 }))).to.deep.equal([[1, 3], [5, 4]]);
    expect(np.quantile(np.zeros([2, 3, 4]), [0.1, 0.9], { axis: [0, -1], keepdims: true }).shape).to.deep.equal([2, 1, 3, 1]);
    expect(vals(np.percentile([1, 2, 3, 4, 5], 25))).to.equal(2);
    expect(np.quantile(np.array([1, 2], { dtype: "int32" }), 0.5).dtype).to.equal("float32");
  });

  it("median averages the middle pair (inf stays inf); NaN propagates, nan* forms skip it", () => {
    expect(vals(np.median([[1, 3, 2], [4, 6, 5]], { axis: 1 }))).to.deep.equal([2, 5]);
    expect(vals(np.median([1, Infinity, Infinity, 2]))).to.equal(Infinity);
    expect(vals(np.median([1, NaN, 3]))).to.be.NaN;
    expect(vals(np.nanmedian([1, NaN, 3, 4]))).to.equal(3);
    expect(vals(np.nanmedian([[NaN, NaN], [1, NaN]], { axis: 1 }))).to.deep.equal([NaN, 1]);
    expect(vals(np.nanquantile([1, NaN, 3], 0.5))).to.equal(2);
    expect(vals(np.nanpercentile([1, NaN, 3], 50))).to.equal(2);
    expect(vals(np.median(np.zeros([0])))).to.be.NaN;
  });

  it("rejects q outside its range and unknown methods", () => {
    expect(() => np.quantile([1, 2], 1.5)).to.throw(ValueError, "quantile: q must be in [0, 1]");
    expect(() => np.percentile([1, 2], -1)).to.throw(ValueError, "percentile: q must be in [0, 100]");
    expect(() => np.quantile([1, 2], 0.5, { method: "weibull" as never })).to.throw(ValueError, "method must be one of");
  });
});
