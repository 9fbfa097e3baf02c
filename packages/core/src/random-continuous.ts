/**
 * Continuous samplers by transformation of uniforms and normals (JAX's formulas): exponential,
 * Cauchy, Laplace, Gumbel, logistic, log-normal, Rayleigh, Pareto, Weibull, triangular, Maxwell,
 * double-sided Maxwell, truncated normal (inverse CDF) and multivariate normal (Cholesky).
 */
import type { DType } from "./dtype.js";
import { ShapeError, ValueError } from "./errors.js";
import type { Tensor } from "./tensor.js";
import { asTensor, fullRaw } from "./np/util.js";
import * as np from "./np/index.js";
import { type Positional, positionalOptions } from "./np/positional.js";
import { broadcastShapes } from "./shape.js";
import { erfinv, horner, normal, subkeys, uniform } from "./random-bits.js";
import { checkParam, openUnit, positive, prepareDraw, type DrawOptions, type DistributionParam } from "./random-params.js";

type PlainName = "prng.exponential" | "prng.cauchy" | "prng.laplace" | "prng.gumbel" | "prng.logistic" | "prng.maxwell";

/** Key, shape and dtype for a parameter-free sampler `(key, shape, dtype | { dtype })`. */
function plain(op: PlainName, key: Tensor, shape: readonly number[], args: Positional<PlainName, { dtype?: DType }>): { shape: number[]; dtype: DType } {
  const o = positionalOptions<{ dtype?: DType }>(op, args);
  return prepareDraw(op, key, { shape, dtype: o.dtype }, []);
}

/** Standard exponential: `-log1p(-u)`, u in [0, 1). */
export function exponential(key: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.exponential", { dtype?: DType }>): Tensor {
  const d = plain("prng.exponential", key, shape, args);
  return np.negative(np.log1p(np.negative(uniform(key, d.shape, { dtype: d.dtype }))));
}

/** Standard Cauchy: `tan(pi (u - 1/2))`, u in (0, 1). */
export function cauchy(key: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.cauchy", { dtype?: DType }>): Tensor {
  const d = plain("prng.cauchy", key, shape, args);
  return np.tan(np.multiply(np.subtract(openUnit(key, d.shape, d.dtype), 0.5), Math.PI));
}

/** Standard Laplace: `sign(u) log1p(-|u|)`, u in (-1, 1). */
export function laplace(key: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.laplace", { dtype?: DType }>): Tensor {
  const d = plain("prng.laplace", key, shape, args);
  const u = uniform(key, d.shape, { dtype: d.dtype, minval: -1 + 2 ** -24, maxval: 1 });
  return np.multiply(np.sign(u), np.log1p(np.negative(np.abs(u))));
}

/** Standard Gumbel: `-log(-log(u))`, u in (0, 1). */
export function gumbel(key: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.gumbel", { dtype?: DType }>): Tensor {
  const d = plain("prng.gumbel", key, shape, args);
  return np.negative(np.log(np.negative(np.log(openUnit(key, d.shape, d.dtype)))));
}

/** Standard logistic: `logit(u) = log(u) - log1p(-u)`, u in (0, 1). */
export function logistic(key: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.logistic", { dtype?: DType }>): Tensor {
  const d = plain("prng.logistic", key, shape, args);
  const u = openUnit(key, d.shape, d.dtype);
  return np.subtract(np.log(u), np.log1p(np.negative(u)));
}

/** Maxwell (chi with 3 degrees of freedom): the norm of three standard normals. */
export function maxwell(key: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.maxwell", { dtype?: DType }>): Tensor {
  const d = plain("prng.maxwell", key, shape, args);
  const z = normal(key, [...d.shape, 3], { dtype: d.dtype });
  return np.sqrt(np.sum(np.square(z), { axis: -1 }));
}

/** Log-normal: `exp(sigma z)`, z standard normal. */
export function lognormal(key: Tensor, sigma: DistributionParam = 1, ...args: Positional<"prng.lognormal", DrawOptions>): Tensor {
  const op = "prng.lognormal";
  checkParam(op, "sigma", sigma, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [sigma]);
  return np.exp(np.multiply(normal(key, d.shape, { dtype: d.dtype }), d.ps[0]!));
}

