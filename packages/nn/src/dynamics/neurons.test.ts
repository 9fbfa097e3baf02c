// IF, ALIF, Izhikevich and AdEx: one step against numbers worked out by hand (written here), long
// runs against float64 recurrences written out in JS, the classic Izhikevich regular-spiking spike
// count, and typed errors.
import { expect } from "chai";
import { HiddenState, ShapeError, StateError, type Tensor, ValueError, environ, np } from "@kiln/core";
import { forLoop, grad } from "@kiln/transforms";
import { ALIF, IF, LIF } from "./lif.js";
import { sigmoid } from "./surrogate.js";
import { AdEx, Izhikevich } from "./izhikevich.js";
import { HH } from "./hh.js";

const f64 = { dtype: "float64" } as const;
const full64 = (v: number) => (shape: number[]) => np.full(shape, v, f64);
const exprel = (z: number) => (z === 0 ? 1 : Math.expm1(z) / z);
const first = (t: Tensor) => t.dataSync()[0]!;

describe("nn.IF / nn.ALIF", () => {
  afterEach(() => environ.reset());

  it("IF: one step from rest is R x (1 − e^(−dt/tau)); a spike lowers V by vTh first (soft) or sets it to 0 (hard)", () => {
    environ.set({ dt: 0.5 });
    const neuron = new IF(1, { R: 2, tau: 5, vInitializer: full64(0) });
    neuron.initState();
    expect(first(neuron.update(0.8))).to.equal(0);
    expect(first(neuron.V.value)).to.be.closeTo(0.15226013114246478, 1e-15);
    neuron.V.value = np.array([1.2], f64);
    neuron.update(0.8);  // 1.2 − 1 = 0.2, then 1.6 + (0.2 − 1.6) e^(−0.1)
    expect(first(neuron.V.value)).to.be.closeTo(0.3332276147496567, 1e-15);
    const hard = new IF(1, { R: 2, tau: 5, spkReset: "hard", vInitializer: full64(1.2) });
    hard.initState();
    hard.update(0.8);     // 0, then 1.6 (1 − e^(−0.1))
    expect(first(hard.V.value)).to.be.closeTo(0.15226013114246478, 1e-15);
  });

  it("ALIF: the threshold rises by beta per spike; one step worked by hand", () => {
    environ.set({ dt: 1 });
    const alif = new ALIF(1, { tau: 10, tauA: 50, beta: 0.2, vInitializer: full64(1.5), aInitializer: full64(0.5) });
    alif.initState();
    // Last spike: 1.5 − 1 − 0.2·0.5 ≥ 0 → reset to 0.5, a = 1.5; V = 0.3 + 0.2 e^(−0.1), a = 1.5 e^(−1/50).
    const s = alif.update(0.3);
    expect(first(alif.V.value)).to.be.closeTo(0.4809674836071919, 1e-15);
    expect(first(alif.a.value)).to.be.closeTo(1.4702980099601328, 1e-15);
    expect(first(s)).to.equal(0);
    expect(alif.states(HiddenState)).to.have.keys(["V", "a"]);
  });

  it("ALIF matches its float64 recurrence over 600 steps, and its firing adapts (intervals grow)", () => {
    const p = { R: 1.2, tau: 8, tauA: 120, vTh: 1, vReset: 0, vRest: 0, beta: 0.4 };
    const dt = 0.5, steps = 600;
    const alif = new ALIF(2, { ...p, vInitializer: full64(0), aInitializer: full64(0) });
    alif.initState();
    const xs = np.full([steps, 2], 1.5, f64).mul(np.array([1, 1.3], f64));
    const [spikes, V] = environ.context({ dt }, () => forLoop((x: Tensor) => [alif.update(x), alif.V.value], xs)) as [Tensor, Tensor];
    const gotS = spikes.toArraySync() as number[][], gotV = V.toArraySync() as number[][];
    for (const i of [0, 1]) {
      let v = 0, a = 0;
      const times: number[] = [];
      for (let t = 0; t < steps; t++) {
        const x = 1.5 * [1, 1.3][i]!;
        const fired = v - p.vTh - p.beta * a >= 0 ? 1 : 0;
        v = v - (p.vTh - p.vReset) * fired;
        a = (a + fired) * Math.exp(-dt / p.tauA);
        v = p.R * x + (v - p.R * x) * Math.exp(-dt / p.tau);
        expect(gotV[t]![i], `V[${t}][${i}]`).to.be.closeTo(v, 1e-9);
        const s = v - p.vTh - p.beta * a >= 0 ? 1 : 0;
        expect(gotS[t]![i], `spike[${t}][${i}]`).to.equal(s);
        if (s) times.push(t);
      }
      expect(times.length, "it fires repeatedly").to.be.above(5);
      const isi = times.slice(1).map((t, k) => t - times[k]!);
      expect(isi[isi.length - 1], "adaptation lengthens the intervals").to.be.above(isi[0]!);
    }
  });

  it("bad options: typed errors", () => {
    expect(() => new IF(2, { vTh: 0 })).to.throw(ValueError, /IF: vTh must be nonzero/);
    expect(() => new IF(2, { tau: -3 })).to.throw(ValueError, /IF: tau must be positive/);
    expect(() => new ALIF(2, { tauA: 0 })).to.throw(ValueError, /ALIF: tauA must be positive/);
    expect(() => new ALIF(2, { beta: np.ones([3]) })).to.throw(ShapeError, /ALIF: beta has shape \[3\]/);
    expect(() => new ALIF(2, { tau_a: 50 } as never)).to.throw(ValueError, /ALIF: unknown option 'tau_a' \(did you mean 'tauA'\?\); its options are R, tau, tauA/);
    expect(() => new ALIF(2).a).to.throw(StateError, /ALIF\.a does not exist yet/);
    const alif = new ALIF(2);
    alif.initState(3);
    environ.set({ dt: 1 });
    expect(() => alif.update(np.ones([4, 2]))).to.throw(ShapeError, /ALIF\.update: the input has shape \[4,2\] but the state has shape \[3,2\]/);
  });
});

