/**
 * Normalization over more than one example's features: `GroupNorm` (per example, over groups of
 * channels and every spatial axis) and `BatchNorm1d/2d` (over the batch and spatial axes, with
 * running statistics). Channels-last: the channel axis is the last one.
 */
import { type ArrayLike, LongTermState, ParamState, ShapeError, type Tensor, ValueError, describeValue, environ, np, npUtil } from "@kiln/core";
import { type InitLike, initialize } from "../init.js";
import { Module } from "../module.js";
import { toFloat } from "../special.js";

export interface AffineOptions {
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
  /** Learn a per-channel scale (default true; initializer `scaleInit`, default ones). */
  useScale?: boolean;
  scaleInit?: InitLike;
  /** Learn a per-channel bias (default true; initializer `biasInit`, default zeros). */
  useBias?: boolean;
  biasInit?: InitLike;
}

function positiveInt(who: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new ValueError(`${who}: ${name} must be a positive integer, got ${describeValue(v)}`);
  return v;
}

/** Per-channel scale and bias and eps, shared by GroupNorm and BatchNorm. */
abstract class ChannelAffine extends Module {
  readonly scale: ParamState | undefined;
  readonly bias: ParamState | undefined;
  readonly eps: number;

  constructor(protected readonly who: string, readonly channels: number, opts: AffineOptions) {
    super();
    this.eps = opts.eps ?? 1e-5;
    if (typeof this.eps !== "number" || !(this.eps >= 0) || !Number.isFinite(this.eps)) throw new ValueError(`${who}: eps must be a finite number ≥ 0, got ${describeValue(this.eps)}`);
    this.scale = opts.useScale === false ? undefined : new ParamState(initialize(opts.scaleInit ?? 1, [channels], `${who} scale`));
    this.bias = opts.useBias === false ? undefined : new ParamState(initialize(opts.biasInit ?? 0, [channels], `${who} bias`));
  }

  protected affine(y: Tensor): Tensor {
    if (this.scale) y = y.mul(this.scale.value);
    return this.bias ? y.add(this.bias.value) : y;
  }

  protected checkInput(x: ArrayLike, ranks: readonly number[], layout: string): Tensor {
    const t = toFloat(x, this.who);
    if (!ranks.includes(t.ndim) || t.shape[t.ndim - 1] !== this.channels) {
      throw new ShapeError(`${this.who}: expected an input ${layout} with ${this.channels} channels last, got shape [${t.shape.join(", ")}]`);
    }
    return t;
  }
}

/**
 * Group normalization (Wu & He 2018): the channels of each example split into `groups` blocks;
 * each block is normalized over its channels and every spatial axis, then per-channel scale and
 * bias. Input `[batch, ...spatial, channels]` (rank ≥ 2).
 * @example
 * const gn = new nn.GroupNorm(4, 32);
 * gn.call(np.ones([8, 14, 14, 32])).shape; // [8, 14, 14, 32]
 */
export class GroupNorm extends ChannelAffine {
  constructor(readonly groups: number, channels: number, opts: AffineOptions = {}, ...extra: undefined[]) {
    opts = npUtil.optionsOf("GroupNorm", opts, "GroupNorm", extra);
    positiveInt("GroupNorm", "groups", groups);
    positiveInt("GroupNorm", "channels", channels);
    if (channels % groups !== 0) throw new ValueError(`GroupNorm: groups (${groups}) must divide channels (${channels})`);
    super(`GroupNorm(${groups}, ${channels})`, channels, opts);
  }

  call(x: ArrayLike): Tensor {
    const t = this.checkInput(x, [2, 3, 4, 5, 6], "[batch, ...spatial, channels]");
    const g = t.reshape([...t.shape.slice(0, -1), this.groups, this.channels / this.groups]);
    // Every axis but the batch and the group axis.
    const axis = Array.from({ length: g.ndim }, (_, i) => i).filter((i) => i !== 0 && i !== g.ndim - 2);
    const centered = g.sub(np.mean(g, { axis, keepdims: true }));
    const y = centered.mul(np.rsqrt(np.mean(np.square(centered), { axis, keepdims: true }).add(this.eps)));
    return this.affine(y.reshape(t.shape));
  }
}

export interface BatchNormOptions extends AffineOptions {
  /** Weight of the old running statistic: running = momentum·running + (1 − momentum)·batch. Default 0.9. */
  momentum?: number;
}

abstract class BatchNormNd extends ChannelAffine {
  /** Running mean and (biased) variance: non-parameter States (BrainState's LongTermState), not trained. */
  readonly runningMean: LongTermState;
  readonly runningVar: LongTermState;
  readonly momentum: number;

  constructor(name: string, features: number, opts: BatchNormOptions, private readonly ranks: readonly number[], private readonly layout: string) {
    opts = npUtil.optionsOf("BatchNorm", opts, name);
    positiveInt(name, "features", features);
    super(`${name}(${features})`, features, opts);
    this.momentum = opts.momentum ?? 0.9;
    if (typeof this.momentum !== "number" || !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new ValueError(`${name}: momentum must be in [0, 1], got ${describeValue(this.momentum)}`);
    }
    this.runningMean = new LongTermState(np.zeros([features]));
    this.runningVar = new LongTermState(np.ones([features]));
  }

  /**
   * Under `environ` `fit: true` (the default): normalizes with the batch's mean and biased variance
   * over every axis but the last, and moves the running statistics toward them. Under `fit: false`:
   * normalizes with the running statistics and changes nothing.
   */
  call(x: ArrayLike): Tensor {
    const t = this.checkInput(x, this.ranks, this.layout);
    let mean: Tensor, variance: Tensor;
    if (environ.get("fit")) {
      const axis = Array.from({ length: t.ndim - 1 }, (_, i) => i);
      mean = np.mean(t, { axis });
      variance = np.mean(np.square(t.sub(mean)), { axis });
      // The running statistics are bookkeeping, not part of the differentiated computation.
      const m = this.momentum, rm = this.runningMean.value, rv = this.runningVar.value;
      this.runningMean.value = rm.mul(m).add(np.astype(np.stopGradient(mean), rm.dtype).mul(1 - m));
      this.runningVar.value = rv.mul(m).add(np.astype(np.stopGradient(variance), rv.dtype).mul(1 - m));
    } else {
      mean = this.runningMean.value;
      variance = this.runningVar.value;
    }
    return this.affine(t.sub(mean).mul(np.rsqrt(variance.add(this.eps))));
  }
}

/**
 * Batch normalization of `[batch, features]` or `[batch, length, features]` (Ioffe & Szegedy 2015).
 * States: `scale`, `bias` (ParamState) and `runningMean`, `runningVar` (LongTermState).
 * @example
 * const bn = new nn.BatchNorm1d(16);
 * bn.call(x);                                           // training: batch statistics, running stats updated
 * environ.context({ fit: false }, () => bn.call(x));    // evaluation: running statistics
 */
export class BatchNorm1d extends BatchNormNd {
  constructor(features: number, opts: BatchNormOptions = {}) {
    super("BatchNorm1d", features, opts, [2, 3], "[batch, features] or [batch, length, features]");
  }
}

/**
 * Batch normalization of `[batch, H, W, channels]` (channels last): statistics per channel over
 * the batch and both spatial axes.
 * @example
 * const bn = new nn.BatchNorm2d(32);
 * bn.call(np.ones([8, 14, 14, 32])).shape; // [8, 14, 14, 32]
 */
export class BatchNorm2d extends BatchNormNd {
  constructor(features: number, opts: BatchNormOptions = {}) {
    super("BatchNorm2d", features, opts, [4], "[batch, H, W, channels]");
  }
}
