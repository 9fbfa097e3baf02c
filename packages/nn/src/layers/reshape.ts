/**
 * Shape layers: `Flatten` and `Reshape` keep the batch axis and rearrange the rest.
 */
import { type ArrayLike, ShapeError, type Tensor, ValueError, describeValue, np, npUtil } from "@kiln/core";
import { Module } from "../module.js";

/**
 * Flattens axes `startDim..endDim` (default 1..-1, everything but the batch axis) into one, as
 * PyTorch's `nn.Flatten`.
 * @example new nn.Flatten().call(np.ones([8, 7, 7, 32])).shape // [8, 1568]
 */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    for (const [n, v] of [["startDim", startDim], ["endDim", endDim]] as const) {
      if (!Number.isInteger(v)) throw new ValueError(`Flatten: ${n} must be an integer, got ${describeValue(v)}`);
    }
  }

  call(x: ArrayLike): Tensor {
    const t = npUtil.asTensor(x, "Flatten");
    const norm = (a: number) => (a < 0 ? a + t.ndim : a);
    const s = norm(this.startDim), e = norm(this.endDim);
    if (s < 0 || e >= t.ndim || s > e) {
      throw new ShapeError(`Flatten: axes ${this.startDim}..${this.endDim} do not fit an input of shape [${t.shape.join(", ")}]`);
    }
    const merged = t.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return np.reshape(t, [...t.shape.slice(0, s), merged, ...t.shape.slice(e + 1)]);
  }
}

/**
 * Reshapes each example: `[batch, ...]` → `[batch, ...shape]` (one entry of `shape` may be -1).
 * @example new nn.Reshape([7, 7, 32]).call(np.ones([8, 1568])).shape // [8, 7, 7, 32]
 */
export class Reshape extends Module {
  readonly shape: readonly number[];
  constructor(shape: readonly number[], ...extra: undefined[]) {
    super();
    npUtil.noExtraArgs("Reshape", 1, extra);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < -1) || shape.filter((d) => d === -1).length > 1) {
      throw new ValueError(`Reshape: shape must be non-negative integers with at most one -1, got ${describeValue(shape)}`);
    }
    this.shape = [...shape];
  }

  call(x: ArrayLike): Tensor {
    const t = npUtil.asTensor(x, "Reshape");
    if (t.ndim === 0) throw new ShapeError("Reshape: expected an input with a batch axis, got a scalar");
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const known = this.shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const fits = this.shape.includes(-1) ? known > 0 ? per % known === 0 : per === 0 : known === per;
    if (!fits) throw new ShapeError(`Reshape: cannot reshape examples of shape [${t.shape.slice(1).join(", ")}] to [${this.shape.join(", ")}]`);
    return np.reshape(t, [t.shape[0]!, ...this.shape]);
  }
}
