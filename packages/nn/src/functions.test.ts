// The issue-16 activations and losses: values against float64 formulas written here, gradients
// against central finite differences, and the typed errors of bad input.
import { expect } from "chai";
import { DTypeError, IndexError, ShapeError, type Tensor, ValueError, np } from "@kiln/core";
import { grad } from "@kiln/transforms";
import { expectClose } from "@kiln/core/testing";
import { elu, glu, hardTanh, leakyRelu, log1mexp, mish, oneHot, selu, softSign, softplus, standardize } from "./activations.js";
import { crossEntropy, huberLoss, kl, l1Loss, nllLoss, softmaxCrossEntropy } from "./losses.js";

const f64 = (v: number[] | number[][]) => np.array(v, { dtype: "float64" });
const i32 = (v: number[] | number[][]) => np.array(v, { dtype: "int32" });
const XS = [-3.2, -1.1, -0.3, 0.2, 0.9, 2.5, 7];
const sp = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** d/dx of sum(f(x) · w) against central differences, in float64, at points away from kinks. */
function checkFd(name: string, f: (x: Tensor) => Tensor, xs: number[], shape: number[] = [xs.length]): void {
  const w = xs.map((_, i) => 1 + 0.37 * i);
  const loss = (t: Tensor) => np.sum(f(t).reshape([-1]).mul(np.array(w.slice(0, f(t).size), { dtype: "float64" })));
  const g = Array.from((grad(loss)(f64(xs).reshape(shape)) as Tensor).dataSync());
  const h = 1e-6;
  xs.forEach((v, i) => {
    const at = (d: number) => loss(f64(xs.map((u, j) => (j === i ? v + d : u))).reshape(shape)).itemSync();
    const fd = (at(h) - at(-h)) / (2 * h);
    expect(Math.abs(g[i]! - fd), `${name}: d/dx[${i}] = ${g[i]} vs ${fd}`).to.be.below(1e-6 * (1 + Math.abs(fd)));
  });
}

