/**
 * The gpujs executor: runs a plan step by step, each kernel as a GPU.js kernel where
 * gpujs-render.ts can render it exactly and on the host it is handed otherwise (library kernels and
 * control steps run on the host too; their sub-plans come back through this same step runner).
 *
 * Values between the kernels of a plan: on WebGL, GPU.js kernels are created with `pipeline: true`
 * and return textures, which the next GPU.js kernel of the plan reads directly (`runPipelined`):
 * a value is read back to JavaScript only when a host step consumes it or it leaves the plan, and
 * every texture is deleted when the plan ends. In the CPU modes (`webasm`, `cpu`) GPU.js returns
 * typed arrays, and plans run on the shared host runner. GPU.js runs synchronously, so
 * `executeSync`, the sync readers and jit replay all work as on the cpu backend.
 */
import {
  type CompiledGraph, DataBuffer, DisposedError, type Executor, type Graph, KernelCompileError, KilnError, LruCache, type Node,
  type TypedArray, topoSort,
} from "@kiln/core";
import { type Kernel } from "../../kernel.js";
import { type KernelStep, type Plan, type PlanBuffer, scheduleGraph } from "../../schedule.js";
import { graphKey } from "../../host/graph-key.js";
import { type Host, type HostKernels, currentStepTimer, makeHost } from "../../host/run.js";
import { allocTypedArray } from "../../storage.js";
import { countGpujsReadback, countGpujsRun, gpujsCompileError, gpujsKernel, gpujsPipelined } from "./gpujs-runtime.js";
import { renderGpujs } from "./gpujs-render.js";

/** The one-step plan a host kernel is described by (`planKernels` reads only the steps). */
function hostStep(k: Kernel): { step: KernelStep; plan: Plan } {
  const kind = k.name.startsWith("reduce") ? "reduce" : k.name.startsWith("matmul") ? "matmul" : "elementwise";
  const step: KernelStep = { kind, name: k.name, kernel: k, library: null, bindings: k.params.map((_, i) => i), outputs: k.params.filter((p) => p.role === "out").length, flops: k.flops };
  const plan: Plan = { steps: [step], buffers: [], slots: [], inputCount: 0, outputs: [], stats: { kernels: 1, flops: k.flops, bytes: 0, peakBytes: 0 } };
  return { step, plan };
}

const asFloat32 = (a: TypedArray): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a as ArrayLike<number>));

/** A GPU.js output texture (pipeline mode): read back with `toArray`, freed with `delete`. */
interface GpujsTexture {
  toArray(): unknown;
  delete(): void;
}
const isTexture = (v: unknown): v is GpujsTexture =>
  typeof v === "object" && v !== null && !ArrayBuffer.isView(v) && typeof (v as GpujsTexture).toArray === "function";

/** Calls a GPU.js kernel; a GPU.js failure is a renderer bug, reported with the kernel's source. */
function callGpujs(c: Extract<ReturnType<typeof gpujsKernel>, { fn: unknown }>, ins: readonly unknown[]): unknown {
  try {
    const out = c.fn(...ins);
    countGpujsRun();
    return out;
  } catch (e) {
    // GPU.js compiles on the first call: a kernel it refuses is a renderer bug, reported with its source.
    throw e instanceof KilnError ? e : gpujsCompileError(c.src, e);
  }
}

/** Writes a kernel result (a typed array, or a texture read back and deleted) into `dst`: one readback. */
function store(name: string, out: unknown, dst: TypedArray): void {
  let values = out;
  if (isTexture(out)) {
    values = out.toArray();
    out.delete();
  }
  countGpujsReadback();
  if (!(values instanceof Float32Array) || values.length !== dst.length) {
    throw new KernelCompileError(`kernel ${name}: GPU.js returned ${describe(values)}, expected Float32Array(${dst.length})`);
  }
  dst.set(values);
}

/**
 * The kernels of the gpujs host: GPU.js where the kernel renders, else the given host's kernel.
 * @example makeHost(gpujsKernelsOver(HOST)).runPlan(plan, inputs)
 */
export function gpujsKernelsOver(host: Host): HostKernels {
  return {
    run(k) {
      const c = gpujsKernel(k);
      if ("host" in c) {
        const f = host.stepFn(hostStep(k).step);
        return (...bufs) => f(bufs as TypedArray[]);
      }
      const { src } = c;
      return (...bufs) => {
        if (src.size === 0) return;
        store(src.name, callGpujs(c, src.inputs.map((i) => asFloat32(bufs[i] as TypedArray))), bufs[0] as TypedArray);
      };
    },
    source(k) {
      const r = renderGpujs(k);
      if (!("host" in r)) return `// GPU.js kernel (output ${r.size})\n${r.source}`;
      const { plan } = hostStep(k);
      return `// runs on the host: ${r.host}\n${host.planKernels(plan)[0]!.source}`;
    },
  };
}

function describe(v: unknown): string {
  return v && typeof v === "object" ? `${v.constructor.name}(${(v as { length?: number }).length ?? "?"})` : typeof v;
}

/**
 * Runs a plan with its GPU.js kernels' values kept as textures (pipeline mode): a GPU.js kernel
 * reads its inputs' textures directly; a host step (a kernel GPU.js cannot run exactly, a library
 * or control step) gets typed arrays, each texture read back once; the plan's outputs are read
 * back at the end and every texture is deleted, also when a step throws. Returns the array of
 * every plan output (other entries are not filled).
 */
