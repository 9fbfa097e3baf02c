/**
 * Contractions (matmul, dot, vdot, outer, einsum, tensordot) — all lowered to transposes,
 * reshapes and the batched `matmul` primitive — and `linalg.*`.
 */
import { NotImplemented } from "./stub.js";
import { type ArrayLike, Tensor } from "../tensor.js";

export function matmul(a: ArrayLike, b: ArrayLike): Tensor { return NotImplemented("matmul", a, b); }
export function dot(a: ArrayLike, b: ArrayLike): Tensor { return NotImplemented("dot", a, b); }
export function vdot(a: ArrayLike, b: ArrayLike): Tensor { return NotImplemented("vdot", a, b); }
export function outer(a: ArrayLike, b: ArrayLike): Tensor { return NotImplemented("outer", a, b); }
export function einsum(subscripts: string, ...operands: ArrayLike[]): Tensor { return NotImplemented("einsum", subscripts, operands); }
export function tensordot(a: ArrayLike, b: ArrayLike, axes?: number | readonly [readonly number[], readonly number[]]): Tensor { return NotImplemented("tensordot", a, b, axes); }

export const linalg = {
  solve: (a: ArrayLike, b: ArrayLike): Tensor => NotImplemented("linalg.solve", a, b),
  inv: (a: ArrayLike): Tensor => NotImplemented("linalg.inv", a),
  det: (a: ArrayLike): Tensor => NotImplemented("linalg.det", a),
  slogdet: (a: ArrayLike): [Tensor, Tensor] => NotImplemented("linalg.slogdet", a),
  cholesky: (a: ArrayLike): Tensor => NotImplemented("linalg.cholesky", a),
  norm: (x: ArrayLike, opts?: { ord?: number | "fro" | null; axis?: number | readonly number[] | null; keepdims?: boolean }): Tensor => NotImplemented("linalg.norm", x, opts),
};
