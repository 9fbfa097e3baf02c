/**
 * The remaining polynomial functions of jax.numpy: `poly` (coefficients from roots), `polydiv`
 * (long division) and `polyfit` (least squares through `linalg.lstsq`). Coefficients are highest
 * power first, as poly.ts. Loops run over static lengths, so all three trace under jit and
 * differentiate; only `polydiv`'s `trimLeadingZeros` reads values (eager only, as JAX).
 */
import { isFloat } from "../dtype.js";
import { ConcretizationError, ShapeError, ValueError, describeValue } from "../errors.js";
import { fmtShape } from "../shape.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { checkBool, checkInt, sliceAxis } from "./compose-helpers.js";
import { ones, zeros } from "./creation.js";
import { astype, divide, multiply, sqrt, subtract } from "./elementwise.js";
import { take } from "./indexing.js";
import { lstsq } from "./linalg-svd.js";
import { vander } from "./matrix-extra.js";
import { type Positional, positionalOptions } from "./positional.js";
import { sum } from "./reduce.js";
import { concatenate, reshape } from "./shape.js";
import { asTensor, optionsOf, resultDType } from "./util.js";

function floatVector(op: string, what: string, x: ArrayLike): Tensor {
  let t = asTensor(x, op);
  if (t.ndim === 0) t = reshape(t, [1]);
  if (t.ndim !== 1) throw new ShapeError(`${op}: ${what} must be 1-D, got shape ${fmtShape(t.shape)}`);
  return isFloat(t.dtype) ? t : astype(t, "float32");
}

/**
 * The monic polynomial with the given roots: `(x - r0)(x - r1)…`, highest power first (an empty
 * list gives the constant 1). Real roots only (kiln has no complex dtype; NumPy's square-matrix
 * form needs eigenvalues).
 * @example np.poly([1, 2, 3]) // [1, -6, 11, -6]
 */
export function poly(seqOfZeros: ArrayLike): Tensor {
  const op = "poly";
  const t0 = asTensor(seqOfZeros, op);
  if (t0.ndim > 1) throw new ShapeError(`${op}: roots must be a 1-D array (the matrix form needs complex eigenvalues), got shape ${fmtShape(t0.shape)}`);
  const r = floatVector(op, "roots", t0);
  if (r.size === 0) return ones([], { dtype: r.dtype });
  // Multiply by (x - r_k) one root at a time: a' = [a, 0] - r_k * [0, a].
  let a = ones([1], { dtype: r.dtype });
  for (let k = 0; k < r.size; k++) {
    const rk = take(r, [k]);
    a = subtract(concatenate([a, zeros([1], { dtype: r.dtype })]), multiply(rk, concatenate([zeros([1], { dtype: r.dtype }), a])));
  }
  return a;
}

/** Options of `polydiv`. */
export interface PolydivOptions {
  /** Drop the remainder's leading zeros (|r0| <= 1e-8) as NumPy does; reads values, so eager only (JAX's default false). */
  trimLeadingZeros?: boolean;
}

/**
 * Polynomial long division `u / v`: `[quotient, remainder]`. As JAX, the remainder keeps `u`'s length
 * (leading zeros included) unless `trimLeadingZeros` (NumPy's result, eager only).
 * @example np.polydiv([3, 5, 2], [2, 1]) // [[1.5, 1.75], [0, 0, 0.25]]
 * @example np.polydiv([3, 5, 2], [2, 1], { trimLeadingZeros: true }) // [[1.5, 1.75], [0.25]]
 */
export function polydiv(u: ArrayLike, v: ArrayLike, options?: PolydivOptions): [Tensor, Tensor] {
  const op = "polydiv";
  const opts = optionsOf(op, options);
  const trim = checkBool(op, "trimLeadingZeros", opts.trimLeadingZeros);
  const tu = floatVector(op, "u", u), tv = floatVector(op, "v", v);
  if (tu.size === 0 || tv.size === 0) throw new ValueError(`${op}: u and v must not be empty`);
  const dtype = resultDType([tu, tv], op);
  let r = astype(tu, dtype);
  const dv = astype(tv, dtype);
  const m = tu.size - 1, n = tv.size - 1;
  const scale = divide(1, take(dv, [0]));
  const q: Tensor[] = [];
  for (let k = 0; k <= m - n; k++) {
    const d = multiply(scale, take(r, [k]));
    q.push(d);
    // r[k : k + n + 1] -= d * v, as one padded subtraction over r's full length.
    const shifted = concatenate([zeros([k], { dtype }), multiply(d, dv), zeros([m - n - k], { dtype })]);
    r = subtract(r, shifted);
  }
  const quot = q.length ? concatenate(q) : zeros([1], { dtype });
  if (!trim) return [quot, r];
  let vals: number[];
  try {
    vals = Array.from(r.dataSync(), Number);
  } catch (e) {
    if (e instanceof ConcretizationError) throw new ConcretizationError(`${op}: trimLeadingZeros reads the remainder, which is traced here (jit, vmap, grad); leave it false`);
    throw e;
  }
  let start = 0;
  while (start < vals.length - 1 && Math.abs(vals[start]!) <= 1e-8) start++;
  return [quot, sliceAxis(r, 0, start, vals.length)];
}

