import { expect } from "chai";
import { DTypeError, ShapeError, ValueError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { binaryCrossEntropy, mseLoss, softmaxCrossEntropy } from "./losses.js";

const i32 = (v: number[] | number[][]) => np.array(v, { dtype: "int32" });
const logSoftmaxRef = (r: number[]) => {
  const m = Math.max(...r);
  const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
  return r.map((v) => v - lse);
};

describe("mseLoss", () => {
  it("mean / sum / none of squared errors", () => {
    const p = [[1, 2], [3, 4]], t = [[1, 0], [5, 4.5]];
    // errors 0, 2, -2, -0.5 → squares 0, 4, 4, 0.25
    expectClose(mseLoss(p, t), 8.25 / 4);
    expectClose(mseLoss(p, t, { reduction: "sum" }), 8.25);
    expectClose(mseLoss(p, t, { reduction: "none" }), [[0, 4], [4, 0.25]]);
    // The seed tutorial's number: predictions 0 against y = 3x + 1 on linspace(-1, 1, 5).
    const y = [-1, -0.5, 0, 0.5, 1].map((x) => [3 * x + 1]);
    expectClose(mseLoss(np.zeros([5, 1]), y), 5.5);
  });

  it("unequal shapes are a ShapeError (no silent [N,1] x [N] broadcast); a bad reduction a ValueError", () => {
    expect(() => mseLoss(np.zeros([3, 1]), np.zeros([3]))).to.throw(ShapeError, /prediction shape \[3, 1\] and target shape \[3\] differ/);
    expect(() => mseLoss([1], [1], { reduction: "avg" as never })).to.throw(ValueError, /reduction must be "mean", "sum" or "none", got string avg/);
  });

  it("empty inputs: the mean is NaN, the sum 0", () => {
    expect(Number.isNaN(mseLoss(np.zeros([0]), np.zeros([0])).itemSync())).to.equal(true);
    expect(mseLoss(np.zeros([0]), np.zeros([0]), { reduction: "sum" }).itemSync()).to.equal(0);
  });
});

describe("softmaxCrossEntropy", () => {
  const logits = [[2, 1, 0.1], [0.5, 2.5, -1], [1000, 0, -1000]];
  const labels = [0, 1, 2];
  const perExample = logits.map((r, i) => -logSoftmaxRef(r)[labels[i]!]!);

  it("integer labels: −log softmax at the label, averaged over the batch", () => {
    expectClose(softmaxCrossEntropy(np.array(logits, { dtype: "float64" }), i32(labels), { reduction: "none" }), perExample, { rtol: 1e-12 });
    expectClose(softmaxCrossEntropy(logits, i32(labels)), perExample.reduce((a, b) => a + b) / 3, { rtol: 1e-6 });
    expectClose(softmaxCrossEntropy(logits, i32(labels), { reduction: "sum" }), perExample.reduce((a, b) => a + b), { rtol: 1e-6 });
    // The extreme row stays finite: loss 2000 for the -1000 logit.
    expect(perExample[2]).to.equal(2000);
  });

  it("one-hot labels give the same losses as integer labels; soft labels weight the log-probabilities", () => {
    const oneHot = labels.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0)));
    expectClose(softmaxCrossEntropy(logits, oneHot, { reduction: "none" }), perExample, { rtol: 1e-6 });
    const soft = [[0.2, 0.8, 0], [0.5, 0.25, 0.25], [1, 0, 0]];
    const ref = logits.map((r, i) => -logSoftmaxRef(r).reduce((a, lp, c) => a + soft[i]![c]! * lp, 0));
    expectClose(softmaxCrossEntropy(np.array(logits, { dtype: "float64" }), np.array(soft, { dtype: "float64" }), { reduction: "none" }), ref, {
      rtol: 1e-12,
    });
  });

  it("class axis option; leading batch dims; a single example", () => {
    const x = [[2, 0.5], [1, 2.5], [0.1, -1]]; // classes along axis 0: columns are examples
    const cols = [0, 1].map((j) => logSoftmaxRef(x.map((r) => r[j]!)));
    expectClose(softmaxCrossEntropy(x, i32([0, 1]), { axis: 0, reduction: "none" }), [-cols[0]![0]!, -cols[1]![1]!]);
    expect(softmaxCrossEntropy(np.zeros([2, 3, 4]), i32([[0, 1, 2], [3, 0, 1]]), { reduction: "none" }).shape).to.deep.equal([2, 3]);
    expectClose(softmaxCrossEntropy([0, 0], i32(1 as never)), Math.LN2);
    expectClose(softmaxCrossEntropy([[0, 0]], [[0, 1]]), Math.LN2);
  });

  it("an integer label outside [0, classes) gives NaN for that example only", () => {
    const got = Array.from(softmaxCrossEntropy([[0, 0], [0, 0], [0, 0]], i32([-1, 1, 2]), { reduction: "none" }).dataSync());
    expect(Number.isNaN(got[0]!)).to.equal(true);
    expect(got[1]).to.be.closeTo(Math.LN2, 1e-6);
    expect(Number.isNaN(got[2]!)).to.equal(true);
  });

  it("bad inputs are typed errors naming the shapes", () => {
    expect(() => softmaxCrossEntropy(np.zeros([4, 3]), i32([0, 1, 2]))).to.throw(ShapeError, /integer labels must have shape \[4\] .* got \[3\]/);
    expect(() => softmaxCrossEntropy(np.zeros([4, 3]), np.zeros([4, 2]))).to.throw(ShapeError, /logits shape \[4, 3\] and labels shape \[4, 2\] differ/);
    expect(() => softmaxCrossEntropy(np.zeros([4, 3]), np.array([[true, false, false]]))).to.throw(DTypeError, /labels must be int32 class indices or float probabilities, got bool/);
    expect(() => softmaxCrossEntropy(3, i32(0 as never))).to.throw(ShapeError, /logits need a class axis/);
    expect(() => softmaxCrossEntropy(np.zeros([4, 3]), i32([0, 1, 2, 0]), { axis: 2 })).to.throw(ShapeError, /axis 2 is out of bounds for logits of rank 2/);
    expect(() => softmaxCrossEntropy(np.zeros([1, 3]), i32([0]), { reduction: "max" as never })).to.throw(ValueError, /reduction/);
  });
});

