/**
 * Contraction kernels on WGSL. The kernel IR (lower-contraction.ts) packs A into MR-row panels and B into
 * NR-column panels — the fused prologues run there — then computes MR×NR register tiles whose
 * store runs the fused epilogue. On the GPU that becomes one of three programs (the strategy and
 * tile come from the adapter's tuning table, `WgslTuning.matmul`, by problem size):
 *
 *  - **packed** (three dispatches): pack A for every batch (one invocation per panel element, the
 *    IR's own statements), pack B likewise, then a register-blocked tile kernel: each invocation
 *    accumulates a TM×TN tile over k reading both panels contiguously as vec4s, then calls the
 *    epilogue — the IR's statements after the k loop, as a WGSL function of the tile position and
 *    the accumulated value. With few tiles and a long k, the tile phase is split over k (`splitK`:
 *    partial tiles on many workgroups, then a fourth dispatch adds them in slice order).
 *  - **direct** (one dispatch): the same register tiles, reading A and B through the packing
 *    statements turned into functions (`pa_`, `pb_`: the fused prologue, zero past the edges).
 *    No panels and two dispatches fewer: small problems, where per-dispatch costs dominate.
 *  - **shared** (three dispatches): the panels, then workgroup tiles staged through workgroup
 *    memory in k-chunks; each invocation accumulates a TM×TN register tile from the staged chunk.
 *    The classic GPU tiling: it pays where workgroup barriers are cheap (hardware GPUs); on
 *    software adapters (llvmpipe) a barrier costs more than the loads it saves.
 *
 * Every strategy sums each output over k in the same order (split-k: each slice in order, then the
 * slices in order), so they agree to rounding.
 */
import { type Kernel, type Op, type Operand, type Stmt } from "../../kernel.js";
import { MR, NR } from "../../lower-contraction.js";
import { WgslWriter, castTo } from "./wgsl.js";
import {
  type MatmulChoice, type Nest, type WgslDispatch, type WgslProgram, type WgslTuning, decompose, flatten, gridDims, wgslModule,
} from "./wgsl-module.js";
import { LOOP_BUDGET } from "./wgsl-loops.js";
import { type ContractionParts, type LoopStmt, contractionParts, lets } from "../../render/contraction.js";

class UnsupportedContraction extends Error {}

function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new UnsupportedContraction(`internal: unexpected contraction kernel structure (${what})`);
}

/** The shared structure (render/contraction.ts) plus the packing nests as flat index spaces. */
interface Parts extends ContractionParts {
  readonly k: Kernel;
  readonly phases: readonly [LoopStmt, LoopStmt, LoopStmt];
  readonly nests: readonly [Nest, Nest];
  readonly panels: readonly [number, number];
}

function analyze(k: Kernel): Parts | null {
  const P = contractionParts(k);
  if (P === null) return null;
  expect(typeof P !== "string", P as string);
  const nestA = flatten(P.packA), nestB = flatten(P.packB);
  expect(nestA && nestB && nestA.vars.length === 3 && nestB.vars.length === 3, "packing nests");
  return { ...P, k, phases: [P.packA, P.packB, P.tiles], nests: [nestA, nestB], panels: [P.aStore.buf, P.bStore.buf] };
}

/** The `let`s of the batch loop before `phase` (the batch index arithmetic). */
const before = (P: Parts, phase: LoopStmt) => lets(P.lb.body.slice(0, P.lb.body.indexOf(phase)));

/**
 * The tuning entry for a contraction of this much work.
 * @example
 * matmulChoice(tuning, 128 ** 3).strategy; // "direct" on a software adapter
 */
export function matmulChoice(t: WgslTuning, work: number): MatmulChoice {
  return t.matmul.find((c) => work <= c.upTo) ?? t.matmul[t.matmul.length - 1]!;
}

/**
 * The dispatches of a contraction kernel (none for an empty one), by the tuning's strategy for
 * its size (or `choice`, when given — the tuner measures candidates this way).
 * @example
 * renderContraction(kernel, tuning, { upTo: Infinity, strategy: "packed", tm: 8, tn: 8 }).dispatches.length; // 3
 */
export function renderContraction(k: Kernel, t: WgslTuning, choice?: MatmulChoice): WgslProgram {
  const P = analyze(k);
  if (!P) return { dispatches: [], scratch: [], paramSizes: new Map() };
  const c = choice ?? matmulChoice(t, P.batch * P.mp * MR * P.np * NR * P.kk);
  const w = new WgslWriter(k.params, k.body);
  if (c.strategy === "direct") return direct(P, w, t, c);
  // The shared tiles run ~1.2 loop iterations per k (staging loops): a long k takes the packed
  // tiles, whose k loop unrolls within the loop budget (kLoop).
  return c.strategy === "shared" && P.kk <= LOOP_BUDGET / 2 ? shared(P, w, t, c) : packed(P, w, t, c);
}

/**
 * The loop over k: `body` (lines reading `p_`) for p_ = from .. to-1 in order, `trips` iterations
 * at most. Past LOOP_BUDGET iterations (software drivers stop an invocation's loops after 65,535
 * in total) each iteration runs U consecutive values of p_, each copy in its own block.
 */
