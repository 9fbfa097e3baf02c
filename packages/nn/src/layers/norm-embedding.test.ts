// LayerNorm, RMSNorm and Embedding: values against float64 formulas written here, gradients
// against finite differences, State layout, and bad-input errors.
import { expect } from "chai";
import { DTypeError, ParamState, ShapeError, type Tensor, ValueError, np } from "@kiln/core";
import { grad } from "@kiln/transforms";
import { expectClose } from "@kiln/core/testing";
import { LayerNorm, RMSNorm } from "./norm.js";
import { Embedding } from "./embedding.js";
import { fdCheck } from "./fd-check.test-util.js";

const f64 = (v: number[][]) => np.array(v, { dtype: "float64" });
const X = [[1, 2, 4, -3], [10, 10.5, 9, 13], [0.1, -0.2, 0.3, 0]];

const weights = (shape: number[]) => np.arange(shape.reduce((a, b) => a * b, 1), { dtype: "float64" }).reshape(shape).mul(0.3).add(0.5);

describe("LayerNorm / RMSNorm", () => {
  it("LayerNorm: (x − mean)/√(var + eps) · scale + bias over the last axis", () => {
    const scale = [1, 2, 0.5, -1], bias = [0, 1, -1, 0.25];
    const ln = new LayerNorm(4, { scaleInit: np.array(scale, { dtype: "float64" }), biasInit: np.array(bias, { dtype: "float64" }) });
    expect(Object.keys(ln.states(ParamState))).to.deep.equal(["bias", "scale"]);
    const ref = X.map((r) => {
      const m = r.reduce((a, b) => a + b) / 4, v = r.reduce((a, b) => a + (b - m) ** 2, 0) / 4;
      return r.map((u, i) => ((u - m) / Math.sqrt(v + 1e-5)) * scale[i]! + bias[i]!);
    });
    expectClose(ln.call(f64(X)), ref, { rtol: 1e-12 });
    fdCheck((t) => np.sum(ln.call(t).mul(weights([3, 4]))), f64(X));
    const plain = new LayerNorm(4, { useScale: false, useBias: false, eps: 0 });
    expect(Object.keys(plain.states())).to.deep.equal([]);
    expectClose(np.mean(plain.call(f64(X)), { axis: -1 }), [0, 0, 0], { atol: 1e-12 });
  });

  it("LayerNorm over several trailing axes; leading axes are batch", () => {
    const x = f64(X).reshape([1, 3, 4]);
    const ln = new LayerNorm([3, 4], { eps: 0 });
    const flat = X.flat(), m = flat.reduce((a, b) => a + b) / 12, v = flat.reduce((a, b) => a + (b - m) ** 2, 0) / 12;
    expectClose(ln.call(x).reshape([-1]), flat.map((u) => (u - m) / Math.sqrt(v)), { rtol: 1e-6 });
    expect(ln.scale!.value.shape).to.deep.equal([3, 4]);
  });

  it("RMSNorm: x / √(mean(x²) + eps) · scale; default eps 1e-6", () => {
    const norm = new RMSNorm(4, { scaleInit: np.array([1, 2, 3, 4], { dtype: "float64" }) });
    expect(Object.keys(norm.states(ParamState))).to.deep.equal(["scale"]);
    const ref = X.map((r) => {
      const ms = r.reduce((a, b) => a + b * b, 0) / 4;
      return r.map((u, i) => (u / Math.sqrt(ms + 1e-6)) * (i + 1));
    });
    expectClose(norm.call(f64(X)), ref, { rtol: 1e-12 });
    fdCheck((t) => np.sum(norm.call(t).mul(weights([3, 4]))), f64(X));
    expectClose(new RMSNorm(2).call(np.array([[3, 4]])), [[3 / Math.sqrt(12.5 + 1e-6), 4 / Math.sqrt(12.5 + 1e-6)]]);
  });

  it("errors: trailing shape, features, eps", () => {
    expect(() => new LayerNorm(4).call(np.zeros([2, 3]))).to.throw(ShapeError, /LayerNorm\(\[4\]\): expected an input whose trailing axes are \[4\], got shape \[2, 3\]/);
    expect(() => new RMSNorm([2, 3]).call(np.zeros([3]))).to.throw(ShapeError);
    expect(() => new LayerNorm(0)).to.throw(ValueError, /features must be a positive integer/);
    expect(() => new LayerNorm(2, { eps: -1 })).to.throw(ValueError, /eps/);
  });
});

describe("Embedding", () => {
  it("looks rows up for ids of any shape; the weight gradient adds up repeated ids", () => {
    const table = [[1, 2], [3, 4], [5, 6]];
    const emb = new Embedding(3, 2, { embeddingInit: np.array(table, { dtype: "float64" }) });
    expect(Object.keys(emb.states(ParamState))).to.deep.equal(["weight"]);
    const ids = np.array([[2, 0], [2, 1]], { dtype: "int32" });
    expect(emb.call(ids).toArraySync()).to.deep.equal([[[5, 6], [1, 2]], [[5, 6], [3, 4]]]);
    const g = grad((w: Tensor) => np.sum(new Embedding(3, 2, { embeddingInit: w }).call(ids).mul(np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], { dtype: "float64" }))))(np.array(table, { dtype: "float64" }));
    expect(g.toArraySync()).to.deep.equal([[3, 4], [7, 8], [6, 8]]);
  });

  it("default init is standard normal [num, features]; errors", () => {
    const emb = new Embedding(50, 8);
    expect(emb.weight.value.shape).to.deep.equal([50, 8]);
    const v = Array.from(emb.weight.value.dataSync());
    const std = Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length);
    expect(std).to.be.within(0.8, 1.2);
    expect(() => emb.call(np.array([1.5]))).to.throw(DTypeError, /ids must be integers/);
    expect(() => new Embedding(0, 2)).to.throw(ValueError, /num must be a positive integer/);
  });
});
