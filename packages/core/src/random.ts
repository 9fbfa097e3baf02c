/**
 * Randomness, JAX's `jax.random` as `prng.*` (explicit keys) and BrainState's `brainstate.random` as
 * `random.*` (a stateful default generator).
 * - Functional, JAX-style: `prng.key(seed)`, `prng.split(key, n)`, `prng.uniform(key, shape)`,
 *   `prng.gamma(key, a, { shape })`... A key is an int32[2] tensor holding the two uint32 words.
 * - Stateful, BrainState-style: `random.seed(42)`, `random.randn(2, 3)`, `random.normal({ size })`...
 *   The generator's key is a State, so inside `jit` it is threaded like any other State and
 *   successive calls give fresh numbers.
 * The bit source is random-bits.ts; the samplers live in random-{continuous,gamma,discrete}.ts.
 */
import type { DType } from "./dtype.js";
import { ValueError, describeValue } from "./errors.js";
import { isTracingStates, LongTermState } from "./state.js";
import { Tensor } from "./tensor.js";
import { apply, checkOptionKeys, noExtraArgs, reshapeRaw, type SignatureName } from "./np/util.js";
import * as np from "./np/index.js";
import { broadcastShapes } from "./shape.js";
import * as bitsMod from "./random-bits.js";
import { hostSubkey, normShape } from "./random-bits.js";
import * as cont from "./random-continuous.js";
import * as gam from "./random-gamma.js";
import * as disc from "./random-discrete.js";
import { checkParam, positive, type DrawOptions, type DistributionParam } from "./random-params.js";

export type { DrawOptions, DistributionParam } from "./random-params.js";

