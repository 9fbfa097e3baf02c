/**
 * Which loop of a (non-contraction) kernel the worker pool may split, read from the kernel IR, so
 * that the split kernel gives the same bits as the kernel run whole on one thread:
 *
 * - `rows`: the kernel is root `let`s plus one `parallel` loop (lower.ts marks output loops
 *   parallel: each iteration writes its own output elements, and donation only lets an iteration
 *   overwrite the element it alone reads — host/donate.ts). Any range [lo, hi) of that loop can run
 *   on any thread: elementwise, gather and multi-output kernels, reductions over an axis (one row per
 *   iteration, summed whole by one thread).
 * - `blocks`: a root loop that only feeds root accumulators (a full reduction). Its iterations are
 *   grouped into fixed blocks of `per` iterations; every block's partial (the accumulator from its
 *   initial value over that block) goes to a scratch slot — any thread may compute any block — and
 *   the partials are folded into the accumulators in block order on the calling thread. For a
 *   float sum or product that is the order the serial kernel adds in only when each loop iteration is
 *   already one block of place.ts's blocked summation (`acc += partial` once per iteration): then
 *   `per` is 1. Integer accumulators (wrapping add/mul, exactly associative) and max/min (exact in
 *   any order) take any grouping: `per` covers SUM_BLOCK elements.
 *
 * The slot per block and accumulator is 8 bytes (an f64 or an i32 accumulator).
 */
import { type ReduceOp } from "../../expr.js";
import { type Kernel, type Operand, type Stmt, walkStmts as walk } from "../../kernel.js";
import { SUM_BLOCK } from "../../place.js";

type LoopStmt = Extract<Stmt, { s: "loop" }>;

/** How a kernel splits across threads (see the file comment), or why it runs whole. */
export type KernelSplit =
  | { readonly kind: "rows"; readonly loop: LoopStmt; readonly n: number; readonly work: number }
  | {
      readonly kind: "blocks"; readonly loop: LoopStmt; readonly n: number; readonly work: number;
      /** Loop iterations per block. */
      readonly per: number;
      /** The root accumulators the loop feeds, with their reduction, in slot order. */
      readonly accs: readonly { readonly name: string; readonly rop: ReduceOp }[];
    };

/** Bytes of one partial slot (an f64 or i32 accumulator). */
export const SLOT_BYTES = 8;

/**
 * The least work (kernelWork) a chunk of a split kernel gets; a kernel with less than twice this runs
 * whole on the calling thread (and gets no split exports). Measured on the 2-core machine class
 * (min of many calls, a forced split vs one thread): a job on the pool costs ≥ 3 µs more than a
 * direct call when the worker is awake (2^12-element `x·1.5+0.5`: 9.2 vs 6.3 µs) and tens of µs
 * when it must be woken from `Atomics.wait`; one unit of work takes 0.25 ns (`x·1.5+0.5`, 2^18
 * elements = 2^20 units in 250 µs) to 0.7 ns (W1's kernel, vector math) on one core. So a chunk of
 * 2^18 units (65–180 µs) is several wake-ups long, and the smallest split kernel (W1 from 2^16
 * elements, an add from 2^17) gains once both cores are free. (Under that session's load — load
 * average 14 on 2 cores, no idle core — 2 threads gained nothing at any size: a speedup could not
 * be measured, only the costs.)
 */
export const SPLIT_MIN_WORK = 1 << 18;

let minWork = SPLIT_MIN_WORK;

/**
 * Sets the least work a chunk gets (tests split tiny kernels with 1, benchmarks turn splitting off
 * with Infinity; no argument restores SPLIT_MIN_WORK). Kernels compiled while it was higher have no
 * split exports: `clearWasmKernels()` after lowering it.
 * @example setSplitMinWork(1); clearWasmKernels(); // every splittable kernel splits, in chunks of one index
 */
export function setSplitMinWork(n: number = SPLIT_MIN_WORK): void {
  minWork = n;
}

/**
 * A kernel's work, in rough units of one simple op per element: its ALU flops plus the elements of
 * its buffers (a copy or gather has no flops but moves every element).
 * @example kernelWork(expKernel) // 3 · 2^20 for exp over 2^20 elements: 2^20 flops + 2 · 2^20 elements
 */
export function kernelWork(k: Kernel): number {
  return k.flops + k.params.reduce((a, p) => a + p.size, 0);
}

