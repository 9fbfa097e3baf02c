/**
 * Compiled WGSL programs, and where each plan step runs.
 *
 * Pipelines are cached by the structural hash of the kernel IR (its canonical text, as the CPU
 * kernel cache): the same fused kernel from any graph is rendered and compiled once per device.
 * An optional persistent store (`setWgslSourceStore`, targets/webgpu/webgpu-store.ts) keeps rendered WGSL
 * across processes or page loads, keyed by the renderer, the adapter's tuning and a hash of the
 * kernel IR, and integrity-checked before use.
 *
 * Every shader module's compilation messages are checked (`getCompilationInfo`): an error is
 * reported at the next read as a `KernelCompileError` naming the kernel, the dispatch and the
 * WGSL line, ahead of the "invalid pipeline" errors that follow from it.
 *
 * Library steps with a WGSL version (arg-reductions, cumsum, scatters: targets/webgpu/wgsl-library.ts) run
 * on the device too. Steps the device cannot run execute on the host with the CPU backend's code:
 * factorizations, control flow whose sub-graphs cannot run on the device (host/library.ts) and kernels touching float64 (WGSL has no
 * 64-bit float). Their inputs are read back and their output
 * uploaded when a device kernel needs it.
 */
import { type DType, KernelCompileError, LruCache, type TypedArray } from "@kiln/core";
import { type Kernel, type Stmt, fnv1a, printKernelBody } from "../../kernel.js";
import { opOfLine } from "../../render/base.js";
import { type KernelStep, type LibrarySpec } from "../../schedule.js";
import { allocTypedArray } from "../../storage.js";
import { type WgslProgram, renderWgslProgram } from "./wgsl-kernel.js";
import { WGSL_LIBRARY, renderLibrary } from "./wgsl-library.js";
import { type GpuContext } from "./webgpu-device.js";
import { type WgslSourceStore, decodeEntry, encodeEntry, reportStoreProblem, storeKey } from "./webgpu-store.js";

export { type WgslSourceStore, type WgslStoreProblem } from "./webgpu-store.js";

export interface CompiledProgram {
  readonly program: WgslProgram;
  readonly pipelines: readonly GPUComputePipeline[];
  readonly layouts: readonly GPUBindGroupLayout[];
  readonly generation: number;
  /** The WGSL of every dispatch, for `lower()` and error reports. */
  readonly source: string;
  /** Set when a dispatch failed to compile: plans holding it are built again. */
  failed: boolean;
  /**
   * Set once every dispatch's compilation was checked without error. Until then a plan holding
   * the program is submitted alone (webgpu-queue.ts's `recordPass`): a failed shader invalidates
   * the command buffer it is recorded in, and with it any other work batched there.
   */
  verified: boolean;
}

/** A dispatch compiled with some input parameters read through the output's binding. */
export interface AliasedDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

const aliasCache = new WeakMap<CompiledProgram, Map<string, AliasedDispatch>>();

/**
 * Dispatch `i` of a program with input parameters reading an output's buffer (`pairs`: input
 * parameter, output parameter; a donated input whose storage became that output): WebGPU forbids
 * binding one buffer as both read-only and read-write storage in a dispatch, so those parameters'
 * bindings are dropped and their reads go through the output's. Only kernels that read each
 * aliased element in the invocation that overwrites it, before it does, are given aliases
 * (host/donate.ts's `inPlaceSafe`); an invocation that stores a quad of elements at once
 * (wgsl-kernel.ts `threadQuads`, wgsl-matmul.ts `epq_`) reads all four before its store.
 */
export function aliasedDispatch(ctx: GpuContext, compiled: CompiledProgram, i: number, pairs: readonly (readonly [number, number])[]): AliasedDispatch {
  let cache = aliasCache.get(compiled);
  if (!cache) aliasCache.set(compiled, (cache = new Map()));
  const key = `${i}:${pairs.map(([p, o]) => `${p}>${o}`).join(",")}`;
  let hit = cache.get(key);
  if (!hit) {
    let source = compiled.program.dispatches[i]!.source;
    for (const [p, o] of pairs) {
      source = source
        .split("\n")
        .filter((l) => !new RegExp(`var<storage, read> b${p}: `).test(l))
        .join("\n");
      // An output stored a quad at a time is declared as vec4s: a scalar read of element x is
      // component x % 4 of quad x / 4 (an index is one name or literal: no brackets inside).
      source = new RegExp(`var<storage, read_write> b${o}: array<vec4<`).test(source)
        ? source.replace(new RegExp(`\\bb${p}\\[([^\\[\\]]+)\\]`, "g"), (_, x: string) => `b${o}[(${x}) / 4][(${x}) % 4]`)
        : source.replace(new RegExp(`\\bb${p}\\[`, "g"), `b${o}[`);
    }
    const pipeline = ctx.device.createComputePipeline({ layout: "auto", compute: { module: ctx.device.createShaderModule({ code: source }), entryPoint: "main" } });
    cache.set(key, (hit = { pipeline, layout: pipeline.getBindGroupLayout(0) }));
  }
  return hit;
}