/** The functional key API (JAX's `jax.random`, names camelCased). */
export const prng = {
  /**
   * A key from an integer seed: `[0, seed & 0xffffffff]`, as JAX's default (32-bit) `random.key`. The
   * seed may be a scalar int32 Tensor, so keys can be made under `vmap`/`jit`.
   * @example const key = prng.key(0); const keys = vmap(prng.key)(np.arange(5)); // [5, 2]
   */
  key: bitsMod.key,
  /**
   * `n` new keys, shape [n, 2].
   * @example const keys = prng.split(prng.key(0), 3); const k0 = keys.get(0);
   */
  split: bitsMod.split,
  /**
   * A key folded with an integer (a step, a layer index), as `jax.random.fold_in`; equal to
   * `split(key, n)[data]` for `0 <= data < n`. `data` may be a scalar int32 Tensor (under `jit`, `scan`).
   * @example const stepKey = prng.foldIn(prng.key(0), step);
   */
  foldIn: bitsMod.foldIn,
  /**
   * Raw 32-bit words, uint32 (JAX's `random.bits`).
   * @example prng.bits(prng.key(0), [4])
   */
  bits: bitsMod.bits,
  /**
   * Uniform samples in [minval, maxval).
   * @example prng.uniform(prng.key(0), [3], { minval: -1, maxval: 1 })
   */
  uniform: bitsMod.uniform,
  /**
   * Standard normal samples: sqrt(2) * erfinv(u), u uniform in (-1, 1), as JAX.
   * @example prng.normal(prng.key(0), [2, 2])
   */
  normal: bitsMod.normal,
  /** Booleans, true with probability `p`. @example prng.bernoulli(prng.key(0), 0.3, { shape: [10] }) */
  bernoulli: disc.bernoulli,
  /** Category indices by Gumbel-max. @example prng.categorical(prng.key(0), np.log(np.array([0.2, 0.8])), { shape: [5] }) */
  categorical: disc.categorical,
  /** A sample of `arange(a)` or of an array's `axis`. @example prng.choice(prng.key(0), 10, { shape: [3], replace: false }) */
  choice: disc.choice,
  /** A random permutation. @example prng.permutation(prng.key(0), 5) */
  permutation: disc.permutation,
  /** Integers in [minval, maxval). @example prng.randint(prng.key(0), [5], 0, 10) */
  randint: disc.randint,
  /** Geometric on {1, 2, ...}. @example prng.geometric(prng.key(0), 0.25, { shape: [4] }) */
  geometric: disc.geometric,
  /** ±1 with equal probability. @example prng.rademacher(prng.key(0), [4]) */
  rademacher: disc.rademacher,
  /** Poisson counts. @example prng.poisson(prng.key(0), 3, { shape: [4] }) */
  poisson: disc.poisson,
  /** Standard Cauchy. @example prng.cauchy(prng.key(0), [3]) */
  cauchy: cont.cauchy,
  /** Standard Laplace. @example prng.laplace(prng.key(0), [3]) */
  laplace: cont.laplace,
  /** Standard Gumbel. @example prng.gumbel(prng.key(0), [3]) */
  gumbel: cont.gumbel,
  /** Standard logistic. @example prng.logistic(prng.key(0), [3]) */
  logistic: cont.logistic,
  /** Log-normal `exp(sigma z)`. @example prng.lognormal(prng.key(0), 0.5, { shape: [3] }) */
  lognormal: cont.lognormal,
  /** Rayleigh. @example prng.rayleigh(prng.key(0), 2, { shape: [3] }) */
  rayleigh: cont.rayleigh,
  /** Pareto with scale 1 (support [1, inf)). @example prng.pareto(prng.key(0), 3, { shape: [3] }) */
  pareto: cont.pareto,
  /** Weibull. @example prng.weibullMin(prng.key(0), 1, 1.5, { shape: [3] }) */
  weibullMin: cont.weibullMin,
  /** Triangular. @example prng.triangular(prng.key(0), 0, 1, 3, { shape: [3] }) */
  triangular: cont.triangular,
  /** Maxwell. @example prng.maxwell(prng.key(0), [3]) */
  maxwell: cont.maxwell,
  /** Double-sided Maxwell. @example prng.doubleSidedMaxwell(prng.key(0), 0, 1, { shape: [3] }) */
  doubleSidedMaxwell: cont.doubleSidedMaxwell,
  /** Standard exponential. @example prng.exponential(prng.key(0), [3]) */
  exponential: cont.exponential,
  /** Truncated standard normal. @example prng.truncatedNormal(prng.key(0), -1, 2, { shape: [3] }) */
  truncatedNormal: cont.truncatedNormal,
  /** Multivariate normal (method "cholesky", the default, "eigh" or "svd"). @example prng.multivariateNormal(prng.key(0), [0, 0], [[1, 0.5], [0.5, 1]], { shape: [4] }) */
  multivariateNormal: cont.multivariateNormal,
  /** Gamma(a, 1). @example prng.gamma(prng.key(0), 2.5, { shape: [3] }) */
  gamma: gam.gamma,
  /** Beta(a, b). @example prng.beta(prng.key(0), 2, 5, { shape: [3] }) */
  beta: gam.beta,
  /** Dirichlet(alpha). @example prng.dirichlet(prng.key(0), [1, 2, 3], { shape: [4] }) */
  dirichlet: gam.dirichlet,
  /** Chi-square. @example prng.chisquare(prng.key(0), 4, { shape: [3] }) */
  chisquare: gam.chisquare,
  /** Student's t. @example prng.t(prng.key(0), 5, { shape: [3] }) */
  t: gam.t,
  /** Uniform in the unit p-ball. @example prng.ball(prng.key(0), 3, { shape: [4] }) // [4, 3] */
  ball: gam.ball,
};

// ---------------------------------------------------------------------------------------------
// The stateful generator.

/** A generator whose key is a State: each draw splits the key and stores one half back. */
export class RandomState extends LongTermState<Tensor> {
  constructor(seed: number = defaultSeed(), ...extra: undefined[]) {
    super(prng.key(seed), { name: "random.key" });
    noExtraArgs("RandomState", 1, extra);
  }
  /** Resets the key from a seed. */
  seed(seed: number): void {
    this.value = prng.key(seed);
  }
  /** Splits the key: stores a fresh key and returns a subkey for one draw. */
  nextKey(): Tensor {
    const key = this.value;
    // (Only when the key's values are on the host: a key a jitted step left in device memory
    // (webgpu) is split by graph ops instead, which need no synchronous read.)
    if (!isTracingStates() && key.node.prim === "data" && (key.node.params as unknown as { ref: { host: unknown } }).ref.host !== null) {
      // Eager: split on the host, so the key never becomes a growing chain of pending graph nodes.
      const [k0, k1] = Array.from(key.dataSync());
      // split(key, 2): row i hashes the counter i.
      const subkey = (i: number) => np.array(hostSubkey(k0!, k1!, i), { dtype: "int32" });
      this.value = subkey(0);
      return subkey(1);
    }
    const keys = prng.split(key, 2);
    this.value = reshapeRaw(apply("slice", [keys], { start: [0, 0], stop: [1, 2], step: [1, 1] }), [2]);
    return reshapeRaw(apply("slice", [keys], { start: [1, 0], stop: [2, 2], step: [1, 1] }), [2]);
  }
}

function defaultSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** The process-wide generator behind `random.*`. */
export const DEFAULT_RANDOM = new RandomState();

export interface SizeOption {
  size?: number | readonly number[];
  dtype?: DType;
}

/**
 * The one options object of a `random.*` sampler, checked: `random.normal(0, 1, [3])` (NumPy's
 * positional form) must not silently draw one scalar from N(0, 1).
 */
function samplerOptions<O extends object>(op: SignatureName, opts: O | undefined, rest: readonly unknown[], example: string): O {
  const form = `${op} takes one options object, e.g. ${example}`;
  if (rest.length) throw new ValueError(`${form}; got ${rest.length + 1} arguments`);
  if (opts === undefined) return {} as O;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts) || opts instanceof Tensor) throw new ValueError(`${form}; got ${describeValue(opts)}`);
  checkOptionKeys(op, opts);
  return opts;
}

/** A fresh subkey of the default generator for one draw. */
const next = (): Tensor => DEFAULT_RANDOM.nextKey();

/** `size` (NumPy's name) as a draw shape; absent: the parameters' broadcast shape. */
function sized(op: string, o: SizeOption): DrawOptions {
  return { ...(o.size === undefined ? {} : { shape: normShape(o.size, op) }), ...(o.dtype === undefined ? {} : { dtype: o.dtype }) };
}

/** `loc + scale x` for the location-scale families, with the scale checked. */
function locScale(op: string, x: Tensor, o: { loc?: DistributionParam; scale?: DistributionParam }): Tensor {
  checkParam(op, "scale", o.scale, positive, "positive");
  return np.add(np.multiply(x, o.scale ?? 1), o.loc ?? 0);
}

type LocScale = SizeOption & { loc?: DistributionParam; scale?: DistributionParam };

/**
 * A location-scale sampler `loc + scale * base(key, shape)`: the draw shape is `size` or the
 * broadcast of loc and scale (so the base draw is made at that shape).
 */
function locScaleDraw(op: string, base: (key: Tensor, shape: readonly number[], o: { dtype?: DType }) => Tensor, o: LocScale): Tensor {
  const shape = o.size === undefined ? broadcastShapes(op, np.asarray(o.loc ?? 0).shape, np.asarray(o.scale ?? 1).shape) : normShape(o.size, op);
  return locScale(op, base(next(), shape, o.dtype === undefined ? {} : { dtype: o.dtype }), o);
}

