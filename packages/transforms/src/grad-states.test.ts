/**
 * `gradStates` on every gradient transform: the twelve rows of the return table, container
 * shapes, State threading (reads, writes, atomic commit, nesting) and trace caching keyed on
 * State avals and `environ`. Expected numbers are seed 002/003's printed outputs or hand
 * derivations (noted beside each).
 */
import { expect } from "chai";
import {
  type AnyState, DTypeError, LongTermState, ParamState, State, type Tensor, ValueError, environ, isTracingStates, np, tree,
} from "@kiln/core";
import {
  GradientTransform, type TransformFn, checkpoint, grad, hessian, jacfwd, jacobian, jacrev, jvp, valueAndGrad, vectorGrad, vjp,
} from "./index.js";
import { transformStats } from "./trace.js";
import { expectClose } from "@kiln/core/testing";

const T = (v: unknown) => v as Tensor;
type Params = { bias: Tensor; weight: Tensor };
type Metrics = { mae: Tensor; mse: Tensor; l2: Tensor };

// Seed 002's LinearRegressor(1) as a record of States: weight = bias = 0, xs = linspace(-1, 1, 5), y = 3x + 1.
const xs = np.array([[-1], [-0.5], [0], [0.5], [1]]);
const yTrue = xs.mul(3).add(1);
function regressor() {
  const weight = new ParamState(np.zeros([1, 1]), { name: "weight" });
  const bias = new ParamState(np.zeros([1]), { name: "bias" });
  const call = (x: Tensor) => x.matmul(weight.value).add(bias.value);
  return { params: { bias, weight }, call, weight, bias };
}

// Seed 003's F3: a = b = ones(1); f(c, d) = mean(2ab + cd).
function f3() {
  const a = new ParamState(np.ones([1]), { name: "a" });
  const b = new ParamState(np.ones([1]), { name: "b" });
  const fn = (c: Tensor | number, d: Tensor | number) => np.mean(a.value.mul(b.value).mul(2).add(np.multiply(c, d)));
  const withAux = (c: Tensor | number, d: Tensor | number) => {
    const ab = a.value.mul(b.value);
    return [np.mean(ab.mul(2).add(np.multiply(c, d))), [ab, ab.mul(2)]];
  };
  return { a, b, fn, withAux };
}

/** The seed 002 §4.2 loss with metrics: at zero parameters loss = mse = 5.5, mae = 2, l2 = 0. */
function lossWithMetrics(m: ReturnType<typeof regressor>) {
  return (l2Coeff: Tensor | number, x: Tensor, target: Tensor) => {
    const pred = m.call(x);
    const mse = np.mean(pred.sub(target).pow(2));
    const l2 = np.sum(m.weight.value.pow(2));
    return [mse.add(np.multiply(l2Coeff, l2)), { mae: np.mean(np.abs(pred.sub(target))), mse, l2 }];
  };
}

function expectSeedGrads(g: Params): void {
  expectClose(g.bias, [-2]);
  expectClose(g.weight, [[-3]]);
}
function expectSeedMetrics(aux: Metrics): void {
  expect([aux.mae.itemSync(), aux.mse.itemSync(), aux.l2.itemSync()]).to.deep.equal([2, 5.5, 0]);
}

