/**
 * Primitive-level Tensor helpers shared by the jvp and vjp tables. Every helper records strict
 * primitives directly (`apply`), so the rules never depend on the np layer's argument handling
 * and every derived graph is made of differentiable primitives again (grad of grad works).
 */
import { type DType, type Shape, Tensor, makeNode, npUtil } from "@kiln/core";

const { apply, astypeRaw, fullRaw, reshapeRaw } = npUtil;

export const zerosLike = (x: Tensor): Tensor => fullRaw(x.shape, 0, x.dtype);
export const onesLike = (x: Tensor): Tensor => fullRaw(x.shape, 1, x.dtype);
/** A symbolic zero (null) made concrete, for linear rules that need every operand. */
export const orZeros = (t: Tensor | null, like: Tensor): Tensor => t ?? zerosLike(like);

export const add = (a: Tensor, b: Tensor): Tensor => apply("add", [a, b], {});
export const sub = (a: Tensor, b: Tensor): Tensor => apply("sub", [a, b], {});
export const mul = (a: Tensor, b: Tensor): Tensor => apply("mul", [a, b], {});
export const div = (a: Tensor, b: Tensor): Tensor => apply("div", [a, b], {});
export const neg = (a: Tensor): Tensor => apply("neg", [a], {});
export const where = (c: Tensor, a: Tensor, b: Tensor): Tensor => apply("select", [c, a, b], {});
export const eq = (a: Tensor, b: Tensor): Tensor => apply("eq", [a, b], {});
/** A bool mask as 0/1 in `dtype`. */
export const indicator = (mask: Tensor, dtype: DType): Tensor => astypeRaw(mask, dtype);
export const matmul = (a: Tensor, b: Tensor): Tensor => apply("matmul", [a, b], {});
export const solve = (a: Tensor, b: Tensor): Tensor => apply("solve", [a, b], {});

/** a + b where either may be a symbolic zero. */
export function addOrNull(a: Tensor | null, b: Tensor | null): Tensor | null {
  return a && b ? add(a, b) : a ?? b;
}

/** Sum over `axes` (no-op for none). */
export function sumAxes(x: Tensor, axes: readonly number[]): Tensor {
  return axes.length ? apply("reduceSum", [x], { axes: [...axes] }) : x;
}

/** Broadcasts a reduction's result (its `axes` removed) back to the unreduced `shape`. */
export function expandReduced(r: Tensor, shape: Shape, axes: readonly number[]): Tensor {
  if (!axes.length) return r;
  const dims = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return apply("broadcast", [r], { shape: [...shape], dims });
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  return perm.every((p, i) => p === i) ? x : apply("transpose", [x], { perm: [...perm] });
}

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Swaps the last two axes (matrix transpose of a batch). */
export function mT(x: Tensor): Tensor {
  const r = x.ndim;
  return transpose(x, [...Array(r - 2).keys(), r - 1, r - 2]);
}

export function slice(x: Tensor, start: readonly number[], stop: readonly number[], step?: readonly number[]): Tensor {
  return apply("slice", [x], { start: [...start], stop: [...stop], step: step ? [...step] : start.map(() => 1) });
}

export function pad(x: Tensor, lo: readonly number[], hi: readonly number[], value = 0): Tensor {
  if (lo.every((v) => v === 0) && hi.every((v) => v === 0)) return x;
  return apply("pad", [x], { lo: [...lo], hi: [...hi], value });
}

export function iota(shape: Shape, axis: number): Tensor {
  // iota is a leaf: its aval is given, not inferred.
  return new Tensor(makeNode("iota", [], { axis }, { shape: [...shape], dtype: "int32" }));
}

// ---------------------------------------------------------------------------------------------
// Transposes of the structural primitives (used by the vjp table).

