/**
 * Issue 11, item 9 on webgpu: a synchronous loop of the README's jitted training step keeps live
 * buffers flat and allocates no new device buffers once warm (the values a commit replaces go back
 * to the device pool at once), and values a subscriber keeps stay readable.
 */
import { expect } from "chai";
import { State, type Tensor, memoryStats, np, webgpuRunStats } from "kiln";
import { useWebgpu } from "./env.js";
import { readmeLoop } from "../readme-loop.js";

describe("webgpu: State ownership keeps synchronous loops flat", function () {
  this.timeout(120_000);
  useWebgpu();

  it("the README loop allocates no device buffers once warm, and trains", async () => {
    const { loss, step } = readmeLoop();
    const first = await loss.value.item();
    for (let i = 0; i < 10; i++) step();
    const buffers = memoryStats().buffers, created = webgpuRunStats().buffersCreated;
    for (let i = 0; i < 100; i++) step();
    expect(memoryStats().buffers).to.equal(buffers);
    expect(webgpuRunStats().buffersCreated).to.equal(created);
    const last = await loss.value.item();
    expect(last).to.be.finite.and.below(first === 0 ? 1 : first);
  });

  it("a host value a State let go is counted and freed again once it gets a device copy", async () => {
    const kept = np.array([1, 2, 3]);
    const s = new State(kept);
    const n0 = memoryStats().buffers;
    s.value = np.array([4, 5, 6]); // the replaced host value is left to the JS garbage collector
    expect(memoryStats().buffers).to.equal(n0); // one new buffer, one handed over
    const doubled = kept.mul(2); // uploads `kept`: its device copy is kiln's to free
    expect(await doubled.toArray()).to.deep.equal([2, 4, 6]);
    const n1 = memoryStats().buffers;
    kept.dispose();
    expect(memoryStats().buffers).to.equal(n1 - 1);
    expect(await s.value.toArray()).to.deep.equal([4, 5, 6]);
  });

  it("values a subscriber keeps stay readable", async () => {
    const { loss, step } = readmeLoop();
    const history: Tensor[] = [];
    loss.value$.subscribe((v) => history.push(v));
    for (let i = 0; i < 5; i++) step();
    const values = await Promise.all(history.map((v) => v.item()));
    expect(values).to.have.length(6);
    for (const v of values) expect(v).to.be.finite;
    expect(new Set(values.slice(1)).size).to.be.above(1);
  });
});
