/**
 * Rule signatures shared by the per-concern rule tables (jvp.ts, vjp.ts). Rules are written with
 * Tensor operations (which record primitives), so every derived graph can be differentiated again.
 */
import type { Prim, PrimParams, Tensor } from "@kiln/core";

/**
 * Forward mode: the output tangent from the primal inputs and their tangents. A `null` tangent is a
 * symbolic zero (the input does not depend on the differentiated arguments); return `null` when the
 * output tangent is zero. `out` is the primal output, for rules that reuse it (exp, tanh, sqrt...).
 */
export type JvpRule<P extends Prim> = (
  primals: readonly Tensor[],
  tangents: readonly (Tensor | null)[],
  params: PrimParams[P],
  out: Tensor,
) => Tensor | null;

/**
 * Reverse mode: the cotangent of each input (null = zero) from the output cotangent `ct`.
 * Integer and bool inputs always get `null`.
 */
export type VjpRule<P extends Prim> = (
  ct: Tensor,
  primals: readonly Tensor[],
  params: PrimParams[P],
  out: Tensor,
) => (Tensor | null)[];

/** Explicit marker for a primitive with no derivative rule, with the reason (leaves, index outputs). */
export interface NotDifferentiable {
  readonly notDifferentiable: string;
}

export type JvpTable = { [P in Prim]: JvpRule<P> | NotDifferentiable };
export type VjpTable = { [P in Prim]: VjpRule<P> | NotDifferentiable };
