/**
 * The autodiff seed tutorials as tests: every example of seeds 000 (§1–6, 9, 10), 002 (§1, 4, 5,
 * 6 — without States: their values are passed as arguments), 003 (pure functions) and 004 gives
 * the tutorial's numbers. Expected values are the tutorials' printed outputs or hand derivations.
 */
import { expect } from "chai";
import {
  GradientTransform, type Tensor, type TransformFn, checkpoint, customVjp, grad, hessian, jacfwd, jacobian, jacrev, np,
  tree, vectorGrad, vmap,
} from "kiln";
import { expectClose } from "../util.js";

const T = (v: unknown) => v as Tensor;

describe("seed 000: BrainState autodiff tutorial", () => {
  it("§1 grad of x² at 3 is 6; grad of sin(x²) is 2x cos(x²)", () => {
    expect(T(grad((x: Tensor) => x.pow(2))(3)).itemSync()).to.equal(6);
    const g = grad((x: Tensor) => np.sin(x.pow(2)));
    const xs = np.linspace(-3, 3, 7).toArraySync() as number[];
    expectClose(xs.map((x) => T(g(x)).itemSync()), xs.map((x) => 2 * x * Math.cos(x * x)), { rtol: 1e-5, atol: 1e-5 });
    // the same curve at once: sin(x²) is elementwise, so vectorGrad gives the derivative per point
    expectClose(T(vectorGrad((x: Tensor) => np.sin(x.pow(2)))(np.array(xs))), xs.map((x) => 2 * x * Math.cos(x * x)), { rtol: 1e-5, atol: 1e-5 });
  });

  it("§2 f(x, y) = x²y + y³ at (2, 3): ∂x = 12, ∂y = 31, both", () => {
    const f = (x: Tensor | number, y: Tensor | number) => np.add(np.multiply(np.power(x, 2), y), np.power(y, 3));
    expect(T(f(2, 3)).itemSync()).to.equal(39);
    expect(T(grad(f, { argnums: 0 })(2, 3)).itemSync()).to.equal(12);
    expect(T(grad(f, { argnums: 1 })(2, 3)).itemSync()).to.equal(31);
    expect((grad(f, { argnums: [0, 1] })(2, 3) as Tensor[]).map((t) => t.itemSync())).to.deep.equal([12, 31]);
  });

  it("§3 ∇ sum(x²) at [1, 2, 3] is [2, 4, 6]; gradient descent finds the bowl's minimum (1, 2)", () => {
    expectClose(T(grad((x: Tensor) => np.sum(x.pow(2)))(np.array([1, 2, 3]))), [2, 4, 6]);
    const bowl = (p: Tensor) => p.get(0).sub(1).pow(2).add(p.get(1).sub(2).pow(2));
    const g = grad(bowl);
    let params = np.array([5, -3]);
    for (let i = 0; i < 50; i++) {
      params = params.sub(T(g(params)).mul(0.1));
      params.dataSync(); // keep the graph one step long
    }
    // each step scales the distance to the minimum by 1 - 2·0.1
    expectClose(params, [1 + 4 * 0.8 ** 50, 2 - 5 * 0.8 ** 50], { rtol: 1e-5 });
    expect(T(bowl(params)).itemSync()).to.be.closeTo(41 * 0.8 ** 100, 1e-9);
  });

  it("§4 the Jacobian of [x² + y, xy, y²] at (2, 3); the Jacobian of Wx + b is W", () => {
    const f = (xy: Tensor) => np.stack([xy.get(0).pow(2).add(xy.get(1)), xy.get(0).mul(xy.get(1)), xy.get(1).pow(2)]);
    expectClose(T(jacobian(f)(np.array([2, 3]))), [[4, 1], [3, 2], [0, 6]]);
    const W = np.array([[1, 2], [3, 4], [5, 6]]);
    const b = np.array([0.1, 0.2, 0.3]);
    expectClose(T(jacobian((x: Tensor) => W.matmul(x).add(b))(np.array([1, 2]))), [[1, 2], [3, 4], [5, 6]]);
  });

  it("§5 the Hessian of x³ + y³ + 3xy at (1, 2); Newton's method on Rosenbrock reaches (1, 1) in two steps", () => {
    const h = (xy: Tensor) => xy.get(0).pow(3).add(xy.get(1).pow(3)).add(xy.get(0).mul(xy.get(1)).mul(3));
    expectClose(T(hessian(h)(np.array([1, 2]))), [[6, 3], [3, 12]]);
    const rosen = (xy: Tensor) => np.subtract(1, xy.get(0)).pow(2).add(xy.get(1).sub(xy.get(0).pow(2)).pow(2).mul(100));
    const [g, H] = [grad(rosen), hessian(rosen)];
    // at (0, 0): g = [-2, 0], H = [[2, 0], [0, 200]] -> (1, 0); there g = [400, -200],
    // H = [[1202, -400], [-400, 200]] -> (1, 1)
    let p = np.array([0, 0]);
    expectClose(T(g(p)), [-2, 0]);
    expectClose(T(H(p)), [[2, 0], [0, 200]]);
    for (const want of [[1, 0], [1, 1]]) {
      p = p.sub(np.linalg.solve(T(H(p)), T(g(p))));
      expectClose(p, want, { atol: 1e-5 });
    }
    // gradient descent moves the same way, far more slowly: one step from (0, 0)
    expectClose(np.array([0, 0]).sub(T(g(np.array([0, 0]))).mul(0.001)), [0.002, 0]);
  });

  it("§6 vectorGrad of per-sample losses is the gradient of their sum", () => {
    const batchLoss = (params: Tensor, batch: Tensor) => np.sum(params.sub(batch).pow(2), { axis: 1 });
    const batch = np.array([[1, 1], [2, 2], [3, 3]]);
    // Σ_i 2(params - batch_i) = 2·([1, 2]·3 - [6, 6])
    expectClose(T(vectorGrad(batchLoss)(np.array([1, 2]), batch)), [-6, 0]);
  });

  it("§6 the real per-sample gradients (shape (3, 2)) are vmap(grad(f)) over the batch", () => {
    const sampleLoss = (params: Tensor, x: Tensor) => np.sum(params.sub(x).pow(2));
    const batch = np.array([[1, 1], [2, 2], [3, 3]]);
    // 2(params - batch_i) per row
    const grads = vmap(grad(sampleLoss), { inAxes: [null, 0] })(np.array([1, 2]), batch) as Tensor;
    expect(grads.shape).to.deep.equal([3, 2]);
    expectClose(grads, [[0, 2], [-2, 0], [-4, -2]]);
    // Their sum is what vectorGrad gives.
    expectClose(grads.sum(0), [-6, 0]);
  });

  it("§9 a custom backward rule clips the gradients of sum(x³) at [2, -3, 1] to [0.5, 0.5, 0.5]", () => {
    const clipGradient = customVjp((x: Tensor, _threshold = 1) => x);
    clipGradient.defVjp((x: Tensor, threshold = 1) => [x, threshold], (threshold: number, g: Tensor) => [np.clip(g, -threshold, threshold), null]);
    const loss = (x: Tensor) => np.sum(T(clipGradient(x, 0.5)).pow(3));
    const x = np.array([2, -3, 1]);
    expectClose(x.pow(2).mul(3), [12, 27, 3]);
    expectClose(T(grad(loss)(x)), [0.5, 0.5, 0.5]);
  });

  it("§10 a 20-layer network checkpointed every 5 layers gives the same output and gradients", () => {
    const ws = Array.from({ length: 20 }, (_, i) => np.eye(10).mul(0.9).add(np.full([10, 10], 0.01 * ((i % 3) - 1))));
    const x = np.linspace(-1, 1, 40).reshape([4, 10]);
    const deep = (params: Tensor[], h: Tensor, every: number) => {
      params.forEach((w, i) => {
        h = np.tanh(h.matmul(w));
        if (every && (i + 1) % every === 0) h = T(checkpoint((y: Tensor) => y)(h));
      });
      return h;
    };
    const out = deep(ws, x, 5);
    expect(out.shape).to.deep.equal([4, 10]);
    expectClose(out, deep(ws, x, 0).toArraySync() as number[][], { rtol: 1e-6 });
    const loss = (every: number) => (params: Tensor[]) => deep(params, x, every).pow(2).mean();
    const [a, b] = [grad(loss(5))(ws), grad(loss(0))(ws)] as Tensor[][];
    for (const k of [0, 9, 19]) expectClose(a![k]!, b![k]!.toArraySync() as number[][], { rtol: 1e-5, atol: 1e-8 });
  });
});

