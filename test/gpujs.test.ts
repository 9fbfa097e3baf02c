/**
 * The gpujs backend through the public API: `jit(...).lower()` shows the GPU.js kernel functions,
 * and a jitted gradient step runs there with the cpu backend's values.
 */
import { expect } from "chai";
import { type Tensor, grad, init, jit, np, setBackend } from "kiln";
import { activeExecutor, setExecutor } from "@kiln/core";
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
});
