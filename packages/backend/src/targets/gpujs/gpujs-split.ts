/**
 * Long reductions in two passes. The scheduler blocks a long sum into chunks —
 *
 *   acc a0; for s in chunks { acc a1; for v in [s, min(s + C, n)) { a1 += f(v) }; a0 += a1 }
 *
 * — which one GPU.js thread per output would run serially (W1: one thread summing 2^20 values,
 * one fragment on WebGL). Split, a first kernel has one thread per (output, chunk) computing
 * that chunk's `a1` (the partials), and the kernel itself combines each output's partials in chunk
 * order and runs what follows the reduction. The float32 additions are the ones of the blocked
 * loop, in the same order, so the split changes no bits; it only makes the chunks parallel.
 */
import { type Operand, type Stmt } from "../../kernel.js";
import { type LoopStmt } from "../../render/contraction.js";
import { type Defs, renderStmts, threadVars } from "./gpujs-stmts.js";

type AccStmt = Extract<Stmt, { s: "acc" }>;
type UpdateStmt = Extract<Stmt, { s: "update" }>;

/** The argument name of the partials in the combining kernel, and the names it declares. */
export const PARTIALS_ARG = "bp";
const CHUNK = "split_c", PARTIAL = "split_v";

/** A thread's blocked reduction: `acc` (statement `at`) and the chunk loop (statement `loopAt`) ending in `acc rop= inner`. */
interface Blocked {
  readonly at: number;
  readonly loopAt: number;
  readonly loop: LoopStmt & { readonly start: { k: "const"; value: number } };
  readonly update: UpdateStmt;
  readonly inner: AccStmt;
  readonly chunks: number;
}

/** Names of the accumulators statements update (nested loops and ifs included). */
function updated(stmts: readonly Stmt[], out = new Set<string>()): Set<string> {
  for (const st of stmts) {
    if (st.s === "update") out.add(st.name);
    else if (st.s === "loop" || st.s === "if") updated(st.body, out);
  }
  return out;
}

/** Whether statements read the local `name`. */
function reads(stmts: readonly Stmt[], name: string): boolean {
  const is = (o: Operand) => o.k === "local" && o.name === name;
  return stmts.some((st) => {
    switch (st.s) {
      case "let": return st.value.op === "alu" ? st.value.args.some(is) : st.value.op === "load" ? is(st.value.index) : false;
      case "update": return is(st.value);
      case "store": return is(st.value) || is(st.index);
      case "loop": return is(st.start) || is(st.end) || reads(st.body, name);
      case "if": return is(st.cond) || reads(st.body, name);
      default: return false;
    }
  });
}

/**
 * The thread's blocked reduction, if its statements are: lets, the accumulator, the chunk loop
 * (constant bounds, ≥ 2 chunks, whose only update of an outer accumulator is its last statement,
 * folding an accumulator declared inside it), then anything.
 */
function findBlocked(body: readonly Stmt[]): Blocked | null {
  const loopAt = body.findIndex((st) => st.s === "loop");
  const loop = body[loopAt];
  if (loop?.s !== "loop" || loop.kind !== "serial" || loop.start.k !== "const" || loop.end.k !== "const") return null;
  const update = loop.body[loop.body.length - 1];
  if (update?.s !== "update" || update.value.k !== "local") return null;
  const innerName = update.value.name;
  const inner = loop.body.find((st): st is AccStmt => st.s === "acc" && st.name === innerName);
  const at = body.findIndex((st) => st.s === "acc" && st.name === update.name);
  if (!inner || at < 0 || at > loopAt) return null;
  const declared = new Set(loop.body.flatMap((st) => (st.s === "acc" ? [st.name] : [])));
  const before = loop.body.slice(0, -1);
  if ([...updated(before)].some((a) => !declared.has(a)) || reads(before, update.name)) return null;
  if (body.slice(0, loopAt).some((st) => st.s !== "let" && st !== body[at])) return null;
  const chunks = Math.ceil((loop.end.value - loop.start.value) / loop.step);
  return chunks < 2 ? null : { at, loopAt, loop: loop as Blocked["loop"], update, inner, chunks };
}

/**
 * The two kernels of a thread nest (`vars` over `extents`, statements `body`, returning `result`)
 * whose reduction is blocked, or null: `partials` (outputs × chunks threads) and `finish` (its
 * function body; its last argument is the partials).
 * @example
 * splitReduction([], [], body, defs, "t11")?.chunks; // 1024 for a whole-array sum of 2^20
 */
export function splitReduction(
  vars: readonly string[], extents: readonly number[], body: readonly Stmt[], defs: Defs, result: string,
): { partials: string[]; finish: string[]; chunks: number } | null {
  const b = findBlocked(body);
  if (!b) return null;
  const lets = body.slice(0, b.loopAt).filter((st) => st !== body[b.at]);
  const partials = threadVars([...vars, CHUNK], [...extents, b.chunks]);
  partials.push(`  const ${b.loop.var} = ${b.loop.start.value} + ${CHUNK} * ${b.loop.step};`);
  renderStmts([...lets, ...b.loop.body.slice(0, -1)], defs, "  ", partials);
  partials.push(`  return ${b.inner.name};`);

  const finish = threadVars(vars, extents);
  // The output's row-major position is the thread index: its partials are chunks … chunks + chunks - 1.
  finish.push(`  const ${CHUNK}_o = this.thread.x * ${b.chunks};`);
  renderStmts(body.slice(0, b.loopAt), defs, "  ", finish);
  finish.push(`  for (let ${CHUNK} = 0; ${CHUNK} < ${b.chunks}; ${CHUNK} += 1) {`);
  finish.push(`    const ${PARTIAL} = ${PARTIALS_ARG}[${CHUNK}_o + ${CHUNK}];`);
  renderStmts([{ ...b.update, value: { k: "local", name: PARTIAL, dtype: "float32" } }], defs, "    ", finish);
  finish.push(`  }`);
  renderStmts(body.slice(b.loopAt + 1), defs, "  ", finish);
  finish.push(`  return ${result};`);
  return { partials, finish, chunks: b.chunks };
}
