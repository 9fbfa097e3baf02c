/**
 * RMSProp, Adagrad, Adadelta, Lion and LAMB: three steps against the update formulas written out
 * in float64, optax's documented examples (its docstrings' objective values), and a quadratic.
 */
import { expect } from "chai";
import { ParamState, type Tensor, ValueError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { Adadelta, Adagrad, LAMB, Lion, RMSProp } from "./index.js";
import { type Optimizer, type WeightRecord } from "./optimizer.js";
import { type CoordRule, gradsAt, referenceRun, run, weights } from "./fixtures.test-util.js";

function expectTrajectory(opt: Optimizer, rule: CoordRule): void {
  const ws = weights();
  opt.registerTrainableWeights(ws);
  const got = run(opt, ws, 3), want = referenceRun(rule);
  got.forEach((r, s) => {
    expectClose(r.w, want[s]!.w, { rtol: 1e-5, atol: 1e-6 });
    expectClose(r.b, want[s]!.b, { rtol: 1e-5, atol: 1e-6 });
  });
}

/** Float64 RMSProp for one coordinate with every option. */
const rmspropRef = (o: { lr: number; decay?: number; eps?: number; epsInSqrt?: boolean; initialScale?: number; centered?: boolean; momentum?: number; nesterov?: boolean; wd?: number }): CoordRule => () => {
  const { lr, decay = 0.9, eps = 1e-8, epsInSqrt = true, centered = false, momentum = 0, nesterov = false, wd = 0 } = o;
  let nu = o.initialScale ?? 0, mu = 0, buf = 0;
  return (w, g0) => {
    const g = g0 + wd * w;
    nu = decay * nu + (1 - decay) * g * g;
    mu = decay * mu + (1 - decay) * g;
    const ms = centered ? nu - mu * mu : nu;
    let s = g / (epsInSqrt ? Math.sqrt(ms + eps) : Math.sqrt(ms) + eps);
    if (momentum) {
      buf = momentum * buf + s;
      s = nesterov ? s + momentum * buf : buf;
    }
    return w - lr * s;
  };
};

describe("optim.RMSProp", () => {
  it("ν ← 0.9ν + 0.1g²; w ← w − lr·g/√(ν + eps) (optax defaults) for three steps", () => {
    expectTrajectory(new RMSProp({ lr: 0.01 }), rmspropRef({ lr: 0.01 }));
    // Step 1 by hand: ν = 0.1·0.25, w[0] = 1 − 0.01·0.5/√0.025
    const ws = weights();
    new RMSProp(ws, { lr: 0.01 }).update(gradsAt(0));
    expectClose([ws.w.value.dataSync()[0]!], [1 - 0.01 * 0.5 / Math.sqrt(0.025)]);
  });

  it("centered, momentum, Nesterov, eps outside the root, initial scale and coupled weight decay", () => {
    const o = { lr: 0.05, decay: 0.8, eps: 1e-3, epsInSqrt: false, initialScale: 0.5, centered: true, momentum: 0.7, nesterov: true, weightDecay: 0.1 };
    expectTrajectory(new RMSProp(o), rmspropRef({ ...o, wd: o.weightDecay }));
    expectTrajectory(new RMSProp({ lr: 0.05, centered: true, momentum: 0.9 }), rmspropRef({ lr: 0.05, centered: true, momentum: 0.9 }));
    const opt = new RMSProp(weights(), o);
    expect(Object.keys(opt.states())).to.deep.equal(["momentum.b", "momentum.w", "mu.b", "mu.w", "nu.b", "nu.w", "step"]);
    expectClose(opt.states()["nu.w"]!.value as Tensor, [0.5, 0.5]);
  });
});

describe("optim.Adagrad", () => {
  const adagradRef = (lr: number, init = 0.1, eps = 1e-7, wd = 0): CoordRule => () => {
    let s = init;
    return (w, g0) => {
      const g = g0 + wd * w;
      s += g * g;
      return s > 0 ? w - (lr * g) / Math.sqrt(s + eps) : w;
    };
  };

  it("s ← s + g²; w ← w − lr·g/√(s + eps), s starting at 0.1 (optax) for three steps", () => {
    expectTrajectory(new Adagrad({ lr: 0.5 }), adagradRef(0.5));
    expectTrajectory(new Adagrad({ lr: 0.5, initialAccumulatorValue: 0, eps: 1e-10, weightDecay: 0.2 }), adagradRef(0.5, 0, 1e-10, 0.2));
  });

  it("a coordinate with no gradient history does not move, even with eps = 0 (no 0/0)", () => {
    const w = new ParamState(np.array([1, 2]));
    new Adagrad({ w }, { lr: 1, initialAccumulatorValue: 0, eps: 0 }).update({ w: np.array([0, 3]) });
    expectClose(w.value, [1, 1]);
  });
});

describe("optim.Adadelta", () => {
  const adadeltaRef = (lr: number, rho = 0.9, eps = 1e-6, wd = 0): CoordRule => () => {
    let eG = 0, eX = 0;
    return (w, g0) => {
      const g = g0 + wd * w;
      eG = rho * eG + (1 - rho) * g * g;
      const d = (Math.sqrt(eX + eps) / Math.sqrt(eG + eps)) * g;
      eX = rho * eX + (1 - rho) * d * d;
      return w - lr * d;
    };
  };

  it("Zeiler's update with lr 1 by default, for three steps; coupled weight decay", () => {
    const opt = new Adadelta();
    expect([opt.lr, opt.rho, opt.eps, opt.weightDecay]).to.deep.equal([1, 0.9, 1e-6, 0]);
    expectTrajectory(opt, adadeltaRef(1));
    expectTrajectory(new Adadelta({ lr: 10, rho: 0.5, eps: 1e-4, weightDecay: 0.3 }), adadeltaRef(10, 0.5, 1e-4, 0.3));
  });
});

describe("optim.Lion", () => {
  const lionRef = (lr: number, b1 = 0.9, b2 = 0.99, wd = 1e-3): CoordRule => () => {
    let m = 0;
    return (w, g) => {
      const u = Math.sign(b1 * m + (1 - b1) * g);
      m = b2 * m + (1 - b2) * g;
      return w - lr * (u + wd * w);
    };
  };

  it("u = sign(β1·m + (1 − β1)·g); m ← β2·m + (1 − β2)·g; decoupled decay 1e-3 (optax) for three steps", () => {
    expectTrajectory(new Lion({ lr: 0.1 }), lionRef(0.1));
    expectTrajectory(new Lion({ lr: 0.1, beta1: 0.5, beta2: 0.9, weightDecay: 0 }), lionRef(0.1, 0.5, 0.9, 0));
    // A zero gradient with a zero moment: sign(0) = 0, only the decay moves the weight.
    const w = new ParamState(np.array([2]));
    new Lion({ w }, { lr: 0.1, weightDecay: 0.5 }).update({ w: np.array([0]) });
    expectClose(w.value, [2 - 0.1 * 0.5 * 2]);
  });
});

describe("optim.LAMB", () => {
  /** Float64 LAMB over whole leaves (the trust ratio needs the leaf's norms). */
  function lambRef(lr: number, wd: number, w0: number[], gs: number[][], b1 = 0.9, b2 = 0.999, eps = 1e-6): number[][] {
    let w = [...w0];
    const m = w.map(() => 0), v = w.map(() => 0);
    return gs.map((g, i) => {
      const t = i + 1;
      const u = w.map((wj, j) => {
        m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
        v[j] = b2 * v[j]! + (1 - b2) * g[j]! ** 2;
        return m[j]! / (1 - b1 ** t) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + eps) + wd * wj;
      });
      const wn = Math.hypot(...w), un = Math.hypot(...u);
      const ratio = wn === 0 || un === 0 ? 1 : wn / un;
      w = w.map((wj, j) => wj - lr * ratio * u[j]!);
      return w;
    });
  }

  it("Adam's direction plus decay, scaled by ‖w‖/‖u‖ per leaf, for three steps", () => {
    const ws = weights();
    const r = run(new LAMB(ws, { lr: 0.1, weightDecay: 0.01 }), ws, 3);
    const wRef = lambRef(0.1, 0.01, [1, -2], [[0.5, -1], [1, 0], [-0.5, 2]]);
    const bRef = lambRef(0.1, 0.01, [0.5], [[2], [-1], [0]]);
    r.forEach((s, i) => {
      expectClose(s.w, wRef[i]!, { rtol: 1e-5 });
      expectClose(s.b, bRef[i]!, { rtol: 1e-5 });
    });
    // Step 1 by hand for b: u = sign(2) + 0.01·0.5 = 1.005 (up to eps), ratio = 0.5/1.005, so w = 0.5 − 0.1·0.5.
    expectClose([r[0]!.b[0]!], [0.45], { rtol: 1e-5 });
  });

  it("a zero weight gets trust ratio 1 (it would never move otherwise)", () => {
    const w = new ParamState(np.zeros([2]));
    new LAMB({ w }, { lr: 0.1 }).update({ w: np.array([1, -1]) });
    expectClose(w.value, [-0.1, 0.1], { rtol: 1e-5 });
  });
});

