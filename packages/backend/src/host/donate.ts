/**
 * Buffer donation (jit's `donateArgnums`) for compiled CPU plans: which outputs may be written
 * into the storage of which donated inputs, decided once per plan from its steps and kernel IR,
 * and the per-call check that a donated buffer is not read through any other input.
 */
import { type DataBuffer, type TypedArray } from "@kiln/core";
import { inHeap } from "./resident.js";
import { type Operand, type Stmt } from "../kernel.js";
import { type KernelStep, type Plan, type PlanBuffer } from "../schedule.js";

/**
 * Whether the kernel of `step` may write its output parameter `out` over the buffer bound to
 * `param` while reading it: true when its only store to `out` and every load of that buffer sit
 * in the same statement list with the same index operand, loads first. Each element is then read
 * by the one iteration that overwrites it, before it does (an elementwise `w - lr * g`);
 * broadcasts, transposes and reductions read other elements and are refused — so is a load after
 * the store, which in a multi-output kernel would read the element the store just replaced.
 */
function inPlaceSafe(step: KernelStep, param: number, out: number): boolean {
  if (!step.kernel) return false;
  let stores = 0, ok = true;
  const same = (a: Operand, b: Operand) => a.k === b.k && (a.k === "const" ? a.value === (b as typeof a).value : a.name === (b as { name: string }).name);
  const walk = (body: readonly Stmt[]): void => {
    const store = body.find((st): st is Extract<Stmt, { s: "store" }> => st.s === "store" && st.buf === out);
    let storeSeen = false;
    for (const st of body) {
      if (st.s === "store" && st.buf === out) {
        stores++;
        storeSeen = true;
      } else if (st.s === "let" && st.value.op === "load" && st.value.buf === param) {
        if (!store || storeSeen || !same(st.value.index, store.index)) ok = false;
      } else if (st.s === "loop" || st.s === "if") walk(st.body);
    }
  };
  walk(step.kernel.body);
  return ok && stores === 1;
}

/**
 * Which output may take over which donated input's storage: same dtype and size, the input is not
 * itself returned, and no step reads it after the output's step writes it (or that step reads it
 * only at the element it writes, see inPlaceSafe). Each input is given to at most one output.
 */
export function planDonations(plan: Plan, sources: readonly (number | DataBuffer)[], donate: readonly boolean[]): { out: number; input: number }[] {
  if (!donate.some(Boolean)) return [];
  const { steps, buffers } = plan;
  const bufferOfInput = new Map<number, number>();
  buffers.forEach((b, id) => {
    const s = b.role === "input" ? sources[b.index] : undefined;
    if (typeof s === "number") bufferOfInput.set(s, id);
  });
  const lastRead = new Map<number, number>();
  steps.forEach((s, k) => s.bindings.forEach((id, i) => i >= s.outputs && lastRead.set(id, k)));
  /** Per written buffer: its step and its output parameter there. */
  const writer = new Map(steps.flatMap((s, k) => s.bindings.slice(0, s.outputs).map((id, o) => [id, { k, o }] as const)));
  const returned = new Set(plan.outputs);
  const free = donate.flatMap((d, pos) => (d ? [pos] : []));
  const result: { out: number; input: number }[] = [];
  for (const out of new Set(plan.outputs)) {
    const ob = buffers[out]!;
    if (ob.role !== "output") continue;
    const { k, o } = writer.get(out)!;
    const step = steps[k]!;
    const pick = free.findIndex((pos) => {
      // (A donated input the plan never reads has no buffer here and is simply not reused.)
      const id = bufferOfInput.get(pos);
      if (id === undefined || returned.has(id) || buffers[id]!.dtype !== ob.dtype || buffers[id]!.size !== ob.size) return false;
      const last = lastRead.get(id) ?? -1;
      return last < k || (last === k && step.bindings.every((b, i) => b !== id || i < step.outputs || inPlaceSafe(step, i, o)));
    });
    if (pick >= 0) result.push({ out, input: free.splice(pick, 1)[0]! });
  }
  return result;
}

/**
 * A donated buffer is taken only when it is exactly the output's storage (dtype, length) and
 * nothing else in this call reads the same storage: the same Tensor passed twice, a State holding
 * it, or a constant captured in the graph.
 */
export function donatable(buf: DataBuffer, pos: number, out: PlanBuffer, bufs: readonly DataBuffer[], constants: readonly DataBuffer[]): boolean {
  if (buf.isReleased || !buf.host || buf.dtype !== out.dtype || buf.host.length !== out.size) return false;
  const mem = buf.host;
  for (let i = 0; i < bufs.length; i++) if (i !== pos && overlaps(bufs[i]!.host, mem)) return false;
  for (const c of constants) if (overlaps(c.host, mem)) return false;
  return true;
}

/**
 * Whether two host arrays share bytes. Resident values (host/resident.ts) are views of one shared
 * heap, distinct by their byte ranges; a shared memory hands out a new buffer object after each
 * growth, so heap views are compared as one memory whatever their buffer object.
 */
function overlaps(a: TypedArray | null, b: TypedArray): boolean {
  if (!a) return false;
  const sameMemory = a.buffer === b.buffer || (inHeap(a) && inHeap(b));
  return sameMemory && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