describe("binaryCrossEntropy", () => {
  const p = [0.9, 0.2, 0.5, 0.999], t = [1, 0, 1, 0.3];
  const ref = p.map((pi, i) => -(t[i]! * Math.log(pi) + (1 - t[i]!) * Math.log(1 - pi)));

  it("probabilities: −[t log p + (1 − t) log(1 − p)], mean by default", () => {
    expectClose(binaryCrossEntropy(np.array(p, { dtype: "float64" }), np.array(t, { dtype: "float64" }), { reduction: "none" }), ref, { rtol: 1e-12 });
    expectClose(binaryCrossEntropy(p, t), ref.reduce((a, b) => a + b) / 4, { rtol: 1e-6 });
  });

  it("probabilities of exactly 0 or 1 give finite losses (logs clamped at −100)", () => {
    expectClose(binaryCrossEntropy([0, 1, 1, 0], [1, 0, 1, 0], { reduction: "none" }), [100, 100, 0, 0]);
  });

  it("fromLogits matches the probability form through sigmoid and stays finite for huge logits", () => {
    const z = [2.2, -1.5, 0, 7], tz = [1, 0, 0.5, 0];
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const refZ = z.map((zi, i) => -(tz[i]! * Math.log(sig(zi)) + (1 - tz[i]!) * Math.log(1 - sig(zi))));
    expectClose(binaryCrossEntropy(np.array(z, { dtype: "float64" }), np.array(tz, { dtype: "float64" }), { fromLogits: true, reduction: "none" }), refZ, {
      rtol: 1e-12,
    });
    expectClose(binaryCrossEntropy([1000, -1000, 1000], [0, 1, 1], { fromLogits: true, reduction: "none" }), [1000, 1000, 0]);
    expectClose(binaryCrossEntropy([0], [1], { fromLogits: true, reduction: "sum" }), Math.LN2);
  });

  it("unequal shapes are a ShapeError", () => {
    expect(() => binaryCrossEntropy(np.zeros([2, 1]), np.zeros([2]))).to.throw(ShapeError, /probabilities shape \[2, 1\] and targets shape \[2\] differ/);
    expect(() => binaryCrossEntropy(np.zeros([2]), np.zeros([3]), { fromLogits: true })).to.throw(ShapeError, /logits shape \[2\]/);
  });
});
