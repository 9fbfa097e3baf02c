/**
 * A `scan` whose small body reads across elements (a sum, a shift, a small matmul) as ONE
 * workgroup that runs the whole loop: the body plan's kernels in order, each one's elements strided
 * over the workgroup's invocations, a `storageBarrier()` between kernels, then the stacked ys and
 * the next carries copied, with barriers between the phases. Barriers are slow on llvmpipe, but a
 * few per iteration cost far less than a compute pass per iteration (wgsl-loop.ts has the
 * element-local case, which needs none).
 *
 * Every value of the body lives in its own device buffer (the carries in state buffers the
 * runtime fills before the pass and copies out after it), so a kernel's statements run as the
 * per-iteration path's do, reading and storing at their own indices — the same operations in the
 * same order per element, hence the same float32 results. Taken when every kernel, carry and
 * stored y has at most `GROUP_LOOP_MAX_PER_INVOCATION` elements per invocation, no contraction or
 * library kernel is in the body, and the buffers fit the binding limit. The loop budget of an
 * invocation (wgsl-loops.ts) splits long loops into several dispatches, as wgsl-loop.ts does.
 */
import { type DType, type ScanCall, sizeOf } from "@kiln/core";
import { type BufferParam, type Operand, type Stmt, fnv1a } from "../../kernel.js";
import { type Plan } from "../../schedule.js";
import { type WgslProgram, decompose, gridOf, wgslModule } from "./wgsl-module.js";
import { LOOP_BUDGET, serialTrips } from "./wgsl-loops.js";
import { type LoopInput, renameStmt } from "./wgsl-loop.js";
import { WgslWriter } from "./wgsl.js";

/** Elements one invocation handles per kernel and per iteration, at most: larger bodies want a pass per kernel. */
const GROUP_LOOP_MAX_PER_INVOCATION = 4;

/** What a group loop's parameter is bound to: besides `LoopInput`s, the call's outputs, carry state and the body's buffers. */
export type GroupBinding<C> =
  | LoopInput<C>
  | { readonly k: "output"; readonly index: number }
  | { readonly k: "state"; readonly carry: number }
  | { readonly k: "temp" };

/** A scan as one workgroup loop (the file comment), with how to bind and run it. */
export interface GroupLoop<C> {
  readonly program: WgslProgram;
  /** The program's identity (its source): compiled once. */
  readonly key: string;
  readonly name: string;
  readonly params: readonly BufferParam[];
  readonly bindings: readonly GroupBinding<C>[];
  /** Call output indices stored by the kernel or copied from the carry state (the used ones). */
  readonly outputs: readonly number[];
  readonly ranges: readonly (readonly [number, number])[];
}

/**
 * The workgroup loop of `call` whose body runs as the device plan `plan` (`feeds` as in
 * wgsl-loop.ts's `loopKernelOf`), or null when the body does not fit one workgroup (the file
 * comment). `threads`: the workgroup size; `maxBuffers`: the binding limit.
 * @example
 * const g = groupLoopOf(call, body.plan, body.feeds, [0, 1], 64, 8, 1000);
 * g?.program.dispatches.length; // 1: every iteration in one workgroup
 */
