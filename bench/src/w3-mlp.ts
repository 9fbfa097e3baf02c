/**
 * W3's model, weights and batch, shared by the Node bench (jit-bench.ts: kiln, jax-js, TF.js) and
 * the WebGL page (browser-webgl-w3.ts): an MLP 784-256-256-10 (tanh, relu), softmax
 * cross-entropy, SGD, batch 128. Browser-safe (no Node imports).
 */
import type * as tfjs from "@tensorflow/tfjs";
import { ParamState, type Tensor, grad, jit, nn, np, optim } from "kiln";
import { random } from "./data.js";

export const SIZES = [784, 256, 256, 10] as const;
export const BATCH = 128;
export const LR = 0.01;

/** One set of initial weights and one batch, shared by every peer (same losses from the same start). */
export interface MlpData {
  readonly w: Float32Array[];
  readonly b: Float32Array[];
  readonly x: Float32Array;
  readonly labels: Int32Array;
}

/**
 * W3's initial weights (uniform Glorot, fixed seeds), zero biases, and its batch.
 * @example mlpData().w[0]!.length; // 784 * 256
 */
export function mlpData(): MlpData {
  const w: Float32Array[] = [], b: Float32Array[] = [];
  for (let l = 0; l < 3; l++) {
    w.push(random(SIZES[l]! * SIZES[l + 1]!, 10 + l, Math.sqrt(6 / (SIZES[l]! + SIZES[l + 1]!))));
    b.push(new Float32Array(SIZES[l + 1]!));
  }
  const labels = Int32Array.from(random(BATCH, 99), (v) => Math.floor((v + 1) * 5) % 10);
  return { w, b, x: random(BATCH * SIZES[0], 7), labels };
}

/**
 * kiln's W3 on the active backend: the batch as tensors and `make()`, a new jitted
 * `(x, y) ↦ loss` step over one set of parameters and one SGD optimizer (every step made updates them).
 * @example const { x, y, make } = kilnMlp(mlpData()); make()(x, y).itemSync(); // 2.4926…
 */
export function kilnMlp(d: MlpData) {
  const params: Record<string, ParamState> = {};
  for (let l = 0; l < 3; l++) {
    params[`w${l}`] = new ParamState(np.array(d.w[l]!, { shape: [SIZES[l]!, SIZES[l + 1]!] }), { name: `w${l}` });
    params[`b${l}`] = new ParamState(np.array(d.b[l]!, { shape: [SIZES[l + 1]!] }), { name: `b${l}` });
  }
  const opt = new optim.SGD(params, { lr: LR });
  const loss = (xb: Tensor, yb: Tensor) => {
    const h1 = np.tanh(xb.matmul(params.w0!.value).add(params.b0!.value));
    const h2 = nn.relu(h1.matmul(params.w1!.value).add(params.b1!.value));
    return nn.softmaxCrossEntropy(h2.matmul(params.w2!.value).add(params.b2!.value), yb);
  };
  const make = () => jit((xb: Tensor, yb: Tensor) => {
    const [g, value] = grad(() => loss(xb, yb), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return value;
  });
  return { x: np.array(d.x, { shape: [BATCH, SIZES[0]] }), y: np.array(d.labels, { shape: [BATCH] }), make };
}

/**
 * TF.js's W3 on its active backend: each call is one `optimizer.minimize` step and returns the
 * loss tensor (the caller reads and disposes it). Variables are created on the backend active now.
 * @example const minimize = tfMlp(tf, mlpData()); const loss = minimize(); loss.dataSync(); loss.dispose();
 */
export function tfMlp(tf: typeof tfjs, d: MlpData): () => tfjs.Scalar {
  const w = d.w.map((v, l) => tf.variable(tf.tensor2d(v, [SIZES[l]!, SIZES[l + 1]!])));
  const b = d.b.map((v) => tf.variable(tf.tensor1d(v)));
  const x = tf.tensor2d(d.x, [BATCH, SIZES[0]]);
  const y = tf.oneHot(tf.tensor1d(d.labels, "int32"), 10);
  const opt = tf.train.sgd(LR);
  return () => opt.minimize(() => {
    const h1 = tf.tanh(tf.add(tf.matMul(x, w[0]!), b[0]!));
    const h2 = tf.relu(tf.add(tf.matMul(h1, w[1]!), b[1]!));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h2, w[2]!), b[2]!)) as tfjs.Scalar;
  }, true)!;
}
