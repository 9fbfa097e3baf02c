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
import { isParameter, parameterValues, parameterizeConstants } from "../../params.js";
import { graphKey } from "../../host/graph-key.js";
import { type Host, type HostKernels, currentStepTimer, makeHost } from "../../host/run.js";
import { allocTypedArray } from "../../storage.js";
import {
  countGpujsRun, countGpujsUpload, currentGpujs, gpujsBlockingReadMs, gpujsCompileError, gpujsCompiles, gpujsKernel, gpujsOnGl, gpujsPipelined, gpujsRenderOptions,
  gpujsResident,
} from "./gpujs-runtime.js";
import { keptUpload } from "./gpujs-upload.js";
import { residentBuffer, residentMade, residentTexture } from "./gpujs-resident.js";
import { type GpujsKernelSource, renderGpujs } from "./gpujs-render.js";
import {
  FLAT_TEXTURE, type GpujsTexture, ReadTimes, checkedCopy, countGpujsReadback, isTexture, readBlocks, readTexture, readTextureAs, readTextureAsAsync,
  readTexturesRaw, readTexturesRawSync,
} from "./gpujs-read.js";
import { PARTIALS_ARG } from "./gpujs-split.js";
import { blockArgs, gatherBlocks } from "./gpujs-tiled.js";
import type { BlockLayout } from "./gpujs-stmts.js";

/** The one-step plan a host kernel is described by (`planKernels` reads only the steps). */
function hostStep(k: Kernel): { step: KernelStep; plan: Plan } {
  const kind = k.name.startsWith("reduce") ? "reduce" : k.name.startsWith("matmul") ? "matmul" : "elementwise";
  const step: KernelStep = { kind, name: k.name, kernel: k, library: null, bindings: k.params.map((_, i) => i), outputs: k.params.filter((p) => p.role === "out").length, flops: k.flops };
  const plan: Plan = { steps: [step], buffers: [], slots: [], inputCount: 0, outputs: [], stats: { kernels: 1, flops: k.flops, bytes: 0, peakBytes: 0 } };
  return { step, plan };
}

const asFloat32 = (a: TypedArray): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a as ArrayLike<number>));

/** A 2-D result's rows as one array: a view when they are consecutive views of one buffer (webasm), else a copy. */
function flatRows(rows: readonly Float32Array[], size: number): Float32Array {
  const first = rows[0]!;
  const consecutive = rows.every((r, i) => r.buffer === first.buffer && r.byteOffset === first.byteOffset + i * first.byteLength && r.length === first.length);
  if (consecutive && first.length * rows.length === size) return new Float32Array(first.buffer, first.byteOffset, size);
  const flat = new Float32Array(size);
  rows.forEach((r, i) => flat.set(r, i * r.length));
  return flat;
}

/**
 * Calls a GPU.js kernel with the values of its kernel parameters (`arg(i)`, for each kernel's own
 * `inputs`: GPU.js uploads every host array it is passed, read or not, so the two passes of a
 * kernel each get only what they read). A GPU.js failure is a renderer bug, reported with the
 * kernel's source.
 */
