/** The forward and reverse drivers: propagation, accumulation, pruning, errors, higher order, depth. */
import { expect } from "chai";
import { DTypeError, ShapeError, type Tensor, ValueError, interning, np, npUtil, topoSort } from "@kiln/core";
import { jvpNodes, vjpNodes } from "./derive.js";
import { JVP_RULES } from "./rules/jvp.js";
import { VJP_RULES } from "./rules/vjp.js";
import { evaluate, f64, placeholder } from "./rules/gradcheck.test-util.js";

const values = (t: Tensor | null): number[] => Array.from(evaluate(t!));
const closeTo = (actual: number[], expected: number[], tol = 1e-12) => {
  expect(actual.length).to.equal(expected.length);
  actual.forEach((v, i) => expect(v, `element ${i}`).to.be.closeTo(expected[i]!, tol));
};

/** Replaces a table entry for the duration of `body`, counting its calls. */
function spyOn(table: object, prim: string, body: (calls: () => number) => void): void {
  const t = table as Record<string, (...a: unknown[]) => unknown>;
  const saved = t[prim]!;
  let n = 0;
  t[prim] = (...a: unknown[]) => (n++, saved(...a));
  try {
    body(() => n);
  } finally {
    t[prim] = saved;
  }
}

describe("jvpNodes", () => {
  it("propagates a tangent through a chain: d sin(x²) = 2x cos(x²) dx", () => {
    const x = f64([0.5, -1.5], [2]);
    const [t] = jvpNodes([np.sin(np.multiply(x, x))], new Map([[x.node, f64([1, 2], [2])]]));
    closeTo(values(t), [2 * 0.5 * Math.cos(0.25), 2 * 2 * -1.5 * Math.cos(2.25)]);
  });

  it("returns null for outputs that do not depend on a seed, per output", () => {
    const x = f64([1], [1]);
    const y = f64([2], [1]);
    const outs = jvpNodes([np.exp(x), np.exp(y), np.add(x, y)], new Map([[x.node, f64([1], [1])]]));
    expect(outs[1]).to.equal(null);
    closeTo(values(outs[0]!), [Math.E]);
    closeTo(values(outs[2]!), [1]);
  });

  it("skips nodes whose input tangents are all zero (their rules are never called)", () => {
    const x = f64([1], [1]);
    const y = f64([2], [1]);
    spyOn(JVP_RULES, "sin", (calls) => {
      const [t] = jvpNodes([np.multiply(np.sin(x), y)], new Map([[y.node, f64([1], [1])]]));
      closeTo(values(t), [Math.sin(1)]);
      expect(calls()).to.equal(0);
    });
  });

  it("treats a seeded inner node as an independent variable", () => {
    const x = f64([1], [1]);
    const h = np.multiply(x, 3);
    const [t] = jvpNodes([np.multiply(h, x)], new Map([[h.node, f64([1], [1])]]));
    closeTo(values(t), [1]); // d(h·x)/dh = x, with x held fixed
  });

  it("gives int/bool nodes no tangent, even when seeded", () => {
    const i = placeholder([2], "i", "int32");
    const x = f64([1, 2], [2]);
    const out = np.multiply(npUtil.astypeRaw(i, "float64"), x);
    const ti = npUtil.reshapeRaw(np.array([1, 1], { dtype: "int32" }), [2]);
    expect(jvpNodes([out], new Map([[i.node, ti]]))).to.deep.equal([null]);
  });

  it("rejects tangents that do not match their node (typed errors naming both)", () => {
    const x = f64([1, 2], [2]);
    expect(() => jvpNodes([np.sin(x)], new Map([[x.node, f64([1, 2, 3], [3])]]))).to.throw(ShapeError, /jvp: a tangent has shape \[3\].*shape \[2\]/);
    expect(() => jvpNodes([np.sin(x)], new Map([[x.node, np.array([1, 2])]]))).to.throw(DTypeError, /jvp: a tangent has dtype float32.*f64\[2\]/);
  });
});

