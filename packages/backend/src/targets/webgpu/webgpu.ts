/**
 * The WebGPU runtime: runs a plan's kernels as WGSL compute dispatches.
 *
 * Execution only *enqueues*: a plan whose steps all run on the device is recorded into the open
 * batch (webgpu-queue.ts: one command buffer, submitted when the JS turn ends, with the read-backs
 * requested meanwhile), and its outputs are DataBuffers holding device buffers —
 * `executeSync` and compiled `run` (jit) return at once. Reading is asynchronous (`read` maps a
 * staging copy); the sync readers throw, naming the async ones. A plan with host steps (library
 * kernels, float64) runs as an asynchronous job: its outputs are returned immediately too, pending
 * until the job has produced them, and anything reading or computing from them waits.
 *
 * The memory plan's slots become pooled device buffers; temporaries return to the pool right after
 * recording (command order makes that safe, see webgpu-queue.ts).
 */
import {
  BackendUnavailableError, type CompileOptions, type CompiledGraph, type CondCall, type ControlCall, DataBuffer, DisposedError, type DType, type Executor,
  type Graph, type Node, type ScanCall, type TypedArray, type WhileCall, LruCache, sizeOf, topoSort,
} from "@kiln/core";
import { type KernelStep, type Plan, type PlanBuffer, scheduleGraph } from "../../schedule.js";
import { splitWideConcats } from "../../limits.js";
import { parameterizeConstants } from "../../params.js";
import { graphKey } from "../../host/graph-key.js";
import { type Host } from "../../host/run.js";
import { type GpuContext, currentGpu, requireGpu } from "./webgpu-device.js";
import {
  DeviceData, type BufferPool, beginRecording, bindingLimitError, boundBuffer, deviceBytes, deviceFailure, doneReadingDeviceData, freeDeviceData,
  poolOf, readBehind, readCopy, readDeviceData, readOutputBehind, readback, scopedErrors, upload,
} from "./webgpu-memory.js";
import { queueStats, recordCopy, recordPass, recordPlan } from "./webgpu-queue.js";
import { webgpuObserver } from "./webgpu-observe.js";
import { type LoopProgram, recordLoop, recordScan } from "./webgpu-scan.js";
import { loopKernelOf, loopTripsOverride } from "./wgsl-loop.js";
import { groupLoopOf, groupWhileOf } from "./wgsl-group-loop.js";
import { type DeviceBranch, type WhileProgram, branchStats, runDeviceBranch, runGroupWhile } from "./webgpu-branch.js";
import {
  type CompiledProgram, aliasedDispatch, clearProgramCache, compiledLibrary, compiledProgram, compiledWgsl, hostReason,
} from "./webgpu-programs.js";
import { planDonations } from "../../host/donate.js";
import { hostifyControlLeaves } from "./webgpu-control.js";
import { hostPlanStats, placementText, runPlanOnHost, runsOnHost } from "./webgpu-small-plans.js";

type StepRun =
  | { readonly kind: "device"; readonly step: KernelStep; readonly compiled: CompiledProgram }
  | { readonly kind: "host"; readonly step: KernelStep; readonly reason: string }
  | ScanRun
  | BranchRun;

/**
 * A `scan` step whose body runs on the device (webgpu-scan.ts): as one loop kernel when the body
 * is element-local (`loop`, wgsl-loop.ts), else one recording of `body` per iteration.
 */
interface ScanRun {
  readonly kind: "scan";
  readonly step: KernelStep;
  readonly call: ScanCall;
  readonly body: BodyPlan;
  readonly loop: LoopProgram<DataBuffer> | null;
}

/**
 * A `while` or `cond` step whose sub-graphs run on the device (webgpu-branch.ts), reading one
 * predicate per decision: the plan holding it runs as an asynchronous job.
 */
interface BranchRun {
  readonly kind: "branch";
  readonly step: KernelStep;
  readonly call: WhileCall | CondCall;
  readonly graphs: ReadonlyMap<Graph, BodyPlan>;
  /** A `while` run as one workgroup loop (wgsl-group-loop.ts), reading a done flag per dispatch. */
  readonly loop: WhileProgram<DataBuffer> | null;
}

/** A sub-graph's device plan; per plan input, the position of the graph input it is, or a captured value. */
interface BodyPlan {
  readonly gp: GpuPlan;
  readonly feeds: readonly (number | DataBuffer)[];
}

interface GpuPlan {
  readonly plan: Plan;
  readonly runs: readonly StepRun[];
  /** Runs as an asynchronous job: it has host steps, or a `while`/`cond` that waits for a predicate. */
  readonly async: boolean;
  readonly generation: number;
  /** The plan's own memory slots and scratch, kept across calls (jit plans and scan bodies), or null: pooled per call. */
  readonly pinned: PinnedBuffers | null;
}

/**
 * Device buffers a plan keeps for its intermediates, made on its first recording. With the same
 * buffers bound call after call, every dispatch that binds only these and the plan's unchanged
 * inputs reuses its bind group (`bindGroupFor`): a pooled slot came back as whichever free buffer
 * of its size class was on top, so a warm jitted step kept creating bind groups. Reuse across
 * calls — and across the iterations of a scan body recorded into one batch — is safe for the
 * reason pooled reuse is: commands of the batch run in order (webgpu-queue.ts).
 */
interface PinnedBuffers {
  readonly slots: GPUBuffer[];
  /** Per step run, its scratch buffers in the order `encodeStep` asks for them. */
  readonly scratch: GPUBuffer[][];
  /** Plan buffer id → the plan's own copy of a small input or output (`STAGE_MAX_BYTES`). */
  readonly staged: Map<number, GPUBuffer>;
}

/**
 * Inputs and outputs of a pinned plan up to this size are bound through the plan's own buffers,
 * with a copy in (before the first pass) and out (after the last) recorded in the same batch.
 * The caller's buffers change from call to call — a fresh output for every result, states that
 * flip between two buffers, and small values sharing one pool size class (a loss, a bias, a step
 * count) come back in no fixed order — so a bind group keyed by them missed every call. Larger
 * values are bound directly (a copy would cost bandwidth) and keep their bind groups by buffer
 * identity, which a state flipping between two buffers of its own size class hits.
 */
const STAGE_MAX_BYTES = 64 << 10;

const counters = { deviceSteps: 0, hostSteps: 0, syncPlans: 0, asyncPlans: 0, donations: 0, deviceLoops: 0, loopKernels: 0, deviceBranches: 0, bindGroupsCreated: 0 };

/**
 * Steps run on the device and on the host so far, plans run synchronously (device only) or as
 * asynchronous jobs, pooled buffers (`buffersCreated`, `buffersReused`; `buffersReclaimed`: taken
 * back from device copies of values that also live on the host, webgpu-memory.ts), device reads
 * (`batchedReads`: those that rode the submission of the work computing them; `readsBehind`: small
 * results copied to the host in the batch computing them, counted among `reads` once read), command-buffer
 * submissions, donated buffers taken, scans run on the device (`deviceLoops`; `loopKernels`: those
 * of them run as one loop kernel), `while`/`cond` calls run on the device (`deviceBranches`) and
 * the predicates they read (`predicateReads`, one per decision: the carry is never read back; a
 * `while` run as one workgroup loop reads a done flag per dispatch instead, `loopFlagReads`), bind
 * groups created (a warm jitted step reuses its cached ones), bytes uploaded from the host
 * (`uploadedBytes`: a warm call on unchanged inputs uploads none), staging and upload-source
 * buffers created (`transferBuffersCreated`: pooled too, so a warm loop creates none), and jitted
 * calls run on the host's kernels because they were small and their inputs were on the host
 * (`hostPlans`, webgpu-small-plans.ts).
 * @example
 * const s0 = webgpuRunStats().submissions;
 * await step(x).item();
 * webgpuRunStats().submissions - s0; // 1: the step and the read of its loss in one submission
 */