describe("seed 002: argnums, the return table, other transforms, GradientTransform", () => {
  // LinearRegressor(1) at weight = bias = 0 on xs = linspace(-1, 1, 5), y = 3x + 1.
  const xs = np.linspace(-1, 1, 5).reshape([-1, 1]);
  const yTrue = xs.mul(3).add(1);
  const params = () => ({ weight: np.zeros([1, 1]), bias: np.zeros([1]) });
  const mse = (p: { weight: Tensor; bias: Tensor }, x: Tensor, target: Tensor) => np.mean(x.matmul(p.weight).add(p.bias).sub(target).pow(2));

  it("§1 argnums: gradients of scale·Σ(x - y)² are [2, 2, 2] and [-2, -2, -2]", () => {
    const lossFn = (x: Tensor, y: Tensor, scale: number) => np.sum(x.sub(y).pow(2)).mul(scale);
    const [x, y] = [np.array([1, 2, 3]), np.array([0.5, 1.5, 2.5])];
    expectClose(T(grad(lossFn, { argnums: 0 })(x, y, 2)), [2, 2, 2]);
    const [gx, gy] = grad(lossFn, { argnums: [0, 1] })(x, y, 2) as Tensor[];
    expectClose(gx!, [2, 2, 2]);
    expectClose(gy!, [-2, -2, -2]);
  });

  it("§2/§4 loss 5.5 with gradients bias -2, weight [[-3]]; the complete example with aux", () => {
    const [g, loss] = grad(mse, { returnValue: true })(params(), xs, yTrue) as [{ weight: Tensor; bias: Tensor }, Tensor];
    expect(loss.itemSync()).to.be.closeTo(5.5, 1e-6);
    expectClose(g.bias, [-2]);
    expectClose(g.weight, [[-3]]);
    const lossWithMetrics = (l2Coeff: Tensor, p: { weight: Tensor; bias: Tensor }, x: Tensor, target: Tensor) => {
      const pred = x.matmul(p.weight).add(p.bias);
      const m = np.mean(pred.sub(target).pow(2));
      const l2 = np.sum(p.weight.pow(2));
      return [m.add(l2Coeff.mul(l2)), { mae: np.mean(np.abs(pred.sub(target))), mse: m, l2 }];
    };
    const [[coeffGrad, stateGrads], lossVal, aux] = grad(lossWithMetrics, { argnums: [0, 1], hasAux: true, returnValue: true })(
      np.array(0.3), params(), xs, yTrue,
    ) as [[Tensor, { weight: Tensor; bias: Tensor }], Tensor, { mae: Tensor; mse: Tensor; l2: Tensor }];
    expect(lossVal.itemSync()).to.be.closeTo(5.5, 1e-6);
    expect(coeffGrad.itemSync()).to.equal(0);
    expectClose(stateGrads.bias, [-2]);
    expectClose(stateGrads.weight, [[-3]]);
    expect([aux.mae.itemSync(), aux.mse.itemSync(), aux.l2.itemSync()].map((v) => +v.toFixed(4))).to.deep.equal([2, 5.5, 0]);
  });

  it("§5 vectorGrad [4.5403023, 5]; jacrev = jacfwd = jacobian; the Hessian of x·x is 2I", () => {
    const vectorFun = (x: Tensor) => np.stack([x.get(0).mul(x.get(1)), np.sin(x.get(0)), x.get(0).pow(2).add(x.get(1).pow(2))]);
    expectClose(T(vectorGrad(vectorFun)(np.array([1, 2]))), [4.5403023, 5], { rtol: 1e-6 });
    const multiOutput = (x: Tensor) => np.stack([x.get(0).mul(x.get(1)), np.sin(x.get(0)), np.exp(x.get(1))]);
    const want = [[2, 1], [0.5403023, 0], [0, 7.389056]];
    for (const jac of [jacrev, jacfwd, jacobian]) expectClose(T(jac(multiOutput)(np.array([1, 2]))), want, { rtol: 1e-6 });
    expectClose(T(hessian((x: Tensor) => np.dot(x, x))(np.array([1, 2]))), [[2, 0], [0, 2]]);
  });

  it("§5.4 the Jacobian with respect to a model's parameters has shape [...out, ...param]", () => {
    const model = (p: { weight: Tensor; bias: Tensor }, x: Tensor) => x.matmul(p.weight).add(p.bias);
    const J = jacrev(model)({ weight: np.zeros([2, 1]), bias: np.zeros([1]) }, np.array([[1, 2]])) as { weight: Tensor; bias: Tensor };
    expect(J.bias.shape).to.deep.equal([1, 1, 1]);
    expect(J.weight.shape).to.deep.equal([1, 1, 2, 1]);
    expectClose(J.weight, [[[[1], [2]]]]);
  });

  it("§6 GradientTransform: scaled gradients [-1], [[-1.5]]; clipped to norm 0.1: [-0.05547], [[-0.08320501]]", () => {
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
        const norm = np.sqrt((tree.leaves(g) as Tensor[]).map((t) => np.sum(np.square(t))).reduce((a, b) => a.add(b)));
        const s = np.minimum(1, np.divide(maxNorm, norm.add(1e-6)));
        return [tree.map((t: Tensor) => t.mul(s), g), aux];
      };
    };
    const sg = new GradientTransform(mse, { transform: scaled, transformParams: { scale: 0.5 } })(params(), xs, yTrue) as { weight: Tensor; bias: Tensor };
    expectClose(sg.bias, [-1]);
    expectClose(sg.weight, [[-1.5]]);
    const cg = new GradientTransform(mse, { transform: clipped, transformParams: { maxNorm: 0.1 } })(params(), xs, yTrue) as { weight: Tensor; bias: Tensor };
    expectClose(cg.bias, [-0.05547], { rtol: 1e-4 });
    expectClose(cg.weight, [[-0.08320501]], { rtol: 1e-6 });
  });
});

