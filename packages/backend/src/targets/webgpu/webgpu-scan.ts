/**
 * `scan` (and `forLoop`, which is a scan) on the device, three ways. An element-local body runs
 * as ONE loop kernel (targets/webgpu/wgsl-loop.ts), a small body that reads across elements as ONE
 * workgroup loop (wgsl-group-loop.ts): every iteration inside one dispatch (`recordLoop`). Any
 * other body: the loop is driven by the reference
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
import { type GroupLoop } from "./wgsl-group-loop.js";

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

/** A scan as one device loop, compiled: an element-local loop kernel (wgsl-loop.ts) or a workgroup loop (wgsl-group-loop.ts). */
export type LoopProgram<C> =
  | { readonly kind: "element"; readonly loop: LoopKernel<C>; readonly compiled: CompiledProgram }
  | { readonly kind: "group"; readonly loop: GroupLoop<C>; readonly compiled: CompiledProgram };

type Bind = (layout: GPUBindGroupLayout, entries: readonly { binding: number; resource: { buffer: GPUBuffer } }[]) => GPUBindGroup;

/**
 * Records a scan's device loop (`LoopProgram`) on the call's operand buffers: see
 * `recordLoopKernel` and `recordGroupLoop`.
 * @example
 * const { outs, owned } = recordLoop(ctx, program, ins, (c) => inputGpu(c), bindGroupFor);
 */
export function recordLoop<C>(ctx: GpuContext, program: LoopProgram<C>, operands: readonly GPUBuffer[], captured: (value: C) => GPUBuffer, bind: Bind, keep?: GPUBuffer[]): DeviceScan {
  return program.kind === "element"
    ? recordLoopKernel(ctx, program.loop, program.compiled, operands, captured, bind, keep)
    : recordGroupLoop(ctx, program.loop, program.compiled, operands, captured, bind, keep);
}

/** Buffers of one recording: a pinned plan's kept ones (`keep`, by order of request), else pooled and owned. */
function buffersFor(ctx: GpuContext, keep: GPUBuffer[] | undefined): { owned: Set<GPUBuffer>; fresh: (size: number) => GPUBuffer } {
  const pool = poolOf(ctx);
  const owned = new Set<GPUBuffer>();
  let made = 0;
  const fresh = (size: number): GPUBuffer => {
    if (keep) return (keep[made++] ??= pool.acquire(deviceBytes(size)));
    const b = pool.acquire(deviceBytes(size));
    owned.add(b);
    return b;
  };
  return { owned, fresh };
}

/**
 * Records a workgroup loop: the carries copied into their state buffers, one pass of one
 * workgroup per iteration range, the used carries' state returned as outputs (copied out by the
 * caller, as every scan output is).
 */
function recordGroupLoop<C>(ctx: GpuContext, g: GroupLoop<C>, compiled: CompiledProgram, operands: readonly GPUBuffer[], captured: (value: C) => GPUBuffer, bind: Bind, keep?: GPUBuffer[]): DeviceScan {
  const { owned, fresh } = buffersFor(ctx, keep);
  const bound = g.bindings.map((b, p): GPUBuffer | null =>
    b.k === "operand" ? operands[b.index]! : b.k === "captured" ? captured(b.value) : b.k === "bounds" ? null : fresh(g.params[p]!.size));
  const outs: GPUBuffer[] = [];
  g.bindings.forEach((b, p) => {
    if (b.k === "state") {
      recordCopy(ctx, operands[b.carry]!, bound[p]!, g.params[p]!.size * 4);
      if (g.outputs.includes(b.carry)) outs[b.carry] = bound[p]!;
    } else if (b.k === "output") outs[b.index] = bound[p]!;
  });
  const at = g.bindings.findIndex((b) => b.k === "bounds");
  const bounds = at >= 0 ? g.ranges.map((r) => boundsBuffer(ctx, r)) : [];
  const d = compiled.program.dispatches[0]!;
  recordPass(ctx, (pass) => {
    g.ranges.forEach((_r, r) => {
      if (at >= 0) bound[at] = bounds[r]!;
      pass.setPipeline(compiled.pipelines[0]!);
      pass.setBindGroup(0, bind(compiled.layouts[0]!, d.bindings.map((p, slot) => ({ binding: slot, resource: { buffer: bound[p]! } }))));
      pass.dispatchWorkgroups(1);
    });
  });
  return { outs, owned };
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
 */
function recordLoopKernel<C>(
  ctx: GpuContext, loop: LoopKernel<C>, compiled: CompiledProgram, operands: readonly GPUBuffer[], captured: (value: C) => GPUBuffer, bind: Bind, keep?: GPUBuffer[],
): DeviceScan {
  const { owned, fresh } = buffersFor(ctx, keep);
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