export function webgpuRunStats(): {
  deviceSteps: number; hostSteps: number; syncPlans: number; asyncPlans: number; buffersCreated: number; buffersReused: number; buffersReclaimed: number;
  reads: number; batchedReads: number; readsBehind: number; submissions: number; donations: number; deviceLoops: number; loopKernels: number; deviceBranches: number;
  predicateReads: number; loopFlagReads: number; bindGroupsCreated: number; hostPlans: number; uploadedBytes: number; transferBuffersCreated: number;
} {
  const ctx = currentGpu();
  const pool = ctx ? poolOf(ctx) : null;
  return {
    ...counters, hostPlans: hostPlanStats.hostPlans, predicateReads: branchStats.predicateReads, loopFlagReads: branchStats.loopFlagReads,
    buffersCreated: pool?.created ?? 0, buffersReused: pool?.reused ?? 0, buffersReclaimed: pool?.reclaimed ?? 0,
    reads: queueStats.reads, batchedReads: queueStats.batchedReads, readsBehind: queueStats.readsBehind, submissions: queueStats.submissions, uploadedBytes: queueStats.uploadedBytes,
    transferBuffersCreated: queueStats.transferBuffersCreated,
  };
}

// ------------------------------------------------------------------ planning

/** `pin`: the plan keeps its intermediates' buffers across calls (`PinnedBuffers`); eager plans, cached by the hundred, pool them. */
function buildGpuPlan(ctx: GpuContext, outputs: readonly Node[], isBuffer: (n: Node) => boolean, pin = false): { gp: GpuPlan; inputs: Node[] } {
  // One binding stays free for a program's own scratch (split-reduction partials).
  const maxBuffers = ctx.limits.maxStorageBuffersPerShaderStage - 1;
  const outs = splitWideConcats(outputs, isBuffer, maxBuffers - 1);
  const { plan, inputs } = scheduleGraph(outs, isBuffer, { maxBuffers });
  // A value larger than one binding can hold cannot run here: say so before allocating anything.
  const limit = ctx.limits.maxStorageBufferBindingSize;
  const biggest = Math.max(0, ...plan.buffers.filter((b) => b.dtype !== "float64").map((b) => deviceBytes(b.size)));
  if (biggest > limit) throw bindingLimitError(biggest, limit);
  const dtypeOf = (id: number) => plan.buffers[id]!.dtype;
  const used = controlOutputsUsed(plan);
  const runs: StepRun[] = plan.steps.map((step): StepRun => {
    const loop = deviceScan(ctx, step, dtypeOf, used) ?? deviceBranch(ctx, step, dtypeOf);
    if (loop) return loop;
    const reason = hostReason(step, dtypeOf);
    if (reason && reason.startsWith("float64")) warnFloat64Once();
    if (reason) return { kind: "host", step, reason };
    try {
      const compiled = step.library
        ? compiledLibrary(ctx, step.library, step.bindings.slice(1).map(dtypeOf))!
        : compiledProgram(ctx, step.kernel!);
      return { kind: "device", step, compiled };
    } catch (e) {
      // A kernel shape the WGSL mapping does not know yet runs correctly on the host.
      return { kind: "host", step, reason: (e as Error).message };
    }
  });
  const async = runs.some((r) => r.kind === "host" || r.kind === "branch");
  const pinned = pin && !async ? { slots: [], scratch: runs.map(() => []), staged: new Map() } : null;
  return { gp: { plan, runs, async, generation: ctx.generation, pinned }, inputs };
}

/**
 * Returns a pinned plan's own buffers to the pool (its jit signature was evicted); a later
 * recording of the plan acquires them again. Safe as any release: commands of the batch run in
 * order, and an asynchronous plan still encoding holds the pool (`BufferPool.hold`).
 */
function releasePinned(pool: BufferPool, gp: GpuPlan): void {
  const p = gp.pinned;
  if (!p) return;
  for (const b of p.slots) if (b) pool.release(b);
  p.slots.length = 0;
  for (const run of p.scratch) {
    for (const b of run) if (b) pool.release(b);
    run.length = 0;
  }
  for (const b of p.staged.values()) pool.release(b);
  p.staged.clear();
}

/** Device plans of control-flow sub-graphs, built once per graph per device (null: not on the device). */
const subPlans = new WeakMap<Graph, BodyPlan | null>();

/**
 * The device plan of a scan body, or of a `while`'s or `cond`'s sub-graph: null when it cannot
 * run synchronously on the device (a host step, float64, a `while`/`cond` of its own: nested scans
 * are fine). Sub-plans are pinned (`PinnedBuffers`): a loop records the same plan every iteration.
 */
function subPlanOf(ctx: GpuContext, graph: Graph): BodyPlan | null {
  let body = subPlans.get(graph);
  if (body === undefined || (body && (body.gp.generation !== ctx.generation || hasFailed(body.gp)))) {
    const position = new Map(graph.inputs.map((n, i) => [n, i]));
    const isBuffer = (n: Node) => position.has(n) || n.prim === "data";
    try {
      const made = buildGpuPlan(ctx, graph.outputs, isBuffer, true);
      body = made.gp.async ? null : { gp: made.gp, feeds: made.inputs.map((n) => position.get(n) ?? leafBuffer(n, () => undefined)) };
    } catch {
      body = null; // e.g. a value beyond the binding limit: the host runs it
    }
    subPlans.set(graph, body);
  }
  return body;
}

/**
 * Bytes a scan body must move per iteration to run on the device. Each iteration costs a compute
 * pass and its dispatches — ~0.1–0.5 ms on Dawn's GL ES backend over llvmpipe, where a 1,000-step
 * scan of a 16-element body took 140–540 ms on the device against 1–4 ms on the host — while the
 * host runs small bodies in microseconds and pays one read-back and one upload per call. Measured
 * crossover on llvmpipe: a body must move about a megabyte; on a hardware GPU a dispatch costs
 * ~10 µs, so 16 KB. `setScanDeviceMinBytes` overrides it (tests force small bodies onto the device).
 */
let scanMinBytesOverride: number | null = null;
function scanDeviceMinBytes(ctx: GpuContext): number {
  return scanMinBytesOverride ?? (ctx.adapter.software ? 1 << 20 : 16 << 10);
}

/**
 * Sets the bytes per iteration from which a scan body runs on the device (null: the adapter's
 * default); returns the previous override. For tests and measurements.
 * @example
 * const was = setScanDeviceMinBytes(0); // every eligible scan on the device
 */
export function setScanDeviceMinBytes(bytes: number | null): number | null {
  const was = scanMinBytesOverride;
  scanMinBytesOverride = bytes;
  return was;
}

/** Per control call of a plan, the indices of its outputs that some step copies out (sorted). */
function controlOutputsUsed(plan: Plan): Map<ControlCall, number[]> {
  const used = new Map<ControlCall, number[]>();
  for (const s of plan.steps) {
    const p = s.library?.params as { call?: ControlCall; index?: number } | undefined;
    if (p?.call && typeof p.index === "number") (used.get(p.call) ?? used.set(p.call, []).get(p.call)!).push(p.index);
  }
  for (const list of used.values()) list.sort((a, b) => a - b);
  return used;
}

