/**
 * The gpujs executor: runs a plan step by step, each kernel as a GPU.js kernel where
 * gpujs-render.ts can render it exactly and on the host it is handed otherwise (library kernels and
 * control steps run on the host too; their sub-plans come back through this same step runner).
 *
 * Values between the kernels of a plan are typed arrays: GPU.js's synchronous modes in Node
 * (`webasm`, `cpu`) return typed arrays anyway; keeping WebGL textures between kernels
 * (`pipeline: true`) is still to come. GPU.js runs synchronously, so `executeSync`, the sync
 * readers and jit replay all work as on the cpu backend.
 */
import {
  type CompiledGraph, DataBuffer, DisposedError, type Executor, type Graph, KernelCompileError, KilnError, LruCache, type Node,
  type TypedArray, topoSort,
} from "@kiln/core";
import { type Kernel } from "../../kernel.js";
import { type KernelStep, type Plan, type PlanBuffer, scheduleGraph } from "../../schedule.js";
import { graphKey } from "../../host/graph-key.js";
import { type Host, type HostKernels, makeHost } from "../../host/run.js";
import { countGpujsRun, gpujsCompileError, gpujsKernel } from "./gpujs-runtime.js";
import { renderGpujs } from "./gpujs-render.js";

/** The one-step plan a host kernel is described by (`planKernels` reads only the steps). */
function hostStep(k: Kernel): { step: KernelStep; plan: Plan } {
  const kind = k.name.startsWith("reduce") ? "reduce" : k.name.startsWith("matmul") ? "matmul" : "elementwise";
  const step: KernelStep = { kind, name: k.name, kernel: k, library: null, bindings: k.params.map((_, i) => i), outputs: k.params.filter((p) => p.role === "out").length, flops: k.flops };
  const plan: Plan = { steps: [step], buffers: [], slots: [], inputCount: 0, outputs: [], stats: { kernels: 1, flops: k.flops, bytes: 0, peakBytes: 0 } };
  return { step, plan };
}

const asFloat32 = (a: TypedArray): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a as ArrayLike<number>));

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
      const { src, fn } = c;
      return (...bufs) => {
        if (src.size === 0) return;
        const ins = src.inputs.map((i) => asFloat32(bufs[i] as TypedArray));
        let out: unknown;
        try {
          out = fn(...ins);
        } catch (e) {
          // GPU.js compiles on the first call: a kernel it refuses is a renderer bug, reported with its source.
          throw e instanceof KilnError ? e : gpujsCompileError(src, e);
        }
        if (!(out instanceof Float32Array) || out.length !== src.size) {
          throw new KernelCompileError(`kernel ${src.name}: GPU.js returned ${describe(out)}, expected Float32Array(${src.size})`);
        }
        (bufs[0] as TypedArray).set(out);
        countGpujsRun();
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

const PLAN_CACHE_SIZE = 256;

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

  function executeSync(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[] {
    const isBuffer = (n: Node) => n.prim === "data" || known(n) !== undefined;
    const nodes = topoSort(outputs, isBuffer);
    const key = graphKey(nodes, outputs, isBuffer);
    const plan = plans.get(key) ?? plans.set(key, scheduleGraph(outputs, isBuffer).plan);
    const args = nodes.filter(isBuffer).map((n) => hostOf(n, known(n) ?? ((n as Node<"data">).params.ref as DataBuffer)));
    return outputsOf(plan, steps.runPlan(plan, args));
  }

  function compile(graph: Graph): CompiledGraph {
    const position = new Map(graph.inputs.map((n, i) => [n, i]));
    const isBuffer = (n: Node) => n.prim === "data" || position.has(n);
    const { plan, inputs } = scheduleGraph(graph.outputs, isBuffer);
    return {
      run(bufs) {
        const args = inputs.map((n) => {
          const p = position.get(n);
          return hostOf(n, p === undefined ? ((n as Node<"data">).params.ref as DataBuffer) : bufs[p]);
        });
        return outputsOf(plan, steps.runPlan(plan, args));
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
