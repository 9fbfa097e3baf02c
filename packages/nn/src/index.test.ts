// The API.md §4 surface, imported through the umbrella package as users do.
import { expect } from "chai";
import { ParamState, type Tensor, environ, nn, np, optim, treefyStates } from "kiln";
import { expectClose } from "@kiln/core/testing";

describe("@kiln/nn surface (API.md §4)", () => {
  it("exports nn, optim, environ and treefyStates with the documented names", () => {
    for (const n of ["Module", "Linear", "Sequential", "MLP", "Dropout", "relu", "gelu", "silu", "tanh", "sigmoid", "softmax", "logSoftmax", "mseLoss", "softmaxCrossEntropy", "binaryCrossEntropy"]) {
      expect((nn as Record<string, unknown>)[n], `nn.${n}`).to.be.a("function");
    }
    // API.md "Layers, dynamics, checkpoints, data" (issue 16): the names built so far.
    for (const n of [
      "Conv1d", "Conv2d", "Conv3d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "GlobalAvgPool", "Flatten", "Reshape",
      "LayerNorm", "RMSNorm", "GroupNorm", "BatchNorm1d", "BatchNorm2d", "Embedding", "oneHot", "leakyRelu", "elu", "selu",
      "softplus", "softSign", "hardTanh", "mish", "standardize", "log1mexp", "glu", "crossEntropy", "nllLoss", "huberLoss", "l1Loss", "kl",
    ]) {
      expect((nn as Record<string, unknown>)[n], `nn.${n}`).to.be.a("function");
    }
    for (const n of ["Constant", "Normal", "Uniform", "KaimingNormal", "KaimingUniform", "XavierNormal", "XavierUniform", "Orthogonal"]) {
      expect((nn.init as Record<string, unknown>)[n], `nn.init.${n}`).to.be.a("function");
    }
    for (const n of ["SGD", "Momentum", "Adam", "AdamW"]) expect((optim as Record<string, unknown>)[n], `optim.${n}`).to.be.a("function");
    expect(environ.get).to.be.a("function");
    expect(environ.context).to.be.a("function");
    expect(treefyStates).to.be.a("function");
  });

  it("the §4 example runs as written", () => {
    class LinearRegressor extends nn.Module {
      weight = new ParamState(np.zeros([1, 1]));
      bias = new ParamState(np.zeros([1]));
      call(x: Tensor) {
        return x.matmul(this.weight.value).add(this.bias.value);
      }
    }
    const model = new LinearRegressor();
    expect(Object.keys(model.states(ParamState))).to.deep.equal(["bias", "weight"]);
    expect(Object.keys(model.states())).to.deep.equal(["bias", "weight"]);
    expect(Object.keys(treefyStates(model, ParamState).toFlat())).to.deep.equal(["bias", "weight"]);
    const net = new nn.Sequential(new nn.Linear(1, 2, { wInit: new nn.init.Constant(1) }), np.tanh, new nn.Linear(2, 1, { wInit: new nn.init.Constant(1) }));
    expectClose(environ.context({ fit: false }, () => net.call(np.array([[0.5]]))), [[2 * Math.tanh(0.5)]]);
    const snap = model.stateDict();
    expect(Object.isFrozen(snap)).to.equal(true);
    model.loadStateDict(snap);
    const opt = new optim.Adam({ lr: 1e-3 });
    opt.registerTrainableWeights(model.states(ParamState));
    opt.update({ bias: np.array([1]), weight: np.array([[-1]]) });
    expectClose(model.weight.value, [[1e-3]]);
    expectClose(model.bias.value, [-1e-3]);
  });
});
