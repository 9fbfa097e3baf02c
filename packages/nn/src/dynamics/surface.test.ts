// The dynamics names are reachable through the umbrella package as users import them.
import { expect } from "chai";
import { environ, nn } from "kiln";

describe("dynamics surface through kiln", () => {
  it("the neurons, synapses, projections and inputs, nn.Dynamics, nn.initAllStates, nn.resetAllStates, nn.integrate, nn.expEulerStep, nn.surrogate.*, environ.getDt", () => {
    const names = [
      "LIF", "LIFRef", "IF", "ALIF", "Izhikevich", "AdEx", "HH", "Neuron", "Expon", "Alpha", "DualExpon", "STP", "STD",
      "AlignPostProj", "SynOut", "COBA", "CUBA", "OneToOne", "FixedNumConn", "PoissonSpike",
      "Dynamics", "initAllStates", "resetAllStates", "integrate", "expEulerStep",
    ];
    for (const n of names) {
      expect((nn as Record<string, unknown>)[n], `nn.${n}`).to.be.a("function");
    }
    for (const n of ["spike", "sigmoid", "fastSigmoid", "superSpike", "arctan", "piecewiseLinear", "gaussian"]) {
      expect((nn.surrogate as Record<string, unknown>)[n], `nn.surrogate.${n}`).to.be.a("function");
    }
    expect(environ.getDt).to.be.a("function");
  });
});