/** Transpose of `broadcast`: sum the broadcast axes away, restore the input's axis order and size-1 axes. */
export function unbroadcast(ct: Tensor, inShape: Shape, dims: readonly number[]): Tensor {
  const outShape = ct.shape;
  // Input axes that survive as real output axes (a size-1 input axis stretched to n is summed).
  const kept = inShape.map((_, i) => i).filter((i) => !(inShape[i] === 1 && outShape[dims[i]!] !== 1));
  const keptOut = new Set(kept.map((i) => dims[i]!));
  const summed = sumAxes(ct, outShape.map((_, d) => d).filter((d) => !keptOut.has(d)));
  // The summed result holds the kept axes in output order; put them back in input order.
  const byOut = [...kept].sort((a, b) => dims[a]! - dims[b]!);
  const perm = kept.map((i) => byOut.indexOf(i));
  return reshapeRaw(transpose(summed, perm), inShape);
}

/** Transpose of a strided `slice`: zeros everywhere except at the sliced positions. */
export function unslice(ct: Tensor, inShape: Shape, start: readonly number[], step: readonly number[]): Tensor {
  if (ct.size === 0) return fullRaw(inShape, 0, ct.dtype);
  let t = ct;
  for (let d = 0; d < inShape.length; d++) {
    const s = step[d]!;
    const m = t.shape[d]!;
    if (s === 1) continue;
    // Interleave s-1 zeros after each element along d: [.., m, ..] -> [.., m, s, ..] -> [.., m*s, ..].
    const split = [...t.shape.slice(0, d + 1), 1, ...t.shape.slice(d + 1)];
    const lo = split.map(() => 0);
    const hi = split.map((_, i) => (i === d + 1 ? s - 1 : 0));
    const spread = reshapeRaw(pad(reshapeRaw(t, split), lo, hi), t.shape.map((v, i) => (i === d ? m * s : v)));
    // Keep up to the last element: its trailing zeros may lie past the input's end.
    t = slice(spread, spread.shape.map(() => 0), spread.shape.map((v, i) => (i === d ? (m - 1) * s + 1 : v)));
  }
  return pad(t, start, inShape.map((v, d) => v - start[d]! - t.shape[d]!));
}

/** Transpose of `pad` (either sign of lo/hi): crop what padding added, zero-fill what it cropped. */
export function unpad(ct: Tensor, lo: readonly number[], hi: readonly number[]): Tensor {
  const cropped = slice(ct, lo.map((v) => Math.max(v, 0)), ct.shape.map((v, d) => v - Math.max(hi[d]!, 0)));
  return pad(cropped, lo.map((v) => Math.max(-v, 0)), hi.map((v) => Math.max(-v, 0)));
}

// ---------------------------------------------------------------------------------------------
// Reductions.

/**
 * 0/1 mask of the positions a max/min reduction chose, and how many there are per result (ties
 * share, as JAX): the positions equal to `out`. Should no position equal `out` (a NaN, or a
 * backend whose recomputed `x` differs from the one the stored `out` came from), the first
 * arg-max/min position stands in, so the count is never 0 and the derivative never 0/0 = NaN.
 */
export function chooserMask(x: Tensor, out: Tensor, axes: readonly number[], arg: "argmax" | "argmin"): { mask: Tensor; counts: Tensor } {
  const hits = indicator(eq(x, expandReduced(out, x.shape, axes)), x.dtype);
  const counts = sumAxes(hits, axes);
  if (x.size === 0 || !axes.length) return { mask: hits, counts };
  const none = eq(counts, fullRaw(counts.shape, 0, counts.dtype));
  const mask = where(expandReduced(none, x.shape, axes), firstChosen(x, axes, arg), hits);
  return { mask, counts: where(none, onesLike(counts), counts) };
}