describe("optax's documented examples: f(x) = Σx², x = [1, 2, 3], five steps", () => {
  // Copied from the docstrings of optax.rmsprop/adagrad/adadelta/lion/lamb (printed with '{:.2E}').
  const cases: [string, (w: WeightRecord) => Optimizer, string[]][] = [
    ["rmsprop(0.003)", (w) => new RMSProp(w, { lr: 0.003 }), ["1.39E+01", "1.38E+01", "1.37E+01", "1.37E+01", "1.36E+01"]],
    ["adagrad(1.0)", (w) => new Adagrad(w, { lr: 1 }), ["5.01E+00", "2.40E+00", "1.25E+00", "6.86E-01", "3.85E-01"]],
    ["adadelta(10.)", (w) => new Adadelta(w, { lr: 10 }), ["1.36E+01", "1.32E+01", "1.29E+01", "1.25E+01", "1.21E+01"]],
    ["lion(0.003)", (w) => new Lion(w, { lr: 0.003 }), ["1.40E+01", "1.39E+01", "1.39E+01", "1.39E+01", "1.38E+01"]],
    ["lamb(0.003)", (w) => new LAMB(w, { lr: 0.003 }), ["1.39E+01", "1.38E+01", "1.38E+01", "1.37E+01", "1.36E+01"]],
  ];
  for (const [name, make, printed] of cases) {
    it(`optax.${name}`, () => {
      const x = new ParamState(np.array([1, 2, 3]));
      const opt = make({ x });
      const seen = printed.map(() => {
        opt.update({ x: x.value.mul(2) });
        const f = np.sum(x.value.square()).itemSync();
        return f.toExponential(2).toUpperCase().replace(/E([+-])(\d)$/, "E$10$2");
      });
      expect(seen).to.deep.equal(printed);
    });
  }
});

