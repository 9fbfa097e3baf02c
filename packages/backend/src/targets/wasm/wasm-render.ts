/**
 * Kernel IR → a WebAssembly module exporting `run(ptr0, ptr1, …)`: one byte offset per kernel
 * parameter into the heap (host/heap.ts).
 *
 * Values: float32 values are f32 locals, int32/bool/index values i32 (booleans 0/1), float
 * accumulators f64 — exactly the JS target's value model (targets/js/js-stmts.ts), so a kernel
 * gives the same bits on either renderer and the scheduler may pick either by size. An ALU op whose
 * operands are f32 and which IEEE float32 rounds exactly like `Math.fround` of the float64 result
 * (add, sub, mul, div, sqrt, comparisons, selections …) runs in f32; every other float op runs as the
 * JS kernel does — in f64 on the promoted operands, calling the same Math/special functions (wasm
 * imports), rounded once at the end.
 *
 * SIMD: an innermost unit-step loop whose body is straight-line lets, stores and accumulator
 * updates runs 4 iterations at a time (f32x4/i32x4), with a scalar loop for the remainder. Values
 * that do not depend on the loop variable stay scalar; loads and stores at `v + uniform` are vector
 * loads/stores, any other index is a per-lane gather/scatter; ops without a SIMD form run per lane;
 * accumulator updates add the 4 lanes in iteration order (the summation order of the JS kernel).
 * An index affine in the loop variable keeps its lane 0 in a scalar local (`Lin`): addresses and
 * gathers compute their lanes from it rather than extracting them from the index vector.
 *
 * `wasmUnsupported(k)` says why a kernel stays on the JS renderer (float64, registers of
 * contractions, dtypes the heap does not store); the JS target remains the fallback.
 */
import { type DType } from "@kiln/core";
import { type AluOp, type ReduceOp } from "../../expr.js";
import { type Kernel, type Op, type Operand, type Stmt, walkStmts as walk } from "../../kernel.js";
import { type Bytes, type DefinedFunc, type FuncType, type ImportedFunc, type ValType, T, buildModule, op, uleb, v } from "./wasm-asm.js";
import { type WasmHeap } from "../../host/heap.js";
import { contractionParts, hasRegs } from "../../render/contraction.js";
import { type ContractionPool, type StmtEmitter, patchCalls, renderContraction, withC } from "./wasm-contraction.js";
import { type HostFn, type VecMathCtx, type VecMathOp, VECMATH_OPS, emitVecMath } from "./wasm-vecmath.js";
import { type KernelSplit, SLOT_BYTES, kernelSplit } from "./wasm-split.js";

// ------------------------------------------------------------------------------- eligibility

const STORED: ReadonlySet<DType> = new Set<DType>(["float32", "int32", "bool"]);
const VALUE_DTYPES: ReadonlySet<string> = new Set(["float32", "int32", "bool", "index"]);

const isF32Store = (st: Extract<Stmt, { s: "store" }>) => st.value.k !== "var" && st.value.dtype === "float32";

/**
 * Appends byte arrays to `out` (a loop, not `push(...bytes)`: a kernel's body can exceed the
 * engine's limit on call arguments).
 */
function append(out: Bytes, ...parts: Bytes[]): void {
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]!);
}

/** Whether the kernel loads from parameter `buf` (an output it reads back must be copied in). */
export function loadsBuffer(k: Kernel, buf: number): boolean {
  for (const st of walk(k.body)) if (st.s === "let" && st.value.op === "load" && st.value.buf === buf) return true;
  return false;
}

/**
 * Why a kernel cannot run as WebAssembly (it then runs on the JS renderer), or null when it can.
 * @example wasmUnsupported(float64Kernel) // "float64 parameter"
 */
export function wasmUnsupported(k: Kernel): string | null {
  for (const p of k.params) if (p.role !== "scratch" && !STORED.has(p.dtype)) return `${p.dtype} parameter`;
  const contraction = k.params.some((p) => p.role === "scratch") || hasRegs(k.body);
  let tilePhase: Stmt | null = null;
  if (contraction) {
    const P = contractionParts(k);
    if (P === null || typeof P === "string") return `contraction structure (${P ?? "empty"})`;
    if (!isF32Store(P.aStore) || !isF32Store(P.bStore)) return "int32/bool contraction";
    tilePhase = P.pLoop; // the microkernel's part: never rendered from the IR
  }
  // Tile registers read in a contraction's epilogue hold float32 values (C), whatever dtype the IR
  // gives the register (the generic JS loop accumulates in float64).
  const regReads = new Set<string>();
  for (const st of walk(k.body, tilePhase)) {
    if (st.s === "let") {
      const val = st.value;
      if (val.op === "reg") {
        regReads.add(st.name);
        continue;
      }
      if (val.op === "alu") {
        if (!RENDERED_OPS.has(val.alu)) return `op ${val.alu}`;
        if (!VALUE_DTYPES.has(val.dtype)) return `${val.dtype} arithmetic`;
        for (const a of val.args) if (a.k === "local" && !VALUE_DTYPES.has(a.dtype) && !regReads.has(a.name)) return `${a.dtype} operand`;
        for (const a of val.args) if (a.k === "const" && !VALUE_DTYPES.has(a.dtype)) return `${a.dtype} operand`;
      }
    }
  }
  return null;
}

// ------------------------------------------------------------------------------- imports

/** Float64 functions a kernel may import: the ones the JS kernels call, with the same semantics. */
export type ImportName =
  | "exp" | "expm1" | "log" | "log1p" | "cbrt" | "sin" | "cos" | "tan" | "asin" | "acos" | "atan"
  | "sinh" | "cosh" | "tanh" | "pow" | "atan2" | "fmod"
  | "erf" | "erfc" | "erfInv" | "lgamma" | "digamma" | "trigamma" | "i0e" | "i1e" | "floorDiv" | "rem" | "ipow";

const BINARY_IMPORTS: ReadonlySet<ImportName> = new Set<ImportName>(["pow", "atan2", "fmod", "floorDiv", "rem", "ipow"]);

/**
 * An import of a kernel module: a float64 function of module `m` (called per element: the JS
 * kernel's function), or `vecmath.<fn>` — the vector math's host function for rare lanes
 * (wasm-vecmath.ts: sin/cos past the exact range reduction), float32 → float32.
 */
type AnyImport = ImportName | `vecmath.${HostFn}` | "pool.gemm" | "pool.tiles";

/** ALU ops computed by an imported float64 function of the same name. */
const IMPORTED_OPS: Partial<Record<AluOp, ImportName>> = {
  exp: "exp", expm1: "expm1", log: "log", log1p: "log1p", cbrt: "cbrt", sin: "sin", cos: "cos", tan: "tan",
  asin: "asin", acos: "acos", atan: "atan", sinh: "sinh", cosh: "cosh", tanh: "tanh", pow: "pow", atan2: "atan2",
  erf: "erf", erfc: "erfc", erfInv: "erfInv", lgamma: "lgamma", digamma: "digamma", trigamma: "trigamma",
  i0e: "i0e", i1e: "i1e", floorDiv: "floorDiv", rem: "rem",
};

// ------------------------------------------------------------------------------- value model

/** A scalar value's wasm type. */
type Scalar = typeof T.i32 | typeof T.f32 | typeof T.f64;

/** Float32 ops that IEEE float32 arithmetic rounds exactly as `Math.fround(float64 result)` (or that are exact). */
const F32_EXACT: ReadonlySet<AluOp> = new Set<AluOp>([
  "add", "sub", "mul", "div", "sqrt", "neg", "abs", "sign", "floor", "ceil", "round", "max", "min",
  "where", "isnan", "isinf", "eq", "ne", "lt", "le", "gt", "ge", "not", "clamp", "cast",
]);

/** Ops whose float result the JS kernels leave unrounded (js-stmts.ts EXACT_IN_F32): f64 in stays f64 out. */
const UNROUNDED: ReadonlySet<AluOp> = new Set<AluOp>(["neg", "abs", "sign", "floor", "ceil", "round", "max", "min", "where", "cast", "clamp"]);

