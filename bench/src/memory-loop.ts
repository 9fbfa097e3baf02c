/**
 * Memory over a long synchronous training loop (issue 11, items 9 and 10): the README's jitted
 * MLP + Adam step with a live loss stream, and a loop of `x.mul(scalar)` over distinct scalars.
 * Prints live buffers (memoryStats), heap and RSS every `steps / 5` iterations.
 *
 *   node --conditions=kiln-source --import tsx bench/src/memory-loop.ts [cpu|webgpu] [steps] [mlp|scalars]
 */
import { np, nn, optim, random, jit, grad, init, setBackend, destroyGpu, memoryStats, kernelCacheStats, ParamState, State, type Tensor } from "kiln";

const backend = process.argv[2] ?? "cpu";
const steps = Number(process.argv[3] ?? 20000);
const which = process.argv[4] ?? "mlp";
if (backend === "webgpu") {
  await init();
  setBackend("webgpu");
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
const report = (i: number) => {
  const m = memoryStats();
  const mem = process.memoryUsage();
  console.log(`${which} ${backend} step ${String(i).padStart(6)}: buffers ${m.buffers}, heap ${mb(mem.heapUsed)}, rss ${mb(mem.rss)}, kernels compiled ${kernelCacheStats().compiles}`);
};

random.seed(0);
const x = random.uniform({ low: -1, high: 1, size: [256, 1] });
const y = np.sin(x.mul(3));
if (which === "mlp") {
  const model = new nn.MLP([1, 32, 32, 1], { activation: nn.tanh });
  const params = model.states(ParamState);
  const opt = new optim.Adam(params, { lr: 0.01 });
  const loss = new State<Tensor>(np.array(0), { name: "loss" });
  let last = 0;
  // The README's live loss stream (a synchronous read only exists on cpu).
  if (backend === "cpu") loss.value$.subscribe((v) => (last = v.itemSync()));
  const step = jit(() => {
    const [grads, value] = grad(() => nn.mseLoss(model.call(x), y), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(grads);
    loss.value = value;
  });
  report(0);
  for (let i = 1; i <= steps; i++) {
    step();
    if (i % (steps / 5) === 0) report(i);
  }
  console.log(`final loss ${backend === "cpu" ? last : await loss.value.item()}`);
} else {
  let t = x;
  report(0);
  for (let i = 1; i <= steps; i++) {
    t = x.mul(1 + i * 1e-6);
    // cpu: a synchronous loop; webgpu reads are asynchronous (the loop yields every step).
    if (backend === "cpu") t.dataSync();
    else await t.data();
    if (i % (steps / 5) === 0) report(i);
  }
  console.log(`last ${await t.sum().item()}`);
}
if (backend === "webgpu") destroyGpu();
