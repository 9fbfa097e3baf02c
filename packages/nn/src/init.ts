/**
 * Parameter initializers (BrainState's `brainstate.init`). Each is a class whose instances are
 * called with a shape: `new init.KaimingNormal().call([3, 4])` is Python's
 * `init.KaimingNormal()((3, 4))`. Layers accept an initializer instance, a function
 * `(shape) => Tensor`, a Tensor of the right shape, or a number (a constant).
 * Random initializers draw from the stateful `random` generator (seed it with `random.seed`).
 */
import { npUtil } from "@kiln/core";
import { jsonOf } from "@kiln/core";
import { type ArrayLike, type DType, type Shape, ShapeError, Tensor, ValueError, isFloat, np, random, sizeOf } from "@kiln/core";
import { erfinv } from "./special.js";

/**
 * What a layer accepts as an initializer: an `Initializer`, a function of the shape, a Tensor (or
 * nested array) of exactly that shape, or a number (every element equal to it).
 */
export type InitLike = Initializer | ((shape: number[]) => ArrayLike) | ArrayLike;

export interface InitOptions {
  /** The dtype of the result; default float32. */
  dtype?: DType;
}

/** Base class: `call(shape)` returns a new Tensor of that shape. */
export abstract class Initializer {
  abstract call(shape: readonly number[], opts?: InitOptions): Tensor;
}

/**
 * Resolves an `InitLike` to a float Tensor of `shape` (integer results become float32).
 * Throws `ShapeError` when a given value or function result has another shape.
 * @example initialize(new init.Constant(1), [2], "Linear") // [1, 1]
 */
