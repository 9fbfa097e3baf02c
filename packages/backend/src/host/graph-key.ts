/**
 * The structural key of a graph: what plan caches (every target's) look plans up by. Two graphs
 * with the same key schedule to the same plan, whatever their realized inputs hold.
 */
import { type Node } from "@kiln/core";

/** JSON writes NaN and ±Infinity as null and -0 as 0; all of them change results, so keep them. */
function paramReplacer(_k: string, v: unknown): unknown {
  return typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)) ? `#${Object.is(v, -0) ? "-0" : v}` : v;
}

const numKey = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/** Params as text: numbers and number arrays directly (fast, and NaN/±Infinity/-0 exact), the rest as JSON. */
function paramsKey(params: Record<string, unknown>): string {
  let out = "";
  for (const k in params) {
    const v = params[k];
    const text = typeof v === "number" ? numKey(v)
      : Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]).map(numKey).join(",")
      : typeof v === "string" || typeof v === "boolean" ? String(v)
      : JSON.stringify(v, paramReplacer);
    out += `${k}=${text};`;
  }
  return `{${out}}`;
}

/**
 * Structural key of the graph computing `outputs`; realized inputs are `B<dtype>[shape]`, and
 * constants `isParam` accepts are `P` (their values are kernel parameters, not structure).
 * @example
 * graphKey(topoSort([y], isBuffer), [y], isBuffer); // "Bfloat32[3];exp{}(0)float32[3]=>1"
 */
export function graphKey(nodes: readonly Node[], outputs: readonly Node[], isBuffer: (n: Node) => boolean, isParam?: (n: Node) => boolean): string {
  const pos = new Map<Node, number>();
  const parts = nodes.map((n, i) => {
    pos.set(n, i);
    if (isBuffer(n)) return `B${n.aval.dtype}[${n.aval.shape}]`;
    if (isParam?.(n)) return "P";
    const params = paramsKey(n.params as Record<string, unknown>);
    return `${n.prim}${params}(${n.inputs.map((x) => pos.get(x)).join(",")})${n.aval.dtype}[${n.aval.shape}]`;
  });
  return `${parts.join(";")}=>${outputs.map((o) => pos.get(o)).join(",")}`;
}