function callGpujs(c: Extract<ReturnType<typeof gpujsKernel>, { fn: unknown }>, arg: (param: number) => unknown, firstPass?: (ms: number) => void): unknown {
  const ins = countUploads(c.src.inputs.map(arg));
  try {
    let out: unknown;
    if (c.partials) {
      // Two passes (a split reduction, a tiled contraction): the first kernel, then this kernel
      // reading its outputs as its last arguments.
      const t0 = firstPass ? performance.now() : 0;
      const first = firstOutputs(c.partials(...countUploads(c.src.partials!.inputs.map(arg))), c.src.partials!);
      if (firstPass) firstPass((glFinish(first[0]), performance.now() - t0));
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
    if (c.src.width && Array.isArray(out)) out = flatRows(out as Float32Array[], c.src.size);
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
 * Waits until the draw that wrote a texture is done, so that a step timer measures the kernel's
 * execution, not the enqueueing of its draw call: reads one texel back (`gl.finish()` returned at
 * once in Chromium over SwiftShader, leaving the kernels' time to the next read). Only while a
 * step timer is installed (`profile()`, benchmarks): it serializes the CPU with the GPU.
 */
function glFinish(t: unknown): void {
  if (!isTexture(t) || !t.framebuffer) return;
  const gl = t.context as WebGL2RenderingContext;
  gl.bindFramebuffer(gl.FRAMEBUFFER, t.framebuffer());
  gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, t.texture, 0);
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, new Float32Array(4));
}

/** Counts the host arrays among a GL kernel's arguments: GPU.js uploads each one per call. */
function countUploads(args: unknown[]): unknown[] {
  if (gpujsOnGl()) for (const a of args) if (ArrayBuffer.isView(a)) countGpujsUpload(a.byteLength);
  return args;
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

/**
 * Runs only the block kernel of a tiled contraction whose epilogue is the identity
 * (`src.blockLayout`): its targets, which hold the whole result (read back and laid out on the
 * host by `gatherBlocks`). One GL pass instead of two, for a result only read back.
 */
function callBlocks(c: Extract<ReturnType<typeof gpujsKernel>, { fn: unknown }>, arg: (param: number) => unknown): GpujsTexture[] {
  try {
    const first = firstOutputs(c.partials!(...countUploads(c.src.partials!.inputs.map(arg))), c.src.partials!);
    countGpujsRun();
    if (!first.every(isTexture)) throw new KernelCompileError(`kernel ${c.src.name}: GPU.js's block kernel returned no textures`);
    return first as GpujsTexture[];
  } catch (e) {
    throw e instanceof KilnError ? e : gpujsCompileError(c.src, e);
  }
}

/** A tiled contraction's result left in its block targets (`callBlocks`), laid out when read. */
interface BlockResult {
  readonly layout: BlockLayout;
  readonly targets: readonly GpujsTexture[];
}

/** A block result's values as `dtype` (float32: the tiled form's only dtype), from its targets' texels. */
function gatherBlockResult(r: BlockResult, raws: readonly Float32Array[], b: PlanBuffer): TypedArray {
  const a = allocTypedArray(b.dtype, b.size);
  if (!(a instanceof Float32Array)) throw new KernelCompileError(`a tiled contraction's result of dtype ${b.dtype}: expected float32`);
  return gatherBlocks(r.layout, raws, a);
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
        const arg = (i: number) => asFloat32(bufs[i] as TypedArray);
        if (src.blockLayout && c.partials && bufs[0] instanceof Float32Array) {
          // A plain product, its result read back: the block targets, laid out on the host.
          const targets = callBlocks(c, arg);
          try {
            countGpujsReadback();
            gatherBlocks(src.blockLayout, readTexturesRawSync(targets), bufs[0]);
          } finally {
            for (const t of targets) t.delete();
          }
          return;
        }
        store(src.name, callGpujs(c, arg), bufs[0] as TypedArray);
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

/** A pipelined plan after its steps ran: each buffer's value (textures for GPU.js results), and the textures it made. */
interface PipelinedRun {
  readonly values: readonly (TypedArray | GpujsTexture | undefined)[];
  /** Per buffer holding a texture it made: the GPU.js kernel whose output that is. */
  readonly madeBy: readonly unknown[];
  readonly textures: readonly GpujsTexture[];
  /** The buffer as a typed array (a texture read back once, synchronously). */
  array(id: number): TypedArray;
  /** Results left in a tiled contraction's block targets (their textures are in `textures`), by buffer. */
  readonly blocks: ReadonlyMap<number, BlockResult>;
}

/**
 * Runs a plan's steps with its GPU.js kernels' values kept as textures (pipeline mode): a GPU.js
 * kernel reads its inputs' textures directly — a resident input (a value an earlier call left on
 * the GPU, gpujs-resident.ts) included; a host step (a kernel GPU.js cannot run exactly, a
 * library or control step) gets typed arrays, each texture read back once (a resident input's
 * through its buffer, which keeps the copy). The caller takes the plan's outputs and deletes the
 * other textures; when a step throws they are all deleted here.
 */
function runPipelinedSteps(steps: Host, plan: Plan, inputs: readonly PlanInput[], readOnly: ReadonlySet<number> = new Set()): PipelinedRun {
  const gpu = currentGpujs();
  const values = plan.buffers.map((b): TypedArray | GpujsTexture | undefined => {
    if (b.role !== "input") return undefined;
    const buf = inputs[b.index]!;
    if (!(buf instanceof DataBuffer)) return buf;
    // A host value bound again (a fixed batch, inputs made once) is bound as the texture it was copied to.
    return residentTexture(buf) ?? (gpu ? keptUpload(buf, gpu, countGpujsUpload) : null) ?? buf.host!;
  });
  const madeBy: unknown[] = [];
  const textures: GpujsTexture[] = [];
  // Texture values read back for host steps: the texture stays the value GPU.js kernels bind.
  const arrays: (TypedArray | undefined)[] = [];
  const blocks = new Map<number, BlockResult>();
  const array = (id: number): TypedArray => {
    const r = blocks.get(id);
    if (r) {
      if (!arrays[id]) countGpujsReadback();
      return (arrays[id] ??= gatherBlockResult(r, readTexturesRawSync(r.targets), plan.buffers[id]!));
    }
    const v = values[id];
    if (!isTexture(v)) return v!;
    const b = plan.buffers[id]!;
    if (b.role === "input") return hostOfInput(inputs[b.index]!);
    return (arrays[id] ??= readTextureAs(`buffer ${id}`, v, b.dtype, b.size));
  };
  const timer = currentStepTimer();
  try {
    for (const step of plan.steps) {
      let t0 = timer ? performance.now() : 0;
      const outId = step.bindings[0]!, b = plan.buffers[outId]!;
      const c = step.kernel ? gpujsKernel(step.kernel, textureMask(step.bindings, values)) : null;
      if (c && !("host" in c)) {
        const arg = (i: number) => {
          const v = values[step.bindings[i]!];
          return isTexture(v) ? v : asFloat32(v!);
        };
        // Timed, a two-pass kernel's first pass (a tiled contraction's block kernel, a split
        // reduction's partial sums) is its own entry, `<name>:first`; each pass is finished on the GL
        // context before its time is taken.
        const firstPass = timer ? (ms: number) => (timer(step.kind, ms, { ...step, name: `${step.name}:first` }), (t0 = performance.now())) : undefined;
        if (c.src.blockLayout && c.partials && c.src.size > 0 && readOnly.has(outId)) {
          // A plain product only read back: its block targets, laid out on the host when read.
          const targets = callBlocks(c, arg);
          textures.push(...targets);
          blocks.set(outId, { layout: c.src.blockLayout, targets });
          if (timer) glFinish(targets[0]);
          timer?.(step.kind, performance.now() - t0, { ...step, name: `${step.name}:first` });
          continue;
        }
        const out = c.src.size === 0 ? allocTypedArray(b.dtype, 0) : callGpujs(c, arg, firstPass && ((ms) => void firstPass(ms)));
        if (timer) glFinish(out);
        if (isTexture(out)) {
          textures.push(out);
          madeBy[outId] = c.fn;
        }
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
    return { values, madeBy, textures, array, blocks };
  } catch (e) {
    for (const t of textures) t.delete();
    throw e;
  }
}

/**
 * The plan's outputs that only the host reads: computed by one step and bound by no other (a
 * tiled product's result among them skips its layout pass, `callBlocks`).
 */
function readOnlyOutputs(plan: Plan): Set<number> {
  const uses = new Map<number, number>();
  for (const step of plan.steps) for (const id of step.bindings) uses.set(id, (uses.get(id) ?? 0) + 1);
  return new Set(plan.outputs.filter((id) => plan.buffers[id]!.role !== "input" && uses.get(id) === 1));
}

/** GPU.js's texture classes seen so far, numbered for `textureMask`. */
const textureClasses = new Map<unknown, number>();

/**
 * Which of a step's parameters are bound to textures, and of which GPU.js class (a letter per
 * class, "a" for a host array), or "" when none is. The class matters, not only the texture's
 * `type`: GPU.js checks an argument's constructor, and an epilogue's `Array(4)` texture relabeled
 * as a flat one (`callGpujs`) is still of its own class.
 */
function textureMask(bindings: readonly number[], values: readonly unknown[]): string {
  let mask = "", any = false;
  for (const id of bindings) {
    const v = id >= 0 ? values[id] : undefined;
    if (!isTexture(v)) {
      mask += "a";
      continue;
    }
    any = true;
    const cls = v.constructor;
    // One character per class ("B", "C", …): the mask stays one character per parameter.
    mask += String.fromCharCode(66 + (textureClasses.get(cls) ?? textureClasses.set(cls, textureClasses.size).get(cls)!));
  }
  return any ? mask : "";
}

/**
 * A pipelined plan's outputs: with `keep` (a jitted call) an output a GPU.js kernel computed stays
 * its texture, resident on the GPU until something reads it (gpujs-resident.ts); otherwise (or
 * for outputs host steps computed) read back synchronously. The other textures are deleted.
 */
function runPipelined(steps: Host, plan: Plan, inputs: readonly PlanInput[], keep: boolean): DataBuffer[] {
  const at = performance.now(), compiles = gpujsCompiles();
  const run = runPipelinedSteps(steps, plan, inputs, keep ? undefined : readOnlyOutputs(plan));
  // A run that compiled kernels says nothing of the plan's time.
  const made = gpujsCompiles() === compiles ? { key: plan, at } : undefined;
  const kept = new Set<GpujsTexture>();
  try {
    return outputsOf(plan, (id, b) => {
      const v = run.values[id];
      if (keep && isTexture(v) && b.role === "output") {
        kept.add(v);
        return residentBuffer(b.dtype, b.size, v, run.madeBy[id], made);
      }
      return hostBuffer(b, run.array(id));
    });
  } finally {
    for (const t of run.textures) if (!kept.has(t)) t.delete();
  }
}

/**
 * A pipelined plan, its outputs read back without blocking on the GPU (gpujs-read.ts) — or, once
 * the plan's earlier runs say it finishes within `blockingReadMs`, blocking (at the start: after
 * one task; else from the poll of its fence that finds it due that soon).
 */
async function runPipelinedAsync(steps: Host, plan: Plan, inputs: readonly PlanInput[]): Promise<DataBuffer[]> {
  const submitted = performance.now(), compiles = gpujsCompiles();
  const read = { blockNow: () => readBlocks(submitted, readTimes.expect(plan), gpujsBlockingReadMs()) };
  const run = runPipelinedSteps(steps, plan, inputs, readOnlyOutputs(plan));
  const timed = gpujsCompiles() === compiles;
  try {
    const arrays: TypedArray[] = [];
    await Promise.all([...new Set(plan.outputs)].map(async (id) => {
      const v = run.values[id];
      const b = plan.buffers[id]!;
      const r = run.blocks.get(id);
      if (r) {
        countGpujsReadback(true);
        arrays[id] = gatherBlockResult(r, await readTexturesRaw(r.targets, read), b);
      } else {
        arrays[id] = isTexture(v) && b.role !== "input" ? await readTextureAsAsync(`buffer ${id}`, v, b.dtype, b.size, read) : run.array(id);
      }
    }));
    if (timed) readTimes.observe(plan, submitted, submitted, performance.now());
    return outputsOf(plan, (id, b) => hostBuffer(b, arrays[id]!));
  } finally {
    for (const t of run.textures) t.delete();
  }
}

/** Plans' expected times from submission to values read back (their reads' `block` choice). */
const readTimes = new ReadTimes<object>();

const PLAN_CACHE_SIZE = 256;

/**
 * A plan input: a value's buffer, or an eager plan's parameter array (params.ts), which lives for
 * one run and is never a kiln buffer.
 */
type PlanInput = DataBuffer | Float32Array;

const hostOfInput = (x: PlanInput): TypedArray => (x instanceof DataBuffer ? x.host! : x);

/** An eager plan and where its parameter array goes among its inputs (-1: it has none). */
interface EagerPlan {
  readonly plan: Plan;
  readonly paramSlot: number;
}

/**
 * One output per kernel: a GPU.js kernel writes one output, so a multi-output kernel would run on
 * the host (and read its inputs back from textures) — separate kernels stay on the GPU.
 */
const SCHEDULE = { multiOutput: false } as const;

/** A plan input's buffer, checked: it has a value (on the host, or a texture read on access). */
function inputBuffer(n: Node, buf: DataBuffer | undefined): DataBuffer {
  if (!buf || buf.isReleased || !buf.readableSync) throw new DisposedError(`a tensor of shape [${n.aval.shape}] was read after dispose()`);
  return buf;
}

/** A plan buffer's values as an output DataBuffer, never aliasing an input's storage. */
function hostBuffer(b: PlanBuffer, a: TypedArray): DataBuffer {
  return new DataBuffer(b.dtype, b.size, b.role === "output" ? a : a.slice());
}

/** Plan outputs as DataBuffers (`make` per distinct value): one buffer per distinct value. */
function outputsOf(plan: Plan, make: (id: number, b: PlanBuffer) => DataBuffer): DataBuffer[] {
  const out: DataBuffer[] = [];
  plan.outputs.forEach((id, k) => {
    const first = plan.outputs.indexOf(id);
    out.push(first < k ? out[first]! : make(id, plan.buffers[id]!));
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
  const plans = new LruCache<string, EagerPlan>(PLAN_CACHE_SIZE);
  /** A plan on checked input buffers; `keep`: outputs may stay resident on the GPU (jitted calls). */
  const runPlan = (plan: Plan, inputs: readonly PlanInput[], keep: boolean): DataBuffer[] => {
    if (gpujsPipelined()) return runPipelined(steps, plan, inputs, keep);
    const arrays = steps.runPlan(plan, inputs.map(hostOfInput));
    return outputsOf(plan, (id, b) => hostBuffer(b, arrays[id]!));
  };

  /**
   * The cached plan of `outputs` and its inputs. Eager plans are keyed by the graph's value-free
   * structure, as on cpu: its float32 scalars are read from a parameter array (params.ts), so a
   * loop over distinct scalars (`x.mul(i)`) schedules one plan and compiles one kernel instead of
   * one per step (each a new plan, kernel and, for host kernels, JS function: the caches churned
   * and the heap grew per step).
   */
  function planOf(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): { plan: Plan; args: PlanInput[] } {
    const isBuffer = (n: Node) => n.prim === "data" || known(n) !== undefined;
    const outSet = new Set(outputs);
    const nodes = topoSort(outputs, isBuffer);
    const key = graphKey(nodes, outputs, isBuffer, (n) => isParameter(n, outSet));
    let entry = plans.get(key);
    if (!entry) {
      const { outputs: outs, params } = parameterizeConstants(outputs, isBuffer);
      const made = scheduleGraph(outs, isBuffer, SCHEDULE);
      params?.release();
      const paramSlot = params ? made.inputs.findIndex((n) => n.prim === "data" && (n as Node<"data">).params.ref === params) : -1;
      entry = plans.set(key, { plan: made.plan, paramSlot });
    }
    const args: PlanInput[] = nodes.filter(isBuffer).map((n) => inputBuffer(n, known(n) ?? ((n as Node<"data">).params.ref as DataBuffer)));
    if (entry.paramSlot >= 0) args.splice(entry.paramSlot, 0, parameterValues(nodes, isBuffer, outSet));
    return { plan: entry.plan, args };
  }

  /** Eager realization (`dataSync`, a State commit): the values are wanted on the host. */
  function executeSync(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): DataBuffer[] {
    const { plan, args } = planOf(outputs, known);
    return runPlan(plan, args, false);
  }

  /**
   * `await t.data()` / `await t.item()` of an unrealized value: the kernels run now (synchronously,
   * as GPU.js does), and on WebGL with pipelining the plan's outputs are read back without
   * blocking (gpujs-read.ts); elsewhere as `executeSync`.
   */
  async function execute(outputs: readonly Node[], known: (n: Node) => DataBuffer | undefined): Promise<DataBuffer[]> {
    const { plan, args } = planOf(outputs, known);
    return gpujsPipelined() ? runPipelinedAsync(steps, plan, args) : runPlan(plan, args, false);
  }

  function compile(graph: Graph): CompiledGraph {
    const position = new Map(graph.inputs.map((n, i) => [n, i]));
    const isBuffer = (n: Node) => n.prim === "data" || position.has(n);
    const { plan, inputs } = scheduleGraph(graph.outputs, isBuffer, SCHEDULE);
    return {
      // A jitted call's outputs stay on the GPU (WebGL): the next call binds them, a read brings them over.
      run(bufs) {
        const args = inputs.map((n) => {
          const p = position.get(n);
          return inputBuffer(n, p === undefined ? ((n as Node<"data">).params.ref as DataBuffer) : bufs[p]);
        });
        return runPlan(plan, args, gpujsResident());
      },
      kernels: steps.planKernels(plan, "gpujs"),
      stats: plan.stats,
    };
  }

  const readSync = (buf: DataBuffer, op: string): TypedArray => {
    // A resident value is read from its texture here (DataBuffer.readDeviceWith), then kept.
    const host = buf.host;
    if (!host) throw new DisposedError(`${op}: a tensor of ${buf.dtype}[${buf.size}] was read after dispose()`);
    return host;
  };
  return {
    name: "gpujs",
    canSync: true,
    compile,
    executeSync,
    execute,
    // `await data()` of a resident value: read without blocking on the GPU where WebGL2 allows.
    read: async (buf) => {
      const t = buf.hasHost ? null : residentTexture(buf);
      if (!t) return readSync(buf, "data");
      const made = residentMade(buf), asked = performance.now();
      const blockNow = made ? () => readBlocks(made.at, readTimes.expect(made.key), gpujsBlockingReadMs()) : undefined;
      const a = await readTextureAsAsync(`a ${buf.dtype}[${buf.size}] result`, t, buf.dtype, buf.size, { blockNow });
      if (made) readTimes.observe(made.key, made.at, asked, performance.now());
      return a;
    },
    readSync: (buf) => readSync(buf, "dataSync"),
  };
}
