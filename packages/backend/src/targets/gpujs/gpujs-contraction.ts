/**
 * Contraction kernels as GPU.js kernels: one thread per output element, a dot loop over k.
 *
 * The contraction IR (render/contraction.ts) packs A and B into register-tile panels — the fused
 * prologues run in the packing nests — then accumulates MR×NR register tiles whose store runs the
 * fused epilogue. GPU.js has no panels or register arrays, so each thread computes one element:
 * its (batch, i, j) from the thread index, the tile coordinates from those (ip = i / MR, ii = i % MR,
 * jp = j / NR, jj = j % NR), then `acc += A(ip, ii, p) · B(jp, p, jj)` over p with the packing
 * statements computing each operand, and the epilogue with the register read replaced by `acc`.
 * Each output is summed over k in order, in float32. On WebGL, contractions whose operands are
 * plain loads take the tiled form instead (gpujs-tiled.ts: four outputs per thread, RGBA texel reads).
 */
import { type Kernel, type Operand, type Stmt } from "../../kernel.js";
import { MR, NR } from "../../lower-contraction.js";
import { type ContractionParts, type LoopStmt, contractionParts, extent } from "../../render/contraction.js";
import { opNote } from "../../render/base.js";
import {
  type Defs, type GpujsKernelSource, OFFSET, type PassThrough, type StoreStmt, affineOf, checkBuffers, checkOp, checkOperand, checkStore, letsOf, op, operand, refuse,
} from "./gpujs-stmts.js";
import { type BlockRows, renderTiledGpujs } from "./gpujs-tiled.js";

export type LetStmt = Extract<Stmt, { s: "let" }>;

/** What both contraction forms need: the IR's parts, its statements sorted by phase, the output layout. */
export interface ContractionAnalysis {
  readonly k: Kernel;
  readonly P: ContractionParts;
  /** The A packing nest (ip, ii, p) and the B packing nest (jp, p, jj). */
  readonly a: readonly [LoopStmt, LoopStmt, LoopStmt];
  readonly b: readonly [LoopStmt, LoopStmt, LoopStmt];
  readonly defs: Defs;
  /** Every `let` but the register arithmetic, in program order. */
  readonly lets: readonly LetStmt[];
  /** Lets that run per k step (they read the packing nests' k variable) and after the dot loop (they read the tile). */
  readonly perK: ReadonlySet<string>;
  readonly afterK: ReadonlySet<string>;
  readonly out: StoreStmt;
  /** The output is [batch, m, n], row-major; `size` = batch · m · n. */
  readonly m: number;
  readonly n: number;
  readonly size: number;
  readonly inputs: readonly number[];
}

/** A packing nest's three loops, outermost first. */
function nest3(l: LoopStmt): [LoopStmt, LoopStmt, LoopStmt] {
  const inner = (x: LoopStmt) => x.body.filter((s): s is LoopStmt => s.s === "loop");
  const [b] = inner(l), [c] = b ? inner(b) : [];
  if (!b || !c) refuse("a contraction whose packing nests are not three loops");
  return [l, b, c];
}

/** The locals (and loop variables) an operand list reads. */
const reads = (args: readonly Operand[]) => args.flatMap((a) => (a.k === "const" ? [] : [a.name]));

/**
 * The GPU.js kernel of a contraction kernel (one with scratch panels and register tiles): with
 * `tiled` (WebGL), the tiled form where the operands allow it, else one dot loop per output.
 * @example
 * renderContractionGpujs(kernelOf(np.matmul(a, b))).source; // "function matmul_…(b2, b4) { … for (let v3 = 0; v3 < 70; …"
 */
export function renderContractionGpujs(k: Kernel, opts: { tiled?: boolean; blockRows?: BlockRows; directFetch?: boolean } = {}): GpujsKernelSource {
  const c = analyzeContraction(k);
  return (opts.tiled ? renderTiledGpujs(c, opts.blockRows, opts.directFetch) : null) ?? renderDotGpujs(c, !opts.tiled);
}

