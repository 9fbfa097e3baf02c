/** Trace placeholders: symbolic-ness, substitution, concrete bindings during a transform. */
import { expect } from "chai";
import {
  ConcretizationError, Tensor, bindPlaceholders, concreteReadCount, dependsOnPlaceholder, interning, makeNode, np, substituter,
  topoSort,
} from "./index.js";

const ph = (shape: number[], label = "p") => makeNode("input", [], { label }, { shape, dtype: "float32" });

describe("trace placeholders", () => {
  it("dependsOnPlaceholder: a node is symbolic when a placeholder lies below it", () => {
    const p = new Tensor(ph([2]));
    const c = np.array([1, 2]);
    expect(dependsOnPlaceholder(p.node)).to.equal(true);
    expect(dependsOnPlaceholder(p.mul(2).add(c).node)).to.equal(true);
    expect(dependsOnPlaceholder(c.mul(2).node)).to.equal(false);
    // deep graphs are fine (no recursion)
    let t = p;
    for (let i = 0; i < 20000; i++) t = t.add(1);
    expect(dependsOnPlaceholder(t.node)).to.equal(true);
  });

  it("substituter: replaces keys, shares unchanged subgraphs, and is hash-consed where graphs are built", () => {
    const p = new Tensor(ph([2]));
    const c = np.array([1, 2]);
    const e = c.exp();
    const y = p.mul(2).add(e);
    const v = np.array([3, 4]);
    const sub = substituter(new Map([[p.node, v.node]]));
    const out = sub(y.node);
    // A concrete result is an eager value (not interned: ir/node.ts); inside a graph build it is.
    expect(out.inputs[1]).to.equal(y.node.inputs[1]);
    // Within one graph build it is; a concrete node is not kept past the build (it holds a value).
    const build = () => substituter(new Map([[p.node, v.node]]))(y.node);
    interning(() => expect(build()).to.equal(build()));
    expect(interning(build)).to.not.equal(interning(build));
    // A symbolic result (over another placeholder) is always interned.
    const q = ph([2]);
    expect(substituter(new Map([[p.node, q]]))(y.node)).to.equal(substituter(new Map([[p.node, q]]))(y.node));
    expect(dependsOnPlaceholder(out)).to.equal(false);
    expect(Array.from(new Tensor(out).dataSync())).to.deep.equal([6 + Math.fround(Math.E), 8 + Math.fround(Math.exp(2))].map(Math.fround));
    expect(sub(e.node)).to.equal(e.node);
    // a hook sees every rebuilt node once
    const seen: string[] = [];
    substituter(new Map([[p.node, v.node]]), (old, rebuilt) => seen.push(`${old.prim}->${rebuilt.prim}`))(y.node);
    expect(seen).to.deep.equal(["mul->mul", "add->add"]);
  });

  it("bindPlaceholders: reads inside the scope compute with the bound values; outside they throw", () => {
    const p = ph([]);
    const y = new Tensor(p).mul(3);
    expect(() => y.itemSync()).to.throw(ConcretizationError, /depends on a traced argument/);
    const before = concreteReadCount();
    const v = bindPlaceholders(new Map([[p, np.array(2).node]]), () => y.itemSync());
    expect(v).to.equal(6);
    expect(concreteReadCount()).to.equal(before + 1);
    // the tensor kept its graph: it is still symbolic, so a later binding gives a later value
    expect(dependsOnPlaceholder(y.node)).to.equal(true);
    expect(bindPlaceholders(new Map([[p, np.array(5).node]]), () => y.itemSync())).to.equal(15);
    expect(() => y.itemSync()).to.throw(ConcretizationError);
  });

  it("nested bindings resolve inner values through outer ones (and async reads work)", async () => {
    const outer = ph([], "outer");
    const inner = ph([], "inner");
    const y = new Tensor(inner).add(1);
    const got = await bindPlaceholders(new Map([[outer, np.array(10).node]]), () =>
      bindPlaceholders(new Map([[inner, new Tensor(outer).mul(2).node]]), () => y.item()),
    );
    expect(got).to.equal(21);
    // the graph was not replaced by data
    expect(topoSort([y.node]).some((n) => n === inner)).to.equal(true);
  });
});

describe("realizing a hash-consed node again after dispose", () => {
  it("computes it again instead of reading the released buffer", () => {
    const a = np.ones([2]).mul(3);
    a.dataSync();
    a.dispose();
    // the same (hash-consed) computation, built again
    expect(Array.from(np.ones([2]).mul(3).dataSync())).to.deep.equal([3, 3]);
  });
});
