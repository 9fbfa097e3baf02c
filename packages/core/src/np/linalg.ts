/**
 * Contractions (matmul, dot, vdot, outer, einsum, tensordot) — all lowered to transposes,
 * reshapes, broadcasts and the batched `matmul` primitive — and `linalg.*` over the `solve`,
 * `cholesky`, `detSign` and `logAbsDet` primitives.
 */
import { ShapeError, ValueError, jsonOf } from "../errors.js";
import { type Shape, broadcastShapes, fmtShape, normAxis, sizeOf } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { eyeRaw, matmulRaw, productRaw, promoted, promotedFloat, promotedPair, range, transposeRaw } from "./contract.js";
import { eigh, eigvalsh } from "./linalg-eigh.js";
import { qr } from "./linalg-qr.js";
import { matrixNormOf, norm, vectorNormOf } from "./norm.js";
import { lstsq, matrixRank, pinv, svd, svdvals } from "./linalg-svd.js";
import { noExtraArgs } from "./positional.js";
import { apply, broadcastRaw, reshapeRaw } from "./util.js";

export { einsum, type Sublabel } from "./einsum.js";

/** Broadcasts the batch (leading) dims of two contraction operands; the message names the full shapes. */
function batchShape(op: string, a: Shape, b: Shape, batchA: Shape, batchB: Shape): number[] {
  try {
    return broadcastShapes(op, batchA, batchB);
  } catch {
    throw new ShapeError(`${op}: batch dimensions of shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (${fmtShape(batchA)} vs ${fmtShape(batchB)})`);
  }
}

/**
 * Matrix product with NumPy semantics: a 1-D operand is promoted to a matrix (a row for `a`, a
 * column for `b`) and the added axis is removed from the result; leading (batch) dims broadcast;
 * dtypes promote. Scalars are a ShapeError (use `multiply`).
 * @example
 * np.matmul([[1, 2], [3, 4]], [[5], [6]])   // [[17], [39]]
 * np.matmul(np.ones([8, 2, 3]), np.ones([3, 4])).shape  // [8, 2, 4]
 * np.matmul([1, 2], [3, 4])                 // 11 (shape [])
 */
