/**
 * Issue 17, item 3: `scan` and `forLoop` (static trip counts) run their bodies as device kernels,
 * every iteration recorded into the step's one submission with no read-back per iteration
 * (targets/webgpu/webgpu-scan.ts). Values are checked against the cpu backend.
 */
import { expect } from "chai";
import { type Tensor, forLoop, jit, np, scan, webgpuRunStats, whileLoop } from "kiln";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { setScanDeviceMinBytes } from "../../packages/backend/src/targets/webgpu/webgpu.js";
import { expectClose as close, onBoth } from "./cpu-parity.js";
import { useWebgpu } from "./env.js";

describe("webgpu: scan and forLoop on the device", function () {
  this.timeout(60_000);
  useWebgpu();
  // Small bodies run on the host by default on a software adapter (a dispatch costs more there).
  let was: number | null = null;
  before(() => void (was = setScanDeviceMinBytes(0)));
  after(() => setScanDeviceMinBytes(was));

  it("a scan with carry, consts, xs and ys matches the cpu backend, forwards and reversed", async () => {
    for (const reverse of [false, true]) {
      const f = jit((c0: Tensor, xs: Tensor, w: Tensor): Tensor[] => {
        const [c, ys] = scan((c: Tensor, x: Tensor) => {
          const next = np.tanh(c.mul(w).add(x));
          return [next, next.sum()];
        }, c0, xs, { reverse });
        return [c as Tensor, ys as Tensor];
      });
      const [cpu, gpu] = await onBoth(() => f(np.linspace(-1, 1, 8), np.arange(5 * 8).reshape([5, 8]).mul(0.01), np.full([8], 0.7)));
      close(gpu, cpu);
    }
  });

  it("a jitted step with a 200-step scan makes no host round trip: one submission, no reads, no host steps", async () => {
    const f = jit((c0: Tensor) => scan((c: Tensor) => [c.mul(0.99).add(0.01), null], c0, null, { length: 200 })[0] as Tensor);
    const c0 = np.zeros([16]).add(0);
    await (f(c0) as Tensor).data(); // compiled, shaders checked
    const s0 = webgpuRunStats();
    const out = f(c0) as Tensor;
    const s1 = webgpuRunStats();
    expect(s1.reads - s0.reads, "reads while the step runs").to.equal(0);
    expect(s1.hostSteps - s0.hostSteps).to.equal(0);
    expect(s1.deviceLoops - s0.deviceLoops).to.equal(1);
    const v = await out.data();
    expect(webgpuRunStats().submissions - s0.submissions).to.equal(1);
    expect(v[0]).to.be.closeTo(1 - 0.99 ** 200, 1e-5);
    expect(f.lower(c0).kernels.every((k) => k.backend === "webgpu")).to.equal(true);
  });

  it("forLoop, a nested scan and an empty scan run on the device too", async () => {
    const g = jit((a: Tensor, b: Tensor): Tensor[] => [
      forLoop((x: Tensor, y: Tensor) => x.mul(y).add(1), a, b) as Tensor,
      scan((c: Tensor, row: Tensor) => {
        const [inner] = scan((d: Tensor, v: Tensor) => [d.add(v), null], c, row);
        return [inner as Tensor, (inner as Tensor).mul(2)];
      }, np.zeros([]), a)[1] as Tensor,
      scan((c: Tensor, x: Tensor) => [c.add(x.sum()), null], np.ones([2]), np.zeros([0, 2]))[0] as Tensor,
    ]);
    const s0 = webgpuRunStats().hostSteps;
    const [cpu, gpu] = await onBoth(() => g(np.arange(6).reshape([3, 2]), np.full([3, 2], 2)));
    close(gpu, cpu);
    expect(webgpuRunStats().hostSteps - s0).to.equal(0);
  });

  it("by default a body that is not element-local, too wide for a workgroup loop and moving < 1 MB stays on the host of a software adapter; a large one runs on the device", async () => {
    setScanDeviceMinBytes(null);
    try {
      // (An element-local body runs as one loop kernel whatever its size, a small one as a
      // workgroup loop: test/webgpu/loop-kernel.test.ts.)
      const mk = (n: number) => jit((c0: Tensor) => scan((c: Tensor) => [c.mul(0.5).add(c.sum()), null], c0, null, { length: 3 })[0] as Tensor).lower(np.zeros([n]));
      const software = currentGpu()!.adapter.software;
      expect(mk(10_000).kernels.some((k) => k.backend === "webgpu (host)")).to.equal(software);
      expect(mk(1 << 18).kernels.every((k) => k.backend === "webgpu")).to.equal(true);
    } finally {
      setScanDeviceMinBytes(0);
    }
  });

  it("a scan whose body holds a whileLoop runs on the host, with the same values", async () => {
    const h = jit((c0: Tensor) => scan((c: Tensor) => {
      const w = whileLoop((v: Tensor) => np.less(v.sum(), 10), (v: Tensor) => v.add(1), c);
      return [(w as Tensor).mul(0.5), null];
    }, c0, null, { length: 3 })[0] as Tensor);
    const [cpu, gpu] = await onBoth(() => [h(np.array([1, 2]))]);
    close(gpu, cpu);
    expect(h.lower(np.array([1, 2])).kernels.some((k) => k.backend === "webgpu (host)")).to.equal(true);
  });
});
