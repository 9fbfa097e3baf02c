/**
 * `npm run example -- demo`: a jit-compiled training run with a live loss stream (the main demo,
 * `npm start`, is examples/digits.ts).
 *
 * A small MLP learns y = sin(3x) from noisy samples. The whole training step — forward pass, loss,
 * backward pass and Adam update of every ParamState — is one jitted function: traced once, compiled
 * once, replayed every step. The loss is a State; its RxJS stream drives the live progress lines.
 */
import { filter } from "rxjs";
import { np, nn, optim, random, jit, grad, environ, getBackend, ParamState, State, type Tensor } from "kiln";

random.seed(0);
const n = 256;
const x = random.uniform({ low: -1, high: 1, size: [n, 1] });
const y = np.sin(x.mul(3)).add(random.normal({ scale: 0.05, size: [n, 1] }));

const model = new nn.MLP([1, 32, 32, 1], { activation: nn.tanh });
const params = model.states(ParamState);
const opt = new optim.Adam(params, { lr: 0.01 });
const loss = new State<Tensor>(np.array(0), { name: "loss" });
const step = new State<Tensor>(np.array(0, { dtype: "int32" }), { name: "step" });

const lossOf = () => nn.mseLoss(model.call(x), y);
const trainStep = jit(() => {
  const [grads, value] = grad(lossOf, { gradStates: params, returnValue: true })();
  opt.update(grads);
  loss.value = value;
  step.value = step.value.add(1);
});

console.log(`kiln demo — backend: ${getBackend()}; ${Object.keys(params).length} parameter States`);
// The live loss stream: every 50th committed step.
const sub = loss.value$
  .pipe(filter(() => step.value.itemSync() % 50 === 0 && step.value.itemSync() > 0))
  .subscribe((v) => console.log(`step ${String(step.value.itemSync()).padStart(4)}  loss ${v.itemSync().toFixed(5)}`));

const t0 = performance.now();
const steps = 400;
for (let i = 0; i < steps; i++) trainStep();
const ms = performance.now() - t0;
sub.unsubscribe();

const evalLoss = environ.context({ fit: false }, () => lossOf().itemSync());
console.log(`\n${steps} steps in ${ms.toFixed(0)} ms (${((steps / ms) * 1000).toFixed(1)} steps/s); traced ${trainStep.traceCount()} time(s)`);
console.log(`final loss ${evalLoss.toFixed(5)}`);
const lowered = trainStep.lower();
console.log(`the compiled step: ${lowered.stats.kernels} kernel(s), ${(lowered.stats.flops / 1e6).toFixed(2)} MFLOP per step`);
