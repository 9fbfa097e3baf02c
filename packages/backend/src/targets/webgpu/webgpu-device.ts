/**
 * WebGPU adapter and device: found once per process (`acquireGpu`), in Node through Dawn (the
 * `webgpu` package) and in browsers through `navigator.gpu`. The device is created with the
 * adapter's real compute limits — WebGPU's defaults are far lower (compatibility mode allows 4
 * storage buffers per stage and 128 invocations per workgroup unless more are requested).
 *
 * Software adapters (llvmpipe, SwiftShader, WARP) are recognized by name so that they are used
 * only when asked for (select.ts), and get their own kernel tuning: on a CPU, invocations are SIMD
 * lanes and workgroup barriers are expensive.
 */
import type {} from "webgpu"; // WebGPU's global types (GPUDevice, ...); erased at run time
import { BackendUnavailableError } from "@kiln/core";
import { type WgslTuning } from "./wgsl-kernel.js";
import type { AdapterSummary } from "./webgpu-api.js"; // type-only: webgpu-api.ts imports this module

export interface GpuLimits {
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupStorageSize: number;
}

export interface GpuContext {
  readonly device: GPUDevice;
  /** The WebGPU flag constants of the implementation that made the device. */
  readonly constants: GpuConstants;
  readonly adapter: AdapterSummary;
  readonly limits: GpuLimits;
  readonly tuning: WgslTuning;
  /** Increments with each device: buffers of an earlier device are invalid. */
  readonly generation: number;
  /** Why the device was lost, once it is. */
  lost: string | null;
  /** The first uncaptured device error (a validation error is a kiln bug: reported on the next read). */
  error: string | null;
  /** The first shader compilation error (kernel, dispatch, WGSL line): reported by the next read, ahead of `error`. */
  compileError: string | null;
  /**
   * Error checks still pending — shader compilations (targets/webgpu/webgpu-programs.ts) and the error
   * scopes of submissions (`scopedErrors`): a read waits for them, so that the errors a failed
   * compilation causes are reported with it, once, and not by a later read.
   */
  readonly pending: Set<Promise<void>>;
}

const LIMIT_KEYS: readonly (keyof GpuLimits)[] = [
  "maxStorageBuffersPerShaderStage", "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupsPerDimension", "maxStorageBufferBindingSize", "maxBufferSize", "maxComputeWorkgroupStorageSize",
];

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|basic render|warp|microsoft basic/i;

let current: GpuContext | null = null;
let acquiring: Promise<GpuContext | null> | null = null;
let unavailable: string | null = null;
/** Dawn instances in use (kept reachable for the life of the process). */
const instances = new Map<string, GPU>();
/** Why the last device was lost (cleared by a new device). */
let lastLost: string | null = null;
let generation = 0;

const isNode = typeof process !== "undefined" && !!process.versions?.node && typeof (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === "undefined";

/**
 * The WebGPU constants kiln uses (flag values of buffer usages and map modes). Taken from the
 * `webgpu` module in Node (its `globals`, never installed on globalThis) and from the browser's
 * globals there.
 */
export interface GpuConstants {
  readonly GPUBufferUsage: typeof GPUBufferUsage;
  readonly GPUMapMode: typeof GPUMapMode;
}

interface FoundAdapter {
  readonly adapter: GPUAdapter;
  readonly via: string;
  readonly constants: GpuConstants;
}

/** The package name of Dawn for Node, and how to get it. */
const DAWN_PACKAGE = "webgpu";
const DAWN_INSTALL = `npm install ${DAWN_PACKAGE}`;

/**
 * Why Dawn could not be loaded, naming the package and the install command (it is an optional
 * peer dependency of @kiln/backend: browser users never install its native code).
 * @example
 * dawnLoadFailure(Object.assign(new Error("Cannot find package 'webgpu'"), { code: "ERR_MODULE_NOT_FOUND" }));
 * // 'the optional peer dependency "webgpu" (Dawn for Node) is not installed: run `npm install webgpu` to use the webgpu backend in Node'
 */
export function dawnLoadFailure(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
    return `the optional peer dependency "${DAWN_PACKAGE}" (Dawn for Node) is not installed: run \`${DAWN_INSTALL}\` to use the webgpu backend in Node`;
  }
  return `the "${DAWN_PACKAGE}" package (Dawn for Node) could not be loaded (${(e as Error)?.message ?? String(e)}); reinstall it with \`${DAWN_INSTALL}\``;
}

