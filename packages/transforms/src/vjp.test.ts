/** vjp, jvp and linearize: values, pytrees, reuse, composition and errors. */
import { expect } from "chai";
import { DTypeError, ShapeError, type Tensor, ValueError, np } from "@kiln/core";
import { grad, jvp, linearize, vjp } from "./index.js";
import { transformStats } from "./trace.js";
import { expectClose } from "@kiln/core/testing";

const T = (v: unknown) => v as Tensor;

describe("vjp", () => {
  it("returns the output and a function from output cotangents to one cotangent per primal", () => {
    const [y, f] = vjp((x: Tensor) => x.mul(x).sum(), np.array([1, 2, 3]));
    expect(T(y).itemSync()).to.equal(14);
    const [gx] = f(np.array(1));
    expectClose(T(gx), [2, 4, 6]);
    const [gx3] = f(3);
    expectClose(T(gx3), [6, 12, 18]);
  });

  it("handles several primals and pytree outputs; derives once for every cotangent", () => {
    const x = np.array([1, 2]);
    const yv = np.array([3, 5]);
    const [out, f] = vjp((a: Tensor, b: Tensor) => ({ prod: a.mul(b), sum: a.add(b) }), x, yv);
    expectClose(T((out as { prod: Tensor }).prod), [3, 10]);
    const before = transformStats.derivations;
    const [ga, gb] = f({ prod: np.array([1, 1]), sum: np.array([2, 2]) });
    expectClose(T(ga), [3 + 2, 5 + 2]);
    expectClose(T(gb), [1 + 2, 2 + 2]);
    const [ga2, gb2] = f({ prod: np.array([0, 1]), sum: np.array([0, 0]) });
    expectClose(T(ga2), [0, 5]);
    expectClose(T(gb2), [0, 2]);
    expect(transformStats.derivations - before).to.equal(1);
  });

  it("gives pytree primals pytree cotangents and int primals zero cotangents", () => {
    const [, f] = vjp((p: { w: Tensor; k: Tensor }) => p.w.mul(p.k.astype("float32")).sum(), { w: np.array([1, 2]), k: np.array([3, 4], { dtype: "int32" }) });
    const [g] = f(1) as [{ w: Tensor; k: Tensor }];
    expectClose(g.w, [3, 4]);
    expect(g.k.dtype).to.equal("int32");
    expectClose(g.k, [0, 0]);
  });

  it("composes: vjp of grad gives second derivatives", () => {
    const [, f] = vjp((x: Tensor) => T(grad((y: Tensor) => y.pow(3))(x)), np.array(2));
    expect(T(f(1)[0]).itemSync()).to.equal(12);
  });

  it("rejects cotangents that do not match the output", () => {
    const [, f] = vjp((x: Tensor) => [x.mul(2), x.sum()], np.array([1, 2]));
    expect(() => f(np.ones([2]))).to.throw(ValueError, /cotangent's structure \* does not match the output's \[\*,\*\]/);
    expect(() => f([np.ones([3]), 1])).to.throw(ShapeError, /cotangent leaf 0 has shape \[3\] but the output it belongs to has shape \[2\]/);
    expect(() => f([np.ones([2], { dtype: "float64" }), 1])).to.throw(DTypeError, /cotangent leaf 0 has dtype float64.*float32/);
    expect(() => f([np.ones([2]), "1"])).to.throw(ValueError, /cotangent leaf 1 must be a Tensor or a number/);
  });
});

describe("jvp", () => {
  it("pushes tangents forward: d sin = cos", () => {
    const [y, t] = jvp((x: Tensor) => x.sin(), [np.array([0, Math.PI / 2])], [np.array([1, 1])]);
    expectClose(T(y), [0, 1]);
    expectClose(T(t), [1, 0], { atol: 1e-6 });
  });

  it("takes several primals, pytrees and numbers; outputs that do not depend on them get zeros", () => {
    const f = (p: { a: Tensor; b: Tensor }, s: Tensor) => [p.a.mul(p.b).mul(s), np.ones([2])];
    const [y, t] = jvp(f, [{ a: np.array([1, 2]), b: np.array([3, 4]) }, 2], [{ a: np.array([1, 0]), b: np.array([0, 1]) }, 0.5]) as [Tensor[], Tensor[]];
    expectClose(y[0]!, [6, 16]);
    // d(a·b·s) = da·b·s + a·db·s + a·b·ds
    expectClose(t[0]!, [3 * 2 + 0 + 3 * 0.5, 0 + 2 * 2 + 8 * 0.5]);
    expectClose(t[1]!, [0, 0]);
  });

  it("composes with itself and with grad (second derivatives)", () => {
    const d2 = jvp((x: Tensor) => T(jvp((y: Tensor) => y.sin(), [x], [1])[1]), [0.3], [1])[1];
    expect(T(d2).itemSync()).to.be.closeTo(-Math.sin(0.3), 1e-6);
    const fwdOverRev = jvp((x: Tensor) => T(grad((y: Tensor) => y.pow(3))(x)), [2], [1])[1];
    expect(T(fwdOverRev).itemSync()).to.equal(12);
  });

  it("rejects mismatched primals and tangents", () => {
    const f = (x: Tensor) => x.mul(2);
    expect(() => jvp(f, np.ones([2]) as unknown as Tensor[], [np.ones([2])])).to.throw(ValueError, /primals and tangents must be arrays/);
    expect(() => jvp(f, [np.ones([2])], [])).to.throw(ValueError, /got 1 primal\(s\) but 0 tangent\(s\)/);
    expect(() => jvp(f, [np.ones([2])], [np.ones([3])])).to.throw(ShapeError, /tangent 0 has shape \[3\] but its primal has shape \[2\]/);
    expect(() => jvp(f, [np.ones([2])], [np.ones([2], { dtype: "float64" })])).to.throw(DTypeError, /primal and tangent dtypes must match/);
    expect(() => jvp(f, [[np.ones([2])]], [np.ones([2])])).to.throw(ValueError, /tangent 0 has structure \* but primal 0 has \[\*\]/);
  });
});

describe("linearize", () => {
  it("returns the output and a reusable linear map, derived once", () => {
    const [y, f] = linearize((x: Tensor) => x.pow(3), np.array(2));
    expect(T(y).itemSync()).to.equal(8);
    const before = transformStats.derivations;
    expect(T(f(1)).itemSync()).to.equal(12);
    expect(T(f(np.array(-0.5))).itemSync()).to.equal(-6);
    expect(transformStats.derivations - before).to.equal(1);
    expect(() => f(1, 2)).to.throw(ValueError, /got 2 tangent\(s\) for 1 primal\(s\)/);
  });
});
