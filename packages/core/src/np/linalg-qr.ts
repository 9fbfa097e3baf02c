/**
 * `np.linalg.qr` over the `qr` primitive (two sibling outputs, Q and R; ir/primitives.ts).
 */
import { ShapeError, ValueError } from "../errors.js";
import { fmtShape } from "../shape.js";
import type { ArrayLike, Tensor } from "../tensor.js";
import { promotedFloat } from "./contract.js";
import { apply, optionsOf } from "./util.js";

/** Options of `qr`. */
export interface QrOptions {
  /**
   * "reduced" (default): Q [..., m, k], R [..., k, n] with k = min(m, n); "complete": Q [..., m, m],
   * R [..., m, n]; "r": only the reduced R.
   */
  readonly mode?: "reduced" | "complete" | "r";
}

/**
 * The QR factorization of a (batch of) float matrices [..., m, n], as `jnp.linalg.qr`: `a = q @ r`
 * with orthonormal columns in `q` and upper-triangular `r`. Computed in float64 by Householder
 * reflections on the host on every backend; signs as LAPACK (NumPy/JAX), so R's diagonal may be
 * negative. Differentiable for m ≥ n in the "reduced" and "r" modes (and square "complete"), as JAX.
 * @example
 * const [q, r] = np.linalg.qr([[1, 2], [3, 4], [5, 6]]); // q [3, 2], r [[-5.916, -7.437], [0, 0.828]]
 * np.linalg.qr([[3], [4]], { mode: "r" }); // [[-5]]
 */
export function qr(a: ArrayLike, options: { mode: "r" }): Tensor;
export function qr(a: ArrayLike, options?: { mode?: "reduced" | "complete" }): [Tensor, Tensor];
export function qr(a: ArrayLike, options?: QrOptions): Tensor | [Tensor, Tensor];
export function qr(a: ArrayLike, options?: QrOptions, ...extra: undefined[]): Tensor | [Tensor, Tensor] {
  const op = "linalg.qr";
  const mode = optionsOf(op, options, op, extra).mode ?? "reduced";
  if (mode !== "reduced" && mode !== "complete" && mode !== "r") {
    throw new ValueError(`${op}: mode must be "reduced", "complete" or "r", got ${JSON.stringify(mode)}`);
  }
  const [t] = promotedFloat(op, [a]) as [Tensor];
  if (t.ndim < 2) throw new ShapeError(`${op}: expected a (batch of) matrices [..., m, n], got shape ${fmtShape(t.shape)}`);
  const complete = mode === "complete";
  const r = apply("qr", [t], { index: 1, complete });
  return mode === "r" ? r : [apply("qr", [t], { index: 0, complete }), r];
}
