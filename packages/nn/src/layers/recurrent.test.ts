// RNNCell / GRUCell / LSTMCell against PyTorch's equations written out in float64 here, and the
// RNN wrapper: equal to an unrolled loop of its cell (forward, reverse, last step, time major,
// LSTM), finite-difference gradients through scan, a jitted GRU training step that traces once,
// and a stateful hidden state carried across jitted calls.
import { expect } from "chai";
import { ParamState, ShapeError, type Tensor, ValueError, np, random } from "@kiln/core";
import { jit } from "@kiln/transforms";
import { expectClose } from "@kiln/core/testing";
import { GRUCell, LSTMCell, RNNCell } from "./recurrent-cells.js";
import { RNN } from "./rnn.js";
import { Linear } from "./linear.js";
import { mseLoss } from "../losses.js";
import { fdCheck } from "./fd-check.test-util.js";
import { expectJittedTraining } from "./train.test-util.js";
import { sample } from "./samples.test-util.js";

type Vec = number[];
const sig = (v: number) => 1 / (1 + Math.exp(-v));
/** Column block `g` (of `hidden` columns) of x·W + b for one example: W [in, G·hidden] flat. */
function gate(x: Vec, w: Vec, b: Vec | undefined, g: number, hidden: number): Vec {
  const cols = w.length / x.length;
  return Array.from({ length: hidden }, (_, j) => x.reduce((a, xi, i) => a + xi * w[i * cols + g * hidden + j]!, b ? b[g * hidden + j]! : 0));
}

/** A cell whose four parameters are float64 samples, and their flat values. */
function withSamples<C extends RNNCell | GRUCell | LSTMCell>(make: (init: (shape: number[]) => Tensor) => C, seed: number) {
  const values: Vec[] = [];
  const cell = make((shape) => {
    const [v, t] = sample(shape, seed + values.length);
    values.push(v.map((x) => x * 0.5));
    return t.mul(0.5);
  });
  const [wih, whh, bih, bhh] = values as [Vec, Vec, Vec, Vec];
  return { cell, wih, whh, bih, bhh };
}

