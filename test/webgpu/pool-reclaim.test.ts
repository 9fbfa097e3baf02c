/**
 * The webgpu pool takes back device copies of values that also live on the host (webgpu-memory.ts),
 * and a State reads back behind a replaced value that user code may hold (`Executor.readBehind`):
 * values stay right through both — a reclaimed value is uploaded again when next used, a value
 * read behind stays readable — and a buffer bound by the recording under way is never taken.
 */
import { expect } from "chai";
import { State, type Tensor, jit, np, webgpuRunStats } from "kiln";
import { type DataBuffer, bufferOf } from "kiln/internal";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { poolOf } from "../../packages/backend/src/targets/webgpu/webgpu-memory.js";
import { useWebgpu } from "./env.js";

const gpuOf = (t: Tensor): GPUBuffer | null => ((bufferOf(t.node) as DataBuffer).device as { gpu: GPUBuffer | null } | null)?.gpu ?? null;

describe("webgpu: the pool takes back copies of host values", function () {
  this.timeout(60_000);
  useWebgpu();
  beforeEach(() => poolOf(currentGpu()!).trim());

  it("a value read back gives its buffer to a later recording once unbound for a while, and is uploaded again when used", async () => {
    const x = np.linspace(-1, 1, 16).mul(3);
    const want = Array.from(await x.data());
    expect(gpuOf(x)).to.not.equal(null);
    // Results of x's size class, unread (device-only while the loop does not yield: their reads
    // behind complete later) and kept alive here so that the collector cannot return them either: once x was left unbound by 16
    // recordings (a jitted call enqueues one each), the pool takes x's copy rather than create.
    const make = jit((k: Tensor) => np.ones([16]).mul(k));
    const keep: Tensor[] = [];
    const r0 = webgpuRunStats().buffersReclaimed;
    for (let i = 0; i < 40; i++) keep.push(make(np.array(i + 2)) as Tensor);
    expect(webgpuRunStats().buffersReclaimed - r0).to.equal(1);
    expect(gpuOf(x)).to.equal(null);
    // Used again: uploaded from its host copy, right values.
    const up0 = webgpuRunStats().uploadedBytes;
    expect(Array.from(await x.mul(2).data())).to.deep.equal(want.map((v) => v * 2));
    expect(webgpuRunStats().uploadedBytes - up0).to.equal(64);
    // The values that took the buffers are intact.
    expect(Array.from(await keep[0]!.data())).to.deep.equal(new Array(16).fill(2));
    expect(Array.from(await keep[39]!.data())).to.deep.equal(new Array(16).fill(41));
  });

  it("never takes a copy the recording under way binds, nor one just read: a donation still gets the buffer read last", async () => {
    const update = jit((w: Tensor, g: Tensor) => w.sub(g.mul(0.5)), { donateArgnums: 0 });
    const g = np.full([1000], 2);
    let w = np.arange(1000, { dtype: "float32" }).add(0);
    for (let i = 0; i < 30; i++) {
      await w.data(); // a host copy: w's buffer is reclaimable
      const storage = gpuOf(w);
      w = update(w, g) as Tensor; // g is uploaded into w's class; w is this recording's own
      expect(gpuOf(w), `step ${i}`).to.equal(storage);
    }
    const got = await w.data();
    for (let i = 0; i < 1000; i += 37) expect(got[i]).to.equal(i - 30);
  });

  it("a replaced State value that user code kept is read back behind: readable, its device buffer freed", async () => {
    const s = new State(np.zeros([8]).add(0), { name: "s" });
    const kept: Tensor[] = [];
    for (let i = 0; i < 5; i++) {
      const v = s.value as Tensor; // handed out: the commit cannot free it
      kept.push(v);
      s.value = v.add(1);
    }
    // The reads behind ride the next submission; reading the State waits for it.
    await (s.value as Tensor).data();
    await new Promise<void>((r) => setImmediate(r));
    expect(kept.slice(1).map(gpuOf)).to.deep.equal([null, null, null, null]);
    for (let i = 0; i < 5; i++) expect(Array.from(await kept[i]!.data())).to.deep.equal(new Array(8).fill(i));
    expect(Array.from(await (s.value as Tensor).data())).to.deep.equal(new Array(8).fill(5));
    // Used on the device again, a value read behind is uploaded from its host copy.
    expect(Array.from(await kept[2]!.mul(3).data())).to.deep.equal(new Array(8).fill(6));
  });

  it("a replaced State value over 64 KB, read through .value every step: left to the collector only up to a budget, then read behind — device buffers bounded without a collection", async () => {
    // 256 KB a value: 8 MB of them may wait for the collector (32), the rest are read behind.
    const n = 65_536;
    const s = new State(np.zeros([n]).add(0), { name: "big" });
    const step = async (i: number) => {
      s.value = (s.value as Tensor).add(1); // read through .value: the commit cannot free the old one
      if (i % 4 === 3) await (s.value as Tensor).sum().item(); // a loss read: the loop yields
    };
    for (let i = 0; i < 60; i++) await step(i);
    const created0 = webgpuRunStats().buffersCreated;
    const steps = 400;
    for (let i = 60; i < 60 + steps; i++) await step(i);
    const created = webgpuRunStats().buffersCreated - created0;
    // Each step's 256 KB value left to the collector was one new device buffer (400 here, as many
    // as the collector did not happen to run for); read behind, the pool takes it back.
    expect(created, "device buffers created in 400 steps").to.be.below(40);
    const got = await (s.value as Tensor).data();
    expect([got[0], got[n - 1]]).to.deep.equal([60 + steps, 60 + steps]);
  });

  it("a jitted call's small result, dropped unread, is read behind and gives its buffer back; its own read takes that copy", async () => {
    const f = jit((k: Tensor) => np.sum(np.ones([4]).mul(k)));
    // A loss read every 8th step (the loop yields there); the others are dropped unread.
    const step = async (i: number) => {
      const loss = f(np.array(i)) as Tensor;
      if (i % 8 === 7) expect(await loss.item()).to.equal(4 * i);
    };
    for (let i = 0; i < 64; i++) await step(i);
    const s0 = webgpuRunStats();
    for (let i = 64; i < 464; i++) await step(i);
    const s1 = webgpuRunStats();
    // Before, each dropped loss held a device buffer until a collection: ~1 created a step.
    expect(s1.buffersCreated - s0.buffersCreated, "device buffers created in 400 steps").to.equal(0);
    // Per call, the loss and the argument np.array(i) (a constant computed on the device for the call).
    expect(s1.readsBehind - s0.readsBehind, "results read behind").to.equal(800);
    // The 50 losses read took their reads behind: one read each, no second copy.
    expect(s1.reads - s0.reads, "reads").to.equal(50);
  });
});
