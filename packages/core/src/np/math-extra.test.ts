/**
 * The math-extra compositions against NumPy's documented values (written by hand from the NumPy
 * reference: examples and edge cases), including signed zeros, NaN/inf, int dtypes, empty and 0-d.
 */
import { expect } from "chai";
import { DTypeError, ShapeError, type Tensor, ValueError, np } from "../index.js";

const vals = (t: Tensor): number[] => Array.from(t.dataSync());
/** Element-by-element with Object.is, so -0 and NaN are checked exactly. */
function same(t: Tensor, want: number[], what = ""): void {
  const got = vals(t);
  expect(got.length, `${what} length`).to.equal(want.length);
  got.forEach((g, i) => expect(Object.is(g, want[i]), `${what}[${i}]: got ${Object.is(g, -0) ? "-0" : g}, want ${Object.is(want[i], -0) ? "-0" : want[i]}`).to.equal(true));
}
function close(t: Tensor, want: number[], tol = 1e-6): void {
  const got = vals(t);
  expect(got.length).to.equal(want.length);
  got.forEach((g, i) => (Number.isFinite(want[i]!) ? expect(g).to.be.closeTo(want[i]!, tol * Math.max(1, Math.abs(want[i]!))) : expect(Object.is(g, want[i])).to.equal(true)));
}
const i32 = (v: unknown) => np.array(v as number[], { dtype: "int32" });
const inf = Infinity;