/** Options of `polyfit`. */
export interface PolyfitOptions {
  /** Relative cutoff for small singular values (default: len(x) × the dtype's epsilon). */
  rcond?: number | null;
  /** Also return the fit's diagnostics: `[coefficients, residuals, rank, singularValues, rcond]`. */
  full?: boolean;
  /** Weights per sample point, applied to the residuals (1/σ for Gaussian noise). */
  w?: ArrayLike | null;
  /** The covariance matrix of the estimate: not supported (only false). */
  cov?: boolean;
}

/** `polyfit`'s `full` result: coefficients, residual sums of squares, rank, singular values, rcond. */
export type PolyfitFull = [Tensor, Tensor, Tensor, Tensor, number];

/**
 * The least-squares polynomial of degree `deg` through (`x`, `y`), highest power first; a 2-D `y`
 * fits each column (coefficients of shape [deg + 1, K]). Columns are scaled to unit norm before
 * the solve, as NumPy, so high degrees stay well conditioned.
 * @example np.polyfit([0, 1, 2, 3], [1, 3, 7, 13], 2) // ≈ [1, 1, 1]
 */
export function polyfit(x: ArrayLike, y: ArrayLike, deg: number, options?: PolyfitOptions & { full?: false | null }): Tensor;
export function polyfit(x: ArrayLike, y: ArrayLike, deg: number, options: PolyfitOptions & { full: true }): PolyfitFull;
export function polyfit(x: ArrayLike, y: ArrayLike, deg: number, rcond: number | null | undefined, full: true, w?: ArrayLike | null, cov?: boolean | null): PolyfitFull;
export function polyfit(x: ArrayLike, y: ArrayLike, deg: number, rcond?: number | null, full?: false | null, w?: ArrayLike | null, cov?: boolean | null): Tensor;
export function polyfit(x: ArrayLike, y: ArrayLike, deg: number, ...args: unknown[]): Tensor | PolyfitFull {
  const op = "polyfit";
  const opts = positionalOptions<PolyfitOptions>(op, args as Positional<"polyfit", PolyfitOptions>);
  const order = checkInt(op, "deg", deg, 0) + 1;
  const full = checkBool(op, "full", opts.full);
  if (opts.cov !== undefined && opts.cov !== false) throw new ValueError(`${op}: cov is not supported (only false), got ${describeValue(opts.cov)}`);
  const tx = floatVector(op, "x", x);
  let ty = asTensor(y, op);
  if (ty.ndim !== 1 && ty.ndim !== 2) throw new ShapeError(`${op}: y must be 1-D or 2-D, got shape ${fmtShape(ty.shape)}`);
  if (ty.shape[0] !== tx.size) throw new ShapeError(`${op}: x (${tx.size} points) and y of shape ${fmtShape(ty.shape)} need the same length`);
  if (tx.size === 0) throw new ShapeError(`${op}: needs at least one point`);
  const dtype = resultDType([tx, isFloat(ty.dtype) ? ty : astype(ty, "float32")], op);
  ty = astype(ty, dtype);
  let lhs = vander(astype(tx, dtype), order);
  let rhs = ty;
  if (opts.w !== undefined && opts.w !== null) {
    const w = astype(floatVector(op, "w", opts.w), dtype);
    if (w.size !== tx.size) throw new ShapeError(`${op}: w must have one weight per point (${tx.size}), got ${w.size}`);
    lhs = multiply(lhs, reshape(w, [tx.size, 1]));
    rhs = multiply(rhs, ty.ndim === 2 ? reshape(w, [tx.size, 1]) : w);
  }
  const eps = dtype === "float64" ? 2 ** -52 : 2 ** -23;
  const rcond = opts.rcond ?? tx.size * eps;
  const scale = sqrt(sum(multiply(lhs, lhs), { axis: 0 }));
  const [c0, resids, rank, s] = lstsq(divide(lhs, scale), rhs, { rcond });
  const c = ty.ndim === 2 ? divide(c0, reshape(scale, [order, 1])) : divide(c0, scale);
  return full ? [c, resids, rank, s, rcond] : c;
}
