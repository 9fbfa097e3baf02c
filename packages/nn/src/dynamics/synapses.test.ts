// Alpha, DualExpon, STP and STD against closed forms and hand-worked steps (numbers written here),
// the projection (AlignPostProj with COBA/CUBA onto a LIF) one step by hand, connections,
// PoissonSpike, and typed errors.
import { expect } from "chai";
import { RandomState, ShapeError, StateError, type Tensor, ValueError, environ, np } from "@kiln/core";
import { forLoop, jit } from "@kiln/transforms";
import { Linear } from "../layers/linear.js";
import { initAllStates } from "./base.js";
import { Expon } from "./expon.js";
import { LIF } from "./lif.js";
import { PoissonSpike } from "./poisson.js";
import { AlignPostProj, COBA, CUBA, FixedNumConn, OneToOne } from "./projection.js";
import { Alpha, DualExpon, STD, STP } from "./synapses.js";

const f64 = { dtype: "float64" } as const;
const zeros64 = (shape: number[]) => np.zeros(shape, f64);
const full64 = (v: number) => (shape: number[]) => np.full(shape, v, f64);
const first = (t: Tensor) => t.dataSync()[0]!;

/** The response of `syn` to a unit input at step 0, over `steps` steps. */
function impulse(syn: Alpha | DualExpon, steps: number, dt: number): number[] {
  syn.initState();
  const xs = np.zeros([steps, 1], f64).add(np.array([1, ...new Array(steps - 1).fill(0)], f64).reshape([steps, 1]));
  return Array.from(environ.context({ dt }, () => forLoop((x: Tensor) => syn.update(x), xs)).dataSync());
}

describe("nn.Alpha / nn.DualExpon / nn.STP / nn.STD", () => {
  afterEach(() => environ.reset());

  it("Alpha: a unit input gives (t/tau) e^(−t/tau) one step later (peak 1/e at t = tau), and the exact step recurrence", () => {
    const dt = 0.01, tau = 2, steps = 800;
    const g = impulse(new Alpha(1, { tau, gInitializer: zeros64 }), steps, dt);
    let h = 0, gr = 0;
    g.forEach((gk, k) => {
      // h decays, g relaxes toward the new h (exact for h held), then the input joins h.
      h *= Math.exp(-dt / tau);
      gr = h + (gr - h) * Math.exp(-dt / tau);
      if (k === 0) h += 1;
      expect(gk, `g[${k}]`).to.be.closeTo(gr, 1e-12);
      const t = k * dt;
      expect(gk, `continuous g(${t})`).to.be.closeTo((t / tau) * Math.exp(-t / tau), 5e-3);
    });
    expect(g[0]).to.equal(0);
    expect(Math.max(...g)).to.be.closeTo(Math.exp(-1), 2e-3);
    expect(g.indexOf(Math.max(...g)) * dt).to.be.closeTo(tau, 0.05);
  });

  it("DualExpon: a unit input gives exactly A (e^(−t/tauDecay) − e^(−t/tauRise)), with peak 1 by default", () => {
    const dt = 0.01, td = 10, tr = 2;
    const syn = new DualExpon(1, { tauDecay: td, tauRise: tr, gInitializer: zeros64 });
    const A = (td / (td - tr)) * (tr / td) ** (tr / (tr - td));
    expect(syn.A).to.be.closeTo(A, 1e-15);
    const g = impulse(syn, 4000, dt);
    g.forEach((gk, k) => expect(gk, `g[${k}]`).to.be.closeTo(A * (Math.exp((-k * dt) / td) - Math.exp((-k * dt) / tr)), 1e-12));
    expect(Math.max(...g)).to.be.closeTo(1, 1e-5);
    const scaled = impulse(new DualExpon(1, { tauDecay: td, tauRise: tr, A: 2, gInitializer: zeros64 }), 10, dt);
    expect(scaled[5]).to.be.closeTo(2 * (Math.exp(-0.05 / td) - Math.exp(-0.05 / tr)), 1e-12);
  });

  it("STP: a spike facilitates u by U (1 − u) and depresses x by u x; between spikes u → U and x → 1 (hand-worked steps)", () => {
    environ.set({ dt: 1 });
    const stp = new STP(2, { U: 0.2, tauF: 600, tauD: 100 });
    stp.initState();
    expect(stp.u.value.toArraySync()).to.deep.equal([Math.fround(0.2), Math.fround(0.2)]);
    const eff = stp.update(np.array([1, 0])).toArraySync() as number[];
    // u = 0.2 + 0.2 · 0.8 = 0.36, x = 1 − 0.36 = 0.64, efficacy 0.2304; without a spike 0.2 · 1.
    expect(eff[0]).to.be.closeTo(0.2304, 1e-6);
    expect(eff[1]).to.be.closeTo(0.2, 1e-6);
    stp.update(np.array([0, 0]));
    expect(first(stp.u.value)).to.be.closeTo(0.2 + 0.16 * Math.exp(-1 / 600), 1e-6);
    expect(first(stp.x.value)).to.be.closeTo(1 - 0.36 * Math.exp(-1 / 100), 1e-6);
  });

  it("STD: x −= U x per spike, recovering with tau (hand-worked steps)", () => {
    environ.set({ dt: 1 });
    const std = new STD(1, { U: 0.5, tau: 100 });
    std.initState();
    expect(first(std.update(1))).to.be.closeTo(0.5, 1e-7);
    expect(first(std.update(1))).to.be.closeTo(1 - 0.5 * Math.exp(-0.01) - 0.25, 1e-6);
    expect(first(std.update(0))).to.be.closeTo(1 + (0.2549750831 - 1) * Math.exp(-0.01), 1e-6);
  });

  it("bad options: typed errors", () => {
    expect(() => new Alpha(2, { tau: -1 })).to.throw(ValueError, /Alpha: tau must be positive/);
    expect(() => new DualExpon(2, { tauDecay: 3, tauRise: 3 })).to.throw(ValueError, /tauDecay and tauRise must differ/);
    expect(() => new DualExpon(2, { tau_decay: 3 } as never)).to.throw(ValueError, /DualExpon: unknown option 'tau_decay' \(did you mean 'tauDecay'\?\)/);
    expect(() => new STP(2, { U: 1.5 })).to.throw(ValueError, /STP: U must be in \(0, 1\]/);
    expect(() => new STD(2, { tau: 0 })).to.throw(ValueError, /STD: tau must be positive/);
    expect(() => new STP(2).u).to.throw(StateError, /STP\.u does not exist yet/);
    const alpha = new Alpha(2);
    alpha.initState(3);
    environ.set({ dt: 1 });
    expect(() => alpha.update(np.ones([2, 3]))).to.throw(ShapeError, /Alpha\.update: the input has shape \[2,3\]/);
  });
});