/** The structure of a contraction kernel as the GPU.js forms need it; refuses what neither can run. */
function analyzeContraction(k: Kernel): ContractionAnalysis {
  const P = contractionParts(k);
  if (P === null || typeof P === "string") refuse(`a contraction of unexpected structure (${P ?? "empty"})`);
  checkBuffers(k.params);
  const outs = k.params.filter((p) => p.role === "out");
  if (outs.length !== 1 || k.params[0]!.role !== "out") refuse("a contraction with several outputs");
  const [a0, a1, aP] = nest3(P.packA), [b0, bP, b2] = nest3(P.packB);
  const ni = extent(P.epilogue), nj = extent(P.epilogueJ);
  if (ni !== MR || nj !== NR || extent(a1) !== MR || extent(b2) !== NR || extent(aP) !== P.kk || extent(bP) !== P.kk) refuse("contraction tile extents");
  const defs = letsOf(k.body);
  const structural = new Set<Stmt>([P.lb, a0, a1, aP, b0, bP, b2, P.tiles, P.li, P.epilogue, P.epilogueJ]);

  // Every statement but the register arithmetic, flattened (ifs are edge guards: a thread's element is in range).
  const lets: LetStmt[] = [];
  let store: StoreStmt | null = null;
  const walk = (stmts: readonly Stmt[]) => {
    for (const st of stmts) {
      if (st === P.pLoop || st === P.regs) continue;
      switch (st.s) {
        case "let": lets.push(st); break;
        case "if": walk(st.body); break;
        case "store":
          if (st === P.aStore || st === P.bStore) break;
          if (st.buf !== 0 || store) refuse("a contraction storing more than its output");
          store = st;
          break;
        case "loop":
          if (!structural.has(st)) refuse("a loop in a contraction's prologue or epilogue");
          walk(st.body);
          break;
        default: refuse(`a ${st.s} statement in a contraction's prologue or epilogue`);
      }
    }
  };
  walk(k.body);
  if (!store) refuse("a contraction without its store");
  const out: StoreStmt = store;

  // The output layout [batch, M, N], from the store's coefficients, must be row-major over (b, ip, ii, jp, jj).
  const coeffs = affineOf(out.index, defs);
  const n = coeffs?.get(P.epilogue.var);
  const size = k.params[0]!.size;
  if (!n || size % (P.batch * n) !== 0) refuse("a contraction output that is not row-major");
  const m = size / (P.batch * n);
  if (m > P.mp * MR || n > P.np * NR) refuse("a contraction output larger than its tiles");
  const want = new Map([[P.lb.var, m * n], [P.li.var, MR * n], [P.epilogue.var, n], [P.tiles.var, NR], [P.epilogueJ.var, 1]]);
  checkStore(out, defs, want);

  // Which lets run per k step (they read the packing nests' k variable) and which after (they read the tile).
  const perK = new Set<string>([aP.var, bP.var]), afterK = new Set<string>(), tileReads = new Set<string>();
  for (const st of lets) {
    const deps = st.value.op === "alu" ? reads(st.value.args) : st.value.op === "load" ? reads([st.value.index]) : [];
    if (st.value.op === "reg") {
      if (st.value.name !== P.regs.name) refuse("a contraction reading another register array");
      afterK.add(st.name);
      tileReads.add(st.name);
      continue;
    }
    checkOp(st.value, tileReads);
    if (deps.some((d) => perK.has(d))) perK.add(st.name);
    if (deps.some((d) => afterK.has(d))) afterK.add(st.name);
    if (perK.has(st.name) && afterK.has(st.name)) refuse("a contraction epilogue reading its operands");
  }
  if (!(out.value.k === "local" && tileReads.has(out.value.name))) checkOperand(out.value);
  for (const s of [P.aStore, P.bStore]) if (s.value.k === "local" && afterK.has(s.value.name)) refuse("a packing value after the dot loop");
  const inputs = k.params.flatMap((p, i) => (p.role === "in" ? [i] : []));
  return { k, P, a: [a0, a1, aP], b: [b0, bP, b2], defs, lets, perK, afterK, out, m, n, size, inputs };
}

/**
 * One thread per output element, a dot loop over k. With `rows2d` (GPU.js's CPU modes) the output
 * is 2-D — `[n, batch · m]`, `this.thread.y` the row — and each operand load whose index is affine
 * in the nest's variables is read at `base + k · stride`, its base computed once per thread from
 * the row and column: webasm runs four neighbouring `this.thread.x` at once, and a load indexed by
 * `this.thread.y` alone is one load, not a four-lane gather (the layout of a hand-written
 * `a[this.thread.y][i] * b[i][this.thread.x]`).
 */
