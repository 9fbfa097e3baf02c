/**
 * A memory simulation of executing a graph: the peak bytes of values alive at once under a
 * schedule that is good for memory. It is how checkpointing's saving is measured (the backend's
 * memory plan will report the same quantity for compiled graphs).
 *
 * The schedule is a depth-first post-order from the outputs (shallowest output first) that visits
 * each node's deepest input first — as Sethi–Ullman register allocation does — so short side
 * computations such as a checkpoint's recomputation run late, right before they are consumed.
 * A value is allocated when its node runs and freed after its last consumer ran. Movement nodes
 * (reshape, broadcast, transpose, slice, pad, flip, concatenate) are views, as in the backend:
 * they take no bytes and keep their input alive as long as they are alive.
 */
import { type Node, Movement, itemSize, sizeOf, topoSort } from "@kiln/core";

export interface PeakLiveBytesOptions {
  /**
   * Count the graph's leaves (`data` buffers and placeholders: parameters, inputs). They are the
   * caller's and alive throughout, so by default they are left out: the peak is the memory the
   * computation itself needs. Default false.
   */
  countInputs?: boolean;
  /**
   * Count the outputs, each alive from when it is computed to the end (it is handed to the
   * caller). When false they are left out like the inputs — result buffers are the caller's —
   * and the peak is that of the intermediate values alone (e.g. the activations a backward pass
   * keeps, without the weight gradients it produces). Default true.
   */
  countOutputs?: boolean;
}

function itemBytes(n: Node): number {
  return itemSize(n.aval.dtype);
}

/** Longest path from a leaf to each node. */
function depths(nodes: readonly Node[]): Map<Node, number> {
  const depth = new Map<Node, number>();
  for (const n of nodes) depth.set(n, n.inputs.reduce((m, i) => Math.max(m, depth.get(i)! + 1), 0));
  return depth;
}

/**
 * The execution order the simulation uses (every node reachable from `outputs`, dependencies first).
 * @example memorySchedule([loss.node]).length // number of nodes
 */
export function memorySchedule(outputs: readonly Node[]): Node[] {
  const depth = depths(topoSort(outputs));
  const byDepthDesc = (a: Node, b: Node) => depth.get(b)! - depth.get(a)!;
  const roots = [...new Set(outputs)].sort((a, b) => -byDepthDesc(a, b));
  const order: Node[] = [];
  const seen = new Set<Node>();
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    const stack: [Node, Node[], number][] = [[root, [...new Set(root.inputs)].sort(byDepthDesc), 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top[2] < top[1].length) {
        const next = top[1][top[2]++]!;
        if (!seen.has(next)) {
          seen.add(next);
          stack.push([next, [...new Set(next.inputs)].sort(byDepthDesc), 0]);
        }
        continue;
      }
      stack.pop();
      order.push(top[0]);
    }
  }
  return order;
}

/**
 * The peak number of bytes alive at once while computing `outputs` (see the file comment).
 * @example
 * const x = np.ones([1000]);               // a 4000-byte float32 input
 * peakLiveBytes([x.exp().sum().node]);      // 4004: exp's result and the sum
 * peakLiveBytes([x.exp().sum().node], { countInputs: true }); // 8004
 */
export function peakLiveBytes(outputs: readonly Node[], opts: PeakLiveBytesOptions = {}): number {
  const { countInputs = false, countOutputs = true } = opts;
  const order = memorySchedule(outputs);
  const isView = (n: Node) => Movement.has(n.prim);
  const results = new Set(outputs);
  const bytes = (n: Node): number =>
    isView(n) || n.inputs.length === 0 || (!countOutputs && results.has(n)) ? 0 : sizeOf(n.aval.shape) * itemBytes(n);
  // Leaves are the caller's: with countInputs they are a constant baseline, alive throughout.
  const baseline = countInputs
    ? order.filter((n) => n.prim === "data" || n.prim === "input").reduce((a, n) => a + sizeOf(n.aval.shape) * itemBytes(n), 0)
    : 0;
  // Remaining uses of each value: one per distinct consumer, one more for an output kept to the end.
  const uses = new Map<Node, number>();
  for (const n of order) for (const i of new Set(n.inputs)) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of results) uses.set(o, (uses.get(o) ?? 0) + 1);

  let live = baseline;
  let peak = baseline;
  const release = (n: Node): void => {
    const left = uses.get(n)! - 1;
    uses.set(n, left);
    if (left > 0) return;
    live -= bytes(n);
    if (isView(n)) for (const i of new Set(n.inputs)) release(i);
  };
  for (const n of order) {
    live += bytes(n);
    peak = Math.max(peak, live);
    if (!isView(n)) for (const i of new Set(n.inputs)) release(i);
  }
  return peak;
}
