/**
 * cpu/webgpu parity: seed tutorial scenarios (gradients, Jacobians, Hessians, Newton steps, eager
 * and jitted training loops with States, Adam and dropout) run once on each backend, every
 * intermediate result read back with `await data()`, and the two runs compared within float32
 * tolerances. Randomness is counter-based (Threefry), so both runs draw the same numbers.
 */
import { expect } from "chai";
import {
  ParamState, type Tensor, environ, grad, hessian, vectorGrad, jacobian, jit, nn, np, optim, random, setBackend, slice, webgpuRunStats,
} from "kiln";
import { useWebgpu } from "./env.js";

type Grads = Record<string, Tensor>;
type Scenario = () => Promise<number[][]>;

const T = (v: unknown) => v as Tensor;
const read = async (ts: readonly Tensor[]): Promise<number[][]> => Promise.all(ts.map(async (t) => Array.from(await t.data())));

const SCENARIOS: Record<string, Scenario> = {
  "seed 000 §1–§3: grad of x², vectorGrad of sin(x²), grad of x²y + y³; 50 steps of gradient descent on a bowl": async () => {
    const out: Tensor[] = [T(grad((x: Tensor) => x.pow(2))(3)), T(vectorGrad((x: Tensor) => np.sin(x.pow(2)))(np.linspace(-3, 3, 7)))];
    const f = (x: Tensor | number, y: Tensor | number) => np.add(np.multiply(np.power(x, 2), y), np.power(y, 3));
    out.push(...(grad(f, { argnums: [0, 1] })(2, 3) as Tensor[]));
    const bowl = (p: Tensor) => p.get(0).sub(1).pow(2).add(p.get(1).sub(2).pow(2));
    let params = np.array([5, -3]);
    for (let i = 0; i < 50; i++) {
      params = params.sub(T(grad(bowl)(params)).mul(0.1));
      await params.data(); // one step per graph
    }
    return read([...out, params, T(bowl(params))]);
  },
  "seed 000 §4–§5: Jacobians, a Hessian, two Newton steps on Rosenbrock (linear solve on the device)": async () => {
    const f = (xy: Tensor) => np.stack([xy.get(0).pow(2).add(xy.get(1)), xy.get(0).mul(xy.get(1)), xy.get(1).pow(2)]);
    const W = np.array([[1, 2], [3, 4], [5, 6]]);
    const h = (xy: Tensor) => xy.get(0).pow(3).add(xy.get(1).pow(3)).add(xy.get(0).mul(xy.get(1)).mul(3));
    const rosen = (xy: Tensor) => np.subtract(1, xy.get(0)).pow(2).add(xy.get(1).sub(xy.get(0).pow(2)).pow(2).mul(100));
    let p = np.array([0, 0]);
    for (let i = 0; i < 2; i++) p = p.sub(np.linalg.solve(T(hessian(rosen)(p)), T(grad(rosen)(p))));
    return read([T(jacobian(f)(np.array([2, 3]))), T(jacobian((x: Tensor) => W.matmul(x))(np.array([1, 2]))), T(hessian(h)(np.array([1, 2]))), p]);
  },
  "seed 002 §7: jitted loss with hasAux and returnValue, 30 epochs of SGD on a LinearRegressor": async () => {
    random.seed(7);
    class LinearRegressor extends nn.Module {
      weight = new ParamState(np.zeros([1, 1]));
      bias = new ParamState(np.zeros([1]));
      call(x: Tensor) {
        return x.matmul(this.weight.value).add(this.bias.value);
      }
    }
    const model = new LinearRegressor();
    const xTrain = np.linspace(-1, 1, 20).reshape([-1, 1]);
    const yTrain = xTrain.mul(3).add(1).add(random.normal({ size: [20, 1] }).mul(0.1));
    const trainingLoss = jit((x: Tensor, y: Tensor) => {
      const mse = np.mean(model.call(x).sub(y).pow(2));
      const l2 = np.sum(model.weight.value.pow(2)).add(np.sum(model.bias.value.pow(2))).mul(0.01);
      return [mse.add(l2), { mse, l2 }];
    });
    const lossGrad = grad(trainingLoss, { gradStates: model.states(ParamState), hasAux: true, returnValue: true });
    const losses: Tensor[] = [];
    for (let epoch = 0; epoch < 30; epoch++) {
      const [grads, loss] = lossGrad(xTrain, yTrain) as [Grads, Tensor, unknown];
      for (const [path, state] of Object.entries(model.states(ParamState))) state.value = state.value.sub(grads[path]!.mul(0.1));
      losses.push(loss);
      await loss.data();
    }
    return read([...losses, model.weight.value, model.bias.value]);
  },
  "seed 000 §8: a tanh regression net trained eagerly by grad(gradStates) + SGD": async () => {
    random.seed(0);
    const x = random.randn(100, 2);
    const y = x.get(slice(), slice(0, 1)).mul(3).sub(x.get(slice(), slice(1, 2)).mul(2)).add(1).add(random.randn(100, 1).mul(0.1));
    const model = new nn.Sequential(new nn.Linear(2, 8, { wInit: new nn.init.KaimingNormal() }), np.tanh, new nn.Linear(8, 1, { wInit: new nn.init.KaimingNormal() }));
    const params = model.states(ParamState);
    const lossGrad = grad((xb: Tensor, yb: Tensor) => np.mean(model.call(xb).sub(yb).pow(2)), { gradStates: params, returnValue: true });
    const losses: Tensor[] = [];
    for (let epoch = 0; epoch < 40; epoch++) {
      const [grads, loss] = lossGrad(x, y) as [Grads, Tensor];
      for (const [key, g] of Object.entries(grads)) params[key]!.value = params[key]!.value.sub(g.mul(0.05));
      losses.push(loss);
      await loss.data();
    }
    return read([...losses, ...Object.values(params).map((s) => s.value)]);
  },
  "a jitted training step (grad + Adam update + dropout) on an MLP, 60 steps": async () => {
    random.seed(1);
    const x = random.uniform({ low: -1, high: 1, size: [64, 2] });
    const y = np.sin(x.matmul(np.array([[2], [-1]]))).add(x.matmul(np.array([[0.5], [0.5]])).pow(2));
    const model = new nn.MLP([2, 16, 1], { activation: nn.tanh });
    const drop = new nn.Dropout(0.1);
    const params = model.states(ParamState);
    const opt = new optim.Adam(params, { lr: 0.03 });
    const lossOf = (xb: Tensor, yb: Tensor) => np.mean(drop.call(model.call(xb)).sub(yb).pow(2));
    const step = jit((xb: Tensor, yb: Tensor) => {
      const [grads, loss] = grad(lossOf, { gradStates: params, returnValue: true })(xb, yb) as [Grads, Tensor];
      opt.update(grads);
      return loss;
    });
    const losses: Tensor[] = [];
    for (let i = 0; i < 60; i++) losses.push(T(step(x, y)));
    const evalLoss = environ.context({ fit: false }, () => np.mean(model.call(x).sub(y).pow(2)));
    expect(step.traceCount()).to.equal(1);
    return read([...losses, evalLoss, ...Object.values(params).map((s) => s.value)]);
  },
  "eager random draws after a jitted step that drew (and wrote back) the generator's key": async () => {
    random.seed(11);
    const noisy = jit((x: Tensor) => x.add(random.normal({ size: [4] })));
    const first = T(noisy(np.ones([4])));
    await first.data();
    return read([first, random.normal({ size: [3] }), random.uniform({ size: [2, 2] }), T(noisy(np.zeros([4])))]);
  },
  "a jitted softmax-cross-entropy classifier step (SGD), 40 steps": async () => {
    random.seed(5);
    const x = random.normal({ size: [96, 4] });
    const labels = np.argmax(x.matmul(np.array([[1, -1, 0], [0, 1, -1], [-1, 0, 1], [0.5, 0.5, 0.5]])), { axis: 1 });
    const model = new nn.MLP([4, 32, 3], { activation: nn.relu });
    const params = model.states(ParamState);
    const opt = new optim.SGD(params, { lr: 0.5 });
    const step = jit((xb: Tensor, yb: Tensor) => {
      const [grads, loss] = grad((a: Tensor, b: Tensor) => np.mean(nn.softmaxCrossEntropy(model.call(a), b)), { gradStates: params, returnValue: true })(xb, yb) as [Grads, Tensor];
      opt.update(grads);
      return loss;
    });
    const losses: Tensor[] = [];
    for (let i = 0; i < 40; i++) losses.push(T(step(x, labels)));
    return read([...losses, np.argmax(model.call(x), { axis: 1 })]);
  },
};