const COMPARE: ReadonlySet<AluOp> = new Set<AluOp>(["eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "not"]);

const isIntDtype = (dt: string) => dt === "int32" || dt === "bool" || dt === "index";

interface Ctx {
  /** Declared locals after the parameters. */
  readonly locals: ValType[];
  readonly nParams: number;
  readonly imports: Map<AnyImport, number>;
  /** v128 locals the vector math reuses across calls (vecCtx). */
  readonly vecPool: number[];
  /** Counts for inspection: loops vectorized (of them across an outer reduction: outerVectorBody), ops computed lane by lane inside them. */
  readonly stats: { vectorLoops: number; outerVectorLoops: number; perLaneOps: number };
}

function newLocal(c: Ctx, t: ValType): number {
  c.locals.push(t);
  return c.nParams + c.locals.length - 1;
}

function importIndex(c: Ctx, name: AnyImport): number {
  let i = c.imports.get(name);
  if (i === undefined) c.imports.set(name, (i = c.imports.size));
  return i;
}

/** What a name is bound to in the current scope. */
type Binding =
  | { readonly k: "scalar"; readonly local: number; readonly t: Scalar }
  /**
   * A constant loop variable (unrolled) is never produced; vector values. `lin`: an int32 vector
   * whose lane l is `base + l·stride` (an index affine in the loop variable), its lane 0 kept in the
   * scalar local `base` too — addresses and gathers read lanes from it instead of extracting them
   * (the vector itself is then unused and the engine drops it).
   */
  | { readonly k: "vec"; readonly local: number; readonly t: Scalar; readonly unit: boolean; readonly lin?: Lin };

/** An affine int32 vector: lane l = base + l·stride (wrapping, as i32x4 lanes do). */
interface Lin {
  readonly base: number;
  readonly stride: number;
}

type Env = Map<string, Binding>;

// ------------------------------------------------------------------------------- scalar ops

/** Converts the scalar on the stack from `from` to `to` as JS would see the number (f64 → i32 is ToInt32). */
function convert(from: Scalar, to: Scalar, c: Ctx): Bytes {
  if (from === to) return [];
  if (from === T.f32 && to === T.f64) return op.f64PromoteF32;
  if (from === T.f64 && to === T.f32) return op.f32DemoteF64;
  if (from === T.i32 && to === T.f64) return op.f64ConvertI32S;
  if (from === T.i32 && to === T.f32) return op.f32ConvertI32S;
  // ToInt32: truncate, wrap modulo 2^32; NaN, ±inf and |x| ≥ 2^63 (multiples of 2^32) give 0.
  const x = newLocal(c, T.f64);
  return [
    ...(from === T.f32 ? op.f64PromoteF32 : []), ...op.set(x),
    ...op.get(x), ...op.i64TruncSatF64S, ...op.i32WrapI64,
    ...op.i32Const(0),
    ...op.get(x), ...op.f64Abs, ...op.f64Const(2 ** 63), ...op.f64Lt,
    ...op.select,
  ];
}

const f64Bin: Partial<Record<AluOp, Bytes>> = {
  add: op.f64Add, sub: op.f64Sub, mul: op.f64Mul, div: op.f64Div, max: op.f64Max, min: op.f64Min,
};
const f32Bin: Partial<Record<AluOp, Bytes>> = {
  add: op.f32Add, sub: op.f32Sub, mul: op.f32Mul, div: op.f32Div, max: op.f32Max, min: op.f32Min,
};
const fCmp = {
  [T.f32]: { eq: op.f32Eq, ne: op.f32Ne, lt: op.f32Lt, le: op.f32Le, gt: op.f32Gt, ge: op.f32Ge },
  [T.f64]: { eq: op.f64Eq, ne: op.f64Ne, lt: op.f64Lt, le: op.f64Le, gt: op.f64Gt, ge: op.f64Ge },
} as const;
const iCmp = { eq: op.i32Eq, ne: op.i32Ne, lt: op.i32LtS, le: op.i32LeS, gt: op.i32GtS, ge: op.i32GeS } as const;

interface AluSpec {
  readonly alu: AluOp;
  readonly dtype: string;
  readonly param: readonly number[];
}

/** Float32 ops computed by the f32x4 vector math (wasm-vecmath.ts), in both renderers. */
const VECMATH: ReadonlySet<string> = new Set<string>(VECMATH_OPS);
const isVecMath = (s: AluSpec) => s.dtype === "float32" && VECMATH.has(s.alu);

/**
 * The vector math's context: its v128 temporaries are dead once its result has been consumed (the
 * caller does so at once), so every call reuses the same pool of locals — a kernel with many
 * vector-math ops stays far below the engine's limit on locals per function.
 */
function vecCtx(c: Ctx): VecMathCtx {
  let next = 0;
  return {
    local: (t) => {
      if (t !== T.v128) return newLocal(c, t);
      if (next === c.vecPool.length) c.vecPool.push(newLocal(c, T.v128));
      return c.vecPool[next++]!;
    },
    hostFn: (fn) => importIndex(c, `vecmath.${fn}`),
  };
}

/** Ops with an int32 form (intAlu); any other op on int32 values computes as JS does, in float64. */
const INT_OPS: ReadonlySet<AluOp> = new Set<AluOp>([
  "neg", "abs", "sign", "floor", "ceil", "round", "isnan", "isinf", "not", "add", "sub", "mul", "and", "or", "xor", "max", "min",
  "eq", "ne", "lt", "le", "gt", "ge", "shl", "shrl", "div", "floorDiv", "rem", "idiv", "imod", "clamp", "pow", "where", "cast",
]);

/** Every op this renderer emits (a new ALU op stays on the JS renderer until it is added here). */
const RENDERED_OPS: ReadonlySet<AluOp> = new Set<AluOp>([
  ...INT_OPS, ...(Object.keys(IMPORTED_OPS) as AluOp[]), "logistic", "sqrt", "div",
]);

/** The scalar type an ALU op's result has (the JS value it equals), given its operands' types. */
function resultType(s: AluSpec, argTypes: readonly Scalar[]): Scalar {
  // An int-typed result of an op JS computes in float64 and does not truncate (atan2 of int32s) is
  // that float64 number until it is stored.
  if (isIntDtype(s.dtype) && !INT_OPS.has(s.alu)) return T.f64;
  if (isIntDtype(s.dtype)) return T.i32;
  // float32 result
  if (COMPARE.has(s.alu)) return T.i32;
  if (s.alu === "cast") return T.f32;
  if (UNROUNDED.has(s.alu)) {
    if (s.alu === "clamp" && s.param.some((p) => Math.fround(p) !== p)) return T.f64;
    const floats = s.alu === "where" ? argTypes.slice(1) : argTypes;
    return floats.includes(T.f64) ? T.f64 : T.f32;
  }
  return T.f32;
}

/**
 * Emits one ALU op as scalar code. `arg(i, t)` pushes operand i converted to type t; `types` are
 * the operands' own types. Leaves a value of `resultType(s, types)` on the stack.
 */
function scalarAlu(s: AluSpec, types: readonly Scalar[], arg: (i: number, t: Scalar) => Bytes, c: Ctx): Bytes {
  const out = resultType(s, types);
  const inInt = types.length > 0 && types.every((t) => t === T.i32) && s.alu !== "where";
  if (s.alu === "where") {
    const t = out === T.i32 ? T.i32 : out;
    return [...arg(1, t), ...arg(2, t), ...condOf(0, types[0]!, arg), ...op.select];
  }
  if (s.alu === "cast") return castOp(s, types[0]!, arg, c);
  if (isVecMath(s)) {
    // One lane of the vector function: the JS kernels' twin computes exactly this (wasm-vecmath.ts).
    const args = s.alu === "pow" ? [0, 1] : [0];
    return [...args.flatMap((i) => [...arg(i, T.f32), ...v.f32x4Splat]), ...emitVecMath(s.alu as VecMathOp, vecCtx(c)), ...v.f32x4ExtractLane(0)];
  }
  if (inInt && INT_OPS.has(s.alu) && (isIntDtype(s.dtype) || COMPARE.has(s.alu))) return intAlu(s, arg, c);
  // Float operands (or an int operand of a float op: promoted, as JS numbers are).
  const f32Mode = out === T.f32 && F32_EXACT.has(s.alu) && types.every((t) => t !== T.f64) && !(s.alu === "clamp" && out !== T.f32);
  const ft: Scalar = f32Mode ? T.f32 : COMPARE.has(s.alu) && types.every((t) => t !== T.f64) ? T.f32 : T.f64;
  const body = floatAlu(s, ft, arg, c);
  return [...body, ...(COMPARE.has(s.alu) ? [] : convert(ft, out, c))];
}

function condOf(i: number, t: Scalar, arg: (i: number, t: Scalar) => Bytes): Bytes {
  if (t === T.i32) return arg(i, T.i32);
  return t === T.f32 ? [...arg(i, T.f32), ...op.f32Const(0), ...op.f32Ne] : [...arg(i, T.f64), ...op.f64Const(0), ...op.f64Ne];
}

function castOp(s: AluSpec, from: Scalar, arg: (i: number, t: Scalar) => Bytes, c: Ctx): Bytes {
  switch (s.dtype) {
    case "float32":
      return [...arg(0, from), ...convert(from, T.f32, c)];
    case "bool": // x !== 0 (NaN is true)
      return from === T.i32 ? [...arg(0, T.i32), ...op.i32Const(0), ...op.i32Ne] : condOf(0, from, arg);
    default: // int32, index
      return [...arg(0, from), ...convert(from, T.i32, c)];
  }
}

/** Floor division of two i32 on the stack locals a, b (b ≠ 0, b ≠ -1 handled by the caller). */
function floorDivI32(a: number, b: number): Bytes {
  // q = a / b truncated; q - 1 when the remainder is nonzero and the signs differ.
  return [
    ...op.get(a), ...op.get(b), ...op.i32DivS,
    ...op.get(a), ...op.get(b), ...op.i32RemS, ...op.i32Const(0), ...op.i32Ne,
    ...op.get(a), ...op.get(b), ...op.i32Xor, ...op.i32Const(0), ...op.i32LtS,
    ...op.i32And, ...op.i32Sub,
  ];
}

function intAlu(s: AluSpec, arg: (i: number, t: Scalar) => Bytes, c: Ctx): Bytes {
  const a = () => arg(0, T.i32), b = () => arg(1, T.i32);
  const bin = (o: Bytes) => [...a(), ...b(), ...o];
  const tmp2 = () => {
    const x = newLocal(c, T.i32), y = newLocal(c, T.i32);
    return { x, y, init: [...a(), ...op.set(x), ...b(), ...op.set(y)] };
  };
  switch (s.alu) {
    case "neg": return s.dtype === "bool" ? a() : [...op.i32Const(0), ...a(), ...op.i32Sub];
    case "abs": {
      const x = newLocal(c, T.i32);
      return [...op.i32Const(0), ...a(), ...op.tee(x), ...op.i32Sub, ...op.get(x), ...op.get(x), ...op.i32Const(0), ...op.i32LtS, ...op.select];
    }
    case "sign": {
      const x = newLocal(c, T.i32);
      return [...a(), ...op.tee(x), ...op.i32Const(0), ...op.i32GtS, ...op.get(x), ...op.i32Const(0), ...op.i32LtS, ...op.i32Sub];
    }
    case "floor": case "ceil": case "round": return a();
    case "isnan": case "isinf": return [...op.i32Const(0)];
    case "not": return [...a(), ...op.i32Eqz];
    case "add": return bin(op.i32Add);
    case "sub": return bin(op.i32Sub);
    case "mul": return bin(op.i32Mul);
    case "and": return bin(op.i32And);
    case "or": return bin(op.i32Or);
    case "xor": return bin(op.i32Xor);
    case "max": case "min": {
      const { x, y, init } = tmp2();
      return [...init, ...op.get(x), ...op.get(y), ...op.get(x), ...op.get(y), ...(s.alu === "max" ? op.i32GtS : op.i32LtS), ...op.select];
    }
    case "eq": case "ne": case "lt": case "le": case "gt": case "ge": return bin(iCmp[s.alu]);
    case "shl": case "shrl": {
      const { x, y, init } = tmp2();
      return [...init, ...op.i32Const(0), ...op.get(x), ...op.get(y), ...(s.alu === "shl" ? op.i32Shl : op.i32ShrU),
        ...op.get(y), ...op.i32Const(32), ...op.i32GeS, ...op.select];
    }
    case "div": case "floorDiv": {
      // b = 0 → 0; b = -1 → -a (wrapping: INT_MIN stays INT_MIN, as Math.floor(2^31) | 0); else floor division.
      const { x, y, init } = tmp2();
      return [...init,
        ...op.get(y), ...op.i32Eqz, ...op.if(T.i32), ...op.i32Const(0),
        ...op.else, ...op.get(y), ...op.i32Const(-1), ...op.i32Eq, ...op.if(T.i32), ...op.i32Const(0), ...op.get(x), ...op.i32Sub,
        ...op.else, ...floorDivI32(x, y), ...op.end, ...op.end];
    }
    case "rem": {
      // b = 0 → 0; else r = a rem b (C), plus b when r ≠ 0 and the signs of r and b differ (NumPy).
      const { x, y, init } = tmp2();
      const r = newLocal(c, T.i32);
      return [...init,
        ...op.get(y), ...op.i32Eqz, ...op.if(T.i32), ...op.i32Const(0),
        ...op.else, ...op.get(x), ...op.get(y), ...op.i32RemS, ...op.set(r),
        ...op.get(r), ...op.get(y), ...op.i32Add, ...op.get(r),
        ...op.get(r), ...op.i32Const(0), ...op.i32Ne, ...op.get(r), ...op.get(y), ...op.i32Xor, ...op.i32Const(0), ...op.i32LtS, ...op.i32And,
        ...op.select, ...op.end];
    }
    case "idiv": {
      const d = s.param[0]!;
      const x = newLocal(c, T.i32), y = newLocal(c, T.i32);
      return [...a(), ...op.set(x), ...op.i32Const(d), ...op.set(y), ...floorDivI32(x, y)];
    }
    case "imod": return [...a(), ...op.i32Const(s.param[0]!), ...op.i32RemS]; // JS `%`: truncated
    case "clamp": {
      const [lo, hi] = s.param as [number, number];
      const x = newLocal(c, T.i32);
      // Math.min(Math.max(a, lo), hi) on integers (bounds clipped to the int32 range).
      const L = Math.max(-(2 ** 31), Math.ceil(lo)), H = Math.min(2 ** 31 - 1, Math.floor(hi));
      return [...a(), ...op.set(x),
        ...op.get(x), ...op.i32Const(L), ...op.get(x), ...op.i32Const(L), ...op.i32GtS, ...op.select, ...op.set(x),
        ...op.get(x), ...op.i32Const(H), ...op.get(x), ...op.i32Const(H), ...op.i32LtS, ...op.select];
    }
    case "pow": {
      const f = importIndex(c, "ipow");
      return [...arg(0, T.f64), ...arg(1, T.f64), ...op.call(f), ...convert(T.f64, T.i32, c)];
    }
    default:
      throw new Error(`wasm: no int32 form of ${s.alu}`);
  }
}

/** A float op in type ft (f32 only for F32_EXACT ops); comparisons leave an i32. */
function floatAlu(s: AluSpec, ft: Scalar, arg: (i: number, t: Scalar) => Bytes, c: Ctx): Bytes {
  const is32 = ft === T.f32;
  const a = () => arg(0, ft), b = () => arg(1, ft);
  const k = (x: number) => (is32 ? op.f32Const(x) : op.f64Const(x));
  const un = (o32: Bytes, o64: Bytes) => [...a(), ...(is32 ? o32 : o64)];
  const bin = f32Bin[s.alu] && f64Bin[s.alu];
  if (bin) return [...a(), ...b(), ...(is32 ? f32Bin[s.alu]! : f64Bin[s.alu]!)];
  const call = (name: ImportName) => {
    const f = importIndex(c, name);
    return BINARY_IMPORTS.has(name) ? [...arg(0, T.f64), ...arg(1, T.f64), ...op.call(f)] : [...arg(0, T.f64), ...op.call(f)];
  };
  const imported = IMPORTED_OPS[s.alu];
  if (imported) return call(imported);
  switch (s.alu) {
    case "sqrt": return un(op.f32Sqrt, op.f64Sqrt);
    case "neg": return un(op.f32Neg, op.f64Neg);
    case "abs": return un(op.f32Abs, op.f64Abs);
    case "floor": return un(op.f32Floor, op.f64Floor);
    case "ceil": return un(op.f32Ceil, op.f64Ceil);
    case "round": return un(op.f32Nearest, op.f64Nearest);
    case "sign": {
      // x > 0 ? 1 : x < 0 ? -1 : x === x ? 0 : NaN
      const x = newLocal(c, ft);
      const cmp = fCmp[ft as typeof T.f32 | typeof T.f64];
      return [...a(), ...op.set(x),
        ...k(1), ...k(-1), ...k(0), ...k(NaN), ...op.get(x), ...op.get(x), ...cmp.eq, ...op.select,
        ...op.get(x), ...k(0), ...cmp.lt, ...op.select,
        ...op.get(x), ...k(0), ...cmp.gt, ...op.select];
    }
    case "eq": case "ne": case "lt": case "le": case "gt": case "ge":
      return [...a(), ...b(), ...fCmp[ft as typeof T.f32 | typeof T.f64][s.alu]];
    case "isnan": {
      const x = newLocal(c, ft);
      return [...a(), ...op.tee(x), ...op.get(x), ...fCmp[ft as typeof T.f32 | typeof T.f64].ne];
    }
    case "isinf": return [...a(), ...(is32 ? op.f32Abs : op.f64Abs), ...k(Infinity), ...fCmp[ft as typeof T.f32 | typeof T.f64].eq];
    case "not": return [...a(), ...k(0), ...fCmp[ft as typeof T.f32 | typeof T.f64].eq];
    case "logistic": {
      // 1 / (1 + exp(-x)) in float64, as the JS kernels.
      const f = importIndex(c, "exp");
      return [...op.f64Const(1), ...op.f64Const(1), ...arg(0, T.f64), ...op.f64Neg, ...op.call(f), ...op.f64Add, ...op.f64Div];
    }
    case "clamp": {
      const [lo, hi] = s.param as [number, number];
      return [...a(), ...k(lo), ...(is32 ? op.f32Max : op.f64Max), ...k(hi), ...(is32 ? op.f32Min : op.f64Min)];
    }
    case "idiv": return [...arg(0, T.f64), ...op.f64Const(s.param[0]!), ...op.f64Div, ...op.f64Floor];
    case "imod": {
      const f = importIndex(c, "fmod");
      return [...arg(0, T.f64), ...op.f64Const(s.param[0]!), ...op.call(f)];
    }
    case "div": // int32 div handled in intAlu; float div is in the binary table
    default:
      throw new Error(`wasm: no float form of ${s.alu}`);
  }
}

// ------------------------------------------------------------------------------- module

const SIZE: Record<"float32" | "int32" | "bool", number> = { float32: 4, int32: 4, bool: 1 };
const SHIFT: Record<"float32" | "int32" | "bool", number> = { float32: 2, int32: 2, bool: 0 };
type Stored = keyof typeof SIZE;

interface Emitter {
  readonly c: Ctx;
  readonly k: Kernel;
  /** Accumulator name → its local and type. */
  readonly accs: Map<string, { local: number; t: Scalar }>;
}

/** Pushes an operand as type `want` in a scalar context. */
function pushScalar(o: Operand, env: Env, want: Scalar, e: Emitter): Bytes {
  if (o.k === "const") {
    const val = !isIntDtype(o.dtype) ? Math.fround(o.value) : o.value;
    if (want === T.i32) return op.i32Const(val);
    return want === T.f32 ? op.f32Const(val) : op.f64Const(val);
  }
  const acc = e.accs.get(o.name);
  if (acc) return [...op.get(acc.local), ...convert(acc.t, want, e.c)];
  const b = env.get(o.name);
  if (!b || b.k !== "scalar") throw new Error(`wasm: unbound ${o.name}`);
  return [...op.get(b.local), ...convert(b.t, want, e.c)];
}

function typeOfOperand(o: Operand, env: Env, e: Emitter): Scalar {
  if (o.k === "const") return isIntDtype(o.dtype) ? T.i32 : T.f32;
  const acc = e.accs.get(o.name);
  if (acc) return acc.t;
  const b = env.get(o.name);
  if (!b) throw new Error(`wasm: unbound ${o.name}`);
  return b.t;
}

const loadOp = (dt: Stored): Bytes => (dt === "float32" ? op.f32Load() : dt === "int32" ? op.i32Load() : op.i32Load8U());
const storeOp = (dt: Stored): Bytes => (dt === "float32" ? op.f32Store() : dt === "int32" ? op.i32Store() : op.i32Store8());
const storedType = (dt: Stored): Scalar => (dt === "float32" ? T.f32 : T.i32);

/** Address of element `index` (an i32 on the stack after `idx`) of buffer `buf`. */
function address(buf: number, idx: Bytes, e: Emitter): Bytes {
  const sh = SHIFT[e.k.params[buf]!.dtype as Stored];
  return [...op.get(buf), ...idx, ...(sh ? [...op.i32Const(sh), ...op.i32Shl] : []), ...op.i32Add];
}

function scalarLet(name: string, val: Op, env: Env, e: Emitter): Bytes {
  let code: Bytes, t: Scalar;
  if (val.op === "load") {
    const dt = e.k.params[val.buf]!.dtype as Stored;
    t = storedType(dt);
    code = [...address(val.buf, pushScalar(val.index, env, T.i32, e), e), ...loadOp(dt)];
  } else if (val.op === "alu") {
    const types = val.args.map((a) => typeOfOperand(a, env, e));
    t = resultType(val, types);
    code = scalarAlu(val, types, (i, want) => pushScalar(val.args[i]!, env, want, e), e.c);
  } else {
    // A contraction's epilogue reads its tiles as loads of C (wasm-contraction.ts readingC).
    throw new Error("wasm: register read outside a contraction epilogue");
  }
  const local = newLocal(e.c, t);
  env.set(name, { k: "scalar", local, t });
  return [...code, ...op.set(local)];
}

/** The JS update of an accumulator (js-stmts.ts UPDATE / UPDATE_INT32) with the value on the stack as `vt`. */
function updateAcc(acc: { local: number; t: Scalar }, rop: ReduceOp, value: Bytes, e: Emitter): Bytes {
  if (acc.t === T.i32) {
    const o = rop === "sum" ? op.i32Add : rop === "prod" ? op.i32Mul : null;
    if (o) return [...op.get(acc.local), ...value, ...o, ...op.set(acc.local)];
    const x = newLocal(e.c, T.i32);
    return [...value, ...op.set(x), ...op.get(acc.local), ...op.get(x), ...op.get(acc.local), ...op.get(x),
      ...(rop === "max" ? op.i32GtS : op.i32LtS), ...op.select, ...op.set(acc.local)];
  }
  const o = { sum: op.f64Add, prod: op.f64Mul, max: op.f64Max, min: op.f64Min }[rop];
  return [...op.get(acc.local), ...value, ...o, ...op.set(acc.local)];
}

/** Accumulators: i32 when fed int32 values from an int32 start (the JS int32 update), f64 otherwise. */
function accTypes(body: readonly Stmt[], k: Kernel): Map<string, Scalar> {
  const inits = new Map<string, number>();
  const fed = new Map<string, Set<string>>();
  const dtypes = new Map<string, string>();
  for (const st of walk(body)) {
    if (st.s === "acc") inits.set(st.name, st.init);
    if (st.s === "let") dtypes.set(st.name, st.value.op === "load" ? k.params[st.value.buf]!.dtype : st.value.dtype);
    if (st.s === "update") {
      const dt = st.value.k === "const" ? st.value.dtype : st.value.k === "local" ? (dtypes.get(st.value.name) ?? "float64") : "index";
      if (!fed.has(st.name)) fed.set(st.name, new Set());
      fed.get(st.name)!.add(dt);
    }
  }
  const out = new Map<string, Scalar>();
  for (const [name, init] of inits) {
    const f = fed.get(name);
    const int = f !== undefined && [...f].every((d) => d === "int32") && Number.isInteger(init) && (init | 0) === init;
    out.set(name, int ? T.i32 : T.f64);
  }
  return out;
}

function emitStmts(stmts: readonly Stmt[], env: Env, e: Emitter, out: Bytes): void {
  for (const st of stmts) {
    switch (st.s) {
      case "let": append(out, scalarLet(st.name, st.value, env, e)); break;
      case "acc": {
        const acc = e.accs.get(st.name)!;
        append(out, (acc.t === T.i32 ? op.i32Const(st.init) : op.f64Const(st.init)), op.set(acc.local));
        break;
      }
      case "update": {
        const acc = e.accs.get(st.name)!;
        append(out, updateAcc(acc, st.rop, pushScalar(st.value, env, acc.t, e), e));
        break;
      }
      case "store": {
        const dt = e.k.params[st.buf]!.dtype as Stored;
        // A typed-array store: float32 rounds, int32 is ToInt32, bool (Uint8) keeps the low byte.
        const value = pushScalar(st.value, env, dt === "float32" ? T.f32 : T.i32, e);
        append(out, address(st.buf, pushScalar(st.index, env, T.i32, e), e), value, storeOp(dt));
        break;
      }
      case "if": {
        const inner = new Map(env);
        const body: Bytes = [];
        emitStmts(st.body, inner, e, body);
        append(out, condOf(0, typeOfOperand(st.cond, env, e), (_i, t) => pushScalar(st.cond, env, t, e)), op.if(), body, op.end);
        break;
      }
      case "loop": append(out, emitLoop(st, env, e)); break;
      case "regs": case "regUpdate": throw new Error("wasm: register tiles");
    }
  }
}

type LoopStmt = Extract<Stmt, { s: "loop" }>;

/** `for (var = start; var < end; var += step) body` as block/loop. */
function scalarLoop(varLocal: number, step: number, guard: Bytes, body: Bytes): Bytes {
  return [
    ...op.block(), ...op.loop(),
    ...guard, ...op.brIf(1),
    ...body,
    ...op.get(varLocal), ...op.i32Const(step), ...op.i32Add, ...op.set(varLocal),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
}

/** `for (v = 0; v < n; v++) body` over a constant trip count. */
function countedLoop(v: number, n: number, body: Bytes): Bytes {
  return [...op.i32Const(0), ...op.set(v), ...scalarLoop(v, 1, [...op.get(v), ...op.i32Const(n), ...op.i32GeS], body)];
}

function emitLoop(st: LoopStmt, env: Env, e: Emitter): Bytes {
  const varLocal = newLocal(e.c, T.i32);
  const endLocal = newLocal(e.c, T.i32);
  const head = [...pushScalar(st.start, env, T.i32, e), ...op.set(varLocal), ...pushScalar(st.end, env, T.i32, e), ...op.set(endLocal)];
  const scalarBody = (): Bytes => {
    const inner: Env = new Map(env);
    inner.set(st.var, { k: "scalar", local: varLocal, t: T.i32 });
    const body: Bytes = [];
    emitStmts(st.body, inner, e, body);
    return body;
  };
  const done = [...op.get(varLocal), ...op.get(endLocal), ...op.i32GeS];
  const inner = st.step === 1 ? vectorBody(st, varLocal, env, e) : null;
  const vec = inner ?? (st.step === 1 ? outerVectorBody(st, varLocal, env, e) : null);
  if (!vec) return [...head, ...scalarLoop(varLocal, st.step, done, scalarBody())];
  e.c.stats.vectorLoops++;
  if (!inner) e.c.stats.outerVectorLoops++;
  // Vector iterations while var + 4 <= end, then the scalar remainder. A constant trip count of 4
  // (a contraction's panel rows and tile columns) is one vector iteration with no loop control.
  const trips = st.start.k === "const" && st.end.k === "const" ? st.end.value - st.start.value : -1;
  if (trips === 4) return [...head, ...vec];
  const vecDone = [...op.get(varLocal), ...op.i32Const(4), ...op.i32Add, ...op.get(endLocal), ...op.i32GtS];
  return [...head, ...scalarLoop(varLocal, 4, vecDone, vec), ...(trips % 4 === 0 ? [] : scalarLoop(varLocal, 1, done, scalarBody()))];
}

// ------------------------------------------------------------------------------- SIMD

/** Ops with a direct f32x4 form (float32 operands, F32_EXACT semantics). */
const F32X4: Partial<Record<AluOp, Bytes>> = {
  add: v.f32x4Add, sub: v.f32x4Sub, mul: v.f32x4Mul, div: v.f32x4Div, sqrt: v.f32x4Sqrt,
  neg: v.f32x4Neg, abs: v.f32x4Abs, floor: v.f32x4Floor, ceil: v.f32x4Ceil, round: v.f32x4Nearest,
};
const F32X4_CMP: Partial<Record<AluOp, Bytes>> = { eq: v.f32x4Eq, ne: v.f32x4Ne, lt: v.f32x4Lt, le: v.f32x4Le, gt: v.f32x4Gt, ge: v.f32x4Ge };
const I32X4: Partial<Record<AluOp, Bytes>> = { add: v.i32x4Add, sub: v.i32x4Sub, mul: v.i32x4Mul, and: v.and, or: v.or, xor: v.xor };
const I32X4_CMP: Partial<Record<AluOp, Bytes>> = { eq: v.i32x4Eq, ne: v.i32x4Ne, lt: v.i32x4LtS, le: v.i32x4LeS, gt: v.i32x4GtS, ge: v.i32x4GeS };

/** A mask (all-ones lanes) as 0/1 booleans. */
const maskTo01 = [...op.i32Const(31), ...v.i32x4ShrU];

/**
 * The body of one vector iteration (4 loop iterations), or null when the loop does not vectorize:
 * nested control, register tiles, buffers both read and written in the loop, more than one store
 * to a buffer, scattered stores, or accumulators read (not only updated) inside the loop.
 */
function vectorBody(st: LoopStmt, varLocal: number, outer: Env, e: Emitter): Bytes | null {
  const stored = new Set<number>(), loaded = new Set<number>(), updated = new Set<string>();
  for (const s of st.body) {
    if (s.s === "loop" || s.s === "if" || s.s === "regs" || s.s === "regUpdate" || s.s === "acc") return null;
    if (s.s === "store") {
      if (stored.has(s.buf)) return null;
      stored.add(s.buf);
    }
    if (s.s === "let" && s.value.op === "load") loaded.add(s.value.buf);
    if (s.s === "let" && s.value.op === "reg") return null;
    if (s.s === "update") updated.add(s.name);
  }
  for (const b of stored) if (loaded.has(b)) return null;
  const readsAcc = (o: Operand) => o.k === "local" && updated.has(o.name);
  for (const s of st.body) {
    if (s.s === "let" && s.value.op === "alu" && s.value.args.some(readsAcc)) return null;
    if (s.s === "let" && s.value.op === "load" && readsAcc(s.value.index)) return null;
    if (s.s === "store" && (readsAcc(s.value) || readsAcc(s.index))) return null;
  }
  const env: Env = new Map(outer);
  // The loop variable as a vector: [v, v+1, v+2, v+3].
  const vv = newLocal(e.c, T.v128);
  const out: Bytes = [
    ...op.get(varLocal), ...v.i32x4Splat, ...v.const(lanes4([0, 1, 2, 3])), ...v.i32x4Add, ...op.set(vv),
  ];
  env.set(st.var, { k: "vec", local: vv, t: T.i32, unit: true, lin: { base: varLocal, stride: 1 } });
  for (const s of st.body) {
    switch (s.s) {
      case "let": {
        const made = vectorLet(s.name, s.value, env, e);
        if (!made) return null;
        append(out, made);
        break;
      }
      case "update": {
        const acc = e.accs.get(s.name)!;
        const b = s.value.k === "local" ? env.get(s.value.name) : undefined;
        if (!b || b.k === "scalar") {
          // The same value 4 times: four updates, in order.
          for (let l = 0; l < 4; l++) append(out, updateAcc(acc, s.rop, pushScalar(s.value, env, acc.t, e), e));
        } else {
          for (let l = 0; l < 4; l++) append(out, updateAcc(acc, s.rop, [...laneOf(b, l), ...convert(b.t, acc.t, e.c)], e));
        }
        break;
      }
      case "store": {
        const dt = e.k.params[s.buf]!.dtype as Stored;
        const idx = s.index.k === "local" || s.index.k === "var" ? env.get(s.index.name) : undefined;
        const want = storedType(dt);
        const valueVec = (): Bytes => pushVec(s.value, env, want, e);
        if (idx && idx.k === "vec" && idx.unit && dt !== "bool") {
          append(out, address(s.buf, laneOf(idx, 0), e), valueVec(), v.store());
        } else if (idx && idx.k === "vec") {
          return null; // scattered stores keep the scalar loop (collision order)
        } else {
          // A uniform index: the last iteration's value wins, as in the scalar loop.
          const b = s.value.k === "local" ? env.get(s.value.name) : undefined;
          const last = b && b.k === "vec" ? [...laneOf(b, 3), ...convert(b.t, want, e.c)] : pushScalar(s.value, env, want, e);
          append(out, address(s.buf, pushScalar(s.index, env, T.i32, e), e), last, storeOp(dt));
        }
        break;
      }
      default:
        return null;
    }
  }
  return out;
}

/** Byte lanes of `i8x16.shuffle`: the high two float32 lanes of the first vector as its low two. */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** Byte lanes of `i8x16.shuffle`: the low two float32 lanes of each vector, side by side. */
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * One vector iteration of a reduction over an outer axis — 4 consecutive outputs at once — or null
 * when the loop does not have that shape. A column sum (a bias gradient, `sum(x, 0)`) loops over
 * outputs `v` with a serial reduction inside whose loads are at `v + uniform`: the inner loop cannot
 * vectorize along its own variable without gathers, but along `v` every load is contiguous. The
 * shape: lets, float sum accumulators, one inner loop of lets and updates of those accumulators
 * (every load in it at a unit index in `v` or uniform, every op with a SIMD form), then lets and
 * stores at `v`; after the loop an accumulator is read only as `cast:float32(acc)`. Each
 * accumulator becomes two f64x2 (lanes v, v+1 and v+2, v+3), so every output is summed in float64
 * in the inner loop's order — the bits of the scalar loop.
 */
function outerVectorBody(st: LoopStmt, varLocal: number, outer: Env, e: Emitter): Bytes | null {
  const loops = st.body.filter((s): s is LoopStmt => s.s === "loop");
  if (loops.length !== 1 || !st.body.every((s) => s.s === "let" || s.s === "acc" || s.s === "store" || s.s === "loop")) return null;
  const inner = loops[0]!;
  if (!inner.body.every((s) => s.s === "let" || s.s === "update")) return null;
  const accNames = new Set(st.body.flatMap((s) => (s.s === "acc" ? [s.name] : [])));
  const readsAcc = (o: Operand) => o.k === "local" && accNames.has(o.name);
  const stored = new Set<number>(), loaded = new Set<number>();
  for (const s of [...st.body, ...inner.body]) {
    if (s.s === "update" && (!accNames.has(s.name) || s.rop !== "sum" || e.accs.get(s.name)?.t !== T.f64)) return null;
    if (s.s === "store") {
      if (stored.has(s.buf) || readsAcc(s.value) || readsAcc(s.index)) return null;
      stored.add(s.buf);
    }
    if (s.s === "let" && s.value.op === "load") loaded.add(s.value.buf);
    if (s.s === "let" && s.value.op === "reg") return null;
  }
  for (const b of stored) if (loaded.has(b)) return null;
  for (const s of inner.body) if (s.s === "let" && s.value.op === "alu" && s.value.args.some(readsAcc)) return null;
  if (inner.body.some((s) => s.s === "let" && s.value.op === "load" && readsAcc(s.value.index))) return null;

  const env: Env = new Map(outer);
  const vv = newLocal(e.c, T.v128);
  const out: Bytes = [...op.get(varLocal), ...v.i32x4Splat, ...v.const(lanes4([0, 1, 2, 3])), ...v.i32x4Add, ...op.set(vv)];
  env.set(st.var, { k: "vec", local: vv, t: T.i32, unit: true, lin: { base: varLocal, stride: 1 } });
  const halves = new Map<string, readonly [number, number]>();
  const varying = (o: Operand, en: Env) => o.k !== "const" && en.get(o.name)?.k === "vec";
  for (const s of st.body) {
    if (s.s === "acc") {
      const h = [newLocal(e.c, T.v128), newLocal(e.c, T.v128)] as const;
      halves.set(s.name, h);
      append(out, op.f64Const(s.init), v.f64x2Splat, op.set(h[0]), op.f64Const(s.init), v.f64x2Splat, op.set(h[1]));
    } else if (s.s === "let") {
      const val = s.value;
      if (val.op === "alu" && val.args.some(readsAcc)) {
        // float32(acc): each half rounded, the two pairs side by side.
        const h = val.args[0]!.k === "local" ? halves.get(val.args[0]!.name) : undefined;
        if (val.alu !== "cast" || val.dtype !== "float32" || val.args.length !== 1 || !h) return null;
        const local = newLocal(e.c, T.v128);
        append(out, op.get(h[0]), v.f32x4DemoteF64x2Zero, op.get(h[1]), v.f32x4DemoteF64x2Zero, v.i8x16Shuffle(LOW_HALVES), op.set(local));
        env.set(s.name, { k: "vec", local, t: T.f32, unit: false });
        continue;
      }
      const made = vectorLet(s.name, val, env, e);
      if (!made) return null;
      append(out, made);
    } else if (s.s === "store") {
      const dt = e.k.params[s.buf]!.dtype as Stored;
      const idx = s.index.k === "local" || s.index.k === "var" ? env.get(s.index.name) : undefined;
      if (!idx || idx.k !== "vec" || !idx.unit || dt === "bool") return null;
      append(out, address(s.buf, laneOf(idx, 0), e), pushVec(s.value, env, storedType(dt), e), v.store());
    } else if (s.s === "loop") {
      if (varying(s.start, env) || varying(s.end, env)) return null;
      const iv = newLocal(e.c, T.i32), end = newLocal(e.c, T.i32);
      const innerEnv: Env = new Map(env);
      innerEnv.set(s.var, { k: "scalar", local: iv, t: T.i32 });
      const body: Bytes = [];
      for (const u of s.body) {
        if (u.s === "let") {
          const val = u.value;
          if (val.op === "load" && varying(val.index, innerEnv)) {
            const b = innerEnv.get((val.index as { name: string }).name) as Extract<Binding, { k: "vec" }>;
            if (!b.unit || e.k.params[val.buf]!.dtype === "bool") return null; // a gather: the scalar loop is as fast
          }
          const perLane = e.c.stats.perLaneOps;
          const made = vectorLet(u.name, val, innerEnv, e);
          if (!made || e.c.stats.perLaneOps !== perLane) return null;
          append(body, made);
        } else if (u.s === "update") {
          const h = halves.get(u.name)!;
          const b = u.value.k === "local" ? innerEnv.get(u.value.name) : undefined;
          if (b && b.k === "vec") {
            if (b.t !== T.f32) return null;
            append(body,
              op.get(h[0]), op.get(b.local), v.f64x2PromoteLowF32x4, v.f64x2Add, op.set(h[0]),
              op.get(h[1]), op.get(b.local), op.get(b.local), v.i8x16Shuffle(HIGH_HALF), v.f64x2PromoteLowF32x4, v.f64x2Add, op.set(h[1]));
          } else {
            const x = newLocal(e.c, T.v128);
            append(body, pushScalar(u.value, innerEnv, T.f64, e), v.f64x2Splat, op.set(x),
              op.get(h[0]), op.get(x), v.f64x2Add, op.set(h[0]), op.get(h[1]), op.get(x), v.f64x2Add, op.set(h[1]));
          }
        }
      }
      append(out,
        pushScalar(s.start, env, T.i32, e), op.set(iv), pushScalar(s.end, env, T.i32, e), op.set(end),
        scalarLoop(iv, s.step, [...op.get(iv), ...op.get(end), ...op.i32GeS], body));
    }
  }
  return out;
}

/** The all-zero v128 constant. */
const V128_ZERO = v.const(new Array<number>(16).fill(0));

function lanes4(xs: readonly number[]): number[] {
  const dv = new DataView(new ArrayBuffer(16));
  xs.forEach((x, i) => dv.setInt32(i * 4, x, true));
  return Array.from(new Uint8Array(dv.buffer));
}

/** Lane l of a vector binding as a scalar of its type. */
function laneOf(b: Binding, l: number): Bytes {
  if (b.k === "vec" && b.lin) {
    const off = Math.imul(l, b.lin.stride);
    return [...op.get(b.lin.base), ...(off === 0 ? [] : [...op.i32Const(off), ...op.i32Add])];
  }
  return [...op.get(b.local), ...(b.t === T.f32 ? v.f32x4ExtractLane(l) : v.i32x4ExtractLane(l))];
}

/**
 * The affine form (Lin) of an int32 vector op over affine vectors and uniform int32 operands — `x ± u`,
 * `x ± y`, `x · c` for a constant c — with the code computing its lane 0, or null.
 */
function linearLet(val: Extract<Op, { op: "alu" }>, types: readonly Scalar[], env: Env, e: Emitter): { lin: Lin; code: Bytes } | null {
  if (!isIntDtype(val.dtype) || val.args.length !== 2 || !types.every((t) => t === T.i32)) return null;
  const [x, y] = val.args as [Operand, Operand];
  const binding = (o: Operand) => (o.k === "const" ? undefined : env.get(o.name));
  const linOf = (o: Operand) => { const b = binding(o); return b?.k === "vec" ? b.lin : undefined; };
  const uniform = (o: Operand) => binding(o)?.k !== "vec";
  const [lx, ly] = [linOf(x), linOf(y)];
  const lane0 = (o: Operand, l: Lin | undefined) => (l ? op.get(l.base) : pushScalar(o, env, T.i32, e));
  let stride: number, code: Bytes;
  if (val.alu === "add" || val.alu === "sub") {
    if (!((lx || uniform(x)) && (ly || uniform(y))) || (!lx && !ly)) return null;
    const sign = val.alu === "add" ? 1 : -1;
    stride = ((lx?.stride ?? 0) + sign * (ly?.stride ?? 0)) | 0;
    code = [...lane0(x, lx), ...lane0(y, ly), ...(val.alu === "add" ? op.i32Add : op.i32Sub)];
  } else if (val.alu === "mul") {
    const [l, c] = lx && y.k === "const" ? [lx, y] : ly && x.k === "const" ? [ly, x] : [undefined, undefined];
    if (!l || !c) return null;
    stride = Math.imul(l.stride, c.value);
    code = [...op.get(l.base), ...pushScalar(c, env, T.i32, e), ...op.i32Mul];
  } else {
    return null;
  }
  const base = newLocal(e.c, T.i32);
  return { lin: { base, stride }, code: [...code, ...op.set(base)] };
}

/** Pushes an operand as a vector of `want` lanes (f32 or i32): vectors as they are, scalars splatted. */
function pushVec(o: Operand, env: Env, want: Scalar, e: Emitter): Bytes {
  const b = o.k === "const" ? undefined : env.get(o.name);
  if (b && b.k === "vec") {
    if (b.t === want) return op.get(b.local);
    // Convert per lane (rare: int lanes into a float vector, e.g. a bool stored as float).
    const r = newLocal(e.c, T.v128);
    const out: Bytes = [...V128_ZERO, ...op.set(r)];
    for (let l = 0; l < 4; l++) {
      append(out, op.get(r), laneOf(b, l), convert(b.t, want, e.c), (want === T.f32 ? v.f32x4ReplaceLane(l) : v.i32x4ReplaceLane(l)), op.set(r));
    }
    return [...out, ...op.get(r)];
  }
  return [...pushScalar(o, env, want, e), ...(want === T.f32 ? v.f32x4Splat : want === T.i32 ? v.i32x4Splat : [])];
}

function vectorLet(name: string, val: Op, env: Env, e: Emitter): Bytes | null {
  const varying = (o: Operand) => o.k !== "const" && env.get(o.name)?.k === "vec";
  if (val.op === "reg") return null;
  if (val.op === "load") {
    if (!varying(val.index)) return scalarLet(name, val, env, e);
    const dt = e.k.params[val.buf]!.dtype as Stored;
    const t = storedType(dt);
    const idx = env.get((val.index as { name: string }).name)! as Extract<Binding, { k: "vec" }>;
    const local = newLocal(e.c, T.v128);
    env.set(name, { k: "vec", local, t, unit: false });
    if (idx.unit && dt !== "bool") return [...address(val.buf, laneOf(idx, 0), e), ...v.load(), ...op.set(local)];
    // Gather: four scalar loads.
    const out: Bytes = [...V128_ZERO, ...op.set(local)];
    for (let l = 0; l < 4; l++) {
      append(out, op.get(local), address(val.buf, laneOf(idx, l), e), loadOp(dt), (t === T.f32 ? v.f32x4ReplaceLane(l) : v.i32x4ReplaceLane(l)), op.set(local));
    }
    return out;
  }
  if (!val.args.some(varying)) return scalarLet(name, val, env, e);
  // Vector lanes are f32 or i32 (a varying f64 never occurs: such lets keep the loop scalar); a
  // uniform f64 operand (an accumulator's value) is used per lane, or rounded where JS rounds it.
  const types = val.args.map((a) => typeOfOperand(a, env, e));
  const t = resultType(val, types);
  if (t === T.f64) return null;
  const local = newLocal(e.c, T.v128);
  const unitIn = (o: Operand) => o.k !== "const" && (env.get(o.name) as { unit?: boolean } | undefined)?.unit === true;
  const unit = isIntDtype(val.dtype) && (
    (val.alu === "add" && ((unitIn(val.args[0]!) && !varying(val.args[1]!)) || (unitIn(val.args[1]!) && !varying(val.args[0]!)))) ||
    (val.alu === "sub" && unitIn(val.args[0]!) && !varying(val.args[1]!)));
  const direct = directSimd(val, types, env, e);
  const code = direct ?? perLane(val, types, t, env, e);
  const linear = linearLet(val, types, env, e);
  env.set(name, { k: "vec", local, t, unit, ...(linear ? { lin: linear.lin } : {}) });
  return [...(linear?.code ?? []), ...code, ...op.set(local)];
}

/** The SIMD form of an op when it has one (operands all f32 or all i32), else null. */
function directSimd(val: Extract<Op, { op: "alu" }>, types: readonly Scalar[], env: Env, e: Emitter): Bytes | null {
  const allF32 = types.every((t) => t === T.f32), allI32 = types.every((t) => t === T.i32);
  const args = (t: Scalar) => val.args.flatMap((a) => pushVec(a, env, t, e));
  if (val.alu === "where") {
    const t = types[1] === T.f32 && types[2] === T.f32 ? T.f32 : types[1] === T.i32 && types[2] === T.i32 ? T.i32 : null;
    if (t === null) return null;
    // bitselect(a, b, mask): mask from the 0/1 (or float) condition.
    const cond = types[0] === T.i32
      ? [...pushVec(val.args[0]!, env, T.i32, e), ...V128_ZERO, ...v.i32x4Ne]
      : [...pushVec(val.args[0]!, env, T.f32, e), ...V128_ZERO, ...v.f32x4Ne];
    return [...pushVec(val.args[1]!, env, t, e), ...pushVec(val.args[2]!, env, t, e), ...cond, ...v.bitselect];
  }
  if (isVecMath(val) && types.every((t) => t !== T.i32)) return [...args(T.f32), ...emitVecMath(val.alu as VecMathOp, vecCtx(e.c))];
  if (val.dtype === "float32" && allF32) {
    const o = F32X4[val.alu];
    if (o) return [...args(T.f32), ...o];
    // max/min: JS Math.max/min propagate NaN and order -0 < +0, which f32x4.max/min do too.
    if (val.alu === "max") return [...args(T.f32), ...v.f32x4Max];
    if (val.alu === "min") return [...args(T.f32), ...v.f32x4Min];
    return null;
  }
  if (allF32 && F32X4_CMP[val.alu]) return [...args(T.f32), ...F32X4_CMP[val.alu]!, ...maskTo01];
  if (allI32 && isIntDtype(val.dtype)) {
    if (I32X4[val.alu] && (val.alu === "add" || val.alu === "sub" || val.alu === "mul" || val.alu === "and" || val.alu === "or" || val.alu === "xor")) {
      return [...args(T.i32), ...I32X4[val.alu]!];
    }
    if (I32X4_CMP[val.alu]) return [...args(T.i32), ...I32X4_CMP[val.alu]!, ...maskTo01];
    if (val.alu === "max") return [...args(T.i32), ...v.i32x4MaxS];
    if (val.alu === "min") return [...args(T.i32), ...v.i32x4MinS];
  }
  if (val.alu === "cast" && val.dtype === "float32" && types[0] === T.i32) return [...args(T.i32), ...v.f32x4ConvertI32x4S];
  return null;
}

/** An op lane by lane: the scalar code on extracted lanes, results replaced into a vector. */
function perLane(val: Extract<Op, { op: "alu" }>, types: readonly Scalar[], t: Scalar, env: Env, e: Emitter): Bytes {
  e.c.stats.perLaneOps++;
  const r = newLocal(e.c, T.v128);
  const out: Bytes = [...V128_ZERO, ...op.set(r)];
  for (let l = 0; l < 4; l++) {
    const arg = (i: number, want: Scalar): Bytes => {
      const o = val.args[i]!;
      const b = o.k === "const" ? undefined : env.get(o.name);
      if (b && b.k === "vec") return [...laneOf(b, l), ...convert(b.t, want, e.c)];
      return pushScalar(o, env, want, e);
    };
    append(out, op.get(r), scalarAlu(val, types, arg, e.c), (t === T.f32 ? v.f32x4ReplaceLane(l) : v.i32x4ReplaceLane(l)), op.set(r));
  }
  return [...out, ...op.get(r)];
}

// ------------------------------------------------------------------------------- split exports

/**
 * The exports the worker pool runs of a split kernel (wasm-split.ts), besides `run`:
 * - rows: `range(ptr…, lo, hi)` runs iterations [lo, hi) of the split loop (after the root lets);
 * - blocks: `blocks(ptr…, scratch, lo, hi)` writes the partials of blocks [lo, hi) to `scratch`
 *   (SLOT_BYTES per block and accumulator), and `finish(ptr…, scratch)` is the kernel with the split
 *   loop replaced by folding every block's partials in block order — the calling thread runs it.
 * Each is the kernel's own statements through the same emitter as `run`, so a value is computed by
 * the same instructions whichever export computes it.
 */
function splitFunctions(k: Kernel, split: KernelSplit, imports: Ctx["imports"]): DefinedFunc[] {
  const fn = (exportName: string, extra: number, emit: (e: Emitter, out: Bytes, param: (i: number) => number) => void): DefinedFunc => {
    // Its own stats: renderWasm's count the `run` function's loops.
    const e = functionEmitter(k, k.params.length + extra, { imports, stats: { vectorLoops: 0, outerVectorLoops: 0, perLaneOps: 0 } });
    const c = e.c;
    const body: Bytes = [];
    emit(e, body, (i) => k.params.length + i);
    return { type: { params: new Array(c.nParams).fill(T.i32), results: [] }, locals: c.locals, body: [...body, ...op.end], export: exportName };
  };
  const i32 = (local: number): Binding => ({ k: "scalar", local, t: T.i32 });
  const ranged = (start: string, end: string): Stmt => ({ ...split.loop, start: { k: "var", name: start }, end: { k: "var", name: end } });
  const at = k.body.indexOf(split.loop);
  if (split.kind === "rows") {
    return [fn("range", 2, (e, out, p) => {
      const env: Env = new Map([["$lo", i32(p(0))], ["$hi", i32(p(1))]]);
      emitStmts(k.body.map((st) => (st === split.loop ? ranged("$lo", "$hi") : st)), env, e, out);
    })];
  }
  const slot = (scratch: number, b: number): Bytes => [...op.get(scratch), ...op.get(b), ...op.i32Const(split.accs.length * SLOT_BYTES), ...op.i32Mul, ...op.i32Add];
  const inits = new Map(k.body.flatMap((st) => (st.s === "acc" ? [[st.name, st.init] as const] : [])));
  const blocks = fn("blocks", 3, (e, out, p) => {
    const [scratch, b, hi] = [p(0), p(1), p(2)];
    const vs = newLocal(e.c, T.i32), ve = newLocal(e.c, T.i32);
    const env: Env = new Map([["$vs", i32(vs)], ["$ve", i32(ve)]]);
    emitStmts(k.body.slice(0, at), env, e, out);
    const body: Bytes = [];
    emitStmts(split.accs.map((a) => ({ s: "acc", name: a.name, init: inits.get(a.name)! })), env, e, body);
    // vs = start + b·per·step; ve = min(vs + per·step, end)
    const span = split.per * split.loop.step;
    append(body, pushScalar(split.loop.start, env, T.i32, e), op.get(b), op.i32Const(span), op.i32Mul, op.i32Add, op.set(vs),
      op.get(vs), op.i32Const(span), op.i32Add, pushScalar(split.loop.end, env, T.i32, e),
      op.get(vs), op.i32Const(span), op.i32Add, pushScalar(split.loop.end, env, T.i32, e), op.i32LtS, op.select, op.set(ve));
    emitStmts([ranged("$vs", "$ve")], env, e, body);
    split.accs.forEach((a, j) => {
      const acc = e.accs.get(a.name)!;
      append(body, slot(scratch, b), op.get(acc.local), acc.t === T.i32 ? op.i32Store(j * SLOT_BYTES) : op.f64Store(j * SLOT_BYTES));
    });
    append(out, scalarLoop(b, 1, [...op.get(b), ...op.get(hi), ...op.i32GeS], body));
  });
  const finish = fn("finish", 1, (e, out, p) => {
    const env: Env = new Map();
    const b = newLocal(e.c, T.i32);
    const fold: Bytes = [];
    split.accs.forEach((a, j) => {
      const acc = e.accs.get(a.name)!;
      append(fold, updateAcc(acc, a.rop, [...slot(p(0), b), ...(acc.t === T.i32 ? op.i32Load(j * SLOT_BYTES) : op.f64Load(j * SLOT_BYTES))], e));
    });
    for (const st of k.body) {
      if (st === split.loop) append(out, countedLoop(b, split.n, fold));
      else emitStmts([st], env, e, out);
    }
  });
  return [blocks, finish];
}

// ------------------------------------------------------------------------------- entry

/** What the contraction renderer (wasm-contraction.ts) uses of this emitter. */
const STMT_EMITTER: StmtEmitter<Emitter, Binding> = {
  emitStmts,
  newLocal: (e, t) => newLocal(e.c, t),
  importIndex: (e, name) => importIndex(e.c, name),
  importNames: (e) => [...e.c.imports.keys()],
  newFunction: (e, nParams) => functionEmitter(e.k, nParams, e.c),
  locals: (e) => e.c.locals,
  scalarLoop,
};

/** The emitter of one function of kernel `k`'s module (`module`: the imports and stats its functions share). */
function functionEmitter(k: Kernel, nParams: number, module?: Pick<Ctx, "imports" | "stats">): Emitter {
  const c: Ctx = { locals: [], nParams, imports: module?.imports ?? new Map(), vecPool: [], stats: module?.stats ?? { vectorLoops: 0, outerVectorLoops: 0, perLaneOps: 0 } };
  const accs = new Map<string, { local: number; t: Scalar }>();
  for (const [name, t] of accTypes(k.body, k)) accs.set(name, { local: newLocal(c, t), t });
  return { c, k, accs };
}

export interface WasmModuleSource {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The float64 functions the module imports from `m` (called per element). */
  readonly imports: readonly ImportName[];
  /** The vector math's host functions it imports from `vecmath` (called for rare lanes only). */
  readonly hostImports: readonly HostFn[];
  /** How a contraction uses the worker pool (null: it does not; `pool.tiles` or `pool.gemm` is imported). */
  readonly pool: ContractionPool;
  /** Loops vectorized, and ops inside them computed lane by lane (no SIMD form). */
  readonly stats: { readonly vectorLoops: number; readonly outerVectorLoops: number; readonly perLaneOps: number };
  /** Scratch parameters that need more room than the kernel says (a contraction's zero-padded B panels), in floats. */
  readonly scratchFloats: ReadonlyMap<number, number>;
  /** Hidden parameters after the kernel's own (a contraction's C), in bytes: the caller allocates them. */
  readonly extraBytes: readonly number[];
  /** How the worker pool may split the kernel (the module then exports `range`, or `blocks` and `finish`), or null. */
  readonly split: KernelSplit | null;
}

/**
 * Renders a kernel (one `wasmUnsupported` accepts) as a module exporting `run(ptr…)`.
 * @example
 * const { bytes, imports } = renderWasm(kernel, heap);
 * WebAssembly.validate(bytes); // true
 */
/**
 * The kernel as wasm stores it: a contraction's packed panels are float32 (the IR declares them in
 * the dtype the generic JS loop accumulates in; the microkernel reads float32, as js-matmul.ts's).
 */
export function asStored(k: Kernel): Kernel {
  if (!k.params.some((p) => p.role === "scratch" && p.dtype !== "float32")) return k;
  return { ...k, params: k.params.map((p) => (p.role === "scratch" ? { ...p, dtype: "float32" as const } : p)) };
}

export function renderWasm(kernel: Kernel, heap: Pick<WasmHeap, "importLimits">): WasmModuleSource {
  const stored = asStored(kernel);
  const P = stored.params.some((p) => p.role === "scratch") || hasRegs(stored.body) ? contractionParts(stored) : null;
  const parts = P && typeof P !== "string" ? P : null;
  // A contraction gets one more parameter: C, the microkernel's output (ldc floats per row).
  const k = parts ? withC(stored, parts) : stored;
  const e = functionEmitter(k, k.params.length);
  const c = e.c;
  const body: Bytes = [];
  const made = parts ? renderContraction(parts, stored.params.length, STMT_EMITTER, e, body) : null;
  if (!made) emitStmts(k.body, new Map(), e, body);
  append(body, op.end);
  const split = parts ? null : kernelSplit(k, (name) => e.accs.get(name)?.t === T.i32);
  const splitFuncs = split ? splitFunctions(k, split, c.imports) : [];
  const f64 = (n: number): FuncType => ({ params: new Array(n).fill(T.f64), results: [T.f64] });
  const imports: ImportedFunc[] = [...c.imports.keys()].map((name) =>
    name === "pool.gemm" || name === "pool.tiles"
      ? { module: "pool", name: name.slice("pool.".length), type: { params: new Array(name === "pool.gemm" ? 7 : k.params.length + 1).fill(T.i32), results: [] } }
      : name.startsWith("vecmath.")
        ? { module: "vecmath", name: name.slice("vecmath.".length), type: { params: [T.f32], results: [T.f32] } }
        : { module: "m", name, type: f64(BINARY_IMPORTS.has(name as ImportName) ? 2 : 1) });
  // A contraction's functions follow `run`: their indices are known once every import is.
  const patch = (code: Bytes) => (made ? patchCalls(code, imports.length + 1) : code);
  const bytes = buildModule({
    memory: heap.importLimits,
    imports,
    funcs: [
      { type: { params: new Array(c.nParams).fill(T.i32), results: [] }, locals: c.locals, body: patch(body), export: "run" },
      ...(made ? made.funcs.map((f) => ({ ...f, body: patch(f.body) })) : []),
      ...splitFuncs,
    ],
  });
  const names = [...c.imports.keys()];
  return {
    bytes,
    imports: names.filter((n): n is ImportName => !n.startsWith("vecmath.") && !n.startsWith("pool.")),
    pool: made?.pool ?? null,
    stats: { ...c.stats },
    hostImports: names.filter((n) => n.startsWith("vecmath.")).map((n) => n.slice("vecmath.".length) as HostFn),
    scratchFloats: made?.scratchFloats ?? new Map(),
    extraBytes: made ? [made.cFloats * 4] : [],
    split,
  };
}

export const STORED_SIZE = SIZE;
