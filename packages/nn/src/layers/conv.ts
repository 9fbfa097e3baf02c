/**
 * Convolution layers `Conv1d`, `Conv2d`, `Conv3d` over `lax.convGeneralDilated`. Channels-last, as
 * BrainState and Flax (API.md): inputs `[batch, ...spatial, inChannels]`, weight
 * `[...kernel, inChannels / groups, outChannels]` (HWIO), so no transpose surrounds the convolution.
 */
import { type ArrayLike, ParamState, ShapeError, type Tensor, ValueError, describeValue, lax, np, npUtil } from "@kiln/core";
import { type InitLike, KaimingNormal, initialize } from "../init.js";
import { Module } from "../module.js";
import { toFloat } from "../special.js";
import { type PaddingLike, paddingOf, perDim } from "./window-args.js";

export interface ConvOptions {
  /** Stride per spatial dimension (a number for all); default 1. */
  stride?: number | readonly number[];
  /** `"SAME"`, `"VALID"` (default), a pad for every side, or per dimension a pad or `[lo, hi]`. */
  padding?: PaddingLike;
  /** Kernel dilation (atrous convolution) per spatial dimension; default 1. */
  dilation?: number | readonly number[];
  /** Feature groups: inChannels and outChannels both divisible by it; `groups = inChannels` is depthwise. Default 1. */
  groups?: number;
  /** Add a learned bias; default true. */
  bias?: boolean;
  /** Weight initializer; default `new init.KaimingNormal()` (fan-in counts the kernel's receptive field). */
  wInit?: InitLike;
  /** Bias initializer; default zeros. */
  bInit?: InitLike;
}

/** The channels-last dimension numbers per spatial rank (JAX string form). */
export const CONV_LAYOUTS: Record<number, readonly [string, string, string]> = {
  1: ["NWC", "WIO", "NWC"],
  2: ["NHWC", "HWIO", "NHWC"],
  3: ["NDHWC", "DHWIO", "NDHWC"],
};

/**
 * An input and a weight in one float dtype: lax does not promote, the layers do, as Linear's
 * matmul (float32 with float64 gives float64).
 * @example promotePair(np.ones([2], { dtype: "float64" }), np.ones([2]))[1].dtype // "float64"
 */
export function promotePair(t: Tensor, w: Tensor): [Tensor, Tensor] {
  if (t.dtype === w.dtype) return [t, w];
  const common = t.dtype === "float64" || w.dtype === "float64" ? "float64" : "float32";
  return [np.astype(t, common), np.astype(w, common)];
}

/** What every convolution layer takes (`ConvOptions` adds the padding, `ConvTransposeOptions` its own geometry). */
export interface ConvBaseOptions {
  stride?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  bias?: boolean;
  wInit?: InitLike;
  bInit?: InitLike;
}

/**
 * The parameters, argument checks and input handling shared by `Conv1d/2d/3d` and
 * `ConvTranspose1d/2d/3d`; a subclass supplies only its `lax` convolution.
 */
export abstract class ConvLayer extends Module {
  readonly weight: ParamState;
  readonly bias: ParamState | undefined;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
  protected readonly name: string;
  protected readonly who: string;

  constructor(protected readonly spatial: number, kind: string, readonly inChannels: number, readonly outChannels: number, kernelSize: number | readonly number[], opts: ConvBaseOptions) {
    super();
    const name = `${kind}${spatial}d`;
    this.name = name;
    for (const [n, v] of [["inChannels", inChannels], ["outChannels", outChannels]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${name}: ${n} must be a positive integer, got ${describeValue(v)}`);
    }
    this.kernelSize = perDim(name, "kernelSize", kernelSize, spatial, 1);
    this.stride = perDim(name, "stride", opts.stride ?? 1, spatial, 1);
    this.dilation = perDim(name, "dilation", opts.dilation ?? 1, spatial, 1);
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ValueError(`${name}: groups must be a positive integer dividing inChannels (${inChannels}) and outChannels (${outChannels}), got ${describeValue(groups)}`);
    }
    this.groups = groups;
    this.who = `${name}(${inChannels}, ${outChannels}, [${this.kernelSize.join(", ")}])`;
    this.weight = new ParamState(initialize(opts.wInit ?? new KaimingNormal(), [...this.kernelSize, inChannels / groups, outChannels], `${this.who} weight`));
    this.bias = opts.bias === false ? undefined : new ParamState(initialize(opts.bInit ?? 0, [outChannels], `${this.who} bias`));
  }

  /** The batched input `[batch, ...spatial, inChannels]` and weight in one float dtype. */
  protected abstract convolve(x: Tensor, w: Tensor): Tensor;

  /** x: `[batch, ...spatial, inChannels]` (or unbatched `[...spatial, inChannels]`) → `[batch, ...spatialOut, outChannels]`. */
  call(x: ArrayLike): Tensor {
    const [t, w] = promotePair(toFloat(x, this.who), this.weight.value);
    const unbatched = t.ndim === this.spatial + 1;
    if ((t.ndim !== this.spatial + 2 && !unbatched) || t.shape[t.ndim - 1] !== this.inChannels) {
      throw new ShapeError(`${this.who}: expected an input [batch, ${this.spatial} spatial dims, ${this.inChannels}] (channels last), got shape [${t.shape.join(", ")}]`);
    }
    const y = this.convolve(unbatched ? np.expandDims(t, 0) : t, w);
    const out = this.bias ? y.add(this.bias.value) : y;
    return unbatched ? np.squeeze(out, [0]) : out;
  }
}

/** The shared implementation; `Conv1d/2d/3d` fix the number of spatial dimensions. */
abstract class ConvNd extends ConvLayer {
  readonly padding: lax.Padding;

  constructor(spatial: number, inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvOptions = {}, ...extra: undefined[]) {
    opts = npUtil.optionsOf("Conv", opts, `Conv${spatial}d`, extra);
    super(spatial, "Conv", inChannels, outChannels, kernelSize, opts);
    this.padding = paddingOf(this.name, opts.padding ?? "VALID", spatial);
  }

  protected convolve(x: Tensor, w: Tensor): Tensor {
    return lax.convGeneralDilated(x, w, {
      windowStrides: this.stride, padding: this.padding, rhsDilation: this.dilation,
      dimensionNumbers: CONV_LAYOUTS[this.spatial], featureGroupCount: this.groups,
    });
  }
}

/**
 * 1-D convolution over `[batch, length, inChannels]`; weight `[k, inChannels / groups, outChannels]`.
 * @example
 * const conv = new nn.Conv1d(4, 8, 3, { padding: "SAME" });
 * conv.call(np.ones([2, 16, 4])).shape; // [2, 16, 8]
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, opts);
  }
}

/**
 * 2-D convolution over `[batch, H, W, inChannels]` (channels last, as BrainState/Flax);
 * weight `[kh, kw, inChannels / groups, outChannels]` (HWIO).
 * @example
 * const conv = new nn.Conv2d(1, 16, 3, { padding: "SAME", stride: 2 });
 * conv.call(np.ones([8, 28, 28, 1])).shape; // [8, 14, 14, 16]
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, opts);
  }
}

/**
 * 3-D convolution over `[batch, D, H, W, inChannels]`; weight `[kd, kh, kw, inChannels / groups, outChannels]`.
 * @example
 * const conv = new nn.Conv3d(2, 4, [1, 3, 3]);
 * conv.call(np.ones([1, 4, 8, 8, 2])).shape; // [1, 4, 6, 6, 4]
 */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, opts);
  }
}
