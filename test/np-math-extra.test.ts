/**
 * The math-extra compositions under the transforms: gradients against central differences (float64),
 * jit equal to eager, and vmap equal to a loop over the batch.
 */
import { expect } from "chai";
import { type Tensor, grad, jit, np, vmap } from "kiln";
import { activeExecutor, useCpuBackend } from "kiln/internal";

const f64 = (v: number[]) => np.array(v, { dtype: "float64" });
const vals = (t: Tensor) => Array.from(t.dataSync());

/** grad(sum(f(x))) against central differences at x, in float64. */
function checkGrad(name: string, f: (x: Tensor) => Tensor, x: number[], h = 1e-6, tol = 1e-5): void {
  const loss = (t: Tensor) => np.sum(f(t));
  const g = vals(grad(loss)(f64(x)) as Tensor);
  x.forEach((_, i) => {
    const up = [...x], dn = [...x];
    up[i]! += h;
    dn[i]! -= h;
    const fd = (loss(f64(up)).itemSync() - loss(f64(dn)).itemSync()) / (2 * h);
    expect(g[i], `${name}: d/dx[${i}] at ${x[i]}`).to.be.closeTo(fd, tol * Math.max(1, Math.abs(fd)));
  });
}

const B = [0.3, -1.7, 2.2, 0.9];

