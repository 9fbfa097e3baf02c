/**
 * Differential suite on cpu with every kernel that wasm can render running as WebAssembly (also
 * tiny ones, also those calling imported float64 functions): random programs (eager, jit, jit
 * replay, gradients) and the special-value table against the float64 interpreter. By default the
 * cpu backend only runs kernels ≥ 4096 elements as wasm, which the ordinary cpu suite's small
 * programs rarely reach. Then the same programs with every splittable kernel split across 3
 * threads in chunks of one index (wasm-split.ts).
 */
import { expect } from "chai";
import { setBackend, setWasmMinElements, wasmKernelStats } from "@kiln/backend";
import { forceWasmSplit } from "./wasm-split-env.js";
import { activeExecutor, setExecutor } from "kiln/internal";
import { programTests } from "./programs.js";
import { allSpecialCases, runSpecials } from "./check-specials.js";

describe("differential: cpu, every kernel as wasm", () => {
  let previous = "cpu";
  let calls = 0;
  before(() => {
    previous = activeExecutor().name;
    setBackend("cpu");
    setWasmMinElements(0, { imports: true });
    calls = wasmKernelStats().calls;
  });
  after(() => {
    setWasmMinElements();
    setExecutor(previous);
  });

  describe("random programs", () => programTests("wasm"));

  it("special values through every primitive match the interpreter (or a documented deviation)", async function () {
    this.timeout(0);
    const r = await runSpecials(allSpecialCases());
    if (r.unexpected.length) expect.fail(r.unexpected.join("\n"));
  });

  // (a suite's own tests run before its nested suites': this one comes after the programs)
  describe("afterwards", () => {
    it("the kernels above ran as wasm", () => {
      expect(wasmKernelStats().calls - calls).to.be.greaterThan(1000);
    });
  });
});

describe("differential: cpu, every kernel as wasm, split across 3 threads", () => {
  let previous = "cpu";
  let restore = () => {};
  let split = 0;
  before(() => {
    previous = activeExecutor().name;
    restore = forceWasmSplit();
    split = wasmKernelStats().splitCalls;
  });
  after(() => {
    restore();
    setExecutor(previous);
  });

  describe("random programs", () => programTests("wasm-split"));

  describe("afterwards", () => {
    it("the kernels above ran split across the pool", () => {
      expect(wasmKernelStats().splitCalls - split).to.be.greaterThan(300);
    });
  });
});
