/**
 * Issue 13 item 3: elementwise and reduction kernels split across the worker pool (wasm-split.ts)
 * give the same bytes for 1, 2 and 3 threads — and the JS kernels' bytes — on elementwise, gather,
 * multi-output kernels, reductions (full float sums, products, max/min with NaN and ±0, int32 sums
 * that wrap, sums over either axis, argmax), at sizes on both sides of the chunk and grain
 * boundaries. Also: W1's kernel is split when there is more than one thread and never with one, and
 * a long jitted loop of split kernels keeps memory flat.
 */
import { expect } from "chai";
import { type Tensor, jit, memoryStats, np, random } from "kiln";
import { bufferOf, clearWasmKernels, cpuPoolStats, scheduleGraph, setWasmMinElements,
  wasmKernelStats, withCpuThreads, type Node,
} from "kiln/internal";
import { SUM_BLOCK } from "../../packages/backend/src/place.js";
import { kernelSplit, setSplitMinWork } from "../../packages/backend/src/targets/wasm/wasm-split.js";
import { heap } from "../../packages/backend/src/host/heap.js";
import { renderWasm } from "../../packages/backend/src/targets/wasm/wasm-render.js";
import { useCpu } from "../util.js";

const bytesOf = (t: Tensor) => {
  const d = t.dataSync();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
};

/** The outputs' bytes with JS kernels only, then with wasm kernels on 1, 2 and 3 threads. */
function acrossThreads(f: () => Tensor[]): { js: Buffer[]; threads: Buffer[][] } {
  setWasmMinElements(Infinity);
  const js = f().map(bytesOf);
  setWasmMinElements(0, { imports: true });
  try {
    return { js, threads: [1, 2, 3].map((n) => withCpuThreads(n, () => f().map(bytesOf))) };
  } finally {
    setWasmMinElements();
  }
}

function expectSameBytes(name: string, f: () => Tensor[]): void {
  const { js, threads } = acrossThreads(f);
  threads.forEach((outs, i) =>
    outs.forEach((b, k) => expect(b.equals(js[k]!), `${name}: output ${k} on ${i + 1} thread(s) vs the JS kernels`).to.equal(true)));
}

const W1 = (x: Tensor) => np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.sigmoid(x)).sub(x.mul(x).mul(0.1)));

/** Kernels of a graph as the scheduler makes them (inputs realized). */
function kernelsOf(t: Tensor) {
  const { plan } = scheduleGraph([t.node], (n: Node) => n.prim === "data" || bufferOf(n) !== undefined);
  return plan.steps.flatMap((s) => (s.kernel ? [s.kernel] : []));
}