describe("np math-extra: elementwise", () => {
  it("signbit sees -0 and negatives; ints and bools", () => {
    same(np.signbit([-1, -0, 0, 2, -inf, inf, NaN]), [1, 1, 0, 0, 1, 0, 0]);
    expect(np.signbit([1]).dtype).to.equal("bool");
    same(np.signbit(i32([-3, 0, 4])), [1, 0, 0]);
    same(np.signbit([true, false]), [0, 0]);
  });

  it("copysign takes the sign bit of b", () => {
    same(np.copysign([1, -2, 3, 4, -inf], [-1, 1, -0, 0, 1]), [-1, 2, -3, 4, inf]);
    expect(np.copysign(i32([1]), i32([-1])).dtype).to.equal("float32");
  });

  it("fmax/fmin ignore NaN, maximum/minimum otherwise", () => {
    // NumPy docs: np.fmax([2, 3, 4], [1, 5, 2]) -> [2, 5, 4]; np.fmax([nan, 0, nan], [0, nan, nan]) -> [0, 0, nan]
    same(np.fmax([2, 3, 4], [1, 5, 2]), [2, 5, 4]);
    same(np.fmax([NaN, 0, NaN], [0, NaN, NaN]), [0, 0, NaN]);
    same(np.fmin([NaN, 0, NaN], [0, NaN, NaN]), [0, 0, NaN]);
    same(np.fmin([[1, -2]], [[0], [3]]), [0, -2, 1, -2]);
    const i = np.fmax(i32([1, 5]), 3);
    expect(i.dtype).to.equal("int32");
    same(i, [3, 5]);
  });

  it("fmod follows the dividend's sign (NumPy docs examples)", () => {
    // np.fmod([-3, -2, -1, 1, 2, 3], 2) -> [-1, 0, -1, 1, 0, 1]
    same(np.fmod(i32([-3, -2, -1, 1, 2, 3]), 2), [-1, 0, -1, 1, 0, 1]);
    // np.remainder gives [1, 0, 1, 1, 0, 1] for the same
    same(np.fmod([5, 3], [2, 2.0]), [1, 1]);
    same(np.fmod([-5, 5, -5], [2, -2, -2]), [-1, 1, -1]);
    same(np.fmod([-4, 4, -0, 1, -1, inf, 1, NaN], [2, -2, 1, inf, -inf, 2, 0, 1]), [-0, 0, -0, 1, -1, NaN, NaN, NaN]);
    same(np.fmod(i32([7, -7]), i32([0, 0])), [0, 0]);
    expect(() => np.fmod([true], [true])).to.throw(DTypeError);
  });

  it("modf splits with the sign of x; inf gives ±0", () => {
    // np.modf([0, 3.5]) -> ([0. , 0.5], [0., 3.]); np.modf(-0.5) -> (-0.5, -0)
    const [f, i] = np.modf([0, 3.5, -0.5, -2, inf, -inf, NaN]);
    same(f, [0, 0.5, -0.5, -0, 0, -0, NaN]);
    same(i, [0, 3, -0, -2, inf, -inf, NaN]);
    expect(np.modf(i32([3]))[0].dtype).to.equal("float32");
  });

  it("divmod is [floorDivide, remainder]", () => {
    const [q, r] = np.divmod(i32([7, -7, 7]), i32([2, 2, -2]));
    same(q, [3, -4, -4]);
    same(r, [1, 1, -1]);
  });

  it("floatPower promotes integers to float", () => {
    const y = np.floatPower(i32([2, 4]), -1);
    expect(y.dtype).to.equal("float32");
    same(y, [0.5, 0.25]);
    same(np.floatPower([2, -8], [3, 1 / 3]), [8, NaN]);
  });

  it("cbrt is real for negatives", () => {
    close(np.cbrt([1, 8, 27, -8, 0, -inf, 0.001]), [1, 2, 3, -2, 0, -inf, 0.1]);
    same(np.cbrt([NaN]), [NaN]);
  });

  it("sinc is 1 at 0 and zero at the nonzero integers", () => {
    close(np.sinc([0, 0.5, 1, -2, 1.5]), [1, 2 / Math.PI, 0, 0, -2 / (3 * Math.PI)]);
  });

  it("float16 sinc computes π·x in float16, as NumPy and JAX do (a deep NumPy random-program run, seed 101680)", () => {
    // np.sinc(np.float16(4.25)) is 0.05255 (π rounds to 3.140625 first); float32's 0.052960 rounds to 0.05295.
    same(np.sinc(np.array([4.25], { dtype: "float16" })), [0.05255126953125]);
  });

  it("power with the scalar exponent 0.5 is C99's pow (JAX's lax.pow), not NumPy's sqrt shortcut", () => {
    // A deep NumPy random-program run (seed 100265): NumPy's power(x, 0.5) takes sqrt, -0 → -0 and
    // -inf → NaN; pow (and so JAX and kiln, and NumPy with an array exponent) gives +0 and +inf.
    same(np.power(np.array([-0, -inf, 4, -1]), 0.5), [0, inf, 2, NaN]);
    same(np.power(np.array([-0, -inf, 4, -1]), np.array([0.5, 0.5, 0.5, 0.5])), [0, inf, 2, NaN]);
  });

  it("log10", () => {
    close(np.log10([1, 10, 1000, 1e-7, 0]), [0, 1, 3, -7, -inf]);
    same(np.log10([-1, NaN]), [NaN, NaN]);
  });

  it("logaddexp/logaddexp2 are stable and handle infinities", () => {
    // NumPy docs: prob1 = log(1e-50), prob2 = log(2.5e-50): logaddexp -> -113.87649168120691
    close(np.logaddexp(Math.log(1e-50), Math.log(2.5e-50)), [-113.87649168120691]);
    close(np.logaddexp([1000, 0, -inf, inf, inf], [1000, 0, -inf, inf, -inf]), [1000 + Math.LN2, Math.LN2, -inf, inf, inf]);
    same(np.logaddexp([NaN, 1], [1, NaN]), [NaN, NaN]);
    // logaddexp2(log2(1e-50), log2(2.5e-50)) -> -164.28904982231052
    close(np.logaddexp2(Math.log2(1e-50), Math.log2(2.5e-50)), [-164.28904982231052]);
    close(np.logaddexp2([1, 3, -inf, 500], [1, 1, -inf, 500]), [2, Math.log2(10), -inf, 501]);
  });

  it("isinf; ints are never infinite", () => {
    same(np.isinf([1, inf, -inf, NaN]), [0, 1, 1, 0]);
    same(np.isinf(i32([1])), [0]);
  });

  it("nanToNum: defaults to the dtype's largest finite value; options", () => {
    same(np.nanToNum([NaN, inf, -inf, 1.5]), [0, 3.4028234663852886e38, -3.4028234663852886e38, 1.5]);
    same(np.nanToNum(np.array([inf, -inf], { dtype: "float64" })), [Number.MAX_VALUE, -Number.MAX_VALUE]);
    same(np.nanToNum(np.array([inf, NaN], { dtype: "float16" })), [65504, 0]);
    same(np.nanToNum([NaN, inf, -inf], { nan: -1, posinf: 9, neginf: -9 }), [-1, 9, -9]);
    same(np.nanToNum(i32([3])), [3]);
    expect(() => np.nanToNum([1], { nan: "x" as unknown as number })).to.throw(ValueError);
  });

  it("rint rounds half to even and gives float", () => {
    same(np.rint([-1.7, -1.5, -0.2, 0.2, 1.5, 1.7, 2.0, 2.5]), [-2, -2, -0, 0, 2, 2, 2, 2]);
    expect(np.rint(i32([3])).dtype).to.equal("float32");
  });

  it("round with decimals (NumPy docs examples)", () => {
    // np.round([0.37, 1.64], decimals=1) -> [0.4, 1.6]; np.round([.5, 1.5, 2.5, 3.5, 4.5]) -> [0, 2, 2, 4, 4]
    close(np.round([0.37, 1.64], 1), [0.4, 1.6]);
    same(np.round([0.5, 1.5, 2.5, 3.5, 4.5]), [0, 2, 2, 4, 4]);
    // np.round([1, 2, 3, 11], decimals=1) -> [1, 2, 3, 11]; np.round([1, 2, 3, 11], decimals=-1) -> [0, 0, 0, 10]
    same(np.round(i32([1, 2, 3, 11]), 1), [1, 2, 3, 11]);
    same(np.round(i32([1, 2, 3, 11]), -1), [0, 0, 0, 10]);
    same(np.round(i32([1250, 1350, -1250, -1351, 15, 25, 2147483647]), -2), [1200, 1400, -1200, -1400, 0, 0, 2147483600]);
    same(np.round([1234.5, -1250], -2), [1200, -1200]);
    expect(() => np.round([1], 0.5)).to.throw(ValueError);
  });
});

