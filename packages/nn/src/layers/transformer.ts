/**
 * `TransformerEncoderLayer`: PyTorch's `nn.TransformerEncoderLayer` (self-attention block and a
 * two-layer feed-forward block, each with a residual connection, dropout and LayerNorm), batch
 * first.
 */
import { type ArrayLike, ShapeError, type Tensor, ValueError, describeValue, jsonOf, npUtil } from "@kiln/core";
import { gelu, relu } from "../activations.js";
import { Module } from "../module.js";
import { toFloat } from "../special.js";
import { MultiHeadAttention, type MultiHeadAttentionCallOptions } from "./attention.js";
import { Dropout } from "./dropout.js";
import { Linear } from "./linear.js";
import { LayerNorm } from "./norm.js";

export interface TransformerEncoderLayerOptions {
  /** Hidden width of the feed-forward block; default 2048 (PyTorch). */
  dimFeedforward?: number;
  /** Dropout rate on the attention weights, inside the feed-forward block and on both residual branches; default 0.1 (PyTorch). */
  dropout?: number;
  /** `"relu"` (default, PyTorch), `"gelu"` (exact erf GELU, as PyTorch's), or a function. */
  activation?: "relu" | "gelu" | ((x: Tensor) => Tensor);
  /** LayerNorm epsilon; default 1e-5. */
  layerNormEps?: number;
  /** Pre-LN (`x + f(norm(x))`) instead of the default post-LN (`norm(x + f(x))`), as PyTorch's `norm_first`. */
  normFirst?: boolean;
  /** Biases in the linear layers and LayerNorms; default true. */
  bias?: boolean;
}

const ACTIVATIONS = {
  relu: (x: Tensor) => relu(x),
  gelu: (x: Tensor) => gelu(x, { approximate: false }),
} as const satisfies Record<string, (x: Tensor) => Tensor>;

/**
 * One transformer encoder block over `[batch, T, dModel]` (PyTorch's layer with
 * `batch_first: true`). Post-LN (default):
 * `x = norm1(x + drop(selfAttn(x)))`, `x = norm2(x + drop(ff(x)))`; pre-LN (`normFirst`):
 * `x = x + drop(selfAttn(norm1(x)))`, `x = x + drop(ff(norm2(x)))`, with
 * `ff(x) = linear2(drop(activation(linear1(x))))`. Masks follow `dotProductAttention`
 * (bool, true = attend — the opposite of PyTorch's `src_mask`).
 * @example
 * const layer = new nn.TransformerEncoderLayer(128, 8, { dimFeedforward: 512, normFirst: true });
 * layer.call(np.ones([16, 32, 128]), { isCausal: true }).shape; // [16, 32, 128]
 */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiHeadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout: Dropout;
  readonly normFirst: boolean;
  private readonly activation: (x: Tensor) => Tensor;
  private readonly who: string;

  constructor(readonly dModel: number, readonly numHeads: number, opts: TransformerEncoderLayerOptions = {}, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("TransformerEncoderLayer", opts, "TransformerEncoderLayer", extra);
    this.who = `TransformerEncoderLayer(${jsonOf(dModel)}, ${jsonOf(numHeads)})`;
    const dff = opts.dimFeedforward ?? 2048;
    if (!Number.isInteger(dff) || dff < 1) throw new ValueError(`${this.who}: dimFeedforward must be a positive integer, got ${describeValue(dff)}`);
    const act = opts.activation ?? "relu";
    if (typeof act === "function") this.activation = act;
    else if (typeof act === "string" && Object.hasOwn(ACTIVATIONS, act)) this.activation = ACTIVATIONS[act];
    else throw new ValueError(`${this.who}: activation must be "relu", "gelu" or a function, got ${describeValue(act)}`);
    if (opts.normFirst !== undefined && typeof opts.normFirst !== "boolean") throw new ValueError(`${this.who}: normFirst must be a boolean`);
    this.normFirst = opts.normFirst ?? false;
    const rate = opts.dropout ?? 0.1;
    const useBias = opts.bias !== false;
    this.selfAttn = new MultiHeadAttention(dModel, numHeads, { dropoutRate: rate, useBias });
    this.linear1 = new Linear(dModel, dff, { bInit: useBias ? 0 : null });
    this.linear2 = new Linear(dff, dModel, { bInit: useBias ? 0 : null });
    const eps = opts.layerNormEps ?? 1e-5;
    this.norm1 = new LayerNorm(dModel, { eps, useBias });
    this.norm2 = new LayerNorm(dModel, { eps, useBias });
    // One Dropout for every site: it holds no State, each call draws a fresh mask.
    this.dropout = new Dropout(rate);
  }

  /** x: `[batch, T, dModel]` (or `[T, dModel]`) → the same shape. */
  call(x: ArrayLike, opts: MultiHeadAttentionCallOptions = {}, ...extra: undefined[]): Tensor {
    opts = npUtil.optionsOf("TransformerEncoderLayer.call", opts, this.who, extra);
    const t = toFloat(x, this.who);
    if ((t.ndim !== 3 && t.ndim !== 2) || t.shape[t.ndim - 1] !== this.dModel) {
      throw new ShapeError(`${this.who}: expected an input [batch, T, ${this.dModel}] (or [T, ${this.dModel}]), got shape [${t.shape.join(", ")}]`);
    }
    const attn = (h: Tensor) => this.dropout.call(this.selfAttn.call(h, h, h, opts));
    const ff = (h: Tensor) => this.dropout.call(this.linear2.call(this.dropout.call(this.activation(this.linear1.call(h)))));
    if (this.normFirst) {
      const h = t.add(attn(this.norm1.call(t)));
      return h.add(ff(this.norm2.call(h)));
    }
    const h = this.norm1.call(t.add(attn(t)));
    return this.norm2.call(h.add(ff(h)));
  }
}