function kLoop(from: string, to: string, trips: number, body: readonly string[], out: string[]): void {
  const U = Math.ceil(trips / LOOP_BUDGET);
  if (U <= 1) {
    out.push(`  for (var p_ = ${from}; p_ < ${to}; p_++) {`, ...body, `  }`);
    return;
  }
  out.push(`  for (var p0_ = ${from}; p0_ < ${to}; p0_ += ${U}) {`);
  for (let u = 0; u < U; u++) out.push(`    { let p_ = p0_ + ${u};`, `    if (p_ < ${to}) {`, ...body.map((l) => `  ${l}`), `    } }`);
  out.push(`  }`);
}

/** Tile per invocation: multiples of the panel widths, no larger than the (padded) matrix, and
 * small enough that a couple of workgroups' worth of invocations share the work. */
function fitTile(P: Parts, t: WgslTuning, c: MatmulChoice): { tm: number; tn: number; ti: number; tj: number } {
  let tm = Math.min(c.tm, P.mp * MR), tn = Math.min(c.tn, P.np * NR);
  const tileCount = () => P.batch * Math.ceil((P.mp * MR) / tm) * Math.ceil((P.np * NR) / tn);
  while (tileCount() < 2 * t.matmulThreads && (tm > MR || tn > NR)) {
    if (tn >= tm && tn > NR) tn = Math.max(NR, (tn / 2) & ~(NR - 1));
    else tm = Math.max(MR, (tm / 2) & ~(MR - 1));
  }
  return { tm, tn, ti: Math.ceil((P.mp * MR) / tm), tj: Math.ceil((P.np * NR) / tn) };
}

/**
 * The packing dispatches, each batch into its own region (`sizes`: elements per batch of each
 * panel, padded to whole tiles): one invocation per panel quad where the nest allows (`packQuads`),
 * else one per panel element.
 */
function packDispatches(P: Parts, w: WgslWriter, t: WgslTuning, sizes: readonly [number, number]): WgslDispatch[] {
  return ([0, 1] as const).map((s) => {
    const quads = packQuads(P, w, t, s, sizes[s]);
    if (quads) return quads;
    const phase = P.phases[s], nest = P.nests[s], panel = P.panels[s];
    w.begin();
    const total = P.batch * nest.size, W = t.threads;
    const out = [`  let t_ = gid * ${W} + lid;`, `  if (t_ >= ${total}) { return; }`];
    out.push(...decompose("t_", [{ name: P.lb.var, extent: P.batch }, ...nest.vars], "  "));
    w.serial([...P.rootLets, ...before(P, phase)], "  ", out);
    const body: string[] = [];
    w.serial(nest.body, "  ", body);
    out.push(...body.map((l) => l.replace(new RegExp(`\\bb${panel}\\[`), `b${panel}[${P.lb.var} * ${sizes[s]} + `)));
    const dims = gridDims(Math.ceil(total / W), t.maxGroupsPerDim);
    const { source, bindings } = wgslModule(w, out, W, dims[0]);
    return { source, bindings, groups: dims };
  });
}

/**
 * A packing dispatch that writes one panel quad per invocation: the MR rows of A (NR columns of B)
 * at one (panel, p) are 4 consecutive panel elements, so the invocation evaluates the packing
 * nest's value for the 4 of them (a function of the nest's variables, `packFn`) and stores them as
 * one vec4. Invocations run over (batch, panel, p), p fastest: neighbouring invocations store
 * neighbouring quads. Against one invocation per element: a quarter of the stores and of the index
 * decomposition, and the index math that does not depend on the row in the panel (an im2col
 * operand's kernel-position and channel arithmetic) done once per quad — the packing of the
 * convolutions' patch matrices is most of a CNN step's device time on a software adapter, which
 * issues a memory operation per lane. Null (the per-element dispatch) when the nest is not lets and
 * one store or not the panel layout lower-contraction.ts makes: Ap[(ip·k + p)·MR + ii],
 * Bp[(jp·k + p)·NR + jj].
 */
