import { expect } from "chai";
import { ParamState, ShapeError, type Tensor, ValueError, np, random } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { Constant, Initializer } from "../init.js";
import { environ } from "@kiln/core";
import { Module } from "../module.js";
import { tanh } from "../activations.js";
import { Linear } from "./linear.js";
import { MLP, Sequential } from "./sequential.js";
import { Dropout } from "./dropout.js";

const keys = (r: object) => Object.keys(r);

describe("Linear", () => {
  it("weight [in, out], bias [out]; y = x W + b against hand-computed numbers", () => {
    const l = new Linear(3, 2, { wInit: new Constant(0.5), bInit: new Constant(-1) });
    expect(keys(l.states(ParamState))).to.deep.equal(["bias", "weight"]);
    expect(l.weight.value.shape).to.deep.equal([3, 2]);
    expect(l.bias!.value.shape).to.deep.equal([2]);
    // rows sum to 6 and 0.6: 0.5 * sum - 1
    expectClose(l.call(np.array([[1, 2, 3], [0.1, 0.2, 0.3]])), [[2, 2], [-0.7, -0.7]]);
    // Explicit tensors and functions as initializers; a 1-D input; leading batch dims.
    const w = [[1, 2], [3, 4], [5, 6]];
    const l2 = new Linear(3, 2, { wInit: np.array(w), bInit: (shape) => np.full(shape, 10) });
    expectClose(l2.call([1, 0, -1]), [1 - 5 + 10, 2 - 6 + 10]);
    expect(l2.call(np.zeros([4, 5, 3])).shape).to.deep.equal([4, 5, 2]);
  });

  it("bInit: null builds no bias; default init is zero bias and a random (KaimingNormal) weight", () => {
    const nb = new Linear(2, 2, { wInit: np.array([[1, 2], [3, 4]]), bInit: null });
    expect(keys(nb.states())).to.deep.equal(["weight"]);
    expectClose(nb.call([[1, 1]]), [[4, 6]]);
    random.seed(0);
    const d = new Linear(64, 32);
    expect(d.bias!.value.toArraySync()).to.deep.equal(new Array(32).fill(0));
    const wv = Array.from(d.weight.value.dataSync());
    const std = Math.sqrt(wv.reduce((a, v) => a + v * v, 0) / wv.length);
    expect(std).to.be.closeTo(Math.sqrt(2 / 64), 0.02);
    expect(Math.max(...wv.map(Math.abs))).to.be.at.most((2 * Math.sqrt(2 / 64)) / 0.8796256610342398 + 1e-6);
  });

  it("integer initializer values become float32", () => {
    const l = new Linear(1, 1, { wInit: np.array([[2]], { dtype: "int32" }) });
    expect(l.weight.value.dtype).to.equal("float32");
  });

  it("errors: input last axis, initializer shape, feature counts", () => {
    const l = new Linear(3, 2, { wInit: 1 });
    expect(() => l.call(np.zeros([4, 5]))).to.throw(ShapeError, /Linear\(3, 2\): expected an input whose last axis has size 3, got shape \[4, 5\]/);
    expect(() => l.call(2)).to.throw(ShapeError, /got shape \[\]/);
    expect(() => new Linear(3, 2, { wInit: np.zeros([2, 3]) })).to.throw(ShapeError, /Linear\(3, 2\) weight: the initializer gave shape \[2, 3\], expected \[3, 2\]/);
    expect(() => new Linear(3, 2, { wInit: 1, bInit: () => np.zeros([3]) })).to.throw(ShapeError, /bias: the initializer gave shape \[3\], expected \[2\]/);
    expect(() => new Linear(-1, 2)).to.throw(ValueError, /inFeatures must be a non-negative integer, got -1/);
    expect(() => new Linear(2, 1.5)).to.throw(ValueError, /outFeatures must be a non-negative integer, got 1.5/);
  });

  it("zero-size features and empty batches", () => {
    const l = new Linear(0, 2, { wInit: 0, bInit: new Constant(3) });
    expectClose(l.call(np.zeros([2, 0])), [[3, 3], [3, 3]]);
    expect(new Linear(2, 3, { wInit: 1 }).call(np.zeros([0, 2])).shape).to.deep.equal([0, 3]);
  });

  it("custom Initializer subclasses are accepted", () => {
    class Eye extends Initializer {
      call(shape: readonly number[]): Tensor {
        return np.eye(shape[0]!, shape[1]!);
      }
    }
    expectClose(new Linear(2, 2, { wInit: new Eye() }).call([[3, 4]]), [[3, 4]]);
  });
});