describe("np math-extra: bitwise and logical", () => {
  it("bitwiseAnd/Or/Xor on int32 and bool (NumPy docs examples)", () => {
    // np.bitwise_and(13, 17) -> 1; np.bitwise_and([14, 3], 13) -> [12, 1]
    same(np.bitwiseAnd(i32([13]), 17), [1]);
    same(np.bitwiseAnd(i32([14, 3]), 13), [12, 1]);
    // np.bitwise_or([33, 4], 1) -> [33, 5]; np.bitwise_xor([31, 3], 5) -> [26, 6]
    same(np.bitwiseOr(i32([33, 4]), 1), [33, 5]);
    same(np.bitwiseXor(i32([31, 3]), 5), [26, 6]);
    same(np.bitwiseXor([true, true], [false, true]), [1, 0]);
    expect(np.bitwiseAnd([true], [true]).dtype).to.equal("bool");
    same(np.bitwiseAnd(i32([-1]), i32([0x7fffffff])), [0x7fffffff]);
    expect(() => np.bitwiseAnd([1.5], 1)).to.throw(DTypeError);
  });

  it("invert: ~x on int32, not on bool", () => {
    // np.invert(np.array([13], dtype=np.int32)) -> [-14]
    same(np.invert(i32([13, 0, -1])), [-14, -1, 0]);
    same(np.invert([true, false]), [0, 1]);
    expect(() => np.invert([1.5])).to.throw(DTypeError);
  });

  it("leftShift/rightShift: arithmetic right shift; out-of-range counts", () => {
    // np.left_shift(5, [1, 2, 3]) -> [10, 20, 40]; np.right_shift(10, [1, 2, 3]) -> [5, 2, 1]
    same(np.leftShift(i32([5]), i32([1, 2, 3])), [10, 20, 40]);
    same(np.rightShift(i32([10]), i32([1, 2, 3])), [5, 2, 1]);
    same(np.rightShift(i32([-16, -1, -17, 16]), 2), [-4, -1, -5, 4]);
    same(np.rightShift(i32([-16, 16, -16, 16]), i32([32, 40, -1, -1])), [-1, 0, -1, 0]);
    same(np.leftShift(i32([1, 1, 1, 3]), i32([31, 32, -1, 30])), [-2147483648, 0, 0, -1073741824]);
    same(np.leftShift([true], 2), [4]);
    expect(() => np.leftShift([1.5], 1)).to.throw(DTypeError);
  });

  it("leftShift/rightShift of unsigned arrays by a JS number (the count takes the array's dtype)", () => {
    // np.right_shift(np.array([256, 7], np.uint32), 4) -> [16, 0]; np.left_shift(np.array([200, 7], np.uint8), 1) -> [144, 14]
    const r = np.rightShift(np.array([256, 7], { dtype: "uint32" }), 4);
    expect(r.dtype).to.equal("uint32");
    same(r, [16, 0]);
    const l = np.leftShift(np.array([200, 7], { dtype: "uint8" }), 1);
    expect(l.dtype).to.equal("uint8");
    same(l, [144, 14]);
  });

  it("logicalXor", () => {
    same(np.logicalXor([true, true, false, false], [true, false, true, false]), [0, 1, 1, 0]);
    same(np.logicalXor([2, 0, NaN], 0), [1, 0, 1]);
  });
});

