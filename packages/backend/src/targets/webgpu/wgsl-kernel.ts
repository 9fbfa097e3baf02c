/**
 * A kernel's loop nest → WGSL compute dispatches. The kernel IR marks the output loops
 * `parallel`; how they meet the hardware is decided here, per kernel, from its shape:
 *
 *  - **thread**: one invocation per output element (all output loops flattened into the global
 *    invocation index); reductions run serially inside the invocation. Elementwise kernels and
 *    short reductions.
 *  - **group**: one workgroup per output of the outer loops; the workgroup's invocations split a
 *    long reduction (strided), combine their partials in workgroup memory (a tree of
 *    log2(size) barrier steps) and share the result; inner output loops (softmax's column loop
 *    after its row max and sum) are strided across the invocations. Long reductions, many outputs.
 *  - **split**: a reduction too long for one workgroup and too few outputs to fill the device
 *    (a full sum): a first dispatch of `groups` workgroups per output (enough to fill the device —
 *    the tuning's `minGroups` — and to keep each invocation within the loop budget) in which every
 *    invocation sums a strided share of the elements — four at a time through vec4 loads where
 *    the input is contiguous and the tuning asks for it, else `splitUnroll` per loop iteration —
 *    into its own partial (no barrier); a
 *    second, one workgroup per output, adds the partials and combines them by the tree, then runs
 *    the epilogue. The finish stays on the device: the plan reads back one value per output.
 *
 * Dispatches larger than 65535 workgroups (the per-dimension limit) use a 2-D grid, linearized
 * in the shader. No invocation runs more than `LOOP_BUDGET` loop iterations (all loops together,
 * targets/webgpu/wgsl-loops.ts):
 * a reduction that would is split across more workgroups, or its strided loop is unrolled. Every size
 * is a compile-time constant: kernels are specialized to their shapes.
 * Contractions have their own template (targets/webgpu/wgsl-matmul.ts).
 */
import { type Kernel, type Stmt } from "../../kernel.js";
import { type ReduceOp } from "../../expr.js";
import { type AccType, WgslWriter, combine, storageType } from "./wgsl.js";
import {
  type Grid, type LoopStmt, type Nest, type WgslDispatch, type WgslProgram, type WgslTuning, decompose, extentOf, flatten, gridDims, gridOf, simpleLoop, unblock, wgslModule,
} from "./wgsl-module.js";

export type { LoopStmt, MatmulChoice, MatmulStrategy, WgslDispatch, WgslProgram, WgslTuning } from "./wgsl-module.js";
import { affineDefs, affineOf, quadIndex, renderContraction } from "./wgsl-matmul.js";
import { LOOP_BUDGET, LOOP_LIMIT, serialTrips } from "./wgsl-loops.js";

/** Names of accumulators updated anywhere in `stmts`, with their reduce op. */
function updatedAccs(stmts: readonly Stmt[], into = new Map<string, ReduceOp>()): Map<string, ReduceOp> {
  for (const st of stmts) {
    if (st.s === "update") into.set(st.name, st.rop);
    else if (st.s === "loop" || st.s === "if") updatedAccs(st.body, into);
  }
  return into;
}

// ------------------------------------------------------------------ the three mappings

/** Output dtypes stored as one 32-bit word per element (a quad of them is one vec4 store). */
const QUAD_DTYPES: ReadonlySet<string> = new Set(["float32", "int32", "uint32", "bool"]);

class Mapper {
  readonly w: WgslWriter;
  readonly grid: Grid;
  readonly dispatches: WgslDispatch[] = [];
  readonly scratch: { size: number; type: AccType }[] = [];
  private readonly sharedTypes = new Set<AccType>();
  /** Copies of the body per iteration of a workgroup-strided loop (keeps long rows within LOOP_BUDGET). */
  unroll = 1;

  constructor(readonly k: Kernel, readonly t: WgslTuning) {
    this.w = new WgslWriter(k.params, k.body);
    this.grid = gridOf(k.body);
  }

  private emit(
    body: string[], wg: number, groups: number, scratch: { name: string; slot: number; type: string; written: boolean }[] = [], quadViews: readonly number[] = [],
    types?: ReadonlyMap<number, string>,
  ): void {
    if (groups === 0) return;
    const dims = gridDims(groups, this.t.maxGroupsPerDim);
    const shared = [...this.sharedTypes].map((ty) => `var<workgroup> red_${ty}: array<${ty}, ${wg}>;`);
    const { source, bindings } = wgslModule(this.w, body, wg, dims[0], { scratch, shared, quadViews, ...(types ? { types } : {}) });
    this.dispatches.push({ source, bindings, groups: dims });
    this.sharedTypes.clear();
  }

