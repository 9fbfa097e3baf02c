/**
 * The issue-16 nn layers and functions on webgpu (WGSL) give the cpu backend's values (float32
 * rounding): convolutions, pools, normalizations, embedding lookups, activations and losses, and
 * the gradient of a small CNN's loss in its input.
 */
import { type Tensor, grad, nn, np } from "kiln";
import { type ParityCase, describeCpuParity } from "./cpu-parity.js";

// Fixed float32 inputs (built inside each case, so on the backend under test).
const ramp = (shape: number[], seed: number) =>
  np.sin(np.arange(shape.reduce((a, b) => a * b, 1)).mul(0.731).add(seed)).reshape(shape);
const ids = () => np.array([[3, 0, 2], [1, 1, 4]], { dtype: "int32" });

const conv = (opts: nn.ConvOptions, inC = 3, outC = 4) => new nn.Conv2d(inC, outC, 3, { ...opts, wInit: () => ramp([3, 3, inC / (opts.groups ?? 1), outC], 1), bInit: 0.25 });

const CASES: ParityCase[] = [
  ["Conv2d SAME", () => conv({ padding: "SAME" }).call(ramp([2, 6, 5, 3], 2)), "close"],
  ["Conv2d stride 2 dilation 2 groups", () => conv({ stride: 2, dilation: [2, 1], padding: 1, groups: 2 }, 4, 6).call(ramp([1, 8, 7, 4], 3)), "close"],
  ["Conv1d", () => new nn.Conv1d(2, 3, 4, { wInit: () => ramp([4, 2, 3], 4) }).call(ramp([2, 9, 2], 5)), "close"],
  ["MaxPool2d", () => new nn.MaxPool2d(2).call(ramp([2, 6, 6, 3], 6)), "close"],
  ["AvgPool2d SAME without pad", () => new nn.AvgPool2d(3, { stride: 2, padding: "SAME", countIncludePad: false }).call(ramp([1, 5, 5, 2], 7)), "close"],
  ["GlobalAvgPool", () => new nn.GlobalAvgPool().call(ramp([2, 4, 4, 3], 8)), "close"],
  ["LayerNorm", () => new nn.LayerNorm(5).call(ramp([3, 5], 9).mul(10)), "close"],
  ["RMSNorm", () => new nn.RMSNorm(5).call(ramp([3, 5], 10)), "close"],
  ["GroupNorm", () => new nn.GroupNorm(2, 4).call(ramp([2, 3, 3, 4], 11)), "close"],
  ["BatchNorm2d", () => new nn.BatchNorm2d(3).call(ramp([2, 3, 3, 3], 12)), "close"],
  ["Embedding", () => new nn.Embedding(5, 3, { embeddingInit: () => ramp([5, 3], 13) }).call(ids()), "close"],
  ["activations", () => np.stack([nn.elu, nn.selu, nn.softplus, nn.mish, nn.softSign, nn.hardTanh, (x: Tensor) => nn.leakyRelu(x)].map((f) => f(ramp([7], 14).mul(4)))), "close"],
  ["log1mexp", () => nn.log1mexp(np.array([1e-6, 0.3, 0.7, 5, 30])), "close"],
  ["losses", () => np.stack([
    nn.crossEntropy(ramp([4, 5], 15), np.array([0, 4, 2, 1], { dtype: "int32" })),
    nn.huberLoss(ramp([6], 16).mul(3), ramp([6], 17)),
    nn.l1Loss(ramp([6], 16), ramp([6], 17)),
    nn.kl(nn.logSoftmax(ramp([2, 3], 18)), nn.softmax(ramp([2, 3], 19))),
  ]), "close"],
  ["CNN input gradient", () => {
    const c = conv({ padding: "SAME" }, 1, 2);
    const pool = new nn.MaxPool2d(2);
    return grad((x: Tensor) => np.sum(np.tanh(pool.call(c.call(x)))))(ramp([1, 4, 4, 1], 20));
  }, "close"],
];

describeCpuParity("nn layers on webgpu", CASES, 2e-5);