/**
 * The device run of a `scan` step, or null when it runs on the host: its body must run entirely
 * on the device (`subPlanOf`). An element-local or small body always runs here, as one device
 * loop (`loopProgramOf`: one dispatch for the whole loop beats the host's read-back and upload);
 * any other body must move enough bytes per iteration to pay for a compute pass per iteration
 * (`scanDeviceMinBytes`).
 */
function deviceScan(ctx: GpuContext, step: KernelStep, dtypeOf: (id: number) => DType, used: ReadonlyMap<ControlCall, readonly number[]>): ScanRun | null {
  if (step.library?.name !== "scan" || step.bindings.some((id) => id >= 0 && dtypeOf(id) === "float64")) return null;
  const call = (step.library.params as { call: ControlCall }).call;
  if (call.kind !== "scan") return null;
  const body = subPlanOf(ctx, call.body);
  if (!body) return null;
  const loop = loopProgramOf(ctx, call, body, used.get(call) ?? []);
  if (loop) return { kind: "scan", step, call, body, loop };
  return body.gp.plan.stats.bytes >= scanDeviceMinBytes(ctx) ? { kind: "scan", step, call, body, loop: null } : null;
}

let loopKernelsOn = true;

/**
 * Whether scans run as one device loop where their body allows (a loop kernel, wgsl-loop.ts, or a
 * workgroup loop, wgsl-group-loop.ts); returns the previous setting. Off, they take the
 * per-iteration path: for tests comparing the two, and measurements.
 * @example
 * const was = setLoopKernels(false); // every device scan records its body once per iteration
 */
export function setLoopKernels(on: boolean): boolean {
  const was = loopKernelsOn;
  loopKernelsOn = on;
  return was;
}

/**
 * A scan whose body plan is `body` as one device loop, compiled: an element-local body as a loop
 * kernel (wgsl-loop.ts), a small one as a workgroup loop (wgsl-group-loop.ts); else null.
 */
function loopProgramOf(ctx: GpuContext, call: ScanCall, body: BodyPlan, used: readonly number[]): LoopProgram<DataBuffer> | null {
  if (!loopKernelsOn || body.gp.runs.some((r) => r.kind !== "device")) return null;
  const maxBuffers = ctx.limits.maxStorageBuffersPerShaderStage;
  const found = loopKernelOf(call, body.gp.plan, body.feeds, used, maxBuffers);
  const loop = found && !brokenLoops.has(found.kernel.name) ? found : null;
  if (!loop) {
    const group = groupLoopOf(call, body.gp.plan, body.feeds, used, ctx.tuning.groupThreads, maxBuffers, loopTripsOverride());
    if (!group || brokenLoops.has(group.name)) return null;
    try {
      return { kind: "group", loop: group, compiled: compiledWgsl(ctx, group.key, group.name, group.program) };
    } catch {
      return null;
    }
  }
  try {
    const compiled = compiledProgram(ctx, loop.kernel);
    // One dispatch per iteration range, one invocation per element (wgsl-kernel.ts's thread
    // mapping: the loop budget kept it there; a workgroup sharing an element would split the loop).
    const [d, ...more] = compiled.program.dispatches;
    const groups = d ? d.groups[0] * d.groups[1] * d.groups[2] : 0;
    return d && !more.length && !compiled.program.scratch.length && groups === Math.ceil(loop.width / ctx.tuning.threads) ? { kind: "element", loop, compiled } : null;
  } catch {
    return null; // a kernel the WGSL mapping cannot render: the per-iteration path
  }
}

/**
 * The device run of a `while` or `cond` step, or null when it runs on the host: every sub-graph
 * must run on the device (`subPlanOf`). A `while` that fits one workgroup runs as a workgroup loop
 * (`whileProgramOf`: a flag read per dispatch). Another `while` body must move the bytes a scan body must
 * (`scanDeviceMinBytes`): each iteration costs a submission and a read of its predicate, ~0.3–1 ms
 * on a software adapter, where the host runs a small body in microseconds. A `cond` always runs
 * here when it can: the host would read back all its operands, the device reads one predicate.
 */
function deviceBranch(ctx: GpuContext, step: KernelStep, dtypeOf: (id: number) => DType): BranchRun | null {
  const name = step.library?.name;
  if ((name !== "while" && name !== "cond") || step.bindings.some((id) => id >= 0 && dtypeOf(id) === "float64")) return null;
  const call = (step.library!.params as { call: ControlCall }).call;
  if (call.kind === "scan") return null;
  const graphs = new Map<Graph, BodyPlan>();
  for (const g of call.kind === "while" ? [call.cond, call.body] : call.branches) {
    const sub = subPlanOf(ctx, g);
    if (!sub) return null;
    graphs.set(g, sub);
  }
  const loop = call.kind === "while" ? whileProgramOf(ctx, call, graphs.get(call.cond)!, graphs.get(call.body)!) : null;
  if (!loop && call.kind === "while" && graphs.get(call.body)!.gp.plan.stats.bytes < scanDeviceMinBytes(ctx)) return null;
  return { kind: "branch", step, call, graphs, loop };
}

/** A `while` whose predicate and body plans are `cond` and `body` as one workgroup loop, compiled; null when they do not fit one. */
function whileProgramOf(ctx: GpuContext, call: WhileCall, cond: BodyPlan, body: BodyPlan): WhileProgram<DataBuffer> | null {
  if (!loopKernelsOn || [cond, body].some((b) => b.gp.runs.some((r) => r.kind !== "device"))) return null;
  const loop = groupWhileOf(call, cond.gp.plan, cond.feeds, body.gp.plan, body.feeds, ctx.tuning.groupThreads, ctx.limits.maxStorageBuffersPerShaderStage, loopTripsOverride());
  if (!loop || brokenLoops.has(loop.name)) return null;
  try {
    return { loop, compiled: compiledWgsl(ctx, loop.key, loop.name, loop.program) };
  } catch {
    return null;
  }
}

/** A plan holding a program that failed to compile (reported by a read) is built again. */
function hasFailed(gp: GpuPlan): boolean {
  return gp.runs.some((r) => (r.kind === "device" && r.compiled.failed) || (r.kind === "scan" && (hasFailed(r.body.gp) || loopFailed(r.loop))) ||
    (r.kind === "branch" && (loopFailed(r.loop) || [...r.graphs.values()].some((b) => hasFailed(b.gp)))));
}

/**
 * Device loops whose program failed to compile (by name): the plan built again runs that loop the
 * per-iteration way instead of compiling the same program again (its error was reported once).
 */
const brokenLoops = new Set<string>();

function loopFailed(loop: { readonly compiled: CompiledProgram; readonly loop: { readonly kernel?: { name: string }; readonly name?: string } } | null): boolean {
  if (!loop?.compiled.failed) return false;
  brokenLoops.add(loop.loop.kernel?.name ?? loop.loop.name!);
  return true;
}

const PLAN_CACHE_SIZE = 256;
/** Cached plans, with the position of each plan input among the graph's realized leaves (in
 * topological order): splitting wide concatenations may visit the leaves in another order. */
const plans = new LruCache<string, { gp: GpuPlan; order: readonly number[] }>(PLAN_CACHE_SIZE);

