/**
 * W8 (issue 16): one jitted training step of a transformer encoder layer — batch 16, sequence 128,
 * d_model 128, 4 heads, feed-forward 512 (relu), post-norm (PyTorch's default), dropout 0 — with a
 * mean-squared-error loss against a fixed target and SGD (lr 1e-3), loss read back every step:
 * steps/s. kiln runs `nn.TransformerEncoderLayer`; jax-js (jit(valueAndGrad)) and TF.js (eager,
 * `optimizer.minimize`) run the same layer written out with matmul, softmax and a layer norm (neither
 * has a layer library with attention; jax-js's `nn.dotProductAttention` goes through `einsum`,
 * whose parser calls iterator helpers that Node 20 lacks, so attention is spelled as the two
 * batched matmuls it is). Every runner runs on cpu/wasm and, when an adapter exists, on webgpu
 * (peers through gpu-peers.ts); all start from the same weights and batch, so their first losses
 * agree, and each peer is compared with kiln on the same backend.
 * Dropout is 0 so every runner does the same arithmetic (no PRNG streams to match).
 * `npm run bench` runs it last; alone: `node --conditions=kiln-source --import tsx
 * bench/src/transformer-bench.ts [--quick] [--json path]`.
 */
import * as jax from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { ParamState, type Tensor, grad, jit, nn, np, optim } from "kiln";
import { type KilnDevice, onDevice } from "./devices.js";
import { random } from "./data.js";
import { onJaxDevice } from "./gpu-peers.js";
import { type Step, type StepRunner, modelMakers, runStepWorkload } from "./model-steps.js";
import { type BenchOptions, runWhenMain } from "./options.js";

const jnp = jax.numpy;
type JArray = jax.Array;

const B = 16, T = 128, D = 128, HEADS = 4, DFF = 512, LR = 1e-3;

/** The layer's weights ([in, out] matrices) and one batch with its target, shared by every runner. */
interface LayerData {
  readonly w: Readonly<Record<"wq" | "wk" | "wv" | "wo", Float32Array>>;
  readonly w1: Float32Array;
  readonly w2: Float32Array;
  readonly x: Float32Array;
  readonly target: Float32Array;
}

function layerData(): LayerData {
  const glorot = (i: number, o: number, seed: number) => random(i * o, seed, Math.sqrt(6 / (i + o)));
  return {
    w: { wq: glorot(D, D, 21), wk: glorot(D, D, 22), wv: glorot(D, D, 23), wo: glorot(D, D, 24) },
    w1: glorot(D, DFF, 25), w2: glorot(DFF, D, 26),
    x: random(B * T * D, 27), target: random(B * T * D, 28),
  };
}

// ------------------------------------------------------------------------------------- kiln

