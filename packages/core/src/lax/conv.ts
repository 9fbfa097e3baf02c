/**
 * Convolutions (`jax.lax.conv_general_dilated` and its wrappers), as compositions of existing
 * primitives — no convolution primitive exists:
 *
 *   lhs → transpose to [N, C, spatial…] → lhs dilation (interior padding) → padding
 *       → one strided slice per kernel offset, stacked → [N, C, K, P]   (im2col, all movement ops)
 *       → grouped into [groups, N·P, C/g·K] → one (batched) matmul with the kernel [groups, C/g·K, O/g]
 *       → [N, O, spatial…] → transpose to the output layout
 *
 * The scheduler inlines the whole movement chain into the matmul's operand packing, so a forward
 * convolution is one contraction kernel (the im2col matrix exists only as the packed panels, never
 * as a graph buffer). Gradients and batching come from the primitives' rules: the transpose of a
 * strided slice is a strided pad, of the stack a slice, so the lhs gradient is a fused sum of K
 * shifted copies of the output cotangent (JAX's transposed convolution, written out), and the
 * kernel gradient is a matmul against the same inlined patches.
 */
import { type DType } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { fmtShape } from "../shape.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { type Positional, positionalOptions } from "../np/positional.js";
import { apply, asTensor, astypeRaw, optionsOf, reshapeRaw } from "../np/util.js";
import { type Padding, dilateAxis, dilatedSize, padSigned, padsOf, positiveInts, windowSlices } from "./conv-geometry.js";

export type { Padding } from "./conv-geometry.js";
export { type WindowComputation, type WindowComputationLike, reduceWindow } from "./conv-reduce-window.js";

/**
 * Where each logical axis lives, as JAX's `ConvDimensionNumbers`: `lhsSpec` = [batch axis,
 * feature axis, spatial axes…] of lhs; `rhsSpec` = [out-feature axis, in-feature axis, spatial
 * axes…] of the kernel; `outSpec` = [batch axis, feature axis, spatial axes…] of the result. The
 * i-th spatial entries of the three specs correspond to each other (and to `windowStrides[i]`).
 */
export interface ConvDimensionNumbers {
  readonly lhsSpec: readonly number[];
  readonly rhsSpec: readonly number[];
  readonly outSpec: readonly number[];
}

/**
 * Dimension numbers as axis lists, or JAX's string form `["NCHW", "OIHW", "NCHW"]` (`N` batch,
 * `C` feature, `O`/`I` kernel out/in features, any other distinct letters spatial), or
 * null/undefined for the default `NC…`, `OI…`, `NC…` layout.
 */
export type ConvDimensionNumbersLike = ConvDimensionNumbers | readonly [string, string, string] | null | undefined;

export interface ConvGeneralDilatedOptions {
  /** Stride per spatial dimension (default 1s). */
  windowStrides?: readonly number[];
  /** "SAME", "SAME_LOWER", "VALID" (default) or one `[lo, hi]` pair per spatial dimension (negative crops). */
  padding?: Padding;
  /** Dilation of the input (a transposed convolution's stride): `d - 1` zeros between elements. */
  lhsDilation?: readonly number[];
  /** Dilation of the kernel (atrous convolution). */
  rhsDilation?: readonly number[];
  dimensionNumbers?: ConvDimensionNumbersLike;
  /** Feature groups: lhs features and kernel outputs split into this many independent convolutions. */
  featureGroupCount?: number;
  /** Batch groups: lhs batch and kernel outputs split into this many groups (the weight gradient of a grouped conv). */
  batchGroupCount?: number;
  /** Cast both operands to this dtype and compute (accumulate) and return in it. */
  preferredElementType?: DType;
}

function isPermutation(spec: unknown, rank: number): spec is number[] {
  return Array.isArray(spec) && spec.length === rank && [...spec].sort((a, b) => a - b).every((v, i) => v === i);
}

