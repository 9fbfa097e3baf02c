// The dynamics names are reachable through the umbrella package as users import them.
import { expect } from "chai";
import { environ, nn } from "kiln";

describe("dynamics surface through kiln", () => {
  it("nn.LIF, nn.Expon, nn.Dynamics, nn.initAllStates, nn.resetAllStates, nn.integrate, nn.expEulerStep, nn.surrogate.*, environ.getDt", () => {
    for (const n of ["LIF", "Expon", "Dynamics", "initAllStates", "resetAllStates", "integrate", "expEulerStep"]) {
      expect((nn as Record<string, unknown>)[n], `nn.${n}`).to.be.a("function");
    }
    for (const n of ["spike", "sigmoid", "fastSigmoid", "superSpike", "arctan", "piecewiseLinear", "gaussian"]) {
      expect((nn.surrogate as Record<string, unknown>)[n], `nn.surrogate.${n}`).to.be.a("function");
    }
    expect(environ.getDt).to.be.a("function");
  });
});
