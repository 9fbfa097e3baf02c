/**
 * Elementwise rules (unary, binary, cast, select) against finite differences at random points,
 * with broadcasting through the np layer, plus the special points where JAX fixes a value
 * (ties, zeros, kinks).
 */
import { expect } from "chai";
import {
  type Aval, BINARY_OPS, BINARY_PRIMS, type BinaryDerivativeRule, type BinaryPrim, PRIMITIVES, type SmoothRange, type Tensor,
  UNARY_OPS, UNARY_PRIMS, type UnaryDerivativeRule, type UnaryPrim, ValueError, np, npUtil,
} from "@kiln/core";
import { jvpNodes, vjpNodes } from "../derive.js";
import { args, awayFromZero, checkGradients, distinct, evaluate, f64, uniform } from "./gradcheck.test-util.js";

const { apply } = npUtil;
const F64: Aval = { shape: [2], dtype: "float64" };

/** Derivatives at fixed points: [jvp with unit tangents per input, vjp with a unit cotangent]. */
function derivativesAt(f: (...xs: Tensor[]) => Tensor, values: number[][]): { jvp: number[][]; vjp: number[][] } {
  const xs = values.map((v) => f64(v, [v.length]));
  const out = f(...xs);
  const ones = (n: number) => f64(new Array(n).fill(1), [n]);
  const jvp = xs.map((x) => {
    const [t] = jvpNodes([out], new Map([[x.node, ones(x.size)]]));
    return t ? Array.from(evaluate(t)) : new Array<number>(out.size).fill(0);
  });
  const cts = vjpNodes([out], [ones(out.size)], xs.map((x) => x.node));
  const vjp = cts.map((c, i) => (c ? Array.from(evaluate(c)) : new Array<number>(xs[i]!.size).fill(0)));
  return { jvp, vjp };
}

/** A strict primitive on placeholder operands (the np layer adds nothing to check here). */
const prim = (p: UnaryPrim | BinaryPrim) => (...xs: Tensor[]): Tensor => apply(p, xs, {});

describe("elementwise rules: every row's derivative against finite differences", () => {
  // Linear rows have hand-written rules (no formula, no range): any inputs will do.
  const LINEAR: SmoothRange = [-3, 3];

  for (const p of UNARY_PRIMS) {
    const rule: UnaryDerivativeRule = UNARY_OPS[p].derivative;
    if (rule === "zero") continue;
    if (typeof rule === "object" && "notDifferentiable" in rule) {
      it(`${p} is not differentiable: jvp and vjp are a ValueError with the reason`, () => {
        const x = f64([0.5, 2], [2]);
        const y = prim(p)(x);
        expect(() => jvpNodes([y], new Map([[x.node, f64([1, 1], [2])]]))).to.throw(ValueError, `${p} is not differentiable: ${rule.notDifferentiable}`);
        expect(() => vjpNodes([y], [f64([1, 1], [2])], [x.node])).to.throw(ValueError, `${p} is not differentiable`);
      });
      continue;
    }
    const [lo, hi] = rule === "linear" ? LINEAR : rule.smooth;
    // digamma's derivative (trigamma) is not differentiable again: first order only (its own test below).
    const secondOrder = p !== "digamma";
    it(`${p} on [2,3] and on a scalar, over [${lo}, ${hi}]`, () => {
      checkGradients({ shapes: [[2, 3]], args: args(uniform(6, lo, hi)), f: prim(p), secondOrder });
      checkGradients({ shapes: [[]], args: args(uniform(1, lo, hi)), f: prim(p), runs: 5, secondOrder });
    });
  }

  for (const p of BINARY_PRIMS) {
    const rule: BinaryDerivativeRule = BINARY_OPS[p].derivative;
    if (rule === "zero") continue;
    const [ra, rb] = rule === "linear" ? [LINEAR, LINEAR] : rule.smooth;
    it(`${p} with both operands [2,3], over [${ra}] x [${rb}]`, () => {
      checkGradients({ shapes: [[2, 3], [2, 3]], args: args(uniform(6, ra[0], ra[1]), uniform(6, rb[0], rb[1])), f: prim(p) });
    });
  }

  // A float-valued row marked "zero" silently drops gradients unless it really is flat: each of
  // these is checked below (sign, floor, ceil, round, floorDiv) or blocks gradients by design.
  it("the float-valued rows marked \"zero\" are exactly the piecewise-constant ones and stopGradient", () => {
    const zero = [...UNARY_PRIMS, ...BINARY_PRIMS].filter((p) => (p in UNARY_OPS ? UNARY_OPS[p as UnaryPrim] : BINARY_OPS[p as BinaryPrim]).derivative === "zero");
    const floatValued = (p: UnaryPrim | BinaryPrim) => {
      try {
        return PRIMITIVES[p].infer!(p in UNARY_OPS ? [F64] : [F64, F64], {}).dtype === "float64";
      } catch {
        return false; // a bool- or int-only row
      }
    };
    expect(zero.filter(floatValued).sort())
      .to.deep.equal(["ceil", "floor", "floorDiv", "round", "sign", "stopGradient"]);
  });

  it("abs away from its kink", () => {
    checkGradients({ shapes: [[2, 3]], args: args(awayFromZero(6, 0.1, 3)), f: np.abs });
  });

  it("sign, floor, ceil, round and floorDiv are flat between their jumps", () => {
    // Fractional parts in [0.1, 0.4] or [0.6, 0.9]: clear of integers and of round's half-way points.
    const frac = awayFromZero(6, 0.1, 0.4).map((v) => v.map((f, i) => (i % 3) - 1 + (f > 0 ? f : 1 + f)));
    for (const f of [np.sign, np.floor, np.ceil, (x: Tensor) => np.round(x)]) checkGradients({ shapes: [[6]], args: args(frac), f, runs: 5 });
    // x // 1 jumps where floor(x) does.
    checkGradients({ shapes: [[6], [6]], args: args(frac, uniform(6, 1, 1)), f: prim("floorDiv"), runs: 5 });
  });
});

