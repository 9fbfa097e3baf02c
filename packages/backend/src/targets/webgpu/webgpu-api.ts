/**
 * The WebGPU target's public names, declared apart from the modules that hold the device.
 *
 * Why a separate module: webgpu-device.ts and webgpu-programs.ts name WebGPU's global types
 * (`GPUDevice`, `GPUComputePipeline`, ...) in their declarations, which come from the optional
 * `webgpu` peer at build time only. A consumer's type-check without `skipLibCheck` reads every
 * declaration file it reaches from `kiln`, and fails on a type name it has no source for. Declared
 * here, without those types, the public functions keep @kiln/backend's published `.d.ts` free of
 * WebGPU (and of the DOM lib that `@webgpu/types` would require of a Node project): index.ts and
 * select.ts import from this module, never from the device modules (test/consumer checks it).
 */
import { destroyGpu as destroyDevice } from "./webgpu-device.js";
import { setWgslSourceStore as setStore, webgpuCacheStats as programCacheStats } from "./webgpu-programs.js";
import { type WgslSourceStore } from "./webgpu-store.js";

export { type WgslSourceStore, type WgslStoreProblem } from "./webgpu-store.js";

/** The WebGPU adapter that `init()` found, as `backends()` and the webgpu target report it. */
export interface AdapterSummary {
  /** Human-readable name: the device or description the adapter reports. */
  readonly name: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader, WARP, ...). */
  readonly software: boolean;
  /** How it was reached: "dawn" (Node, native backend), "dawn-opengles" (Node, GL ES), "browser". */
  readonly via: string;
}

/**
 * Destroys the device (its buffers become invalid). A Node process does not exit while a Dawn
 * device is alive: scripts and test runners call this when done.
 * @example
 * destroyGpu(); // let the process exit
 */
export function destroyGpu(): void {
  destroyDevice();
}

/**
 * Installs (or removes, with null) a persistent store of rendered WGSL programs. Entries are
 * checked against the kernel IR before use; problems go to `onProblem` (default: a warning).
 * @example
 * setWgslSourceStore({
 *   get: (k) => localStorage.getItem(k),
 *   set: (k, v) => localStorage.setItem(k, v),
 *   onProblem: (p) => console.error(p.kind, p.kernel, p.message), // optional
 * });
 */
export function setWgslSourceStore(s: WgslSourceStore | null): void {
  setStore(s);
}

/**
 * Counts of the WGSL program cache: `compiles` (programs rendered and compiled), `entries`,
 * `lookups`, `storeHits` (programs taken from the persistent store), `storeProblems` (rejected
 * entries, store exceptions, stored programs that did not compile).
 * @example
 * webgpuCacheStats().compiles; // grows by one per distinct fused kernel
 */
export function webgpuCacheStats(): { compiles: number; entries: number; lookups: number; storeHits: number; storeProblems: number } {
  return programCacheStats();
}
