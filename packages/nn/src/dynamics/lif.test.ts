// LIF and Expon against hand-written float64 recurrences over many steps (the models run in
// float64, so the traces agree to rounding and every spike lands on the same step), plus the
// State protocol (initState / resetState / initAllStates) and typed errors.
import { expect } from "chai";
import { HiddenState, ParamState, ShapeError, StateError, type Tensor, ValueError, environ, np } from "@kiln/core";
import { forLoop, jit } from "@kiln/transforms";
import { Linear } from "../layers/linear.js";
import { Sequential } from "../layers/sequential.js";
import { initAllStates, resetAllStates } from "./base.js";
import { Expon } from "./expon.js";
import { expEulerStep, integrate } from "./integrate.js";
import { LIF, type LIFOptions } from "./lif.js";

const zeros64 = (shape: number[]) => np.zeros(shape, { dtype: "float64" });
const STEPS = 400;
const N = 4;

/** A deterministic input current that makes the neurons fire irregularly. */
function current(t: number, i: number): number {
  return 1.6 + 1.4 * Math.sin(0.05 * t * (i + 1) + i) + 0.8 * Math.cos(0.31 * t + 2 * i);
}
const INPUT = Array.from({ length: STEPS }, (_, t) => Array.from({ length: N }, (_, i) => current(t, i)));

interface Ref { R: number; tau: number; vTh: number; vReset: number; vRest: number; soft: boolean; euler: boolean }

/** The float64 LIF recurrence, written out (BrainState's order: reset with the last spike, integrate, spike). */
function lifReference(p: Ref, dt: number): { V: number[][]; spikes: number[][] } {
  const V: number[][] = [], spikes: number[][] = [];
  let v = new Array<number>(N).fill(0);
  for (let t = 0; t < STEPS; t++) {
    v = v.map((vi, i) => {
      const fired = vi >= p.vTh ? 1 : 0;
      const r = p.soft ? vi - (p.vTh - p.vReset) * fired : vi - (vi - p.vReset) * fired;
      const target = p.vRest + p.R * INPUT[t]![i]!;
      // dV/dt = (target − V)/tau: exact exponential step, or forward Euler.
      return p.euler ? r + (dt * (target - r)) / p.tau : target + (r - target) * Math.exp(-dt / p.tau);
    });
    V.push(v);
    spikes.push(v.map((vi) => (vi >= p.vTh ? 1 : 0)));
  }
  return { V, spikes };
}

function simulate(opts: LIFOptions, dt: number): { V: number[][]; spikes: number[][] } {
  const lif = new LIF(N, { ...opts, vInitializer: zeros64 });
  lif.initState();
  const xs = np.array(INPUT, { dtype: "float64" });
  const [spikes, V] = environ.context({ dt }, () => forLoop((x: Tensor) => [lif.update(x), lif.V.value], xs)) as [Tensor, Tensor];
  return { V: V.toArraySync() as number[][], spikes: spikes.toArraySync() as number[][] };
}

function expectTraces(got: { V: number[][]; spikes: number[][] }, want: { V: number[][]; spikes: number[][] }): void {
  expect(got.spikes).to.deep.equal(want.spikes);
  got.V.forEach((row, t) => row.forEach((v, i) => expect(v, `V[${t}][${i}]`).to.be.closeTo(want.V[t]![i]!, 1e-9)));
  const count = want.spikes.flat().reduce((a, b) => a + b, 0);
  expect(count, "the input makes the neurons fire, but not on every step").to.be.within(20, STEPS * N / 2);
}

