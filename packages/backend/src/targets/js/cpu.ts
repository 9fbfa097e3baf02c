/**
 * The CPU executor: runs a whole plan on the host (host/run.ts, with this target's JS kernels)
 * and wraps the outputs as DataBuffers. Plans are cached by the structure of the graph they came from
 * (realized inputs abstracted to their dtype and shape), so re-running the same computation on
 * new data — every eager training step — skips scheduling and lowering entirely.
 */
import {
  type CompiledGraph, DataBuffer, DisposedError, type Executor, type Graph, type Node, type TypedArray, LruCache, topoSort,
} from "@kiln/core";
import { allocTypedArray, bytesPer } from "../../storage.js";
import { isParameter, parameterValues, parameterizeConstants } from "../../params.js";
import { type Plan, type PlanBuffer, scheduleGraph } from "../../schedule.js";
import { donatable, planDonations } from "../../host/donate.js";
import { graphKey } from "../../host/graph-key.js";
import { type Host, SCRATCH_KEEP, currentStepTimer, scratch } from "../../host/run.js";
import { HeapRegion, heapLayout } from "./cpu-heap.js";
import { beginInputBinding, copyCounted, heapCopyOf, heapTraffic, inHeap, residentArray } from "../../host/resident.js";

/** How often graphs were scheduled and structurally hashed (tests assert that jit replays do neither). */
const counters = { schedules: 0, hashes: 0 };

/**
 * Counts of the plan machinery: `schedules` (graphs scheduled, by eager realization or jit
 * compilation) and `hashes` (graphs structurally hashed to look a plan up).
 * @example
 * const before = planCacheStats();
 * step(x);                               // a cached jit call
 * planCacheStats().hashes - before.hashes; // 0: the compiled plan is replayed as is
 */
export function planCacheStats(): { schedules: number; hashes: number; entries: number } {
  return { ...counters, entries: plans.size + eagerPlans.size };
}

const PLAN_CACHE_SIZE = 512;
const plans = new LruCache<string, Plan>(PLAN_CACHE_SIZE);

/** The plan for `outputs` (cached) and the realized nodes it reads, in input order. */
export function planFor(outputs: readonly Node[], isBuffer: (n: Node) => boolean): { plan: Plan; inputs: Node[] } {
  const nodes = topoSort(outputs, isBuffer);
  const key = graphKey(nodes, outputs, isBuffer);
  counters.hashes++;
  const hit = plans.get(key);
  if (hit) return { plan: hit, inputs: nodes.filter(isBuffer) };
  const made = scheduleGraph(outputs, isBuffer);
  counters.schedules++;
  plans.set(key, made.plan);
  return made;
}

function hostOf(n: Node, known: (n: Node) => DataBuffer | undefined): TypedArray {
  const buf = known(n) ?? ((n as Node<"data">).params.ref as DataBuffer);
  if (buf.isReleased || !buf.host) throw new DisposedError(`a tensor of shape [${n.aval.shape}] was read after dispose()`);
  return buf.host;
}

/**
 * Eager plans, keyed by the value-free structure of the graph (kernel parameters are `P`): a
 * graph that differs only in its scalar constants runs the same plan on new parameter values,
 * with no node rebuilt and nothing scheduled. `paramSlot`: where the parameter array goes among
 * the plan's inputs (-1: none).
 */
const eagerPlans = new LruCache<string, { plan: Plan; paramSlot: number }>(PLAN_CACHE_SIZE);

