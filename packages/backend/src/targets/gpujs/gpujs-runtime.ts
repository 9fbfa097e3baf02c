/**
 * The GPU.js runtime: one lazily created `GPU` instance (the optional `gpu.js` package, loaded by
 * `init()` with a dynamic import whose specifier bundlers leave alone), and GPU.js kernels compiled
 * once per kernel IR (keyed by its canonical text, bounded LRU; an evicted kernel is destroyed).
 */
import { BackendUnavailableError, KernelCompileError, LruCache, ValueError } from "@kiln/core";
import { type Kernel, kernelText } from "../../kernel.js";
import { type HostOnly } from "./gpujs-alu.js";
import { type GpujsKernelSource, type GpujsRenderOptions, renderGpujs } from "./gpujs-render.js";
import { readbackCounts } from "./gpujs-read.js";
import { evacuateResidents, residentCounts } from "./gpujs-resident.js";
import { clearKeptUploads, keptUploadCounts } from "./gpujs-upload.js";
import { type BlockRows } from "./gpujs-tiled.js";

/** GPU.js modes kiln runs on: its synchronous ones (`async` kernels return promises; not supported yet). */
export const GPUJS_MODES = ["gpu", "webgl2", "webgl", "headlessgl", "webasm", "cpu"] as const;
export type GpujsMode = (typeof GPUJS_MODES)[number];

/** What kiln uses of a GPU.js kernel: called with the inputs, returns the output. */
interface GpujsKernelFn {
  (...args: unknown[]): unknown;
  destroy?(removeCanvasReferences?: boolean): void;
}
interface GpujsInstance {
  readonly mode?: string;
  /** The kernel class; GL ones report their context's MAX_DRAW_BUFFERS as `features.channelCount`. */
  readonly Kernel?: { readonly mode?: string; readonly features?: { readonly channelCount?: number } };
  createKernel(source: string, settings: Record<string, unknown>): GpujsKernelFn;
  createKernelMap(subKernels: readonly string[], source: string, settings: Record<string, unknown>): GpujsKernelFn;
  destroy(): unknown;
}
type GpujsClass = new (settings?: Record<string, unknown>) => GpujsInstance;
/** The package's exports: `GPU` and its kernel classes (also static properties of `GPU` in its browser build). */
type GpujsExports = { readonly GPU?: GpujsClass } & { readonly [K in (typeof KERNEL_CLASSES)[number][1]]?: unknown };
type GpujsModule = GpujsExports & { default?: GpujsExports };

/**
 * The kernel class behind each mode. GPU.js's own `Kernel.mode` says only "gpu" for all its GL
 * kernels (WebGL2, WebGL, headless GL), so the mode is read from which class it chose.
 */
const KERNEL_CLASSES = [
  ["webgl2", "WebGL2Kernel"], ["webgl", "WebGLKernel"], ["headlessgl", "HeadlessGLKernel"], ["webgpu", "WebGPUKernel"],
  ["webasm", "WebAssemblyKernel"], ["cpu", "CPUKernel"],
] as const;

/** Not a literal: bundlers of browser builds that do not use GPU.js leave the package out. */
const GPUJS_PACKAGE = "gpu.js";

let gpu: GpujsInstance | null = null;
/** Where the kernel classes are: the module, its default export, or statics of `GPU` (browser build). */
let libs: readonly (GpujsExports | undefined)[] = [];
let unavailable: string | null = null;

/** Options of `init({ gpujs })`. */
export interface GpujsInitOptions {
  /** The GPU.js mode (default: GPU.js's own choice — `webgl2`/`webgl` in browsers, `webasm` in Node). */
  readonly mode?: GpujsMode;
  /**
   * On WebGL, keep the values between the kernels of a plan as GPU.js textures (`pipeline: true`)
   * and read back only what leaves the plan (default true; false reads every kernel's output back,
   * for comparison). No effect in the CPU modes, whose kernels return typed arrays.
   */
  readonly pipeline?: boolean;
  /**
   * With pipelining, keep a jitted call's outputs on the GPU as textures until something reads
   * them, so the next call binds a State's value without reading it back and uploading it again
   * (default true; false reads them back when the call returns, for comparison).
   */
  readonly resident?: boolean;
  /**
   * On WebGL, the most rows of a tiled contraction's output blocks, one render target each: 4 or
   * 8 (default 8; 4 where the context has fewer than 8 draw buffers). 4 is for comparison and tests.
   */
  readonly blockRows?: BlockRows;
  /**
   * On WebGL, let the tiled contractions' block loops fetch at texel coordinates stepped per
   * thread where the operands' texture layouts allow (default true; false computes every fetch's
   * coordinates from its flat index, for comparison and tests: the results are bit-identical).
   */
  readonly directFetch?: boolean;
  /**
   * On WebGL2, an asynchronous read (`await data()`) whose GPU work is expected to finish within
   * this many milliseconds (learned from the plan's earlier reads) yields one task to the event loop
   * and then reads blocking, instead of waiting on a fence — which Chromium reports 1–5 ms after the
   * GPU finished. Default 16 (a frame at 60 Hz); 0: every asynchronous read waits on a fence.
   */
  readonly blockingReadMs?: number;
}