/**
 * Runs `f` with `process.env[name]` set to `value` if it is unset, then restores it: Mesa reads
 * EGL_PLATFORM while Dawn discovers its GL ES adapter, and nothing else of the process should see
 * a variable kiln set (docs/webgpu.md, "Headless Linux").
 */
async function withEnvDefault<T>(name: string, value: string, f: () => Promise<T>): Promise<T> {
  const env = process.env;
  if (env[name] !== undefined) return f();
  env[name] = value;
  try {
    return await f();
  } finally {
    delete env[name];
  }
}

/** Node: Dawn's native backend where a Vulkan/Metal/D3D12 driver exists, else GL ES (Mesa). */
async function nodeAdapters(): Promise<FoundAdapter | null> {
  const spec = DAWN_PACKAGE; // not a literal: bundlers leave the Node-only module alone
  let mod: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    mod = (await import(/* @vite-ignore */ spec)) as typeof mod;
  } catch (e) {
    unavailable = dawnLoadFailure(e);
    return null;
  }
  // Held here, not assigned to globalThis: loading the backend adds no globals.
  const constants = mod.globals as unknown as GpuConstants;
  const attempts: [string[], GPURequestAdapterOptions, string][] = [];
  if (await nativeDriverLikely()) attempts.push([[], { powerPreference: "high-performance" }, "dawn"]);
  attempts.push([["backend=opengles"], { featureLevel: "compatibility" } as GPURequestAdapterOptions, "dawn-opengles"]);
  for (const [flags, opts, via] of attempts) {
    try {
      const key = flags.join(" ");
      const find = async () => {
        const instance = instances.get(key) ?? mod.create(flags);
        instances.set(key, instance);
        return instance.requestAdapter(opts);
      };
      // Headless Mesa (no display server) finds no EGL display unless EGL_PLATFORM=surfaceless
      // while the adapter is discovered; XDG_RUNTIME_DIR is not needed.
      const adapter = via === "dawn-opengles" ? await withEnvDefault("EGL_PLATFORM", "surfaceless", find) : await find();
      // The instance must outlive its devices: Dawn crashes if it is garbage-collected first.
      if (adapter) return { adapter, via, constants };
    } catch {
      // try the next backend
    }
  }
  unavailable = "Dawn found no adapter (on Linux without a GPU, install Mesa's EGL/GL ES drivers: libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)";
  return null;
}

/** On Linux Dawn's default backend is Vulkan: skip it (and its loader warning) when there is no loader. */
async function nativeDriverLikely(): Promise<boolean> {
  if (process.platform !== "linux") return true;
  const fsName = "node:fs";
  const { existsSync } = (await import(/* @vite-ignore */ fsName)) as typeof import("node:fs");
  return ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"].some((d) => existsSync(`${d}/libvulkan.so.1`));
}

async function browserAdapter(): Promise<FoundAdapter | null> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    unavailable = "this browser does not expose WebGPU (navigator.gpu is undefined)";
    return null;
  }
  const adapter = (await gpu.requestAdapter({ powerPreference: "high-performance" })) ?? (await gpu.requestAdapter({ featureLevel: "compatibility" } as GPURequestAdapterOptions));
  if (!adapter) unavailable = "navigator.gpu.requestAdapter() returned no adapter";
  // A browser with WebGPU defines the constants as globals.
  const constants = globalThis as unknown as GpuConstants;
  return adapter ? { adapter, via: "browser", constants } : null;
}

function summarize(adapter: GPUAdapter, via: string): AdapterSummary {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const vendor = info.vendor ?? "", architecture = info.architecture ?? "", description = info.description ?? "";
  const device = info.device ?? "";
  const name = [device, description, [vendor, architecture].filter(Boolean).join(" ")].find((s) => s) || "unknown adapter";
  const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return { name, vendor, architecture, description, via, software: fallback || SOFTWARE.test(`${vendor} ${architecture} ${device} ${description}`) };
}

const pow2Floor = (n: number) => 2 ** Math.floor(Math.log2(Math.max(1, n)));

/**
 * Kernel tuning for an adapter class, before (or without) measuring. Software adapters run
 * invocations as SIMD lanes of a few CPU threads: small workgroups, cooperative reductions only
 * for long rows (barriers are costly), few workgroups needed to fill the machine, register tiles
 * without workgroup memory, and one dispatch for small contractions (each dispatch costs ~0.2 ms
 * on Dawn's GL ES backend) — the table `tuneWebgpu` measured on llvmpipe (16×16 tiles beyond
 * ~181³ of work: as fast as 32×32 there, and compiled in a tenth of the time). Hardware GPUs: large
 * workgroups and shared-memory tiles. `tuneWebgpu` (targets/webgpu/webgpu-tune.ts) replaces the
 * contraction table with measured choices.
 */