describe("nn.AlignPostProj (COBA/CUBA), connections, nn.PoissonSpike", () => {
  afterEach(() => environ.reset());

  /** A LIF at −60 mV receiving one spike through weight 0.5 and an Expon synapse. */
  function onePair(out: COBA | CUBA) {
    const pop = new LIF(1, { tau: 10, vRest: -60, vTh: -50, vReset: -60, vInitializer: full64(-60) });
    const proj = new AlignPostProj({ comm: new OneToOne(1, { weight: 0.5 }), syn: new Expon(1, { tau: 5, gInitializer: zeros64 }), out, post: pop });
    initAllStates(proj);
    return { pop, proj };
  }

  it("COBA: the current g (E − V) enters the drift (V → (vRest + g E)/(1 + g) at rate (1 + g)/tau, exactly)", () => {
    environ.set({ dt: 0.1 });
    const { pop, proj } = onePair(new COBA({ E: 0 }));
    expect(first(proj.update(np.array([1], f64)))).to.equal(0.5);
    pop.update(0);
    expect(first(pop.V.value)).to.be.closeTo(-40 - 20 * Math.exp(-0.015), 1e-12);
  });

  it("CUBA: the current scale · g does not depend on V", () => {
    environ.set({ dt: 0.1 });
    const { pop, proj } = onePair(new CUBA({ scale: 2 }));
    proj.update(np.array([1], f64));
    pop.update(0);
    expect(first(pop.V.value)).to.be.closeTo(-59 - Math.exp(-0.01), 1e-12);
    expect(new CUBA({ scale: 2 }).call(np.array([3]), np.array([100])).dataSync()[0]).to.equal(6);
  });

  it("a neuron whose projection was not updated since its last step is a StateError (update projections first in each step)", () => {
    environ.set({ dt: 0.1 });
    const { pop, proj } = onePair(new COBA());
    proj.update(np.array([1], f64));
    pop.update(0);
    expect(() => pop.update(0)).to.throw(StateError, /LIF\.update: a projection onto this neuron \(COBA output\) was not updated/);
  });

  it("STP on the presynaptic side scales the spikes by its efficacy", () => {
    environ.set({ dt: 1 });
    const pop = new LIF(2);
    const proj = new AlignPostProj({ comm: (x) => x, syn: new Expon(2), out: new CUBA(), post: pop, stp: new STP(2, { U: 0.2 }) });
    initAllStates([pop, proj], 1);
    const g = (proj.update(np.array([[1, 0]])).toArraySync() as number[][])[0]!;
    expect(g[0]).to.be.closeTo(0.36 * 0.64, 1e-6);
    expect(g[1]).to.equal(0);
  });

  it("FixedNumConn: each presynaptic neuron has round(prob · outSize) distinct targets, fixed by the seed", () => {
    const conn = new FixedNumConn(30, 50, { prob: 0.1, weight: 0.25, seed: 3 });
    const mask = conn.mask.toArraySync() as number[][];
    mask.forEach((row) => expect(row.reduce((a, b) => a + b, 0)).to.equal(5));
    expect(new FixedNumConn(30, 50, { prob: 0.1, seed: 3 }).mask.toArraySync()).to.deep.equal(mask);
    expect(new FixedNumConn(30, 50, { prob: 0.1, seed: 4 }).mask.toArraySync()).to.not.deep.equal(mask);
    const y = conn.call(np.ones([2, 30])).toArraySync() as number[][];
    const colSums = mask[0]!.map((_, j) => mask.reduce((a, r) => a + r[j]!, 0) * 0.25);
    expect(y[1]).to.deep.equal(colSums);
  });

  it("PoissonSpike: the rate is freqs · dt / 1000 per step; the generator is a State, so jit draws fresh spikes each call", () => {
    environ.set({ dt: 0.5 });
    const src = new PoissonSpike(100, { freqs: 40, rng: new RandomState(1) });
    src.initState(4);
    const spikes = forLoop(() => src.update(), np.zeros([200]));
    expect(spikes.shape).to.deep.equal([200, 4, 100]);
    const rate = spikes.mean().itemSync();
    expect(rate).to.be.closeTo(0.02, 0.002);   // 80 000 draws: the standard error is 0.0005
    const step = jit(() => src.update());
    expect(step().toArraySync()).to.not.deep.equal(step().toArraySync());
    const off = new PoissonSpike(3, { freqs: np.array([0, 1000, 0]) });
    off.initState();
    environ.set({ dt: 1 });
    expect(off.update().toArraySync()).to.deep.equal([0, 1, 0]);
  });

  it("bad projections and connections: typed errors", () => {
    const pop = new LIF(3);
    expect(() => new AlignPostProj({ comm: new Linear(2, 4), syn: new Expon(4), out: new COBA(), post: pop })).to.throw(ShapeError, /the synapse has shape \[4\] but the postsynaptic population has shape \[3\]/);
    expect(() => new AlignPostProj({ comm: 3 as never, syn: new Expon(3), out: new COBA(), post: pop })).to.throw(ValueError, /comm must be a connection/);
    expect(() => new AlignPostProj({ comm: (x) => x, syn: new Expon(3), out: {} as never, post: pop })).to.throw(ValueError, /out must be an output model/);
    expect(() => new AlignPostProj({ comm: (x) => x, syn: new Linear(3, 3) as never, out: new CUBA(), post: pop })).to.throw(ValueError, /syn must be a dynamics model/);
    const out = new CUBA();
    pop.addCurrentInput("k", out);
    expect(() => pop.addCurrentInput("k", out)).to.throw(ValueError, /a current input "k" is already registered/);
    expect(() => new COBA({ E: Number.NaN })).to.throw(ValueError, /COBA: E must be finite/);
    expect(() => new FixedNumConn(3, 4, { prob: 0 })).to.throw(ValueError, /prob must be a number in \(0, 1\]/);
    expect(() => new OneToOne(3, { weight: np.ones([4]) })).to.throw(ShapeError, /weight has shape \[4\], expected a number or shape \[3\]/);
    expect(() => new OneToOne(3).call(np.ones([2, 4]))).to.throw(ShapeError, /OneToOne\(3\): expected an input whose last axis has size 3/);
    expect(() => new PoissonSpike(3, { freqs: -1 })).to.throw(ValueError, /freqs must be non-negative/);
    expect(() => new PoissonSpike(3, {} as never)).to.throw(ValueError, /freqs \(the firing rate in Hz\) is required/);
  });
});
