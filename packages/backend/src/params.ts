/**
 * Kernel parameters: the float32 scalars a graph computes with (`x.mul(1 + i * 1e-6)`, a learning
 * rate) are read by kernels from one small parameter buffer instead of being printed into the
 * kernel as literals. A kernel's identity (its IR text, the kernel and pipeline cache key) and a
 * plan's identity (the graph key) then hold no such value: a loop over distinct scalars compiles
 * one kernel and schedules one plan.
 *
 * The rewrite is a graph pass run by each backend before it plans a graph: every parameterizable
 * `const` node becomes element `i` of a fresh `data` leaf holding all the values (`reshape(slice(
 * P, [i], [i+1]), [])`). So the parameter buffer is an ordinary plan input: the scheduler counts
 * its binding against the device's storage-buffer limit, the lowering reads it as a load, both
 * renderers and runtimes need nothing new, and on webgpu it is uploaded like any host value.
 *
 * Constants that stay literals (`staysLiteral`), because the code depends on their value or
 * because there are few of them:
 * - integer and boolean constants (index arithmetic, masks, shift counts, loop bounds: the
 *   lowering folds and specializes on them, and integers are exact in any representation);
 * - float constants that are small integers (|v| <= 16: relu's 0, the 1 of a sigmoid, an
 *   integer exponent), ±0.5, ±Infinity and NaN: a bounded set, so at most a bounded number of
 *   kernels, and renderers and V8 fold them;
 * - float64, float16 and bfloat16 constants (float64 is computed on the host on webgpu; all are rare in
 *   loops and a float32 buffer could not hold them exactly);
 * - values of primitives' params (pad fill values, clamp bounds, axes): structural by nature.
 * Graph rewrites that depend on a constant's value (x*0 → 0 and friends, in core's optimizer) run
 * before this pass, on the literal graph, so they keep their IEEE-safe behaviour.
 */
import { DataBuffer, type Node, dataNode, makeNode, topoSort } from "@kiln/core";

/**
 * Float32 constants kept as literals (see the module comment): a bounded, structural set.
 * @example
 * staysLiteral(0);    // true: relu's max(x, 0) keeps its literal
 * staysLiteral(1e-3); // false: a learning rate is a kernel parameter
 */
export function staysLiteral(value: number): boolean {
  return !Number.isFinite(value) || (Number.isInteger(value) && Math.abs(value) <= 16) || Math.abs(value) === 0.5;
}

/**
 * Whether `n` is a constant `parameterizeConstants` moves into the parameter buffer (`outputs`:
 * the graph's requested outputs — a requested output that is a constant is left alone, the plan
 * copies it out as it is).
 */
export function isParameter(n: Node, outputs: ReadonlySet<Node>): boolean {
  return n.prim === "const" && n.aval.dtype === "float32" && !staysLiteral((n as Node<"const">).params.value) && !outputs.has(n);
}

/**
 * The parameter values of a graph, in the order `parameterizeConstants` lays them out (`nodes` in
 * topological order, as `topoSort` gives them). A plan cached for the graph's value-free structure
 * runs again on these values alone: no node is rebuilt (targets/js/cpu.ts).
 */
export function parameterValues(nodes: readonly Node[], isBuffer: (n: Node) => boolean, outputs: ReadonlySet<Node>): Float32Array {
  const values: number[] = [];
  for (const n of nodes) if (!isBuffer(n) && isParameter(n, outputs)) values.push((n as Node<"const">).params.value);
  return Float32Array.from(values);
}

/** A graph with its scalar constants moved into a parameter buffer. */
export interface Parameterized {
  readonly outputs: readonly Node[];
  /** The parameter buffer (null when the graph has no parameter), a `data` leaf of `outputs`. */
  readonly params: DataBuffer | null;
}

/**
 * Moves the float32 scalar constants of the graph computing `outputs` into one parameter buffer
 * (see the module comment). Realized nodes (`isBuffer`) are kept as they are. The caller releases
 * `params` once the plan ran (or keeps it with a compiled plan).
 * @example
 * const { outputs, params } = parameterizeConstants([x.mul(1.000001).node], (n) => n.prim === "data");
 * params!.host; // Float32Array [1.000001]: the kernel reads it; its source holds no value
 */
export function parameterizeConstants(outputs: readonly Node[], isBuffer: (n: Node) => boolean): Parameterized {
  const nodes = topoSort(outputs, isBuffer);
  const outSet = new Set(outputs);
  const consts = nodes.filter((n) => !isBuffer(n) && isParameter(n, outSet));
  if (consts.length === 0) return { outputs, params: null };
  // A Float32Array on every target: a float32 constant is a float32 number (the rounding rule,
  // docs/architecture.md), so the parameter reads back exactly what its literal would have been.
  const values = parameterValues(consts, isBuffer, outSet);
  const params = new DataBuffer("float32", values.length, values);
  const p = dataNode(params, { shape: [values.length], dtype: "float32" });
  const mapped = new Map<Node, Node>();
  consts.forEach((c, i) => {
    const element = makeNode("slice", [p], { start: [i], stop: [i + 1], step: [1] }, { shape: [1], dtype: "float32" });
    mapped.set(c, makeNode("reshape", [element], { shape: [] }, c.aval));
  });
  for (const n of nodes) {
    if (mapped.has(n) || isBuffer(n) || n.inputs.length === 0) continue;
    const ins = n.inputs.map((x) => mapped.get(x) ?? x);
    if (ins.some((x, k) => x !== n.inputs[k])) mapped.set(n, makeNode(n.prim, ins, n.params as never, n.aval));
  }
  return { outputs: outputs.map((o) => mapped.get(o) ?? o), params };
}