export function tuningFor(software: boolean, limits: GpuLimits): WgslTuning {
  const cap = (n: number) => pow2Floor(Math.min(n, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX));
  const maxGroupsPerDim = limits.maxComputeWorkgroupsPerDimension;
  const workgroupStorage = limits.maxComputeWorkgroupStorageSize;
  const storageBuffers = limits.maxStorageBuffersPerShaderStage;
  const big = Number.MAX_SAFE_INTEGER;
  return software
    ? {
      threads: cap(64), groupThreads: cap(64), coopMin: 2048, minGroups: 8, splitGrain: 64, quadLoads: false, splitUnroll: 4, maxGroupsPerDim, matmulThreads: cap(64), workgroupStorage, storageBuffers,
      matmul: [{ upTo: 5_931_642, strategy: "direct", tm: 8, tn: 16 }, { upTo: big, strategy: "packed", tm: 16, tn: 16 }],
    }
    : {
      threads: cap(256), groupThreads: cap(256), coopMin: 256, minGroups: 256, splitGrain: 16, quadLoads: true, splitUnroll: 1, maxGroupsPerDim, matmulThreads: cap(64), workgroupStorage, storageBuffers,
      matmul: [{ upTo: big, strategy: "shared", tm: 4, tn: 4 }],
    };
}

async function acquire(): Promise<GpuContext | null> {
  const found = isNode ? await nodeAdapters() : await browserAdapter();
  if (!found) return null;
  const { adapter, via, constants } = found;
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMIT_KEYS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === "number") requiredLimits[k] = v;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (e) {
    unavailable = `requestDevice failed: ${(e as Error).message}`;
    return null;
  }
  const limits = Object.fromEntries(LIMIT_KEYS.map((k) => [k, (device.limits as unknown as Record<string, number>)[k]])) as unknown as GpuLimits;
  const summary = summarize(adapter, via);
  const ctx: GpuContext = { device, constants, adapter: summary, limits, tuning: tuningFor(summary.software, limits), generation: ++generation, lost: null, error: null, compileError: null, pending: new Set() };
  void device.lost.then((info) => {
    ctx.lost = `${info.reason}${info.message ? `: ${info.message}` : ""}`;
    if (current === ctx) {
      current = null;
      lastLost = ctx.lost;
    }
  });
  device.onuncapturederror = (ev) => {
    ctx.error ??= (ev as GPUUncapturedErrorEvent).error.message;
  };
  unavailable = null;
  return ctx;
}

/**
 * Finds the adapter and creates the device (once; later calls return the same context). Resolves
 * to null when there is no WebGPU here; `gpuUnavailableReason()` says why.
 * @example
 * const ctx = await acquireGpu();
 * ctx?.adapter.name; // "llvmpipe-llvm-15-0-6-256-bits-" under Mesa
 */
export function acquireGpu(): Promise<GpuContext | null> {
  if (current && !current.lost) return Promise.resolve(current);
  acquiring ??= acquire().then((ctx) => {
    current = ctx;
    if (ctx) lastLost = null;
    acquiring = null;
    return ctx;
  });
  return acquiring;
}

/** The live device context, if one was acquired and not lost. */
export function currentGpu(): GpuContext | null {
  return current && !current.lost ? current : null;
}

/** The error for work on a lost device. */
export function lostDeviceError(op: string, why: string): BackendUnavailableError {
  return new BackendUnavailableError(`${op}: the WebGPU device was lost (${why}); call await init() to acquire a new device, or setBackend("cpu")`);
}

/** The device context, or a clear error naming what to do. */
export function requireGpu(op: string): GpuContext {
  if (current && !current.lost) return current;
  if (lastLost) throw lostDeviceError(op, lastLost);
  throw new BackendUnavailableError(
    `${op}: the webgpu backend has no device${unavailable ? ` (${unavailable})` : ""}; call await init() first (it finds the adapter), or use setBackend("cpu")`,
  );
}

export function gpuUnavailableReason(): string | null {
  return unavailable;
}

/** Destroys the device (its buffers become invalid); public as webgpu-api.ts's `destroyGpu`. */
export function destroyGpu(): void {
  const ctx = current;
  current = null;
  if (ctx) {
    ctx.lost = "destroyed";
    ctx.device.destroy();
  }
}