function kilnW8(d: LayerData, device: KilnDevice): StepRunner {
  return onDevice(device, () => {
    const layer = new nn.TransformerEncoderLayer(D, HEADS, { dimFeedforward: DFF, dropout: 0 });
    const set = (s: ParamState, v: Float32Array) => (s.value = np.array(v, { shape: s.value.shape }));
    const attn = layer.selfAttn;
    set(attn.query.weight, d.w.wq), set(attn.key.weight, d.w.wk), set(attn.value.weight, d.w.wv), set(attn.out.weight, d.w.wo);
    set(layer.linear1.weight, d.w1), set(layer.linear2.weight, d.w2);
    const params = layer.states(ParamState);
    const opt = new optim.SGD(params, { lr: LR });
    const x = np.array(d.x, { shape: [B, T, D] }), target = np.array(d.target, { shape: [B, T, D] });
    const step = jit((xb: Tensor, tb: Tensor) => {
      const [g, v] = grad(() => np.mean(np.square(layer.call(xb).sub(tb))), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
      opt.update(g);
      return v;
    });
    const { stats, kernels } = step.lower(x, target);
    return { step: () => onDevice(device, () => step(x, target).item()), kernels: stats.kernels, mflop: stats.flops / 1e6, ...(device === "cpu" ? { profile: kernels } : {}) };
  });
}

// ------------------------------------------------------------------------------------- jax-js

type JaxLayer = Record<"wq" | "bq" | "wk" | "bk" | "wv" | "bv" | "wo" | "bo" | "w1" | "b1" | "w2" | "b2" | "g1" | "be1" | "g2" | "be2", JArray>;

/** The jax-js step with its arrays on `device` (initialized before: jax.init, jaxWebgpu()). */
function jaxW8(d: LayerData, device: "wasm" | "webgpu"): Step {
  return onJaxDevice(jax, device, () => jaxW8Here(d, device));
}

function jaxW8Here(d: LayerData, device: "wasm" | "webgpu"): Step {
  // jax-js arrays are reference-counted: every use consumes one reference, so a value used
  // again later is passed as `.ref`.
  const lin = (h: JArray, w: JArray, b: JArray) => jnp.matmul(h, w).add(b);
  // [B, T, D] → [B, heads, T, head dim] (or, for keys, [B, heads, head dim, T]).
  const heads = (h: JArray, perm: number[]) => jnp.transpose(h.reshape([B, T, HEADS, D / HEADS]), perm);
  const norm = (h: JArray, g: JArray, b: JArray) => jax.nn.standardize(h, -1, { epsilon: 1e-5 }).mul(g).add(b);
  const lossFn = (p: JaxLayer, x: JArray, target: JArray): JArray => {
    const q = heads(lin(x.ref, p.wq, p.bq), [0, 2, 1, 3]), k = heads(lin(x.ref, p.wk, p.bk), [0, 2, 3, 1]);
    const v = heads(lin(x.ref, p.wv, p.bv), [0, 2, 1, 3]);
    const probs = jax.nn.softmax(jnp.matmul(q, k).mul(1 / Math.sqrt(D / HEADS)), -1);
    const a = lin(jnp.transpose(jnp.matmul(probs, v), [0, 2, 1, 3]).reshape([B, T, D]), p.wo, p.bo);
    const h = norm(x.add(a), p.g1, p.be1);
    const f = lin(jax.nn.relu(lin(h.ref, p.w1, p.b1)), p.w2, p.b2);
    const diff = norm(h.add(f), p.g2, p.be2).sub(target);
    return jnp.mean(diff.ref.mul(diff));
  };
  const step = jax.jit((p: JaxLayer, x: JArray, target: JArray) => {
    const [loss, g] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), x, target) as [JArray, JaxLayer];
    const next = Object.fromEntries(Object.keys(p).map((k) => [k, p[k as keyof JaxLayer].sub(g[k as keyof JaxLayer].mul(LR))]));
    return [loss, next] as jax.JsTree<JArray>;
  }) as unknown as (p: JaxLayer, x: JArray, target: JArray) => [JArray, JaxLayer];
  const mat = (v: Float32Array, i: number, o: number) => jnp.array(v).reshape([i, o]);
  let p: JaxLayer = {
    wq: mat(d.w.wq, D, D), bq: jnp.zeros([D]), wk: mat(d.w.wk, D, D), bk: jnp.zeros([D]),
    wv: mat(d.w.wv, D, D), bv: jnp.zeros([D]), wo: mat(d.w.wo, D, D), bo: jnp.zeros([D]),
    w1: mat(d.w1, D, DFF), b1: jnp.zeros([DFF]), w2: mat(d.w2, DFF, D), b2: jnp.zeros([D]),
    g1: jnp.ones([D]), be1: jnp.zeros([D]), g2: jnp.ones([D]), be2: jnp.zeros([D]),
  };
  const x = jnp.array(d.x).reshape([B, T, D]), target = jnp.array(d.target).reshape([B, T, D]);
  return async () => {
    const [loss, next] = onJaxDevice(jax, device, () => step(p, x.ref, target.ref));
    p = next;
    return device === "wasm" ? loss.dataSync()[0]! : (await loss.data())[0]!;
  };
}