/** Rayleigh: `scale sqrt(-2 log1p(-u))`, u in [0, 1). */
export function rayleigh(key: Tensor, scale: DistributionParam = 1, ...args: Positional<"prng.rayleigh", DrawOptions>): Tensor {
  const op = "prng.rayleigh";
  checkParam(op, "scale", scale, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [scale]);
  const e = np.negative(np.log1p(np.negative(uniform(key, d.shape, { dtype: d.dtype }))));
  return np.multiply(np.sqrt(np.multiply(e, 2)), d.ps[0]!);
}

/** Pareto with shape `b` and scale 1: `exp(E / b)`, E standard exponential (support [1, inf)). */
export function pareto(key: Tensor, b: DistributionParam, ...args: Positional<"prng.pareto", DrawOptions>): Tensor {
  const op = "prng.pareto";
  checkParam(op, "b", b, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [b]);
  return np.exp(np.divide(exponential(key, d.shape, { dtype: d.dtype }), d.ps[0]!));
}

/** Weibull: `scale (-log1p(-u))^(1 / concentration)`. */
export function weibullMin(key: Tensor, scale: DistributionParam, concentration: DistributionParam, ...args: Positional<"prng.weibullMin", DrawOptions>): Tensor {
  const op = "prng.weibullMin";
  checkParam(op, "scale", scale, positive, "positive");
  checkParam(op, "concentration", concentration, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [scale, concentration]);
  const e = exponential(key, d.shape, { dtype: d.dtype });
  return np.multiply(np.power(e, np.reciprocal(d.ps[1]!)), d.ps[0]!);
}

/** Triangular on [left, right] with peak `mode`, by its inverse CDF. */
export function triangular(key: Tensor, left: DistributionParam, mode: DistributionParam, right: DistributionParam, ...args: Positional<"prng.triangular", DrawOptions>): Tensor {
  const op = "prng.triangular";
  if (typeof left === "number" && typeof mode === "number" && typeof right === "number" && !(left <= mode && mode <= right && left < right)) {
    throw new ValueError(`${op}: need left <= mode <= right and left < right, got ${left}, ${mode}, ${right}`);
  }
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [left, mode, right]);
  const [l, m, r] = d.ps as [Tensor, Tensor, Tensor];
  const u = uniform(key, d.shape, { dtype: d.dtype });
  const width = np.subtract(r, l);
  const below = np.add(l, np.sqrt(np.multiply(np.multiply(u, width), np.subtract(m, l))));
  const above = np.subtract(r, np.sqrt(np.multiply(np.multiply(np.subtract(1, u), width), np.subtract(r, m))));
  return np.where(np.less(u, np.divide(np.subtract(m, l), width)), below, above);
}

/** Double-sided Maxwell: `loc + scale * sign * maxwell`, the sign a fair ±1. */
export function doubleSidedMaxwell(key: Tensor, loc: DistributionParam, scale: DistributionParam, ...args: Positional<"prng.doubleSidedMaxwell", DrawOptions>): Tensor {
  const op = "prng.doubleSidedMaxwell";
  checkParam(op, "scale", scale, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [loc, scale]);
  const [km, ks] = subkeys(key, 2) as [Tensor, Tensor];
  const sign = np.subtract(np.multiply(np.astype(np.less(uniform(ks, d.shape), 0.5), d.dtype), 2), 1);
  return np.add(np.multiply(np.multiply(maxwell(km, d.shape, { dtype: d.dtype }), sign), d.ps[1]!), d.ps[0]!);
}

// XLA's float32 erf (Eigen's generic_fast_erf_float): x P(x^2) / Q(x^2) on [-4, 4], max abs error
// 6.5e-8 against the series. Local because core cannot import @kiln/nn's erf and np has none yet.
const ERF_P = [-2.72614225801306e-10, 2.77068142495902e-8, -2.10102402082508e-6, -5.69250639462346e-5, -7.34990630326855e-4, -2.95459980854025e-3, -1.60960333262415e-2];
const ERF_Q = [-1.45660718464996e-5, -2.13374055278905e-4, -1.68282697438203e-3, -7.37332916720468e-3, -1.42647390514189e-2];

export function erfApprox(x: Tensor): Tensor {
  const c = np.clip(x, -4, 4);
  const c2 = np.square(c);
  return np.divide(np.multiply(c, horner(ERF_P, c2)), horner(ERF_Q, c2));
}

