/**
 * Compiled wasm kernels: rendered (wasm-render.ts) and compiled once per kernel IR (bounded LRU,
 * keyed like the JS cache by the kernel's canonical text), and called with typed arrays.
 *
 * A call passes each buffer by its byte offset in the heap. Arrays that already live in the heap
 * (a plan's buffers, when the heap is shared) are passed as they are; any other array is copied
 * into the arena for the call — inputs (and outputs the kernel reads) in, outputs back out — and
 * the arena is released after the call, also when the kernel throws.
 *
 * With more than one CPU thread, a kernel big enough to split (wasm-split.ts) runs its split exports
 * across the worker pool instead of `run` — the same bits.
 */
import {
  LruCache, type TypedArray, digammaF64, erfF64, erfInvF64, erfcF64, floorDivideScalar, i0eF64, i1eF64, lgammaF64, powerInt32,
  remainderScalar, trigammaF64,
} from "@kiln/core";
import { type Kernel, kernelText, printKernel } from "../../kernel.js";
import { heap } from "../../host/heap.js";
import { heapTraffic } from "../../host/resident.js";
import { type HostFn, VECMATH_HOST } from "./wasm-vecmath.js";
import { gemmOnPool, tilesOnPool } from "./wasm-gemm.js";
import { type ImportName, STORED_SIZE, asStored, loadsBuffer, renderWasm, wasmUnsupported } from "./wasm-render.js";
import { type PoolImport, type PoolImports, parallelFor } from "./wasm-pool.js";
import { cpuThreads } from "./cpu-threads.js";
import { SLOT_BYTES, splitGrain } from "./wasm-split.js";

/**
 * The float64 functions kernels import (module `m`): the very functions the JS kernels call, so
 * both renderers give the same bits.
 */
const IMPORT_FNS: Record<ImportName, (...a: number[]) => number> = {
  exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, cbrt: Math.cbrt, sin: Math.sin, cos: Math.cos,
  tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan, sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh,
  pow: Math.pow, atan2: Math.atan2, fmod: (a, b) => a % b,
  erf: erfF64, erfc: erfcF64, erfInv: erfInvF64, lgamma: lgammaF64, digamma: digammaF64, trigamma: trigammaF64,
  i0e: i0eF64, i1e: i1eF64, floorDiv: floorDivideScalar, rem: remainderScalar, ipow: powerInt32,
};

/**
 * The same imports as every worker builds them (PoolImport): a Math function by name, or null where
 * the function is kiln's own (its source is not self-contained) — a kernel calling one runs whole
 * on the calling thread.
 */
const POOL_IMPORTS: Record<ImportName, PoolImport | null> = {
  exp: "exp", expm1: "expm1", log: "log", log1p: "log1p", cbrt: "cbrt", sin: "sin", cos: "cos", tan: "tan",
  asin: "asin", acos: "acos", atan: "atan", sinh: "sinh", cosh: "cosh", tanh: "tanh", pow: "pow", atan2: "atan2",
  fmod: { source: "(a, b) => a % b" },
  erf: null, erfc: null, erfInv: null, lgamma: null, digamma: null, trigamma: null, i0e: null, i1e: null, floorDiv: null, rem: null, ipow: null,
};
/** VECMATH_HOST's functions as Math functions of the same name (float32 in, rounded to float32 out by the import). */
const POOL_HOST_IMPORTS: Record<HostFn, PoolImport> = { sin: "sin", cos: "cos" };

/** A split kernel's imports for the pool's threads, or null when some import cannot be built there. */
function poolImportsOf(imports: readonly ImportName[], hostImports: readonly HostFn[]): PoolImports | null {
  const m: Record<string, PoolImport> = {};
  for (const name of imports) {
    const p = POOL_IMPORTS[name];
    if (p === null) return null;
    m[name] = p;
  }
  return { m, vecmath: Object.fromEntries(hostImports.map((n) => [n, POOL_HOST_IMPORTS[n]])) };
}

export interface WasmKernel {
  readonly name: string;
  /** Inspection text: module size, imports and the kernel IR. */
  readonly source: string;
  /** The compiled WebAssembly.Module (typed structurally: public declarations name no WebAssembly types). */
  readonly module: object;
  /** The float64 functions it calls out to (per element: slower than JS when in a hot loop). */
  readonly imports: readonly ImportName[];
  /** Runs the kernel on typed arrays, one per kernel parameter. */
  readonly run: (...bufs: unknown[]) => void;
}

const CACHE_SIZE = 2048;
const compiled = new LruCache<string, WasmKernel | null>(CACHE_SIZE);
const counters = { compiles: 0, calls: 0, splitCalls: 0 };

/** Kernels left to the JS renderer, by reason (wasmUnsupported). */
const fallbacks: Record<string, number> = {};

