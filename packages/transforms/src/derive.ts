/**
 * Graph-level differentiation drivers: forward (jvp) and reverse (vjp) passes over the nodes
 * between some seed nodes and the outputs, using the rule tables. Everything above (vjp, jvp,
 * linearize, grad, jacobians, hessian) is built on these two functions.
 */
import type { Node, Tensor } from "@kiln/core";

/**
 * Forward pass: the tangent of each output given tangents for some nodes (`seeds`, usually the
 * placeholders of the differentiated arguments). Nodes not reachable from a seed have zero
 * (null) tangent; the result is null for an output whose tangent is zero.
 */
export function jvpNodes(outputs: readonly Tensor[], seeds: ReadonlyMap<Node, Tensor>): (Tensor | null)[] {
  void outputs; void seeds;
  throw new Error("jvpNodes: not implemented yet");
}

/**
 * Reverse pass: the cotangent of each node in `wrt` given a cotangent for each output (null =
 * zero). A `wrt` node the outputs do not depend on gets null.
 */
export function vjpNodes(outputs: readonly Tensor[], cts: readonly (Tensor | null)[], wrt: readonly Node[]): (Tensor | null)[] {
  void outputs; void cts; void wrt;
  throw new Error("vjpNodes: not implemented yet");
}
