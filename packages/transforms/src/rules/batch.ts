/**
 * Batching rules (vmap): one entry per primitive (a missing one is a compile error). A batched
 * value always carries its batch axis at position 0 (`[B, ...per-example shape]`); an unbatched
 * operand has the per-example shape and is broadcast (`lift`) where a rule needs it batched. The
 * driver (vmap-graph.ts) only calls a rule when at least one operand is batched, and every rule
 * returns the batched output `[B, ...]`. Rules emit ordinary primitives, so a batched graph can be
 * differentiated, jitted or batched again.
 *
 * Control flow is batched a whole call at a time (rules/batch-control.ts), like its derivatives.
 */
import {
  BINARY_OPS, type BinaryPrim, type Node, type Prim, type PrimParams, type Shape, Tensor, UNARY_OPS, type UnaryPrim,
  makeNode, mapRows, npUtil,
} from "@kiln/core";
import { clampIndices, transpose } from "./ops.js";
import type { CallLevel } from "./types.js";
import { SVD_BATCH } from "./linalg-svd.js";

const { apply, fullRaw, reshapeRaw } = npUtil;

/**
 * The batched output of a primitive from its operands (`batched[i]`: operand i has a leading batch
 * axis of length `size`), with the per-example parameters.
 */
export type BatchRule<P extends Prim> = (inputs: readonly Tensor[], batched: readonly boolean[], params: PrimParams[P], size: number) => Tensor;

/** A node of a batched graph and whether it carries the batch axis (at position 0). */
export interface BatchedNode {
  readonly node: Node;
  readonly batched: boolean;
}

/**
 * The batching driver (vmap-graph.ts's batchNodes): the batched value of each of `outputs` given
 * batched values for some nodes. Handed to the rules that batch sub-graphs, which cannot import it.
 */
export type BatchNodes = (outputs: readonly Node[], seeds: ReadonlyMap<Node, BatchedNode>, size: number) => BatchedNode[];

/** A multi-output primitive (control flow): every output of the call at once, each maybe unbatched. */
export type CallBatchRule<P extends Prim> = (
  inputs: readonly Tensor[],
  batched: readonly boolean[],
  params: PrimParams[P],
  size: number,
  batchNodes: BatchNodes,
) => BatchedNode[];

export type BatchTable = { [P in Prim]: BatchRule<P> | CallLevel };

// ---------------------------------------------------------------------------------------------
// Helpers.

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** `x` with a leading batch axis: itself when batched, else broadcast along a new axis 0. */
export function lift(x: Tensor, batched: boolean, size: number): Tensor {
  if (batched) return x;
  return apply("broadcast", [x], { shape: [size, ...x.shape], dims: x.shape.map((_, i) => i + 1) });
}

/** `value` with its batch axis present (lifted when unbatched). */
export function forceBatched(value: BatchedNode, size: number): Node {
  return lift(new Tensor(value.node), value.batched, size).node;
}

/** Moves axis `from` of `x` to position `to` (the other axes keep their order). */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const order = range(0, x.ndim).filter((i) => i !== from);
  order.splice(to, 0, from);
  return transpose(x, order);
}

function iota(shape: Shape, axis: number): Tensor {
  return new Tensor(makeNode("iota", [], { axis }, { shape: [...shape], dtype: "int32" }));
}

const int = (shape: Shape, v: number): Tensor => fullRaw(shape, v, "int32");

// ---------------------------------------------------------------------------------------------
// Families (STYLE.md §5).

/** Leaves have no operands, so the driver never asks for their batching. */
const leafBatch = (what: string): BatchRule<Prim> => () => {
  throw new Error(`internal error: ${what} is a leaf and is never batched`);
};

/**
 * Operands lifted to the batch, primitive unchanged: right for elementwise ops and for the linear
 * algebra primitives, which already map over any leading axes.
 */
const elementwiseBatch = <P extends Prim>(prim: P): BatchRule<P> => (xs, bs, p, size) =>
  apply(prim, xs.map((x, i) => lift(x, bs[i]!, size)), p);

/** Axis parameters shifted past the batch axis (operands lifted: concatenate). */
const axisBatch = <P extends "argmax" | "argmin" | "cumsum" | "concatenate">(prim: P): BatchRule<P> => (xs, bs, p, size) =>
  apply(prim, xs.map((x, i) => lift(x, bs[i]!, size)), { ...p, axis: p.axis + 1 } as PrimParams[P]);

