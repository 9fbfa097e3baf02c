/** customVjp and customJvp: the rules are used, compose, and misuse is reported. */
import { expect } from "chai";
import { DTypeError, ShapeError, type Tensor, ValueError, np, topoSort } from "@kiln/core";
import { customJvp, customVjp, grad, hessian, jacfwd, jacrev, jvp, vjp } from "./index.js";
import { expectClose } from "@kiln/core/testing";

const T = (v: unknown) => v as Tensor;

describe("customVjp", () => {
  // Seed 000 §9: identity forward, clipped cotangent backward.
  const clipGradient = customVjp((x: Tensor, _threshold: number) => x);
  clipGradient.defVjp((x: Tensor, threshold: number) => [x, threshold], (threshold: number, g: Tensor) => [g.clip(-threshold, threshold), null]);

  it("uses the backward rule: clipped gradients of sum(x³) at [2, -3, 1] are [0.5, 0.5, 0.5]", () => {
    const x = np.array([2, -3, 1]);
    expectClose(T(grad((v: Tensor) => clipGradient(v, 0.5).pow(3).sum())(x)), [0.5, 0.5, 0.5]);
    // without the clip: 3x²
    expectClose(T(grad((v: Tensor) => v.pow(3).sum())(x)), [12, 27, 3]);
    // a threshold wider than the gradients leaves them
    expectClose(T(grad((v: Tensor) => clipGradient(v, 100).pow(3).sum())(x)), [12, 27, 3]);
  });

  it("computes the function itself when called outside a transform (no barrier in the graph)", () => {
    const y = T(clipGradient(np.array([1, 2]), 0.5));
    expectClose(y, [1, 2]);
    expect(topoSort([y.node]).some((n) => n.prim === "stopGradient")).to.equal(false);
  });

  it("passes residuals from fwd to bwd and applies the rule to pytree arguments and outputs", () => {
    // f({a, b}) = {p: a·b, s: a + b} with a deliberately doubled backward rule.
    const f = customVjp((t: { a: Tensor; b: Tensor }) => ({ p: t.a.mul(t.b), s: t.a.add(t.b) }));
    f.defVjp(
      (t: { a: Tensor; b: Tensor }) => [{ p: t.a.mul(t.b), s: t.a.add(t.b) }, [t.a, t.b]],
      ([a, b]: Tensor[], g: { p: Tensor; s: Tensor }) => [{ a: g.p.mul(b!).add(g.s).mul(2), b: g.p.mul(a!).add(g.s).mul(2) }],
    );
    const g = grad((t: { a: Tensor; b: Tensor }) => {
      const r = f(t) as { p: Tensor; s: Tensor };
      return r.p.add(r.s.mul(3)).sum();
    })({ a: np.array([1, 2]), b: np.array([5, 7]) }) as { a: Tensor; b: Tensor };
    expectClose(g.a, [2 * (5 + 3), 2 * (7 + 3)]);
    expectClose(g.b, [2 * (1 + 3), 2 * (2 + 3)]);
  });

  it("passes nondiffArgnums to bwd first and gives them no cotangent", () => {
    const scale = customVjp((k: number, x: Tensor) => x.mul(k), { nondiffArgnums: [0] });
    scale.defVjp((k: number, x: Tensor) => [x.mul(k), null], (k: number, _res: null, g: Tensor) => [g.mul(k * 10)]);
    expectClose(T(grad((x: Tensor) => T(scale(2, x)).sum())(np.array([1, 1]))), [20, 20]);
    expectClose(T(scale(2, np.array([1, 3]))), [2, 6]);
  });

  it("is differentiated again through its backward rule (grad of grad, jacrev of grad)", () => {
    const sin = customVjp((x: Tensor) => x.sin());
    sin.defVjp((x: Tensor) => [x.sin(), x], (x: Tensor, g: Tensor) => [g.mul(x.cos())]);
    expect(T(grad(grad((x: Tensor) => T(sin(x))))(0.5)).itemSync()).to.be.closeTo(-Math.sin(0.5), 1e-6);
    expectClose(T(jacrev(grad((x: Tensor) => T(sin(x)).sum()))(np.array([0.5, 1]))), [[-Math.sin(0.5), 0], [0, -Math.sin(1)]], { rtol: 1e-5 });
    const [, f] = vjp((x: Tensor) => T(sin(x)), np.array(0.2));
    expect(T(f(1)[0]).itemSync()).to.be.closeTo(Math.cos(0.2), 1e-6);
  });

  it("refuses forward mode, as JAX", () => {
    expect(() => jvp((x: Tensor) => T(clipGradient(x, 1)), [np.array([1])], [np.array([1])])).to.throw(ValueError, /can't apply forward-mode autodiff.*customVjp/);
    expect(() => hessian((x: Tensor) => T(clipGradient(x, 1)).pow(2).sum())(np.array([1]))).to.throw(ValueError, /forward-mode/);
  });

  it("reports misuse", () => {
    const f = customVjp((x: Tensor) => x.mul(2));
    expect(() => f(np.ones([1]))).to.throw(ValueError, /customVjp\(.*\): no backward rule defined; call defVjp/);
    expect(() => f.defVjp(null as never, null as never)).to.throw(ValueError, /defVjp\(fwd, bwd\) takes two functions/);
    f.defVjp((x: Tensor) => [x.mul(2), null], () => [] as unknown[]);
    expect(() => grad((x: Tensor) => T(f(x)).sum())(np.ones([2]))).to.throw(ValueError, /bwd must return an array with one cotangent per differentiable argument \(1\), got 0 entries/);
    f.defVjp((x: Tensor) => [x.mul(2), null], () => [np.ones([3])]);
    expect(() => grad((x: Tensor) => T(f(x)).sum())(np.ones([2]))).to.throw(ShapeError, /cotangent 0 has shape \[3\] but should have shape \[2\]/);
    f.defVjp((x: Tensor) => [x.mul(2), null], () => [np.ones([2], { dtype: "float64" })]);
    expect(() => grad((x: Tensor) => T(f(x)).sum())(np.ones([2]))).to.throw(DTypeError, /dtype float64 but should be float32/);
    f.defVjp((x: Tensor) => x as never, () => []);
    expect(() => grad((x: Tensor) => T(f(x)).sum())(np.ones([2]))).to.throw(ValueError, /fwd must return a pair/);
    expect(() => customVjp((x: Tensor) => x, { nondiffArgnums: [0, 0] })).to.throw(ValueError, /contains duplicates/);
    expect(() => customVjp((x: Tensor) => x, { nondiffArgnums: [-1] })).to.throw(ValueError, /non-negative integers/);
    const g = customVjp((x: Tensor) => x, { nondiffArgnums: [3] });
    g.defVjp((x: Tensor) => [x, null], () => []);
    expect(() => g(np.ones([1]))).to.throw(ValueError, /nondiffArgnums 3 is out of range for a call with 1 argument/);
  });
});

describe("customJvp", () => {
  it("uses the forward rule in forward and (transposed) reverse mode", () => {
    const f = customJvp((x: Tensor) => x.sin());
    f.defJvp(([x]: Tensor[], [t]: Tensor[]) => [x!.sin(), t!.mul(x!.cos()).mul(10)]);
    const [y, t] = jvp((x: Tensor) => T(f(x)), [np.array(0.5)], [np.array(2)]);
    expect(T(y).itemSync()).to.be.closeTo(Math.sin(0.5), 1e-6);
    expect(T(t).itemSync()).to.be.closeTo(20 * Math.cos(0.5), 1e-5);
    expect(T(grad((x: Tensor) => T(f(x)))(0.5)).itemSync()).to.be.closeTo(10 * Math.cos(0.5), 1e-5);
    // Higher order: the rule itself is differentiated.
    expect(T(grad(grad((x: Tensor) => T(f(x))))(0.5)).itemSync()).to.be.closeTo(-10 * Math.sin(0.5), 1e-5);
    expectClose(T(jacfwd((x: Tensor) => T(f(x)))(np.array([0, 1]))), [[10, 0], [0, 10 * Math.cos(1)]], { rtol: 1e-5 });
  });

  it("makes a numerically safe log(1 + eˣ) (JAX's custom_jvp example): gradient 1 at x = 1000", () => {
    const naive = (x: Tensor) => np.log(np.add(1, np.exp(x)));
    expect(Number.isNaN(T(grad(naive)(1000)).itemSync())).to.equal(true);
    const safe = customJvp(naive);
    safe.defJvp(([x]: Tensor[], [t]: Tensor[]) => [naive(x!), t!.mul(np.subtract(1, np.divide(1, np.add(1, np.exp(x!)))))]);
    expect(T(grad((x: Tensor) => T(safe(x)))(1000)).itemSync()).to.equal(1);
    expect(T(grad((x: Tensor) => T(safe(x)))(0)).itemSync()).to.be.closeTo(0.5, 1e-6);
  });

  it("handles several arguments, pytrees and nondiffArgnums", () => {
    const f = customJvp((n: number, p: { a: Tensor; b: Tensor }) => p.a.mul(p.b).mul(n), { nondiffArgnums: [0] });
    f.defJvp((n: number, [p]: { a: Tensor; b: Tensor }[], [t]: { a: Tensor; b: Tensor }[]) => [f(n, p!), t!.a.mul(p!.b).add(p!.a.mul(t!.b)).mul(n)]);
    const g = grad((p: { a: Tensor; b: Tensor }) => T(f(3, p)).sum())({ a: np.array([1, 2]), b: np.array([4, 5]) }) as { a: Tensor; b: Tensor };
    expectClose(g.a, [12, 15]);
    expectClose(g.b, [3, 6]);
  });

  it("reports misuse", () => {
    const f = customJvp((x: Tensor) => x);
    expect(() => f(np.ones([1]))).to.throw(ValueError, /no forward rule defined; call defJvp/);
    expect(() => f.defJvp(5 as never)).to.throw(ValueError, /defJvp\(rule\) takes a function/);
    f.defJvp(() => 1 as never);
    expect(() => grad((x: Tensor) => T(f(x)).sum())(np.ones([2]))).to.throw(ValueError, /the jvp rule must return a pair/);
    f.defJvp((p: Tensor[]) => [p[0], [1, 2]]);
    expect(() => jvp((x: Tensor) => T(f(x)), [np.ones([2])], [np.ones([2])])).to.throw(ValueError, /tangentOut has structure \[\*,\*\] but the function's output has \*/);
  });
});

describe("custom calls in a long JS loop (BPTT through spikes, issue 16)", () => {
  // tanh with its exact derivative as the custom rule: the loop's gradient must equal plain tanh's.
  const customTanh = customVjp((x: Tensor) => np.tanh(x));
  customTanh.defVjp((x: Tensor) => [np.tanh(x), np.tanh(x)], (y: Tensor, g: Tensor) => [g.mul(y.square().neg().add(1))]);
  const xs = np.linspace(-1, 1, 64, { dtype: "float64" }).reshape([64, 1]);
  const unrolled = (act: (x: Tensor) => Tensor, steps: number) => (w: Tensor) => {
    let h = np.zeros([1], { dtype: "float64" });
    // As a LIF neuron: the state carries over directly (leak) and through the call (reset).
    for (let t = 0; t < steps; t++) h = h.mul(0.9).add(xs.get(t).mul(w)).sub(act(h).mul(0.5));
    return h.sum();
  };

  it("the gradient equals the plain function's, and its graph grows linearly with the number of calls (one reverse sweep)", () => {
    const w = np.array([0.7], { dtype: "float64" });
    const sizes = [16, 32].map((steps) => {
      const g = T(grad(unrolled((x) => T(customTanh(x)), steps))(w));
      const size = topoSort([g.node]).length; // before realizing: that replaces the graph by its value
      expectClose(g, T(grad(unrolled(np.tanh, steps))(w)).dataSync() as Float64Array, { rtol: 1e-12 });
      return size;
    });
    // A reverse pass per call down to the earlier calls made this quadratic (ratio ~4).
    expect(sizes[1]! / sizes[0]!).to.be.below(2.3);
  });
});