function planFor(ctx: GpuContext, outputs: readonly Node[], isBuffer: (n: Node) => boolean): { gp: GpuPlan; inputs: Node[] } {
  const nodes = topoSort(outputs, isBuffer);
  const key = graphKey(nodes, outputs, isBuffer);
  const leaves = nodes.filter(isBuffer);
  const hit = plans.get(key);
  if (hit && hit.gp.generation === ctx.generation && !hasFailed(hit.gp)) return { gp: hit.gp, inputs: hit.order.map((i) => leaves[i]!) };
  const made = buildGpuPlan(ctx, outputs, isBuffer);
  const at = new Map(leaves.map((n, i) => [n, i]));
  plans.set(key, { gp: made.gp, order: made.inputs.map((n) => at.get(n)!) });
  return made;
}

// ------------------------------------------------------------------ encoding

/**
 * Encodes one device step's dispatches. `bufOf(id)` is the device buffer of plan buffer `id`;
 * `scratch(k, bytes)` the step's k-th scratch buffer (split-reduction partials, a parameter
 * computed in the program): plan-owned when the plan is pinned, else pooled for this recording.
 */
function encodeStep(
  ctx: GpuContext, pass: GPUComputePassEncoder, run: Extract<StepRun, { kind: "device" }>,
  bufOf: (id: number) => GPUBuffer, scratch: (k: number, bytes: number) => GPUBuffer,
): void {
  const { step, compiled } = run;
  const { program } = compiled;
  const params = step.kernel?.params ?? [];
  const extra = program.scratch.map((s, k) => scratch(k, deviceBytes(s.size)));
  const computed = new Map<number, GPUBuffer>();
  const paramBuffer = (p: number): GPUBuffer => {
    const id = step.bindings[p]!;
    if (id >= 0) return bufOf(id);
    let b = computed.get(p);
    if (!b) computed.set(p, (b = scratch(extra.length + computed.size, deviceBytes(program.paramSizes.get(p) ?? params[p]!.size))));
    return b;
  };
  program.dispatches.forEach((d, i) => {
    const bufs = d.bindings.map((p) => (p >= 0 ? paramBuffer(p) : extra[-1 - p]!));
    // A donated input that became an output's storage is read through that output's binding.
    const aliased: [input: number, output: number][] = [];
    d.bindings.forEach((p, slot) => {
      if (p < step.outputs) return;
      const o = d.bindings.findIndex((q, s) => q >= 0 && q < step.outputs && bufs[s] === bufs[slot]);
      if (o >= 0) aliased.push([p, d.bindings[o]!]);
    });
    const alias = aliased.length ? aliasedDispatch(ctx, compiled, i, aliased) : null;
    const entries = bufs.flatMap((buffer, slot) => (aliased.some(([p]) => p === d.bindings[slot]) ? [] : [{ binding: slot, resource: { buffer } }]));
    pass.setPipeline(alias?.pipeline ?? compiled.pipelines[i]!);
    pass.setBindGroup(0, bindGroupFor(ctx, alias?.layout ?? compiled.layouts[i]!, entries));
    pass.dispatchWorkgroups(...d.groups);
  });
  counters.deviceSteps++;
  webgpuObserver()?.step(step, program.dispatches.length);
}

/** Scratch buffers from the pool for one recording: released by the caller once recorded. */
function pooledScratch(pool: BufferPool, transient: GPUBuffer[]): (k: number, bytes: number) => GPUBuffer {
  return (_k, bytes) => {
    const b = pool.acquire(bytes);
    transient.push(b);
    return b;
  };
}

/** Bind groups kept per pipeline layout (the pool hands a loop the same buffers again and again). */
const BIND_GROUPS_PER_LAYOUT = 64;
const bindGroups = new WeakMap<GPUBindGroupLayout, LruCache<string, GPUBindGroup>>();
const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 1;

/**
 * The bind group of a dispatch, reused when the same buffers are bound again. A replayed plan would
 * otherwise create one native bind group per dispatch per call, and Dawn only reclaims them when
 * the event loop runs: a synchronous training loop of the README's MLP grew by ~24 KB of native
 * memory per step, ~13 KB with this cache (64 per layout: ~2/3 of the dispatches hit).
 */
function bindGroupFor(ctx: GpuContext, layout: GPUBindGroupLayout, entries: readonly { binding: number; resource: { buffer: GPUBuffer } }[]): GPUBindGroup {
  let cache = bindGroups.get(layout);
  if (!cache) bindGroups.set(layout, (cache = new LruCache(BIND_GROUPS_PER_LAYOUT)));
  let key = "";
  for (const e of entries) {
    let id = bufferIds.get(e.resource.buffer);
    if (id === undefined) bufferIds.set(e.resource.buffer, (id = nextBufferId++));
    key += `${e.binding}:${id},`;
  }
  const hit = cache.get(key);
  if (hit) return hit;
  counters.bindGroupsCreated++;
  return cache.set(key, ctx.device.createBindGroup({ layout, entries }));
}

function wrap(ctx: GpuContext, dtype: DataBuffer["dtype"], size: number, gpu: GPUBuffer | null, host: TypedArray | null = null): DataBuffer {
  const dd = new DeviceData(dtype, size, gpu, ctx.generation);
  dd.host = host;
  return owned(new DataBuffer(dtype, size, null, dd, freeDeviceData));
}

/** Marks a buffer as held by this backend's device: other backends read it through `read`. */
function owned(buf: DataBuffer): DataBuffer {
  buf.owner = "webgpu";
  return buf;
}

function copyBuffer(ctx: GpuContext, pool: BufferPool, src: GPUBuffer, size: number): GPUBuffer {
  const dst = pool.acquire(deviceBytes(size));
  recordCopy(ctx, src, dst, size * 4);
  return dst;
}

/** A plan holding a program whose compilation is not checked yet: submitted alone (webgpu-queue.ts). */
function unverified(gp: GpuPlan): boolean {
  return gp.runs.some((r) => (r.kind === "device" && !r.compiled.verified) || (r.kind === "scan" && (r.loop ? !r.loop.compiled.verified : unverified(r.body.gp))) ||
    (r.kind === "branch" && [...r.graphs.values()].some((b) => unverified(b.gp))));
}

/** The device buffer of a ready input (uploading host values on first use, or after the pool took the copy back). */
function inputGpu(ctx: GpuContext, buf: DataBuffer, op: string): GPUBuffer {
  return boundBuffer(ctx, buf, op);
}

/**
 * Records a plan without host steps on device buffers (`input(i)`: plan input i) into the open
 * batch: returns the device buffer of every plan buffer. Outputs are the caller's; slots and
 * scratch go back to the pool once recorded (later commands of the batch may reuse them).
 */
