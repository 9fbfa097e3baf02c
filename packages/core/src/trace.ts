/**
 * Trace placeholders: which values are symbolic, how to substitute nodes in a graph, and the
 * concrete values bound to placeholders while a transform runs the user's function.
 *
 * Transforms (grad, jvp, ...) call the user function on Tensors over `input` placeholder nodes
 * and derive new graphs from the result. Unlike `jit`, JAX lets value-dependent JS control flow
 * run under `grad` (`if (x.itemSync() > 0)`): while the function runs, the transform binds each
 * placeholder to the argument it stands for, and realization substitutes those bindings before
 * computing. A value that depends on a placeholder is never replaced by its data (it stays a
 * graph the transform can differentiate), and values read through a binding are not cached on
 * the placeholder-dependent node, because canonical placeholders are reused across calls.
 */
import { topoSort } from "./ir/graph.js";
import { type Node, interning, isPlaceholderBound, makeNode } from "./ir/node.js";
import type { Prim, PrimParams } from "./ir/primitives.js";

/**
 * Whether `node` depends on a trace placeholder (an `input` leaf), i.e. is symbolic.
 * @example dependsOnPlaceholder(np.array([1]).node) // false
 */
export function dependsOnPlaceholder(node: Node): boolean {
  // makeNode records it as each node is built (a node's inputs exist before it does).
  return isPlaceholderBound(node);
}

/**
 * Called for every node a substitution rebuilt, with a `rebuild` function sharing the same memo,
 * so side tables keyed by node (custom-derivative calls) can follow the rebuilt graph.
 */
export type RebuildHook = (old: Node, rebuilt: Node, rebuild: (n: Node) => Node) => void;

/**
 * A memoized graph substitution: the returned function maps a node to the node computing the same
 * thing with every key of `map` replaced by its value. Unchanged subgraphs are returned as they
 * are, and rebuilt nodes are hash-consed, so substituting twice gives identical nodes.
 * @example substituter(new Map([[x.node, y.node]]))(x.mul(2).node) // the node of y * 2
 */
export function substituter(map: ReadonlyMap<Node, Node>, hook?: RebuildHook): (node: Node) => Node {
  const memo = new Map<Node, Node>(map);
  // When every key is symbolic, a node that depends on no placeholder cannot contain a key.
  const shortcut = [...map.keys()].every(dependsOnPlaceholder);
  const settled = (x: Node) => memo.has(x) || (shortcut && !dependsOnPlaceholder(x));
  const rebuild = (root: Node): Node => {
    const done = memo.get(root);
    if (done) return done;
    for (const n of topoSort([root], settled)) {
      if (memo.has(n)) continue;
      if (n.inputs.length === 0 || (shortcut && !dependsOnPlaceholder(n))) {
        memo.set(n, n);
        continue;
      }
      const ins = n.inputs.map((i) => memo.get(i)!);
      const same = ins.every((x, k) => x === n.inputs[k]);
      const out = same ? n : makeNode(n.prim, ins, n.params as PrimParams[Prim], n.aval);
      memo.set(n, out);
      if (out !== n) hook?.(n, out, rebuild);
    }
    return memo.get(root)!;
  };
  return rebuild;
}

// ---------------------------------------------------------------------------------------------
// Concrete bindings (innermost last).

const scopes: ReadonlyMap<Node, Node>[] = [];
let reads = 0;

/**
 * Runs `fn` with each key placeholder bound to the node of the value it stands for, so reading a
 * value that depends on it (`x.itemSync()`) computes with the bound value instead of throwing
 * ConcretizationError. Bindings nest; inner bound values may depend on outer placeholders.
 * @example bindPlaceholders(new Map([[p, arg.node]]), () => fn(new Tensor(p)))
 */
export function bindPlaceholders<T>(bindings: ReadonlyMap<Node, Node>, fn: () => T): T {
  scopes.push(bindings);
  try {
    // The function builds a graph for the transform: its nodes are interned (ir/node.ts).
    return interning(fn);
  } finally {
    scopes.pop();
  }
}

/**
 * `nodes` with the active bindings substituted (innermost scope first: its values may refer to
 * outer placeholders); returns `nodes` itself when no binding applies. Realization calls it.
 * @example bindPlaceholders(new Map([[p, v.node]]), () => resolveBindings([y.node])) // [y's node over v]
 */
export function resolveBindings(nodes: readonly Node[]): readonly Node[] {
  if (!scopes.length || !nodes.some(dependsOnPlaceholder)) return nodes;
  let cur: readonly Node[] = nodes;
  for (let i = scopes.length - 1; i >= 0; i--) cur = cur.map(substituter(scopes[i]!));
  if (cur.every((n, k) => n === nodes[k])) return nodes;
  reads++;
  return cur;
}

/**
 * How many realizations have read a value through a binding so far. A transform compares it
 * before and after deriving: a derivation that branched on a concrete value must not be cached.
 * @example const before = concreteReadCount(); derive(); const reusable = concreteReadCount() === before;
 */
export function concreteReadCount(): number {
  return reads;
}