function packQuads(P: Parts, w: WgslWriter, t: WgslTuning, s: 0 | 1, size: number): WgslDispatch | null {
  const nest = P.nests[s], panel = P.panels[s];
  const store = nest.body[nest.body.length - 1];
  if (!store || store.s !== "store" || !nest.body.slice(0, -1).every((st) => st.s === "let")) return null;
  // A's nest is (ip, ii, p), B's (jp, p, jj).
  const [outer, inner, p] = s === 0 ? [nest.vars[0]!, nest.vars[1]!, nest.vars[2]!] : [nest.vars[0]!, nest.vars[2]!, nest.vars[1]!];
  if (inner.extent !== (s === 0 ? MR : NR) || p.extent !== P.kk || size % 4 !== 0) return null;
  w.begin();
  const fn = packFn(P, w, s, "pk_");
  w.used.add(panel), w.written.add(panel);
  const total = P.batch * outer.extent * P.kk, W = t.threads;
  const out = [`  let t_ = gid * ${W} + lid;`, `  if (t_ >= ${total}) { return; }`];
  out.push(...decompose("t_", [{ name: P.lb.var, extent: P.batch }, outer, p], "  "));
  const args = (u: number) => [P.lb.var, ...nest.vars.map((v) => (v === inner ? `${u}` : v.name))].join(", ");
  out.push(`  b${panel}[${P.lb.var} * ${size / 4} + ${outer.name} * ${P.kk} + ${p.name}] = vec4<f32>(${[0, 1, 2, 3].map((u) => `pk_(${args(u)})`).join(", ")});`);
  const dims = gridDims(Math.ceil(total / W), t.maxGroupsPerDim);
  const { source, bindings } = wgslModule(w, out, W, dims[0], { functions: fn, types: new Map([[panel, "vec4<f32>"]]) });
  return { source, bindings, groups: dims };
}

/** The epilogue as a WGSL function of (batch, panel j, panel i, row in panel, column in panel, value). */
function epilogueFn(P: Parts, w: WgslWriter): string[] {
  const { tiles: lj, li, epilogue: ii, epilogueJ: jj } = P;
  w.regAlias.set(P.regs.name, "creg");
  const body: string[] = [];
  w.serial([...P.rootLets, ...before(P, lj), ...lets(lj.body), ...lets(li.body), ii], "  ", body, new Set([ii.var, jj.var]));
  return [`fn epilogue_(${[P.lb.var, lj.var, li.var, ii.var, jj.var].map((v) => `${v}: i32`).join(", ")}, creg: f32) {`, ...body, `}`];
}

/**
 * The epilogue of a whole NR-column quad of a tile row, `epq_(batch, panel j, panel i, row in
 * panel, values)`, when it is one plain float32 store (no bounds check: m and n are multiples of
 * the panel sizes) at an index that addresses aligned quads along the column (a row-major output
 * with n % 4 = 0): the four values are computed as the scalar epilogue computes each (the fused
 * ops, per column) and stored as one vec4 — a quarter of the output stores and their index math,
 * which are most of a contraction's time when k is short (a first convolution: k = 9). Null
 * otherwise (the scalar `epilogue_` per element), or when the epilogue reads the output. `out` is
 * the output buffer (bound as vec4s; a donated input rebound to it is read as a component of its
 * quads: webgpu-programs.ts `aliasedDispatch`).
 */
function quadEpilogueFn(P: Parts, w: WgslWriter): { fn: string[]; out: number } | null {
  const { tiles: lj, li, epilogue: ii, epilogueJ: jj } = P;
  const iiLets = ii.body.filter((st) => st !== jj);
  const store = jj.body[jj.body.length - 1];
  if (!iiLets.every((st) => st.s === "let") || !store || store.s !== "store" || !jj.body.slice(0, -1).every((st) => st.s === "let")) return null;
  const out = P.k.params[store.buf];
  if (!out || out.role !== "out" || out.dtype !== "float32") return null;
  const stmts = [...P.rootLets, ...before(P, lj), ...lets(lj.body), ...lets(li.body), ...iiLets, ...jj.body.slice(0, -1)];
  if (stmts.some((st) => st.s === "let" && st.value.op === "load" && st.value.buf === store.buf)) return null;
  if (!quadIndex(affineOf(store.index, affineDefs(stmts).defs), jj.var)) return null;
  w.regAlias.set(P.regs.name, "creg");
  const fn = [`fn epq_(${[P.lb.var, lj.var, li.var, ii.var].map((v) => `${v}: i32`).join(", ")}, c_: vec4<f32>) {`, `  var v_ = vec4<f32>(0.0);`, `  var x_ = 0;`];
  for (let u = 0; u < NR; u++) {
    const body: string[] = [];
    w.serial(stmts, "    ", body);
    const value = castTo(w.operand(store.value), w.dtypeOf(store.value), "float32");
    fn.push(`  {`, `    let ${jj.var} = ${u};`, `    let creg = c_[${u}];`, ...body, `    v_[${u}] = ${value};`);
    if (u === 0) fn.push(`    x_ = ${w.operand(store.index)};`);
    fn.push(`  }`);
  }
  fn.push(`  b${store.buf}[x_ / 4] = v_;`, `}`);
  w.used.add(store.buf), w.written.add(store.buf);
  return { fn, out: store.buf };
}

/** A packing nest as a function of (batch, its three loop variables) returning the panel value. */
function packFn(P: Parts, w: WgslWriter, s: 0 | 1, name: string): string[] {
  const nest = P.nests[s];
  const store = nest.body[nest.body.length - 1];
  expect(store && store.s === "store" && nest.body.slice(0, -1).every((st) => st.s === "let"), "packing body");
  const body: string[] = [];
  w.serial([...P.rootLets, ...before(P, P.phases[s]), ...nest.body.slice(0, -1)], "  ", body);
  const value = castTo(w.operand(store.value), w.dtypeOf(store.value), "float32");
  return [`fn ${name}(${[P.lb.var, ...nest.vars.map((v) => v.name)].map((v) => `${v}: i32`).join(", ")}) -> f32 {`, ...body, `  return ${value};`, `}`];
}

