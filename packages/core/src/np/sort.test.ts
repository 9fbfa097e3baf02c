/**
 * Sorting and searching (np/sort.ts, lax/sort.ts) against NumPy/JAX's documented behaviour, on the
 * float64 interpreter: NaN last, -0 = +0 and stable, multi-key order, top-k ties, static-size
 * unique, searchsorted sides; plus property tests (fast-check) of the sort invariants.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ConcretizationError, IndexError, ShapeError, Tensor, ValueError, lax, makeNode, np } from "../index.js";
import { compareTotal } from "../sort-order.js";

const vals = (t: Tensor): number[] => Array.from(t.dataSync());
/** Element by element with Object.is, so -0 and NaN are checked exactly. */
function same(t: Tensor, want: number[], what = ""): void {
  const got = vals(t);
  expect(got.length, `${what} length`).to.equal(want.length);
  got.forEach((g, i) => expect(Object.is(g, want[i]), `${what}[${i}]: got ${Object.is(g, -0) ? "-0" : g}, want ${Object.is(want[i], -0) ? "-0" : want[i]}`).to.equal(true));
}
const i32 = (v: number[]) => np.array(v, { dtype: "int32" });
const f64 = (v: number[]) => np.array(v, { dtype: "float64" });
const inf = Infinity;

describe("np.sort / argsort / lexsort / partition", () => {
  it("sorts NaN last, keeps -0 and +0 in input order (they compare equal)", () => {
    same(np.sort([3, NaN, 1, -inf, 0, -0, inf, NaN]), [-inf, 0, -0, 1, 3, inf, NaN, NaN]);
    same(np.argsort([3, NaN, 1, -inf, 0, -0, inf]), [3, 4, 5, 2, 0, 6, 1]);
  });

  it("axis, axis null (flattens) and 0-d inputs", () => {
    same(np.sort([[3, 1], [0, 2]], { axis: 0 }), [0, 1, 3, 2]);
    same(np.sort([[3, 1], [0, 2]]), [1, 3, 0, 2]);
    same(np.sort([[3, 1], [0, 2]], { axis: null }), [0, 1, 2, 3]);
    expect(np.sort(5).shape).to.deep.equal([1]);
    same(np.argsort([[3, 1], [0, 2]], { axis: 0 }), [1, 0, 0, 1]);
    expect(() => np.sort([1, 2], { axis: 1 })).to.throw(IndexError);
  });

  it("int32 and bool keep their dtype; argsort is int32", () => {
    const s = np.sort(i32([5, -(2 ** 31), 2 ** 31 - 1, 0]));
    expect(s.dtype).to.equal("int32");
    same(s, [-(2 ** 31), 0, 5, 2 ** 31 - 1]);
    same(np.sort([true, false, true]), [0, 1, 1]);
    const h = np.sort(np.array([2.5, NaN, -1], { dtype: "float16" }));
    expect(h.dtype).to.equal("float16");
    same(h, [-1, 2.5, NaN]);
    expect(np.argsort([1.5, 0.5]).dtype).to.equal("int32");
  });

  it("argsort is stable, also descending (as JAX: equal values keep input order, NaN first)", () => {
    same(np.argsort([3, 1, 2, 1]), [1, 3, 2, 0]);
    same(np.argsort([3, 1, 2, 1], { descending: true }), [0, 2, 1, 3]);
    same(np.argsort([1, NaN, 2, NaN], { descending: true }), [1, 3, 2, 0]);
    same(np.sort([1, NaN, 2], { descending: true }), [NaN, 2, 1]);
    same(i32([2, 2, 2]).argsort(), [0, 1, 2]);
  });

  it("Tensor methods sort and argsort", () => {
    same(np.array([[3, 1], [0, 2]]).sort(0), [0, 1, 3, 2]);
    same(np.array([[3, 1], [0, 2]]).sort(null), [0, 1, 2, 3]);
    same(np.array([3, 1, 2]).argsort({ descending: true }), [0, 2, 1]);
  });

  it("lexsort: the last key is primary (NumPy's example)", () => {
    // NumPy docs: surnames/first names; numerically np.lexsort(([1,5,1,4,3,4,4], [9,4,0,4,0,2,1])) -> [2,4,6,5,3,1,0]
    same(np.lexsort([[1, 5, 1, 4, 3, 4, 4], [9, 4, 0, 4, 0, 2, 1]]), [2, 4, 6, 5, 3, 1, 0]);
    same(np.lexsort(np.array([[1, 5, 1, 4, 3, 4, 4], [9, 4, 0, 4, 0, 2, 1]])), [2, 4, 6, 5, 3, 1, 0]);
    expect(() => np.lexsort([[1, 2], [1, 2, 3]])).to.throw(ShapeError);
  });

  it("partition / argpartition put the kth element in place", () => {
    const p = vals(np.partition([3, 4, 1, 2, 5], 2));
    expect(p[2]).to.equal(3);
    expect(p.slice(0, 2).every((v) => v <= 3) && p.slice(3).every((v) => v >= 3)).to.equal(true);
    const ix = vals(np.argpartition([3, 4, 1, 2, 5], 2));
    expect([3, 4, 1, 2, 5][ix[2]!]).to.equal(3);
    expect(() => np.partition([1, 2], 2)).to.throw(ValueError);
  });
});

