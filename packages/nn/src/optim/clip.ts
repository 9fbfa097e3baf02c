/**
 * Gradient clipping by the global norm (optax `clip_by_global_norm`, PyTorch `clip_grad_norm_`).
 */
import { DTypeError, KilnTypeError, Tensor, ValueError, describeValue, isFloat, np, npUtil, tree } from "@kiln/core";

/** The float Tensor leaves of a gradient pytree, or a typed error naming the caller. */
function gradLeaves(who: string, grads: unknown): Tensor[] {
  const leaves = tree.leaves(grads);
  for (const l of leaves) {
    if (!(l instanceof Tensor)) throw new KilnTypeError(`${who}: every gradient must be a Tensor, got ${describeValue(l)}`);
    if (!isFloat(l.dtype)) throw new DTypeError(`${who}: gradients must be float, got a ${l.dtype} Tensor`);
  }
  return leaves as Tensor[];
}

/**
 * The L2 norm of all leaves of a pytree of float Tensors together: √(Σ over leaves of Σ x²)
 * (optax `global_norm`); a scalar in the widest leaf dtype, 0 for an empty tree.
 * @example optim.globalNorm({ a: np.array([3]), b: np.array([4]) }) // 5
 */
export function globalNorm(grads: unknown): Tensor {
  const squares = gradLeaves("optim.globalNorm", grads).map((l) => np.sum(np.square(l)));
  return np.sqrt(squares.reduce((a, b) => a.add(b), np.array(0)));
}

/** Options of `clipByGlobalNorm`. */
export interface ClipByGlobalNormOptions {
  /** Also return the global norm before clipping (e.g. to log it). */
  returnNorm?: boolean;
}

/**
 * Scales every gradient by min(1, maxNorm / ‖grads‖), ‖·‖ the global L2 norm over all leaves, so
 * the clipped gradients' norm is at most maxNorm (optax `clip_by_global_norm`: no eps, unchanged
 * below the threshold). Works on any pytree of float Tensors (e.g. the record `grad(..., { gradStates })`
 * returns) and inside `jit`: the decision is an `np.where` on the norm, not a host branch.
 * @example
 * const clipped = optim.clipByGlobalNorm(grads, 1.0);
 * const [clipped2, norm] = optim.clipByGlobalNorm(grads, 1.0, { returnNorm: true });
 */
export function clipByGlobalNorm<T>(grads: T, maxNorm: number): T;
export function clipByGlobalNorm<T>(grads: T, maxNorm: number, opts: ClipByGlobalNormOptions & { returnNorm: true }): [T, Tensor];
export function clipByGlobalNorm<T>(grads: T, maxNorm: number, opts?: ClipByGlobalNormOptions): T | [T, Tensor];
export function clipByGlobalNorm<T>(grads: T, maxNorm: number, opts: ClipByGlobalNormOptions = {}, ...extra: undefined[]): T | [T, Tensor] {
  opts = npUtil.optionsOf("clipByGlobalNorm", opts, "optim.clipByGlobalNorm", extra);
  if (typeof maxNorm !== "number" || !(maxNorm > 0)) throw new ValueError(`optim.clipByGlobalNorm: maxNorm must be > 0, got ${String(maxNorm)}`);
  const norm = globalNorm(grads);
  const scale = np.where(np.less(norm, maxNorm), 1, np.divide(maxNorm, norm));
  const clipped = tree.map((g: Tensor) => g.mul(np.astype(scale, g.dtype)), grads) as T;
  return opts.returnNorm ? [clipped, norm] : clipped;
}