/**
 * The epilogue calls of a TM×TN register tile at (i0_, j0_). Tiles may overhang the panels (whole
 * panels past the matrix). One check per element: LLVM (llvmpipe) compiles a block of a thousand
 * inlined epilogues under one branch many times slower than a thousand small branches.
 */
function tileStores(P: Parts, tm: number, tn: number, out: string[]): void {
  for (let r = 0; r < tm; r++) {
    for (let c = 0; c < tn; c++) {
      const i = `(i0_ + ${r})`, j = `(j0_ + ${c})`;
      out.push(`  if (${i} < ${P.mp * MR} && ${j} < ${P.np * NR}) { epilogue_(bt_, ${j} / ${NR}, ${i} / ${MR}, ${i} % ${MR}, ${j} % ${NR}, c${r}_${Math.floor(c / NR)}[${c % NR}]); }`);
    }
  }
}

/** `tileStores` through `epq_`: one call per NR-column quad of a tile row. */
function tileQuadStores(P: Parts, tm: number, tn: number, out: string[]): void {
  for (let r = 0; r < tm; r++) {
    for (let q = 0; q < tn / NR; q++) {
      const i = `(i0_ + ${r})`, j = `(j0_ + ${q * NR})`;
      out.push(`  if (${i} < ${P.mp * MR} && ${j} < ${P.np * NR}) { epq_(bt_, ${j} / ${NR}, ${i} / ${MR}, ${i} % ${MR}, c${r}_${q}); }`);
    }
  }
}

/** The tile at flat index `u` (over batch × ti × tj) of invocation index `t`. */
function tileHeader(ti: number, tj: number, tm: number, tn: number, total: number, W: number, u = "t_"): string[] {
  return [
    `  let t_ = gid * ${W} + lid;`,
    `  if (t_ >= ${total}) { return; }`,
    `  let bt_ = ${u} / ${ti * tj};`,
    `  let i0_ = ((${u} / ${tj}) % ${ti}) * ${tm};`,
    `  let j0_ = (${u} % ${tj}) * ${tn};`,
  ];
}

const accumulators = (tm: number, tn: number) =>
  Array.from({ length: tm * (tn / NR) }, (_, x) => `  var c${Math.floor(x / (tn / NR))}_${x % (tn / NR)} = vec4<f32>(0.0);`);

function fma(tm: number, tn: number, ind: string): string[] {
  const out: string[] = [];
  for (let r = 0; r < tm; r++) for (let q = 0; q < tn / NR; q++) out.push(`${ind}c${r}_${q} = c${r}_${q} + a${Math.floor(r / MR)}[${r % MR}] * bv${q};`);
  return out;
}

/** The packing dispatches, then the tile dispatch's epilogue function (the tile kernel reads both panels). */
function panelsAndEpilogue(P: Parts, w: WgslWriter, t: WgslTuning, sizes: readonly [number, number]): { dispatches: WgslDispatch[]; epilogue: string[] } {
  const dispatches = packDispatches(P, w, t, sizes);
  w.begin();
  const epilogue = epilogueFn(P, w);
  for (const panel of P.panels) w.used.add(panel);
  return { dispatches, epilogue };
}

/**
 * A TM×TN register tile at (bt_, i0_, j0_) accumulated over k in [from, to) from the panels
 * (`sizes`: elements per batch of each), read as vec4s: MR consecutive rows of A (NR columns of B)
 * at one p are contiguous.
 */
function panelTile(P: Parts, tm: number, tn: number, sizes: readonly [number, number], [from, to, trips]: [string, string, number], out: string[]): void {
  const { kk, panels: [aPanel, bPanel] } = P;
  const [ga, gb] = [tm / MR, tn / NR];
  for (let g = 0; g < ga; g++) out.push(`  let ao${g} = bt_ * ${sizes[0] / MR} + (i0_ / ${MR} + ${g}) * ${kk};`);
  for (let q = 0; q < gb; q++) out.push(`  let bo${q} = bt_ * ${sizes[1] / NR} + (j0_ / ${NR} + ${q}) * ${kk};`);
  out.push(...accumulators(tm, tn));
  const body: string[] = [];
  for (let g = 0; g < ga; g++) body.push(`    let a${g} = b${aPanel}[ao${g} + p_];`);
  for (let q = 0; q < gb; q++) body.push(`    let bv${q} = b${bPanel}[bo${q} + p_];`);
  kLoop(from, to, trips, [...body, ...fma(tm, tn, "    ")], out);
}

/** Fewest k values per slice of a split-k tile phase: shorter slices cost more in partials than they gain. */
const SPLIT_K_GRAIN = 256;

