/**
 * The signal-extra compositions against NumPy's documented values (written by hand from the NumPy
 * reference: its examples and the defining formulas), with empty, 0-d, int and NaN edge cases.
 */
import { expect } from "chai";
import { DTypeError, ShapeError, type Tensor, ValueError, np } from "../index.js";

const vals = (t: Tensor): number[] => Array.from(t.dataSync());
function close(t: Tensor, want: number[], tol = 1e-6): void {
  const got = vals(t);
  expect(got.length, `length of [${got}]`).to.equal(want.length);
  got.forEach((g, i) => expect(g, `[${i}] of [${got}]`).to.be.closeTo(want[i]!, tol * Math.max(1, Math.abs(want[i]!))));
}
function same(t: Tensor, want: number[]): void {
  expect(vals(t)).to.deep.equal(want);
}
const i32 = (v: unknown) => np.array(v as number[], { dtype: "int32" });

describe("np signal-extra: windows", () => {
  it("bartlett, hanning, hamming, blackman follow NumPy's formulas", () => {
    close(np.bartlett(5), [0, 0.5, 1, 0.5, 0]);
    close(np.bartlett(4), [0, 2 / 3, 2 / 3, 0]);
    // NumPy docs: np.bartlett(12)[:3] -> [0, 0.18181818, 0.36363636]
    close(np.get(np.bartlett(12), np.slice(0, 3)), [0, 0.18181818, 0.36363636]);
    close(np.hanning(5), [0, 0.5, 1, 0.5, 0]);
    close(np.hamming(5), [0.08, 0.54, 1, 0.54, 0.08]);
    close(np.blackman(5), [0, 0.34, 1, 0.34, 0]);
    for (const w of [np.bartlett, np.hanning, np.hamming, np.blackman]) {
      expect(w(4).dtype).to.equal("float32");
      same(w(1), [1]);
      same(w(0), []);
      same(w(-3), []);
    }
  });

  it("kaiser matches NumPy's documented np.kaiser(12, 14)", () => {
    const want = [7.72686684e-6, 3.46009194e-3, 4.65200189e-2, 2.2973712e-1, 5.99885316e-1, 9.45674898e-1];
    const got = vals(np.kaiser(12, 14));
    got.forEach((g, i) => expect(g).to.be.closeTo(want[Math.min(i, 11 - i)]!, 2e-6 * Math.max(1e-3, want[Math.min(i, 11 - i)]!) / 1e-3));
    close(np.kaiser(4, 0), [1, 1, 1, 1]);
    same(np.kaiser(1, 5), [1]);
    same(np.kaiser(0, 5), []);
    expect(np.kaiser(3, np.array(2, { dtype: "float64" })).dtype).to.equal("float64");
  });

  it("bad window arguments get typed errors", () => {
    expect(() => np.hanning(2.5)).to.throw(ValueError);
    expect(() => np.kaiser(3, [1, 2])).to.throw(ShapeError);
  });
});

