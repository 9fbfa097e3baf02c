import { expect } from "chai";
import { State, Tensor, ValueError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { jvp, linearize } from "./jvp.js";
import { vjp } from "./vjp.js";
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