/** One-hot (in x's dtype) of the first arg-max/min position of each reduction group over `axes`. */
function firstChosen(x: Tensor, axes: readonly number[], arg: "argmax" | "argmin"): Tensor {
  const keptAxes = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...keptAxes, ...[...axes].sort((a, b) => a - b)];
  const m = keptAxes.reduce((p, a) => p * x.shape[a]!, 1);
  const n = x.size / m;
  const pos = apply(arg, [reshapeRaw(transpose(x, perm), [m, n])], { axis: 1 });
  const column = new Tensor(makeNode("iota", [], { axis: 1 }, { shape: [m, n], dtype: "int32" }));
  const oneHot = indicator(eq(column, apply("broadcast", [pos], { shape: [m, n], dims: [0] })), x.dtype);
  return transpose(reshapeRaw(oneHot, perm.map((a) => x.shape[a]!)), inversePerm(perm));
}

/**
 * For each element of `x`, the product of the other elements in its reduction group — the partial
 * derivative of `reduceProd` — without dividing by x (so zeros are exact). A pairwise product tree
 * over the flattened group, then a top-down pass: others(child) = others(parent) * sibling.
 */
export function prodOfOthers(x: Tensor, axes: readonly number[]): Tensor {
  if (x.size === 0) return zerosLike(x);
  const keptAxes = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...keptAxes, ...[...axes].sort((a, b) => a - b)];
  const moved = transpose(x, perm);
  const m = keptAxes.reduce((p, a) => p * x.shape[a]!, 1);
  const n = x.size / m;
  if (n === 1) return onesLike(x);
  let width = 1;
  while (width < n) width *= 2;
  // Pad the group with ones (the product's identity) to a power of two.
  const base = pad(reshapeRaw(moved, [m, n]), [0, 0], [0, width - n], 1);
  const levels: Tensor[] = [base];
  for (let w = width; w > 1; w /= 2) {
    const p = levels[levels.length - 1]!;
    levels.push(mul(slice(p, [0, 0], [m, w], [1, 2]), slice(p, [0, 1], [m, w], [1, 2])));
  }
  let others = fullRaw([m, 1], 1, x.dtype);
  for (let k = levels.length - 2; k >= 0; k--) {
    const w = levels[k]!.shape[1]!;
    const pairs = reshapeRaw(levels[k]!, [m, w / 2, 2]);
    const siblings = reshapeRaw(apply("flip", [pairs], { axes: [2] }), [m, w]);
    const parent = apply("broadcast", [reshapeRaw(others, [m, w / 2, 1])], { shape: [m, w / 2, 2], dims: [0, 1, 2] });
    others = mul(reshapeRaw(parent, [m, w]), siblings);
  }
  const grouped = reshapeRaw(slice(others, [0, 0], [m, n]), perm.map((a) => x.shape[a]!));
  return transpose(grouped, inversePerm(perm));
}

// ---------------------------------------------------------------------------------------------
// Indexing: gather clamps its indices while scatters drop out-of-range ones (JAX semantics).

/** Indices clamped into [0, len), as gather reads them. */
export function clampIndices(idx: Tensor, len: number): Tensor {
  const lo = apply("max", [idx, fullRaw(idx.shape, 0, "int32")], {});
  return apply("min", [lo, fullRaw(idx.shape, Math.max(len - 1, 0), "int32")], {});
}

/**
 * Which entries of `updates` a `scatter` actually writes: in range and not overwritten by a later
 * duplicate index. Found by scattering each update's id and reading back which id landed.
 */
export function scatterWinners(x: Tensor, idx: Tensor, updates: Tensor, axis: number): Tensor {
  const ids = reshapeRaw(iota([updates.size], 0), updates.shape);
  const landed = apply("scatter", [fullRaw(x.shape, -1, "int32"), idx, ids], { axis });
  return eq(apply("gather", [landed, idx], { axis }), ids);
}

/** True where an index is in range, broadcast to the updates' shape. */
export function inRangeMask(idx: Tensor, len: number, updShape: Shape, axis: number): Tensor {
  const ge0 = apply("ge", [idx, fullRaw(idx.shape, 0, "int32")], {});
  const ltLen = apply("lt", [idx, fullRaw(idx.shape, len, "int32")], {});
  const ok = apply("and", [ge0, ltLen], {});
  return apply("broadcast", [ok], { shape: [...updShape], dims: idx.shape.map((_, i) => axis + i) });
}