describe("the return table with States (one test per row)", () => {
  it("row 1 — gradStates absent, hasAux false, returnValue false: argGrads (F3: ∂c = d = 3, ∂(c,d) = [3, 10])", () => {
    const { fn } = f3();
    expect(T(grad(fn)(10, 3)).itemSync()).to.equal(3);
    expect((grad(fn, { argnums: [0, 1] })(10, 3) as Tensor[]).map((t) => t.itemSync())).to.deep.equal([3, 10]);
  });
  it("row 2 — absent, hasAux: [argGrads, aux]", () => {
    const [g, [ab, ab2]] = grad(f3().withAux, { hasAux: true })(10, 3) as [Tensor, Tensor[]];
    expect([g.itemSync(), ab!.itemSync(), ab2!.itemSync()]).to.deep.equal([3, 1, 2]);
  });
  it("row 3 — absent, returnValue: [argGrads, loss] (loss = 2 + 30 = 32)", () => {
    const [g, loss] = grad(f3().fn, { returnValue: true })(10, 3) as Tensor[];
    expect([g!.itemSync(), loss!.itemSync()]).to.deep.equal([3, 32]);
  });
  it("row 4 — absent, hasAux and returnValue: [argGrads, loss, aux]", () => {
    const [g, loss, [ab]] = grad(f3().withAux, { hasAux: true, returnValue: true, argnums: 1 })(10, 3) as [Tensor, Tensor, Tensor[]];
    expect([g.itemSync(), loss.itemSync(), ab!.itemSync()]).to.deep.equal([10, 32, 1]);
  });
  it("row 5 — gradStates given, argnums absent: varGrads (seed 002 §2.1: bias -2, weight [[-3]])", () => {
    const m = regressor();
    const g = grad((x: Tensor, y: Tensor) => np.mean(m.call(x).sub(y).pow(2)), { gradStates: m.params })(xs, yTrue) as Params;
    expect(Object.keys(g)).to.deep.equal(["bias", "weight"]);
    expectSeedGrads(g);
  });
  it("row 6 — given, absent, hasAux: [varGrads, aux] (seed 002 §4.2 metrics)", () => {
    const m = regressor();
    const loss = lossWithMetrics(m);
    const [g, aux] = grad((x: Tensor, y: Tensor) => loss(0.3, x, y), { gradStates: m.params, hasAux: true })(xs, yTrue) as [Params, Metrics];
    expectSeedGrads(g);
    expectSeedMetrics(aux);
  });
  it("row 7 — given, absent, returnValue: [varGrads, loss] (loss 5.5)", () => {
    const m = regressor();
    const [g, loss] = grad((x: Tensor, y: Tensor) => np.mean(m.call(x).sub(y).pow(2)), { gradStates: m.params, returnValue: true })(xs, yTrue) as [Params, Tensor];
    expectSeedGrads(g);
    expect(loss.itemSync()).to.equal(5.5);
  });
  it("row 8 — given, absent, hasAux and returnValue: [varGrads, loss, aux]", () => {
    const m = regressor();
    const loss = lossWithMetrics(m);
    const [g, value, aux] = grad((x: Tensor, y: Tensor) => loss(0.3, x, y), { gradStates: m.params, hasAux: true, returnValue: true })(xs, yTrue) as [Params, Tensor, Metrics];
    expectSeedGrads(g);
    expect(value.itemSync()).to.equal(5.5);
    expectSeedMetrics(aux);
  });
  it("row 9 — given, given: [varGrads, argGrads] (seed 003 F3: [[2], [2]] and 3; argnums [0, 1] gives [3, 10])", () => {
    const { a, b, fn } = f3();
    const [vg, ag] = grad(fn, { gradStates: [a, b], argnums: 0 })(10, 3) as [Tensor[], Tensor];
    expect(vg.map((t) => t.toArraySync())).to.deep.equal([[2], [2]]);
    expect(ag.itemSync()).to.equal(3);
    const [vg2, ag2] = grad(fn, { gradStates: [a, b], argnums: [0, 1] })(10, 3) as [Tensor[], Tensor[]];
    expect(vg2.map((t) => t.toArraySync())).to.deep.equal([[2], [2]]);
    expect(ag2.map((t) => t.itemSync())).to.deep.equal([3, 10]);
  });
  it("row 10 — given, given, hasAux: [[varGrads, argGrads], aux] (seed 002: ∂l2Coeff = 0 at zero weights)", () => {
    const m = regressor();
    const [[g, coeff], aux] = grad(lossWithMetrics(m), { gradStates: m.params, argnums: 0, hasAux: true })(0.3, xs, yTrue) as [[Params, Tensor], Metrics];
    expectSeedGrads(g);
    expect(coeff.itemSync()).to.equal(0);
    expectSeedMetrics(aux);
  });
  it("row 11 — given, given, returnValue: [[varGrads, argGrads], loss] (seed 002 §3: loss 5.5, ∂l2Coeff 0)", () => {
    const m = regressor();
    const penalized = (l2Coeff: Tensor, inputs: Tensor, target: Tensor) => {
      const mse = np.mean(m.call(inputs).sub(target).pow(2));
      return mse.add(l2Coeff.mul(np.sum(m.weight.value.pow(2)).add(np.sum(m.bias.value.pow(2)))));
    };
    const [[g, coeff], loss] = grad(penalized, { gradStates: m.params, argnums: 0, returnValue: true })(0.5, xs, yTrue) as [[Params, Tensor], Tensor];
    expectSeedGrads(g);
    expect([coeff.itemSync(), loss.itemSync()]).to.deep.equal([0, 5.5]);
    // Away from zero the coefficient's gradient is the penalty itself: w = 2, b = 1 -> l2 = 5.
    m.weight.value = np.array([[2]]);
    m.bias.value = np.array([1]);
    const [[g2, coeff2]] = grad(penalized, { gradStates: m.params, argnums: 0, returnValue: true })(0.5, xs, yTrue) as [[Params, Tensor], Tensor];
    expect(coeff2.itemSync()).to.equal(5);
    // pred - y = -x: ∂w = 2 mean(-x·x) + 2·0.5·2 = -1 + 2 = 1; ∂b = 2 mean(-x) + 2·0.5·1 = 1
    expectClose(g2.weight, [[1]]);
    expectClose(g2.bias, [1]);
  });
  it("row 12 — given, given, hasAux and returnValue: [[varGrads, argGrads], loss, aux] (seed 002 §4.2)", () => {
    const m = regressor();
    const [[g, coeff], loss, aux] = grad(lossWithMetrics(m), { gradStates: m.params, argnums: 0, hasAux: true, returnValue: true })(0.3, xs, yTrue) as [[Params, Tensor], Tensor, Metrics];
    expectSeedGrads(g);
    expect([coeff.itemSync(), loss.itemSync()]).to.deep.equal([0, 5.5]);
    expectSeedMetrics(aux);
  });
});

