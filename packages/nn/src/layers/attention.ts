/**
 * Scaled dot-product attention (`jax.nn.dot_product_attention`, its XLA path) and the
 * `MultiHeadAttention` layer over it. Layout `[batch, T, heads, headDim]` as JAX (not PyTorch's
 * `[batch, heads, T, headDim]`): it is what a `[batch, T, features]` projection reshapes to.
 */
import { type ArrayLike, DTypeError, ShapeError, type Tensor, ValueError, broadcastShapes, describeValue, isFloat, np, npUtil } from "@kiln/core";
import { type InitLike, XavierUniform } from "../init.js";
import { Module } from "../module.js";
import { softmax } from "../activations.js";
import { toFloat } from "../special.js";
import { Dropout } from "./dropout.js";
import { Linear } from "./linear.js";

export interface AttentionOptions {
  /** Added to the logits before masking; broadcastable to `[batch, heads, T, S]`. */
  bias?: ArrayLike;
  /** Bool, broadcastable to `[batch, heads, T, S]`: true where query t may attend to key s (JAX's convention; PyTorch's `attn_mask` is the opposite). */
  mask?: ArrayLike;
  /** Query t attends only to keys s ≤ t (combined with `mask` by "and"). Default false. */
  isCausal?: boolean;
  /** Multiplies the logits q·k; default 1 / √headDim. */
  scale?: number;
}

// JAX's `_get_large_negative_number`: 0.7 of the dtype's most negative value, so a masked logit
// minus a row's max does not overflow to -inf (which would make a fully masked row 0/0 = NaN).
const LARGE_NEGATIVE: Record<string, number> = { float32: -0.7 * 3.4028234663852886e38, float64: -0.7 * Number.MAX_VALUE };

interface Checked { q: Tensor; k: Tensor; v: Tensor; unbatched: boolean; compute: "float32" | "float64" }

/** Ranks, sizes and dtypes of q [B, T, N, H], k [B, S, K, H], v [B, S, K, H] (or all unbatched), N a multiple of K. */
function checkQkv(who: string, query: ArrayLike, key: ArrayLike, value: ArrayLike): Checked {
  let q = toFloat(query, who), k = toFloat(key, who), v = toFloat(value, who);
  const shapes = `query [${q.shape.join(", ")}], key [${k.shape.join(", ")}], value [${v.shape.join(", ")}]`;
  if (q.ndim !== k.ndim || q.ndim !== v.ndim || (q.ndim !== 4 && q.ndim !== 3)) {
    throw new ShapeError(`${who}: query, key and value must all be [batch, T, heads, headDim] (or all [T, heads, headDim]), got ${shapes}`);
  }
  const unbatched = q.ndim === 3;
  if (unbatched) [q, k, v] = [q, k, v].map((t) => np.expandDims(t, 0)) as [Tensor, Tensor, Tensor];
  const [B, , N, H] = q.shape as [number, number, number, number];
  const [Bk, S, K, Hk] = k.shape as [number, number, number, number];
  const sameKv = v.shape[0] === Bk && v.shape[1] === S && v.shape[2] === K;
  if (Bk !== B || v.shape[0] !== B || Hk !== H || !sameKv || K === 0 || N % K !== 0) {
    throw new ShapeError(`${who}: expected key and value [batch, S, kvHeads, headDim] with query's batch and headDim, value's S and kvHeads equal to key's, and query heads a multiple of kvHeads; got ${shapes}`);
  }
  // Logits and softmax in float32 at least (JAX's preferred_element_type); float64 stays float64.
  const compute = [q, k, v].some((t) => t.dtype === "float64") ? "float64" : "float32";
  // Grouped-query attention: query head n reads kv head ⌊n / (N / K)⌋, as JAX groups them.
  if (K !== N) [k, v] = [k, v].map((t) => np.repeat(t, N / K, { axis: 2 })) as [Tensor, Tensor];
  return { q, k, v, unbatched, compute };
}

/** A bias or mask operand broadcast-checked against [B, N, T, S]. */
function logitsOperand(who: string, name: string, x: ArrayLike, logitShape: readonly number[]): Tensor {
  const t = npUtil.asTensor(x, who);
  if (t.ndim > 4) throw new ShapeError(`${who}: ${name} must broadcast to [batch, heads, T, S] = [${logitShape.join(", ")}], got shape [${t.shape.join(", ")}]`);
  const b = broadcastShapes(`${who} (${name} against the logits [batch, heads, T, S])`, t.shape, logitShape);
  if (b.some((d, i) => d !== logitShape[i])) throw new ShapeError(`${who}: ${name} must broadcast to [batch, heads, T, S] = [${logitShape.join(", ")}], got shape [${t.shape.join(", ")}]`);
  return t;
}

