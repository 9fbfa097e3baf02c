/**
 * `linalg.norm`: vector norms over one axis and matrix norms over an axis pair, as NumPy, built
 * from elementwise ops and the reduce primitives.
 */
import { isFloat } from "../dtype.js";
import { ValueError, jsonOf } from "../errors.js";
import { fmtShape, normAxis } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { keepDims, range, reduceRaw, transposeRaw } from "./contract.js";
import { svdvals } from "./linalg-svd.js";
import { apply, asTensor, astypeRaw, fullRaw, optionsOf, reshapeRaw } from "./util.js";

export interface NormOptions {
  ord?: number | "fro" | "f" | "nuc" | null;
  axis?: number | readonly number[] | null;
  keepdims?: boolean;
}

const OP = "linalg.norm";

function scalarLike(x: Tensor, v: number): Tensor {
  return fullRaw(x.shape, v, x.dtype);
}

const absOf = (x: Tensor): Tensor => apply("abs", [x], {});
const sumOf = (x: Tensor, axes: readonly number[]): Tensor => reduceRaw("reduceSum", x, axes);
const sqrtOf = (x: Tensor): Tensor => apply("sqrt", [x], {});
const sumSquares = (x: Tensor, axes: readonly number[]): Tensor => sumOf(apply("mul", [x, x], {}), axes);

/**
 * The max or min of |values| over `axes`. Over nothing (a size-0 axis) the max is 0, as NumPy's
 * norms (a norm of nothing is 0), and the min has no value: a ValueError, as NumPy's.
 */
function extremeOf(prim: "reduceMax" | "reduceMin", x: Tensor, axes: readonly number[], ord: unknown): Tensor {
  if (!axes.some((a) => x.shape[a] === 0)) return reduceRaw(prim, x, axes);
  if (prim === "reduceMin") {
    throw new ValueError(`${OP}: ord=${jsonOf(ord)} of an empty vector or matrix is the minimum of nothing (shape ${fmtShape(x.shape)}, as NumPy's zero-size reduction error)`);
  }
  return fullRaw(x.shape.filter((_, i) => !axes.includes(i)), 0, x.dtype);
}

/** Vector norm along one axis. */
function vectorNorm(x: Tensor, axis: number, ord: number | "fro" | "f" | "nuc" | null): Tensor {
  if (ord === null || ord === 2) return sqrtOf(sumSquares(x, [axis]));
  if (typeof ord !== "number" || Number.isNaN(ord)) throw new ValueError(`${OP}: invalid norm order ${jsonOf(ord)} for vectors; use a number, Infinity or -Infinity`);
  if (ord === Infinity) return extremeOf("reduceMax", absOf(x), [axis], ord);
  if (ord === -Infinity) return extremeOf("reduceMin", absOf(x), [axis], ord);
  if (ord === 0) return sumOf(astypeRaw(apply("ne", [x, scalarLike(x, 0)], {}), x.dtype), [axis]);
  if (ord === 1) return sumOf(absOf(x), [axis]);
  const powered = sumOf(apply("pow", [absOf(x), scalarLike(x, ord)], {}), [axis]);
  return apply("pow", [powered, scalarLike(powered, 1 / ord)], {});
}

/** Matrix norm over the axis pair (row, col). */
function matrixNorm(x: Tensor, row: number, col: number, ord: number | "fro" | "f" | "nuc" | null): Tensor {
  if (ord === null || ord === "fro" || ord === "f") return sqrtOf(sumSquares(x, [row, col]));
  if (ord === 2 || ord === -2 || ord === "nuc") {
    // Norms of the singular values: move the matrix axes last (the svd primitive's layout).
    const rest = range(0, x.ndim).filter((a) => a !== row && a !== col);
    const s = svdvals(transposeRaw(x, [...rest, row, col]));
    const last = [s.ndim - 1];
    return ord === "nuc" ? sumOf(s, last) : extremeOf(ord === 2 ? "reduceMax" : "reduceMin", s, last, ord);
  }
  const kinds: Record<string, [summed: number, reduced: number, prim: "reduceMax" | "reduceMin"]> = {
    "1": [row, col, "reduceMax"], // max column sum
    "-1": [row, col, "reduceMin"],
    Infinity: [col, row, "reduceMax"], // max row sum
    "-Infinity": [col, row, "reduceMin"],
  };
  const kind = kinds[String(ord)];
  if (!kind) throw new ValueError(`${OP}: invalid norm order ${jsonOf(ord)} for matrices; supported: "fro", "nuc", 1, -1, 2, -2, Infinity, -Infinity`);
  const [summed, reduced, prim] = kind;
  // Summing `summed` away shifts `reduced` down by one when it came after it.
  return extremeOf(prim, sumOf(absOf(x), [summed]), [reduced > summed ? reduced - 1 : reduced], ord);
}

