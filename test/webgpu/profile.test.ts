/**
 * profile() on webgpu: one entry per device kernel with lower()'s names and its dispatches, one
 * submission per jitted step with its read, and the timing stated as host-measured wall time per
 * submission (llvmpipe has no timestamp-query).
 */
import { expect } from "chai";
import { type Tensor, jit, np, profile } from "kiln";
import { useWebgpu } from "./env.js";

describe("profile() on webgpu", function () {
  this.timeout(120_000);
  useWebgpu();

  it("W1: one reduction kernel of two dispatches, one submission per call, wall time per submission", async () => {
    const w1 = jit((t: Tensor) => np.sum(np.tanh(t.mul(1.5).add(0.5)).mul(np.sigmoid(t)).sub(t.mul(t).mul(0.1))));
    const x = np.array(Float32Array.from({ length: 1 << 20 }, (_, i) => Math.sin(i))).add(0);
    await x.data();
    const names = w1.lower(x).kernels.map((k) => k.name);
    const p = await profile(() => w1(x), { calls: 3 });
    expect(p.backend).to.equal("webgpu");
    expect(p.kernels.map((k) => k.name)).to.deep.equal(names);
    const [k] = p.kernels;
    expect(k).to.include({ kind: "reduce", runs: 1, dispatches: 2, on: "device", ms: null });
    expect(k!.bytes).to.be.at.least(4 * (1 << 20));
    expect(p.submissions).to.equal(1);
    expect(p.submissionMs).to.be.a("number").and.greaterThan(0);
    expect(p.timing).to.contain("timestamp-query").and.contain("submit()");
  });

  it("a jitted step of several kernels: every kernel once, each with its dispatches", async () => {
    const step = jit((x: Tensor, w: Tensor) => np.sum(np.tanh(x.matmul(w)), { axis: 1 }).sub(np.max(x)));
    const x = np.array(Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i)), { shape: [64, 32] });
    const w = np.array(Float32Array.from({ length: 32 * 16 }, (_, i) => Math.cos(i)), { shape: [32, 16] });
    const names = step.lower(x, w).kernels.map((k) => k.name);
    const p = await profile(() => step(x, w));
    expect(p.kernels.map((k) => k.name).sort()).to.deep.equal([...names].sort());
    for (const k of p.kernels) expect(k.dispatches, k.name).to.be.at.least(1);
    expect(p.submissions).to.equal(1);
  });
});
