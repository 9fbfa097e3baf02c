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
export function mseLoss(pred: ArrayLike, target: ArrayLike, opts: LossOptions = {}): Tensor {
  opts = npUtil.optionsOf("mseLoss", opts);
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
export function softmaxCrossEntropy(logits: ArrayLike, labels: ArrayLike, opts: CrossEntropyOptions = {}): Tensor {
  opts = npUtil.optionsOf("softmaxCrossEntropy", opts);
  const who = "softmaxCrossEntropy";
  const z = toFloat(logits, who);
  if (z.ndim === 0) throw new ShapeError(`${who}: logits need a class axis, got a scalar`);
  const axis = opts.axis ?? -1;
  if (!Number.isInteger(axis) || axis < -z.ndim || axis >= z.ndim) {
    throw new ShapeError(`${who}: axis ${axis} is out of bounds for logits of rank ${z.ndim}`);
  }
  const ax = axis < 0 ? axis + z.ndim : axis;
  const logp = logSoftmax(z, { axis: ax });
  const y = npUtil.asTensor(labels, who);
  let losses: Tensor;
  if (y.dtype === "int32") {
    const expected = z.shape.filter((_, i) => i !== ax);
    if (y.ndim !== expected.length || y.shape.some((d, i) => d !== expected[i])) {
      throw new ShapeError(`${who}: integer labels must have shape ${fmt(expected)} (logits ${fmt(z.shape)} without the class axis), got ${fmt(y.shape)}`);
    }
    const classes = z.shape[ax]!;
    // One-hot mask by comparison rather than a gather: no clamping of bad indices, plain vjp.
    const iotaShape = z.shape.map((d, i) => (i === ax ? d : 1));
    const hit = np.equal(np.arange(classes, { dtype: "int32" }).reshape(iotaShape), np.expandDims(y, ax));
    const picked = np.sum(np.where(hit, logp, 0), { axis: ax });
    const valid = np.logicalAnd(y.ge(0), y.lt(classes));
    losses = np.where(valid, np.negative(picked), NaN);
  } else if (isFloat(y.dtype)) {
    sameShape(who, ["logits", "labels"], z, y);
    losses = np.negative(np.sum(y.mul(logp), { axis: ax }));
  } else {
    throw new DTypeError(`${who}: labels must be int32 class indices or float probabilities, got ${y.dtype}`);
  }
  return reduce(losses, opts.reduction, who);
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
export function binaryCrossEntropy(probs: ArrayLike, targets: ArrayLike, opts: BinaryCrossEntropyOptions = {}): Tensor {
  opts = npUtil.optionsOf("binaryCrossEntropy", opts);
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
