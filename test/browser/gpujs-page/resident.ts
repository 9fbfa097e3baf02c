/**
 * Values of jitted gpujs calls resident on the GPU across calls (WebGL2; run by the gpujs page,
 * checked by test/browser/gpujs-webgl.test.ts): what a jitted training step uploads per call, that
 * a value kept from one call is not overwritten by the next run of the kernel that made it, that
 * the textures stay flat over 10^3 steps and go with dispose(), and that the values match cpu.
 */
import { ParamState, type Tensor, gpujsStats, init, jit, memoryStats, nn, np, optim, random, setBackend, valueAndGrad } from "kiln";

export interface ResidentResult {
  /** Bytes of host arrays GPU.js uploaded in each of 50 steps of a jitted MLP step. */
  readonly uploadsPerStep: number[];
  /** The MLP's parameter bytes, and its batch's (x and y). */
  readonly paramBytes: number;
  readonly batchBytes: number;
  /** Host values kept as textures after the 50 steps (gpujsStats().keptUploads, more than before them). */
  readonly keptUploads: number;
  /** Losses and final parameters of those 50 steps on gpujs (resident), gpujs with `resident: false`, and cpu. */
  readonly losses: { readonly resident: number[]; readonly readBack: number[]; readonly cpu: number[] };
  readonly params: { readonly resident: number[]; readonly readBack: number[]; readonly cpu: number[] };
  /** Resident textures the 50 steps left (6 parameters; the losses were disposed). */
  readonly texturesAfterSteps: number;
  /** A State updated by a kernel (`s ↦ 2s + 1`): the value kept from step k, read after step k + 1, and what it should be. */
  readonly keptState: { readonly got: number[]; readonly want: number[] };
  /** A jitted function's result from call k, read after call k + 1 ran the same kernel. */
  readonly keptResult: { readonly got: number[]; readonly want: number[] };
  /** Resident textures and live buffers after 10 and after 1,000 steps of the State update (results disposed). */
  readonly flat: { readonly textures: [number, number]; readonly buffers: [number, number] };
  /** Resident textures before and after disposing 5 results of a jitted call. */
  readonly disposed: { readonly before: number; readonly after: number };
  /** A resident value used by the cpu backend (read through its texture), vs the value. */
  readonly onCpu: { readonly got: number[]; readonly want: number[] };
}

const STEPS = 50;

/** A jitted MLP step (valueAndGrad + SGD) run STEPS times on `backend`; per step uploads, losses, final parameters. */
function train(backend: string): { uploads: number[]; losses: number[]; params: number[]; paramBytes: number; batchBytes: number; textures: number; kept: number } {
  setBackend(backend);
  random.seed(11);
  const x = random.uniform({ low: -1, high: 1, size: [32, 4] });
  const y = np.sin(np.sum(x, { axis: 1, keepdims: true }).mul(2));
  const model = new nn.MLP([4, 64, 64, 1], { activation: nn.tanh });
  const params = model.states(ParamState);
  const paramBytes = Object.values(params).reduce((n, s) => n + (s.value as Tensor).size * 4, 0);
  const opt = new optim.SGD(params, { lr: 0.05 });
  const lossOf = (xb: Tensor, yb: Tensor) => np.mean(model.call(xb).sub(yb).pow(2));
  const step = jit((xb: Tensor, yb: Tensor) => {
    const [loss, grads] = valueAndGrad(lossOf, { gradStates: params })(xb, yb);
    opt.update(grads);
    return loss;
  });
  const uploads: number[] = [], losses: number[] = [];
  const texturesBefore = gpujsStats().residentTextures, keptBefore = gpujsStats().keptUploads;
  for (let i = 0; i < STEPS; i++) {
    const before = gpujsStats().uploadedBytes;
    const loss = step(x, y) as Tensor;
    uploads.push(gpujsStats().uploadedBytes - before);
    losses.push(loss.itemSync());
    loss.dispose();
  }
  const textures = gpujsStats().residentTextures - texturesBefore, kept = gpujsStats().keptUploads - keptBefore;
  const batchBytes = (x.size + y.size) * 4;
  return { uploads, losses, params: Object.values(params).flatMap((s) => Array.from((s.value as Tensor).dataSync())), paramBytes, batchBytes, textures, kept };
}

export async function runResident(): Promise<ResidentResult> {
  const resident = train("gpujs");
  await init({ tune: false, gpujs: { resident: false } });
  const readBack = train("gpujs");
  await init({ tune: false, gpujs: { resident: true } });
  const cpu = train("cpu");
  setBackend("gpujs");

  // s ↦ 2s + 1 by one kernel: step k + 1 runs the kernel that made step k's value.
  const s = new ParamState(np.array([1, 2, 3], { dtype: "float32" }));
  const update = jit(() => {
    s.value = s.value.mul(2).add(1);
    return np.sum(s.value);
  });
  (update() as Tensor).dispose();
  const kept = s.value;
  (update() as Tensor).dispose();
  const keptState = { got: Array.from(kept.dataSync()), want: [3, 5, 7] };

  const double = jit((v: Tensor) => v.mul(2).add(0.5));
  const first = double(np.array([1, 2, 3], { dtype: "float32" })) as Tensor;
  const second = double(np.array([10, 20, 30], { dtype: "float32" })) as Tensor;
  const keptResult = { got: [...Array.from(first.dataSync()), ...Array.from(second.dataSync())], want: [2.5, 4.5, 6.5, 20.5, 40.5, 60.5] };

  const counts = (): [number, number] => [gpujsStats().residentTextures, memoryStats().buffers];
  const t = new ParamState(np.zeros([256], { dtype: "float32" }));
  const bump = jit(() => {
    t.value = t.value.add(1);
    return np.sum(t.value);
  });
  let at10: [number, number] = [0, 0];
  for (let i = 1; i <= 1000; i++) {
    (bump() as Tensor).dispose();
    if (i === 10) at10 = counts();
  }
  const at1000 = counts();

  const results = [1, 2, 3, 4, 5].map((k) => double(np.full([64], k, { dtype: "float32" })) as Tensor);
  const before = gpujsStats().residentTextures;
  for (const r of results) r.dispose();
  const disposed = { before, after: gpujsStats().residentTextures };

  const onDevice = double(np.array([1, -2], { dtype: "float32" })) as Tensor;
  setBackend("cpu");
  const onCpu = { got: Array.from(onDevice.mul(3).dataSync()), want: [7.5, -10.5] };
  setBackend("gpujs");

  return {
    uploadsPerStep: resident.uploads, paramBytes: resident.paramBytes, batchBytes: resident.batchBytes, keptUploads: resident.kept,
    losses: { resident: resident.losses, readBack: readBack.losses, cpu: cpu.losses },
    params: { resident: resident.params, readBack: readBack.params, cpu: cpu.params },
    texturesAfterSteps: resident.textures,
    keptState, keptResult,
    flat: { textures: [at10[0], at1000[0]], buffers: [at10[1], at1000[1]] },
    disposed, onCpu,
  };
}
