/**
 * A kernel → the source of one GPU.js kernel function, or the reason it runs on the host.
 *
 * GPU.js runs one function per output element (`this.thread.x`) that *returns* the element, over
 * float32 numbers. The kernel IR's shape for that is a nest of `parallel` loops covering the
 * output, whose innermost body ends in the kernel's one store, at the nest's row-major position —
 * elementwise kernels, reductions (their serial loops have constant bounds: shapes are static) and
 * gathers (index arithmetic). The thread index is decomposed into the parallel loop variables and
 * the nest's statements run in order; the store becomes the `return`.
 *
 * What runs on the host instead (the exactness rule, docs/backends.md "What runs where"): every
 * kernel reading or writing int32, float64 or float16, or computing int32 values (float32 is exact
 * for integers below 2^24 only, and int32 arithmetic wraps); any op whose `GPUJS_ALU` rule is
 * host-only (bitwise ops, special functions, NumPy's float divmod); buffers of 2^24 elements or more
 * (index arithmetic must be exact in float32); contractions (register tiles and packed panels: a
 * GPU.js form is still to come) and any other kernel whose structure is not the one above.
 */
import { type DType } from "@kiln/core";
import { type ExprDType } from "../../expr.js";
import { type Kernel, type Op, type Operand, type Stmt } from "../../kernel.js";
import { opNote } from "../../render/base.js";
import { type LoopStmt, extent } from "../../render/contraction.js";
import { GPUJS, GPUJS_ALU, type HostOnly, gpujsLiteral, isHostOnly } from "./gpujs-alu.js";

/** A kernel as GPU.js runs it: the function source, the output size and the input parameters in call order. */
export interface GpujsKernelSource {
  readonly name: string;
  readonly source: string;
  /** Output elements: one GPU.js thread each. */
  readonly size: number;
  /** Kernel parameter positions passed to the GPU.js function, in order (b1, b2, …). */
  readonly inputs: readonly number[];
}

/** Buffers must be smaller than this: every index is then an integer float32 represents exactly. */
export const GPUJS_MAX_ELEMENTS = 2 ** 24;

/** Dtypes a GPU.js kernel may read or write: float32 numbers and 0/1 booleans. */
const BUFFER_DTYPES: ReadonlySet<DType> = new Set<DType>(["float32", "bool"]);
/** Dtypes of values computed in a GPU.js kernel (index arithmetic included). */
const VALUE_DTYPES: ReadonlySet<ExprDType> = new Set<ExprDType>(["float32", "bool", "index"]);

type StoreStmt = Extract<Stmt, { s: "store" }>;

class Refused extends Error {}

function refuse(why: string): never {
  throw new Refused(why);
}

/**
 * The GPU.js kernel of `k`, or why it runs on the host.
 * @example
 * const r = renderGpujs(kernel);
 * if (!("host" in r)) r.source; // "function elementwise_exp_…(b1) {\n  const v0 = this.thread.x; …"
 */
export function renderGpujs(k: Kernel): GpujsKernelSource | HostOnly {
  try {
    return render(k);
  } catch (e) {
    if (e instanceof Refused) return { host: e.message };
    throw e;
  }
}

function render(k: Kernel): GpujsKernelSource {
  const [out, ...rest] = k.params;
  if (!out || out.role !== "out" || rest.some((p) => p.role !== "in")) refuse("not one output and inputs (contraction panels or several outputs)");
  for (const p of k.params) {
    if (!BUFFER_DTYPES.has(p.dtype)) refuse(`a ${p.dtype} buffer (GPU.js computes in float32; int32, float64 and float16 run on the host)`);
    if (p.size >= GPUJS_MAX_ELEMENTS) refuse(`a buffer of ${p.size} elements (indices must stay below 2^24 to be exact in float32)`);
  }
  if (rest.some((p) => p.size === 0)) refuse("an empty input (GPU.js cannot take an empty array)");
  const { vars, extents, body } = parallelNest(k.body);
  const size = extents.reduce((a, b) => a * b, 1);
  if (size !== out.size) refuse("the parallel loops do not cover the output");
  const store = body[body.length - 1];
  if (!store || store.s !== "store" || store.buf !== 0) refuse("the nest does not end in its store");
  const defs = letsOf(k.body);
  checkStmts(body.slice(0, -1), defs);
  checkOperand(store.value);
  checkRowMajor(store, body, vars, extents);
  const lines: string[] = [];
  lines.push(...threadVars(vars, extents));
  renderStmts(body.slice(0, -1), defs, "  ", lines);
  lines.push(`  return ${operand(store.value)};`);
  const inputs = rest.map((_, i) => i + 1);
  const source = [`function ${k.name}(${inputs.map((i) => `b${i}`).join(", ")}) {`, ...lines, `}`].join("\n");
  return { name: k.name, source, size, inputs };
}

