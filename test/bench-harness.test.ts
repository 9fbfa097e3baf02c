/**
 * The bench harness (bench/src: options, timing, report) — not the benchmarks themselves, which
 * `npm test` never runs (timings depend on the machine and its load). What is checked is what
 * makes the published numbers comparable: runners timed round-robin after warm-up, the spread
 * reported next to the median, kiln's ratio taken the same way for every unit, and a command line
 * that refuses what it does not understand instead of silently running everything.
 */
import { expect } from "chai";
import { type Tensor, jit, np } from "kiln";
import { activeExecutor, setExecutor } from "@kiln/core";
import { useCpuBackend } from "@kiln/backend";
import { kernelProfile, profileByKind } from "../bench/src/kernel-profile.js";
import { WORKLOADS, parseBenchArgs } from "../bench/src/options.js";
import { GPU } from "gpu.js";
import { assertMatrixClose, handMatmul, handW1, handW3, parseGpujsArgs } from "../bench/src/gpujs-node.js";
import { kilnMlp, mlpData } from "../bench/src/w3-mlp.js";
import { metric, reportWorkload } from "../bench/src/report.js";
import { measureInterleaved, summarizeRuns } from "../bench/src/timing.js";

/** Runs `f` with console.log silenced (reportWorkload prints its table). */
function quietly<T>(f: () => T): T {
  const log = console.log;
  console.log = () => {};
  try {
    return f();
  } finally {
    console.log = log;
  }
}