/**
 * Slices of k for the packed tile phase (1: no split). A contraction with few output tiles and a
 * long k — a convolution's weight gradient: 144×32 outputs, k = batch × pixels = 12,544 — runs its
 * tile phase on a handful of workgroups otherwise, i.e. on one or two of a software adapter's
 * threads, each invocation looping over all of k. Split into S slices, it has S times the
 * invocations (up to `minGroups` workgroups' worth, keeping at least SPLIT_K_GRAIN values of k per slice).
 * @example
 * splitK(softwareTuning, 144, 12544); // 4: 144 tiles on 64-invocation workgroups, minGroups 8
 * splitK(softwareTuning, 144, 300);   // 1: too short a k to slice
 */
export function splitK(t: WgslTuning, invocations: number, kk: number): number {
  if (Math.ceil(invocations / t.matmulThreads) >= t.minGroups) return 1;
  return Math.max(1, Math.min(Math.ceil((t.minGroups * t.matmulThreads) / invocations), Math.floor(kk / SPLIT_K_GRAIN)));
}

function packed(P: Parts, w: WgslWriter, t: WgslTuning, c: MatmulChoice): WgslProgram {
  const { tm, tn, ti, tj } = fitTile(P, t, c);
  const { kk, panels: [aPanel, bPanel] } = P;
  const W = t.matmulThreads, total = P.batch * ti * tj;
  if (splitK(t, total, kk) > 1) return packedSplitK(P, w, t, c);
  // Panels hold every batch (the IR packs one batch at a time into one panel), padded to whole tiles.
  const aSize = ti * tm * kk, bSize = tj * tn * kk;
  const dispatches = packDispatches(P, w, t, [aSize, bSize]);
  w.begin();
  for (const panel of P.panels) w.used.add(panel);
  const quads = quadEpilogueFn(P, w);
  const functions = quads?.fn ?? epilogueFn(P, w);
  const out = tileHeader(ti, tj, tm, tn, total, W);
  panelTile(P, tm, tn, [aSize, bSize], ["0", `${kk}`, kk], out);
  if (quads) tileQuadStores(P, tm, tn, out);
  else tileStores(P, tm, tn, out);
  const dims = gridDims(Math.ceil(total / W), t.maxGroupsPerDim);
  const vec4 = new Map([[aPanel, "vec4<f32>"], [bPanel, "vec4<f32>"]]);
  if (quads) vec4.set(quads.out, "vec4<f32>");
  const { source, bindings } = wgslModule(w, out, W, dims[0], { functions, types: vec4 });
  dispatches.push({ source, bindings, groups: dims });
  return { dispatches, scratch: [], paramSizes: new Map([[aPanel, P.batch * aSize], [bPanel, P.batch * bSize]]) };
}

/**
 * The packed strategy with its tile phase split over k (see `splitK`): the panels, then S slices
 * of k each computing partial tiles, then `splitKFinish`. A workgroup takes one slice of one block
 * of TM rows and its invocations take the NR-column tiles side by side: the workgroup's A reads
 * are then the same for all of its invocations — one load on a software adapter, which runs
 * invocations as SIMD lanes and loads per lane what may differ between them.
 */
function packedSplitK(P: Parts, w: WgslWriter, t: WgslTuning, c: MatmulChoice): WgslProgram {
  const { kk, panels: [aPanel, bPanel] } = P;
  // TM rows (the choice's) by two panels of columns per invocation: measured on llvmpipe for the
  // W7 weight gradients, 16×8 beat 16×4, 16×16, 8×8 and 4×4 (fewer lanes per workgroup cost more
  // than a larger tile gains past 8 columns).
  const tm = Math.min(c.tm, P.mp * MR), tn = Math.min(2 * NR, P.np * NR);
  const ti = Math.ceil((P.mp * MR) / tm), tj = Math.ceil((P.np * NR) / tn);
  const L = Math.min(t.matmulThreads, 2 ** Math.ceil(Math.log2(tj))), jc = Math.ceil(tj / L);
  const blocks = P.batch * ti * jc, tiles = P.batch * ti * tj;
  const S = Math.max(2, splitK(t, blocks * L, kk)), ks = Math.ceil(kk / S);
  const aSize = ti * tm * kk, bSize = tj * tn * kk;
  const dispatches = packDispatches(P, w, t, [aSize, bSize]);
  w.begin();
  for (const panel of P.panels) w.used.add(panel);
  const gb = tn / NR;
  const out = [
    `  if (gid >= ${S * blocks}) { return; }`,
    `  let s_ = gid / ${blocks};`,
    `  let u_ = gid % ${blocks};`,
    `  let bt_ = u_ / ${ti * jc};`,
    `  let it_ = (u_ / ${jc}) % ${ti};`,
    `  let jt_ = (u_ % ${jc}) * ${L} + lid;`,
    `  if (jt_ >= ${tj}) { return; }`,
    `  let i0_ = it_ * ${tm};`,
    `  let j0_ = jt_ * ${tn};`,
  ];
  // Slice s_ covers k in [s_·ks, min(kk, (s_ + 1)·ks)).
  out.push(`  let k0_ = s_ * ${ks};`, `  let k1_ = min(${kk}, k0_ + ${ks});`);
  panelTile(P, tm, tn, [aSize, bSize], ["k0_", "k1_", ks], out);
  // The partial tile of slice s_: part_[((s_·tiles + tile)·tm + r)·tn/4 + q], tiles in (batch, row, column) order.
  out.push(`  let po_ = (s_ * ${tiles} + (bt_ * ${ti} + it_) * ${tj} + jt_) * ${tm};`);
  for (let r = 0; r < tm; r++) for (let q = 0; q < gb; q++) out.push(`  part_[(po_ + ${r}) * ${gb} + ${q}] = c${r}_${q};`);
  const part = (written: boolean) => [{ name: "part_", slot: 0, type: "vec4<f32>", written }];
  const dims = gridDims(S * blocks, t.maxGroupsPerDim);
  const vec4 = new Map([[aPanel, "vec4<f32>"], [bPanel, "vec4<f32>"]]);
  const tile = wgslModule(w, out, L, dims[0], { types: vec4, scratch: part(true) });
  dispatches.push({ source: tile.source, bindings: tile.bindings, groups: dims });
  dispatches.push(splitKFinish(P, w, t, { tm, tn, ti, tj, tiles, S }, part(false)));
  return { dispatches, scratch: [{ size: S * tiles * tm * tn, type: "f32" }], paramSizes: new Map([[aPanel, P.batch * aSize], [bPanel, P.batch * bSize]]) };
}