function renderDotGpujs(c: ContractionAnalysis, rows2d = false): GpujsKernelSource {
  const { k, P, lets, perK, afterK, out, m, n, size, inputs } = c;
  const [a0, a1, aP] = c.a, [b0, bP, b2] = c.b;
  const { bases, identities } = rows2d ? dotSimplifications(c) : { bases: new Map<string, LoadBase>(), identities: new Map<string, Operand>() };
  // What the products and the store read (a load read at its base needs none of its index arithmetic).
  const live = new Set(reads([P.aStore.value, P.bStore.value, out.value]));
  for (const st of [...lets].reverse()) {
    if (!live.has(st.name)) continue;
    const same = identities.get(st.name);
    if (same) for (const d of reads([same])) live.add(d);
    else if (st.value.op === "alu") for (const d of reads(st.value.args)) live.add(d);
    else if (st.value.op === "load" && !bases.has(st.name)) for (const d of reads([st.value.index])) live.add(d);
  }
  const used = (st: LetStmt) => live.has(st.name);
  const emit = (st: LetStmt, ind: string) => {
    const d = bases.get(st.name), same = identities.get(st.name);
    if (same) return `${ind}const ${st.name} = ${operand(same)}; // op where (true in every thread)`;
    if (d && st.value.op === "load") {
      const at = d.inline ?? `${st.name}_at`;
      return `${ind}const ${st.name} = b${st.value.buf}[${at}${d.step === 0 ? "" : ` + ${aP.var}${d.step === 1 ? "" : ` * ${d.step}`}`}];`;
    }
    return `${ind}const ${st.name} = ${op(st.value, () => "acc")};${st.value.op === "alu" ? opNote(st.value.alu) : ""}`;
  };
  const head = rows2d
    ? [`  const ${P.lb.var} = Math.floor(this.thread.y / ${m});`, `  const row = this.thread.y % ${m};`, `  const col = this.thread.x;`]
    : [`  const gid = this.thread.x;`, `  const ${P.lb.var} = Math.floor(gid / ${m * n});`, `  const row = Math.floor(gid / ${n}) % ${m};`, `  const col = gid % ${n};`];
  const lines = [
    ...head,
    `  const ${P.li.var} = Math.floor(row / ${MR});`,
    `  const ${P.epilogue.var} = row % ${MR};`,
    `  const ${P.tiles.var} = Math.floor(col / ${NR});`,
    `  const ${P.epilogueJ.var} = col % ${NR};`,
    `  const ${a0.var} = ${P.li.var};`,
    `  const ${a1.var} = ${P.epilogue.var};`,
    `  const ${b0.var} = ${P.tiles.var};`,
    `  const ${b2.var} = ${P.epilogueJ.var};`,
    ...lets.filter((st) => used(st) && !perK.has(st.name) && !afterK.has(st.name)).map((st) => emit(st, "  ")),
    ...[...bases].filter(([, d]) => d.inline === undefined).map(([name, d]) => `  const ${name}_at = ${d.base};`),
    `  let acc = 0.0;`,
    `  for (let ${aP.var} = 0; ${aP.var} < ${P.kk}; ${aP.var} += 1) {`,
    `    const ${bP.var} = ${aP.var};`,
    ...lets.filter((st) => used(st) && perK.has(st.name)).map((st) => emit(st, "    ")),
    `    acc += ${operand(P.aStore.value)} * ${operand(P.bStore.value)};`,
    `  }`,
    ...lets.filter((st) => used(st) && afterK.has(st.name)).map((st) => emit(st, "  ")),
    `  return ${operand(out.value)};`,
  ];
  const source = [`function ${k.name}(${inputs.map((i) => `b${i}`).join(", ")}) {`, ...lines, `}`].join("\n");
  return { name: k.name, source, size, inputs, lanes: 1, ...(rows2d && size > 0 ? { width: n } : {}) };
}

/**
 * A dot-loop load read at `<name>_at + k · step`, its base an expression of `lb` and `row` computed
 * once per thread — or, when it depends on the column, written in the load itself with
 * `this.thread.x` (`inline`): GPU.js's webasm then indexes with its lane vector of integers, where a
 * local computed from it is converted back from floats at every step (measured: 23 vs 27 ms CPU
 * for a 256³ product).
 */
interface LoadBase {
  readonly base: string;
  readonly inline?: string;
  readonly step: number;
}