describe("recurrent cells (PyTorch's equations)", () => {
  const B = 2, I = 3, H = 4;
  const [xv, x] = sample([B, I], 1), [hv, h] = sample([B, H], 2), [cv, c] = sample([B, H], 3);
  const row = (v: Vec, n: number, b: number) => v.slice(b * n, (b + 1) * n);

  it("RNNCell tanh and relu: h' = act(x·Wih + bih + h·Whh + bhh)", () => {
    for (const nonlinearity of ["tanh", "relu"] as const) {
      const { cell, wih, whh, bih, bhh } = withSamples((init) => new RNNCell(I, H, { init, nonlinearity }), 10);
      const ref = [0, 1].flatMap((b) => {
        const gi = gate(row(xv, I, b), wih, bih, 0, H), gh = gate(row(hv, H, b), whh, bhh, 0, H);
        return gi.map((v, j) => (nonlinearity === "tanh" ? Math.tanh(v + gh[j]!) : Math.max(v + gh[j]!, 0)));
      });
      const [h2, y] = cell.call(h, x);
      expectClose(h2.reshape([-1]), ref, { rtol: 1e-12, atol: 1e-14 });
      expect(y).to.equal(h2);
    }
  });

  it("GRUCell: r, z, n gates; n uses r ⊙ (h·Whn + bhn); h' = (1 − z) n + z h", () => {
    const { cell, wih, whh, bih, bhh } = withSamples((init) => new GRUCell(I, H, { init }), 20);
    const ref = [0, 1].flatMap((b) => {
      const xb = row(xv, I, b), hb = row(hv, H, b);
      const gi = [0, 1, 2].map((g) => gate(xb, wih, bih, g, H)), gh = [0, 1, 2].map((g) => gate(hb, whh, bhh, g, H));
      return hb.map((hj, j) => {
        const r = sig(gi[0]![j]! + gh[0]![j]!), z = sig(gi[1]![j]! + gh[1]![j]!);
        const n = Math.tanh(gi[2]![j]! + r * gh[2]![j]!);
        return (1 - z) * n + z * hj;
      });
    });
    expectClose(cell.call(h, x)[0].reshape([-1]), ref, { rtol: 1e-12, atol: 1e-14 });
    expect(cell.weightIh.value.shape).to.deep.equal([I, 3 * H]);
    expect(cell.weightHh.value.shape).to.deep.equal([H, 3 * H]);
  });

  it("LSTMCell: i, f, g, o gates; c' = f c + i g, h' = o tanh(c')", () => {
    const { cell, wih, whh, bih, bhh } = withSamples((init) => new LSTMCell(I, H, { init }), 30);
    const refH: number[] = [], refC: number[] = [];
    for (const b of [0, 1]) {
      const xb = row(xv, I, b), hb = row(hv, H, b), cb = row(cv, H, b);
      const pre = [0, 1, 2, 3].map((g) => gate(xb, wih, bih, g, H).map((v, j) => v + gate(hb, whh, bhh, g, H)[j]!));
      cb.forEach((cj, j) => {
        const i = sig(pre[0]![j]!), f = sig(pre[1]![j]!), g = Math.tanh(pre[2]![j]!), o = sig(pre[3]![j]!);
        const c2 = f * cj + i * g;
        refC.push(c2);
        refH.push(o * Math.tanh(c2));
      });
    }
    const [[h2, c2], y] = cell.call([h, c], x);
    expectClose(h2.reshape([-1]), refH, { rtol: 1e-12, atol: 1e-14 });
    expectClose(c2.reshape([-1]), refC, { rtol: 1e-12, atol: 1e-14 });
    expect(y).to.equal(h2);
    expect(cell.weightIh.value.shape).to.deep.equal([I, 4 * H]);
  });

  it("default init is uniform(−1/√hidden, 1/√hidden) for all four parameters; bias: false; carries", () => {
    random.seed(7);
    const cell = new GRUCell(5, 16);
    const bound = 1 / Math.sqrt(16);
    for (const [name, s] of Object.entries(cell.states(ParamState))) {
      const v = Array.from(s.value.dataSync() as Float32Array);
      expect(v.every((u) => Math.abs(u) <= bound), name).to.equal(true);
      expect(Math.max(...v.map(Math.abs)), name).to.be.above(bound * 0.8);
    }
    expect(Object.keys(cell.states(ParamState))).to.deep.equal(["biasHh", "biasIh", "weightHh", "weightIh"]);
    expect(Object.keys(new LSTMCell(2, 3, { bias: false }).states(ParamState))).to.deep.equal(["weightHh", "weightIh"]);
    const [hh, cc] = new LSTMCell(2, 3).initialCarry([4]);
    expect([hh.shape, cc.shape, hh.dtype]).to.deep.equal([[4, 3], [4, 3], "float32"]);
    expect(new RNNCell(2, 3).initialCarry([2, 5], "float64").dtype).to.equal("float64");
  });

  it("errors: sizes, carry shapes, options", () => {
    const cell = new GRUCell(3, 4);
    expect(() => cell.call(np.zeros([2, 4]), np.zeros([2, 2]))).to.throw(ShapeError, /GRUCell\(3, 4\): expected an input \[\.\.\., 3\], got shape \[2, 2\]/);
    expect(() => cell.call(np.zeros([3, 4]), np.zeros([2, 3]))).to.throw(ShapeError, /the carry must have shape \[2, 4\] for an input of shape \[2, 3\], got \[3, 4\]/);
    expect(() => new LSTMCell(3, 4).call(np.zeros([2, 4]) as never, np.zeros([2, 3]))).to.throw(ValueError, /carry must be a pair \[h, c\]/);
    expect(() => new LSTMCell(3, 4).call([np.zeros([2, 4]), np.zeros([2, 5])], np.zeros([2, 3]))).to.throw(ShapeError, /cell state c must have h's shape/);
    expect(() => new RNNCell(3, 0)).to.throw(ValueError, /hiddenFeatures must be a positive integer/);
    expect(() => new RNNCell(3, 4, { nonlinearity: "sigmoid" as "tanh" })).to.throw(ValueError, /nonlinearity must be "tanh" or "relu"/);
    expect(() => new GRUCell(3, 4, { init: np.zeros([3, 4]) })).to.throw(ShapeError, /initializer gave shape \[3, 4\], expected \[3, 12\]/);
  });
});

describe("nn.RNN (a cell over time with scan)", () => {
  const B = 2, T = 5, I = 3, H = 4;
  const [, x] = sample([B, T, I], 1);
  const step = (t: number) => np.take(x, np.array([t], { dtype: "int32" }), { axis: 1 }).reshape([B, I]);
  /** The cell applied step by step in JS: outputs per position and the final carry. */
  function unrolled<C>(cell: { call(c: C, x: Tensor): [C, Tensor] }, c0: C, order: number[]): [C, Tensor[]] {
    const ys: Tensor[] = new Array(T);
    let c = c0;
    for (const t of order) [c, ys[t]] = cell.call(c, step(t));
    return [c, ys];
  }
  const forward = [0, 1, 2, 3, 4], backward = [4, 3, 2, 1, 0];
  const f64 = (make: (init: (s: number[]) => Tensor) => RNNCell | GRUCell | LSTMCell) => withSamples(make, 40).cell;

  it("equals the unrolled loop of its cell: forward, reverse, last step only, initial carry", () => {
    const cell = f64((init) => new GRUCell(I, H, { init })) as GRUCell;
    const zero = cell.initialCarry([B], "float64");
    const [cF, ysF] = unrolled(cell, zero, forward);
    const rnn = new RNN(cell);
    const y = rnn.call(x);
    expect(y.shape).to.deep.equal([B, T, H]);
    expectClose(y, np.stack(ysF, { axis: 1 }).toArraySync() as number[][][], { rtol: 1e-12, atol: 1e-14 });
    expectClose(rnn.carry.value, cF.toArraySync() as number[][], { rtol: 1e-12, atol: 1e-14 });
    const [cR, ysR] = unrolled(cell, zero, backward);
    const rev = new RNN(cell, { reverse: true });
    expectClose(rev.call(x), np.stack(ysR, { axis: 1 }).toArraySync() as number[][][], { rtol: 1e-12, atol: 1e-14 });
    expectClose(rev.carry.value, cR.toArraySync() as number[][], { rtol: 1e-12, atol: 1e-14 });
    expectClose(new RNN(cell, { returnSequences: false }).call(x), ysF[4]!.toArraySync() as number[][], { rtol: 1e-12, atol: 1e-14 });
    expectClose(new RNN(cell, { returnSequences: false, reverse: true }).call(x), ysR[0]!.toArraySync() as number[][], { rtol: 1e-12, atol: 1e-14 });
    const [, h0] = sample([B, H], 5);
    const [, ysI] = unrolled(cell, h0, forward);
    expectClose(rnn.call(x, { initialCarry: h0 }), np.stack(ysI, { axis: 1 }).toArraySync() as number[][][], { rtol: 1e-12, atol: 1e-14 });
  });

  it("LSTM and Elman cells, time-major and unbatched inputs", () => {
    const lstm = f64((init) => new LSTMCell(I, H, { init })) as LSTMCell;
    const [[h, c], ys] = unrolled(lstm, lstm.initialCarry([B], "float64"), forward);
    const rnn = new RNN(lstm);
    expectClose(rnn.call(x), np.stack(ys, { axis: 1 }).toArraySync() as number[][][], { rtol: 1e-12, atol: 1e-14 });
    expectClose(rnn.carry.value[0], h.toArraySync() as number[][], { rtol: 1e-12, atol: 1e-14 });
    expectClose(rnn.carry.value[1], c.toArraySync() as number[][], { rtol: 1e-12, atol: 1e-14 });
    const elman = f64((init) => new RNNCell(I, H, { init })) as RNNCell;
    const [, ysE] = unrolled(elman, elman.initialCarry([B], "float64"), forward);
    const tm = new RNN(elman, { timeMajor: true });
    expectClose(tm.call(np.swapaxes(x, 0, 1)), np.stack(ysE).toArraySync() as number[][][], { rtol: 1e-12, atol: 1e-14 });
    const first = np.take(x, np.array([0], { dtype: "int32" }), { axis: 0 }).reshape([T, I]);
    expectClose(new RNN(elman).call(first).reshape([-1]), Array.from(np.stack(ysE, { axis: 1 }).dataSync()).slice(0, T * H), { rtol: 1e-12, atol: 1e-14 });
  });

  it("gradients through scan match finite differences (input and recurrent weight)", () => {
    const [, x0] = sample([1, 4, 2], 6);
    const [wv] = sample([1, 4, 3], 7);
    const w = np.array(wv, { dtype: "float64" }).reshape([1, 4, 3]);
    const gru = withSamples((init) => new GRUCell(2, 3, { init }), 50).cell;
    fdCheck((t) => np.sum(new RNN(gru).call(t).mul(w)), x0);
    const lstm = withSamples((init) => new LSTMCell(2, 3, { init }), 60).cell;
    fdCheck((t) => np.sum(new RNN(lstm, { reverse: true }).call(t).mul(w)), x0);
    const whh0 = gru.weightHh.value;
    fdCheck((m) => {
      gru.weightHh.value = m;
      const out = np.sum(new RNN(gru).call(x0).mul(w));
      gru.weightHh.value = whh0;
      return out;
    }, whh0);
  });

  it("a jitted GRU training step traces once and learns (kernel counts: test/sequence-models.test.ts)", () => {
    random.seed(11);
    // Predict the next value of a noisy sine from the values so far.
    const T = 12, B = 8;
    const phase = random.uniform({ low: 0, high: 6.28, size: [B, 1] });
    const seq = np.sin(phase.add(np.arange(T + 1).mul(0.5))).add(random.normal({ size: [B, T + 1] }).mul(0.05));
    const inputs = np.expandDims(np.take(seq, np.arange(0, T, 1, { dtype: "int32" }), { axis: 1 }), -1);
    const targets = np.expandDims(np.take(seq, np.arange(1, T + 1, 1, { dtype: "int32" }), { axis: 1 }), -1);
    const model = { rnn: new RNN(new GRUCell(1, 16)), head: new Linear(16, 1) };
    const params = { ...model.rnn.states(ParamState), ...Object.fromEntries(Object.entries(model.head.states(ParamState)).map(([k, s]) => [`head.${k}`, s])) };
    expectJittedTraining(params, (xb, yb) => mseLoss(model.head.call(model.rnn.call(xb)), yb), inputs, targets, { lr: 0.02, steps: 40, ratio: 0.3 });
  });

  it("stateful: the hidden state is carried across jitted calls (two chunks = one long sequence)", () => {
    const cell = f64((init) => new GRUCell(I, H, { init })) as GRUCell;
    const whole = new RNN(cell).call(x);
    const live = new RNN(cell, { stateful: true, batchShape: [B] });
    live.resetState([B], "float64");
    const run = jit((xb: Tensor) => live.call(xb));
    const chunk = (a: number, b: number) => np.take(x, np.arange(a, b, 1, { dtype: "int32" }), { axis: 1 });
    const y1 = run(chunk(0, 3)), y2 = run(chunk(3, 5));
    expectClose(np.concatenate([y1, y2], { axis: 1 }), whole.toArraySync() as number[][][], { rtol: 1e-12, atol: 1e-14 });
    expect(run.traceCount()).to.equal(2); // two chunk lengths, two traces; a third call of either replays
    run(chunk(0, 3));
    expect(run.traceCount()).to.equal(2);
    // resetState starts over: the first chunk again gives y1.
    live.resetState();
    expectClose(run(chunk(0, 3)), y1.toArraySync() as number[][][], { rtol: 1e-12, atol: 1e-14 });
  });

  it("errors: input shape, stateful batch mismatch, options", () => {
    const rnn = new RNN(new GRUCell(3, 4));
    expect(() => rnn.call(np.zeros([2, 5, 2]))).to.throw(ShapeError, /RNN\(GRUCell\(3, 4\)\): expected an input \[batch, T, 3\]/);
    expect(() => rnn.call(np.zeros([3]))).to.throw(ShapeError);
    const live = new RNN(new GRUCell(3, 4), { stateful: true });
    expect(() => live.call(np.zeros([2, 5, 3]))).to.throw(ShapeError, /stateful carry has batch shape \[1\] but the input's is \[2\]; call resetState\(\[2\]\) first/);
    expect(() => new RNN(new GRUCell(3, 4), { reverse: "yes" as unknown as boolean })).to.throw(ValueError, /reverse must be a boolean/);
    expect(() => new RNN({} as GRUCell)).to.throw(ValueError, /cell must be an RNNCell, GRUCell or LSTMCell/);
    expect(() => rnn.call(np.zeros([2, 5, 3]), { initialCarry: np.zeros([3, 4]) })).to.throw(ShapeError, /carry must have shape \[2, 4\]/);
  });
});
