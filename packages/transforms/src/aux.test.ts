import { expect } from "chai";
import { State, Tensor, ValueError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { jvp, linearize } from "./jvp.js";
import { vjp } from "./vjp.js";
import { grad, valueAndGrad, vectorGrad } from "./grad.js";
import { hessian, jacfwd, jacobian, jacrev } from "./jacobian.js";
import { makeJaxpr } from "./make-jaxpr.js";

describe("hasAux on vjp, jvp and linearize (JAX's has_aux)", () => {
  const f = (x: Tensor) => [x.mul(x).sum(), { max: x.max(), doubled: x.mul(2) }] as const;
  const x = np.array([1, 2, 3]);

  it("vjp: [out, vjpFn, aux]; only out is differentiated", () => {
    const [y, vjpFn, aux] = vjp(f, x, { hasAux: true });
    expectClose(y as Tensor, 14);
    expectClose(vjpFn(np.array(1))[0] as Tensor, [2, 4, 6]);
    expectClose(aux.max, 3);
    expectClose(aux.doubled, [2, 4, 6]);
  });

  it("vjp without the option keeps the two-element result", () => {
    const r = vjp((v: Tensor) => v.sum(), x);
    expect(r).to.have.length(2);
  });

  it("jvp: [out, tangentOut, aux]", () => {
    const [y, dy, aux] = jvp((v: Tensor) => [v.sin(), v.cos()] as const, [np.array(0)], [np.array(2)], { hasAux: true });
    expectClose(y, 0);
    expectClose(dy, 2);
    expectClose(aux, 1);
  });

  it("linearize: [out, fJvp, aux], fJvp reusable", () => {
    const [y, fJvp, aux] = linearize(f, x, { hasAux: true });
    expectClose(y, 14);
    expectClose(fJvp(np.array([1, 0, 0])), 2);
    expectClose(fJvp(np.array([0, 0, 1])), 6);
    expectClose(aux.max, 3);
  });

  it("a function not returning a pair is a clear error", () => {
    expect(() => vjp((v: Tensor) => v.sum(), x, { hasAux: true })).to.throw(ValueError, /pair \[value, aux\]/);
    expect(() => jvp((v: Tensor) => v.sum(), [x], [x], { hasAux: true })).to.throw(ValueError, /pair \[value, aux\]/);
  });

  it("bad jvp options are typed errors", () => {
    expect(() => jvp((v: Tensor) => v, [x], [x], null as never)).to.throw(ValueError, /options must be an object/);
    expect(() => jvp((v: Tensor) => v, [x], [x], { hasAux: 1 } as never)).to.throw(ValueError, /hasAux must be a boolean/);
    expect(() => jvp((v: Tensor) => v, [x], [x], { has_aux: true } as never)).to.throw(ValueError, /unknown option/);
  });

  it("only an object with exactly a boolean hasAux is taken as options; pytree primals are primals", () => {
    const [y, vjpFn] = vjp((p: { a: Tensor }) => p.a.sum(), { a: x });
    expectClose(y, 6);
    expectClose((vjpFn(np.array(1))[0] as { a: Tensor }).a, [1, 1, 1]);
  });
});

describe("one hasAux contract for every transform that has it", () => {
  const x = np.array([1, 2, 3]);
  const scalar = (v: Tensor) => v.mul(v).sum();
  const loose = (t: unknown) => t as (...args: unknown[]) => unknown;
  /** Each transform applied to `fn` with options `o`, then called at x. */
  const TRANSFORMS: [string, (fn: (v: Tensor) => unknown, o: object) => unknown][] = [
    ["grad", (fn, o) => loose(grad)(fn, o) && loose(loose(grad)(fn, o))(x)],
    ["valueAndGrad", (fn, o) => loose(loose(valueAndGrad)(fn, o))(x)],
    ["vectorGrad", (fn, o) => loose(loose(vectorGrad)(fn, o))(x)],
    ["jacfwd", (fn, o) => loose(loose(jacfwd)(fn, o))(x)],
    ["jacrev", (fn, o) => loose(loose(jacrev)(fn, o))(x)],
    ["jacobian", (fn, o) => loose(loose(jacobian)(fn, o))(x)],
    ["hessian", (fn, o) => loose(loose(hessian)(fn, o))(x)],
    ["jvp", (fn, o) => loose(jvp)(fn, [x], [x], o)],
    ["vjp", (fn, o) => loose(vjp)(fn, x, o)],
    ["linearize", (fn, o) => loose(linearize)(fn, x, o)],
  ];

  for (const [op, run] of TRANSFORMS) {
    it(`${op}: a non-boolean hasAux is a ValueError (not truthy, not a primal)`, () => {
      for (const bad of ["yes", 1]) {
        expect(() => run(scalar, { hasAux: bad }), `${op} ${String(bad)}`).to.throw(ValueError, new RegExp(`^${op}: hasAux must be a boolean, got`));
      }
    });

    it(`${op}: a misspelt has_aux is an unknown option naming hasAux`, () => {
      expect(() => run(scalar, { has_aux: true })).to.throw(ValueError, new RegExp(`^${op}: unknown option 'has_aux' \\(did you mean 'hasAux'\\?\\)`));
    });

    it(`${op}: with hasAux, a function not returning a pair is one error, naming the transform`, () => {
      for (const out of [(v: Tensor) => v.sum(), (v: Tensor) => [v.sum(), 1, 2]]) {
        expect(() => run(out, { hasAux: true })).to.throw(ValueError, new RegExp(`^${op}: with hasAux: true, the function must return a pair \\[value, aux\\]; it returned`));
      }
    });

    it(`${op}: hasAux false (or absent) and true both work`, () => {
      expect(() => run(scalar, { hasAux: false })).not.to.throw();
      expect(() => run(scalar, {})).not.to.throw();
      const withAux = run((v: Tensor) => [scalar(v), 7], { hasAux: true }) as unknown[];
      // valueAndGrad nests it: [[value, aux], grads]; the others put aux last.
      expect(op === "valueAndGrad" ? (withAux[0] as unknown[])[1] : withAux[withAux.length - 1]).to.equal(7);
    });
  }

  it("vjp / linearize: a pytree primal whose key is hasAux (a Tensor leaf) stays a primal", () => {
    const [y] = vjp((p: { hasAux: Tensor }) => p.hasAux.sum(), { hasAux: x });
    expectClose(y as Tensor, 6);
    const [y2] = linearize((p: { hasAux: Tensor }) => p.hasAux.sum(), { hasAux: x });
    expectClose(y2 as Tensor, 6);
  });
});

describe("makeJaxpr", () => {
  it("prints the recorded graph in the jaxpr style without computing", () => {
    const { jaxpr } = makeJaxpr((v: Tensor) => v.mul(2).sum())(np.array([1, 2, 3]));
    expect(String(jaxpr)).to.equal([
      "{ lambda ; a:f32[3]. let",
      "    b:f32[3] = broadcast[shape=(3) dims=()] 2.0:f32",
      "    c:f32[3] = mul a b",
      "    d:f32[] = reduceSum[axes=(0)] c",
      "  in (d) }",
    ].join("\n"));
    expect(jaxpr.graph.inputs).to.have.length(1);
    expect(jaxpr.graph.outputs).to.have.length(1);
  });

  it("lists every argument leaf as an input and keeps the output structure", () => {
    const { jaxpr } = makeJaxpr((p: { a: Tensor; b: Tensor }, n: Tensor) => [p.a.add(p.b), n.mul(n)])({ a: np.array([1, 2]), b: np.array([3, 4]) }, np.array(5));
    expect(jaxpr.graph.inputs).to.have.length(3);
    expect(jaxpr.graph.outputs).to.have.length(2);
    expect(String(jaxpr)).to.match(/add a b/);
  });

  it("does not commit State writes", () => {
    const s = new State(np.array(1));
    makeJaxpr((v: Tensor) => { s.value = s.value.add(v); return s.value; })(np.array(2));
    expectClose(s.value, 1);
  });
});
