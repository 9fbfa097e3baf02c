/**
 * Loss functions. Each returns the mean over examples by default; `reduction: "sum"` sums and
 * `"none"` returns the per-example (for `mseLoss`, per-element) losses. Predictions and targets
 * must have equal shapes (as optax asserts): silently broadcasting `[N, 1]` against `[N]` to
 * `[N, N]` is a classic bug, so it is a `ShapeError` here.
 */
import { type ArrayLike, DTypeError, ShapeError, type Tensor, ValueError, isFloat, np, npUtil } from "@kiln/core";
import { logSoftmax } from "./activations.js";
import { describeValue } from "@kiln/core";
import { toFloat } from "./special.js";

export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  /** `"mean"` (default) over examples, `"sum"`, or `"none"` for the unreduced losses. */
  reduction?: Reduction;
}

function reduce(losses: Tensor, reduction: Reduction | undefined, who: string): Tensor {
  switch (reduction ?? "mean") {
    case "mean":
      return np.mean(losses);
    case "sum":
      return np.sum(losses);
    case "none":
      return losses;
    default:
      throw new ValueError(`${who}: reduction must be "mean", "sum" or "none", got ${describeValue(reduction)}`);
  }
}

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

function sameShape(who: string, what: [string, string], a: Tensor, b: Tensor): void {
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${who}: ${what[0]} shape ${fmt(a.shape)} and ${what[1]} shape ${fmt(b.shape)} differ; reshape one so they match`);
  }
}

/**
 * Mean squared error: mean((pred − target)²) over all elements.
 * @example mseLoss([1, 2], [1, 4]) // 2
 */
export function mseLoss(pred: ArrayLike, target: ArrayLike, opts: LossOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("mseLoss", opts, "mseLoss", extra);
  const p = toFloat(pred, "mseLoss"), t = npUtil.asTensor(target, "mseLoss");
  sameShape("mseLoss", ["prediction", "target"], p, t);
  return reduce(np.square(p.sub(t)), opts.reduction, "mseLoss");
}

export interface CrossEntropyOptions extends LossOptions {
  /** The class axis of `logits`; default -1. */
  axis?: number;
}

/**
 * Softmax cross-entropy between logits and labels, per example −Σ labels · logSoftmax(logits).
 * `labels` are either integer class indices (int32, shaped like `logits` without the class axis)
 * or float probabilities / one-hot rows shaped like `logits`. An integer label outside
 * [0, classes) gives a NaN loss for that example (indices cannot be checked before the graph runs).
 * @example softmaxCrossEntropy([[0, 0]], np.array([1], { dtype: "int32" })) // 0.6931472
 * @example softmaxCrossEntropy([[0, 0]], [[0, 1]]) // 0.6931472
 */
export function softmaxCrossEntropy(logits: ArrayLike, labels: ArrayLike, opts: CrossEntropyOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("softmaxCrossEntropy", opts, "softmaxCrossEntropy", extra);
  const who = "softmaxCrossEntropy";
  const z = toFloat(logits, who);
  const ax = classAxis(who, z, opts.axis);
  const logp = logSoftmax(z, { axis: ax });
  const y = npUtil.asTensor(labels, who);
  let losses: Tensor;
  if (y.dtype === "int32") {
    losses = np.negative(pickClass(who, logp, y, ax));
  } else if (isFloat(y.dtype)) {
    sameShape(who, ["logits", "labels"], z, y);
    losses = np.negative(np.sum(y.mul(logp), { axis: ax }));
  } else {
    throw new DTypeError(`${who}: labels must be int32 class indices or float probabilities, got ${y.dtype}`);
  }
  return reduce(losses, opts.reduction, who);
}

function classAxis(who: string, z: Tensor, axis: number | undefined): number {
  if (z.ndim === 0) throw new ShapeError(`${who}: logits need a class axis, got a scalar`);
  const a = axis ?? -1;
  if (!Number.isInteger(a) || a < -z.ndim || a >= z.ndim) {
    throw new ShapeError(`${who}: axis ${typeof a === "number" ? a : describeValue(a)} is out of bounds for logits of rank ${z.ndim}`);
  }
  return a < 0 ? a + z.ndim : a;
}

function intLabels(who: string, labels: ArrayLike): Tensor {
  const y = npUtil.asTensor(labels, who);
  if (y.dtype !== "int32") throw new DTypeError(`${who}: labels must be int32 class indices, got ${y.dtype} (for probabilities use softmaxCrossEntropy or kl)`);
  return y;
}

/**
 * Cross-entropy of logits against integer class labels (PyTorch's `cross_entropy`, optax's
 * `softmax_cross_entropy_with_integer_labels`): per example −logSoftmax(logits)[label], mean by
 * default. `labels` are int32, shaped like `logits` without the class axis (default -1); a label
 * outside [0, classes) gives NaN for that example.
 * @example crossEntropy([[0, 0]], np.array([1], { dtype: "int32" })) // 0.6931472
 */
export function crossEntropy(logits: ArrayLike, labels: ArrayLike, opts: CrossEntropyOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("crossEntropy", opts, "crossEntropy", extra);
  const z = toFloat(logits, "crossEntropy");
  const ax = classAxis("crossEntropy", z, opts.axis);
  const y = intLabels("crossEntropy", labels);
  return reduce(np.negative(pickClass("crossEntropy", logSoftmax(z, { axis: ax }), y, ax)), opts.reduction, "crossEntropy");
}

/**
 * Negative log-likelihood of log-probabilities (e.g. `logSoftmax` outputs) at integer labels:
 * per example −logProbs[label] (PyTorch's `nll_loss`), mean by default. Shapes as `crossEntropy`.
 * @example nllLoss([[Math.log(0.25), Math.log(0.75)]], np.array([1], { dtype: "int32" })) // 0.2876821
 */
export function nllLoss(logProbs: ArrayLike, labels: ArrayLike, opts: CrossEntropyOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("nllLoss", opts, "nllLoss", extra);
  const lp = toFloat(logProbs, "nllLoss");
  const ax = classAxis("nllLoss", lp, opts.axis);
  const y = intLabels("nllLoss", labels);
  return reduce(np.negative(pickClass("nllLoss", lp, y, ax)), opts.reduction, "nllLoss");
}

export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear; default 1 (must be > 0). */
  delta?: number;
}

/**
 * Huber loss, elementwise on d = pred − target: ½d² for |d| ≤ delta, delta·(|d| − ½delta) beyond
 * (optax's `huber_loss`; PyTorch's `huber_loss`), then reduced (mean over all elements by default).
 * @example huberLoss([0, 0], [0.5, 3]) // (0.125 + 2.5) / 2 = 1.3125
 */
export function huberLoss(pred: ArrayLike, target: ArrayLike, opts: HuberLossOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("huberLoss", opts, "huberLoss", extra);
  const delta = opts.delta ?? 1;
  if (typeof delta !== "number" || !(delta > 0) || !Number.isFinite(delta)) throw new ValueError(`huberLoss: delta must be a finite number > 0, got ${describeValue(delta)}`);
  const p = toFloat(pred, "huberLoss"), t = npUtil.asTensor(target, "huberLoss");
  sameShape("huberLoss", ["prediction", "target"], p, t);
  const a = np.abs(p.sub(t));
  // min(|d|, delta) is the quadratic part; the rest is linear: ½q² + delta·(|d| − q).
  const q = np.minimum(a, delta);
  return reduce(np.square(q).mul(0.5).add(a.sub(q).mul(delta)), opts.reduction, "huberLoss");
}

/**
 * Mean absolute error |pred − target|, elementwise then reduced (mean over all elements by default).
 * @example l1Loss([1, 2], [0, 4]) // 1.5
 */
export function l1Loss(pred: ArrayLike, target: ArrayLike, opts: LossOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("l1Loss", opts, "l1Loss", extra);
  const p = toFloat(pred, "l1Loss"), t = npUtil.asTensor(target, "l1Loss");
  sameShape("l1Loss", ["prediction", "target"], p, t);
  return reduce(np.abs(p.sub(t)), opts.reduction, "l1Loss");
}

/**
 * Kullback–Leibler divergence KL(targets ‖ predictions) from log-predictions and target
 * probabilities, per example Σ targets · (log targets − logPredictions) over `axis` (default -1),
 * with 0 · log 0 = 0 (optax's `kl_divergence`; PyTorch's `kl_div` summed over the class axis),
 * mean over examples by default. Shapes must be equal.
 * @example kl([Math.log(0.5), Math.log(0.5)], [1, 0]) // 0.6931472
 */
export function kl(logPredictions: ArrayLike, targets: ArrayLike, opts: CrossEntropyOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("kl", opts, "kl", extra);
  const lp = toFloat(logPredictions, "kl"), t = toFloat(targets, "kl");
  sameShape("kl", ["log-predictions", "targets"], lp, t);
  const ax = classAxis("kl", lp, opts.axis);
  const pos = t.gt(0);
  // log of a clean 1 where t = 0, so neither the value nor the gradient sees log 0.
  const tLogT = np.where(pos, t.mul(np.log(np.where(pos, t, 1))), 0);
  return reduce(np.sum(tLogT.sub(t.mul(lp)), { axis: ax }), opts.reduction, "kl");
}

/**
 * `logp[..., labels[...], ...]` along the class axis `ax` of `logp`, NaN where a label is outside
 * [0, classes). A one-hot mask by comparison rather than a gather: no clamping of bad indices, plain vjp.
 */
function pickClass(who: string, logp: Tensor, y: Tensor, ax: number): Tensor {
  const expected = logp.shape.filter((_, i) => i !== ax);
  if (y.ndim !== expected.length || y.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${who}: integer labels must have shape ${fmt(expected)} (logits ${fmt(logp.shape)} without the class axis), got ${fmt(y.shape)}`);
  }
  const classes = logp.shape[ax]!;
  const iotaShape = logp.shape.map((d, i) => (i === ax ? d : 1));
  const hit = np.equal(np.arange(classes, { dtype: "int32" }).reshape(iotaShape), np.expandDims(y, ax));
  const picked = np.sum(np.where(hit, logp, 0), { axis: ax });
  return np.where(np.logicalAnd(y.ge(0), y.lt(classes)), picked, NaN);
}