describe("gradStates: container shapes and options", () => {
  // seed 002 §2.4: d/ds Σ(x s)² = 2 s Σx² = 56 at s = 2, x = [1, 2, 3]
  const s = new State(np.array(2), { name: "regular_state" });
  const f = (x: Tensor) => np.sum(x.mul(s.value).pow(2));
  const x = np.array([1, 2, 3]);

  it("a State gives a Tensor, an array an array, a record a record with the same keys (seed 002 §2.4: 56)", () => {
    expect(T(grad(f, { gradStates: s })(x)).itemSync()).to.equal(56);
    const [g] = grad(f, { gradStates: [s] })(x) as Tensor[];
    expect(g!.itemSync()).to.equal(56);
    expect(Object.keys(grad(f, { gradStates: { "layer.scale": s } })(x) as object)).to.deep.equal(["layer.scale"]);
    expect(grad(f, { gradStates: [] })(x)).to.deep.equal([]);
    expect(grad(f, { gradStates: {} })(x)).to.deep.equal({});
  });

  it("nested records (treefyStates-like) and pytree-valued States keep their structure", () => {
    const w = new ParamState(np.array([1, 2]));
    const p = new ParamState({ k: np.array(3), v: [np.array([1, -1])] });
    const loss = () => np.sum(w.value.pow(2)).add(p.value.k.mul(np.sum(p.value.v[0]!.mul(w.value))));
    const g = grad(loss, { gradStates: { enc: { w }, dec: { p } } })() as { enc: { w: Tensor }; dec: { p: { k: Tensor; v: Tensor[] } } };
    expectClose(g.enc.w, [2 + 3, 4 - 3]); // 2w + k·v
    expectClose(g.dec.p.k, -1); // v·w = 1 - 2
    expectClose(g.dec.p.v[0]!, [3, 6]); // k·w
  });

  it("argnums may be negative and count the user's arguments only", () => {
    const { a, b, fn } = f3();
    const [vg, ag] = grad(fn, { gradStates: { a, b }, argnums: -1 })(10, 3) as [{ a: Tensor; b: Tensor }, Tensor];
    expect([vg.a.itemSync(), vg.b.itemSync(), ag.itemSync()]).to.deep.equal([2, 2, 10]);
    expect(() => grad(fn, { gradStates: [a], argnums: 2 })(10, 3)).to.throw(ValueError, /argnums 2 is out of range for a function called with 2 positional argument/);
  });

  it("a State the function does not read gets zero gradients; a non-selected State is a constant", () => {
    const unused = new ParamState(np.array([1, 2]));
    const [gs, gu] = grad(f, { gradStates: [s, unused] })(x) as Tensor[];
    expect(gs!.itemSync()).to.equal(56);
    expectClose(gu!, [0, 0]);
    expectClose(T(grad(f)(x)), [8, 16, 24]); // 2 s² x with s constant
  });

  it("rejects non-States, duplicates and int States with typed errors", () => {
    expect(() => grad(f, { gradStates: [s, 3] })).to.throw(ValueError, /gradStates must be a State.*found number 3/);
    expect(() => grad(f, { gradStates: [s, s] })).to.throw(ValueError, /gradStates lists State "regular_state" .* twice/);
    const n = new State(np.array(1, { dtype: "int32" }), { name: "count" });
    expect(() => grad(f, { gradStates: n })(x)).to.throw(DTypeError, /grad requires real-valued \(float\) States.*State "count".*int32/);
    expect(() => jacrev(f, { gradStates: { n } })(x)).to.throw(DTypeError, /jacrev requires real-valued/);
  });

  it("valueAndGrad: [value, varGrads] and [[value, aux], [varGrads, argGrads]]", () => {
    const [v, g] = valueAndGrad(f, { gradStates: s })(x) as [Tensor, Tensor];
    expect([v.itemSync(), g.itemSync()]).to.deep.equal([56, 56]);
    const { a, b, withAux } = f3();
    const [[value, [ab]], [vg, ag]] = valueAndGrad(withAux, { gradStates: [a, b], argnums: 0, hasAux: true })(10, 3) as [[Tensor, Tensor[]], [Tensor[], Tensor]];
    expect([value.itemSync(), ab!.itemSync(), vg[0]!.itemSync(), vg[1]!.itemSync(), ag.itemSync()]).to.deep.equal([32, 1, 2, 2, 3]);
  });
});

