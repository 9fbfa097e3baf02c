/**
 * Discrete samplers: Bernoulli, Rademacher, randint, geometric, categorical (Gumbel-max), Poisson,
 * permutation and choice.
 *
 * Permutations and sampling without replacement sort random 32-bit keys (a stable descending
 * argsort, the `sort` primitive: O(n log n)). Ties between two equal keys (probability about
 * n^2 / 2^33) are broken by index, a bias of that order.
 */
import { type DType, isInt } from "./dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue } from "./errors.js";
import type { Tensor } from "./tensor.js";
import { apply, asTensor, astypeRaw, broadcastRaw, fullRaw, reshapeRaw } from "./np/util.js";
import * as np from "./np/index.js";
import { type Positional, positionalOptions } from "./np/positional.js";
import { checkShape, normAxis, sizeOf } from "./shape.js";
import { bitWords as bits, checkKey, normShape, subkeys, uniform } from "./random-bits.js";
import { checkParam, nonNegative, openUnit, prepareDraw, probability, type DistributionParam } from "./random-params.js";
import { gumbel } from "./random-continuous.js";
import { topK } from "./lax/sort.js";

function intDType(op: string, dtype: DType | undefined): DType {
  const d = dtype ?? "int32";
  if (!isInt(d)) throw new DTypeError(`${op}: dtype must be an integer type, got ${d}`);
  return d;
}

/** Booleans, true with probability `p` (`u < p`, u uniform in [0, 1)). */
export function bernoulli(key: Tensor, p: DistributionParam = 0.5, ...args: Positional<"prng.bernoulli", { shape?: readonly number[] }>): Tensor {
  const op = "prng.bernoulli";
  checkParam(op, "p", p, probability, "in [0, 1]");
  const d = prepareDraw(op, key, positionalOptions<{ shape?: readonly number[] }>(op, args), [p], "float32");
  return np.less(uniform(key, d.shape), d.ps[0]!);
}

/** ±1 with equal probability (int32 by default). */
export function rademacher(key: Tensor, shape: readonly number[] = [], ...args: Positional<"prng.rademacher", { dtype?: DType }>): Tensor {
  const op = "prng.rademacher";
  const o = positionalOptions<{ dtype?: DType }>(op, args);
  checkKey(key, op);
  const s = normShape(shape, op);
  const dtype = o.dtype ?? "int32";
  return np.subtract(np.multiply(np.astype(bernoulli(key, 0.5, { shape: s }), dtype), 2), 1);
}

/**
 * Integers in [minval, maxval): the top 31 bits of a random word modulo the span, plus minval. The
 * modulo bias is below span / 2^31 (JAX combines two words to shrink it further); spans of 2^31 and
 * more (e.g. the whole int32 range) fold a full word once. Where a Tensor bound gives
 * maxval <= minval the result is minval, as JAX.
 */
export function randint(key: Tensor, shape: readonly number[], minval: DistributionParam, maxval: DistributionParam, ...args: Positional<"prng.randint", { dtype?: DType }>): Tensor {
  const op = "prng.randint";
  const o = positionalOptions<{ dtype?: DType }>(op, args);
  const dtype = intDType(op, o.dtype);
  checkParam(op, "minval", minval, Number.isInteger, "an integer");
  checkParam(op, "maxval", maxval, Number.isInteger, "an integer");
  if (typeof minval === "number" && typeof maxval === "number" && !(minval < maxval)) throw new ValueError(`${op}: need minval < maxval, got ${minval}, ${maxval}`);
  const d = prepareDraw(op, key, { shape }, [minval, maxval], dtype);
  const [lo, hi] = d.ps as [Tensor, Tensor];
  const w32 = bits(key, d.shape);
  // hi - lo wraps (int32) to <= 0 when the true span is 2^31 or more: then the offset is the whole
  // word, folded once by the span (unsigned compare via the sign-bit flip), so every value stays in
  // range at a bias below 2x on the lowest 2^32 - span offsets. Otherwise the top 31 bits mod span.
  const span = np.subtract(hi, lo);
  const wide = np.lessEqual(span, 0);
  const flip = (x: Tensor): Tensor => np.bitwiseXor(x, fullRaw(d.shape, -0x80000000, "int32"));
  const wideOffset = np.where(np.less(flip(w32), flip(span)), w32, np.subtract(w32, span));
  const word31 = apply("shrl", [w32, fullRaw(d.shape, 1, "int32")], {});
  const narrowOffset = np.remainder(word31, np.maximum(span, 1));
  const out = np.add(np.where(wide, wideOffset, narrowOffset), lo);
  return np.where(np.lessEqual(hi, lo), lo, out);
}

