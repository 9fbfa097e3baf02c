/**
 * W7 (issue 16): one jitted training step of the digits CNN — conv 3×3 (1→16, SAME) + relu + 2×2
 * max pool, conv 3×3 (16→32) + relu + pool, dense 1568→10, softmax cross-entropy, Adam (lr 1e-3) —
 * on a batch of 64 28×28×1 images, loss read back every step: steps/s. kiln (cpu, jit; and webgpu
 * when an adapter exists) next to TF.js (Adam through `optimizer.minimize`; its wasm backend has no
 * Conv2DBackpropFilter kernel, so the wasm runner reports that; its cpu backend is too slow to run
 * in the bench) and jax-js (jit; plain SGD inside the jitted step, since jax-js has no optimizer
 * library — the update is a few elementwise ops either way), each on wasm and, with an adapter, on
 * webgpu (Dawn, through gpu-peers.ts; a peer that cannot start says why). Every runner starts from
 * the same weights and batch (jax-js runs channels-first, so its flatten order — and first loss —
 * differ slightly); the ratios compare each peer with kiln on the same backend.
 * `npm run bench` runs it after W3–W6; alone: `node --conditions=kiln-source --import tsx
 * bench/src/cnn-bench.ts [--quick] [--json path]`. Also printed for kiln: kernels and MFLOP of the
 * step, and its first call (trace + compile).
 */
import * as jax from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { ParamState, type Tensor, grad, jit, nn, np, optim } from "kiln";
import { random } from "./data.js";
import { type KilnDevice, onDevice } from "./devices.js";
import { onJaxDevice } from "./gpu-peers.js";
import { type Step, type StepRunner, modelMakers, runStepWorkload } from "./model-steps.js";
import { type BenchOptions, runWhenMain } from "./options.js";

const jnp = jax.numpy;
type JArray = jax.Array;

const BATCH = 64, LR = 1e-3;

/** Weights (HWIO kernels, [in, out] dense) and one batch, shared by every runner. */
interface CnnData {
  readonly w1: Float32Array; readonly b1: Float32Array;
  readonly w2: Float32Array; readonly b2: Float32Array;
  readonly w3: Float32Array; readonly b3: Float32Array;
  readonly x: Float32Array; readonly labels: Int32Array;
}

function cnnData(): CnnData {
  return {
    w1: random(9 * 16, 1, Math.sqrt(2 / 9)), b1: new Float32Array(16),
    w2: random(9 * 16 * 32, 2, Math.sqrt(2 / 144)), b2: new Float32Array(32),
    w3: random(1568 * 10, 3, Math.sqrt(1 / 1568)), b3: new Float32Array(10),
    x: Float32Array.from(random(BATCH * 784, 4), (v) => (v + 1) / 2),
    labels: Int32Array.from(random(BATCH, 5), (v) => Math.floor((v + 1) * 5) % 10),
  };
}

// ------------------------------------------------------------------------------------- kiln

/** The kiln step on `device` (built and run with that backend active; the loss read back). */
function kilnW7(d: CnnData, device: KilnDevice): StepRunner {
  return onDevice(device, () => kilnW7Here(d, device));
}