/**
 * The finishing dispatch of a split-k tile phase: one invocation per NR-wide quad of a tile adds
 * the quad's S partials in slice order (the same additions in the same order every run), then runs
 * the epilogue on each of its values inside the panels.
 */
function splitKFinish(
  P: Parts, w: WgslWriter, t: WgslTuning, g: { tm: number; tn: number; ti: number; tj: number; tiles: number; S: number },
  part: readonly { name: string; slot: number; type: string; written: boolean }[],
): WgslDispatch {
  const { tm, tn, ti, tj, tiles, S } = g, gb = tn / NR, W = t.threads, total = tiles * tm * gb;
  w.begin();
  const epilogue = epilogueFn(P, w);
  const out = [...tileHeader(ti, tj, tm, tn, total, W, `(t_ / ${tm * gb})`), `  let r_ = (t_ / ${gb}) % ${tm};`, `  let q_ = t_ % ${gb};`];
  out.push(`  var acc_ = vec4<f32>(0.0);`);
  out.push(`  for (var s_ = 0; s_ < ${S}; s_++) { acc_ = acc_ + part_[((s_ * ${tiles} + t_ / ${tm * gb}) * ${tm} + r_) * ${gb} + q_]; }`);
  out.push(`  let i_ = i0_ + r_;`, `  if (i_ >= ${P.mp * MR}) { return; }`);
  for (let x = 0; x < NR; x++) {
    const j = `(j0_ + q_ * ${NR} + ${x})`;
    out.push(`  if (${j} < ${P.np * NR}) { epilogue_(bt_, ${j} / ${NR}, i_ / ${MR}, i_ % ${MR}, ${j} % ${NR}, acc_[${x}]); }`);
  }
  const dims = gridDims(Math.ceil(total / W), t.maxGroupsPerDim);
  const { source, bindings } = wgslModule(w, out, W, dims[0], { functions: epilogue, scratch: part });
  return { source, bindings, groups: dims };
}

/** An index as c + Σ coef·var over loop variables, or null when it is not affine. */
export type Affine = { readonly c: number; readonly coef: ReadonlyMap<string, number> } | null;

/**
 * The affine form of an operand, given the affine forms of the lets before it (`affineDefs`).
 * @example
 * affineOf({ k: "var", name: "v3" }, new Map()); // { c: 0, coef: Map { "v3" => 1 } }
 */
export function affineOf(o: Operand, defs: ReadonlyMap<string, Affine>): Affine {
  if (o.k === "const") return { c: o.value, coef: new Map() };
  if (o.k === "var") return { c: 0, coef: new Map([[o.name, 1]]) };
  return defs.get(o.name) ?? null;
}

function combineAffine(a: Affine, b: Affine, sign: 1 | -1): Affine {
  if (!a || !b) return null;
  const coef = new Map(a.coef);
  for (const [v, k] of b.coef) coef.set(v, (coef.get(v) ?? 0) + sign * k);
  return { c: a.c + sign * b.c, coef };
}

function scaleAffine(a: Affine, k: number): Affine {
  return a && { c: a.c * k, coef: new Map([...a.coef].map(([v, x]) => [v, x * k])) };
}

/**
 * The affine form of every `let` of `stmts` (null where not affine: add, sub and multiplication by
 * a constant of affine operands are), and each let's op.
 * @example
 * const { defs } = affineDefs(kernelLets);
 * affineOf(store.index, defs); // e.g. { c: 0, coef: v1 → 448, v2 → 16, v3 → 1 }
 */