/** Geometric on {1, 2, ...} (trials up to the first success): `floor(log1p(-u) / log1p(-p)) + 1`. */
export function geometric(key: Tensor, p: DistributionParam, ...args: Positional<"prng.geometric", { shape?: readonly number[]; dtype?: DType }>): Tensor {
  const op = "prng.geometric";
  checkParam(op, "p", p, (x) => x > 0 && x <= 1, "in (0, 1]");
  const o = positionalOptions<{ shape?: readonly number[]; dtype?: DType }>(op, args);
  const dtype = intDType(op, o.dtype);
  const d = prepareDraw(op, key, { shape: o.shape }, [p], "float32");
  const u = uniform(key, d.shape);
  const k = np.floor(np.divide(np.log1p(np.negative(u)), np.log1p(np.negative(d.ps[0]!))));
  return np.astype(np.add(k, 1), dtype);
}

/** Options of {@link categorical}. */
export interface CategoricalOptions {
  /** The category axis of `logits` (default -1). */
  axis?: number;
  /** The draw shape: ends with `logits.shape` without `axis` (default: exactly that). */
  shape?: readonly number[];
  /** Draw with replacement (default true); false gives distinct categories per batch entry. */
  replace?: boolean;
}

/**
 * Category indices from unnormalised log-probabilities, by Gumbel-max: `argmax(logits + G, axis)`.
 * `shape` (default: `logits.shape` without `axis`) must end with that batch shape; leading extra
 * axes draw independent samples (JAX's rule). With `replace: false` (JAX's `replace=False`) the
 * `k = prod(leading axes)` draws of one batch entry are distinct: the top `k` of one perturbed
 * `logits + G` (Gumbel-top-k), so `k` may not exceed the number of categories.
 * @example prng.categorical(prng.key(0), np.log(np.array([0.2, 0.8])), { shape: [5] })
 * @example prng.categorical(prng.key(0), np.zeros([5]), { shape: [5], replace: false }) // a permutation of 0..4
 */
export function categorical(key: Tensor, logits: DistributionParam, ...args: Positional<"prng.categorical", CategoricalOptions>): Tensor {
  const op = "prng.categorical";
  const o = positionalOptions<CategoricalOptions>(op, args);
  checkKey(key, op);
  const l = asTensor(logits, op);
  if (l.ndim < 1) throw new ShapeError(`${op}: logits must have at least one axis`);
  const axis = normAxis(op, o.axis ?? -1, l.ndim);
  const batch = l.shape.filter((_, i) => i !== axis);
  const shape = o.shape === undefined ? batch : checkShape(op, o.shape);
  const prefix = shape.slice(0, shape.length - batch.length);
  if (shape.length < batch.length || shape.slice(prefix.length).some((s, i) => s !== batch[i])) {
    throw new ShapeError(`${op}: shape [${shape}] must end with the logits' batch shape [${batch}]`);
  }
  const replace = o.replace ?? true;
  if (typeof replace !== "boolean") throw new ValueError(`${op}: replace must be a boolean, got ${describeValue(replace)}`);
  const lf = np.astype(l, l.dtype === "float64" ? "float64" : "float32");
  if (!replace) {
    const k = sizeOf(prefix), n = l.shape[axis]!;
    if (k > n) throw new ValueError(`${op}: the number of samples without replacement (${k}) cannot exceed the number of categories (${n})`);
    const perturbed = np.add(lf, gumbel(key, l.shape, { dtype: lf.dtype }));
    const [, idx] = topK(np.moveaxis(perturbed, axis, -1), k); // [...batch, k]
    return reshapeRaw(np.moveaxis(idx, -1, 0), shape);
  }
  const full = [...prefix, ...l.shape];
  const g = gumbel(key, full, { dtype: lf.dtype });
  return np.argmax(np.add(g, broadcastRaw(lf, full)), { axis: prefix.length + axis });
}

// ---------------------------------------------------------------------------------------------
// Poisson. lam < POISSON_SMALL: count unit-rate exponential arrivals up to lam (Knuth's method in
// log space), capped at KNUTH_CAP arrivals — P(X >= 40 | lam = 10) = 7.3e-13. lam >= POISSON_SMALL:
// Hörmann's transformed rejection (PTRS, as JAX) with PTRS_ROUNDS rounds drawn at once; a round
// accepts with probability >= 0.75 (measured 0.753 at lam = 10, rising with lam), so all rounds
// reject with probability < 0.25^20 ≈ 9e-13; then the first round's candidate is returned.