describe("nn.Izhikevich / nn.AdEx", () => {
  afterEach(() => environ.reset());

  it("Izhikevich: one exponential Euler step from rest with I = 10 (f = 7, J = −0.2)", () => {
    environ.set({ dt: 0.1 });
    const rs = new Izhikevich(1, { vInitializer: full64(-65), uInitializer: full64(-13) });
    rs.initState();
    rs.update(10);
    expect(first(rs.V.value)).to.be.closeTo(-65 + 0.1 * exprel(-0.02) * 7, 1e-13);
    expect(first(rs.V.value)).to.be.closeTo(-64.30695356573644, 1e-12);
    expect(first(rs.u.value)).to.be.closeTo(-13, 1e-13);   // b V − u = 0 at rest
  });

  it("Izhikevich regular spiking: I = 10 for 1 s gives 23 spikes (as Euler at dt 0.01 and 0.001 ms); the trace matches its recurrence", () => {
    const dt = 0.1, steps = 10000;
    const rs = new Izhikevich(1, { vInitializer: full64(-65), uInitializer: full64(-13) });
    rs.initState();
    const [spikes, V] = environ.context({ dt }, () => forLoop((x: Tensor) => [rs.update(x), rs.V.value], np.full([steps, 1], 10, f64))) as [Tensor, Tensor];
    expect(spikes.sum().itemSync()).to.equal(23);
    const trace = V.dataSync();
    let v = -65, u = -13;
    for (let t = 0; t < steps; t++) {
      if (v >= 30) {
        v = -65;
        u += 8;
      }
      const f = 0.04 * v * v + 5 * v + 140 - u + 10;
      const fu = 0.02 * (0.2 * v - u);
      v += dt * exprel(dt * (0.08 * v + 5)) * f;
      u += dt * exprel(-0.02 * dt) * fu;
      expect(trace[t], `V[${t}]`).to.be.closeTo(v, 1e-6 * Math.max(1, Math.abs(v)));
    }
  });

  it("AdEx: matches its recurrence; a step current makes it fire with growing intervals (spike-triggered adaptation)", () => {
    const dt = 0.05, steps = 4000, I = 65;
    const p = { tau: 10, tauW: 30, vRest: -65, vReset: -68, vTh: -30, vT: -59.9, deltaT: 3.48, a: 1, b: 1, R: 1 };
    const adex = new AdEx(1, { vInitializer: full64(-65), wInitializer: full64(0) });
    adex.initState();
    const [spikes, V] = environ.context({ dt }, () => forLoop((x: Tensor) => [adex.update(x), adex.V.value], np.full([steps, 1], I, f64))) as [Tensor, Tensor];
    const got = spikes.dataSync(), trace = V.dataSync();
    let v = -65, w = 0;
    const times: number[] = [];
    for (let t = 0; t < steps; t++) {
      if (v >= p.vTh) {
        v = p.vReset;
        w += p.b;
      }
      const e = Math.exp((v - p.vT) / p.deltaT);
      const f = (-(v - p.vRest) + p.deltaT * e - p.R * w + p.R * I) / p.tau;
      const J = (-1 + e) / p.tau;
      const fw = (p.a * (v - p.vRest) - w) / p.tauW;
      v += dt * exprel(dt * J) * f;
      w += dt * exprel(-dt / p.tauW) * fw;
      if (v < p.vTh) expect(trace[t], `V[${t}]`).to.be.closeTo(v, 1e-6 * Math.abs(v));
      expect(got[t], `spike[${t}]`).to.equal(v >= p.vTh ? 1 : 0);
      if (v >= p.vTh) times.push(t);
    }
    expect(times.length).to.be.within(5, 200);
    const isi = times.slice(1).map((t, k) => t - times[k]!);
    expect(isi[isi.length - 1]).to.be.above(isi[0]!);
  });

  it("the hard reset is exact even far above threshold, and passes BrainState's reset gradient", () => {
    environ.set({ dt: 0.1 });
    const rs = new Izhikevich(1, { vInitializer: full64(1e17), uInitializer: full64(0) });
    rs.initState();
    rs.update(0);
    // Reset to c = −65 exactly (V − (V − c) would give 0 or −128 at 1e17), then one step.
    const f = 0.04 * 65 * 65 - 325 + 140 - 8;
    expect(first(rs.V.value)).to.be.closeTo(-65 + 0.1 * exprel(0.1 * (0.08 * -65 + 5)) * f, 1e-12);
  });

  it("the hard reset's gradient is BrainState's: that of V − (stop_gradient(V) − vReset) · spike", () => {
    environ.set({ dt: 1 });
    const lif = new LIF(1, { spkReset: "hard", tau: 5, vTh: 1, vReset: 0.2, spkFun: (x) => sigmoid(x, { alpha: 4 }), vInitializer: full64(0) });
    lif.initState();
    const dV = grad((v0: Tensor) => {
      lif.V.value = v0;
      lif.update(0.5);
      return lif.V.value.sum();
    })(np.array([1.3], f64)) as Tensor;
    const sig = 1 / (1 + Math.exp(-4 * 0.375));            // spike input (1.3 − 1) / (1 − 0.2)
    const ds = (4 * sig * (1 - sig)) / 0.8;
    expect(first(dV)).to.be.closeTo(Math.exp(-1 / 5) * (1 + ds * (0.2 - 1.3)), 1e-12);
  });

  it("bad options: typed errors", () => {
    expect(() => new Izhikevich(1, { a: 0 })).to.throw(ValueError, /Izhikevich: a must be positive/);
    expect(() => new Izhikevich(1, { vTh: -65 })).to.throw(ValueError, /vTh and c must differ/);
    expect(() => new AdEx(1, { deltaT: -1 })).to.throw(ValueError, /AdEx: deltaT must be positive/);
    expect(() => new AdEx(1, { tauW: Number.NaN })).to.throw(ValueError, /AdEx: tauW must be finite/);
    expect(() => new AdEx(1, { spkReset: "sideways" as never })).to.throw(ValueError, /spkReset must be "soft" or "hard"/);
    expect(() => new AdEx([2, 0])).to.throw(ValueError, /inSize must be a positive integer/);
  });
});