  /** Grid variables from a flat output index, then the lets hoisted between the grid loops. */
  private gridPrologue(index: string, out: string[]): void {
    out.push(...decompose(index, this.grid.loops.map((l) => ({ name: l.var, extent: extentOf(l) })), "  "));
    this.w.serial(this.grid.lets, "  ", out);
  }

  thread(): void {
    if (this.threadQuads()) return;
    const W = this.t.threads, T = this.grid.size;
    this.w.begin();
    const out = [`  let t = gid * ${W} + lid;`, `  if (t >= ${T}) { return; }`];
    this.gridPrologue("t", out);
    this.w.serial(this.grid.inner, "  ", out);
    this.emit(out, W, Math.ceil(T / W));
  }

  /**
   * The thread mapping with four consecutive elements of the innermost output loop per invocation,
   * for an elementwise kernel (lets and stores only) whose every output is stored once at an index
   * addressing aligned quads along that loop (row-major, innermost extent % 4 = 0): the body runs
   * once per element as before (each copy in its own block), and each output's four values go out
   * as one vec4 store. A quarter of the stores and of the index decomposition, and the index math
   * that does not depend on the innermost loop (a pooling window's row arithmetic, a broadcast
   * operand's offset) is shared by the four — a software adapter issues every memory operation per
   * lane, and these kernels are mostly memory operations. False (the per-element mapping) otherwise,
   * or when the kernel reads an output. (A donated input rebound to an output's binding is read as
   * a component of that binding's quads: webgpu-programs.ts `aliasedDispatch`.)
   */
  private threadQuads(): boolean {
    const { loops, lets: gridLets, inner } = this.grid;
    const last = loops[loops.length - 1];
    if (!last || extentOf(last) % 4 !== 0 || !inner.every((s) => s.s === "let" || s.s === "store")) return false;
    const v = last.var, params = this.k.params;
    const { defs } = affineDefs([...gridLets, ...inner]);
    const outs = new Set<number>();
    for (const st of inner) {
      if (st.s !== "store") continue;
      const p = params[st.buf]!;
      if (outs.has(st.buf) || p.role !== "out" || !QUAD_DTYPES.has(p.dtype) || !quadIndex(affineOf(st.index, defs), v)) return false;
      outs.add(st.buf);
    }
    if (outs.size === 0) return false;
    if ([...gridLets, ...inner].some((st) => st.s === "let" && st.value.op === "load" && outs.has(st.value.buf))) return false;
    const W = this.t.threads, T = this.grid.size / 4;
    this.w.begin();
    const out = [`  let t = gid * ${W} + lid;`, `  if (t >= ${T}) { return; }`];
    out.push(...decompose("t", loops.map((l) => (l === last ? { name: "vq_", extent: extentOf(l) / 4 } : { name: l.var, extent: extentOf(l) })), "  "));
    this.w.serial(gridLets, "  ", out);
    for (const b of outs) out.push(`  var s${b}_: vec4<${storageType(params[b]!.dtype)}>;`, `  var x${b}_ = 0;`);
    for (let u = 0; u < 4; u++) {
      const body: string[] = [];
      this.w.serial(inner, "    ", body);
      out.push(`  {`, `    let ${v} = vq_ * 4 + ${u};`);
      for (const line of body) {
        const m = /^(\s*)b(\d+)\[([^\]]+)\] = (.*);$/.exec(line);
        if (!m || !outs.has(Number(m[2]))) out.push(line);
        else out.push(`${m[1]}s${m[2]}_[${u}] = ${m[4]};`, ...(u === 0 ? [`${m[1]}x${m[2]}_ = ${m[3]};`] : []));
      }
      out.push(`  }`);
    }
    for (const b of outs) out.push(`  b${b}[x${b}_ / 4] = s${b}_;`);
    this.emit(out, W, Math.ceil(T / W), [], [], new Map([...outs].map((b) => [b, `vec4<${storageType(params[b]!.dtype)}>`])));
    return true;
  }

  group(): void {
    const W = this.t.groupThreads, P = this.grid.size;
    this.w.begin();
    const out = [`  if (gid >= ${P}) { return; }`];
    this.gridPrologue("gid", out);
    this.coop(unblock(this.grid.inner), "  ", out);
    this.emit(out, W, P);
  }

  /**
   * Two dispatches: per-invocation partials, then their combination and the epilogue. The first
   * runs `groups` workgroups per output; invocation i of T = groups · W sums the output's
   * elements i, i + T, i + 2T, … in increasing order (quads 4i…4i+3, 4(i + T)… when it loads
   * them as vec4: `quadBuffers`) and stores its own partial — no workgroup tree, no barrier. The
   * second runs one workgroup per output: invocation l sums partials l, l + W, …, the tree combines
   * the W sums, then the epilogue. That is the summation order on every adapter.
   */
  split(groups: number): void {
    const W = this.t.groupThreads, P = this.grid.size, T = groups * W;
    const inner = unblock(this.grid.inner);
    const at = inner.findIndex((s) => s.s === "loop");
    const loop = inner[at] as LoopStmt;
    const nest = flatten(loop)!;
    const [acc, rop] = [...updatedAccs([loop])][0]!;
    const ty = this.w.accTypeOf(acc);
    const slot = this.scratch.push({ size: P * T, type: ty }) - 1;
    const quads = this.quadBuffers(nest);
    this.w.begin();
    const s1 = [`  if (gid >= ${P * groups}) { return; }`, `  let o_ = gid / ${groups};`, `  let i_ = (gid % ${groups}) * ${W} + lid;`];
    this.gridPrologue("o_", s1);
    this.w.serial(inner.slice(0, at), "  ", s1);
    if (quads.length) this.quadLoop(nest, quads, T, s1);
    else this.stridedLoop(nest, T, s1);
    s1.push(`  part_[o_ * ${T} + i_] = ${acc};`);
    this.emit(s1, W, P * groups, [{ name: "part_", slot, type: ty, written: true }], quads);
    this.w.begin();
    const s2 = [`  if (gid >= ${P}) { return; }`];
    this.gridPrologue("gid", s2);
    this.w.serial(inner.slice(0, at), "  ", s2);
    s2.push(`  for (var f_ = lid; f_ < ${T}; f_ += ${W}) { ${acc} = ${combine(rop, ty, acc, `part_[gid * ${T} + f_]`)}; }`);
    this.treeReduce(acc, rop, W, s2);
    this.coop(inner.slice(at + 1), "  ", s2);
    this.emit(s2, W, P, [{ name: "part_", slot, type: ty, written: false }]);
  }

  /**
   * Inputs the reduction reads at its own (contiguous) index — a one-variable nest loading
   * `b[v]` — loaded four at a time through a vec4 view: a quarter of the load instructions and
   * loop iterations (hardware GPUs issue one 16-byte load). Only as many as free bindings allow,
   * and only where the tuning asks for it (`quadLoads`: not on software adapters, see there).
   */
  private quadBuffers(nest: Nest): number[] {
    if (!this.t.quadLoads || nest.vars.length !== 1 || nest.size < 4) return [];
    const v = nest.vars[0]!.name;
    const found = new Set<number>();
    const walk = (stmts: readonly Stmt[]): void => {
      for (const st of stmts) {
        if (st.s === "let" && st.value.op === "load" && st.value.index.k === "var" && st.value.index.name === v) {
          const p = this.k.params[st.value.buf]!;
          if (p.role === "in" && p.dtype !== "bool") found.add(st.value.buf);
        } else if (st.s === "if" || st.s === "loop") walk(st.body);
      }
    };
    walk(nest.body);
    // The first pass binds the kernel's inputs, the partials and the views (never its outputs).
    const free = this.t.storageBuffers - 1 - this.k.params.filter((p) => p.role !== "out").length;
    return [...found].sort((a, b) => a - b).slice(0, Math.max(0, free));
  }

  /**
   * The first pass's loop over elements i_, i_ + T, i_ + 2T, …: `splitUnroll` of them per
   * iteration (each in its own block: its lets may repeat names), then the rest one at a time —
   * the same elements in the same order as the plain loop, so the same bits. Software adapters
   * pay a fixed cost per loop iteration (llvmpipe: the loop-limit counter and the lane mask),
   * which the unrolled loop pays once per U elements.
   */
  private stridedLoop(nest: Nest, T: number, out: string[]): void {
    const n = nest.size, U = Math.max(1, Math.min(this.t.splitUnroll, Math.floor(n / T)));
    if (U === 1) {
      out.push(`  for (var f_ = i_; f_ < ${n}; f_ += ${T}) {`, ...decompose("f_", nest.vars, "    "));
      this.w.serial(nest.body, "    ", out);
      out.push("  }");
      return;
    }
    // f_ < n - (U - 1)T: the last copy's element exists (and f_ + (U - 1)T cannot overflow).
    out.push("  var f_ = i_;", `  for (; f_ < ${n - (U - 1) * T}; f_ += ${U * T}) {`);
    for (let u = 0; u < U; u++) {
      out.push(`    { let g_ = f_${u ? ` + ${u * T}` : ""};`, ...decompose("g_", nest.vars, "      "));
      this.w.serial(nest.body, "      ", out);
      out.push("    }");
    }
    out.push("  }", `  for (; f_ < ${n}; f_ += ${T}) {`, ...decompose("f_", nest.vars, "    "));
    this.w.serial(nest.body, "    ", out);
    out.push("  }");
  }

  /** The first pass's loop over quads, the body once per lane; invocation 0 then takes the last n % 4 elements. */
  private quadLoop(nest: Nest, quads: readonly number[], T: number, out: string[]): void {
    const v = nest.vars[0]!.name, n = nest.size, full = Math.floor(n / 4);
    const bufs = new Set(quads);
    out.push(`  for (var j_ = i_; j_ < ${full}; j_ += ${T}) {`, ...quads.map((b) => `    let q${b}_ = q${b}v_[j_];`));
    for (let u = 0; u < 4; u++) {
      this.w.lane = { bufs, index: v, u };
      out.push(`    { let ${v} = j_ * 4 + ${u};`);
      this.w.serial(nest.body, "      ", out);
      out.push("    }");
    }
    this.w.lane = null;
    out.push("  }");
    if (n % 4 === 0) return;
    out.push(`  if (i_ == 0) {`, `    for (var ${v}: i32 = ${full * 4}; ${v} < ${n}; ${v} += 1) {`);
    this.w.serial(nest.body, "      ", out);
    out.push("    }", "  }");
  }

  /** Combines every invocation's `acc` in workgroup memory; all of them end with the total. */
  private treeReduce(acc: string, rop: ReduceOp, W: number, out: string[]): void {
    const ty = this.w.accTypeOf(acc);
    this.sharedTypes.add(ty);
    const red = `red_${ty}`;
    out.push(
      `  ${red}[lid] = ${acc};`,
      `  workgroupBarrier();`,
      `  for (var s_ = ${W >> 1}; s_ > 0; s_ = s_ >> 1u) {`,
      `    if (lid < s_) { ${red}[lid] = ${combine(rop, ty, `${red}[lid]`, `${red}[lid + s_]`)}; }`,
      `    workgroupBarrier();`,
      `  }`,
      `  ${acc} = workgroupUniformLoad(&${red}[0]);`,
      // The next reduction reuses the array: nobody may overwrite slot 0 before all have read it.
      `  workgroupBarrier();`,
    );
  }

  /**
   * Statements executed by a whole workgroup: values are replicated, loops that reduce into this
   * level's accumulators are strided across invocations and combined, other loops are strided
   * across invocations, and stores at this level are made by invocation 0.
   */
  private coop(stmts: readonly Stmt[], ind: string, out: string[]): void {
    const W = this.t.groupThreads;
    const accs = new Set(stmts.filter((s) => s.s === "acc").map((s) => (s as { name: string }).name));
    for (const st of stmts) {
      if (st.s === "store" || st.s === "if") {
        out.push(`${ind}if (lid == 0) {`);
        this.w.serial([st], ind + "  ", out);
        out.push(`${ind}}`);
        continue;
      }
      if (st.s !== "loop") {
        this.w.serial([st], ind, out);
        continue;
      }
      const nest = flatten(st);
      if (nest && this.unroll > 1) {
        // U copies per iteration, each in its own block (its lets may repeat names): U times fewer
        // iterations of the invocation's loop counter.
        const U = this.unroll;
        out.push(`${ind}for (var f0_ = lid; f0_ < ${nest.size}; f0_ += ${W * U}) {`);
        for (let u = 0; u < U; u++) {
          out.push(`${ind}  { let f_ = f0_ + ${u * W};`, `${ind}  if (f_ < ${nest.size}) {`, ...decompose("f_", nest.vars, ind + "    "));
          this.w.serial(nest.body, ind + "    ", out);
          out.push(`${ind}  } }`);
        }
      } else if (nest) {
        out.push(`${ind}for (var f_ = lid; f_ < ${nest.size}; f_ += ${W}) {`, ...decompose("f_", nest.vars, ind + "  "));
        this.w.serial(nest.body, ind + "  ", out);
      } else {
        const s = this.w.operand(st.start), e = this.w.operand(st.end);
        out.push(`${ind}for (var ${st.var}: i32 = ${s} + lid * ${st.step}; ${st.var} < ${e}; ${st.var} += ${W * st.step}) {`);
        this.w.serial(st.body, ind + "  ", out);
      }
      out.push(`${ind}}`);
      for (const [acc, rop] of updatedAccs([st])) if (accs.has(acc)) this.treeReduce(acc, rop, W, out);
    }
  }

  /** Loop iterations of one invocation of the one-invocation-per-output mapping. */
  threadTrips(): number {
    return serialTrips(unblock(this.grid.inner));
  }

  /** Loop iterations of one invocation when a workgroup shares each output (unrolled `unroll` times). */
  groupTrips(unroll = this.unroll): number {
    const W = this.t.groupThreads;
    let n = 0;
    for (const st of unblock(this.grid.inner)) {
      if (st.s === "let") n += serialTrips([st]);
      else if (st.s === "loop") {
        const nest = flatten(st);
        n += nest ? Math.ceil(nest.size / (W * unroll)) * (1 + unroll * serialTrips(nest.body)) : serialTrips([st]);
      }
    }
    return n;
  }

  /** Loop iterations per element of the (splittable) reduction loop. */
  elementTrips(): number {
    const loop = unblock(this.grid.inner).find((s): s is LoopStmt => s.s === "loop")!;
    return 1 + serialTrips(flatten(loop)!.body);
  }

  /** Length of the longest reduction this level's invocations would run serially. */
  reductionLength(): number {
    let len = 0;
    const accs = new Set(this.grid.inner.filter((s) => s.s === "acc").map((s) => (s as { name: string }).name));
    for (const st of unblock(this.grid.inner)) {
      if (st.s !== "loop" || ![...updatedAccs([st]).keys()].some((a) => accs.has(a))) continue;
      len = Math.max(len, flatten(st)?.size ?? Infinity);
    }
    return len;
  }

  /** One accumulator, one loop reducing into it, then only lets and stores: can be split. */
  splittable(): boolean {
    const inner = unblock(this.grid.inner);
    const loops = inner.filter((s) => s.s === "loop");
    const accs = inner.filter((s) => s.s === "acc");
    if (loops.length !== 1 || accs.length !== 1 || !flatten(loops[0] as LoopStmt)) return false;
    const at = inner.indexOf(loops[0]!);
    const upd = updatedAccs(loops);
    return upd.size === 1 && upd.has((accs[0] as { name: string }).name) && inner.indexOf(accs[0]!) < at &&
      inner.slice(at + 1).every((s) => s.s === "let" || s.s === "store");
  }
}

