/**
 * The wasm renderer gives the JS renderer's bits: every conformance case (all primitives, fused
 * patterns, special values) realized on the cpu backend twice — JS kernels only, then every kernel
 * wasm can render as wasm — must agree byte for byte. This is the invariant that lets the scheduler
 * pick either renderer per kernel by size. The same holds with every splittable wasm kernel split
 * across the worker pool (any thread count gives the bits of one thread).
 */
import { expect } from "chai";
import { type Node, type Tensor, bufferOf } from "@kiln/core";
import { clearWasmKernels, cpuExecutor, scheduleGraph, setWasmMinElements, wasmKernelStats, withCpuThreads } from "@kiln/backend";
import { setSplitMinWork } from "../../packages/backend/src/targets/wasm/wasm-split.js";
import { np } from "kiln";
import { renderWasm } from "../../packages/backend/src/targets/wasm/wasm-render.js";
import { heap } from "../../packages/backend/src/host/heap.js";
import { PRIMITIVE_CASES } from "../conformance/primitives.js";
import { PATTERN_CASES } from "../conformance/patterns.js";
import { type Case } from "../conformance/suite.js";

function run(nodes: readonly Node[]): Uint8Array[] {
  const bufs = cpuExecutor.executeSync!(nodes, () => undefined);
  return bufs.map((b) => new Uint8Array(b.host!.buffer, b.host!.byteOffset, b.host!.byteLength).slice());
}

function canonicalNaN(bytes: Uint8Array): void {
  const f = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  for (let i = 0; i < f.length; i++) if (Number.isNaN(f[i])) f[i] = NaN;
}

/** Kernels of a graph as the scheduler makes them (inputs realized). */
function kernelsOf(t: Tensor) {
  const { plan } = scheduleGraph([t.node], (n: Node) => n.prim === "data" || bufferOf(n) !== undefined);
  return plan.steps.flatMap((s) => (s.kernel ? [s.kernel] : []));
}

const cases: [string, Case][] = [
  ...Object.entries(PRIMITIVE_CASES).flatMap(([prim, cs]) => cs.map((c): [string, Case] => [prim, c])),
  ...PATTERN_CASES.map((c): [string, Case] => ["pattern", c]),
].filter(([, c]) => !c.throws);

/** Realizes every case with the JS kernels, then with `wasm()` set up; returns the cases whose bytes differ. */
function compareAll(wasm: () => void, all: readonly [string, Case][] = cases): string[] {
  const failures: string[] = [];
  for (const [prim, c] of all) {
    const built = c.build();
    const nodes = (Array.isArray(built) ? built : [built]).map((t: Tensor) => t.node);
    setWasmMinElements(Infinity);
    const js = run(nodes);
    wasm();
    const out = run(nodes);
    js.forEach((a, k) => {
      const b = out[k]!;
      // NaN's sign and payload are not part of a value (x86 makes negative NaNs, wasm positive ones).
      if (nodes[k]!.aval.dtype === "float32") [a, b].forEach(canonicalNaN);
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
        const i = a.findIndex((x, j) => x !== b[j]);
        const at = (u: Uint8Array) => Array.from(u.slice(i - (i % 4), i - (i % 4) + 4)).join(",");
        failures.push(`${prim} / ${c.name}: output ${k} differs at byte ${i} (js ${at(a)}, wasm ${at(b)})`);
      }
    });
  }
  return failures;
}