describe("nn.HH", () => {
  afterEach(() => environ.reset());

  /** The HH rates of the gates m, h, n at V, written out. */
  const xm1 = (x: number) => (x === 0 ? 1 : x / Math.expm1(x));
  const rates = (V: number): [number, number][] => [
    [xm1(-(V + 40) / 10), 4 * Math.exp(-(V + 65) / 18)],
    [0.07 * Math.exp(-(V + 65) / 20), 1 / (1 + Math.exp(-(V + 35) / 10))],
    [0.1 * xm1(-(V + 55) / 10), 0.125 * Math.exp(-(V + 65) / 80)],
  ];

  it("starts at the gates' steady state at −65 mV; one step by hand", () => {
    environ.set({ dt: 0.01 });
    const hh = new HH(1, { vInitializer: full64(-65) });
    hh.initState();
    rates(-65).forEach(([a, b], i) => expect(first([hh.m, hh.h, hh.n][i]!.value)).to.be.closeTo(a / (a + b), 1e-15));
    hh.update(10);
    expect(first(hh.V.value)).to.be.closeTo(-64.92875802913656, 1e-12);
    expect(first(hh.m.value)).to.be.closeTo(0.05293248525724958, 1e-14);
    expect(first(hh.h.value)).to.be.closeTo(0.5961207535084603, 1e-14);
    expect(first(hh.n.value)).to.be.closeTo(0.3176769140606974, 1e-14);
  });

  it("I = 10 µA/cm² for 100 ms: 7 spikes (as Euler at dt 0.001 ms), each one crossing of vTh; the trace matches its recurrence", () => {
    const dt = 0.05, steps = 2000;
    const hh = new HH(1, { vInitializer: full64(-65) });
    hh.initState();
    const [spikes, V] = environ.context({ dt }, () => forLoop((x: Tensor) => [hh.update(x), hh.V.value], np.full([steps, 1], 10, f64))) as [Tensor, Tensor];
    expect(spikes.sum().itemSync()).to.equal(7);
    const trace = V.dataSync();
    let v = -65;
    let gates = rates(v).map(([a, b]) => a / (a + b));
    for (let t = 0; t < steps; t++) {
      const [m, h, n] = gates as [number, number, number];
      const gNa = 120 * m ** 3 * h, gK = 36 * n ** 4;
      const f = -gNa * (v - 50) - gK * (v + 77) - 0.03 * (v + 54.387) + 10;
      gates = rates(v).map(([a, b], i) => gates[i]! + dt * exprel(-dt * (a + b)) * (a - (a + b) * gates[i]!));
      v += dt * exprel(-dt * (gNa + gK + 0.03)) * f;
      expect(trace[t], `V[${t}]`).to.be.closeTo(v, 1e-6 * Math.max(1, Math.abs(v)));
    }
    expect(() => new HH(1, { C: 0 })).to.throw(ValueError, /HH: C must be positive/);
    expect(() => new HH(1, { spkReset: "hard" } as never)).to.throw(ValueError, /HH: unknown option 'spkReset'/);
  });
});
