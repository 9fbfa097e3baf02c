/**
 * Internal building blocks shared by the contractions (linalg.ts, einsum.ts): raw movement and
 * reduction wrappers that skip no-op nodes, the one batched `matmul` every contraction lowers to,
 * and iota-built identity masks. Nothing here validates user input; callers do.
 */
import { type DType, isFloat } from "../dtype.js";
import { DTypeError } from "../errors.js";
import { makeNode } from "../ir/node.js";
import { type Shape, fmtShape, sizeOf } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { apply, asTensor, astypeRaw, fullRaw, reshapeRaw, resultDType } from "./util.js";

/** Converts operands and casts them to their promoted dtype (no broadcasting: contractions align axes themselves). */
export function promoted(op: string, xs: readonly ArrayLike[]): { ts: Tensor[]; dtype: DType } {
  const ts = xs.map((x) => asTensor(x, op));
  const dtype = resultDType(ts, op);
  return { ts: ts.map((t) => astypeRaw(t, dtype)), dtype };
}

/** `promoted` for the two operands of a binary contraction. */
export function promotedPair(op: string, a: ArrayLike, b: ArrayLike): [Tensor, Tensor] {
  const { ts } = promoted(op, [a, b]);
  return [ts[0]!, ts[1]!];
}

/** Like `promoted`, but the promoted dtype must be a float: the linalg primitives factorize. */
export function promotedFloat(op: string, xs: readonly ArrayLike[]): Tensor[] {
  const { ts, dtype } = promoted(op, xs);
  if (!isFloat(dtype)) {
    throw new DTypeError(`${op}: expected float input, got ${dtype} (shapes ${ts.map((t) => fmtShape(t.shape)).join(", ")}); cast with astype("float32") first`);
  }
  return ts;
}

export function range(start: number, stop: number): number[] {
  return Array.from({ length: Math.max(0, stop - start) }, (_, i) => start + i);
}

export function transposeRaw(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((p, i) => p === i)) return x;
  return apply("transpose", [x], { perm: [...perm] }, x.weak);
}

export function reduceRaw(prim: "reduceSum" | "reduceMax" | "reduceMin", x: Tensor, axes: readonly number[]): Tensor {
  if (!axes.length) return x;
  return apply(prim, [x], { axes: [...axes].sort((a, b) => a - b) }, x.weak);
}

/** Re-inserts size-1 axes at `axes` (sorted, in the output's numbering), for `keepdims`. */
export function keepDims(x: Tensor, axes: readonly number[], rank: number): Tensor {
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]!);
  return reshapeRaw(x, shape);
}

/**
 * The batched matmul primitive, [...B, m, k] x [...B, k, n] with equal batch shapes and dtypes.
 * Bool operands are multiplied in int32 and mapped back to bool: NumPy's "or of ands".
 */
export function matmulRaw(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== "bool") return apply("matmul", [a, b], {});
  const p = apply("matmul", [astypeRaw(a, "int32"), astypeRaw(b, "int32")], {});
  return apply("ne", [p, fullRaw(p.shape, 0, "int32")], {});
}

/** Elementwise product of equal-shaped tensors; bool uses `and` (mul rejects bool). */
export function productRaw(a: Tensor, b: Tensor): Tensor {
  return apply(a.dtype === "bool" ? "and" : "mul", [a, b], {});
}

/**
 * Contracts `a` laid out as [...batch, ...m, ...k] with `b` laid out as [...batch, ...k, ...n]
 * (shapes already equal on batch and k) by grouping m, k and n into single axes: one matmul.
 */
export function groupedMatmul(a: Tensor, b: Tensor, batch: Shape, m: Shape, k: Shape, n: Shape): Tensor {
  const a2 = reshapeRaw(a, [...batch, sizeOf(m), sizeOf(k)]);
  const b2 = reshapeRaw(b, [...batch, sizeOf(k), sizeOf(n)]);
  return reshapeRaw(matmulRaw(a2, b2), [...batch, ...m, ...n]);
}

/** An n×n identity of `dtype` built from two iotas, so it stays a (fusible) graph expression. */
export function eyeRaw(n: number, dtype: DType): Tensor {
  const iota = (axis: number): Tensor => new Tensor(makeNode("iota", [], { axis }, { shape: [n, n], dtype: "int32" }));
  return astypeRaw(apply("eq", [iota(0), iota(1)], {}), dtype);
}

/** An n×n identity broadcast so its two axes land on axes `p` and `q` of `shape`. */
export function eyeMaskRaw(n: number, dtype: DType, shape: Shape, p: number, q: number): Tensor {
  return apply("broadcast", [eyeRaw(n, dtype)], { shape: [...shape], dims: [p, q] });
}
