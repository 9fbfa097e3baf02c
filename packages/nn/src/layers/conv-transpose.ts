/**
 * Transposed convolution layers `ConvTranspose1d/2d/3d` (the gradient of a convolution with
 * respect to its input, "deconvolution"), channels-last like the other convolution layers.
 * Geometry follows PyTorch's `nn.ConvTranspose2d` (integer `padding`, `outputPadding`), so
 * out = (in − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1.
 */
import { type ArrayLike, ParamState, ShapeError, type Tensor, ValueError, describeValue, lax, np, npUtil } from "@kiln/core";
import { type InitLike, KaimingNormal, initialize } from "../init.js";
import { Module } from "../module.js";
import { toFloat } from "../special.js";
import { CONV_LAYOUTS, promotePair } from "./conv.js";
import { perDim } from "./window-args.js";

export interface ConvTransposeOptions {
  /** Stride per spatial dimension (a number for all): how far apart input positions land in the output. Default 1. */
  stride?: number | readonly number[];
  /** PyTorch's padding: `dilation·(kernel − 1) − padding` zeros are added on each side of the dilated input. Default 0. */
  padding?: number | readonly number[];
  /** Extra output rows on the high side (PyTorch's `output_padding`), each less than its stride or dilation. Default 0. */
  outputPadding?: number | readonly number[];
  /** Kernel dilation per spatial dimension; default 1. */
  dilation?: number | readonly number[];
  /** Feature groups: inChannels and outChannels both divisible by it. Default 1. */
  groups?: number;
  /** Add a learned bias; default true. */
  bias?: boolean;
  /** Weight initializer; default `new init.KaimingNormal()` (fan-in = kernel area · inChannels / groups). */
  wInit?: InitLike;
  /** Bias initializer; default zeros. */
  bInit?: InitLike;
}

/** The shared implementation; `ConvTranspose1d/2d/3d` fix the number of spatial dimensions. */
abstract class ConvTransposeNd extends Module {
  readonly weight: ParamState;
  readonly bias: ParamState | undefined;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
  private readonly who: string;

  constructor(private readonly spatial: number, readonly inChannels: number, readonly outChannels: number, kernelSize: number | readonly number[], opts: ConvTransposeOptions = {}) {
    super();
    const name = `ConvTranspose${spatial}d`;
    opts = npUtil.optionsOf(name, opts);
    for (const [n, v] of [["inChannels", inChannels], ["outChannels", outChannels]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${name}: ${n} must be a positive integer, got ${describeValue(v)}`);
    }
    this.kernelSize = perDim(name, "kernelSize", kernelSize, spatial, 1);
    this.stride = perDim(name, "stride", opts.stride ?? 1, spatial, 1);
    this.dilation = perDim(name, "dilation", opts.dilation ?? 1, spatial, 1);
    this.padding = perDim(name, "padding", opts.padding ?? 0, spatial, 0);
    this.outputPadding = perDim(name, "outputPadding", opts.outputPadding ?? 0, spatial, 0);
    // PyTorch's rule: a larger output padding would add rows no input position reaches.
    this.outputPadding.forEach((p, i) => {
      if (p >= Math.max(this.stride[i]!, this.dilation[i]!)) {
        throw new ValueError(`${name}: outputPadding (${p}) must be smaller than the stride (${this.stride[i]}) or the dilation (${this.dilation[i]}) in dimension ${i}`);
      }
    });
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ValueError(`${name}: groups must be a positive integer dividing inChannels (${inChannels}) and outChannels (${outChannels}), got ${describeValue(groups)}`);
    }
    this.groups = groups;
    this.who = `${name}(${inChannels}, ${outChannels}, [${this.kernelSize.join(", ")}])`;
    this.weight = new ParamState(initialize(opts.wInit ?? new KaimingNormal(), [...this.kernelSize, inChannels / groups, outChannels], `${this.who} weight`));
    this.bias = opts.bias === false ? undefined : new ParamState(initialize(opts.bInit ?? 0, [outChannels], `${this.who} bias`));
  }

  /** x: `[batch, ...spatial, inChannels]` (or unbatched) → `[batch, ...spatialOut, outChannels]`. */
  call(x: ArrayLike): Tensor {
    const [t, w] = promotePair(toFloat(x, this.who), this.weight.value);
    const unbatched = t.ndim === this.spatial + 1;
    if ((t.ndim !== this.spatial + 2 && !unbatched) || t.shape[t.ndim - 1] !== this.inChannels) {
      throw new ShapeError(`${this.who}: expected an input [batch, ${this.spatial} spatial dims, ${this.inChannels}] (channels last), got shape [${t.shape.join(", ")}]`);
    }
    // y[i·s + k·d − p] += x[i]·w[k] is a unit-stride correlation of the stride-dilated input with
    // the flipped kernel, padded by d(k − 1) − p (negative pads crop) plus outputPadding on the high side.
    const outSizes = t.shape.slice(unbatched ? 0 : 1, -1).map((n, i) => (n - 1) * this.stride[i]! - 2 * this.padding[i]! + this.dilation[i]! * (this.kernelSize[i]! - 1) + this.outputPadding[i]! + 1);
    if (outSizes.some((d) => d < 1)) {
      throw new ShapeError(`${this.who}: padding [${this.padding.join(", ")}] leaves no output for an input of shape [${t.shape.join(", ")}] (output sizes [${outSizes.join(", ")}])`);
    }
    const pads = this.kernelSize.map((k, i): [number, number] => {
      const lo = this.dilation[i]! * (k - 1) - this.padding[i]!;
      return [lo, lo + this.outputPadding[i]!];
    });
    const flipped = np.flip(w, Array.from({ length: this.spatial }, (_, i) => i));
    const y = lax.convGeneralDilated(unbatched ? np.expandDims(t, 0) : t, flipped, {
      padding: pads, lhsDilation: this.stride, rhsDilation: this.dilation,
      dimensionNumbers: CONV_LAYOUTS[this.spatial], featureGroupCount: this.groups,
    });
    const out = this.bias ? y.add(this.bias.value) : y;
    return unbatched ? np.squeeze(out, [0]) : out;
  }
}

/**
 * 1-D transposed convolution over `[batch, length, inChannels]`; weight `[k, inChannels / groups, outChannels]`.
 * @example
 * const up = new nn.ConvTranspose1d(4, 2, 4, { stride: 2, padding: 1 });
 * up.call(np.ones([1, 8, 4])).shape; // [1, 16, 2]
 */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvTransposeOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, opts);
  }
}

/**
 * 2-D transposed convolution over `[batch, H, W, inChannels]` (channels last); weight
 * `[kh, kw, inChannels / groups, outChannels]` (Flax's `ConvTranspose` layout). A PyTorch weight
 * `W[in, out / groups, kh, kw]` maps to `w[kh, kw, ci, g·(out / groups) + co] = W[g·(in / groups) + ci, co, kh, kw]`.
 * @example
 * const up = new nn.ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 });
 * up.call(np.ones([2, 7, 7, 16])).shape; // [2, 14, 14, 8]
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvTransposeOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, opts);
  }
}

/**
 * 3-D transposed convolution over `[batch, D, H, W, inChannels]`; weight `[kd, kh, kw, inChannels / groups, outChannels]`.
 * @example
 * new nn.ConvTranspose3d(2, 4, 2, { stride: 2 }).call(np.ones([1, 2, 3, 3, 2])).shape; // [1, 4, 6, 6, 4]
 */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvTransposeOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, opts);
  }
}