describe("np.searchsorted", () => {
  it("left and right sides (NumPy's examples)", () => {
    // NumPy docs: np.searchsorted([11,12,13,14,15], 13) -> 2; side='right' -> 3; [-10, 20, 12, 13] -> [0, 5, 1, 2]
    same(np.searchsorted([11, 12, 13, 14, 15], 13), [2]);
    same(np.searchsorted([11, 12, 13, 14, 15], 13, { side: "right" }), [3]);
    same(np.searchsorted([11, 12, 13, 14, 15], [-10, 20, 12, 13]), [0, 5, 1, 2]);
    expect(np.searchsorted([1, 2, 3], 2).shape).to.deep.equal([]);
  });

  it("NaN is ordered last, as NumPy", () => {
    const a = [1, 2, NaN, NaN];
    same(np.searchsorted(a, [NaN, 3, inf]), [2, 2, 2]);
    same(np.searchsorted(a, [NaN, 3, inf], { side: "right" }), [4, 2, 2]);
  });

  it("promotes int and float, keeps v's shape; rejects 2-D a and a bad side", () => {
    same(np.searchsorted(i32([1, 2, 3]), [[1.5], [3.5]]), [1, 3]);
    expect(() => np.searchsorted([[1, 2]], 1)).to.throw(ShapeError);
    expect(() => np.searchsorted([1, 2], 1, { side: "middle" as "left" })).to.throw(ValueError);
  });
});