/**
 * The attention weights softmax(scale · q·k + bias, masked) [B, N, T, S] and the checked operands;
 * `combine` turns (possibly dropped-out) weights into the output.
 */
function attentionWeights(who: string, query: ArrayLike, key: ArrayLike, value: ArrayLike, opts: AttentionOptions): { probs: Tensor; c: Checked } {
  const c = checkQkv(who, query, key, value);
  const { q, k, compute } = c;
  const [B, T, N, H] = q.shape as [number, number, number, number];
  const S = k.shape[1]!;
  const scale = opts.scale ?? 1 / Math.sqrt(H);
  if (typeof scale !== "number" || !Number.isFinite(scale)) throw new ValueError(`${who}: scale must be a finite number, got ${describeValue(scale)}`);
  const logitShape = [B, N, T, S];
  let logits = np.einsum("BTNH,BSNH->BNTS", np.astype(q, compute), np.astype(k, compute)).mul(scale);
  if (opts.bias !== undefined) logits = logits.add(np.astype(toFloat(logitsOperand(who, "bias", opts.bias, logitShape), who), compute));
  let mask: Tensor | undefined;
  if (opts.mask !== undefined) {
    mask = logitsOperand(who, "mask", opts.mask, logitShape);
    if (mask.dtype !== "bool") throw new DTypeError(`${who}: mask must be a bool array (true = attend), got ${mask.dtype}; compare first, e.g. np.notEqual(ids, pad)`);
  }
  if (opts.isCausal !== undefined && typeof opts.isCausal !== "boolean") throw new ValueError(`${who}: isCausal must be a boolean, got ${describeValue(opts.isCausal)}`);
  if (opts.isCausal) {
    const causal = np.tril(np.ones([T, S], { dtype: "bool" }));
    mask = mask === undefined ? causal : np.logicalAnd(mask, causal);
  }
  // Masked logits are replaced (not added to), so a fully masked row is uniform: its output is
  // the mean of the values, as JAX's XLA implementation gives.
  if (mask !== undefined) logits = np.where(mask, logits, LARGE_NEGATIVE[compute]!);
  return { probs: softmax(logits), c };
}

/** Σ_s weights[b, n, t, s] · v[b, s, n, h] → [B, T, N, H] in the value's dtype. */
function combine(probs: Tensor, c: Checked): Tensor {
  const out = np.einsum("BNTS,BSNH->BTNH", probs, np.astype(c.v, c.compute));
  const y = isFloat(c.v.dtype) && c.v.dtype !== c.compute ? np.astype(out, c.v.dtype) : out;
  return c.unbatched ? np.squeeze(y, [0]) : y;
}

/**
 * Scaled dot-product attention, `jax.nn.dot_product_attention`:
 * softmax(scale · q kᵀ + bias, masked) v per batch and head, with
 * q `[batch, T, heads, headDim]`, k and v `[batch, S, kvHeads, headDim]` (kvHeads dividing heads:
 * grouped-query attention; or all three without the batch axis). The logits and softmax are
 * computed in float32 (float64 for float64 inputs); the result has the value's dtype.
 * Masked positions get no weight; a query whose every key is masked attends uniformly to all of
 * them (its output is the mean of the values), as JAX's default implementation.
 * @example
 * const q = np.ones([2, 5, 4, 8]), k = np.ones([2, 7, 4, 8]), v = np.ones([2, 7, 4, 8]);
 * nn.dotProductAttention(q, k, v).shape;                       // [2, 5, 4, 8]
 * nn.dotProductAttention(q, q, q, { isCausal: true }).shape;   // [2, 5, 4, 8]
 */
export function dotProductAttention(query: ArrayLike, key: ArrayLike, value: ArrayLike, opts: AttentionOptions = {}, ...extra: undefined[]): Tensor {
  opts = npUtil.optionsOf("dotProductAttention", opts, "dotProductAttention", extra);
  const { probs, c } = attentionWeights("dotProductAttention", query, key, value, opts);
  return combine(probs, c);
}