describe("np signal-extra: convolve and correlate", () => {
  it("NumPy's documented examples", () => {
    close(np.convolve([1, 2, 3], [0, 1, 0.5]), [0, 1, 2.5, 4, 1.5]);
    close(np.convolve([1, 2, 3], [0, 1, 0.5], { mode: "same" }), [1, 2.5, 4]);
    close(np.convolve([1, 2, 3], [0, 1, 0.5], { mode: "valid" }), [2.5]);
    close(np.correlate([1, 2, 3], [0, 1, 0.5]), [3.5]);
    close(np.correlate([1, 2, 3], [0, 1, 0.5], { mode: "same" }), [2, 3.5, 3]);
    close(np.correlate([1, 2, 3], [0, 1, 0.5], { mode: "full" }), [0.5, 2, 3.5, 3, 0]);
  });

  it("convolve is commutative, including a longer v and an even-length kernel", () => {
    close(np.convolve([0, 1, 0.5], [1, 2, 3], { mode: "same" }), [1, 2.5, 4]);
    close(np.convolve([1, 2, 3], [1, 1], { mode: "same" }), [1, 3, 5]);
    close(np.convolve([1, 1], [1, 2, 3], { mode: "same" }), [1, 3, 5]);
    close(np.convolve([1, 1], [1, 2, 3], { mode: "valid" }), [3, 5]);
    close(np.convolve([2], [3]), [6]);
  });

  it("correlate with a shorter a: NumPy's swapped window for 'same'", () => {
    // NumPy computes it as correlate(v, a) = [2, 5, 8, 3] reversed; "same" keeps [8, 5, 2].
    close(np.correlate([1, 2], [1, 2, 3], { mode: "full" }), [3, 8, 5, 2]);
    close(np.correlate([1, 2], [1, 2, 3], { mode: "same" }), [8, 5, 2]);
    close(np.correlate([1, 2, 3], [1, 2], { mode: "same" }), [2, 5, 8]);
    close(np.correlate([1, 2], [1, 2, 3]), [8, 5]);
  });

  it("ints stay int; NaN propagates; bad input gets typed errors", () => {
    const c = np.convolve(i32([1, 2, 3]), i32([1, -1]));
    expect(c.dtype).to.equal("int32");
    same(c, [1, 1, 1, -3]);
    const n = vals(np.convolve([1, NaN, 1], [1, 1]));
    expect([n[0], n[3]]).to.deep.equal([1, 1]);
    expect(Number.isNaN(n[1]) && Number.isNaN(n[2])).to.equal(true);
    expect(() => np.convolve([], [1])).to.throw(ValueError);
    expect(() => np.convolve([[1]], [1])).to.throw(ShapeError);
    expect(() => np.correlate(1, [1])).to.throw(ShapeError);
    expect(() => np.convolve([1], [1], { mode: "circular" as "full" })).to.throw(ValueError);
  });
});

describe("np signal-extra: isin, bincount, histogram", () => {
  it("isin compares against every test element; invert; NaN never matches", () => {
    const r = np.isin([[0, 2], [4, 6]], [1, 2, 4, 8]);
    expect(r.dtype).to.equal("bool");
    expect(r.shape).to.deep.equal([2, 2]);
    same(r, [0, 1, 1, 0]);
    same(np.isin([[0, 2], [4, 6]], [[1, 2], [4, 8]], { invert: true }), [1, 0, 0, 1]);
    same(np.isin([NaN, 1], [NaN, 1]), [0, 1]);
    same(np.isin(i32([1, 2]), [1.5, 2]), [0, 1]);
    same(np.isin([1, 2], []), [0, 0]);
    const s = np.isin(3, [1, 3]);
    expect(s.shape).to.deep.equal([]);
    same(s, [1]);
    same(np.isin([], [1]), []);
  });

  it("bincount counts with a static length; out-of-range values are dropped", () => {
    const c = np.bincount(i32([0, 1, 1, 3, 2, 1, 7]), { length: 8 });
    expect(c.dtype).to.equal("int32");
    same(c, [1, 3, 1, 1, 0, 0, 0, 1]);
    same(np.bincount(i32([0, 1, 1, 3, 7, -1]), { length: 3 }), [1, 2, 0]);
    close(np.bincount(i32([0, 1, 1, 2, 2, 2]), { length: 3, weights: [0.3, 0.5, 0.2, 0.7, 1, -0.6] }), [0.3, 0.7, 1.1]);
    same(np.bincount(i32([]), { length: 2 }), [0, 0]);
    same(np.bincount(i32([1]), { length: 0 }), []);
    same(np.bincount([true, false, true], { length: 2 }), [1, 2]);
    expect(() => np.bincount(i32([1]), {} as { length: number })).to.throw(ValueError);
    expect(() => np.bincount([0.5], { length: 2 })).to.throw(DTypeError);
    expect(() => np.bincount(i32([[1]]), { length: 2 })).to.throw(ShapeError);
    expect(() => np.bincount(i32([1]), { length: 2, weights: [1, 2] })).to.throw(ShapeError);
  });

  it("histogram: half-open bins, right edge in the last, outside values and NaN dropped", () => {
    // NumPy docs: np.histogram([1, 2, 1], bins=[0, 1, 2, 3]) -> ([0, 2, 1], [0, 1, 2, 3])
    const [c, e] = np.histogram([1, 2, 1], { bins: 3, range: [0, 3] });
    expect(c.dtype).to.equal("int32");
    same(c, [0, 2, 1]);
    close(e, [0, 1, 2, 3]);
    same(np.histogram(np.arange(4), { bins: 4, range: [0, 4] })[0], [1, 1, 1, 1]);
    same(np.histogram([0, 3, 3, -0.1, 3.1, NaN, Infinity], { bins: 3, range: [0, 3] })[0], [1, 0, 2]);
    same(np.histogram(i32([[1, 2], [2, 9]]), { bins: 2, range: [1, 3] })[0], [1, 2]);
    close(np.histogram([0.5, 1.5, 1.6], { bins: 2, range: [0, 2], weights: [2, 0.5, 0.25] })[0], [2, 0.75]);
    // An empty range is widened by 0.5 on each side, as NumPy.
    const [c1, e1] = np.histogram([1, 1], { bins: 2, range: [1, 1] });
    same(c1, [0, 2]);
    close(e1, [0.5, 1, 1.5]);
    same(np.histogram([], { bins: 2, range: [0, 1] })[0], [0, 0]);
    expect(() => np.histogram([1], { bins: 0, range: [0, 1] })).to.throw(ValueError);
    expect(() => np.histogram([1], { bins: 2, range: [1, 0] })).to.throw(ValueError);
    expect(() => np.histogram([1], { bins: 2 } as never)).to.throw(ValueError);
  });
});

