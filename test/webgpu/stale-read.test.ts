/**
 * Issue 17, item 2: with a step's kernels, uploads and read-back copies in one unsubmitted batch
 * (targets/webgpu/webgpu-queue.ts), a read must return what its own kernels wrote whatever else
 * recycles device buffers meanwhile. One test per synchronisation rule of that module — each one
 * returns a wrong value (or an invalid submission) when its rule is broken — then a stress test
 * interleaving jitted steps, donations, eager ops, fresh uploads, disposals and reads that are and
 * are not awaited, checked every iteration against a known integer sequence, with the pool's
 * debug checks on (a live buffer recycled, or one released twice, throws).
 */
import { expect } from "chai";
import { type Tensor, jit, np } from "kiln";
import { activeExecutor, bufferOf } from "kiln/internal";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { poolOf } from "../../packages/backend/src/targets/webgpu/webgpu-memory.js";
import { setWebgpuPoolChecks } from "../../packages/backend/src/targets/webgpu/webgpu-pool-check.js";
import { useWebgpu } from "./env.js";

const N = 256;
const iota = (f: (i: number) => number) => Float32Array.from({ length: N }, (_, i) => f(i));
/** Reads a realized tensor's buffer now: the read-back copy is recorded at this call. */
const readNow = (t: Tensor) => activeExecutor().read(bufferOf(t.node)!);

describe("webgpu: no stale reads from one batch per step", function () {
  this.timeout(60_000);
  useWebgpu();
  const triple = jit((x: Tensor) => x.mul(3));
  const inc = jit((x: Tensor) => x.add(1));
  let x: Tensor;

  before(async () => {
    x = np.array(iota((i) => i)).add(0);
    // Compiled, and their shaders checked: later calls are batched, not submitted alone.
    await (inc(triple(x) as Tensor) as Tensor).data();
  });

  it("rule 1: an upload into a buffer the batch still reads lands after that read", async () => {
    const o = triple(x) as Tensor;
    const p = inc(o) as Tensor; // reads o's buffer, recorded, not yet submitted
    o.dispose(); // o's buffer goes back to the pool now
    const q = inc(np.array(iota((i) => 1000 + i))) as Tensor; // the upload takes that buffer
    const [pv, qv] = await Promise.all([p.data(), q.data()]);
    expect(Array.from(pv)).to.deep.equal(Array.from(iota((i) => 3 * i + 1)));
    expect(Array.from(qv)).to.deep.equal(Array.from(iota((i) => 1001 + i)));
  });

  it("rule 2: a read copies at its request, before later commands overwrite a recycled buffer", async () => {
    const o = triple(x) as Tensor;
    const read = readNow(o);
    o.dispose();
    const z = triple(np.array(iota((i) => -i)).add(0)) as Tensor; // its output takes o's buffer
    expect(Array.from(await read)).to.deep.equal(Array.from(iota((i) => 3 * i)));
    expect((await z.data())[5]).to.equal(-15);
  });

  it("rule 3: staging buffers are not reused while their maps are pending", async () => {
    const pending: [Promise<ArrayLike<number>>, number][] = [];
    for (let round = 0; round < 12; round++) {
      for (let k = 0; k < 4; k++) pending.push([readNow(inc(triple(x) as Tensor) as Tensor), 1]);
      if (round % 3 === 0) await new Promise<void>((r) => setImmediate(r)); // a submission; maps still pending
    }
    for (const [p] of pending) expect((await p)[7]).to.equal(22);
  });

  it("rule 4: a buffer destroyed while the batch references it is destroyed after the submit", async () => {
    const o = triple(x) as Tensor;
    const p = inc(o) as Tensor;
    o.dispose();
    poolOf(currentGpu()!).trim(); // destroys the free buffers, o's among them
    expect((await p.data())[10]).to.equal(31);
  });

  it("jitted steps, donations, eager ops, uploads and reads interleaved stay exact every iteration", async () => {
    const was = setWebgpuPoolChecks(true);
    try {
      // w_{t+1} = w_t + t, w_0 = i: exact in float32 for these sizes.
      const step = jit((w: Tensor, t: Tensor) => w.add(t), { donateArgnums: 0 });
      const expectW = (t: number) => iota((i) => i + (t * (t - 1)) / 2);
      let w = np.array(iota((i) => i)).add(0);
      let late: [Promise<ArrayLike<number>>, Float32Array, string][] = [];
      for (let t = 0; t < 120; t++) {
        w = step(w, np.array(t, { dtype: "float32" })) as Tensor;
        const want = expectW(t + 1);
        // An eager op on a fresh upload, and a throwaway value disposed at once (pool churn).
        const e = np.array(iota((i) => t - i)).add(w);
        (triple(w) as Tensor).dispose();
        if (t % 3 === 0) late.push([readNow(w), want, `w at ${t + 1}`]); // read later, after more work
        if (t % 2 === 0) {
          const got = await e.data();
          expect(got[3], `eager at ${t}`).to.equal(want[3]! + t - 3);
          expect(got[N - 1], `eager at ${t}`).to.equal(want[N - 1]! + t - (N - 1));
        }
        if (t % 7 === 0) {
          for (const [p, wantLate, what] of late) expect(Array.from(await p), what).to.deep.equal(Array.from(wantLate));
          late = [];
        }
      }
      for (const [p, wantLate, what] of late) expect(Array.from(await p), what).to.deep.equal(Array.from(wantLate));
      expect(Array.from(await w.data())).to.deep.equal(Array.from(expectW(120)));
    } finally {
      setWebgpuPoolChecks(was);
    }
  });
});