const POISSON_SMALL = 10;
const KNUTH_CAP = 40;
const PTRS_ROUNDS = 20;

/** log Γ(x) for x >= 1 by shifting to x + 6 and Stirling's series (abs error < 1e-9). */
function lgammaFromOne(x: Tensor): Tensor {
  let shift = fullRaw(x.shape, 0, x.dtype);
  let z = x;
  for (let i = 0; i < 6; i++) {
    shift = np.add(shift, np.log(z));
    z = np.add(z, 1);
  }
  const inv = np.reciprocal(z), inv2 = np.square(inv);
  const series = np.multiply(inv, np.add(1 / 12, np.multiply(inv2, np.add(-1 / 360, np.multiply(inv2, 1 / 1260)))));
  const stirling = np.add(np.subtract(np.multiply(np.subtract(z, 0.5), np.log(z)), z), 0.5 * Math.log(2 * Math.PI));
  return np.subtract(np.add(stirling, series), shift);
}

function poissonKnuth(key: Tensor, lam: Tensor, shape: readonly number[]): Tensor {
  const rounds = [KNUTH_CAP, ...shape];
  const arrivals = np.cumsum(np.negative(np.log(openUnit(key, rounds, "float32"))), { axis: 0 });
  return np.sum(astypeRaw(np.lessEqual(arrivals, broadcastRaw(lam, rounds)), "int32"), { axis: 0 });
}

function poissonPtrs(key: Tensor, lam: Tensor, shape: readonly number[]): Tensor {
  const rounds = [PTRS_ROUNDS, ...shape];
  const [ku, kv] = subkeys(key, 2) as [Tensor, Tensor];
  const L = broadcastRaw(lam, rounds);
  const u = np.subtract(uniform(ku, rounds), 0.5);
  const v = uniform(kv, rounds);
  const b = np.add(np.multiply(np.sqrt(L), 2.53), 0.931);
  const a = np.add(np.multiply(b, 0.02483), -0.059);
  const invAlpha = np.add(np.divide(1.1328, np.subtract(b, 3.4)), 1.1239);
  const vr = np.subtract(0.9277, np.divide(3.6224, np.subtract(b, 2)));
  const us = np.subtract(0.5, np.abs(u));
  const k = np.floor(np.add(np.multiply(np.add(np.divide(np.multiply(a, 2), us), b), u), np.add(L, 0.43)));
  const s = np.log(np.divide(np.multiply(v, invAlpha), np.add(np.divide(a, np.square(us)), b)));
  const tt = np.subtract(np.subtract(np.multiply(k, np.log(L)), L), lgammaFromOne(np.maximum(np.add(k, 1), 1)));
  const quick = np.logicalAnd(np.greaterEqual(us, 0.07), np.lessEqual(v, vr));
  const reject = np.logicalOr(np.less(k, 0), np.logicalAnd(np.less(us, 0.013), np.greater(v, us)));
  const accept = np.logicalOr(quick, np.logicalAnd(np.logicalNot(reject), np.lessEqual(s, tt)));
  const first = np.argmax(astypeRaw(accept, "int32"), { axis: 0, keepdims: true });
  const chosen = np.squeeze(np.takeAlongAxis(np.maximum(k, 0), first, 0), 0);
  return astypeRaw(chosen, "int32");
}

/** Poisson(lam) counts (int32): Knuth's method below lam = 10, PTRS above (see the note above). */
export function poisson(key: Tensor, lam: DistributionParam, ...args: Positional<"prng.poisson", { shape?: readonly number[]; dtype?: DType }>): Tensor {
  const op = "prng.poisson";
  checkParam(op, "lam", lam, (x) => nonNegative(x) && Number.isFinite(x), "non-negative and finite");
  const o = positionalOptions<{ shape?: readonly number[]; dtype?: DType }>(op, args);
  const dtype = intDType(op, o.dtype);
  const d = prepareDraw(op, key, { shape: o.shape }, [lam], "float32");
  const l = d.ps[0]!;
  const [ks, kl] = subkeys(key, 2) as [Tensor, Tensor];
  // A host-number lam picks its method statically; a Tensor lam runs both and selects per element.
  const small = () => poissonKnuth(ks, np.minimum(l, POISSON_SMALL), d.shape);
  const large = () => poissonPtrs(kl, np.maximum(l, POISSON_SMALL), d.shape);
  const out = typeof lam === "number" ? (lam < POISSON_SMALL ? small() : large()) : np.where(np.less(l, POISSON_SMALL), small(), large());
  return np.astype(out, dtype);
}

