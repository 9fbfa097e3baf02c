/**
 * The matmul microkernel on the worker pool: float32 products split by B-panel pairs give the same
 * bits as one thread — odd panel counts, batches and fused epilogues included — and the panels go
 * back to the heap's arena after every call.
 */
import { expect } from "chai";
import { activeExecutor, np, random, setExecutor, type Tensor } from "@kiln/core";
import { useCpuBackend } from "../../index.js";
import { heap } from "../../host/heap.js";
import { cpuPoolStats, withCpuThreads } from "./cpu-threads.js";
import { setContractionPoolMinFlops } from "./wasm-gemm.js";

const bits = (t: Tensor) => Buffer.from(new Uint8Array((t.dataSync() as Float32Array).slice().buffer));


describe("wasm gemm on the worker pool", function () {
  this.timeout(60_000);
  let previous: string;
  before(() => {
    previous = activeExecutor().name;
    useCpuBackend();
    setContractionPoolMinFlops(0); // the cases are sized to pool, some below a lone call's default
  });
  after(() => (setExecutor(previous), setContractionPoolMinFlops()));

  // [A shape, B shape, epilogue]: 257 columns are 65 panels (an odd last panel with a zero partner).
  const CASES: [number[], number[], (c: Tensor) => Tensor][] = [
    [[256, 100], [100, 200], (c) => c],
    [[65, 130], [130, 257], (c) => c],
    [[3, 64, 128], [128, 72], (c) => c],
    [[130, 96], [96, 136], (c) => np.maximum(c.add(0.25), 0).mul(2)],
    [[2, 40, 300], [2, 300, 76], (c) => np.tanh(c)],
  ];

  it("matmul gives the same bits on 1 and 2 threads, and 2 threads split it", () => {
    random.seed(3);
    for (const [sa, sb, epilogue] of CASES) {
      const a = random.normal({ size: sa }).astype("float32");
      const b = random.normal({ size: sb }).astype("float32");
      const run = () => bits(epilogue(np.matmul(a, b)));
      const mark = heap!.mark();
      const one = withCpuThreads(1, run);
      const jobs = cpuPoolStats().parallelJobs;
      const two = withCpuThreads(2, run);
      expect(two.equals(one), `${sa} @ ${sb}`).to.equal(true);
      expect(cpuPoolStats().parallelJobs, `${sa} @ ${sb} ran on the pool`).to.be.above(jobs);
      expect(heap!.mark(), "the panels went back to the arena").to.equal(mark);
    }
  });

});
