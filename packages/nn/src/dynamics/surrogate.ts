/**
 * Spike functions with surrogate gradients (BrainState's `brainstate.surrogate`). The forward pass
 * is the Heaviside step — a spike is exactly 0 or 1 — and the backward pass replaces its derivative
 * (zero almost everywhere) by a smooth pseudo-derivative, so gradients flow through spikes. Each
 * surrogate is one row of a typed table: its BrainState name, default parameters and derivative.
 */
import { type ArrayLike, DTypeError, type Tensor, ValueError, describeValue, isFloat, np, npUtil } from "@kiln/core";
import { customVjp } from "@kiln/transforms";

/** A spike function: membrane potential (scaled so that 0 is the threshold) → spikes (0/1). */
export type SpikeFunction = (x: Tensor) => Tensor;

/** Each surrogate's parameters (all positive numbers); the defaults are BrainState's. */
export interface SurrogateParams {
  sigmoid: { alpha: number };
  fastSigmoid: { alpha: number };
  arctan: { alpha: number };
  piecewiseLinear: { alpha: number; width: number };
  gaussian: { sigma: number; alpha: number };
}

/** The built-in surrogates by name. */
export type SurrogateName = keyof SurrogateParams;

interface SurrogateRule<K extends SurrogateName> {
  /** BrainState's class of the same derivative (docs and error messages). */
  readonly brainstate: string;
  readonly defaults: Readonly<SurrogateParams[K]>;
  /** The pseudo-derivative d spike / dx used in the backward pass. */
  grad(x: Tensor, p: SurrogateParams[K]): Tensor;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

// Annotated rather than `satisfies`: indexing the mapped type with a generic K gives SurrogateRule<K>.
const SURROGATES: { readonly [K in SurrogateName]: SurrogateRule<K> } = {
  sigmoid: {
    brainstate: "Sigmoid",
    defaults: { alpha: 4 },
    grad: (x, { alpha }) => {
      const s = np.sigmoid(x.mul(alpha));
      return s.mul(s.neg().add(1)).mul(alpha);
    },
  },
  // SuperSpike's fast sigmoid (Zenke & Ganguli 2018); BrainState's InvSquareGrad.
  fastSigmoid: {
    brainstate: "InvSquareGrad",
    defaults: { alpha: 100 },
    grad: (x, { alpha }) => x.abs().mul(alpha).add(1).square().reciprocal(),
  },
  arctan: {
    brainstate: "Arctan",
    defaults: { alpha: 1 },
    grad: (x, { alpha }) => x.mul((Math.PI / 2) * alpha).square().add(1).reciprocal().mul(alpha / 2),
  },
  // The triangle of Bellec et al. 2018 / Neftci et al. 2019; BrainState's ReluGrad, the default
  // spike function of its neurons.
  piecewiseLinear: {
    brainstate: "ReluGrad",
    defaults: { alpha: 0.3, width: 1 },
    grad: (x, { alpha, width }) => np.maximum(x.abs().neg().add(width).mul(alpha), 0),
  },
  // alpha · N(x; 0, sigma²). BrainState's GaussianGrad writes exp(-x²/2 · sigma²) (an operator
  // precedence slip); this is the normal density its documentation states.
  gaussian: {
    brainstate: "GaussianGrad",
    defaults: { sigma: 0.5, alpha: 0.5 },
    grad: (x, { sigma, alpha }) => x.div(sigma).square().mul(-0.5).exp().mul(alpha / (SQRT_2PI * sigma)),
  },
};

function heaviside(x: Tensor): Tensor {
  // x >= 0 spikes, as in BrainState: a potential exactly at threshold fires.
  return x.ge(0).astype(x.dtype);
}

function spikeInput(who: string, x: ArrayLike): Tensor {
  const t = npUtil.asTensor(x, who);
  if (!isFloat(t.dtype)) throw new DTypeError(`${who}: the membrane potential must be a float Tensor, got ${t.dtype}; cast it with astype("float32")`);
  return t;
}

/**
 * Heaviside forward with a custom backward rule: the cotangent of the spikes times
 * `surrogateGrad(x)`. Build custom surrogates with it (BrainState's `Surrogate` subclass with its
 * own `surrogate_grad`).
 * @example
 * const s = nn.surrogate.spike(v, (x) => np.exp(x.abs().neg()));   // SLAYER's exp(-|x|)
 * grad((v) => nn.surrogate.spike(v, (x) => np.exp(x.abs().neg())).sum())(np.array([0.5])); // [exp(-0.5)]
 */
export function spike(x: ArrayLike, surrogateGrad: (x: Tensor) => Tensor): Tensor {
  if (typeof surrogateGrad !== "function") throw new ValueError(`surrogate.spike: surrogateGrad must be a function of x, got ${describeValue(surrogateGrad)}`);
  const t = spikeInput("surrogate.spike", x);
  const f = customVjp(heaviside);
  f.defVjp((v: Tensor) => [heaviside(v), v], (v: Tensor, g: Tensor) => [g.mul(surrogateGrad(v))]);
  return f(t) as Tensor;
}

function paramsOf<K extends SurrogateName>(name: K, opts: Partial<SurrogateParams[K]> | undefined): SurrogateParams[K] {
  const rule: SurrogateRule<K> = SURROGATES[name];
  const who = `surrogate.${name}`;
  const given = npUtil.optionsObject(who, opts) as Record<string, unknown>;
  npUtil.checkKeysIn(who, given, new Set(Object.keys(rule.defaults)));
  const params = { ...rule.defaults } as Record<string, number>;
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new ValueError(`${who}: ${k} must be a positive finite number, got ${describeValue(v)}`);
    params[k] = v;
  }
  return params as unknown as SurrogateParams[K];
}