describe("elementwise rules: binary ops against finite differences", () => {
  const same = (n: number, lo: number, hi: number) => args(uniform(n, lo, hi), uniform(n, lo, hi));

  it("add, sub, mul with equal shapes", () => {
    for (const f of [np.add, np.subtract, np.multiply]) checkGradients({ shapes: [[2, 3], [2, 3]], args: same(6, -3, 3), f });
  });

  it("div with the divisor away from zero", () => {
    checkGradients({ shapes: [[2, 3], [2, 3]], args: args(uniform(6, -3, 3), awayFromZero(6, 0.3, 3)), f: np.divide });
  });

  // An exponent of exactly 0 is excluded: there JAX (and kiln) define d/dx as 0 by a select, which
  // finite differences of the first derivative do not see.
  it("pow with a positive base (both operands)", () => {
    checkGradients({ shapes: [[2, 3], [2, 3]], args: args(uniform(6, 0.2, 3), awayFromZero(6, 0.05, 2)), f: np.power });
  });

  it("atan2 away from the origin and the branch cut", () => {
    checkGradients({ shapes: [[2, 3], [2, 3]], args: args(awayFromZero(6, 0.2, 3), uniform(6, -3, 3)), f: np.arctan2 });
  });

  it("max and min away from ties", () => {
    // Interleave distinct values between the operands so neither dominates everywhere.
    const split = distinct(12).map((v) => [v.filter((_, i) => i % 2 === 0), v.filter((_, i) => i % 2 === 1)]);
    for (const f of [np.maximum, np.minimum]) checkGradients({ shapes: [[2, 3], [2, 3]], args: split, f });
  });

  it("rem away from the jumps at integral quotients", () => {
    // x = b·(k + frac), frac in [0.1, 0.9], so x / b is never near an integer.
    const gen = args(awayFromZero(6, 0.5, 2), uniform(6, -3, 3), uniform(6, 0.1, 0.9)).map(([b, k, fr]) => [
      b!.map((bv, i) => bv * (Math.floor(k![i]!) + fr![i]!)),
      b!,
    ]);
    checkGradients({ shapes: [[6], [6]], args: gen, f: np.remainder });
  });

  it("broadcasting [2,3] with [3], [2,1] with [1,3], and a scalar with [2,3] sums the broadcast axes", () => {
    const mk = (n: number, m: number) => args(uniform(n, -2, 2), uniform(m, 0.5, 2));
    checkGradients({ shapes: [[2, 3], [3]], args: mk(6, 3), f: np.multiply });
    checkGradients({ shapes: [[2, 1], [1, 3]], args: mk(2, 3), f: (a, b) => np.divide(a, b) });
    checkGradients({ shapes: [[], [2, 3]], args: mk(1, 6), f: (a, b) => np.subtract(np.multiply(a, b), np.sin(a)) });
  });
});

