/**
 * numeric-more.ts against NumPy 2.4 values (computed with python3 numpy, hard-coded here; float32
 * results compared to 1e-6 relative), with the typed errors for bad input. The transforms are in
 * test/np-surface.test.ts.
 */
import { expect } from "chai";
import { DTypeError, IndexError, ShapeError, ValueError, np, type Tensor } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();
const all = (ts: Tensor[]) => ts.map(vals);
const u8 = (v: number[] | number[][]) => np.array(v, { dtype: "uint8" });

function close(actual: unknown, expected: unknown, rtol = 1e-6): void {
  if (Array.isArray(expected)) {
    expect(actual).to.be.an("array").with.lengthOf(expected.length);
    expected.forEach((e, i) => close((actual as unknown[])[i], e, rtol));
  } else if (typeof expected === "number" && Number.isFinite(expected)) {
    expect(actual as number).to.be.closeTo(expected, rtol * Math.max(1, Math.abs(expected)));
  } else expect(actual).to.deep.equal(expected);
}

describe("np: gradient, i0, spacing, bitwiseCount, histograms, bit packing (numeric-more.ts)", () => {
  it("gradient: uniform, per-axis scalars, coordinates, axis option (NumPy's values)", () => {
    expect(vals(np.gradient([1, 2, 4, 7, 11]) as Tensor)).to.deep.equal([1, 1.5, 2.5, 3.5, 4]);
    expect(vals(np.gradient([[1, 2], [4, 8]], { axis: 0 }) as Tensor)).to.deep.equal([[3, 6], [3, 6]]);
    close(vals(np.gradient([1, 4, 9], [0, 1, 3]) as Tensor), [3, 2.8333333333, 2.5]);
    expect(all(np.gradient([[1, 2, 6], [3, 4, 5]]) as Tensor[])).to.deep.equal([[[2, 2, -1], [2, 2, -1]], [[1, 2.5, 4], [1, 1, 1]]]);
    close(all(np.gradient([[1, 2, 6], [3, 4, 5]], 2, [0, 1, 3]) as Tensor[]), [[[1, 1, -0.5], [1, 1, -0.5]], [[1, 1.3333333, 2], [1, 0.8333333, 0.5]]]);
    expect(vals(np.gradient([1, 3], 0.5) as Tensor)).to.deep.equal([4, 4]);
    expect(vals(np.gradient([[1, 2, 6], [3, 4, 5]], { axis: -1 }) as Tensor)).to.deep.equal([[1, 2.5, 4], [1, 1, 1]]);
    expect((np.gradient(np.array([1, 2], { dtype: "int32" })) as Tensor).dtype).to.equal("float32");
    expect((np.gradient(np.array([1, 2], { dtype: "float64" })) as Tensor).dtype).to.equal("float64");
    expect(() => np.gradient([1])).to.throw(ValueError, "at least 2");
    expect(() => np.gradient(3)).to.throw(ShapeError, "0-d");
    expect(() => np.gradient([1, 2, 3], [0, 1])).to.throw(ShapeError, "coordinates");
    expect(() => np.gradient([[1, 2], [3, 4]], 1, 2, 3)).to.throw(ValueError, "spacings");
    expect(() => np.gradient([1, 2, 3], { edgeOrder: 2 })).to.throw(ValueError, "edgeOrder");
    expect(() => np.gradient([1, 2, 3], { axis: 1 })).to.throw(IndexError);
    expect(() => np.gradient([1, 2, 3], { axes: 0 } as never)).to.throw(ValueError, "axis");
  });

  it("i0, spacing, bitwiseCount, sortComplex", () => {
    close(vals(np.i0([0, 1, -2])), [1, 1.26606588, 2.2795853]);
    expect(np.i0(np.array([1], { dtype: "float64" })).dtype).to.equal("float64");
    // np.spacing(np.float32([1, -1, 0, -0.0, inf, nan, 3.4028235e38]))
    expect(vals(np.spacing([1, -1, 0, -0, Infinity, NaN, 3.4028235e38]))).to.deep.equal(
      [2 ** -23, -(2 ** -23), 2 ** -149, 2 ** -149, NaN, NaN, Infinity]);
    expect(() => np.spacing(np.array([1], { dtype: "float64" }))).to.throw(DTypeError, "float32");
    // nextafter toward an infinity steps (it gave NaN: the broadcast was x + 0 * y)
    expect(vals(np.nextafter([1, -1], [Infinity, -Infinity]))).to.deep.equal([1 + 2 ** -23, -1 - 2 ** -23]);
    expect(vals(np.bitwiseCount(np.array([0, 7, -8, 255, -(2 ** 31)], { dtype: "int32" })))).to.deep.equal([0, 3, 1, 8, 1]);
    expect(vals(np.bitwiseCount(np.array([2 ** 32 - 1, 6], { dtype: "uint32" })))).to.deep.equal([32, 2]);
    expect(vals(np.bitwiseCount(np.array([true, false])))).to.deep.equal([1, 0]);
    expect(np.bitwiseCount(u8([3])).dtype).to.equal("uint8");
    expect(() => np.bitwiseCount([1.5])).to.throw(DTypeError, "bitwiseCount");
    expect(vals(np.sortComplex([5, 3, 6, 2, 1]))).to.deep.equal([1, 2, 3, 5, 6]);
    expect(vals(np.sortComplex([[3, 1], [0, -1]]))).to.deep.equal([[1, 3], [-1, 0]]);
  });

  it("histogramBinEdges (data range, given range, empty, equal values, given edges)", () => {
    expect(vals(np.histogramBinEdges([1, 2, 5], 4))).to.deep.equal([1, 2, 3, 4, 5]);
    expect(vals(np.histogramBinEdges([3, 3], 2))).to.deep.equal([2.5, 3, 3.5]);
    expect(vals(np.histogramBinEdges([], 2))).to.deep.equal([0, 0.5, 1]);
    expect(vals(np.histogramBinEdges([1, 2, 5], 3, [0, 6]))).to.deep.equal([0, 2, 4, 6]);
    expect(vals(np.histogramBinEdges([1, 2, 5], [0, 1, 10]))).to.deep.equal([0, 1, 10]);
    expect(np.histogramBinEdges([1, 2]).shape).to.deep.equal([11]);
    expect(() => np.histogramBinEdges([1], 0)).to.throw(ValueError, "bins");
    expect(() => np.histogramBinEdges([1], 2, [3, 1])).to.throw(ValueError, "lo <= hi");
    expect(() => np.histogramBinEdges([1], [1])).to.throw(ShapeError, "edges");
  });

  it("histogramdd and histogram2d (NumPy's counts, weights, density, range)", () => {
    const [h, edges] = np.histogramdd([[0, 0], [1, 1], [1, 0.2]], 2);
    expect(vals(h)).to.deep.equal([[1, 0], [1, 1]]);
    expect(all(edges)).to.deep.equal([[0, 0.5, 1], [0, 0.5, 1]]);
    const [h2, ex, ey] = np.histogram2d([0, 1, 1, 0.5], [0, 1, 0.2, 0.7], [2, 3], { weights: [1, 2, 3, 4], density: true });
    close(vals(h2), [[0.6, 0, 0], [1.8, 0, 3.6]]);
    close(vals(ey), [0, 1 / 3, 2 / 3, 1]);
    expect(vals(ex)).to.deep.equal([0, 0.5, 1]);
    expect(vals(np.histogram2d([0, 1, 1, 5], [0, 1, 0.2, 0.7], 2, [[0, 2], [0, 1]])[0])).to.deep.equal([[1, 0], [1, 1]]);
    expect(vals(np.histogramdd([[NaN], [1], [2]], [[0, 1, 2]])[0])).to.deep.equal([0, 2]);
    expect(() => np.histogramdd([1, 2], 2)).to.throw(ShapeError, "[N, D]");
    expect(() => np.histogramdd([[1, 2]], [2])).to.throw(ValueError, "per dimension");
    expect(() => np.histogram2d([1, 2], [1], 2)).to.throw(ShapeError, "one length");
    expect(() => np.histogramdd([[1]], 2, { weights: [1, 2] })).to.throw(ShapeError, "weights");
  });

  it("packbits and unpackbits (bit orders, axes, count)", () => {
    expect(vals(np.packbits([1, 0, 1, 1, 0, 0, 0, 0, 1]))).to.deep.equal([176, 128]);
    expect(vals(np.packbits([[1, 0, 1], [0, 1, 1]], 1, "little"))).to.deep.equal([[5], [6]]);
    expect(vals(np.packbits([[1, 0, 1], [0, 1, 1]], { axis: 0 }))).to.deep.equal([[128, 64, 192]]);
    expect(np.packbits([true]).dtype).to.equal("uint8");
    expect(vals(np.packbits(np.zeros([0], { dtype: "int32" })))).to.deep.equal([]);
    expect(vals(np.unpackbits(u8([176])))).to.deep.equal([1, 0, 1, 1, 0, 0, 0, 0]);
    expect(vals(np.unpackbits(u8([[2, 3]]), 1, -3))).to.deep.equal([[0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]]);
    expect(vals(np.unpackbits(u8([1]), { count: 10, bitorder: "little" }))).to.deep.equal([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(np.unpackbits(u8([[1], [2]]), 0).shape).to.deep.equal([16, 1]);
    expect(vals(np.unpackbits(np.packbits([1, 1, 0, 1]), null, 4))).to.deep.equal([1, 1, 0, 1]);
    expect(() => np.unpackbits(np.array([1], { dtype: "int32" }))).to.throw(DTypeError, "uint8");
    expect(() => np.packbits(np.array([0.5]))).to.throw(DTypeError, "packbits");
    expect(() => np.packbits([1], { bitorder: "middle" as never })).to.throw(ValueError, "bitorder");
  });
});
