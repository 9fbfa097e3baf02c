/**
 * Mismatches with NumPy (under JAX's dtype rules) that the widened random NumPy programs
 * (test/npdiff/, scripts/npdiff-fixtures.py) found, each pinned here on cpu: dtype promotion of
 * hypot/heaviside, integer round to tens in the input's dtype, the descending sort's order of
 * equal zeros, argwhere of a 0-d array, quantiles over empty slices of a non-empty result, the
 * max/min norms of empty vectors and matrices, 16-bit linspace (so histogram edges) rounded once.
 */
import { expect } from "chai";
import { type Tensor, ValueError, np } from "../index.js";

const vals = (t: Tensor): number[] => Array.from(t.dataSync());
/** Element by element with Object.is, so -0 and NaN are checked exactly. */
function same(t: Tensor, want: number[]): void {
  const got = vals(t).map((v) => (Object.is(v, -0) ? "-0" : v));
  expect(got).to.deep.equal(want.map((v) => (Object.is(v, -0) ? "-0" : v)));
}

describe("np: mismatches found by the random NumPy programs", () => {
  it("hypot and heaviside promote their operands together first (uint8 with bfloat16 is bfloat16, as JAX)", () => {
    const u8 = np.array([35, 0], { dtype: "uint8" }), bf = np.array([-1.625, 2], { dtype: "bfloat16" });
    const h = np.hypot(u8, bf);
    expect(h.dtype).to.equal("bfloat16");
    same(h, [35, 2]); // sqrt(35² + 1.625²) = 35.0377 rounds to 35 in bfloat16
    expect(np.hypot(np.array([3], { dtype: "float16" }), np.array([4], { dtype: "uint8" })).dtype).to.equal("float16");
    const hv = np.heaviside(np.array([-1, 0, 2], { dtype: "float16" }), np.array([7], { dtype: "uint8" }));
    expect(hv.dtype).to.equal("float16");
    same(hv, [0, 7, 1]);
  });

  it("round of unsigned integers to tens keeps the dtype and wraps as NumPy (uint8 255 → 260 mod 256 = 4)", () => {
    const u8 = np.round(np.array([37, 255, 25, 15], { dtype: "uint8" }), -1);
    expect(u8.dtype).to.equal("uint8");
    same(u8, [40, 4, 20, 20]);
    const u32 = np.round(np.array([37, 2 ** 32 - 1, 25], { dtype: "uint32" }), -1);
    expect(u32.dtype).to.equal("uint32");
    same(u32, [40, 4, 20]);
    // A power of ten past the dtype's range: every value rounds to 0 (1000 as a uint8 operand would be 232).
    same(np.round(np.array([255, 200], { dtype: "uint8" }), -3), [0, 0]);
    same(np.round(np.array([-25, 35, -(2 ** 31) + 5], { dtype: "int32" }), -1), [-20, 40, -2147483640]);
  });

  it("a descending sort is the ascending one reversed (JAX's lax.rev(lax.sort(x))): of equal zeros, the first ends last", () => {
    same(np.sort(np.array([0, -0, 1]), { descending: true }), [1, -0, 0]);
    same(np.sort(np.array([-0, 0, -1]), { descending: true }), [0, -0, -1]);
    same(np.sort(np.array([[0, -0], [-0, 0]]), { axis: 0, descending: true }), [-0, 0, 0, -0]);
    same(np.sort(np.array([NaN, 2, NaN, -0, 0]), { descending: true }), [NaN, NaN, 2, 0, -0]);
    // argsort keeps equal values in input order (JAX's stable descending argsort).
    same(np.argsort(np.array([0, -0, 1]), { descending: true }), [2, 0, 1]);
  });

  it("argwhere of a 0-d array: one row of no coordinates when nonzero, none when zero (NumPy's shapes [1, 0], [0, 0])", () => {
    const one = np.argwhere(np.array(2.5));
    expect([one.dtype, one.shape]).to.deep.equal(["int32", [1, 0]]);
    expect(np.argwhere(np.array(0)).shape).to.deep.equal([0, 0]);
  });

  it("quantile, percentile and median over empty slices of a non-empty result are NaN, in the result's shape", () => {
    const p = np.percentile(np.zeros([3, 2, 0]), 10, { axis: [0, 2], keepdims: true });
    expect(p.shape).to.deep.equal([1, 2, 1]);
    same(p, [NaN, NaN]);
    const q = np.quantile(np.zeros([0, 3]), [0.5, 1], { axis: 0 });
    expect(q.shape).to.deep.equal([2, 3]);
    expect(vals(q).every(Number.isNaN)).to.equal(true);
    same(np.median(np.zeros([2, 0]), { axis: 1 }), [NaN, NaN]);
  });

  it("norms over nothing: the max-based orders give 0, the min-based ones throw, as NumPy", () => {
    const v = np.zeros([0]), m = np.zeros([0, 3]);
    same(np.linalg.norm(v, { ord: Infinity }), [0]);
    same(np.linalg.norm(m, { ord: Infinity }), [0]);
    same(np.linalg.norm(m, { ord: 2 }), [0]);
    same(np.linalg.norm(m, { ord: Infinity, axis: 0 }), [0, 0, 0]);
    same(np.linalg.norm(m, { ord: -1 }), [0]); // the min of three empty column sums
    for (const [x, ord] of [[v, -Infinity], [m, -Infinity], [m, -2]] as const) {
      expect(() => np.linalg.norm(x, { ord }), `ord ${ord}`).to.throw(ValueError, /minimum of nothing/);
    }
  });

  it("float16 and bfloat16 linspace samples are rounded once (NumPy's), so symmetric: histogram's edges too", () => {
    const f16 = np.linspace(-2, 2, 6, { dtype: "float16" });
    same(f16, [-2, -1.2001953125, -0.39990234375, 0.39990234375, 1.2001953125, 2]); // was -0.40039, 0.39844
    same(np.linspace(-2, 2, 6, { dtype: "bfloat16" }), [-2, -1.203125, -0.400390625, 0.400390625, 1.203125, 2]);
    same(np.histogram(np.array([-0.75, 0], { dtype: "float16" }), { bins: 5, range: [-2, 2] })[1], vals(f16));
  });
});
