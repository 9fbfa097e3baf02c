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
 * same order per element, hence the same float32 results where that path runs one invocation per
 * output (a reduction it shares across a workgroup, ≥ `coopMin` elements, is summed serially here:
 * within float32 rounding of it). Taken when every kernel, carry and stored y has at most
 * `GROUP_LOOP_MAX_PER_INVOCATION` elements per invocation, no contraction or library kernel is in
 * the body, and the buffers fit the binding limit. The loop budget of an invocation
 * (wgsl-loops.ts) splits long loops into several dispatches, as wgsl-loop.ts does. A `whileLoop`
 * runs the same way (`groupWhileOf`), its predicate's kernels first in each iteration.
 */
import { type Aval, type DType, type ScanCall, type WhileCall, sizeOf } from "@kiln/core";
import { type BufferParam, type Operand, type Stmt, fnv1a } from "../../kernel.js";
import { type Plan } from "../../schedule.js";
import { type WgslProgram, decompose, gridOf, wgslModule } from "./wgsl-module.js";
import { serialTrips } from "./wgsl-loops.js";
import { type LoopInput, iterationRanges, renameStmt, tripsPerDispatch } from "./wgsl-loop.js";
import { WgslWriter } from "./wgsl.js";

/** Elements one invocation handles per kernel and per iteration, at most: larger bodies want a pass per kernel. */
const GROUP_LOOP_MAX_PER_INVOCATION = 4;

/** What a group loop's parameter is bound to: besides `LoopInput`s, the call's outputs, carry state and the body's buffers. */
export type GroupBinding<C> =
  | LoopInput<C>
  | { readonly k: "output"; readonly index: number }
  | { readonly k: "state"; readonly carry: number }
  | { readonly k: "temp" }
  | { readonly k: "flag" };

/** A one-workgroup program and what its parameters are bound to. */
interface WorkgroupProgram<C> {
  readonly program: WgslProgram;
  /** The program's identity (its source): compiled once. */
  readonly key: string;
  readonly name: string;
  readonly params: readonly BufferParam[];
  /** Per parameter (a while loop's include the `flag` the kernel sets once the predicate is false). */
  readonly bindings: readonly GroupBinding<C>[];
}

/** A scan as one workgroup loop (the file comment), with how to bind and run it. */
export interface GroupLoop<C> extends WorkgroupProgram<C> {
  /** Call output indices stored by the kernel or copied from the carry state (the used ones). */
  readonly outputs: readonly number[];
  readonly ranges: readonly (readonly [number, number])[];
}

/** Whether every step of a body plan is a kernel a workgroup loop can run (no contraction, library kernel or scratch). */
function groupable(plan: Plan): boolean {
  return plan.steps.every((s) => s.kernel && !s.library && !s.kernel.name.startsWith("matmul_") && !s.bindings.some((id) => id < 0) && !s.kernel.params.some((p) => p.role === "scratch"));
}

/**
 * The workgroup size for values of `sizes` elements, or null when one invocation would hold more
 * than `GROUP_LOOP_MAX_PER_INVOCATION` of them. No more invocations than the widest value has
 * elements: llvmpipe runs a workgroup's invocations as SIMD batches that switch at every barrier,
 * so idle ones cost time.
 */
function workgroupFor(sizes: readonly number[], threads: number): number | null {
  const widest = Math.max(1, ...sizes);
  return Math.ceil(widest / threads) > GROUP_LOOP_MAX_PER_INVOCATION ? null : Math.min(threads, 2 ** Math.ceil(Math.log2(widest)));
}

type Kernels = { size: number; vars: { name: string; extent: number }[]; stmts: Stmt[] }[];
interface Home { readonly p: number; readonly row: number }

/** The parameters of a workgroup loop and the body plans' kernels over them. */
class GroupParams<C> {
  readonly params: BufferParam[] = [];
  readonly bindings: GroupBinding<C>[] = [];
  private readonly memo = new Map<string, number>();

  /** `avals`: the loop's operands (carries first); operands from `xsFrom` on are stacked x rows. */
  constructor(readonly avals: readonly Aval[], readonly numCarry: number, readonly xsFrom: number) {}

