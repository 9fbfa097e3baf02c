/**
 * Kernel IR → JavaScript statements (js.ts wraps them into one function). Values are JS numbers (float64), and
 * every float32 value is rounded where it is computed (`Math.fround`), not only on store: a value
 * recomputed inside a fused kernel must equal, bit for bit, the same value stored by another
 * kernel, or a derivative that compares them (`x == max(x)`) takes the wrong branch. See
 * docs/architecture.md, "Rounding: one value, one set of bits". int32 results and int32 accumulators
 * wrap (`| 0`, `Math.imul`), booleans are 0/1 in Uint8Arrays, exactly as the reference
 * interpreter computes them.
 */
import { type Bits16, type DType, castScalar, isBits16 } from "@kiln/core";
import { type AluOp, type ReduceOp } from "../../expr.js";
import { type Kernel, type Op, type Operand, type Stmt } from "../../kernel.js";
import { literal, opNote } from "../../render/base.js";
import { VECMATH_OPS } from "../wasm/wasm-vecmath.js";
import { INT_WRAP, JS, JS_ALU, isF32 } from "./js-alu.js";

type Env = ReadonlyMap<string, number>;

/**
 * The JS of each 16-bit float dtype (js-helpers.ts): the rounding of a value computed in float32,
 * the table of values by bit pattern a load indexes, and the encoder a store calls (exact: the
 * value was rounded where it was computed).
 */
const BITS16_JS: { readonly [F in Bits16]: { readonly round: string; readonly load: string; readonly store: string } } = {
  float16: { round: "f16round", load: "h16", store: "f16bits" },
  bfloat16: { round: "bf16round", load: "bh16", store: "bf16bits" },
};

/** The kernel parameters stored as 16-bit patterns (float16/bfloat16 buffers: Uint16Arrays), by dtype. Other buffers hold values. */
export type Bits16Buffers = ReadonlyMap<number, Bits16>;

/**
 * The parameters of `k` stored as 16-bit patterns: its float16 and bfloat16 buffers.
 * @example bits16Buffers(kernel) // Map {0 => "float16", 2 => "float16"} when b0 and b2 are float16
 */
export function bits16Buffers(k: Kernel): Map<number, Bits16> {
  return new Map(k.params.flatMap((p, i) => (isBits16(p.dtype) ? [[i, p.dtype] as const] : [])));
}

/** The rounding function of a float32, float16 or bfloat16 value (each is a float32 too). */
const ROUND: Readonly<Record<string, string>> = { float32: "Math.fround", float16: BITS16_JS.float16.round, bfloat16: BITS16_JS.bfloat16.round };

/**
 * ALU ops whose float32 result is already a float32 number when their operands are (a selection,
 * a sign flip, an integral value) or that round by themselves (`cast`, and the vector-math ops,
 * whose float32 form is a float32 function: js-alu.ts): no `Math.fround` needed.
 */
const VECMATH: ReadonlySet<string> = new Set<string>(VECMATH_OPS);
const EXACT_IN_F32: ReadonlySet<AluOp> = new Set<AluOp>(["neg", "abs", "sign", "floor", "ceil", "round", "max", "min", "where", "cast", "clamp", ...VECMATH_OPS]);

/** The rounding rule: a float32 (float16, bfloat16) result is rounded to its dtype where it is computed. */
const roundF32 = (expr: string, dtype: string) => (isF32(dtype) ? `${ROUND[dtype]}(${expr})` : expr);

