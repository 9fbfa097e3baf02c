/**
 * The CPU backend's float32 contraction microkernel, in WebAssembly SIMD: JavaScript has no SIMD,
 * and the inner loop of a matmul is where a CPU spends its time (W3's training step is >95%
 * matmul). The module is assembled with wasm-asm.ts (a few hundred bytes, no toolchain).
 *
 * It multiplies packed panels — the layout lower-contraction.ts packs, with fused prologues, in JS:
 *   A: mp panels of k×4 floats (4 rows of A, row-interleaved per p),
 *   B: 2·npairs panels of k×4 floats (4 columns of B per panel),
 * into C, row-major with `ldc` floats per row: for each pair of B panels (8 columns, kept in L1
 * while A streams past) and each A panel, a 4×8 tile accumulates in eight f32x4 registers
 * (per p: two vector loads of B, four broadcast loads of A, sixteen multiply-adds) and is stored once.
 * Sums run in float32 in p order — like every GPU and WASM float32 matmul.
 *
 * The export takes a range of B-panel pairs, `gemm(aOff, bOff, cOff, mp, k, ldcBytes, jpFrom, jpTo)`,
 * which is `parallelFor`'s contract (wasm-pool.ts): pairs write disjoint columns of C, each by the
 * same instructions, so splitting them across threads gives the same bits as one thread. The
 * panels live on the shared heap's arena (host/heap.ts), allocated per call and released after.
 */
import { buildModule } from "./wasm-asm.js";
import { microkernel } from "./wasm-microkernel.js";
import { heap } from "../../host/heap.js";
import { type PoolImport, parallelFor } from "./wasm-pool.js";

/** The module's bytes over `heap`'s memory: the shared microkernel (wasm-microkernel.ts), exported. */
function moduleBytes(memory: NonNullable<typeof heap>["importLimits"]): Uint8Array<ArrayBuffer> {
  return buildModule({ memory, imports: [], funcs: [microkernel("gemm")] });
}

/**
 * Work below which a product runs on the calling thread alone, and the least work a chunk of B-panel
 * pairs gets: waking a worker costs tens of microseconds, 2^20 flops take ~50 µs on one core.
 */
export const PARALLEL_MIN_FLOPS = 1 << 20;

/**
 * Work up to which a whole contraction runs on the calling thread although its module has the
 * pooled form: a lone call (the workers asleep, caches cold — a matmul between other work, as W2
 * times it) paid more to wake them than a 128×128×128 product (2^22 flops, ~0.2 ms on one core)
 * gains from a second core (W2 at 128: 5.7 → 8.4 GFLOP/s, interleaved). Read per call, so tests
 * can pool small products without recompiling (`setContractionPoolMinFlops`).
 */
export const POOL_MIN_FLOPS = (1 << 22) + 1;
let poolMinFlops = POOL_MIN_FLOPS;

/**
 * Sets the work from which a contraction with the pooled form uses the pool (no argument restores
 * POOL_MIN_FLOPS); returns the previous value. Tests pool small products with 0.
 * @example const was = setContractionPoolMinFlops(0); // every pooled-form product splits
 */
export function setContractionPoolMinFlops(flops: number = POOL_MIN_FLOPS): number {
  const was = poolMinFlops;
  poolMinFlops = flops;
  return was;
}

export interface GemmWorkspace {
  /** Float32 views of the A panels, B panels and C on the heap, valid until `release`. */
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly c: Float32Array;
  /** Multiplies the panels into C (`npairs` pairs of B panels; C rows hold `ldc` floats), across the pool when big enough. */
  run(mp: number, npairs: number, k: number, ldc: number): void;
  /** Returns the workspace's memory to the arena (in a `finally`: stack discipline). */
  release(): void;
}

export interface Gemm {
  /** Allocates a workspace on the heap's arena; the caller releases it. */
  workspace(aFloats: number, bFloats: number, cFloats: number): GemmWorkspace;
}