// ---------------------------------------------------------------------------------------------
// Ranking (permutation, choice without replacement).

/**
 * For scores `s` [..., n], the indices of the `m` largest along the last axis, largest first
 * ([..., m]): a stable descending argsort (the sort primitive), so equal scores keep index order.
 */
function topIndices(scores: Tensor, m: number): Tensor {
  const order = np.argsort(scores, { axis: -1, descending: true });
  return m === order.shape[order.ndim - 1] ? order : np.take(order, np.arange(m, undefined, undefined, { dtype: "int32" }), { axis: -1 });
}

/**
 * A random permutation of `arange(x)` (x a number) or of a tensor along `axis`; with
 * `independent`, every 1-D slice along `axis` is shuffled on its own.
 */
export function permutation(key: Tensor, x: number | DistributionParam, ...args: Positional<"prng.permutation", { axis?: number; independent?: boolean }>): Tensor {
  const op = "prng.permutation";
  const o = positionalOptions<{ axis?: number; independent?: boolean }>(op, args);
  checkKey(key, op);
  if (typeof x === "number") {
    if (!Number.isInteger(x) || x < 0) throw new ValueError(`${op}: need a non-negative integer or an array, got ${describeValue(x)}`);
    return topIndices(bits(key, [x]), x);
  }
  const t = asTensor(x, op);
  if (t.ndim < 1) throw new ShapeError(`${op}: x must have at least one axis, got a scalar`);
  const axis = normAxis(op, o.axis ?? 0, t.ndim);
  const n = t.shape[axis]!;
  if (!o.independent) return np.take(t, topIndices(bits(key, [n]), n), { axis });
  const moved = np.moveaxis(t, axis, -1);
  const perm = topIndices(bits(key, moved.shape), n);
  return np.moveaxis(np.takeAlongAxis(moved, perm, -1), -1, axis);
}

/**
 * A random sample from `arange(a)` (a a number) or from a tensor along `axis`, of the given shape,
 * with or without replacement, optionally with probabilities `p`. With replacement and no p:
 * uniform indices; with p: categorical(log p); without replacement: the top `size(shape)` of
 * random keys (uniform) or of `log p + Gumbel` (Gumbel top-k, sampling proportional to p).
 */
export function choice(key: Tensor, a: number | DistributionParam, ...args: Positional<"prng.choice", { shape?: readonly number[]; replace?: boolean; p?: DistributionParam; axis?: number }>): Tensor {
  const op = "prng.choice";
  const o = positionalOptions<{ shape?: readonly number[]; replace?: boolean; p?: DistributionParam; axis?: number }>(op, args);
  checkKey(key, op);
  const shape = normShape(o.shape ?? [], op);
  const m = sizeOf(shape);
  let n: number, arr: Tensor | null = null, axis = 0;
  if (typeof a === "number") {
    if (!Number.isInteger(a) || a < 0) throw new ValueError(`${op}: a must be a non-negative integer or an array, got ${describeValue(a)}`);
    n = a;
  } else {
    arr = asTensor(a, op);
    if (arr.ndim < 1) throw new ShapeError(`${op}: a must have at least one axis, got a scalar`);
    axis = normAxis(op, o.axis ?? 0, arr.ndim);
    n = arr.shape[axis]!;
  }
  if (n === 0 && m > 0) throw new ValueError(`${op}: cannot take a non-empty sample from an empty population`);
  const replace = o.replace ?? true;
  if (!replace && m > n) throw new ValueError(`${op}: cannot take ${m} samples without replacement from ${n}`);
  let logp: Tensor | null = null;
  if (o.p !== undefined) {
    checkParam(op, "p", o.p, probability, "in [0, 1]");
    const p = asTensor(o.p, op);
    if (p.ndim !== 1 || p.shape[0] !== n) throw new ShapeError(`${op}: p must be 1-D of length ${n}, got [${p.shape}]`);
    logp = np.log(np.astype(p, p.dtype === "float64" ? "float64" : "float32"));
  }
  let idx: Tensor;
  if (replace) {
    idx = logp === null ? randint(key, shape, 0, Math.max(n, 1)) : categorical(key, logp, { shape });
  } else {
    const scores = logp === null ? bits(key, [n]) : np.add(gumbel(key, [n], { dtype: logp.dtype }), logp);
    idx = reshapeRaw(topIndices(scores, m), shape);
  }
  return arr === null ? idx : np.take(arr, idx, { axis });
}