describe("gradStates on vectorGrad, jacrev, jacfwd, jacobian and hessian", () => {
  it("vectorGrad (seed 003 Test: x² + y³ + 10 at ones(5) -> [2 ×5] and [3 ×5])", () => {
    const sx = new State(np.ones([5]));
    const sy = new State(np.ones([5]));
    const t = () => sx.value.pow(2).add(sy.value.pow(3)).add(10);
    expectClose(T(vectorGrad(t, { gradStates: sx })()), [2, 2, 2, 2, 2]);
    const [only] = vectorGrad(t, { gradStates: [sx] })() as Tensor[];
    expectClose(only!, [2, 2, 2, 2, 2]);
    const [gx, gy] = vectorGrad(t, { gradStates: [sx, sy] })() as Tensor[];
    expectClose(gx!, [2, 2, 2, 2, 2]);
    expectClose(gy!, [3, 3, 3, 3, 3]);
  });

  it("jacrev/jacfwd/jacobian of a model's output w.r.t. its parameters (seed 002 §5.4 shapes)", () => {
    const weight = new ParamState(np.zeros([2, 1]));
    const bias = new ParamState(np.zeros([1]));
    const out = (x: Tensor) => x.matmul(weight.value).add(bias.value);
    for (const jac of [jacrev, jacfwd, jacobian]) {
      const J = jac(out, { gradStates: { bias, weight } })(np.array([1, 2])) as Params;
      expect(J.bias.shape).to.deep.equal([1, 1]);
      expect(J.weight.shape).to.deep.equal([1, 2, 1]);
      expectClose(J.bias, [[1]]);
      expectClose(J.weight, [[[1], [2]]]);
    }
  });

  it("jacobian with a State, argnums, hasAux and returnValue (seed 003's published matrices)", () => {
    const sx = new State(np.array([1, 2, 3]));
    const test = (y: Tensor) => {
      const x = sx.value;
      const a = x.get(0).mul(y.get(0));
      const b = x.get(2).mul(y.get(1)).mul(5);
      const c = x.get(1).pow(2).mul(4).sub(x.get(2).mul(2));
      const d = x.get(2).mul(np.sin(x.get(0)));
      return [np.stack([a, b, c, d]), [c, d]];
    };
    const y = np.array([10, 5]);
    for (const jac of [jacobian, jacfwd]) {
      const [[varGrads, argGrads], value, [c, d]] = jac(test, { gradStates: sx, argnums: 0, hasAux: true, returnValue: true })(y) as [[Tensor, Tensor], Tensor, Tensor[]];
      const s1 = Math.sin(1), c1 = Math.cos(1);
      expectClose(varGrads, [[10, 0, 0], [0, 0, 25], [0, 16, -2], [3 * c1, 0, s1]], { rtol: 1e-6 });
      expectClose(argGrads, [[1, 0], [0, 15], [0, 0], [0, 0]]);
      expectClose(value, [10, 75, 10, 3 * s1], { rtol: 1e-6 });
      expect(c!.itemSync()).to.equal(10);
      expect(d!.itemSync()).to.be.closeTo(3 * s1, 1e-6);
    }
  });

  it("Jacobians of a pytree-valued function split State and argument Jacobians at each output leaf", () => {
    const w = new ParamState(np.array([1, 2]));
    const f = (x: Tensor) => ({ lin: w.value.mul(x), sq: np.sum(w.value.pow(2)).mul(x.get(0)) });
    const J = jacrev(f, { gradStates: [w], argnums: [0] })(np.array([3, 4])) as { lin: [Tensor[], Tensor[]]; sq: [Tensor[], Tensor[]] };
    expectClose(J.lin[0][0]!, [[3, 0], [0, 4]]); // d(w x)/dw = diag(x)
    expectClose(J.lin[1][0]!, [[1, 0], [0, 2]]); // d(w x)/dx = diag(w)
    expectClose(J.sq[0][0]!, [2 * 3, 4 * 3]); // 2 w x0
    expectClose(J.sq[1][0]!, [5, 0]); // Σw² e0
  });

  it("hessian with gradStates: Σ w³x has Hessian diag(6 w x); with argnums the rows split like grads", () => {
    const w = new ParamState(np.array([1, 2]));
    const f = (x: Tensor) => np.sum(w.value.pow(3).mul(x));
    expectClose(T(hessian(f, { gradStates: w })(np.array([3, 0.5]))), [[18, 0], [0, 6]]);
    // H over (w, x): rows [∂²/∂w∂w, ∂²/∂w∂x] = [diag(6wx), diag(3w²)], [diag(3w²), 0]
    const [rowW, [rowX]] = hessian(f, { gradStates: w, argnums: [0] })(np.array([3, 0.5])) as [Tensor[], Tensor[][]];
    expectClose(rowW[0]!, [[18, 0], [0, 6]]);
    expectClose(rowW[1]!, [[3, 0], [0, 12]]);
    expectClose(rowX![0]!, [[3, 0], [0, 12]]);
    expectClose(rowX![1]!, [[0, 0], [0, 0]]);
  });
});