describe("wasm kernels: bit-identical to the JS kernels", function () {
  this.timeout(120_000);
  after(() => setWasmMinElements());

  it("every conformance case, JS-only vs wasm-forced", () => {
    const before = wasmKernelStats().calls;
    expect(compareAll(() => setWasmMinElements(0, { imports: true }))).to.deep.equal([]);
    expect(wasmKernelStats().calls - before, "kernels ran as wasm").to.be.greaterThan(cases.length / 2);
  });

  it("every conformance case, JS-only vs wasm split across 3 threads in chunks of one index (wasm-split.ts)", () => {
    const before = wasmKernelStats().splitCalls;
    setSplitMinWork(1);
    clearWasmKernels();
    try {
      expect(withCpuThreads(3, () => compareAll(() => setWasmMinElements(0, { imports: true })))).to.deep.equal([]);
    } finally {
      setSplitMinWork();
      clearWasmKernels();
    }
    expect(wasmKernelStats().splitCalls - before, "kernel calls split across the pool").to.be.greaterThan(cases.length / 4);
  });

  describe("reductions over an outer axis, 4 outputs per vector iteration (column sums: bias gradients)", () => {
    /** Values with a spread of magnitudes (float64 sums differ from float32 ones) and, optionally, NaN, ±inf and -0. */
    const values = (n: number, special: boolean) => Float32Array.from({ length: n }, (_, i) => {
      if (special && i % 37 === 5) return [NaN, Infinity, -Infinity, -0][(i / 37) % 4 | 0]!;
      return Math.sin(i * 0.7) * 10 ** ((i % 9) - 4);
    });
    const columnCases: [string, Case][] = [[128, 256], [7, 10], [5, 3], [33, 6], [3, 1]].flatMap(([m, n]) =>
      [false, true].flatMap((special) => {
        const x = () => np.array(values(m! * n!, special), { shape: [m!, n!] });
        const b = () => np.array(values(n!, false), { shape: [n!] });
        const tag = `${m}x${n}${special ? " special" : ""}`;
        return [
          [`sum(x, 0) ${tag}`, { name: tag, build: () => np.sum(x(), 0) }],
          [`b - 0.01 sum(x, 0) ${tag}`, { name: tag, build: () => b().sub(np.sum(x(), 0).mul(0.01)) }],
          [`mean(x², 0) ${tag}`, { name: tag, build: () => np.mean(x().mul(x()), 0) }],
          [`sum over axes 0, 1 of [2, m, n] ${tag}`, { name: tag, build: () => np.sum(np.stack([x(), x().mul(2)]), [0, 1]) }],
        ] as [string, Case][];
      }));

    it("give the JS kernels' bits: remainders, NaN, ±inf, -0, fused epilogues", () => {
      expect(compareAll(() => setWasmMinElements(0, { imports: true }), columnCases)).to.deep.equal([]);
    });

    it("give the same bits split across 3 threads in chunks of one output", () => {
      setSplitMinWork(1);
      clearWasmKernels();
      try {
        expect(withCpuThreads(3, () => compareAll(() => setWasmMinElements(0, { imports: true }), columnCases))).to.deep.equal([]);
      } finally {
        setSplitMinWork();
        clearWasmKernels();
      }
    });

    it("take the outer-vector form for a column sum, not for a row sum (its loads would be gathers) or a max", () => {
      const x = np.array(values(128 * 256, false), { shape: [128, 256] });
      const stats = (t: Tensor) => kernelsOf(t).map((k) => renderWasm(k, heap!).stats);
      expect(stats(np.sum(x, 0))).to.deep.equal([{ vectorLoops: 1, outerVectorLoops: 1, perLaneOps: 0 }]);
      const b = np.array(values(256, false), { shape: [256] });
      expect(stats(b.sub(np.sum(x, 0).mul(0.01))).map((st) => st.outerVectorLoops), "W3's bias update: one kernel").to.deep.equal([1]);
      expect(stats(np.sum(x, 1))[0]).to.include({ outerVectorLoops: 0 });
      expect(stats(np.max(x, 0))[0]).to.include({ outerVectorLoops: 0 });
    });
  });

  it("reads the lanes of an index affine in the loop variable (a transpose's gather, a reversal) as scalars, not by extracting them from a vector", () => {
    const x = np.array(Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), { shape: [64, 48] });
    // i32x4.extract_lane is 0xfd 0x1b <lane>: every lane of these indices is lane 0 plus a constant.
    const extracts = (t: Tensor) => kernelsOf(t).map((k) => {
      const bytes = renderWasm(k, heap!).bytes;
      let n = 0;
      for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0xfd && bytes[i + 1] === 0x1b) n++;
      return { stats: renderWasm(k, heap!).stats, n };
    });
    for (const [what, t] of [["transpose", np.transpose(x).add(1)], ["reversal", np.flip(x, 1).mul(2)]] as const) {
      const ks = extracts(t);
      expect(ks.length, what).to.equal(1);
      expect(ks[0]!.stats.vectorLoops, `${what}: a vector loop`).to.be.above(0);
      expect(ks[0]!.n, `${what}: i32x4.extract_lane`).to.equal(0);
    }
  });
});