function runPipelined(steps: Host, plan: Plan, inputs: readonly TypedArray[]): TypedArray[] {
  const values: (TypedArray | GpujsTexture | undefined)[] = plan.buffers.map((b) => (b.role === "input" ? inputs[b.index] : undefined));
  const textures: GpujsTexture[] = [];
  const array = (id: number): TypedArray => {
    const v = values[id];
    if (!isTexture(v)) return v!;
    const b = plan.buffers[id]!, a = allocTypedArray(b.dtype, b.size);
    store(`buffer ${id}`, v.toArray(), a);
    return (values[id] = a);
  };
  const timer = currentStepTimer();
  try {
    for (const step of plan.steps) {
      const t0 = timer ? performance.now() : 0;
      const outId = step.bindings[0]!, b = plan.buffers[outId]!;
      const c = step.kernel ? gpujsKernel(step.kernel) : null;
      if (c && !("host" in c)) {
        const ins = c.src.inputs.map((i) => {
          const v = values[step.bindings[i]!];
          return isTexture(v) ? v : asFloat32(v!);
        });
        const out = c.src.size === 0 ? allocTypedArray(b.dtype, 0) : callGpujs(c, ins);
        if (isTexture(out)) textures.push(out);
        if (isTexture(out) || c.src.size === 0) values[outId] = out as TypedArray | GpujsTexture;
        else store(c.src.name, out, (values[outId] = allocTypedArray(b.dtype, b.size)));
      } else {
        // Scratch parameters (bound as -1) are the step's own business.
        const outIds = step.bindings.slice(0, step.outputs);
        const host = steps.runStep(step, step.bindings.slice(step.outputs).filter((id) => id >= 0).map(array), outIds.map((id) => plan.buffers[id]!));
        outIds.forEach((id, j) => (values[id] = host[j]!));
      }
      timer?.(step.kind, performance.now() - t0, step);
    }
    const arrays: TypedArray[] = [];
    for (const id of plan.outputs) arrays[id] = array(id);
    return arrays;
  } finally {
    for (const t of textures) t.delete();
  }
}

const PLAN_CACHE_SIZE = 256;

/**
 * One output per kernel: a GPU.js kernel writes one output, so a multi-output kernel would run on
 * the host (and read its inputs back from textures) — separate kernels stay on the GPU.
 */
const SCHEDULE = { multiOutput: false } as const;

function hostOf(n: Node, buf: DataBuffer | undefined): TypedArray {
  if (!buf || buf.isReleased || !buf.host) throw new DisposedError(`a tensor of shape [${n.aval.shape}] was read after dispose()`);
  return buf.host;
}

/** Plan outputs as DataBuffers: never aliasing an input's storage, one buffer per distinct value. */
function outputsOf(plan: Plan, arrays: readonly TypedArray[]): DataBuffer[] {
  const out: DataBuffer[] = [];
  plan.outputs.forEach((id, k) => {
    const first = plan.outputs.indexOf(id);
    const b: PlanBuffer = plan.buffers[id]!;
    out.push(first < k ? out[first]! : new DataBuffer(b.dtype, b.size, b.role === "output" ? arrays[id]! : arrays[id]!.slice()));
  });
  return out;
}

/**
 * The gpujs executor over `host` (which runs the steps GPU.js cannot).
 * @example
 * registerExecutor(gpujsExecutorOn(HOST));
 */
export function gpujsExecutorOn(host: Host): Executor {
  const steps = makeHost(gpujsKernelsOver(host));
  const plans = new LruCache<string, Plan>(PLAN_CACHE_SIZE);
  const runPlan = (plan: Plan, inputs: readonly TypedArray[]) => (gpujsPipelined() ? runPipelined(steps, plan, inputs) : steps.runPlan(plan, inputs));

  function executeSync(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[] {
    const isBuffer = (n: Node) => n.prim === "data" || known(n) !== undefined;
    const nodes = topoSort(outputs, isBuffer);
    const key = graphKey(nodes, outputs, isBuffer);
    const plan = plans.get(key) ?? plans.set(key, scheduleGraph(outputs, isBuffer, SCHEDULE).plan);
    const args = nodes.filter(isBuffer).map((n) => hostOf(n, known(n) ?? ((n as Node<"data">).params.ref as DataBuffer)));
    return outputsOf(plan, runPlan(plan, args));
  }

  function compile(graph: Graph): CompiledGraph {
    const position = new Map(graph.inputs.map((n, i) => [n, i]));
    const isBuffer = (n: Node) => n.prim === "data" || position.has(n);
    const { plan, inputs } = scheduleGraph(graph.outputs, isBuffer, SCHEDULE);
    return {
      run(bufs) {
        const args = inputs.map((n) => {
          const p = position.get(n);
          return hostOf(n, p === undefined ? ((n as Node<"data">).params.ref as DataBuffer) : bufs[p]);
        });
        return outputsOf(plan, runPlan(plan, args));
      },
      kernels: steps.planKernels(plan, "gpujs"),
      stats: plan.stats,
    };
  }

  const read = (buf: DataBuffer, op: string): TypedArray => {
    if (!buf.host) throw new DisposedError(`${op}: a tensor of ${buf.dtype}[${buf.size}] was read after dispose()`);
    return buf.host;
  };
  return {
    name: "gpujs",
    canSync: true,
    compile,
    executeSync,
    execute: async (outputs, known) => executeSync(outputs, known),
    read: async (buf) => read(buf, "data"),
    readSync: (buf) => read(buf, "dataSync"),
  };
}
