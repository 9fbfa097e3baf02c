/**
 * Issue 11, item 9 on webgpu: a synchronous loop of the README's jitted training step keeps live
 * buffers flat and allocates no new device buffers once warm (the values a commit replaces go back
 * to the device pool at once), and values a subscriber keeps stay readable.
 */
import { expect } from "chai";
import { type Tensor, memoryStats, webgpuRunStats } from "kiln";
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