export function initialize(init: InitLike, shape: readonly number[], who: string): Tensor {
  let v: ArrayLike;
  if (init instanceof Initializer) v = init.call(shape);
  else if (typeof init === "function") v = init([...shape]);
  else if (typeof init === "number") v = np.full(shape, init);
  else v = init;
  const t = v instanceof Tensor ? v : np.array(v);
  if (t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${who}: the initializer gave shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`);
  }
  return isFloat(t.dtype) ? t : np.astype(t, "float32");
}

function checkShape(shape: readonly number[], who: string): Shape {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(`${who}: a shape is an array of non-negative integers, got ${jsonOf(shape)}`);
  }
  return shape;
}

function checkFinite(who: string, name: string, v: number, min = -Infinity): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new ValueError(`${who}: ${name} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ""}, got ${String(v)}`);
  }
}

/**
 * Every element equal to `value` (default 0).
 * @example new init.Constant(0.5).call([2]) // [0.5, 0.5]
 */
export class Constant extends Initializer {
  constructor(readonly value = 0, ...extra: undefined[]) {
    super();
    npUtil.noExtraArgs("init.Constant", 1, extra);
    checkFinite("init.Constant", "value", value);
  }
  call(shape: readonly number[], opts: InitOptions = {}, ...extra: undefined[]): Tensor {
    opts = npUtil.optionsOf("init.Constant.call", opts, "init.Constant.call", extra);
    return np.full(checkShape(shape, "init.Constant"), this.value, { dtype: opts.dtype ?? "float32" });
  }
}

/**
 * Normal samples with the given `mean` (default 0) and standard deviation `scale` (default 1).
 * @example new init.Normal({ scale: 0.01 }).call([3, 4])
 */
export class Normal extends Initializer {
  readonly mean: number;
  readonly scale: number;
  constructor(opts: { mean?: number; scale?: number } = {}, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("init.Normal", opts, "init.Normal", extra);
    this.mean = opts.mean ?? 0;
    this.scale = opts.scale ?? 1;
    checkFinite("init.Normal", "mean", this.mean);
    checkFinite("init.Normal", "scale", this.scale, 0);
  }
  call(shape: readonly number[], opts: InitOptions = {}, ...extra: undefined[]): Tensor {
    opts = npUtil.optionsOf("init.Normal.call", opts, "init.Normal.call", extra);
    return random.normal({ loc: this.mean, scale: this.scale, size: checkShape(shape, "init.Normal"), dtype: opts.dtype ?? "float32" });
  }
}

/**
 * Uniform samples in [minVal, maxVal) (default [0, 1)).
 * @example new init.Uniform({ minVal: -0.1, maxVal: 0.1 }).call([3])
 */
export class Uniform extends Initializer {
  readonly minVal: number;
  readonly maxVal: number;
  constructor(opts: { minVal?: number; maxVal?: number } = {}, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("init.Uniform", opts, "init.Uniform", extra);
    this.minVal = opts.minVal ?? 0;
    this.maxVal = opts.maxVal ?? 1;
    checkFinite("init.Uniform", "minVal", this.minVal);
    checkFinite("init.Uniform", "maxVal", this.maxVal, this.minVal);
  }
  call(shape: readonly number[], opts: InitOptions = {}, ...extra: undefined[]): Tensor {
    opts = npUtil.optionsOf("init.Uniform.call", opts, "init.Uniform.call", extra);
    return random.uniform({ low: this.minVal, high: this.maxVal, size: checkShape(shape, "init.Uniform"), dtype: opts.dtype ?? "float32" });
  }
}

/**
 * fan-in and fan-out of a weight shape: the sizes of `inAxis` and `outAxis` times the product of
 * the other (receptive field) axes, as BrainState/JAX compute them.
 * @example computeFans([5, 5, 3, 8], -2, -1, "conv") // [75, 200]
 */
export function computeFans(shape: readonly number[], inAxis: number, outAxis: number, who: string): [number, number] {
  who = typeof who === "string" ? who : "computeFans";
  shape = checkShape(shape, who);
  if (!Number.isInteger(inAxis) || !Number.isInteger(outAxis)) {
    throw new ValueError(`${who}: inAxis and outAxis must be integers, got ${jsonOf(inAxis)} and ${jsonOf(outAxis)}`);
  }
  const n = shape.length;
  const ia = inAxis < 0 ? inAxis + n : inAxis, oa = outAxis < 0 ? outAxis + n : outAxis;
  if (ia < 0 || ia >= n || oa < 0 || oa >= n || ia === oa) {
    throw new ValueError(`${who}: cannot compute fans of shape ${jsonOf(shape)} with inAxis ${inAxis} and outAxis ${outAxis} (a weight needs rank ≥ 2)`);
  }
  const receptive = shape.reduce((a, d, i) => (i === ia || i === oa ? a : a * d), 1);
  return [shape[ia]! * receptive, shape[oa]! * receptive];
}

export type FanMode = "fanIn" | "fanOut" | "fanAvg";
export type Distribution = "truncatedNormal" | "normal" | "uniform";

export interface VarianceScalingOptions {
  scale?: number;
  mode?: FanMode;
  distribution?: Distribution;
  inAxis?: number;
  outAxis?: number;
}

// Standard deviation of a standard normal truncated to [-2, 2]: dividing by it keeps the variance.
const TRUNCATED_STD = 0.87962566103423978;

/**
 * Samples with variance `scale / n`, n the fan-in, fan-out or their mean (`mode`), from a normal
 * truncated at ±2 standard deviations, a normal, or a uniform distribution (`distribution`).
 * The Kaiming/Xavier classes are presets of it (BrainState's defaults).
 * @example new init.VarianceScaling({ scale: 1, mode: "fanIn", distribution: "normal" }).call([64, 32])
 */
export class VarianceScaling extends Initializer {
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  readonly inAxis: number;
  readonly outAxis: number;
  /** `defaults` and `who` are for the presets below (their option defaults and error-message name). */
  constructor(
    opts: VarianceScalingOptions = {},
    defaults: Required<Pick<VarianceScalingOptions, "scale" | "mode" | "distribution">> = { scale: 1, mode: "fanIn", distribution: "truncatedNormal" },
    private readonly who = "init.VarianceScaling",
  ) {
    super();
    opts = npUtil.optionsOf("init.VarianceScaling", opts, who);
    this.scale = opts.scale ?? defaults.scale;
    this.mode = opts.mode ?? defaults.mode;
    this.distribution = opts.distribution ?? defaults.distribution;
    this.inAxis = opts.inAxis ?? -2;
    this.outAxis = opts.outAxis ?? -1;
    checkFinite(who, "scale", this.scale, 0);
    if (!["fanIn", "fanOut", "fanAvg"].includes(this.mode)) throw new ValueError(`${who}: mode must be "fanIn", "fanOut" or "fanAvg", got ${String(this.mode)}`);
    if (!["truncatedNormal", "normal", "uniform"].includes(this.distribution)) {
      throw new ValueError(`${who}: distribution must be "truncatedNormal", "normal" or "uniform", got ${String(this.distribution)}`);
    }
  }
  call(shape: readonly number[], opts: InitOptions = {}, ...extra: undefined[]): Tensor {
    opts = npUtil.optionsOf("init.VarianceScaling.call", opts, "init.VarianceScaling.call", extra);
    const size = checkShape(shape, this.who);
    const dtype = opts.dtype ?? "float32";
    const [fanIn, fanOut] = computeFans(size, this.inAxis, this.outAxis, this.who);
    if (sizeOf(size) === 0) return np.zeros(size, { dtype });
    const n = this.mode === "fanIn" ? fanIn : this.mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / n;
    switch (this.distribution) {
      case "truncatedNormal":
        return truncatedStandardNormal(size, dtype).mul(Math.sqrt(variance) / TRUNCATED_STD);
      case "normal":
        return random.normal({ size, dtype }).mul(Math.sqrt(variance));
      case "uniform":
        return random.uniform({ low: -1, high: 1, size, dtype }).mul(Math.sqrt(3 * variance));
    }
  }
}

// Φ(−2) and Φ(2): a uniform sample between them, mapped through Φ⁻¹, is a normal truncated to [-2, 2].
const PHI_MINUS_2 = 0.022750131948179195;
const PHI_PLUS_2 = 0.9772498680518208;

/** A standard normal truncated to [-2, 2] by inverse-CDF sampling (as `jax.random.truncated_normal`). */
function truncatedStandardNormal(shape: Shape, dtype: DType): Tensor {
  const u = random.uniform({ low: PHI_MINUS_2, high: PHI_PLUS_2, size: shape, dtype });
  return np.clip(erfinv(u.mul(2).sub(1)).mul(Math.SQRT2), -2, 2);
}

/**
 * Kaiming/He normal: scale 2, fan-in, truncated normal (BrainState's default weight init).
 * @example new init.KaimingNormal().call([64, 32]) // std ≈ sqrt(2 / 64)
 */
export class KaimingNormal extends VarianceScaling {
  constructor(opts: VarianceScalingOptions = {}) {
    super(opts, { scale: 2, mode: "fanIn", distribution: "truncatedNormal" }, "init.KaimingNormal");
  }
}
/**
 * Kaiming/He uniform: scale 2, fan-in, uniform on ±sqrt(6 / fanIn).
 * @example new init.KaimingUniform().call([64, 32])
 */
export class KaimingUniform extends VarianceScaling {
  constructor(opts: VarianceScalingOptions = {}) {
    super(opts, { scale: 2, mode: "fanIn", distribution: "uniform" }, "init.KaimingUniform");
  }
}
/**
 * Xavier/Glorot normal: scale 1, mean of fans, truncated normal.
 * @example new init.XavierNormal().call([64, 32]) // std ≈ sqrt(2 / (64 + 32))
 */
export class XavierNormal extends VarianceScaling {
  constructor(opts: VarianceScalingOptions = {}) {
    super(opts, { scale: 1, mode: "fanAvg", distribution: "truncatedNormal" }, "init.XavierNormal");
  }
}
/**
 * Xavier/Glorot uniform: scale 1, mean of fans, uniform on ±sqrt(6 / (fanIn + fanOut)).
 * @example new init.XavierUniform().call([64, 32])
 */
export class XavierUniform extends VarianceScaling {
  constructor(opts: VarianceScalingOptions = {}) {
    super(opts, { scale: 1, mode: "fanAvg", distribution: "uniform" }, "init.XavierUniform");
  }
}

/**
 * A (scaled) matrix with orthonormal columns — or rows, whichever side is smaller — as JAX's
 * `orthogonal(scale, column_axis)`: the Q factor of a Gaussian matrix, with the sign convention
 * R's diagonal > 0 that makes it uniformly (Haar) distributed. `axis` is the column axis
 * (default -1); the other axes are flattened into rows.
 * @example const w = new init.Orthogonal().call([4, 3]); // w.T @ w ≈ eye(3)
 */
export class Orthogonal extends Initializer {
  readonly scale: number;
  readonly axis: number;
  constructor(opts: { scale?: number; axis?: number } = {}, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("init.Orthogonal", opts, "init.Orthogonal", extra);
    this.scale = opts.scale ?? 1;
    this.axis = opts.axis ?? -1;
    checkFinite("init.Orthogonal", "scale", this.scale);
  }
  call(shape: readonly number[], opts: InitOptions = {}, ...extra: undefined[]): Tensor {
    opts = npUtil.optionsOf("init.Orthogonal.call", opts, "init.Orthogonal.call", extra);
    const size = checkShape(shape, "init.Orthogonal");
    const dtype = opts.dtype ?? "float32";
    const n = size.length;
    const axis = this.axis < 0 ? this.axis + n : this.axis;
    if (n < 2 || !Number.isInteger(axis) || axis < 0 || axis >= n) {
      throw new ValueError(`init.Orthogonal: needs a shape of rank ≥ 2 with column axis ${this.axis} in range, got ${jsonOf(shape)}`);
    }
    if (sizeOf(size) === 0) return np.zeros(size, { dtype });
    const nCols = size[axis]!, nRows = sizeOf(size) / nCols;
    const tall = nRows >= nCols;
    let q = orthonormalColumns(random.normal({ size: tall ? [nRows, nCols] : [nCols, nRows], dtype }));
    if (!tall) q = q.T;
    const rest = size.filter((_, i) => i !== axis);
    return np.moveaxis(q.reshape([...rest, nCols]), -1, axis).mul(this.scale);
  }
}

/**
 * The Q of a thin QR factorization of a tall matrix [m, k] (m ≥ k), by classical Gram-Schmidt
 * with one reorthogonalization per column ("twice is enough"): orthogonal to float32 precision
 * without a QR primitive. R's diagonal is the positive norms, so Q has JAX's sign convention.
 */
function orthonormalColumns(a: Tensor): Tensor {
  const [m, k] = a.shape as [number, number];
  const at = a.T;
  let q: Tensor | null = null;
  for (let j = 0; j < k; j++) {
    let v = at.get(j);
    if (q) for (let pass = 0; pass < 2; pass++) v = v.sub(q.matmul(q.T.matmul(v)));
    const col = v.div(np.sqrt(np.sum(v.square()))).reshape([m, 1]);
    q = q ? np.concatenate([q, col], { axis: 1 }) : col;
  }
  return q!;
}
