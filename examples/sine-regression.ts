/**
 * `npm run example -- sine-regression`: fit y = sin(3x) with an MLP trained by a jitted step,
 * collect the loss from its State stream, and plot the loss curve and the fit to
 * examples/output/sine-regression.svg.
 */
import { np, nn, optim, random, jit, grad, environ, ParamState, State, type Tensor } from "kiln";
import { SCHEMA, lossCurve, writeSvg } from "./plot.js";

random.seed(0);
const n = 200;
const x = random.uniform({ low: -1.5, high: 1.5, size: [n, 1] });
const y = np.sin(x.mul(3)).add(random.normal({ scale: 0.05, size: [n, 1] }));

const model = new nn.MLP([1, 32, 32, 1], { activation: nn.tanh });
const params = model.states(ParamState);
const opt = new optim.Adam(params, { lr: 0.01 });
const loss = new State<Tensor>(np.array(0), { name: "loss" });

const step = jit(() => {
  const [g, value] = grad(() => nn.mseLoss(model.call(x), y), { gradStates: params, returnValue: true })();
  opt.update(g);
  loss.value = value;
});

const curve: { step: number; loss: number }[] = [];
const sub = loss.value$.subscribe((v) => curve.push({ step: curve.length, loss: v.itemSync() }));
for (let i = 0; i < 600; i++) step();
sub.unsubscribe();

const grid = np.linspace(-1.5, 1.5, 100).reshape([100, 1]);
const fit = environ.context({ fit: false }, () => model.call(grid));
const gx = grid.dataSync(), gy = fit.dataSync(), xs = x.dataSync(), ys = y.dataSync();
const points = [
  ...Array.from(xs, (v, i) => ({ x: v, y: ys[i]!, series: "data" })),
  ...Array.from(gx, (v, i) => ({ x: v, y: gy[i]!, series: "MLP" })),
];
const path = await writeSvg("examples/output/sine-regression.svg", {
  $schema: SCHEMA,
  hconcat: [
    lossCurve(curve.slice(1), { title: "training loss (MSE)" }),
    {
      title: "fit of sin(3x)", width: 320, height: 220,
      data: { values: points },
      layer: [
        { mark: { type: "point", size: 12 }, transform: [{ filter: "datum.series === 'data'" }], encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, color: { field: "series" } } },
        { mark: { type: "line", strokeWidth: 2 }, transform: [{ filter: "datum.series === 'MLP'" }], encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, color: { field: "series" } } },
      ],
    },
  ],
});
console.log(`final loss ${curve[curve.length - 1]!.loss.toFixed(5)} after ${curve.length - 1} steps; plot: ${path}`);
