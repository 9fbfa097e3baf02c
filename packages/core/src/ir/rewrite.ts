/**
 * Graph rewrites as data (STYLE.md §4): a pass is a list of `pattern → replacement` rules run by
 * one driver, `graphRewrite`; a pipeline is a list of named passes. Nodes are immutable, so a
 * rewrite rebuilds the graph bottom-up through `makeNode` — hash-consing makes that rebuild the
 * common-subexpression elimination pass, and rebuilding from the outputs drops dead nodes.
 */
import { castScalar, isFloat } from "../dtype.js";
import { interpret } from "../interpret.js";
import { shapeEq } from "../shape.js";
import { type Graph, makeGraph } from "./graph.js";
import { type Node, constNode, interning, makeNode } from "./node.js";
import { type Prim, Elementwise, Leaf } from "./primitives.js";

/** A rewrite rule: for nodes of the listed primitives, return a replacement or null for "no match". */
export interface RewriteRule {
  readonly name: string;
  readonly prims: readonly Prim[] | "elementwise";
  readonly rewrite: (node: Node) => Node | null;
}

export interface Pass {
  readonly name: string;
  readonly rules: readonly RewriteRule[];
}

function matches(rule: RewriteRule, node: Node): boolean {
  return rule.prims === "elementwise" ? Elementwise.has(node.prim) : rule.prims.includes(node.prim);
}

/**
 * Rebuilds `graph` bottom-up, applying `rules` to every node (to a fixed point per node; a rule's
 * replacement is itself rewritten). Inputs (placeholders) are kept as they are.
 */
export function graphRewrite(graph: Graph, rules: readonly RewriteRule[]): Graph {
  // Interned rebuilding is the pass's CSE, eager-built (uninterned) duplicates included.
  return interning(() => rewriteNodes(graph, rules));
}

function rewriteNodes(graph: Graph, rules: readonly RewriteRule[]): Graph {
  const mapped = new Map<Node, Node>();
  for (const node of graph.nodes) {
    // Literal leaves (const, iota) are rebuilt too: two built eagerly are distinct objects.
    let cur: Node = node.prim === "data" || node.prim === "input"
      ? node
      : makeNode(node.prim, node.inputs.map((i) => mapped.get(i) ?? i), node.params as never, Leaf.has(node.prim) ? node.aval : undefined);
    for (let guard = 0; guard < 64; guard++) {
      let next: Node | null = null;
      for (const rule of rules) if (matches(rule, cur) && (next = rule.rewrite(cur)) && next !== cur) break;
      if (!next || next === cur) break;
      cur = next;
    }
    mapped.set(node, cur);
  }
  return makeGraph(graph.inputs, graph.outputs.map((o) => mapped.get(o) ?? o));
}

// ---------------------------------------------------------------------------------------------
// Rules.

/** The scalar a node is known to equal everywhere: a literal, or a broadcast of one. */
function scalarOf(node: Node): number | undefined {
  if (node.prim === "const") return (node as Node<"const">).params.value;
  if (node.prim === "broadcast" || node.prim === "reshape") return scalarOf(node.inputs[0]!);
  return undefined;
}

/** `value` shaped like `like` (a literal, broadcast when `like` is not a scalar). */
function splat(value: number, like: Node): Node {
  const c = constNode(castScalar(value, like.aval.dtype), like.aval.dtype);
  return like.aval.shape.length === 0 ? c : makeNode("broadcast", [c], { shape: like.aval.shape, dims: [] });
}

/** Elementwise ops on literals are evaluated at build time (with the reference interpreter). */
const foldConstants: RewriteRule = {
  name: "foldConstants",
  prims: "elementwise",
  rewrite: (node) => {
    if (node.prim === "stopGradient") return null; // keeps its meaning for autodiff
    const values = node.inputs.map(scalarOf);
    if (values.some((v) => v === undefined)) return null;
    const scalarInputs = node.inputs.map((inp, i) => constNode(values[i]!, inp.aval.dtype));
    const scalarNode = makeNode(node.prim, scalarInputs, node.params as never);
    const [v] = interpret([scalarNode]);
    return splat(v![0]!, node);
  },
};

