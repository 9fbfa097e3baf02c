/**
 * Rule signatures shared by the per-concern rule tables (jvp.ts, vjp.ts). Rules are written with
 * Tensor operations (which record primitives), so every derived graph can be differentiated again.
 */
import type { Node, Prim, PrimParams, Tensor } from "@kiln/core";

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

/**
 * The graph-level derivative drivers (derive.ts), handed to call-level rules that differentiate
 * sub-graphs: the rules cannot import them, since the drivers call the rules.
 */
export interface GraphDerivatives {
  jvpGraph(outputs: readonly Tensor[], seeds: ReadonlyMap<Node, Tensor>): (Tensor | null)[];
  vjpGraph(outputs: readonly Tensor[], cts: readonly (Tensor | null)[], wrt: readonly Node[]): (Tensor | null)[];
}

/**
 * Forward mode of a multi-output primitive (control flow): the tangent of every output at once
 * (null = zero), so the derivative of one op is one new op. The driver groups sibling nodes.
 */
export type CallJvpRule<P extends Prim> = (
  primals: readonly Tensor[],
  tangents: readonly (Tensor | null)[],
  params: PrimParams[P],
  graph: GraphDerivatives,
) => (Tensor | null)[];

/**
 * Reverse mode of a multi-output primitive: the cotangent of each operand from every output's
 * cotangent at once (a scan's backward pass needs all of them together).
 */
export type CallVjpRule<P extends Prim> = (
  cts: readonly (Tensor | null)[],
  primals: readonly Tensor[],
  params: PrimParams[P],
  graph: GraphDerivatives,
) => (Tensor | null)[];

/**
 * Table entry of a multi-output primitive (control flow): differentiated a whole call at a time by
 * its call-level rule (rules/control.ts), which the driver uses instead of a per-node rule.
 */
export interface CallLevel {
  readonly callLevel: string;
}

/** Explicit marker for a primitive with no derivative rule, with the reason (leaves, index outputs). */
export interface NotDifferentiable {
  readonly notDifferentiable: string;
}

export type JvpTable = { [P in Prim]: JvpRule<P> | NotDifferentiable | CallLevel };
export type VjpTable = { [P in Prim]: VjpRule<P> | NotDifferentiable | CallLevel };
