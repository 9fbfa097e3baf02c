/**
 * What both GPU.js kernel forms share (gpujs-render.ts: parallel nests; gpujs-contraction.ts:
 * contractions): the admission checks of the exactness rule, the symbolic index arithmetic that
 * proves where a store writes, and the rendering of statements as GPU.js kernel code.
 */
import { type DType } from "@kiln/core";
import { type ExprDType } from "../../expr.js";
import { type BufferParam, type Op, type Operand, type Stmt } from "../../kernel.js";
import { opNote } from "../../render/base.js";
import { type LoopStmt } from "../../render/contraction.js";
import { GPUJS, GPUJS_ALU, type HostOnly, gpujsLiteral, isHostOnly } from "./gpujs-alu.js";

/** A kernel as GPU.js runs it: the function source, the output size and the input parameters in call order. */
export interface GpujsKernelSource {
  readonly name: string;
  readonly source: string;
  /** Output elements: one GPU.js thread each. */
  readonly size: number;
  /** Kernel parameter positions passed to the GPU.js function, in order (b1, b2, …). */
  readonly inputs: readonly number[];
  /**
   * Outputs per thread: 1 (the thread returns a number), or 4 (it returns `Array(4)`, the outputs
   * 4t … 4t+3 — one RGBA texel of the output texture; gpujs-tiled.ts).
   */
  readonly lanes: 1 | 4;
  /**
   * Set on a CPU-mode contraction's dot form: a 2-D output `[width, size / width]` (GPU.js returns
   * its rows, views of one buffer), `this.thread.y` the row — uniform across webasm's four SIMD
   * lanes, so the row's operand is one load, not a four-lane gather.
   */
  readonly width?: number;
  /**
   * A first kernel whose outputs are this one's last arguments: a reduction's partials, one per
   * output and chunk (gpujs-split.ts, argument `bp`), or a contraction's output blocks, one
   * texture per block row (gpujs-tiled.ts, arguments `bk0` … `bk3`).
   */
  readonly partials?: GpujsKernelSource;
  /**
   * Subkernels (GPU.js function sources), each writing one more output: the kernel is a GPU.js
   * kernel map, one WebGL2 render target per output (its result first, then these in order).
   */
  readonly targets?: readonly string[];
  /** GLSL helpers the kernel calls as GPU.js native functions (WebGL only), by name. */
  readonly natives?: readonly { readonly name: string; readonly source: string }[];
  /**
   * Set on a tiled contraction whose epilogue is the identity (it only lays the blocks out): the
   * block kernel's targets hold the whole result, C[bt, i, j] in target i mod `rows`, texel
   * (bt · ⌈m / rows⌉ + ⌊i / rows⌋) · ⌈n / 4⌉ + ⌊j / 4⌋, lane j mod 4 — so a result only read back
   * to the host skips this kernel (gpujs.ts; `gatherBlocks`).
   */
  readonly blockLayout?: BlockLayout;
}

/** Where a tiled contraction's block targets hold its output (`GpujsKernelSource.blockLayout`). */
export interface BlockLayout {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly rows: number;
}

/** Buffers must be smaller than this: every index is then an integer float32 represents exactly. */
export const GPUJS_MAX_ELEMENTS = 2 ** 24;

/** Dtypes a GPU.js kernel may read or write: float32 numbers and 0/1 booleans. */
export const BUFFER_DTYPES: ReadonlySet<DType> = new Set<DType>(["float32", "bool"]);
/** Dtypes of values computed in a GPU.js kernel (index arithmetic included). */
const VALUE_DTYPES: ReadonlySet<ExprDType> = new Set<ExprDType>(["float32", "bool", "index"]);

export type StoreStmt = Extract<Stmt, { s: "store" }>;

export class Refused extends Error {}

export function refuse(why: string): never {
  throw new Refused(why);
}

export type Defs = ReadonlyMap<string, Op>;

