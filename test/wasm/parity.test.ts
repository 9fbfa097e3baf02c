/**
 * The wasm renderer gives the JS renderer's bits: every conformance case (all primitives, fused
 * patterns, special values) realized on the cpu backend twice — JS kernels only, then every kernel
 * wasm can render as wasm — must agree byte for byte. This is the invariant that lets the scheduler
 * pick either renderer per kernel by size.
 */
import { expect } from "chai";
import { type Node, type Tensor } from "@kiln/core";
import { cpuExecutor, setWasmMinElements, wasmKernelStats } from "@kiln/backend";
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

describe("wasm kernels: bit-identical to the JS kernels", function () {
  this.timeout(120_000);
  after(() => setWasmMinElements());

  it("every conformance case, JS-only vs wasm-forced", () => {
    const before = wasmKernelStats().calls;
    const failures: string[] = [];
    for (const [prim, c] of cases) {
      const built = c.build();
      const nodes = (Array.isArray(built) ? built : [built]).map((t: Tensor) => t.node);
      setWasmMinElements(Infinity);
      const js = run(nodes);
      setWasmMinElements(0, { imports: true });
      const wasm = run(nodes);
      js.forEach((a, k) => {
        const b = wasm[k]!;
        // NaN's sign and payload are not part of a value (x86 makes negative NaNs, wasm positive ones).
        if (nodes[k]!.aval.dtype === "float32") [a, b].forEach(canonicalNaN);
        if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
          const i = a.findIndex((x, j) => x !== b[j]);
          const at = (u: Uint8Array) => Array.from(u.slice(i - (i % 4), i - (i % 4) + 4)).join(",");
          failures.push(`${prim} / ${c.name}: output ${k} differs at byte ${i} (js ${at(a)}, wasm ${at(b)})`);
        }
      });
    }
    expect(failures).to.deep.equal([]);
    expect(wasmKernelStats().calls - before, "kernels ran as wasm").to.be.greaterThan(cases.length / 2);
  });
});
