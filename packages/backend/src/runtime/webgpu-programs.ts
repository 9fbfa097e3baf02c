/**
 * Compiled WGSL programs, and where each plan step runs.
 *
 * Pipelines are cached by the structural hash of the kernel IR (its canonical text, as the CPU
 * kernel cache): the same fused kernel from any graph is rendered and compiled once per device.
 * An optional persistent store (`setWgslSourceStore`) keeps rendered WGSL across processes or page
 * loads, keyed by the same hash and the adapter's tuning.
 *
 * Library steps with a WGSL version (arg-reductions, cumsum, scatters: render/wgsl-library.ts) run
 * on the device too. Steps the device cannot run execute on the host with the CPU backend's code:
 * factorizations and control flow (runtime/library.ts) and kernels touching float64 (WGSL has no
 * 64-bit float). Their inputs are read back and their output
 * uploaded when a device kernel needs it.
 */
import { type DType, LruCache, type TypedArray } from "@kiln/core";
import { type Kernel, type Stmt, fnv1a, printKernelBody } from "../kernel.js";
import { type KernelStep, type LibrarySpec } from "../schedule.js";
import { allocTypedArray } from "../storage.js";
import { compileKernel } from "../cache.js";
import { type WgslProgram, renderWgslProgram } from "../render/wgsl-kernel.js";
import { WGSL_LIBRARY, renderLibrary } from "../render/wgsl-library.js";
import { LIBRARY } from "./library.js";
import { type GpuContext } from "./webgpu-device.js";

export interface CompiledProgram {
  readonly program: WgslProgram;
  readonly pipelines: readonly GPUComputePipeline[];
  readonly layouts: readonly GPUBindGroupLayout[];
  readonly generation: number;
  /** The WGSL of every dispatch, for `lower()` and error reports. */
  readonly source: string;
}

/** A dispatch compiled with some input parameters read through the output's binding. */
export interface AliasedDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

const aliasCache = new WeakMap<CompiledProgram, Map<string, AliasedDispatch>>();

/**
 * Dispatch `i` of a program with the input parameters `params` reading the output's buffer (a
 * donated input whose storage became the output): WebGPU forbids binding one buffer as both
 * read-only and read-write storage in a dispatch, so those parameters' bindings are dropped and
 * their reads go through `b0`. Only kernels that read each aliased element in the invocation that
 * overwrites it, before it does, are given aliases (runtime/donate.ts's `inPlaceSafe`).
 */
export function aliasedDispatch(ctx: GpuContext, compiled: CompiledProgram, i: number, params: readonly number[]): AliasedDispatch {
  let cache = aliasCache.get(compiled);
  if (!cache) aliasCache.set(compiled, (cache = new Map()));
  const key = `${i}:${params.join(",")}`;
  let hit = cache.get(key);
  if (!hit) {
    let source = compiled.program.dispatches[i]!.source;
    for (const p of params) {
      source = source
        .split("\n")
        .filter((l) => !new RegExp(`var<storage, read> b${p}: `).test(l))
        .join("\n")
        .replace(new RegExp(`\\bb${p}\\[`, "g"), "b0[");
    }
    const pipeline = ctx.device.createComputePipeline({ layout: "auto", compute: { module: ctx.device.createShaderModule({ code: source }), entryPoint: "main" } });
    cache.set(key, (hit = { pipeline, layout: pipeline.getBindGroupLayout(0) }));
  }
  return hit;
}

/** A persistent store of rendered WGSL (e.g. localStorage in a browser, a directory in Node). */
export interface WgslSourceStore {
  get(key: string): string | undefined | null;
  set(key: string, value: string): void;
}

let store: WgslSourceStore | null = null;

/**
 * Installs (or removes, with null) a persistent store of rendered WGSL programs.
 * @example
 * setWgslSourceStore({ get: (k) => localStorage.getItem(k), set: (k, v) => localStorage.setItem(k, v) });
 */
export function setWgslSourceStore(s: WgslSourceStore | null): void {
  store = s;
}

/** The installed persistent store, if any (the tuner keeps its measurements there too). */
export function wgslSourceStore(): WgslSourceStore | null {
  return store;
}

const stats = { compiles: 0, lookups: 0, storeHits: 0 };
/** Programs kept compiled per process (as the JS kernel cache, cache.ts: a bounded LRU). */
const PROGRAM_CACHE_SIZE = 1024;
const byKey = new LruCache<string, CompiledProgram>(PROGRAM_CACHE_SIZE);
const keyOf = new WeakMap<Kernel, string>();

function kernelKey(k: Kernel): string {
  let key = keyOf.get(k);
  if (key === undefined) keyOf.set(k, (key = printKernelBody(k.params, k.body)));
  return key;
}

function renderStored(ctx: GpuContext, k: Kernel, key: string): WgslProgram {
  if (!store) return renderWgslProgram(k, ctx.tuning);
  const id = `kiln-wgsl:${fnv1a(JSON.stringify(ctx.tuning))}:${fnv1a(key)}:${key.length}`;
  const hit = store.get(id);
  if (hit) {
    try {
      const prog = JSON.parse(hit) as { dispatches: WgslProgram["dispatches"]; scratch: WgslProgram["scratch"]; paramSizes: [number, number][] };
      stats.storeHits++;
      return { ...prog, paramSizes: new Map(prog.paramSizes) };
    } catch {
      // a corrupt entry: render again
    }
  }
  const prog = renderWgslProgram(k, ctx.tuning);
  store.set(id, JSON.stringify({ ...prog, paramSizes: [...prog.paramSizes] }));
  return prog;
}