describe("np math-extra: types", () => {
  it("resultType promotes arrays, weak scalars and dtype names", () => {
    expect(np.resultType("int32", 1.5)).to.equal("float32");
    expect(np.resultType("int32", "float16")).to.equal("float16");
    expect(np.resultType(np.array([1], { dtype: "float16" }), 2.5)).to.equal("float16");
    expect(np.resultType(true, 1)).to.equal("int32");
    expect(() => np.resultType()).to.throw(ValueError);
    expect(() => np.resultType("int8" as "int32")).to.throw();
  });

  it("isscalar", () => {
    expect(np.isscalar(3.1)).to.equal(true);
    expect(np.isscalar(true)).to.equal(true);
    expect(np.isscalar(np.array(3.1))).to.equal(true); // jnp.isscalar: a 0-d array is a scalar
    expect(np.isscalar(np.array([3.1]))).to.equal(false);
    expect(np.isscalar([3.1])).to.equal(false);
    expect(np.isscalar("s")).to.equal(false);
  });
});

describe("np math-extra: reductions", () => {
  it("countNonzero (NumPy docs example)", () => {
    const a = i32([[0, 1, 7, 0], [3, 0, 2, 19]]);
    same(np.countNonzero(a), [5]);
    same(np.countNonzero(a, { axis: 0 }), [1, 1, 2, 1]);
    same(np.countNonzero(a, { axis: -1 }), [2, 3]);
    const k = np.countNonzero(a, { axis: 1, keepdims: true });
    expect(k.shape).to.deep.equal([2, 1]);
    expect(k.dtype).to.equal("int32");
    same(np.countNonzero([NaN, 0, -0]), [1]);
    same(np.countNonzero(np.zeros([0])), [0]);
  });

  it("average with weights and returned (NumPy docs examples)", () => {
    // np.average(range(1, 5)) -> 2.5; np.average(range(1, 11), weights=range(10, 0, -1)) -> 4.0
    same(np.average([1, 2, 3, 4]), [2.5]);
    same(np.average([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { weights: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1] }), [4]);
    // data = arange(6).reshape(3, 2); np.average(data, axis=1, weights=[1/4, 3/4]) -> [0.75, 2.75, 4.75]
    const data = [[0, 1], [2, 3], [4, 5]];
    same(np.average(data, { axis: 1, weights: [0.25, 0.75] }), [0.75, 2.75, 4.75]);
    same(np.average(data, { axis: -1, weights: [0.25, 0.75], keepdims: true }), [0.75, 2.75, 4.75]);
    expect(np.average(data, { axis: -1, weights: [0.25, 0.75], keepdims: true }).shape).to.deep.equal([3, 1]);
    const [avg, sw] = np.average(data, { axis: 0, returned: true });
    same(avg, [2, 3]);
    same(sw, [3, 3]);
    const [a2, s2] = np.average([1, 2], { weights: [3, 1], returned: true });
    same(a2, [1.25]);
    same(s2, [4]);
    expect(() => np.average(data, { weights: [1, 2] })).to.throw(ShapeError);
    expect(() => np.average(data, { axis: 1, weights: [1, 2, 3] })).to.throw(ShapeError);
  });

  it("nansum/nanmean/nanmax/nanmin (NumPy docs examples)", () => {
    // np.nansum([[1, nan], [1, nan]], axis=0) -> [2, 0]; np.nanmean([[1, nan], [3, 4]]) -> 2.6666..
    same(np.nansum([[1, NaN], [1, NaN]], { axis: 0 }), [2, 0]);
    same(np.nansum([1, NaN, inf]), [inf]);
    close(np.nanmean([[1, NaN], [3, 4]]), [8 / 3]);
    same(np.nanmean([[1, NaN], [3, 4]], { axis: 0 }), [2, 4]);
    same(np.nanmean([NaN, NaN]), [NaN]);
    // np.nanmax([[1, 2], [3, nan]], axis=1) -> [2, 3]; np.nanmin([[1, 2], [3, nan]], axis=0) -> [1, 2]
    same(np.nanmax([[1, 2], [3, NaN]], { axis: 1 }), [2, 3]);
    same(np.nanmin([[1, 2], [3, NaN]], { axis: 0 }), [1, 2]);
    same(np.nanmax([[NaN, NaN], [-inf, NaN]], { axis: 1 }), [NaN, -inf]);
    same(np.nanmin(i32([3, 1])), [1]);
    expect(() => np.nanmax(np.zeros([0]))).to.throw(ValueError);
  });

  it("cumprod is exact for zeros and negatives, along any axis, and wraps int32", () => {
    same(np.cumprod([1, 2, 3, 4, 5, 6, 7]), [1, 2, 6, 24, 120, 720, 5040]);
    same(np.cumprod([-1, 2, 0, -3, 4]), [-1, -2, -0, 0, 0]);
    same(np.cumprod([-2, -2, -2, -2, -2]), [-2, 4, -8, 16, -32]);
    same(np.cumprod([[1, 2, 3], [4, 5, 6]]), [1, 2, 6, 24, 120, 720]);
    same(np.cumprod([[1, 2, 3], [4, 5, 6]], { axis: 0 }), [1, 2, 3, 4, 10, 18]);
    same(np.cumprod([[1, 2, 3], [4, 5, 6]], { axis: -1 }), [1, 2, 6, 4, 20, 120]);
    same(np.cumprod([2, NaN, 3]), [2, NaN, NaN]);
    same(np.cumprod(i32([65536, 65536, 3])), [65536, 0, 0]);
    expect(np.cumprod([true, true]).dtype).to.equal("int32");
    expect(np.cumprod(np.zeros([2, 0]), { axis: 1 }).shape).to.deep.equal([2, 0]);
    same(np.cumprod(5), [5]);
    expect(np.cumprod(5).shape).to.deep.equal([1]);
    expect(() => np.cumprod([1, 2], { axis: 1 })).to.throw();
  });

  it("cumprod of uint8 accumulates in uint32, as prod and cumsum (JAX; NumPy parity suite)", () => {
    const u8 = np.array([200, 2, 3], { dtype: "uint8" });
    expect(np.cumprod(u8).dtype).to.equal("uint32");
    same(np.cumprod(u8), [200, 400, 1200]);
    expect(np.cumprod(u8).dtype).to.equal(np.prod(u8).dtype);
    expect(np.cumprod(u8, { dtype: "uint8" }).dtype).to.equal("uint8");
  });

  it("nancumsum", () => {
    // np.nancumsum([[1, 2], [3, nan]]) -> [1, 3, 6, 6]
    same(np.nancumsum([[1, 2], [3, NaN]]), [1, 3, 6, 6]);
    same(np.nancumsum([[1, 2], [3, NaN]], { axis: 0 }), [1, 2, 4, 2]);
  });
});