function kilnW7Here(d: CnnData, device: KilnDevice): StepRunner {
  const conv1 = new nn.Conv2d(1, 16, 3, { padding: "SAME" }), conv2 = new nn.Conv2d(16, 32, 3, { padding: "SAME" });
  const dense = new nn.Linear(7 * 7 * 32, 10);
  const set = (s: ParamState, v: Float32Array) => (s.value = np.array(v, { shape: s.value.shape }));
  set(conv1.weight, d.w1), set(conv1.bias!, d.b1), set(conv2.weight, d.w2), set(conv2.bias!, d.b2);
  set(dense.weight, d.w3), set(dense.bias!, d.b3);
  const cnn = new nn.Sequential(conv1, nn.relu, new nn.MaxPool2d(2), conv2, nn.relu, new nn.MaxPool2d(2), new nn.Flatten(), dense);
  const params = cnn.states(ParamState);
  const opt = new optim.Adam(params, { lr: LR });
  const x = np.array(d.x, { shape: [BATCH, 28, 28, 1] }), y = np.array(d.labels, { shape: [BATCH] });
  const step = jit((xb: Tensor, yb: Tensor) => {
    const [g, v] = grad(() => nn.crossEntropy(cnn.call(xb), yb), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return v;
  });
  const { stats, kernels } = step.lower(x, y);
  return { step: () => onDevice(device, () => step(x, y).item()), kernels: stats.kernels, mflop: stats.flops / 1e6, ...(device === "cpu" ? { profile: kernels } : {}) };
}

// ------------------------------------------------------------------------------------- TF.js

/** The TF.js step on `backend` (`lib`: the package, imported statically or by tfWebgpu()). */
async function tfW7(d: CnnData, lib: typeof tf, backend: "cpu" | "wasm" | "webgpu"): Promise<Step> {
  await lib.setBackend(backend);
  const w1 = lib.variable(lib.tensor4d(d.w1, [3, 3, 1, 16])), b1 = lib.variable(lib.tensor1d(d.b1));
  const w2 = lib.variable(lib.tensor4d(d.w2, [3, 3, 16, 32])), b2 = lib.variable(lib.tensor1d(d.b2));
  const w3 = lib.variable(lib.tensor2d(d.w3, [1568, 10])), b3 = lib.variable(lib.tensor1d(d.b3));
  const x = lib.tensor4d(d.x, [BATCH, 28, 28, 1]);
  const y = lib.oneHot(lib.tensor1d(d.labels, "int32"), 10);
  const opt = lib.train.adam(LR);
  return async () => {
    if (lib.getBackend() !== backend) await lib.setBackend(backend);
    const loss = opt.minimize(() => {
      const h1 = lib.maxPool(lib.relu(lib.add(lib.conv2d(x, w1, 1, "same"), b1)) as tf.Tensor4D, 2, 2, "valid");
      const h2 = lib.maxPool(lib.relu(lib.add(lib.conv2d(h1, w2, 1, "same"), b2)) as tf.Tensor4D, 2, 2, "valid");
      return lib.losses.softmaxCrossEntropy(y, lib.add(lib.matMul(lib.reshape(h2, [BATCH, 1568]), w3), b3)) as tf.Scalar;
    }, true)!;
    // An asynchronous read: the webgpu backend has no synchronous one worth measuring.
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  };
}

// ------------------------------------------------------------------------------------- jax-js

interface JaxCnn { [k: string]: JArray; w1: JArray; b1: JArray; w2: JArray; b2: JArray; w3: JArray; b3: JArray }

/** The jax-js step with its arrays on `device` (initialized before: jax.init, jaxWebgpu()). */
function jaxW7(d: CnnData, device: "wasm" | "webgpu"): Step {
  return onJaxDevice(jax, device, () => jaxW7Here(d, device));
}

function jaxW7Here(d: CnnData, device: "wasm" | "webgpu"): Step {
  // Channels-first (jax-js convolutions are NCHW/OIHW); arrays are reference-counted, so a value
  // used twice is passed as `.ref` the first time.
  const hwioToOihw = (w: Float32Array, i: number, o: number) => jnp.transpose(jnp.array(w).reshape([3, 3, i, o]), [3, 2, 0, 1]);
  const pool = (h: JArray) => jax.lax.reduceWindow(h, (win: JArray) => jnp.max(win), [2, 2], [2, 2]);
  const block = (h: JArray, w: JArray, b: JArray) => pool(jax.nn.relu(jax.lax.conv(h, w, [1, 1], "SAME").add(b.reshape([-1, 1, 1]))));
  const lossFn = (p: JaxCnn, x: JArray, y: JArray): JArray => {
    const h = block(block(x, p.w1, p.b1), p.w2, p.b2).reshape([BATCH, 1568]);
    const logp = jax.nn.logSoftmax(jnp.matmul(h, p.w3).add(p.b3), -1);
    return jnp.negative(jnp.mean(jnp.sum(logp.mul(jax.nn.oneHot(y, 10)), -1)));
  };
  const step = jax.jit((p: JaxCnn, x: JArray, y: JArray) => {
    const [loss, g] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), x, y) as [JArray, JaxCnn];
    const next = Object.fromEntries(Object.keys(p).map((k) => [k, p[k]!.sub(g[k]!.mul(LR))]));
    return [loss, next] as jax.JsTree<JArray>;
  }) as unknown as (p: JaxCnn, x: JArray, y: JArray) => [JArray, JaxCnn];
  let p: JaxCnn = {
    w1: hwioToOihw(d.w1, 1, 16), b1: jnp.array(d.b1), w2: hwioToOihw(d.w2, 16, 32), b2: jnp.array(d.b2),
    w3: jnp.array(d.w3).reshape([1568, 10]), b3: jnp.array(d.b3),
  };
  const x = jnp.transpose(jnp.array(d.x).reshape([BATCH, 28, 28, 1]), [0, 3, 1, 2]);
  const y = jnp.array(d.labels, { dtype: jnp.int32 });
  return async () => {
    const [loss, next] = onJaxDevice(jax, device, () => step(p, x.ref, y.ref));
    p = next;
    return device === "wasm" ? loss.dataSync()[0]! : (await loss.data())[0]!;
  };
}

// ------------------------------------------------------------------------------------- report

/** W7, when selected: every runner that can run the step, interleaved; the others with their reason. */
export async function runCnnBenchmark(opts: BenchOptions): Promise<Record<string, unknown>> {
  if (!opts.only.has("W7")) return {};
  await jax.init("wasm");
  jax.defaultDevice("wasm");
  const d = cnnData();
  const makers = await modelMakers(opts, tf, { kiln: (device) => kilnW7(d, device), tf: (lib, backend) => tfW7(d, lib, backend), jax: (device) => jaxW7(d, device) });
  // TF.js's plain-JS cpu backend can run the step, but at ~100x kiln's time (138 s/step under
  // load in session 22): minutes per round. Kept for a run by hand, not in the bench.
  const notRun = (failed: Readonly<Record<string, string>>): Record<string, string> => (failed["TF.js (wasm)"] ? { "TF.js (cpu)": `~100x kiln's step time (tfW7(d, tf, "cpu") runs it by hand)` } : {});
  return runStepWorkload("W7", `W7: digits CNN train step (conv-relu-pool x2, dense, cross-entropy, Adam), batch ${BATCH} of 28x28x1, loss read back: steps/s`, makers, opts, notRun);
}

await runWhenMain(import.meta.url, "W7", runCnnBenchmark);
