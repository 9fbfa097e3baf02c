/**
 * Issue 17, W4: small jitted plans whose inputs are all on the host run on the host's kernels
 * under webgpu (targets/webgpu/webgpu-small-plans.ts) — no submission, no read-back — and their
 * outputs stay on the host until a device kernel needs them. The rest of the webgpu suites force
 * the device path (env.ts); these tests run under the adapter's default limit or an explicit one.
 */
import { expect } from "chai";
import {
  ParamState, type Tensor, ValueError, grad, jit, np, scan, setWebgpuHostPlanLimit, webgpuRunStats,
} from "kiln";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { DEVICE_ONLY, useWebgpu } from "./env.js";

const W4 = () => jit(grad((x: Tensor) => np.sum(np.sin(x).mul(x))));
const x16 = () => np.array(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.7) * 3));
const EVERYTHING = { bytes: Infinity, flops: Infinity } as const;

/** Runs `f` under a small-plan limit (null: the adapter's default), then restores the suite's. */
async function withLimit<T>(limit: Parameters<typeof setWebgpuHostPlanLimit>[0], f: () => Promise<T>): Promise<T> {
  const was = setWebgpuHostPlanLimit(limit);
  try {
    return await f();
  } finally {
    setWebgpuHostPlanLimit(was);
  }
}

/** Submissions, host plans and bytes uploaded by `f`. */
async function counted(f: () => Promise<unknown>): Promise<{ submissions: number; hostPlans: number; uploadedBytes: number; buffersCreated: number }> {
  const s0 = webgpuRunStats();
  await f();
  const s1 = webgpuRunStats();
  return {
    submissions: s1.submissions - s0.submissions, hostPlans: s1.hostPlans - s0.hostPlans,
    uploadedBytes: s1.uploadedBytes - s0.uploadedBytes, buffersCreated: s1.buffersCreated - s0.buffersCreated,
  };
}

