/**
 * The options every optimizer shares through the base class: weight-decay masks and gradient
 * accumulation (k micro-steps in States, applied every k-th call with no host branch).
 */
import { expect } from "chai";
import { ParamState, State, StateError, type Tensor, ValueError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { jit } from "@kiln/transforms";
import { Adam, AdamW, Adadelta, Adagrad, LAMB, Lion, Momentum, RMSProp, SGD } from "./index.js";
import { type Optimizer, type WeightDecayMask, type WeightRecord } from "./optimizer.js";
import { G, gradsAt, run, weights } from "./fixtures.test-util.js";

describe("weightDecayMask", () => {
  it("AdamW decays only the selected weights: by path glob, by predicate, by a record of States", () => {
    const plain = weights(); // reference: no decay at all for b, full decay for w
    const noDecay = weights();
    run(new AdamW(noDecay, { lr: 0.1, weightDecay: 0 }), noDecay, 3);
    run(new AdamW(plain, { lr: 0.1, weightDecay: 0.1 }), plain, 3);
    const masks: ((ws: ReturnType<typeof weights>) => WeightDecayMask)[] = [
      () => "w", // a path glob
      () => (path: string) => path !== "b", // a predicate
      (ws) => ({ w: ws.w }), // a record of States, e.g. a model.states(...) piece
    ];
    for (const mask of masks) {
      const ws = weights();
      run(new AdamW(ws, { lr: 0.1, weightDecay: 0.1, weightDecayMask: mask(ws) }), ws, 3);
      expectClose(ws.w.value, plain.w.value.toArraySync() as number[]); // decayed
      expectClose(ws.b.value, noDecay.b.value.toArraySync() as number[]); // masked out
      expect(ws.b.value.toArraySync()).to.not.deep.equal(plain.b.value.toArraySync());
    }
  });

  it("masks work for coupled decay too (SGD), and a State class selects by kind", () => {
    class NoDecay extends ParamState {}
    const w = new ParamState(np.array([1])), b = new NoDecay(np.array([1]));
    new SGD({ w, b }, { lr: 0.1, weightDecay: 0.5, weightDecayMask: (_p, s) => !(s instanceof NoDecay) }).update({ w: np.zeros([1]), b: np.zeros([1]) });
    expectClose(w.value, [0.95]);
    expectClose(b.value, [1]);
    const w2 = new ParamState(np.array([1])), b2 = new NoDecay(np.array([1]));
    new SGD({ w2, b2 }, { lr: 0.1, weightDecay: 0.5, weightDecayMask: NoDecay }).update({ w2: np.zeros([1]), b2: np.zeros([1]) });
    expectClose(w2.value, [1]);
    expectClose(b2.value, [0.95]);
  });

  it("a bad mask is a typed error", () => {
    expect(() => new AdamW({ weightDecayMask: 3 as never })).to.throw(ValueError, /optim.AdamW weightDecayMask: a filter is a State class, a predicate/);
    expect(() => new AdamW({ weightDecayMask: { w: np.zeros([1]) } as never })).to.throw(StateError, /weightDecayMask "w" must be a State/);
  });
});

// Every optimizer, for the accumulation and jit tests.
const ALL: [string, (w: WeightRecord, extra?: object) => Optimizer][] = [
  ["SGD", (w, x) => new SGD(w, { lr: 0.1, ...x })],
  ["Momentum", (w, x) => new Momentum(w, { lr: 0.1, nesterov: true, ...x })],
  ["Adam", (w, x) => new Adam(w, { lr: 0.1, ...x })],
  ["AdamW", (w, x) => new AdamW(w, { lr: 0.1, ...x })],
  ["RMSProp", (w, x) => new RMSProp(w, { lr: 0.1, centered: true, momentum: 0.5, ...x })],
  ["Adagrad", (w, x) => new Adagrad(w, { lr: 0.1, ...x })],
  ["Adadelta", (w, x) => new Adadelta(w, { ...x })],
  ["Lion", (w, x) => new Lion(w, { lr: 0.1, ...x })],
  ["LAMB", (w, x) => new LAMB(w, { lr: 0.1, weightDecay: 0.01, ...x })],
];

describe("accumulateSteps (gradient accumulation)", () => {
  it("k = 3 micro-steps: weights move only on every 3rd call, by one update with the mean gradient", () => {
    for (const [name, make] of ALL) {
      const acc = weights(), ref = weights();
      const opt = make(acc, { accumulateSteps: 3 });
      const refOpt = make(ref);
      const mean = (k: "w" | "b") => np.array(G[0]![k].map((_, j) => (G[0]![k][j]! + G[1]![k][j]! + G[2]![k][j]!) / 3));
      for (let round = 0; round < 2; round++) {
        const before = [acc.w.value, acc.b.value];
        opt.update(gradsAt(0));
        opt.update(gradsAt(1));
        expectClose(acc.w.value, before[0]!.toArraySync() as number[]);
        expect(opt.stepCount.value.itemSync(), name).to.equal(round);
        opt.update(gradsAt(2));
        refOpt.update({ w: mean("w"), b: mean("b") });
        expectClose(acc.w.value, ref.w.value.toArraySync() as number[], { rtol: 1e-5, atol: 1e-6 });
        expectClose(acc.b.value, ref.b.value.toArraySync() as number[], { rtol: 1e-5, atol: 1e-6 });
        expect(opt.stepCount.value.itemSync(), name).to.equal(round + 1);
      }
      expect(opt.microStep!.value.itemSync()).to.equal(0);
      const keys = Object.keys(opt.states());
      expect(keys, name).to.include.members(["accum.b", "accum.w", "microStep", "step"]);
      expectClose(opt.states()["accum.w"]!.value as Tensor, [0, 0]);
    }
  });

  it("under jit: traced once over many calls, the same weights as the eager run, the schedule advances per applied update", () => {
    const eager = weights(), jitted = weights();
    const seen: number[] = [];
    const lr = (t: Tensor) => np.astype(t, "float32").mul(-0.01).add(0.1);
    const e = new Adam(eager, { lr, accumulateSteps: 2 });
    const j = new Adam(jitted, { lr, accumulateSteps: 2 });
    const step = jit((g: Record<string, Tensor>) => j.update(g));
    for (let i = 0; i < 12; i++) {
      e.update(gradsAt(i % 3));
      step(gradsAt(i % 3));
      seen.push(j.learningRate!.value.itemSync());
    }
    expect(step.traceCount()).to.equal(1);
    expectClose(jitted.w.value, eager.w.value.toArraySync() as number[], { rtol: 1e-5, atol: 1e-6 });
    expectClose(jitted.b.value, eager.b.value.toArraySync() as number[], { rtol: 1e-5, atol: 1e-6 });
    expect(j.stepCount.value.itemSync()).to.equal(6);
    // The lr State only changes on applied updates (steps 0..5 → 0.1 − 0.01·t).
    expectClose(seen, [0, 0.1, 0.1, 0.09, 0.09, 0.08, 0.08, 0.07, 0.07, 0.06, 0.06, 0.05]);
  });

  it("accumulateSteps must be an integer ≥ 1", () => {
    expect(() => new SGD({ lr: 0.1, accumulateSteps: 0 })).to.throw(ValueError, /optim.SGD: accumulateSteps must be an integer ≥ 1, got 0/);
    expect(() => new Adam({ accumulateSteps: 1.5 })).to.throw(ValueError, /accumulateSteps must be an integer ≥ 1, got 1.5/);
    expect(new Adam().microStep).to.equal(undefined);
  });
});

describe("every optimizer inside jit", () => {
  for (const [name, make] of ALL) {
    it(`${name}: traced once over 25 steps, the same trajectory as eager updates`, () => {
      const eager = weights(), jitted = weights();
      const e = make(eager), j = make(jitted);
      const step = jit((g: Record<string, Tensor>) => j.update(g));
      for (let i = 0; i < 25; i++) {
        e.update(gradsAt(i % 3));
        step(gradsAt(i % 3));
      }
      expect(step.traceCount()).to.equal(1);
      expectClose(jitted.w.value, eager.w.value.toArraySync() as number[], { rtol: 1e-4, atol: 1e-5 });
      expectClose(jitted.b.value, eager.b.value.toArraySync() as number[], { rtol: 1e-4, atol: 1e-5 });
      expect(j.stepCount.value.itemSync()).to.equal(25);
      for (const [path, s] of Object.entries(j.states())) expect(s, path).to.be.instanceOf(State);
    });
  }
});
