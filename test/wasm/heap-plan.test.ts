/**
 * Compiled cpu plans with wasm kernels keep their buffers in the host heap: inputs copied in once
 * (and kept there as mirrors for the next call), kernels reading and writing in place (no staging copies per kernel), outputs copied out — with
 * the same bits as the JS kernels, donation honoured, and the arena back at its mark after every
 * call (a 10^4-step loop neither leaks arena nor grows the memory).
 */
import { expect } from "chai";
import { type Tensor, jit, np } from "kiln";
import { setWasmMinElements, wasmKernelStats } from "@kiln/backend";
import { heap } from "../../packages/backend/src/host/heap.js";

const N = 1 << 14;
const step = (x: Tensor, y: Tensor): Tensor[] => {
  const z = x.mul(1.5).add(y.mul(y)).sub(0.25);
  const m = np.max(z);
  return [np.maximum(z.sub(m), x.mul(-0.5)), np.sum(z.mul(x)), y.add(z.mul(0.01))];
};
const data = (seed: number) => np.sin(np.arange(N).astype("float32").mul(0.001 * seed));

function bits(ts: readonly Tensor[]): Uint8Array[] {
  return ts.map((t) => {
    const a = t.dataSync();
    return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
  });
}

describe("wasm: compiled plans in the heap", function () {
  this.timeout(60_000);
  afterEach(() => setWasmMinElements());

  it("same bits as the JS kernels; warm calls copy outputs out once (inputs read from their heap mirrors), no per-kernel staging", () => {
    const x = data(1), y = data(3);
    // Two distinct functions: a compiled plan keeps the kernels it was built with (jit caches by function).
    setWasmMinElements(Infinity);
    const want = bits(jit((a: Tensor, b: Tensor) => step(a, b))(x, y));
    setWasmMinElements();
    const f = jit((a: Tensor, b: Tensor) => step(a, b));
    bits(f(x, y));
    const before = wasmKernelStats();
    const got = bits(f(x, y));
    const after = wasmKernelStats();
    expect(got).to.deep.equal(want);
    expect(after.calls - before.calls, "kernels ran as wasm").to.be.greaterThan(0);
    // Copied: the plan's outputs out once (two arrays and a sum), a few bytes of scalar parameters —
    // not x and y (the first call left them in the heap as mirrors, input-mirrors.test.ts), nor
    // any kernel's arrays staged on top.
    const once = 2 * N * 4 + 4;
    expect(after.copiedBytes - before.copiedBytes, "bytes copied by the call").to.be.at.least(once).and.at.most(once + 64);
    expect(f.lower(x, y).kernels.some((k) => k.source.startsWith(";; wasm kernel"))).to.equal(true);
  });

  it("donated inputs: outputs copied out into the donated storage; the input reads as disposed", () => {
    const f = jit((x: Tensor, y: Tensor) => step(x, y)[2]!, { donateArgnums: [1] });
    const x = data(1);
    let y = data(3);
    const want = y.add(x.mul(1.5).add(y.mul(y)).sub(0.25).mul(0.01)).dataSync().slice();
    const old = y;
    y = f(x, y);
    expect(Array.from(y.dataSync())).to.deep.equal(Array.from(want));
    expect(() => old.dataSync()).to.throw();
  });

  it("a 10^4-step loop: the arena is back at its mark after every call; the memory does not grow", () => {
    const f = jit((x: Tensor, y: Tensor) => step(x, y)[2]!);
    const x = data(1);
    let y = data(2);
    // Warm: each call leaves its argument's heap mirror (input-mirrors.test.ts), which the disposed
    // argument frees and the next call's mirror reuses — the first ones move the arena's base up.
    for (let i = 0; i < 2; i++) {
      const next = f(x, y);
      y.dispose();
      y = next;
    }
    const mark = heap!.mark(), bytes = heap!.memory.buffer.byteLength;
    for (let i = 0; i < 10_000; i++) {
      const next = f(x, y);
      y.dispose();
      y = next;
      if (i % 1000 === 0) expect(heap!.mark()).to.equal(mark);
    }
    expect(heap!.mark()).to.equal(mark);
    expect(heap!.memory.buffer.byteLength).to.equal(bytes);
    expect(Number.isFinite(y.dataSync()[0]!)).to.equal(true);
  });
});
