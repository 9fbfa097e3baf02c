/** grad, valueAndGrad, vectorGrad, GradientTransform and the return table (API.md §2). */
import { expect } from "chai";
import {
  ConcretizationError, DTypeError, KilnError, type Tensor, interning, ValueError, np, stopGradient, tree,
} from "@kiln/core";
import { GradientTransform, type TransformFn, grad, gradResult, valueAndGrad, vectorGrad } from "./index.js";
import { transformStats } from "./trace.js";
import { expectClose } from "@kiln/core/testing";

const T = (v: unknown) => v as Tensor;

describe("grad", () => {
  it("differentiates a JS number argument as float32: d(x²)/dx at 3 is 6", () => {
    const g = T(grad((x: Tensor) => x.mul(x))(3));
    expect(g.dtype).to.equal("float32");
    expect(g.shape).to.deep.equal([]);
    expect(g.itemSync()).to.equal(6);
  });

  it("differentiates compositions: d sin(x²) = 2x cos(x²)", () => {
    const g = grad((x: Tensor) => np.sin(x.pow(2)));
    for (const x of [-3, -1.2, 0, 0.4, 2.5]) expect(T(g(x)).itemSync()).to.be.closeTo(2 * x * Math.cos(x * x), 1e-5);
  });

  it("takes argnums: f(x, y) = x²y + y³ at (2, 3)", () => {
    // Non-differentiated JS numbers stay numbers (as Python floats under jax.grad): use np.* on them.
    const f = (x: Tensor | number, y: Tensor | number) => np.add(np.multiply(np.power(x, 2), y), np.power(y, 3));
    expect(T(grad(f)(2, 3)).itemSync()).to.equal(12);
    expect(T(grad(f, { argnums: 1 })(2, 3)).itemSync()).to.equal(31);
    expect(T(grad(f, { argnums: -1 })(2, 3)).itemSync()).to.equal(31);
    const both = grad(f, { argnums: [1, 0] })(2, 3) as Tensor[];
    expect(both.map((t) => t.itemSync())).to.deep.equal([31, 12]);
    expect(grad(f, { argnums: [] })(np.array(2), np.array(3))).to.deep.equal([]);
  });

  it("gives gradients of vector, matrix, float64 and empty arguments their shapes and dtypes", () => {
    expectClose(T(grad((x: Tensor) => x.pow(2).sum())(np.array([1, 2, 3]))), [2, 4, 6]);
    const m = np.array([[1, -2], [3, 0.5]]);
    expectClose(T(grad((x: Tensor) => x.mul(x).mul(x).sum())(m)), [[3, 12], [27, 0.75]]);
    const d = T(grad((x: Tensor) => x.exp().sum())(np.array([0, 1], { dtype: "float64" })));
    expect(d.dtype).to.equal("float64");
    expectClose(d, [1, Math.E], { rtol: 1e-12 });
    const e = T(grad((x: Tensor) => x.sum())(np.zeros([0, 3])));
    expect(e.shape).to.deep.equal([0, 3]);
  });

  it("returns gradients in the structure of pytree arguments", () => {
    const f = (p: { w: Tensor; b: Tensor; meta: [Tensor, null] }) => p.w.mul(p.b).add(p.meta[0].mul(3)).sum();
    const g = grad(f)({ w: np.array([1, 2]), b: np.array([5, 7]), meta: [np.array(4), null] }) as { w: Tensor; b: Tensor; meta: [Tensor, null] };
    expect(Object.keys(g).sort()).to.deep.equal(["b", "meta", "w"]);
    expectClose(g.w, [5, 7]);
    expectClose(g.b, [1, 2]);
    expectClose(g.meta[0], 6);
    expect(g.meta[1]).to.equal(null);
    // JS numbers inside a differentiated pytree are float32 leaves too.
    const h = grad((p: { x: Tensor; y: Tensor }) => p.x.mul(p.y))({ x: 1, y: 2 }) as { x: Tensor; y: Tensor };
    expect([h.x.itemSync(), h.y.itemSync()]).to.deep.equal([2, 1]);
  });

  it("treats closed-over values as constants, even the very tensor it differentiates at", () => {
    const x = np.array([1, 2, 3]);
    expectClose(T(grad((y: Tensor) => y.mul(x).sum())(x)), [1, 2, 3]);
    // the closed-over x is not the argument: d(x·y²)/dy = 2xy, x held fixed
    expectClose(T(grad((y: Tensor) => y.mul(y).mul(x).sum())(x)), [2, 8, 18]);
  });

  it("supports value-dependent JS control flow on traced values (as JAX's grad, unlike jit)", () => {
    const f = (x: Tensor) => (x.itemSync() > 0 ? x.mul(x).mul(x) : x.neg());
    expect(T(grad(f)(2)).itemSync()).to.equal(12);
    expect(T(grad(f)(-2)).itemSync()).to.equal(-1);
    // Reading an intermediate does not freeze it: y stays differentiable after y.itemSync().
    const g = (x: Tensor) => {
      const y = x.mul(3);
      return y.itemSync() > 1 ? y.mul(y) : y;
    };
    expect(T(grad(g)(1)).itemSync()).to.equal(18);
    expect(T(grad(g)(0.1)).itemSync()).to.be.closeTo(3, 1e-6);
    // Arrays too: the sum of a traced vector.
    const h = (v: Tensor) => (v.sum().itemSync() > 0 ? v.mul(v).sum() : v.sum());
    expectClose(T(grad(h)(np.array([1, 2]))), [2, 4]);
    expectClose(T(grad(h)(np.array([-1, -2]))), [1, 1]);
  });

  it("respects stopGradient", () => {
    expect(T(grad((x: Tensor) => stopGradient(x).mul(x))(3)).itemSync()).to.equal(3);
  });

  it("gives zeros for arguments the output does not depend on and for constant functions", () => {
    expectClose(T(grad((x: Tensor, y: Tensor) => y.mul(2), { argnums: 0 })(np.array([1, 2]), np.array(3))), [0, 0]);
    expect(grad(() => 5, { argnums: [] })()).to.deep.equal([]);
    expect(T(grad((_x: Tensor) => 5)(1)).itemSync()).to.equal(0);
  });

  it("passes non-differentiated arguments through: JS numbers stay numbers, Tensors of any dtype", () => {
    expect(T(grad((x: Tensor, n: number) => (n > 2 ? x.mul(n) : x))(2, 3)).itemSync()).to.equal(3);
    const n = np.array(3, { dtype: "int32" });
    expect(T(grad((x: Tensor, k: Tensor) => x.mul(k))(2, n)).itemSync()).to.equal(3);
    const g = grad((x: Tensor, opts: { scale: number; name: string }) => x.mul(opts.scale));
    expect(T(g(2, { scale: 4, name: "s" })).itemSync()).to.equal(4);
  });

  it("composes with itself: higher derivatives of x³ and x⁴", () => {
    const cube = (x: Tensor) => x.pow(3);
    expect(T(grad(grad(cube))(2)).itemSync()).to.equal(12);
    expect(T(grad(grad(grad((x: Tensor) => x.pow(4))))(1)).itemSync()).to.equal(24);
    expect(T(grad(grad((x: Tensor) => x.sin()))(0.3)).itemSync()).to.be.closeTo(-Math.sin(0.3), 1e-6);
  });

  it("has no perturbation confusion between nested transforms", () => {
    // d/dx [x · d/dy (x + y)] = d/dx [x] = 1
    expect(T(grad((x: Tensor) => x.mul(T(grad((y: Tensor) => x.add(y))(1))))(2)).itemSync()).to.equal(1);
    // d/dx [d/dy (x y²) at y = x] = d/dx 2x² = 4x
    expect(T(grad((x: Tensor) => T(grad((y: Tensor) => x.mul(y).mul(y))(x)))(3)).itemSync()).to.equal(12);
  });

  it("returns lazy tensors: nothing is computed by the transform", () => {
    const g = T(grad((x: Tensor) => x.exp().sum())(np.array([0, 1])));
    expect(g.node.prim).to.not.equal("data");
    expectClose(g, [1, Math.E]);
  });
});

