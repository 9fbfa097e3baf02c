/**
 * Compiled kernels keyed by the structural hash of their kernel IR: a kernel is rendered and
 * compiled once per process, whatever graph it came from (the IR holds no node ids or buffer
 * identities — see kernel.ts). `kernelCacheStats()` exposes the counts so tests can assert it.
 */
import { type Kernel, printKernelBody } from "./kernel.js";
import { compileJs, renderJs } from "./render/js.js";

export interface CompiledKernel {
  readonly name: string;
  readonly source: string;
  readonly run: (...bufs: unknown[]) => void;
}

const compiled = new Map<string, CompiledKernel>();
/** Per IR object: its cache key (printing the IR is the expensive part of a lookup). */
const keyOf = new WeakMap<Kernel, string>();
let compiles = 0;
let lookups = 0;

function cacheKey(k: Kernel): string {
  let key = keyOf.get(k);
  if (key === undefined) keyOf.set(k, (key = `js\n${printKernelBody(k.params, k.body)}`));
  return key;
}

/** The compiled JS function of a kernel (compiling it on first use). */
export function compileKernel(k: Kernel): CompiledKernel {
  lookups++;
  const key = cacheKey(k);
  let c = compiled.get(key);
  if (!c) {
    const source = renderJs(k);
    c = { name: k.name, source, run: compileJs(source) };
    compiled.set(key, c);
    compiles++;
  }
  return c;
}

/** Rendered JS source of a kernel (from the cache when it was compiled already). */
export function kernelSource(k: Kernel): string {
  return compiled.get(cacheKey(k))?.source ?? renderJs(k);
}

/**
 * Counts of the kernel cache: `compiles` (kernels rendered and compiled), `entries`, `lookups`.
 * @example
 * const before = kernelCacheStats().compiles;
 * np.tanh(x).dataSync();
 * kernelCacheStats().compiles - before; // 1 the first time, 0 after
 */
export function kernelCacheStats(): { compiles: number; entries: number; lookups: number } {
  return { compiles, entries: compiled.size, lookups };
}

/**
 * Drops every compiled kernel (for tests and long-running processes).
 * @example
 * clearKernelCache(); kernelCacheStats().entries; // 0
 */
export function clearKernelCache(): void {
  compiled.clear();
}
