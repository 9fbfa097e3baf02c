/**
 * Issue 17, item 3: `whileLoop` and `cond` on the device (targets/webgpu/webgpu-branch.ts). The
 * body, predicate and branches run as device kernels; the host reads one predicate per decision
 * and never the carry (`webgpuRunStats().reads` against `predicateReads`), values equal the cpu
 * backend's, only the taken branch's State effects land, and a 10^4-iteration loop holds its
 * memory steady. A `while` small enough for one workgroup runs as a workgroup loop by default
 * (test/webgpu/loop-kernel.test.ts): this suite turns those off to test the per-iteration path.
 */
import { expect } from "chai";
import { ParamState, type Tensor, cond, jit, np, scan, webgpuRunStats, whileLoop } from "kiln";
import { setLoopKernels, setScanDeviceMinBytes } from "../../packages/backend/src/targets/webgpu/webgpu.js";
import { expectClose as close, onBoth } from "./cpu-parity.js";
import { useWebgpu } from "./env.js";

describe("webgpu: whileLoop and cond on the device", function () {
  this.timeout(120_000);
  useWebgpu();
  // Small loop bodies run on the host by default on a software adapter (a submission costs more there).
  let was: number | null = null, loops = true;
  before(() => void ((was = setScanDeviceMinBytes(0)), (loops = setLoopKernels(false))));
  after(() => void (setScanDeviceMinBytes(was), setLoopKernels(loops)));

  /** Halves `v` and counts until its sum drops below `limit`: a carry of two values, a constant. */
  const halving = jit((v: Tensor, limit: Tensor): Tensor[] => {
    const [out, n] = whileLoop(
      ([x]: Tensor[]) => np.greater(x!.sum(), limit),
      ([x, k]: Tensor[]) => [np.tanh(x!.mul(0.5)).add(0.01), k!.add(1)],
      [v, np.zeros([], { dtype: "int32" })],
    ) as Tensor[];
    return [out!, n!];
  });

  it("a whileLoop with a multi-value carry and a constant matches the cpu backend", async () => {
    const [cpu, gpu] = await onBoth(() => halving(np.linspace(0, 4, 32), np.array(1.5)));
    close(gpu, cpu);
    expect(gpu[1]![0]).to.be.above(2); // it iterated
    expect(halving.lower(np.linspace(0, 4, 32), np.array(1.5)).kernels.every((k) => k.backend === "webgpu")).to.equal(true);
  });

  it("reads one predicate per iteration and never the carry; no host step", async () => {
    const v = np.linspace(0, 4, 32).astype("float32"), limit = np.array(1.5);
    await halving(v, limit)[0]!.data(); // compiled, shaders checked
    const s0 = webgpuRunStats();
    const [out, n] = halving(v, limit) as Tensor[];
    const iterations = (await n!.data())[0]!;
    const s1 = webgpuRunStats();
    await out!.data();
    expect(s1.hostSteps - s0.hostSteps).to.equal(0);
    expect(s1.deviceBranches - s0.deviceBranches).to.equal(1);
    expect(s1.predicateReads - s0.predicateReads, "predicates").to.equal(iterations + 1);
    // Every read the step made is a predicate, plus the read of n itself.
    expect(s1.reads - s0.reads, "reads").to.equal(iterations + 2);
  });

  it("a whileLoop of 10^4 iterations holds its memory steady", async () => {
    const count = jit((x0: Tensor, steps: Tensor) => (whileLoop(
      ([, k]: Tensor[]) => np.less(k!, steps),
      ([x, k]: Tensor[]) => [x!.mul(0.999).add(0.001), k!.add(1)],
      [x0, np.zeros([], { dtype: "int32" })],
    ) as Tensor[])[0]!);
    const x0 = np.zeros([64]).add(0);
    const run = async (n: number) => {
      const r = count(x0, np.array(Int32Array.of(n)).reshape([]));
      const v = await r.data();
      r.dispose();
      return v;
    };
    await run(10);
    const b0 = webgpuRunStats().buffersCreated;
    await run(100);
    const b1 = webgpuRunStats().buffersCreated;
    const p0 = webgpuRunStats().predicateReads;
    const v = await run(10_000);
    expect(webgpuRunStats().predicateReads - p0).to.equal(10_001);
    // The same few pooled buffers serve every iteration: no growth with the trip count.
    expect(webgpuRunStats().buffersCreated - b1, "buffers created by 10^4 iterations").to.be.at.most(Math.max(2, b1 - b0));
    expect(v[0]).to.be.closeTo(1 - 0.999 ** 10_000, 1e-3);
  });

  it("cond on a device predicate runs only the taken branch and matches the cpu backend", async () => {
    const f = jit((x: Tensor): Tensor[] => {
      const r = cond(x.sum().gt(0), (v: Tensor) => [v.mul(2), v.sum()], (v: Tensor) => [np.exp(v), v.max()], x) as Tensor[];
      return [r[0]!, r[1]!];
    });
    for (const x of [np.array([1, -2, 3]), np.array([-1, -2, 0.5])]) {
      const [cpu, gpu] = await onBoth(() => f(x));
      close(gpu, cpu);
    }
    const x = np.array([1, -2, 3]);
    await f(x)[0]!.data();
    const s0 = webgpuRunStats();
    const [a, b] = f(x) as Tensor[];
    await Promise.all([a!.data(), b!.data()]);
    const s1 = webgpuRunStats();
    expect(s1.predicateReads - s0.predicateReads).to.equal(1);
    expect(s1.reads - s0.reads).to.equal(3); // the predicate and the two results: no operand read back
    expect(s1.hostSteps - s0.hostSteps).to.equal(0);
    // The other branch is not run: only the taken branch's kernels are dispatched.
    expect(s1.deviceSteps - s0.deviceSteps).to.be.below(f.lower(x).kernels.length + 6);
  });

  it("only the taken branch's State effects land", async () => {
    const counter = new ParamState(np.zeros([2]), { name: "counter" });
    const bump = jit((x: Tensor) => cond(x.sum().gt(0), (v: Tensor) => {
      counter.value = counter.value.add(np.array([1, 0]));
      return v.mul(2);
    }, (v: Tensor) => {
      counter.value = counter.value.add(np.array([0, 10]));
      return v.neg();
    }, x) as Tensor);
    await bump(np.array([1, 2])).data();
    await bump(np.array([1, 2])).data();
    await bump(np.array([-1, -2])).data();
    expect(Array.from(await counter.value.data())).to.deep.equal([2, 10]);
  });

  it("an asynchronous plan still reads the State values and JS scalars freed right after its call", async () => {
    // np.sort runs on the host under webgpu: the step is an asynchronous job, which reads its
    // inputs after jit has released the wrapped scalar and the commit the replaced State value.
    const acc = new ParamState(np.zeros([3]), { name: "acc" });
    const step = jit((x: Tensor, k: number) => {
      acc.value = np.sort(acc.value.add(x.mul(k)));
      return acc.value.sum();
    });
    const x = np.array([3, -1, 2]);
    for (let i = 0; i < 4; i++) await step(x, i + 1).data();
    // acc = sort(sort(...(x*1) + x*2) + x*3) + x*4, step by step on the host
    let want = [0, 0, 0];
    for (let i = 0; i < 4; i++) want = want.map((v, j) => v + [3, -1, 2][j]! * (i + 1)).sort((a, b) => a - b);
    expect(Array.from(await acc.value.data())).to.deep.equal(want);
  });

  it("a plan with a device whileLoop runs its scans on the device too", async () => {
    const f = jit((x: Tensor): Tensor[] => {
      const [c] = scan((c: Tensor) => [c.mul(0.5).add(1), null], x, null, { length: 4 });
      const w = whileLoop((v: Tensor) => np.less(v.sum(), 100), (v: Tensor) => v.mul(2), c as Tensor) as Tensor;
      return [w];
    });
    const s0 = webgpuRunStats();
    const [cpu, gpu] = await onBoth(() => f(np.array([1, 2, 3])));
    close(gpu, cpu);
    const s1 = webgpuRunStats();
    expect(s1.hostSteps - s0.hostSteps).to.equal(0);
    expect(s1.deviceLoops - s0.deviceLoops).to.equal(1);
  });
});
