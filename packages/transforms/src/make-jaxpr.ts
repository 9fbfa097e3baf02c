/**
 * `makeJaxpr(fn)(...args)`: the graph `fn` records for arguments like `args`, as JAX's
 * `jax.make_jaxpr` — printed in the jaxpr style (`{ lambda consts; inputs. let … in (outputs) }`),
 * without running or compiling anything and without committing the State writes `fn` makes.
 */
import { type Graph, type TreeDef, makeGraph, printGraph } from "@kiln/core";
import { type AnyFunction, TraceCache, checkNotAsync, outputTensors, traceCall } from "./trace.js";

/** The graph of one call of a function: its inputs (one per argument leaf), outputs and printout. */
export interface Jaxpr {
  /** The recorded graph: `inputs` are placeholders for the argument leaves, in order. */
  readonly graph: Graph;
  /** The structure of the function's output (unflatten `graph.outputs` with it). */
  readonly outTree: TreeDef;
  /** The jaxpr-style printout (core's `printGraph`). */
  toString(): string;
}

/**
 * A function that traces `fn` on arguments of the given shapes and dtypes and returns its graph,
 * as JAX's `jax.make_jaxpr`. Realized values `fn` closes over appear as constants (before `;`),
 * argument leaves as inputs, scalar literals inline. Nothing is computed; State writes are not
 * committed.
 * @example
 * const { jaxpr } = makeJaxpr((x: Tensor) => x.mul(2).sum())(np.array([1, 2, 3]));
 * String(jaxpr);
 * // { lambda ; a:f32[3]. let
 * //     b:f32[3] = broadcast[shape=(3) dims=()] 2.0:f32
 * //     c:f32[3] = mul a b
 * //     d:f32[] = reduceSum[axes=(0)] c
 * //   in (d) }
 */
export function makeJaxpr<F extends AnyFunction>(fn: F): (...args: Parameters<F>) => { jaxpr: Jaxpr } {
  checkNotAsync("makeJaxpr", fn);
  return (...args) => {
    const t = traceCall("makeJaxpr", new TraceCache(), fn, args, { argnums: args.map((_, i) => i), ints: "zero" });
    const { leaves, def } = outputTensors("makeJaxpr", t.result);
    const graph = makeGraph(t.diffArgs.flatMap((a) => a.leaves), leaves.map((l) => l.node));
    const text = printGraph(graph);
    return { jaxpr: { graph, outTree: def, toString: () => text } };
  };
}