describe("grad: errors", () => {
  it("rejects non-scalar outputs with JAX's TypeError", () => {
    expect(() => grad((x: Tensor) => x)(np.zeros([2]))).to.throw(TypeError, /^Gradient only defined for scalar-output functions\. Output had shape \[2\]\.$/);
    expect(() => grad((x: Tensor) => x.mul(2))(np.zeros([2, 3]))).to.throw(TypeError, "Output had shape [2, 3].");
    expect(() => grad((x: Tensor) => [x.sum(), x])(np.zeros([2]))).to.throw(TypeError, /pass hasAux: true/);
    expect(() => grad((x: Tensor) => ({ a: x.sum() }))(np.zeros([2]))).to.throw(TypeError, /scalar-output/);
  });

  it("rejects bad argnums with a ValueError naming argnums and the arity", () => {
    const f = (x: Tensor, y: Tensor) => x.mul(y);
    expect(() => grad(f, { argnums: 2 })(1, 2)).to.throw(ValueError, /argnums 2 is out of range for a function called with 2 positional argument/);
    expect(() => grad(f, { argnums: [0, -3] })(1, 2)).to.throw(ValueError, /argnums \[0,-3\]/);
    expect(() => grad(f, { argnums: [0, 0] })).to.throw(ValueError, /argnums \[0,0\] contains duplicates/);
    expect(() => grad(f, { argnums: [1, -1] })(1, 2)).to.throw(ValueError, /argnums \[1,-1\] names the same argument twice for a function called with 2/);
    expect(() => grad(f, { argnums: 1.5 })).to.throw(ValueError, /argnums must be integers/);
    expect(() => grad(f, { argnums: "0" as unknown as number })).to.throw(ValueError, /argnums must be an integer or an array/);
  });

  it("rejects hasAux functions that do not return a pair", () => {
    expect(() => grad((x: Tensor) => x.sum(), { hasAux: true })(np.ones([2]))).to.throw(ValueError, /hasAux: true.*must return a pair \[value, aux\]; it returned Tensor/);
    expect(() => grad((x: Tensor) => [x.sum()], { hasAux: true })(np.ones([2]))).to.throw(ValueError, /array of length 1/);
  });

  it("rejects int and bool differentiated inputs and int outputs with a DTypeError", () => {
    const f = (x: Tensor) => x.sum();
    expect(() => grad(f)(np.array([1, 2], { dtype: "int32" }))).to.throw(DTypeError, /grad requires real-valued \(float\) inputs.*argument 0.*int32/);
    expect(() => grad(f)(np.array([true]))).to.throw(DTypeError, /bool/);
    expect(() => grad(f)(true)).to.throw(DTypeError, /boolean/);
    expect(() => grad(f)("x")).to.throw(ValueError, /argument 0 has a leaf that is a string/);
    expect(() => grad((x: Tensor) => x.astype("int32"))(1.5)).to.throw(DTypeError, /real-valued \(float\) outputs.*int32/);
  });

  it("rejects gradStates that are not States and a non-function", () => {
    expect(() => grad((x: Tensor) => x, { gradStates: { w: np.ones([1]) } })).to.throw(ValueError, /gradStates must be a State, an array or a record of States.*found an object \(Tensor\)/);
    expect(() => grad(5 as unknown as () => Tensor)).to.throw(ValueError, /expected a function/);
  });

  it("leaves no binding behind: a value leaked from the traced function cannot be read later", () => {
    let leaked: Tensor | null = null;
    grad((x: Tensor) => ((leaked = x.mul(2)), x.sum()))(np.ones([2]));
    expect(() => leaked!.dataSync()).to.throw(ConcretizationError, /traced argument/);
  });

  it("lets the user's own errors through and stays usable afterwards", () => {
    const g = grad((x: Tensor) => {
      if (x.itemSync() < 0) throw new RangeError("negative");
      return x.mul(x);
    });
    expect(() => g(-1)).to.throw(RangeError, "negative");
    expect(T(g(2)).itemSync()).to.equal(4);
  });

  it("uses KilnError subclasses for every error but the JAX-compatible TypeError", () => {
    try {
      grad((x: Tensor) => x)(np.array([1, 2], { dtype: "int32" }));
    } catch (e) {
      expect(e).to.be.instanceOf(KilnError);
    }
  });
});