export interface BinaryCrossEntropyOptions extends LossOptions {
  /** The first argument holds logits rather than probabilities (stable: no log of a sigmoid). */
  fromLogits?: boolean;
}

/**
 * Binary cross-entropy −[t·log p + (1 − t)·log(1 − p)], elementwise, then reduced. With
 * probabilities each log is clamped at −100 (as PyTorch) so p = 0 or 1 gives a finite loss; with
 * `fromLogits` the stable form max(x, 0) − x·t + log1p(exp(−|x|)) is used.
 * @example binaryCrossEntropy([0.5], [1]) // 0.6931472
 * @example binaryCrossEntropy([0], [1], { fromLogits: true }) // 0.6931472
 */
export function binaryCrossEntropy(probs: ArrayLike, targets: ArrayLike, opts: BinaryCrossEntropyOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("binaryCrossEntropy", opts, "binaryCrossEntropy", extra);
  const who = "binaryCrossEntropy";
  const x = toFloat(probs, who), t = toFloat(targets, who);
  sameShape(who, [opts.fromLogits ? "logits" : "probabilities", "targets"], x, t);
  let losses: Tensor;
  if (opts.fromLogits) {
    losses = np.relu(x).sub(x.mul(t)).add(np.log1p(np.exp(np.negative(np.abs(x)))));
  } else {
    const logP = np.maximum(np.log(x), -100);
    const log1mP = np.maximum(np.log1p(np.negative(x)), -100);
    losses = np.negative(t.mul(logP).add(np.negative(t).add(1).mul(log1mP)));
  }
  return reduce(losses, opts.reduction, who);
}