describe("elementwise rules: select and cast", () => {
  it("select routes the cotangent by the predicate (which gets none)", () => {
    const c = np.array([[true, false, true], [false, false, true]]);
    checkGradients({ shapes: [[2, 3], [2, 3]], args: args(uniform(6, -2, 2), uniform(6, -2, 2)), f: (a, b) => apply("select", [c, a, b], {}) });
    const d = derivativesAt((a, b) => apply("select", [np.array([true, false, true]), a, b], {}), [[1, 2, 3], [4, 5, 6]]);
    expect(d.vjp).to.deep.equal([[1, 0, 1], [0, 1, 0]]);
    expect(d.jvp).to.deep.equal([[1, 0, 1], [0, 1, 0]]);
  });

  it("where(x > 0, x, 0) (relu through comparisons and select)", () => {
    checkGradients({ shapes: [[6]], args: args(awayFromZero(6, 0.1, 2)), f: (x) => np.where(np.greater(x, 0), x, np.multiply(x, 0)) });
  });

  it("float -> float casts carry the tangent in the new dtype and the cotangent back in the old one", () => {
    const x = f64([1.5, -2], [2]);
    const y = npUtil.astypeRaw(x, "float32");
    const [t] = jvpNodes([y], new Map([[x.node, f64([3, 4], [2])]]));
    expect(t!.dtype).to.equal("float32");
    expect(Array.from(evaluate(t!))).to.deep.equal([3, 4]);
    const [ct] = vjpNodes([y], [np.array([5, 6])], [x.node]);
    expect(ct!.dtype).to.equal("float64");
    expect(Array.from(evaluate(ct!))).to.deep.equal([5, 6]);
  });

  it("casts to or from int/bool carry nothing", () => {
    const x = f64([1.5, -2], [2]);
    const i = npUtil.astypeRaw(x, "int32");
    const back = npUtil.astypeRaw(i, "float64");
    expect(jvpNodes([i], new Map([[x.node, f64([1, 1], [2])]]))).to.deep.equal([null]);
    expect(jvpNodes([back], new Map([[x.node, f64([1, 1], [2])]]))).to.deep.equal([null]);
    expect(vjpNodes([back], [f64([1, 1], [2])], [x.node])).to.deep.equal([null]);
    const b = npUtil.astypeRaw(x, "bool");
    expect(vjpNodes([npUtil.astypeRaw(b, "float64")], [f64([1, 1], [2])], [x.node])).to.deep.equal([null]);
  });

  it("comparison, logical and isnan/isinf outputs have no derivative", () => {
    const x = f64([1, 2], [2]);
    const seed = new Map([[x.node, f64([1, 1], [2])]]);
    const outs = [np.less(x, 1.5), np.equal(x, 2), np.isnan(x), np.logicalNot(np.greater(x, 1)), np.isfinite(x)];
    expect(jvpNodes(outs, seed)).to.deep.equal(outs.map(() => null));
  });
});

describe("elementwise rules: JAX's values at special points", () => {
  it("abs has slope 0 at 0 (sign(0))", () => {
    const d = derivativesAt(np.abs, [[-2, 0, 3]]);
    expect(d.jvp[0]).to.deep.equal([-1, 0, 1]);
    expect(d.vjp[0]).to.deep.equal([-1, 0, 1]);
  });

  it("max and min split ties 1/2 each", () => {
    const mx = derivativesAt(np.maximum, [[1, 2, 5], [1, 3, 4]]);
    expect(mx.vjp).to.deep.equal([[0.5, 0, 1], [0.5, 1, 0]]);
    expect(mx.jvp).to.deep.equal(mx.vjp);
    const mn = derivativesAt(np.minimum, [[1, 2, 5], [1, 3, 4]]);
    expect(mn.vjp).to.deep.equal([[0.5, 1, 0], [0.5, 0, 1]]);
  });

  it("pow at a zero base or exponent", () => {
    // (x, y) = (0, 0), (0, 1), (0, 2), (2, 3), (0, 0.5).
    const d = derivativesAt(np.power, [[0, 0, 0, 2, 0], [0, 1, 2, 3, 0.5]]);
    expect(d.vjp[0]).to.deep.equal([0, 1, 0, 12, Infinity]);
    // d/dy = log(x)·x^y with log(0) replaced by 0.
    expect(d.vjp[1]!.slice(0, 3)).to.deep.equal([0, 0, 0]);
    expect(d.vjp[1]![3]).to.be.closeTo(8 * Math.LN2, 1e-12);
    expect(d.jvp[0]).to.deep.equal(d.vjp[0]);
  });

  it("sqrt has an infinite slope at 0; log at 0 likewise", () => {
    expect(derivativesAt(np.sqrt, [[0, 4]]).vjp[0]).to.deep.equal([Infinity, 0.25]);
    expect(derivativesAt(np.log, [[0, 4]]).vjp[0]).to.deep.equal([Infinity, 0.25]);
  });

  it("rem: d/dx = 1, d/dy = -floor(x / y) (NumPy's floored remainder)", () => {
    const d = derivativesAt(np.remainder, [[7, -7, 7], [2, 2, -2]]);
    expect(d.vjp).to.deep.equal([[1, 1, 1], [-3, 4, 4]]);
  });

  it("logistic and tanh reuse their outputs", () => {
    const s = 1 / (1 + Math.exp(-0.3));
    expect(derivativesAt(np.sigmoid, [[0, 0.3]]).vjp[0]![0]).to.equal(0.25);
    expect(derivativesAt(np.sigmoid, [[0, 0.3]]).vjp[0]![1]).to.be.closeTo(s * (1 - s), 1e-15);
    expect(derivativesAt(np.tanh, [[0.5]]).jvp[0]![0]).to.be.closeTo(1 - Math.tanh(0.5) ** 2, 1e-15);
  });

  it("stopGradient blocks both modes (while the primitive's own finite difference is 1)", () => {
    const d = derivativesAt((x) => np.add(np.stopGradient(np.multiply(x, x)), x), [[3]]);
    expect(d.jvp[0]).to.deep.equal([1]);
    expect(d.vjp[0]).to.deep.equal([1]);
    const x = f64([3], [1]);
    expect(jvpNodes([np.stopGradient(x)], new Map([[x.node, f64([1], [1])]]))).to.deep.equal([null]);
    expect(vjpNodes([np.stopGradient(x)], [f64([1], [1])], [x.node])).to.deep.equal([null]);
  });
});