describe("nn activations (issue 16)", () => {
  const table: [string, (x: Tensor) => Tensor, (x: number) => number][] = [
    ["leakyRelu", (x) => leakyRelu(x), (x) => (x >= 0 ? x : 0.01 * x)],
    ["leakyRelu 0.2", (x) => leakyRelu(x, 0.2), (x) => (x >= 0 ? x : 0.2 * x)],
    ["elu", (x) => elu(x), (x) => (x > 0 ? x : Math.expm1(x))],
    ["elu 0.5", (x) => elu(x, 0.5), (x) => (x > 0 ? x : 0.5 * Math.expm1(x))],
    ["selu", selu, (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x))],
    ["softplus", softplus, (x) => Math.log(1 + Math.exp(x))],
    ["softSign", softSign, (x) => x / (1 + Math.abs(x))],
    ["hardTanh", hardTanh, (x) => Math.min(1, Math.max(-1, x))],
    ["mish", mish, (x) => x * Math.tanh(Math.log(1 + Math.exp(x)))],
  ];
  for (const [name, f, ref] of table) {
    it(`${name}: values and gradients (float64)`, () => {
      expectClose(f(f64(XS)), XS.map(ref), { rtol: 1e-12, atol: 1e-15 });
      checkFd(name, f, XS);
      expect(f(np.array([1], { dtype: "int32" })).dtype).to.equal("float32");
    });
  }

  it("softplus and elu stay finite far out; their gradients too", () => {
    expectClose(softplus(f64([1000, -1000])), [1000, 0]);
    expectClose(elu(f64([1000, -1000])), [1000, -1]);
    expectClose(grad((x: Tensor) => np.sum(elu(x)))(f64([1000, -1000])), [1, 0]);
    expectClose(grad((x: Tensor) => np.sum(softplus(x)))(f64([1000, -1000])), [1, 0]);
    expect(sp(0)).to.be.closeTo(Math.LN2, 1e-15);
  });

  it("log1mexp: accurate on both sides of log 2, −inf at 0, NaN below; gradient e^-x / (1 − e^-x)", () => {
    const xs = [1e-10, 1e-3, 0.5, Math.LN2 + 1e-3, 3, 50];
    // log(1 − e^-x) in float64: log(−expm1(−x)) is exact near 0, log1p(−e^-x) for large x (where the first rounds to 0).
    expectClose(log1mexp(f64(xs)), xs.map((x) => (x < 1 ? Math.log(-Math.expm1(-x)) : Math.log1p(-Math.exp(-x)))), { rtol: 1e-13, atol: 1e-300 });
    expect(log1mexp(f64([50])).itemSync()).to.be.closeTo(-Math.exp(-50), 1e-35);
    expect(Array.from(log1mexp(f64([0, -1])).dataSync())).to.deep.equal([-Infinity, NaN]);
    expectClose(grad((x: Tensor) => np.sum(log1mexp(x)))(f64(xs)), xs.map((x) => Math.exp(-x) / -Math.expm1(-x)), { rtol: 1e-9 });
  });

  it("glu: first half · sigmoid(second half) along an axis; even size required", () => {
    const x = [[1, 2, -1, 0.5], [3, -2, 2, -4]];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    expectClose(glu(f64(x)), x.map((r) => [r[0]! * sig(r[2]!), r[1]! * sig(r[3]!)]), { rtol: 1e-12 });
    expectClose(glu(f64(x), { axis: 0 }), [x[0]!.map((v, j) => v * sig(x[1]![j]!))], { rtol: 1e-12 });
    checkFd("glu", (t) => glu(t), [1, 2, -1, 0.5, 3, -2, 2, -4], [2, 4]);
    expect(() => glu(np.zeros([2, 3]))).to.throw(ShapeError, /even size/);
    expect(() => glu(np.zeros([2, 4]), { axis: 2 })).to.throw(IndexError, /axis 2 is out of bounds/);
  });

  it("standardize: (x − mean)/√(var + eps) over axes; given mean/variance are used", () => {
    const x = [[1, 2, 4], [10, 10, 13]];
    const ref = (r: number[], eps: number) => {
      const m = r.reduce((a, b) => a + b) / r.length;
      const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length;
      return r.map((u) => (u - m) / Math.sqrt(v + eps));
    };
    expectClose(standardize(f64(x)), x.map((r) => ref(r, 1e-5)), { rtol: 1e-12 });
    expectClose(standardize(f64(x), { axis: [0, 1], epsilon: 0 }).reshape([-1]), ref(x.flat(), 0), { rtol: 1e-12 });
    expectClose(standardize(f64([1, 3]), { mean: 1, variance: 4, epsilon: 0 }), [0, 1]);
    checkFd("standardize", (t) => standardize(t), [1, 2, 4, 10, 10.5, 13], [2, 3]);
    expect(() => standardize(np.zeros([2]), { axis: 1 })).to.throw(IndexError);
  });

  it("oneHot: classes on the last (or given) axis, out-of-range labels give zero rows", () => {
    expect(oneHot(i32([0, 2, 3, -1]), 3).toArraySync()).to.deep.equal([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]);
    const y = oneHot(i32([[1], [0]]), 2, { axis: 0, dtype: "int32" });
    expect(y.dtype).to.equal("int32");
    expect(y.toArraySync()).to.deep.equal([[[0], [1]], [[1], [0]]]);
    expect(() => oneHot(f64([1]), 2)).to.throw(DTypeError, /labels must be integers/);
    expect(() => oneHot(i32([1]), -2)).to.throw(ValueError, /numClasses/);
    expect(() => oneHot(i32([1]), 2, { axis: 3 })).to.throw(IndexError);
  });

  it("bad parameters are ValueErrors", () => {
    expect(() => leakyRelu([1], "a" as unknown as number)).to.throw(ValueError, /negativeSlope/);
    expect(() => elu([1], NaN)).to.throw(ValueError, /alpha/);
  });
});