/** Every `let` of a kernel by name (names are unique within a kernel). */
export function letsOf(stmts: readonly Stmt[], out = new Map<string, Op>()): Map<string, Op> {
  for (const st of stmts) {
    if (st.s === "let") out.set(st.name, st.value);
    else if (st.s === "loop" || st.s === "if") letsOf(st.body, out);
  }
  return out;
}

/**
 * A loop's constant trip count: its bounds are constants, or it is one chunk of a blocked reduction,
 * `[s, min(s + count, limit))` (the scheduler's form for long sums). GPU.js needs constant bounds:
 * a chunk loop runs `count` times with a guard against `limit`.
 */
function tripsOf(l: LoopStmt, defs: Defs): { count: number; limit: number | null } | null {
  if (l.start.k === "const" && l.end.k === "const") return { count: Math.max(0, Math.ceil((l.end.value - l.start.value) / l.step)), limit: null };
  if (l.step !== 1 || l.end.k !== "local") return null;
  const end = defs.get(l.end.name);
  if (end?.op !== "alu" || end.alu !== "min") return null;
  const [sum, limit] = end.args;
  const sumOp = sum?.k === "local" ? defs.get(sum.name) : undefined;
  if (limit?.k !== "const" || sumOp?.op !== "alu" || sumOp.alu !== "add") return null;
  const [a, b] = sumOp.args;
  const same = (o: Operand | undefined) => o !== undefined && o.k !== "const" && l.start.k !== "const" && o.name === l.start.name;
  const count = same(a) && b?.k === "const" ? b.value : same(b) && a?.k === "const" ? a.value : null;
  return count === null ? null : { count, limit: limit.value };
}

/** Only what GPU.js can run exactly: `let`s, accumulators, serial loops with constant trip counts, `if`s; no stores. */
export function checkStmts(stmts: readonly Stmt[], defs: Defs): void {
  for (const st of stmts) {
    switch (st.s) {
      case "let": checkOp(st.value); break;
      case "acc": break;
      case "update":
        if (st.value.k === "var" || st.value.dtype !== "float32") refuse("an accumulator that is not float32");
        checkOperand(st.value);
        break;
      case "loop":
        if (st.kind !== "serial" || !tripsOf(st, defs)) refuse(`a ${st.kind} loop without a constant trip count`);
        checkStmts(st.body, defs);
        break;
      case "if":
        checkOperand(st.cond);
        checkStmts(st.body, defs);
        break;
      default:
        refuse(`a ${st.s} statement inside the nest`);
    }
  }
}

/**
 * An op GPU.js computes exactly. `accumulators`: locals holding a contraction's accumulated value,
 * typed float64 in the IR (the JS target's registers) but a float32 sum on GPU.js.
 */
export function checkOp(v: Op, accumulators?: ReadonlySet<string>): void {
  switch (v.op) {
    case "alu": {
      const rule = GPUJS_ALU[v.alu];
      if (isHostOnly(rule)) refuse(`op ${v.alu}: ${rule.host}`);
      if (!VALUE_DTYPES.has(v.dtype)) refuse(`op ${v.alu} computes ${v.dtype}`);
      for (const a of v.args) if (!(a.k === "local" && accumulators?.has(a.name))) checkOperand(a);
      return;
    }
    case "load":
      if (!BUFFER_DTYPES.has(v.dtype)) refuse(`a ${v.dtype} load`);
      return checkOperand(v.index);
    case "reg": refuse("register tiles (a contraction)");
  }
}

export function checkOperand(o: Operand): void {
  if (o.k !== "var" && !VALUE_DTYPES.has(o.dtype)) refuse(`a ${o.dtype} value`);
}

/**
 * The buffers a GPU.js kernel reads and writes (scratch panels are not passed): float32 or bool,
 * fewer than 2^24 elements, no empty input.
 */