/** The split with the kernel's work, or null when the kernel is too small to split. */
function sized<S extends { n: number }>(k: Kernel, s: S): (S & { work: number }) | null {
  const work = kernelWork(k);
  return s.n < 2 || work < 2 * minWork ? null : { ...s, work };
}

/**
 * The least indices of the split loop per chunk (each chunk gets at least the minimum work), or
 * Infinity when the kernel is too small to split now.
 * @example splitGrain({ n: 1024, work: 1 << 23 }) // 32 with SPLIT_MIN_WORK = 2^18
 */
export function splitGrain(s: { readonly n: number; readonly work: number }): number {
  return s.work < 2 * minWork ? Infinity : Math.max(1, Math.ceil(minWork / (s.work / s.n)));
}

const constOf = (o: Operand): number | null => (o.k === "const" ? o.value : null);

function operands(st: Stmt): readonly Operand[] {
  switch (st.s) {
    case "let": return st.value.op === "alu" ? st.value.args : st.value.op === "load" ? [st.value.index] : st.value.idx;
    case "update": case "regUpdate": return [st.value, ...(st.s === "regUpdate" ? st.idx : [])];
    case "store": return [st.index, st.value];
    case "loop": return [st.start, st.end];
    case "if": return [st.cond];
    default: return [];
  }
}

/** Trip count of a loop with constant bounds, or null. */
function trips(l: LoopStmt): number | null {
  const s = constOf(l.start), e = constOf(l.end);
  return s === null || e === null || l.step < 1 ? null : Math.max(0, Math.ceil((e - s) / l.step));
}

/**
 * The kernel's split (file comment), or null when it runs whole: `isInt(acc)` says whether an
 * accumulator is an int32 one (wrapping, exactly associative) in the wasm value model.
 * @example
 * kernelSplit(expKernel, () => false); // { kind: "rows", loop, n: 1048576 }
 * kernelSplit(w1SumKernel, () => false); // { kind: "blocks", n: 1024, per: 1, accs: [{ name: "a0", rop: "sum" }] }
 */
export function kernelSplit(k: Kernel, isInt: (acc: string) => boolean): KernelSplit | null {
  const loops = k.body.filter((st): st is LoopStmt => st.s === "loop");
  if (loops.length === 1 && loops[0]!.kind === "parallel" && k.body.every((st) => st.s === "let" || st === loops[0])) {
    const n = trips(loops[0]!);
    return n ? sized(k, { kind: "rows" as const, loop: loops[0]!, n }) : null;
  }
  // A full reduction: the first root loop, after only lets and accumulator starts.
  const at = k.body.findIndex((st) => st.s !== "let" && st.s !== "acc");
  const loop = k.body[at];
  if (!loop || loop.s !== "loop") return null;
  const n0 = trips(loop);
  if (!n0) return null;
  const declared = new Map(k.body.slice(0, at).flatMap((st) => (st.s === "acc" ? [[st.name, st.init] as const] : [])));
  const fed = new Map<string, ReduceOp>();
  for (const st of walk(loop.body)) {
    if (st.s === "store" || st.s === "regs" || st.s === "regUpdate") return null;
    if (st.s === "update" && declared.has(st.name)) {
      if ((fed.get(st.name) ?? st.rop) !== st.rop) return null;
      fed.set(st.name, st.rop);
    }
  }
  if (fed.size === 0) return null;
  for (const st of walk(loop.body)) if (operands(st).some((o) => o.k === "local" && fed.has(o.name))) return null;
  const exact = (name: string, rop: ReduceOp) => isInt(name) || rop === "max" || rop === "min";
  let per = Math.max(1, Math.floor(SUM_BLOCK / loop.step));
  for (const [name, rop] of fed) {
    if (exact(name, rop)) continue;
    // A float sum/product: each iteration must be one of place.ts's blocks (a single top-level
    // `acc op= partial`), and the start its identity, so that folding the partials repeats the
    // serial additions exactly.
    if (loop.step !== SUM_BLOCK) return null;
    const tops = loop.body.filter((st) => st.s === "update" && st.name === name).length;
    const deep = [...walk(loop.body)].filter((st) => st.s === "update" && st.name === name).length;
    if (tops !== 1 || deep !== 1 || declared.get(name) !== (rop === "sum" ? 0 : 1)) return null;
    per = 1;
  }
  const accs = [...fed].map(([name, rop]) => ({ name, rop }));
  return sized(k, { kind: "blocks" as const, loop, n: Math.ceil(n0 / per), per, accs });
}
