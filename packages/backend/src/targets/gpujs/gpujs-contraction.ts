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
  type Defs, type GpujsKernelSource, type StoreStmt, affineOf, checkBuffers, checkOp, checkOperand, checkStore, letsOf, op, operand, refuse,
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
  return (opts.tiled ? renderTiledGpujs(c, opts.blockRows, opts.directFetch) : null) ?? renderDotGpujs(c);
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

/** One thread per output element, a dot loop over k. */
function renderDotGpujs(c: ContractionAnalysis): GpujsKernelSource {
  const { k, P, lets, perK, afterK, out, m, n, size, inputs } = c;
  const [a0, a1, aP] = c.a, [b0, bP, b2] = c.b;
  const emit = (st: LetStmt, ind: string) => `${ind}const ${st.name} = ${op(st.value, () => "acc")};${st.value.op === "alu" ? opNote(st.value.alu) : ""}`;
  const lines = [
    `  const gid = this.thread.x;`,
    `  const ${P.lb.var} = Math.floor(gid / ${m * n});`,
    `  const row = Math.floor(gid / ${n}) % ${m};`,
    `  const col = gid % ${n};`,
    `  const ${P.li.var} = Math.floor(row / ${MR});`,
    `  const ${P.epilogue.var} = row % ${MR};`,
    `  const ${P.tiles.var} = Math.floor(col / ${NR});`,
    `  const ${P.epilogueJ.var} = col % ${NR};`,
    `  const ${a0.var} = ${P.li.var};`,
    `  const ${a1.var} = ${P.epilogue.var};`,
    `  const ${b0.var} = ${P.tiles.var};`,
    `  const ${b2.var} = ${P.epilogueJ.var};`,
    ...lets.filter((st) => !perK.has(st.name) && !afterK.has(st.name)).map((st) => emit(st, "  ")),
    `  let acc = 0.0;`,
    `  for (let ${aP.var} = 0; ${aP.var} < ${P.kk}; ${aP.var} += 1) {`,
    `    const ${bP.var} = ${aP.var};`,
    ...lets.filter((st) => perK.has(st.name)).map((st) => emit(st, "    ")),
    `    acc += ${operand(P.aStore.value)} * ${operand(P.bStore.value)};`,
    `  }`,
    ...lets.filter((st) => afterK.has(st.name)).map((st) => emit(st, "  ")),
    `  return ${operand(out.value)};`,
  ];
  const source = [`function ${k.name}(${inputs.map((i) => `b${i}`).join(", ")}) {`, ...lines, `}`].join("\n");
  return { name: k.name, source, size, inputs, lanes: 1 };
}