function recordBuffers(ctx: GpuContext, gp: GpuPlan, input: (index: number) => GPUBuffer, donated?: ReadonlyMap<number, GPUBuffer>): GPUBuffer[] {
  const { plan } = gp;
  const pool = poolOf(ctx);
  const gpu: (GPUBuffer | null)[] = plan.buffers.map(() => null);
  const pinned = gp.pinned;
  const slots: GPUBuffer[] = pinned?.slots ?? [];
  const transient: GPUBuffer[] = [];
  /** Outputs computed into the plan's own buffer: copied to the caller's after the last pass. */
  const copyOut: { id: number; out: GPUBuffer; bytes: number }[] = [];
  plan.buffers.forEach((b, id) => {
    const stage = pinned && b.role !== "temp" && deviceBytes(b.size) <= STAGE_MAX_BYTES ? pinned : null;
    const own = () => stage!.staged.get(id) ?? stage!.staged.set(id, pool.acquire(deviceBytes(b.size))).get(id)!;
    if (b.role === "input") {
      gpu[id] = input(b.index);
      if (stage) recordCopy(ctx, gpu[id]!, (gpu[id] = own()), b.size * 4);
    } else if (b.role === "output") {
      const out = donated?.get(id) ?? pool.acquire(deviceBytes(b.size));
      gpu[id] = stage ? own() : out;
      if (stage) copyOut.push({ id, out, bytes: b.size * 4 });
    } else gpu[id] = slots[b.index] ??= pool.acquire(deviceBytes(plan.slots[b.index]!.size));
  });
  const pooled = pooledScratch(pool, transient);
  const scratchOf = (run: number) => (pinned ? (k: number, bytes: number) => (pinned.scratch[run]![k] ??= pool.acquire(bytes)) : pooled);
  const bufOf = (id: number) => gpu[id]!;
  /** Each multi-output scan's outputs, computed by its first step, copied out by each sibling. */
  const scans = new Map<ControlCall, ReturnType<typeof recordScan>>();
  for (let i = 0; i < gp.runs.length;) {
    const run = gp.runs[i]!;
    if (run.kind === "scan") {
      recordScanStep(ctx, run, bufOf, scans, pinned?.scratch[i]);
      i++;
      continue;
    }
    let j = i;
    while (j < gp.runs.length && gp.runs[j]!.kind === "device") j++;
    if (j === i) throw new Error(`internal: webgpu: a host step (${run.step.name}) in a device-only plan`);
    const from = i;
    const group = gp.runs.slice(i, j) as Extract<StepRun, { kind: "device" }>[];
    // Bind groups of a program that failed to compile are invalid: their errors are captured and
    // reported with the compile error (scopedErrors), not as uncaptured errors ahead of it. Once
    // every program of the pass compiled, the scope's push and pop (~20 µs of a warm W4 call on
    // Dawn) buy nothing: an error then is a kiln bug, still reported (uncaptured, or by the submit's scope).
    const encode = () => recordPass(ctx, (pass) => {
      group.forEach((r, k) => encodeStep(ctx, pass, r, bufOf, scratchOf(from + k)));
    });
    if (group.every((r) => r.compiled.verified)) encode();
    else scopedErrors(ctx, encode);
    i = j;
  }
  for (const { owned } of scans.values()) for (const b of owned) pool.recycle(b);
  for (const b of pinned ? transient : [...transient, ...slots]) pool.release(b);
  for (const { id, out, bytes } of copyOut) recordCopy(ctx, gpu[id]!, (gpu[id] = out), bytes);
  return gpu as GPUBuffer[];
}

/**
 * Records one output of a scan: the loop runs once per call (its first step), each step copies its
 * output. `keep`: a pinned plan's buffers for the loop kernel's outputs (the same bind group every call).
 */
function recordScanStep(ctx: GpuContext, run: ScanRun, bufOf: (id: number) => GPUBuffer, scans: Map<ControlCall, ReturnType<typeof recordScan>>, keep?: GPUBuffer[]): void {
  const [out, ...ins] = run.step.bindings;
  let done = scans.get(run.call);
  if (!done) {
    const { loop } = run;
    if (loop) {
      done = scopedErrors(ctx, () => recordLoop(ctx, loop, ins.map(bufOf), (c) => inputGpu(ctx, c, "scan"), (layout, entries) => bindGroupFor(ctx, layout, entries), keep));
      counters.loopKernels++;
      counters.deviceSteps++;
      webgpuObserver()?.step(run.step, loop.loop.ranges.length);
    } else done = recordScan(ctx, run.call, ins.map(bufOf), (args) => recordSubPlan(ctx, run.body, args, "scan"));
    scans.set(run.call, done);
    counters.deviceLoops++;
  }
  copyControlOutput(ctx, run, done.outs, bufOf);
}

/** Copies output `index` of a control call (a scan, while or cond step's own) into the step's output buffer. */
function copyControlOutput(ctx: GpuContext, run: ScanRun | BranchRun, outs: readonly GPUBuffer[], bufOf: (id: number) => GPUBuffer): void {
  const index = (run.step.library!.params as { index: number }).index;
  recordCopy(ctx, outs[index]!, bufOf(run.step.bindings[0]!), sizeOf(run.call.outAvals[index]!.shape) * 4);
}

/**
 * Records a sub-graph's device plan on `args` (the graph's inputs): returns one fresh buffer per
 * graph output, the caller's — an output that is an input, or one returned twice, is a copy.
 */
function recordSubPlan(ctx: GpuContext, body: BodyPlan, args: readonly GPUBuffer[], op: string): GPUBuffer[] {
  const { gp, feeds } = body;
  const g = recordBuffers(ctx, gp, (k) => {
    const f = feeds[k]!;
    return typeof f === "number" ? args[f]! : inputGpu(ctx, f, op);
  });
  const taken = new Set<number>();
  return gp.plan.outputs.map((id) => {
    const b = gp.plan.buffers[id]!;
    if (b.role === "output" && !taken.has(id)) return (taken.add(id), g[id]!);
    return copyBuffer(ctx, poolOf(ctx), g[id]!, b.size);
  });
}

/**
 * Runs one output of a `while`/`cond` on the device inside an asynchronous job: the call runs once
 * per job (its first step, `started`), each sibling step copies its output.
 */
async function runBranchStep(ctx: GpuContext, run: BranchRun, bufOf: (id: number) => GPUBuffer, started: Map<ControlCall, Promise<DeviceBranch>>): Promise<void> {
  let result = started.get(run.call);
  if (!result) {
    const ins = run.step.bindings.slice(1).map(bufOf);
    result = run.loop
      ? runGroupWhile(ctx, run.step, run.loop, ins, (c) => inputGpu(ctx, c, "while"), (layout, entries) => bindGroupFor(ctx, layout, entries))
      : runDeviceBranch(ctx, run.call, ins, (graph, args) => {
        const sub = run.graphs.get(graph)!;
        return scopedErrors(ctx, () => recordPlan(ctx, unverified(sub.gp), () => recordSubPlan(ctx, sub, args, run.call.kind)));
      });
    started.set(run.call, result);
    counters.deviceBranches++;
  }
  copyControlOutput(ctx, run, (await result).outs, bufOf);
}

/** A plan whose steps all run on the device and whose inputs are ready: recorded into the batch now. */
function runDeviceOnly(ctx: GpuContext, gp: GpuPlan, inputs: readonly DataBuffer[], op: string, donated?: ReadonlyMap<number, GPUBuffer>): DataBuffer[] {
  const { plan } = gp;
  const pool = poolOf(ctx);
  beginRecording(ctx, inputs);
  const ins = inputs.map((b) => (b.dtype === "float64" ? null : inputGpu(ctx, b, op)));
  return recordPlan(ctx, unverified(gp), () => {
    const gpu = recordBuffers(ctx, gp, (i) => ins[i]!, donated);
    const taken = new Set<number>();
    const outs = plan.outputs.map((id) => {
      const b = plan.buffers[id]!;
      if (b.role === "output" && !taken.has(id)) {
        taken.add(id);
        return wrap(ctx, b.dtype, b.size, gpu[id]!);
      }
      // An input returned as is, or an output requested twice: a copy (each buffer has one owner).
      if (b.role === "input" && b.dtype === "float64") return wrap(ctx, b.dtype, b.size, null, inputs[b.index]!.host ?? (inputs[b.index]!.device as DeviceData).host);
      return wrap(ctx, b.dtype, b.size, copyBuffer(ctx, pool, gpu[id]!, b.size));
    });
    counters.syncPlans++;
    return outs;
  });
}

