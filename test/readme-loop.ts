/** The README's jitted MLP + Adam training step, shared by the memory suites (cpu and webgpu). */
import { type Tensor, State, ParamState, grad, jit, nn, np, optim, random } from "kiln";

/** The README's training step (the loss State's stream is left to each test). */
export function readmeLoop() {
  random.seed(0);
  const x = random.uniform({ low: -1, high: 1, size: [64, 1] });
  const y = np.sin(x.mul(3));
  const model = new nn.MLP([1, 32, 32, 1], { activation: nn.tanh });
  const params = model.states(ParamState);
  const opt = new optim.Adam(params, { lr: 0.01 });
  const loss = new State<Tensor>(np.array(0), { name: "loss" });
  const step = jit(() => {
    const [grads, value] = grad(() => nn.mseLoss(model.call(x), y), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(grads);
    loss.value = value;
  });
  return { model, params, opt, loss, step };
}
