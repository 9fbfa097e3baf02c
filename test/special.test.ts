/**
 * lax's special functions and the scipySpecial namespace end to end on the CPU backend: SciPy's
 * values (scipy.special 1.17 at these points), special values, dtype rules, gradients against
 * finite differences, and float32 results that are the float64 reference rounded once.
 */
import { expect } from "chai";
import { DTypeError, type NestedArray, ValueError, grad, lax, np, scipySpecial as sp, type Tensor } from "kiln";
import { digammaF64, erfF64, erfInvF64, erfcF64, i0eF64, i1eF64, lgammaF64, trigammaF64 } from "@kiln/core";
import { checkGradFd, expectClose } from "./util.js";

const f64 = (v: NestedArray) => np.array(v, { dtype: "float64" });
const vals = (t: Tensor) => Array.from(t.dataSync());

describe("lax special functions", () => {
  it("SciPy's values in float64", () => {
    expectClose(lax.erf(f64([0.5, 1, -2])), [0.5204998778130465, 0.8427007929497148, -0.9953222650189527], { rtol: 1e-15, atol: 0 });
    expectClose(lax.erfc(f64([1, 3, 10])), [0.15729920705028516, 2.2090496998585445e-05, 2.0884875837625446e-45], { rtol: 1e-15, atol: 0 });
    expectClose(lax.erfInv(f64([0.5, 0.9, -0.999999])), [0.4769362762044699, 1.1630871536766743, -3.458910737275499], { rtol: 1e-15, atol: 0 });
    expectClose(lax.lgamma(f64([0.5, 1.5, 100, -0.5])), [0.5723649429247, -0.12078223763524526, 359.1342053695754, 1.2655121234846454], { rtol: 2e-15, atol: 4e-16 });
    expectClose(lax.digamma(f64([1, 0.5, -2.3])), [-0.5772156649015329, -1.9635100260214235, 3.3173231575618236], { rtol: 2e-15, atol: 0 });
    expectClose(lax.trigamma(f64([1, 0.5, -1.5])), [1.6449340668482266, 4.93480220054468, 9.379246644989124], { rtol: 2e-15, atol: 0 });
    expectClose(lax.besselI0e(f64([1, -3, 30])), [0.46575960759364043, 0.24300035416182536, 0.0731459464822373], { rtol: 2e-15, atol: 0 });
    expectClose(lax.besselI1e(f64([1, -3, 30])), [0.2079104153497085, -0.19682671329730084, 0.07191633059864755], { rtol: 2e-15, atol: 0 });
  });

  it("poles and special values as SciPy (lgamma(-inf) = inf as JAX)", () => {
    const xs = f64([0, -0, -1, Infinity, -Infinity, NaN]);
    expect(vals(lax.lgamma(xs))).to.deep.equal([Infinity, Infinity, Infinity, Infinity, Infinity, NaN]);
    expect(vals(lax.digamma(xs))).to.deep.equal([-Infinity, Infinity, NaN, Infinity, NaN, NaN]);
    expect(vals(lax.trigamma(xs))).to.deep.equal([Infinity, Infinity, Infinity, 0, Infinity, NaN]);
    expect(vals(lax.erfInv(f64([1, -1, 2, NaN])))).to.deep.equal([Infinity, -Infinity, NaN, NaN]);
    expect(vals(lax.erf(f64([Infinity, -Infinity])))).to.deep.equal([1, -1]);
    expect(vals(lax.erfc(f64([Infinity, -Infinity])))).to.deep.equal([0, 2]);
  });

  it("float32 results are the float64 reference rounded once (the CPU kernels call the same functions), erf within its vector-math bound", () => {
    const xs = Array.from({ length: 2001 }, (_, i) => Math.fround(-10 + i * 0.01 + 0.0031));
    const cases: [(x: Tensor) => Tensor, (x: number) => number, number[]][] = [
      [lax.erf, erfF64, xs], [lax.erfc, erfcF64, xs], [lax.erfInv, erfInvF64, xs.map((x) => Math.fround(x / 10.01))],
      [lax.lgamma, lgammaF64, xs], [lax.digamma, digammaF64, xs], [lax.trigamma, trigammaF64, xs],
      [lax.besselI0e, i0eF64, xs.map((x) => Math.fround(x * 3))], [lax.besselI1e, i1eF64, xs.map((x) => Math.fround(x * 3))],
    ];
    /** float32 spacing at a value (2^-149 among subnormals). */
    const ulp = (v: number) => 2 ** Math.max(Math.floor(Math.log2(Math.abs(v))) - 23, -149);
    for (const [f, ref, inputs] of cases) {
      // exp(x) in the same kernel, so the op is fused (computed in a register), not only stored:
      // the same bits as exp of the stored values, computed by another kernel.
      const got = vals(f(np.array(inputs)));
      const fused = vals(np.exp(f(np.array(inputs))));
      const separate = vals(np.exp(np.array(got)));
      inputs.forEach((x, i) => {
        // float32 erf is the wasm vector math function (docs/numerics.md#vector-math: ≤ 2.03 ulp).
        if (f === lax.erf) expect(Math.abs(got[i]! - ref(x)), `${f.name}(${x})`).to.be.at.most(2.03 * ulp(ref(x)));
        else expect(Object.is(got[i], Math.fround(ref(x))), `${f.name}(${x})`).to.equal(true);
        expect(Object.is(fused[i], separate[i]), `exp(${f.name}(${x})) fused`).to.equal(true);
      });
    }
  });

  it("lax does not promote: int32 and bool Tensors are a DTypeError naming scipySpecial; JS numbers become float32", () => {
    expect(() => lax.erf(np.array([1, 2], { dtype: "int32" }))).to.throw(DTypeError, /lax\.erf: requires a floating-point operand, got int32.*scipySpecial\.erf/);
    expect(() => lax.lgamma(np.array([true]))).to.throw(DTypeError, /scipySpecial\.gammaln/);
    expect(lax.lgamma([1, 2, 3]).dtype).to.equal("float32");
    expect(lax.erf(f64([1])).dtype).to.equal("float64");
  });

  it("derivatives: erf' = 2/√π e^{-x²}, erfInv' = √π/2 e^{erfInv²}, lgamma' = digamma, digamma' = trigamma", () => {
    checkGradFd("erf", lax.erf, [2, 3]);
    checkGradFd("erfc", lax.erfc, [2, 3]);
    checkGradFd("erfInv", (x) => lax.erfInv(np.tanh(x)), [2, 3]);
    checkGradFd("lgamma", (x) => lax.lgamma(np.add(np.square(x), 0.2)), [2, 3]);
    checkGradFd("digamma", (x) => lax.digamma(np.add(np.square(x), 0.2)), [2, 3]);
    const g = (f: (x: Tensor) => Tensor, x: number) => (grad((t: Tensor) => np.sum(f(t)))(f64([x])) as Tensor).dataSync()[0]!;
    expect(g(lax.erf, 0)).to.be.closeTo(2 / Math.sqrt(Math.PI), 1e-15);
    expect(g(lax.lgamma, 1)).to.be.closeTo(-0.5772156649015329, 1e-15);
    expect(g(lax.digamma, 1)).to.be.closeTo(Math.PI ** 2 / 6, 1e-15);
    expect(g(lax.erfInv, 1)).to.equal(Infinity);
    // i0e' = i1e − sign(x) i0e; i1e' = i0e − i1e (sign(x) + 1/x), 1/2 at 0 (JAX's rules).
    checkGradFd("besselI0e", (x) => lax.besselI0e(np.add(np.square(x), 0.1)), [2, 3]);
    checkGradFd("besselI1e", (x) => lax.besselI1e(np.add(x, 3.5)), [2, 3]);
    expect(g(lax.besselI1e, 0)).to.equal(0.5);
    expect(g(lax.besselI0e, 1)).to.be.closeTo(0.2079104153497085 - 0.46575960759364043, 1e-15);
  });

  it("trigamma's derivative (polygamma(2, x)) is not implemented: a ValueError, not a silent zero", () => {
    const second = grad((x: Tensor) => np.sum(lax.trigamma(x)));
    expect(() => second(f64([1.5]))).to.throw(ValueError, /trigamma is not differentiable/);
    // grad of grad of digamma reaches trigamma's derivative too.
    const dd = grad((x: Tensor) => np.sum(grad((y: Tensor) => np.sum(lax.digamma(y)))(x) as Tensor));
    expect(() => dd(f64([1.5]))).to.throw(ValueError, /trigamma is not differentiable/);
    // Where no cotangent reaches it (above a stopGradient) there is nothing to differentiate: no error, as JAX.
    const g = grad((x: Tensor) => np.sum(np.add(lax.trigamma(np.stopGradient(x)), x)))(f64([1.5, 2])) as Tensor;
    expect(vals(g)).to.deep.equal([1, 1]);
  });
});

