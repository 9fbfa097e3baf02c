/**
 * Per-example normalization layers: `LayerNorm` and `RMSNorm` normalize over the trailing
 * `features` axes, with a learned elementwise scale (and, for LayerNorm, bias).
 */
import { type ArrayLike, ParamState, ShapeError, type Tensor, ValueError, describeValue, np, npUtil } from "@kiln/core";
import { type InitLike, initialize } from "../init.js";
import { Module } from "../module.js";
import { toFloat } from "../special.js";

export interface NormOptions {
  /** Added to the variance (mean square) before the square root; default 1e-5 (LayerNorm) / 1e-6 (RMSNorm). */
  eps?: number;
  /** Learn an elementwise scale (default true); initializer `scaleInit`, default ones. */
  useScale?: boolean;
  scaleInit?: InitLike;
  /** LayerNorm only: learn an elementwise bias (default true); initializer `biasInit`, default zeros. */
  useBias?: boolean;
  biasInit?: InitLike;
}

function featuresOf(who: string, features: unknown): number[] {
  const f = typeof features === "number" ? [features] : features;
  if (!Array.isArray(f) || f.length === 0 || f.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ValueError(`${who}: features must be a positive integer or a non-empty array of them, got ${describeValue(features)}`);
  }
  return [...f];
}

abstract class NormBase extends Module {
  readonly features: readonly number[];
  readonly eps: number;
  readonly scale: ParamState | undefined;
  protected readonly who: string;

  constructor(name: "LayerNorm" | "RMSNorm", features: number | readonly number[], opts: NormOptions, defaultEps: number) {
    super();
    opts = npUtil.optionsOf(name, opts);
    this.features = featuresOf(name, features);
    this.who = `${name}([${this.features.join(", ")}])`;
    this.eps = opts.eps ?? defaultEps;
    if (typeof this.eps !== "number" || !(this.eps >= 0) || !Number.isFinite(this.eps)) throw new ValueError(`${name}: eps must be a finite number ≥ 0, got ${describeValue(this.eps)}`);
    this.scale = opts.useScale === false ? undefined : new ParamState(initialize(opts.scaleInit ?? 1, this.features, `${this.who} scale`));
  }

  /** The input as float with its trailing axes checked; the normalized axes. */
  protected input(x: ArrayLike): [Tensor, number[]] {
    const t = toFloat(x, this.who);
    const k = this.features.length;
    if (t.ndim < k || this.features.some((d, i) => t.shape[t.ndim - k + i] !== d)) {
      throw new ShapeError(`${this.who}: expected an input whose trailing axes are [${this.features.join(", ")}], got shape [${t.shape.join(", ")}]`);
    }
    return [t, Array.from({ length: k }, (_, i) => t.ndim - k + i)];
  }
}

/**
 * Layer normalization (Ba et al. 2016): each example's trailing `features` axes normalized to
 * mean 0 and (biased) variance 1, then `* scale + bias`.
 * @example
 * const ln = new nn.LayerNorm(4);
 * ln.call(np.array([[1, 2, 3, 4]])); // ≈ [[-1.342, -0.447, 0.447, 1.342]]
 */
export class LayerNorm extends NormBase {
  readonly bias: ParamState | undefined;

  constructor(features: number | readonly number[], opts: NormOptions = {}) {
    super("LayerNorm", features, opts, 1e-5);
    this.bias = opts.useBias === false ? undefined : new ParamState(initialize(opts.biasInit ?? 0, this.features, `${this.who} bias`));
  }

  call(x: ArrayLike): Tensor {
    const [t, axis] = this.input(x);
    const centered = t.sub(np.mean(t, { axis, keepdims: true }));
    let y = centered.mul(np.rsqrt(np.mean(np.square(centered), { axis, keepdims: true }).add(this.eps)));
    if (this.scale) y = y.mul(this.scale.value);
    return this.bias ? y.add(this.bias.value) : y;
  }
}

/**
 * Root-mean-square normalization (Zhang & Sennrich 2019): x / √(mean(x²) + eps) over the trailing
 * `features` axes, then `* scale`. Default eps 1e-6 (Flax's).
 * @example
 * const norm = new nn.RMSNorm(2);
 * norm.call(np.array([[3, 4]])); // ≈ [[0.8485, 1.1314]]
 */
export class RMSNorm extends NormBase {
  constructor(features: number | readonly number[], opts: Omit<NormOptions, "useBias" | "biasInit"> = {}) {
    super("RMSNorm", features, opts, 1e-6);
  }

  call(x: ArrayLike): Tensor {
    const [t, axis] = this.input(x);
    const y = t.mul(np.rsqrt(np.mean(np.square(t), { axis, keepdims: true }).add(this.eps)));
    return this.scale ? y.mul(this.scale.value) : y;
  }
}