describe("np.unique", () => {
  it("sorted distinct values of the flattened array; NaNs one value last, -0 = +0", () => {
    same(np.unique([[3, 1], [3, 2]]), [1, 2, 3]);
    const u = vals(np.unique([NaN, 1, NaN, 0, -0]));
    expect(u.length).to.equal(3);
    expect(u.slice(0, 2)).to.deep.equal([0, 1]);
    expect(Number.isNaN(u[2])).to.equal(true);
    expect(np.unique([NaN, NaN], { equalNan: false }).shape).to.deep.equal([2]);
  });

  it("static size pads with fillValue (default: the smallest value) and truncates", () => {
    same(np.unique([3, 1, 3], { size: 4, fillValue: 0 }), [1, 3, 0, 0]);
    same(np.unique([3, 1, 3], { size: 4 }), [1, 3, 1, 1]);
    same(np.unique([3, 1, 2, 3], { size: 2 }), [1, 2]);
    same(np.unique([], { size: 2, fillValue: 7 }), [7, 7]);
    expect(() => np.unique([], { size: 2 })).to.throw(ValueError);
  });

  it("returnIndex, returnInverse and returnCounts, as NumPy/JAX (padding: index of the smallest, counts 0)", () => {
    const [u, index, inverse, counts] = np.unique([[3, 1], [3, 2]], { returnIndex: true, returnInverse: true, returnCounts: true });
    same(u!, [1, 2, 3]);
    same(index!, [1, 3, 0]);
    expect(inverse!.shape).to.deep.equal([2, 2]);
    same(inverse!, [2, 0, 2, 1]);
    same(counts!, [1, 1, 2]);
    const [u4, i4, c4] = np.unique([5, 5, 4], { size: 4, fillValue: -1, returnIndex: true, returnCounts: true });
    same(u4!, [4, 5, -1, -1]);
    same(i4!, [2, 0, 2, 2]);
    same(c4!, [1, 2, 0, 0]);
    const [, c2] = np.unique([3, 1, 2, 3, 3], { size: 2, returnCounts: true });
    same(c2!, [1, 1]);
  });

  it("without size inside a trace is a ConcretizationError naming size", () => {
    const x = new Tensor(makeNode("input", [], { label: "x" }, { shape: [3], dtype: "float32" }));
    expect(() => np.unique(x)).to.throw(ConcretizationError, /static size/);
    expect(np.unique(x, { size: 3 }).shape).to.deep.equal([3]);
  });
});

describe("lax sorting", () => {
  it("lax.sort: one operand, several with numKeys, dimension", () => {
    same(lax.sort(np.array([3, NaN, 1, -inf])), [-inf, 1, 3, NaN]);
    const [k, v] = lax.sort([np.array([2, 1, 2]), np.array([10, 20, 30])]);
    same(k!, [1, 2, 2]);
    same(v!, [20, 10, 30]);
    const [a, b] = lax.sort([np.array([1, 1, 0]), np.array([5, 4, 9])], { numKeys: 2 });
    same(a!, [0, 1, 1]);
    same(b!, [9, 4, 5]);
    same(lax.sort(np.array([[3, 1], [0, 2]]), { dimension: 0 }), [0, 1, 3, 2]);
    expect(() => lax.sort([np.array([1, 2]), np.array([1, 2, 3])])).to.throw(ShapeError);
    expect(() => lax.sort([np.array([1, 2])], { numKeys: 2 })).to.throw(ValueError);
    expect(() => lax.sort(np.array(1))).to.throw(ShapeError);
  });

  it("sortKeyVal carries values of another dtype", () => {
    const [k, v] = lax.sortKeyVal(np.array([3, 1, 2]), i32([0, 1, 2]));
    same(k, [1, 2, 3]);
    same(v, [1, 2, 0]);
    expect(v.dtype).to.equal("int32");
  });

  it("topK: descending, ties lowest index first, NaN largest, along the last axis", () => {
    const [v, i] = lax.topK(np.array([1, 5, 3, 5]), 2);
    same(v, [5, 5]);
    same(i, [1, 3]);
    const [v2, i2] = lax.topK(np.array([[1, NaN, 2], [0, -1, 7]]), 2);
    same(v2, [NaN, 2, 7, 0]);
    same(i2, [1, 2, 2, 0]);
    expect(() => lax.topK(np.array([1, 2]), 3)).to.throw(ValueError);
  });

  it("cumsum, cumprod, cummax, cummin with reverse and axis (default 0)", () => {
    same(lax.cumsum(np.array([1, 2, 3])), [1, 3, 6]);
    same(lax.cumsum(np.array([1, 2, 3]), { reverse: true }), [6, 5, 3]);
    same(lax.cumprod(np.array([1, 2, 3, 4]), { reverse: true }), [24, 24, 12, 4]);
    same(lax.cummax(np.array([1, 3, 2, 5, 4])), [1, 3, 3, 5, 5]);
    same(lax.cummin(np.array([4, 2, 3, 1]), { reverse: true }), [1, 1, 1, 1]);
    same(lax.cummax(np.array([1, NaN, 2])), [1, NaN, NaN]);
    same(lax.cummax(np.array([[1, 5], [3, 2]])), [1, 5, 3, 5]);
    same(lax.cummin(np.array([[1, 5], [3, 2]]), { axis: 1 }), [1, 1, 3, 2]);
    same(lax.cummax(i32([-(2 ** 31), -5, -7])), [-(2 ** 31), -5, -5]);
    same(lax.cummin([true, false, true]), [1, 0, 0]);
    expect(() => lax.cumsum([true, false])).to.throw();
  });
});