const identity = (name: string, prims: Prim[], test: (n: Node) => boolean): RewriteRule => ({
  name,
  prims,
  rewrite: (n) => (test(n) ? n.inputs[0]! : null),
});

/**
 * Whether `node` is the additive identity of `of`'s dtype: 0 for integers; for floats only -0,
 * since -0 + +0 is +0 (x + 0 → x would keep a -0 that NumPy and IEEE 754 turn into +0).
 * `negated`: the identity of subtraction, x - (+0) (x - (-0) is x + (+0)).
 */
function isAdditiveIdentity(node: Node, of: Node, negated = false): boolean {
  const v = scalarOf(node);
  if (v !== 0) return false;
  if (!isFloat(of.aval.dtype)) return true;
  return Object.is(v, negated ? 0 : -0);
}

/** Algebraic simplifications that never change values (IEEE-safe: no x*0 → 0, no x-x → 0, no x+(+0) → x). */
export const SIMPLIFY: readonly RewriteRule[] = [
  foldConstants,
  identity("mulOne", ["mul"], (n) => scalarOf(n.inputs[1]!) === 1),
  identity("divOne", ["div"], (n) => scalarOf(n.inputs[1]!) === 1),
  identity("subZero", ["sub"], (n) => isAdditiveIdentity(n.inputs[1]!, n, true)),
  {
    name: "addZero",
    prims: ["add"],
    rewrite: (n) => (isAdditiveIdentity(n.inputs[1]!, n) ? n.inputs[0]! : isAdditiveIdentity(n.inputs[0]!, n) ? n.inputs[1]! : null),
  },
  {
    name: "mulOneLeft",
    prims: ["mul"],
    rewrite: (n) => (scalarOf(n.inputs[0]!) === 1 ? n.inputs[1]! : null),
  },
  {
    name: "negNeg",
    prims: ["neg"],
    rewrite: (n) => (n.inputs[0]!.prim === "neg" ? n.inputs[0]!.inputs[0]! : null),
  },
  identity("castSame", ["cast"], (n) => n.inputs[0]!.aval.dtype === n.aval.dtype),
  identity("noopMovement", ["reshape", "broadcast", "transpose"], (n) =>
    shapeEq(n.inputs[0]!.aval.shape, n.aval.shape) &&
    (n.prim !== "transpose" || (n as Node<"transpose">).params.perm.every((p, i) => p === i)) &&
    (n.prim !== "broadcast" || (n as Node<"broadcast">).params.dims.every((d, i) => d === i)),
  ),
  {
    name: "reshapeReshape",
    prims: ["reshape"],
    rewrite: (n) => (n.inputs[0]!.prim === "reshape" ? makeNode("reshape", [n.inputs[0]!.inputs[0]!], { shape: n.aval.shape }) : null),
  },
  {
    name: "transposeTranspose",
    prims: ["transpose"],
    rewrite: (n) => {
      const inner = n.inputs[0]!;
      if (inner.prim !== "transpose") return null;
      const p1 = (inner as Node<"transpose">).params.perm, p2 = (n as Node<"transpose">).params.perm;
      return makeNode("transpose", [inner.inputs[0]!], { perm: p2.map((a) => p1[a]!) });
    },
  },
];

/** The standard pipeline: simplification with constant folding; CSE and DCE come with every rebuild. */
export const PIPELINE: readonly Pass[] = [{ name: "simplify", rules: SIMPLIFY }];

/** Runs the passes top to bottom. */
export function optimizeGraph(graph: Graph, passes: readonly Pass[] = PIPELINE): Graph {
  return passes.reduce((g, p) => graphRewrite(g, p.rules), graph);
}

/** Dead-code elimination: only what the outputs need survives (a rebuild from the outputs). */
export function eliminateDeadCode(graph: Graph): Graph {
  return makeGraph(graph.inputs, graph.outputs);
}

/** Common-subexpression elimination: re-interning every node merges structurally equal ones. */
export function eliminateCommonSubexpressions(graph: Graph): Graph {
  return graphRewrite(graph, []);
}
