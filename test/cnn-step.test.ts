/**
 * The digits CNN training step of the W7 benchmark (conv-relu-pool ×2, dense, cross-entropy, Adam;
 * batch 64 of 28×28×1), jitted on cpu: how many kernels it compiles to (a regression here is a
 * fusion or scheduling regression: 111 kernels before the convolution work of session 22), and
 * that its loss is the float64 interpreter's.
 */
import { expect } from "chai";
import { ParamState, type Tensor, grad, jit, nn, np, optim, random, setBackend } from "kiln";
import { interpret } from "kiln/internal";

/** Kernels of the jitted step on cpu (58 when written; 32 with multi-output kernels: each
 * parameter's Adam update, with its bias gradient's sum, is one kernel; 30 once a max-pool's
 * gradient is one kernel per input element and conv2's col2im, which it reads at every position
 * of a window, is materialized rather than recomputed four times). */
const MAX_KERNELS = 30;

describe("the digits CNN training step (W7) on cpu", () => {
  before(() => setBackend("cpu"));

  it(`compiles to at most ${MAX_KERNELS} kernels and computes the interpreter's loss`, function () {
    this.timeout(120_000); // the float64 interpreter runs the whole batch; the machine may be shared
    random.seed(0);
    const cnn = new nn.Sequential(
      new nn.Conv2d(1, 16, 3, { padding: "SAME" }), nn.relu, new nn.MaxPool2d(2),
      new nn.Conv2d(16, 32, 3, { padding: "SAME" }), nn.relu, new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(7 * 7 * 32, 10));
    const params = cnn.states(ParamState);
    const opt = new optim.Adam(params, { lr: 1e-3 });
    const x = random.uniform({ low: 0, high: 1, size: [64, 28, 28, 1] });
    const y = np.array(Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10));
    const loss = (xb: Tensor, yb: Tensor) => nn.crossEntropy(cnn.call(xb), yb);
    const step = jit((xb: Tensor, yb: Tensor) => {
      const [g, v] = grad(() => loss(xb, yb), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
      opt.update(g);
      return v;
    });
    const expected = interpret([loss(x, y).node])[0]![0]!;
    const first = step(x, y).itemSync();
    expect(Math.abs(first - expected)).to.be.below(1e-5 * Math.max(1, Math.abs(expected)));
    expect(step.lower(x, y).stats.kernels).to.be.at.most(MAX_KERNELS);
    expect(step(x, y).itemSync()).to.be.below(first); // Adam moved the weights downhill
  });
});
