/**
 * Issue 16's benchmark steps on webgpu (bench/src/cnn-bench.ts W7, transformer-bench.ts W8), built
 * the same way at a smaller batch: every kernel of the jitted training step runs on the device (a
 * host step would be a read-back and an upload per call, and a kernel past the software driver's
 * loop budget would fall back to the host), one submission per call including the read of the
 * loss, and the losses of the first steps equal the cpu backend's (the same weights and batch).
 */
import { expect } from "chai";
import { type Lowered, ParamState, type Tensor, grad, jit, nn, np, optim, random, setBackend, webgpuRunStats } from "kiln";
import { useWebgpu } from "./env.js";

/** A seeded batch: values in [-1, 1) and integer labels below `classes`. */
function batch(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 * 2 - 1) * scale);
}

type Built = { step: (...a: Tensor[]) => Tensor; args: Tensor[]; lower: () => Lowered };

/** W7: conv 3×3 1→16 SAME + relu + pool, conv 16→32 + relu + pool, dense, cross-entropy, Adam. */
function w7(n: number): Built {
  random.seed(7);
  const cnn = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: "SAME" }), nn.relu, new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: "SAME" }), nn.relu, new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(7 * 7 * 32, 10),
  );
  const params = cnn.states(ParamState);
  const opt = new optim.Adam(params, { lr: 1e-3 });
  const x = np.array(batch(n * 784, 4), { shape: [n, 28, 28, 1] });
  const y = np.array(Int32Array.from(batch(n, 5), (v) => Math.floor((v + 1) * 5) % 10), { shape: [n] });
  const step = jit((xb: Tensor, yb: Tensor) => {
    const [g, v] = grad(() => nn.crossEntropy(cnn.call(xb), yb), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return v;
  });
  return { step: step as Built["step"], args: [x, y], lower: () => step.lower(x, y) };
}

/** W8: a post-norm TransformerEncoderLayer (d 128, 4 heads, ff 512, seq 128), MSE, SGD. */
function w8(n: number): Built {
  random.seed(8);
  const layer = new nn.TransformerEncoderLayer(128, 4, { dimFeedforward: 512, dropout: 0 });
  const params = layer.states(ParamState);
  const opt = new optim.SGD(params, { lr: 1e-3 });
  const x = np.array(batch(n * 128 * 128, 27), { shape: [n, 128, 128] }), target = np.array(batch(n * 128 * 128, 28), { shape: [n, 128, 128] });
  const step = jit((xb: Tensor, tb: Tensor) => {
    const [g, v] = grad(() => np.mean(np.square(layer.call(xb).sub(tb))), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return v;
  });
  return { step: step as Built["step"], args: [x, target], lower: () => step.lower(x, target) };
}

/** The losses of `steps` calls of a freshly built step on `backend`. */
async function losses(backend: "cpu" | "webgpu", make: () => Built, steps: number): Promise<number[]> {
  setBackend(backend);
  const { step, args } = make();
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(await step(...args).item());
  return out;
}

const CASES = [["W7 (digits CNN, batch 8)", () => w7(8)], ["W8 (transformer layer, batch 2)", () => w8(2)]] as const;

describe("webgpu: the W7/W8 training steps", function () {
  // Compiling a training step's ~30–60 pipelines on a software adapter takes seconds (minutes on
  // a loaded machine).
  this.timeout(600_000);
  useWebgpu();

  it("W7 (batch 64): the convolutions' weight gradients (k = 12,544 and 50,176, 144×32 and 9×16 outputs) split k: their tile phases run on ≥ 8 workgroups", () => {
    setBackend("webgpu");
    const low = w7(64).lower();
    expect(low.kernels.length).to.be.at.most(30);
    const workgroups = (src: string) => [...src.matchAll(/dispatch (\d+) of (\d+), workgroups \[(\d+),(\d+),(\d+)\]/g)]
      .map((m) => ({ i: Number(m[1]), of: Number(m[2]), groups: Number(m[3]) * Number(m[4]) * Number(m[5]) }));
    const split = low.kernels.filter((k) => k.name.startsWith("matmul_") && k.source.includes("part_"));
    expect(split).to.have.length(2);
    // Unsplit, these ran on 3 and 1 workgroups: one of llvmpipe's two threads, looping over all of k.
    for (const k of split) expect(workgroups(k.source).find((d) => d.i === 3)!.groups, k.name).to.be.at.least(8);
  });

  it("W7 (batch 64): panels packed a quad per invocation, the convolutions' forward and input-gradient contractions store quads, the activation-sized elementwise kernels run a quad per invocation", () => {
    setBackend("webgpu");
    const low = w7(64).lower();
    const dispatches = (src: string) => src.split(/\n(?=\/\/ \w+: dispatch \d+ of \d+)/);
    const packed = low.kernels.filter((k) => k.name.startsWith("matmul_") && dispatches(k.source).length >= 3);
    // conv1 and conv2 forward, conv2 input gradient, the two weight gradients (split k).
    expect(packed).to.have.length(5);
    for (const k of packed) {
      for (const d of dispatches(k.source).slice(0, 2)) {
        expect(d, `${k.name}: packing`).to.include("fn pk_(");
        expect(d, `${k.name}: packing`).to.match(/read_write> b\d+: array<vec4<f32>>/);
      }
    }
    expect(packed.filter((k) => k.source.includes("fn epq_(")).map((k) => k.name), "quad epilogues").to.have.length(3);
    // Every elementwise kernel of ≥ 50,176 elements (the activations and their gradients) stores vec4s.
    const big = low.kernels.filter((k) => k.name.startsWith("elementwise_") && /workgroups \[(\d+),/.exec(k.source) && Number(/workgroups \[(\d+),/.exec(k.source)![1]) * 64 * 4 >= 50_176);
    expect(big.length, "activation-sized elementwise kernels").to.be.at.least(7);
    for (const k of big) expect(k.source, k.name).to.match(/read_write> b\d+: array<vec4</);
  });

  for (const [name, make] of CASES) {
    // One test per model: the compile (most of the time on a software adapter) is paid once.
    it(`${name}: every kernel on the device, one submission per call (the loss read included), the cpu backend's losses`, async () => {
      const cpu = await losses("cpu", make, 3);
      setBackend("webgpu");
      const built = make();
      const low = built.lower();
      expect(low.kernels.filter((k) => k.backend !== "webgpu").map((k) => k.name)).to.deep.equal([]);
      expect(low.stats.submissions).to.equal(1);
      const gpu: number[] = [];
      for (let i = 0; i < 3; i++) {
        const s0 = webgpuRunStats().submissions;
        gpu.push(await built.step(...built.args).item());
        // The first call's programs are not verified yet: it is submitted apart from other work.
        if (i > 0) expect(webgpuRunStats().submissions - s0, `submissions of call ${i}`).to.equal(1);
      }
      gpu.forEach((g, i) => expect(Math.abs(g - cpu[i]!), `step ${i}: webgpu ${g}, cpu ${cpu[i]}`).to.be.at.most(1e-4 * Math.max(1, Math.abs(cpu[i]!))));
      expect(cpu[2]).to.be.below(cpu[0]!); // it trains
    });
  }
});