/**
 * What the dot form (one thread per output, rows on `this.thread.y`) can simplify, knowing every
 * thread's row is below m and its column below n: operand loads whose index is affine in the
 * nest's variables — Σ over the batch, row (its tile and place: `MR · tile + place`), column
 * (likewise with `NR`) and k, seen through the packing's clamps of the row and column, identities
 * here — as `bases`; and the packing's edge guards `where(row < L, x, 0)` with L ≥ m (columns: ≥ n)
 * as `identities` (the let is x).
 */
function dotSimplifications(c: ContractionAnalysis): { bases: Map<string, LoadBase>; identities: Map<string, Operand> } {
  const { P, lets, perK, defs } = c;
  const [a0, a1, aP] = c.a, [b0, bP, b2] = c.b;
  // Each nest variable as (what it counts, its weight in that count).
  const parts = new Map<string, [string, number]>([
    [P.lb.var, ["lb", 1]], [a0.var, ["row", MR]], [P.li.var, ["row", MR]], [a1.var, ["row", 1]], [P.epilogue.var, ["row", 1]],
    [b0.var, ["col", NR]], [P.tiles.var, ["col", NR]], [b2.var, ["col", 1]], [P.epilogueJ.var, ["col", 1]], [aP.var, ["k", 1]], [bP.var, ["k", 1]],
  ]);
  // The packing's clamp of a row (column) to [0, m − 1] ([0, n − 1]) is the identity: every thread's row is below m.
  const counts = (o: Operand | undefined): string | null => {
    const f = o ? affineOf(o, defs) : null;
    const whats = f ? [...f].map(([key, coeff]) => (parts.get(key)?.[1] === coeff ? parts.get(key)![0] : null)) : [];
    return whats.length === 2 && whats[0] !== null && whats[0] === whats[1] ? whats[0] : null;
  };
  const through: PassThrough = (v) => {
    const what = v.alu === "clamp" && (v.param?.[0] ?? 1) <= 0 ? counts(v.args[0]) : null;
    return (what === "row" && v.param![1]! >= c.m - 1) || (what === "col" && v.param![1]! >= c.n - 1) ? v.args[0]! : null;
  };
  const out = new Map<string, LoadBase>();
  for (const st of lets) {
    if (!perK.has(st.name) || st.value.op !== "load") continue;
    const f = affineOf(st.value.index, defs, through);
    if (!f) continue;
    // Per count: the coefficient of its unit part, and of its coarse part over its weight (they must agree).
    const unit = new Map<string, number>(), coarse = new Map<string, number>();
    let offset = 0, ok = true;
    for (const [key, coeff] of f) {
      if (key === OFFSET) offset += coeff;
      else if (parts.has(key)) {
        const [what, weight] = parts.get(key)!;
        const into = weight === 1 ? unit : coarse;
        into.set(what, (into.get(what) ?? 0) + coeff / weight);
      } else ok = false;
    }
    const coeffOf = (what: string) => {
      const u = unit.get(what) ?? 0, w = coarse.get(what);
      if (w !== undefined && w !== u) ok = false;
      return u;
    };
    const [lb, row, col, step] = ["lb", "row", "col", "k"].map(coeffOf);
    if (!ok) continue;
    const sum = (colName: string) => {
      const terms = [[P.lb.var, lb], ["row", row], [colName, col]].filter(([, v]) => v !== 0).map(([x, v]) => (v === 1 ? `${x}` : `${x} * ${v}`));
      return [...(offset !== 0 || terms.length === 0 ? [String(offset)] : []), ...terms].join(" + ");
    };
    out.set(st.name, { base: sum("col"), ...(col !== 0 ? { inline: sum("this.thread.x") } : {}), step: step! });
  }
  const identities = new Map<string, Operand>();
  for (const st of lets) {
    const v = st.value;
    if (v.op !== "alu" || v.alu !== "where") continue;
    const [cond, x, zero] = v.args;
    const guard = cond?.k === "local" ? defs.get(cond.name) : undefined;
    if (guard?.op !== "alu" || guard.alu !== "lt" || !x || zero?.k !== "const" || zero.value !== 0) continue;
    const [coordinate, bound] = guard.args;
    const what = counts(coordinate);
    if (bound?.k === "const" && ((what === "row" && bound.value >= c.m) || (what === "col" && bound.value >= c.n))) identities.set(st.name, x);
  }
  return { bases: out, identities };
}