/** The GPU.js modes that run kernels as GL shaders over textures. */
const GL_MODES: ReadonlySet<string> = new Set(["webgl2", "webgl", "headlessgl"]);
let pipelineWanted = true;
let residentWanted = true;
let blockRowsWanted: BlockRows = 8;
let directFetchWanted = true;
let blockingReadMs = 16;

/**
 * The longest GPU work an asynchronous read waits for blocking, after one task (`init({ gpujs: { blockingReadMs } })`).
 * @example gpujsBlockingReadMs(); // 16
 */
export function gpujsBlockingReadMs(): number {
  return blockingReadMs;
}

/**
 * Whether gpujs kernels return textures that stay on the GPU between the kernels of a plan: on
 * WebGL, unless `init({ gpujs: { pipeline: false } })`.
 * @example await init(); gpujsPipelined(); // false in Node (webasm), true in a browser on WebGL
 */
export function gpujsPipelined(): boolean {
  return pipelineWanted && gpujsOnGl();
}

/**
 * Whether a jitted call's outputs stay on the GPU as textures until read (gpujs-resident.ts):
 * with pipelining, unless `init({ gpujs: { resident: false } })`.
 * @example await init(); gpujsResident(); // true in a browser on WebGL, false in Node (webasm)
 */
export function gpujsResident(): boolean {
  return residentWanted && gpujsPipelined();
}

/** Whether GPU.js runs kernels as WebGL shaders (the tiled contraction form and texel layouts apply). */
export function gpujsOnGl(): boolean {
  const mode = gpujsMode();
  return mode !== null && GL_MODES.has(mode);
}

/**
 * How gpujs renders kernels for the current mode: tiled contractions on WebGL, in blocks of 8 rows
 * where the context has 8 draw buffers (else 4, which WebGL2 guarantees).
 * @example await init(); gpujsRenderOptions(); // { tiled: true, blockRows: 8, directFetch: true } in Chromium on SwiftShader
 */
export function gpujsRenderOptions(): GpujsRenderOptions {
  const tiled = gpujsOnGl();
  return { tiled, blockRows: tiled && blockRowsWanted === 8 && (gpu?.Kernel?.features?.channelCount ?? 4) >= 8 ? 8 : 4, directFetch: directFetchWanted };
}

/**
 * Loads GPU.js and creates the one `GPU` instance (once; a later call with another mode replaces
 * it). Resolves to null, with the reason kept for `backends()`, when the package is not installed.
 * @example
 * await acquireGpujs({ mode: "cpu" }); gpujsMode(); // "cpu"
 */
export async function acquireGpujs(opts: GpujsInitOptions = {}): Promise<GpujsInstance | null> {
  if (opts.mode !== undefined && !(GPUJS_MODES as readonly string[]).includes(opts.mode)) {
    throw new ValueError(`init: gpujs.mode must be one of ${GPUJS_MODES.join(", ")}, got ${JSON.stringify(opts.mode)}`);
  }
  if (opts.blockRows !== undefined && opts.blockRows !== 4 && opts.blockRows !== 8) {
    throw new ValueError(`init: gpujs.blockRows must be 4 or 8, got ${JSON.stringify(opts.blockRows)}`);
  }
  if (opts.blockingReadMs !== undefined && !(typeof opts.blockingReadMs === "number" && opts.blockingReadMs >= 0 && opts.blockingReadMs <= 1000)) {
    throw new ValueError(`init: gpujs.blockingReadMs must be a number of milliseconds from 0 to 1000, got ${JSON.stringify(opts.blockingReadMs)}`);
  }
  if (opts.blockingReadMs !== undefined) blockingReadMs = opts.blockingReadMs;
  if (opts.pipeline !== undefined) pipelineWanted = opts.pipeline;
  if (opts.resident !== undefined) residentWanted = opts.resident;
  if (opts.blockRows !== undefined) blockRowsWanted = opts.blockRows;
  if (opts.directFetch !== undefined) directFetchWanted = opts.directFetch;
  if (gpu && (opts.mode === undefined || gpujsMode() === opts.mode || gpu.mode === opts.mode)) return gpu;
  let mod: GpujsModule;
  try {
    mod = (await import(/* @vite-ignore */ GPUJS_PACKAGE)) as GpujsModule;
  } catch (e) {
    unavailable = `the optional gpu.js package could not be loaded (npm install gpu.js): ${(e as Error).message.split("\n")[0]}`;
    return null;
  }
  const exports = mod.GPU ? mod : mod.default;
  const GPU = exports?.GPU;
  if (!exports || !GPU) {
    unavailable = "the gpu.js package has no GPU export";
    return null;
  }
  try {
    const made = new GPU(opts.mode ? { mode: opts.mode } : {});
    destroyGpujs();
    gpu = made;
    libs = [mod, mod.default, GPU as unknown as GpujsExports];
    unavailable = null;
    return gpu;
  } catch (e) {
    unavailable = `GPU.js cannot run in mode ${opts.mode ?? "(default)"} here: ${(e as Error).message.split("\n")[0]}`;
    return null;
  }
}

