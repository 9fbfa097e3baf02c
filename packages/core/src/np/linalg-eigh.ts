/**
 * `np.linalg.eigh` / `eigvalsh`: the symmetric eigendecomposition over the `eigh` primitive (two
 * sibling outputs, eigenvalues and eigenvectors; ir/primitives.ts). Kept out of np/linalg.ts so
 * the factorizations of issue 15 live in focused files; np/linalg.ts lists them in `linalg`.
 */
import { ShapeError, ValueError } from "../errors.js";
import { fmtShape } from "../shape.js";
import type { ArrayLike, Tensor } from "../tensor.js";
import { promotedFloat, transposeRaw } from "./contract.js";
import { apply, fullRaw, optionsOf } from "./util.js";

/** Options of `eigh` and `eigvalsh`. */
export interface EighOptions {
  /**
   * Which triangle holds the matrix when `symmetrizeInput` is false: "L" (default, the lower) or
   * "U" (the upper). With symmetrization (the default) both triangles contribute.
   */
  readonly UPLO?: "L" | "U";
  /** Use (a + aᵀ)/2 instead of one triangle (default true, as JAX's `symmetrize_input`). */
  readonly symmetrizeInput?: boolean;
}

/** The matrix whose lower triangle the primitive reads, after the options are applied. */
function eighInput(op: "linalg.eigh" | "linalg.eigvalsh", a: ArrayLike, options: EighOptions | undefined, ...extra: undefined[]): Tensor {
  const opts = optionsOf(op, options, op, extra);
  const uplo = opts.UPLO ?? "L";
  if (uplo !== "L" && uplo !== "U") throw new ValueError(`${op}: UPLO must be "L" or "U", got ${JSON.stringify(uplo)}`);
  const [t] = promotedFloat(op, [a]) as [Tensor];
  const r = t.ndim;
  if (r < 2 || t.shape[r - 1] !== t.shape[r - 2]) {
    throw new ShapeError(`${op}: expected a (batch of) square matrices [..., n, n], got shape ${fmtShape(t.shape)}`);
  }
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  const tT = transposeRaw(t, perm);
  if (opts.symmetrizeInput ?? true) return apply("mul", [apply("add", [t, tT], {}), fullRaw(t.shape, 0.5, t.dtype)], {});
  // The upper triangle of a is the lower triangle of aᵀ.
  return uplo === "U" ? tT : t;
}

/**
 * Eigenvalues and eigenvectors of a (batch of) real symmetric matrices [..., n, n], as
 * `jnp.linalg.eigh`: `[w, v]` with `w` [..., n] ascending and `v` [..., n, n] holding the
 * orthonormal eigenvectors as columns (`a @ v[..., :, i] = w[..., i] * v[..., :, i]`). Each
 * eigenvector is signed so its largest-magnitude component (the first on a tie) is positive
 * (NumPy/JAX leave the sign to LAPACK). By default the input is symmetrized, (a + aᵀ)/2; with
 * `symmetrizeInput: false` only the `UPLO` triangle is read. Computed in float64 by cyclic Jacobi
 * on the host on every backend. Gradients through `v` are inf/NaN at repeated eigenvalues, as JAX.
 * @example
 * const [w, v] = np.linalg.eigh([[2, 1], [1, 2]]); // w = [1, 3], v = [[0.707, 0.707], [-0.707, 0.707]]
 */
export function eigh(a: ArrayLike, options?: EighOptions): [Tensor, Tensor] {
  const x = eighInput("linalg.eigh", a, options);
  return [apply("eigh", [x], { index: 0 }), apply("eigh", [x], { index: 1 })];
}

/**
 * Eigenvalues (ascending) of a (batch of) real symmetric matrices, as `jnp.linalg.eigvalsh`;
 * the options are `eigh`'s.
 * @example np.linalg.eigvalsh([[2, 1], [1, 2]]) // [1, 3]
 */
export function eigvalsh(a: ArrayLike, options?: EighOptions): Tensor {
  return apply("eigh", [eighInput("linalg.eigvalsh", a, options)], { index: 0 });
}
