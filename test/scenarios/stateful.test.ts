/**
 * The stateful seed tutorials as tests: seed 002 (gradStates on a Module, StateFinder, the return
 * table, custom GradientTransforms, the training loop), seed 003 (BrainPy's grad_vars, dyn_vars,
 * has_aux, return_value, vector_grad and jacobian on class variables) and seed 000 §8 (training
 * a regression net, evaluating under fit = false), plus an Adam-trained MLP and the State streams
 * during training. Expected values are the tutorials' printed outputs, hand derivations, or a
 * float64 simulation in plain JS.
 */
import { expect } from "chai";
import { GradientTransform, LongTermState, ParamState, State, StateFinder, type Tensor, type TransformFn, environ, grad, jacobian, jit, nn, np, optim, random, slice, states$, tree, treefyStates, vectorGrad } from "kiln";
import { realizeSync } from "kiln/internal";
import { expectClose } from "../util.js";

const T = (v: unknown) => v as Tensor;
type Grads = Record<string, Tensor>;

class LinearRegressor extends nn.Module {
  weight: ParamState;
  bias: ParamState;
  constructor(inFeatures: number, outFeatures = 1) {
    super();
    this.weight = new ParamState(np.zeros([inFeatures, outFeatures]));
    this.bias = new ParamState(np.zeros([outFeatures]));
  }
  call(x: Tensor) {
    return x.matmul(this.weight.value).add(this.bias.value);
  }
}

// seed 002: xs = linspace(-1, 1, 5), y = 3x + 1
const xs = np.linspace(-1, 1, 5).reshape([-1, 1]);
const yTrue = xs.mul(3).add(1);

