/**
 * An eager loop that carries a value it never reads itself (`w = w.mul(0.99).add(0.01)`, a loss
 * read each step) must not recompute the value's whole history at every read: a read also realizes
 * the nodes its pending graph reaches across a depth band (realize.ts, pendingOf), so what a read
 * computes stays bounded however many steps ran. Before, a 400-step loop recomputed 800 levels.
 */
import { expect } from "chai";
import { type Tensor, grad, np } from "kiln";
import { bufferOf, topoSort } from "kiln/internal";
import { useCpu } from "./util.js";

/** Nodes a value's graph still has to compute (stops at realized values). */
const pendingNodes = (t: Tensor) => topoSort([t.node], (n) => bufferOf(n) !== undefined).filter((n) => bufferOf(n) === undefined).length;
const loss = (v: Tensor) => v.mul(v).sum();

describe("eager loops carrying an unread value", () => {
  useCpu();

  it("w = w.mul(0.99).add(0.01) over 3,000 steps: each read computes at most two bands of the chain", () => {
    let w = np.ones([8]);
    const pending: number[] = [];
    for (let step = 1; step <= 3000; step++) {
      w = w.mul(0.99).add(0.01);
      pending.push(pendingNodes(loss(w)));
      loss(w).itemSync();
    }
    expect(Math.max(...pending.slice(100))).to.be.at.most(2 * 64 + 4);
    expect(w.get(0).itemSync()).to.be.closeTo(1, 1e-6);
  });

  it("a carried value updated by eager grad steps (a DAG: v feeds the gradient and the update) stays bounded", () => {
    let v = np.ones([4]);
    const pending: number[] = [];
    for (let step = 1; step <= 500; step++) {
      v = v.sub(grad(loss)(v).mul(0.01));
      pending.push(pendingNodes(loss(v)));
      loss(v).itemSync();
    }
    expect(Math.max(...pending.slice(100))).to.be.at.most(4 * 2 * 64);
    expect(v.get(0).itemSync()).to.be.closeTo(0.98 ** 500, 1e-9);
  });

  it("graphs shallower than one band realize only what was asked", () => {
    const x = np.ones([4]);
    const a = x.mul(2).add(1);
    const y = a.mul(3).sum();
    y.itemSync();
    expect(bufferOf(a.node)).to.equal(undefined);
  });
});