/** The GPU.js instance, if `init()` created one. */
export function currentGpujs(): GpujsInstance | null {
  return gpu;
}

/** Why GPU.js is not available (after `init()`). */
export function gpujsUnavailableReason(): string | null {
  return unavailable;
}

/**
 * The mode GPU.js runs kernels in (`webgl2`, `webgl`, `webasm`, `cpu`, …), or null before `init()`.
 * @example await init(); gpujsMode(); // "webasm" in Node, "webgl2" in a browser with WebGL2
 */
export function gpujsMode(): string | null {
  if (!gpu) return null;
  const classOf = (name: (typeof KERNEL_CLASSES)[number][1]) => libs.find((l) => l?.[name] !== undefined)?.[name];
  const chosen = KERNEL_CLASSES.find(([, cls]) => classOf(cls) === gpu!.Kernel);
  return chosen?.[0] ?? gpu.Kernel?.mode ?? gpu.mode ?? null;
}

/** A compiled GPU.js kernel, or the reason its kernel runs on the host. */
export type GpujsCompiled =
  | { readonly src: GpujsKernelSource; readonly fn: GpujsKernelFn; /** The kernel of `src.partials`, run first. */ readonly partials?: GpujsKernelFn }
  | HostOnly;

/** GPU.js kernels kept compiled (each holds a WebAssembly module or a shader program). */
export const GPUJS_KERNEL_CACHE_SIZE = 512;
const compiled = new LruCache<string, GpujsCompiled>(GPUJS_KERNEL_CACHE_SIZE, (_key, c) => {
  if (!("host" in c)) {
    // destroy() deletes the kernel's textures, also those resident values still hold.
    evacuateResidents((kernel) => kernel === c.fn);
    c.fn.destroy?.();
    c.partials?.destroy?.();
  }
});
const counters = { compiles: 0, tiled: 0, runs: 0, hostKernels: 0, uploads: 0, uploadedBytes: 0 };

/** GPU.js kernels created so far (a run that created one took its compile time: no read-time sample). */
export function gpujsCompiles(): number {
  return counters.compiles;
}

function requireGpujs(): GpujsInstance {
  if (!gpu) throw new BackendUnavailableError(`the gpujs backend is not available: ${unavailable ?? "not initialized: await init() first"}`);
  return gpu;
}

/**
 * The GPU.js kernel of `k` (rendered and created on first use), or why it runs on the host.
 * `textures`: which of the kernel's parameters are bound to textures of which GPU.js class (a mask,
 * one character per parameter; gpujs.ts `textureMask`) when any is: a GPU.js WebGL kernel is
 * built for the classes of its arguments and does not settle when they change on a later call (a
 * State's value left on the GPU by the previous call, gpujs-resident.ts; the same kernel in two
 * plans fed by kernels of different output classes), so each combination is its own kernel.
 * @example
 * const c = gpujsKernel(kernel);
 * if (!("host" in c)) c.src.source; // the GPU.js kernel function
 */
