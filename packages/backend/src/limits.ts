/**
 * Device limits the scheduler respects. WebGPU binds at most `maxStorageBuffersPerShaderStage`
 * buffers per kernel (8 by default, 4 in compatibility mode, 16 on llvmpipe when requested): a fused
 * region that reads more is split by materializing one of its inner values — the one that takes
 * the most loads with it while its own kernel still fits.
 */
import { type Node, makeNode, topoSort } from "@kiln/core";

/** Scheduling options of a target: `maxBuffers` bounds the buffer parameters of one kernel. */
export interface ScheduleOptions {
  readonly maxBuffers?: number;
  /** Merge sibling elementwise kernels into multi-output kernels (default true; false gives the
   * one-output-per-kernel schedule, which tests compare against). */
  readonly multiOutput?: boolean;
}

/**
 * The node of `region` (other than `root`) whose materialization removes the most loads from
 * `root`'s kernel while its own kernel stays within `maxBuffers` (inputs + its output), or null.
 * `keep` marks nodes that must stay inlined (a contraction's core).
 * @example
 * // add(add(add(a, b), c), d) with maxBuffers 3 → materialize add(a, b)
 */
export function nodeToSplit(root: Node, region: ReadonlySet<Node>, maxBuffers: number, keep: (n: Node) => boolean): Node | null {
  const loads = new Map<Node, Set<Node>>();
  const loadsOf = (n: Node): Set<Node> => {
    let s = loads.get(n);
    if (s) return s;
    s = new Set();
    for (const i of n.inputs) {
      if (region.has(i)) for (const x of loadsOf(i)) s.add(x);
      else s.add(i);
    }
    loads.set(n, s);
    return s;
  };
  let best: Node | null = null;
  let bestCount = 1;
  for (const n of region) {
    if (n === root || keep(n)) continue;
    const c = loadsOf(n).size;
    if (c > bestCount && c <= maxBuffers - 1) {
      best = n;
      bestCount = c;
    }
  }
  return best;
}

/**
 * A concatenation of more than `maxInputs` inputs becomes a tree of smaller ones (concatenation
 * is associative along its axis). Run before scheduling: `nodeToSplit` cannot help a single node
 * whose own inputs are too many.
 * @example
 * splitWideConcats([concat40], isBuffer, 14); // [concat(concat(x0..x13), concat(x14..x27), concat(x28..x39))]
 */
export function splitWideConcats(outputs: readonly Node[], isBuffer: (n: Node) => boolean, maxInputs: number): Node[] {
  const nodes = topoSort(outputs, isBuffer);
  if (!nodes.some((n) => n.prim === "concatenate" && n.inputs.length > maxInputs)) return [...outputs];
  const mapped = new Map<Node, Node>();
  const get = (n: Node) => mapped.get(n) ?? n;
  for (const n of nodes) {
    if (isBuffer(n)) continue;
    let inputs = n.inputs.map(get);
    if (n.prim === "concatenate") {
      const axis = (n as Node<"concatenate">).params.axis;
      while (inputs.length > maxInputs) {
        const groups: Node[] = [];
        for (let i = 0; i < inputs.length; i += maxInputs) {
          const part = inputs.slice(i, i + maxInputs);
          groups.push(part.length === 1 ? part[0]! : makeNode("concatenate", part, { axis }));
        }
        inputs = groups;
      }
    }
    if (inputs.some((x, i) => x !== n.inputs[i]) || inputs.length !== n.inputs.length) {
      mapped.set(n, makeNode(n.prim, inputs, n.params as never, n.aval));
    }
  }
  return outputs.map(get);
}
