/**
 * Pooling layers over `lax.reduceWindow` (kiln, like JAX, has no pooling primitive: a pool is one
 * fused elementwise kernel of strided slices). Channels-last: `[batch, ...spatial, channels]`.
 */
import { type ArrayLike, ShapeError, type Tensor, ValueError, lax, np, npUtil } from "@kiln/core";
import { Module } from "../module.js";
import { toFloat } from "../special.js";
import { type PaddingLike, paddingOf, perDim } from "./window-args.js";

export interface PoolOptions {
  /** Stride per spatial dimension; default the window size (non-overlapping windows, as PyTorch). */
  stride?: number | readonly number[];
  /** `"SAME"`, `"VALID"` (default), a pad for every side, or per dimension a pad or `[lo, hi]`. */
  padding?: PaddingLike;
}

export interface AvgPoolOptions extends PoolOptions {
  /** Divide by the full window size even where it covers padding (default true, as PyTorch and Flax); false divides by the real elements. */
  countIncludePad?: boolean;
}

abstract class PoolNd extends Module {
  readonly windowSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: lax.Padding;
  protected readonly who: string;

  constructor(protected readonly spatial: number, kind: "MaxPool" | "AvgPool", windowSize: number | readonly number[], opts: PoolOptions, ...extra: undefined[]) {
    super();
    const name = `${kind}${spatial}d`;
    opts = npUtil.optionsOf(kind, opts, name, extra);
    this.windowSize = perDim(name, "windowSize", windowSize, spatial, 1);
    this.stride = perDim(name, "stride", opts.stride ?? this.windowSize, spatial, 1);
    this.padding = paddingOf(name, opts.padding ?? "VALID", spatial);
    this.who = `${name}([${this.windowSize.join(", ")}])`;
  }

  /** The input as float, checked, with a batch axis; whether it was added. */
  protected input(x: ArrayLike): [Tensor, boolean] {
    const t = toFloat(x, this.who);
    const unbatched = t.ndim === this.spatial + 1;
    if (t.ndim !== this.spatial + 2 && !unbatched) {
      throw new ShapeError(`${this.who}: expected an input [batch, ${this.spatial} spatial dims, channels] (channels last), got shape [${t.shape.join(", ")}]`);
    }
    return [unbatched ? np.expandDims(t, 0) : t, unbatched];
  }

  /** reduceWindow over the spatial axes only (window 1 on batch and channels). */
  protected windowed(t: Tensor, init: number, op: "max" | "sum"): Tensor {
    const pad: lax.Padding = typeof this.padding === "string" ? this.padding : [[0, 0], ...this.padding, [0, 0]];
    return lax.reduceWindow(t, init, op, [1, ...this.windowSize, 1], [1, ...this.stride, 1], pad);
  }
}

class MaxPoolNd extends PoolNd {
  call(x: ArrayLike): Tensor {
    const [t, unbatched] = this.input(x);
    const y = this.windowed(t, -Infinity, "max");
    return unbatched ? np.squeeze(y, [0]) : y;
  }
}

class AvgPoolNd extends PoolNd {
  readonly countIncludePad: boolean;
  constructor(spatial: number, windowSize: number | readonly number[], opts: AvgPoolOptions) {
    super(spatial, "AvgPool", windowSize, opts);
    const c = opts.countIncludePad ?? true;
    if (typeof c !== "boolean") throw new ValueError(`${this.who}: countIncludePad must be a boolean`);
    this.countIncludePad = c;
  }

  call(x: ArrayLike): Tensor {
    const [t, unbatched] = this.input(x);
    const sums = this.windowed(t, 0, "sum");
    const counts = this.countIncludePad
      ? this.windowSize.reduce((a, b) => a * b, 1)
      // Real elements per window: the same window sum over ones (one image, one channel; it broadcasts).
      : this.windowed(np.ones([1, ...t.shape.slice(1, -1), 1], { dtype: t.dtype }), 0, "sum");
    const y = sums.div(counts);
    return unbatched ? np.squeeze(y, [0]) : y;
  }
}

/**
 * Max over each window of `[batch, length, channels]`.
 * @example new nn.MaxPool1d(2).call(np.array([[[1], [3], [2], [0]]])) // [[[3], [2]]]
 */
export class MaxPool1d extends MaxPoolNd {
  constructor(windowSize: number | readonly number[], opts: PoolOptions = {}) {
    super(1, "MaxPool", windowSize, opts);
  }
}

/**
 * Max over each window of `[batch, H, W, channels]`; stride defaults to the window (non-overlapping).
 * For gradients the first maximum of a window gets it (JAX's select-and-scatter).
 * @example new nn.MaxPool2d(2).call(np.ones([8, 28, 28, 16])).shape // [8, 14, 14, 16]
 */
export class MaxPool2d extends MaxPoolNd {
  constructor(windowSize: number | readonly number[], opts: PoolOptions = {}) {
    super(2, "MaxPool", windowSize, opts);
  }
}

/**
 * Mean over each window of `[batch, length, channels]`.
 * @example new nn.AvgPool1d(2).call(np.array([[[1], [3], [2], [0]]])) // [[[2], [1]]]
 */
export class AvgPool1d extends AvgPoolNd {
  constructor(windowSize: number | readonly number[], opts: AvgPoolOptions = {}) {
    super(1, windowSize, opts);
  }
}

/**
 * Mean over each window of `[batch, H, W, channels]`; with padding, `countIncludePad: false`
 * divides by the number of real elements in each window.
 * @example new nn.AvgPool2d(2).call(np.ones([8, 28, 28, 16])).shape // [8, 14, 14, 16]
 */
export class AvgPool2d extends AvgPoolNd {
  constructor(windowSize: number | readonly number[], opts: AvgPoolOptions = {}) {
    super(2, windowSize, opts);
  }
}

/**
 * Max over each window of `[batch, D, H, W, channels]`.
 * @example new nn.MaxPool3d(2).call(np.ones([1, 4, 4, 4, 3])).shape // [1, 2, 2, 2, 3]
 */
export class MaxPool3d extends MaxPoolNd {
  constructor(windowSize: number | readonly number[], opts: PoolOptions = {}) {
    super(3, "MaxPool", windowSize, opts);
  }
}

/**
 * Mean over each window of `[batch, D, H, W, channels]`.
 * @example new nn.AvgPool3d([1, 2, 2]).call(np.ones([1, 4, 4, 4, 3])).shape // [1, 4, 2, 2, 3]
 */
export class AvgPool3d extends AvgPoolNd {
  constructor(windowSize: number | readonly number[], opts: AvgPoolOptions = {}) {
    super(3, windowSize, opts);
  }
}

/**
 * Mean over every spatial axis: `[batch, ...spatial, channels]` → `[batch, channels]`.
 * @example new nn.GlobalAvgPool().call(np.ones([8, 7, 7, 32])).shape // [8, 32]
 */
export class GlobalAvgPool extends Module {
  constructor(...extra: undefined[]) {
    super();
    npUtil.noExtraArgs("GlobalAvgPool", 0, extra);
  }

  call(x: ArrayLike): Tensor {
    const t = toFloat(x, "GlobalAvgPool");
    if (t.ndim < 3) throw new ShapeError(`GlobalAvgPool: expected an input [batch, ...spatial, channels] of rank ≥ 3, got shape [${t.shape.join(", ")}]`);
    return np.mean(t, { axis: Array.from({ length: t.ndim - 2 }, (_, i) => i + 1) });
  }
}