describe("seed 002: gradStates, StateFinder, GradientTransform and a training loop", () => {
  it("§2.1–2.2 grads w.r.t. model.states(ParamState): loss 5.5, bias [-2], weight [[-3]]; treefyStates gives the same States", () => {
    const model = new LinearRegressor(1);
    const mseLoss = (x: Tensor, target: Tensor) => np.mean(model.call(x).sub(target).pow(2));
    const [g, loss] = grad(mseLoss, { gradStates: model.states(ParamState), returnValue: true })(xs, yTrue) as [Grads, Tensor];
    expect(loss.itemSync()).to.equal(5.5);
    expect(Object.keys(g)).to.deep.equal(["bias", "weight"]);
    expectClose(g.bias!, [-2]);
    expectClose(g.weight!, [[-3]]);
    const nested = treefyStates(model, ParamState);
    expect(Object.keys(nested.toFlat())).to.deep.equal(Object.keys(model.states(ParamState)));
    const g2 = grad(mseLoss, { gradStates: nested })(xs, yTrue) as Grads;
    expectClose(g2.weight!, [[-3]]);
  });

  it("§2.3–2.4 StateFinder finds scale and offset; energy 20.18 with gradients 28.4 and 11.2; a plain State gets 56", () => {
    const scale = new ParamState(np.array(1.5), { name: "scale" });
    const offset = new ParamState(np.array(-0.2), { name: "offset" });
    const cache = new State(np.array(0), { name: "cache" });
    const energy = (x: Tensor) => {
      const shifted = x.mul(scale.value).add(offset.value);
      scale.value = scale.value.add(0);
      cache.value = np.sum(shifted);
      return np.sum(shifted.pow(2));
    };
    const found = StateFinder(energy, { filter: ParamState, usage: "all", returnType: "dict" })(np.ones([2]));
    expect(Object.fromEntries(Object.entries(found).map(([k, s]) => [k, s.name]))).to.deep.equal({ 0: "scale", 1: "offset" });
    const [g, value] = grad(energy, { gradStates: found, returnValue: true })(np.array([1, 3])) as [Grads, Tensor];
    expect(value.itemSync()).to.be.closeTo(20.18, 1e-5);
    expect(g["0"]!.itemSync()).to.be.closeTo(28.4, 1e-5);
    expect(g["1"]!.itemSync()).to.be.closeTo(11.2, 1e-5);
    const regular = new State(np.array(2), { name: "regular_state" });
    const [g56] = grad((x: Tensor) => np.sum(x.mul(regular.value).pow(2)), { gradStates: [regular] })(np.array([1, 2, 3])) as Tensor[];
    expect(g56!.itemSync()).to.equal(56);
  });

  it("§3–§4 argnums with gradStates: ((stateGrads, coeffGrad), loss, aux) = (({-2, [[-3]]}, 0), 5.5, {l2 0, mae 2, mse 5.5})", () => {
    const model = new LinearRegressor(1);
    const lossWithMetrics = (l2Coeff: number, x: Tensor, target: Tensor) => {
      const pred = model.call(x);
      const mse = np.mean(pred.sub(target).pow(2));
      const l2 = np.sum(model.weight.value.pow(2));
      return [mse.add(np.multiply(l2, l2Coeff)), { mae: np.mean(np.abs(pred.sub(target))), mse, l2 }];
    };
    const [[stateGrads, coeffGrad], lossVal, aux] = grad(lossWithMetrics, {
      gradStates: model.states(ParamState), argnums: 0, hasAux: true, returnValue: true,
    })(0.3, xs, yTrue) as [[Grads, Tensor], Tensor, Record<string, Tensor>];
    expect(lossVal.itemSync()).to.equal(5.5);
    expect(coeffGrad.itemSync()).to.equal(0);
    expectClose(stateGrads.bias!, [-2]);
    expectClose(stateGrads.weight!, [[-3]]);
    expect(Object.fromEntries(Object.entries(aux).map(([k, v]) => [k, v.itemSync()]))).to.deep.equal({ l2: 0, mae: 2, mse: 5.5 });
  });

  it("§5.4 jacrev w.r.t. parameters: bias [1, 1], weight [1, 2, 1]", () => {
    const model = new LinearRegressor(2);
    const J = jacobian((x: Tensor) => model.call(x), { gradStates: model.states(ParamState) })(np.array([1, 2])) as Grads;
    expect(J.bias!.shape).to.deep.equal([1, 1]);
    expect(J.weight!.shape).to.deep.equal([1, 2, 1]);
    expectClose(J.weight!, [[[1], [2]]]);
  });

  it("§6 custom transforms written as users would: scaled (bias -1, weight -1.5) and clipped (norm 0.1)", () => {
    const scaledGradTransform: TransformFn<{ scale: number }> = (fun, { argnums, scale }) => {
      const base = grad(fun, { argnums, hasAux: true });
      return (...args) => {
        const [grads, aux] = base(...args) as [unknown, unknown];
        return [tree.map((g: Tensor) => g.mul(scale), grads), aux];
      };
    };
    const scaledGrad = (fun: (...a: any[]) => any, opts: { scale?: number; gradStates?: unknown } = {}) =>
      new GradientTransform(fun, { transform: scaledGradTransform, gradStates: opts.gradStates, transformParams: { scale: opts.scale ?? 1 } });
    const clippedGradTransform: TransformFn<{ maxNorm: number }> = (fun, { argnums, maxNorm }) => {
      const base = grad(fun, { argnums, hasAux: true });
      return (...args) => {
        const [grads, aux] = base(...args) as [unknown, unknown];
        const globalNorm = np.sqrt((tree.leaves(grads) as Tensor[]).map((g) => np.sum(np.square(g))).reduce((a, b) => a.add(b)));
        const s = np.minimum(1, np.divide(maxNorm, globalNorm.add(1e-6)));
        return [tree.map((g: Tensor) => g.mul(s), grads), aux];
      };
    };
    const model = new LinearRegressor(1);
    const loss = (x: Tensor, target: Tensor) => np.mean(model.call(x).sub(target).pow(2));
    const scaled = scaledGrad(loss, { scale: 0.5, gradStates: model.states(ParamState) })(xs, yTrue) as Grads;
    expectClose(scaled.bias!, [-1]);
    expectClose(scaled.weight!, [[-1.5]]);
    const clipped = new GradientTransform(loss, {
      transform: clippedGradTransform, gradStates: model.states(ParamState), transformParams: { maxNorm: 0.1 },
    })(xs, yTrue) as Grads;
    expectClose(clipped.bias!, [-0.05547], { rtol: 1e-4 });
    expectClose(clipped.weight!, [[-0.08320501]], { rtol: 1e-5 });
  });

  it("§7 the training loop (jit loss, hasAux, returnValue, SGD on the States) follows a float64 simulation", () => {
    random.seed(7);
    const model = new LinearRegressor(1);
    const xTrain = np.linspace(-1, 1, 20).reshape([-1, 1]);
    const noise = random.normal({ size: [20, 1] }).mul(0.1);
    const yTrain = xTrain.mul(3).add(1).add(noise);
    const trainingLoss = jit((x: Tensor, y: Tensor) => {
      const mse = np.mean(model.call(x).sub(y).pow(2));
      const l2 = np.sum(model.weight.value.pow(2)).add(np.sum(model.bias.value.pow(2))).mul(0.01);
      return [mse.add(l2), { mse, l2 }];
    });
    const lossGrad = grad(trainingLoss, { gradStates: model.states(ParamState), hasAux: true, returnValue: true });
    // float64 reference: L = mean((wx + b - y)²) + 0.01(w² + b²)
    const X = xTrain.toArraySync() as number[][], Y = yTrain.toArraySync() as number[][];
    let w = 0, b = 0;
    for (let epoch = 1; epoch <= 50; epoch++) {
      const [grads, lossVal, aux] = lossGrad(xTrain, yTrain) as [Grads, Tensor, { mse: Tensor; l2: Tensor }];
      for (const [path, state] of Object.entries(model.states(ParamState))) state.value = state.value.sub(grads[path]!.mul(0.1));
      const r = X.map((row, i) => w * row[0]! + b - Y[i]![0]!);
      const mse = r.reduce((s, v) => s + v * v, 0) / r.length;
      expect(lossVal.itemSync()).to.be.closeTo(mse + 0.01 * (w * w + b * b), 1e-5);
      expect(aux.mse.itemSync()).to.be.closeTo(mse, 1e-5);
      const gw = (2 * r.reduce((s, v, i) => s + v * X[i]![0]!, 0)) / r.length + 0.02 * w;
      const gb = (2 * r.reduce((s, v) => s + v, 0)) / r.length + 0.02 * b;
      [w, b] = [w - 0.1 * gw, b - 0.1 * gb];
    }
    expect(model.weight.value.itemSync()).to.be.closeTo(w, 1e-4);
    expect(model.bias.value.itemSync()).to.be.closeTo(b, 1e-4);
    // the tutorial's run (other noise) ends at weight 2.8455, bias 0.9980
    expect(w).to.be.closeTo(2.8455, 0.06);
    expect(b).to.be.closeTo(0.998, 0.06);
  });
});

