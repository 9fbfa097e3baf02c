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
 */

const PAGE = 65536;
/** Bytes below the arena, reserved for the worker pool's control words. */
export const ARENA_BASE = PAGE;

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
  /** Allocates `bytes` (16-byte aligned) on the arena, growing the memory; returns the byte offset. */
  alloc(bytes: number): number;
  /** Releases everything allocated after `mark`. */
  release(mark: number): void;
  /** Whether a typed array is a view into this memory. */
  owns(a: ArrayBufferView): boolean;
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
  let top = ARENA_BASE;
  let cached: { buffer: ArrayBufferLike; views: HeapViews } | null = null;
  const seen = new WeakSet<ArrayBufferLike>();
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
      const at = top;
      const end = at + Math.ceil(bytes / 16) * 16;
      const have = memory.buffer.byteLength;
      if (end > have) {
        const pages = Math.ceil((end - have) / PAGE);
        if (maxPages !== undefined && have / PAGE + pages > maxPages) {
          throw new RangeError(`the WebAssembly heap cannot grow to ${end} bytes (limit ${maxPages * PAGE})`);
        }
        memory.grow(pages);
      }
      top = end;
      return at;
    },
    release(mark) {
      top = mark;
    },
    // A view made before a shared memory grew holds an older SharedArrayBuffer object over the same
    // bytes (still valid): every buffer object the memory handed out is remembered.
    owns: (a) => a.buffer === memory.buffer || (shared && seen.has(a.buffer)),
  };
}

/** The heap, or null where WebAssembly is unavailable. */
export const heap: WasmHeap | null = makeHeap();
