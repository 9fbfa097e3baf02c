/**
 * The CPU backend on several threads (issue 13 item 6): a jitted training loop that reads its loss
 * with `dataSync()` every step keeps working with the worker pool active (the calling thread blocks
 * in `Atomics.wait` while workers run matmul panels), and trains to the same bits as one thread.
 */
import { expect } from "chai";
import { nn, optim, random, ParamState } from "kiln";
import { cpuPoolStats, setContractionPoolMinFlops, withCpuThreads } from "kiln/internal";
import { classifierStep, useCpu } from "./util.js";


describe("cpu backend on several threads", function () {
  this.timeout(120_000);
  useCpu();
  // The steps' matmuls (64×32 batches) are smaller than a lone call pools by default.
  before(() => setContractionPoolMinFlops(0));
  after(() => setContractionPoolMinFlops());

  it("a jitted training loop reads its loss with dataSync() for 10^3 steps with the pool active", () => {
    const train = (threads: number, steps: number) =>
      withCpuThreads(threads, () => {
        random.seed(7);
        const x = random.normal({ size: [64, 32] });
        const labels = random.randint(0, 10, { size: [64] });
        const model = new nn.MLP([32, 128, 128, 10], { activation: nn.relu });
        const params = model.states(ParamState);
        const opt = new optim.SGD(params, { lr: 1e-2 });
        const step = classifierStep(model, params, opt);
        const losses = new Float32Array(steps);
        for (let i = 0; i < losses.length; i++) losses[i] = (step(x, labels).dataSync() as Float32Array)[0]!;
        return losses;
      });
    // One thread for the first 100 steps is the reference (the whole loop twice would double the time).
    const one = train(1, 100);
    const jobs = cpuPoolStats().parallelJobs;
    const two = train(2, 1000);
    expect(cpuPoolStats().parallelJobs - jobs, "matmuls of every step ran on the pool").to.be.at.least(1000);
    expect(Buffer.from(two.buffer, 0, 400).equals(Buffer.from(one.buffer)), "the same losses, bit for bit").to.equal(true);
    expect(two[999]).to.be.below(two[0]! / 2);
  });
});