/** JAX's `conv_general_permutations`: spatial axes of lhs and out ordered as the kernel's. */
function specsFromStrings(op: string, [lhs, rhs, out]: readonly [string, string, string], rank: number): ConvDimensionNumbers {
  const bad = (why: string): never => {
    throw new ValueError(`${op}: dimension numbers ${describeValue([lhs, rhs, out])} ${why}`);
  };
  for (const s of [lhs, rhs, out]) {
    if (typeof s !== "string" || s.length !== rank) bad(`must be three strings of length ${rank} (the operands' rank)`);
    if (new Set(s).size !== s.length) bad(`repeat a letter in "${s}"`);
  }
  if (!lhs.includes("N") || !lhs.includes("C") || !out.includes("N") || !out.includes("C")) bad(`need "N" and "C" in the lhs and out specs`);
  if (!rhs.includes("O") || !rhs.includes("I")) bad(`need "O" and "I" in the rhs spec`);
  const spatial = [...rhs].filter((c) => c !== "O" && c !== "I");
  const spatialOf = (s: string) => [...s].filter((c) => c !== "N" && c !== "C");
  for (const s of [lhs, out]) {
    if (spatialOf(s).some((c) => !spatial.includes(c))) bad(`use spatial letters in "${s}" that the rhs spec "${rhs}" lacks`);
  }
  const byKernel = (s: string) => spatial.map((c) => s.indexOf(c));
  return {
    lhsSpec: [lhs.indexOf("N"), lhs.indexOf("C"), ...byKernel(lhs)],
    rhsSpec: [rhs.indexOf("O"), rhs.indexOf("I"), ...byKernel(rhs)],
    outSpec: [out.indexOf("N"), out.indexOf("C"), ...byKernel(out)],
  };
}

/**
 * Dimension numbers in axis-list form, checked against the operands' rank (as JAX's
 * `conv_dimension_numbers`).
 * @example
 * lax.convDimensionNumbers(4, ["NHWC", "HWIO", "NHWC"]);
 * // { lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] }
 */
export function convDimensionNumbers(rank: number, dn: ConvDimensionNumbersLike): ConvDimensionNumbers {
  const op = "convDimensionNumbers";
  // 64: NumPy's limit on dimensions (a convolution has 3–5); also keeps the specs' arrays small.
  if (!Number.isInteger(rank) || rank < 0 || rank > 64) throw new ValueError(`${op}: rank must be an integer from 0 to 64, got ${describeValue(rank)}`);
  if (dn === null || dn === undefined) {
    const canonical = Array.from({ length: rank }, (_, i) => i);
    return { lhsSpec: canonical, rhsSpec: canonical, outSpec: canonical };
  }
  if (Array.isArray(dn)) {
    if (dn.length !== 3) throw new ValueError(`${op}: expected three spec strings, got ${describeValue(dn)}`);
    return specsFromStrings(op, dn as readonly [string, string, string], rank);
  }
  const { lhsSpec, rhsSpec, outSpec } = dn as ConvDimensionNumbers;
  for (const [name, s] of [["lhsSpec", lhsSpec], ["rhsSpec", rhsSpec], ["outSpec", outSpec]] as const) {
    if (!isPermutation(s, rank)) throw new ValueError(`${op}: ${name} must be a permutation of ${rank} axes, got ${describeValue(s)}`);
  }
  return { lhsSpec: [...lhsSpec], rhsSpec: [...rhsSpec], outSpec: [...outSpec] };
}