describe("vjpNodes", () => {
  it("sums the cotangents of a value used several times: d(x² + sin x) = 2x + cos x", () => {
    const x = f64([0.3, 2], [2]);
    const [g] = vjpNodes([np.add(np.multiply(x, x), np.sin(x))], [f64([1, 1], [2])], [x.node]);
    closeTo(values(g), [0.6 + Math.cos(0.3), 4 + Math.cos(2)]);
  });

  it("sums over several outputs; a null cotangent is a zero one", () => {
    const x = f64([2], [1]);
    const outs = [np.multiply(x, 3), np.multiply(x, x), np.exp(x)];
    const [g] = vjpNodes(outs, [f64([1], [1]), f64([10], [1]), null], [x.node]);
    closeTo(values(g), [3 + 10 * 4]);
    const [g2] = vjpNodes([outs[0]!, outs[0]!], [f64([1], [1]), f64([2], [1])], [x.node]);
    closeTo(values(g2), [9]);
  });

  it("returns null for wrt nodes the outputs do not depend on, or only through stopGradient or ints", () => {
    const x = f64([1], [1]);
    const y = f64([1], [1]);
    const i = placeholder([1], "i", "int32");
    const out = np.add(np.multiply(np.stopGradient(x), 2), npUtil.astypeRaw(i, "float64"));
    expect(vjpNodes([out], [f64([1], [1])], [x.node, y.node, i.node])).to.deep.equal([null, null, null]);
    expect(vjpNodes([out], [null], [x.node])).to.deep.equal([null]);
  });

  it("never visits nodes that cannot reach a wrt node", () => {
    const x = f64([1], [1]);
    const y = f64([2], [1]);
    spyOn(VJP_RULES, "sin", (calls) => {
      const [g] = vjpNodes([np.multiply(np.sin(x), y)], [f64([1], [1])], [y.node]);
      closeTo(values(g), [Math.sin(1)]);
      expect(calls()).to.equal(0);
    });
  });

  it("gives an inner wrt node its total cotangent and keeps propagating below it", () => {
    const x = f64([0.5], [1]);
    const h = np.multiply(x, 2);
    const [gh, gx] = vjpNodes([np.add(np.sin(h), x)], [f64([1], [1])], [h.node, x.node]);
    closeTo(values(gh), [Math.cos(1)]);
    closeTo(values(gx), [2 * Math.cos(1) + 1]);
  });

  it("keeps each node's dtype: a float32 graph gets float32 cotangents", () => {
    const x = np.array([1, 2]);
    const [g] = vjpNodes([np.multiply(x, x)], [np.array([1, 1])], [x.node]);
    expect(g!.dtype).to.equal("float32");
    expect(values(g)).to.deep.equal([2, 4]);
  });

  it("handles scalars and zero-size arrays", () => {
    const s = f64([3], []);
    const [gs] = vjpNodes([np.multiply(s, s)], [f64([1], [])], [s.node]);
    expect(gs!.shape).to.deep.equal([]);
    expect(values(gs)).to.deep.equal([6]);
    const e = f64([], [0, 2]);
    const [ge] = vjpNodes([np.exp(e)], [f64([], [0, 2])], [e.node]);
    expect(ge!.shape).to.deep.equal([0, 2]);
  });

  it("rejects a wrong number of cotangents and mismatched cotangents (typed errors)", () => {
    const x = f64([1, 2], [2]);
    const y = np.sin(x);
    expect(() => vjpNodes([y], [], [x.node])).to.throw(ValueError, /vjp: got 0 cotangent\(s\) for 1 output\(s\)/);
    expect(() => vjpNodes([y], [f64([1], [1])], [x.node])).to.throw(ShapeError, /cotangent of output 0 has shape \[1\].*shape \[2\]/);
    expect(() => vjpNodes([y], [np.array([1, 1])], [x.node])).to.throw(DTypeError, /dtype float32.*f64\[2\]/);
  });

  it("reports a rule that returns the wrong shape as an internal error naming the primitive", () => {
    const x = f64([1, 2], [2]);
    const saved = VJP_RULES.sin;
    (VJP_RULES as Record<string, unknown>).sin = () => [f64([1], [1])];
    try {
      expect(() => vjpNodes([np.sin(x)], [f64([1, 1], [2])], [x.node])).to.throw(/internal error: the vjp rule of sin produced float64\[1\] for f64\[2\]/);
    } finally {
      (VJP_RULES as Record<string, unknown>).sin = saved;
    }
  });
});

