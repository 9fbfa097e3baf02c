/**
 * A jitted cpu call's inputs stay in the WebAssembly heap as mirrors of their buffers
 * (host/resident.ts `heapCopyOf`): a value passed again — a reused batch — is read in place, not
 * copied again; a different value is copied; the results are the bits of the copying path; mirrors
 * are freed with their buffer, bounded by their cap (least recently bound first, never one the
 * same call binds), and a long loop over alternating or fresh batches keeps the heap flat. A
 * Tensor never aliases the user's typed array, so a mirror cannot go stale when that array changes.
 */
import { expect } from "chai";
import { type Tensor, jit, memoryStats, np } from "kiln";
import { wasmKernelStats } from "@kiln/backend";
import { bufferOf } from "@kiln/core";
import { heap } from "../../packages/backend/src/host/heap.js";
import { inHeap, inputCopyStats, setInputCopyLimit } from "../../packages/backend/src/host/resident.js";
import { useCpu } from "../util.js";

const h = heap!;
const [ROWS, K, COLS] = [128, 256, 64];
const BATCH_BYTES = ROWS * K * 4;
const copied = () => wasmKernelStats().copiedBytes;
const values = (seed: number) => Float32Array.from({ length: ROWS * K }, (_, i) => Math.sin(i * 0.001 * seed));
/** A batch as a data leaf (1-D: a shaped np.array is a reshape node whose buffer its handle does not own). */
const batch = (seed: number) => np.array(values(seed));
const w = np.array(Float32Array.from({ length: K * COLS }, (_, i) => Math.cos(i * 0.01)), { shape: [K, COLS] });
/** A jitted step whose wasm kernels read its argument (a contraction, then tanh and a sum). */
const makeStep = () => jit((x: Tensor) => np.sum(np.tanh(x.reshape([ROWS, K]).matmul(w))));
const mirrorOf = (t: Tensor) => bufferOf(t.node)!.mirror;

describe("wasm: jitted inputs mirrored in the heap across calls", function () {
  this.timeout(120_000);
  useCpu();
  afterEach(() => setInputCopyLimit());

  it("a reused input is copied once across N calls; a different input is copied; same bits as copying every call", () => {
    const step = makeStep();
    const x = batch(1);
    const before = copied();
    const first = step(x).itemSync();
    expect(copied() - before, "the first call copies the batch into its mirror").to.be.at.least(BATCH_BYTES);
    expect(inHeap(mirrorOf(x)!)).to.equal(true);
    const warm = copied();
    const again = Array.from({ length: 10 }, () => step(x).itemSync());
    expect(copied() - warm, "10 more calls: the returned scalars only").to.be.below(10 * 64);
    expect(again.every((v) => v === first)).to.equal(true);
    // The same values in another Tensor are another buffer: copied.
    const y = batch(1);
    const beforeY = copied();
    expect(step(y).itemSync()).to.equal(first);
    expect(copied() - beforeY).to.be.at.least(BATCH_BYTES);
    // The copying path (no mirrors) gives the same bits.
    setInputCopyLimit(0);
    const z = batch(1);
    const beforeZ = copied();
    expect(step(z).itemSync()).to.equal(first);
    expect(step(z).itemSync()).to.equal(first);
    expect(copied() - beforeZ, "without mirrors every call copies").to.be.at.least(2 * BATCH_BYTES);
    expect(mirrorOf(z)).to.equal(null);
  });

  it("the user's typed array changed after np.array: the Tensor keeps its values, a new Tensor of the array gets the new ones", () => {
    const step = makeStep();
    const data = values(2);
    const x = np.array(data);
    const want = step(x).itemSync();
    data.fill(0.5);
    expect(step(x).itemSync(), "the mirror is of the Tensor's own copy").to.equal(want);
    const changed = np.array(data);
    setInputCopyLimit(0);
    const fresh = step(np.array(data)).itemSync();
    setInputCopyLimit();
    expect(step(changed).itemSync()).to.equal(fresh).and.not.equal(want);
  });

  it("a mirror is freed with its buffer (dispose), and when a donation takes the buffer over", () => {
    const step = makeStep();
    const x = batch(3);
    step(x).dispose();
    const { copies, bytes } = inputCopyStats();
    expect(mirrorOf(x)).to.not.equal(null);
    x.dispose();
    expect(inputCopyStats()).to.deep.equal({ copies: copies - 1, bytes: bytes - BATCH_BYTES });
    const donating = jit((a: Tensor) => np.tanh(a.reshape([ROWS, K]).matmul(w)).reshape([-1]).sum().add(np.tanh(a)), { donateArgnums: 0 });
    const a = batch(4);
    step(a).dispose();
    const want = np.tanh(batch(4).reshape([ROWS, K]).matmul(w)).sum().add(np.tanh(batch(4))).dataSync();
    const before = inputCopyStats().copies;
    const r = donating(a);
    expect(a.isDisposed).to.equal(true);
    expect(inputCopyStats().copies).to.equal(before - 1);
    expect(Array.from(r.dataSync())).to.deep.equal(Array.from(want));
  });

  it("10^4 calls alternating two batches: copied twice in all; memoryStats, the heap, its regions and the mirrors stay flat", () => {
    const step = makeStep();
    const xs = [batch(5), batch(6)];
    const want = xs.map((x) => step(x).itemSync());
    const stats = memoryStats(), bytes = h.memory.buffer.byteLength, resident = h.residentStats(), mirrors = inputCopyStats();
    const before = copied();
    for (let i = 0; i < 10_000; i++) {
      const r = step(xs[i & 1]!);
      if (i >= 9_998) expect(r.itemSync()).to.equal(want[i & 1]);
      r.dispose();
    }
    expect(copied() - before, "the returned scalars only").to.be.below(10_000 * 8);
    expect(memoryStats()).to.deep.equal(stats);
    expect(h.memory.buffer.byteLength).to.equal(bytes);
    expect(h.residentStats()).to.deep.equal(resident);
    expect(inputCopyStats()).to.deep.equal(mirrors);
  });

  it("a fresh batch every call in a synchronous loop (no finalizer runs): the mirrors stay within their cap, the heap flat", () => {
    setInputCopyLimit(4 * BATCH_BYTES);
    const step = makeStep();
    const fresh = Array.from({ length: 8 }, (_, i) => values(10 + i));
    for (let i = 0; i < 8; i++) step(np.array(fresh[i]!)).dispose();
    const bytes = h.memory.buffer.byteLength;
    for (let i = 0; i < 2_000; i++) step(np.array(fresh[i % 8]!)).dispose();
    expect(inputCopyStats().bytes).to.be.at.most(4 * BATCH_BYTES);
    expect(h.memory.buffer.byteLength).to.equal(bytes);
  });

  it("the cap: a call's own mirrors are never evicted for its other inputs (copied instead); results unchanged", () => {
    const add = jit((p: Tensor, q: Tensor) => np.sum(np.tanh(p.reshape([ROWS, K]).matmul(w)).add(np.tanh(q.reshape([ROWS, K]).matmul(w)))));
    const [p, q] = [batch(7), batch(8)];
    setInputCopyLimit(0);
    const want = add(p, q).itemSync();
    setInputCopyLimit(BATCH_BYTES);
    for (let i = 0; i < 3; i++) expect(add(p, q).itemSync()).to.equal(want);
    // One of the two fits: the other is copied each call, neither evicts the other within a call.
    expect([mirrorOf(p), mirrorOf(q)].filter((m) => m !== null)).to.have.length(1);
    expect(inputCopyStats().bytes).to.be.at.most(BATCH_BYTES);
  });
});