describe("Sequential", () => {
  it("chains modules and plain functions; paths follow the layer index", () => {
    const net = new Sequential(new Linear(2, 2, { wInit: np.array([[1, -1], [2, 0.5]]), bInit: new Constant(0.5) }), np.tanh, new Linear(2, 1, { wInit: 1, bInit: 0 }));
    expect(keys(net.states(ParamState))).to.deep.equal(["layers.0.bias", "layers.0.weight", "layers.2.bias", "layers.2.weight"]);
    // x = [1, 1]: h = [1 + 2 + 0.5, -1 + 0.5 + 0.5] = [3.5, 0]; y = tanh(3.5) + tanh(0)
    expectClose(net.call(np.array([[1, 1]])), [[Math.tanh(3.5)]]);
    expectClose(new Sequential().call(np.array([1, 2])), [1, 2]);
  });

  it("nested Sequentials and arrow functions", () => {
    const inner = new Sequential(new Linear(1, 1, { wInit: 2 }), (x: Tensor) => x.add(1));
    const outer = new Sequential(inner, inner, (x: Tensor) => x.mul(10));
    // The shared inner block is listed once.
    expect(keys(outer.states())).to.deep.equal(["layers.0.layers.0.bias", "layers.0.layers.0.weight"]);
    // x=1 → 3 → 7 → 70
    expectClose(outer.call([[1]]), [[70]]);
  });

  it("a layer that is neither a Module nor a function is a ValueError", () => {
    expect(() => new Sequential(new Linear(1, 1, { wInit: 1 }), 3 as never)).to.throw(ValueError, /Sequential: layer 1 must be a Module or a function, got number 3/);
  });
});

describe("MLP", () => {
  it("sizes → Linear layers with activation between them, none after the last by default", () => {
    const mlp = new MLP([2, 3, 1], { wInit: new Constant(0.5), bInit: new Constant(-1) });
    expect(keys(mlp.states(ParamState))).to.deep.equal(["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"]);
    expect(mlp.layers[0]!.weight.value.shape).to.deep.equal([2, 3]);
    // x = [1, 3]: h = relu(0.5*4 - 1) = [1, 1, 1]; y = 0.5*3 - 1 = 0.5.  x = [-1, -1]: h = relu(-2) = 0 → y = -1
    expectClose(mlp.call([[1, 3], [-1, -1]]), [[0.5], [-1]]);
  });

  it("activation and finalActivation options", () => {
    const mlp = new MLP([1, 2, 1], { wInit: 1, bInit: 0, activation: tanh, finalActivation: (x: Tensor) => x.mul(-1) });
    expectClose(mlp.call([[0.5]]), [[-2 * Math.tanh(0.5)]]);
    expect(new MLP([4, 1], { wInit: 1 }).layers).to.have.length(1);
    expectClose(new MLP([2, 1], { wInit: 1, bInit: 0 }).call([[-3, 1]]), [[-2]]); // single layer: no activation
  });

  it("bad sizes and activations are ValueErrors", () => {
    expect(() => new MLP([3])).to.throw(ValueError, /sizes must list at least the input and output sizes/);
    expect(() => new MLP([2, -1])).to.throw(ValueError, /outFeatures must be a non-negative integer/);
    expect(() => new MLP([2, 1], { activation: "relu" as never })).to.throw(ValueError, /MLP activation: layer 0 must be a Module or a function/);
  });
});

describe("Dropout", () => {
  afterEach(() => environ.reset());

  it("is the identity when fit is false, and for rate 0", () => {
    const x = np.array([[1, 2, 3, 4]]);
    const d = new Dropout(0.5);
    expect(environ.context({ fit: false }, () => d.call(x))).to.equal(x);
    expect(new Dropout(0).call(x)).to.equal(x);
  });

  it("training: zeros about `rate` of the elements and scales the rest by 1/(1 − rate)", () => {
    random.seed(1);
    const n = 4000;
    const y = Array.from(new Dropout(0.25).call(np.full([n], 2)).dataSync());
    const kept = y.filter((v) => v !== 0);
    for (const v of kept) expect(v).to.be.closeTo(2 / 0.75, 1e-6);
    expect(kept.length / n).to.be.closeTo(0.75, 0.03); // ± 4.4 standard deviations
    // Fresh masks on every call.
    const a = Array.from(new Dropout(0.5).call(np.ones([64])).dataSync());
    const b = Array.from(new Dropout(0.5).call(np.ones([64])).dataSync());
    expect(a).to.not.deep.equal(b);
  });

  it("rate 1 drops everything; a rate outside [0, 1] is a ValueError", () => {
    expectClose(new Dropout(1).call([1, 2]), [0, 0]);
    expect(() => new Dropout(1.5)).to.throw(ValueError, /must be in \[0, 1\], got 1.5/);
    expect(() => new Dropout(NaN)).to.throw(ValueError, /got NaN/);
  });

  it("a model's dropout follows environ.context", () => {
    class Net extends Module {
      drop = new Dropout(0.9);
      call(x: Tensor) {
        return this.drop.call(x);
      }
    }
    const net = new Net();
    random.seed(3);
    const x = np.ones([200]);
    expectClose(environ.context({ fit: false }, () => net.call(x)), new Array(200).fill(1));
    const train = Array.from(net.call(x).dataSync());
    expect(train.filter((v) => v === 0).length).to.be.greaterThan(150);
  });
});