function groupCount(op: string, name: string, v: unknown): number {
  if (v === undefined) return 1;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${describeValue(v)}`);
  return v;
}

/**
 * General N-d convolution with strides, padding, input/kernel dilation, feature and batch groups
 * and any layout — `jax.lax.conv_general_dilated` (a cross-correlation: the kernel is not flipped).
 * `lhs` has shape [N, C, spatial…] and `rhs` [O, C / featureGroupCount, window…] in the default
 * layout; the result has [N / batchGroupCount, O, out…] with, per spatial dimension,
 * `out = floor((dilated input + lo + hi - dilated window) / stride) + 1`. lhs and rhs must have the
 * same dtype (lax does not promote). Differentiable in both operands, batched by `vmap`.
 *
 * String padding computes the pads from the (undilated) input and the dilated window, as JAX; it
 * is an error together with `lhsDilation` (use explicit pads or {@link convTranspose}).
 * @example
 * const x = np.ones([1, 1, 4, 4]);                     // N C H W
 * const w = np.ones([2, 1, 3, 3]);                     // O I H W
 * lax.convGeneralDilated(x, w, { padding: "SAME" }).shape;                    // [1, 2, 4, 4]
 * lax.convGeneralDilated(x, w, { windowStrides: [2, 2], padding: [[1, 1], [1, 1]] }).shape; // [1, 2, 2, 2]
 * lax.convGeneralDilated(x, w, [2, 2], [[1, 1], [1, 1]]).shape; // JAX's positional order: the same
 * // NHWC input, HWIO kernel, depthwise (one group per channel):
 * const y = np.ones([8, 28, 28, 16]), k = np.ones([3, 3, 1, 16]);
 * lax.convGeneralDilated(y, k, { padding: "SAME", dimensionNumbers: ["NHWC", "HWIO", "NHWC"], featureGroupCount: 16 }).shape; // [8, 28, 28, 16]
 */
export function convGeneralDilated(lhs: ArrayLike, rhs: ArrayLike, ...args: Positional<"convGeneralDilated", ConvGeneralDilatedOptions>): Tensor {
  const op = "convGeneralDilated";
  const opts = positionalOptions<ConvGeneralDilatedOptions>(op, args);
  let x = asTensor(lhs, op), w = asTensor(rhs, op);
  if (x.ndim !== w.ndim || x.ndim < 2) {
    throw new ShapeError(`${op}: lhs and rhs must have the same rank (at least 2), got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`);
  }
  if (x.dtype !== w.dtype) throw new DTypeError(`${op}: lhs and rhs dtypes differ (${x.dtype} and ${w.dtype}); lax does not promote, cast one first`);
  if (x.dtype === "bool") throw new DTypeError(`${op}: bool operands are not supported; cast first`);
  const nsp = x.ndim - 2;
  const dn = convDimensionNumbers(x.ndim, opts.dimensionNumbers);
  const strides = positiveInts(op, "windowStrides", opts.windowStrides, nsp);
  const lhsDil = positiveInts(op, "lhsDilation", opts.lhsDilation, nsp);
  const rhsDil = positiveInts(op, "rhsDilation", opts.rhsDilation, nsp);
  const G = groupCount(op, "featureGroupCount", opts.featureGroupCount);
  const B = groupCount(op, "batchGroupCount", opts.batchGroupCount);
  if (opts.preferredElementType !== undefined) {
    x = astypeRaw(x, opts.preferredElementType);
    w = astypeRaw(w, opts.preferredElementType);
  }

  // Canonical layout: x [N, C, S…], w [O, I, K…], spatial axes in the kernel's order.
  x = transposeAxes(x, dn.lhsSpec);
  w = transposeAxes(w, dn.rhsSpec);
  const [N, C] = x.shape as [number, number];
  const [O, I] = w.shape as [number, number];
  const window = w.shape.slice(2);
  if (G > 1 && B > 1) throw new ValueError(`${op}: at most one of featureGroupCount (${G}) and batchGroupCount (${B}) may exceed 1`);
  if (C % G !== 0 || C / G !== I) {
    throw new ShapeError(`${op}: lhs features (${C}) divided by featureGroupCount (${G}) must equal the kernel's input features (${I})`);
  }
  if (O % G !== 0) throw new ShapeError(`${op}: kernel output features (${O}) must be a multiple of featureGroupCount (${G})`);
  if (N % B !== 0) throw new ShapeError(`${op}: batchGroupCount (${B}) must divide the lhs batch size (${N})`);
  if (O % B !== 0) throw new ShapeError(`${op}: kernel output features (${O}) must be a multiple of batchGroupCount (${B})`);

  const spatial = Array.from({ length: nsp }, (_, i) => i + 2);
  if (typeof opts.padding === "string" && lhsDil.some((d) => d !== 1)) {
    throw new ValueError(`${op}: string padding is not supported with lhsDilation (as JAX); give explicit [lo, hi] pads or use convTranspose`);
  }
  const pads = padsOf(op, opts.padding ?? "VALID", x.shape.slice(2), window.map((k, i) => dilatedSize(k, rhsDil[i]!)), strides);
  spatial.forEach((a, i) => (x = dilateAxis(x, a, lhsDil[i]!, 0)));
  x = padSigned(op, x, spatial, pads, 0);

  // im2col: [N, C, K, P], the K window offsets stacked on a new axis. The slices are taken of one
  // source with that axis already in place, so the stack is a concatenate of plain slices whose
  // starts step through the window grid: the backend lowers it as one strided read of the input
  // (slice-family.ts), not one read per window offset.
  const x1 = reshapeRaw(x, [N, C, 1, ...x.shape.slice(2)]);
  const { slices, outSizes } = windowSlices(x1, spatial.map((a) => a + 1), window, strides, rhsDil);
  const K = window.reduce((p, k) => p * k, 1), P = outSizes.reduce((p, k) => p * k, 1);
  const stacked = slices.length === 1 ? slices[0]! : apply("concatenate", slices, { axis: 2 }, x.weak);
  const patches = reshapeRaw(stacked, [N, C, K, P]);

  // One matmul per group (G feature groups or B batch groups; at most one exceeds 1), laid out so
  // that the common output layouts need no transposing kernel after the contraction.
  const groups = G * B, Nb = N / B, Cg = C / G, Og = O / groups, CK = Cg * K;
  const grouped = reshapeRaw(patches, [B, Nb, G, Cg, K, P]);
  const kernel = reshapeRaw(w, [groups, Og, CK]);
  let canon: Tensor;
  /** The logical axis (0 batch, 1 feature, 2… spatial) each axis of `canon` holds. */
  let logical: number[];
  if (dn.outSpec[1]! < Math.min(...dn.outSpec.slice(2))) {
    // Features before space (NCHW): kernel [Nb, groups, Og, CK] x patches [Nb, groups, CK, P].
    const pat = reshapeRaw(transposeAxes(grouped, [1, 0, 2, 3, 4, 5]), [Nb, groups, CK, P]);
    const ker = apply("broadcast", [kernel], { shape: [Nb, groups, Og, CK], dims: [1, 2, 3] });
    canon = reshapeRaw(apply("matmul", [ker, pat], {}), [Nb, O, ...outSizes]);
    logical = canon.shape.map((_, i) => i);
  } else {
    // Features last (NHWC): patches [groups, Nb·P, CK] x kernel [groups, CK, Og].
    const a = reshapeRaw(transposeAxes(grouped, [0, 2, 1, 5, 3, 4]), [groups, Nb * P, CK]);
    const b = transposeAxes(kernel, [0, 2, 1]);
    const y = reshapeRaw(apply("matmul", [a, b], {}), [groups, Nb, P, Og]);
    canon = reshapeRaw(transposeAxes(y, [1, 2, 0, 3]), [Nb, ...outSizes, O]);
    logical = [0, ...outSizes.map((_, i) => i + 2), 1];
  }
  const outPerm = new Array<number>(canon.ndim);
  dn.outSpec.forEach((p, j) => (outPerm[p] = logical.indexOf(j)));
  return transposeAxes(canon, outPerm);
}

