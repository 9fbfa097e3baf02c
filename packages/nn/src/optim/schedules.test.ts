/**
 * Learning-rate schedules: values at given steps against optax's formulas written out in float64
 * (and optax's docstring examples), and the property that matters under jit: the schedule advances
 * inside the compiled step (a schedule read on the host would be frozen into the trace).
 */
import { expect } from "chai";
import { ParamState, ValueError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { jit } from "@kiln/transforms";
import {
  Adam, LAMB, SGD, type Schedule, constantSchedule, cosineDecaySchedule, exponentialDecay, joinSchedules, linearSchedule, piecewiseConstantSchedule,
  polynomialSchedule, warmupCosineDecaySchedule,
} from "./index.js";

const STEPS = [0, 1, 2, 5, 9, 10, 11, 25, 49, 50, 51, 99, 100, 101, 150, 1000];
/** Tabulates a schedule over STEPS in one evaluation (schedules are elementwise over counts). */
const table = (s: Schedule, steps = STEPS) => Array.from(s(np.array(steps, { dtype: "int32" })).dataSync());

// optax's formulas (optax/schedules/_schedule.py), in float64.
const clip = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
const polyRef = (I: number, E: number, p: number, T: number, B = 0) => (t: number) => (I - E) * (1 - clip(t - B, 0, T) / T) ** p + E;
const expRef = (I: number, T: number, r: number, B = 0, stair = false, end?: number) => (t: number) => {
  const d = t - B;
  const p = stair ? Math.floor(d / T) : d / T;
  const v = d <= 0 ? I : I * r ** p;
  return end === undefined ? v : r < 1 ? Math.max(v, end) : Math.min(v, end);
};
const cosRef = (I: number, T: number, alpha = 0, e = 1) => (t: number) => I * ((1 - alpha) * (0.5 * (1 + Math.cos((Math.PI * Math.min(t, T)) / T))) ** e + alpha);
const warmCosRef = (I: number, P: number, W: number, D: number, E = 0, e = 1) => (t: number) =>
  t < W ? polyRef(I, P, 1, W)(t) : cosRef(P, D - W, P === 0 ? 0 : E / P, e)(t - W);

describe("optim schedules: values against optax's formulas", () => {
  const cases: [string, Schedule, (t: number) => number][] = [
    ["constantSchedule", constantSchedule(0.3), () => 0.3],
    ["linearSchedule (warmup)", linearSchedule({ initValue: 0, endValue: 0.1, transitionSteps: 50 }), polyRef(0, 0.1, 1, 50)],
    ["linearSchedule with transitionBegin", linearSchedule({ initValue: 1, endValue: 0.2, transitionSteps: 40, transitionBegin: 10 }), polyRef(1, 0.2, 1, 40, 10)],
    ["polynomialSchedule", polynomialSchedule({ initValue: 1, endValue: 0.01, power: 2, transitionSteps: 100, transitionBegin: 5 }), polyRef(1, 0.01, 2, 100, 5)],
    ["piecewiseConstantSchedule", piecewiseConstantSchedule({ initValue: 0.5, boundariesAndScales: { 10: 0.1, 50: 0.5, 100: 2 } }), (t) => 0.5 * (t >= 10 ? 0.1 : 1) * (t >= 50 ? 0.5 : 1) * (t >= 100 ? 2 : 1)],
    ["exponentialDecay", exponentialDecay({ initValue: 0.1, transitionSteps: 10, decayRate: 0.9 }), expRef(0.1, 10, 0.9)],
    ["exponentialDecay staircase + begin + floor", exponentialDecay({ initValue: 1, transitionSteps: 10, decayRate: 0.5, transitionBegin: 5, staircase: true, endValue: 0.01 }), expRef(1, 10, 0.5, 5, true, 0.01)],
    ["exponentialDecay growing with a ceiling", exponentialDecay({ initValue: 0.1, transitionSteps: 20, decayRate: 1.5, endValue: 0.5 }), expRef(0.1, 20, 1.5, 0, false, 0.5)],
    ["cosineDecaySchedule", cosineDecaySchedule({ initValue: 0.1, decaySteps: 100 }), cosRef(0.1, 100)],
    ["cosineDecaySchedule alpha + exponent", cosineDecaySchedule({ initValue: 2, decaySteps: 50, alpha: 0.1, exponent: 2 }), cosRef(2, 50, 0.1, 2)],
    ["warmupCosineDecaySchedule", warmupCosineDecaySchedule({ initValue: 0, peakValue: 1e-3, warmupSteps: 10, decaySteps: 100, endValue: 1e-5 }), warmCosRef(0, 1e-3, 10, 100, 1e-5)],
    ["warmupCosineDecaySchedule without warmup", warmupCosineDecaySchedule({ initValue: 0.5, peakValue: 1, warmupSteps: 0, decaySteps: 50 }), warmCosRef(0.5, 1, 0, 50)],
  ];
  for (const [name, s, ref] of cases) {
    it(name, () => expectClose(table(s), STEPS.map(ref), { rtol: 2e-5, atol: 1e-9 }));
  }

  it("optax's docstring examples (polynomial_schedule, piecewise_constant_schedule)", () => {
    const poly = polynomialSchedule({ initValue: 1, endValue: 0.01, transitionSteps: 100, transitionBegin: 5, power: 2 });
    expect(table(poly, [0, 5, 6, 104, 105, 110]).map((v) => v.toFixed(4))).to.deep.equal(["1.0000", "1.0000", "0.9803", "0.0101", "0.0100", "0.0100"]);
    const piece = piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { 100: 0.1, 200: 0.01 } });
    expectClose(table(piece, [50, 150, 250]), [1, 0.1, 0.001]);
  });

  it("joinSchedules restarts each piece's count at its boundary; a number or a Tensor step both work", () => {
    const s = joinSchedules([constantSchedule(1), linearSchedule({ initValue: 1, endValue: 0, transitionSteps: 10 }), constantSchedule(7)], [5, 15]);
    expectClose(table(s, [0, 4, 5, 10, 14, 15, 100]), [1, 1, 1, 0.5, 0.1, 7, 7]);
    expectClose(s(10), 0.5);
  });

  it("bad arguments are ValueErrors naming the schedule and the option", () => {
    expect(() => cosineDecaySchedule({ initValue: 0.1, decaySteps: 0 })).to.throw(ValueError, /optim.cosineDecaySchedule: decaySteps must be an integer ≥ 1, got 0/);
    expect(() => exponentialDecay({ initValue: 0.1, transitionSteps: 10, decayRate: 0 })).to.throw(ValueError, /optim.exponentialDecay: decayRate must be in/);
    expect(() => exponentialDecay({ initValue: 0.1, transitionSteps: 2.5, decayRate: 0.5 })).to.throw(ValueError, /transitionSteps must be an integer ≥ 1, got 2.5/);
    expect(() => linearSchedule({ initValue: 0, endValue: 1, transitionSteps: -3 })).to.throw(ValueError, /optim.polynomialSchedule: transitionSteps must be an integer ≥ 0/);
    expect(() => linearSchedule({ initValue: NaN, endValue: 1, transitionSteps: 3 })).to.throw(ValueError, /initValue must be in/);
    expect(() => warmupCosineDecaySchedule({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 10 })).to.throw(ValueError, /decaySteps must be an integer ≥ 11/);
    expect(() => piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { 10: -0.5 } })).to.throw(ValueError, /the scale at step 10 must be in \[0, Infinity\)/);
    expect(() => piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { "-1": 0.5 } })).to.throw(ValueError, /a boundary must be an integer ≥ 0, got -1/);
    expect(() => joinSchedules([constantSchedule(1)], [3])).to.throw(ValueError, /1 schedules need 0 boundaries, got 1/);
    expect(() => joinSchedules([constantSchedule(1), constantSchedule(2), constantSchedule(3)], [10, 5])).to.throw(ValueError, /a boundary must be an integer ≥ 10, got 5/);
  });
});

