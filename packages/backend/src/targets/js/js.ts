/**
 * Kernel IR → one JavaScript function over typed arrays. Values are JS numbers (float64), and
 * every float32 value is rounded where it is computed (`Math.fround`), not only on store: a value
 * recomputed inside a fused kernel must equal, bit for bit, the same value stored by another
 * kernel, or a derivative that compares them (`x == max(x)`) takes the wrong branch. See
 * docs/architecture.md, "Rounding: one value, one set of bits". int32 results and int32 accumulators
 * wrap (`| 0`, `Math.imul`), booleans are 0/1 in Uint8Arrays, exactly as the reference
 * interpreter computes them.
 */
import { type AluOp, type ReduceOp } from "../../expr.js";
import { type Kernel, type Op, type Operand, type Stmt } from "../../kernel.js";
import { floorDivideScalar, powerInt32, remainderScalar } from "@kiln/core";
import { type AluRender, BASE_ALU, type Dialect, literal } from "../../render/base.js";
import { wasmGemm } from "./wasm-gemm.js";
import { renderContractionJs } from "./js-matmul.js";

const JS: Dialect = { math: (name) => `Math.${name}` };

/** Numeric helpers shared by all kernels (NumPy semantics the Math object lacks). */
export const JS_HELPERS = {
  /** The WebAssembly SIMD matmul microkernel (render/js-matmul.ts), when available. */
  gemm: wasmGemm,
  /** Round half to even, as NumPy. */
  roundHalfEven(x: number): number {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  /** NumPy's divmod (core/arith.ts): the reference interpreter's own functions. */
  floorDiv: floorDivideScalar,
  rem: remainderScalar,
  ipow: powerInt32,
};

const isInt = (c: { in: string }) => c.in === "int32";
const bool01 = (cond: string) => `(${cond} ? 1 : 0)`;
/** A float op, with the int32 form wrapping to 32 bits. */
const wrapInt = (base: AluRender): AluRender => (a, c, d) => (isInt(c) ? `(${base(a, c, d)} | 0)` : base(a, c, d));

/** JavaScript's overrides of the C-like base table: only what differs. */
const JS_ALU = {
  ...BASE_ALU,
  neg: (a, c) => (c.in === "bool" ? a[0]! : isInt(c) ? `(-${a[0]} | 0)` : `(-${a[0]})`),
  abs: wrapInt(BASE_ALU.abs),
  sign: (a) => `(${a[0]} > 0 ? 1 : ${a[0]} < 0 ? -1 : ${a[0]} === ${a[0]} ? 0 : NaN)`,
  // The base form 1 / (1 + exp(-x)) is exact to float64 rounding except below x ≈ -709, where it
  // gives 0 instead of a subnormal: branch-free, and ~10% faster than the two-sided form on
  // random signs.
  round: (a) => `roundHalfEven(${a[0]})`,
  isnan: (a) => bool01(`${a[0]} !== ${a[0]}`),
  isinf: (a) => bool01(`${a[0]} === Infinity || ${a[0]} === -Infinity`),
  not: (a) => bool01(`${a[0]} === 0`),
  add: wrapInt(BASE_ALU.add),
  sub: wrapInt(BASE_ALU.sub),
  mul: (a, c, d) => (isInt(c) ? `Math.imul(${a[0]}, ${a[1]})` : BASE_ALU.mul(a, c, d)),
  // Integer division floors and x // 0 is 0, as the reference interpreter.
  div: (a, c, d) => (isInt(c) ? `(${a[1]} === 0 ? 0 : Math.floor(${a[0]} / ${a[1]}) | 0)` : BASE_ALU.div(a, c, d)),
  floorDiv: (a, c) => (isInt(c) ? `(${a[1]} === 0 ? 0 : Math.floor(${a[0]} / ${a[1]}) | 0)` : `floorDiv(${a[0]}, ${a[1]})`),
  rem: (a, c) => (isInt(c) ? `(${a[1]} === 0 ? 0 : rem(${a[0]}, ${a[1]}) | 0)` : `rem(${a[0]}, ${a[1]})`),
  pow: (a, c, d) => (isInt(c) ? `ipow(${a[0]}, ${a[1]})` : BASE_ALU.pow(a, c, d)),
  eq: (a) => bool01(`${a[0]} === ${a[1]}`),
  ne: (a) => bool01(`${a[0]} !== ${a[1]}`),
  lt: (a) => bool01(`${a[0]} < ${a[1]}`),
  le: (a) => bool01(`${a[0]} <= ${a[1]}`),
  gt: (a) => bool01(`${a[0]} > ${a[1]}`),
  ge: (a) => bool01(`${a[0]} >= ${a[1]}`),
  // Logical on 0/1 booleans, bitwise on int32: the same operators.
  and: (a) => `(${a[0]} & ${a[1]})`,
  or: (a) => `(${a[0]} | ${a[1]})`,
  xor: (a) => `(${a[0]} ^ ${a[1]})`,
  // Shifts by 32 or more give 0 (JavaScript would shift by the count mod 32).
  shl: (a) => `(${a[1]} >= 32 ? 0 : ${a[0]} << ${a[1]})`,
  shrl: (a) => `(${a[1]} >= 32 ? 0 : (${a[0]} >>> ${a[1]}) | 0)`,
  where: (a) => `(${a[0]} !== 0 ? ${a[1]} : ${a[2]})`,
  cast: (a, c) => {
    switch (c.dtype) {
      case "float32":
      case "float16":
        return c.in === "bool" ? a[0]! : `Math.fround(${a[0]})`;
      case "int32":
        return c.in === "bool" || c.in === "index" ? a[0]! : `(${a[0]} | 0)`;
      case "bool":
        return bool01(`${a[0]} !== 0`); // NaN is true, as NumPy and XLA
      default:
        return a[0]!;
    }
  },
  idiv: (a, c) => `Math.floor(${a[0]} / ${c.param[0]})`,
} satisfies Record<AluOp, AluRender>;

type Env = ReadonlyMap<string, number>;

/** Dtypes whose values are float32 numbers (float16 is stored and computed as float32). */
const isF32 = (dt: string) => dt === "float32" || dt === "float16";

/**
 * ALU ops whose float32 result is already a float32 number when their operands are (a selection,
 * a sign flip, an integral value) or that round by themselves (`cast`): no `Math.fround` needed.
 */
const EXACT_IN_F32: ReadonlySet<AluOp> = new Set<AluOp>(["neg", "abs", "sign", "floor", "ceil", "round", "max", "min", "where", "cast", "clamp"]);

/** The rounding rule: a float32 result is rounded to float32 where it is computed. */
const roundF32 = (expr: string, dtype: string) => (isF32(dtype) ? `Math.fround(${expr})` : expr);

function operand(o: Operand, env: Env): string {
  // A float32 constant is the float32 number (0.1 → 0.10000000149011612), as when it is stored.
  if (o.k === "const") return literal(isF32(o.dtype) ? Math.fround(o.value) : o.value);
  if (o.k === "var") {
    const v = env.get(o.name);
    return v === undefined ? o.name : literal(v);
  }
  return o.name;
}

function regName(name: string, idx: readonly Operand[], env: Env): string {
  return [name, ...idx.map((i) => operand(i, env))].join("_");
}

/** Register reads rendered as another expression (the contraction epilogue reads C from memory). */
export type RegAlias = (name: string, idx: readonly string[]) => string | undefined;

function op(v: Op, env: Env, alias?: RegAlias): string {
  switch (v.op) {
    case "alu": {
      const args = v.args.map((a) => operand(a, env));
      const inDt = v.args[0] && v.args[0].k !== "var" ? v.args[0].dtype : "index";
      const text = JS_ALU[v.alu](args, { dtype: v.dtype, in: inDt, param: v.param }, JS);
      return EXACT_IN_F32.has(v.alu) ? text : roundF32(text, v.dtype);
    }
    case "load": return `b${v.buf}[${operand(v.index, env)}]`;
    // Float registers accumulate in float64 (the JS contraction loop nest); reading one yields its dtype's value.
    case "reg": return roundF32(alias?.(v.name, v.idx.map((i) => operand(i, env))) ?? regName(v.name, v.idx, env), v.dtype);
  }
}

type UpdateRender = (acc: string, v: string) => string;

const UPDATE = {
  sum: (a, v) => `${a} += ${v};`,
  prod: (a, v) => `${a} *= ${v};`,
  max: (a, v) => `${a} = Math.max(${a}, ${v});`,
  min: (a, v) => `${a} = Math.min(${a}, ${v});`,
  set: (a, v) => `${a} = ${v};`,
} satisfies Record<ReduceOp | "set", UpdateRender>;

/**
 * An accumulator fed int32 values is an int32 accumulator (the rule WGSL's i32 accumulators
 * follow too): sums and products wrap at every step like int32 arithmetic. A float64 product of
 * two int32 values already loses bits past 2^53, so wrapping only at the end is not enough.
 */
const UPDATE_INT32: Partial<Record<ReduceOp | "set", UpdateRender>> = {
  sum: (a, v) => `${a} = (${a} + ${v}) | 0;`,
  prod: (a, v) => `${a} = Math.imul(${a}, ${v});`,
};

function update(rop: ReduceOp | "set", acc: string, value: Operand, env: Env): string {
  const int = value.k !== "var" && value.dtype === "int32" ? UPDATE_INT32[rop] : undefined;
  return (int ?? UPDATE[rop])(acc, operand(value, env));
}

function cartesian(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of shape) out = out.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i]));
  return out;
}

