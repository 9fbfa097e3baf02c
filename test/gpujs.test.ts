/**
 * The gpujs backend through the public API: `jit(...).lower()` shows the GPU.js kernel functions,
 * and a jitted gradient step and a fused contraction run there with the cpu backend's values.
 */
import { expect } from "chai";
import { ParamState, type Tensor, grad, init, jit, kernelCacheStats, np, setBackend } from "kiln";
import { activeExecutor, bufferOf, setExecutor } from "@kiln/core";
import { destroyGpu, gpujsStats } from "@kiln/backend";
import { expectClose } from "./util.js";

describe("gpujs backend (public API)", () => {
  let previous = "cpu";
  before(async () => {
    previous = activeExecutor().name;
    await init({ tune: false });
    destroyGpu(); // only GPU.js is used here
  });
  after(() => setExecutor(previous));

  it("jit(...).lower() shows the GPU.js kernel functions", () => {
    setBackend("gpujs");
    const f = jit((a: Tensor) => np.sum(np.exp(a).add(1)));
    const kernels = f.lower(np.ones([3, 4])).kernels;
    expect(kernels.map((k) => k.backend)).to.deep.equal(["gpujs"]);
    expect(kernels[0]!.source).to.match(/^\/\/ GPU\.js kernel[\s\S]*function reduce_\w+\(b1\) \{/);
    expect(kernels[0]!.source).to.include("Math.exp(");
    expect(f(np.ones([3, 4])).itemSync()).to.be.closeTo(12 * (Math.E + 1), 1e-4);
  });

  it("a jitted gradient step gives the cpu backend's values, with GPU.js kernels doing the work", () => {
    const loss = (w: Tensor, x: Tensor) => np.mean(np.square(np.tanh(np.matmul(x, w)).sub(0.5)));
    const step = (w: Tensor, x: Tensor) => w.sub((grad(loss)(w, x) as Tensor).mul(0.1));
    const w0 = np.linspace(-1, 1, 12).reshape([4, 3]), x = np.linspace(-2, 2, 20).reshape([5, 4]);
    setBackend("cpu");
    const want = jit(step)(w0, x).toArraySync();
    setBackend("gpujs");
    const runs = gpujsStats().runs;
    const got = jit(step)(w0, x).toArraySync();
    expect(gpujsStats().runs - runs).to.be.greaterThan(0);
    expectClose(got as number[][], want as number[][], { rtol: 1e-5, atol: 1e-6 });
  });

  it("a batched contraction with a fused prologue and epilogue runs as GPU.js dot loops, with the cpu backend's values", () => {
    const f = (a: Tensor, b: Tensor, c: Tensor) => np.tanh(np.matmul(a.mul(2), b).add(c));
    const data = (shape: number[], k: number) => np.sin(np.arange(shape.reduce((p, q) => p * q)).mul(k)).reshape(shape);
    // 61 and 37 are not multiples of the 4×4 register tile: the edge guards of the IR are exercised
    const args = [data([2, 61, 70], 1.3), data([2, 70, 37], 0.7), data([37], 2.1)] as const;
    setBackend("cpu");
    const want = jit(f)(...args).toArraySync();
    setBackend("gpujs");
    const g = jit(f);
    expect(g.lower(...args).kernels.map((k) => k.source.split("\n")[0])).to.deep.equal(["// GPU.js kernel (output 4514)"]);
    const runs = gpujsStats().runs;
    expectClose(g(...args).toArraySync() as number[][][], want as number[][][], { rtol: 1e-4, atol: 2e-5 });
    expect(gpujsStats().runs - runs).to.equal(1);
  });

  it("in GPU.js's CPU modes (webasm here) a jitted step's values are host arrays: no textures kept, nothing uploaded", () => {
    setBackend("gpujs");
    const w = new ParamState(np.linspace(-1, 1, 12).reshape([4, 3]));
    const x = np.linspace(-2, 2, 20).reshape([5, 4]);
    const step = jit(() => {
      const [g, loss] = grad(() => np.mean(np.square(np.tanh(np.matmul(x, w.value)))), { gradStates: { w }, returnValue: true })() as [{ w: Tensor }, Tensor];
      w.value = w.value.sub(g.w.mul(0.1));
      return loss;
    });
    const before = gpujsStats();
    for (let i = 0; i < 3; i++) step().itemSync();
    const after = gpujsStats();
    expect(after.runs - before.runs).to.be.greaterThan(0);
    expect([after.residentTextures, after.uploads - before.uploads, after.uploadedBytes - before.uploadedBytes]).to.deep.equal([0, 0, 0]);
    expect(bufferOf(w.value.node)!.hasHost).to.equal(true);
  });

  it("eager ops over ever new scalars reuse one kernel: the scalars are kernel parameters, not source text", () => {
    setBackend("gpujs");
    const x = np.linspace(0, 1, 16).reshape([4, 4]);
    const run = (s: number) => np.tanh(x.mul(s).add(0.25)).sum().itemSync();
    run(100.5); // compiles (GPU.js, or the host's JS kernel where GPU.js cannot be exact)
    const before = gpujsStats(), jsBefore = kernelCacheStats();
    const got = [101.5, 102.5, 103.5, 104.5].map(run);
    const after = gpujsStats(), jsAfter = kernelCacheStats();
    expect([after.entries - before.entries, after.compiles - before.compiles, after.hostKernels - before.hostKernels]).to.deep.equal([0, 0, 0]);
    expect(jsAfter.compiles - jsBefore.compiles).to.equal(0);
    setBackend("cpu");
    expectClose(got, [101.5, 102.5, 103.5, 104.5].map(run), { rtol: 1e-5, atol: 1e-4 });
  });
});