describe("scipySpecial", () => {
  it("promotes integers and bools to float32 (SciPy's float loops)", () => {
    const e = sp.erf(np.array([0, 1], { dtype: "int32" }));
    expect(e.dtype).to.equal("float32");
    expectClose(e, [0, 0.8427007929497148], { rtol: 1e-7 });
    expectClose(sp.gammaln([1, 2, 3, 4]), [0, 0, Math.log(2), Math.log(6)], { rtol: 1e-7, atol: 1e-7 });
    expectClose(sp.digamma([1]), [-0.5772156649015329], { rtol: 1e-7 });
    expectClose(sp.erfinv([0.5]), [0.4769362762044699], { rtol: 1e-7 });
    expectClose(sp.erfc([3]), [2.2090496998585445e-05], { rtol: 1e-7 });
    expectClose(sp.i0e([0, 1]), [1, 0.46575960759364043], { rtol: 1e-7 });
    expectClose(sp.i1e(np.array([0, 1], { dtype: "int32" })), [0, 0.2079104153497085], { rtol: 1e-7 });
  });

  it("expit and logit are inverses, with logit's infinities at 0 and 1", () => {
    expectClose(sp.expit(f64([0, 2, -40])), [0.5, 0.8807970779778823, 4.248354255291589e-18], { rtol: 1e-15 });
    expect(vals(sp.logit(f64([0, 1, 0.5, 2])))).to.deep.equal([-Infinity, Infinity, 0, NaN]);
    expectClose(sp.logit(sp.expit(f64([-3, 0.5, 4]))), [-3, 0.5, 4], { rtol: 1e-14, atol: 1e-15 });
  });

  it("xlogy and xlog1py are 0 where x = 0, whatever y is (SciPy: xlogy(0, 0) = 0, xlogy(0, NaN) = 0)", () => {
    expect(vals(sp.xlogy(f64([0, 0, 0, 2]), f64([0, NaN, Infinity, 3])))).to.deep.equal([0, 0, 0, 2 * Math.log(3)]);
    expect(vals(sp.xlog1py(f64([0, 0, 2]), f64([-1, NaN, 1])))).to.deep.equal([0, 0, 2 * Math.LN2]);
    expect(vals(sp.xlogy(f64([1]), f64([0])))).to.deep.equal([-Infinity]);
    // Broadcasting, and finite gradients through the x = 0 branch.
    expect(sp.xlogy(f64([1, 2]), f64([[1], [2]])).shape).to.deep.equal([2, 2]);
    const gy = grad((y: Tensor) => np.sum(sp.xlogy(f64([0, 2]), y)))(f64([0, 4])) as Tensor;
    expect(vals(gy)).to.deep.equal([0, 0.5]);
  });

  it("betaln is log B(a, b) through gammaln", () => {
    expectClose(sp.betaln(f64([1, 2, 0.5]), f64([1, 3, 0.5])), [0, Math.log(1 / 12), Math.log(Math.PI)], { rtol: 1e-14, atol: 1e-15 });
  });

  it("ndtr keeps relative accuracy in the lower tail; ndtri inverts it to the tails", () => {
    expectClose(sp.ndtr(f64([0, -10, 1.96, -40])), [0.5, 7.619853024160527e-24, 0.9750021048517795, 0], { rtol: 1e-14, atol: 0 });
    const p = f64([0.5, 0.975, 0.025, 1e-10, 1e-300, 0.2, 0.999999]);
    expectClose(sp.ndtri(p), [0, 1.959963984540054, -1.959963984540054, -6.361340902404056, -37.04709629936119, -0.8416212335729142, 4.753424308817087], { rtol: 1e-13, atol: 0 });
    expect(vals(sp.ndtri(f64([0, 1, -0.5, 1.5, NaN])))).to.deep.equal([-Infinity, Infinity, NaN, NaN, NaN]);
    // float32: ndtri(1e-30) (where 2p - 1 rounds to -1: the erfinv route would give -inf).
    expectClose(sp.ndtri([1e-30]), [-11.464024], { rtol: 2e-6 });
    // Round trip and gradient 1 / φ(x).
    expectClose(sp.ndtr(sp.ndtri(f64([1e-20, 0.3, 0.9]))), [1e-20, 0.3, 0.9], { rtol: 1e-13 });
    checkGradFd("ndtri", (x) => sp.ndtri(np.sigmoid(x)), [2, 3]);
    checkGradFd("ndtr", (x) => sp.ndtr(x), [2, 3]);
  });

  it("logsumexp: axis, keepdims, weights b (b = 0 entries left out), returnSign, NaN for a negative sum", () => {
    expectClose(sp.logsumexp(f64([1000, 1000])), 1000 + Math.LN2, { rtol: 1e-15 });
    expectClose(sp.logsumexp(f64([[0, 0], [1, 2]]), { axis: 1, b: f64([[1, 1], [0, 1]]) }), [Math.LN2, 2], { rtol: 1e-15 });
    expect(sp.logsumexp(f64([[0, 0], [1, 2]]), { axis: 1, keepdims: true, b: f64([1, 1]) }).shape).to.deep.equal([2, 1]);
    const [v, s] = sp.logsumexp(f64([0, 0]), { b: f64([1, -2]), returnSign: true });
    expect([v.itemSync(), s.itemSync()]).to.deep.equal([0, -1]);
    expect(sp.logsumexp(f64([0, 0]), { b: f64([1, -2]) }).itemSync()).to.be.NaN;
    // A weight of 0 beside an infinite a: the entry is left out (JAX).
    expectClose(sp.logsumexp(f64([Infinity, 0]), { b: f64([0, 1]) }), 0, { atol: 0 });
    expect(sp.logsumexp(f64([-Infinity, -Infinity])).itemSync()).to.equal(-Infinity);
    checkGradFd("logsumexp b", (x) => sp.logsumexp(x, { axis: 1, b: f64([0.5, 2, 1]) }), [2, 3]);
    expect(() => sp.logsumexp(f64([1]), { returnSign: 1 as unknown as boolean })).to.throw(ValueError, /returnSign must be a boolean/);
  });
});