describe("GradientTransform with gradStates (seed 002 §6)", () => {
  const scaled: TransformFn<{ scale: number }> = (f, { argnums, scale }) => {
    const base = grad(f, { argnums, hasAux: true });
    return (...args) => {
      const [g, aux] = base(...args) as [unknown, unknown];
      return [tree.map((t: Tensor) => t.mul(scale), g), aux];
    };
  };
  const clipped: TransformFn<{ maxNorm: number }> = (f, { argnums, maxNorm }) => {
    const base = grad(f, { argnums, hasAux: true });
    return (...args) => {
      const [g, aux] = base(...args) as [unknown, unknown];
      const norm = (tree.leaves(g) as Tensor[]).map((t) => t.square().sum()).reduce((p, q) => p.add(q)).sqrt();
      const k = np.minimum(1, np.divide(maxNorm, norm.add(1e-6)));
      return [tree.map((t: Tensor) => t.mul(k), g), aux];
    };
  };

  it("a scaled-gradient transform halves the State gradients: bias -1, weight [[-1.5]]", () => {
    const m = regressor();
    const loss = (x: Tensor, y: Tensor) => np.mean(m.call(x).sub(y).pow(2));
    const g = new GradientTransform(loss, { transform: scaled, transformParams: { scale: 0.5 }, gradStates: m.params })(xs, yTrue) as Params;
    expectClose(g.bias, [-1]);
    expectClose(g.weight, [[-1.5]]);
  });

  it("a clipped-gradient transform scales to global norm 0.1: bias -0.05547, weight -0.08320501", () => {
    const m = regressor();
    const loss = (x: Tensor, y: Tensor) => np.mean(m.call(x).sub(y).pow(2));
    const [g, value] = new GradientTransform(loss, { transform: clipped, transformParams: { maxNorm: 0.1 }, gradStates: m.params, returnValue: true })(xs, yTrue) as [Params, Tensor];
    expectClose(g.bias, [-0.05547], { rtol: 1e-4 });
    expectClose(g.weight, [[-0.08320501]], { rtol: 1e-5 });
    expect(value.itemSync()).to.equal(5.5);
  });

  it("hands the transform the States' position (after the user's arguments) in argnums", () => {
    const seen: unknown[] = [];
    const spy: TransformFn = (f, opts) => {
      seen.push(opts.argnums);
      return (...args) => [Array.isArray(opts.argnums) ? opts.argnums.map(() => 0) : 0, f(...args)[1]];
    };
    const { a, b, fn } = f3();
    new GradientTransform(fn, { transform: spy, gradStates: [a, b] })(10, 3);
    new GradientTransform(fn, { transform: spy, gradStates: [a, b], argnums: 1 })(10, 3);
    new GradientTransform(fn, { transform: spy, gradStates: [a, b], argnums: [-2] })(10, 3);
    expect(seen).to.deep.equal([2, [2, 1], [2, 0]]);
  });

  it("checks that the transform returns one gradient per argnum", () => {
    const { a, fn } = f3();
    const bad: TransformFn = () => () => [5, [0, undefined, []]];
    expect(() => new GradientTransform(fn, { transform: bad, gradStates: a, argnums: [0] })(1, 2)).to.throw(ValueError, /one gradient per argnum it was given \(2\); got a number/);
  });
});

