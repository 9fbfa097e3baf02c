/**
 * float32 contractions as wasm give the JS kernels' bits for any thread count: odd shapes (M, N, K
 * not multiples of the 4×8 tile, K = 1, N = 1, M = 1), batch dimensions, transposed operands and
 * fused prologues/epilogues, on 1, 2 and 3 threads — the products big enough for the worker pool
 * included, batched ones with a broadcast (batch-invariant) B packed once and pool chunks that
 * straddle batch elements. The sum of every output element runs in p order on every path (the microkernel's f32
 * multiply-adds), so the bytes must be equal, not close.
 */
import { expect } from "chai";
import { type Tensor, np, random } from "@kiln/core";
import { cpuExecutor, cpuPoolStats, setContractionPoolMinFlops, setWasmMinElements, useCpuBackend, wasmContractionStats, wasmKernelStats, withCpuThreads } from "@kiln/backend";

function bytes(t: Tensor): Uint8Array {
  const [b] = cpuExecutor.executeSync!([t.node], () => undefined);
  return new Uint8Array(b!.host!.buffer, b!.host!.byteOffset, b!.host!.byteLength).slice();
}

const f32 = (shape: number[]) => random.normal({ size: shape }).astype("float32");

/** [name, program]: each builds its operands once (seeded) and returns the contraction with its fusions. */
const CASES: [string, () => Tensor][] = [
  ["5×7 @ 7×9 (no dimension a tile multiple)", () => np.matmul(f32([5, 7]), f32([7, 9]))],
  ["K = 1", () => np.matmul(f32([13, 1]), f32([1, 11]))],
  ["N = 1", () => np.matmul(f32([33, 17]), f32([17, 1]))],
  ["M = 1", () => np.matmul(f32([1, 50]), f32([50, 19]))],
  ["batch 3, odd", () => np.matmul(f32([3, 6, 10]), f32([3, 10, 14]))],
  ["Aᵀ @ B (dW = xᵀ·dY)", () => np.matmul(f32([40, 37]).T, f32([40, 29]))],
  ["A @ Bᵀ", () => np.matmul(f32([30, 45]), f32([21, 45]).T)],
  ["tanh(A @ B + bias), pooled", () => np.tanh(np.matmul(f32([130, 203]), f32([203, 150])).add(f32([150])))],
  ["relu(Aᵀ @ B), pooled, K = 128", () => np.maximum(np.matmul(f32([128, 197]).T, f32([128, 75])), 0)],
  ["(A·2 − 1) @ Bᵀ, pooled, odd N", () => np.matmul(f32([66, 300]).mul(2).sub(1), f32([101, 300]).T)],
  ["arctan2(A @ B, 2): host call in the epilogue, pooled microkernel", () => np.arctan2(np.matmul(f32([70, 150]), f32([150, 99])), 2)],
  ["batched, pooled, odd panels", () => np.matmul(f32([2, 41, 300]), f32([2, 300, 77]))],
  // One pool call per phase covers the batch: tasks are (batch element, pair of B panels), batch-major.
  ["x[b] @ W: broadcast B, batch 16, pooled, odd M/N/K", () => np.matmul(f32([16, 37, 50]), f32([50, 45]))],
  ["tanh(x[b] @ Wᵀ + bias): broadcast transposed B, pooled", () => np.tanh(np.matmul(f32([16, 21, 64]), f32([33, 64]).T).add(f32([33])))],
  ["x[b] @ (2·W): a fused prologue on a broadcast B, pooled", () => np.matmul(f32([16, 30, 41]), f32([1, 41, 27]).mul(2))],
  ["64 attention-shaped products, pooled", () => np.matmul(f32([64, 33, 9]), f32([64, 9, 35]))],
  ["A shared, B per batch element, pooled", () => np.matmul(f32([100, 40]), f32([8, 40, 30]))],
  ["batch 7, odd panels, chunks straddling batch elements, pooled", () => np.matmul(f32([7, 45, 130]), f32([7, 130, 27]))],
  ["batch 5 of big products, broadcast B, pooled", () => np.matmul(f32([5, 64, 200]), f32([200, 90]))],
  ["x[b] @ W with W's panels past 256 KB: B packed across the pool, pooled", () => np.matmul(f32([3, 20, 300]), f32([300, 261]))],
  ["batch 2 of big products, broadcast B, pooled", () => np.matmul(f32([2, 70, 300]), f32([300, 77]))],
  ["[2, 3] batch, B broadcast over the inner batch dimension", () => np.matmul(f32([2, 3, 17, 40]), f32([2, 1, 40, 23]))],
  // A's panels past 1 MB: K blocks of 256, the sums continued from C across them.
  ["K-blocked: 530×611 @ 611×37, the last block 99 deep, pooled", () => np.matmul(f32([530, 611]), f32([611, 37]))],
  ["K-blocked, batched with a broadcast B and an epilogue: relu(x[b] @ W + 1), K = 900", () => np.maximum(np.matmul(f32([2, 301, 900]), f32([900, 45])).add(1), 0)],
  ["K-blocked Aᵀ @ B, K = 513 (one value past two blocks)", () => np.matmul(f32([513, 600]).T, f32([513, 21]))],
  ["arctan2(x[b] @ W, 2): host call in a batched epilogue, pooled microkernel", () => np.arctan2(np.matmul(f32([3, 70, 150]), f32([150, 99])), 2)],
];