/** A transpose, or `x` itself for the identity permutation (no node, so nothing to schedule). */
function transposeAxes(x: Tensor, perm: readonly number[]): Tensor {
  return perm.every((p, i) => p === i) ? x : apply("transpose", [x], { perm: [...perm] }, x.weak);
}

/**
 * Convolution with the default layout (lhs [N, C, spatial…], rhs [O, I, window…]) and no
 * dilation — `jax.lax.conv`.
 * @example
 * lax.conv(np.ones([1, 1, 5]), np.ones([1, 1, 3]), [1], "VALID"); // [[[3, 3, 3]]]
 */
export function conv(lhs: ArrayLike, rhs: ArrayLike, windowStrides: readonly number[], padding: Padding): Tensor {
  return convGeneralDilated(lhs, rhs, { windowStrides, padding });
}

/**
 * Convolution with the default layout, explicit or string padding and input/kernel dilation —
 * `jax.lax.conv_with_general_padding`.
 * @example
 * lax.convWithGeneralPadding(np.ones([1, 1, 3]), np.ones([1, 1, 2]), [1], [[1, 1]], [2], [1]).shape; // [1, 1, 6]
 */
export function convWithGeneralPadding(
  lhs: ArrayLike, rhs: ArrayLike, windowStrides: readonly number[], padding: Padding,
  lhsDilation?: readonly number[], rhsDilation?: readonly number[],
): Tensor {
  return convGeneralDilated(lhs, rhs, { windowStrides, padding, lhsDilation, rhsDilation });
}