describe("State writes inside differentiated functions", () => {
  it("dyn_vars (seed 003 F2): a = 2ab is committed after each call; ∂b = 2a", () => {
    const a = new ParamState(np.ones([1]));
    const b = new ParamState(np.ones([1]));
    const f2 = (c: number) => {
      const ab = a.value.mul(b.value).mul(2);
      a.value = ab;
      return np.mean(ab.add(c));
    };
    const g = grad(f2, { gradStates: b });
    for (const [wantGrad, wantA] of [[2, 2], [4, 4], [8, 8]]) {
      expectClose(T(g(10)), [wantGrad!]);
      expectClose(a.value, [wantA!]);
    }
  });

  it("commits each write once per call, after the computation, in write order; streams see no intermediate value", () => {
    const count = new LongTermState(np.array(0));
    const trail = new LongTermState(np.array(0));
    const w = new ParamState(np.array(3));
    const seen: string[] = [];
    const subs = [count.value$.subscribe((v) => seen.push(`count=${v.itemSync()}`)), trail.value$.subscribe((v) => seen.push(`trail=${v.itemSync()}`))];
    const loss = (x: Tensor) => {
      trail.value = count.value.mul(10);
      for (let i = 0; i < 3; i++) count.value = count.value.add(1); // three writes, one commit
      expect(count.value.itemSync()).to.be.greaterThan(0); // a read inside sees the trace's value
      return w.value.mul(x);
    };
    const g = grad(loss, { gradStates: w, argnums: 0 });
    const [gw, gx] = g(np.array(2)) as Tensor[];
    expect([gw!.itemSync(), gx!.itemSync()]).to.deep.equal([2, 3]);
    g(np.array(2));
    subs.forEach((s) => s.unsubscribe());
    expect(seen).to.deep.equal(["count=0", "trail=0", "trail=0", "count=3", "trail=30", "count=6"]);
  });

  it("is atomic: when anything throws, no State changes and no stream emits", () => {
    const count = new State(np.array(0));
    const w = new ParamState(np.array([1, 2]));
    let emitted = 0;
    const sub = count.value$.subscribe(() => emitted++);
    const bump = () => (count.value = count.value.add(1));
    const failures: [() => unknown, new (...a: any[]) => Error, RegExp][] = [
      [() => grad(() => (bump(), (() => { throw new RangeError("boom"); })()), { gradStates: w })(), RangeError, /boom/],
      [() => grad(() => (bump(), w.value.mul(2)), { gradStates: w })(), TypeError, /Output had shape \[2\]/],
      [() => grad(() => (bump(), w.value.sum()), { gradStates: w, hasAux: true })(), ValueError, /must return a pair/],
      [() => jacrev(() => (bump(), w.value.astype("int32")), { gradStates: w })(), DTypeError, /float\) outputs/],
      [() => new GradientTransform(() => (bump(), w.value.sum()), {
        gradStates: w,
        transform: (f) => (...args) => (f(...args), (() => { throw new ValueError("transform failed"); })()),
      })(), ValueError, /transform failed/],
      // fails after the transform returned the writes, while laying out the result
      [() => new GradientTransform(() => (bump(), w.value.sum()), {
        gradStates: w, argnums: [], transform: (f) => (...args) => [5, f(...args)[1]],
      })(), ValueError, /one gradient per argnum/],
    ];
    for (const [run, E, msg] of failures) {
      expect(run).to.throw(E, msg);
      expect(count.value.itemSync()).to.equal(0);
      expectClose(w.value, [1, 2]);
      expect(isTracingStates()).to.equal(false);
    }
    sub.unsubscribe();
    expect(emitted).to.equal(1); // the value on subscribe only
    // and the transforms stay usable
    expect(T(grad(() => (bump(), w.value.sum()), { gradStates: w })()).toArraySync()).to.deep.equal([1, 1]);
    expect(count.value.itemSync()).to.equal(1);
  });

  it("lets JS control flow read State values (selected or not) inside the differentiated function", () => {
    const w = new ParamState(np.array([1, -2]));
    const sign = new State(np.array(1));
    const g = grad(() => (sign.value.itemSync() > 0 && w.value.sum().itemSync() < 0 ? np.sum(w.value.pow(2)) : np.sum(w.value)), { gradStates: w });
    expectClose(T(g()), [2, -4]);
    sign.value = np.array(-1);
    expectClose(T(g()), [1, 1]);
  });

  it("writes inside checkpoint reach the enclosing gradient call and are committed once", () => {
    const last = new State(np.array(0));
    const block = checkpoint((y: Tensor) => ((last.value = y.mul(2)), y.sin()));
    expect(T(grad((x: Tensor) => T(block(x)).mul(x))(np.array(0))).itemSync()).to.equal(0); // d(x sin x) at 0
    expect(last.value.itemSync()).to.equal(0);
    const gx = T(grad((x: Tensor) => T(block(x)))(np.array(1.5)));
    expect(gx.itemSync()).to.be.closeTo(Math.cos(1.5), 1e-6);
    expect(last.value.itemSync()).to.equal(3);
  });

  it("vjp and jvp commit the function's writes in terms of the real arguments (no placeholder leaks)", () => {
    const last = new State(np.array(0));
    const f = (x: Tensor) => ((last.value = x.mul(2)), x.pow(2));
    vjp(f, np.array(3));
    expect(last.value.itemSync()).to.equal(6);
    jvp(f, [np.array(5)], [np.array(1)]);
    expect(last.value.itemSync()).to.equal(10);
  });
});

