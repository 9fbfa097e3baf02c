/**
 * Issue 17, item 1: one submission per jitted step on webgpu. A step's kernels, the uploads of its
 * fresh inputs and the reads of its outputs requested in the same turn are one command buffer
 * (targets/webgpu/webgpu-queue.ts), counted by `webgpuRunStats().submissions`.
 */
import { expect } from "chai";
import { ParamState, type Tensor, grad, jit, nn, np, optim, random, webgpuRunStats } from "kiln";
import { useWebgpu } from "./env.js";

/** A small MLP training step (two layers, tanh, softmax cross-entropy, SGD) returning its loss. */
function mlpStep() {
  random.seed(1);
  const model = new nn.MLP([8, 16, 4], { activation: nn.tanh });
  const params = model.states(ParamState);
  const opt = new optim.SGD(params, { lr: 0.1 });
  const step = jit((x: Tensor, y: Tensor) => {
    const [g, value] = grad(() => nn.softmaxCrossEntropy(model.call(x), y), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return value;
  });
  return step;
}

const submissions = () => webgpuRunStats().submissions;

describe("webgpu: one submission per jitted step", function () {
  this.timeout(60_000);
  useWebgpu();

  it("a jitted MLP training step and the read of its loss are one submission per call", async () => {
    const step = mlpStep();
    random.seed(2);
    const x = random.normal({ size: [32, 8] });
    const y = np.array(Int32Array.from({ length: 32 }, (_, i) => i % 4));
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push(await (step(x, y) as Tensor).item()); // compiles; shaders checked
    const per: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s0 = submissions();
      losses.push(await (step(x, y) as Tensor).item());
      per.push(submissions() - s0);
    }
    expect(per).to.deep.equal(new Array(10).fill(1));
    expect(losses.at(-1)).to.be.below(losses[0]!); // it trains
    expect(step.lower(x, y).stats.submissions).to.equal(1);
  });

  it("fresh host inputs are uploaded in the step's submission", async () => {
    const step = mlpStep();
    const y = np.array(Int32Array.from({ length: 16 }, (_, i) => i % 4));
    const fresh = (i: number) => np.array(Float32Array.from({ length: 16 * 8 }, (_, k) => Math.sin(k + i)), { shape: [16, 8] });
    for (let i = 0; i < 3; i++) await (step(fresh(i), y) as Tensor).item();
    const s0 = submissions();
    for (let i = 0; i < 5; i++) expect(await (step(fresh(i), y) as Tensor).item()).to.be.finite;
    expect(submissions() - s0).to.equal(5);
  });

  it("several outputs read together ride one submission", async () => {
    const f = jit((a: Tensor): Tensor[] => [a.mul(2), a.sum(), np.tanh(a)]);
    const a = np.arange(6, { dtype: "float32" }).reshape([2, 3]);
    await Promise.all(f(a).map((t) => t.data()));
    const s0 = webgpuRunStats();
    const [p, q, r] = await Promise.all(f(a).map((t) => t.data()));
    const s1 = webgpuRunStats();
    expect(Array.from(p!)).to.deep.equal([0, 2, 4, 6, 8, 10]);
    expect(q![0]).to.equal(15);
    expect(r![5]).to.be.closeTo(Math.tanh(5), 1e-6);
    expect(s1.submissions - s0.submissions).to.equal(1);
    expect(s1.reads - s0.reads).to.equal(3);
    expect(s1.batchedReads - s0.batchedReads).to.equal(3);
  });

  it("a synchronous loop is cut into bounded submissions, and reads back its last value", async () => {
    const inc = jit((v: Tensor) => v.add(1), { donateArgnums: 0 });
    let v = inc(np.zeros([4]).add(0)) as Tensor;
    await v.data(); // compiled, and its shader checked: later calls are batched
    const s0 = submissions();
    for (let i = 0; i < 200; i++) v = inc(v) as Tensor;
    expect(Array.from(await v.data())).to.deep.equal([201, 201, 201, 201]);
    const n = submissions() - s0;
    expect(n).to.be.within(2, 8); // 200 plans, at most 64 per submission
  });
});