describe("optim schedules inside jit: the schedule advances in the compiled step", () => {
  it("SGD with a warmup-cosine schedule: traced once, each step uses the lr of its own count", () => {
    const schedule = warmupCosineDecaySchedule({ initValue: 0, peakValue: 0.1, warmupSteps: 5, decaySteps: 30, endValue: 0.01 });
    const w = new ParamState(np.array([0]));
    const opt = new SGD({ w }, { lr: schedule });
    const step = jit(() => opt.update({ w: np.ones([1]) })); // a constant gradient: w falls by exactly the lr
    const ref = warmCosRef(0, 0.1, 5, 30, 0.01);
    let expected = 0;
    for (let t = 0; t < 40; t++) {
      step();
      expected -= ref(t);
      expectClose(opt.learningRate!.value, ref(t), { rtol: 1e-5, atol: 1e-9 });
      expectClose(w.value, [expected], { rtol: 1e-5, atol: 1e-6 });
    }
    expect(step.traceCount()).to.equal(1);
    expect(opt.stepCount.value.itemSync()).to.equal(40);
    expect(Object.keys(opt.states())).to.deep.equal(["lr", "step"]);
  });

  it("every optimizer takes a schedule the same way (Adam, LAMB: the same lr sequence)", () => {
    const schedule = exponentialDecay({ initValue: 0.1, transitionSteps: 1, decayRate: 0.5 });
    for (const make of [(w: ParamState) => new Adam({ w }, { lr: schedule }), (w: ParamState) => new LAMB({ w }, { lr: schedule })]) {
      const w = new ParamState(np.array([1, 2]));
      const opt = make(w);
      const step = jit(() => opt.update({ w: np.array([1, -1]) }));
      const lrs = [0, 1, 2, 3].map(() => (step(), opt.learningRate!.value.itemSync()));
      expectClose(lrs, [0.1, 0.05, 0.025, 0.0125]);
      expect(step.traceCount()).to.equal(1);
    }
  });

  it("a plain number lr keeps no lr State (the optimizer's States are unchanged)", () => {
    const opt = new SGD({ w: new ParamState(np.zeros([1])) }, { lr: 0.1 });
    expect(opt.learningRate).to.equal(undefined);
    expect(Object.keys(opt.states())).to.deep.equal(["step"]);
  });
});