export function checkBuffers(params: readonly BufferParam[]): void {
  for (const p of params) {
    if (p.role === "scratch") continue;
    if (!BUFFER_DTYPES.has(p.dtype)) refuse(`a ${p.dtype} buffer (GPU.js computes in float32; int32, uint8, uint32, float64 and float16 run on the host)`);
    if (p.size >= GPUJS_MAX_ELEMENTS) refuse(`a buffer of ${p.size} elements (indices must stay below 2^24 to be exact in float32)`);
    if (p.role === "in" && p.size === 0) refuse("an empty input (GPU.js cannot take an empty array)");
  }
}

// ------------------------------------------------------------------ index arithmetic

/** Σ coeff·var + offset (the offset under the key ""). */
export type Affine = ReadonlyMap<string, number>;
export const OFFSET = "";

/** An index op the affine analysis may read as its argument (a clamp known to be the identity where it is used), or null. */
export type PassThrough = (v: Extract<Op, { op: "alu" }>) => Operand | null;

/** The affine form of an index operand over the `let`s of index arithmetic (add, sub, mul by a constant), or null. */
export function affineOf(o: Operand, defs: Defs, through?: PassThrough): Affine | null {
  if (o.k === "const") return new Map([[OFFSET, o.value]]);
  if (o.k === "var") return new Map([[o.name, 1]]);
  const v = defs.get(o.name);
  if (v?.op !== "alu") return null;
  const arg = through?.(v);
  return arg ? affineOf(arg, defs, through) : affineOfOp(v.alu, v.args, defs, through);
}

function affineOfOp(alu: string, args: readonly Operand[], defs: Defs, through?: PassThrough): Affine | null {
  if (args.length !== 2) return null;
  const [a, b] = args.map((x) => affineOf(x, defs, through));
  if (!a || !b) return null;
  const combine = (sign: number) => {
    const m = new Map(a);
    for (const [key, v] of b) m.set(key, (m.get(key) ?? 0) + sign * v);
    return m;
  };
  const constOf = (x: Affine) => (x.size === 1 && x.has(OFFSET) ? x.get(OFFSET)! : null);
  switch (alu) {
    case "add": return combine(1);
    case "sub": return combine(-1);
    case "mul": {
      const [ka, kb] = [constOf(a), constOf(b)];
      const [scale, x] = ka !== null ? [ka, b] : kb !== null ? [kb, a] : [null, null];
      return scale === null ? null : new Map([...x!].map(([key, v]) => [key, v * scale]));
    }
    default: return null;
  }
}

/** Row-major strides of a loop nest (variable → stride). */
export function rowMajorStrides(vars: readonly string[], extents: readonly number[]): Map<string, number> {
  let stride = 1;
  const want = new Map<string, number>();
  for (let i = vars.length - 1; i >= 0; i--) {
    want.set(vars[i]!, stride);
    stride *= extents[i]!;
  }
  return want;
}

/**
 * The store must write the thread's own element: its index is Σ var·stride (row-major, the
 * scheduler's layout) with no offset. Checked symbolically over the `let`s of index arithmetic;
 * anything else is refused, never guessed.
 */
export function checkStore(store: StoreStmt, defs: Defs, want: ReadonlyMap<string, number>): void {
  const got = affineOf(store.index, defs);
  if (!got) refuse("the store's index is not affine in the thread's loops");
  const keys = new Set([...got.keys(), ...want.keys()]);
  for (const key of keys) if ((got.get(key) ?? 0) !== (want.get(key) ?? 0)) refuse("the store is not at the thread's row-major position");
}

// ------------------------------------------------------------------ rendering

