/**
 * Kernel counts of jitted sequence-model training steps on the cpu backend (nn's unit tests run on
 * whatever executor is active, so the counts live here): a TransformerEncoderLayer step and a GRU
 * step, each traced once. The GRU's recurrence is one scan op whose body compiles on its own, so
 * its count does not grow with the sequence length — unrolling would.
 */
import { expect } from "chai";
import { np, nn, optim, random, jit, grad, ParamState, type Tensor } from "kiln";
import { useCpu } from "./util.js";

/** A jitted Adam step minimizing `loss` over `params`, and its kernel count for these arguments. */
function adamStep(params: Record<string, ParamState>, loss: (x: Tensor, y: Tensor) => Tensor, x: Tensor, y: Tensor, lr: number) {
  const opt = new optim.Adam(params, { lr });
  const step = jit((xb: Tensor, yb: Tensor) => {
    const [g, value] = grad(() => loss(xb, yb), { gradStates: params, returnValue: true })();
    opt.update(g);
    return value;
  });
  return { step, kernels: step.lower(x, y).stats.kernels };
}

describe("jit: sequence-model training steps (kernel counts on cpu)", () => {
  useCpu();

  it("TransformerEncoderLayer (pre-LN, causal, no dropout): bounded kernels, one trace, loss falls", () => {
    random.seed(2);
    const layer = new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, dropout: 0, normFirst: true });
    const x = random.normal({ size: [4, 8, 16] });
    const y = np.roll(x, 1, 1);
    const { step, kernels } = adamStep(layer.states(ParamState), (xb, yb) => nn.mseLoss(layer.call(xb, { isCausal: true }), yb), x, y, 3e-3);
    // Measured 165: ~20 forward, ~90 backward (attention, two LayerNorms, FFN), ~50 for Adam on 16
    // parameters (kernels have one output each).
    expect(kernels).to.be.at.most(175);
    const losses = Array.from({ length: 20 }, () => step(x, y).itemSync());
    expect(step.traceCount()).to.equal(1);
    expect(losses[19]!).to.be.below(losses[0]! * 0.8);
  });

  it("Dropout's mask is a few kernels: Threefry's two words are one kernel, not one per op", () => {
    // The stateful key is split (a Threefry of 2 counters whose words both the new key and the draw
    // read): the scheduler took the shared words apart op by op, ~110 kernels per mask before.
    random.seed(4);
    const drop = new nn.Dropout(0.1);
    const f = jit((x: Tensor) => drop.call(x));
    const x = np.ones([64, 128]);
    expect(f.lower(x).stats.kernels).to.be.at.most(4);
    const kept = Array.from(f(x).dataSync()).filter((v) => v !== 0);
    expect(kept.length).to.be.within(64 * 128 * 0.85, 64 * 128 * 0.95);
    expect(kept.every((v) => Math.abs(v - 1 / 0.9) < 1e-6)).to.equal(true);
    const layer = new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, dropout: 0.1 });
    const xs = random.normal({ size: [4, 8, 16] });
    const { kernels } = adamStep(layer.states(ParamState), (xb, yb) => nn.mseLoss(layer.call(xb), yb), xs, xs, 3e-3);
    // Measured 133 (1,156 before: each of the layer's dropout masks was ~110 kernels).
    expect(kernels).to.be.at.most(175);
  });

  it("GRU sequence model: the same kernel count for 12 and 48 steps, one trace, loss falls", () => {
    random.seed(3);
    const counts = [12, 48].map((T) => {
      const rnn = new nn.RNN(new nn.GRUCell(1, 16));
      const head = new nn.Linear(16, 1);
      const params = { ...rnn.states(ParamState), ...Object.fromEntries(Object.entries(head.states(ParamState)).map(([k, s]) => [`head.${k}`, s])) };
      const seq = np.sin(random.uniform({ low: 0, high: 6, size: [8, 1] }).add(np.arange(T + 1).mul(0.4)));
      const x = np.expandDims(np.take(seq, np.arange(0, T, 1, { dtype: "int32" }), { axis: 1 }), -1);
      const y = np.expandDims(np.take(seq, np.arange(1, T + 1, 1, { dtype: "int32" }), { axis: 1 }), -1);
      const { step, kernels } = adamStep(params, (xb, yb) => nn.mseLoss(head.call(rnn.call(xb)), yb), x, y, 0.02);
      if (T === 12) {
        const losses = Array.from({ length: 30 }, () => step(x, y).itemSync());
        expect(step.traceCount()).to.equal(1);
        expect(losses[29]!).to.be.below(losses[0]! * 0.3);
      }
      return kernels;
    });
    // Measured 54: the scan (forward body) and its transpose (backward body), the head, the loss, Adam on 6 parameters.
    expect(counts[0]).to.be.at.most(60);
    expect(counts[1]).to.equal(counts[0]);
  });
});
