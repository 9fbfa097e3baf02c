/**
 * The test page of test/browser/gpujs-webgl.test.ts: in headless Chromium, runs the backend
 * conformance cases and a jitted training step (with and without textures kept between kernels)
 * on the gpujs backend in GPU.js's WebGL2 mode, and
 * leaves the outcome on `window.kilnGpujs` (one entry per case, in the order of the case tables).
 */
import { ParamState, type Tensor, backends, gpujsMode, gpujsStats, init, jit, nn, np, optim, random, setBackend, valueAndGrad } from "kiln";
import { checkCase } from "../../conformance/suite.js";
import { CONTRACTION_TOL, type GpujsPageResult, type TrainResult, WEBGL_PRIMITIVE_TOL, caseKeys } from "./cases.js";
import { runResident } from "./resident.js";
import { runTiled } from "./tiled.js";

const STEPS = 20;

/** Trains a small MLP (valueAndGrad + SGD, jitted) on `backend` from a fixed seed. */
function train(backend: string): TrainResult {
  setBackend(backend);
  random.seed(7);
  const x = random.uniform({ low: -1, high: 1, size: [64, 4] });
  const y = np.sin(np.sum(x, { axis: 1, keepdims: true }).mul(2));
  const model = new nn.MLP([4, 16, 16, 1], { activation: nn.tanh });
  const params = model.states(ParamState);
  const opt = new optim.SGD(params, { lr: 0.1 });
  const lossOf = (xb: Tensor, yb: Tensor) => np.mean(model.call(xb).sub(yb).pow(2));
  const step = jit((xb: Tensor, yb: Tensor) => {
    const [loss, grads] = valueAndGrad(lossOf, { gradStates: params })(xb, yb);
    opt.update(grads);
    return loss;
  });
  const before = gpujsStats(), t0 = performance.now();
  const losses: number[] = [];
  for (let i = 0; i < STEPS; i++) losses.push((step(x, y) as Tensor).itemSync());
  const ms = performance.now() - t0;
  const after = gpujsStats();
  const flat = Object.values(params).flatMap((s) => Array.from((s.value as Tensor).dataSync()));
  return { losses, params: flat, gpujsRuns: after.runs - before.runs, readbacks: after.readbacks - before.readbacks, ms };
}

async function main(result: GpujsPageResult): Promise<void> {
  const gl = document.createElement("canvas").getContext("webgl2");
  result.webgl2 = gl !== null;
  result.renderer = gl ? String(gl.getParameter(gl.RENDERER)) : null;
  result.floatColorBuffer = gl ? gl.getExtension("EXT_color_buffer_float") !== null : false;
  await init({ tune: false });
  result.mode = gpujsMode();
  const info = backends().find((b) => b.name === "gpujs")!;
  result.adapter = info.adapter ?? info.reason ?? null;
  if (!info.available) return;
  const filter = new URLSearchParams(location.search).get("only");
  setBackend("gpujs");
  const runs = gpujsStats().runs;
  for (const { key, c } of caseKeys()) {
    if (filter && !key.includes(filter)) continue;
    const t0 = performance.now();
    try {
      checkCase(c, { contractionTol: CONTRACTION_TOL, primitiveTol: WEBGL_PRIMITIVE_TOL });
      result.cases.push({ key, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      result.cases.push({ key, ok: false, error: String((e as Error)?.message ?? e).slice(0, 600), ms: performance.now() - t0 });
    }
  }
  result.gpujsRuns = gpujsStats().runs - runs;
  if (filter) return;
  result.tiled = await runTiled();
  const gpujs = train("gpujs");
  await init({ tune: false, gpujs: { pipeline: false } });
  const unpipelined = train("gpujs");
  await init({ tune: false, gpujs: { pipeline: true } });
  result.train = { gpujs, unpipelined, cpu: train("cpu") };
  result.resident = await runResident();
  result.contextLost = await runContextLoss();
}

/** GpujsPageResult.contextLost (the page's last section: GPU.js cannot run after it). */
async function runContextLoss(): Promise<{ fence: string; blocking: string }> {
  setBackend("gpujs");
  // GPU.js's own context: the one its draws go to.
  let ctx: WebGL2RenderingContext | null = null;
  const draw = WebGL2RenderingContext.prototype.drawArrays;
  WebGL2RenderingContext.prototype.drawArrays = function (this: WebGL2RenderingContext, ...args: Parameters<typeof draw>) {
    ctx = this;
    return draw.apply(this, args);
  };
  const product = () => np.matmul(np.ones([40, 24]), np.ones([24, 36]));
  try {
    await init({ tune: false, gpujs: { blockingReadMs: 1000 } });
    await product().data();
    await product().data(); // the plan's time learned: the next read blocks after one task
  } finally {
    WebGL2RenderingContext.prototype.drawArrays = draw;
  }
  const lose = ctx!.getExtension("WEBGL_lose_context")!;
  const outcome = async (read: Promise<unknown>) => read.then(() => "resolved", (e: Error) => `${e.name}: ${e.message}`);
  const before = gpujsStats().blockingReads;
  const blockingRead = product().data();
  lose.loseContext();
  const error = await outcome(blockingRead);
  const blocking = `${gpujsStats().blockingReads - before} blocking; ${error}`;
  lose.restoreContext();
  await init({ tune: false, gpujs: { blockingReadMs: 0 } });
  const fenceRead = product().data();
  lose.loseContext();
  return { fence: await outcome(fenceRead), blocking };
}

const result: GpujsPageResult = { done: false, webgl2: false, renderer: null, floatColorBuffer: false, mode: null, adapter: null, cases: [], gpujsRuns: 0 };
(window as unknown as { kilnGpujs: GpujsPageResult }).kilnGpujs = result;
main(result).then(
  () => {
    result.done = true;
    document.getElementById("status")!.textContent = `done: ${result.cases.filter((c) => c.ok).length}/${result.cases.length} cases passed`;
  },
  (e: unknown) => {
    result.error = String((e as Error)?.stack ?? e);
    result.done = true;
  },
);
