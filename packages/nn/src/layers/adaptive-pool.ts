/**
 * Adaptive average pooling (PyTorch's `AdaptiveAvgPool1d/2d/3d`): the output size is given and
 * each output position i of an axis of length L averages input positions
 * [floor(i·L / out), ceil((i + 1)·L / out)) — PyTorch's start/end formula, so windows may
 * overlap or differ in length when out does not divide L.
 */
import { type ArrayLike, ShapeError, type Tensor, np, npUtil } from "@kiln/core";
import { Module } from "../module.js";
import { toFloat } from "../special.js";
import { perDim } from "./window-args.js";

/**
 * The [out, length] matrix whose row i holds 1 / (end − start) over PyTorch's window of output i.
 * @example adaptiveAvgMatrix(3, 2) // [[0.5, 0.5, 0], [0, 0.5, 0.5]]
 */
export function adaptiveAvgMatrix(length: number, out: number): number[][] {
  return Array.from({ length: out }, (_, i) => {
    const start = Math.floor((i * length) / out), end = Math.ceil(((i + 1) * length) / out);
    return Array.from({ length }, (_, j) => (j >= start && j < end ? 1 / (end - start) : 0));
  });
}

abstract class AdaptiveAvgPoolNd extends Module {
  readonly outputSize: readonly number[];
  private readonly who: string;

  constructor(private readonly spatial: number, outputSize: number | readonly number[]) {
    super();
    const name = `AdaptiveAvgPool${spatial}d`;
    this.outputSize = perDim(name, "outputSize", outputSize, spatial, 1);
    this.who = `${name}([${this.outputSize.join(", ")}])`;
  }

  /** x: `[batch, ...spatial, channels]` (or unbatched) → `[batch, ...outputSize, channels]`. */
  call(x: ArrayLike): Tensor {
    let t = toFloat(x, this.who);
    const first = t.ndim - 1 - this.spatial;
    if (first !== 0 && first !== 1) {
      throw new ShapeError(`${this.who}: expected an input [batch, ${this.spatial} spatial dims, channels] (channels last), got shape [${t.shape.join(", ")}]`);
    }
    // A box average is separable: average along each spatial axis in turn with its constant
    // pooling matrix (one matmul per axis, exact gradients for free, no per-window slices).
    for (let i = 0; i < this.spatial; i++) {
      const axis = first + i, length = t.shape[axis]!;
      if (length === this.outputSize[i]) continue;
      const m = np.array(adaptiveAvgMatrix(length, this.outputSize[i]!), { dtype: t.dtype });
      t = np.moveaxis(np.tensordot(m, t, [[1], [axis]]), 0, axis);
    }
    return t;
  }
}

/**
 * Averages `[batch, length, channels]` down to `[batch, outputSize, channels]`.
 * @example new nn.AdaptiveAvgPool1d(2).call(np.array([[[1], [2], [3]]])) // [[[1.5], [2.5]]]
 */
export class AdaptiveAvgPool1d extends AdaptiveAvgPoolNd {
  constructor(outputSize: number | readonly number[], ...extra: undefined[]) {
    super(1, outputSize);
    npUtil.noExtraArgs("AdaptiveAvgPool1d", 1, extra);
  }
}

/**
 * Averages `[batch, H, W, channels]` down to `[batch, outH, outW, channels]`.
 * @example new nn.AdaptiveAvgPool2d([1, 1]).call(np.ones([8, 7, 7, 32])).shape // [8, 1, 1, 32]
 */
export class AdaptiveAvgPool2d extends AdaptiveAvgPoolNd {
  constructor(outputSize: number | readonly number[], ...extra: undefined[]) {
    super(2, outputSize);
    npUtil.noExtraArgs("AdaptiveAvgPool2d", 1, extra);
  }
}

/**
 * Averages `[batch, D, H, W, channels]` down to `[batch, ...outputSize, channels]`.
 * @example new nn.AdaptiveAvgPool3d(2).call(np.ones([1, 4, 5, 6, 3])).shape // [1, 2, 2, 2, 3]
 */
export class AdaptiveAvgPool3d extends AdaptiveAvgPoolNd {
  constructor(outputSize: number | readonly number[], ...extra: undefined[]) {
    super(3, outputSize);
    npUtil.noExtraArgs("AdaptiveAvgPool3d", 1, extra);
  }
}
