/**
 * Contraction kernels on WGSL. The kernel IR (contract.ts) packs A into MR-row panels and B into
 * NR-column panels — the fused prologues run there — then computes MR×NR register tiles whose
 * store runs the fused epilogue. On the GPU that becomes three dispatches:
 *
 *   1. pack A for every batch (one invocation per panel element, the IR's own statements);
 *   2. pack B likewise;
 *   3. a register-blocked tile kernel: each invocation accumulates a TM×TN tile (TM, TN multiples
 *      of the panel widths, chosen per adapter) over k, reading both panels contiguously, then calls
 *      the epilogue — the IR's statements after the k loop, as a WGSL function of the tile
 *      position and the accumulated value.
 *
 * Register tiles rather than workgroup-memory tiles: on software adapters (llvmpipe) workgroup
 * barriers cost more than the loads they save (a 16×16 shared-memory tile measured ~0.5 GFLOP/s
 * against ~12 for 8×8 registers), and panels already make every load contiguous.
 */
import { type Kernel, type Stmt } from "../kernel.js";
import { MR, NR } from "../contract.js";
import { WgslWriter } from "./wgsl.js";
import {
  type LoopStmt, type WgslDispatch, type WgslProgram, type WgslTuning, decompose, extentOf, flatten, gridDims, simpleLoop, wgslModule,
} from "./wgsl-kernel.js";

const lets = (stmts: readonly Stmt[]): Stmt[] => stmts.filter((s) => s.s === "let");

function hasRegs(stmts: readonly Stmt[]): boolean {
  return stmts.some((s) => s.s === "regs" || ((s.s === "loop" || s.s === "if") && hasRegs(s.body)));
}

function storeTarget(stmts: readonly Stmt[]): number | undefined {
  for (const s of stmts) {
    if (s.s === "store") return s.buf;
    if (s.s === "loop" || s.s === "if") {
      const b = storeTarget(s.body);
      if (b !== undefined) return b;
    }
  }
  return undefined;
}

class UnsupportedContraction extends Error {}

function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new UnsupportedContraction(`internal: unexpected contraction kernel structure (${what})`);
}

/**
 * The three dispatches of a contraction kernel (none for an empty one).
 * @example
 * renderContraction(kernel, tuning).dispatches.length; // 3: pack A, pack B, tiles
 */
