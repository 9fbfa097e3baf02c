/**
 * The return table as a type (grad-result.ts): each row of API.md §2's table, checked by the
 * compiler (`npm test` type-checks: a wrong inferred type fails there) and at run time (the value
 * has the structure the type claims).
 */
import { expect } from "chai";
import { ParamState, type Tensor, np } from "@kiln/core";
import { grad, valueAndGrad, vectorGrad } from "./grad.js";

/** Compiles only when `A` and `B` are the same type (neither `any` nor a subtype passes for the other). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <A, B>(_proof: Equal<A, B>): void => undefined;

const w = new ParamState(np.array([1, 2], { dtype: "float64" }));
const b = new ParamState(np.array(3, { dtype: "float64" }));
const x = np.array([0.5, -1], { dtype: "float64" });
const y = np.array(2, { dtype: "float64" });
const loss = (u: Tensor, v: Tensor): Tensor => np.sum(w.value.mul(u)).add(b.value.mul(v));
const lossAux = (u: Tensor, v: Tensor): [Tensor, { note: string }] => [loss(u, v), { note: "aux" }];

describe("grad's return type follows the return table", () => {
  it("argGrads alone, with aux, with the value, with both", () => {
    const g = grad(loss)(x, y);
    expectType<typeof g, Tensor>(true);
    const ga = grad(loss, { argnums: [1, 0] })(x, y);
    expectType<typeof ga, [Tensor, Tensor]>(true);
    const gv = grad(lossAux, { hasAux: true, returnValue: true })(x, y);
    expectType<typeof gv, [Tensor, Tensor, { note: string }]>(true);
    expect(gv).to.have.length(3);
    expect(gv[2].note).to.equal("aux");
    const gaux = grad(lossAux, { hasAux: true })(x, y);
    expectType<typeof gaux, [Tensor, { note: string }]>(true);
    expect(gaux[1]).to.deep.equal({ note: "aux" });
  });

  it("varGrads in the gradStates container, alone and with argGrads", () => {
    const gs = grad(loss, { gradStates: { w, b }, returnValue: true })(x, y);
    expectType<typeof gs, [{ w: Tensor; b: Tensor }, Tensor]>(true);
    expect(gs[0].w.shape).to.deep.equal([2]);
    const both = grad(loss, { gradStates: [w], argnums: 1 })(x, y);
    expectType<typeof both, [[Tensor], Tensor]>(true);
    expect(both[0][0].shape).to.deep.equal([2]);
    expect(both[1].shape).to.deep.equal([]);
  });

  it("pytree-valued States and pytree arguments keep their structure", () => {
    const p = new ParamState({ k: np.array(3, { dtype: "float64" }), v: [np.array([1, -1], { dtype: "float64" })] });
    const f = (q: { a: Tensor; c: number[] }) => np.sum(q.a.mul(p.value.k)).add(np.sum(p.value.v[0]!));
    const g = grad(f, { gradStates: { p }, argnums: 0 })({ a: x, c: [1] });
    expectType<typeof g, [{ p: { k: Tensor; v: Tensor[] } }, { a: Tensor; c: Tensor[] }]>(true);
    expect(g[0].p.v).to.have.length(1);
  });

  it("valueAndGrad and vectorGrad", () => {
    const vg = valueAndGrad(lossAux, { hasAux: true, argnums: 0 })(x, y);
    expectType<typeof vg, [[Tensor, { note: string }], Tensor]>(true);
    expect(vg[0][1].note).to.equal("aux");
    const vec = vectorGrad((u: Tensor) => u.mul(u), { returnValue: true })(x);
    expectType<typeof vec, [Tensor, Tensor]>(true);
  });

  it("options known only at run time give any, as before", () => {
    const opts: { hasAux?: boolean } = {};
    const g = grad(loss, opts)(x, y);
    expectType<typeof g, any>(true);
  });
});