describe("nn.LIF", () => {
  afterEach(() => environ.reset());

  const CONFIGS: [string, Ref][] = [
    ["soft reset, exponential Euler", { R: 1.3, tau: 7, vTh: 1.5, vReset: -0.2, vRest: 0.1, soft: true, euler: false }],
    ["hard reset, exponential Euler", { R: 1.3, tau: 7, vTh: 1.5, vReset: -0.2, vRest: 0.1, soft: false, euler: false }],
    ["soft reset, Euler", { R: 0.9, tau: 4, vTh: 1, vReset: 0, vRest: -0.3, soft: true, euler: true }],
    ["hard reset, Euler", { R: 0.9, tau: 4, vTh: 1, vReset: 0.2, vRest: -0.3, soft: false, euler: true }],
  ];
  for (const [label, p] of CONFIGS) {
    it(`${label}: matches the float64 recurrence over ${STEPS} steps`, () => {
      const got = simulate(
        { R: p.R, tau: p.tau, vTh: p.vTh, vReset: p.vReset, vRest: p.vRest, spkReset: p.soft ? "soft" : "hard", integrator: p.euler ? "euler" : "expEuler" },
        0.5,
      );
      expectTraces(got, lifReference(p, 0.5));
    });
  }

  it("defaults are BrainState's (R 1, tau 5, vTh 1, vReset 0, vRest 0, soft reset, exponential Euler)", () => {
    const lif = new LIF(N);
    expect([lif.R, lif.tau, lif.vTh, lif.vReset, lif.vRest, lif.spkReset, lif.integrator]).to.deep.equal([1, 5, 1, 0, 0, "soft", "expEuler"]);
    expectTraces(simulate({}, 0.1), lifReference({ R: 1, tau: 5, vTh: 1, vReset: 0, vRest: 0, soft: true, euler: false }, 0.1));
  });

  it("per-neuron parameters broadcast against the state", () => {
    const taus = [3, 5, 8, 13];
    const lif = new LIF(N, { tau: np.array(taus, { dtype: "float64" }), vInitializer: zeros64 });
    lif.initState(2);
    environ.context({ dt: 1 }, () => lif.update(np.full([2, N], 0.5, { dtype: "float64" })));
    const v = lif.V.value.toArraySync() as number[][];
    v.forEach((row) => row.forEach((vi, i) => expect(vi).to.be.closeTo(0.5 * (1 - Math.exp(-1 / taus[i]!)), 1e-12)));
  });

  it("a JS-number input keeps a float64 model in float64 (no float32 rounding of the current)", () => {
    const lif = new LIF(1, { R: 1.3, vRest: 0.1, tau: 3, vTh: 2, vInitializer: zeros64 });
    lif.initState();
    environ.set({ dt: 0.7 });
    let v = 0;
    for (let t = 0; t < 20; t++) {
      lif.update(0.7);
      v = 1.01 + (v - 1.01) * Math.exp(-0.7 / 3);
      expect(lif.V.value.dataSync()[0], `step ${t}`).to.be.closeTo(v, 1e-14);
    }
  });

  it("V is a HiddenState created by initState(batchSize); resetState rewrites it, inside jit too", () => {
    const lif = new LIF([2, 3]);
    expect(lif.states()).to.deep.equal({});
    expect(() => lif.V).to.throw(StateError, /LIF\.V does not exist yet: call initState\(batchSize\)/);
    expect(() => lif.update(1)).to.throw(StateError, /initState/);
    lif.initState(5);
    expect(lif.V).to.be.instanceOf(HiddenState);
    expect(Object.keys(lif.states(HiddenState))).to.deep.equal(["V"]);
    expect(lif.V.value.shape).to.deep.equal([5, 2, 3]);
    environ.set({ dt: 1 });
    lif.update(np.ones([5, 2, 3]));
    expect(lif.V.value.sum().itemSync()).to.be.above(0);
    const step = jit(() => {
      lif.resetState(5);
      return lif.update(0.5);
    });
    step();
    const v = lif.V.value.toArraySync() as number[][][];
    v.flat(2).forEach((vi) => expect(vi).to.be.closeTo(0.5 * (1 - Math.exp(-1 / 5)), 1e-6));
  });

  it("initAllStates / resetAllStates reach every dynamics module of a model", () => {
    const net = new Sequential(new Linear(3, 4), new LIF(4), new Linear(4, 2), new LIF(2, { tau: 2 }));
    initAllStates(net, 7);
    const hidden = net.states(HiddenState);
    expect(Object.keys(hidden)).to.deep.equal(["layers.1.V", "layers.3.V"]);
    expect(Object.values(hidden).map((s) => s.value.shape)).to.deep.equal([[7, 4], [7, 2]]);
    expect(Object.keys(net.states(ParamState))).to.have.length(4);
    environ.set({ dt: 1 });
    net.call(np.ones([7, 3]).mul(5));
    resetAllStates(net, 3);
    expect(Object.values(hidden).map((s) => s.value.shape)).to.deep.equal([[3, 4], [3, 2]]);
    Object.values(hidden).forEach((s) => expect(s.value.abs().sum().itemSync()).to.equal(0));
    expect(() => initAllStates({} as never)).to.throw(ValueError, /initAllStates: expected a Module/);
  });

  it("bad options and inputs: typed errors", () => {
    expect(() => new LIF(0)).to.throw(ValueError, /inSize must be a positive integer/);
    expect(() => new LIF(3, { tau: -1 })).to.throw(ValueError, /tau must be positive/);
    expect(() => new LIF(3, { vTh: 0.5, vReset: 0.5 })).to.throw(ValueError, /vTh and vReset must differ/);
    expect(() => new LIF(3, { spkReset: "medium" as never })).to.throw(ValueError, /spkReset must be "soft" or "hard"/);
    expect(() => new LIF(3, { integrator: "rk4" as never })).to.throw(ValueError, /unknown integrator "rk4"; use "expEuler" or "euler"/);
    expect(() => new LIF(3, { tau: np.ones([4]) })).to.throw(ShapeError, /tau has shape \[4\], which does not broadcast to the variable shape \[3\]/);
    expect(() => new LIF(3, { spkFun: 2 as never })).to.throw(ValueError, /spkFun must be a spike function/);
    const lif = new LIF(3);
    expect(() => lif.initState(-2)).to.throw(ValueError, /batchSize must be a positive integer/);
    lif.initState(2);
    expect(() => lif.update(np.ones([2, 3]))).to.throw(ValueError, /"dt" is not set/);
    environ.set({ dt: 1 });
    expect(() => lif.update(np.ones([4, 2, 3]))).to.throw(ShapeError, /LIF\.update: the input has shape \[4,2,3\] but the state has shape \[2,3\]/);
  });
});