// ---------------------------------------------------------------------------------------------
// Linear algebra over the last two axes.

function gridMasks(shape: Shape): { lower: Tensor; diag: Tensor } {
  const r = shape.length;
  const rows = iota(shape, r - 2);
  const cols = iota(shape, r - 1);
  return { lower: apply("ge", [rows, cols], {}), diag: apply("eq", [rows, cols], {}) };
}

export function eyeLike(a: Tensor): Tensor {
  return indicator(gridMasks(a.shape).diag, a.dtype);
}

/** Lower triangle including the diagonal (`strict`: excluding it). */
export function tril(x: Tensor, strict = false): Tensor {
  const { lower, diag } = gridMasks(x.shape);
  const keep = strict ? apply("and", [lower, apply("not", [diag], {})], {}) : lower;
  return where(keep, x, zerosLike(x));
}

/** Lower triangle with the diagonal halved (Φ in Murray 2016, "Differentiation of the Cholesky decomposition"). */
function phi(x: Tensor): Tensor {
  const { lower, diag } = gridMasks(x.shape);
  const w = sub(indicator(lower, x.dtype), mul(fullRaw(x.shape, 0.5, x.dtype), indicator(diag, x.dtype)));
  return mul(x, w);
}

/**
 * Tangent of the Cholesky factor L of A. The primitive reads only A's lower triangle, so the
 * tangent is symmetrized from dA's lower triangle: dL = L Φ(L⁻¹ S L⁻ᵀ), S = tril(dA) + tril(dA, -1)ᵀ.
 */
export function choleskyTangent(l: Tensor, dA: Tensor): Tensor {
  const s = add(tril(dA), mT(tril(dA, true)));
  const m = mT(solve(l, mT(solve(l, s))));
  return matmul(l, phi(m));
}

/** Transpose of `choleskyTangent`: P = L⁻ᵀ Φ(Lᵀ Ḡ) L⁻¹, folded onto the lower triangle it was read from. */
export function choleskyCotangent(l: Tensor, ct: Tensor): Tensor {
  const lT = mT(l);
  const p = mT(solve(lT, mT(solve(lT, phi(matmul(lT, ct))))));
  return add(tril(p), tril(mT(p), true));
}

/** trace(A⁻¹ dA): the tangent of log|det A|. */
export function logAbsDetTangent(a: Tensor, dA: Tensor): Tensor {
  const r = a.ndim;
  return sumAxes(mul(solve(a, dA), eyeLike(a)), [r - 2, r - 1]);
}

/** ct · A⁻ᵀ, ct broadcast over each matrix: the cotangent of log|det A|. */
export function logAbsDetCotangent(a: Tensor, ct: Tensor): Tensor {
  const invT = solve(mT(a), eyeLike(a));
  return mul(expandReduced(ct, a.shape, [a.ndim - 2, a.ndim - 1]), invT);
}

// ---------------------------------------------------------------------------------------------
// Sorting: the permutation is piecewise constant in the keys, so derivatives only move values.

/**
 * `t` permuted the way `sort` permutes its operands: sorted as an extra, non-key operand (the
 * tangent of any sort output, and linear in `t`).
 */
export function permuteLikeSort(keys: readonly Tensor[], t: Tensor, dimension: number): Tensor {
  return apply("sort", [...keys, t], { dimension, numKeys: keys.length, index: keys.length });
}

/**
 * The transpose of `permuteLikeSort`: each element of `ct` goes back to the position it was sorted
 * from. The sorting permutation (the sorted iota) is itself a sort key: sorting `ct` by it undoes
 * the permutation, and stays a sort, so the rule composes to any order.
 */
export function unpermuteLikeSort(keys: readonly Tensor[], ct: Tensor, dimension: number): Tensor {
  const perm = permuteLikeSort(keys, iota(ct.shape, dimension), dimension);
  return apply("sort", [perm, ct], { dimension, numKeys: 1, index: 1 });
}