describe("valueAndGrad", () => {
  it("returns [value, grads] as JAX does", () => {
    const [v, g] = valueAndGrad((x: Tensor) => x.mul(x).sum())(np.array([1, 2])) as [Tensor, Tensor];
    expect(v.itemSync()).to.equal(5);
    expectClose(g, [2, 4]);
  });

  it("returns [[value, aux], grads] with hasAux, and takes argnums", () => {
    const f = (x: Tensor, y: Tensor) => [x.mul(y), { ratio: x.div(y) }];
    const [[v, aux], [gx, gy]] = valueAndGrad(f, { hasAux: true, argnums: [0, 1] })(3, 4) as [[Tensor, { ratio: Tensor }], Tensor[]];
    expect([v.itemSync(), aux.ratio.itemSync(), gx!.itemSync(), gy!.itemSync()]).to.deep.equal([12, 0.75, 4, 3]);
  });
});

describe("vectorGrad", () => {
  it("is the gradient of the sum of all outputs (no scalar check)", () => {
    const f = (x: Tensor) => np.stack([x.get(0).mul(x.get(1)), x.get(0).sin(), x.get(0).pow(2).add(x.get(1).pow(2))]);
    expectClose(T(vectorGrad(f)(np.array([1, 2]))), [2 + Math.cos(1) + 2, 1 + 4], { rtol: 1e-6 });
    const a = np.array([0, 1, 2, 3]);
    const b = np.array([0.1, 0.5, 1, 2]);
    const [ga, gb] = vectorGrad((p: Tensor, q: Tensor) => q.sin().mul(p), { argnums: [0, 1] })(a, b) as Tensor[];
    expectClose(ga!, [0.1, 0.5, 1, 2].map(Math.sin), { rtol: 1e-6 });
    expectClose(gb!, [0, 1, 2, 3].map((v, i) => v * Math.cos([0.1, 0.5, 1, 2][i]!)), { rtol: 1e-6 });
  });

  it("sums over pytree outputs and follows the table with returnValue and hasAux", () => {
    const f = (x: Tensor) => [{ a: x.mul(x), b: x.mul(3) }, "note"];
    const [g, value, aux] = vectorGrad(f, { hasAux: true, returnValue: true })(np.array([1, 2])) as [Tensor, { a: Tensor }, string];
    expectClose(g, [5, 7]);
    expectClose(value.a, [1, 4]);
    expect(aux).to.equal("note");
  });
});

