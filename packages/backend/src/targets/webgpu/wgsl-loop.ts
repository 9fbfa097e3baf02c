/**
 * A `scan` whose body is element-local as ONE kernel that runs the whole loop: each invocation
 * keeps its elements' carries in registers and runs the trip count as a WGSL loop, storing the
 * stacked ys (`ys[t, i]`) as it goes and the final carries at the end — one dispatch instead of a
 * compute pass per iteration (a pass costs ~0.1 ms on Dawn over llvmpipe: a 1,000-step scan of a
 * 16-element body took ~90 ms as passes; as one loop kernel it is one pass).
 *
 * Element-local: every carry element's next value depends only on the same element of the
 * carries. Checked on the body's own device plan (the kernels the per-iteration path runs), so the
 * loop body is those kernels' statements, in their order, with the same operations per element:
 *  - the loop has a width N; every value that changes per iteration (carries, x rows, the body's
 *    intermediate buffers) holds N elements or 1 (a scalar: a counter, a step size), and every
 *    kernel computes N elements or 1;
 *  - a kernel of N elements reads such a value only at the element it stores (its store index,
 *    verified to be the flat index of its grid), or a scalar one at 0; a kernel of 1 element
 *    reads only scalar ones. Loop-invariant operands (consts, captured arrays) are read as the
 *    kernel reads them, at any index (a table lookup is fine);
 *  - no contractions, library kernels or scratch (a small body of those kinds that reads across
 *    elements runs as a workgroup loop, wgsl-group-loop.ts; others keep the per-iteration path).
 * Invocation i computes element i of every N-element kernel and, redundantly, every scalar one
 * (an iteration counter is a few adds per invocation); invocation 0 stores the scalar results.
 * Values between the body's kernels stay in registers. No barrier is needed: no invocation reads
 * another's element.
 *
 * Software drivers bound the loop iterations of one invocation (wgsl-loops.ts: llvmpipe cuts them
 * silently past 65,535), and a hardware driver may bound a shader's run time: a loop longer than
 * `loopTripsPerDispatch` runs as several dispatches of the same pipeline, each over a range of
 * iterations read from a small bounds buffer, the carries handed from one to the next through
 * device buffers.
 */
import { type DType, type ScanCall, sizeOf } from "@kiln/core";
import { type AluOp, type ExprDType } from "../../expr.js";
import { type BufferParam, type Kernel, type Op, type Operand, type Stmt, fnv1a, printKernelBody, walkStmts } from "../../kernel.js";
import { type Plan } from "../../schedule.js";
import { gridOf } from "./wgsl-module.js";
import { LOOP_BUDGET, serialTrips } from "./wgsl-loops.js";

/** What a loop kernel's input parameter is bound to: a scan operand, a captured value of the body, or the iteration bounds. */
export type LoopInput<C> =
  | { readonly k: "operand"; readonly index: number }
  | { readonly k: "captured"; readonly value: C }
  | { readonly k: "bounds" };

/** A scan as one loop kernel (the file comment), with how to bind and dispatch it. */
export interface LoopKernel<C> {
  /** `outputs.length` output parameters (the call's outputs, in `outputs` order), then one parameter per `inputs` entry. */
  readonly kernel: Kernel;
  /** Call output index of each output parameter: the outputs some step uses (others are not stored). */
  readonly outputs: readonly number[];
  readonly inputs: readonly LoopInput<C>[];
  /**
   * Carry k's input parameter and output parameter, for handing carries from one dispatch to the
   * next when the loop is split (`ranges.length > 1`); -1 when the kernel does not use it.
   */
  readonly carries: readonly { readonly input: number; readonly output: number }[];
  /** Iteration ranges [start, end) of the dispatches, in order (one unless the loop is split). */
  readonly ranges: readonly (readonly [number, number])[];
  /** Invocations (the loop width N). */
  readonly width: number;
}

let maxTripsOverride: number | null = null;

/**
 * Sets the most iterations one dispatch of a loop kernel runs (null: as many as the loop budget of
 * the body allows, wgsl-loops.ts); returns the previous override. For tests of the split path.
 * @example
 * const was = setLoopKernelMaxTrips(3); // a 10-step scan runs as 4 dispatches
 */
export function setLoopKernelMaxTrips(trips: number | null): number | null {
  const was = maxTripsOverride;
  maxTripsOverride = trips;
  return was;
}

