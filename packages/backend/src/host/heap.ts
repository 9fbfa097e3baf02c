/**
 * The host's heap: the one WebAssembly.Memory every wasm kernel of this process imports
 * (`env.memory`), and the stack arena plans and kernels allocate in. The host owns it (not the wasm
 * target): the cpu executor places a compiled plan's buffers here so that wasm kernels read and
 * write them in place, and JS kernels of the same plan use views of the same bytes.
 *
 * Shared when the platform allows it (Node; browsers when `crossOriginIsolated`): a shared memory
 * never detaches its buffer when it grows, so typed-array views into it stay valid (for their old
 * length), and worker threads can run kernels over the same bytes. Without shared memory (a plain
 * browser page) growth detaches every view: holders re-read `views()` after any `alloc`.
 *
 * The arena is a stack: a plan marks the top, allocates its buffers, runs (kernels inside may
 * allocate more above it: a control step's sub-plan, a contraction's panels) and releases back to
 * its mark — nested runs never overlap, and nothing leaks when a kernel throws (release in
 * `finally`). The first ARENA_BASE bytes are reserved (the worker pool's control block).
 *
 * Resident regions hold values that outlive a call (a State's value that the next call reads in
 * place, host/resident.ts). They lie below the arena, first-fit in the holes that freed regions
 * leave; a region that fits no hole moves the arena's base up, which is only possible while the
 * arena is empty (between calls). The two never overlap, so a plan's arena cannot clobber a value.
 * Everything is allocated and freed on the calling thread; workers only read and write the bytes a
 * kernel call hands them.
 */

const PAGE = 65536;
/** Bytes below the arena, reserved for the worker pool's control words. */
export const ARENA_BASE = PAGE;

/**
 * Alignment and size unit of heap allocations (arena and resident), in bytes: a cache line. Buffers
 * that start on a line let the worker pool split a row of output between threads at line
 * boundaries (wasm-contraction.ts), so no two threads write the same line.
 */
export const HEAP_ALIGN = 64;

export interface HeapViews {
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
}

/**
 * What the host uses of a WebAssembly.Memory, declared structurally: the package's declarations name
 * no WebAssembly types (a consumer's TypeScript lib may not have them).
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmHeap {
  /** The WebAssembly.Memory (kernels import it as `env.memory`). */
  readonly memory: WasmMemory;
  /** Whether the memory is shared (views survive growth; workers can use it). */
  readonly shared: boolean;
  /** The import descriptor kernels declare for `env.memory` (must match the memory). */
  readonly importLimits: { readonly minPages: number; readonly maxPages?: number; readonly shared?: boolean };
  /** Views over the whole current buffer (recreated after growth). */
  views(): HeapViews;
  /** The arena's top (a mark to release to). */
  mark(): number;
  /** Allocates `bytes` (HEAP_ALIGN-byte aligned) on the arena, growing the memory; returns the byte offset. */
  alloc(bytes: number): number;
  /** Releases everything allocated after `mark`. */
  release(mark: number): void;
  /** Whether nothing is allocated on the arena (no call in progress): resident regions may then be freed and reused safely. */
  idle(): boolean;
  /** Whether a typed array is a view into this memory. */
  owns(a: ArrayBufferView): boolean;
  /**
   * Allocates `bytes` (HEAP_ALIGN-byte aligned) that outlive calls, below the arena; returns the byte
   * offset, or -1 when none can be had: no hole fits and the arena is in use (its base cannot
   * move), the resident budget (setResidentLimit) or the memory's limit would be exceeded.
   */
  allocResident(bytes: number): number;
  /** Frees a region allocResident returned (a double free is an internal error). */
  freeResident(at: number): void;
  /** Live resident regions, their bytes, and where the arena starts (everything resident lies below). */
  residentStats(): { regions: number; bytes: number; arenaBase: number };
}

/**
 * The share of the memory's maximum resident regions may hold (beyond it values are copied out per
 * call, as without them): the arena keeps three quarters for the plans themselves.
 */
const RESIDENT_SHARE = 0.25;
/** A cap set by setResidentLimit, or null: RESIDENT_SHARE of the memory's maximum. */
let residentLimit: number | null = null;

/**
 * @internal Caps the bytes resident regions may hold (tests: 0 forces the copying fallback); no
 * argument restores the default (a quarter of the memory's maximum).
 * @example setResidentLimit(0); // every value copied out per call, as without resident regions
 */
export function setResidentLimit(bytes?: number): void {
  residentLimit = bytes ?? null;
}

/** Shared memories need a maximum; 4 GiB is wasm32's address space (address space only is reserved). */
const MAX_PAGES = [65536, 16384];

