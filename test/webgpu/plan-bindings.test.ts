/**
 * Issue 17, item 1: a compiled plan prepares its bind groups and buffers once. A warm jitted step
 * creates no bind group and no device buffer per call (a counting wrapper on the device's
 * `createBindGroup`/`createBuffer`), whichever pool buffers its caller's values live in — the
 * plan keeps its intermediates, and binds small inputs and outputs through its own buffers
 * (targets/webgpu/webgpu.ts's `PinnedBuffers`) — and it still computes what the cpu computes.
 */
import { expect } from "chai";
import { ParamState, type Tensor, grad, jit, nn, np, optim, random, scan, setBackend } from "kiln";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { setScanDeviceMinBytes } from "../../packages/backend/src/targets/webgpu/webgpu.js";
import { useWebgpu } from "./env.js";

/** Counts the device's bind group and buffer creations while installed. */
function countCreations(): { bindGroups: number; buffers: number; restore(): void } {
  const device = currentGpu()!.device;
  const { createBindGroup, createBuffer } = device;
  const counts = {
    bindGroups: 0, buffers: 0,
    restore: () => Object.assign(device, { createBindGroup, createBuffer }),
  };
  device.createBindGroup = (d) => (counts.bindGroups++, createBindGroup.call(device, d));
  device.createBuffer = (d) => (counts.buffers++, createBuffer.call(device, d));
  return counts;
}

/** A two-layer MLP training step returning its loss (SGD on ParamStates: they change every call). */
function mlpStep(): (x: Tensor, y: Tensor) => Tensor {
  random.seed(1);
  const model = new nn.MLP([8, 16, 4], { activation: nn.tanh });
  const params = model.states(ParamState);
  const opt = new optim.SGD(params, { lr: 0.1 });
  return jit((x: Tensor, y: Tensor) => {
    const [g, value] = grad(() => nn.softmaxCrossEntropy(model.call(x), y), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return value;
  }) as (x: Tensor, y: Tensor) => Tensor;
}

const xs = () => np.array(Float32Array.from({ length: 32 * 8 }, (_, k) => Math.sin(k * 0.7)), { shape: [32, 8] });
const ys = () => np.array(Int32Array.from({ length: 32 }, (_, i) => i % 4));

/** Losses of `n` steps, each read back and disposed. */
async function train(n: number): Promise<number[]> {
  const step = mlpStep();
  const x = xs(), y = ys();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const loss = step(x, y);
    out.push(await loss.item());
    loss.dispose();
  }
  return out;
}

describe("webgpu: bind groups and buffers prepared once per compiled plan", function () {
  this.timeout(60_000);
  useWebgpu();

  it("a warm jitted MLP step creates no bind group and no buffer, and trains as on the cpu", async () => {
    const step = mlpStep();
    const x = xs(), y = ys();
    const losses: number[] = [];
    const call = async () => {
      const loss = step(x, y);
      losses.push(await loss.item());
      loss.dispose();
    };
    for (let i = 0; i < 3; i++) await call(); // compiles; shaders checked; the plan's buffers made
    const counts = countCreations();
    try {
      for (let i = 0; i < 10; i++) await call();
    } finally {
      counts.restore();
    }
    expect({ bindGroups: counts.bindGroups, buffers: counts.buffers }).to.deep.equal({ bindGroups: 0, buffers: 0 });
    setBackend("cpu");
    let cpu: number[];
    try {
      cpu = await train(13);
    } finally {
      setBackend("webgpu");
    }
    losses.forEach((l, i) => expect(l).to.be.closeTo(cpu[i]!, 1e-4));
    expect(losses.at(-1)).to.be.below(losses[0]!);
  });

  it("results kept alive (a new output buffer per call) still bind no new bind group", async () => {
    const step = mlpStep();
    const x = xs(), y = ys();
    for (let i = 0; i < 3; i++) await step(x, y).item();
    const kept: Tensor[] = [];
    const counts = countCreations();
    try {
      for (let i = 0; i < 10; i++) kept.push(step(x, y));
      await Promise.all(kept.map((t) => t.item()));
    } finally {
      counts.restore();
    }
    expect(counts.bindGroups).to.equal(0);
    const values = await Promise.all(kept.map((t) => t.item()));
    expect(new Set(values).size).to.equal(10); // each call's own loss, not the last one's
    for (const t of kept) t.dispose();
  });

  it("inputs in other device buffers every call (same size) bind no new bind group", async () => {
    const f = jit((a: Tensor, b: Tensor) => np.tanh(a.mul(b)).sum(0));
    const make = jit((k: Tensor) => np.arange(64, { dtype: "float32" }).reshape([8, 8]).add(k));
    const run = async (i: number) => {
      const k = np.array(new Float32Array([i])), k1 = np.array(new Float32Array([i + 1]));
      const a = make(k) as Tensor, b = make(k1) as Tensor;
      const r = f(a, b) as Tensor;
      const got = Array.from(await r.data());
      for (const t of [k, k1, a, b, r]) t.dispose();
      return got;
    };
    for (let i = 0; i < 3; i++) await run(i);
    const held = [0, 1, 2].map(() => make(np.array(new Float32Array([0]))) as Tensor); // shuffles the pool
    const counts = countCreations();
    let got: number[];
    try {
      got = await run(7);
    } finally {
      counts.restore();
    }
    expect(counts.bindGroups).to.equal(0);
    const want = Array.from({ length: 8 }, (_, j) => Array.from({ length: 8 }, (_, r) => Math.tanh((r * 8 + j + 7) * (r * 8 + j + 8))).reduce((s, v) => s + v, 0));
    got.forEach((v, j) => expect(v).to.be.closeTo(want[j]!, 1e-4));
    for (const t of held) t.dispose();
  });

  it("a scan on the device reuses its body's bind groups across iterations and calls", async () => {
    const was = setScanDeviceMinBytes(0);
    try {
      const f = jit((c0: Tensor) => scan((c: Tensor) => [np.tanh(c.mul(0.9).add(0.1)), c.sum()] as [Tensor, Tensor], c0, null, { length: 50 }));
      const c0 = np.linspace(-1, 1, 16).astype("float32");
      const call = async () => {
        const [c, s] = f(c0) as [Tensor, Tensor];
        const out = [Array.from(await c.data()), Array.from(await s.data())];
        c.dispose();
        s.dispose();
        return out;
      };
      await call();
      const counts = countCreations();
      let got: number[][];
      try {
        got = await call();
      } finally {
        counts.restore();
      }
      expect(counts.bindGroups).to.equal(0);
      let c = Array.from({ length: 16 }, (_, i) => -1 + (2 * i) / 15);
      const sums: number[] = [];
      for (let i = 0; i < 50; i++) {
        sums.push(c.reduce((a, v) => a + v, 0));
        c = c.map((v) => Math.tanh(v * 0.9 + 0.1));
      }
      got[0]!.forEach((v, i) => expect(v).to.be.closeTo(c[i]!, 1e-5));
      got[1]!.forEach((v, i) => expect(v).to.be.closeTo(sums[i]!, 1e-4));
    } finally {
      setScanDeviceMinBytes(was);
    }
  });
});