/** The parallel loops from the root inward (each the last statement of its level) and the statements one thread runs. */
function parallelNest(root: readonly Stmt[]): { vars: string[]; extents: number[]; body: Stmt[] } {
  const vars: string[] = [], extents: number[] = [], body: Stmt[] = [];
  let level = root;
  for (;;) {
    const last = level[level.length - 1];
    if (last?.s === "loop" && last.kind === "parallel") {
      const n = extent(last);
      if (n === null) refuse("a parallel loop not over [0, n)");
      body.push(...level.slice(0, -1));
      vars.push(last.var);
      extents.push(n);
      level = last.body;
      continue;
    }
    body.push(...level);
    return { vars, extents, body };
  }
}

type Defs = ReadonlyMap<string, Op>;

/** Every `let` of a kernel by name (names are unique within a kernel). */
function letsOf(stmts: readonly Stmt[], out = new Map<string, Op>()): Map<string, Op> {
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
function checkStmts(stmts: readonly Stmt[], defs: Defs): void {
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

function checkOp(v: Op): void {
  switch (v.op) {
    case "alu": {
      const rule = GPUJS_ALU[v.alu];
      if (isHostOnly(rule)) refuse(`op ${v.alu}: ${rule.host}`);
      if (!VALUE_DTYPES.has(v.dtype)) refuse(`op ${v.alu} computes ${v.dtype}`);
      v.args.forEach(checkOperand);
      return;
    }
    case "load":
      if (!BUFFER_DTYPES.has(v.dtype)) refuse(`a ${v.dtype} load`);
      return checkOperand(v.index);
    case "reg": refuse("register tiles (a contraction)");
  }
}

function checkOperand(o: Operand): void {
  if (o.k !== "var" && !VALUE_DTYPES.has(o.dtype)) refuse(`a ${o.dtype} value`);
}

// ------------------------------------------------------------------ the store's position

/** Σ coeff·var + offset. */
type Affine = ReadonlyMap<string, number>;
const OFFSET = "";

/**
 * The store must write the thread's own element: its index is Σ var·stride over the parallel
 * loops, row-major (the scheduler's layout). Checked symbolically over the `let`s of index
 * arithmetic (add, sub, mul by a constant); anything else is refused, never guessed.
 */
function checkRowMajor(store: StoreStmt, body: readonly Stmt[], vars: readonly string[], extents: readonly number[]): void {
  const defs = new Map<string, Affine>();
  for (const st of body) if (st.s === "let" && st.value.op === "alu") {
    const a = affineOfOp(st.value.alu, st.value.args, defs);
    if (a) defs.set(st.name, a);
  }
  const got = affineOf(store.index, defs);
  if (!got) refuse("the store's index is not affine in the parallel loops");
  let stride = 1;
  const want = new Map<string, number>();
  for (let i = vars.length - 1; i >= 0; i--) {
    want.set(vars[i]!, stride);
    stride *= extents[i]!;
  }
  const keys = new Set([...got.keys(), ...want.keys()]);
  for (const key of keys) if ((got.get(key) ?? 0) !== (want.get(key) ?? 0)) refuse("the store is not at the thread's row-major position");
}

function affineOf(o: Operand, defs: ReadonlyMap<string, Affine>): Affine | null {
  if (o.k === "const") return new Map([[OFFSET, o.value]]);
  if (o.k === "var") return new Map([[o.name, 1]]);
  return defs.get(o.name) ?? null;
}

function affineOfOp(alu: string, args: readonly Operand[], defs: ReadonlyMap<string, Affine>): Affine | null {
  const [a, b] = args.map((x) => affineOf(x, defs));
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

// ------------------------------------------------------------------ rendering

/** The loop variables of the parallel nest from the thread index (row-major). */
function threadVars(vars: readonly string[], extents: readonly number[]): string[] {
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

function operand(o: Operand): string {
  if (o.k === "const") return o.dtype === "index" ? String(o.value) : gpujsLiteral(o.value);
  return o.name;
}

function op(v: Op): string {
  switch (v.op) {
    case "alu": {
      const inDt = v.args[0] && v.args[0].k !== "var" ? v.args[0].dtype : "index";
      return (GPUJS_ALU[v.alu] as Exclude<(typeof GPUJS_ALU)[keyof typeof GPUJS_ALU], HostOnly>)(v.args.map(operand), { dtype: v.dtype, in: inDt, param: v.param }, GPUJS);
    }
    case "load": return `b${v.buf}[${operand(v.index)}]`;
    case "reg": return refuse("register tiles");
  }
}

const UPDATE = {
  sum: (a: string, v: string) => `${a} += ${v};`,
  prod: (a: string, v: string) => `${a} *= ${v};`,
  max: (a: string, v: string) => `${a} = Math.max(${a}, ${v});`,
  min: (a: string, v: string) => `${a} = Math.min(${a}, ${v});`,
};

function renderStmts(stmts: readonly Stmt[], defs: Defs, ind: string, out: string[]): void {
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