let store: WgslSourceStore | null = null;

/** Installs (or removes, with null) the persistent store; public as webgpu-api.ts's `setWgslSourceStore`. */
export function setWgslSourceStore(s: WgslSourceStore | null): void {
  store = s;
}

/** The installed persistent store, if any (the tuner keeps its measurements there too). */
export function wgslSourceStore(): WgslSourceStore | null {
  return store;
}

const stats = { compiles: 0, lookups: 0, storeHits: 0, storeProblems: 0 };
/** Store keys whose program failed to compile: rendered again and replaced, never read. */
const distrusted = new Set<string>();
/** Programs kept compiled per process (as the JS kernel cache, targets/js/kernel-cache.ts: a bounded LRU). */
const PROGRAM_CACHE_SIZE = 1024;
const byKey = new LruCache<string, CompiledProgram>(PROGRAM_CACHE_SIZE);
const keyOf = new WeakMap<Kernel, string>();

function kernelKey(k: Kernel): string {
  let key = keyOf.get(k);
  if (key === undefined) keyOf.set(k, (key = printKernelBody(k.params, k.body)));
  return key;
}

function problem(s: WgslSourceStore, kind: "corrupt" | "get" | "set" | "compile", id: string, kernel: string, message: string): void {
  stats.storeProblems++;
  reportStoreProblem(s, { kind, key: id, kernel, message });
}

/** A kernel's program from the store when a valid entry exists, else rendered (and stored). */
function renderStored(ctx: GpuContext, k: Kernel, key: string): { program: WgslProgram; storeId: string | null } {
  const s = store;
  if (!s) return { program: renderWgslProgram(k, ctx.tuning), storeId: null };
  const id = storeKey(fnv1a(JSON.stringify(ctx.tuning)), key);
  if (!distrusted.has(id)) {
    let hit: string | undefined | null = null;
    try {
      hit = s.get(id);
    } catch (e) {
      problem(s, "get", id, k.name, `get() threw: ${(e as Error)?.message ?? String(e)}`);
    }
    if (hit) {
      try {
        const program = decodeEntry(hit, key);
        stats.storeHits++;
        return { program, storeId: id };
      } catch (e) {
        problem(s, "corrupt", id, k.name, `entry rejected: ${(e as Error).message}`);
      }
    }
  }
  const program = renderWgslProgram(k, ctx.tuning);
  try {
    s.set(id, encodeEntry(key, program));
    distrusted.delete(id);
  } catch (e) {
    problem(s, "set", id, k.name, `set() threw: ${(e as Error)?.message ?? String(e)}`);
  }
  return { program, storeId: null };
}

/** The compiled program of a kernel on this device (rendered and compiled on first use). */
export function compiledProgram(ctx: GpuContext, k: Kernel): CompiledProgram {
  const key = kernelKey(k);
  return compiledBy(ctx, key, k.name, () => renderStored(ctx, k, key));
}

/**
 * A program rendered outside the kernel IR (a scan's workgroup loop, wgsl-group-loop.ts), compiled
 * once per `key` (its source) and checked like every other.
 * @example
 * const compiled = compiledWgsl(ctx, group.key, group.name, group.program);
 */
export function compiledWgsl(ctx: GpuContext, key: string, name: string, program: WgslProgram): CompiledProgram {
  return compiledBy(ctx, key, name, () => ({ program, storeId: null }));
}

/**
 * The compiled program of a library step (targets/webgpu/wgsl-library.ts), or null when it has no WGSL
 * version. Keyed by the operation, its parameters, shapes and dtypes.
 */
export function compiledLibrary(ctx: GpuContext, spec: LibrarySpec, inDtypes: readonly DType[]): CompiledProgram | null {
  if (!WGSL_LIBRARY.has(spec.name)) return null;
  const key = `library:${spec.name}:${JSON.stringify(spec.params)}:${JSON.stringify(spec.inShapes)}:${JSON.stringify(spec.outShape)}:${spec.dtype}:${inDtypes.join(",")}`;
  return compiledBy(ctx, key, `library_${spec.name}`, () => ({ program: renderLibrary(spec, inDtypes, ctx.tuning)!, storeId: null }));
}

