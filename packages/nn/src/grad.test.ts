// Gradients through the nn compositions (grad on plain arguments; State gradients are tested with
// the transforms). Expected values are float64 formulas of the exact derivatives.
import { expect } from "chai";
import { ParamState, type Tensor, np, random } from "@kiln/core";
import { grad } from "@kiln/transforms";
import { expectClose } from "@kiln/core/testing";
import { gelu, logSoftmax, softmax } from "./activations.js";
import { binaryCrossEntropy, mseLoss, softmaxCrossEntropy } from "./losses.js";
import { erf } from "./special.js";
import { Dropout } from "./layers/dropout.js";
import { SGD } from "./optim/sgd.js";

const f64 = (v: number[] | number[][]) => np.array(v, { dtype: "float64" });
const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);

describe("gradients through nn functions", () => {
  it("erf' = 2/√π·exp(−x²) and exact GELU' = Φ(x) + x·φ(x), finite everywhere (no NaN from unused branches)", () => {
    const xs = [0, 0.5, -0.99, 1.01, -2, 3, 40, -40];
    expectClose(grad((x: Tensor) => np.sum(erf(x)))(f64(xs)), xs.map((x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x)), { rtol: 2e-7, atol: 1e-300 });
    const ref = [0, 0.5, -3, 2, 8].map((x) => cdf(x) + x * phi(x));
    expectClose(grad((x: Tensor) => np.sum(gelu(x, { approximate: false })))(f64([0, 0.5, -3, 2, 8])), ref, { rtol: 1e-6, atol: 1e-12 });
  });

  it("softmax cross-entropy: d/dlogits = (softmax − onehot) / N, for int and one-hot labels", () => {
    const logits = [[2, 1, 0.1], [0.5, 2.5, -1]];
    const labels = [0, 2];
    const expected = logits.map((r, i) => {
      const e = r.map(Math.exp), s = e.reduce((a, b) => a + b);
      return e.map((v, c) => (v / s - (c === labels[i] ? 1 : 0)) / 2);
    });
    expectClose(grad((z: Tensor) => softmaxCrossEntropy(z, np.array(labels, { dtype: "int32" })))(f64(logits)), expected, { rtol: 1e-12, atol: 1e-15 });
    const oneHot = f64(labels.map((l) => [0, 1, 2].map((c) => +(c === l))));
    expectClose(grad((z: Tensor) => softmaxCrossEntropy(z, oneHot))(f64(logits)), expected, { rtol: 1e-12, atol: 1e-15 });
  });

  it("softmax / logSoftmax of huge logits have finite gradients", () => {
    const g = grad((z: Tensor) => np.sum(logSoftmax(z).mul(np.array([1, 0]))))(np.array([1000, -1000]));
    expectClose(g, [0, 0], { atol: 1e-6 });
    const h = grad((z: Tensor) => softmax(z).get(0))(np.array([1000, 1000]));
    expectClose(h, [0.25, -0.25]);
  });

  it("mse and binary cross-entropy from logits", () => {
    expectClose(grad((p: Tensor) => mseLoss(p, np.array([1, 4])))(np.array([1, 2])), [0, -2]);
    const z = [0.3, -2, 5], t = [1, 0, 0.5];
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    expectClose(grad((x: Tensor) => binaryCrossEntropy(x, f64(t), { fromLogits: true }))(f64(z)), z.map((x, i) => (sig(x) - t[i]!) / 3), { rtol: 1e-12 });
  });

  it("dropout's gradient is mask / keep", () => {
    random.seed(5);
    const drop = new Dropout(0.5);
    const g = grad((x: Tensor) => np.sum(drop.call(x)))(np.ones([50])).dataSync();
    for (const v of g) expect([0, 2]).to.include(v);
  });

  it("a training loop on plain arguments feeding optim.SGD (the seed tutorial's LinearRegressor)", () => {
    const weight = new ParamState(np.zeros([1, 1])), bias = new ParamState(np.zeros([1]));
    const xs = np.linspace(-1, 1, 5).reshape([-1, 1]);
    const y = xs.mul(3).add(1);
    const loss = (p: { weight: Tensor; bias: Tensor }) => mseLoss(xs.matmul(p.weight).add(p.bias), y);
    const lossGrad = grad(loss, { returnValue: true }) as unknown as (p: object) => [{ weight: Tensor; bias: Tensor }, Tensor];
    const opt = new SGD({ weight, bias }, { lr: 0.1 });
    const [g0, l0] = lossGrad({ weight: weight.value, bias: bias.value });
    expectClose(l0, 5.5);
    expectClose(g0.weight, [[-3]]);
    expectClose(g0.bias, [-2]);
    for (let i = 0; i < 200; i++) opt.update(lossGrad({ weight: weight.value, bias: bias.value })[0]);
    expectClose(weight.value, [[3]], { rtol: 1e-3 });
    expectClose(bias.value, [1], { rtol: 1e-3 });
  });
});

/** Φ(x) in float64 from the complementary error function's continued fraction / series. */
function cdf(x: number): number {
  // Φ(x) = 0.5·erfc(−x/√2); erfc via erf's Maclaurin series for small |z|, continued fraction beyond.
  const z = -x / Math.SQRT2, a = Math.abs(z);
  let erfcA: number;
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    erfcA = 1 - (2 * sum) / Math.sqrt(Math.PI);
  } else {
    let f = a, c = a, d = 0;
    for (let n = 1; n < 500; n++) {
      d = 1 / (a + (n / 2) * d);
      c = a + n / 2 / c;
      f *= c * d;
    }
    erfcA = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }
  return 0.5 * (z >= 0 ? erfcA : 2 - erfcA);
}