/** The most iterations one dispatch of a device loop may run besides its loop budget (`setLoopKernelMaxTrips`). */
export function loopTripsOverride(): number {
  return maxTripsOverride ?? Infinity;
}

/**
 * The iteration ranges [start, end) of a loop of `length` run `perDispatch` iterations at a time.
 * @example iterationRanges(10, 4) // [[0, 4], [4, 8], [8, 10]]
 */
export function iterationRanges(length: number, perDispatch: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let t = 0; t < length; t += perDispatch) ranges.push([t, Math.min(length, t + perDispatch)]);
  return ranges;
}

/**
 * Iterations one dispatch of a device loop runs: half the loop budget (`LOOP_BUDGET / 2`), less
 * the iterations outside the loop (`fixed`), over the loop iterations of one iteration. Half, because `serialTrips` counts a loop's iterations, while
 * llvmpipe's counter also takes each loop's exit test: a workgroup while loop sized to the whole
 * budget (~136 counted per iteration) was cut short, silently (test/webgpu/loop-kernel.test.ts).
 * @example tripsPerDispatch(100, Infinity) // 327
 */
export function tripsPerDispatch(perIteration: number, maxTrips: number, fixed = 0): number {
  return Math.max(1, Math.min(Math.floor((LOOP_BUDGET / 2 - 64 - fixed) / perIteration), maxTrips));
}

const idx = (value: number): Operand => ({ k: "const", value, dtype: "index" });
const local = (name: string, dtype: ExprDType): Operand => ({ k: "local", name, dtype });
const sameOperand = (a: Operand, b: Operand): boolean =>
  a.k === b.k && (a.k === "const" ? a.value === (b as typeof a).value : a.name === (b as { name: string }).name);

/** Index ops a store index is built from (expr.ts's affine forms, rendered). */
const INDEX_OPS: Partial<Record<AluOp, (a: readonly number[], p: readonly number[]) => number>> = {
  add: (a) => a[0]! + a[1]!,
  sub: (a) => a[0]! - a[1]!,
  mul: (a) => a[0]! * a[1]!,
  idiv: (a, p) => Math.floor(a[0]! / p[0]!),
  imod: (a, p) => a[0]! % p[0]!,
};

/**
 * Whether the store index `s` of a kernel with grid loops `vars` is the flat (row-major) index of
 * its grid: then invocation i of the loop kernel holds element i of every kernel's output. Checked
 * by evaluating the index lets at every grid point (or ~2,000 spread over a large grid).
 */
function storesAtFlatIndex(s: Operand, vars: readonly { name: string; extent: number }[], lets: ReadonlyMap<string, Op>): boolean {
  const size = vars.reduce((n, v) => n * v.extent, 1);
  const step = Math.max(1, Math.floor(size / 2048));
  const points = Array.from({ length: Math.ceil(size / step) }, (_, i) => i * step);
  for (const f of [...points, size - 1]) {
    const env = new Map<string, number>();
    let rest = f;
    for (let d = vars.length - 1; d >= 0; d--) (env.set(vars[d]!.name, rest % vars[d]!.extent), (rest = Math.floor(rest / vars[d]!.extent)));
    const value = (o: Operand): number | null => {
      if (o.k === "const") return o.value;
      if (o.k === "var") return env.get(o.name) ?? null;
      const op = lets.get(o.name);
      const f = op?.op === "alu" ? INDEX_OPS[op.alu] : undefined;
      if (!op || op.op !== "alu" || !f || op.dtype !== "index") return null;
      const args = op.args.map(value);
      return args.some((a) => a === null) ? null : f(args as number[], op.param);
    };
    if (value(s) !== f) return false;
  }
  return true;
}

/**
 * Splits an iteration's top-level statements into the lets that compute the same value every
 * iteration (constants of the body, loads of invariant operands: LIF's exp(−dt/tau) factor) —
 * computed once before the loop — and the rest. `variant` names what changes per iteration.
 */
function hoistInvariant(stmts: readonly Stmt[], variant: Set<string>): { hoisted: Stmt[]; rest: Stmt[] } {
  const hoisted: Stmt[] = [], rest: Stmt[] = [];
  const fixed = (o: Operand) => o.k === "const" || !variant.has(o.name);
  for (const st of stmts) {
    const v = st.s === "let" ? st.value : null;
    if (st.s === "let" && v && v.op !== "reg" && (v.op === "alu" ? v.args.every(fixed) : fixed(v.index))) hoisted.push(st);
    else {
      rest.push(st);
      for (const x of walkStmts([st])) if (x.s === "let" || x.s === "acc" || x.s === "regs") variant.add(x.name);
    }
  }
  return { hoisted, rest };
}

