/**
 * `scan` (and `forLoop`, which is a scan) on the device, two ways. An element-local body runs as
 * ONE loop kernel (targets/webgpu/wgsl-loop.ts: `recordLoopKernel`), every iteration inside one
 * dispatch. Any other body: the loop is driven by the reference
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
import { deviceBytes, poolOf, upload } from "./webgpu-memory.js";
import { type GpuContext } from "./webgpu-device.js";
import { recordCopy, recordPass } from "./webgpu-queue.js";
import { type CompiledProgram } from "./webgpu-programs.js";
import { type LoopKernel } from "./wgsl-loop.js";

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

/** A scan's loop kernel compiled for a device (wgsl-loop.ts), with its captured values' buffers. */
export interface LoopProgram<C> {
  readonly loop: LoopKernel<C>;
  readonly compiled: CompiledProgram;
}

/** Bounds buffers ([start, end) as int32) of split loops, per device: ranges repeat across plans. */
const boundsBuffers = new WeakMap<GpuContext, Map<string, GPUBuffer>>();

function boundsBuffer(ctx: GpuContext, [start, end]: readonly [number, number]): GPUBuffer {
  let m = boundsBuffers.get(ctx);
  if (!m) boundsBuffers.set(ctx, (m = new Map()));
  const key = `${start}:${end}`;
  let b = m.get(key);
  if (!b) m.set(key, (b = upload(ctx, Int32Array.of(start, end), "int32")));
  return b;
}

/**
 * Records a scan's loop kernel on the device buffers `operands` (the call's: carry, consts, xs) in
 * one compute pass: one dispatch per iteration range, each split's carries handed to the next
 * through fresh buffers. Returns the call outputs the kernel stores (by output index; the others
 * are absent) and the buffers it made (the caller's to release). `captured` gives a captured
 * value's buffer; `bind` the bind group of a layout and its entries (cached by the runtime).
 * `keep`: a pinned plan's own buffers for the kernel's outputs, made on its first recording and
 * bound again every call (its bind groups are reused); without it they come from the pool.
 * @example
 * const { outs } = recordLoopKernel(ctx, program, ins, (c) => inputGpu(c), bindGroupFor);
 */
export function recordLoopKernel<C>(
  ctx: GpuContext, program: LoopProgram<C>, operands: readonly GPUBuffer[], captured: (value: C) => GPUBuffer,
  bind: (layout: GPUBindGroupLayout, entries: readonly { binding: number; resource: { buffer: GPUBuffer } }[]) => GPUBindGroup,
  keep?: GPUBuffer[],
): DeviceScan {
  const { loop, compiled } = program;
  const pool = poolOf(ctx);
  const owned = new Set<GPUBuffer>();
  let made = 0;
  const fresh = (size: number): GPUBuffer => {
    if (keep) return (keep[made++] ??= pool.acquire(deviceBytes(size)));
    const b = pool.acquire(deviceBytes(size));
    owned.add(b);
    return b;
  };
  const params = loop.kernel.params;
  const outCount = params.filter((p) => p.role === "out").length;
  // Per output parameter its buffer for the last split (the call's outputs, or a carry's spare).
  const finals = params.slice(0, outCount).map((p) => fresh(p.size));
  const outs: GPUBuffer[] = [];
  loop.outputs.forEach((o, p) => (outs[o] = finals[p]!));
  /** Per parameter, the buffer of the current split. */
  const bound = params.map((p, i): GPUBuffer | null => {
    if (i < outCount) return finals[i]!;
    const input = loop.inputs[i - outCount]!;
    return input.k === "operand" ? operands[input.index]! : input.k === "captured" ? captured(input.value) : null;
  });
  const d = compiled.program.dispatches[0]!;
  const bounds = loop.ranges.length > 1 ? loop.ranges.map((r) => boundsBuffer(ctx, r)) : []; // (uploads: not inside the pass)
  recordPass(ctx, (pass) => {
    loop.ranges.forEach((_range, r) => {
      const last = r === loop.ranges.length - 1;
      if (loop.ranges.length > 1) {
        bound[outCount + loop.inputs.findIndex((x) => x.k === "bounds")] = bounds[r]!;
        // Carries go to spare buffers until the last split, which stores the call's outputs.
        for (const c of loop.carries) bound[c.output] = last ? finals[c.output]! : fresh(params[c.output]!.size);
      }
      pass.setPipeline(compiled.pipelines[0]!);
      pass.setBindGroup(0, bind(compiled.layouts[0]!, d.bindings.map((p, slot) => ({ binding: slot, resource: { buffer: bound[p]! } }))));
      pass.dispatchWorkgroups(...d.groups);
      // The next split reads the carries this one stored.
      if (!last) for (const c of loop.carries) bound[c.input] = bound[c.output]!;
    });
  });
  return { outs, owned };
}