describe("wasm contractions: JS bits on 1, 2 and 3 threads", function () {
  this.timeout(120_000);
  // The cases are sized to pool (products of 2^20+ flops); small ones would stay on the caller.
  before(() => (useCpuBackend(), setContractionPoolMinFlops(0)));
  after(() => (setWasmMinElements(), setContractionPoolMinFlops()));

  for (const [name, build] of CASES) {
    it(name, () => {
      random.seed(7);
      const t = build();
      setWasmMinElements(Infinity);
      const js = bytes(t);
      setWasmMinElements(0, { imports: true });
      const calls = wasmKernelStats().calls;
      for (const threads of [1, 2, 3]) {
        const jobs = cpuPoolStats().parallelJobs;
        const wasm = withCpuThreads(threads, () => bytes(t));
        if (threads > 1 && name.includes("pooled")) expect(cpuPoolStats().parallelJobs, `${threads} threads split it`).to.be.above(jobs);
        const at = wasm.findIndex((x, i) => x !== js[i]);
        expect(at, `${threads} thread(s): first differing byte`).to.equal(-1);
        expect(wasm.length).to.equal(js.length);
      }
      expect(wasmKernelStats().calls, "the contraction ran as wasm").to.be.greaterThan(calls);
    });
  }
});

describe("wasm contractions: a batch-invariant B is packed once", function () {
  this.timeout(60_000);
  before(() => useCpuBackend());
  after(() => setWasmMinElements());

  /** B packings (wasmContractionStats().bPacks) of one call of `t`'s contraction, as wasm. */
  function bPacks(t: Tensor): number {
    setWasmMinElements(0);
    const before = wasmContractionStats().bPacks;
    bytes(t);
    return wasmContractionStats().bPacks - before;
  }

  // Products big enough for the pool (the counter counts pooled contractions); big and small products.
  const cases: [string, () => Tensor, number][] = [
    ["x[b] @ W, batch 16", () => np.matmul(f32([16, 128, 64]), f32([64, 96])), 1],
    ["x[b] @ W[None] broadcast by a batch dimension of 1", () => np.matmul(f32([16, 128, 64]), f32([1, 64, 96])), 1],
    ["x[b] @ y[b], batch 16: B differs", () => np.matmul(f32([16, 128, 64]), f32([16, 64, 96])), 16],
    ["x[b] @ W, batch 2 of big products", () => np.matmul(f32([2, 128, 256]), f32([256, 256])), 1],
    ["x[b] @ y[b], batch 2 of big products", () => np.matmul(f32([2, 128, 256]), f32([2, 256, 256])), 2],
  ];
  for (const [name, build, packs] of cases) {
    it(`${name}: ${packs} B packing(s) per call`, () => {
      random.seed(3);
      expect(bPacks(build())).to.equal(packs);
    });
  }
});
