/**
 * Polynomials as coefficient arrays, highest power first (NumPy's `poly1d` convention); as JAX,
 * `polyval`, `polyadd` and `polysub` also take batches: axis 0 holds the coefficients and the
 * trailing axes broadcast.
 * Leading zeros are never trimmed (that would make the output shape depend on values; JAX's
 * `trim_leading_zeros=False`), so `polysub(p, p)` keeps `p`'s length.
 */
import { DTypeError, ShapeError, ValueError, describeValue } from "../errors.js";
import { broadcastShapes, fmtShape, shapeEq } from "../shape.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { iota } from "./compose-helpers.js";
import { add, divide, multiply, subtract } from "./elementwise.js";
import { sum } from "./reduce.js";
import { concatenate } from "./shape.js";
import { apply, asTensor, astypeRaw, broadcastRaw, fullRaw, reshapeRaw, resultDType } from "./util.js";

/**
 * Coefficients along axis 0 (a scalar counts as a constant polynomial). `batched`: trailing axes
 * are a batch (JAX's polyval/polyadd/polysub); otherwise only 1-D is accepted.
 */
function coeffs(op: string, p: ArrayLike, batched = false): Tensor {
  const t = asTensor(p, op);
  if (t.ndim === 0) return reshapeRaw(t, [1]);
  if (t.ndim !== 1 && !batched) throw new ShapeError(`${op}: coefficients must be a 1-D array, got shape ${fmtShape(t.shape)}`);
  if (t.dtype === "bool") throw new DTypeError(`${op}: bool coefficients are not supported; cast with astype first`);
  return t;
}

/** The most integrations `polyint` builds (each is a graph step). */
const MAX_INTEGRATIONS = 4096;

function order(op: string, m: unknown): number {
  if (typeof m !== "number" || !Number.isInteger(m) || m < 0) throw new ValueError(`${op}: the order m must be a non-negative integer, got ${describeValue(m)}`);
  return m;
}

/** `t` with `n` leading zeros along axis 0. */
function padFront(t: Tensor, n: number): Tensor {
  const lo = t.shape.map((_, i) => (i === 0 ? n : 0));
  return n > 0 ? apply("pad", [t], { lo, hi: t.shape.map(() => 0), value: 0 }, t.weak) : t;
}

/** n, n-1, ..., 1 as `dtype` (the powers of the leading terms). */
function powersDown(n: number, dtype: Tensor["dtype"]): Tensor {
  return subtract(n, iota([n], 0, dtype));
}

/**
 * The polynomial `p` evaluated at `x` (Horner's scheme): `p[0] * x**(N-1) + ... + p[N-1]`.
 * An empty `p` gives zeros. A `p` of shape `[N, ...batch]` is a batch of polynomials (JAX): the
 * result has the broadcast of `batch` and `x`'s shape.
 * @example np.polyval([3, 0, 1], 5) // 76
 * @example np.polyval([[1, 2], [0, 3], [4, 5]], [2, 3]) // [1*4 + 0*2 + 4, 2*9 + 3*3 + 5] = [8, 32]
 */
export function polyval(p: ArrayLike, x: ArrayLike): Tensor {
  const c = coeffs("polyval", p, true);
  const t = asTensor(x, "polyval");
  const dtype = resultDType([c, t], "polyval");
  const xs = astypeRaw(t, dtype);
  const n = c.shape[0]!;
  const batch = c.shape.slice(1);
  const shape = broadcastShapes("polyval", batch, xs.shape);
  // An empty p is the zero polynomial: zeros, even where x is inf or NaN (NumPy's zeros_like).
  if (n === 0) return fullRaw(shape, 0, dtype);
  const terms = Array.from({ length: n }, (_, i) =>
    astypeRaw(reshapeRaw(apply("slice", [c], { start: c.shape.map((_, a) => (a === 0 ? i : 0)), stop: c.shape.map((d, a) => (a === 0 ? i + 1 : d)), step: c.shape.map(() => 1) }, c.weak), batch), dtype));
  let y = broadcastRaw(terms[0]!, shape);
  for (const term of terms.slice(1)) y = add(multiply(y, xs), term);
  return y;
}

/**
 * Both operands with the same number of coefficients (leading zeros) and batch axes lined up
 * after axis 0. As JAX's `longer.at[-m:].add(shorter)`, the result has the longer operand's
 * shape (a1's on a tie): the other's batch must broadcast into it.
 */
function aligned(op: string, a1: ArrayLike, a2: ArrayLike): [Tensor, Tensor] {
  const [a, b] = [coeffs(op, a1, true), coeffs(op, a2, true)];
  const n = Math.max(a.shape[0]!, b.shape[0]!);
  const longer = b.shape[0]! > a.shape[0]! ? b : a;
  const batch = longer.shape.slice(1);
  const fit = (t: Tensor): Tensor => {
    const tb = t.shape.slice(1);
    if (tb.length > batch.length || !shapeEq(broadcastShapes(op, tb, batch), batch)) {
      throw new ShapeError(`${op}: coefficient batch ${fmtShape(tb)} does not broadcast into ${fmtShape(batch)} (the batch of the longer polynomial)`);
    }
    const lined = reshapeRaw(t, [t.shape[0]!, ...Array<number>(batch.length - tb.length).fill(1), ...tb]);
    return padFront(lined, n - t.shape[0]!);
  };
  return [fit(a), fit(b)];
}

