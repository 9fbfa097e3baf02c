/**
 * `scan` (and `forLoop`, which is a scan) on the device: the loop is driven by the reference
 * semantics (`evalControl`) over device buffers, each iteration's body recorded into the open
 * batch (webgpu-queue.ts) — a 1,000-step scan is recorded in one go and submitted with the step
 * that holds it, with no read-back per iteration. The trip count is static, so nothing on the
 * host waits for the device; `while` and `cond`, whose next step depends on a value, read their
 * predicate (targets/webgpu/webgpu-branch.ts).
 *
 * Memory: an iteration's inputs that the loop made (the previous carry, the row slices of xs)
 * go back to the pool once the next body is recorded — later commands of the batch may reuse
 * them, which command order makes safe — so a long scan holds one carry and the ys rows, not one
 * buffer per iteration.
 */
import { type ControlRuntime, type ScanCall, evalControl, sizeOf } from "@kiln/core";
import { deviceBytes, poolOf } from "./webgpu-memory.js";
import { type GpuContext } from "./webgpu-device.js";
import { recordCopy } from "./webgpu-queue.js";

/** The outputs of a scan recorded on the device, and the buffers among them the loop made (the caller's to release). */
export interface DeviceScan {
  readonly outs: readonly GPUBuffer[];
  readonly owned: ReadonlySet<GPUBuffer>;
}

/**
 * Records `call` over the device buffers `ins` (carry, consts, xs). `runBody` records one body
 * plan on its inputs and returns fresh output buffers (carry, then y rows).
 * @example
 * const { outs, owned } = recordScan(ctx, call, [carry0, xs], (ins) => recordBody(ins));
 */
export function recordScan(ctx: GpuContext, call: ScanCall, ins: readonly GPUBuffer[], runBody: (ins: readonly GPUBuffer[]) => GPUBuffer[]): DeviceScan {
  const pool = poolOf(ctx);
  const owned = new Set<GPUBuffer>();
  /** y rows waiting to be stacked: kept although the next iteration no longer reads them. */
  const rows = new Set<GPUBuffer>();
  const own = (b: GPUBuffer) => (owned.add(b), b);
  const drop = (b: GPUBuffer) => {
    if (!owned.has(b) || rows.has(b)) return;
    owned.delete(b);
    pool.recycle(b); // the loop's own buffer: no other plan holds it (BufferPool.recycle)
  };
  const runtime: ControlRuntime<GPUBuffer> = {
    run(_graph, inputs) {
      const outs = runBody(inputs).map(own);
      for (const y of outs.slice(call.numCarry)) rows.add(y);
      for (const b of new Set(inputs)) if (!outs.includes(b)) drop(b);
      return outs;
    },
    row(x, i, n) {
      const b = own(pool.acquire(deviceBytes(n)));
      recordCopy(ctx, x, b, n * 4, i * n * 4);
      return b;
    },
    stack(ys, aval) {
      const out = own(pool.acquire(deviceBytes(sizeOf(aval.shape))));
      const n = ys.length ? sizeOf(aval.shape) / ys.length : 0;
      ys.forEach((y, k) => recordCopy(ctx, y, out, n * 4, 0, k * n * 4));
      for (const y of ys) (rows.delete(y), drop(y));
      return out;
    },
    scalar() {
      throw new Error("internal: webgpu: a scan on the device reads no scalar");
    },
  };
  const outs = evalControl(call, ins, runtime);
  return { outs, owned };
}
