/**
 * Contractions (matmul, batched matmul) → a register-blocked, cache-tiled loop nest over packed
 * operands, with the elementwise epilogue fused into the store:
 *
 *   for each batch:
 *     pack A into MR-row panels  (Ap[ip][p][ii], zero-padded)   ← A's producers fuse here
 *     pack B into NR-column panels (Bp[jp][p][jj], zero-padded) ← B's producers fuse here
 *     for jp (parallel), ip (parallel):           an MR×NR tile of C in registers
 *       for p:  load NR values of Bp, then per row ii one value of Ap, MR·NR multiply-adds
 *       for ii, jj (unrolled): store epilogue(c[ii][jj]) if inside the matrix
 *
 * Packing makes both inner-loop streams contiguous whatever the operands' layout (a transposed
 * operand is just a different packing index), and a panel (k·NR values) stays in L1 while every
 * A panel streams past it. On WGSL the same nest maps jp/ip to workgroups and the panels to
 * workgroup memory.
 */
import { type DType, type Node, isInt, sizeOf } from "@kiln/core";
import { type Expr } from "./expr.js";
import { type BufferParam, type Operand } from "./kernel.js";
import { GroupLowering, type GroupEnv, type LoweredKernel, finishKernel } from "./lower.js";
import { Emitter } from "./place.js";

/** Register tile: MR rows of A × NR columns of B (4×4 measured best for V8 on x64 among 2..8 × 4..8). */
export const MR = 4;
export const NR = 4;

/** Scratch ids (negative: not graph buffers). */
const A_PANEL = -1, B_PANEL = -2;

/**
 * Panels (and the tile registers) are float64 for float and bool contractions: the inner loop
 * then loads doubles directly (no float32 → float64 conversion per load, measurably faster in V8)
 * and fused prologues keep full precision. Integer contractions use panels of their dtype, so the products
 * (int32 `mul`) and their sum (an int32 accumulator) wrap like int32 arithmetic, as the
 * interpreter's do: a float64 sum of products loses bits past 2^53.
 */
function scratchDtype(dt: DType): DType {
  return isInt(dt) ? dt : "float64";
}