/**
 * Standard normal truncated to [lower, upper], by the inverse CDF as JAX:
 * `sqrt(2) erfinv(U(erf(lower/sqrt2), erf(upper/sqrt2)))`, clipped into [lower, upper].
 */
export function truncatedNormal(key: Tensor, lower: DistributionParam, upper: DistributionParam, ...args: Positional<"prng.truncatedNormal", DrawOptions>): Tensor {
  const op = "prng.truncatedNormal";
  if (typeof lower === "number" && typeof upper === "number" && !(lower < upper)) throw new ValueError(`${op}: need lower < upper, got ${lower}, ${upper}`);
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [lower, upper]);
  const [lo, hi] = d.ps as [Tensor, Tensor];
  const a = erfApprox(np.divide(lo, Math.SQRT2)), b = erfApprox(np.divide(hi, Math.SQRT2));
  const u = np.add(a, np.multiply(uniform(key, d.shape, { dtype: d.dtype }), np.subtract(b, a)));
  // erfinv(±1) is infinite: keep u strictly inside (-1, 1), then clip into the interval.
  const inside = np.clip(u, -1 + 2 ** -24, 1 - 2 ** -24);
  return np.clip(np.multiply(erfinv(inside), Math.SQRT2), lo, hi);
}

/** v diag(sqrt(w)) for cov = v diag(w) vᵀ: a square root of cov that exists for singular PSD cov too. */
function eighFactor(cov: Tensor): Tensor {
  const [w, v] = np.linalg.eigh(cov);
  return np.multiply(v, np.expandDims(np.sqrt(w), -2));
}

/** u diag(sqrt(s)) for cov = u diag(s) vh (JAX's "svd" method): another square root of a PSD cov. */
function svdFactor(cov: Tensor): Tensor {
  const [u, sv] = np.linalg.svd(cov) as [Tensor, Tensor, Tensor];
  return np.multiply(u, np.expandDims(np.sqrt(sv), -2));
}

/**
 * Multivariate normal: `mean + F z` with z standard normal and `F` a factor of `cov` (F Fᵀ = cov):
 * `cholesky(cov)` (method "cholesky", the default) or `v diag(sqrt(w))` from `eigh(cov)` (method
 * "eigh", JAX's formula; it also accepts a singular positive semi-definite cov) or `u diag(sqrt(s))`
 * from `svd(cov)` (method "svd"). The draw shape
 * defaults to the broadcast of `mean.shape[:-1]` and `cov.shape[:-2]`; the result has shape
 * `[...shape, n]`.
 */
export function multivariateNormal(key: Tensor, mean: DistributionParam, cov: DistributionParam, ...args: Positional<"prng.multivariateNormal", DrawOptions & { method?: "cholesky" | "eigh" | "svd" }>): Tensor {
  const op = "prng.multivariateNormal";
  const o = positionalOptions<DrawOptions & { method?: "cholesky" | "eigh" | "svd" }>(op, args);
  const method = o.method ?? "cholesky";
  if (method !== "cholesky" && method !== "eigh" && method !== "svd") throw new ValueError(`${op}: method must be "cholesky", "eigh" or "svd", got ${String(o.method)}`);
  const m = asTensor(mean, op), c = asTensor(cov, op);
  const n = m.shape[m.ndim - 1];
  if (m.ndim < 1 || c.ndim < 2 || c.shape[c.ndim - 1] !== n || c.shape[c.ndim - 2] !== n) {
    throw new ShapeError(`${op}: need mean [..., n] and cov [..., n, n], got [${m.shape}] and [${c.shape}]`);
  }
  const batch = broadcastShapes(op, m.shape.slice(0, -1), c.shape.slice(0, -2));
  const d = prepareDraw(op, key, { shape: o.shape ?? batch, dtype: o.dtype }, [fullRaw(batch, 0, "float32")]);
  const cd = np.astype(c, d.dtype);
  const L = method === "cholesky" ? np.linalg.cholesky(cd) : method === "eigh" ? eighFactor(cd) : svdFactor(cd);
  const z = normal(key, [...d.shape, n], { dtype: d.dtype });
  const lz = np.squeeze(np.matmul(L, np.expandDims(z, -1)), -1);
  return np.add(lz, np.astype(m, d.dtype));
}
