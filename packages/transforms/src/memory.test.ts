/** peakLiveBytes and its schedule, on graphs whose peaks are worked out by hand. */
import { expect } from "chai";
import { type Node, np, topoSort } from "@kiln/core";
import { memorySchedule, peakLiveBytes } from "./index.js";

// A realized float32 [1000] buffer: a 4000-byte leaf.
const leaf = () => {
  const x = np.ones([1000]).mul(2);
  x.dataSync();
  return x;
};

describe("peakLiveBytes", () => {
  it("counts a value until its last consumer ran: exp(x).sum() peaks at 4000 + 4 bytes", () => {
    const x = leaf();
    const y = x.exp().sum();
    expect(peakLiveBytes([y.node])).to.equal(4004);
    // leaves are the caller's unless asked for; outputs can be left out too
    expect(peakLiveBytes([y.node], { countInputs: true })).to.equal(8004);
    expect(peakLiveBytes([y.node], { countOutputs: false })).to.equal(4000);
  });

  it("frees along a chain and keeps a value with a later consumer alive", () => {
    const x = leaf();
    // a -> b -> c: at most two alive at once
    expect(peakLiveBytes([x.exp().sin().cos().node])).to.equal(8000);
    // y is used again by the add: y, sin(y) and the sum are alive together
    const y = x.exp();
    expect(peakLiveBytes([y.sin().add(y).node])).to.equal(12000);
  });

  it("treats movement ops as views: no bytes, but their source lives as long as they do", () => {
    const x = leaf();
    const e = x.exp();
    expect(peakLiveBytes([e.reshape([10, 100]).transpose().node])).to.equal(4000);
    // the view's source stays alive until the view's consumer ran
    expect(peakLiveBytes([e.reshape([10, 100]).sin().node])).to.equal(8000);
    // broadcast literals take nothing
    expect(peakLiveBytes([np.ones([1000]).node])).to.equal(0);
  });

  it("counts outputs to the end, once each, in their dtype's size", () => {
    const x = leaf();
    const a = x.exp();
    const b = x.astype("float64").sin();
    // a (4000) stays while the cast (8000) and b (8000) are computed
    expect(peakLiveBytes([a.node, b.node, a.node])).to.equal(20000);
    expect(peakLiveBytes([x.gt(1).node])).to.equal(1000);
  });
});

describe("memorySchedule", () => {
  it("is a topological order of every node reachable from the outputs", () => {
    const x = leaf();
    const outs = [x.exp().sum().node, x.sin().node];
    const order = memorySchedule(outs);
    const all = topoSort(outs);
    expect(order.length).to.equal(all.length);
    for (const n of all) expect(order.includes(n)).to.equal(true);
    const at = new Map(order.map((n, i) => [n, i]));
    for (const n of order) for (const i of n.inputs) expect(at.get(i)!).to.be.below(at.get(n)!);
  });

  it("visits the deepest input first, so short side branches run late", () => {
    const x = leaf();
    let deep = x;
    for (let i = 0; i < 5; i++) deep = deep.sin();
    const shallow = x.exp();
    const order = memorySchedule([shallow.mul(deep).node]);
    const at = (n: Node) => order.indexOf(n);
    expect(at(shallow.node)).to.be.above(at(deep.node));
  });
});