interface BufState {
  gpu: GPUBuffer | null;
  host: TypedArray | null;
  /** Allocated by this job (returned to the pool unless handed to an output). */
  own: boolean;
}

/**
 * A plan with host steps (or pending inputs): an asynchronous job. Consecutive device steps share
 * one command buffer; a host step submits what is pending, reads its inputs back, runs, and keeps
 * its output on the host until a device step needs it.
 */
function runAsync(hostRunner: Host, ctx: GpuContext, gp: GpuPlan, inputs: readonly DataBuffer[], op: string): DataBuffer[] {
  const { plan } = gp;
  const pool = poolOf(ctx);
  const results = plan.outputs.map((id) => new DeviceData(plan.buffers[id]!.dtype, plan.buffers[id]!.size, null, ctx.generation));
  for (const b of inputs) if (b.isReleased) throw new DisposedError(`${op}: a tensor of ${b.dtype}[${b.size}] was used after dispose()`);
  pool.hold();
  // The job reads its inputs later, and the caller may free them at once: jit releases the
  // scalars it wrapped and the State values a commit replaced right after this call returns.
  // Each input's host array is taken now, and its device data is held (`readDevice`) until the
  // job ends: freed meanwhile, its storage waits for the job.
  const held = inputs.map((b) => {
    const dd = b.device instanceof DeviceData && b.device.generation === ctx.generation ? b.device : null;
    if (dd) readDeviceData(dd);
    return { host: b.host, dd };
  });
  const job = async (): Promise<void> => {
    await Promise.all(held.map(({ dd }) => dd?.ready));
    const st: BufState[] = plan.buffers.map(() => ({ gpu: null, host: null, own: false }));
    plan.buffers.forEach((b, id) => {
      if (b.role !== "input") return;
      const { host, dd } = held[b.index]!;
      if (dd?.error) throw dd.error;
      st[id] = { gpu: dd?.gpu ?? null, host: host ?? dd?.host ?? null, own: false };
      if (!st[id]!.gpu && !st[id]!.host) throw new DisposedError(`${op}: a tensor of ${b.dtype}[${b.size}] has no data (disposed, or its device is gone)`);
    });
    const transient: GPUBuffer[] = [];
    const alone = unverified(gp);
    const gpuOf = (id: number): GPUBuffer => {
      const s = st[id]!;
      if (!s.gpu) (s.gpu = upload(ctx, s.host!, plan.buffers[id]!.dtype)), (s.own = true);
      return s.gpu;
    };
    const hostOf = async (id: number): Promise<TypedArray> => {
      const s = st[id]!;
      s.host ??= await readback(ctx, s.gpu!, plan.buffers[id]!.dtype, plan.buffers[id]!.size);
      return s.host;
    };
    /** Control calls run by their first step: the loops' own buffers, released at the end. */
    const scans = new Map<ControlCall, ReturnType<typeof recordScan>>();
    const branches = new Map<ControlCall, Promise<DeviceBranch>>();
    try {
      for (const run of gp.runs) {
        const outs = run.step.bindings.slice(0, run.step.outputs), ins = run.step.bindings.slice(run.step.outputs);
        if (run.kind !== "host") {
          for (const id of ins) if (id >= 0) gpuOf(id);
          for (const out of outs) st[out] = { gpu: pool.acquire(deviceBytes(plan.buffers[out]!.size)), host: null, own: true };
        }
        if (run.kind === "device") {
          scopedErrors(ctx, () => recordPlan(ctx, alone, () => recordPass(ctx, (pass) => encodeStep(ctx, pass, run, gpuOf, pooledScratch(pool, transient)))));
        } else if (run.kind === "scan") {
          recordPlan(ctx, alone, () => recordScanStep(ctx, run, gpuOf, scans));
        } else if (run.kind === "branch") {
          await runBranchStep(ctx, run, gpuOf, branches);
        } else {
          // Its inputs' reads ride the batch holding the device steps before it.
          const arrays = await Promise.all(ins.filter((id) => id >= 0).map(hostOf));
          const restore = run.step.library ? await hostifyControlLeaves(run.step.library, ctx) : () => {};
          let host: TypedArray[];
          try {
            host = hostRunner.runStep(run.step, arrays, outs.map((id) => plan.buffers[id]!));
          } finally {
            restore();
          }
          outs.forEach((out, j) => (st[out] = { gpu: null, host: host[j]!, own: false }));
          counters.hostSteps++;
        }
      }
      const taken = new Set<number>();
      plan.outputs.forEach((id, k) => {
        const s = st[id]!, dd = results[k]!;
        if (s.gpu && s.own && !taken.has(id)) {
          taken.add(id);
          dd.gpu = s.gpu;
        } else if (s.host && (plan.buffers[id]!.dtype === "float64" || !s.gpu)) {
          dd.host = taken.has(id) ? s.host.slice() : s.host;
          taken.add(id);
        } else dd.gpu = copyBuffer(ctx, pool, s.gpu!, plan.buffers[id]!.size);
      });
      st.forEach((s, id) => {
        if (s.own && s.gpu && !(taken.has(id) && results.some((r) => r.gpu === s.gpu))) pool.release(s.gpu);
      });
      for (const dd of results) {
        // Freed while pending: the result goes straight back to the pool (or with its last reader).
        if (dd.released && dd.gpu && dd.readers === 0) (pool.release(dd.gpu), (dd.gpu = null));
      }
    } finally {
      for (const b of transient) pool.release(b);
      for (const { owned } of scans.values()) for (const b of owned) pool.recycle(b);
      for (const r of await Promise.allSettled(branches.values())) if (r.status === "fulfilled") for (const b of r.value.owned) pool.recycle(b);
    }
  };
  const done = job().finally(() => {
    for (const { dd } of held) if (dd) doneReadingDeviceData(ctx, dd);
    pool.unhold();
  });
  for (const dd of results) {
    dd.ready = done.then(
      () => void (dd.ready = null),
      (e) => void ((dd.error = e), (dd.ready = null)),
    );
  }
  counters.asyncPlans++;
  return results.map((dd) => owned(new DataBuffer(dd.dtype, dd.size, null, dd, freeDeviceData)));
}

function isPending(b: DataBuffer): boolean {
  return b.device instanceof DeviceData && b.device.ready !== null;
}

/** Runs a plan on the device: synchronously when possible, else as an asynchronous job. */
function runGpuPlan(hostRunner: Host, ctx: GpuContext, gp: GpuPlan, inputs: readonly DataBuffer[], op: string): DataBuffer[] {
  if (!gp.async && !inputs.some(isPending)) return runDeviceOnly(ctx, gp, inputs, op);
  return runAsync(hostRunner, ctx, gp, inputs, op);
}

/**
 * The device buffer the donated argument `pos` gives an output, or null when it cannot be taken:
 * nothing else in this call may read the same storage (another argument on the same buffer, a
 * captured constant), as on the CPU (host/donate.ts's `donatable`).
 */