describe("higher order", () => {
  const grad = (f: (x: Tensor) => Tensor, x: Tensor): Tensor => {
    const out = f(x);
    return vjpNodes([out], [npUtil.fullRaw(out.shape, 1, out.dtype)], [x.node])[0]!;
  };

  it("the second derivative of sin is -sin (jvp of vjp), the third is -cos", () => {
    const x = f64([0.1, 1, 2.5], [3]);
    const ones = f64([1, 1, 1], [3]);
    const g = grad(np.sin, x);
    const [h] = jvpNodes([g], new Map([[x.node, ones]]));
    closeTo(values(h), [0.1, 1, 2.5].map((v) => -Math.sin(v)));
    const [h3] = jvpNodes([h!], new Map([[x.node, ones]]));
    closeTo(values(h3), [0.1, 1, 2.5].map((v) => -Math.cos(v)));
  });

  it("grad of grad (vjp of vjp): d²/dx² of x³ is 6x; of 1/x is 2/x³", () => {
    const x = f64([0.5, 2], [2]);
    closeTo(values(grad((v) => grad((w) => np.multiply(np.multiply(w, w), w), v), x)), [3, 12]);
    closeTo(values(grad((v) => grad((w) => np.divide(1, w), v), x)), [16, 0.25]);
  });

  it("a Hessian-vector product of a coupled function: f = x0²·x1 + exp(x1)", () => {
    const x = f64([1.5, 0.5], [2]);
    const f = (v: Tensor) => {
      const [a, b] = [npUtil.apply("slice", [v], { start: [0], stop: [1], step: [1] }), npUtil.apply("slice", [v], { start: [1], stop: [2], step: [1] })];
      return npUtil.apply("reduceSum", [np.add(np.multiply(np.multiply(a, a), b), np.exp(b))], { axes: [0] });
    };
    // H = [[2 x1, 2 x0], [2 x0, exp(x1)]]; H·[1, -1].
    const [hv] = jvpNodes([grad(f, x)], new Map([[x.node, f64([1, -1], [2])]]));
    closeTo(values(hv), [2 * 0.5 - 2 * 1.5, 2 * 1.5 - Math.exp(0.5)]);
  });
});

describe("deep graphs", () => {
  it("differentiates a 10,000-op chain in both modes without overflowing the stack", function () {
    this.timeout(60000);
    const x = f64([0.7], []);
    let y: Tensor = x;
    let [v, d] = [0.7, 1];
    // y <- y + 1e-4·sin(y): three primitives per step, and a derivative that stays O(1).
    // Built as a graph (an interning scope): a deep eager handle is computed as it is made
    // (tensor.ts), which would cut the chain from x.
    interning(() => {
      for (let k = 0; k < 3400; k++) {
        y = np.add(y, np.multiply(np.sin(y), 1e-4));
        d *= 1 + 1e-4 * Math.cos(v);
        v += 1e-4 * Math.sin(v);
      }
    });
    expect(topoSort([y.node]).length).to.be.greaterThan(10000);
    const [t] = jvpNodes([y], new Map([[x.node, f64([1], [])]]));
    const [g] = vjpNodes([y], [f64([1], [])], [x.node]);
    expect(d).to.be.greaterThan(1.1);
    closeTo(values(t), [d], 1e-12);
    closeTo(values(g), [d], 1e-12);
  });
});
