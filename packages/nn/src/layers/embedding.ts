/**
 * `Embedding`: a lookup table of `num` learned vectors of size `features`.
 */
import { type ArrayLike, DTypeError, ParamState, type Tensor, ValueError, describeValue, isFloat, np, npUtil } from "@kiln/core";
import { type InitLike, Normal, initialize } from "../init.js";
import { Module } from "../module.js";

export interface EmbeddingOptions {
  /** Table initializer; default `new init.Normal()` (standard normal, as PyTorch and Flax). */
  embeddingInit?: InitLike;
}

/**
 * `call(ids)` = `weight[ids]`: integer ids of any shape → `[...ids.shape, features]`.
 * State: `weight` (ParamState [num, features]). Ids outside [0, num) are not checked (they are
 * data in the graph); they follow `np.take`'s out-of-range rule.
 * @example
 * const emb = new nn.Embedding(100, 16);
 * emb.call(np.array([[1, 5, 7]], { dtype: "int32" })).shape; // [1, 3, 16]
 */
export class Embedding extends Module {
  readonly weight: ParamState;

  constructor(readonly num: number, readonly features: number, opts: EmbeddingOptions = {}, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("Embedding", opts, "Embedding", extra);
    for (const [n, v] of [["num", num], ["features", features]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`Embedding: ${n} must be a positive integer, got ${describeValue(v)}`);
    }
    this.weight = new ParamState(initialize(opts.embeddingInit ?? new Normal(), [num, features], `Embedding(${num}, ${features}) weight`));
  }

  call(ids: ArrayLike): Tensor {
    const t = npUtil.asTensor(ids, "Embedding");
    if (isFloat(t.dtype) || t.dtype === "bool") throw new DTypeError(`Embedding(${this.num}, ${this.features}): ids must be integers (int32), got ${t.dtype}`);
    return np.take(this.weight.value, t, { axis: 0 });
  }
}
