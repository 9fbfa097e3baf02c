/**
 * `Linear`: y = x W + b with W of shape [inFeatures, outFeatures] (BrainState's layout, so no
 * transpose in the forward pass).
 */
import { type ArrayLike, ParamState, ShapeError, type Tensor, ValueError, describeValue, np, npUtil } from "@kiln/core";
import { type InitLike, KaimingNormal, initialize } from "../init.js";
import { Module } from "../module.js";

export interface LinearOptions {
  /** Weight initializer; default `new init.KaimingNormal()` (BrainState's default). */
  wInit?: InitLike;
  /** Bias initializer; default zeros. `null` builds the layer without a bias. */
  bInit?: InitLike | null;
}

function checkFeatures(who: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`${who}: ${name} must be a non-negative integer, got ${typeof n === "number" ? n : describeValue(n)}`);
}

/**
 * A fully connected layer: `call(x)` = x @ weight + bias over the last axis of `x`.
 * States: `weight` (ParamState [inFeatures, outFeatures]) and `bias` (ParamState [outFeatures]).
 * @example
 * const layer = new nn.Linear(3, 2, { wInit: new nn.init.Constant(1) });
 * layer.call(np.ones([4, 3])); // float32[4, 2] of 3
 */
export class Linear extends Module {
  readonly weight: ParamState;
  readonly bias: ParamState | undefined;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("Linear", opts, "Linear", extra);
    // Checked before they are formatted: a Symbol or an object's toString would throw a TypeError first.
    checkFeatures("Linear", "inFeatures", inFeatures);
    checkFeatures("Linear", "outFeatures", outFeatures);
    const who = `Linear(${inFeatures}, ${outFeatures})`;
    this.weight = new ParamState(initialize(opts.wInit ?? new KaimingNormal(), [inFeatures, outFeatures], `${who} weight`));
    this.bias = opts.bInit === null ? undefined : new ParamState(initialize(opts.bInit ?? 0, [outFeatures], `${who} bias`));
  }

  /** x: [..., inFeatures] → [..., outFeatures]. */
  call(x: ArrayLike): Tensor {
    const t = npUtil.asTensor(x, "Linear");
    if (t.ndim === 0 || t.shape[t.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.outFeatures}): expected an input whose last axis has size ${this.inFeatures}, got shape [${t.shape.join(", ")}]`);
    }
    const y = np.matmul(t, this.weight.value);
    return this.bias ? y.add(this.bias.value) : y;
  }
}
