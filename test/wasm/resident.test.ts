/**
 * State values stay resident in the WebAssembly heap across calls of a compiled cpu plan: the next
 * call reads them in place (a warm W3 step copies its loss out, no weights; its reused batch is an
 * input mirror, input-mirrors.test.ts), with
 * the same bits as copying; a replaced value that user code still holds keeps its values; a
 * 10^4-step loop keeps memoryStats, the heap and its resident regions flat; the copying fallback
 * (no region to be had) gives the same results; and the allocator never lets the arena and a
 * resident region overlap.
 */
import { expect } from "chai";
import { type Tensor, jit, np, ParamState, memoryStats } from "kiln";
import { setWasmMinElements, wasmKernelStats, withCpuThreads } from "@kiln/backend";
import { bufferOf } from "@kiln/core";
import { heap, setResidentLimit } from "../../packages/backend/src/host/heap.js";
import { inHeap, inputCopyStats, residentArray } from "../../packages/backend/src/host/resident.js";
import { BATCH, SIZES, kilnMlp, mlpData } from "../../bench/src/w3-mlp.js";
import { useCpu } from "../util.js";

const h = heap!;
const N = 1 << 14;
const hostOf = (t: Tensor) => bufferOf(t.node)!.host!;
const ramp = (seed: number) => np.sin(np.arange(N).astype("float32").mul(0.001 * seed));

/** A jitted step over two States with wasm kernels (2^14 elements), returning a scalar. */
function stateStep() {
  const a = new ParamState(ramp(1), { name: "a" }), b = new ParamState(ramp(2), { name: "b" });
  const step = jit((x: Tensor) => {
    const na = a.value.mul(0.5).add(b.value.mul(x));
    b.value = b.value.sub(na.mul(0.01));
    a.value = na;
    return np.sum(na);
  });
  return { a, b, step };
}

