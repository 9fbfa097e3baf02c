/**
 * `whileLoop` and `cond` on the device. Their next step depends on a value, so the host reads one
 * scalar per decision — the predicate, never the carry: each iteration of a while loop records its
 * body and the predicate of the new carry into the open batch (webgpu-queue.ts) and waits for that
 * one element, which rides the submission computing it; a `cond` reads its predicate and records
 * only the branch taken, as JAX runs only the taken branch under `jit` (its effects on State are
 * the taken branch's; a NaN or an expensive loop in the other branch costs nothing).
 *
 * Memory: the loop's own buffers (each carry, each predicate) are recycled as soon as the next
 * commands that read them are recorded — command order makes that safe, and no other plan can
 * hold them — so a 10^4-iteration loop holds one carry, not one per iteration, even inside an
 * asynchronous plan (`BufferPool.recycle`).
 */
import { type CondCall, type Graph, type WhileCall, evalControl } from "@kiln/core";
import { type GpuContext } from "./webgpu-device.js";
import { deviceBytes, poolOf, scopedErrors } from "./webgpu-memory.js";
import { readDevice, recordCopy, recordPass, recordPlan } from "./webgpu-queue.js";
import { type CompiledProgram } from "./webgpu-programs.js";
import { type GroupWhile } from "./wgsl-group-loop.js";
import { webgpuObserver } from "./webgpu-observe.js";
import { type KernelStep } from "../../schedule.js";

/** The outputs of a `while`/`cond` run on the device, and the buffers among them the run made (the caller's to release). */
export interface DeviceBranch {
  readonly outs: readonly GPUBuffer[];
  readonly owned: ReadonlySet<GPUBuffer>;
}

/**
 * Predicates read by device `while`/`cond` runs (one per decision), and the done flags read by
 * while loops run as one workgroup loop (one per dispatch), for `webgpuRunStats`.
 */
export const branchStats = { predicateReads: 0, loopFlagReads: 0 };

/**
 * Runs `call` over the device buffers `ins` (`[pred, ...operands]` for cond, `[...carry,
 * ...consts]` for while). `runGraph` records one sub-graph's device plan on its inputs and returns
 * fresh output buffers.
 * @example
 * const { outs, owned } = await runDeviceBranch(ctx, call, ins, (g, args) => recordSub(g, args));
 */
export async function runDeviceBranch(
  ctx: GpuContext, call: WhileCall | CondCall, ins: readonly GPUBuffer[], runGraph: (graph: Graph, args: readonly GPUBuffer[]) => GPUBuffer[],
): Promise<DeviceBranch> {
  const pool = poolOf(ctx);
  const owned = new Set<GPUBuffer>();
  const run = (graph: Graph, args: readonly GPUBuffer[]) => runGraph(graph, args).map((b) => (owned.add(b), b));
  const drop = (b: GPUBuffer) => void (owned.delete(b) && pool.recycle(b));
  /** Reads a predicate; its copy is recorded at the call, so the buffer may be recycled right after. */
  const truthy = (b: GPUBuffer, dtype: "bool" | "int32"): Promise<boolean> => {
    branchStats.predicateReads++;
    return readDevice(ctx, b, dtype, 1).then((v) => v[0] !== 0);
  };
  if (call.kind === "cond") {
    const taken = await truthy(ins[0]!, call.predDType);
    // The reference semantics choose the branch, on the value read.
    const outs = evalControl(call, ins, {
      run,
      scalar: () => (taken ? 1 : 0),
      row: () => { throw new Error("internal: webgpu: cond has no rows"); },
      stack: () => { throw new Error("internal: webgpu: cond stacks nothing"); },
    });
    return { outs, owned };
  }
  // evalControl's while, with the predicate awaited: cond(carry) decides whether body(carry) runs.
  let carry = ins.slice(0, call.numCarry);
  const consts = ins.slice(call.numCarry);
  for (;;) {
    const pred = run(call.cond, [...carry, ...consts])[0]!;
    const going = truthy(pred, "bool");
    drop(pred);
    if (!(await going)) break;
    const next = run(call.body, [...carry, ...consts]);
    for (const b of new Set(carry)) if (!next.includes(b)) drop(b);
    carry = next;
  }
  return { outs: carry, owned };
}

/** A `whileLoop` as one workgroup loop (wgsl-group-loop.ts), compiled. */
export interface WhileProgram<C> {
  readonly loop: GroupWhile<C>;
  readonly compiled: CompiledProgram;
}

/**
 * Runs a `whileLoop` as one workgroup loop on the device buffers `ins` (`[...carry, ...consts]`):
 * the carries copied into the loop's state buffers, then a dispatch of up to `trips` iterations
 * and a read of its done flag, again until the flag is set — one read per dispatch (per
 * ~65,000 loop iterations on llvmpipe), not one per iteration. `captured` and `bind` as for a
 * scan's loop (webgpu-scan.ts); `step` is reported to the observer with each dispatch.
 * @example
 * const { outs, owned } = await runGroupWhile(ctx, step, program, ins, (c) => inputGpu(c), bindGroupFor);
 */
export async function runGroupWhile<C>(
  ctx: GpuContext, step: KernelStep, program: WhileProgram<C>, ins: readonly GPUBuffer[], captured: (value: C) => GPUBuffer,
  bind: (layout: GPUBindGroupLayout, entries: readonly { binding: number; resource: { buffer: GPUBuffer } }[]) => GPUBindGroup,
): Promise<DeviceBranch> {
  const { loop, compiled } = program;
  const pool = poolOf(ctx);
  const owned = new Set<GPUBuffer>();
  const bound = loop.bindings.map((b, p): GPUBuffer => {
    if (b.k === "operand") return ins[b.index]!;
    if (b.k === "captured") return captured(b.value);
    const buf = pool.acquire(deviceBytes(loop.params[p]!.size));
    owned.add(buf);
    return buf;
  });
  const outs: GPUBuffer[] = [];
  loop.bindings.forEach((b, p) => {
    if (b.k !== "state") return;
    recordCopy(ctx, ins[b.carry]!, bound[p]!, loop.params[p]!.size * 4);
    outs[b.carry] = bound[p]!;
  });
  const flag = bound[loop.bindings.findIndex((b) => b.k === "flag")]!;
  const d = compiled.program.dispatches[0]!;
  const group = bind(compiled.layouts[0]!, d.bindings.map((p, slot) => ({ binding: slot, resource: { buffer: bound[p]! } })));
  for (;;) {
    scopedErrors(ctx, () => recordPlan(ctx, !compiled.verified, () => recordPass(ctx, (pass) => {
      pass.setPipeline(compiled.pipelines[0]!);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(1);
    })));
    webgpuObserver()?.step(step, 1);
    branchStats.loopFlagReads++;
    if ((await readDevice(ctx, flag, "int32", 1))[0] !== 0) break;
  }
  return { outs, owned };
}