describe("seed 003: BrainPy autograd on class variables", () => {
  it("Linear: ∂x of Σ(w·x + b) is w; grad_vars (w, b) give (ones(1, 10), [1]); both together; return_value", () => {
    random.seed(3);
    const w = new State(random.rand(1, 10));
    const b = new State(np.zeros([1]));
    const update = (x: Tensor) => np.sum(np.dot(w.value, x).add(b.value));
    const wRow = (w.value.toArraySync() as number[][])[0]!;
    expectClose(T(grad(update, { argnums: 0 })(np.ones([10]))), wRow);
    const [gw, gb] = grad(update, { gradStates: [w, b] })(np.ones([10])) as Tensor[];
    expectClose(gw!, [Array(10).fill(1)]);
    expectClose(gb!, [1]);
    const [[vw, vb], gx] = grad(update, { gradStates: [w, b], argnums: 0 })(np.ones([10])) as [Tensor[], Tensor];
    expectClose(vw!, [Array(10).fill(1)]);
    expectClose(vb!, [1]);
    expectClose(gx, wRow);
    const [g, value] = grad(update, { argnums: 0, returnValue: true })(np.ones([10])) as Tensor[];
    expectClose(g!, wRow);
    expect(value!.itemSync()).to.be.closeTo(wRow.reduce((s, v) => s + v), 1e-5);
  });

  it("LinearAux: has_aux returns (r, dot) alongside the gradient", () => {
    random.seed(4);
    const w = new State(random.rand(1, 10));
    const b = new State(np.zeros([1]));
    const update = (x: Tensor) => {
      const dot = np.dot(w.value, x);
      const r = np.sum(dot.add(b.value));
      return [r, [r, dot]];
    };
    const [g, [r, dot]] = grad(update, { argnums: 0, hasAux: true })(np.ones([10])) as [Tensor, Tensor[]];
    const wRow = (w.value.toArraySync() as number[][])[0]!;
    expectClose(g, wRow);
    const total = wRow.reduce((s, v) => s + v);
    expect(r!.itemSync()).to.be.closeTo(total, 1e-5);
    expectClose(dot!, [total], { rtol: 1e-5 });
  });

  class F extends nn.Module {
    a = new ParamState(np.ones([1]));
    b = new ParamState(np.ones([1]));
    call(c: number) {
      return np.mean(this.a.value.mul(this.b.value).mul(2).add(c));
    }
  }

  it("F: grad_vars as a record ({a: [2], b: [2]}) or a list ([[2], [2]]); return_value gives loss 12", () => {
    const f = new F();
    const byRecord = grad((c: number) => f.call(c), { gradStates: f.states(ParamState) })(10) as Grads;
    expect(Object.keys(byRecord)).to.deep.equal(["a", "b"]);
    expectClose(byRecord.a!, [2]);
    expectClose(byRecord.b!, [2]);
    const byList = grad((c: number) => f.call(c), { gradStates: [f.a, f.b] })(10) as Tensor[];
    expect(byList.map((t) => t.toArraySync())).to.deep.equal([[2], [2]]);
    const [ga, loss] = grad((c: number) => f.call(c), { gradStates: f.a, returnValue: true })(10) as Tensor[];
    expectClose(ga!, [2]);
    expect(loss!.itemSync()).to.equal(12);
  });

  it("F2 (dyn_vars): a is rewritten inside the loss and committed after; ∂b = 2a", () => {
    const f2 = new (class extends nn.Module {
      a = new ParamState(np.ones([1]));
      b = new ParamState(np.ones([1]));
      call(c: number) {
        const ab = this.a.value.mul(this.b.value).mul(2);
        this.a.value = ab;
        return np.mean(ab.add(c));
      }
    })();
    expectClose(T(grad((c: number) => f2.call(c), { gradStates: f2.b })(10)), [2]);
    expectClose(f2.a.value, [2]);
  });

  it("F3: grad_vars with argnums 0 gives ([2, 2], 3.0); with argnums (0, 1) ([2, 2], (3, 10))", () => {
    const f3 = new (class extends nn.Module {
      a = new ParamState(np.ones([1]));
      b = new ParamState(np.ones([1]));
      call(c: Tensor | number, d: Tensor | number) {
        return np.mean(this.a.value.mul(this.b.value).mul(2).add(np.multiply(c, d)));
      }
    })();
    const call = (c: Tensor | number, d: Tensor | number) => f3.call(c, d);
    const [gv, ga] = grad(call, { gradStates: [f3.a, f3.b], argnums: 0 })(10, 3) as [Tensor[], Tensor];
    expect(gv.map((t) => t.toArraySync())).to.deep.equal([[2], [2]]);
    expect(ga.itemSync()).to.equal(3);
    const [gv2, [g0, g1]] = grad(call, { gradStates: [f3.a, f3.b], argnums: [0, 1] })(10, 3) as [Tensor[], Tensor[]];
    expect(gv2.map((t) => t.toArraySync())).to.deep.equal([[2], [2]]);
    expect([g0!.itemSync(), g1!.itemSync()]).to.deep.equal([3, 10]);
  });

  it("F4: has_aux with grad_vars gives grad [1] and aux ([1], [2])", () => {
    const a = new ParamState(np.ones([1]));
    const b = new ParamState(np.ones([1]));
    const f4 = (c: number) => {
      const ab = a.value.mul(b.value);
      return [np.mean(ab.add(c)), [ab, ab.mul(2)]];
    };
    const [g, [ab, ab2]] = grad(f4, { gradStates: a, hasAux: true })(10) as [Tensor, Tensor[]];
    expectClose(g, [1]);
    expectClose(ab!, [1]);
    expectClose(ab2!, [2]);
  });

  it("vector_grad on class variables: [2, 2, 2, 2, 2], ([2 ×5],), ([2 ×5], [3 ×5])", () => {
    const x = new State(np.ones([5]));
    const y = new State(np.ones([5]));
    const test = () => x.value.pow(2).add(y.value.pow(3)).add(10);
    expectClose(T(vectorGrad(test, { gradStates: x })()), [2, 2, 2, 2, 2]);
    const single = vectorGrad(test, { gradStates: [x] })() as Tensor[];
    expect(single).to.have.length(1);
    expectClose(single[0]!, [2, 2, 2, 2, 2]);
    const [gx, gy] = vectorGrad(test, { gradStates: [x, y] })() as Tensor[];
    expectClose(gx!, [2, 2, 2, 2, 2]);
    expectClose(gy!, [3, 3, 3, 3, 3]);
  });

  it("jacobian with grad_vars, argnums, has_aux and return_value gives the published matrices", () => {
    const sx = new State(np.array([1, 2, 3]));
    const test = (y: Tensor) => {
      const x = sx.value;
      const a = x.get(0).mul(y.get(0));
      const b = x.get(2).mul(y.get(1)).mul(5);
      const c = x.get(1).pow(2).mul(4).sub(x.get(2).mul(2));
      const d = x.get(2).mul(np.sin(x.get(0)));
      return [np.stack([a, b, c, d]), [c, d]];
    };
    const [[varGrads, argGrads], value, [c, d]] = jacobian(test, { gradStates: sx, argnums: 0, hasAux: true, returnValue: true })(np.array([10, 5])) as [[Tensor, Tensor], Tensor, Tensor[]];
    expectClose(varGrads, [[10, 0, 0], [0, 0, 25], [0, 16, -2], [1.6209068, 0, 0.84147096]], { rtol: 1e-6 });
    expectClose(argGrads, [[1, 0], [0, 15], [0, 0], [0, 0]]);
    expectClose(value, [10, 75, 10, 2.5244129], { rtol: 1e-6 });
    expect(c!.itemSync()).to.equal(10);
    expect(d!.itemSync()).to.be.closeTo(2.5244129, 1e-6);
  });
});

