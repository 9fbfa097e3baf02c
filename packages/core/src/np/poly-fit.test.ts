/**
 * poly-fit.ts against NumPy 2.4 values (computed with python3 numpy, hard-coded here), JAX's
 * untrimmed polydiv remainder and the typed errors. The transforms are in test/np-surface.test.ts.
 */
import { expect } from "chai";
import { ShapeError, ValueError, np, type Tensor } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();
const f64 = (v: number[]) => np.array(v, { dtype: "float64" });

function close(actual: unknown, expected: unknown, atol = 1e-9): void {
  if (Array.isArray(expected)) {
    expect(actual).to.be.an("array").with.lengthOf(expected.length);
    expected.forEach((e, i) => close((actual as unknown[])[i], e, atol));
  } else expect(actual as number).to.be.closeTo(expected as number, atol);
}

describe("np: poly, polydiv, polyfit (poly-fit.ts)", () => {
  it("poly: coefficients from roots", () => {
    expect(vals(np.poly([1, 2, 3]))).to.deep.equal([1, -6, 11, -6]);
    expect(vals(np.poly([]))).to.equal(1);
    expect(vals(np.poly([2.5]))).to.deep.equal([1, -2.5]);
    expect(vals(np.poly(4))).to.deep.equal([1, -4]);
    expect(np.poly(np.array([1, 2], { dtype: "int32" })).dtype).to.equal("float32");
    expect(() => np.poly([[1, 2], [3, 4]])).to.throw(ShapeError, "1-D");
  });

  it("polydiv: JAX's untrimmed remainder, NumPy's with trimLeadingZeros", () => {
    const pair = (r: [Tensor, Tensor]) => r.map(vals);
    expect(pair(np.polydiv([1, -3, 2], [1, -1]))).to.deep.equal([[1, -2], [0, 0, 0]]);
    expect(pair(np.polydiv([3, 5, 2], [2, 1]))).to.deep.equal([[1.5, 1.75], [0, 0, 0.25]]);
    expect(pair(np.polydiv([3, 5, 2], [2, 1], { trimLeadingZeros: true }))).to.deep.equal([[1.5, 1.75], [0.25]]);
    expect(pair(np.polydiv([1, -3, 2], [1, -1], { trimLeadingZeros: true }))).to.deep.equal([[1, -2], [0]]);
    expect(pair(np.polydiv([1, 2], [1, 1, 1]))).to.deep.equal([[0], [1, 2]]);
    expect(pair(np.polydiv([6], [2]))).to.deep.equal([[3], [0]]);
    expect(() => np.polydiv([], [1])).to.throw(ValueError, "empty");
    expect(() => np.polydiv([1], [1], { trim: true } as never)).to.throw(ValueError, "trimLeadingZeros");
  });

  it("polyfit: degrees, 2-D y, weights, full diagnostics (NumPy's values)", () => {
    const x = f64([0, 1, 2, 3]), y = f64([1, 3, 7, 13]);
    close(vals(np.polyfit(x, y, 2)), [1, 1, 1]);
    close(vals(np.polyfit(x, y, 1)), [4, 0]);
    close(vals(np.polyfit(x, np.stack([y, np.multiply(y, 2)], 1), 1)), [[4, 8], [0, 0]]);
    close(vals(np.polyfit(x, y, 1, null, false, [1, 1, 1, 4])), [4.39130435, -0.26086957], 1e-7);
    const [c, resid, rank, sv, rcond] = np.polyfit(x, y, 1, { full: true });
    close(vals(c), [4, 0]);
    close(vals(resid), [4]);
    expect(vals(rank)).to.equal(2);
    close(vals(sv), [1.34230538, 0.44521486], 1e-7);
    expect(rcond).to.equal(4 * 2 ** -52);
    expect(() => np.polyfit(x, f64([1, 2]), 1)).to.throw(ShapeError, "same length");
    expect(() => np.polyfit(x, y, -1)).to.throw(ValueError, "deg");
    expect(() => np.polyfit(x, y, 1, { cov: true })).to.throw(ValueError, "cov");
    expect(() => np.polyfit(x, y, 1, { w: [1, 2] })).to.throw(ShapeError, "w");
  });
});