function executeCpu(host: Host, outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[] {
  const isBuffer = (n: Node) => n.prim === "data" || known(n) !== undefined;
  const outSet = new Set(outputs);
  const isParam = (n: Node) => isParameter(n, outSet);
  const nodes = topoSort(outputs, isBuffer);
  const key = graphKey(nodes, outputs, isBuffer, isParam);
  counters.hashes++;
  let entry = eagerPlans.get(key);
  if (!entry) {
    const { outputs: outs, params } = parameterizeConstants(outputs, isBuffer);
    const made = scheduleGraph(outs, isBuffer);
    counters.schedules++;
    params?.release();
    const paramSlot = params ? made.inputs.findIndex((n) => n.prim === "data" && (n as Node<"data">).params.ref === params) : -1;
    entry = eagerPlans.set(key, { plan: made.plan, paramSlot });
  }
  const { plan, paramSlot } = entry;
  const args = nodes.filter(isBuffer).map((n) => hostOf(n, known));
  // The parameter array lives for this run only: plain JS memory, nothing to release.
  if (paramSlot >= 0) args.splice(paramSlot, 0, parameterValues(nodes, isBuffer, outSet));
  const arrays = host.runPlan(plan, args);
  return plan.outputs.map((id) => {
    const b = plan.buffers[id]!;
    return new DataBuffer(b.dtype, b.size, arrays[id]!);
  });
}

/** Temporaries up to this many bytes stay allocated between replays of a compiled plan. */
const KEEP_TEMPS_BYTES = 1 << 26;

/** Options of `compile` (`CompileOptions` in core). */
interface CpuCompileOptions {
  /** Per graph input: whether its buffer may be taken over by an output (jit's `donateArgnums`). */
  readonly donate?: readonly boolean[];
  /** Per graph output: whether the next call reads it (jit's State writes): kept resident in the heap. */
  readonly resident?: readonly boolean[];
}

/**
 * Schedules a whole graph once (jit): `run` binds the graph's inputs and replays the plan with no
 * graph walk, hashing, scheduling or kernel-cache lookup per call. Temporaries live in arrays kept
 * between calls (up to KEEP_TEMPS_BYTES); outputs are fresh arrays, or the storage of a donated
 * input that the plan no longer reads when the output is written.
 *
 * A plan with wasm kernels keeps its buffers in the heap (cpu-heap.ts); its `resident` outputs
 * (State writes) are written into resident regions (host/resident.ts) that the returned buffers
 * keep, so the next call reads them in place; an input's values copied into the heap stay there
 * as the input buffer's mirror (host/resident.ts `heapCopyOf`), so a call passing the same value
 * again (a reused batch) binds it in place too: a warm training step on a reused batch copies only
 * its loss out. A resident value donated back is written over in place.
 */
function compileCpu(host: Host, graph: Graph, opts: CpuCompileOptions = {}): CompiledGraph {
  const position = new Map(graph.inputs.map((n, i) => [n, i]));
  const isBuffer = (n: Node) => n.prim === "data" || position.has(n);
  // The parameter buffer is one of the plan's constants: it lives as long as the plan.
  const { plan, inputs } = scheduleGraph(parameterizeConstants(graph.outputs, isBuffer).outputs, isBuffer);
  counters.schedules++;
  // Each plan input is a graph input (by position) or a constant captured in the graph.
  const sources = inputs.map((n) => position.get(n) ?? ((n as Node<"data">).params.ref as DataBuffer));
  const constants = sources.filter((s): s is DataBuffer => typeof s !== "number");
  const { steps, buffers } = plan;
  const ids = (role: PlanBuffer["role"]) => buffers.flatMap((b, id) => (b.role === role ? [id] : []));
  const inputIds = ids("input").sort((x, y) => buffers[x]!.index - buffers[y]!.index);
  const outputIds = ids("output");
  const tempIds = ids("temp");
  const fns = steps.map((step) => host.stepFn(step));
  const kinds = steps.map((s) => s.kind);
  // With wasm kernels in the plan, its buffers live in the host heap (cpu-heap.ts).
  const layout = heapLayout(plan, steps.map((s) => host.stepInHeap(s)));
  const region = layout ? new HeapRegion(plan, layout) : null;
  const tempBytes = plan.slots.reduce((a, s) => a + s.size * bytesPer(s.dtype), 0);
  const keptSlots = !layout && tempBytes <= KEEP_TEMPS_BYTES ? plan.slots.map((s) => allocTypedArray(s.dtype, s.size)) : null;
  const isKept = (id: number) => buffers[id]!.role === "temp" && (keptSlots !== null || region !== null);
  // Per step: a reusable argument array with scratch and kept temporaries bound once (heap
  // temporaries: again when the plan's heap region moves), and the (argument position, buffer id)
  // pairs rebound on every call. Scratch too large for the pool is allocated per call (as the
  // host's runPlan does), not held by the plan.
  const bigScratch: [step: number, arg: number][] = [];
  const stepArgs = steps.map((step, k) => step.bindings.map((id, i): TypedArray | null => {
    if (id >= 0) return keptSlots && isKept(id) ? slotView(buffers[id]!, keptSlots) : null;
    const p = step.kernel!.params[i]!;
    if (p.size > SCRATCH_KEEP) return (bigScratch.push([k, i]), null);
    return scratch(p.dtype, p.size, i);
  }));
  const bindHeapTemps = (views: readonly (TypedArray | null)[]) => steps.forEach((step, k) => step.bindings.forEach((id, i) => {
    if (id >= 0 && isKept(id)) stepArgs[k]![i] = views[id]!;
  }));
  const rebind = steps.map((step) => step.bindings.flatMap((id, i) => (id >= 0 && !isKept(id) ? [i, id] : [])));
  const donations = planDonations(plan, sources, opts.donate ?? []);
  const donatedOut = new Map(donations.map((d, k) => [d.out, k]));
  const firstOf = plan.outputs.map((id) => plan.outputs.indexOf(id));
  const arrays: (TypedArray | null)[] = new Array(buffers.length).fill(null);
  const taken: (DataBuffer | null)[] = donations.map(() => null);
  const heapOut = new Set(layout?.outputs ?? []);
  /** Per input a heap step reads: its position among `sources` (bound to the buffer's heap mirror). */
  const heapSources = layout ? layout.inputs.map((id) => inputIds.indexOf(id)) : [];
  /** This call's input buffers, by source position. */
  const inputBufs: (DataBuffer | null)[] = sources.map(() => null);
  // Resident: written by a heap plan and read by nothing but the next call. A buffer also returned
  // to the caller (one value both written to a State and returned) is copied out: the caller's
  // references are not kiln's to follow, and a region must be freed deterministically.
  const residentIds = !region ? [] : [...new Set(plan.outputs)].filter((id) =>
    buffers[id]!.role === "output" && plan.outputs.every((o, k) => o !== id || opts.resident?.[k] === true));
  const isResident = new Set(residentIds);
  /** Outputs that may be bound to a resident region: resident ones, and donated ones (when the donor is resident). */
  const regionIds = [...new Set([...residentIds, ...donations.map((d) => d.out)])];
  /** Per buffer id, this call: the free function of the resident region it was bound to (until an output takes it). */
  const regionFree: ((() => void) | null)[] = new Array(buffers.length).fill(null);
  return {
    run(bufs) {
      try {
        for (let i = 0; i < sources.length; i++) {
          const s = sources[i]!;
          const buf = typeof s === "number" ? bufs[s]! : s;
          if (buf.isReleased || !buf.host) throw new DisposedError(`a tensor of shape [${inputs[i]!.aval.shape}] was read after dispose()`);
          arrays[inputIds[i]!] = buf.host;
          inputBufs[i] = buf;
        }
        for (let d = 0; d < donations.length; d++) {
          const { input, out } = donations[d]!;
          taken[d] = donatable(bufs[input]!, input, buffers[out]!, bufs, constants) ? bufs[input]! : null;
        }
        // Resident regions before the arena (they go below it, and cannot while it is in use): an
        // output donated a resident value is written over it in place and takes its region; a
        // resident output gets a new region; none to be had → copied out as any output.
        for (const id of regionIds) {
          const d = donatedOut.get(id);
          const donor = d !== undefined ? taken[d] : null;
          if (donor?.hostInRegion) {
            arrays[id] = donor.host;
            regionFree[id] = donor.takeHostRegion();
            continue;
          }
          const r = isResident.has(id) ? residentArray(buffers[id]!.dtype, buffers[id]!.size) : null;
          if (r) [arrays[id], regionFree[id]] = [r.array, r.free];
        }
        if (region && layout) {
          // Before the arena too: a new mirror is a resident region. A value already in the heap
          // (a resident State value, or a mirror) is read where it is.
          beginInputBinding();
          for (let j = 0; j < heapSources.length; j++) {
            const id = layout.inputs[j]!;
            if (inHeap(arrays[id]!)) continue;
            const copy = heapCopyOf(inputBufs[heapSources[j]!]!);
            if (copy) arrays[id] = copy;
          }
          if (region.enter()) bindHeapTemps(region.views);
          for (const id of layout.inputs) {
            // Bound in place above; copied here only when no mirror could be had.
            if (inHeap(arrays[id]!)) continue;
            const view = region.views[id]!;
            copyCounted(view, arrays[id]!);
            arrays[id] = view;
          }
          for (const id of layout.outputs) if (!regionFree[id]) arrays[id] = region.views[id]!;
        }
        for (const id of outputIds) {
          if (heapOut.has(id) || regionFree[id]) continue;
          const d = donatedOut.get(id);
          arrays[id] = d !== undefined && taken[d] ? taken[d]!.host : allocTypedArray(buffers[id]!.dtype, buffers[id]!.size);
        }
        if (!keptSlots && !region) {
          const pool = plan.slots.map((s) => allocTypedArray(s.dtype, s.size));
          for (const id of tempIds) arrays[id] = slotView(buffers[id]!, pool);
        }
        for (const [k, i] of bigScratch) {
          const p = steps[k]!.kernel!.params[i]!;
          stepArgs[k]![i] = allocTypedArray(p.dtype, p.size);
        }
        const timer = currentStepTimer();
        for (let k = 0; k < steps.length; k++) {
          const args = stepArgs[k]!, rb = rebind[k]!;
          for (let j = 0; j < rb.length; j += 2) args[rb[j]!] = arrays[rb[j + 1]!]!;
          if (timer) {
            const t0 = performance.now();
            fns[k]!(args as TypedArray[]);
            timer(kinds[k]!, performance.now() - t0, steps[k]!);
          } else fns[k]!(args as TypedArray[]);
        }
        const out: DataBuffer[] = new Array(plan.outputs.length);
        for (let k = 0; k < out.length; k++) {
          const id = plan.outputs[k]!, b = buffers[id]!, host = arrays[id]!;
          if (firstOf[k]! < k) {
            out[k] = out[firstOf[k]!]!;
            continue;
          }
          // Outputs never alias the caller's storage (an input returned as is, or a constant, is
          // copied; one value returned twice is one buffer) nor the plan's arena (copied out, into
          // a donated input's storage when there is one); a resident region is the output's own.
          const free = regionFree[id];
          if (free) {
            // The buffer keeps the resident region: freed when it is released (a State's commit
            // releases the value it replaced), or moved to JS memory when handed to the collector.
            out[k] = new DataBuffer(b.dtype, b.size, host);
            out[k]!.adoptHostRegion(free);
            regionFree[id] = null;
            continue;
          }
          let result: TypedArray;
          if (heapOut.has(id)) {
            const d = donatedOut.get(id);
            heapTraffic.copiedBytes += host.byteLength;
            result = d !== undefined && taken[d] ? (taken[d]!.host!.set(host), taken[d]!.host!) : host.slice();
          } else result = b.role === "output" ? host : host.slice();
          out[k] = new DataBuffer(b.dtype, b.size, result);
        }
        return out;
      } finally {
        region?.leave();
        // Regions of a call that failed before its outputs took them.
        for (const id of regionIds) {
          regionFree[id]?.();
          regionFree[id] = null;
        }
        // A donated buffer's storage now belongs to an output (or holds partial results after a
        // failure): release the buffer, so any other handle on it reads as disposed.
        for (let d = 0; d < taken.length; d++) {
          taken[d]?.release();
          taken[d] = null;
        }
        // Hold no reference to the caller's arrays between calls (kept temporaries stay bound).
        arrays.fill(null);
        inputBufs.fill(null);
        for (let k = 0; k < steps.length; k++) {
          const args = stepArgs[k]!, rb = rebind[k]!;
          for (let j = 0; j < rb.length; j += 2) args[rb[j]!] = null;
        }
        for (const [k, i] of bigScratch) stepArgs[k]![i] = null;
      }
    },
    kernels: host.planKernels(plan),
    stats: plan.stats,
  };
}

function slotView(b: PlanBuffer, pool: readonly TypedArray[]): TypedArray {
  const s = pool[b.index]!;
  return s.length === b.size ? s : s.subarray(0, b.size);
}

/**
 * The CPU executor running every step on `host`: fused kernels compiled to JavaScript, run
 * synchronously. The target list (targets/index.ts) makes the one `cpuExecutor`.
 * @example
 * registerExecutor(cpuExecutorOn(makeHost(JS_KERNELS)));
 */
export function cpuExecutorOn(host: Host): Executor {
  return {
    name: "cpu",
    canSync: true,
    compile: (graph, opts) => compileCpu(host, graph, opts),
    executeSync: (outputs, known) => executeCpu(host, outputs, known),
    execute: async (outputs, known) => executeCpu(host, outputs, known),
    read: async (buf) => hostForRead(buf, "data"),
    readSync: (buf) => hostForRead(buf, "dataSync"),
  };
}

/** A buffer released under a live handle (another handle disposed it, or jit took it over). */
function hostForRead(buf: DataBuffer, op: string): TypedArray {
  if (!buf.host) throw new DisposedError(`${op}: a tensor of ${buf.dtype}[${buf.size}] was read after dispose()`);
  return buf.host;
}

/**
 * Drops cached plans (tests; memory in long-running processes).
 * @example
 * clearPlanCache(); // the next realization schedules its graph again
 */
export function clearPlanCache(): void {
  plans.clear();
  eagerPlans.clear();
}
