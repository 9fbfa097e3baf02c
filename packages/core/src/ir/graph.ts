/**
 * Graph: inputs, outputs and the nodes between them in topological order, plus the jaxpr-like
 * printer. Graphs are values: passes return new graphs (see rewrite.ts).
 */
import { ValueError, describeValue } from "../errors.js";
import { type Node, avalString, isNode } from "./node.js";

export interface Graph {
  /** Placeholder (`input`) nodes, in argument order. */
  readonly inputs: readonly Node[];
  readonly outputs: readonly Node[];
  /** Every node reachable from the outputs, inputs first where reachable, in topological order. */
  readonly nodes: readonly Node[];
}

/**
 * Nodes reachable from `outputs`, in topological (dependency-first) order. Iterative: deep graphs
 * are fine. `inputsOf` replaces a node's dependencies (a custom call's barrier depends on the
 * call's inputs, not on its interior).
 */
export function topoSort(outputs: readonly Node[], stopAt?: (n: Node) => boolean, inputsOf: (n: Node) => readonly Node[] = (n) => n.inputs): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: [Node, number][] = [];
  for (const root of outputs) {
    if (seen.has(root)) continue;
    seen.add(root);
    stack.push([root, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      const inputs = stopAt?.(node) ? [] : inputsOf(node);
      if (i < inputs.length) {
        top[1]++;
        const next = inputs[i]!;
        if (!seen.has(next)) {
          seen.add(next);
          stack.push([next, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order;
}

export function makeGraph(inputs: readonly Node[], outputs: readonly Node[]): Graph {
  for (const n of [...inputs, ...outputs]) {
    if (!isNode(n)) throw new ValueError(`makeGraph: inputs and outputs must be graph nodes from makeNode, got ${describeValue(n)}`);
  }
  return Object.freeze({
    inputs: Object.freeze([...inputs]),
    outputs: Object.freeze([...outputs]),
    nodes: Object.freeze(topoSort(outputs)),
  });
}

function fmtParam(v: unknown): string {
  if (Array.isArray(v)) return `(${v.join(",")})`;
  return String(v);
}

/** One-line form of a literal, e.g. `2.0:f32`. */
function fmtLiteral(node: Node<"const">): string {
  const v = node.params.value;
  const isF = node.aval.dtype !== "int32" && node.aval.dtype !== "bool";
  const s = Number.isInteger(v) && isF ? v.toFixed(1) : node.aval.dtype === "float64" || !isF ? String(v) : shortestF32(v);
  return `${s}:${avalString(node.aval).replace("[]", "")}`;
}

/** The shortest decimal that rounds to the same float32 (prints 0.1, not 0.10000000149011612). */
function shortestF32(v: number): string {
  for (let p = 1; p < 17; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(parseFloat(s)) === v) return String(parseFloat(s));
  }
  return String(v);
}

/** Variable names a, b, ..., z, ba, bb, ... as in jaxprs. */
function varName(i: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (i % 26)) + s;
    i = Math.floor(i / 26);
  } while (i > 0);
  return s;
}

/**
 * Prints a graph in a jaxpr-like text form:
 * ```
 * { lambda a:f32[3]; b:f32[3]. let
 *     c:f32[3] = mul b 2.0:f32
 *     d:f32[] = reduceSum[axes=(0)] c
 *   in (d) }
 * ```
 * Realized buffers are listed before `;` (constants), placeholders after it; scalar literals are inlined.
 */
export function printGraph(graph: Graph): string {
  const names = new Map<Node, string>();
  let n = 0;
  const name = (node: Node): string => {
    if (node.prim === "const") return fmtLiteral(node as Node<"const">);
    let s = names.get(node);
    if (!s) names.set(node, (s = varName(n++)));
    return s;
  };
  const consts = graph.nodes.filter((x) => x.prim === "data");
  const inputs = [...graph.inputs];
  for (const x of graph.nodes) if (x.prim === "input" && !inputs.includes(x)) inputs.push(x);
  const decl = (x: Node) => `${name(x)}:${avalString(x.aval)}`;
  for (const x of [...consts, ...inputs]) name(x);
  const lines: string[] = [];
  for (const x of graph.nodes) {
    if (x.prim === "const" || x.prim === "data" || x.prim === "input") continue;
    const ps = Object.entries(x.params as object);
    const pstr = ps.length ? `[${ps.map(([k, v]) => `${k}=${fmtParam(v)}`).join(" ")}]` : "";
    const args = x.inputs.map(name).join(" ");
    lines.push(`    ${decl(x)} = ${x.prim}${pstr}${args ? " " + args : ""}`);
  }
  const head = `{ lambda ${consts.map(decl).join(" ")}; ${inputs.map(decl).join(" ")}. let`;
  return [head, ...lines, `  in (${graph.outputs.map(name).join(", ")}) }`].join("\n");
}