/**
 * Vector or matrix norm, as NumPy's `linalg.norm`.
 * - `axis` absent: with `ord` absent, the 2-norm of all elements flattened (any rank); with an
 *   `ord`, `x` must be 1-D (vector norm) or 2-D (matrix norm).
 * - `axis` a number: vector norms — `ord` null/2 (Euclidean), 1, Infinity (max |x|), -Infinity
 *   (min |x|), 0 (count of nonzeros) or any other p: `sum(|x|^p)^(1/p)`.
 * - `axis` a pair: matrix norms — `ord` null/"fro"/"f" (Frobenius), 1 / -1 (max / min column abs sum),
 *   Infinity / -Infinity (max / min row abs sum), 2 / -2 (largest / smallest singular value),
 *   "nuc" (sum of the singular values; these three run the `svd` primitive).
 * Integer and bool inputs are computed in float32. Over an empty vector or matrix the orders
 * taking a maximum give 0 (as NumPy) and those taking a minimum (-Infinity, -2; -1 and -Infinity
 * of a matrix without columns or rows) throw a ValueError (NumPy's zero-size reduction error).
 * @example
 * np.linalg.norm([3, 4])                            // 5
 * np.linalg.norm([[1, -2], [3, 4]], { ord: 1 })     // 6
 * np.linalg.norm([[3, 4], [6, 8]], { axis: 1 })     // [5, 10]
 * np.linalg.norm([[3, 0], [0, -4]], { ord: 2 })     // 4 (largest singular value)
 * np.linalg.norm([[1, 2], [3, 4]], { ord: "fro", axis: [0, 1], keepdims: true })  // [[5.477...]]
 */
export function norm(x: ArrayLike, opts?: NormOptions, ...extra: undefined[]): Tensor {
  const t0 = asTensor(x, OP);
  opts = optionsOf(OP, opts, OP, extra);
  const t = isFloat(t0.dtype) ? t0 : astypeRaw(t0, "float32");
  const ord = opts.ord ?? null;
  const rank = t.ndim;
  let axes: number[];
  if (opts.axis === undefined || opts.axis === null) {
    if (ord === null) {
      const out = sqrtOf(sumSquares(t, range(0, rank)));
      return opts.keepdims ? keepDims(out, range(0, rank), rank) : out;
    }
    if (rank !== 1 && rank !== 2) {
      throw new ValueError(`${OP}: with ord=${jsonOf(ord)} and no axis, x must be 1-D or 2-D, got shape ${fmtShape(t.shape)}; pass axis`);
    }
    axes = range(0, rank);
  } else {
    axes = (typeof opts.axis === "number" ? [opts.axis] : [...opts.axis]).map((a) => normAxis(OP, a, rank));
  }
  let out: Tensor;
  if (axes.length === 1) out = vectorNorm(t, axes[0]!, ord);
  else if (axes.length === 2) {
    if (axes[0] === axes[1]) throw new ValueError(`${OP}: duplicate axes ${jsonOf(opts.axis)}`);
    out = matrixNorm(t, axes[0]!, axes[1]!, ord);
  } else {
    throw new ValueError(`${OP}: axis must name 1 axis (vector norm) or 2 axes (matrix norm), got ${jsonOf(opts.axis)}`);
  }
  return opts.keepdims ? keepDims(out, [...axes].sort((a, b) => a - b), rank) : out;
}

export interface VectorNormOptions {
  /** The order p (default 2; Infinity, -Infinity and 0 as in `norm`). */
  ord?: number;
  /** Axes taken together as one vector (default: all of them, flattened). */
  axis?: number | readonly number[] | null;
  keepdims?: boolean;
}

/**
 * The vector p-norm of `x` over `axis` (all axes by default, flattened as one vector), as
 * `jax.numpy.linalg.vector_norm` / the array API: any rank, several axes taken together.
 * @example
 * np.linalg.vectorNorm([[3, 4], [0, 0]])              // 5
 * np.linalg.vectorNorm([[1, -2], [3, 4]], { ord: 1, axis: 1 }) // [3, 7]
 */
export function vectorNormOf(x: ArrayLike, opts?: VectorNormOptions, ...extra: undefined[]): Tensor {
  const op = "linalg.vectorNorm";
  const t0 = asTensor(x, op);
  opts = optionsOf(op, opts, op, extra);
  const t = isFloat(t0.dtype) ? t0 : astypeRaw(t0, "float32");
  const rank = t.ndim;
  const axes = opts.axis === undefined || opts.axis === null
    ? range(0, rank)
    : (typeof opts.axis === "number" ? [opts.axis] : [...opts.axis]).map((a) => normAxis(op, a, rank));
  if (new Set(axes).size !== axes.length) throw new ValueError(`${op}: duplicate axes ${jsonOf(opts.axis)}`);
  const sorted = [...axes].sort((a, b) => a - b);
  // Move the vector's axes last and flatten them into one.
  const rest = range(0, rank).filter((a) => !sorted.includes(a));
  const moved = transposeRaw(t, [...rest, ...sorted]);
  const flat = reshapeRaw(moved, [...rest.map((a) => t.shape[a]!), sorted.reduce((n, a) => n * t.shape[a]!, 1)]);
  const out = vectorNorm(flat, rest.length, opts.ord ?? 2);
  return opts.keepdims ? keepDims(out, sorted, rank) : out;
}

export interface MatrixNormOptions {
  /** "fro" / "f" (default), "nuc", 1, -1, 2, -2, Infinity, -Infinity. */
  ord?: number | "fro" | "f" | "nuc";
  keepdims?: boolean;
}

/**
 * The matrix norm over the last two axes of a (batch of) matrices, as
 * `jax.numpy.linalg.matrix_norm`.
 * @example np.linalg.matrixNorm([[[1, 2], [3, 4]], [[0, 0], [0, 1]]]) // [5.477..., 1]
 */
export function matrixNormOf(x: ArrayLike, opts?: MatrixNormOptions, ...extra: undefined[]): Tensor {
  const op = "linalg.matrixNorm";
  const t0 = asTensor(x, op);
  opts = optionsOf(op, opts, op, extra);
  if (t0.ndim < 2) throw new ValueError(`${op}: expected a (batch of) matrices [..., m, n], got shape ${fmtShape(t0.shape)}`);
  return norm(t0, { ord: opts.ord ?? "fro", axis: [-2, -1], keepdims: opts.keepdims ?? false });
}