/** The compiled program of a kernel on this device (rendered and compiled on first use). */
export function compiledProgram(ctx: GpuContext, k: Kernel): CompiledProgram {
  const key = kernelKey(k);
  return compiledBy(ctx, key, k.name, () => renderStored(ctx, k, key));
}

/**
 * The compiled program of a library step (render/wgsl-library.ts), or null when it has no WGSL
 * version. Keyed by the operation, its parameters, shapes and dtypes.
 */
export function compiledLibrary(ctx: GpuContext, spec: LibrarySpec, inDtypes: readonly DType[]): CompiledProgram | null {
  if (!WGSL_LIBRARY.has(spec.name)) return null;
  const key = `library:${spec.name}:${JSON.stringify(spec.params)}:${JSON.stringify(spec.inShapes)}:${JSON.stringify(spec.outShape)}:${spec.dtype}:${inDtypes.join(",")}`;
  return compiledBy(ctx, key, `library_${spec.name}`, () => renderLibrary(spec, inDtypes, ctx.tuning)!);
}

function compiledBy(ctx: GpuContext, key: string, name: string, render: () => WgslProgram): CompiledProgram {
  stats.lookups++;
  const hit = byKey.get(key);
  if (hit && hit.generation === ctx.generation) return hit;
  const program = render();
  const device = ctx.device;
  const pipelines = program.dispatches.map((d) => {
    device.pushErrorScope("validation");
    const p = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code: d.source }), entryPoint: "main" } });
    void device.popErrorScope().then((err) => {
      if (!err) return;
      // Reported by the next read; the program is compiled again when next needed.
      ctx.error ??= `${err.message}\n--- WGSL of ${name} ---\n${d.source}`;
      if (byKey.peek(key)?.pipelines.includes(p)) byKey.delete(key);
    });
    return p;
  });
  const compiled: CompiledProgram = {
    program, pipelines, layouts: pipelines.map((p) => p.getBindGroupLayout(0)), generation: ctx.generation,
    source: program.dispatches.map((d, i) => `// ${name}: dispatch ${i + 1} of ${program.dispatches.length}, workgroups [${d.groups}]\n${d.source}`).join("\n\n"),
  };
  stats.compiles++;
  byKey.set(key, compiled);
  return compiled;
}

/**
 * Counts of the WGSL program cache: `compiles` (programs rendered and compiled), `entries`,
 * `lookups`, `storeHits` (programs taken from the persistent store).
 * @example
 * webgpuCacheStats().compiles; // grows by one per distinct fused kernel
 */
export function webgpuCacheStats(): { compiles: number; entries: number; lookups: number; storeHits: number } {
  return { ...stats, entries: byKey.size };
}

/** Drops every compiled program (runtime/webgpu.ts's `clearWebgpuCache` also drops plans). */
export function clearProgramCache(): void {
  byKey.clear();
}

// ------------------------------------------------------------------ host steps

function hasFloat64Math(stmts: readonly Stmt[]): boolean {
  return stmts.some((s) =>
    (s.s === "let" && s.value.op === "alu" && s.value.dtype === "float64") ||
    ((s.s === "loop" || s.s === "if") && hasFloat64Math(s.body)));
}

/** Why a step must run on the host, or null when it runs on the device. `dtypeOf`: a plan buffer's dtype. */
export function hostReason(step: KernelStep, dtypeOf: (id: number) => DType): string | null {
  if (step.library) {
    if (!WGSL_LIBRARY.has(step.library.name)) return `library kernel ${step.library.name}`;
    return step.bindings.some((id) => dtypeOf(id) === "float64") ? "float64 values (WGSL has no 64-bit float)" : null;
  }
  const k = step.kernel!;
  const params = k.params.filter((p) => p.role !== "scratch");
  if (params.some((p) => p.dtype === "float64")) return "float64 values (WGSL has no 64-bit float)";
  if (step.kind === "matmul") {
    // The reference accumulates integer products exactly (float64); f32 tiles would not.
    if (params[0] && params[0].dtype !== "float32" && params[0].dtype !== "float16") return `${params[0].dtype} contraction`;
    return null;
  }
  return hasFloat64Math(k.body) ? "float64 arithmetic" : null;
}

/** Runs a host step on host arrays (the CPU backend's kernels), returning its output. */
export function runHostStep(step: KernelStep, ins: readonly TypedArray[], outDtype: Parameters<typeof allocTypedArray>[0], outSize: number): TypedArray {
  const out = allocTypedArray(outDtype, outSize);
  if (step.library) {
    LIBRARY[step.library.name]!(step.library, ins, out);
    return out;
  }
  const k = step.kernel!;
  let j = 0;
  const args = k.params.map((p, i) => (i === 0 ? out : p.role === "scratch" ? allocTypedArray(p.dtype, p.size) : ins[j++]!));
  compileKernel(k).run(...args);
  return out;
}