export function affineDefs(stmts: readonly Stmt[]): { defs: Map<string, Affine>; ops: Map<string, Op> } {
  const defs = new Map<string, Affine>();
  const ops = new Map<string, Op>();
  for (const st of stmts) {
    if (st.s !== "let") continue;
    ops.set(st.name, st.value);
    const v = st.value;
    if (v.op !== "alu") continue;
    const [a, b] = v.args.map((x) => affineOf(x, defs));
    const constOf = (x: Affine) => (x && x.coef.size === 0 ? x.c : null);
    const affine: Affine =
      v.alu === "add" ? combineAffine(a ?? null, b ?? null, 1)
        : v.alu === "sub" ? combineAffine(a ?? null, b ?? null, -1)
          : v.alu === "mul" && constOf(b ?? null) !== null ? scaleAffine(a ?? null, constOf(b ?? null)!)
            : v.alu === "mul" && constOf(a ?? null) !== null ? scaleAffine(b ?? null, constOf(a ?? null)!)
              : null;
    defs.set(st.name, affine);
  }
  return { defs, ops };
}

/**
 * Whether an affine index addresses 4-aligned quads along `v`: coefficient 1 on v, multiples of 4
 * elsewhere (then v ∈ [4q, 4q + 4) covers one aligned quad of elements when v's extent is a multiple of 4).
 * @example
 * quadIndex({ c: 0, coef: new Map([["v2", 16], ["v3", 1]]) }, "v3"); // true
 */
export const quadIndex = (idx: Affine, v: string): boolean =>
  !!idx && idx.coef.get(v) === 1 && idx.c % 4 === 0 && [...idx.coef].every(([u, k]) => u === v || k % 4 === 0);

/**
 * When B's packing is a plain load whose NR columns are contiguous and 4-aligned (B row-major with
 * n % 4 = 0 and no prologue): the loaded buffer and its index as a function of the nest's
 * variables at jj = 0. The direct strategy then reads B as vec4s, as a hand-written kernel does.
 */
function vec4B(P: Parts): { buf: number; lets: Stmt[]; index: Operand } | null {
  const nest = P.nests[1];
  const store = nest.body[nest.body.length - 1];
  if (!store || store.s !== "store" || store.value.k !== "local") return null;
  const jj = nest.vars[2]!.name;
  const { defs, ops } = affineDefs([...P.rootLets, ...before(P, P.packB), ...nest.body]);
  const load = ops.get(store.value.name);
  if (!load || load.op !== "load" || load.dtype !== "float32" || P.k.params[load.buf]?.role !== "in") return null;
  if (!quadIndex(affineOf(load.index, defs), jj)) return null;
  const value = store.value.name;
  return { buf: load.buf, lets: nest.body.slice(0, -1).filter((st) => !(st.s === "let" && st.name === value)), index: load.index };
}

function direct(P: Parts, w: WgslWriter, t: WgslTuning, c: MatmulChoice): WgslProgram {
  const { tm, tn, ti, tj } = fitTile(P, t, c);
  w.begin();
  const functions = [...packFn(P, w, 0, "pa_"), ...epilogueFn(P, w)];
  // B as vec4s when its columns are contiguous and nothing else reads that buffer as scalars.
  let vb = vec4B(P);
  if (vb && functions.some((l) => l.includes(`b${vb!.buf}[`))) vb = null;
  if (vb) {
    const nest = P.nests[1];
    const body: string[] = [];
    w.serial([...P.rootLets, ...before(P, P.packB), ...vb.lets], "  ", body);
    functions.push(`fn pbv_(${[P.lb.var, ...nest.vars.map((v) => v.name)].map((v) => `${v}: i32`).join(", ")}) -> vec4<f32> {`, ...body);
    functions.push(`  return b${vb.buf}[(${w.operand(vb.index)}) / 4];`, `}`);
    w.used.add(vb.buf);
  } else functions.push(...packFn(P, w, 1, "pb_"));
  const W = t.matmulThreads, total = P.batch * ti * tj;
  const out = tileHeader(ti, tj, tm, tn, total, W);
  out.push(...accumulators(tm, tn));
  const body: string[] = [];
  // The packing functions are total: rows/columns past the edge read as zero.
  for (let g = 0; g < tm / MR; g++) {
    const ip = `i0_ / ${MR} + ${g}`;
    body.push(`    let a${g} = vec4<f32>(${Array.from({ length: MR }, (_, r) => `pa_(bt_, ${ip}, ${r}, p_)`).join(", ")});`);
  }
  for (let q = 0; q < tn / NR; q++) {
    const jp = `j0_ / ${NR} + ${q}`;
    body.push(vb
      ? `    let bv${q} = pbv_(bt_, ${jp}, p_, 0);`
      : `    let bv${q} = vec4<f32>(${Array.from({ length: NR }, (_, j) => `pb_(bt_, ${jp}, p_, ${j})`).join(", ")});`);
  }
  kLoop("0", `${P.kk}`, P.kk, [...body, ...fma(tm, tn, "    ")], out);
  tileStores(P, tm, tn, out);
  const dims = gridDims(Math.ceil(total / W), t.maxGroupsPerDim);
  const types = vb ? new Map([[vb.buf, "vec4<f32>"]]) : undefined;
  const { source, bindings } = wgslModule(w, out, W, dims[0], { functions, ...(types ? { types } : {}) });
  return { dispatches: [{ source, bindings, groups: dims }], scratch: [], paramSizes: new Map(P.panels.map((p) => [p, 1])) };
}