describe("nested transforms thread States through every level", () => {
  it("grad of a function calling grad with gradStates: inner reads delegate to the outer trace", () => {
    const w = new ParamState(np.array([1, 2]));
    const calls = new LongTermState(np.array(0));
    const emitted: number[] = [];
    const sub = calls.value$.subscribe((v) => emitted.push(v.itemSync()));
    const loss = (x: Tensor) => {
      calls.value = calls.value.add(1);
      return np.sum(w.value.pow(2).mul(x));
    };
    const inner = grad(loss, { gradStates: w }); // 2 w x
    // d/dx Σ 2wx = 2w, and w is a constant for the outer transform
    expectClose(T(grad((x: Tensor) => np.sum(T(inner(x))))(np.array([3, 4]))), [2, 4]);
    // both differentiate w: d/dw Σ 2wx = 2x
    expectClose(T(grad((x: Tensor) => np.sum(T(inner(x))), { gradStates: w })(np.array([3, 4]))), [6, 8]);
    sub.unsubscribe();
    expect(emitted).to.deep.equal([0, 1, 2]); // one commit per outer call
  });

  it("writes of an inner transform are seen by later reads of the outer function and committed by it", () => {
    const s = new State(np.array(1));
    const w = new ParamState(np.array(2));
    const inner = grad((x: Tensor) => ((s.value = s.value.mul(x)), x.mul(w.value)));
    const outer = (x: Tensor) => {
      const g = T(inner(x)); // = w; s <- s·x
      return g.mul(s.value).mul(x); // w · (s·x) · x
    };
    // s = 1: value w x², d/dw = x² = 9, d/dx = 2 w x = 12
    const [gw, gx] = grad(outer, { gradStates: w, argnums: 0 })(np.array(3)) as Tensor[];
    expect([gw!.itemSync(), gx!.itemSync(), s.value.itemSync()]).to.deep.equal([9, 12, 3]);
  });

  it("hessian and jacfwd(jacrev) with gradStates commit the function's writes exactly once", () => {
    const w = new ParamState(np.array([1, 2]));
    const n = new State(np.array(0));
    let emissions = 0;
    const sub = n.value$.subscribe(() => emissions++);
    const f = () => ((n.value = n.value.add(1)), np.sum(w.value.pow(3)));
    expectClose(T(hessian(f, { gradStates: w })()), [[6, 0], [0, 12]]);
    expectClose(T(jacfwd(jacrev(f, { gradStates: w }), { gradStates: w })()), [[6, 0], [0, 12]]);
    sub.unsubscribe();
    // one commit per call: in the nested pair the inner jacrev hands its write to the outer
    // jacfwd's trace, and only the outer one commits
    expect(n.value.itemSync()).to.equal(2);
    expect(emissions).to.equal(3);
  });
});