// ---------------------------------------------------------------------------------------------
// Properties.

const SPECIALS = [NaN, inf, -inf, 0, -0, 1, -1];
const arbValues = fc.array(fc.oneof(fc.integer({ min: -4, max: 4 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constantFrom(...SPECIALS)), { minLength: 1, maxLength: 24 });

describe("sort properties (fast-check)", () => {
  it("sort is a permutation of the input and non-decreasing in NaN-last order", () => {
    fc.assert(fc.property(arbValues, (xs) => {
      const got = vals(np.sort(f64(xs)));
      for (let i = 1; i < got.length; i++) expect(compareTotal(got[i - 1]!, got[i]!)).to.be.at.most(0);
      const key = (v: number) => (Number.isNaN(v) ? "NaN" : String(v === 0 ? 0 : v));
      expect(got.map(key).sort()).to.deep.equal(xs.map(key).sort());
    }), { numRuns: 60 });
  });

  it("argsort is stable and consistent with sort (x[argsort(x)] = sort(x))", () => {
    fc.assert(fc.property(arbValues, fc.boolean(), (xs, descending) => {
      const ix = vals(np.argsort(f64(xs), { descending }));
      expect([...ix].sort((a, b) => a - b)).to.deep.equal(xs.map((_, i) => i));
      for (let i = 1; i < ix.length; i++) {
        const c = compareTotal(xs[ix[i - 1]!]!, xs[ix[i]!]!) * (descending ? -1 : 1);
        expect(c).to.be.at.most(0);
        if (c === 0) expect(ix[i - 1]!).to.be.below(ix[i]!);
      }
      const sorted = vals(np.sort(f64(xs), { descending }));
      ix.forEach((j, i) => expect(Object.is(xs[j]! === 0 ? 0 : xs[j], sorted[i] === 0 ? 0 : sorted[i])).to.equal(true));
    }), { numRuns: 60 });
  });

  it("topK equals the first k of a descending stable sort", () => {
    fc.assert(fc.property(arbValues, fc.nat(), (xs, kk) => {
      const k = kk % (xs.length + 1);
      const [v, i] = lax.topK(f64(xs), k);
      const want = vals(np.argsort(f64(xs), { descending: true })).slice(0, k);
      expect(vals(i)).to.deep.equal(want);
      vals(v).forEach((g, j) => expect(Object.is(g, xs[want[j]!])).to.equal(true));
    }), { numRuns: 60 });
  });

  it("unique with a size agrees with the distinct sorted values; searchsorted brackets every value", () => {
    fc.assert(fc.property(arbValues, (xs) => {
      const distinct = [...new Set(xs.map((v) => (Number.isNaN(v) ? NaN : v === 0 ? 0 : v)))].sort(compareTotal);
      const got = vals(np.unique(f64(xs), { size: distinct.length }));
      got.forEach((g, j) => expect(Object.is(g === 0 ? 0 : g, distinct[j])).to.equal(true));
      const sorted = [...xs].sort(compareTotal);
      const left = vals(np.searchsorted(f64(sorted), f64(xs)));
      const right = vals(np.searchsorted(f64(sorted), f64(xs), { side: "right" }));
      xs.forEach((x, j) => {
        expect(sorted.filter((s) => compareTotal(s, x) < 0).length).to.equal(left[j]);
        expect(sorted.filter((s) => compareTotal(s, x) <= 0).length).to.equal(right[j]);
      });
    }), { numRuns: 40 });
  });
});