export function lowerContraction(
  root: Node, core: Node<"matmul">, outBuf: number, env: GroupEnv, params: (buf: number) => BufferParam,
): LoweredKernel {
  const [A, B] = core.inputs as [Node, Node];
  const aShape = A.aval.shape, r = aShape.length;
  const batchShape = aShape.slice(0, -2);
  const m = aShape[r - 2]!, k = aShape[r - 1]!, n = B.aval.shape[r - 1]!;
  const batch = sizeOf(batchShape);
  const mp = Math.ceil(m / MR), np = Math.ceil(n / NR);

  let expected: readonly Expr[] = [];
  let cReg: Expr | null = null;
  const seeds = new Map<Node, (idx: readonly Expr[]) => Expr | undefined>([
    [core, (idx) => {
      if (!cReg || idx.some((e, i) => e !== expected[i])) throw new Error("internal: contraction core read off its output index");
      return cReg;
    }],
  ]);
  const ctx = new GroupLowering(root, { bufferOf: env.bufferOf, seeds });
  const { b } = ctx;
  const em = new Emitter([outBuf]);
  const sdt = scratchDtype(core.aval.dtype);
  const scratch = (id: number): BufferParam =>
    ({ dtype: sdt, size: id === A_PANEL ? mp * MR * k : np * NR * k, role: "scratch" });

  if (batch === 0 || m === 0 || n === 0) {
    // Nothing to compute: an empty kernel keeps the plan uniform.
    return finishKernel("matmul", root, em, params, 0, ctx);
  }
  const bv = b.var(batch);
  const lb = em.open(em.root, bv, batch, { kind: "parallel" });
  let rest: Expr = bv;
  const bIdx: Expr[] = new Array(batchShape.length);
  for (let d = batchShape.length - 1; d >= 0; d--) {
    bIdx[d] = b.imod(rest, batchShape[d]!);
    rest = b.idiv(rest, batchShape[d]!);
  }

  // Pack A: Ap[(ip·k + p)·MR + ii] = A[b, ip·MR + ii, p], zero past row m.
  {
    const ip = b.var(mp), ii = b.var(MR), p = b.var(k);
    const l1 = em.open(lb.scope, ip, mp), l2 = em.open(l1.scope, ii, MR), l3 = em.open(l2.scope, p, k);
    const i = b.add(b.scale(ip, MR), ii);
    const inRange = b.alu("lt", [i, b.int(m)], "bool");
    const v = b.alu("where", [inRange, ctx.value(A, [...bIdx, b.clamp(i, 0, m - 1), p]), b.const(0, A.aval.dtype)], A.aval.dtype);
    const dst = b.add(b.scale(b.add(b.scale(ip, k), p), MR), ii);
    l3.scope.stmts.push({ s: "store", buf: em.slot(A_PANEL), index: em.value(dst), value: em.value(v) });
    em.close(l3), em.close(l2), em.close(l1);
  }
  // Pack B: Bp[(jp·k + p)·NR + jj] = B[b, p, jp·NR + jj], zero past column n.
  {
    const jp = b.var(np), p = b.var(k), jj = b.var(NR);
    const l1 = em.open(lb.scope, jp, np), l2 = em.open(l1.scope, p, k), l3 = em.open(l2.scope, jj, NR);
    const j = b.add(b.scale(jp, NR), jj);
    const inRange = b.alu("lt", [j, b.int(n)], "bool");
    const v = b.alu("where", [inRange, ctx.value(B, [...bIdx, p, b.clamp(j, 0, n - 1)]), b.const(0, B.aval.dtype)], B.aval.dtype);
    const dst = b.add(b.scale(b.add(b.scale(jp, k), p), NR), jj);
    l3.scope.stmts.push({ s: "store", buf: em.slot(B_PANEL), index: em.value(dst), value: em.value(v) });
    em.close(l3), em.close(l2), em.close(l1);
  }

  // Register-blocked tiles.
  const jp = b.var(np), ip = b.var(mp);
  const lj = em.open(lb.scope, jp, np, { kind: "parallel" });
  const li = em.open(lj.scope, ip, mp, { kind: "parallel" });
  const c = em.fresh("r"), bReg = em.fresh("r");
  li.scope.stmts.push({ s: "regs", name: c, shape: [MR, NR], init: 0 });
  {
    const p = b.var(k);
    const lp = em.open(li.scope, p, k);
    lp.scope.stmts.push({ s: "regs", name: bReg, shape: [NR], init: 0 });
    const jj = b.var(NR);
    const ljj = em.open(lp.scope, jj, NR, { kind: "vector", width: NR });
    const bIndex = b.add(b.scale(b.add(b.scale(jp, k), p), NR), jj);
    const bLoad = em.value(b.load(B_PANEL, bIndex, sdt));
    ljj.scope.stmts.push({ s: "regUpdate", name: bReg, idx: [em.varOperand(ljj)], rop: "set", value: bLoad });
    em.close(ljj);
    const ii = b.var(MR);
    const lii = em.open(lp.scope, ii, MR, { kind: "unroll" });
    const aLoad = em.value(b.load(A_PANEL, b.add(b.scale(b.add(b.scale(ip, k), p), MR), ii), sdt));
    const jj2 = b.var(NR);
    const ljj2 = em.open(lii.scope, jj2, NR, { kind: "vector", width: NR });
    const bj = em.value(b.reg(bReg, [jj2], sdt));
    const prod: Operand = { k: "local", name: em.fresh("t"), dtype: sdt };
    ljj2.scope.stmts.push({ s: "let", name: prod.name, value: { op: "alu", alu: "mul", args: [aLoad, bj], dtype: sdt, param: [] } });
    ljj2.scope.stmts.push({ s: "regUpdate", name: c, idx: [em.varOperand(lii), em.varOperand(ljj2)], rop: "sum", value: prod });
    em.close(ljj2), em.close(lii), em.close(lp);
  }
  // Epilogue: the root's value with the matmul replaced by the tile register.
  {
    const ii = b.var(MR), jj = b.var(NR);
    const lii = em.open(li.scope, ii, MR, { kind: "unroll" });
    const ljj = em.open(lii.scope, jj, NR, { kind: "vector", width: NR });
    const i = b.add(b.scale(ip, MR), ii), j = b.add(b.scale(jp, NR), jj);
    expected = [...bIdx, i, j];
    // bool products accumulate in float64 and are cast to 0/1 on the way out.
    const reg = b.reg(c, [ii, jj], sdt);
    const dt = core.aval.dtype;
    cReg = dt === "bool" ? b.alu("cast", [reg], dt) : reg;
    const val = em.value(ctx.value(root, expected));
    const index = em.value(b.add(b.scale(b.add(b.scale(bv, m), i), n), j));
    const inside = b.alu("and", [b.alu("lt", [i, b.int(m)], "bool"), b.alu("lt", [j, b.int(n)], "bool")], "bool");
    const store = { s: "store" as const, buf: 0, index, value: val };
    if (inside.op === "const") ljj.scope.stmts.push(store);
    else ljj.scope.stmts.push({ s: "if", cond: em.value(inside), body: [store] });
    em.close(ljj), em.close(lii);
  }
  em.close(li), em.close(lj), em.close(lb);
  const flops = 2 * batch * m * n * k + em.flops;
  return finishKernel("matmul", root, em, (id) => (id < 0 ? scratch(id) : params(id)), flops, ctx);
}