describe("np math-extra under grad, jit and vmap", () => {
  before(() => useCpuBackend());
  it("gradients match central differences", () => {
    checkGrad("fmax", (x) => np.fmax(x, f64([0, 0, 3, NaN])), [0.5, -1.25, 2.5, 0.75]);
    checkGrad("fmin", (x) => np.fmin(x, f64([0, 0, 3, NaN])), [0.5, -1.25, 2.5, 0.75]);
    checkGrad("fmod(x, b)", (x) => np.fmod(x, f64(B)), [1.1, 3.2, -5.1, -2.5]);
    checkGrad("fmod(a, x)", (x) => np.fmod(f64([1.1, 3.2, -5.1, -2.5]), x), B.map((b) => b + 0.01));
    checkGrad("modf frac", (x) => np.modf(x)[0], [1.3, -2.6, 0.4, -0.2]);
    checkGrad("floatPower", (x) => np.floatPower(x, f64(B)), [1.5, 0.7, 2.2, 3.1]);
    checkGrad("cbrt", (x) => np.cbrt(x), [8, -27, 0.5, -0.2]);
    checkGrad("sinc", (x) => np.sinc(x), [0.3, -1.2, 2.5, 0.01]);
    checkGrad("log10", (x) => np.log10(x), [0.5, 2, 10, 123]);
    checkGrad("logaddexp", (x) => np.logaddexp(x, f64(B)), [1, -3, 0.2, 40]);
    checkGrad("logaddexp2", (x) => np.logaddexp2(x, f64(B)), [1, -3, 0.2, 40]);
    checkGrad("copysign", (x) => np.copysign(x, f64([-1, 1, -1, 1])), [1.5, -2, 0.3, -0.7]);
    checkGrad("nanToNum", (x) => np.nanToNum(x), [1.5, -2, 0.3, -0.7]);
    checkGrad("average", (x) => np.average(np.reshape(x, [2, 2]), { axis: 1, weights: f64([1, 3]) }), [1.5, -2, 0.3, -0.7]);
    checkGrad("average weights", (w) => np.average(f64([1.5, -2, 0.3, -0.7]), { weights: w }), [1, 2, 3, 4]);
    checkGrad("nanmean", (x) => np.nanmean(np.where(np.less(x, -1.9), NaN, x)), [1.5, -2, 0.3, -0.7]);
    checkGrad("nanmax", (x) => np.nanmax(np.where(np.less(x, -1.9), NaN, x)), [1.5, -2, 0.3, -0.7]);
    checkGrad("cumprod with zeros and negatives", (x) => np.cumprod(x), [1.5, -2, 0, -0.7, 1.2]);
    checkGrad("cumprod", (x) => np.cumprod(x), [1.5, -2, 0.5, -0.7, 1.2]);
    checkGrad("nancumsum", (x) => np.nancumsum(x), [1.5, -2, 0.5, -0.7]);
    checkGrad("cov", (x) => np.cov(np.reshape(x, [2, 3])), [1.5, -2, 0.5, -0.7, 1.2, 3]);
    checkGrad("corrcoef", (x) => np.multiply(np.corrcoef(np.reshape(x, [2, 3])), np.reshape(f64([0, 1, 2, 0]), [2, 2])), [1.5, -2, 0.5, -0.7, 1.2, 3]);
  });

  it("sinc has derivative 0 at 0 (no NaN from the untaken branch)", () => {
    expect(vals(grad((x: Tensor) => np.sum(np.sinc(x)))(f64([0])) as Tensor)).to.deep.equal([0]);
  });

  it("jit gives the eager values", () => {
    const x = np.array([[1, -2, 0, NaN], [3, Infinity, -0.5, 4]]);
    const i = np.array([[5, -16, 7, 1], [3, 8, -1, 40]], { dtype: "int32" });
    const fns: [string, (x: Tensor, i: Tensor) => Tensor][] = [
      ["cumprod", (x) => np.cumprod(x, { axis: 1 })],
      ["nanmax", (x) => np.nanmax(x, { axis: 0 })],
      ["logaddexp", (x) => np.logaddexp(x, 1)],
      ["rightShift", (_, i) => np.rightShift(i, 2)],
      ["fmod", (x) => np.fmod(x, 1.5)],
      ["isclose", (x) => np.isclose(x, 1)],
      ["nanToNum", (x) => np.nanToNum(x)],
      ["cov", (x) => np.cov(np.nanToNum(x))],
    ];
    for (const [name, f] of fns) {
      const want = vals(f(x, i));
      const got = vals(jit(f)(x, i) as Tensor);
      got.forEach((g, k) => expect(Object.is(g, want[k]), `${name}[${k}]: ${g} vs ${want[k]}`).to.equal(true));
    }
  });

  it("bitwise ops with a constant operand: the cpu backend agrees with the interpreter", () => {
    // The backend's expression builder folded `and(x, c)` to x for any nonzero constant c, a rule
    // true only of bool: bitwiseAnd(13, 17) came out 13 instead of 1.
    const a = np.array([13, 14, 3, -1], { dtype: "int32" });
    const cases: [string, () => Tensor, number[]][] = [
      ["bitwiseAnd", () => np.bitwiseAnd(a, 17), [1, 0, 1, 17]],
      ["bitwiseAnd -1", () => np.bitwiseAnd(a, -1), [13, 14, 3, -1]],
      ["bitwiseOr", () => np.bitwiseOr(a, 16), [29, 30, 19, -1]],
      ["bitwiseXor", () => np.bitwiseXor(a, 1), [12, 15, 2, -2]],
      ["logical and", () => np.logicalAnd([true, false], true), [1, 0]],
    ];
    for (const [name, f, want] of cases) {
      expect(activeExecutor().name).to.equal("cpu");
      expect(vals(f()), `${name} on cpu`).to.deep.equal(want);
    }
  });

  it("vmap equals the loop over the batch", () => {
    const x = np.array([[1, -2, 0, 3], [0.5, 2, -1, -4], [NaN, 1, 2, 3]]);
    const fns: [string, (r: Tensor) => Tensor][] = [
      ["cumprod", (r) => np.cumprod(r)],
      ["nanmean", (r) => np.nanmean(r)],
      ["average", (r) => np.average(r, { weights: np.array([1, 2, 3, 4]) })],
      ["cov", (r) => np.cov(np.reshape(r, [2, 2]))],
      ["fmax", (r) => np.fmax(r, 0.5)],
    ];
    for (const [name, f] of fns) {
      const batched = vals(vmap(f)(x) as Tensor);
      const looped = [0, 1, 2].flatMap((b) => vals(f(np.get(x, b))));
      batched.forEach((g, k) => expect(Object.is(g, looped[k]) || Math.abs(g - looped[k]!) < 1e-6, `${name}[${k}]: ${g} vs ${looped[k]}`).to.equal(true));
    }
  });
});
