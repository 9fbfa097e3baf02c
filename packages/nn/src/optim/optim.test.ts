import { expect } from "chai";
import { type AnyState, DTypeError, LongTermState, ParamState, ShapeError, State, StateError, type StateValue, type Tensor, ValueError, np, withStateTrace } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { Adam, AdamW, Momentum, SGD } from "./index.js";
import { type Optimizer } from "./optimizer.js";
import { col, gradsAt, run, weights } from "./fixtures.test-util.js";

/** Float64 scalar Adam (Kingma & Ba, optax/PyTorch form) for one coordinate. */
function adamRef(w0: number, gs: number[], lr: number, wd = 0, decoupled = false, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  let w = w0, m = 0, v = 0;
  return gs.map((g0, i) => {
    const t = i + 1;
    const g = decoupled ? g0 : g0 + wd * w;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const step = m / (1 - b1 ** t) / (Math.sqrt(v / (1 - b2 ** t)) + eps) + (decoupled ? wd * w : 0);
    w -= lr * step;
    return w;
  });
}

describe("optim.SGD", () => {
  it("w ← w − lr·g for three steps (hand-computed)", () => {
    const ws = weights();
    const opt = new SGD({ lr: 0.1 });
    expect(opt.registerTrainableWeights(ws)).to.equal(opt);
    const r = run(opt, ws, 3);
    expectClose(r[0]!.w, [0.95, -1.9]);
    expectClose(r[0]!.b, [0.3]);
    expectClose(r[1]!.w, [0.85, -1.9]);
    expectClose(r[1]!.b, [0.4]);
    expectClose(r[2]!.w, [0.9, -2.1]);
    expectClose(r[2]!.b, [0.4]);
    expect(opt.stepCount.value.toArraySync()).to.equal(3);
    expect(Object.keys(opt.states())).to.deep.equal(["step"]);
  });

  it("weightDecay adds wd·w to the gradient; the weights may be given to the constructor", () => {
    const ws = weights();
    const opt = new SGD(ws, { lr: 0.1, weightDecay: 0.5 });
    expect(Object.keys(opt.paramStates)).to.deep.equal(["w", "b"]);
    run(opt, ws, 1);
    // w − 0.1·(g + 0.5·w): 1 − 0.1·(0.5 + 0.5) = 0.9;  −2 − 0.1·(−1 − 1) = −1.8;  0.5 − 0.1·(2 + 0.25) = 0.275
    expectClose(ws.w.value, [0.9, -1.8]);
    expectClose(ws.b.value, [0.275]);
  });

  it("lr may be a schedule of the step count (a Tensor: 0 on the first update)", () => {
    const ws = weights();
    const seen: number[] = [];
    const opt = new SGD(ws, {
      lr: (step) => {
        seen.push(step.itemSync());
        return np.power(0.5, np.astype(step, "float32")).mul(0.1);
      },
    });
    const r = run(opt, ws, 3);
    expect(seen).to.deep.equal([0, 1, 2]);
    // lrs 0.1, 0.05, 0.025
    expectClose(r[2]!.w, [1 - 0.05 - 0.05 + 0.0125, -2 + 0.1 - 0 - 0.05]);
    expectClose(r[2]!.b, [0.5 - 0.2 + 0.05 - 0]);
  });
});

describe("optim.Momentum", () => {
  it("velocity ← μ·velocity + g; w ← w − lr·velocity (hand-computed)", () => {
    const ws = weights();
    const opt = new Momentum({ lr: 0.1, momentum: 0.9 });
    opt.registerTrainableWeights(ws);
    const r = run(opt, ws, 3);
    expectClose(r[0]!.w, [0.95, -1.9]);
    expectClose(r[0]!.b, [0.3]);
    expectClose(r[1]!.w, [0.805, -1.81]);
    expectClose(r[1]!.b, [0.22]);
    expectClose(r[2]!.w, [0.7245, -1.929]);
    expectClose(r[2]!.b, [0.148]);
    const st = opt.states();
    expect(Object.keys(st)).to.deep.equal(["step", "velocity.b", "velocity.w"]);
    expect(st["velocity.w"]).to.be.instanceOf(LongTermState);
    expectClose(st["velocity.w"]!.value as Tensor, [0.805, 1.19]);
  });

  it("Nesterov steps along g + μ·velocity", () => {
    const ws = weights();
    run(new Momentum(ws, { lr: 0.1, nesterov: true }), ws, 1);
    expectClose(ws.w.value, [1 - 0.1 * 1.9 * 0.5, -2 + 0.1 * 1.9]);
  });
});

