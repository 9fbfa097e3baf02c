/**
 * The wasm renderer gives the JS renderer's bits: every conformance case (all primitives, fused
 * patterns, special values) realized on the cpu backend twice — JS kernels only, then every kernel
 * wasm can render as wasm — must agree byte for byte. This is the invariant that lets the scheduler
 * pick either renderer per kernel by size. The same holds with every splittable wasm kernel split
 * across the worker pool (any thread count gives the bits of one thread).
 */
import { expect } from "chai";
import { type Node, type Tensor } from "@kiln/core";
import { clearWasmKernels, cpuExecutor, setWasmMinElements, wasmKernelStats, withCpuThreads } from "@kiln/backend";
import { setSplitMinWork } from "../../packages/backend/src/targets/wasm/wasm-split.js";
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

const cases: [string, Case][] = [
  ...Object.entries(PRIMITIVE_CASES).flatMap(([prim, cs]) => cs.map((c): [string, Case] => [prim, c])),
  ...PATTERN_CASES.map((c): [string, Case] => ["pattern", c]),
].filter(([, c]) => !c.throws);

/** Realizes every case with the JS kernels, then with `wasm()` set up; returns the cases whose bytes differ. */
function compareAll(wasm: () => void): string[] {
  const failures: string[] = [];
  for (const [prim, c] of cases) {
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
});