/** The stateful generator API (BrainState's `brainstate.random`, NumPy's names and parameters). */
export const random = {
  /** Seeds the default generator. @example random.seed(42) */
  seed(seed: number): void {
    DEFAULT_RANDOM.seed(seed);
  },
  /** Standard normal samples of the given shape. @example random.randn(2, 3) */
  randn(...shape: number[]): Tensor {
    return prng.normal(next(), normShape(shape, "random.randn"));
  },
  /** Uniform [0, 1) samples of the given shape. @example random.rand(2, 3) */
  rand(...shape: number[]): Tensor {
    return prng.uniform(next(), normShape(shape, "random.rand"));
  },
  /** Normal samples with mean `loc` and standard deviation `scale`. @example random.normal({ loc: 1, scale: 2, size: [3] }) */
  normal(opts?: SizeOption & { loc?: number; scale?: number }, ...rest: never[]): Tensor {
    opts = samplerOptions("random.normal", opts, rest, "random.normal({ loc: 0, scale: 1, size: [3] })");
    const z = prng.normal(next(), normShape(opts.size, "random.normal"), { dtype: opts.dtype });
    return np.add(np.multiply(z, opts.scale ?? 1), opts.loc ?? 0);
  },
  /** Uniform samples in [low, high). @example random.uniform({ low: -1, high: 1, size: 4 }) */
  uniform(opts?: SizeOption & { low?: number; high?: number }, ...rest: never[]): Tensor {
    opts = samplerOptions("random.uniform", opts, rest, "random.uniform({ low: 0, high: 1, size: [3] })");
    return prng.uniform(next(), normShape(opts.size, "random.uniform"), { dtype: opts.dtype, minval: opts.low ?? 0, maxval: opts.high ?? 1 });
  },
  /** Integers in [low, high) (int32). @example random.randint(0, 10, { size: [5] }) */
  randint(low: number, high: number, opts?: SizeOption, ...rest: never[]): Tensor {
    opts = samplerOptions("random.randint", opts, rest, "random.randint(0, 10, { size: [5] })");
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new ValueError(`random.randint: need integers low < high, got ${describeValue(low)}, ${describeValue(high)}`);
    }
    return prng.randint(next(), normShape(opts.size, "random.randint"), low, high, opts.dtype === undefined ? {} : { dtype: opts.dtype });
  },
  /**
   * A random permutation of `arange(n)`, or of a tensor along its first axis (ranks of random
   * keys: O(n^2) work, meant for modest n).
   * @example random.permutation(5)
   */
  permutation(n: number | Tensor): Tensor {
    if (typeof n !== "number" && !(n instanceof Tensor && n.ndim > 0)) {
      throw new ValueError(`random.permutation: need a non-negative integer or a tensor with a first axis, got ${describeValue(n)}`);
    }
    return prng.permutation(next(), n);
  },
  /** Booleans, true with probability `p`. @example random.bernoulli({ p: 0.3, size: [10] }) */
  bernoulli(opts?: SizeOption & { p?: number }, ...rest: never[]): Tensor {
    opts = samplerOptions("random.bernoulli", opts, rest, "random.bernoulli({ p: 0.3, size: [10] })");
    const p = opts.p ?? 0.5;
    if (!(p >= 0 && p <= 1)) throw new ValueError(`random.bernoulli: p must be in [0, 1], got ${p}`);
    return prng.bernoulli(next(), p, { shape: normShape(opts.size, "random.bernoulli") });
  },
  /** Category indices from logits (Gumbel-max). @example random.categorical(np.log(np.array([0.2, 0.8])), { size: [5] }) */
  categorical(logits: DistributionParam, opts?: { axis?: number; size?: number | readonly number[] }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.categorical", opts, rest, "random.categorical(logits, { size: [5] })");
    return prng.categorical(next(), logits, { ...(o.axis === undefined ? {} : { axis: o.axis }), ...(o.size === undefined ? {} : { shape: normShape(o.size, "random.categorical") }) });
  },
  /** A sample from `arange(a)` or the first axis of `a`. @example random.choice(10, { size: [3], replace: false }) */
  choice(a: number | DistributionParam, opts?: { size?: number | readonly number[]; replace?: boolean; p?: DistributionParam }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.choice", opts, rest, "random.choice(10, { size: [3] })");
    return prng.choice(next(), a, { shape: normShape(o.size, "random.choice"), ...(o.replace === undefined ? {} : { replace: o.replace }), ...(o.p === undefined ? {} : { p: o.p }) });
  },
  /** Cauchy with location and scale. @example random.cauchy({ size: [3] }) */
  cauchy(opts?: LocScale, ...rest: never[]): Tensor {
    return locScaleDraw("random.cauchy", prng.cauchy, samplerOptions("random.cauchy", opts, rest, "random.cauchy({ size: [3] })"));
  },
  /** Laplace with location and scale. @example random.laplace({ loc: 0, scale: 2, size: [3] }) */
  laplace(opts?: LocScale, ...rest: never[]): Tensor {
    return locScaleDraw("random.laplace", prng.laplace, samplerOptions("random.laplace", opts, rest, "random.laplace({ size: [3] })"));
  },
  /** Gumbel with location and scale. @example random.gumbel({ size: [3] }) */
  gumbel(opts?: LocScale, ...rest: never[]): Tensor {
    return locScaleDraw("random.gumbel", prng.gumbel, samplerOptions("random.gumbel", opts, rest, "random.gumbel({ size: [3] })"));
  },
  /** Logistic with location and scale. @example random.logistic({ size: [3] }) */
  logistic(opts?: LocScale, ...rest: never[]): Tensor {
    return locScaleDraw("random.logistic", prng.logistic, samplerOptions("random.logistic", opts, rest, "random.logistic({ size: [3] })"));
  },
  /** Double-sided Maxwell with location and scale. @example random.doubleSidedMaxwell({ size: [3] }) */
  doubleSidedMaxwell(opts?: LocScale, ...rest: never[]): Tensor {
    const o = samplerOptions("random.doubleSidedMaxwell", opts, rest, "random.doubleSidedMaxwell({ size: [3] })");
    return prng.doubleSidedMaxwell(next(), o.loc ?? 0, o.scale ?? 1, sized("random.doubleSidedMaxwell", o));
  },
  /** Exponential with scale `1 / rate`. @example random.exponential({ scale: 2, size: [3] }) */
  exponential(opts?: SizeOption & { scale?: DistributionParam }, ...rest: never[]): Tensor {
    return locScaleDraw("random.exponential", prng.exponential, samplerOptions("random.exponential", opts, rest, "random.exponential({ scale: 1, size: [3] })"));
  },
  /** Maxwell. @example random.maxwell({ size: [3] }) */
  maxwell(opts?: SizeOption, ...rest: never[]): Tensor {
    const o = samplerOptions("random.maxwell", opts, rest, "random.maxwell({ size: [3] })");
    return prng.maxwell(next(), normShape(o.size, "random.maxwell"), o.dtype === undefined ? {} : { dtype: o.dtype });
  },
  /** ±1 with equal probability. @example random.rademacher({ size: [3] }) */
  rademacher(opts?: SizeOption, ...rest: never[]): Tensor {
    const o = samplerOptions("random.rademacher", opts, rest, "random.rademacher({ size: [3] })");
    return prng.rademacher(next(), normShape(o.size, "random.rademacher"), o.dtype === undefined ? {} : { dtype: o.dtype });
  },
  /** Log-normal: `exp(N(mean, sigma))`. @example random.lognormal({ mean: 0, sigma: 0.5, size: [3] }) */
  lognormal(opts?: SizeOption & { mean?: DistributionParam; sigma?: DistributionParam }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.lognormal", opts, rest, "random.lognormal({ sigma: 1, size: [3] })");
    const shape = o.size === undefined ? broadcastShapes("random.lognormal", np.asarray(o.mean ?? 0).shape, np.asarray(o.sigma ?? 1).shape) : normShape(o.size, "random.lognormal");
    return np.multiply(prng.lognormal(next(), o.sigma ?? 1, { shape, ...(o.dtype === undefined ? {} : { dtype: o.dtype }) }), np.exp(o.mean ?? 0));
  },
  /** Rayleigh. @example random.rayleigh({ scale: 2, size: [3] }) */
  rayleigh(opts?: SizeOption & { scale?: DistributionParam }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.rayleigh", opts, rest, "random.rayleigh({ scale: 1, size: [3] })");
    return prng.rayleigh(next(), o.scale ?? 1, sized("random.rayleigh", o));
  },
  /** Pareto II (Lomax, NumPy's `pareto`): `prng.pareto - 1`, support [0, inf). @example random.pareto(3, { size: [3] }) */
  pareto(a: DistributionParam, opts?: SizeOption, ...rest: never[]): Tensor {
    const o = samplerOptions("random.pareto", opts, rest, "random.pareto(3, { size: [3] })");
    return np.subtract(prng.pareto(next(), a, sized("random.pareto", o)), 1);
  },
  /** Weibull with shape `a` and `scale` (BrainState's weibull_min). @example random.weibullMin(1.5, { scale: 2, size: [3] }) */
  weibullMin(a: DistributionParam, opts?: SizeOption & { scale?: DistributionParam }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.weibullMin", opts, rest, "random.weibullMin(1.5, { size: [3] })");
    return prng.weibullMin(next(), o.scale ?? 1, a, sized("random.weibullMin", o));
  },
  /** Geometric on {1, 2, ...}. @example random.geometric(0.25, { size: [3] }) */
  geometric(p: DistributionParam, opts?: { size?: number | readonly number[] }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.geometric", opts, rest, "random.geometric(0.25, { size: [3] })");
    return prng.geometric(next(), p, sized("random.geometric", o));
  },
  /** Triangular on [left, right] with peak `mode`. @example random.triangular(0, 1, 3, { size: [3] }) */
  triangular(left: DistributionParam, mode: DistributionParam, right: DistributionParam, opts?: SizeOption, ...rest: never[]): Tensor {
    const o = samplerOptions("random.triangular", opts, rest, "random.triangular(0, 1, 3, { size: [3] })");
    return prng.triangular(next(), left, mode, right, sized("random.triangular", o));
  },
  /** Uniform in the unit p-ball of dimension `d`. @example random.ball(3, { size: [4] }) */
  ball(d: number, opts?: SizeOption & { p?: number }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.ball", opts, rest, "random.ball(3, { size: [4] })");
    return prng.ball(next(), d, { ...sized("random.ball", o), ...(o.p === undefined ? {} : { p: o.p }) });
  },
  /** Multivariate normal (method "cholesky", the default, "eigh" or "svd"). @example random.multivariateNormal([0, 0], [[1, 0.5], [0.5, 1]], { size: [4] }) */
  multivariateNormal(mean: DistributionParam, cov: DistributionParam, opts?: SizeOption & { method?: "cholesky" | "eigh" | "svd" }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.multivariateNormal", opts, rest, "random.multivariateNormal(mean, cov, { size: [4] })");
    return prng.multivariateNormal(next(), mean, cov, { ...sized("random.multivariateNormal", o), ...(o.method === undefined ? {} : { method: o.method }) });
  },
  /**
   * Normal `N(loc, scale)` truncated to [lower, upper] (bounds in the units of the result).
   * @example random.truncatedNormal(-1, 1, { size: [3] })
   */
  truncatedNormal(lower: DistributionParam, upper: DistributionParam, opts?: LocScale, ...rest: never[]): Tensor {
    const op = "random.truncatedNormal";
    const o = samplerOptions(op, opts, rest, "random.truncatedNormal(-1, 1, { size: [3] })");
    checkParam(op, "scale", o.scale, positive, "positive");
    const loc = o.loc ?? 0, scale = o.scale ?? 1;
    const std = (b: DistributionParam): DistributionParam => (typeof b === "number" && typeof loc === "number" && typeof scale === "number" ? (b - loc) / scale : np.divide(np.subtract(b, loc), scale));
    return locScale(op, prng.truncatedNormal(next(), std(lower), std(upper), sized(op, o)), o);
  },
  /** Gamma with `shape` (k) and `scale` (theta), NumPy's parameters. @example random.gamma(2, { scale: 1.5, size: [3] }) */
  gamma(shape: DistributionParam, opts?: SizeOption & { scale?: DistributionParam }, ...rest: never[]): Tensor {
    const op = "random.gamma";
    const o = samplerOptions(op, opts, rest, "random.gamma(2, { scale: 1, size: [3] })");
    return locScale(op, prng.gamma(next(), shape, sized(op, o)), { scale: o.scale ?? 1 });
  },
  /** Beta(a, b). @example random.beta(2, 5, { size: [3] }) */
  beta(a: DistributionParam, b: DistributionParam, opts?: SizeOption, ...rest: never[]): Tensor {
    const o = samplerOptions("random.beta", opts, rest, "random.beta(2, 5, { size: [3] })");
    return prng.beta(next(), a, b, sized("random.beta", o));
  },
  /** Dirichlet(alpha); `size` is the batch shape, the result `[...size, k]`. @example random.dirichlet([1, 2, 3], { size: [4] }) */
  dirichlet(alpha: DistributionParam, opts?: SizeOption, ...rest: never[]): Tensor {
    const o = samplerOptions("random.dirichlet", opts, rest, "random.dirichlet([1, 2, 3], { size: [4] })");
    return prng.dirichlet(next(), alpha, sized("random.dirichlet", o));
  },
  /** Poisson(lam) counts, lam default 1. @example random.poisson({ lam: 3, size: [3] }) */
  poisson(opts?: { lam?: DistributionParam; size?: number | readonly number[] }, ...rest: never[]): Tensor {
    const o = samplerOptions("random.poisson", opts, rest, "random.poisson({ lam: 3, size: [3] })");
    return prng.poisson(next(), o.lam ?? 1, sized("random.poisson", o));
  },
  /** Student's t with `df` degrees of freedom (NumPy's standard_t). @example random.t(5, { size: [3] }) */
  t(df: DistributionParam, opts?: SizeOption, ...rest: never[]): Tensor {
    const o = samplerOptions("random.t", opts, rest, "random.t(5, { size: [3] })");
    return prng.t(next(), df, sized("random.t", o));
  },
  /** Chi-square with `df` degrees of freedom. @example random.chisquare(4, { size: [3] }) */
  chisquare(df: DistributionParam, opts?: SizeOption, ...rest: never[]): Tensor {
    const o = samplerOptions("random.chisquare", opts, rest, "random.chisquare(4, { size: [3] })");
    return prng.chisquare(next(), df, sized("random.chisquare", o));
  },
};
