/**
 * Compiled kernels keyed by the structural hash of their kernel IR: a kernel is rendered and
 * compiled once per process, whatever graph it came from (the IR holds no node ids, buffer
 * identities or scalar values — see kernel.ts and params.ts). The cache is a bounded LRU: a
 * process that meets ever new shapes keeps the most recent KERNEL_CACHE_SIZE kernels.
 * `kernelCacheStats()` exposes the counts so tests can assert it.
 */
import { LruCache } from "@kiln/core";
import { type Kernel, kernelText } from "../../kernel.js";
import { compileJs, renderJs } from "./js.js";

export interface CompiledKernel {
  readonly name: string;
  readonly source: string;
  readonly run: (...bufs: unknown[]) => void;
}

/** Kernels kept compiled; a training step needs ~50, a whole model's inference a few hundred. */
export const KERNEL_CACHE_SIZE = 2048;
const compiled = new LruCache<string, CompiledKernel>(KERNEL_CACHE_SIZE);
let compiles = 0;
let lookups = 0;

/** The compiled JS function of a kernel (compiling it on first use). */
export function compileKernel(k: Kernel): CompiledKernel {
  lookups++;
  const key = kernelText(k);
  let c = compiled.get(key);
  if (!c) {
    const source = renderJs(k);
    c = { name: k.name, source, run: compileJs(source, k.name) };
    compiled.set(key, c);
    compiles++;
  }
  return c;
}

/** Rendered JS source of a kernel (from the cache when it was compiled already). */
export function kernelSource(k: Kernel): string {
  return compiled.peek(kernelText(k))?.source ?? renderJs(k);
}

/**
 * Counts of the kernel cache: `compiles` (kernels rendered and compiled), `entries`, `lookups`,
 * `evictions` (kernels dropped for capacity).
 * @example
 * const before = kernelCacheStats().compiles;
 * np.tanh(x).dataSync();
 * kernelCacheStats().compiles - before; // 1 the first time, 0 after
 */
export function kernelCacheStats(): { compiles: number; entries: number; lookups: number; evictions: number } {
  return { compiles, entries: compiled.size, lookups, evictions: compiled.evictions };
}

/**
 * Drops every compiled kernel (for tests and long-running processes).
 * @example
 * clearKernelCache(); kernelCacheStats().entries; // 0
 */
export function clearKernelCache(): void {
  compiled.clear();
}