const axesBatch = <P extends "reduceSum" | "reduceMax" | "reduceMin" | "reduceProd" | "flip">(prim: P): BatchRule<P> => ([x], _b, p) =>
  apply(prim, [x!], { ...p, axes: p.axes.map((a) => a + 1) } as PrimParams[P]);

/** Control flow is batched a whole call at a time by CALL_BATCH_RULES (rules/batch-control.ts), which vmap-graph.ts uses. */
const callLevel = (): CallLevel => ({ callLevel: "batched per call by its call-level rule (rules/batch-control.ts)" });

// ---------------------------------------------------------------------------------------------
// Contractions and indexing.

/**
 * One batched operand is folded into the other's free dimension (lhs: B joins m; rhs: B joins n),
 * so an unbatched weight matrix is used as it is instead of being copied B times.
 */
const matmulBatch: BatchRule<"matmul"> = ([a, b], [ba, bb], _p, size) => {
  if (ba && bb) return apply("matmul", [a!, b!], {});
  const r = (ba ? b! : a!).ndim; // per-example rank: axes [...Bt, row, col]
  const lead = range(0, r - 2);
  const bt = (ba ? b! : a!).shape.slice(0, -2);
  if (ba) {
    const [m, k] = a!.shape.slice(-2) as [number, number];
    const folded = reshapeRaw(transpose(a!, [...lead.map((i) => i + 1), 0, r - 1, r]), [...bt, size * m, k]);
    const n = b!.shape[r - 1]!;
    const out = reshapeRaw(apply("matmul", [folded, b!], {}), [...bt, size, m, n]);
    return transpose(out, [r - 2, ...lead, r - 1, r]);
  }
  const [k, n] = b!.shape.slice(-2) as [number, number];
  const folded = reshapeRaw(transpose(b!, [...lead.map((i) => i + 1), r - 1, 0, r]), [...bt, k, size * n]);
  const m = a!.shape[r - 2]!;
  const out = reshapeRaw(apply("matmul", [a!, folded], {}), [...bt, m, size, n]);
  return transpose(out, [r - 1, ...lead, r - 2, r]);
};

/**
 * Both operand and indices batched: each example's axis is laid end to end in one axis of
 * length B·N (`[B, pre, N, post]` -> `[B·N, pre, post]`) and example b's indices are offset by
 * b·N. `valid` says which indices keep their meaning; the others become `invalid`.
 */
function foldIndices(x: Tensor, idx: Tensor, axis: number, size: number, outOfRange: "clamp" | "drop"): { flatX: Tensor; flatIdx: Tensor; n: number } {
  const n = x.shape[axis + 1]!;
  const moved = moveAxis(x, axis + 1, 1);
  const flatX = reshapeRaw(moved, [size * n, ...moved.shape.slice(2)]);
  const offsets = apply("mul", [iota(idx.shape, 0), int(idx.shape, n)], {});
  if (outOfRange === "clamp") return { flatX, flatIdx: apply("add", [clampIndices(idx, n), offsets], {}), n };
  // Scatter drops out-of-range indices: keep them out of range of the whole folded axis (-1).
  const ok = apply("and", [apply("ge", [idx, int(idx.shape, 0)], {}), apply("lt", [idx, int(idx.shape, n)], {})], {});
  return { flatX, flatIdx: apply("select", [ok, apply("add", [idx, offsets], {}), int(idx.shape, -1)], {}), n };
}

/** gather: out = x.shape[:axis] + idx.shape + x.shape[axis+1:]. */
const gatherBatch: BatchRule<"gather"> = ([x, idx], [bx, bi], { axis }, size) => {
  if (!bi) return apply("gather", [x!, idx!], { axis: axis + 1 });
  // The batch axis of idx lands at `axis` of the output.
  if (!bx) return moveAxis(apply("gather", [x!, idx!], { axis }), axis, 0);
  const { flatX, flatIdx } = foldIndices(x!, idx!, axis, size, "clamp");
  const g = apply("gather", [flatX, flatIdx], { axis: 0 }); // [B, ...I, ...pre, ...post]
  const nI = idx!.ndim - 1;
  return transpose(g, [0, ...range(1 + nI, 1 + nI + axis), ...range(1, 1 + nI), ...range(1 + nI + axis, g.ndim)]);
};