export function matmul(a: ArrayLike, b: ArrayLike, ...extra: undefined[]): Tensor {
  noExtraArgs("matmul", 2, extra);
  const [ta, tb] = promotedPair("matmul", a, b);
  if (ta.ndim === 0 || tb.ndim === 0) {
    throw new ShapeError(`matmul: operands need at least one dimension, got shapes ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}; use multiply for scalars`);
  }
  const a2 = ta.ndim === 1 ? reshapeRaw(ta, [1, ta.shape[0]!]) : ta;
  const b2 = tb.ndim === 1 ? reshapeRaw(tb, [tb.shape[0]!, 1]) : tb;
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const [k2, n] = b2.shape.slice(-2) as [number, number];
  if (k !== k2) {
    throw new ShapeError(`matmul: cannot multiply shapes ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}: inner dimensions ${k} and ${k2} differ`);
  }
  const batch = batchShape("matmul", ta.shape, tb.shape, a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const out = matmulRaw(broadcastRaw(a2, [...batch, m, k]), broadcastRaw(b2, [...batch, k, n]));
  return reshapeRaw(out, [...batch, ...(ta.ndim === 1 ? [] : [m]), ...(tb.ndim === 1 ? [] : [n])]);
}

type Axes = number | readonly [number | readonly number[], number | readonly number[]];

/** tensordot's lowering: contracted axes to the back of `a` / front of `b`, one 2-D matmul. */
function contractAxes(op: string, ta: Tensor, tb: Tensor, axesA: readonly number[], axesB: readonly number[]): Tensor {
  axesA.forEach((ax, i) => {
    const bx = axesB[i]!;
    if (ta.shape[ax] !== tb.shape[bx]) {
      throw new ShapeError(`${op}: shapes ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)} are not aligned: axis ${ax} of a has size ${ta.shape[ax]} but axis ${bx} of b has size ${tb.shape[bx]}`);
    }
  });
  const freeA = range(0, ta.ndim).filter((i) => !axesA.includes(i));
  const freeB = range(0, tb.ndim).filter((i) => !axesB.includes(i));
  const m = freeA.map((i) => ta.shape[i]!), k = axesA.map((i) => ta.shape[i]!), n = freeB.map((i) => tb.shape[i]!);
  const a2 = reshapeRaw(transposeRaw(ta, [...freeA, ...axesA]), [sizeOf(m), sizeOf(k)]);
  const b2 = reshapeRaw(transposeRaw(tb, [...axesB, ...freeB]), [sizeOf(k), sizeOf(n)]);
  return reshapeRaw(matmulRaw(a2, b2), [...m, ...n]);
}

function axisList(op: string, which: "a" | "b", axes: number | readonly number[], rank: number): number[] {
  const list = (typeof axes === "number" ? [axes] : [...axes]).map((ax) => normAxis(op, ax, rank));
  if (new Set(list).size !== list.length) throw new ValueError(`${op}: repeated axis in the axes of ${which}: ${jsonOf(axes)}`);
  return list;
}

/**
 * Sums products over the given axes: `axes = N` contracts the last N axes of `a` with the first N
 * of `b` (default 2); `axes = [axesOfA, axesOfB]` pairs them explicitly. The result has `a`'s free
 * axes, then `b`'s.
 * @example
 * np.tensordot(np.ones([3, 4, 5]), np.ones([4, 5, 2])).shape        // [3, 2] (axes = 2)
 * np.tensordot(np.ones([3, 4]), np.ones([2, 3]), [[0], [1]]).shape  // [4, 2]
 * np.tensordot([1, 2], [3, 4], 0)                                   // [[3, 4], [6, 8]]
 */
export function tensordot(a: ArrayLike, b: ArrayLike, axes: Axes = 2): Tensor {
  const [ta, tb] = promotedPair("tensordot", a, b);
  let axesA: number[], axesB: number[];
  if (typeof axes === "number") {
    if (!Number.isInteger(axes) || axes < 0 || axes > ta.ndim || axes > tb.ndim) {
      throw new ValueError(`tensordot: axes=${axes} must be an integer in [0, ${Math.min(ta.ndim, tb.ndim)}] for shapes ${fmtShape(ta.shape)} and ${fmtShape(tb.shape)}`);
    }
    axesA = range(ta.ndim - axes, ta.ndim);
    axesB = range(0, axes);
  } else {
    if (!Array.isArray(axes) || axes.length !== 2) throw new ValueError(`tensordot: axes must be a number or a pair [axesOfA, axesOfB], got ${jsonOf(axes)}`);
    axesA = axisList("tensordot", "a", axes[0], ta.ndim);
    axesB = axisList("tensordot", "b", axes[1], tb.ndim);
    if (axesA.length !== axesB.length) {
      throw new ValueError(`tensordot: axes pair ${jsonOf(axes)} names ${axesA.length} axes of a but ${axesB.length} of b`);
    }
  }
  return contractAxes("tensordot", ta, tb, axesA, axesB);
}

/**
 * NumPy's `dot`: scalars multiply; 1-D·1-D is the inner product; 2-D·2-D is matmul; otherwise it
 * sums over the last axis of `a` and the second-to-last of `b` (the last, if `b` is 1-D), giving
 * `a.shape[:-1] + b.shape[:-2] + b.shape[-1:]` (no batch broadcasting — use matmul for that).
 * @example
 * np.dot([1, 2, 3], [4, 5, 6])                     // 32
 * np.dot([[1, 2], [3, 4]], [1, 1])                 // [3, 7]
 * np.dot(np.ones([2, 3, 4]), np.ones([5, 4, 6])).shape  // [2, 3, 5, 6]
 */
export function dot(a: ArrayLike, b: ArrayLike, ...extra: undefined[]): Tensor {
  noExtraArgs("dot", 2, extra);
  const [ta, tb] = promotedPair("dot", a, b);
  if (ta.ndim === 0 || tb.ndim === 0) {
    const shape = broadcastShapes("dot", ta.shape, tb.shape);
    return productRaw(broadcastRaw(ta, shape), broadcastRaw(tb, shape));
  }
  return contractAxes("dot", ta, tb, [ta.ndim - 1], [Math.max(0, tb.ndim - 2)]);
}

/**
 * Flattens both operands and returns the sum of their products (a scalar); sizes must match.
 * @example np.vdot([[1, 2], [3, 4]], [[1, 0], [0, 1]]) // 5
 */
export function vdot(a: ArrayLike, b: ArrayLike, ...extra: undefined[]): Tensor {
  noExtraArgs("vdot", 2, extra);
  const [ta, tb] = promotedPair("vdot", a, b);
  if (ta.size !== tb.size) {
    throw new ShapeError(`vdot: operands must have the same number of elements, got shapes ${fmtShape(ta.shape)} (size ${ta.size}) and ${fmtShape(tb.shape)} (size ${tb.size})`);
  }
  return contractAxes("vdot", reshapeRaw(ta, [ta.size]), reshapeRaw(tb, [tb.size]), [0], [0]);
}

/**
 * Outer product of the flattened operands: `out[i, j] = a[i] * b[j]` (elementwise, no matmul).
 * @example np.outer([1, 2], [3, 4, 5]) // [[3, 4, 5], [6, 8, 10]]
 */
export function outer(a: ArrayLike, b: ArrayLike, ...extra: undefined[]): Tensor {
  noExtraArgs("outer", 2, extra);
  const [ta, tb] = promotedPair("outer", a, b);
  const shape = [ta.size, tb.size];
  return productRaw(broadcastRaw(reshapeRaw(ta, [ta.size, 1]), shape), broadcastRaw(reshapeRaw(tb, [1, tb.size]), shape));
}

// ---------------------------------------------------------------------------------------------
// linalg.*: validated in front of the strict linalg primitives.

/** Checks `a` is a (batch of) square matrices and returns n. */
function squareSize(op: string, a: Tensor): number {
  const r = a.ndim;
  if (r < 2 || a.shape[r - 1] !== a.shape[r - 2]) {
    throw new ShapeError(`${op}: expected a (batch of) square matrices [..., n, n], got shape ${fmtShape(a.shape)}`);
  }
  return a.shape[r - 1]!;
}

function oneSquare(op: string, a: ArrayLike): Tensor {
  const [t] = promotedFloat(op, [a]) as [Tensor];
  squareSize(op, t);
  return t;
}

function slogdet(a: ArrayLike, ...extra: undefined[]): [Tensor, Tensor] {
  noExtraArgs("linalg.slogdet", 1, extra);
  const t = oneSquare("linalg.slogdet", a);
  return [apply("detSign", [t], {}), apply("logAbsDet", [t], {})];
}

/**
 * The cheapest parenthesization of a matrix chain (dims[i] × dims[i+1] for matrix i), by the
 * classic O(n³) dynamic program over multiply-add counts, as NumPy's `multi_dot`.
 */
function chainOrder(dims: readonly number[]): number[][] {
  const n = dims.length - 1;
  const cost = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const split = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let len = 1; len < n; len++) {
    for (let i = 0; i + len < n; i++) {
      const j = i + len;
      cost[i]![j] = Infinity;
      for (let k = i; k < j; k++) {
        const c = cost[i]![k]! + cost[k + 1]![j]! + dims[i]! * dims[k + 1]! * dims[j + 1]!;
        if (c < cost[i]![j]!) {
          cost[i]![j] = c;
          split[i]![j] = k;
        }
      }
    }
  }
  return split;
}