describe("seed 003: BrainPy autograd (pure functions)", () => {
  it("grad of a·2 + b is 2; with argnums (0, 1): [2, 1]; grad of mean at zeros(2) is [0.5, 0.5]", () => {
    const f = (a: Tensor, b: Tensor) => a.mul(2).add(b);
    expect(T(grad(f)(2, 1)).itemSync()).to.equal(2);
    expect((grad(f, { argnums: [0, 1] })(2, 1) as Tensor[]).map((t) => t.itemSync())).to.deep.equal([2, 1]);
    expectClose(T(grad((x: Tensor) => x.mean())(np.zeros([2]))), [0.5, 0.5]);
    expect(() => grad((x: Tensor) => x)(np.zeros([2]))).to.throw(TypeError, "Gradient only defined for scalar-output functions. Output had shape [2].");
  });

  it("hasAux and returnValue: [gradient, aux] and [gradient, value]", () => {
    const w = np.array([[0.1, 0.2, 0.3]]);
    const update = (x: Tensor) => {
      const dot = w.matmul(x);
      const r = dot.sum();
      return [r, [r, dot]];
    };
    const [g, [r, dot]] = grad(update, { hasAux: true })(np.ones([3])) as [Tensor, [Tensor, Tensor]];
    expectClose(g, [0.1, 0.2, 0.3]);
    expect(r.itemSync()).to.be.closeTo(0.6, 1e-6);
    expectClose(dot, [0.6]);
    const [g2, v] = grad((x: Tensor) => w.matmul(x).sum(), { returnValue: true })(np.ones([3])) as Tensor[];
    expectClose(g2!, [0.1, 0.2, 0.3]);
    expect(v!.itemSync()).to.be.closeTo(0.6, 1e-6);
  });

  it("vectorGrad of sin(b)·a: sin(b) for a, a·cos(b) for b, vectors and matrices", () => {
    const f = (a: Tensor, b: Tensor) => np.sin(b).mul(a);
    const a = np.arange(5);
    const bv = [0.3, 0.7, 0.1, 0.9, 0.5];
    const [ga, gb] = vectorGrad(f, { argnums: [0, 1] })(a, np.array(bv)) as Tensor[];
    expectClose(ga!, bv.map(Math.sin), { rtol: 1e-6 });
    expectClose(gb!, bv.map((b, i) => i * Math.cos(b)), { rtol: 1e-6 });
    const am = np.arange(6).reshape([2, 3]);
    const bm = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    expectClose(T(vectorGrad(f, { argnums: 1 })(am, bm)), [[0, 1 * Math.cos(0.2), 2 * Math.cos(0.3)], [3 * Math.cos(0.4), 4 * Math.cos(0.5), 5 * Math.cos(0.6)]], { rtol: 1e-6 });
  });

  it("the Jacobian of f1 with returnValue and hasAux, and with respect to both arguments", () => {
    const f1 = (x: Tensor, y: Tensor) => {
      const a = x.get(1).pow(2).mul(4).sub(x.get(2).mul(2));
      return [np.stack([x.get(0).mul(y.get(0)), x.get(2).mul(y.get(1)).mul(5), a, x.get(2).mul(np.sin(x.get(0)))]), a];
    };
    const [x, y] = [np.array([1, 2, 3]), np.array([10, 5])];
    const [grads, vec, aux] = jacobian(f1, { returnValue: true, hasAux: true })(x, y) as Tensor[];
    expectClose(grads!, [[10, 0, 0], [0, 0, 25], [0, 16, -2], [1.6209068, 0, 0.84147096]], { rtol: 1e-6 });
    expectClose(vec!, [10, 75, 10, 2.5244129], { rtol: 1e-6 });
    expectClose(aux!, 10);
    const [[jx, jy]] = jacobian(f1, { argnums: [0, 1], hasAux: true })(x, y) as [Tensor[], Tensor];
    expectClose(jx!, grads!.toArraySync() as number[][], { rtol: 1e-6 });
    expectClose(jy!, [[1, 0], [0, 15], [0, 0], [0, 0]]);
  });
});

