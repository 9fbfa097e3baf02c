/**
 * Gamma and the distributions built from it: beta, Dirichlet, chi-square, Student's t and the
 * uniform-in-a-p-ball sampler.
 *
 * Gamma is Marsaglia–Tsang (2000) with a fixed number of rejection rounds drawn at once, so the
 * sampler is a straight-line graph (vmap/jit friendly; JAX uses a while loop). Each round accepts
 * with probability >= 0.9515 for every a >= 1 (the minimum is at a = 1; measured 0.9516 over 2e6
 * float64 draws), so all GAMMA_ROUNDS = 10 rounds reject with probability < 0.0485^10 ≈ 7e-14 per
 * sample; then the first round's candidate is returned (clamped positive), a documented bias far
 * below any statistical test. Shapes a < 1 use the boost gamma(a) = gamma(a + 1) U^(1/a).
 */
import type { DType } from "./dtype.js";
import { ShapeError } from "./errors.js";
import type { Tensor } from "./tensor.js";
import { asTensor, astypeRaw, broadcastRaw } from "./np/util.js";
import * as np from "./np/index.js";
import { type Positional, positionalOptions } from "./np/positional.js";
import { checkShape } from "./shape.js";
import { checkKey, floatDType, normal, subkeys, uniform } from "./random-bits.js";
import { checkParam, isInteger, openUnit, positive, prepareDraw, type DrawOptions, type DistributionParam } from "./random-params.js";
import { exponential } from "./random-continuous.js";

export const GAMMA_ROUNDS = 10;
/** Gamma(a) for a >= 1 (a broadcast to `shape`): the first accepted of GAMMA_ROUNDS candidates. */
function marsagliaTsang(key: Tensor, a: Tensor, shape: readonly number[], dtype: DType): Tensor {
  const [kx, ku] = subkeys(key, 2) as [Tensor, Tensor];
  const rounds = [GAMMA_ROUNDS, ...shape];
  const d = np.subtract(a, 1 / 3);
  const c = np.divide(1, np.sqrt(np.multiply(d, 9)));
  const x = normal(kx, rounds, { dtype });
  const u = openUnit(ku, rounds, dtype);
  const v = np.power(np.add(np.multiply(c, x), 1), 3);
  const logV = np.log(np.maximum(v, 1e-30));
  // Accept when log u < x^2/2 + d - d v + d log v (and v > 0): Marsaglia–Tsang's exact test.
  const bound = np.add(np.multiply(np.square(x), 0.5), np.multiply(d, np.add(np.subtract(1, v), logV)));
  const accept = np.logicalAnd(np.greater(v, 0), np.less(np.log(u), bound));
  const first = np.argmax(astypeRaw(accept, "int32"), { axis: 0, keepdims: true });
  const chosen = np.squeeze(np.takeAlongAxis(np.multiply(d, v), first, 0), 0);
  return np.maximum(chosen, 1e-30);
}

/** Gamma(a, 1) samples; `a` broadcast to `shape`, any a > 0. */
export function gammaDraw(key: Tensor, a: Tensor, shape: readonly number[], dtype: DType): Tensor {
  const [kg, kb] = subkeys(key, 2) as [Tensor, Tensor];
  const small = np.less(a, 1);
  const g = marsagliaTsang(kg, np.where(small, np.add(a, 1), a), shape, dtype);
  // U^(1/a) as exp(log U / a): the boost that makes a < 1 reachable from a + 1 >= 1.
  const boost = np.exp(np.divide(np.log(openUnit(kb, shape, dtype)), a));
  return np.multiply(g, np.where(small, boost, 1));
}

/** Gamma with shape `a` and scale 1 (Marsaglia–Tsang, fixed rounds; see the module note). */
export function gamma(key: Tensor, a: DistributionParam, ...args: Positional<"prng.gamma", DrawOptions>): Tensor {
  const op = "prng.gamma";
  checkParam(op, "a", a, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [a]);
  return gammaDraw(key, d.ps[0]!, d.shape, d.dtype);
}

/** Beta(a, b) as `X / (X + Y)` with X ~ Gamma(a), Y ~ Gamma(b). */
export function beta(key: Tensor, a: DistributionParam, b: DistributionParam, ...args: Positional<"prng.beta", DrawOptions>): Tensor {
  const op = "prng.beta";
  checkParam(op, "a", a, positive, "positive");
  checkParam(op, "b", b, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [a, b]);
  const [ka, kb] = subkeys(key, 2) as [Tensor, Tensor];
  const x = gammaDraw(ka, d.ps[0]!, d.shape, d.dtype), y = gammaDraw(kb, d.ps[1]!, d.shape, d.dtype);
  return np.divide(x, np.add(x, y));
}