describe("np.einsum interleaved form", () => {
  const a = np.array([[1, 2], [3, 4]]);
  const b = np.array([[5, 6], [7, 8]]);
  it("translates sublists to subscripts, as NumPy's einsum(op0, sublist0, ...)", () => {
    same(np.einsum(a, [0, 1], b, [1, 2], [0, 2]), vals(np.einsum("ij,jk->ik", a, b)));
    same(np.einsum(a, [0, 1], b, [1, 2], [0, 2]), [19, 22, 43, 50]);
    // implicit output: labels used once, in integer order (NumPy: ASCII order of A-Za-z)
    same(np.einsum(a, [1, 0]), vals(a.T));
    same(np.einsum(a, [30, 30]), [5]);
    same(np.einsum(a, [0, 0], [0]), [1, 4]);
    same(np.einsum(np.ones([2, 3, 2]), ["...", 0], np.array([1, 2]), [0], ["..."]), [3, 3, 3, 3, 3, 3]);
  });
  it("bad sublists get typed errors", () => {
    expect(() => np.einsum(a, [0, 52])).to.throw(ValueError);
    expect(() => np.einsum(a, [0, -1])).to.throw(ValueError);
    expect(() => np.einsum(a, [0, 1], b, 3 as never)).to.throw(ValueError);
  });
});

describe("np.applyOverAxes", () => {
  it("NumPy's documented example and a rank-keeping fn", () => {
    // NumPy docs: np.apply_over_axes(np.sum, np.arange(24).reshape(2,3,4), [0,2]) -> [[[60], [92], [124]]]
    const r = np.applyOverAxes((t, ax) => np.sum(t, { axis: ax }), np.reshape(np.arange(24), [2, 3, 4]), [0, 2]);
    expect(r.shape).to.deep.equal([1, 3, 1]);
    same(r, [60, 92, 124]);
    const k = np.applyOverAxes((t, ax) => np.sum(t, { axis: ax, keepdims: true }), np.reshape(np.arange(6), [2, 3]), -1);
    expect(k.shape).to.deep.equal([2, 1]);
    same(k, [3, 12]);
    same(np.applyOverAxes((t, ax) => np.cumsum(t, { axis: ax }), [1, 2, 3], []), [1, 2, 3]);
  });
  it("bad axes and rank changes get typed errors", () => {
    expect(() => np.applyOverAxes((t) => t, [1, 2], 1)).to.throw(/axis/);
    expect(() => np.applyOverAxes((t) => np.sum(t), np.ones([2, 2, 2]), 0)).to.throw(ShapeError);
  });
});
