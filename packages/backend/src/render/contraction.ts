/**
 * The structure of a contraction kernel's IR (lower-contraction.ts), as the target-specific contraction
 * renderers need it (targets/webgpu/wgsl-matmul.ts: GPU strategies; targets/js/js-matmul.ts: the WebAssembly
 * SIMD microkernel):
 *
 *   [root lets]
 *   for b in batch:                        `batch`
 *     [lets]
 *     pack A: for ip, ii, p: Ap[..] = ..   `packA`, store `aStore` (panel `aStore.buf`)
 *     pack B: for jp, p, jj: Bp[..] = ..   `packB`, store `bStore`
 *     for jp:                              `tiles`
 *       for ip:                            `li`
 *         regs c[MR][NR]                   `regs`
 *         for p: ...                       `pLoop` (the register-tile arithmetic)
 *         for ii, jj: epilogue(c[ii][jj])  `epilogue`
 */
import { type Kernel, type Operand, type Stmt } from "../kernel.js";

export type LoopStmt = Extract<Stmt, { s: "loop" }>;
type StoreStmt = Extract<Stmt, { s: "store" }>;
type RegsStmt = Extract<Stmt, { s: "regs" }>;

export const lets = (stmts: readonly Stmt[]): Stmt[] => stmts.filter((s) => s.s === "let");
const loops = (stmts: readonly Stmt[]): LoopStmt[] => stmts.filter((s): s is LoopStmt => s.s === "loop");

export function hasRegs(stmts: readonly Stmt[]): boolean {
  return stmts.some((s) => s.s === "regs" || ((s.s === "loop" || s.s === "if") && hasRegs(s.body)));
}

/** The extent of a loop over [0, n) with step 1, or null. */
export function extent(l: LoopStmt): number | null {
  const isConst = (o: Operand): o is Extract<Operand, { k: "const" }> => o.k === "const";
  return isConst(l.start) && l.start.value === 0 && l.step === 1 && isConst(l.end) ? l.end.value : null;
}

/** The one store of a perfect loop nest, or null. */
function nestStore(l: LoopStmt): StoreStmt | null {
  let body: readonly Stmt[] = l.body;
  for (let inner = loops(body); inner.length; inner = loops(body)) {
    if (inner.length !== 1) return null;
    body = inner[0]!.body;
  }
  const stores = body.filter((s): s is StoreStmt => s.s === "store");
  return stores.length === 1 ? stores[0]! : null;
}

export interface ContractionParts {
  readonly rootLets: Stmt[];
  readonly lb: LoopStmt;
  readonly batch: number;
  readonly packA: LoopStmt;
  readonly packB: LoopStmt;
  readonly tiles: LoopStmt;
  readonly li: LoopStmt;
  readonly regs: RegsStmt;
  readonly pLoop: LoopStmt;
  /** The epilogue's outer (ii) loop; its inner loop is `epilogueJ`. */
  readonly epilogue: LoopStmt;
  readonly epilogueJ: LoopStmt;
  readonly aStore: StoreStmt;
  readonly bStore: StoreStmt;
  /** A panels, B panels, and the reduction length. */
  readonly mp: number;
  readonly np: number;
  readonly kk: number;
}

/**
 * The parts of a contraction kernel, null for an empty one (no batch loop), or a string saying
 * what differs from the expected structure.
 * @example
 * const parts = contractionParts(kernel);
 * if (parts && typeof parts !== "string") parts.mp; // panels of MR rows of A
 */
export function contractionParts(k: Kernel): ContractionParts | string | null {
  const top = loops(k.body);
  if (top.length === 0) return null;
  const lb = top[0]!, batch = extent(lb);
  if (top.length !== 1 || batch === null) return "batch loop";
  const phases = loops(lb.body);
  if (phases.length !== 3) return "three phases";
  const [packA, packB, tiles] = phases as [LoopStmt, LoopStmt, LoopStmt];
  if (!hasRegs([tiles]) || hasRegs([packA, packB])) return "register tile phase last";
  const [aStore, bStore] = [nestStore(packA), nestStore(packB)];
  if (!aStore || !bStore || aStore.buf === bStore.buf) return "packing nests";
  const pa2 = loops(packA.body)[0], pa3 = pa2 && loops(pa2.body)[0];
  const mp = extent(packA), np = extent(packB), kk = pa3 ? extent(pa3) : null;
  if (mp === null || np === null || kk === null) return "packing extents";
  const li = loops(tiles.body)[0];
  if (!li || loops(tiles.body).length !== 1 || extent(tiles) !== np || extent(li) !== mp) return "tile loops";
  const regs = li.body.find((s): s is RegsStmt => s.s === "regs");
  const pLoop = loops(li.body).find((l) => hasRegs(l.body));
  const epi = loops(li.body).filter((l) => l !== pLoop);
  const epilogueJ = epi[0] && loops(epi[0].body)[0];
  if (!regs || !pLoop || epi.length !== 1 || !epilogueJ) return "one epilogue";
  return { rootLets: lets(k.body), lb, batch, packA, packB, tiles, li, regs, pLoop, epilogue: epi[0]!, epilogueJ, aStore, bStore, mp, np, kk };
}