/** Renders statements as JS; `alias` replaces register reads. */
export function renderStmts(stmts: readonly Stmt[], env: Env, ind: string, out: string[], alias?: RegAlias): void {
  for (const st of stmts) {
    switch (st.s) {
      case "let": out.push(`${ind}const ${st.name} = ${op(st.value, env, alias)};`); break;
      case "acc": out.push(`${ind}let ${st.name} = ${literal(st.init)};`); break;
      case "update": out.push(`${ind}${update(st.rop, st.name, st.value, env)}`); break;
      case "regs":
        for (const idx of cartesian(st.shape)) out.push(`${ind}let ${[st.name, ...idx].join("_")} = ${literal(st.init)};`);
        break;
      case "regUpdate": out.push(`${ind}${update(st.rop, regName(st.name, st.idx, env), st.value, env)}`); break;
      case "store": out.push(`${ind}b${st.buf}[${operand(st.index, env)}] = ${operand(st.value, env)};`); break;
      case "if":
        out.push(`${ind}if (${operand(st.cond, env)} !== 0) {`);
        renderStmts(st.body, env, ind + "  ", out, alias);
        out.push(`${ind}}`);
        break;
      case "loop": {
        if (st.kind === "unroll" || st.kind === "vector") {
          // Unrolled: one block per iteration with the loop variable replaced by a constant.
          const start = Number(operand(st.start, env)), end = Number(operand(st.end, env));
          for (let i = start; i < end; i += st.step) {
            out.push(`${ind}{`);
            renderStmts(st.body, new Map([...env, [st.var, i]]), ind + "  ", out, alias);
            out.push(`${ind}}`);
          }
          break;
        }
        const step = st.step === 1 ? `${st.var}++` : `${st.var} += ${st.step}`;
        out.push(`${ind}for (let ${st.var} = ${operand(st.start, env)}; ${st.var} < ${operand(st.end, env)}; ${step}) {`);
        renderStmts(st.body, env, ind + "  ", out, alias);
        out.push(`${ind}}`);
        break;
      }
    }
  }
}

/**
 * The JavaScript source of a kernel: a factory taking the helpers, returning the kernel function.
 * @example
 * const src = renderJs(kernel); // "\"use strict\"; … return function elementwise_exp_…(b0, b1) { … }"
 */
export function renderJs(k: Kernel): string {
  const simd = renderContractionJs(k);
  if (simd) return simd;
  const out: string[] = [];
  renderStmts(k.body, new Map(), "  ", out);
  const params = k.params.map((_, i) => `b${i}`).join(", ");
  return [
    `"use strict";`,
    `const { roundHalfEven, floorDiv, rem, ipow } = helpers;`,
    `return function ${k.name}(${params}) {`,
    ...out,
    `};`,
  ].join("\n");
}

/** Compiles rendered source into a callable kernel. */
export function compileJs(source: string): (...bufs: unknown[]) => void {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function("helpers", source)(JS_HELPERS) as (...bufs: unknown[]) => void;
}