export function gpujsKernel(k: Kernel, textures = ""): GpujsCompiled {
  // A kernel is created with or without pipeline output: both kinds can be cached side by side.
  const opts = gpujsRenderOptions(), gl = opts.tiled === true;
  const key = `${gpujsPipelined() ? "pipeline:" : ""}${gl ? `gl${opts.blockRows}${opts.directFetch ? "d" : ""}:` : ""}${textures ? `args ${textures}:` : ""}${kernelText(k)}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const src = renderGpujs(k, opts);
  if ("host" in src) {
    counters.hostKernels++;
    return compiled.set(key, src);
  }
  const g = requireGpujs();
  const create = (s: GpujsKernelSource): GpujsKernelFn => {
    try {
      const settings = kernelSettings(s, gl);
      const fn = s.targets ? g.createKernelMap(s.targets, s.source, settings) : g.createKernel(s.source, settings);
      counters.compiles++;
      if (s.lanes > 1 && !s.targets) counters.tiled++;
      return fn;
    } catch (e) {
      throw gpujsCompileError(s, e);
    }
  };
  const partials = src.partials ? create(src.partials) : undefined;
  return compiled.set(key, { src, fn: create(src), ...(partials ? { partials } : {}) });
}

/**
 * GPU.js settings of a rendered kernel. On WebGL every kernel's output holds four values per RGBA
 * texel, as GPU.js uploads host arrays: scalar kernels with `optimizeFloatMemory`, tiled ones
 * (and each render target of a block kernel) returning `Array(4)` — so the tiled form's texel
 * reads (gpujs-tiled.ts) read any value alike. Tiled kernels always return textures (read back by
 * gpujs.ts); pipelined kernels return fresh textures per call (immutable), which the caller deletes.
 */
function kernelSettings(src: GpujsKernelSource, gl: boolean): Record<string, unknown> {
  const pipeline = gpujsPipelined() || src.lanes > 1;
  const common = { tactic: "precision", precision: "single", dynamicOutput: false, pipeline, immutable: pipeline };
  if (src.lanes === 1) return { ...common, output: src.width ? [src.width, src.size / src.width] : [src.size], optimizeFloatMemory: gl };
  const natives = (src.natives ?? []).map((f) => ({ ...f, returnType: "Array(4)", argumentTypes: {} }));
  return { ...common, output: [Math.ceil(src.size / src.lanes)], returnType: `Array(${src.lanes})`, nativeFunctions: natives };
}

/** The error for a GPU.js kernel that GPU.js refuses: a renderer bug, reported with the source. */
export function gpujsCompileError(src: GpujsKernelSource, e: unknown): KernelCompileError {
  return new KernelCompileError(`kernel ${src.name}: GPU.js cannot compile it: ${(e as Error).message.split("\n")[0]}\n${src.source}`);
}

/** Counts an executed GPU.js kernel. */
export function countGpujsRun(): void {
  counters.runs++;
}

/** Counts a host array GPU.js uploads to a texture for a kernel call (WebGL). */
export function countGpujsUpload(bytes: number): void {
  counters.uploads++;
  counters.uploadedBytes += bytes;
}

/**
 * Counts of the GPU.js runtime: `compiles` (GPU.js kernels created; `tiled`: those of them in the
 * tiled contraction form, counted once for its block and epilogue kernels), `runs` (GPU.js kernel calls; a split reduction makes two),
 * `hostKernels` (distinct kernels sent to the host), `readbacks` (GPU.js results brought to
 * JavaScript arrays: one per kernel, or on WebGL with pipelining one per value leaving a plan or
 * feeding a host step; `asyncReadbacks`: those of them read without blocking, by `await data()`
 * on WebGL2; `blockingReads`: asynchronous reads of work expected to finish within
 * `blockingReadMs`, read blocking after one task instead of waiting on a fence), `uploads`/`uploadedBytes` (host arrays GPU.js uploaded to textures for kernel calls on
 * WebGL, each time a kernel is given one), `residentTextures` (values of jitted calls kept on the
 * GPU as textures, live now: gpujs-resident.ts), `residentReads` (those read back to JavaScript),
 * `keptUploads` (host values bound again and kept as textures, live now: gpujs-upload.ts) and
 * `keptUploadCopies` (such textures made; each also counts as an upload), `entries`.
 * @example
 * gpujsStats().runs; // grows by one per kernel GPU.js ran
 */
export function gpujsStats(): {
  compiles: number; tiled: number; runs: number; hostKernels: number; readbacks: number; asyncReadbacks: number; blockingReads: number;
  uploads: number; uploadedBytes: number; residentTextures: number; residentReads: number; keptUploads: number; keptUploadCopies: number; entries: number;
} {
  return { ...counters, ...readbackCounts(), ...residentCounts(), ...keptUploadCounts(), entries: compiled.size };
}

/**
 * Destroys every compiled GPU.js kernel and the `GPU` instance (`init()` creates a new one);
 * values kept on the GPU are read back to the host first.
 * @example destroyGpujs(); backends().find((b) => b.name === "gpujs")!.available; // false
 */
export function destroyGpujs(): void {
  // The textures go with the context: resident values come to the host first.
  evacuateResidents();
  clearKeptUploads();
  compiled.clear();
  gpu?.destroy();
  gpu = null;
}