function multiDot(arrays: readonly ArrayLike[], ...extra: undefined[]): Tensor {
  const op = "linalg.multiDot";
  noExtraArgs(op, 1, extra);
  if (!Array.isArray(arrays) || arrays.length < 2) {
    throw new ValueError(`${op}: expected an array of at least 2 arrays, got ${Array.isArray(arrays) ? arrays.length : typeof arrays}`);
  }
  const { ts } = promoted(op, arrays as ArrayLike[]);
  const last = ts.length - 1;
  ts.forEach((t, i) => {
    const ok = t.ndim === 2 || ((i === 0 || i === last) && t.ndim === 1);
    if (!ok) throw new ShapeError(`${op}: array ${i} has shape ${fmtShape(t.shape)}; the first and last may be 1-D, the others must be 2-D`);
  });
  // A 1-D first array is a row vector, a 1-D last one a column vector (removed again at the end).
  const mats = ts.map((t, i) => (t.ndim === 2 ? t : reshapeRaw(t, i === 0 ? [1, t.size] : [t.size, 1])));
  mats.forEach((m, i) => {
    if (i > 0 && mats[i - 1]!.shape[1] !== m.shape[0]) {
      throw new ShapeError(`${op}: arrays ${i - 1} and ${i} do not chain: ${fmtShape(ts[i - 1]!.shape)} @ ${fmtShape(ts[i]!.shape)}`);
    }
  });
  const split = chainOrder([...mats.map((m) => m.shape[0]!), mats[last]!.shape[1]!]);
  const product = (i: number, j: number): Tensor => (i === j ? mats[i]! : matmulRaw(product(i, split[i]![j]!), product(split[i]![j]! + 1, j)));
  const out = product(0, last);
  const shape = [...(ts[0]!.ndim === 2 ? [out.shape[0]!] : []), ...(ts[last]!.ndim === 2 ? [out.shape[1]!] : [])];
  return reshapeRaw(out, shape);
}