/**
 * Renders a kernel as WGSL dispatches, choosing the mapping from its shape and the adapter's
 * tuning (see the file comment).
 * @example
 * const prog = renderWgslProgram(step.kernel, tuning);
 * prog.dispatches.length; // 1 for an elementwise kernel, 2 for a split full reduction
 */
export function renderWgslProgram(k: Kernel, t: WgslTuning): WgslProgram {
  if (k.name.startsWith("matmul_")) return renderContraction(k, t);
  const m = new Mapper(k, t);
  const len = m.reductionLength();
  const P = m.grid.size, W = t.groupThreads;
  if ((len === 0 || len < t.coopMin) && m.threadTrips() <= LOOP_BUDGET) m.thread();
  else if (m.splittable() && len >= t.splitGrain * W * 2 && (P < t.minGroups || m.groupTrips() > LOOP_BUDGET)) {
    // Workgroups per output: enough to fill the device, and to keep each invocation within the loop
    // budget (less the ≤ 3 elements of a quad loop's tail, which invocation 0 adds).
    const fill = Math.min(Math.ceil(t.minGroups / P), Math.floor(len / (t.splitGrain * W)));
    const trips = m.elementTrips();
    m.split(Math.max(fill, Math.ceil((len * trips) / (W * (LOOP_BUDGET - 3 * trips)))));
  } else {
    while (m.groupTrips() > LOOP_BUDGET && m.unroll < 64) m.unroll *= 2;
    if (m.groupTrips() > LOOP_BUDGET) {
      throw new Error(`${k.name}: ${m.groupTrips()} loop iterations per invocation exceed the ${LOOP_LIMIT}-iteration budget of software drivers`);
    }
    m.group();
  }
  return { dispatches: m.dispatches, scratch: m.scratch, paramSizes: new Map() };
}
