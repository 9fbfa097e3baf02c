/**
 * Backend selection (API.md §6): `backends()` lists what exists here, `await init()` resolves the
 * WebGPU adapter and applies the default, `setBackend(name)` chooses explicitly.
 *
 * The default is `webgpu` only on a hardware adapter; a software adapter (llvmpipe, SwiftShader)
 * computes correctly but usually slower than the CPU backend, so it is used only when named.
 */
import { BackendUnavailableError, ValueError, activeExecutor, describeValue, npUtil, registerExecutor, setExecutor } from "@kiln/core";
import { TARGETS, targetNamed } from "./targets/index.js";
import { type DeviceSummary } from "./targets/target.js";
import { type GpujsInitOptions } from "./targets/gpujs/gpujs-runtime.js";
import { type AdapterSummary } from "./targets/webgpu/webgpu-api.js";
import { setCpuThreads } from "./targets/wasm/cpu-threads.js";

export type BackendName = "cpu" | "webgpu" | "gpujs";

export interface BackendInfo {
  readonly name: BackendName;
  readonly available: boolean;
  /** The adapter's name (webgpu), once `init()` found one. */
  readonly adapter?: string;
  /** A software adapter: available when named, never the default. */
  readonly software?: boolean;
  /** Why the backend is not available. */
  readonly reason?: string;
}

let initialized = false;
/** Set by `setBackend`: an explicit choice that `init()` does not override. */
let chosen: string | null = null;

/**
 * The backends of this build and whether each can run here. WebGPU's adapter is known after
 * `await init()`.
 * @example
 * await init();
 * backends(); // [{ name: "cpu", available: true }, { name: "webgpu", available: true, adapter: "llvmpipe…", software: true }, …]
 */
export function backends(): BackendInfo[] {
  const built = TARGETS.map((t): BackendInfo => ({ name: t.name as BackendName, ...t.status(initialized) }));
  return [...built, ...PLANNED.filter((name) => !targetNamed(name)).map((name): BackendInfo => ({ name, available: false, reason: `the ${name} backend is not part of this build` }))];
}

/** Backend names reserved for targets to come (listed by `backends()` as unavailable). */
const PLANNED: readonly BackendName[] = [];

/** Options of `init()`. */
export interface InitOptions {
  /**
   * Measure contraction kernels on a newly acquired WebGPU device and use the fastest per problem
   * size (`tuneWebgpu`: once per adapter, then reused from the persistent store). Default: on a
   * hardware adapter (milliseconds there); not on a software adapter (llvmpipe, SwiftShader),
   * where compiling the candidates takes seconds and webgpu is not the default backend anyway —
   * `true` measures there too, `false` never (the adapter class's defaults, measured on llvmpipe).
   */
  readonly tune?: boolean;
  /**
   * The GPU.js backend's mode (`webgl2`, `webgl`, `webasm`, `cpu`, …; default: GPU.js's own choice —
   * WebGL in a browser, `webasm` in Node). `init()` loads the optional `gpu.js` package; without it
   * gpujs is reported unavailable, naming the package.
   * @example await init({ gpujs: { mode: "cpu" } }); setBackend("gpujs");
   */
  readonly gpujs?: GpujsInitOptions;
  /**
   * The CPU backend's threads, the calling thread included (default: `os.availableParallelism()`
   * in Node, `navigator.hardwareConcurrency` in browsers; `1` runs every kernel on the calling
   * thread). Same as `setCpuThreads(threads)`; docs/backends.md "CPU threads".
   * @example await init({ cpu: { threads: 2 } });
   */
  readonly cpu?: { readonly threads?: number };
}

/**
 * Finds the WebGPU adapter (Dawn via the `webgpu` package in Node, `navigator.gpu` in browsers),
 * tunes its contraction kernels (see `InitOptions.tune`), loads GPU.js (see `InitOptions.gpujs`)
 * and, unless `setBackend` chose already, makes the default backend active: `webgpu` on a hardware
 * adapter, else `gpujs` when GPU.js runs on WebGL (a browser without WebGPU), else `cpu` (GPU.js's
 * Node modes, `webasm` and `cpu`, compute on the CPU: gpujs is then available when named).
 * Resolves to `backends()`.
 *
 * In Node, `webgpu` is an optional peer dependency loaded here (`npm install webgpu`); without it
 * webgpu is reported unavailable, naming the package. Loading it adds no globals. `process.env` is
 * left as it was, except that `EGL_PLATFORM=surfaceless` is set while the GL ES adapter is
 * discovered if it was unset (headless Mesa needs it), and removed again (docs/webgpu.md).
 * @example
 * await init();
 * setBackend("webgpu"); // also on a software adapter, when asked for by name
 */
export async function init(opts: InitOptions = {}, ...extra: undefined[]): Promise<BackendInfo[]> {
  opts = npUtil.optionsOf("init", opts, "init", extra);
  if (opts.cpu?.threads !== undefined) setCpuThreads(opts.cpu.threads);
  const [fallback, ...devices] = TARGETS;
  registerExecutor(fallback.executor);
  const found: [string, DeviceSummary][] = [];
  for (const t of devices) {
    const device = await t.init?.(opts);
    if (device) (registerExecutor(t.executor), found.push([t.name, device]));
  }
  initialized = true;
  // As `defaultBackend`: the first target with a hardware device, else the fallback.
  if (chosen === null) setExecutor(found.find(([, d]) => !d.software)?.[0] ?? fallback.name);
  return backends();
}

/**
 * The backend `init()` makes active when none was chosen: webgpu on a hardware adapter; cpu on a
 * software adapter (correct, but usually slower than the JS kernels) or without one.
 * @example
 * defaultBackend({ software: true, ...adapter }); // "cpu"
 */
export function defaultBackend(adapter: Pick<AdapterSummary, "software"> | null): "cpu" | "webgpu" {
  return adapter && !adapter.software ? "webgpu" : "cpu";
}

/**
 * Makes `name` the active backend: `"cpu"`, or `"webgpu"` once `init()` found an adapter (a
 * software one included). Throws BackendUnavailableError naming the reason otherwise.
 * @example
 * await init();
 * setBackend("webgpu");
 * await np.ones([3]).sum().item(); // 3, computed by a WGSL kernel
 */
export function setBackend(name: string): void {
  if (typeof name !== "string") throw new ValueError(`setBackend: the backend name must be a string such as "cpu", got ${describeValue(name)}`);
  const info = backends().find((b) => b.name === name);
  if (name === "interpreter") {
    setExecutor("interpreter");
  } else if (!info) {
    throw new BackendUnavailableError(`setBackend: unknown backend "${name}" (known: ${backends().map((b) => b.name).join(", ")})`);
  } else if (!info.available) {
    throw new BackendUnavailableError(`setBackend: the ${name} backend is not available: ${info.reason}`);
  } else {
    registerExecutor(targetNamed(name)!.executor);
    setExecutor(name);
  }
  chosen = name;
}

/** The active backend's name. */
export function getBackend(): string {
  return activeExecutor().name;
}
