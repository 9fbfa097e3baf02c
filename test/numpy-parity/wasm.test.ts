/**
 * NumPy parity on cpu with every kernel wasm can render running as WebAssembly (also tiny ones),
 * split across 3 worker threads in chunks as small as one index (wasm-split.ts).
 */
import { expect } from "chai";
import { clearWasmKernels, cpuThreads, setCpuThreads, setWasmMinElements, wasmKernelStats } from "@kiln/backend";
import { setSplitMinWork } from "../../packages/backend/src/targets/wasm/wasm-split.js";
import { useCpu } from "../util.js";
import { paritySuite } from "./suite.js";

describe("numpy parity: cpu, wasm kernels on 3 threads", () => {
  let threads = 1;
  let before_ = { calls: 0, splitCalls: 0 };
  useCpu();
  before(() => {
    threads = cpuThreads();
    setWasmMinElements(0, { imports: true });
    setSplitMinWork(1);
    clearWasmKernels();
    setCpuThreads(3);
    const s = wasmKernelStats();
    before_ = { calls: s.calls, splitCalls: s.splitCalls };
  });
  after(() => {
    setCpuThreads(threads);
    setSplitMinWork();
    clearWasmKernels();
    setWasmMinElements();
  });
  paritySuite("wasm");
  it("the cases ran as wasm kernels, some split across the pool", () => {
    const s = wasmKernelStats();
    expect(s.calls - before_.calls).to.be.greaterThan(1000);
    expect(s.splitCalls - before_.splitCalls).to.be.greaterThan(100);
  });
});