// ------------------------------------------------------------------------------------- TF.js

/**
 * The TF.js step on `backend`: the same post-norm layer written with its ops (it has no attention
 * layer or op; `tf.layers` has no MultiHeadAttention either, so this is what its users write), and
 * SGD through `optimizer.minimize`.
 */
async function tfW8(d: LayerData, lib: typeof tf, backend: "wasm" | "webgpu"): Promise<Step> {
  await lib.setBackend(backend);
  const v = (a: Float32Array, shape: number[]) => lib.variable(lib.tensor(a, shape));
  const zeros = (n: number) => lib.variable(lib.zeros([n])), ones = (n: number) => lib.variable(lib.ones([n]));
  const p = {
    wq: v(d.w.wq, [D, D]), bq: zeros(D), wk: v(d.w.wk, [D, D]), bk: zeros(D), wv: v(d.w.wv, [D, D]), bv: zeros(D),
    wo: v(d.w.wo, [D, D]), bo: zeros(D), w1: v(d.w1, [D, DFF]), b1: zeros(DFF), w2: v(d.w2, [DFF, D]), b2: zeros(D),
    g1: ones(D), be1: zeros(D), g2: ones(D), be2: zeros(D),
  };
  const x = lib.tensor(d.x, [B * T, D]), target = lib.tensor(d.target, [B * T, D]);
  const lin = (h: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => lib.add(lib.matMul(h, w), b);
  // [B·T, D] → [B, heads, T, head dim].
  const heads = (h: tf.Tensor) => lib.transpose(lib.reshape(h, [B, T, HEADS, D / HEADS]), [0, 2, 1, 3]);
  const norm = (h: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = lib.moments(h, -1, true);
    return lib.add(lib.mul(lib.div(lib.sub(h, mean), lib.sqrt(lib.add(variance, 1e-5))), g), b);
  };
  const lossFn = (): tf.Scalar => {
    const q = heads(lin(x, p.wq, p.bq)), k = heads(lin(x, p.wk, p.bk)), vv = heads(lin(x, p.wv, p.bv));
    const probs = lib.softmax(lib.mul(lib.matMul(q, k, false, true), 1 / Math.sqrt(D / HEADS)));
    const a = lin(lib.reshape(lib.transpose(lib.matMul(probs, vv), [0, 2, 1, 3]), [B * T, D]), p.wo, p.bo);
    const h = norm(lib.add(x, a), p.g1, p.be1);
    const f = lin(lib.relu(lin(h, p.w1, p.b1)), p.w2, p.b2);
    return lib.mean(lib.square(lib.sub(norm(lib.add(h, f), p.g2, p.be2), target)));
  };
  const opt = lib.train.sgd(LR);
  return async () => {
    if (lib.getBackend() !== backend) await lib.setBackend(backend);
    const loss = opt.minimize(lossFn, true)!;
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  };
}

// ------------------------------------------------------------------------------------- report

/** W8, when selected: kiln on each device, TF.js and jax-js on wasm (and webgpu with an adapter), interleaved. */
export async function runTransformerBenchmark(opts: BenchOptions): Promise<Record<string, unknown>> {
  if (!opts.only.has("W8")) return {};
  await jax.init("wasm");
  jax.defaultDevice("wasm");
  const d = layerData();
  const makers = await modelMakers(opts, tf, { kiln: (device) => kilnW8(d, device), tf: (lib, backend) => tfW8(d, lib, backend), jax: (device) => jaxW8(d, device) });
  return runStepWorkload("W8", `W8: TransformerEncoderLayer train step (batch ${B}, seq ${T}, d ${D}, ${HEADS} heads, ff ${DFF}, MSE, SGD), loss read back: steps/s`, makers, opts);
}

await runWhenMain(import.meta.url, "W8", runTransformerBenchmark);