describe("seed 004: JAX autodiff primer", () => {
  it("z = x·y at (1, 2): dz/dx = 2; both = [2, 1]; by dictionary {x: 2, y: 1}", () => {
    const z = (x: Tensor, y: Tensor) => x.mul(y);
    expect(T(grad(z)(1, 2)).itemSync()).to.equal(2);
    expect((grad(z, { argnums: [0, 1] })(1, 2) as Tensor[]).map((t) => t.itemSync())).to.deep.equal([2, 1]);
    const g = grad((p: { x: Tensor; y: Tensor }) => p.x.mul(p.y))({ x: 1, y: 2 }) as { x: Tensor; y: Tensor };
    expect([g.x.itemSync(), g.y.itemSync()]).to.deep.equal([2, 1]);
  });

  it("a one-hidden-layer network's MSE gradients match hand-written backpropagation", () => {
    // out = tanh(X W1 + b1) W2 + b2; L = mean((out - y)²)
    const X = [[-1], [0.5], [2], [3]];
    const Y = [[1], [0.2], [-0.5], [2]];
    const W1 = [[0.5, -0.3, 0.8]];
    const b1 = [0.1, -0.2, 0.05];
    const W2 = [[0.7], [-1.1], [0.4]];
    const b2 = 0.3;
    const myNN = (p: { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }, x: Tensor) => np.tanh(x.matmul(p.W1).add(p.b1)).matmul(p.W2).add(p.b2);
    const mseLoss = (p: { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }, x: Tensor, y: Tensor) => np.mean(myNN(p, x).sub(y).pow(2));
    const p = { W1: np.array(W1), b1: np.array(b1), W2: np.array(W2), b2: np.array(b2) };
    const d = grad(mseLoss)(p, np.array(X), np.array(Y)) as Record<string, Tensor>;

    // Backpropagation by hand, in float64.
    const n = X.length;
    const gW1 = [[0, 0, 0]], gb1 = [0, 0, 0], gW2 = [[0], [0], [0]];
    let gb2 = 0;
    for (let i = 0; i < n; i++) {
      const hidden = [0, 1, 2].map((j) => Math.tanh(X[i]![0]! * W1[0]![j]! + b1[j]!));
      const out = hidden.reduce((s, h, j) => s + h * W2[j]![0]!, b2);
      const dOut = (2 * (out - Y[i]![0]!)) / n;
      gb2 += dOut;
      for (let j = 0; j < 3; j++) {
        gW2[j]![0]! += dOut * hidden[j]!;
        const dPre = dOut * W2[j]![0]! * (1 - hidden[j]! ** 2);
        gb1[j]! += dPre;
        gW1[0]![j]! += dPre * X[i]![0]!;
      }
    }
    expect(Object.keys(d).sort()).to.deep.equal(["W1", "W2", "b1", "b2"]);
    expectClose(d.W1!, gW1, { rtol: 1e-5 });
    expectClose(d.b1!, gb1, { rtol: 1e-5 });
    expectClose(d.W2!, gW2, { rtol: 1e-5 });
    expectClose(d.b2!, gb2, { rtol: 1e-5 });

    // A few steps of gradient descent lower the loss.
    const l0 = T(mseLoss(p, np.array(X), np.array(Y))).itemSync();
    let q = p;
    for (let i = 0; i < 5; i++) {
      const g = grad(mseLoss)(q, np.array(X), np.array(Y)) as typeof p;
      q = tree.map((a: Tensor, b: Tensor) => a.sub(b.mul(0.1)), q, g);
    }
    expect(T(mseLoss(q, np.array(X), np.array(Y))).itemSync()).to.be.below(l0);
  });
});
