/**
 * Issue 11, item 9 (eager part): a plain eager synchronous loop that drops its results — no
 * `dispose`, no `tidy`, no `await` — keeps heap and host memory flat on cpu.
 *
 * Two retention paths used to pin every result until the loop yielded: eager nodes were interned
 * through WeakRefs (V8 keeps a WeakRef's target alive until the synchronous job ends, and a
 * realized node keeps its buffer), and the data nodes' FinalizationRegistry held each DataBuffer —
 * with its host array — until a callback that a synchronous loop never lets run. These tests run
 * the loops without yielding and compare memory after `gc()` at two points of the same loop, so
 * growth per step shows however fast the machine is. `memoryStats()` counts buffers whose
 * finalizer has not run yet (it lags inside such a loop): it must be back once the loop yields.
 */
import { expect } from "chai";
import { type Tensor, jit, memoryStats, np } from "kiln";
import { activeExecutor, bufferOf, realizeSync, setExecutor, useCpuBackend } from "kiln/internal";

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 2 ** 20;

/** Heap and host (ArrayBuffer) bytes after a full collection, measured inside the running job. */
function usageAfterGc(): { heap: number; host: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, host: m.arrayBuffers };
}

/** Lets pending FinalizationRegistry callbacks run (they need a collection and a turn of the loop). */
async function settle(): Promise<void> {
  for (let k = 0; k < 3; k++) {
    gc!();
    await new Promise<void>((r) => setImmediate(r));
  }
}

describe("eager synchronous loops stay flat without dispose or tidy (cpu)", function () {
  this.timeout(120_000);
  let previous: string;
  before(function () {
    if (!gc) throw new Error("this test needs global.gc: run mocha with --expose-gc (.mocharc.json sets it)");
    previous = activeExecutor().name;
    useCpuBackend();
  });
  after(() => previous && setExecutor(previous));

  it("x.mul(i).add(1).sum().itemSync() in a loop: the heap does not grow with the step count", async () => {
    await settle();
    const base = memoryStats().buffers;
    const x = np.ones([64, 64]);
    x.dataSync();
    let acc = 0;
    const step = (i: number) => {
      const y = x.mul(i).add(1).sum();
      acc += y.itemSync();
    };
    // Warm-up fills the bounded caches (kernels, plans, the literal table: 1024 literals).
    for (let i = 0; i < 1500; i++) step(i);
    const mid = usageAfterGc();
    for (let i = 1500; i < 4000; i++) step(i);
    const end = usageAfterGc();
    // Before the fix each step kept its nodes and result (~10 KB): 25 MB over these 2,500 steps.
    expect((end.heap - mid.heap) / MB, "heap growth (MB) over 2,500 steps").to.be.below(4);
    expect(acc).to.equal(64 * 64 * ((3999 * 4000) / 2 + 4000));
    // The accounting catches up once the loop yields: only x is left.
    await settle();
    expect(memoryStats().buffers - base).to.be.at.most(1);
  });

  it("x.mul(i).add(1).dataSync() of 256 KB results: host memory and heap stay flat", async () => {
    await settle();
    const base = memoryStats().buffers;
    const x = np.ones([256, 256]);
    x.dataSync();
    let last = 0;
    const step = (i: number) => {
      const d = x.mul(i).add(1).dataSync();
      last = d[d.length - 1]!;
    };
    for (let i = 0; i < 100; i++) step(i);
    const mid = usageAfterGc();
    for (let i = 100; i < 500; i++) step(i);
    const end = usageAfterGc();
    // Before the fix every result's buffer stayed (with its copy): 400 steps × 256 KB = 100 MB.
    expect((end.host - mid.host) / MB, "host (ArrayBuffer) growth (MB) over 400 steps").to.be.below(16);
    expect((end.heap - mid.heap) / MB, "heap growth (MB) over 400 steps").to.be.below(4);
    expect(last).to.equal(500);
    // memoryStats lags inside the loop (finalizers have not run) and is exact once it yields.
    await settle();
    expect(memoryStats().buffers - base).to.be.at.most(1);
  });

  it("scalar literals are shared, their values are not cached, and jit takes them as arguments", () => {
    // np.array(3) is a literal node: one object however often it is built (a bounded table).
    expect(np.array(3).node).to.equal(np.array(3).node);
    const f = jit((a: Tensor) => a.mul(2));
    expect((f(np.array(3)) as Tensor).itemSync()).to.equal(6);
    expect((f(np.array(4)) as Tensor).itemSync()).to.equal(8);
    // Reading a literal does not pin a buffer on the shared node: the leaf returned carries it.
    const [leaf] = realizeSync([np.array(5).node]);
    expect(Array.from(bufferOf(leaf!)!.host!)).to.deep.equal([5]);
    expect(bufferOf(np.array(5).node)).to.equal(undefined);
    expect(np.array(5).itemSync()).to.equal(5);
  });

  it("results kept by the loop stay readable with their values", () => {
    const x = np.arange(4).astype("float32");
    const kept = [];
    for (let i = 0; i < 50; i++) {
      const y = x.mul(i).add(1);
      y.dataSync();
      if (i % 10 === 0) kept.push([i, y] as const);
    }
    gc!();
    for (const [i, y] of kept) expect(Array.from(y.dataSync())).to.deep.equal([0, 1, 2, 3].map((v) => v * i + 1));
  });
});