export interface MultiHeadAttentionOptions {
  /** Width of the query/key/value projections (numHeads · headDim); default `features`. */
  qkvFeatures?: number;
  /** Width of the key/value inputs; default `features`. */
  kvFeatures?: number;
  /** Width of the output projection; default `features`. */
  outFeatures?: number;
  /** Dropout rate on the attention weights while training (`environ` fit), as PyTorch's `dropout`; default 0. */
  dropoutRate?: number;
  /** Biases in the four projections; default true. */
  useBias?: boolean;
  /** Projection weight initializer; default `init.XavierUniform` (PyTorch's `in_proj_weight`). Biases start at zero. */
  wInit?: InitLike;
}

export interface MultiHeadAttentionCallOptions {
  /** Bool mask broadcastable to `[batch, heads, T, S]`, true = attend. */
  mask?: ArrayLike;
  /** Causal self-attention. */
  isCausal?: boolean;
  /** Added to the logits, broadcastable to `[batch, heads, T, S]`. */
  bias?: ArrayLike;
}

/**
 * Multi-head attention (Flax's `MultiHeadDotProductAttention`, PyTorch's `nn.MultiheadAttention`
 * with `batch_first`): query, key and value projections to `numHeads` heads, scaled dot-product
 * attention, dropout on the attention weights, an output projection. States: `query`, `key`,
 * `value`, `out` (each a `Linear` with `weight` [in, out] and `bias`).
 * @example
 * const mha = new nn.MultiHeadAttention(64, 8);
 * const x = np.ones([2, 10, 64]);
 * mha.call(x).shape;                                   // self-attention: [2, 10, 64]
 * mha.call(x, np.ones([2, 3, 64])).shape;              // cross-attention to 3 keys: [2, 10, 64]
 * mha.call(x, undefined, undefined, { isCausal: true }); // decoder-style
 */
export class MultiHeadAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly out: Linear;
  readonly dropout: Dropout;
  readonly headDim: number;
  private readonly who: string;

  constructor(readonly features: number, readonly numHeads: number, opts: MultiHeadAttentionOptions = {}, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("MultiHeadAttention", opts, "MultiHeadAttention", extra);
    const qkv = opts.qkvFeatures ?? features, kv = opts.kvFeatures ?? features, out = opts.outFeatures ?? features;
    for (const [n, v] of [["features", features], ["numHeads", numHeads], ["qkvFeatures", qkv], ["kvFeatures", kv], ["outFeatures", out]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`MultiHeadAttention: ${n} must be a positive integer, got ${describeValue(v)}`);
    }
    if (qkv % numHeads !== 0) throw new ValueError(`MultiHeadAttention: qkvFeatures (${qkv}) must be divisible by numHeads (${numHeads})`);
    this.headDim = qkv / numHeads;
    this.who = `MultiHeadAttention(${features}, ${numHeads})`;
    const wInit = opts.wInit ?? new XavierUniform();
    const bInit = opts.useBias === false ? null : 0;
    this.query = new Linear(features, qkv, { wInit, bInit });
    this.key = new Linear(kv, qkv, { wInit, bInit });
    this.value = new Linear(kv, qkv, { wInit, bInit });
    this.out = new Linear(qkv, out, { wInit, bInit });
    this.dropout = new Dropout(opts.dropoutRate ?? 0);
  }

  /**
   * query `[batch, T, features]` (or `[T, features]`), key and value `[batch, S, kvFeatures]`
   * (key defaults to query, value to key) → `[batch, T, outFeatures]`.
   */
  call(query: ArrayLike, key?: ArrayLike, value?: ArrayLike, opts: MultiHeadAttentionCallOptions = {}, ...extra: undefined[]): Tensor {
    opts = npUtil.optionsOf("MultiHeadAttention.call", opts, this.who, extra);
    const q = toFloat(query, this.who);
    const k = key === undefined ? q : toFloat(key, this.who);
    const v = value === undefined ? k : toFloat(value, this.who);
    if ((q.ndim !== 2 && q.ndim !== 3) || k.ndim !== q.ndim || v.ndim !== q.ndim) {
      throw new ShapeError(`${this.who}: expected query, key and value [batch, length, features] (or all unbatched), got [${q.shape.join(", ")}], [${k.shape.join(", ")}], [${v.shape.join(", ")}]`);
    }
    const heads = (t: Tensor) => t.reshape([...t.shape.slice(0, -1), this.numHeads, this.headDim]);
    const { probs, c } = attentionWeights(this.who, heads(this.query.call(q)), heads(this.key.call(k)), heads(this.value.call(v)), opts);
    const y = combine(this.dropout.call(probs), c);
    return this.out.call(y.reshape([...y.shape.slice(0, -2), this.numHeads * this.headDim]));
  }
}