/** The microkernel module over the heap, or null where WebAssembly SIMD is unavailable. */
const gemmModule: WebAssembly.Module | null = (() => {
  if (!heap || typeof WebAssembly === "undefined") return null;
  const bytes = moduleBytes(heap.importLimits);
  if (!WebAssembly.validate(bytes)) return null;
  try {
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
})();

/**
 * Panels already on the heap multiplied into C across the pool (`npairs` pairs of B panels, C rows
 * `ldcBytes` apart): what contraction kernels rendered as wasm (wasm-render.ts) import for products
 * of ≥ PARALLEL_MIN_FLOPS. Null without WebAssembly SIMD.
 * @example gemmOnPool?.(aOff, bOff, cOff, mp, k, ldc * 4, npairs)
 */
export const gemmOnPool: ((aOff: number, bOff: number, cOff: number, mp: number, k: number, ldcBytes: number, npairs: number) => void) | null =
  gemmModule === null ? null : (aOff, bOff, cOff, mp, k, ldcBytes, npairs) => {
    // An even number of pairs a chunk: 64 bytes of each row of C, so threads split rows at cache lines.
    const g = Math.max(1, Math.ceil(PARALLEL_MIN_FLOPS / (2 * mp * 4 * 8 * k)));
    const grain = g + (g & 1);
    parallelFor(gemmModule, "gemm", [aOff, bOff, cOff, mp, k, ldcBytes], npairs, { grain });
  };

/**
 * The phases of a contraction module's `tiles(ptrs…, C, job, lo, hi)` export (wasm-contraction.ts),
 * `job = JOB_PHASES · batch + phase` (+ JOB_ON_CALLER) over pool tasks [lo, hi) of (batch element, B-panel pair); a
 * packing phase packs the share `[lo·panels/tasks, hi·panels/tasks)` of its panels. Keyed by name
 * so that the renderer and the counters below read one definition.
 */
export const JOB_PHASE = {
  /** B's panels, once for every batch element (a batch-invariant B), then A's: one pool call for both. */
  packs: 0,
  /** A's panels of every batch element (every pair reads all of its batch element's A), B packed per pair. */
  packA: 1,
  /** The tasks' pairs: their B panels, tiles and epilogue. */
  tiles: 2,
  /** The tasks' pairs, tiles and epilogue, their B panels packed by `packs`. */
  tilesPacked: 3,
} as const;
export type JobPhase = (typeof JOB_PHASE)[keyof typeof JOB_PHASE];

/**
 * A job number is `JOB_PHASES · batch + flags + phase`: the phase in its low bits
 * (`job & JOB_PHASE_MASK`), JOB_ON_CALLER set for a packing phase too small to split across
 * threads, JOB_THEN_TILES set on a packing phase whose tiles phase follows in the same pool job
 * (TILES_AFTER: `tilesPacked` after `packs`, `tiles` after `packA`).
 */
export const JOB_PHASE_MASK = 3, JOB_ON_CALLER = 4, JOB_THEN_TILES = 8, JOB_PHASES = 16;

/** The tiles phase that follows a packing phase. */
const TILES_AFTER: Partial<Record<JobPhase, JobPhase>> = { [JOB_PHASE.packs]: JOB_PHASE.tilesPacked, [JOB_PHASE.packA]: JOB_PHASE.tiles };

/** How many times one pool call of each phase packs B's panels, for a batch of `batch`. */
const B_PACKS: Record<JobPhase, (batch: number) => number> = {
  [JOB_PHASE.packs]: () => 1,
  [JOB_PHASE.packA]: () => 0,
  [JOB_PHASE.tiles]: (batch) => batch,
  [JOB_PHASE.tilesPacked]: () => 0,
};

const contractionCounters = { phaseCalls: 0, poolCalls: 0, bPacks: 0 };

/**
 * Counts of pooled wasm contractions (products of ≥ PARALLEL_MIN_FLOPS, rendered by
 * wasm-contraction.ts): `phaseCalls`, their phases run through the pool import (a small packing
 * phase runs on the calling thread alone); `poolCalls`, the calls of that import — one per
 * contraction, its packing and tiles phases one two-stage job (one wake-up of the workers); and
 * `bPacks`, how often they packed a B operand's panels — once per batch element whose B differs,
 * once per call when B is the same for every batch element (`x[b] @ W`).
 * @example
 * const before = wasmContractionStats().bPacks;
 * np.matmul(x16, w).dataSync(); // x16: [16, 128, 128], w: [128, 128]
 * wasmContractionStats().bPacks - before; // 1
 */
export function wasmContractionStats(): { phaseCalls: number; poolCalls: number; bPacks: number } {
  return { ...contractionCounters };
}

/**
 * The `pool.tiles` import of a contraction module rendered as wasm (wasm-contraction.ts): runs its
 * `tiles` export for the job its last argument names (JOB_PHASE; with JOB_THEN_TILES the packing
 * phase and then its tiles phase, as one two-stage pool job) over the `pairs` tasks across the
 * pool, chunks of at least `grain` tasks. `tiles` calls no host function, so a worker's instance
 * gets a stub for every import it has.
 * @example
 * const pool = { tiles: tilesOnPool(module, 32, 4, 2 ** 24) }; // the instance's `pool` imports
 */
export function tilesOnPool(compiled: object, pairs: number, grain: number, flops: number): (...args: number[]) => void {
  // `object`, not WebAssembly.Module, in the signature: the package's declarations name no
  // WebAssembly types (a consumer's TypeScript lib may not have them; host/heap.ts).
  const module = compiled as WebAssembly.Module;
  const stub: PoolImport = { source: "() => { throw new Error('contraction tiles call no host function'); }" };
  const imports: Record<string, Record<string, PoolImport>> = {};
  for (const i of WebAssembly.Module.imports(module)) if (i.kind === "function") (imports[i.module] ??= {})[i.name] = stub;
  return (...args) => {
    const job = args[args.length - 1]!;
    const phase = (job & JOB_PHASE_MASK) as JobPhase, batch = Math.floor(job / JOB_PHASES);
    const next = (job & JOB_THEN_TILES) !== 0 ? TILES_AFTER[phase] : undefined;
    contractionCounters.poolCalls++;
    contractionCounters.phaseCalls += next === undefined ? 1 : 2;
    contractionCounters.bPacks += B_PACKS[phase](batch) + (next === undefined ? 0 : B_PACKS[next](batch));
    const small = flops < poolMinFlops;
    const onCaller = (job & JOB_ON_CALLER) !== 0 || small;
    const withPhase = (p: JobPhase) => [...args.slice(0, -1), JOB_PHASES * batch + p];
    parallelFor(module, "tiles", withPhase(phase), pairs, {
      grain: onCaller ? pairs : grain, imports, fine: true,
      // The tiles stage: split unless the whole product is small (a small packing stage runs as one
      // chunk, on whichever thread claims it first — the caller, while the worker wakes up).
      ...(next === undefined ? {} : { then: { args: withPhase(next), n: pairs, grain: small ? pairs : grain } }),
    });
  };
}

function instantiate(): Gemm | null {
  if (!heap || !gemmModule) return null;
  const h = heap;
  const module = gemmModule;
  return {
    workspace(aFloats, bFloats, cFloats) {
      const mark = h.mark();
      const [aOff, bOff, cOff] = [h.alloc(aFloats * 4), h.alloc(bFloats * 4), h.alloc(cFloats * 4)];
      // Views after the last alloc: an unshared heap detaches older views when it grows.
      const buf = h.views().f32.buffer;
      return {
        a: new Float32Array(buf, aOff, aFloats),
        b: new Float32Array(buf, bOff, bFloats),
        c: new Float32Array(buf, cOff, cFloats),
        run(mp, npairs, k, ldc) {
          const pairFlops = 2 * mp * 4 * 8 * k;
          const grain = Math.max(1, Math.ceil(PARALLEL_MIN_FLOPS / pairFlops));
          parallelFor(module, "gemm", [aOff, bOff, cOff, mp, k, ldc * 4], npairs, { grain });
        },
        release: () => h.release(mark),
      };
    },
  };
}

/** The SIMD microkernel, or null where WebAssembly SIMD is unavailable (the JS kernels run then). */
export const wasmGemm: Gemm | null = instantiate();