/**
 * Renames a kernel's locals and loop variables apart (`prefix`), substitutes operands (`subst`, by
 * original name) and maps buffer parameters (`param`).
 * @example
 * renameStmt(st, "k0_", new Map(), (p) => p + 2); // t0 → k0_t0, b1 → b3
 */
export function renameStmt(st: Stmt, prefix: string, subst: ReadonlyMap<string, Operand>, param: (p: number) => number): Stmt {
  const o = (x: Operand): Operand => (x.k === "const" ? x : subst.get(x.name) ?? { ...x, name: prefix + x.name });
  const op = (v: Op): Op =>
    v.op === "alu" ? { ...v, args: v.args.map(o) } : v.op === "load" ? { ...v, buf: param(v.buf), index: o(v.index) } : { ...v, name: prefix + v.name, idx: v.idx.map(o) };
  // A substituted let (a changing value's load) is dropped wherever it sits.
  const body = (b: readonly Stmt[]) => b.filter((x) => !(x.s === "let" && subst.has(x.name))).map((x) => renameStmt(x, prefix, subst, param));
  switch (st.s) {
    case "let": return { ...st, name: prefix + st.name, value: op(st.value) };
    case "acc": case "regs": return { ...st, name: prefix + st.name };
    case "update": return { ...st, name: prefix + st.name, value: o(st.value) };
    case "regUpdate": return { ...st, name: prefix + st.name, idx: st.idx.map(o), value: o(st.value) };
    case "store": return { ...st, buf: param(st.buf), index: o(st.index), value: o(st.value) };
    case "loop": return { ...st, var: prefix + st.var, start: o(st.start), end: o(st.end), body: body(st.body) };
    case "if": return { ...st, cond: o(st.cond), body: body(st.body) };
  }
}

/**
 * The loop kernel of `call` whose body runs as the device plan `plan` (`feeds`: per plan input,
 * the body input position it is, or a captured value), storing the call outputs `used`; null when
 * the body is not element-local (the file comment) or the kernel would bind more than
 * `maxBuffers` buffers.
 * @example
 * const loop = loopKernelOf(call, body.plan, body.feeds, [0], 8);
 * loop?.kernel.name; // "loop_scan_…": one dispatch runs every iteration
 */