function instantiate(k: Kernel): WasmKernel | null {
  if (!heap) return null;
  const why = wasmUnsupported(k);
  if (why) {
    fallbacks[why] = (fallbacks[why] ?? 0) + 1;
    return null;
  }
  const h = heap;
  const { bytes, imports, hostImports, pool: pooled, scratchFloats, extraBytes, split } = renderWasm(k, h);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    // A browser's main thread refuses synchronous compilation of large modules; an engine limit
    // (locals or size of a function) refuses a huge kernel: the JS kernel runs.
    const why = `compile: ${(e as Error).message.split("\n")[0]}`;
    fallbacks[why] = (fallbacks[why] ?? 0) + 1;
    return null;
  }
  counters.compiles++;
  const m = Object.fromEntries(imports.map((n) => [n, IMPORT_FNS[n]]));
  const vecmath = Object.fromEntries(hostImports.map((n) => [n, VECMATH_HOST[n]]));
  if (pooled && !gemmOnPool) return null;
  const pool: Record<string, (...a: number[]) => void> = !pooled ? {}
    : pooled.kind === "gemm" ? { gemm: gemmOnPool! } : { tiles: tilesOnPool(module, pooled.pairs, pooled.grain, pooled.flops) };
  const instance = new WebAssembly.Instance(module, { env: { memory: h.memory as WebAssembly.Memory }, m, vecmath, pool });
  const exec = instance.exports.run as (...ptrs: number[]) => void;
  const finish = instance.exports.finish as ((...ptrs: number[]) => void) | undefined;
  const poolImports = split && poolImportsOf(imports, hostImports);
  // Across the pool (wasm-split.ts): rows by ranges of the split loop; a full reduction's blocks into
  // partial slots, folded in block order by `finish` on this thread. Same bits as `exec`.
  const execSplit = (ptrs: number[], grain: number) => {
    counters.splitCalls++;
    const opts = { grain, imports: poolImports! };
    if (split!.kind === "rows") return parallelFor(module, "range", ptrs, split!.n, opts);
    const scratch = h.alloc(split!.n * split!.accs.length * SLOT_BYTES);
    parallelFor(module, "blocks", [...ptrs, scratch], split!.n, opts);
    finish!(...ptrs, scratch);
  };
  const n = k.params.length;
  const bytesOf = asStored(k).params.map((p, i) => (scratchFloats.get(i) ?? p.size) * STORED_SIZE[p.dtype as keyof typeof STORED_SIZE]);
  // Scratch (packed panels) is written before it is read: never copied.
  const copyIn = k.params.map((p, i) => p.role === "in" || (p.role === "out" && loadsBuffer(k, i)));
  const isOut = k.params.map((p) => p.role === "out");
  const ptrs = new Array<number>(n + extraBytes.length);
  const staged = new Array<boolean>(n);
  const run = (...bufs: unknown[]) => {
    counters.calls++;
    const mark = h.mark();
    try {
      let any = false;
      for (let i = 0; i < n; i++) {
        const b = bufs[i] as TypedArray;
        if (h.shared && h.owns(b) && b.length * b.BYTES_PER_ELEMENT >= bytesOf[i]!) {
          ptrs[i] = b.byteOffset;
          staged[i] = false;
        } else {
          ptrs[i] = h.alloc(bytesOf[i]!);
          staged[i] = any = true;
        }
      }
      for (let j = 0; j < extraBytes.length; j++) ptrs[n + j] = h.alloc(extraBytes[j]!);
      if (any) {
        const u8 = h.views().u8;
        for (let i = 0; i < n; i++) {
          if (!staged[i] || !copyIn[i]) continue;
          const b = bufs[i] as TypedArray;
          u8.set(new Uint8Array(b.buffer, b.byteOffset, bytesOf[i]!), ptrs[i]!);
          heapTraffic.copiedBytes += bytesOf[i]!;
        }
      }
      const grain = poolImports && cpuThreads() > 1 ? splitGrain(split!) : Infinity;
      if (grain < (split?.n ?? 0)) execSplit(ptrs, grain);
      else exec(...ptrs);
      if (any) {
        const u8 = h.views().u8;
        for (let i = 0; i < n; i++) {
          if (!staged[i] || !isOut[i]) continue;
          const b = bufs[i] as TypedArray;
          new Uint8Array(b.buffer, b.byteOffset, bytesOf[i]!).set(u8.subarray(ptrs[i]!, ptrs[i]! + bytesOf[i]!));
          heapTraffic.copiedBytes += bytesOf[i]!;
        }
      }
    } finally {
      h.release(mark);
    }
  };
  const poolText = !pooled ? "" : pooled.kind === "gemm" ? "; pool: microkernel"
    : `; pool: ${pooled.pairs} tasks in chunks of ${pooled.grain}, B packed ${pooled.bPackedOnce ? "once" : "per pair"}`;
  const source = `;; wasm kernel ${k.name}: ${bytes.length} bytes${imports.length ? `, imports ${imports.join(", ")}` : ""}${poolText}\n${printKernel(k)}`;
  return { name: k.name, source, module, imports, run };
}

/**
 * The compiled wasm kernel of `k`, or null when it runs as JavaScript (wasmUnsupported, no
 * WebAssembly, or a compile refused on a browser's main thread).
 * @example compileWasmKernel(kernel)?.run(out, x)
 */
export function compileWasmKernel(k: Kernel): WasmKernel | null {
  const key = kernelText(k);
  let c = compiled.get(key);
  if (c === undefined) compiled.set(key, (c = instantiate(k)));
  return c;
}

/**
 * Counts of the wasm kernels: `compiles`, `entries`, `calls`, `copiedBytes` (bytes copied between
 * JS arrays and the heap: a compiled plan's inputs in and outputs out, and a kernel call's arrays
 * that were not in the heap — a warm training step's State values stay resident and its reused
 * batch has a heap mirror, neither is copied, host/resident.ts), `splitCalls` (calls split
 * across the worker pool: big elementwise and reduction kernels with more than one CPU thread), and
 * `fallbacks`: kernels compiled as JavaScript instead, by reason (float64 parameter, …).
 * @example wasmKernelStats().compiles
 */
export function wasmKernelStats(): {
  compiles: number; entries: number; calls: number; copiedBytes: number; splitCalls: number; fallbacks: Record<string, number>;
} {
  return { ...counters, copiedBytes: heapTraffic.copiedBytes, entries: compiled.size, fallbacks: { ...fallbacks } };
}

/** Drops every compiled wasm kernel. */
export function clearWasmKernels(): void {
  compiled.clear();
}