describe("optim.Adam / AdamW", () => {
  it("Adam's first step moves each weight by lr·sign(g); three steps match the float64 formula", () => {
    const ws = weights();
    const opt = new Adam({ lr: 0.1 });
    opt.registerTrainableWeights(ws);
    const r = run(opt, ws, 3);
    expectClose(r[0]!.w, [0.9, -1.9]);
    expectClose(r[0]!.b, [0.4]);
    // Step 2 of w[0] by hand: m = 0.145, v = 0.00124975, m̂ = 0.145/0.19, v̂ = 0.00124975/0.001999.
    expectClose([r[1]!.w[0]!], [0.9 - (0.1 * (0.145 / 0.19)) / (Math.sqrt(0.00124975 / 0.001999) + 1e-8)]);
    for (let s = 0; s < 3; s++) {
      expectClose(r[s]!.w, [adamRef(1, col("w", 0), 0.1)[s]!, adamRef(-2, col("w", 1), 0.1)[s]!]);
      expectClose(r[s]!.b, [adamRef(0.5, col("b", 0), 0.1)[s]!]);
    }
    expect(Object.keys(opt.states())).to.deep.equal(["m.b", "m.w", "step", "v.b", "v.w"]);
    // m after 3 steps for b: g = 2, -1, 0 → 0.1·(0.81·2 + 0.9·(−1) + 0) = 0.072
    expectClose(opt.states()["m.b"]!.value as Tensor, [0.072]);
  });

  it("a zero gradient with zero moments leaves the weight unchanged (eps guards 0/0)", () => {
    const w = new ParamState(np.array([3]));
    new Adam({ w }, { lr: 1 }).update({ w: np.array([0]) });
    expectClose(w.value, [3]);
  });

  it("Adam's weightDecay is coupled (added to g); AdamW's is decoupled (lr·wd·w)", () => {
    const a = weights();
    run(new Adam(a, { lr: 0.1, weightDecay: 0.1 }), a, 3);
    expectClose(a.w.value, [adamRef(1, col("w", 0), 0.1, 0.1)[2]!, adamRef(-2, col("w", 1), 0.1, 0.1)[2]!]);
    const ws = weights();
    const r = run(new AdamW(ws, { lr: 0.1, weightDecay: 0.1 }), ws, 3);
    // Step 1 by hand: w − 0.1·(sign(g) + 0.1·w)
    expectClose(r[0]!.w, [0.89, -1.88]);
    expectClose(r[0]!.b, [0.395]);
    for (let s = 0; s < 3; s++) {
      expectClose(r[s]!.w, [adamRef(1, col("w", 0), 0.1, 0.1, true)[s]!, adamRef(-2, col("w", 1), 0.1, 0.1, true)[s]!]);
      expectClose(r[s]!.b, [adamRef(0.5, col("b", 0), 0.1, 0.1, true)[s]!]);
    }
  });

  it("defaults: Adam lr 1e-3; AdamW weightDecay 1e-2", () => {
    const adam = new Adam();
    expect([adam.lr, adam.beta1, adam.beta2, adam.eps, adam.weightDecay]).to.deep.equal([1e-3, 0.9, 0.999, 1e-8, 0]);
    expect(new AdamW().weightDecay).to.equal(1e-2);
  });
});