  param(key: string, b: GroupBinding<C>, dtype: DType, size: number, role: "in" | "out"): number {
    let p = this.memo.get(key);
    if (p === undefined) (this.memo.set(key, (p = this.params.push({ dtype, size, role }) - 1)), this.bindings.push(b));
    return p;
  }

  operand(pos: number): number {
    return this.param(`o${pos}`, { k: "operand", index: pos }, this.avals[pos]!.dtype, sizeOf(this.avals[pos]!.shape), "in");
  }

  state(c: number): number {
    return this.param(`s${c}`, { k: "state", carry: c }, this.avals[c]!.dtype, sizeOf(this.avals[c]!.shape), "out");
  }

  /**
   * A body plan (`feeds` as in wgsl-loop.ts) over the loop's parameters: `home(id)` is where plan
   * buffer `id` lives (its own buffer, the carry state, an operand; `row`: an x row's size), and
   * its kernels' statements, renamed apart by `tag`, with x-row loads offset to row `lp_`.
   */
  segment(plan: Plan, feeds: readonly (number | C)[], tag: string): { kernels: Kernels; home: (id: number) => Home; inputOf: readonly number[] } {
    const inputOf = plan.buffers.map((b) => (b.role === "input" && typeof feeds[b.index] === "number" ? (feeds[b.index] as number) : -1));
    const home = (id: number): Home => {
      const b = plan.buffers[id]!, at = inputOf[id]!;
      if (b.role !== "input") return { p: this.param(`t${tag}${id}`, { k: "temp" }, b.dtype, b.size, "out"), row: 0 };
      if (at < 0) return { p: this.param(`c${tag}${b.index}`, { k: "captured", value: feeds[b.index] as C }, b.dtype, b.size, "in"), row: 0 };
      if (at < this.numCarry) return { p: this.state(at), row: 0 };
      return { p: this.operand(at), row: at >= this.xsFrom ? b.size : 0 };
    };
    const kernels = plan.steps.map((s, j) => {
      const k = s.kernel!, grid = gridOf(k.body), prefix = `${tag}${j}_`;
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
    return { kernels, home, inputOf };
  }

  /**
   * The copies of the next carries (`next[c]`: the plan buffer of carry c's next value) into the
   * state, or null when a carry takes another carry's value (its copy would race with that one's).
   */
  carryCopies(next: readonly number[], seg: { home: (id: number) => Home; inputOf: readonly number[] }): Copy[] | null {
    const copies: Copy[] = [];
    for (let c = 0; c < this.numCarry; c++) {
      const at = seg.inputOf[next[c]!]!;
      if (at === c) continue;
      if (at >= 0 && at < this.numCarry) return null;
      copies.push({ to: this.state(c), from: seg.home(next[c]!), size: sizeOf(this.avals[c]!.shape) });
    }
    for (let c = 0; c < this.numCarry; c++) this.state(c);
    return copies;
  }
}

interface Copy { readonly to: number; readonly from: Home; readonly size: number }

/** WGSL text of a workgroup loop's iteration parts, over `W` invocations. */
class GroupText {
  readonly out: string[] = [];
  constructor(readonly w: WgslWriter, readonly W: number) {
    w.begin();
  }

  ref(p: number, index: string, write = false): string {
    this.w.used.add(p);
    if (write) this.w.written.add(p);
    return `b${p}[${index}]`;
  }

  strided(n: number, vars: readonly { name: string; extent: number }[], body: (ind: string) => void): void {
    this.out.push(`    for (var f_ = lid; f_ < ${n}; f_ += ${this.W}) {`, ...decompose("f_", vars, "      "));
    body("      ");
    this.out.push("    }");
  }

  /** Each kernel's elements strided over the invocations, a storage barrier after each. */
  kernels(kernels: Kernels): void {
    for (const k of kernels) {
      this.strided(k.size, k.vars, (ind) => this.w.serial(k.stmts, ind, this.out));
      this.out.push("    storageBarrier();");
    }
  }

  src(from: Home): string {
    return this.ref(from.p, from.row ? `lp_ * ${from.row} + f_` : "f_");
  }

  copies(copies: readonly Copy[]): void {
    for (const c of copies) this.strided(c.size, [], (ind) => this.out.push(`${ind}${this.ref(c.to, "f_", true)} = ${this.src(c.from)};`));
  }
}

/** Loop iterations per invocation of one iteration of the loop: its kernels, its copies and the loop itself. */
function iterationTrips(kernels: Kernels, copies: readonly { size: number }[], W: number): number {
  const per = (n: number, trips: number) => Math.ceil(n / W) * (1 + trips);
  return 1 + kernels.reduce((n, k) => n + per(k.size, serialTrips(k.stmts)), 0) + copies.reduce((n, c) => n + per(c.size, 0), 0);
}

/** The one-workgroup program of `out` (its module, its identity). */
function groupProgram(what: string, text: GroupText): { program: WgslProgram; key: string; name: string } {
  const { source, bindings } = wgslModule(text.w, text.out, text.W, 1);
  return {
    program: { dispatches: [{ source, bindings, groups: [1, 1, 1] }], scratch: [], paramSizes: new Map() },
    key: `group-loop:${source}`,
    name: `group_loop_${what}_${fnv1a(source)}`,
  };
}

/**
 * The workgroup loop of `call` whose body runs as the device plan `plan` (`feeds` as in
 * wgsl-loop.ts's `loopKernelOf`), or null when the body does not fit one workgroup (the file
 * comment). `threads`: the largest workgroup; `maxBuffers`: the binding limit.
 * @example
 * const g = groupLoopOf(call, body.plan, body.feeds, [0, 1], 64, 8, Infinity);
 * g?.program.dispatches.length; // 1: every iteration in one workgroup
 */
export function groupLoopOf<C>(
  call: ScanCall, plan: Plan, feeds: readonly (number | C)[], used: readonly number[], threads: number, maxBuffers: number, maxTrips: number,
): GroupLoop<C> | null {
  const L = call.length;
  if (L === 0 || !used.length || !groupable(plan)) return null;
  const W = workgroupFor([...plan.steps.map((s) => gridOf(s.kernel!.body).size), ...call.inAvals.slice(0, call.numCarry).map((a) => sizeOf(a.shape)),
    ...call.body.outputs.map((o) => sizeOf(o.aval.shape))], threads);
  if (W === null) return null;
  const g = new GroupParams<C>(call.inAvals, call.numCarry, call.numCarry + call.numConsts);
  const seg = g.segment(plan, feeds, "k");
  const yCopies: Copy[] = used.filter((o) => o >= call.numCarry).map((o) => {
    const a = call.outAvals[o]!;
    return { to: g.param(`y${o}`, { k: "output", index: o }, a.dtype, sizeOf(a.shape), "out"), from: seg.home(plan.outputs[o]!), size: sizeOf(call.body.outputs[o]!.aval.shape) };
  });
  const carryCopies = g.carryCopies(plan.outputs.slice(0, call.numCarry), seg);
  if (!carryCopies || g.params.length + 1 > maxBuffers) return null;

  const perDispatch = tripsPerDispatch(iterationTrips(seg.kernels, [...yCopies, ...carryCopies], W), maxTrips);
  const ranges = iterationRanges(L, perDispatch);
  const bounds = ranges.length > 1 ? g.param("bounds", { k: "bounds" }, "int32", 2, "in") : -1;

  const t = new GroupText(new WgslWriter(g.params, seg.kernels.flatMap((k) => k.stmts)), W);
  const [start, end] = bounds < 0 ? ["0", `${L}`] : [t.ref(bounds, "0"), t.ref(bounds, "1")];
  t.out.push(`  for (var lt_: i32 = ${start}; lt_ < ${end}; lt_ += 1) {`, `    let lp_ = ${call.reverse ? `${L - 1} - lt_` : "lt_"};`);
  t.kernels(seg.kernels);
  for (const y of yCopies) t.strided(y.size, [], (ind) => t.out.push(`${ind}${t.ref(y.to, `lp_ * ${y.size} + f_`, true)} = ${t.src(y.from)};`));
  // A y that is a carry's old value must be copied before that carry's new value overwrites it.
  if (yCopies.some((y) => carryCopies.some((c) => c.to === y.from.p))) t.out.push("    storageBarrier();");
  t.copies(carryCopies);
  t.out.push("    storageBarrier();", "  }");
  for (let c = 0; c < call.numCarry; c++) t.ref(g.state(c), "0", true);
  return { ...groupProgram("scan", t), params: g.params, bindings: g.bindings, outputs: used, ranges };
}

/** A `whileLoop` as one workgroup loop (`groupWhileOf`), with how to bind and run it. */
export interface GroupWhile<C> extends WorkgroupProgram<C> {
  /** Iterations one dispatch runs at most (the loop budget): the runtime dispatches again until the flag is set. */
  readonly trips: number;
}

/**
 * A `whileLoop` whose predicate and body run as the device plans `cond` and `body` (their `feeds`
 * as in wgsl-loop.ts) as one workgroup loop, or null when they do not fit one workgroup: per
 * iteration the predicate's kernels, the predicate shared through workgroup memory (a uniform
 * value: every invocation leaves the loop together), the body's kernels and the next carries. A
 * dispatch runs at most `trips` iterations (the loop budget; the trip count is unknown): it sets
 * the flag when the predicate is false, and the runtime reads the flag — one read per dispatch
 * instead of one per iteration — and dispatches again until it is set.
 * @example
 * const g = groupWhileOf(call, condPlan, condFeeds, bodyPlan, bodyFeeds, 64, 8, Infinity);
 */
export function groupWhileOf<C>(
  call: WhileCall, cond: Plan, condFeeds: readonly (number | C)[], body: Plan, bodyFeeds: readonly (number | C)[], threads: number, maxBuffers: number, maxTrips: number,
): GroupWhile<C> | null {
  if (!groupable(cond) || !groupable(body)) return null;
  const W = workgroupFor([...[...cond.steps, ...body.steps].map((s) => gridOf(s.kernel!.body).size), ...call.inAvals.slice(0, call.numCarry).map((a) => sizeOf(a.shape))], threads);
  if (W === null) return null;
  const g = new GroupParams<C>(call.inAvals, call.numCarry, Infinity);
  const c = g.segment(cond, condFeeds, "p"), b = g.segment(body, bodyFeeds, "k");
  const carryCopies = g.carryCopies(body.outputs, b);
  if (!carryCopies) return null;
  const pred = c.home(cond.outputs[0]!);
  const flag = g.param("flag", { k: "flag" }, "int32", 1, "out");
  if (g.params.length > maxBuffers) return null;
  const trips = tripsPerDispatch(iterationTrips(c.kernels, [], W) + iterationTrips(b.kernels, carryCopies, W), maxTrips);

  const t = new GroupText(new WgslWriter(g.params, [...c.kernels, ...b.kernels].flatMap((k) => k.stmts)), W);
  t.out.push(`  if (lid == 0) { ${t.ref(flag, "0", true)} = 0; }`, `  for (var lt_: i32 = 0; lt_ < ${trips}; lt_ += 1) {`);
  t.kernels(c.kernels);
  // The predicate (a bool: a u32 0/1 word in storage) as a uniform value (workgroupUniformLoad):
  // every invocation leaves the loop together, and barriers stay in uniform control flow.
  t.out.push(`    if (lid == 0) { wgo_ = ${t.ref(pred.p, "0")}; }`, "    if (workgroupUniformLoad(&wgo_) == 0u) {", `      if (lid == 0) { ${t.ref(flag, "0", true)} = 1; }`, "      break;", "    }");
  t.kernels(b.kernels);
  t.copies(carryCopies);
  t.out.push("    storageBarrier();", "  }");
  for (let k = 0; k < call.numCarry; k++) t.ref(g.state(k), "0", true);
  const made = groupProgram("while", t);
  const source = made.program.dispatches[0]!.source.replace("@compute", "var<workgroup> wgo_: u32;\n@compute");
  return {
    program: { ...made.program, dispatches: [{ ...made.program.dispatches[0]!, source }] },
    key: `group-loop:${source}`, name: made.name, params: g.params, bindings: g.bindings, trips,
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
