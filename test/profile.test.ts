/**
 * profile() on the cpu backend: one entry per kernel the step runs, named as lower() names them,
 * each timed on the host (the step timer); bad options are typed errors. The webgpu version is
 * test/webgpu/profile.test.ts.
 */
import { expect } from "chai";
import { type Tensor, ValueError, jit, np, profile } from "kiln";
import { useCpu } from "./util.js";

describe("profile() on cpu", () => {
  useCpu();

  it("reports every kernel of a jitted step once, with lower()'s names, host times and bytes", async () => {
    const step = jit((x: Tensor, w: Tensor) => np.sum(np.tanh(x.matmul(w)), { axis: 1 }).sub(np.max(x)));
    const x = np.array(Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i)), { shape: [64, 32] });
    const w = np.array(Float32Array.from({ length: 32 * 16 }, (_, i) => Math.cos(i)), { shape: [32, 16] });
    const names = step.lower(x, w).kernels.map((k) => k.name);
    const p = await profile(() => step(x, w), { calls: 3 });
    expect(p.backend).to.equal("cpu");
    expect(p.calls).to.equal(3);
    expect(p.kernels.map((k) => k.name).sort()).to.deep.equal([...names].sort());
    for (const k of p.kernels) {
      expect(k.runs, k.name).to.equal(1);
      expect(k.on).to.equal("host");
      expect(k.ms, k.name).to.be.a("number").and.at.least(0);
      expect(k.bytes, k.name).to.be.greaterThan(0);
      expect(k.kind).to.equal(k.name.split("_")[0]);
    }
    expect(p.submissions).to.equal(0);
    expect(p.submissionMs).to.equal(null);
    expect(p.wallMs).to.be.at.least(p.kernels.reduce((a, k) => a + k.ms!, 0) * 0.99);
    expect(p.timing).to.contain("host");
  });

  it("rejects a non-function and bad counts with a ValueError", async () => {
    let err: unknown = null;
    await profile(42 as unknown as () => unknown).catch((e) => (err = e));
    expect(err).to.be.instanceOf(ValueError);
    err = null;
    await profile(() => null, { calls: 0 }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(ValueError);
  });
});