export function renderContraction(k: Kernel, t: WgslTuning): WgslProgram {
  const rootLets = lets(k.body);
  const lb = k.body.find((s): s is LoopStmt => s.s === "loop");
  if (!lb) return { dispatches: [], scratch: [], paramSizes: new Map() };
  expect(simpleLoop(lb), "batch loop");
  const batch = extentOf(lb);
  const phases = lb.body.filter((s): s is LoopStmt => s.s === "loop");
  expect(phases.length === 3, "three phases");
  const [packA, packB, tiles] = phases as [LoopStmt, LoopStmt, LoopStmt];
  expect(hasRegs([tiles]) && !hasRegs([packA, packB]), "register tile phase last");
  const nestA = flatten(packA), nestB = flatten(packB);
  expect(nestA && nestB && nestA.vars.length === 3 && nestB.vars.length === 3, "packing nests");
  const [mp, , kk] = nestA.vars.map((v) => v.extent) as [number, number, number];
  const np = nestB.vars[0]!.extent;
  const aPanel = storeTarget([packA])!, bPanel = storeTarget([packB])!;

  // Tile per invocation: multiples of the panel widths, no larger than the (padded) matrix, and
  // small enough that a couple of workgroups' worth of invocations share the work.
  let tm = Math.min(t.tile.tm, mp * MR), tn = Math.min(t.tile.tn, np * NR);
  const tileCount = () => batch * Math.ceil((mp * MR) / tm) * Math.ceil((np * NR) / tn);
  while (tileCount() < 2 * t.matmulThreads && (tm > MR || tn > NR)) {
    if (tn >= tm && tn > NR) tn = Math.max(NR, (tn / 2) & ~(NR - 1));
    else tm = Math.max(MR, (tm / 2) & ~(MR - 1));
  }
  const ti = Math.ceil((mp * MR) / tm), tj = Math.ceil((np * NR) / tn);
  // Panels hold every batch (the IR packs one batch at a time into one panel), padded to whole tiles.
  const aSize = ti * tm * kk, bSize = tj * tn * kk;
  const w = new WgslWriter(k.params, k.body);
  const dispatches: WgslDispatch[] = [];
  const before = (phase: LoopStmt) => lets(lb.body.slice(0, lb.body.indexOf(phase)));

  // 1, 2: packing, one invocation per panel element of every batch.
  for (const [phase, nest, panel, size] of [[packA, nestA, aPanel, aSize], [packB, nestB, bPanel, bSize]] as const) {
    w.begin();
    const total = batch * nest.size, W = t.threads;
    const out = [`  let t_ = gid * ${W} + lid;`, `  if (t_ >= ${total}) { return; }`];
    out.push(...decompose("t_", [{ name: lb.var, extent: batch }, ...nest.vars], "  "));
    w.serial([...rootLets, ...before(phase)], "  ", out);
    const body: string[] = [];
    w.serial(nest.body, "  ", body);
    // Each batch packs into its own region of the panel buffer.
    out.push(...body.map((l) => l.replace(new RegExp(`\\bb${panel}\\[`), `b${panel}[${lb.var} * ${size} + `)));
    const dims = gridDims(Math.ceil(total / W), t.maxGroupsPerDim);
    const { source, bindings } = wgslModule(w, out, W, dims[0]);
    dispatches.push({ source, bindings, groups: dims });
  }

  // 3: register tiles + the epilogue.
  const lj = tiles;
  const li = lj.body.find((s): s is LoopStmt => s.s === "loop");
  expect(li && simpleLoop(lj) && simpleLoop(li), "tile loops");
  const pLoop = li.body.find((s): s is LoopStmt => s.s === "loop" && hasRegs(s.body));
  const epi = li.body.filter((s): s is LoopStmt => s.s === "loop" && s !== pLoop);
  const regs = li.body.find((s) => s.s === "regs");
  expect(epi.length === 1 && regs && regs.s === "regs", "one epilogue");
  const ii = epi[0]!;
  const jj = ii.body.find((s): s is LoopStmt => s.s === "loop");
  expect(jj, "epilogue loops");
  w.begin();
  w.regAlias.set(regs.name, "creg");
  const fnBody: string[] = [];
  w.serial([...rootLets, ...before(tiles), ...lets(lj.body), ...lets(li.body), ii], "  ", fnBody, new Set([ii.var, jj.var]));
  const epilogue = [`fn epilogue_(${[lb.var, lj.var, li.var, ii.var, jj.var].map((v) => `${v}: i32`).join(", ")}, creg: f32) {`, ...fnBody, `}`];
  w.used.add(aPanel);
  w.used.add(bPanel);

  // Panels are read as vec4s: MR consecutive rows of A (NR columns of B) at one p are contiguous.
  const W = t.matmulThreads, total = batch * ti * tj;
  const out = [
    `  let t_ = gid * ${W} + lid;`,
    `  if (t_ >= ${total}) { return; }`,
    `  let bt_ = t_ / ${ti * tj};`,
    `  let i0_ = ((t_ / ${tj}) % ${ti}) * ${tm};`,
    `  let j0_ = (t_ % ${tj}) * ${tn};`,
  ];
  const [ga, gb] = [tm / MR, tn / NR];
  for (let g = 0; g < ga; g++) out.push(`  let ao${g} = bt_ * ${aSize / MR} + (i0_ / ${MR} + ${g}) * ${kk};`);
  for (let q = 0; q < gb; q++) out.push(`  let bo${q} = bt_ * ${bSize / NR} + (j0_ / ${NR} + ${q}) * ${kk};`);
  for (let r = 0; r < tm; r++) for (let q = 0; q < gb; q++) out.push(`  var c${r}_${q} = vec4<f32>(0.0);`);
  out.push(`  for (var p_ = 0; p_ < ${kk}; p_++) {`);
  for (let g = 0; g < ga; g++) out.push(`    let a${g} = b${aPanel}[ao${g} + p_];`);
  for (let q = 0; q < gb; q++) out.push(`    let bv${q} = b${bPanel}[bo${q} + p_];`);
  for (let r = 0; r < tm; r++) for (let q = 0; q < gb; q++) out.push(`    c${r}_${q} = c${r}_${q} + a${Math.floor(r / MR)}[${r % MR}] * bv${q};`);
  out.push(`  }`);
  for (let r = 0; r < tm; r++) {
    for (let c = 0; c < tn; c++) {
      const i = `(i0_ + ${r})`, j = `(j0_ + ${c})`;
      out.push(`  if (${i} < ${mp * MR} && ${j} < ${np * NR}) { epilogue_(bt_, ${j} / ${NR}, ${i} / ${MR}, ${i} % ${MR}, ${j} % ${NR}, c${r}_${Math.floor(c / NR)}[${c % NR}]); }`);
    }
  }
  const dims = gridDims(Math.ceil(total / W), t.maxGroupsPerDim);
  const vec4 = new Map([[aPanel, "vec4<f32>"], [bPanel, "vec4<f32>"]]);
  const { source, bindings } = wgslModule(w, out, W, dims[0], { functions: epilogue, types: vec4 });
  dispatches.push({ source, bindings, groups: dims });
  return { dispatches, scratch: [], paramSizes: new Map([[aPanel, batch * aSize], [bPanel, batch * bSize]]) };
}

export { UnsupportedContraction };