describe("the return table (gradStates absent)", () => {
  const f = (x: Tensor) => [x.mul(x), { twice: x.mul(2) }] as const;
  const plain = (x: Tensor) => x.mul(x);
  it("hasAux false, returnValue false -> argGrads", () => {
    expect(T(grad(plain)(3)).itemSync()).to.equal(6);
  });
  it("hasAux true, returnValue false -> [argGrads, aux]", () => {
    const [g, aux] = grad(f, { hasAux: true })(3) as [Tensor, { twice: Tensor }];
    expect([g.itemSync(), aux.twice.itemSync()]).to.deep.equal([6, 6]);
  });
  it("hasAux false, returnValue true -> [argGrads, loss]", () => {
    const [g, loss] = grad(plain, { returnValue: true })(3) as Tensor[];
    expect([g!.itemSync(), loss!.itemSync()]).to.deep.equal([6, 9]);
  });
  it("hasAux true, returnValue true -> [argGrads, loss, aux], with array argnums", () => {
    const [[g], loss, aux] = grad(f, { hasAux: true, returnValue: true, argnums: [0] })(3) as [Tensor[], Tensor, { twice: Tensor }];
    expect([g!.itemSync(), loss.itemSync(), aux.twice.itemSync()]).to.deep.equal([6, 9, 6]);
  });
  it("passes aux through untouched, non-Tensor leaves included", () => {
    const tag = { name: "run" };
    const [, aux] = grad((x: Tensor) => [x.sum(), { tag, n: 3, s: "ok" }], { hasAux: true })(np.ones([2])) as [Tensor, { tag: object; n: number; s: string }];
    expect(aux.tag).to.equal(tag);
    expect([aux.n, aux.s]).to.deep.equal([3, "ok"]);
  });

  it("gradResult lays out all twelve rows (State rows included)", () => {
    const parts = { varGrads: "V", argGrads: "A", value: "L", aux: "X" };
    const rows: [boolean, boolean, boolean, boolean, unknown][] = [
      [false, true, false, false, "A"], [false, true, true, false, ["A", "X"]], [false, true, false, true, ["A", "L"]], [false, true, true, true, ["A", "L", "X"]],
      [true, false, false, false, "V"], [true, false, true, false, ["V", "X"]], [true, false, false, true, ["V", "L"]], [true, false, true, true, ["V", "L", "X"]],
      [true, true, false, false, ["V", "A"]], [true, true, true, false, [["V", "A"], "X"]], [true, true, false, true, [["V", "A"], "L"]], [true, true, true, true, [["V", "A"], "L", "X"]],
    ];
    for (const [states, args, hasAux, returnValue, want] of rows) {
      expect(gradResult(parts, { states, args, hasAux, returnValue }), JSON.stringify({ states, args, hasAux, returnValue })).to.deep.equal(want);
    }
  });
});