export function loopKernelOf<C>(call: ScanCall, plan: Plan, feeds: readonly (number | C)[], used: readonly number[], maxBuffers: number): LoopKernel<C> | null {
  const L = call.length, head = call.numCarry + call.numConsts;
  if (L === 0 || !used.length) return null;
  /** Per plan buffer: the body input it is (inputs), else -1. */
  const inputOf = plan.buffers.map((b) => (b.role === "input" && typeof feeds[b.index] === "number" ? (feeds[b.index] as number) : -1));
  const invariant = (id: number) => plan.buffers[id]!.role === "input" && (inputOf[id]! < 0 || (inputOf[id]! >= call.numCarry && inputOf[id]! < head));
  const sizeOfBuf = (id: number) => plan.buffers[id]!.size;
  // The loop width: the largest changing value (carries, x rows read, intermediates, stored ys).
  const widths = call.inAvals.slice(0, call.numCarry).map((a) => sizeOf(a.shape));
  for (const o of used) if (o >= call.numCarry) widths.push(sizeOf(call.body.outputs[o]!.aval.shape));
  plan.buffers.forEach((b, id) => void (invariant(id) || widths.push(b.size)));
  for (const s of plan.steps) {
    if (!s.kernel || s.library || s.kind === "matmul" || s.kernel.name.startsWith("matmul_")) return null;
    if (s.bindings.some((id) => id < 0) || s.kernel.params.some((p) => p.role === "scratch")) return null;
    widths.push(gridOf(s.kernel.body).size);
  }
  const N = Math.max(1, ...widths);
  if (widths.some((w) => w !== 1 && w !== N)) return null;

  // --- the kernel's parameters
  const params: BufferParam[] = [];
  const inputs: LoopInput<C>[] = [];
  const outParam = new Map<number, number>();
  for (const o of used) outParam.set(o, params.push({ dtype: call.outAvals[o]!.dtype, size: sizeOf(call.outAvals[o]!.shape), role: "out" }) - 1);
  const inParams = new Map<string, number>();
  const inputParam = (key: string, input: LoopInput<C>, dtype: DType, size: number): number => {
    let p = inParams.get(key);
    if (p === undefined) (inParams.set(key, (p = params.push({ dtype, size, role: "in" }) - 1)), inputs.push(input));
    return p;
  };
  const operandParam = (pos: number) => inputParam(`o${pos}`, { k: "operand", index: pos }, call.inAvals[pos]!.dtype, sizeOf(call.inAvals[pos]!.shape));
  /** The loop kernel parameter an invariant plan buffer is read through. */
  const invariantParam = (id: number): number => {
    const b = plan.buffers[id]!;
    const at = inputOf[id]!;
    return at >= 0 ? operandParam(at) : inputParam(`c${b.index}`, { k: "captured", value: feeds[b.index] as C }, b.dtype, b.size);
  };

  // --- per iteration: the body's kernels, in plan order
  const G: Operand = { k: "var", name: "lg_" };
  const T: Operand = { k: "var", name: "lt_" };
  const pre: Stmt[] = []; // before the loop: carries into registers
  const head_: Stmt[] = []; // top of an iteration: the changing values the body reads
  const iter: Stmt[] = [];
  const after: Stmt[] = [];
  const pos: Operand = call.reverse ? local("lp_", "index") : T;
  if (call.reverse) head_.push({ s: "let", name: "lp_", value: { op: "alu", alu: "sub", args: [idx(L - 1), T], dtype: "index", param: [] } });
  const at = (size: number): Operand => (size === 1 ? idx(0) : G);
  /** Value of plan buffer `id` at this invocation's element, per iteration (memoized). */
  const values = new Map<number, Operand>();
  const carryRegs = new Map<number, string>();
  const carryReg = (k: number): string => {
    let r = carryRegs.get(k);
    if (r === undefined) {
      carryRegs.set(k, (r = `lc${k}_`));
      const a = call.inAvals[k]!, p = operandParam(k);
      pre.push({ s: "regs", name: r, shape: [1], init: 0 }, { s: "let", name: `${r}i`, value: { op: "load", buf: p, index: at(sizeOf(a.shape)), dtype: a.dtype } });
      pre.push({ s: "regUpdate", name: r, idx: [idx(0)], rop: "set", value: local(`${r}i`, a.dtype) });
    }
    return r;
  };
  /** A register read as a value of `dtype` (bools are held as i32 0/1). */
  const readReg = (into: Stmt[], name: string, reg: string, dtype: DType): Operand => {
    const held = dtype === "bool" ? "int32" : dtype;
    into.push({ s: "let", name: dtype === "bool" ? `${name}r` : name, value: { op: "reg", name: reg, idx: [idx(0)], dtype: held } });
    if (dtype === "bool") into.push({ s: "let", name, value: { op: "alu", alu: "cast", args: [local(`${name}r`, "int32")], dtype: "bool", param: [] } });
    return local(name, dtype);
  };
  const changing = (id: number): Operand => {
    const hit = values.get(id);
    if (hit) return hit;
    const at_ = inputOf[id]!, b = plan.buffers[id]!;
    let v: Operand;
    if (at_ >= 0 && at_ < call.numCarry) v = readReg(head_, `lv${id}_`, carryReg(at_), b.dtype);
    else if (at_ >= head) {
      // Row `pos` of the stacked xs: element pos·rowSize + i.
      const p = operandParam(at_);
      let index = pos;
      if (b.size !== 1) {
        head_.push({ s: "let", name: `lx${id}_`, value: { op: "alu", alu: "mul", args: [pos, idx(b.size)], dtype: "index", param: [] } });
        head_.push({ s: "let", name: `lxi${id}_`, value: { op: "alu", alu: "add", args: [local(`lx${id}_`, "index"), G], dtype: "index", param: [] } });
        index = local(`lxi${id}_`, "index");
      }
      head_.push({ s: "let", name: `lv${id}_`, value: { op: "load", buf: p, index, dtype: b.dtype } });
      v = local(`lv${id}_`, b.dtype);
    } else if (invariant(id)) {
      // A const returned as is (a y or carry equal to a const): read where the element lives.
      iter.push({ s: "let", name: `lv${id}_`, value: { op: "load", buf: invariantParam(id), index: at(b.size), dtype: b.dtype } });
      v = local(`lv${id}_`, b.dtype);
    } else throw new Error(`internal: webgpu loop: buffer ${id} is read before a kernel stores it`);
    values.set(id, v);
    return v;
  };
  /** `v` as a value of `dtype` (a load's or a store's conversion). */
  const as = (v: Operand, dtype: ExprDType, name: string): Operand => {
    const from = v.k === "var" ? "index" : v.dtype;
    if (from === dtype) return v;
    iter.push({ s: "let", name, value: { op: "alu", alu: "cast", args: [v], dtype, param: [] } });
    return local(name, dtype);
  };

  for (const [j, s] of plan.steps.entries()) {
    const k = s.kernel!, grid = gridOf(k.body), E = grid.size, prefix = `k${j}_`;
    const lets = new Map<string, Op>();
    for (const st of walkStmts(k.body)) if (st.s === "let") lets.set(st.name, st.value);
    const stores = [...walkStmts(k.body)].filter((st): st is Extract<Stmt, { s: "store" }> => st.s === "store");
    const S = stores[0]?.index;
    if (!S || stores.some((st) => !sameOperand(st.index, S) || !grid.inner.includes(st) || st.buf >= s.outputs)) return null;
    const vars = grid.loops.map((l) => ({ name: l.var, extent: (l.end as { value: number }).value }));
    if (!storesAtFlatIndex(S, vars, lets)) return null;
    // Changing values are read at the stored element, or at 0 when scalar.
    const subst = new Map<string, Operand>();
    for (const st of walkStmts(k.body)) {
      if (st.s !== "let" || st.value.op !== "load") continue;
      const id = s.bindings[st.value.buf]!;
      if (invariant(id)) continue;
      const { index } = st.value;
      const ok = sameOperand(index, S) ? sizeOfBuf(id) === E : sizeOfBuf(id) === 1 && index.k === "const" && index.value === 0;
      if (!ok) return null;
      subst.set(st.name, as(changing(id), st.value.dtype, `${prefix}${st.name}c`));
    }
    // The grid's variables from this invocation's element (a scalar kernel's are all 0).
    let stride = 1;
    for (let d = vars.length - 1; d >= 0; d--) {
      const { name, extent } = vars[d]!;
      if (E === 1) subst.set(name, idx(0));
      else if (vars.length === 1) subst.set(name, G);
      else {
        const q = `${prefix}${name}q`;
        iter.push({ s: "let", name: q, value: { op: "alu", alu: "idiv", args: [G], dtype: "index", param: [stride] } });
        iter.push({ s: "let", name: prefix + name, value: { op: "alu", alu: "imod", args: [local(q, "index")], dtype: "index", param: [extent] } });
        subst.set(name, local(prefix + name, "index"));
      }
      stride *= extent;
    }
    const param = (p: number) => (p < s.outputs ? -1 : invariantParam(s.bindings[p]!));
    for (const st of [...grid.lets, ...grid.inner]) {
      if (st.s === "let" && subst.has(st.name)) continue; // a changing value's load: replaced
      if (st.s === "store") {
        const id = s.bindings[st.buf]!;
        const r = renameStmt(st, prefix, subst, () => -1) as Extract<Stmt, { s: "store" }>;
        values.set(id, as(r.value, plan.buffers[id]!.dtype, `${prefix}s${st.buf}`));
        continue;
      }
      iter.push(renameStmt(st, prefix, subst, param));
    }
  }
  // After the body: the ys of this iteration, then the next carries (every read came before).
  /** A store of a scalar output: invocation 0's (all of them computed it). */
  const guarded = (size: number, st: Stmt): Stmt => (size === 1 && N > 1 ? { s: "if", cond: first(), body: [st] } : st);
  const first = (): Operand => {
    if (!pre.some((st) => st.s === "let" && st.name === "lg0_")) pre.unshift({ s: "let", name: "lg0_", value: { op: "alu", alu: "eq", args: [G, idx(0)], dtype: "bool", param: [] } });
    return local("lg0_", "bool");
  };
  const result = (o: number) => changing(plan.outputs[o]!);
  for (const o of used.filter((o) => o >= call.numCarry)) {
    const size = sizeOf(call.body.outputs[o]!.aval.shape);
    let index = pos;
    if (size !== 1) {
      iter.push({ s: "let", name: `ly${o}_`, value: { op: "alu", alu: "mul", args: [pos, idx(size)], dtype: "index", param: [] } });
      iter.push({ s: "let", name: `lyi${o}_`, value: { op: "alu", alu: "add", args: [local(`ly${o}_`, "index"), G], dtype: "index", param: [] } });
      index = local(`lyi${o}_`, "index");
    }
    iter.push(guarded(size, { s: "store", buf: outParam.get(o)!, index, value: result(o) }));
  }
  const nextCarry: Operand[] = [];
  for (let c = 0; c < call.numCarry; c++) nextCarry.push(result(c));
  nextCarry.forEach((v, c) => {
    if (inputOf[plan.outputs[c]!] === c) return; // carried unchanged
    iter.push({ s: "regUpdate", name: carryReg(c), idx: [idx(0)], rop: "set", value: v });
  });
  // After the loop: the final carries.
  for (const o of used.filter((o) => o < call.numCarry)) {
    const size = sizeOf(call.inAvals[o]!.shape);
    const v = readReg(after, `lf${o}_`, carryReg(o), call.inAvals[o]!.dtype);
    after.push(guarded(size, { s: "store", buf: outParam.get(o)!, index: at(size), value: v }));
  }

  // --- trips per dispatch: the loop budget of one invocation (wgsl-loops.ts)
  const { hoisted, rest } = hoistInvariant(iter, new Set(["lt_", ...head_.flatMap((st) => (st.s === "let" ? [st.name] : []))]));
  pre.push(...hoisted);
  const loopBody = [...head_, ...rest];
  const perDispatch = tripsPerDispatch(1 + serialTrips(loopBody), loopTripsOverride(), serialTrips([...pre, ...after]));
  const ranges = iterationRanges(L, perDispatch);
  let start: Operand = idx(0), end: Operand = idx(L);
  if (ranges.length > 1) {
    const b = inputParam("bounds", { k: "bounds" }, "int32", 2);
    pre.push({ s: "let", name: "lt0_", value: { op: "load", buf: b, index: idx(0), dtype: "int32" } });
    pre.push({ s: "let", name: "lt1_", value: { op: "load", buf: b, index: idx(1), dtype: "int32" } });
    [start, end] = [local("lt0_", "int32"), local("lt1_", "int32")];
    // Each carry is read and written at every split, so it must have parameters both ways.
    for (let c = 0; c < call.numCarry; c++) carryReg(c);
  }
  const carries = Array.from({ length: call.numCarry }, (_, c) => ({ input: inParams.get(`o${c}`) ?? -1, output: outParam.get(c) ?? -1 }));
  if (ranges.length > 1 && carries.some((c) => c.output < 0)) {
    // A split loop hands every carry on through an output parameter, stored or not by the call.
    for (const [c, pc] of carries.entries()) {
      if (pc.output >= 0) continue;
      const a = call.inAvals[c]!, size = sizeOf(a.shape);
      const p = params.push({ dtype: a.dtype, size, role: "out" }) - 1;
      carries[c] = { input: pc.input, output: p };
      const v = readReg(after, `lf${c}_`, carryReg(c), a.dtype);
      after.push(guarded(size, { s: "store", buf: p, index: at(size), value: v }));
    }
  }
  const loop: Stmt = { s: "loop", var: "lt_", start, end, step: 1, kind: "serial", body: loopBody };
  const body: Stmt[] = [{ s: "loop", var: "lg_", start: idx(0), end: idx(N), step: 1, kind: "parallel", body: [...pre, loop, ...after] }];
  // Outputs first (BufferParam's contract): extra carry outputs were appended after the inputs.
  const order = [...params.keys()].sort((a, b) => (params[a]!.role === "out" ? 0 : 1) - (params[b]!.role === "out" ? 0 : 1) || a - b);
  const renumber = new Map(order.map((p, i) => [p, i]));
  const final = body.map((st) => renameStmt(st, "", new Map(), (p) => renumber.get(p)!));
  const finalParams = order.map((p) => params[p]!);
  if (finalParams.length > maxBuffers) return null;
  const text = printKernelBody(finalParams, final);
  return {
    kernel: { name: `loop_scan_${fnv1a(text)}`, params: finalParams, body: final, flops: plan.stats.flops * L },
    outputs: used,
    inputs,
    carries: carries.map((c) => ({ input: c.input < 0 ? -1 : renumber.get(c.input)!, output: c.output < 0 ? -1 : renumber.get(c.output)! })),
    ranges,
    width: N,
  };
}