function operand(o: Operand, env: Env): string {
  // A float32 constant is the float32 number (0.1 → 0.10000000149011612), as when it is stored.
  if (o.k === "const") return literal(isF32(o.dtype) ? castScalar(o.value, o.dtype as DType) : o.value);
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

function op(v: Op, env: Env, halves: Bits16Buffers, alias?: RegAlias): string {
  switch (v.op) {
    case "alu": {
      const args = v.args.map((a) => operand(a, env));
      const inDt = v.args[0] && v.args[0].k !== "var" ? v.args[0].dtype : "index";
      const text = JS_ALU[v.alu](args, { dtype: v.dtype, in: inDt, param: v.param }, JS);
      // A vector-math result is a float32 number, not yet a half: float16 and bfloat16 still round it.
      const exact = EXACT_IN_F32.has(v.alu) && !(isBits16(v.dtype as DType) && VECMATH.has(v.alu));
      return exact ? text : roundF32(text, v.dtype);
    }
    case "load": {
      const at = `b${v.buf}[${operand(v.index, env)}]`;
      const f = halves.get(v.buf);
      return f ? `${BITS16_JS[f].load}[${at}]` : at;
    }
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
 * An accumulator fed integer values is an accumulator of that dtype (the rule WGSL's i32/u32
 * accumulators follow too): sums and products wrap at every step like integer arithmetic. A
 * float64 product of two int32 values already loses bits past 2^53, so wrapping only at the end
 * is not enough.
 */
const intUpdate = (wrap: string): Partial<Record<ReduceOp | "set", UpdateRender>> => ({
  sum: (a, v) => `${a} = (${a} + ${v}) ${wrap};`,
  prod: (a, v) => `${a} = Math.imul(${a}, ${v}) ${wrap};`,
});
const UPDATE_INT = Object.fromEntries(Object.entries(INT_WRAP).map(([dt, wrap]) => [dt, intUpdate(wrap)]));

function update(rop: ReduceOp | "set", acc: string, value: Operand, env: Env): string {
  const int = value.k !== "var" && Object.hasOwn(UPDATE_INT, value.dtype) ? UPDATE_INT[value.dtype]![rop] : undefined;
  return (int ?? UPDATE[rop])(acc, operand(value, env));
}

function cartesian(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of shape) out = out.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i]));
  return out;
}

/** Renders statements as JS; `halves` are the buffers stored as 16-bit patterns; `alias` replaces register reads. */
export function renderStmts(stmts: readonly Stmt[], env: Env, ind: string, out: string[], halves: Bits16Buffers, alias?: RegAlias): void {
  for (const st of stmts) {
    switch (st.s) {
      case "let": out.push(`${ind}const ${st.name} = ${op(st.value, env, halves, alias)};${st.value.op === "alu" ? opNote(st.value.alu) : ""}`); break;
      case "acc": out.push(`${ind}let ${st.name} = ${literal(st.init)};`); break;
      case "update": out.push(`${ind}${update(st.rop, st.name, st.value, env)}`); break;
      case "regs":
        for (const idx of cartesian(st.shape)) out.push(`${ind}let ${[st.name, ...idx].join("_")} = ${literal(st.init)};`);
        break;
      case "regUpdate": out.push(`${ind}${update(st.rop, regName(st.name, st.idx, env), st.value, env)}`); break;
      case "store": {
        const v = operand(st.value, env), f = halves.get(st.buf);
        out.push(`${ind}b${st.buf}[${operand(st.index, env)}] = ${f ? `${BITS16_JS[f].store}(${v})` : v};`);
        break;
      }
      case "if":
        out.push(`${ind}if (${operand(st.cond, env)} !== 0) {`);
        renderStmts(st.body, env, ind + "  ", out, halves, alias);
        out.push(`${ind}}`);
        break;
      case "loop": {
        if (st.kind === "unroll" || st.kind === "vector") {
          // Unrolled: one block per iteration with the loop variable replaced by a constant.
          const start = Number(operand(st.start, env)), end = Number(operand(st.end, env));
          for (let i = start; i < end; i += st.step) {
            out.push(`${ind}{`);
            renderStmts(st.body, new Map([...env, [st.var, i]]), ind + "  ", out, halves, alias);
            out.push(`${ind}}`);
          }
          break;
        }
        const step = st.step === 1 ? `${st.var}++` : `${st.var} += ${st.step}`;
        out.push(`${ind}for (let ${st.var} = ${operand(st.start, env)}; ${st.var} < ${operand(st.end, env)}; ${step}) {`);
        renderStmts(st.body, env, ind + "  ", out, halves, alias);
        out.push(`${ind}}`);
        break;
      }
    }
  }
}