/** `const v = …` for each loop variable of a row-major nest, from the thread index. */
export function threadVars(vars: readonly string[], extents: readonly number[]): string[] {
  if (vars.length === 0) return [];
  if (vars.length === 1) return [`  const ${vars[0]} = this.thread.x;`];
  const lines = [`  const gid = this.thread.x;`];
  let stride = extents.reduce((a, b) => a * b, 1);
  vars.forEach((v, i) => {
    stride /= extents[i]!;
    const quotient = stride === 1 ? "gid" : `Math.floor(gid / ${stride})`;
    lines.push(`  const ${v} = ${i === 0 ? quotient : `${quotient} % ${extents[i]}`};`);
  });
  return lines;
}

/** Renames locals and loop variables (per-lane copies of a thread's statements); identity by default. */
export type Rename = (name: string) => string;
const same: Rename = (name) => name;

export function operand(o: Operand, rename: Rename = same): string {
  if (o.k === "const") return o.dtype === "index" ? String(o.value) : gpujsLiteral(o.value);
  return rename(o.name);
}

/** Register reads become this expression (a contraction's accumulator), if given. */
export type RegAlias = (name: string) => string;

export function op(v: Op, alias?: RegAlias, rename: Rename = same): string {
  switch (v.op) {
    case "alu": {
      const inDt = v.args[0] && v.args[0].k !== "var" ? v.args[0].dtype : "index";
      return (GPUJS_ALU[v.alu] as Exclude<(typeof GPUJS_ALU)[keyof typeof GPUJS_ALU], HostOnly>)(v.args.map((a) => operand(a, rename)), { dtype: v.dtype, in: inDt, param: v.param }, GPUJS);
    }
    case "load": return `b${v.buf}[${operand(v.index, rename)}]`;
    case "reg": return alias ? alias(v.name) : refuse("register tiles");
  }
}

/** A float32 max/min accumulation spelled by the ALU rule (NaN propagates, as NumPy's max does). */
const extremum = (rule: "max" | "min") => (a: string, v: string) =>
  `${a} = ${GPUJS_ALU[rule]([a, v], { dtype: "float32", in: "float32", param: [] }, GPUJS)};`;

const UPDATE = {
  sum: (a: string, v: string) => `${a} += ${v};`,
  prod: (a: string, v: string) => `${a} *= ${v};`,
  max: extremum("max"),
  min: extremum("min"),
};

export function renderStmts(stmts: readonly Stmt[], defs: Defs, ind: string, out: string[]): void {
  for (const st of stmts) {
    switch (st.s) {
      case "let": out.push(`${ind}const ${st.name} = ${op(st.value)};${st.value.op === "alu" ? opNote(st.value.alu) : ""}`); break;
      case "acc": out.push(`${ind}let ${st.name} = ${gpujsLiteral(st.init)};`); break;
      case "update": out.push(`${ind}${UPDATE[st.rop](st.name, operand(st.value))}`); break;
      case "if":
        out.push(`${ind}if (${operand(st.cond)} !== 0.0) {`);
        renderStmts(st.body, defs, ind + "  ", out);
        out.push(`${ind}}`);
        break;
      case "loop": {
        const l = st as LoopStmt, trips = tripsOf(l, defs)!;
        if (trips.limit === null) {
          out.push(`${ind}for (let ${l.var} = ${operand(l.start)}; ${l.var} < ${operand(l.end)}; ${l.var} += ${l.step}) {`);
          renderStmts(l.body, defs, ind + "  ", out);
          out.push(`${ind}}`);
          break;
        }
        // A chunk of a blocked reduction: a constant trip count, guarded at the end of the data.
        const k = `${l.var}_k`;
        out.push(`${ind}for (let ${k} = 0; ${k} < ${trips.count}; ${k} += 1) {`);
        out.push(`${ind}  const ${l.var} = ${operand(l.start)} + ${k};`);
        out.push(`${ind}  if (${l.var} < ${trips.limit}) {`);
        renderStmts(l.body, defs, ind + "    ", out);
        out.push(`${ind}  }`);
        out.push(`${ind}}`);
        break;
      }
      default: refuse(`a ${st.s} statement`);
    }
  }
}
