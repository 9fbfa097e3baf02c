/**
 * Conformance cases for fused patterns: the shapes of computation a backend fuses (elementwise
 * chains into reductions, reductions with broadcast epilogues, contractions with prologues and
 * epilogues, views over views, values shared between kernels, several outputs at once).
 */
import { type Tensor, np, npUtil } from "@kiln/core";
import { type Case, floats, ints, tensor } from "./suite.js";

const { apply, broadcastRaw, reshapeRaw } = npUtil;

/** The W1 benchmark expression. */
export function w1(x: Tensor): Tensor {
  return np.sum(np.tanh(x.mul(1.5).add(0.5)).mul(np.sigmoid(x)).sub(x.mul(x).mul(0.1)));
}

function softmax(x: Tensor, axis: number): Tensor {
  const e = np.exp(x.sub(np.max(x, { axis, keepdims: true })));
  return e.div(np.sum(e, { axis, keepdims: true }));
}

function layerNorm(x: Tensor): Tensor {
  const mu = np.mean(x, { axis: -1, keepdims: true });
  const d = x.sub(mu);
  return d.div(np.sqrt(np.mean(d.mul(d), { axis: -1, keepdims: true }).add(1e-5)));
}

/** A Threefry-style int32 mixing round: wrapping adds, rotations, xors. */
function mix(a: Tensor, b: Tensor): Tensor {
  const s = apply("add", [a, b], {});
  const rot = apply("or", [apply("shl", [b, npUtil.fullRaw(b.shape, 13, "int32")], {}), apply("shrl", [b, npUtil.fullRaw(b.shape, 19, "int32")], {})], {});
  return apply("xor", [s, rot], {});
}

export const PATTERN_CASES: readonly Case[] = [
  { name: "W1: sum(tanh(x*1.5+0.5)*sigmoid(x) - 0.1*x*x) over 4096", build: () => w1(floats([4096])) },
  { name: "elementwise chain over a 3-D broadcast", build: () => np.exp(floats([2, 1, 4]).mul(floats([3, 1]))).add(np.sin(floats([4]))) },
  { name: "softmax over the last axis", build: () => softmax(floats([5, 7]), -1) },
  { name: "softmax over axis 0", build: () => softmax(floats([6, 3]), 0) },
  { name: "softmax of a 3-D tensor with large logits", build: () => softmax(floats([2, 3, 9], { lo: -500, hi: 500 }), -1) },
  { name: "layer norm", build: () => layerNorm(floats([4, 33])) },
  { name: "logsumexp over axis 1", build: () => np.logsumexp(floats([3, 50]), { axis: 1 }) },
  { name: "mean over axes (0, 2) of a transpose", build: () => np.mean(np.transpose(floats([3, 4, 5]), [1, 0, 2]), { axis: [0, 2] }) },
  { name: "sum of a sum (nested reductions)", build: () => np.sum(np.sum(floats([4, 5, 6]), { axis: 2 }).mul(2), { axis: 0 }) },
  { name: "reduction broadcast along a non-reduced inner axis", build: () => floats([6, 5]).sub(np.sum(floats([4, 5]), { axis: 0 })) },
  { name: "relu(x @ W + b)", build: () => np.relu(np.matmul(floats([9, 13]), floats([13, 10])).add(floats([10]))) },
  { name: "relu(x @ W + b), contraction sized", build: () => np.relu(np.matmul(floats([50, 36]), floats([36, 41])).add(floats([41]))) },
  { name: "x @ W.T with a prologue, contraction sized", build: () => np.matmul(np.exp(floats([37, 40]).mul(0.1)), np.transpose(floats([30, 40]))) },
  { name: "batched matmul with epilogue, contraction sized", build: () => np.tanh(np.matmul(floats([2, 33, 24]), floats([2, 24, 35])).mul(floats([35]))) },
  { name: "two large matmuls added (one core per kernel)", build: () => np.matmul(floats([40, 36]), floats([36, 32])).add(np.matmul(floats([40, 30]), floats([30, 32]))) },
  { name: "x @ W.T with a scaled prologue", build: () => np.matmul(floats([6, 8]).mul(2), np.transpose(floats([5, 8]))) },
  { name: "batched matmul with a broadcast epilogue", build: () => np.tanh(np.matmul(floats([3, 4, 6]), floats([3, 6, 5])).mul(floats([5]))) },
  { name: "chained matmuls", build: () => np.matmul(np.matmul(floats([5, 6]), floats([6, 7])), floats([7, 3])) },
  { name: "matmul used twice", build: () => { const y = np.matmul(floats([4, 4]), floats([4, 4])); return y.add(np.transpose(y)); } },
  { name: "sum of a matmul epilogue", build: () => np.sum(np.relu(np.matmul(floats([7, 5]), floats([5, 6])).sub(0.2)), { axis: 1 }) },
  { name: "matmul of a reduction", build: () => np.matmul(np.sum(floats([3, 4, 5]), { axis: 0 }), floats([5, 2])) },
  { name: "embedding lookup + elementwise", build: () => np.tanh(apply("gather", [floats([10, 4]), tensor("int32", [3, 2], (i) => [1, 9, 0, 4, 4, 7][i]!)], { axis: 0 })).mul(3) },
  { name: "pad ∘ slice ∘ concat ∘ flip", build: () => apply("pad", [apply("slice", [apply("concatenate", [floats([3, 2]), apply("flip", [floats([3, 4])], { axes: [1] })], { axis: 1 })], { start: [0, 1], stop: [3, 6], step: [2, 2] })], { lo: [1, 0], hi: [0, 2], value: 0.5 }) },
  { name: "reshape of a transpose feeding a reduction", build: () => np.max(reshapeRaw(np.transpose(floats([4, 6]), [1, 0]), [3, 8]), { axis: 1 }) },
  { name: "int32 mixing rounds (wrapping arithmetic)", build: () => { const a = ints([64], -(2 ** 31), 2 ** 31 - 1), b = ints([64], -(2 ** 31), 2 ** 31 - 1); return mix(mix(a, b), b); } },
  { name: "int32 sum with overflow", build: () => np.sum(tensor("int32", [10], () => 2 ** 30)) },
  { name: "several outputs sharing an expensive value", build: () => { const e = np.exp(floats([300])); return [np.sum(e), e.mul(2), np.max(e)]; } },
  { name: "output that another output reads", build: () => { const a = floats([5]).mul(3); return [a, np.sum(a)]; } },
  { name: "zero-size tensors through a fused chain", build: () => np.sum(np.exp(floats([0, 4])).add(1), { axis: 0 }) },
  { name: "scalars only", build: () => np.sqrt(floats([]).mul(floats([])).add(1)) },
  { name: "bool masks and where", build: () => np.where(floats([4, 5]).gt(0), floats([5]), -1) },
  { name: "float64 pipeline", build: () => np.sum(np.exp(floats([3, 40], { dtype: "float64" })).mul(0.5), { axis: 1 }) },
  { name: "cumsum of a fused expression", build: () => np.cumsum(floats([4, 6]).mul(2).add(1), { axis: 1 }) },
  { name: "argmax of a softmax", build: () => np.argmax(softmax(floats([5, 7]), -1), { axis: 1 }) },
  { name: "graphs differing only in a non-finite or signed-zero literal", build: () => [NaN, Infinity, -Infinity, 0, -0].map((v) => np.divide(1, npUtil.fullRaw([2], v, "float32"))) },
  { name: "broadcast of a reduction to a larger shape", build: () => broadcastRaw(reshapeRaw(np.sum(floats([3, 4]), { axis: 1 }), [3, 1]), [3, 6]) },
];
