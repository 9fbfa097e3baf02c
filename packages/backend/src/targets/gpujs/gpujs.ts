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
 * `executeSync`, the sync readers and jit replay all work as on the cpu backend; the async
 * `execute` (`await data()`) reads a pipelined plan's outputs without blocking (gpujs-read.ts).
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
import { countGpujsReadback, countGpujsRun, gpujsCompileError, gpujsKernel, gpujsPipelined, gpujsRenderOptions } from "./gpujs-runtime.js";
import { type GpujsKernelSource, renderGpujs } from "./gpujs-render.js";
import { FLAT_TEXTURE, type GpujsTexture, checkedCopy, isTexture, readTexture, readTextureAsync } from "./gpujs-read.js";
import { PARTIALS_ARG } from "./gpujs-split.js";
import { blockArgs } from "./gpujs-tiled.js";

/** The one-step plan a host kernel is described by (`planKernels` reads only the steps). */
function hostStep(k: Kernel): { step: KernelStep; plan: Plan } {
  const kind = k.name.startsWith("reduce") ? "reduce" : k.name.startsWith("matmul") ? "matmul" : "elementwise";
  const step: KernelStep = { kind, name: k.name, kernel: k, library: null, bindings: k.params.map((_, i) => i), outputs: k.params.filter((p) => p.role === "out").length, flops: k.flops };
  const plan: Plan = { steps: [step], buffers: [], slots: [], inputCount: 0, outputs: [], stats: { kernels: 1, flops: k.flops, bytes: 0, peakBytes: 0 } };
  return { step, plan };
}

const asFloat32 = (a: TypedArray): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a as ArrayLike<number>));

/**
 * Calls a GPU.js kernel with the values of its kernel parameters (`arg(i)`, for each kernel's own
 * `inputs`: GPU.js uploads every host array it is passed, read or not, so the two passes of a
 * kernel each get only what they read). A GPU.js failure is a renderer bug, reported with the
 * kernel's source.
 */
function callGpujs(c: Extract<ReturnType<typeof gpujsKernel>, { fn: unknown }>, arg: (param: number) => unknown): unknown {
  const ins = c.src.inputs.map(arg);
  try {
    let out: unknown;
    if (c.partials) {
      // Two passes (a split reduction, a tiled contraction): the first kernel, then this kernel
      // reading its outputs as its last arguments.
      const first = firstOutputs(c.partials(...c.src.partials!.inputs.map(arg)), c.src.partials!);
      countGpujsRun();
      try {
        out = c.fn(...ins, ...first);
      } finally {
        for (const t of first) if (isTexture(t)) t.delete();
      }
    } else {
      out = c.fn(...ins);
    }
    countGpujsRun();
    // A tiled kernel's RGBA output holds outputs 4t … 4t+3 in texel t: the layout of a
    // memory-optimized float texture, which is how the next kernel must read it (element by
    // element), not as GPU.js's Array(4) values.
    if (c.src.lanes > 1 && isTexture(out)) Object.assign(out, { type: FLAT_TEXTURE, dimensions: [c.src.size, 1, 1], output: [c.src.size] });
    return out;
  } catch (e) {
    // GPU.js compiles on the first call: a kernel it refuses is a renderer bug, reported with its source.
    throw e instanceof KilnError ? e : gpujsCompileError(c.src, e);
  }
}

/**
 * A first pass's outputs in argument order: its result, or for a kernel map (`targets`) GPU.js's
 * `{ result, 0, 1, … }` — the result, then each subkernel's output.
 */
function firstOutputs(out: unknown, src: GpujsKernelSource): unknown[] {
  if (!src.targets) return [out];
  const map = out as { result: unknown } & Record<number, unknown>;
  return [map.result, ...src.targets.map((_, i) => map[i])];
}

/** Writes a kernel result (a typed array, or a texture read back and deleted) into `dst`: one readback. */
function store(name: string, out: unknown, dst: TypedArray): void {
  let values = out;
  if (isTexture(out)) {
    values = readTexture(out, dst.length);
    out.delete();
  }
  countGpujsReadback();
  checkedCopy(name, values, dst);
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
        store(src.name, callGpujs(c, (i) => asFloat32(bufs[i] as TypedArray)), bufs[0] as TypedArray);
      };
    },
    source(k) {
      const r = renderGpujs(k, gpujsRenderOptions());
      if (!("host" in r)) return gpujsSourceText(r);
      const { plan } = hostStep(k);
      return `// runs on the host: ${r.host}\n${host.planKernels(plan)[0]!.source}`;
    },
  };
}

/**
 * A rendered kernel as `lower()` shows it: the first pass of a split reduction or tiled contraction
 * first, then the kernel, its subkernels (render targets) and its GLSL native functions.
 */
function gpujsSourceText(r: GpujsKernelSource): string {
  const outputs = r.targets ? `, ${r.targets.length + 1} render targets` : "";
  const head = `// GPU.js kernel (output ${r.size}${r.lanes > 1 ? `, ${r.lanes} per thread` : ""}${outputs})`;
  const partials = r.partials ? `${gpujsSourceText(r.partials)}\n// then, reading its outputs as ${r.partials.targets ? blockArgs(r.partials.targets.length + 1).join(", ") : PARTIALS_ARG}:\n` : "";
  const targets = (r.targets ?? []).map((t, i) => `\n// render target ${i + 1}:\n${t}`).join("");
  const natives = (r.natives ?? []).filter((f) => f.source).map((f) => `\n// GLSL (native function ${f.name})\n${f.source}`).join("");
  return `${partials}${head}\n${r.source}${targets}${natives}`;
}