describe("trace caching with States", () => {
  it("differentiates new values of the same avals without deriving again (selected and other States)", () => {
    const w = new ParamState(np.array([1, 2]));
    const c = new State(np.array([3, 4]));
    const g = grad((x: Tensor) => np.sum(w.value.mul(c.value).mul(x)), { gradStates: w });
    const before = transformStats.derivations;
    expectClose(T(g(2)), [6, 8]);
    expectClose(T(g(2)), [6, 8]); // c is now an argument of the pure function: one more derivation
    const settled = transformStats.derivations;
    expect(settled - before).to.be.at.most(2);
    for (const [cv, wv, want] of [[[1, 1], [5, 5], [2, 2]], [[-1, 2], [0, 0], [-2, 4]]] as number[][][]) {
      c.value = np.array(cv!);
      w.value = np.array(wv!);
      expectClose(T(g(2)), want!);
    }
    expect(transformStats.derivations).to.equal(settled);
  });

  it("re-derives when a State's shape or dtype changes (never replays a stale graph)", () => {
    const w = new ParamState(np.array([1, 2]));
    const c = new State(np.array([3, 4]));
    const g = grad((x: Tensor) => np.sum(w.value.mul(c.value).mul(x)), { gradStates: w, returnValue: true });
    g(2);
    g(2);
    const d0 = transformStats.derivations;
    // selected State changes shape: [2] -> [3] (c broadcasts as [1] below)
    w.value = np.array([1, 2, 3]);
    c.value = np.array([5]);
    const [g1, v1] = g(2) as Tensor[];
    expectClose(g1!, [10, 10, 10]);
    expect(v1!.itemSync()).to.equal(60);
    expect(transformStats.derivations).to.be.greaterThan(d0);
    // other State changes dtype only: float32 -> float64
    const d1 = transformStats.derivations;
    c.value = np.array([0.5], { dtype: "float64" });
    const [g2, v2] = g(2) as Tensor[];
    expect(v2!.dtype).to.equal("float64"); // the loss is promoted; the gradient keeps w's dtype
    expect(g2!.dtype).to.equal("float32");
    expectClose(g2!, [1, 1, 1]);
    expect(transformStats.derivations).to.be.greaterThan(d1);
    // other State changes shape: [1] -> [3]
    c.value = np.array([1, 2, 3]);
    expectClose((g(2) as Tensor[])[0]!, [2, 4, 6]);
  });

  it("keys on environ: a function that reads `fit` is derived separately per setting", () => {
    const w = new ParamState(np.array(2));
    const g = grad(() => (environ.get("fit") ? w.value.pow(2) : w.value.pow(3)), { gradStates: w });
    expect(T(g()).itemSync()).to.equal(4);
    expect(T(environ.context({ fit: false }, () => g())).itemSync()).to.equal(12);
    expect(T(g()).itemSync()).to.equal(4);
  });

  it("forgets States that are no longer read", () => {
    const a = new State(np.array(2));
    const b = new State(np.array(5));
    let useA = true;
    const g = grad((x: Tensor) => x.mul(useA ? a.value : b.value));
    expect(T(g(1)).itemSync()).to.equal(2);
    useA = false;
    expect(T(g(1)).itemSync()).to.equal(5);
    expect(T(g(1)).itemSync()).to.equal(5);
    expect((g as unknown as { others: AnyState[] }).others).to.deep.equal([b]);
  });
});