describe("nn.Expon and the integrators", () => {
  afterEach(() => environ.reset());

  it("Expon matches g ← g·exp(−dt/tau) + x over many steps (exponential Euler) and g ← g(1 − dt/tau) + x (Euler)", () => {
    for (const integrator of ["expEuler", "euler"] as const) {
      const syn = new Expon(N, { tau: 6, gInitializer: zeros64, integrator });
      syn.initState();
      const xs = np.array(INPUT.map((row, t) => row.map((v) => (t % 7 === 0 ? v : 0))), { dtype: "float64" });
      const gs = environ.context({ dt: 0.25 }, () => forLoop((x: Tensor) => syn.update(x), xs)).toArraySync() as number[][];
      const decay = integrator === "euler" ? 1 - 0.25 / 6 : Math.exp(-0.25 / 6);
      let g = new Array<number>(N).fill(0);
      gs.forEach((row, t) => {
        g = g.map((gi, i) => gi * decay + (t % 7 === 0 ? INPUT[t]![i]! : 0));
        row.forEach((v, i) => expect(v, `${integrator} g[${t}][${i}]`).to.be.closeTo(g[i]!, 1e-12));
      });
    }
  });

  it("Expon.update() without input only decays; g is a HiddenState", () => {
    const syn = new Expon(2, { tau: 4 });
    syn.initState(3);
    expect(syn.g).to.be.instanceOf(HiddenState);
    environ.set({ dt: 1 });
    syn.update(np.ones([3, 2]));
    expect(syn.update().toArraySync()).to.deep.equal(new Array(3).fill([Math.fround(Math.exp(-0.25)), Math.fround(Math.exp(-0.25))]));
    expect(() => new Expon(2, { tau: 0 })).to.throw(ValueError, /tau must be positive/);
    expect(() => new Expon(2).g).to.throw(StateError, /Expon\.g does not exist yet/);
  });

  it("expEulerStep is exact for linear drifts, including a state-dependent Jacobian; euler is one Euler step", () => {
    environ.set({ dt: 0.3 });
    const x = np.array([1, -2, 0.5], { dtype: "float64" });
    const rates = np.array([0.5, 2, 0], { dtype: "float64" });
    const out = expEulerStep((v) => v.mul(rates).neg().add(1), x).toArraySync() as number[];
    // dx/dt = 1 − k x: x(dt) = 1/k + (x0 − 1/k) e^{−k dt}; k = 0 is the limit x0 + dt.
    [[1, 0.5], [-2, 2]].forEach(([x0, k], i) => expect(out[i]).to.be.closeTo(1 / k! + (x0! - 1 / k!) * Math.exp(-k! * 0.3), 1e-14));
    expect(out[2]).to.be.closeTo(0.8, 1e-14);
    expect(integrate((v) => v.neg(), x, "euler").toArraySync()).to.deep.equal([0.7, -1.4, 0.35]);
    expect(() => integrate((v) => v.sum(), x)).to.throw(ValueError, /drift must return a Tensor of the state's shape \[3\]/);
    expect(() => integrate(3 as never, x)).to.throw(ValueError, /drift must be a function/);
  });
});