/** scatter / scatterAdd: updates are shaped like gather's output, `[...pre, ...I, ...post]`. */
const scatterBatch = <P extends "scatter" | "scatterAdd">(prim: P): BatchRule<P> => ([x, idx, upd], [bx, bi, bu], { axis }, size) => {
  const xb = lift(x!, bx!, size), ub = lift(upd!, bu!, size);
  if (!bi) return apply(prim, [xb, idx!, ub], { axis: axis + 1 } as PrimParams[P]);
  const { flatX, flatIdx, n } = foldIndices(xb, idx!, axis, size, "drop");
  const nI = idx!.ndim - 1;
  // [B, ...pre, ...I, ...post] -> [B, ...I, ...pre, ...post], as gather over the folded axis lays them out.
  const updT = transpose(ub, [0, ...range(1 + axis, 1 + axis + nI), ...range(1, 1 + axis), ...range(1 + axis + nI, ub.ndim)]);
  const out = apply(prim, [flatX, flatIdx, updT], { axis: 0 } as PrimParams[P]);
  return moveAxis(reshapeRaw(out, [size, n, ...flatX.shape.slice(1)]), 1, axis + 1);
};

// ---------------------------------------------------------------------------------------------

export const BATCH_RULES = {
  const: leafBatch("const"),
  data: leafBatch("data"),
  input: leafBatch("input"),
  iota: leafBatch("iota"),

  // Elementwise primitives map over any leading axis: one family for every row.
  ...mapRows(UNARY_OPS, (p) => elementwiseBatch<UnaryPrim>(p)),
  ...mapRows(BINARY_OPS, (p) => elementwiseBatch<BinaryPrim>(p)),

  cast: elementwiseBatch("cast"),
  bitcast: elementwiseBatch("bitcast"),
  select: elementwiseBatch("select"),

  reduceSum: axesBatch("reduceSum"),
  reduceMax: axesBatch("reduceMax"),
  reduceMin: axesBatch("reduceMin"),
  reduceProd: axesBatch("reduceProd"),
  argmax: axisBatch("argmax"),
  argmin: axisBatch("argmin"),
  cumsum: axisBatch("cumsum"),

  reshape: ([x], _b, { shape }, size) => apply("reshape", [x!], { shape: [size, ...shape] }),
  broadcast: ([x], _b, { shape, dims }, size) => apply("broadcast", [x!], { shape: [size, ...shape], dims: [0, ...dims.map((d) => d + 1)] }),
  transpose: ([x], _b, { perm }) => apply("transpose", [x!], { perm: [0, ...perm.map((p) => p + 1)] }),
  slice: ([x], _b, { start, stop, step }, size) => apply("slice", [x!], { start: [0, ...start], stop: [size, ...stop], step: [1, ...step] }),
  flip: axesBatch("flip"),
  pad: ([x], _b, { lo, hi, value }) => apply("pad", [x!], { lo: [0, ...lo], hi: [0, ...hi], value }),
  concatenate: axisBatch("concatenate"),

  matmul: matmulBatch,

  gather: gatherBatch,
  scatterAdd: scatterBatch("scatterAdd"),
  scatter: scatterBatch("scatter"),
  sort: (xs, bs, p, size) => apply("sort", xs.map((x, i) => lift(x, bs[i]!, size)), { ...p, dimension: p.dimension + 1 }),

  solve: elementwiseBatch("solve"),
  cholesky: elementwiseBatch("cholesky"),
  detSign: elementwiseBatch("detSign"),
  logAbsDet: elementwiseBatch("logAbsDet"),
  ...SVD_BATCH,

  cond: callLevel(),
  while: callLevel(),
  scan: callLevel(),

  eigh: elementwiseBatch("eigh"),
  qr: elementwiseBatch("qr"),
  lu: elementwiseBatch("lu"),
  // The transform runs along the last axis: a leading batch axis is one more row axis.
  fft: elementwiseBatch("fft"),
  // Leading axes are independent polynomials.
  polyRoots: elementwiseBatch("polyRoots"),
} satisfies BatchTable;