export function groupLoopOf<C>(
  call: ScanCall, plan: Plan, feeds: readonly (number | C)[], used: readonly number[], threads: number, maxBuffers: number, maxTrips: number,
): GroupLoop<C> | null {
  const L = call.length, head = call.numCarry + call.numConsts;
  if (L === 0 || !used.length) return null;
  for (const s of plan.steps) {
    if (!s.kernel || s.library || s.kernel.name.startsWith("matmul_") || s.bindings.some((id) => id < 0) || s.kernel.params.some((p) => p.role === "scratch")) return null;
  }
  const sizes = [...plan.steps.map((s) => gridOf(s.kernel!.body).size), ...call.inAvals.slice(0, call.numCarry).map((a) => sizeOf(a.shape)), ...call.body.outputs.map((o) => sizeOf(o.aval.shape))];
  const widest = Math.max(1, ...sizes);
  if (Math.ceil(widest / threads) > GROUP_LOOP_MAX_PER_INVOCATION) return null;
  // No more invocations than the widest value has elements: llvmpipe runs a workgroup's
  // invocations as SIMD batches that switch at every barrier, so idle ones cost time.
  const W = Math.min(threads, 2 ** Math.ceil(Math.log2(widest)));
  const inputOf = plan.buffers.map((b) => (b.role === "input" && typeof feeds[b.index] === "number" ? (feeds[b.index] as number) : -1));

  const params: BufferParam[] = [];
  const bindings: GroupBinding<C>[] = [];
  const memo = new Map<string, number>();
  const param = (key: string, b: GroupBinding<C>, dtype: DType, size: number, role: "in" | "out"): number => {
    let p = memo.get(key);
    if (p === undefined) (memo.set(key, (p = params.push({ dtype, size, role }) - 1)), bindings.push(b));
    return p;
  };
  const operand = (pos: number) => param(`o${pos}`, { k: "operand", index: pos }, call.inAvals[pos]!.dtype, sizeOf(call.inAvals[pos]!.shape), "in");
  const state = (c: number) => param(`s${c}`, { k: "state", carry: c }, call.inAvals[c]!.dtype, sizeOf(call.inAvals[c]!.shape), "out");
  /** Where plan buffer `id` lives: its parameter, and the row offset to add when it is an x row. */
  const home = (id: number): { p: number; row: number } => {
    const b = plan.buffers[id]!, at = inputOf[id]!;
    if (b.role !== "input") return { p: param(`t${id}`, { k: "temp" }, b.dtype, b.size, "out"), row: 0 };
    if (at < 0) return { p: param(`c${b.index}`, { k: "captured", value: feeds[b.index] as C }, b.dtype, b.size, "in"), row: 0 };
    if (at < call.numCarry) return { p: state(at), row: 0 };
    return { p: operand(at), row: at >= head ? b.size : 0 };
  };

  // Per kernel: its statements over the loop's parameters, x-row loads offset to row `lp_`.
  const kernels = plan.steps.map((s, j) => {
    const k = s.kernel!, grid = gridOf(k.body), prefix = `k${j}_`;
    const vars = grid.loops.map((l) => ({ name: prefix + l.var, extent: (l.end as { value: number }).value }));
    const rows = new Map<number, number>();
    const where = (p: number) => {
      const h = home(s.bindings[p]!);
      if (h.row) rows.set(h.p, h.row);
      return h.p;
    };
    const stmts = [...grid.lets, ...grid.inner].map((st) => renameStmt(st, prefix, new Map(), where));
    return { size: grid.size, vars, stmts: offsetRows(stmts, rows) };
  });
  const outParams = new Map<number, number>();
  for (const o of used) {
    if (o < call.numCarry) continue;
    const a = call.outAvals[o]!;
    outParams.set(o, param(`y${o}`, { k: "output", index: o }, a.dtype, sizeOf(a.shape), "out"));
  }
  // The next carries: copied from their buffers into the state once every kernel has read it.
  const carryCopies: { to: number; from: { p: number; row: number }; size: number }[] = [];
  for (let c = 0; c < call.numCarry; c++) {
    const id = plan.outputs[c]!;
    if (inputOf[id] === c) continue;
    const from = home(id);
    // A carry taking another carry's value would race with that carry's own copy.
    if (inputOf[id]! >= 0 && inputOf[id]! < call.numCarry) return null;
    carryCopies.push({ to: state(c), from, size: sizeOf(call.inAvals[c]!.shape) });
  }
  for (let c = 0; c < call.numCarry; c++) state(c);
  if (params.length + 1 > maxBuffers) return null;

  // --- trips per dispatch
  const per = (n: number, trips: number) => Math.ceil(n / W) * (1 + trips);
  const yCopies = [...outParams].map(([o, p]) => ({ p, from: home(plan.outputs[o]!), size: sizeOf(call.body.outputs[o]!.aval.shape) }));
  const iteration = 1 + kernels.reduce((n, k) => n + per(k.size, serialTrips(k.stmts)), 0) +
    [...yCopies, ...carryCopies].reduce((n, c) => n + per(c.size, 0), 0);
  const perDispatch = Math.max(1, Math.min(Math.floor((LOOP_BUDGET - 64) / iteration), maxTrips));
  const ranges: [number, number][] = [];
  for (let t = 0; t < L; t += perDispatch) ranges.push([t, Math.min(L, t + perDispatch)]);
  const bounds = ranges.length > 1 ? param("bounds", { k: "bounds" }, "int32", 2, "in") : -1;

  // --- the WGSL
  const w = new WgslWriter(params, kernels.flatMap((k) => k.stmts));
  w.begin();
  const out: string[] = [];
  const ref = (p: number, index: string, write = false) => (w.used.add(p), write && w.written.add(p), `b${p}[${index}]`);
  const [start, end] = bounds < 0 ? ["0", `${L}`] : [ref(bounds, "0"), ref(bounds, "1")];
  out.push(`  for (var lt_: i32 = ${start}; lt_ < ${end}; lt_ += 1) {`, `    let lp_ = ${call.reverse ? `${L - 1} - lt_` : "lt_"};`);
  const strided = (n: number, vars: readonly { name: string; extent: number }[], body: (ind: string) => void) => {
    out.push(`    for (var f_ = lid; f_ < ${n}; f_ += ${W}) {`, ...decompose("f_", vars, "      "));
    body("      ");
    out.push("    }");
  };
  for (const k of kernels) {
    strided(k.size, k.vars, (ind) => w.serial(k.stmts, ind, out));
    out.push("    storageBarrier();");
  }
  const src = (from: { p: number; row: number }) => ref(from.p, from.row ? `lp_ * ${from.row} + f_` : "f_");
  for (const y of yCopies) strided(y.size, [], (ind) => out.push(`${ind}${ref(y.p, `lp_ * ${y.size} + f_`, true)} = ${src(y.from)};`));
  // A y that is a carry's old value must be copied before that carry's new value overwrites it.
  if (yCopies.some((y) => carryCopies.some((c) => c.to === y.from.p))) out.push("    storageBarrier();");
  for (const c of carryCopies) strided(c.size, [], (ind) => out.push(`${ind}${ref(c.to, "f_", true)} = ${src(c.from)};`));
  out.push("    storageBarrier();", "  }");
  for (let c = 0; c < call.numCarry; c++) (w.used.add(state(c)), w.written.add(state(c)));
  const { source, bindings: slots } = wgslModule(w, out, W, 1);
  const name = `group_loop_scan_${fnv1a(source)}`;
  return {
    program: { dispatches: [{ source, bindings: slots, groups: [1, 1, 1] }], scratch: [], paramSizes: new Map() },
    key: `group-loop:${source}`,
    name,
    params,
    bindings,
    outputs: used,
    ranges,
  };
}

/** Loads from an x-row parameter (`rows`: parameter → row size) read row `lp_` of the stacked xs. */
function offsetRows(stmts: readonly Stmt[], rows: ReadonlyMap<number, number>): Stmt[] {
  if (!rows.size) return [...stmts];
  const out: Stmt[] = [];
  for (const st of stmts) {
    if (st.s === "let" && st.value.op === "load" && rows.has(st.value.buf)) {
      const v = st.value, r = rows.get(v.buf)!;
      const at: Operand = { k: "local", name: `${st.name}o`, dtype: "index" };
      out.push({ s: "let", name: `${st.name}r`, value: { op: "alu", alu: "mul", args: [{ k: "var", name: "lp_" }, { k: "const", value: r, dtype: "index" }], dtype: "index", param: [] } });
      out.push({ s: "let", name: at.name, value: { op: "alu", alu: "add", args: [{ k: "local", name: `${st.name}r`, dtype: "index" }, v.index], dtype: "index", param: [] } });
      out.push({ ...st, value: { ...v, index: at } });
    } else if (st.s === "loop" || st.s === "if") out.push({ ...st, body: offsetRows(st.body, rows) });
    else out.push(st);
  }
  return out;
}
