/**
 * Where a compiled cpu plan keeps its buffers when some of its kernels run as WebAssembly: in the
 * host heap (host/heap.ts), so wasm kernels read and write them in place — inputs copied in once per
 * call, temporaries planned by the scheduler's liveness slots, outputs copied out once — and no
 * copies between kernels. JS kernels of the same plan run on views of the same bytes. Inputs that
 * already live in the heap (a State's value the previous call left resident, host/resident.ts) are
 * read where they are, and resident outputs are written into their own regions, not this one.
 *
 * Only with a shared heap: its views survive growth (a plain memory's views detach when a kernel's
 * own scratch grows it). Without one, wasm kernels copy their arrays per call (wasm-kernels.ts).
 */
import { type TypedArray } from "@kiln/core";
import { HEAP_ALIGN, heap } from "../../host/heap.js";
import { type Plan } from "../../schedule.js";
import { bytesPer, viewOf } from "../../storage.js";

export interface HeapLayout {
  /** Per buffer id: byte offset from the plan's base, or -1 for a buffer that stays a JS array. */
  readonly offsets: readonly number[];
  readonly bytes: number;
  /** Input buffer ids copied into the heap at each call (read by a heap step). */
  readonly inputs: readonly number[];
  /** Output buffer ids written in the heap and copied out (written by a heap step). */
  readonly outputs: readonly number[];
}

/** Slots and buffers start on cache lines, as the arena region itself (HEAP_ALIGN). */
const aligned = (n: number) => Math.ceil(n / HEAP_ALIGN) * HEAP_ALIGN;

/**
 * The heap layout of a plan whose steps `inHeap` run over the heap, or null when none does or the
 * heap is not shared. Every temporary slot lives in the heap; inputs and outputs only where a heap
 * step touches them.
 * @example heapLayout(plan, plan.steps.map((s) => host.stepInHeap(s)))?.bytes
 */
export function heapLayout(plan: Plan, inHeap: readonly boolean[]): HeapLayout | null {
  if (!heap?.shared || !inHeap.some(Boolean)) return null;
  const touched = new Set<number>();
  plan.steps.forEach((s, k) => {
    if (inHeap[k]) for (const id of s.bindings) if (id >= 0) touched.add(id);
  });
  let bytes = 0;
  const slotAt = plan.slots.map((s) => {
    const at = bytes;
    bytes += aligned(s.size * bytesPer(s.dtype));
    return at;
  });
  const inputs: number[] = [], outputs: number[] = [];
  const offsets = plan.buffers.map((b, id) => {
    if (b.role === "temp") return slotAt[b.index]!;
    if (!touched.has(id)) return -1;
    (b.role === "input" ? inputs : outputs).push(id);
    const at = bytes;
    bytes += aligned(b.size * bytesPer(b.dtype));
    return at;
  });
  return { offsets, bytes, inputs, outputs };
}

/**
 * A plan's heap region for one call: `enter` allocates it on the arena (views rebuilt only when
 * the base or the memory's buffer changed since the last call) and returns whether they were;
 * `leave` releases it.
 */
export class HeapRegion {
  /** Views per buffer id (null: not in the heap). */
  readonly views: (TypedArray | null)[];
  private base = -1;
  private buffer: ArrayBufferLike | null = null;
  private mark = -1;

  constructor(private readonly plan: Plan, private readonly layout: HeapLayout) {
    this.views = plan.buffers.map(() => null);
  }

  enter(): boolean {
    const h = heap!;
    this.mark = h.mark();
    const base = h.alloc(this.layout.bytes);
    const buffer = h.memory.buffer;
    if (base === this.base && buffer === this.buffer) return false;
    this.base = base;
    this.buffer = buffer;
    this.plan.buffers.forEach((b, id) => {
      const off = this.layout.offsets[id]!;
      this.views[id] = off < 0 ? null : viewOf(b.dtype, buffer, base + off, b.size);
    });
    return true;
  }

  leave(): void {
    if (this.mark >= 0) heap!.release(this.mark);
    this.mark = -1;
  }
}