describe("wasm: State values resident in the heap across calls", function () {
  this.timeout(120_000);
  useCpu();
  afterEach(() => setResidentLimit());

  it("a warm W3 step copies its loss out, not its weights (nor its reused batch: a mirror): same losses as copying, 1 and 2 threads", () => {
    const run = (limit: number | undefined, threads: number) => withCpuThreads(threads, () => {
      setResidentLimit(limit);
      const { x, y, make } = kilnMlp(mlpData());
      const step = make();
      const losses = [0, 1, 2].map(() => (step(x, y) as Tensor).itemSync());
      const before = wasmKernelStats().copiedBytes;
      for (let i = 0; i < 4; i++) losses.push((step(x, y) as Tensor).itemSync());
      return { losses, copied: (wasmKernelStats().copiedBytes - before) / 4 };
    });
    const batch = BATCH * SIZES[0] * 4, weights = [0, 1, 2].reduce((s, l) => s + (SIZES[l]! * SIZES[l + 1]! + SIZES[l + 1]!) * 4, 0);
    const copying = run(0, 2), resident = run(undefined, 2), oneThread = run(undefined, 1);
    // Before: every weight copied into the heap and every updated weight out again, each step.
    expect(copying.copied, "copying fallback: batch + weights in and out").to.be.at.least(batch + 2 * weights - 1024);
    // The batch is the same Tensor every step: its heap mirror is read in place (input-mirrors.test.ts).
    expect(resident.copied, "resident: the labels and the loss only").to.be.at.most(1024);
    expect(resident.losses).to.deep.equal(copying.losses);
    expect(oneThread.losses).to.deep.equal(copying.losses);
  });

  it("a State's value lives in a resident region; the next call reads it in place", () => {
    const { a, step } = stateStep();
    step(np.array(0.5)).dispose();
    const before = wasmKernelStats().copiedBytes;
    step(np.array(0.5)).dispose();
    // The only bytes copied: the scalar argument and the returned sum (no 2^14-element value).
    expect(wasmKernelStats().copiedBytes - before).to.be.below(64);
    expect(inHeap(hostOf(a.committedValue))).to.equal(true);
  });

  it("a replaced value that user code holds keeps its values (moved out of the heap), also after its region is reused", () => {
    const { a, step } = stateStep();
    step(np.array(0.25)).dispose();
    const held = a.value;
    const want = held.dataSync().slice();
    const emitted: { t: Tensor; v: Float32Array }[] = [];
    const sub = a.value$.subscribe((t) => emitted.push({ t, v: t.dataSync().slice() as Float32Array }));
    for (let i = 0; i < 6; i++) step(np.array(0.25)).dispose();
    sub.unsubscribe();
    expect(Array.from(held.dataSync())).to.deep.equal(Array.from(want));
    expect(inHeap(hostOf(held)), "a distinct buffer in JS memory").to.equal(false);
    // Every value a subscriber kept still holds what it was given, though later steps reused regions.
    for (const { t, v } of emitted.slice(0, -1)) expect(Array.from(t.dataSync())).to.deep.equal(Array.from(v));
  });

  it("10^4 steps: memoryStats, the heap size, its resident regions and the arena stay flat", () => {
    const { step } = stateStep();
    const x = np.array(0.001);
    for (let i = 0; i < 3; i++) step(x).dispose();
    const stats = memoryStats(), bytes = h.memory.buffer.byteLength, resident = h.residentStats(), mark = h.mark();
    for (let i = 0; i < 10_000; i++) step(x).dispose();
    expect(memoryStats()).to.deep.equal(stats);
    expect(h.memory.buffer.byteLength).to.equal(bytes);
    expect(h.residentStats()).to.deep.equal(resident);
    expect(h.mark()).to.equal(mark);
  });

  it("no region to be had (the budget): the values are copied, with the same results", () => {
    const run = (limit: number | undefined) => {
      setResidentLimit(limit);
      const { a, b, step } = stateStep();
      const sums = [0, 1, 2].map(() => step(np.array(0.75)).itemSync());
      return { sums, a: Array.from(a.committedValue.dataSync()), b: Array.from(b.committedValue.dataSync()), inHeap: inHeap(hostOf(a.committedValue)) };
    };
    // Input mirrors give their regions back when a region is refused: count the State values' alone.
    const stateRegions = () => h.residentStats().regions - inputCopyStats().copies;
    const regions = stateRegions();
    const copied = run(0);
    expect(copied.inHeap).to.equal(false);
    expect(stateRegions()).to.equal(regions);
    const resident = run(undefined);
    expect(resident.inHeap).to.equal(true);
    expect({ ...resident, inHeap: false }).to.deep.equal(copied);
  });

  it("a donated resident value is written over in place; the output keeps the region (not freed with the donor)", () => {
    const { a, b, step } = stateStep();
    step(np.array(0.5)).dispose();
    const av = a.value, bv = b.value;
    const at = hostOf(av).byteOffset;
    const want = av.add(bv).dataSync().slice();
    const add = jit((p: Tensor, q: Tensor) => p.add(q), { donateArgnums: 0 });
    // Both are views of the one heap: donation compares their bytes, not their buffer objects.
    const r = add(av, bv);
    expect(av.isDisposed).to.equal(true);
    expect(hostOf(r).byteOffset, "written in place").to.equal(at);
    a.value = np.zeros([N]);
    for (let i = 0; i < 4; i++) step(np.array(0.5)).dispose();
    expect(Array.from(r.dataSync()), "regions allocated since did not reuse its bytes").to.deep.equal(Array.from(want));
    const regions = h.residentStats().regions;
    r.dispose();
    expect(h.residentStats().regions).to.equal(regions - 1);
  });

  describe("the allocator", () => {
    it("first fit in the holes freed regions leave, merged with their neighbours; 64-byte aligned (cache lines); a double free throws", () => {
      const [p, q, r] = [100, 200, 300].map((n) => h.allocResident(n));
      for (const o of [p, q, r]) expect(o! % 64).to.equal(0);
      expect(new Set([p, q, r]).size).to.equal(3);
      h.freeResident(p!);
      h.freeResident(q!);
      // 128 + 256 bytes, merged: 320 fit where p was.
      const s = h.allocResident(320);
      expect(s).to.equal(p);
      h.freeResident(s);
      h.freeResident(r!);
      expect(() => h.freeResident(r!)).to.throw(/freed twice/);
    });

    it("arena allocations start on cache lines (64 bytes) whatever the sizes before them: the pool splits rows of output at line boundaries", () => {
      const mark = h.mark();
      try {
        const offsets = [40, 4, 100, 64, 1].map((n) => h.alloc(n));
        for (const o of offsets) expect(o % 64, `offset ${o}`).to.equal(0);
        expect(new Set(offsets).size).to.equal(offsets.length);
      } finally {
        h.release(mark);
      }
    });

    it("the arena never overlaps a region: a region that fits no hole is refused while the arena is in use, and lies below it after", () => {
      const mark = h.mark();
      const inArena = h.alloc(1024);
      expect(h.allocResident(1 << 24), "the arena is in use above").to.equal(-1);
      h.release(mark);
      const big = h.allocResident(1 << 24);
      expect(big).to.be.at.least(0);
      const m2 = h.mark();
      const next = h.alloc(64);
      expect(next, "the arena starts above the region").to.be.at.least(big + (1 << 24));
      h.release(m2);
      expect(h.residentStats().arenaBase).to.be.at.most(h.mark());
      h.freeResident(big);
      expect(inArena).to.be.a("number");
    });

    it("a region the memory had to grow for is recognized as heap memory (the new buffer object is recorded)", () => {
      const bytes = h.memory.buffer.byteLength;
      // Larger than the whole memory: no hole fits, so the memory grows for it.
      const r = residentArray("float32", bytes / 4 + 1024)!;
      expect(h.memory.buffer.byteLength).to.be.greaterThan(bytes);
      // …and again: r's view now holds an older buffer object over the same bytes.
      const r2 = residentArray("float32", bytes / 4 + 1024)!;
      expect(inHeap(r.array), "read in place by the next call, not copied").to.equal(true);
      r.free();
      r2.free();
    });

    it("the budget: beyond it, no region", () => {
      setResidentLimit(0);
      expect(h.allocResident(16)).to.equal(-1);
    });
  });

  after(() => setWasmMinElements());
});