/**
 * The compiler's error messages for one dispatch, each with its WGSL line, or null when it has none.
 * @example
 * // "elementwise_lt_1f2e3d4c, dispatch 1 of 1: WGSL line 31:14 (op lt): no matching overload for operator < (bool, bool)\n  let t2 = (t0 < t1); // op lt"
 */
export function compileMessages(name: string, i: number, n: number, source: string, messages: readonly GPUCompilationMessage[]): string | null {
  const lines = source.split("\n");
  const errors = messages.filter((m) => m.type === "error").map((m) => {
    const line = m.lineNum > 0 ? lines[m.lineNum - 1] : undefined;
    const op = opOfLine(line);
    const text = line !== undefined ? `\n  ${line.trim()}` : "";
    return `${name}, dispatch ${i + 1} of ${n}: WGSL line ${m.lineNum}:${m.linePos}${op ? ` (op ${op})` : ""}: ${m.message}${text}`;
  });
  return errors.length ? errors.join("\n") : null;
}

/**
 * Checks a compiled dispatch: its shader's compilation messages and the pipeline's validation
 * errors. A failure is recorded on the context (reported as a KernelCompileError by the next
 * read) and drops the program from the cache; a program from the store is distrusted.
 */
function checkCompiled(
  ctx: GpuContext, key: string, name: string, i: number, n: number, source: string, module: GPUShaderModule,
  scope: Promise<GPUError | null>, storeId: string | null, drop: () => void, ok: () => void,
): void {
  const check = Promise.all([module.getCompilationInfo().then((info) => info.messages).catch(() => []), scope]).then(([messages, err]) => {
    const msg = compileMessages(name, i, n, source, messages) ?? (err ? `${name}, dispatch ${i + 1} of ${n}: ${err.message}` : null);
    if (!msg) return ok();
    ctx.compileError ??= msg;
    drop();
    if (storeId !== null && store) {
      distrusted.add(storeId);
      problem(store, "compile", storeId, name, `the stored program does not compile: ${msg}`);
    }
  });
  ctx.pending.add(check);
  void check.finally(() => ctx.pending.delete(check));
}

function compiledBy(ctx: GpuContext, key: string, name: string, render: () => { program: WgslProgram; storeId: string | null }): CompiledProgram {
  stats.lookups++;
  const hit = byKey.get(key);
  if (hit && hit.generation === ctx.generation) return hit;
  const { program, storeId } = render();
  const device = ctx.device;
  const n = program.dispatches.length;
  const drop = () => {
    compiled.failed = true;
    if (byKey.peek(key) === compiled) byKey.delete(key);
  };
  let unchecked = n;
  const ok = () => void (--unchecked === 0 && !compiled.failed && (compiled.verified = true));
  const made = program.dispatches.map((d, i) => {
    // One scope around everything made from the module: no "invalid pipeline" error escapes
    // as an uncaptured error ahead of the compile error that caused it.
    device.pushErrorScope("validation");
    const label = `${name} dispatch ${i + 1}`;
    const module = device.createShaderModule({ code: d.source, label });
    const pipeline = device.createComputePipeline({ label, layout: "auto", compute: { module, entryPoint: "main" } });
    const layout = pipeline.getBindGroupLayout(0);
    checkCompiled(ctx, key, name, i, n, d.source, module, device.popErrorScope(), storeId, () => drop(), ok);
    return { pipeline, layout };
  });
  const pipelines = made.map((m) => m.pipeline);
  const compiled: CompiledProgram = {
    program, pipelines, layouts: made.map((m) => m.layout), generation: ctx.generation,
    failed: false,
    verified: n === 0,
    source: program.dispatches.map((d, i) => `// ${name}: dispatch ${i + 1} of ${program.dispatches.length}, workgroups [${d.groups}]\n${d.source}`).join("\n\n"),
  };
  stats.compiles++;
  byKey.set(key, compiled);
  return compiled;
}

/** The program cache's counts; public as webgpu-api.ts's `webgpuCacheStats`. */
export function webgpuCacheStats(): { compiles: number; entries: number; lookups: number; storeHits: number; storeProblems: number } {
  return { ...stats, entries: byKey.size };
}

/** Drops every compiled program (targets/webgpu/webgpu.ts's `clearWebgpuCache` also drops plans). */
export function clearProgramCache(): void {
  byKey.clear();
  distrusted.clear();
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
    // The WGSL tile programs are float32 (vec4<f32>): int32 contractions, whose products must
    // wrap like int32 arithmetic, and bool ones run their JS kernel on the host instead.
    if (params[0] && params[0].dtype !== "float32" && params[0].dtype !== "float16" && params[0].dtype !== "bfloat16") return `${params[0].dtype} contraction`;
    return null;
  }
  return hasFloat64Math(k.body) ? "float64 arithmetic" : null;
}