describe("wasm kernels split across the worker pool", function () {
  this.timeout(120_000);
  useCpu();

  describe("bit-identical for 1, 2 and 3 threads (small chunks: work 64 per chunk)", () => {
    before(() => (setSplitMinWork(64), clearWasmKernels()));
    after(() => (setSplitMinWork(), clearWasmKernels()));
    // Around the vector width, the grain (16 indices for 4 units of work per element) and SUM_BLOCK.
    const SIZES = [7, 63, 64, 65, 193, 1023, SUM_BLOCK, SUM_BLOCK + 1, 3 * SUM_BLOCK - 5, 20_011];
    const data = (n: number, seed: number) => {
      random.seed(seed);
      const x = random.normal({ size: [n] });
      x.dataSync();
      return x;
    };

    it("elementwise (vector math), gather and W1's full sum", () => {
      const before = wasmKernelStats().splitCalls;
      for (const n of SIZES) {
        const x = data(n, n);
        expectSameBytes(`elementwise ${n}`, () => [np.tanh(x.mul(1.5).add(0.5)).mul(np.sigmoid(x)), np.arctan(x)]);
        expectSameBytes(`gather ${n}`, () => [np.flip(x).mul(2), np.concatenate([x, x.mul(3)])]);
        expectSameBytes(`W1 ${n}`, () => [W1(x)]);
      }
      expect(wasmKernelStats().splitCalls - before, "calls split across the pool").to.be.greaterThan(SIZES.length * 4);
    });

    it("full reductions: float sum and product (blocked), max/min with NaN and ±0, int32 sums that wrap", () => {
      for (const n of SIZES) {
        const x = data(n, n + 1);
        const signed = x.mul(0).mul(-1); // -0 everywhere
        expectSameBytes(`sum/prod ${n}`, () => [np.sum(x), np.prod(x.mul(0.001).add(1)), np.mean(x.mul(x))]);
        expectSameBytes(`max/min ${n}`, () => [np.max(x), np.min(x), np.max(signed), np.min(np.where(x.gt(1.5), NaN, x))]);
        const ints = np.arange(n, { dtype: "int32" }).mul(1 << 20).add(12345);
        expectSameBytes(`int32 sum ${n}`, () => [np.sum(ints), np.max(ints), np.sum(ints.mul(ints))]);
      }
    });

    it("reductions over an axis (rows split) and argmax", () => {
      for (const [r, c] of [[3, 5], [37, 2 * SUM_BLOCK + 3], [2 * SUM_BLOCK + 3, 37], [129, 65]] as const) {
        random.seed(r * c);
        const m = random.normal({ size: [r, c] });
        m.dataSync();
        expectSameBytes(`axis sums ${r}×${c}`, () => [np.sum(m, 1), np.sum(m, 0), np.max(m, 1), m.sub(np.max(m, { axis: 1, keepdims: true }))]);
        expectSameBytes(`argmax ${r}×${c}`, () => [np.argmax(m, 1), np.argmax(m, 0), np.argmax(m)]);
        expectSameBytes(`softmax ${r}×${c}`, () => [np.exp(m.sub(np.max(m, { axis: 1, keepdims: true }))).div(np.sum(np.exp(m.sub(np.max(m, { axis: 1, keepdims: true }))), { axis: 1, keepdims: true }))]);
      }
    });

    it("multi-output kernels: a jitted Adam step (3 outputs per kernel)", () => {
      const adam = jit((p: Tensor, g: Tensor, m: Tensor, v: Tensor) => {
        const m1 = m.mul(0.9).add(g.mul(0.1)), v1 = v.mul(0.999).add(g.square().mul(0.001));
        return [p.sub(m1.div(np.sqrt(v1).add(1e-8)).mul(0.01)), m1, v1];
      });
      for (const n of [65, SUM_BLOCK + 1, 20_011]) {
        const [p, g, m, v] = [1, 2, 3, 4].map((s) => data(n, s));
        expect(adam.lower(p!, g!, m!, v!).kernels.map((k) => k.outputs)).to.deep.equal([3]);
        expectSameBytes(`adam ${n}`, () => adam(p!, g!, m!, v!.abs()));
      }
    });
  });

  describe("structure", () => {
    it("W1's kernel: a blocked full sum split into 1024 partials; elementwise and axis sums split by rows", () => {
      const x = np.linspace(-3, 3, 1 << 20).astype("float32");
      x.dataSync();
      const isInt = () => false;
      const w1 = kernelsOf(W1(x));
      expect(w1.length).to.equal(1);
      expect(kernelSplit(w1[0]!, isInt)).to.include({ kind: "blocks", n: (1 << 20) / SUM_BLOCK, per: 1 });
      expect(kernelSplit(kernelsOf(np.exp(x))[0]!, isInt)).to.include({ kind: "rows", n: 1 << 20 });
      expect(kernelSplit(kernelsOf(np.sum(x.reshape([1024, 1024]), 1))[0]!, isInt)).to.include({ kind: "rows", n: 1024 });
      // max is exact in any order: blocks of SUM_BLOCK elements (the loop is not blocked).
      expect(kernelSplit(kernelsOf(np.max(x))[0]!, isInt)).to.include({ kind: "blocks", n: (1 << 20) / SUM_BLOCK, per: SUM_BLOCK });
      // An int32 sum wraps (exactly associative): blocks of SUM_BLOCK elements, partials in i32 slots.
      const ints = np.arange(1 << 20, { dtype: "int32" });
      ints.dataSync();
      expect(renderWasm(kernelsOf(np.sum(ints))[0]!, heap!).split).to.include({ kind: "blocks", n: (1 << 20) / SUM_BLOCK, per: SUM_BLOCK });
      // Too small to pay for waking the pool: no split exports at all.
      const small = np.linspace(-3, 3, 1000).astype("float32");
      small.dataSync();
      expect(kernelSplit(kernelsOf(np.exp(small))[0]!, isInt)).to.equal(null);
    });

    it("W1 (2^20 float32) runs split on the pool with 2 threads, and entirely on the calling thread with 1", () => {
      const x = np.linspace(-3, 3, 1 << 20).astype("float32");
      x.dataSync();
      const w1 = jit(W1);
      const counts = (threads: number) =>
        withCpuThreads(threads, () => {
          w1(x).dataSync();
          const [split, jobs] = [wasmKernelStats().splitCalls, cpuPoolStats().parallelJobs];
          const value = bytesOf(w1(x));
          return { split: wasmKernelStats().splitCalls - split, jobs: cpuPoolStats().parallelJobs - jobs, value };
        });
      const two = counts(2), one = counts(1);
      expect(two.split, "W1 split with 2 threads").to.equal(1);
      expect(two.jobs, "a job on the pool").to.equal(1);
      expect(cpuPoolStats().workers, "a worker ran").to.be.at.least(1);
      expect(one.split, "nothing split with setCpuThreads(1)").to.equal(0);
      expect(one.jobs).to.equal(0);
      expect(two.value.equals(one.value)).to.equal(true);
    });

    it("10^4 steps of a jitted loop of split kernels: live buffers and the heap's arena stay flat", () => {
      setSplitMinWork(64);
      clearWasmKernels();
      setWasmMinElements(0);
      try {
        withCpuThreads(2, () => {
          const step = jit((x: Tensor) => {
            const y = x.mul(0.999).add(np.sum(x).mul(1e-7));
            return [y, np.max(y)];
          });
          let x = np.linspace(-1, 1, 5000).astype("float32");
          x.dataSync();
          const run = (n: number) => {
            for (let i = 0; i < n; i++) {
              const [y, m] = step(x);
              m!.dataSync();
              m!.dispose();
              x.dispose();
              x = y!;
            }
          };
          run(10);
          const [buffers, top, jobs] = [memoryStats().buffers, heap!.mark(), cpuPoolStats().parallelJobs];
          run(10_000);
          expect(memoryStats().buffers).to.equal(buffers);
          expect(heap!.mark(), "the arena is released after every call").to.equal(top);
          expect(cpuPoolStats().parallelJobs - jobs, "every step's kernels ran on the pool").to.be.at.least(10_000);
          expect(Number.isFinite(x.dataSync()[0])).to.equal(true);
        });
      } finally {
        setSplitMinWork();
        setWasmMinElements();
        clearWasmKernels();
      }
    });
  });
});