/** k-chunk staged in workgroup memory per barrier pair by the shared strategy. */
const KC = 16;

function shared(P: Parts, w: WgslWriter, t: WgslTuning, c: MatmulChoice): WgslProgram {
  const { kk, panels: [aPanel, bPanel] } = P;
  // A gm×gn grid of invocations per workgroup, each a TM×TN tile: blocks of BM×BN.
  const W = t.matmulThreads;
  const gm = 2 ** Math.ceil(Math.log2(W) / 2), gn = W / gm;
  let { tm, tn } = c;
  while (tm > MR && tm * gm > P.mp * MR) tm /= 2;
  while (tn > NR && tn * gn > P.np * NR) tn /= 2;
  // The staged chunks of A and B (KC vec4s per panel) must fit the device's workgroup memory.
  while ((tm * gm + tn * gn) * KC * 4 > t.workgroupStorage && (tm > MR || tn > NR)) {
    if (tm >= tn && tm > MR) tm /= 2;
    else tn /= 2;
  }
  const BM = tm * gm, BN = tn * gn;
  const ti = Math.ceil((P.mp * MR) / BM), tj = Math.ceil((P.np * NR) / BN);
  const aSize = ti * BM * kk, bSize = tj * BN * kk;
  const { dispatches, epilogue } = panelsAndEpilogue(P, w, t, [aSize, bSize]);
  const [pa, pb] = [BM / MR, BN / NR];
  const total = P.batch * ti * tj;
  const out = [
    // Whole workgroups leave together (gid is uniform), so the barriers below stay in uniform control flow.
    `  if (gid >= ${total}) { return; }`,
    `  let bt_ = gid / ${ti * tj};`,
    `  let bi_ = (gid / ${tj}) % ${ti};`,
    `  let bj_ = gid % ${tj};`,
    `  let i0_ = bi_ * ${BM} + (lid / ${gn}) * ${tm};`,
    `  let j0_ = bj_ * ${BN} + (lid % ${gn}) * ${tn};`,
    `  let ab_ = bt_ * ${aSize / MR} + bi_ * ${pa * kk};`,
    `  let bb_ = bt_ * ${bSize / NR} + bj_ * ${pb * kk};`,
    `  let ar_ = (lid / ${gn}) * ${tm / MR};`,
    `  let bc_ = (lid % ${gn}) * ${tn / NR};`,
    ...accumulators(tm, tn),
    `  for (var p0_ = 0; p0_ < ${kk}; p0_ += ${KC}) {`,
    // Stage the chunk: panel g's KC consecutive vec4s (zero past k).
    `    for (var e_ = lid; e_ < ${pa * KC}; e_ += ${W}) {`,
    `      let p_ = p0_ + e_ % ${KC};`,
    `      sa_[e_] = vec4<f32>(0.0);`,
    `      if (p_ < ${kk}) { sa_[e_] = b${aPanel}[ab_ + (e_ / ${KC}) * ${kk} + p_]; }`,
    `    }`,
    `    for (var e_ = lid; e_ < ${pb * KC}; e_ += ${W}) {`,
    `      let p_ = p0_ + e_ % ${KC};`,
    `      sb_[e_] = vec4<f32>(0.0);`,
    `      if (p_ < ${kk}) { sb_[e_] = b${bPanel}[bb_ + (e_ / ${KC}) * ${kk} + p_]; }`,
    `    }`,
    `    workgroupBarrier();`,
    `    for (var q_ = 0; q_ < ${KC}; q_++) {`,
  ];
  for (let g = 0; g < tm / MR; g++) out.push(`      let a${g} = sa_[(ar_ + ${g}) * ${KC} + q_];`);
  for (let q = 0; q < tn / NR; q++) out.push(`      let bv${q} = sb_[(bc_ + ${q}) * ${KC} + q_];`);
  out.push(...fma(tm, tn, "      "), `    }`, `    workgroupBarrier();`, `  }`);
  tileStores(P, tm, tn, out);
  const dims = gridDims(total, t.maxGroupsPerDim);
  const vec4 = new Map([[aPanel, "vec4<f32>"], [bPanel, "vec4<f32>"]]);
  const sharedDecls = [`var<workgroup> sa_: array<vec4<f32>, ${pa * KC}>;`, `var<workgroup> sb_: array<vec4<f32>, ${pb * KC}>;`];
  const { source, bindings } = wgslModule(w, out, W, dims[0], { functions: epilogue, types: vec4, shared: sharedDecls });
  dispatches.push({ source, bindings, groups: dims });
  return { dispatches, scratch: [], paramSizes: new Map([[aPanel, P.batch * aSize], [bPanel, P.batch * bSize]]) };
}

export { UnsupportedContraction };