describe("np math-extra: array comparison", () => {
  it("arrayEqual / arrayEquiv (NumPy docs examples)", () => {
    same(np.arrayEqual([1, 2], [1, 2]), [1]);
    same(np.arrayEqual([1, 2], [1, 2, 3]), [0]);
    same(np.arrayEqual([1, 2], [1, 4]), [0]);
    same(np.arrayEqual([1, NaN], [1, NaN]), [0]);
    same(np.arrayEqual([1, NaN], [1, NaN], { equalNan: true }), [1]);
    same(np.arrayEqual(np.zeros([0]), np.zeros([0])), [1]);
    expect(np.arrayEqual([1], [1]).shape).to.deep.equal([]);
    same(np.arrayEquiv([1, 2], [[1, 2], [1, 2]]), [1]);
    same(np.arrayEquiv([1, 2], [[1, 2, 1, 2], [1, 2, 1, 2]]), [0]);
    same(np.arrayEquiv([1, 2], [[1, 2], [1, 3]]), [0]);
  });

  it("isclose / allclose (NumPy docs examples)", () => {
    // np.isclose([1e10, 1e-7], [1.00001e10, 1e-8]) -> [True, False]
    same(np.isclose(np.array([1e10, 1e-7], { dtype: "float64" }), np.array([1.00001e10, 1e-8], { dtype: "float64" })), [1, 0]);
    same(np.isclose(np.array([1e10, 1e-8], { dtype: "float64" }), np.array([1.00001e10, 1e-9], { dtype: "float64" })), [1, 1]);
    same(np.isclose([1, NaN], [1, NaN]), [1, 0]);
    same(np.isclose([1, NaN], [1, NaN], { equalNan: true }), [1, 1]);
    same(np.isclose([inf, inf, -inf, 1e30], [inf, -inf, -inf, inf]), [1, 0, 1, 0]);
    // np.isclose([1e-100, 1e-7], [0.0, 0.0], atol=0.0) -> [False, False]
    same(np.isclose(np.array([1e-100, 1e-7], { dtype: "float64" }), [0, 0], { atol: 0 }), [0, 0]);
    same(np.isclose([1, 10], [1.5, 11], { rtol: 0.1, atol: 0 }), [0, 1]);
    same(np.isclose(i32([1, 2]), i32([1, 3])), [1, 0]);
    same(np.allclose([1e10, 1e-7], [1.00001e10, 1e-8]), [0]);
    same(np.allclose([1, NaN], [1, NaN], { equalNan: true }), [1]);
    same(np.allclose([], []), [1]);
  });
});