describe("training with States", () => {
  it("seed 000 §8: a tanh regression net trained by grad(gradStates) + SGD cuts the loss 10x; evaluated under fit = false", () => {
    random.seed(0);
    // y = 3·x1 - 2·x2 + 1 + 0.1·noise
    const generateData = (n: number): [Tensor, Tensor] => {
      const x = random.randn(n, 2);
      const [x1, x2] = [x.get(slice(), slice(0, 1)), x.get(slice(), slice(1, 2))];
      return [x, x1.mul(3).sub(x2.mul(2)).add(1).add(random.randn(n, 1).mul(0.1))];
    };
    const [xTrain, yTrain] = generateData(100);
    const [xTest, yTest] = generateData(20);
    class RegressionNet extends nn.Module {
      linear1 = new nn.Linear(2, 8, { wInit: new nn.init.KaimingNormal() });
      linear2 = new nn.Linear(8, 1, { wInit: new nn.init.KaimingNormal() });
      call(x: Tensor) {
        return this.linear2.call(np.tanh(this.linear1.call(x)));
      }
    }
    const model = new RegressionNet();
    const params = model.states(ParamState);
    const lossFn = (x: Tensor, y: Tensor) => np.mean(model.call(x).sub(y).pow(2));
    const lossGrad = grad(lossFn, { gradStates: params, returnValue: true });
    const trainLosses: number[] = [];
    const testLosses: number[] = [];
    for (let epoch = 0; epoch < 150; epoch++) {
      const [grads, loss] = lossGrad(xTrain, yTrain) as [Grads, Tensor];
      for (const [key, g] of Object.entries(grads)) params[key]!.value = params[key]!.value.sub(g.mul(0.05));
      // one realization for the step (each State's graph stays one step long)
      realizeSync([loss, ...Object.values(params).map((s) => s.value)].map((t) => t.node));
      trainLosses.push(loss.itemSync());
      if (epoch % 50 === 0 || epoch === 149) {
        testLosses.push(environ.context({ fit: false }, () => {
          expect(environ.get("fit")).to.equal(false);
          return np.mean(model.call(xTest).sub(yTest).pow(2)).itemSync();
        }));
      }
    }
    expect(trainLosses.at(-1)!).to.be.lessThan(trainLosses[0]! / 10);
    expect(testLosses.at(-1)!).to.be.lessThan(testLosses[0]! / 10);
    expect(environ.get("fit")).to.equal(true);
  });

  it("an Adam-trained MLP (jit-compiled step: grad + optimizer update) cuts the loss 10x; dropout is off under fit = false", () => {
    random.seed(1);
    const x = random.uniform({ low: -1, high: 1, size: [64, 2] });
    const y = np.sin(x.matmul(np.array([[2], [-1]]))).add(x.matmul(np.array([[0.5], [0.5]])).pow(2));
    const model = new nn.MLP([2, 16, 1], { activation: nn.tanh });
    const drop = new nn.Dropout(0.1);
    const params = model.states(ParamState);
    const opt = new optim.Adam(params, { lr: 0.03 });
    const lossOf = (xb: Tensor, yb: Tensor) => np.mean(drop.call(model.call(xb)).sub(yb).pow(2));
    const step = jit((xb: Tensor, yb: Tensor) => {
      const [grads, loss] = grad(lossOf, { gradStates: params, returnValue: true })(xb, yb) as [Grads, Tensor];
      opt.update(grads);
      return loss;
    });
    const evalLoss = () => environ.context({ fit: false }, () => np.mean(model.call(x).sub(y).pow(2)).itemSync());
    const first = evalLoss();
    for (let i = 0; i < 150; i++) step(x, y);
    expect(opt.stepCount.value.itemSync()).to.equal(150);
    const last = evalLoss();
    expect(last).to.be.lessThan(first / 10);
    expect(evalLoss()).to.equal(last); // deterministic without dropout
    expect(step.traceCount()).to.equal(1);
  });

  it("State streams emit each committed value once per step, in commit order; unsubscribing stops them", () => {
    const model = new LinearRegressor(1);
    const params = model.states(ParamState);
    const steps = new LongTermState(np.array(0), { name: "steps" });
    const lossGrad = grad((x: Tensor, y: Tensor) => {
      steps.value = steps.value.add(1); // committed by the gradient call, once
      return np.mean(model.call(x).sub(y).pow(2));
    }, { gradStates: params });
    const events: string[] = [];
    const sub = states$({ ...params, steps }).subscribe(({ path, value }) => events.push(`${path}=${(tree.leaves(value)[0] as Tensor).dataSync()[0]!.toFixed(4)}`));
    const expected = ["bias=0.0000", "weight=0.0000", "steps=0.0000"];
    for (let i = 0; i < 3; i++) {
      const g = lossGrad(xs, yTrue) as Grads;
      expected.push(`steps=${(i + 1).toFixed(4)}`);
      for (const [path, s] of Object.entries(params)) {
        s.value = s.value.sub(g[path]!.mul(0.1));
        expected.push(`${path}=${s.value.dataSync()[0]!.toFixed(4)}`);
      }
    }
    sub.unsubscribe();
    lossGrad(xs, yTrue);
    model.bias.value = np.array([9]);
    expect(events).to.deep.equal(expected);
    // hand check of the first step: g = (bias -2, weight -3) -> 0.2, 0.3
    expect(events.slice(3, 6)).to.deep.equal(["steps=1.0000", "bias=0.2000", "weight=0.3000"]);
  });

  it("after unsubscribe the observer is released, and an unused State can be garbage collected", async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, "mocha runs with --expose-gc").to.be.a("function");
    const kept = new State(np.array(1));
    let observer: WeakRef<object>;
    let state: WeakRef<State>;
    (() => {
      const payload = { seen: [] as number[] };
      const sub = kept.value$.subscribe((v) => payload.seen.push(v.itemSync()));
      sub.unsubscribe();
      observer = new WeakRef(payload);
      const s = new State(np.array([1, 2]));
      s.value$.subscribe(() => undefined).unsubscribe();
      grad(() => np.sum(s.value.pow(2)), { gradStates: s })(); // a finished gradient call keeps nothing alive
      state = new WeakRef(s);
    })();
    // WeakRef targets stay alive until the current job ends; then a full collection frees them
    for (let i = 0; i < 3 && (observer!.deref() || state!.deref()); i++) {
      await new Promise((r) => setImmediate(r));
      gc!();
    }
    expect(observer!.deref()).to.equal(undefined);
    expect(state!.deref()).to.equal(undefined);
    kept.value = np.array(2); // no callback runs (it would throw on the collected payload otherwise)
  });
});