function matrixPower(a: ArrayLike, n: number, ...extra: undefined[]): Tensor {
  const op = "linalg.matrixPower";
  noExtraArgs(op, 2, extra);
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw new ValueError(`${op}: n must be an integer, got ${jsonOf(n)}`);
  const [t0] = promotedPair(op, a, a);
  const t = t0 as Tensor;
  squareSize(op, t);
  if (n === 0) return broadcastRaw(eyeRaw(t.shape[t.ndim - 1]!, t.dtype), t.shape);
  // A negative power is a power of the inverse (float only: NumPy raises for integer matrices).
  let base = n < 0 ? linalg.inv(t) : t;
  let e = Math.abs(n);
  let result: Tensor | null = null;
  // Binary exponentiation: about 2·log2(n) matrix products.
  for (;;) {
    if (e & 1) result = result ? matmulRaw(result, base) : base;
    e = Math.floor(e / 2);
    if (e === 0) break;
    base = matmulRaw(base, base);
  }
  return result!;
}

export const linalg = {
  /**
   * Solves `a @ x = b` for x. `a` is [..., n, n]; `b` is a vector [n] (result [..., n]) or a
   * (batch of) matrices [..., n, k] (result [..., n, k]); batch dims broadcast (NumPy 2 rules:
   * only a 1-D `b` is a vector). Float inputs only. A singular `a` gives inf/NaN, not an error.
   * @example np.linalg.solve([[3, 1], [1, 2]], [9, 8]) // [2, 3]
   */
  solve(a: ArrayLike, b: ArrayLike, ...extra: undefined[]): Tensor {
    const op = "linalg.solve";
    noExtraArgs(op, 2, extra);
    const [ta, tb] = promotedFloat(op, [a, b]) as [Tensor, Tensor];
    const n = squareSize(op, ta);
    const vector = tb.ndim === 1;
    if (tb.ndim === 0 || tb.shape[vector ? 0 : tb.ndim - 2] !== n) {
      throw new ShapeError(`${op}: a has shape ${fmtShape(ta.shape)} but b has shape ${fmtShape(tb.shape)}; b must be [${n}] or [..., ${n}, k]`);
    }
    const b2 = vector ? reshapeRaw(tb, [n, 1]) : tb;
    const k = b2.shape[b2.ndim - 1]!;
    const batch = batchShape(op, ta.shape, tb.shape, ta.shape.slice(0, -2), b2.shape.slice(0, -2));
    const x = apply("solve", [broadcastRaw(ta, [...batch, n, n]), broadcastRaw(b2, [...batch, n, k])], {});
    return vector ? reshapeRaw(x, [...batch, n]) : x;
  },

  /**
   * Inverse of a (batch of) square float matrices, as `solve(a, eye(n))`.
   * @example np.linalg.inv([[4, 7], [2, 6]]) // [[0.6, -0.7], [-0.2, 0.4]]
   */
  inv(a: ArrayLike, ...extra: undefined[]): Tensor {
    noExtraArgs("linalg.inv", 1, extra);
    const t = oneSquare("linalg.inv", a);
    const eye = broadcastRaw(eyeRaw(t.shape[t.ndim - 1]!, t.dtype), t.shape);
    return apply("solve", [t, eye], {});
  },

  /**
   * Determinant over the last two axes, as `sign * exp(logAbsDet)` (so it is 0 for a singular matrix).
   * @example np.linalg.det([[1, 2], [3, 4]]) // -2
   */
  det(a: ArrayLike, ...extra: undefined[]): Tensor {
    noExtraArgs("linalg.det", 1, extra);
    const [sign, logAbs] = slogdet(a);
    return apply("mul", [sign, apply("exp", [logAbs], {})], {});
  },

  /**
   * `[sign, logAbsDet]` of the determinant over the last two axes: stable where det under- or
   * overflows. A singular matrix gives sign 0 and logAbsDet -inf.
   * @example const [sign, logAbs] = np.linalg.slogdet([[1, 2], [3, 4]]); // -1, log(2)
   */
  slogdet,

  /**
   * Lower-triangular Cholesky factor L (a = L @ L^T) of a (batch of) symmetric positive-definite
   * float matrices. Only the lower triangle of `a` is read; a matrix that is not positive-definite
   * gives NaN (as JAX), not an error.
   * @example np.linalg.cholesky([[4, 2], [2, 3]]) // [[2, 0], [1, 1.414...]]
   */
  cholesky(a: ArrayLike, ...extra: undefined[]): Tensor {
    noExtraArgs("linalg.cholesky", 1, extra);
    return apply("cholesky", [oneSquare("linalg.cholesky", a)], {});
  },

  /**
   * Vector and matrix norms, as NumPy (matrix ord 2 / -2 / "nuc" from the singular values).
   * @example np.linalg.norm([[3, 4], [6, 8]], { axis: 1 }) // [5, 10]
   */
  norm,

  /**
   * The vector p-norm over `axis` (default: all axes, flattened), as `jnp.linalg.vector_norm`.
   * @example np.linalg.vectorNorm([[3, 4], [0, 0]]) // 5
   */
  vectorNorm: vectorNormOf,

  /**
   * The matrix norm over the last two axes (batched), as `jnp.linalg.matrix_norm`: "fro" (default), 1, -1, Infinity, -Infinity.
   * @example np.linalg.matrixNorm([[1, 2], [3, 4]], { ord: 1 }) // 6
   */
  matrixNorm: matrixNormOf,

  /**
   * The product of a chain of matrices in the cheapest order (NumPy's `multi_dot`): the first
   * array may be 1-D (a row vector) and the last 1-D (a column vector), the others are 2-D.
   * @example np.linalg.multiDot([np.ones([10, 100]), np.ones([100, 5]), np.ones([5, 50])]) // [10, 50], computed as (A B) C
   */
  multiDot,

  /**
   * `a` to the integer power `n` (a batch of square matrices): the identity for 0, repeated
   * squaring for n > 0, powers of the inverse for n < 0 (float matrices).
   * @example np.linalg.matrixPower([[1, 1], [1, 0]], 10) // [[89, 55], [55, 34]]
   */
  matrixPower,

  /**
   * Singular value decomposition `[u, s, vh]` (or s with `computeUv: false`), as NumPy/JAX;
   * `fullMatrices` defaults to true. One-sided Jacobi in float64 (on the host on every backend).
   * @example const [u, s, vh] = np.linalg.svd([[3, 0], [0, -2]]); // s = [3, 2]
   */
  svd,

  /**
   * The singular values, descending.
   * @example np.linalg.svdvals([[3, 0], [0, -4]]) // [4, 3]
   */
  svdvals,

  /**
   * Moore-Penrose pseudo-inverse (singular values ≤ rtol · max(s) dropped).
   * @example np.linalg.pinv([[1, 0], [0, 0]]) // [[1, 0], [0, 0]]
   */
  pinv,

  /**
   * Least squares `[x, residuals, rank, s]` of a x ≈ b, as NumPy.
   * @example const [x] = np.linalg.lstsq([[1, 0], [0, 1], [1, 1]], [1, 2, 2]); // ≈ [0.667, 1.667]
   */
  lstsq,

  /**
   * The number of singular values above tol (default max(m, n) · eps · max(s)).
   * @example np.linalg.matrixRank([[1, 2], [2, 4]]) // 1
   */
  matrixRank,

  /**
   * Eigenvalues (ascending) and eigenvectors (columns) of a (batch of) real symmetric matrices,
   * as `jnp.linalg.eigh` (see docs/linalg.md for the sign convention).
   * @example const [w, v] = np.linalg.eigh([[2, 1], [1, 2]]); // w = [1, 3]
   */
  eigh,

  /**
   * Eigenvalues (ascending) of a (batch of) real symmetric matrices, as `jnp.linalg.eigvalsh`.
   * @example np.linalg.eigvalsh([[2, 1], [1, 2]]) // [1, 3]
   */
  eigvalsh,

  /**
   * QR factorization `[q, r]` (mode "reduced" or "complete") or `r` alone (mode "r"), as
   * `jnp.linalg.qr`; R's diagonal signs as LAPACK (may be negative).
   * @example const [q, r] = np.linalg.qr([[1, 2], [3, 4], [5, 6]]); // q [3, 2], r [2, 2]
   */
  qr,
};
