// Simulation with forLoop: per-step recording, State streams, and backpropagation through time —
// against central differences (on a smooth spike function, where the loss is differentiable) and
// against the same loop unrolled in JS (with real Heaviside spikes and a surrogate gradient).
import { expect } from "chai";
import { HiddenState, ParamState, type Tensor, environ, np, random } from "@kiln/core";
import { customVjp, forLoop, grad, jit } from "@kiln/transforms";
import { fdCheck } from "../layers/fd-check.test-util.js";
import { Linear } from "../layers/linear.js";
import { initAllStates, resetAllStates } from "./base.js";
import { Expon } from "./expon.js";
import { LIF } from "./lif.js";
import { sigmoid } from "./surrogate.js";

const T = 25, B = 3, IN = 4, HID = 5;
const f64 = { dtype: "float64" } as const;
const zeros64 = (shape: number[]) => np.zeros(shape, f64);

/** Rate-like input currents [T, B, IN] (float64, fixed by a seed). */
function inputs(): Tensor {
  random.seed(7);
  return random.uniform({ low: 0, high: 1, size: [T, B, IN] }).astype("float64").mul(1.5);
}

/** A spike function that is smooth forward (σ(4x)) with its exact derivative as the custom backward rule. */
const smoothSpike = customVjp((x: Tensor) => np.sigmoid(x.mul(4)));
smoothSpike.defVjp((x: Tensor) => [np.sigmoid(x.mul(4)), x], (x: Tensor, g: Tensor) => {
  const s = np.sigmoid(x.mul(4));
  return [g.mul(s.mul(s.neg().add(1)).mul(4))];
});

describe("dynamics: forLoop simulation and BPTT", () => {
  beforeEach(() => environ.set({ dt: 1 }));
  afterEach(() => environ.reset());

  it("BPTT through forLoop of a squared spike-count loss wrt the input weights equals central differences (smooth spike function)", () => {
    const lif = new LIF(HID, { tau: 4, spkFun: (x) => smoothSpike(x) as Tensor, vInitializer: zeros64 });
    lif.initState(B);
    const xs = inputs();
    const target = np.full([B, HID], 3, f64);
    const loss = (w: Tensor) => {
      lif.resetState(B);
      const counts = forLoop((x: Tensor) => lif.update(x.matmul(w)), xs).sum(0);
      return counts.sub(target).square().mean();
    };
    random.seed(3);
    const w0 = random.normal({ scale: 0.6, size: [IN, HID] }).astype("float64").add(0.4);
    expect(loss(w0).itemSync(), "a nontrivial loss").to.be.above(0.1);
    fdCheck(loss, w0);
  });

  it("forLoop BPTT equals the same loop unrolled in JS, with Heaviside spikes and a surrogate gradient (eager and jit)", () => {
    random.seed(11);
    const fc = new Linear(IN, HID, { wInit: (s) => random.normal({ scale: 0.8, size: s }).astype("float64").add(0.3), bInit: zeros64 });
    const syn = new Expon(HID, { tau: 3, gInitializer: zeros64 });
    const lif = new LIF(HID, { tau: 5, spkFun: (x) => sigmoid(x, { alpha: 2 }), vInitializer: zeros64 });
    initAllStates(lif, B);
    initAllStates(syn, B);
    const params = { ...fc.states(ParamState) };
    const xs = inputs();
    const stepFn = (x: Tensor) => lif.update(syn.update(fc.call(x)));
    const readout = (spikes: Tensor) => spikes.sum(0).mul(np.arange(HID).astype("float64").add(1)).sum();
    const looped = () => {
      resetAllStates(lif, B);
      resetAllStates(syn, B);
      return readout(forLoop(stepFn, xs));
    };
    const unrolled = () => {
      resetAllStates(lif, B);
      resetAllStates(syn, B);
      const out: Tensor[] = [];
      for (let t = 0; t < T; t++) out.push(stepFn(xs.get(t)));
      return readout(np.stack(out));
    };
    const [gLoop, vLoop] = grad(looped, { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    const [gUnrolled, vUnrolled] = grad(unrolled, { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    expect(vLoop.itemSync()).to.equal(vUnrolled.itemSync());
    expect(vLoop.itemSync(), "the network spikes").to.be.above(5);
    const [gJit] = jit(() => grad(looped, { gradStates: params, returnValue: true })())() as [Record<string, Tensor>, Tensor];
    for (const k of Object.keys(params)) {
      const u = Array.from(gUnrolled[k]!.dataSync());
      expect(u.some((v) => Math.abs(v) > 1e-3), `${k}: surrogate gradients reach the weights`).to.equal(true);
      for (const [label, g] of [["forLoop", gLoop], ["jit(forLoop)", gJit]] as const) {
        Array.from(g[k]!.dataSync()).forEach((v, i) => expect(v, `${label} ${k}[${i}]`).to.be.closeTo(u[i]!, 1e-10 * (1 + Math.abs(u[i]!))));
      }
    }
  });

  it("per-step recording: forLoop stacks each step's outputs; V's stream emits once per committed simulation", () => {
    const lif = new LIF(HID, { tau: 3 });
    lif.initState(B);
    const xs = np.ones([T, B, HID]).mul(np.linspace(0.5, 3, HID));
    const seen: Tensor[] = [];
    const sub = lif.V.value$.subscribe((v) => seen.push(v));
    expect(seen, "the current value on subscribe").to.have.length(1);
    const [spikes, V] = forLoop((x: Tensor) => [lif.update(x), lif.V.value], xs) as [Tensor, Tensor];
    expect(spikes.shape).to.deep.equal([T, B, HID]);
    expect(V.shape).to.deep.equal([T, B, HID]);
    expect(seen, "one commit after the loop, not one per step").to.have.length(2);
    expect(seen[1]!.toArraySync()).to.deep.equal(V.get(T - 1).toArraySync());
    // Stronger input, more spikes: the recording shows the rate code.
    const counts = spikes.sum([0, 1]).toArraySync() as number[];
    expect(counts[0]).to.equal(0);
    counts.slice(1).forEach((c, i) => expect(c).to.be.at.least(counts[i]!));
    const sim = jit(() => {
      lif.resetState(B);
      return forLoop((x: Tensor) => lif.update(x), xs).sum();
    });
    expect(sim().itemSync()).to.equal(spikes.sum().itemSync());
    expect(sim().itemSync()).to.equal(spikes.sum().itemSync());
    expect(seen, "jit commits the final V once per call").to.have.length(4);
    sub.unsubscribe();
    expect(lif.states(HiddenState).V).to.equal(lif.V);
  });
});