describe("np math-extra: covariance", () => {
  it("cov (NumPy docs examples)", () => {
    // x = [[0, 1, 2], [2, 1, 0]]; np.cov(x) -> [[1, -1], [-1, 1]]
    same(np.cov([[0, 1, 2], [2, 1, 0]]), [1, -1, -1, 1]);
    // x = [-2.1, -1, 4.3]; y = [3, 1.1, 0.12]; np.cov(x, y) -> [[11.71, -4.286], [-4.286, 2.144133]]
    close(np.cov([-2.1, -1, 4.3], { y: [3, 1.1, 0.12] }), [11.71, -4.286, -4.286, 2.144133], 1e-5);
    close(np.cov([-2.1, -1, 4.3]), [11.71], 1e-5);
    expect(np.cov([-2.1, -1, 4.3]).shape).to.deep.equal([]);
    same(np.cov([[0, 2], [1, 1], [2, 0]], { rowvar: false }), [1, -1, -1, 1]);
    close(np.cov([[0, 1, 2], [2, 1, 0]], { bias: true }), [2 / 3, -2 / 3, -2 / 3, 2 / 3]);
    close(np.cov([[0, 1, 2], [2, 1, 0]], { ddof: 2 }), [2, -2, -2, 2]);
    same(np.cov([1], { ddof: 1 }), [NaN]);
    expect(() => np.cov(np.zeros([2, 2, 2]))).to.throw(ShapeError);
    expect(() => np.cov([1, 2], { y: [1, 2, 3] })).to.throw(ShapeError);
  });

  it("corrcoef", () => {
    same(np.corrcoef([[0, 1, 2], [2, 1, 0]]), [1, -1, -1, 1]);
    close(np.corrcoef([[1, 2, 3, 4], [1, 3, 2, 4]]), [1, 0.8, 0.8, 1]);
    same(np.corrcoef([1, 2, 3]), [1]);
    close(np.corrcoef([1, 2, 3, 4], { y: [2, 4, 6, 8] }), [1, 1, 1, 1]);
  });
});
