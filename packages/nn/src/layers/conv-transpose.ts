/**
 * Transposed convolution layers `ConvTranspose1d/2d/3d` (the gradient of a convolution with
 * respect to its input, "deconvolution"), channels-last like the other convolution layers.
 * Geometry follows PyTorch's `nn.ConvTranspose2d` (integer `padding`, `outputPadding`), so
 * out = (in − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1.
 */
import { ShapeError, type Tensor, ValueError, lax, np, npUtil } from "@kiln/core";
import { type InitLike } from "../init.js";
import { CONV_LAYOUTS, ConvLayer } from "./conv.js";
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
abstract class ConvTransposeNd extends ConvLayer {
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];

  constructor(spatial: number, inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts: ConvTransposeOptions = {}, ...extra: undefined[]) {
    opts = npUtil.optionsOf("ConvTranspose", opts, `ConvTranspose${spatial}d`, extra);
    super(spatial, "ConvTranspose", inChannels, outChannels, kernelSize, opts);
    this.padding = perDim(this.name, "padding", opts.padding ?? 0, spatial, 0);
    this.outputPadding = perDim(this.name, "outputPadding", opts.outputPadding ?? 0, spatial, 0);
    // PyTorch's rule: a larger output padding would add rows no input position reaches.
    this.outputPadding.forEach((p, i) => {
      if (p >= Math.max(this.stride[i]!, this.dilation[i]!)) {
        throw new ValueError(`${this.name}: outputPadding (${p}) must be smaller than the stride (${this.stride[i]}) or the dilation (${this.dilation[i]}) in dimension ${i}`);
      }
    });
  }

  protected convolve(x: Tensor, w: Tensor): Tensor {
    const outSizes = x.shape.slice(1, -1).map((n, i) => (n - 1) * this.stride[i]! - 2 * this.padding[i]! + this.dilation[i]! * (this.kernelSize[i]! - 1) + this.outputPadding[i]! + 1);
    if (outSizes.some((d) => d < 1)) {
      throw new ShapeError(`${this.who}: padding [${this.padding.join(", ")}] leaves no output for an input of shape [${x.shape.join(", ")}] (output sizes [${outSizes.join(", ")}])`);
    }
    // y[i·s + k·d − p] += x[i]·w[k] is a unit-stride correlation of the stride-dilated input with
    // the flipped kernel, padded by d(k − 1) − p (negative pads crop) plus outputPadding on the high side.
    const pads = this.kernelSize.map((k, i): [number, number] => {
      const lo = this.dilation[i]! * (k - 1) - this.padding[i]!;
      return [lo, lo + this.outputPadding[i]!];
    });
    return lax.convGeneralDilated(x, np.flip(w, Array.from({ length: this.spatial }, (_, i) => i)), {
      padding: pads, lhsDilation: this.stride, rhsDilation: this.dilation,
      dimensionNumbers: CONV_LAYOUTS[this.spatial], featureGroupCount: this.groups,
    });
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