describe("nn losses (issue 16)", () => {
  const logits = [[2, 1, 0.1], [0.5, 2.5, -1], [0, 0, 3]];
  const labels = [0, 2, 2];
  const lse = (r: number[]) => Math.log(r.reduce((a, b) => a + Math.exp(b), 0));
  const perEx = logits.map((r, i) => lse(r) - r[labels[i]!]!);

  it("crossEntropy: −logSoftmax[label], mean/sum/none; agrees with softmaxCrossEntropy; gradient", () => {
    const mean = perEx.reduce((a, b) => a + b) / 3;
    expectClose(crossEntropy(f64(logits), i32(labels)), mean, { rtol: 1e-12 });
    expectClose(crossEntropy(f64(logits), i32(labels), { reduction: "none" }), perEx, { rtol: 1e-12 });
    expectClose(crossEntropy(f64(logits), i32(labels), { reduction: "sum" }), mean * 3, { rtol: 1e-12 });
    expectClose(crossEntropy(f64(logits).T, i32(labels), { axis: 0 }), mean, { rtol: 1e-12 });
    expectClose(softmaxCrossEntropy(f64(logits), i32(labels)), mean, { rtol: 1e-12 });
    checkFd("crossEntropy", (z) => crossEntropy(z, i32(labels)), logits.flat(), [3, 3]);
    expect(Number.isNaN((crossEntropy(f64(logits), i32([0, 3, 1]), { reduction: "none" }).toArraySync() as number[])[1]!)).to.equal(true);
    expect(() => crossEntropy(f64(logits), f64([[1, 0, 0], [0, 0, 1], [0, 0, 1]]))).to.throw(DTypeError, /int32 class indices/);
    expect(() => crossEntropy(f64(logits), i32([0, 1]))).to.throw(ShapeError, /must have shape \[3\]/);
    expect(() => crossEntropy(f64([1, 2]).sum(), i32([0]))).to.throw(ShapeError, /class axis/);
  });

  it("nllLoss of log-probabilities equals crossEntropy of the logits", () => {
    const lp = logits.map((r) => r.map((v) => v - lse(r)));
    expectClose(nllLoss(f64(lp), i32(labels), { reduction: "none" }), perEx, { rtol: 1e-12 });
    checkFd("nllLoss", (z) => nllLoss(z, i32(labels)), lp.flat(), [3, 3]);
    expect(() => nllLoss(f64(lp), i32([[0, 1, 2]]))).to.throw(ShapeError);
  });

  it("huberLoss: quadratic inside delta, linear outside", () => {
    const p = [0.1, -2, 3, 0.5], t = [0, 0, 0.5, 0.7];
    const ref = (delta: number) => p.map((v, i) => {
      const a = Math.abs(v - t[i]!);
      return a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
    });
    expectClose(huberLoss(f64(p), f64(t), { reduction: "none" }), ref(1), { rtol: 1e-12 });
    expectClose(huberLoss(f64(p), f64(t), { delta: 2.2 }), ref(2.2).reduce((a, b) => a + b) / 4, { rtol: 1e-12 });
    checkFd("huberLoss", (x) => huberLoss(x, f64(t)), p);
    expect(() => huberLoss(f64(p), f64(t), { delta: 0 })).to.throw(ValueError, /delta/);
    expect(() => huberLoss(f64(p), f64([1]))).to.throw(ShapeError, /differ/);
  });

  it("l1Loss: mean |pred − target|", () => {
    expectClose(l1Loss(f64([1, 2, -3]), f64([0, 4, -3.5])), (1 + 2 + 0.5) / 3, { rtol: 1e-12 });
    expectClose(l1Loss(f64([1, 2]), f64([0, 4]), { reduction: "sum" }), 3);
    checkFd("l1Loss", (x) => l1Loss(x, f64([0, 4, -3.5])), [1, 2, -3]);
    expect(() => l1Loss(f64([1, 2]), f64([[1, 2]]))).to.throw(ShapeError);
  });

  it("kl: Σ t·(log t − logp) per example with 0·log 0 = 0; gradient −t in logp", () => {
    const q = [[0.2, 0.3, 0.5], [0.6, 0.4, 0]];
    const lp = [[0.1, 0.6, 0.3], [0.25, 0.25, 0.5]].map((r) => r.map(Math.log));
    const ref = q.map((r, i) => r.reduce((a, v, c) => a + (v > 0 ? v * (Math.log(v) - lp[i]![c]!) : 0), 0));
    expectClose(kl(f64(lp), f64(q), { reduction: "none" }), ref, { rtol: 1e-12 });
    expectClose(kl(f64(lp), f64(q)), (ref[0]! + ref[1]!) / 2, { rtol: 1e-12 });
    expectClose(grad((z: Tensor) => kl(z, f64(q), { reduction: "sum" }))(f64(lp)), q.map((r) => r.map((v) => -v)), { rtol: 1e-12, atol: 1e-300 });
    const gq = Array.from((grad((t: Tensor) => kl(f64(lp), t, { reduction: "sum" }))(f64(q)) as Tensor).dataSync());
    expect(gq.every(Number.isFinite)).to.equal(true);
    expect(() => kl(f64(lp), f64([0.5, 0.5]))).to.throw(ShapeError);
  });
});