describe("GradientTransform", () => {
  // Seed 002 §6: a scaled-gradient and a clipped-gradient transform, each a few lines.
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
      const leaves = tree.leaves(g) as Tensor[];
      const norm = leaves.map((t) => t.square().sum()).reduce((a, b) => a.add(b)).sqrt();
      const s = np.minimum(1, np.divide(maxNorm, norm.add(1e-6)));
      return [tree.map((t: Tensor) => t.mul(s), g), aux];
    };
  };
  // Seed 002's linear regression: xs = linspace(-1, 1, 5), y = 3x + 1, w = b = 0.
  const xs = np.array([[-1], [-0.5], [0], [0.5], [1]]);
  const ys = xs.mul(3).add(1);
  const mse = (p: { weight: Tensor; bias: Tensor }, x: Tensor, y: Tensor) => np.mean(x.matmul(p.weight).add(p.bias).sub(y).square());
  const params = { weight: np.zeros([1, 1]), bias: np.zeros([1]) };

  it("is callable like grad and is what grad returns", () => {
    const g = grad(mse);
    expect(g).to.be.instanceOf(GradientTransform);
    expect(g).to.be.instanceOf(Function);
    expect(typeof g).to.equal("function");
    expectClose((g.apply(null, [params, xs, ys]) as { bias: Tensor }).bias, [-2]);
    const r = g(params, xs, ys) as { weight: Tensor; bias: Tensor };
    expectClose(r.bias, [-2]);
    expectClose(r.weight, [[-3]]);
  });

  it("runs a custom scaled-gradient transform with transformParams and the return table", () => {
    const g = new GradientTransform(mse, { transform: scaled, transformParams: { scale: 0.5 }, returnValue: true });
    const [r, loss] = g(params, xs, ys) as [{ weight: Tensor; bias: Tensor }, Tensor];
    expectClose(r.bias, [-1]);
    expectClose(r.weight, [[-1.5]]);
    expect(loss.itemSync()).to.be.closeTo(5.5, 1e-6);
  });

  it("runs a custom clipped-gradient transform (global norm 0.1)", () => {
    const g = new GradientTransform(mse, { transform: clipped, transformParams: { maxNorm: 0.1 } });
    const r = g(params, xs, ys) as { weight: Tensor; bias: Tensor };
    const s = 0.1 / (Math.sqrt(13) + 1e-6);
    expectClose(r.bias, [-2 * s], { rtol: 1e-5 });
    expectClose(r.weight, [[-3 * s]], { rtol: 1e-5 });
  });

  it("hands the transform argnums and hasAux: true, and checks what it returns", () => {
    let seen: unknown = null;
    const spy: TransformFn = (f, opts) => {
      seen = opts;
      return (...args) => [1, f(...args)[1]];
    };
    const g = new GradientTransform((x: Tensor, y: Tensor) => np.multiply(x, y), { transform: spy, argnums: [1, -2], transformParams: { k: 1 } });
    expect(seen).to.equal(null); // handed over on the first call, once argnums can be resolved against the arity
    expect(g(1, 2)).to.equal(1);
    expect(seen).to.deep.equal({ k: 1, argnums: [1, 0], hasAux: true });
    const bad = new GradientTransform((x: Tensor) => x, { transform: () => () => 5 as unknown as [unknown, unknown] });
    expect(() => bad(1)).to.throw(ValueError, /the transform's function must return a pair/);
    const lost = new GradientTransform((x: Tensor) => x, { transform: () => () => [1, "aux"] });
    expect(() => lost(1)).to.throw(ValueError, /the transform must return as its aux the aux of its function f unchanged; got a string/);
    expect(() => new GradientTransform((x: Tensor) => x, {} as never)).to.throw(ValueError, /options.transform must be a function/);
  });
});

