/**
 * `npm run example -- gru-sine [--steps N]`: a GRU reads a noisy sine wave one sample at a time and
 * predicts the next sample. The recurrence runs through `scan` inside one jitted training step
 * (forward, backpropagation through time, Adam), so the step compiles once whatever the sequence
 * length. The loss streams from a State; the plot (loss curve, one-step-ahead predictions on a
 * held-out window) goes to examples/output/gru-sine.svg.
 */
import { parseArgs } from "node:util";
import { np, nn, optim, random, jit, grad, environ, ParamState, State, type Tensor } from "kiln";
import { SCHEMA, lossCurve, writeSvg } from "./plot.js";

const { values: args } = parseArgs({ options: { steps: { type: "string", default: "300" } } });
const steps = Number(args.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${args.steps}`);

random.seed(0);
const T = 30, batch = 32, hidden = 24, noise = 0.1;
/** `n` windows of T + 1 samples of sin(ωt + φ) plus noise, random phase and a frequency in [0.25, 0.45]. */
function windows(n: number): [Tensor, Tensor] {
  const phase = random.uniform({ low: 0, high: 2 * Math.PI, size: [n, 1] });
  const freq = random.uniform({ low: 0.25, high: 0.45, size: [n, 1] });
  const wave = np.sin(np.arange(T + 1).mul(freq).add(phase)).add(random.normal({ scale: noise, size: [n, T + 1] }));
  const at = (from: number) => np.expandDims(np.take(wave, np.arange(from, from + T, 1, { dtype: "int32" }), { axis: 1 }), -1);
  return [at(0), at(1)];   // inputs [n, T, 1], targets (the next sample) [n, T, 1]
}
const [x, y] = windows(batch);

class SineModel extends nn.Module {
  rnn = new nn.RNN(new nn.GRUCell(1, hidden));
  head = new nn.Linear(hidden, 1);
  call(inputs: Tensor): Tensor {
    return this.head.call(this.rnn.call(inputs));   // one prediction per time step
  }
}
const model = new SineModel();
const params = model.states(ParamState);
const opt = new optim.Adam(params, { lr: 0.01 });
const loss = new State<Tensor>(np.array(0), { name: "loss" });

const step = jit(() => {
  const [g, value] = grad(() => nn.mseLoss(model.call(x), y), { gradStates: params, returnValue: true })();
  opt.update(g);
  loss.value = value;
});

const curve: { step: number; loss: number }[] = [];
// The stream emits the current value (the placeholder 0) on subscribe, then each step's loss.
const sub = loss.value$.subscribe((v) => {
  const n = curve.length;
  curve.push({ step: n, loss: v.itemSync() });
  if (n > 0 && (n % 50 === 0 || n === 1)) console.log(`step ${n}: loss ${curve[n]!.loss.toFixed(4)}`);
});
for (let i = 0; i < steps; i++) step();
sub.unsubscribe();

// One-step-ahead predictions on a fresh window (the noise alone costs noise² = 0.01 of MSE).
const [tx, ty] = windows(1);
const pred = environ.context({ fit: false }, () => model.call(tx));
const heldOut = nn.mseLoss(pred, ty).itemSync();
const tv = ty.dataSync(), pv = pred.dataSync();
const series = [
  ...Array.from(tv, (v, t) => ({ t, value: v, series: "next sample" })),
  ...Array.from(pv, (v, t) => ({ t, value: v, series: "GRU prediction" })),
];
const path = await writeSvg("examples/output/gru-sine.svg", {
  $schema: SCHEMA,
  hconcat: [
    lossCurve(curve.slice(1), { title: "training loss (MSE)" }),
    {
      title: "held-out window", width: 320, height: 220,
      data: { values: series },
      mark: { type: "line", point: true },
      encoding: { x: { field: "t", type: "quantitative" }, y: { field: "value", type: "quantitative" }, color: { field: "series" } },
    },
  ],
});
console.log(`first loss ${curve[1]!.loss.toFixed(5)}, final loss ${curve[curve.length - 1]!.loss.toFixed(5)} after ${steps} steps (traced ${step.traceCount()} time); held-out loss ${heldOut.toFixed(5)}; plot: ${path}`);