describe("bench harness", () => {
  describe("timing", () => {
    it("summarizes runs by median, quartiles and extremes", () => {
      const t = summarizeRuns([5, 1, 4, 2, 3]);
      expect(t).to.deep.equal({ ms: 3, min: 1, max: 5, q1: 2, q3: 4, runs: 5 });
      // even counts interpolate between the middle runs
      expect(summarizeRuns([4, 1, 3, 2]).ms).to.equal(2.5);
      expect(summarizeRuns([7]).q3).to.equal(7);
      expect(() => summarizeRuns([])).to.throw(RangeError, /no runs/);
    });

    it("times runners round-robin (A, B, C, A, B, C, …) after the warm-up rounds", async () => {
      const calls: string[] = [];
      const runner = (name: string) => () => void calls.push(name);
      const t = await measureInterleaved([runner("A"), runner("B"), runner("C")], { warmup: 2, minRounds: 3, maxRounds: 3, minMs: 0 });
      expect(calls.join("")).to.equal("ABC".repeat(5));
      expect(t.map((x) => x.runs)).to.deep.equal([3, 3, 3]);
      for (const x of t) expect(x.min).to.be.at.most(x.q1).and.at.most(x.ms);
    });

    it("awaits async runners before starting the next one", async () => {
      const events: string[] = [];
      const slow = async () => {
        events.push("slow start");
        await new Promise((r) => setImmediate(r));
        events.push("slow end");
      };
      await measureInterleaved([slow, () => void events.push("fast")], { warmup: 0, minRounds: 1, maxRounds: 1, minMs: 0 });
      expect(events).to.deep.equal(["slow start", "slow end", "fast"]);
    });
  });

  describe("report", () => {
    const timing = (ms: number, min = ms, max = ms) => ({ ms, min, max, q1: min, q3: max, runs: 3 });

    it("gives kiln's speed over each peer as the peer's time over kiln's, whatever the unit", () => {
      const rows = [
        { name: "kiln (cpu, jit)", timing: timing(10, 8, 12) },
        { name: "kiln (cpu, eager)", timing: timing(30) },
        { name: "jax-js (wasm, jit)", timing: timing(20) },
        { name: "TF.js (wasm)", timing: timing(5) },
      ];
      for (const m of [metric.ms(), metric.perSecond("steps/s"), metric.gflops(2e6)]) {
        const r = quietly(() => reportWorkload("W", rows, m));
        expect(r["jax-js (wasm, jit)"]!.kilnSpeedup).to.equal(2);
        expect(r["TF.js (wasm)"]!.kilnSpeedup).to.equal(0.5);
        // kiln's own rows carry no ratio
        expect(r["kiln (cpu, jit)"]!.kilnSpeedup).to.equal(undefined);
        expect(r["kiln (cpu, eager)"]!.kilnSpeedup).to.equal(undefined);
        // spreads run low to high in the metric's own terms (a throughput's best run is the shortest)
        expect(r["kiln (cpu, jit)"]!.min).to.be.below(r["kiln (cpu, jit)"]!.max);
      }
      const perSec = quietly(() => reportWorkload("W", rows, metric.perSecond("steps/s")));
      expect(perSec["kiln (cpu, jit)"]).to.include({ median: 100, min: 1000 / 12, max: 125 });
    });

    it("compares each peer with kiln on the same backend (webgpu peers with kiln's webgpu row)", () => {
      const rows = [
        { name: "kiln (cpu, jit)", timing: timing(10) },
        { name: "kiln (webgpu, jit)", timing: timing(40) },
        { name: "jax-js (wasm, jit)", timing: timing(20) },
        { name: "TF.js (webgpu)", timing: timing(80) },
        { name: "jax-js (webgpu, jit)", timing: timing(20) },
      ];
      const r = quietly(() => reportWorkload("W7", rows, metric.perSecond("steps/s")));
      expect(r["jax-js (wasm, jit)"]!.kilnSpeedup).to.equal(2);
      expect(r["TF.js (webgpu)"]!.kilnSpeedup).to.equal(2);
      expect(r["jax-js (webgpu, jit)"]!.kilnSpeedup).to.equal(0.5);
      // A section with only a webgpu kiln row (W1/W2 on the GPU) compares every runner with it.
      const gpu = quietly(() => reportWorkload("W1", [rows[1]!, { name: "hand-written WGSL", timing: timing(20) }], metric.ms()));
      expect(gpu["hand-written WGSL"]!.kilnSpeedup).to.equal(0.5);
    });
  });

  describe("options", () => {
    it("runs every workload by default and writes no JSON unless asked", () => {
      const o = parseBenchArgs([]);
      expect([...o.only]).to.deep.equal([...WORKLOADS]);
      expect(o).to.include({ json: null, quick: false, profile: false, cpuOnly: false });
    });

    it("--only selects workloads (comma separated or repeated, any case); --json or --out names the file", () => {
      const o = parseBenchArgs(["--only", "w2,W3", "--only", "W8", "--json", "r.json", "--profile", "--quick"]);
      expect([...o.only].sort()).to.deep.equal(["W2", "W3", "W8"]);
      expect(o).to.include({ json: "r.json", quick: true, profile: true });
      expect(parseBenchArgs(["--out", "x.json"]).json).to.equal("x.json");
    });

    it("refuses unknown workloads, unknown flags and both spellings of the JSON option", () => {
      expect(() => parseBenchArgs(["--only", "W9"])).to.throw(RangeError, /unknown workload "W9"/);
      expect(() => parseBenchArgs(["--onyl", "W2"])).to.throw(RangeError, /usage/);
      expect(() => parseBenchArgs(["--json", "a", "--out", "b"])).to.throw(RangeError, /same option/);
    });
  });

  describe("gpujs in Node (npm run bench:gpujs)", () => {
    it("parses its command line and refuses what it does not run", () => {
      const o = parseGpujsArgs(["--only", "w2,W3", "--sizes", "128,256", "--json", "g.json"]);
      expect([...o.only].sort()).to.deep.equal(["W2", "W3"]);
      expect(o).to.deep.include({ sizes: [128, 256], json: "g.json", quick: false });
      expect(parseGpujsArgs([]).sizes).to.deep.equal([128, 256, 512, 1024]);
      expect(parseGpujsArgs(["--quick"]).sizes).to.deep.equal([128, 256]);
      expect(() => parseGpujsArgs(["--only", "W4"])).to.throw(RangeError, /unknown workload "W4"/);
      expect(() => parseGpujsArgs(["--sizes", "0"])).to.throw(RangeError, /not a matrix size/);
      expect(() => parseGpujsArgs(["--profile"])).to.throw(RangeError, /usage/);
    });

    describe("the hand-written GPU.js kernels compute what kiln computes", () => {
      let gpu: GPU;
      let previous = "";
      before(() => {
        previous = activeExecutor().name;
        useCpuBackend();
        gpu = new GPU();
      });
      after(() => {
        gpu.destroy();
        setExecutor(previous);
      });

      it("W1: both sum forms match the float64 sum", () => {
        const n = 1 << 14;
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
        let want = 0;
        for (const v of x) want += Math.tanh(v * 1.5 + 0.5) / (1 + Math.exp(-v)) - 0.1 * v * v;
        const w1 = handW1(gpu, n);
        expect(w1.ew(x)() as number).to.be.closeTo(want, 1e-4 * Math.abs(want));
        expect(w1.partials(x)() as number).to.be.closeTo(want, 1e-4 * Math.abs(want));
      });

      it("W2: the a[y][i]*b[i][x] kernel matches kiln's product, and a wrong element fails the bench", () => {
        const n = 24;
        const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) - 6), b = Float32Array.from({ length: n * n }, (_, i) => ((i * 5) % 11) - 5);
        const want = np.matmul(np.array(a, { shape: [n, n] }), np.array(b, { shape: [n, n] })).dataSync() as Float32Array;
        const got = handMatmul(gpu, a, b, n)();
        expect(got).to.have.length(n);
        assertMatrixClose("hand", got, want, n, 6);
        got[3]![5]! += 1;
        expect(() => assertMatrixClose("hand", got, want, n, 6)).to.throw(/hand\[77\] = .* disagrees/);
      });

      it("W3: two steps of the kernel chain, and of the same kernels as one createPipeline plan, give kiln's losses", async () => {
        const d = mlpData();
        const { x, y, make } = kilnMlp(d);
        const step = make();
        const hand = handW3(gpu, d), plan = handW3(gpu, d, "pipeline");
        for (let s = 0; s < 2; s++) {
          const want = (step(x, y) as Tensor).itemSync();
          expect(hand()).to.be.closeTo(want, 1e-5 * want);
          expect(await plan()).to.be.closeTo(want, 1e-5 * want);
        }
      });
    });
  });

  describe("kernel profile (--profile for W7, W8)", () => {
    // The profile times the cpu backend's kernels: whatever executor earlier suites left active.
    let previous = "";
    before(() => ((previous = activeExecutor().name), setExecutor("cpu")));
    after(() => setExecutor(previous));
    const step = jit((a: Tensor, b: Tensor) => np.tanh(np.matmul(a, b)).sum(0).add(np.exp(a).sum()));
    const a = np.ones([64, 64]), b = np.ones([64, 64]);

    it("lower() lists each kernel's flops, summing to the plan's", () => {
      const low = step.lower(a, b);
      expect(low.kernels.length).to.equal(low.stats.kernels);
      expect(low.kernels.length).to.be.greaterThan(1);
      expect(low.kernels.reduce((s, k) => s + k.flops, 0)).to.equal(low.stats.flops);
      // the 64³ product's kernel carries its 2·64³ multiply-adds
      expect(Math.max(...low.kernels.map((k) => k.flops))).to.be.at.least(2 * 64 ** 3);
    });

    it("times every kernel of the plan by its position, costliest first", () => {
      const { kernels } = step.lower(a, b);
      const p = kernelProfile(() => step(a, b).dataSync(), kernels, 3);
      expect(p.lines.map((l) => l.index).sort()).to.deep.equal(kernels.map((_, i) => i));
      expect(p.lines.map((l) => l.name)).to.have.members(kernels.map((k) => k.name));
      for (let i = 1; i < p.lines.length; i++) expect(p.lines[i]!.minMs).to.be.at.most(p.lines[i - 1]!.minMs);
      for (const l of p.lines) expect(l.minMs).to.be.at.most(l.meanMs);
      expect(p.kernelMinMs).to.be.closeTo(p.lines.reduce((s, l) => s + l.minMs, 0), 1e-9);
      expect(Object.values(p.byFamily).reduce((s, v) => s + v, 0)).to.be.closeTo(p.kernelMinMs, 1e-9);
      // W3's table: kernels counted and timed by kind, the rest of the step's time on its own line
      const byKind = profileByKind(p);
      expect(byKind.lines.at(-1)!.kind).to.equal("outside kernels");
      expect(byKind.lines.reduce((s, l) => s + l.countPerStep, 0)).to.equal(kernels.length);
      expect(byKind.lines.reduce((s, l) => s + l.msPerStep, 0)).to.be.closeTo(p.stepMs, 1e-9);
    });

    it("refuses a step that runs kernels besides the plan's (positions would not line up)", () => {
      const { kernels } = step.lower(a, b);
      expect(() => kernelProfile(() => (step(a, b).dataSync(), np.exp(a.add(1)).dataSync()), kernels, 2)).to.throw(Error, /kernel runs for 2 steps/);
    });
  });
});