function makeMemory(): { memory: WasmMemory; shared: boolean; maxPages?: number } | null {
  if (typeof WebAssembly === "undefined") return null;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  const isNode = typeof process !== "undefined" && !!process.versions?.node;
  if (typeof SharedArrayBuffer !== "undefined" && (isNode || isolated)) {
    for (const maxPages of MAX_PAGES) {
      try {
        return { memory: new WebAssembly.Memory({ initial: 2, maximum: maxPages, shared: true }), shared: true, maxPages };
      } catch {
        // a smaller reservation, or no shared memory
      }
    }
  }
  try {
    return { memory: new WebAssembly.Memory({ initial: 2 }), shared: false };
  } catch {
    return null;
  }
}

function makeHeap(): WasmHeap | null {
  const made = makeMemory();
  if (!made) return null;
  const { memory, shared, maxPages } = made;
  /** The arena's bottom: resident regions lie in [ARENA_BASE, base). */
  let base = ARENA_BASE;
  let top = ARENA_BASE;
  /** Live resident regions (offset → bytes) and the holes between them, sorted by offset, coalesced. */
  const live = new Map<number, number>();
  let liveBytes = 0;
  const holes: { at: number; bytes: number }[] = [];
  // Every buffer object the memory hands out (a shared memory makes a new one at each growth; the
  // old ones stay valid over the same bytes): recorded at creation and after each growth, so a view
  // made over `memory.buffer` at any time is recognized by `owns`.
  const seen = new WeakSet<ArrayBufferLike>([memory.buffer]);
  /** Grows the memory to hold `end` bytes; false at its limit (or when the engine refuses). */
  const reach = (end: number): boolean => {
    const have = memory.buffer.byteLength;
    if (end <= have) return true;
    const pages = Math.ceil((end - have) / PAGE);
    if (maxPages !== undefined && have / PAGE + pages > maxPages) return false;
    try {
      memory.grow(pages);
      seen.add(memory.buffer);
      return true;
    } catch {
      return false;
    }
  };
  let cached: { buffer: ArrayBufferLike; views: HeapViews } | null = null;
  const views = (): HeapViews => {
    const buffer = memory.buffer;
    if (cached?.buffer !== buffer) {
      seen.add(buffer);
      cached = {
        buffer,
        views: { u8: new Uint8Array(buffer), i32: new Int32Array(buffer), f32: new Float32Array(buffer), f64: new Float64Array(buffer) },
      };
    }
    return cached.views;
  };
  return {
    memory,
    shared,
    importLimits: shared ? { minPages: 2, maxPages, shared: true } : { minPages: 2 },
    views,
    mark: () => top,
    alloc(bytes) {
      const at = Math.ceil(top / HEAP_ALIGN) * HEAP_ALIGN;
      const end = at + Math.ceil(bytes / 16) * 16;
      if (!reach(end)) throw new RangeError(`the WebAssembly heap cannot grow to ${end} bytes (limit ${(maxPages ?? 0) * PAGE})`);
      top = end;
      return at;
    },
    release(mark) {
      // A region carved while a mark was open (nothing above it) is not the arena's to release.
      top = Math.max(mark, base);
    },
    idle: () => top === base,
    allocResident(bytes) {
      const size = Math.max(HEAP_ALIGN, Math.ceil(bytes / HEAP_ALIGN) * HEAP_ALIGN);
      if (liveBytes + size > (residentLimit ?? RESIDENT_SHARE * (maxPages ?? 0) * PAGE)) return -1;
      let at = -1;
      const fit = holes.findIndex((h) => h.bytes >= size);
      if (fit >= 0) {
        const h = holes[fit]!;
        at = h.at;
        if (h.bytes === size) holes.splice(fit, 1);
        else holes[fit] = { at: h.at + size, bytes: h.bytes - size };
      } else {
        // Below a live arena nothing may move: the caller copies instead.
        if (top !== base) return -1;
        const last = holes[holes.length - 1];
        const from = last && last.at + last.bytes === base ? last.at : base;
        if (!reach(from + size)) return -1;
        if (from !== base) holes.pop();
        at = from;
        base = top = from + size;
      }
      live.set(at, size);
      liveBytes += size;
      return at;
    },
    freeResident(at) {
      const size = live.get(at);
      if (size === undefined) throw new Error(`internal: resident region at ${at} freed twice or never allocated`);
      live.delete(at);
      liveBytes -= size;
      // Insert in offset order, merging with the holes on either side.
      let i = holes.findIndex((h) => h.at > at);
      if (i < 0) i = holes.length;
      holes.splice(i, 0, { at, bytes: size });
      const next = holes[i + 1];
      if (next && at + size === next.at) holes.splice(i, 2, { at, bytes: size + next.bytes });
      const prev = holes[i - 1];
      if (prev && prev.at + prev.bytes === at) holes.splice(i - 1, 2, { at: prev.at, bytes: prev.bytes + holes[i]!.bytes });
    },
    residentStats: () => ({ regions: live.size, bytes: liveBytes, arenaBase: base }),
    // A view made before a shared memory grew holds an older buffer object over the same bytes.
    owns: (a) => a.buffer === memory.buffer || (shared && seen.has(a.buffer)),
  };
}

/** The heap, or null where WebAssembly is unavailable. */
export const heap: WasmHeap | null = makeHeap();
