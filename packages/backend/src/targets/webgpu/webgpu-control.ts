/**
 * Control flow (cond, while, scan) whose sub-graphs cannot run on the device (webgpu-scan.ts,
 * webgpu-branch.ts) runs on the host, with the CPU backend's sub-graph plans (host/control.ts). Those read the constants a sub-graph closes over from
 * their host arrays; a constant that lives only on the device is read back first.
 */
import { type DataBuffer, type Graph, type Node, type TypedArray, topoSort } from "@kiln/core";
import { type LibrarySpec } from "../../schedule.js";
import { type GpuContext } from "./webgpu-device.js";
import { DeviceData, readback } from "./webgpu-memory.js";

interface CallLike {
  readonly kind: string;
  readonly branches?: readonly Graph[];
  readonly cond?: Graph;
  readonly body?: Graph;
}

function graphsOf(call: CallLike): Graph[] {
  return [...(call.branches ?? []), ...(call.cond ? [call.cond] : []), ...(call.body ? [call.body] : [])];
}

/** Data leaves of a control call's sub-graphs (nested calls included) whose values are device-only. */
function deviceLeaves(call: CallLike, seen = new Set<Graph>(), out = new Set<DataBuffer>()): Set<DataBuffer> {
  for (const g of graphsOf(call)) {
    if (seen.has(g)) continue;
    seen.add(g);
    for (const n of topoSort(g.outputs, (x: Node) => x.prim === "data")) {
      if (n.prim === "data") {
        const buf = (n as Node<"data">).params.ref as DataBuffer;
        if (!buf.host && !buf.isReleased && buf.device instanceof DeviceData) out.add(buf);
      }
      const inner = (n.params as { call?: CallLike }).call;
      if (inner && typeof inner === "object" && "kind" in inner) deviceLeaves(inner, seen, out);
    }
  }
  return out;
}

/**
 * Makes the device-only constants of a control step readable on the host for the duration of the
 * (synchronous) step that follows: returns the function that restores them.
 * @example
 * const restore = await hostifyControlLeaves(step.library, ctx);
 * try { host.runStep(step, ins, dtype, size); } finally { restore(); }
 */
export async function hostifyControlLeaves(spec: LibrarySpec, ctx: GpuContext): Promise<() => void> {
  const call = (spec.params as { call?: CallLike }).call;
  if (!call || !["cond", "while", "scan"].includes(spec.name)) return () => {};
  const bufs = [...deviceLeaves(call)];
  const values = await Promise.all(bufs.map(async (b): Promise<TypedArray> => {
    const dd = b.device as DeviceData;
    if (dd.ready) await dd.ready;
    if (dd.error) throw dd.error;
    return dd.host ?? (await readback(ctx, dd.gpu!, b.dtype, b.size));
  }));
  // DataBuffer.host is set only while the step runs (its byte accounting counts host arrays
  // given at construction); control.ts keeps its own reference to the array once planned.
  bufs.forEach((b, i) => (b.host = values[i]!));
  return () => bufs.forEach((b) => (b.host = null));
}
