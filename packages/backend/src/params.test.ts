/**
 * Issue 11, item 10: scalar constants are kernel parameters, so a loop over distinct JS scalars
 * compiles one kernel and schedules one plan, and memory stays flat.
 */
import { expect } from "chai";
import { type Tensor, activeExecutor, memoryStats, np, setExecutor } from "@kiln/core";
import { kernelCacheStats, lowerGraph, parameterizeConstants, planCacheStats, staysLiteral, useCpuBackend } from "./index.js";

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));
/** Heap after collection; finalizers (buffer accounting, intern-table cleanup) run between the rounds. */
const heapAfterGc = async () => {
  for (let k = 0; k < 3; k++) {
    (globalThis as { gc?: () => void }).gc?.();
    await yieldToEventLoop();
  }
  return process.memoryUsage().heapUsed;
};

describe("kernel parameters (cpu)", () => {
  let previous: string;
  before(() => {
    previous = activeExecutor().name;
    useCpuBackend();
  });
  after(() => setExecutor(previous));

  it("10,000 distinct scalars compile one kernel and schedule one plan; buffers and heap stay flat", async function () {
    this.timeout(120_000);
    const x = np.arange(64).astype("float32").add(0);
    x.dataSync();
    const c0 = kernelCacheStats().compiles, s0 = planCacheStats().schedules;
    let buffers = 0, heap = 0;
    for (let i = 1; i <= 10_000; i++) {
      const s = 1 + i * 1e-6;
      const t = x.mul(s);
      const v = t.dataSync();
      if (i % 997 === 0) expect(v[5]).to.equal(Math.fround(5 * Math.fround(s))); // as the float32 literal s computed
      t.dispose();
      if (i === 1000) [buffers, heap] = [memoryStats().buffers, await heapAfterGc()];
      // No yield: eager nodes are not interned through WeakRefs (core ir/node.ts), so a
      // synchronous loop's nodes are collected inside it (test/eager-memory.test.ts).
    }
    expect(kernelCacheStats().compiles - c0).to.be.at.most(1);
    expect(planCacheStats().schedules - s0).to.be.at.most(1);
    expect(memoryStats().buffers).to.be.at.most(buffers); // earlier tests' garbage may be finalized meanwhile
    expect((await heapAfterGc()) - heap).to.be.below(16 * 2 ** 20);
  });

  it("the kernel source holds no scalar value; structural constants stay literals", () => {
    const x = np.arange(8).astype("float32").add(0);
    x.dataSync();
    const src = (t: Tensor) => lowerGraph(t).kernels.map((k) => k.source).join("\n");
    expect(src(x.mul(1.2345))).to.not.contain("1.2345");
    expect(src(x.mul(1.2345))).to.equal(src(x.mul(6.789)));
    expect(src(np.maximum(x, 0))).to.equal(src(np.maximum(x, 0)));
    expect(src(np.maximum(x, 0))).to.not.equal(src(np.maximum(x, 0.25)));
    for (const v of [0, 1, -1, 2, 16, 0.5, -0.5, Infinity, -Infinity, NaN]) expect(staysLiteral(v), String(v)).to.equal(true);
    for (const v of [17, 0.25, 1e-6, 0.1, -3.5]) expect(staysLiteral(v), String(v)).to.equal(false);
  });

  it("only float32 constants become parameters, and outputs that are constants stay as they are", () => {
    const isBuffer = (n: { prim: string }) => n.prim === "data";
    const i = np.arange(4, { dtype: "int32" }).add(1000);
    expect(parameterizeConstants([i.node], isBuffer).params).to.equal(null);
    const c = np.array(0.3).node;
    expect(parameterizeConstants([np.full([3], 0.3).node], isBuffer).params?.host).to.deep.equal(Float32Array.of(0.3));
    if (c.prim === "const") expect(parameterizeConstants([c], isBuffer).params).to.equal(null);
  });

  it("results match the literal semantics across dtypes and broadcasts", () => {
    const x = np.array([[1, 2, 3], [4, 5, 6]]);
    // Bit-identical to float32 literals: each float32 value is rounded where it is computed
    // (docs/backends.md, the rounding rule), constants included.
    const f = Math.fround;
    expect(x.mul(0.1).add(0.3).toArraySync()).to.deep.equal([[1, 2, 3], [4, 5, 6]].map((r) => r.map((v) => f(f(v * f(0.1)) + f(0.3)))));
    expect(np.full([2, 2], 3.7).toArraySync()).to.deep.equal([[Math.fround(3.7), Math.fround(3.7)], [Math.fround(3.7), Math.fround(3.7)]]);
    expect(np.arange(3).add(1000).toArraySync()).to.deep.equal([1000, 1001, 1002]);
  });
});