/**
 * Dirichlet(alpha): independent Gamma(alpha_i) normalised along the last axis. `shape` is the batch
 * shape (default `alpha.shape[:-1]`); the result is `[...shape, k]`.
 */
export function dirichlet(key: Tensor, alpha: DistributionParam, ...args: Positional<"prng.dirichlet", DrawOptions>): Tensor {
  const op = "prng.dirichlet";
  checkParam(op, "alpha", alpha, positive, "positive");
  const o = positionalOptions<DrawOptions>(op, args);
  checkKey(key, op);
  const dtype = floatDType(o.dtype, op);
  const al = asTensor(alpha, op);
  if (al.ndim < 1) throw new ShapeError(`${op}: alpha must have at least one axis, got a scalar`);
  const k = al.shape[al.ndim - 1]!;
  const shape = o.shape === undefined ? al.shape.slice(0, -1) : checkShape(op, o.shape);
  const full = [...shape, k];
  const d = prepareDraw(op, key, { shape: full, dtype }, [al]);
  const g = gammaDraw(key, d.ps[0]!, full, dtype);
  return np.divide(g, np.sum(g, { axis: -1, keepdims: true }));
}

/** Chi-square with `df` degrees of freedom: `2 Gamma(df / 2)`. */
export function chisquare(key: Tensor, df: DistributionParam, ...args: Positional<"prng.chisquare", DrawOptions>): Tensor {
  const op = "prng.chisquare";
  checkParam(op, "df", df, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [df]);
  return np.multiply(gammaDraw(key, np.multiply(d.ps[0]!, 0.5), d.shape, d.dtype), 2);
}

/** Student's t with `df` degrees of freedom: `z sqrt((df/2) / Gamma(df/2))`, z standard normal. */
export function t(key: Tensor, df: DistributionParam, ...args: Positional<"prng.t", DrawOptions>): Tensor {
  const op = "prng.t";
  checkParam(op, "df", df, positive, "positive");
  const d = prepareDraw(op, key, positionalOptions<DrawOptions>(op, args), [df]);
  const [kn, kg] = subkeys(key, 2) as [Tensor, Tensor];
  const half = np.multiply(d.ps[0]!, 0.5);
  const z = normal(kn, d.shape, { dtype: d.dtype });
  return np.multiply(z, np.sqrt(np.divide(half, gammaDraw(kg, half, d.shape, d.dtype))));
}

/**
 * Uniform in the d-dimensional unit p-ball (Barthe et al. 2005, as JAX): `g / (sum |g|^p + E)^(1/p)`
 * with g generalized-normal(p) in d coordinates and E standard exponential. Result `[...shape, d]`.
 */
export function ball(key: Tensor, d: number, ...args: Positional<"prng.ball", DrawOptions & { p?: number }>): Tensor {
  const op = "prng.ball";
  const o = positionalOptions<DrawOptions & { p?: number }>(op, args);
  checkParam(op, "d", d, (x) => isInteger(x) && x >= 1, "a positive integer");
  const p = o.p ?? 2;
  checkParam(op, "p", p, positive, "positive");
  const dr = prepareDraw(op, key, { shape: o.shape ?? [], dtype: o.dtype }, []);
  const full = [...dr.shape, d];
  const [kg, ks, ke] = subkeys(key, 3) as [Tensor, Tensor, Tensor];
  // Generalized normal(p): a random sign times Gamma(1/p)^(1/p).
  const mag = np.power(gammaDraw(kg, broadcastRaw(np.full([], 1 / p, { dtype: dr.dtype }), full), full, dr.dtype), 1 / p);
  const sign = np.subtract(np.multiply(np.astype(np.less(uniform(ks, full), 0.5), dr.dtype), 2), 1);
  const g = np.multiply(mag, sign);
  const e = exponential(ke, dr.shape, { dtype: dr.dtype });
  const norm = np.power(np.add(np.sum(np.power(np.abs(g), p), { axis: -1 }), e), 1 / p);
  return np.divide(g, np.expandDims(norm, -1));
}