function expectParity(cpu: number[][], gpu: number[][], rtol = 1e-3, atol = 1e-4): void {
  expect(gpu.length).to.equal(cpu.length);
  cpu.forEach((row, k) => {
    expect(gpu[k]!.length, `result ${k} length`).to.equal(row.length);
    row.forEach((c, i) => {
      const g = gpu[k]![i]!;
      if (Math.abs(g - c) > atol + rtol * Math.abs(c)) expect.fail(`result ${k} element ${i}: webgpu ${g}, cpu ${c}`);
    });
  });
}

describe("cpu/webgpu parity: seed scenarios and jitted training", function () {
  this.timeout(120_000);
  useWebgpu();

  for (const [name, run] of Object.entries(SCENARIOS)) {
    it(name, async () => {
      setBackend("cpu");
      const cpu = await run();
      setBackend("webgpu");
      const before = webgpuRunStats().deviceSteps;
      const gpu = await run();
      expect(webgpuRunStats().deviceSteps, "kernels ran on the device").to.be.greaterThan(before);
      // Training amplifies rounding differences a little over the steps: float32 tolerances.
      expectParity(cpu, gpu);
    });
  }

  it("training actually trains on webgpu: the MLP's loss falls", async () => {
    setBackend("webgpu");
    const losses = await SCENARIOS["a jitted training step (grad + Adam update + dropout) on an MLP, 60 steps"]!();
    // The evaluation loss (no dropout; the last training loss carries dropout's noise): seeds 1-5 on
    // cpu fall 5-50x in these 60 steps.
    expect(losses[60]![0]!).to.be.lessThan(losses[0]![0]! / 3);
  });
});