/** A pipelined plan after its steps ran: each buffer's value (textures for GPU.js results), and the textures to delete. */
interface PipelinedRun {
  readonly values: (TypedArray | GpujsTexture | undefined)[];
  readonly textures: readonly GpujsTexture[];
  /** The buffer as a typed array (a texture read back once, synchronously). */
  array(id: number): TypedArray;
}

/**
 * Runs a plan's steps with its GPU.js kernels' values kept as textures (pipeline mode): a GPU.js
 * kernel reads its inputs' textures directly; a host step (a kernel GPU.js cannot run exactly, a
 * library or control step) gets typed arrays, each texture read back once. The caller reads the
 * plan's outputs and deletes the textures; when a step throws they are deleted here.
 */
function runPipelinedSteps(steps: Host, plan: Plan, inputs: readonly TypedArray[]): PipelinedRun {
  const values: (TypedArray | GpujsTexture | undefined)[] = plan.buffers.map((b) => (b.role === "input" ? inputs[b.index] : undefined));
  const textures: GpujsTexture[] = [];
  const array = (id: number): TypedArray => {
    const v = values[id];
    if (!isTexture(v)) return v!;
    const b = plan.buffers[id]!, a = allocTypedArray(b.dtype, b.size);
    countGpujsReadback();
    checkedCopy(`buffer ${id}`, readTexture(v, b.size), a);
    return (values[id] = a);
  };
  const timer = currentStepTimer();
  try {
    for (const step of plan.steps) {
      const t0 = timer ? performance.now() : 0;
      const outId = step.bindings[0]!, b = plan.buffers[outId]!;
      const c = step.kernel ? gpujsKernel(step.kernel) : null;
      if (c && !("host" in c)) {
        const arg = (i: number) => {
          const v = values[step.bindings[i]!];
          return isTexture(v) ? v : asFloat32(v!);
        };
        const out = c.src.size === 0 ? allocTypedArray(b.dtype, 0) : callGpujs(c, arg);
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
    return { values, textures, array };
  } catch (e) {
    for (const t of textures) t.delete();
    throw e;
  }
}

/** A pipelined plan, its outputs read back synchronously. Returns the array of every plan output (other entries are not filled). */
function runPipelined(steps: Host, plan: Plan, inputs: readonly TypedArray[]): TypedArray[] {
  const run = runPipelinedSteps(steps, plan, inputs);
  try {
    const arrays: TypedArray[] = [];
    for (const id of plan.outputs) arrays[id] = run.array(id);
    return arrays;
  } finally {
    for (const t of run.textures) t.delete();
  }
}

/** A pipelined plan, its outputs read back without blocking on the GPU (gpujs-read.ts). */
async function runPipelinedAsync(steps: Host, plan: Plan, inputs: readonly TypedArray[]): Promise<TypedArray[]> {
  const run = runPipelinedSteps(steps, plan, inputs);
  try {
    const arrays: TypedArray[] = [];
    await Promise.all([...new Set(plan.outputs)].map(async (id) => {
      const v = run.values[id];
      if (!isTexture(v)) return void (arrays[id] = v!);
      const b = plan.buffers[id]!, a = allocTypedArray(b.dtype, b.size);
      countGpujsReadback(true);
      checkedCopy(`buffer ${id}`, await readTextureAsync(v, b.size), a);
      arrays[id] = a;
    }));
    return arrays;
  } finally {
    for (const t of run.textures) t.delete();
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

  /** The cached plan of `outputs` and its input arrays. */
  function planOf(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): { plan: Plan; args: TypedArray[] } {
    const isBuffer = (n: Node) => n.prim === "data" || known(n) !== undefined;
    const nodes = topoSort(outputs, isBuffer);
    const key = graphKey(nodes, outputs, isBuffer);
    const plan = plans.get(key) ?? plans.set(key, scheduleGraph(outputs, isBuffer, SCHEDULE).plan);
    return { plan, args: nodes.filter(isBuffer).map((n) => hostOf(n, known(n) ?? ((n as Node<"data">).params.ref as DataBuffer))) };
  }

  function executeSync(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[] {
    const { plan, args } = planOf(outputs, known);
    return outputsOf(plan, runPlan(plan, args));
  }

  /**
   * `await t.data()` / `await t.item()` of an unrealized value: the kernels run now (synchronously,
   * as GPU.js does), and on WebGL with pipelining the plan's outputs are read back without
   * blocking (gpujs-read.ts); elsewhere as `executeSync`.
   */
  async function execute(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): Promise<DataBuffer[]> {
    const { plan, args } = planOf(outputs, known);
    return outputsOf(plan, gpujsPipelined() ? await runPipelinedAsync(steps, plan, args) : steps.runPlan(plan, args));
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
    execute,
    read: async (buf) => read(buf, "data"),
    readSync: (buf) => read(buf, "dataSync"),
  };
}