describe("webgpu: small jitted plans on the host", function () {
  this.timeout(60_000);
  useWebgpu();

  it("W4 (jitted grad, 16 elements) runs on the host by default: no submission, no device buffer, lower() says why", async () => {
    await withLimit(null, async () => {
      const g = W4(), x = x16();
      await (g(x) as Tensor).data();
      const c = await counted(async () => {
        for (let i = 0; i < 5; i++) await (g(x) as Tensor).data();
      });
      expect(c).to.deep.equal({ submissions: 0, hostPlans: 5, uploadedBytes: 0, buffersCreated: 0 });
      const placement = g.lower(x).stats.placement!;
      expect(placement).to.match(/^host when every input has a host copy \(128 bytes and 64 flops per call, below \d+ bytes and \d+ flops/);
      expect(placement).to.contain("setWebgpuHostPlanLimit");
    });
  });

  it("forced to the device, a warm W4 call is one submission with one error scope, and uploads nothing when its input is unchanged", async () => {
    await withLimit(DEVICE_ONLY, async () => {
      const g = W4(), x = x16();
      await (g(x) as Tensor).data(); // compiles, uploads x once
      // Error scopes pushed (each costs a push and a pop on Dawn): the submission's only, once its program compiled.
      const device = currentGpu()!.device;
      const push = device.pushErrorScope;
      let scopes = 0;
      device.pushErrorScope = (filter) => (scopes++, push.call(device, filter));
      let c: Awaited<ReturnType<typeof counted>>;
      try {
        c = await counted(async () => {
          for (let i = 0; i < 5; i++) await (g(x) as Tensor).data();
        });
      } finally {
        device.pushErrorScope = push;
      }
      expect(scopes).to.equal(5);
      expect(c.submissions).to.equal(5);
      expect(c.hostPlans).to.equal(0);
      expect(c.uploadedBytes).to.equal(0);
      expect(g.lower(x).stats.placement).to.match(/^device: it moves 128 bytes per call, not below the 0-byte limit/);
    });
  });

  it("host and device give the same values (W4 and a mixed-dtype plan)", async () => {
    const mixed = jit((x: Tensor, k: Tensor): Tensor[] => [
      x.gt(0), k.mul(k).add(3), np.sum(np.tanh(x).mul(0.5)), x.astype("float16").mul(1.5), np.max(x), x.reshape([4, 4]).T,
    ]);
    const run = async () => {
      const x = x16(), k = np.array(Int32Array.from({ length: 16 }, (_, i) => i - 8));
      const w4 = await (W4()(x) as Tensor).data();
      const rest = await Promise.all(mixed(x, k).map((t) => t.data()));
      return [w4, ...rest].map((a) => Array.from(a as ArrayLike<number>));
    };
    const onHost = await withLimit(EVERYTHING, async () => {
      const h0 = webgpuRunStats().hostPlans;
      const r = await run();
      expect(webgpuRunStats().hostPlans - h0).to.equal(2);
      return r;
    });
    const onDevice = await withLimit(DEVICE_ONLY, run);
    expect(onHost.map((a) => a.length)).to.deep.equal(onDevice.map((a) => a.length));
    onHost.forEach((a, i) => a.forEach((v, j) => expect(v, `output ${i}[${j}]`).to.be.closeTo(onDevice[i]![j]!, 1e-5 * Math.max(1, Math.abs(v)))));
    const want = Array.from({ length: 16 }, (_, i) => {
      const v = Math.fround(Math.sin(i * 1.7) * 3);
      return Math.cos(v) * v + Math.sin(v);
    });
    onHost[0]!.forEach((v, i) => expect(v).to.be.closeTo(want[i]!, 2e-6));
  });

  it("an input held only by the device keeps the call on the device", async () => {
    await withLimit(null, async () => {
      const g = W4();
      const onDevice = x16().mul(1); // computed on the device, never read back: no host copy
      await (g(onDevice) as Tensor).data();
      const c = await counted(() => (g(onDevice.mul(1)) as Tensor).data());
      expect(c.hostPlans).to.equal(0);
      expect(c.submissions).to.equal(1);
    });
  });

  it("a plan not below the limit runs on the device, and lower() names the limit", async () => {
    await withLimit({ bytes: 128, flops: Infinity }, async () => {
      const g = W4(), x = x16();
      await (g(x) as Tensor).data();
      const c = await counted(() => (g(x) as Tensor).data());
      expect(c).to.include({ hostPlans: 0, submissions: 1 });
      expect(g.lower(x).stats.placement).to.equal("device: it moves 128 bytes per call, not below the 128-byte limit (setWebgpuHostPlanLimit)");
    });
    await withLimit({ bytes: Infinity, flops: 64 }, async () => {
      expect(W4().lower(x16()).stats.placement).to.match(/^device: it does 64 flops per call, not below the 64-flop limit/);
    });
  });

  it("a plan with control flow stays on the device rule (its work per call is not bounded by its stats)", async () => {
    await withLimit(EVERYTHING, async () => {
      const f = jit((c0: Tensor) => scan((c: Tensor) => [c.mul(0.5).add(1), null] as [Tensor, null], c0, null, { length: 4 })[0]);
      const x = np.array([1, 2, 3, 4]);
      expect(f.lower(x).stats.placement).to.equal("device: it has a scan, whose work per call the plan's stats do not bound (setWebgpuHostPlanLimit)");
      const h0 = webgpuRunStats().hostPlans;
      const want = [1, 2, 3, 4].map((v) => [0, 1, 2, 3].reduce((c) => c * 0.5 + 1, v));
      expect(Array.from(await (f(x) as Tensor).data())).to.deep.equal(want);
      expect(webgpuRunStats().hostPlans - h0).to.equal(0);
    });
  });

  it("outputs stay on the host (sync reads work) until a device kernel needs them", async () => {
    await withLimit(null, async () => {
      const g = W4(), x = x16();
      const y = g(x) as Tensor;
      const host = Array.from(y.dataSync()); // a host value: no device read
      // A big eager op on the device uploads y; the result is computed there.
      const big = np.tile(y, [1 << 12]).mul(2);
      const c = await counted(async () => {
        const v = await big.data();
        expect(v.length).to.equal(1 << 16);
        for (let i = 0; i < v.length; i += 4093) expect(v[i]).to.equal(2 * host[i % 16]!);
      });
      expect(c.uploadedBytes).to.be.at.least(64);
    });
  });

  it("State updates are the same on the host as on the device", async () => {
    const run = async () => {
      const w = new ParamState(np.array([0.5, -1, 2, 0.25]));
      const step = jit((x: Tensor) => {
        const g = grad(() => np.sum(np.sin(w.value.mul(x))), { gradStates: [w] })() as Tensor[];
        w.value = w.value.sub(g[0]!.mul(0.1));
        return np.sum(w.value);
      });
      const x = np.array([1, 2, 3, 4]);
      const sums: number[] = [];
      for (let i = 0; i < 4; i++) sums.push(await (step(x) as Tensor).item());
      return { sums, w: Array.from(await w.value.data()) };
    };
    const h0 = webgpuRunStats().hostPlans;
    const onHost = await withLimit(null, run);
    expect(webgpuRunStats().hostPlans - h0).to.equal(4);
    const onDevice = await withLimit(DEVICE_ONLY, run);
    onHost.sums.forEach((v, i) => expect(v).to.be.closeTo(onDevice.sums[i]!, 1e-5));
    onHost.w.forEach((v, i) => expect(v).to.be.closeTo(onDevice.w[i]!, 1e-5));
  });

  it("setWebgpuHostPlanLimit rejects a limit that is not two numbers ≥ 0", () => {
    expect(() => setWebgpuHostPlanLimit({ bytes: -1, flops: 0 })).to.throw(ValueError, /bytes must be a number ≥ 0/);
    expect(() => setWebgpuHostPlanLimit({ bytes: 0, flops: Number.NaN })).to.throw(ValueError, /flops must be a number ≥ 0/);
    expect(() => setWebgpuHostPlanLimit({ bytes: 1 } as never)).to.throw(ValueError, /flops/);
    expect(setWebgpuHostPlanLimit(DEVICE_ONLY)).to.deep.equal(DEVICE_ONLY); // unchanged by the failures
  });
});