describe("optimizer bookkeeping and errors", () => {
  it("pytree-valued States are updated leaf by leaf; float64 weights keep their dtype", () => {
    const p = new ParamState({ a: np.array([1, 2]), b: [np.array([[3]])] });
    const d = new ParamState(np.array([1], { dtype: "float64" }));
    const opt = new SGD({ p, d }, { lr: 0.5 });
    opt.update({ p: { a: np.array([2, 2]), b: [np.array([[-2]])] }, d: np.array([1]) });
    const v = p.value as { a: Tensor; b: Tensor[] };
    expectClose(v.a, [0, 1]);
    expectClose(v.b[0]!, [[4]]);
    expect(d.value.dtype).to.equal("float64");
    expectClose(d.value, [0.5]);
  });

  it("inside a State trace (jit), an update only records writes: weights, moments and the step", () => {
    const ws = weights();
    const opt = new Adam(ws, { lr: 0.1 });
    const writes = new Map<AnyState, StateValue>();
    withStateTrace({ read: (st, parent) => writes.get(st) ?? parent(), write: (st, v) => void writes.set(st, v) }, () => opt.update(gradsAt(0)));
    expectClose(ws.w.value, [1, -2]);
    expect(opt.stepCount.value.toArraySync()).to.equal(0);
    expect(new Set(writes.keys())).to.deep.equal(new Set<AnyState>([ws.w, ws.b, opt.stepCount, ...Object.values(opt.states()).filter((s) => s !== opt.stepCount)]));
    expectClose(writes.get(ws.w) as Tensor, [0.9, -1.9]);
    expect((writes.get(opt.stepCount) as Tensor).toArraySync()).to.equal(1);
  });

  it("each weight's stream emits once per update", () => {
    const ws = weights();
    const opt = new Adam(ws, { lr: 0.1 });
    let emitted = 0;
    const sub = ws.w.value$.subscribe(() => emitted++);
    opt.update(gradsAt(0));
    opt.update(gradsAt(1));
    sub.unsubscribe();
    expect(emitted).to.equal(3); // on subscribe + two updates
  });

  function expectNoChange(opt: Optimizer, ws: ReturnType<typeof weights>, f: () => void, cls: new (...a: never[]) => Error, re: RegExp): void {
    const before = [ws.w.value, ws.b.value, opt.stepCount.value, ...Object.values(opt.states()).map((s) => s.value)];
    expect(f).to.throw(cls, re);
    const after = [ws.w.value, ws.b.value, opt.stepCount.value, ...Object.values(opt.states()).map((s) => s.value)];
    after.forEach((v, i) => expect(v).to.equal(before[i]));
  }

  it("update: missing/extra keys are a StateError naming them; shapes a ShapeError; nothing changes", () => {
    const ws = weights();
    const opt = new Adam(ws, { lr: 0.1 });
    expectNoChange(opt, ws, () => opt.update({ w: np.zeros([2]) }), StateError, /missing gradients for \["b"\]/);
    expectNoChange(opt, ws, () => opt.update({ ...gradsAt(0), extra: np.zeros([1]) }), StateError, /gradients for unregistered weights \["extra"\]/);
    expectNoChange(opt, ws, () => opt.update({ w: np.zeros([2]), b: np.zeros([2]) }), ShapeError, /the gradient for "b" has shape \[2\], the weight \[1\]/);
    expectNoChange(opt, ws, () => opt.update({ w: np.zeros([2]), b: 3 as never }), StateError, /the gradient for "b" must be a Tensor, got number 3/);
    expectNoChange(opt, ws, () => opt.update({ w: [np.zeros([2])] as never, b: np.zeros([1]) }), StateError, /the gradient for "w" has structure \[\*\], the weight \*/);
    expectNoChange(opt, ws, () => opt.update(null as never), StateError, /update expects gradients keyed like the weights/);
  });

  it("registration errors: non-States, integer weights, a path or State registered twice", () => {
    const ws = weights();
    const opt = new SGD(ws, { lr: 0.1 });
    opt.registerTrainableWeights({ w: ws.w }); // the same State under the same path: a no-op
    expect(Object.keys(opt.paramStates)).to.deep.equal(["w", "b"]);
    expect(() => opt.registerTrainableWeights({ w: new ParamState(np.zeros([2])) })).to.throw(StateError, /path "w" is already registered for another State/);
    expect(() => opt.registerTrainableWeights({ w2: ws.w })).to.throw(StateError, /registered twice, as "w" and "w2"/);
    expect(() => new SGD({ lr: 1 }).registerTrainableWeights({ x: ws.w, y: ws.w })).to.throw(StateError, /registered twice, as "x" and "y"/);
    expect(() => opt.registerTrainableWeights({ z: np.zeros([1]) as never })).to.throw(StateError, /"z" must be a State, got an object \(Tensor\)/);
    expect(() => opt.registerTrainableWeights({ n: new State(np.array([1], { dtype: "int32" })) })).to.throw(DTypeError, /"n" has dtype int32; only float weights/);
    expect(() => opt.registerTrainableWeights([ws.w] as never)).to.throw(StateError, /expects a record/);
    // A failed registration registered nothing.
    expect(Object.keys(opt.paramStates)).to.deep.equal(["w", "b"]);
  });

  it("hyperparameter errors are ValueErrors naming the option", () => {
    expect(() => new SGD({} as never)).to.throw(ValueError, /optim.SGD: a learning rate is required/);
    expect(() => new SGD({ lr: -1 })).to.throw(ValueError, /optim.SGD: lr must be in \[0, Infinity\), got -1/);
    expect(() => new SGD({ lr: "fast" as never })).to.throw(ValueError, /lr must be a number or a schedule function/);
    expect(() => new Momentum({ lr: 0.1, momentum: 1.5 })).to.throw(ValueError, /momentum must be in \[0, 1\], got 1.5/);
    expect(() => new Adam({ beta1: 1 })).to.throw(ValueError, /optim.Adam: beta1 must be in \[0, 1\), got 1/);
    expect(() => new AdamW({ eps: -1 })).to.throw(ValueError, /optim.AdamW: eps must be in/);
    expect(() => new AdamW({ weightDecay: NaN })).to.throw(ValueError, /weightDecay must be in/);
    const ws = weights();
    expect(() => new SGD(ws, { lr: () => np.ones([2]) }).update(gradsAt(0))).to.throw(ShapeError, /the lr schedule must return a scalar, got shape \[2\]/);
  });
});