function surrogateSpike<K extends SurrogateName>(name: K, x: ArrayLike, opts: Partial<SurrogateParams[K]> | undefined): Tensor {
  const rule: SurrogateRule<K> = SURROGATES[name];
  const p = paramsOf(name, opts);
  return spike(spikeInput(`surrogate.${name}`, x), (v) => rule.grad(v, p));
}

/**
 * Spikes (x >= 0) with the sigmoid surrogate: g'(x) = alpha · σ(alpha x) (1 − σ(alpha x)).
 * BrainState: `surrogate.Sigmoid(alpha=4.)`.
 * @example nn.surrogate.sigmoid(np.array([-1, 0, 2]), { alpha: 4 }) // [0, 1, 1]
 */
export function sigmoid(x: ArrayLike, opts?: Partial<SurrogateParams["sigmoid"]>): Tensor {
  return surrogateSpike("sigmoid", x, opts);
}

/**
 * Spikes with SuperSpike's fast-sigmoid surrogate: g'(x) = 1 / (alpha |x| + 1)².
 * BrainState: `surrogate.InvSquareGrad(alpha=100.)`.
 * @example nn.surrogate.fastSigmoid(v, { alpha: 25 })
 */
export function fastSigmoid(x: ArrayLike, opts?: Partial<SurrogateParams["fastSigmoid"]>): Tensor {
  return surrogateSpike("fastSigmoid", x, opts);
}

/** `fastSigmoid` under SuperSpike's name. @example nn.surrogate.superSpike(v) */
export const superSpike = fastSigmoid;

/**
 * Spikes with the arctan surrogate: g'(x) = alpha / (2 (1 + (π/2 · alpha x)²)).
 * BrainState: `surrogate.Arctan(alpha=1.)`.
 * @example nn.surrogate.arctan(v, { alpha: 2 })
 */
export function arctan(x: ArrayLike, opts?: Partial<SurrogateParams["arctan"]>): Tensor {
  return surrogateSpike("arctan", x, opts);
}

/**
 * Spikes with the triangular (piecewise-linear) surrogate: g'(x) = max(alpha (width − |x|), 0).
 * BrainState: `surrogate.ReluGrad(alpha=0.3, width=1.)`, the default of `nn.LIF`.
 * @example nn.surrogate.piecewiseLinear(v, { alpha: 1, width: 0.5 })
 */
export function piecewiseLinear(x: ArrayLike, opts?: Partial<SurrogateParams["piecewiseLinear"]>): Tensor {
  return surrogateSpike("piecewiseLinear", x, opts);
}

/**
 * Spikes with the Gaussian surrogate: g'(x) = alpha · exp(−x² / (2 sigma²)) / (√(2π) sigma).
 * BrainState: `surrogate.GaussianGrad(sigma=0.5, alpha=0.5)` (see docs/dynamics.md for its formula).
 * @example nn.surrogate.gaussian(v, { sigma: 1 })
 */
export function gaussian(x: ArrayLike, opts?: Partial<SurrogateParams["gaussian"]>): Tensor {
  return surrogateSpike("gaussian", x, opts);
}
