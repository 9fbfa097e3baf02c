/**
 * W3 for the WebGL page (bench/src/browser-webgl-page.ts): the MLP training step of the Node
 * bench (bench/src/jit-bench.ts: batch 128, 784-256-256-10, tanh and relu, softmax cross-entropy,
 * SGD, loss read back) as kiln's jitted step and as TF.js's `optimizer.minimize`, both reading
 * the loss asynchronously as a page would. Same initial weights and batch for both.
 */
import type * as tfjs from "@tensorflow/tfjs";
import { kilnMlp, mlpData, tfMlp } from "./w3-mlp.js";

/** One training step; resolves to the loss. */
export type W3Step = () => Promise<number>;

const DATA = mlpData();

/**
 * kiln's W3 step on whichever backend `use` selects (called before every step).
 * @example const step = kilnW3(async () => setBackend("gpujs")); await step(); // the loss
 */
export function kilnW3(use: () => Promise<void>): W3Step {
  const { x, y, make } = kilnMlp(DATA);
  const step = make();
  return async () => {
    await use();
    return step(x, y).item();
  };
}

/**
 * TF.js's W3 step (`optimizer.minimize`) on whichever backend `use` activates.
 * @example const step = tfW3(tf, async () => { await tf.setBackend("webgl"); }); await step();
 */
export function tfW3(tf: typeof tfjs, use: () => Promise<void>): W3Step {
  let minimize: (() => tfjs.Scalar) | undefined;
  return async () => {
    await use();
    // The variables live on the backend active at their creation: the first step makes them.
    minimize ??= tfMlp(tf, DATA);
    const loss = minimize();
    const v = (await loss.data())[0]!;
    loss.dispose();
    return v;
  };
}