describe("trace caching", () => {
  it("derives once per signature and reuses the derived graph", () => {
    const g = grad((x: Tensor) => x.mul(x).sin().sum());
    const before = { ...transformStats };
    expectClose(T(g(np.array([1, 2]))), [1, 2].map((v) => 2 * v * Math.cos(v * v)), { rtol: 1e-5 });
    expectClose(T(g(np.array([3, 0.5]))), [3, 0.5].map((v) => 2 * v * Math.cos(v * v)), { rtol: 1e-5 });
    expectClose(T(g(np.array([0.1, 0.2]))), [0.1, 0.2].map((v) => 2 * v * Math.cos(v * v)), { rtol: 1e-5 });
    expect(transformStats.derivations - before.derivations).to.equal(1);
    expect(transformStats.cacheHits - before.cacheHits).to.equal(2);
    // A new signature (shape) derives again.
    expectClose(T(g(np.array([1, 2, 3]))), [1, 2, 3].map((v) => 2 * v * Math.cos(v * v)), { rtol: 1e-5 });
    expect(transformStats.derivations - before.derivations).to.equal(2);
  });

  it("derives again when the traced graph changes (a different closure value or branch)", () => {
    let c = np.array(2);
    const g = grad((x: Tensor) => (x.itemSync() > 0 ? x.mul(c) : x.mul(x)));
    const before = transformStats.derivations;
    expect(T(g(1)).itemSync()).to.equal(2);
    c = np.array(5);
    expect(T(g(1)).itemSync()).to.equal(5);
    expect(T(g(-3)).itemSync()).to.equal(-6);
    expect(transformStats.derivations - before).to.equal(3);
  });

  it("identical calls reuse the derived graph; eager results are values, shared only inside a graph build", () => {
    const g = grad((x: Tensor) => x.pow(3).sum());
    const x = np.array([1, 2]);
    T(g(x));
    const before = transformStats.derivations;
    // An eager result is not interned (a synchronous loop would keep each one until it yields).
    expect(T(g(x)).toArraySync()).to.deep.equal(T(g(x)).toArraySync());
    expect(transformStats.derivations).to.equal(before);
    interning(() => expect(T(g(x)).node).to.equal(T(g(x)).node));
  });
});
