/**
 * Issue 11, item 10 on webgpu: scalar constants are read from a parameter buffer, so distinct JS
 * scalars share one pipeline and one plan, and the parameter buffers go back to the device pool.
 */
import { expect } from "chai";
import { memoryStats, np, webgpuCacheStats, webgpuRunStats } from "kiln";
import { useWebgpu } from "./env.js";

describe("webgpu: kernel parameters", function () {
  this.timeout(120_000);
  useWebgpu();

  it("500 distinct scalars compile one pipeline; buffers and device allocations stay flat", async () => {
    const x = np.arange(256).astype("float32").add(0);
    await x.data();
    const c0 = webgpuCacheStats().compiles;
    let buffers = 0, created = 0;
    for (let i = 1; i <= 500; i++) {
      const s = 1 + i * 1e-6;
      const t = x.mul(s).add(s);
      const v = await t.data();
      if (i % 97 === 0) expect(v[7]).to.equal(Math.fround(Math.fround(7 * Math.fround(s)) + Math.fround(s)));
      t.dispose();
      if (i === 50) [buffers, created] = [memoryStats().buffers, webgpuRunStats().buffersCreated];
    }
    expect(webgpuCacheStats().compiles - c0).to.be.at.most(1);
    expect(memoryStats().buffers).to.be.at.most(buffers); // earlier tests' garbage may be finalized meanwhile
    expect(webgpuRunStats().buffersCreated).to.equal(created);
  });
});