function donatableGpu(ctx: GpuContext, bufs: readonly DataBuffer[], pos: number, out: PlanBuffer, constants: readonly DataBuffer[]): GPUBuffer | null {
  const buf = bufs[pos]!, dd = buf.device;
  if (buf.isReleased || !(dd instanceof DeviceData) || dd.generation !== ctx.generation || !dd.gpu || dd.ready || dd.error) return null;
  if (buf.dtype !== out.dtype || dd.size !== out.size) return null;
  const same = (o: DataBuffer) => o === buf || (o.device instanceof DeviceData && o.device.gpu === dd.gpu);
  return bufs.some((o, i) => i !== pos && same(o)) || constants.some(same) ? null : dd.gpu;
}

// ------------------------------------------------------------------ the executor

function leafBuffer(n: Node, known: (n: Node) => DataBuffer | undefined): DataBuffer {
  const buf = known(n) ?? ((n as Node<"data">).params.ref as DataBuffer);
  if (!buf || buf.isReleased) throw new DisposedError(`a tensor of shape [${n.aval.shape}] was read after dispose()`);
  return buf;
}

function executeWebgpu(hostRunner: Host, outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[] {
  const ctx = requireGpu("webgpu");
  const isBuffer = (n: Node) => n.prim === "data" || known(n) !== undefined;
  const { outputs: outs, params } = parameterizeConstants(outputs, isBuffer);
  let results: DataBuffer[] | null = null;
  try {
    const { gp, inputs } = planFor(ctx, outs, isBuffer);
    results = runGpuPlan(hostRunner, ctx, gp, inputs.map((n) => leafBuffer(n, known)), "webgpu");
    // Small results are read behind (`readOutputBehind`): a jit argument computed eagerly
    // (`f(np.full([4], 0.5))`), then dropped, otherwise held its buffer until a full collection.
    for (const b of results) if (b.device instanceof DeviceData) readOutputBehind(ctx, b, b.device);
    return results;
  } finally {
    // The parameters live for this run only. Recorded work that reads them runs before any later
    // reuse of their device buffer (one batch, command order); an asynchronous plan (host
    // steps) still reads its inputs while it encodes, so the release waits for its results.
    const pending = (results ?? []).flatMap((b) => (b.device instanceof DeviceData && b.device.ready ? [b.device.ready] : []));
    if (params && pending.length) void Promise.allSettled(pending).then(() => params.release());
    else params?.release();
  }
}

/**
 * Compiles a graph once for `jit`: the plan and every pipeline are made now; `run` only enqueues.
 * Donated inputs (`donateArgnums`) give their device buffers to outputs where the plan allows it
 * (host/donate.ts, as on the CPU) and are released.
 */
function compileWebgpu(hostRunner: Host, graph: Graph, opts: CompileOptions = {}): CompiledGraph {
  const ctx = requireGpu("jit");
  const position = new Map(graph.inputs.map((n, i) => [n, i]));
  const isBuffer = (n: Node) => position.has(n) || n.prim === "data";
  // The parameter buffer is one of the plan's constants: it lives as long as the plan.
  const outputs = parameterizeConstants(graph.outputs, isBuffer).outputs;
  let { gp, inputs } = buildGpuPlan(ctx, outputs, isBuffer, true);
  const feeds = inputs.map((n) => position.get(n) ?? leafBuffer(n, () => undefined));
  const donations = planDonations(gp.plan, feeds, opts.donate ?? []);
  const constants = feeds.filter((f): f is DataBuffer => typeof f !== "number");
  /** Small results returned to the caller are read behind (`readOutputBehind`); State writes stay where the next call reads them. */
  const readReturnedBehind = (ctx: GpuContext, outs: DataBuffer[]): DataBuffer[] => {
    outs.forEach((b, k) => {
      if (!opts.resident?.[k] && b.device instanceof DeviceData) readOutputBehind(ctx, b, b.device);
    });
    return outs;
  };
  return {
    run(bufs) {
      const now = requireGpu("jit");
      // A new device (after a loss): the same plan, compiled again for it.
      if (gp.generation !== now.generation || hasFailed(gp)) gp = buildGpuPlan(now, outputs, isBuffer, true).gp;
      const ins = feeds.map((f) => (typeof f === "number" ? bufs[f]! : f));
      // A small plan whose inputs are all on the host costs less there than a device round trip (webgpu-small-plans.ts).
      if (runsOnHost(gp.plan, now.adapter.software, ins)) return runPlanOnHost(hostRunner, gp.plan, ins);
      if (!donations.length || gp.async || ins.some(isPending)) return readReturnedBehind(now, runGpuPlan(hostRunner, now, gp, ins, "jit"));
      const donated = new Map<number, GPUBuffer>();
      const taken: DataBuffer[] = [];
      for (const { out, input } of donations) {
        const buf = bufs[input]!;
        const g = donatableGpu(now, bufs, input, gp.plan.buffers[out]!, constants);
        if (g && !taken.includes(buf)) (donated.set(out, g), taken.push(buf));
      }
      const outs = runDeviceOnly(now, gp, ins, "jit", donated);
      // The storage now belongs to an output: the donated tensors read as disposed from here on.
      for (const buf of taken) {
        (buf.device as DeviceData).gpu = null;
        buf.release();
      }
      counters.donations += taken.length;
      return readReturnedBehind(now, outs);
    },
    release() {
      const now = currentGpu();
      if (now && gp.generation === now.generation) releasePinned(poolOf(now), gp);
    },
    kernels: gp.runs.map((r) => ({
      name: r.step.name,
      backend: r.kind === "host" ? "webgpu (host)" : "webgpu",
      outputs: r.step.outputs,
      flops: r.step.flops,
      source: r.kind === "device" ? r.compiled.source : r.kind === "host" ? `// runs on the host: ${r.reason}` : loopSource(r),
    })),
    stats: {
      ...gp.plan.stats,
      submissions: submissionsPerCall(gp),
      get placement() {
        return placementText(gp.plan, ctx.adapter.software);
      },
    },
  };
}

/** What `lower()` shows of a control call on the device: its sub-graphs' kernels and how it is driven. */
function loopSource(r: ScanRun | BranchRun): string {
  const sources = (gp: GpuPlan) => gp.runs.map((b) => (b.kind === "device" ? b.compiled.source : b.kind === "scan" ? loopSource(b) : "")).join("\n\n");
  if (r.kind === "scan" && r.loop?.kind === "element") {
    const { width, ranges } = r.loop.loop;
    return `// scan as one device loop kernel: ${width} invocation(s) each run ${r.call.length} iterations with the carries in registers, ${ranges.length} dispatch(es), no read-back\n${r.loop.compiled.source}`;
  }
  if (r.kind === "scan" && r.loop) {
    const { ranges } = r.loop.loop;
    return `// scan as one device workgroup loop: one workgroup runs ${r.call.length} iterations, the body's kernels separated by storage barriers, ${ranges.length} dispatch(es), no read-back\n${r.loop.compiled.source}`;
  }
  if (r.kind === "scan") return `// scan on the device: ${r.call.length} iterations recorded into the step's submission, no read-back per iteration\n${sources(r.body.gp)}`;
  if (r.loop) {
    return `// while on the device as one workgroup loop: up to ${r.loop.loop.trips} iterations per dispatch, then a read of its done flag (never the carry)\n${r.loop.compiled.source}`;
  }
  const how = r.call.kind === "while"
    ? "while on the device: per iteration, the body and the predicate of the new carry in one submission and a read of the predicate (never the carry)"
    : "cond on the device: a read of the predicate, then only the branch taken";
  return `// ${how}\n${[...r.graphs.values()].map((b) => sources(b.gp)).join("\n\n")}`;
}

/**
 * Submissions one call of a plan makes at most: one for a plan without host steps (its kernels,
 * uploads and the reads of its outputs in the same turn share the batch), plus one per host step
 * (it waits for its inputs' read-back, which submits the batch so far) and one per `cond` on the
 * device (its predicate's read) — and a `while` on the device one more per iteration, not counted.
 */
function submissionsPerCall(gp: GpuPlan): number {
  const calls = new Set(gp.runs.flatMap((r) => (r.kind === "branch" ? [r.call] : [])));
  return 1 + gp.runs.filter((r) => r.kind === "host").length + calls.size;
}

async function readWebgpu(buf: DataBuffer): Promise<TypedArray> {
  if (buf.host) return buf.host;
  const dd = buf.device;
  if (!(dd instanceof DeviceData) || buf.isReleased) throw new DisposedError(`data: a tensor of ${buf.dtype}[${buf.size}] was read after dispose()`);
  if (dd.ready) await dd.ready;
  if (dd.error) throw dd.error;
  if (dd.host) return dd.host;
  const ctx = requireGpu("data");
  if (dd.generation !== ctx.generation) throw new DisposedError(`data: this tensor lived on a WebGPU device that is gone (lost or destroyed)`);
  if (!dd.gpu) throw new DisposedError(`data: a tensor of ${buf.dtype}[${buf.size}] was read after dispose()`);
  let host: TypedArray;
  try {
    host = await readback(ctx, dd.gpu, dd.dtype, dd.size, dd.behind ?? undefined);
  } catch (e) {
    throw deviceFailure(ctx, "data", e);
  }
  // The host copy is kept (as realize.ts's readBuffer would): the device buffer becomes one the pool may take back.
  buf.adoptHost(host);
  readCopy(ctx, buf, dd);
  return host;
}

/**
 * A replaced State value that user code may still hold, and that lives only on the device, is
 * read back (`Executor.readBehind`) up to this size, then its device buffer returns to the pool: a
 * loop that reads or emits its State every step (a loss passed to a subscriber) created one
 * buffer per step otherwise, each freed only by the garbage collector. The copy rides the
 * submission that computes the next step; larger values stay with the collector rather than cost
 * a read per step, up to `LEFT_TO_GC_MAX_BYTES`.
 */
const READ_BEHIND_MAX_BYTES = 64 << 10;

/**
 * Larger replaced values are left to the collector only while the device bytes so left stay under
 * this budget; past it they are read behind too. The collector cannot see device memory (a 1 MB
 * State costs the JS heap a few hundred bytes a step), so it may not run for thousands of steps:
 * without the budget a loop over a big State held one device buffer per step until then. Under
 * it, a big State costs no read per step; over it, one read per step keeps the device bounded.
 */
const LEFT_TO_GC_MAX_BYTES = 8 << 20;

/** Device bytes of the big values being read behind (the reads not yet completed). */
let bigReadsPending = 0;

/** The replaced values left to the collector (weakly: the entry goes with the value). */
const leftToGc: { ref: WeakRef<DataBuffer>; dd: DeviceData; bytes: number }[] = [];

/**
 * Whether a replaced device-only value of `bytes` may be left to the collector: the bytes of the
 * values left so far that still hold their device storage, plus these, fit the budget.
 */
function mayLeaveToGc(buf: DataBuffer, dd: DeviceData, bytes: number): boolean {
  let held = 0, kept = 0;
  for (const e of leftToGc) {
    const b = e.ref.deref();
    if (b === undefined || b.isReleased || b.device !== e.dd || !e.dd.gpu) continue; // collected, freed or read since
    leftToGc[kept++] = e;
    held += e.bytes;
  }
  leftToGc.length = kept;
  if (held + bytes > LEFT_TO_GC_MAX_BYTES) return false;
  leftToGc.push({ ref: new WeakRef(buf), dd, bytes });
  return true;
}

let float64Warned = false;

/**
 * float64 on webgpu runs on the host (WGSL has no 64-bit float): said once per process, since a
 * float64 value in a GPU program is usually an accident (a JS float64 array or `dtype: "float64"`)
 * that costs a read-back and a host loop per step. `lower()` names every such step.
 */
function warnFloat64Once(): void {
  if (float64Warned) return;
  float64Warned = true;
  console.warn("kiln: float64 kernels run on the host under webgpu (WGSL has no 64-bit float): each costs a read-back and a JS loop. Use float32 to stay on the device; jit(f).lower(...) lists the steps that run on the host. (Shown once.)");
}

/** @internal Test hook: the float64 warning may be shown again. */
export function resetFloat64Warning(): void {
  float64Warned = false;
}

/**
 * The webgpu executor, running the steps WGSL cannot (library kernels, float64) on `host`.
 * `canSync` is false: values are read with `await x.data()`; the sync readers throw (values still
 * on the host, such as a fresh `np.array`, are returned). The target list (targets/index.ts)
 * makes the one `webgpuExecutor`.
 * @example
 * registerExecutor(webgpuExecutorOn(host));
 */
export function webgpuExecutorOn(hostRunner: Host): Executor {
  return {
    name: "webgpu",
    canSync: false,
    canEnqueue: true,
    holds(buf) {
      const dd = buf.device;
      return !(dd instanceof DeviceData) || (dd.generation === currentGpu()?.generation && !dd.error);
    },
    executeSync: (outputs, known) => executeWebgpu(hostRunner, outputs, known),
    execute: async (outputs, known) => executeWebgpu(hostRunner, outputs, known),
    read: readWebgpu,
    readBehind(buf) {
      const dd = buf.device, ctx = currentGpu();
      if (!ctx || !(dd instanceof DeviceData) || dd.generation !== ctx.generation || !dd.gpu || dd.ready || dd.error || buf.isReleased) return null;
      const bytes = deviceBytes(dd.size);
      if (bytes <= READ_BEHIND_MAX_BYTES) return readBehind(ctx, buf, dd);
      // A big value is read behind only past the collector's budget, and only while the big reads
      // still under way fit one too: a loop that never yields completes none of them (each holds
      // a staging buffer of the value's size), and is then left as it was, to the collector.
      if (mayLeaveToGc(buf, dd, bytes) || bigReadsPending + bytes > LEFT_TO_GC_MAX_BYTES) return null;
      bigReadsPending += bytes;
      const read = readBehind(ctx, buf, dd);
      void read.then(() => (bigReadsPending -= bytes), () => (bigReadsPending -= bytes));
      return read;
    },
    readSync(buf) {
      if (buf.host) return buf.host;
      const dd = buf.device;
      if (dd instanceof DeviceData && dd.host && !dd.ready) return dd.host;
      throw new BackendUnavailableError(
        "the webgpu backend cannot read device memory synchronously (dataSync, itemSync, toArraySync): use the async form — await x.data(), await x.item() or await x.toArray()",
      );
    },
    compile: (graph, opts) => compileWebgpu(hostRunner, graph, opts),
  };
}

/**
 * Drops cached plans and compiled WGSL programs (tests; memory in long-running processes).
 * @example
 * clearWebgpuCache(); // the next realization renders and compiles its kernels again
 */
export function clearWebgpuCache(): void {
  plans.clear();
  clearProgramCache();
}
