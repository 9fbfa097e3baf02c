/**
 * The kernel IR shared by every target: buffer parameters, a tree of loops, straight-line `let`
 * bindings of one operation each, accumulators, register arrays, loads and stores. Each target's
 * renderer prints it (targets/js/js.ts as JavaScript, targets/webgpu/wgsl*.ts as WGSL); nothing
 * here knows a target's syntax.
 *
 * Loop `kind` marks loops whose iterations are independent (`parallel`: workgroup/thread
 * dimensions on a GPU), unrolled (`unroll`) and SIMD lanes (`vector`, with a width); register
 * arrays are the register-blocked tiles of contractions; `scratch` parameters are packed operand
 * panels (workgroup memory on WGSL).
 *
 * A kernel's identity is its canonical text (`printKernel`): names are assigned in emission order
 * and buffers are numbered by first use, so the same kernel from two different graphs prints the
 * same and is compiled once (targets/js/kernel-cache.ts).
 */
import { type DType } from "@kiln/core";
import { type AluOp, type ExprDType, type ReduceOp } from "./expr.js";

export type Operand =
  | { readonly k: "local"; readonly name: string; readonly dtype: ExprDType }
  | { readonly k: "var"; readonly name: string }
  | { readonly k: "const"; readonly value: number; readonly dtype: ExprDType };

/** The right-hand side of a `let`: exactly one operation over operands. */
export type Op =
  | { readonly op: "alu"; readonly alu: AluOp; readonly args: readonly Operand[]; readonly dtype: ExprDType; readonly param: readonly number[] }
  | { readonly op: "load"; readonly buf: number; readonly index: Operand; readonly dtype: DType }
  | { readonly op: "reg"; readonly name: string; readonly idx: readonly Operand[]; readonly dtype: DType };

export type LoopKind = "serial" | "parallel" | "unroll" | "vector";

export type Stmt =
  | { readonly s: "let"; readonly name: string; readonly value: Op }
  | { readonly s: "acc"; readonly name: string; readonly init: number }
  | { readonly s: "update"; readonly name: string; readonly rop: ReduceOp; readonly value: Operand }
  | { readonly s: "regs"; readonly name: string; readonly shape: readonly number[]; readonly init: number }
  | { readonly s: "regUpdate"; readonly name: string; readonly idx: readonly Operand[]; readonly rop: ReduceOp | "set"; readonly value: Operand }
  | { readonly s: "store"; readonly buf: number; readonly index: Operand; readonly value: Operand }
  | {
      readonly s: "loop"; readonly var: string; readonly start: Operand; readonly end: Operand; readonly step: number;
      readonly kind: LoopKind; readonly width?: number; readonly body: readonly Stmt[];
    }
  | { readonly s: "if"; readonly cond: Operand; readonly body: readonly Stmt[] };

export interface BufferParam {
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** `out` parameters come first; a multi-output kernel (multi-output.ts) has several, each
   * written by one `store` at the same index, after every value of the iteration is computed. */
  readonly role: "in" | "out" | "scratch";
}

export interface Kernel {
  /** `<kind>_<root primitive>_<hash>`; a valid identifier in every target language. */
  readonly name: string;
  readonly params: readonly BufferParam[];
  readonly body: readonly Stmt[];
  /** Arithmetic operations per call (estimate: ALU ops × trip counts; 2mnk for contractions). */
  readonly flops: number;
}

/**
 * Every statement of `stmts`, depth first (a loop or `if` before its body), skipping `skip` and
 * what it contains.
 * @example [...walkStmts(k.body)].filter((st) => st.s === "store").length // the kernel's stores
 */
export function* walkStmts(stmts: readonly Stmt[], skip: Stmt | null = null): Generator<Stmt> {
  for (const st of stmts) {
    if (st === skip) continue;
    yield st;
    if (st.s === "loop" || st.s === "if") yield* walkStmts(st.body, skip);
  }
}

// ------------------------------------------------------------------------------- printing

function fmtOperand(o: Operand): string {
  if (o.k === "const") return `${Object.is(o.value, -0) ? "-0" : o.value}:${o.dtype}`;
  return o.name;
}

function fmtOp(v: Op): string {
  switch (v.op) {
    case "alu": return `${v.alu}${v.param.length ? `[${v.param.join(",")}]` : ""}:${v.dtype}(${v.args.map(fmtOperand).join(", ")})`;
    case "load": return `load:${v.dtype} b${v.buf}[${fmtOperand(v.index)}]`;
    case "reg": return `${v.name}[${v.idx.map(fmtOperand).join(",")}]`;
  }
}

function printStmts(stmts: readonly Stmt[], indent: string, out: string[]): void {
  for (const st of stmts) {
    switch (st.s) {
      case "let": out.push(`${indent}${st.name} = ${fmtOp(st.value)}`); break;
      case "acc": out.push(`${indent}acc ${st.name} = ${st.init}`); break;
      case "update": out.push(`${indent}${st.name} ${st.rop}= ${fmtOperand(st.value)}`); break;
      case "regs": out.push(`${indent}regs ${st.name}[${st.shape.join(",")}] = ${st.init}`); break;
      case "regUpdate": out.push(`${indent}${st.name}[${st.idx.map(fmtOperand).join(",")}] ${st.rop}= ${fmtOperand(st.value)}`); break;
      case "store": out.push(`${indent}b${st.buf}[${fmtOperand(st.index)}] = ${fmtOperand(st.value)}`); break;
      case "loop":
        out.push(`${indent}${st.kind}${st.width ? `<${st.width}>` : ""} ${st.var} in [${fmtOperand(st.start)}, ${fmtOperand(st.end)}) step ${st.step} {`);
        printStmts(st.body, indent + "  ", out);
        out.push(`${indent}}`);
        break;
      case "if":
        out.push(`${indent}if ${fmtOperand(st.cond)} {`);
        printStmts(st.body, indent + "  ", out);
        out.push(`${indent}}`);
        break;
    }
  }
}

/** Canonical text of a kernel without its name: the structural identity used by the cache. */
export function printKernelBody(params: readonly BufferParam[], body: readonly Stmt[]): string {
  const out = params.map((p, i) => `b${i}: ${p.role} ${p.dtype}[${p.size}]`);
  printStmts(body, "", out);
  return out.join("\n");
}

const textOf = new WeakMap<Kernel, string>();

/**
 * A kernel's structural identity (`printKernelBody`), computed once per IR object: the key every
 * target's compile cache looks kernels up by (printing the IR is the expensive part of a lookup).
 * @example kernelText(k) === printKernelBody(k.params, k.body) // true
 */
export function kernelText(k: Kernel): string {
  let text = textOf.get(k);
  if (text === undefined) textOf.set(k, (text = printKernelBody(k.params, k.body)));
  return text;
}

/**
 * Readable text of a kernel (name, parameters, loop tree).
 * @example
 * lowerGraph(np.exp(x)).kernels[0].ir; // the same text: "kernel elementwise_exp_…\nb0: out float32[3]…"
 */
export function printKernel(k: Kernel): string {
  return `kernel ${k.name}\n${printKernelBody(k.params, k.body)}`;
}

/** 32-bit FNV-1a of a string, as 8 hex digits. */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