export interface ConvTransposeOptions {
  rhsDilation?: readonly number[];
  /** Default: `NC`/`IO` (1-d operands of rank 2), `NHC`/`HIO`, `NHWC`/`HWIO`, `NHWDC`/`HWDIO`, as JAX. */
  dimensionNumbers?: ConvDimensionNumbersLike;
  /** Flip the kernel's spatial axes and swap its I and O axes: the exact gradient of a forward conv (default false). */
  transposeKernel?: boolean;
  preferredElementType?: DType;
}

/** JAX's `_conv_transpose_padding`: the pads of the dilated-input conv for one spatial dimension. */
function transposePads(k: number, s: number, padding: "SAME" | "VALID"): [number, number] {
  let total: number, lo: number;
  if (padding === "SAME") {
    total = k + s - 2;
    lo = s > k - 1 ? k - 1 : Math.ceil(total / 2);
  } else {
    total = k + s - 2 + Math.max(k - s, 0);
    lo = k - 1;
  }
  return [lo, total - lo];
}

const TRANSPOSE_LAYOUTS: { readonly [rank: number]: readonly [string, string, string] } = {
  2: ["NC", "IO", "NC"],
  3: ["NHC", "HIO", "NHC"],
  4: ["NHWC", "HWIO", "NHWC"],
  5: ["NHWDC", "HWDIO", "NHWDC"],
};

/**
 * Transposed ("deconvolution") convolution — `jax.lax.conv_transpose` with its default
 * `use_consistent_padding=False`: the input is dilated by `strides` and convolved with unit stride.
 * "SAME" gives `out = in * stride`, "VALID" `out = in * stride + max(window - stride, 0)`; explicit
 * `[lo, hi]` pairs are used as the pads of that dilated convolution, as JAX does. Layout defaults
 * to channels-last (`NHWC`, `HWIO`). With `transposeKernel`, this is the gradient of
 * `convGeneralDilated` with the same kernel and strides.
 * @example
 * const x = np.ones([1, 4, 4, 2]);   // N H W C
 * const w = np.ones([3, 3, 2, 5]);   // H W I O
 * lax.convTranspose(x, w, [2, 2], "SAME").shape; // [1, 8, 8, 5]
 */
export function convTranspose(lhs: ArrayLike, rhs: ArrayLike, strides: readonly number[], padding: Padding, options?: ConvTransposeOptions, ...extra: undefined[]): Tensor {
  const op = "convTranspose";
  const opts = optionsOf(op, options, op, extra);
  let x = asTensor(lhs, op), w = asTensor(rhs, op);
  if (x.ndim !== w.ndim || x.ndim < 2) throw new ShapeError(`${op}: lhs and rhs must have the same rank (at least 2), got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`);
  const layout = opts.dimensionNumbers ?? TRANSPOSE_LAYOUTS[x.ndim];
  if (layout === undefined) throw new ValueError(`${op}: no default dimension numbers for rank ${x.ndim}; pass dimensionNumbers`);
  const dn = convDimensionNumbers(x.ndim, layout);
  const nsp = x.ndim - 2;
  const s = positiveInts(op, "strides", strides, nsp, null);
  const rhsDil = positiveInts(op, "rhsDilation", opts.rhsDilation, nsp);
  let pads: Padding;
  if (typeof padding === "string") {
    const mode = padding.toUpperCase();
    if (mode !== "SAME" && mode !== "VALID") throw new ValueError(`${op}: padding must be "SAME", "VALID" or [lo, hi] pairs, got ${describeValue(padding)}`);
    pads = dn.rhsSpec.slice(2).map((ax, i) => transposePads(dilatedSize(w.shape[ax]!, rhsDil[i]!), s[i]!, mode));
  } else {
    pads = padding;
  }
  if (opts.transposeKernel) {
    w = apply("flip", [w], { axes: [...dn.rhsSpec.slice(2)] }, w.weak);
    const perm = w.shape.map((_, i) => i);
    perm[dn.rhsSpec[0]!] = dn.rhsSpec[1]!;
    perm[dn.rhsSpec[1]!] = dn.rhsSpec[0]!;
    w = apply("transpose", [w], { perm }, w.weak);
  }
  return convGeneralDilated(x, w, {
    windowStrides: Array<number>(nsp).fill(1), padding: pads, lhsDilation: s, rhsDilation: rhsDil,
    dimensionNumbers: dn, preferredElementType: opts.preferredElementType,
  });
}