describe("every new optimizer decreases a quadratic", () => {
  const c = np.array([3, -1, 0.5]);
  const loss = (x: Tensor) => np.sum(x.sub(c).square()).itemSync();
  const cases: [string, (w: WeightRecord) => Optimizer][] = [
    ["RMSProp", (w) => new RMSProp(w, { lr: 0.05 })],
    ["RMSProp centered + momentum", (w) => new RMSProp(w, { lr: 0.01, centered: true, momentum: 0.9 })],
    ["Adagrad", (w) => new Adagrad(w, { lr: 0.5 })],
    ["Adadelta", (w) => new Adadelta(w, { lr: 20 })],
    ["Lion", (w) => new Lion(w, { lr: 0.02 })],
    ["LAMB", (w) => new LAMB(w, { lr: 0.05 })],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const x = new ParamState(np.array([0.1, 0.1, 0.1]));
      const opt = make({ x });
      const start = loss(x.value);
      for (let i = 0; i < 150; i++) opt.update({ x: x.value.sub(c).mul(2) });
      expect(loss(x.value), name).to.be.below(start / 20);
    });
  }
});

describe("new optimizers: hyperparameter errors are ValueErrors naming the option", () => {
  it("rejects out-of-range values", () => {
    expect(() => new RMSProp({ lr: -0.1 })).to.throw(ValueError, /optim.RMSProp: lr must be in \[0, Infinity\), got -0.1/);
    expect(() => new RMSProp({ lr: 0.1, decay: 1 })).to.throw(ValueError, /optim.RMSProp: decay must be in \[0, 1\), got 1/);
    expect(() => new RMSProp({ lr: 0.1, momentum: -0.5 })).to.throw(ValueError, /momentum must be in \[0, 1\)/);
    expect(() => new RMSProp({} as never)).to.throw(ValueError, /optim.RMSProp: a learning rate is required/);
    expect(() => new Adagrad({ lr: 0.1, initialAccumulatorValue: -1 })).to.throw(ValueError, /initialAccumulatorValue must be in/);
    expect(() => new Adadelta({ rho: 1.5 })).to.throw(ValueError, /optim.Adadelta: rho must be in \[0, 1\), got 1.5/);
    expect(() => new Lion({ lr: 1e-4, beta1: 2 })).to.throw(ValueError, /optim.Lion: beta1 must be in \[0, 1\], got 2/);
    expect(() => new Lion({ lr: 1e-4, beta2: -0.1 })).to.throw(ValueError, /optim.Lion: beta2 must be in/);
    expect(() => new LAMB({ lr: 1e-3, beta2: 1 })).to.throw(ValueError, /optim.LAMB: beta2 must be in \[0, 1\), got 1/);
    expect(() => new LAMB({ lr: 1e-3, eps: -1 })).to.throw(ValueError, /optim.LAMB: eps must be in/);
    expect(() => new Lion({ lr: 1e-4, weightDecay: -1 })).to.throw(ValueError, /optim.Lion: weightDecay must be in/);
  });
});
