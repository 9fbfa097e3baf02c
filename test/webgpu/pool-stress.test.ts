/**
 * Stale reads on webgpu: a value must read back what its own kernels wrote, whatever else recycles
 * device buffers meanwhile. The conformance pattern "graphs differing only in a non-finite or
 * signed-zero literal" once read 0 or -0.565 for 1/+0 in loaded full runs. These tests run the
 * patterns that can see it with the pool's debug checks on (targets/webgpu/webgpu-pool-check.ts: a buffer
 * recycled while a live value holds it, or released twice, throws; released memory is poisoned),
 * under the churn that recycles buffers: finalizers run between realizing and reading (a
 * macrotask and a forced GC), twins of the graphs are built on the same shared literal nodes and
 * disposed, and jit donations and State commits hand buffers around.
 */
import { expect } from "chai";
import { type Tensor, State, jit, np } from "kiln";
import { bufferOf, npUtil, realize, activeExecutor } from "kiln/internal";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { DeviceData, poolOf, readback } from "../../packages/backend/src/targets/webgpu/webgpu-memory.js";
import { POISON_BITS, setWebgpuPoolChecks } from "../../packages/backend/src/targets/webgpu/webgpu-pool-check.js";
import { PATTERN_CASES } from "../conformance/patterns.js";
import { checkCaseAsync } from "../conformance/suite.js";
import { useWebgpu } from "./env.js";

/** Lets FinalizationRegistry callbacks (buffers of collected data nodes) run. */
const macrotask = () => new Promise<void>((r) => setImmediate(r));
const collect = async () => {
  (globalThis as { gc?: () => void }).gc?.();
  await macrotask();
};

const LITERALS = [NaN, Infinity, -Infinity, 0, -0];
const literalGraphs = (): Tensor[] => LITERALS.map((v) => np.divide(1, npUtil.fullRaw([2], v, "float32")));

describe("webgpu: stale reads under buffer-pool churn", function () {
  this.timeout(30_000);
  useWebgpu();
  let was = false;
  before(() => void (was = setWebgpuPoolChecks(true)));
  after(() => setWebgpuPoolChecks(was));

  it("the pool checks catch a buffer released twice, and poison released memory", async () => {
    const ctx = currentGpu()!;
    const pool = poolOf(ctx);
    const b = pool.acquire(64);
    pool.release(b);
    expect(() => pool.release(b)).to.throw(/released twice/);
    const bits = await readback(ctx, b, "int32", 16);
    expect([...bits].every((x) => x === (POISON_BITS | 0))).to.equal(true);
    expect(pool.acquire(64)).to.equal(b); // out of the free list again, as before the test
  });

  it("the pool checks catch a live value's buffer being recycled", async () => {
    const x = np.array([1, 2, 3], { dtype: "float32" }).mul(2);
    const [leaf] = await realize([x.node]);
    const dd = bufferOf(leaf!)!.device as DeviceData;
    expect(() => poolOf(currentGpu()!).release(dd.gpu!)).to.throw(/while a live float32\[3\] value still holds it/);
    expect(Array.from(await activeExecutor().read(bufferOf(leaf!)!))).to.deep.equal([2, 4, 6]);
  });

  it("literal-only graphs read their own values while twins on the same literals are disposed", async () => {
    const want = LITERALS.map((v) => 1 / v);
    for (let round = 0; round < 40; round++) {
      const twins = literalGraphs();
      const outs = literalGraphs();
      const twinLeaves = await realize(twins.map((t) => t.node));
      const leaves = await realize(outs.map((t) => t.node));
      // The twins go away (disposed, or collected) before the values are read.
      if (round % 2) for (const t of twins) t.dispose();
      void twinLeaves;
      if (round % 4 === 0) await collect();
      else await macrotask();
      const got = await Promise.all(leaves.map((n) => activeExecutor().read(bufferOf(n)!)));
      got.forEach((g, k) => expect(Array.from(g), `round ${round}, 1/${LITERALS[k]}`).to.deep.equal([want[k], want[k]]));
    }
  });

  it("the fused patterns stay exact with donations, State commits and finalizers in between", async () => {
    const step = jit((w: Tensor) => w.mul(0.5).add(1), { donateArgnums: 0 });
    const state = new State(np.zeros([64]), { name: "churn" });
    let w = np.arange(64, { dtype: "float32" }).add(0);
    const started = Date.now();
    for (let round = 0; round < 10 && Date.now() - started < 12_000; round++) {
      for (const [i, c] of PATTERN_CASES.entries()) {
        if (c.throws) continue;
        // The time budget holds within a round too: on a loaded machine one round can take longer than the test's timeout.
        if (round > 0 && Date.now() - started > 12_000) break;
        w = step(w) as Tensor;
        state.value = np.full([64], i).add(w);
        await checkCaseAsync(c, { contractionTol: { rtol: 1e-4, atol: 2e-5 } });
        if (i % 8 === 0) await collect();
      }
    }
    expect(Array.from(await state.value.data()).every(Number.isFinite)).to.equal(true);
  });
});