/**
 * Sum of two polynomials (the shorter is padded with leading zeros). Batches as JAX: axis 0
 * holds the coefficients, trailing axes broadcast.
 * @example np.polyadd([1, 2], [9, 5, 4]) // [9, 6, 6]
 * @example np.polyadd([[2, 3, 1]], [[5, 7, 3], [8, 2, 6]]) // [[5, 7, 3], [10, 5, 7]]
 */
export function polyadd(a1: ArrayLike, a2: ArrayLike): Tensor {
  const [a, b] = aligned("polyadd", a1, a2);
  return add(a, b);
}

/**
 * Difference of two polynomials `a1 - a2`; batches as {@link polyadd}.
 * @example np.polysub([2, 10, -2], [3, 10, -4]) // [-1, 0, 2]
 */
export function polysub(a1: ArrayLike, a2: ArrayLike): Tensor {
  const [a, b] = aligned("polysub", a1, a2);
  return subtract(a, b);
}

/**
 * Product of two polynomials (the full convolution of their coefficients).
 * @example np.polymul([1, 2, 3], [9, 5, 1]) // [9, 23, 38, 17, 3]
 * @example np.polymul([], [1, 2]) // [0, 0]: an empty array is the zero polynomial
 */
export function polymul(a1: ArrayLike, a2: ArrayLike): Tensor {
  // An empty coefficient array is the zero polynomial [0], as NumPy's poly1d([]) and jnp.polymul.
  const zeroIfEmpty = (c: Tensor): Tensor => (c.shape[0] === 0 ? fullRaw([1], 0, c.dtype) : c);
  const [a, b] = [zeroIfEmpty(coeffs("polymul", a1)), zeroIfEmpty(coeffs("polymul", a2))];
  const [n, m] = [a.shape[0]!, b.shape[0]!];
  // The outer product, each row i shifted right by i (pad every row with n zeros, flatten, drop
  // the tail, re-cut rows of m + n - 1): row i then holds a[i] * b[j] at column i + j, and the
  // column sums are the convolution. Movement ops and one reduction only.
  const outer = multiply(reshapeRaw(a, [n, 1]), reshapeRaw(b, [1, m]));
  const wide = reshapeRaw(apply("pad", [outer], { lo: [0, 0], hi: [0, n], value: 0 }, outer.weak), [n * (m + n)]);
  const L = m + n - 1;
  const skew = reshapeRaw(apply("slice", [wide], { start: [0], stop: [n * L], step: [1] }, wide.weak), [n, L]);
  return sum(skew, 0);
}

/**
 * The `m`-th derivative (default 1); differentiating a constant gives an empty array.
 * @example np.polyder([1, 1, 1, 1]) // [3, 2, 1]
 */
export function polyder(p: ArrayLike, m = 1): Tensor {
  let c = coeffs("polyder", p);
  // Past the degree every further derivative is the empty polynomial: stop there (m may be 2^53).
  for (let k = Math.min(order("polyder", m), c.shape[0]! + 1); k > 0; k--) {
    const n = Math.max(c.shape[0]! - 1, 0);
    const head = apply("slice", [c], { start: [0], stop: [n], step: [1] }, c.weak);
    c = multiply(head, powersDown(n, c.dtype));
  }
  return c;
}

/**
 * The `m`-th antiderivative (default 1); the integration constants `k` (a number, or one per
 * integration, lowest order first as NumPy) default to 0. The result is floating point.
 * @example np.polyint([3, 2, 1]) // [1, 1, 1, 0]
 * @example np.polyint([1], 2, [3, 4]) // [0.5, 3, 4]
 */
export function polyint(p: ArrayLike, m = 1, k?: number | readonly number[] | null): Tensor {
  let c = coeffs("polyint", p);
  const times = order("polyint", m);
  // Each integration is one graph step and one more coefficient: bound m like an array size.
  if (times > MAX_INTEGRATIONS) throw new ValueError(`polyint: the order m = ${times} is more than the ${MAX_INTEGRATIONS} integrations kiln builds one at a time`);
  const ks = k === undefined || k === null ? Array<number>(times).fill(0) : typeof k === "number" ? Array<number>(times).fill(k) : [...k];
  if (ks.length !== times || !ks.every((v) => typeof v === "number")) {
    throw new ValueError(`polyint: k must be a number or ${times} numbers (one per integration), got ${describeValue(k)}`);
  }
  for (let i = 0; i < times; i++) {
    const n = c.shape[0]!;
    const scaled = divide(c, powersDown(n, "float32"));
    c = concatenate([scaled, astypeRaw(asTensor(ks[i]!, "polyint"), scaled.dtype).reshape([1])]);
  }
  return c;
}
