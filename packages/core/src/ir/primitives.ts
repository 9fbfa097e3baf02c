/**
 * The primitive table: one entry per primitive — its kind, its typed parameters and its
 * shape/dtype rule. The single source of truth every other table (interpreter, autodiff rules,
 * batching rules, lowering) is keyed by; those tables are typed `{ [P in Prim]: ... }` so a
 * primitive missing from one of them is a compile error.
 *
 * Primitives are strict, like `lax`: binary ops take equal shapes and dtypes. Broadcasting, type
 * promotion and user-facing error messages live in the `np` layer above.
 */
import { type DType, bitcastError, isFloat, isInt } from "../dtype.js";
import { DTypeError, IndexError, ShapeError, ValueError, jsonOf } from "../errors.js";
import { type Shape, fmtShape, shapeEq, sizeOf } from "../shape.js";
import { type CondCall, type ScanCall, type WhileCall, inferControl } from "./control.js";
import { type ParamSchema, bool, call, dataRef, dims, dtype, int, ints, label, num } from "./params.js";
import {
  BINARY_OPS, BINARY_PRIMS, type BinaryDTypes, type BinaryPrim, UNARY_OPS, UNARY_PRIMS, type UnaryDTypes, type UnaryPrim, mapRows,
} from "./elementwise.js";

export { UNARY_PRIMS, BINARY_PRIMS, type UnaryPrim, type BinaryPrim };

/** Abstract value: what a node is without its data. */
export interface Aval {
  readonly shape: Shape;
  readonly dtype: DType;
}

// Unary and binary elementwise primitives are declared by their rows (ir/elementwise.ts).
export const REDUCE_PRIMS = ["reduceSum", "reduceMax", "reduceMin", "reduceProd"] as const;
export const CONTROL_PRIMS = ["cond", "while", "scan"] as const;

export type ReducePrim = (typeof REDUCE_PRIMS)[number];
export type ControlPrim = (typeof CONTROL_PRIMS)[number];

type NoParams = Record<string, never>;

/** Host storage of a realized value; backends may attach a device handle. */
export interface DataRef {
  readonly id: number;
}

/** Typed parameters per primitive (STYLE.md §2). */
export type PrimParams = { [P in UnaryPrim]: NoParams } & { [P in BinaryPrim]: NoParams } & {
  [P in ReducePrim]: { axes: readonly number[] };
} & {
  /** A scalar literal (shape []); broadcast it with `broadcast`. */
  const: { value: number };
  /** A realized buffer (a leaf). */
  data: { ref: DataRef };
  /** A trace placeholder (a leaf); `label` is unique per placeholder. */
  input: { label: string };
  /** `out[..., i, ...] = i` along `axis` of the node's shape. */
  iota: { axis: number };
  cast: { dtype: DType };
  /** The same bits read as another dtype of the same item size (`Tensor.view`). */
  bitcast: { dtype: DType };
  select: NoParams;
  argmax: { axis: number };
  argmin: { axis: number };
  cumsum: { axis: number; reverse: boolean };
  reshape: { shape: readonly number[] };
  /** Input axis i becomes output axis dims[i]; other output axes are broadcast. */
  broadcast: { shape: readonly number[]; dims: readonly number[] };
  transpose: { perm: readonly number[] };
  /** Strided slice with a positive step (negative steps are slice∘flip). */
  slice: { start: readonly number[]; stop: readonly number[]; step: readonly number[] };
  flip: { axes: readonly number[] };
  pad: { lo: readonly number[]; hi: readonly number[]; value: number };
  concatenate: { axis: number };
  /** Batched matmul: [...B, m, k] x [...B, k, n] -> [...B, m, n] (equal batch shapes). */
  matmul: NoParams;
  /** out = x.shape[:axis] + idx.shape + x.shape[axis+1:]; indices are clamped (JAX semantics). */
  gather: { axis: number };
  /** Adds `updates` (shaped like gather's output) into x at idx along axis; out-of-range dropped. */
  scatterAdd: { axis: number };
  /** Sets `updates` into x at idx along axis; out-of-range dropped. */
  scatter: { axis: number };
  /**
   * Output `index` of a stable lexicographic sort of equal-shaped operands along `dimension`,
   * ordered by the first `numKeys` operands (lax.sort_p; NaN last, -0 equal to +0). The outputs of
   * one sort are sibling nodes with the same operands and params but `index` (like control flow).
   */
  sort: { dimension: number; numKeys: number; index: number };
  /** Batched solve: a [...B, n, n], b [...B, n, k] -> [...B, n, k]. */
  solve: NoParams;
  /** Lower Cholesky factor of a batch of symmetric positive-definite matrices. */
  cholesky: NoParams;
  /** sign(det(a)) over the last two axes. */
  detSign: NoParams;
  /** log|det(a)| over the last two axes. */
  logAbsDet: NoParams;
  /**
   * Output `index` (0: s, 1: u, 2: vh) of the SVD of a batch of float matrices [...B, m, n]:
   * s [...B, k] descending (k = min(m, n)), u [...B, m, m|k], vh [...B, n|k, n] (`fullMatrices`).
   * The outputs of one call are sibling nodes differing only in `index` (like sort).
   */
  svd: { fullMatrices: boolean; index: number };
  /**
   * Control flow (ir/control.ts): output `index` of a call. The k outputs of one op are k sibling
   * nodes with the same inputs and the same (frozen, interned) call.
   */
  cond: { call: CondCall; index: number };
  while: { call: WhileCall; index: number };
  scan: { call: ScanCall; index: number };
  /**
   * Output `index` of the symmetric eigendecomposition of a batch [...B, n, n] read from its lower
   * triangle: 0 the eigenvalues [...B, n] ascending, 1 the eigenvectors [...B, n, n] as columns
   * (JAX's `eigh_p`; siblings like `sort`). Float64 Jacobi on the host (core/src/linalg-eigh-f64.ts).
   */
  eigh: { index: number };
  /**
   * Output `index` of the Householder QR of a batch [...B, m, n]: 0 Q, 1 R; reduced ([..., m, k],
   * [..., k, n], k = min(m, n)) or `complete` ([..., m, m], [..., m, n]). Signs as LAPACK.
   */
  qr: { index: number; complete: boolean };
  lu: { index: number };
  /**
   * Output `index` (0: real part, 1: imaginary part) of the unnormalized discrete Fourier transform
   * of the complex array (re, im) along its last axis: sign −2πi, or +2πi when `inverse` (n·ifft).
   * Linear in (re, im); its adjoint is the transform in the other direction (core/src/fft-f64.ts).
   */
  fft: { inverse: boolean; index: number };
  /**
   * Output `index` (0: real parts, 1: imaginary parts) of the roots of the real polynomials whose
   * coefficients (highest degree first) run along the last axis [..., n]: [..., n − 1], sorted by
   * decreasing real then imaginary part; leading zeros give trailing NaN roots
   * (core/src/poly-roots-f64.ts).
   */
  polyRoots: { index: number };
};

export type Prim = keyof PrimParams;

export type PrimKind =
  | "leaf" | "elementwise" | "reduce" | "movement" | "contract" | "index" | "linalg" | "control";

export interface PrimRule<P extends Prim> {
  readonly kind: PrimKind;
  /** The validator of each param, run by `makeNode` on every node built (ir/params.ts). */
  readonly params: ParamSchema<PrimParams[P]>;
  /** Shape/dtype rule; throws ShapeError/DTypeError naming the primitive. Leaves have none. */
  readonly infer: ((inputs: readonly Aval[], params: PrimParams[P]) => Aval) | null;
}

/** lu: a (batch of) float matrices [..., m, n]; packed LU [..., m, n], pivots [..., min(m, n)] and permutation [..., m] (int32). */
function inferLu([a, ...rest]: readonly Aval[], p: PrimParams["lu"]): Aval {
  if (!a || rest.length > 0) throw new ShapeError(`lu: expected 1 operand`);
  if (a.shape.length < 2) throw new ShapeError(`lu: expected a (batch of) matrices, got shape ${fmtShape(a.shape)}`);
  if (!isFloat(a.dtype)) throw new DTypeError(`lu: expected a float matrix, got ${a.dtype}`);
  if (p.index !== 0 && p.index !== 1 && p.index !== 2) throw new IndexError(`lu: output index ${p.index} must be 0 (lu), 1 (pivots) or 2 (permutation)`);
  const [m, n] = a.shape.slice(-2) as [number, number];
  if (p.index === 0) return a;
  return { shape: [...a.shape.slice(0, -2), p.index === 1 ? Math.min(m, n) : m], dtype: "int32" };
}

// ---------------------------------------------------------------------------------------------
// Rule families (STYLE.md §5): one line per primitive below.

const leaf = <P extends Prim>(params: ParamSchema<PrimParams[P]>): PrimRule<P> => ({ kind: "leaf", params, infer: null });

// The one-line families below serve only primitives without params (unary, binary) or with the
// family's own params (reduce axes, control calls); TypeScript cannot see that through the generic
// P, hence the casts.
const noParams = <P extends Prim>(): ParamSchema<PrimParams[P]> => ({}) as ParamSchema<PrimParams[P]>;

function arity(prim: string, inputs: readonly Aval[], n: number): void {
  if (inputs.length !== n) throw new ShapeError(`${prim}: expected ${n} operand(s), got ${inputs.length}`);
}

/** Unary elementwise; `out` maps the input dtype to the output dtype, `accepts` restricts input. */
function unary<P extends Prim>(opts: UnaryDTypes): PrimRule<P> {
  return {
    kind: "elementwise",
    params: noParams<P>(),
    infer: (inputs) => {
      const [x] = inputs;
      if (inputs.length !== 1 || !x) throw new ShapeError(`unary primitive: expected 1 operand`);
      if (opts.floatOnly && !isFloat(x.dtype)) throw new DTypeError(`expected a float operand, got ${x.dtype}`);
      if (opts.boolOnly && x.dtype !== "bool") throw new DTypeError(`expected a bool operand, got ${x.dtype}`);
      return { shape: x.shape, dtype: opts.out ?? x.dtype };
    },
  };
}

function binary<P extends Prim>(opts: BinaryDTypes): PrimRule<P> {
  return {
    kind: "elementwise",
    params: noParams<P>(),
    infer: (inputs) => {
      const [a, b] = inputs;
      if (inputs.length !== 2 || !a || !b) throw new ShapeError(`binary primitive: expected 2 operands`);
      if (!shapeEq(a.shape, b.shape)) throw new ShapeError(`binary primitive: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
      if (a.dtype !== b.dtype) throw new DTypeError(`binary primitive: dtypes ${a.dtype} and ${b.dtype} differ`);
      if (opts.boolOnly && a.dtype !== "bool") throw new DTypeError(`expected bool operands, got ${a.dtype}`);
      if (opts.noBool && a.dtype === "bool") throw new DTypeError(`arithmetic on bool operands is not supported; cast first`);
      if (opts.bits === "boolOrInt" && a.dtype !== "bool" && !isInt(a.dtype)) throw new DTypeError(`expected bool or integer operands, got ${a.dtype}`);
      if (opts.bits === "int" && !isInt(a.dtype)) throw new DTypeError(`expected integer operands, got ${a.dtype}`);
      return { shape: a.shape, dtype: opts.out ?? a.dtype };
    },
  };
}

function reduceShape(shape: Shape, axes: readonly number[]): number[] {
  for (const a of axes) if (a < 0 || a >= shape.length) throw new IndexError(`reduce: axis ${a} out of range for ${fmtShape(shape)}`);
  return shape.filter((_, i) => !axes.includes(i));
}

function reduce<P extends ReducePrim>(): PrimRule<P> {
  return {
    kind: "reduce",
    params: { axes: ints } as ParamSchema<PrimParams[P]>,
    infer: ([x], p) => ({ shape: reduceShape(x!.shape, (p as { axes: readonly number[] }).axes), dtype: x!.dtype }),
  };
}

function argReduce<P extends "argmax" | "argmin">(): PrimRule<P> {
  return {
    kind: "reduce",
    params: { axis: int } as ParamSchema<PrimParams[P]>,
    infer: ([x], p) => {
      if (x!.shape[p.axis] === 0) throw new ShapeError(`argmax/argmin: attempt to get the arg of an empty axis`);
      return { shape: reduceShape(x!.shape, [p.axis]), dtype: "int32" };
    },
  };
}

/** A control-flow op: the operands must be the ones its call was built for. */
function control<P extends ControlPrim>(prim: P): PrimRule<P> {
  return {
    kind: "control",
    params: { call: call(prim), index: int } as ParamSchema<PrimParams[P]>,
    infer: (inputs, p) => inferControl(prim, inputs, p.call, p.index),
  };
}

function lastTwoSquare(prim: string, a: Aval): void {
  const n = a.shape.length;
  if (n < 2 || a.shape[n - 1] !== a.shape[n - 2]) {
    throw new ShapeError(`${prim}: expected a (batch of) square matrices, got shape ${fmtShape(a.shape)}`);
  }
  if (!isFloat(a.dtype)) throw new DTypeError(`${prim}: expected a float matrix, got ${a.dtype}`);
}

/** svd: one float operand of rank ≥ 2; the shape of output `index`. */
function inferSvd(inputs: readonly Aval[], p: PrimParams["svd"]): Aval {
  const a = inputs[0]!;
  const r = a.shape.length;
  if (inputs.length !== 1 || r < 2) throw new ShapeError(`svd: expected one (batch of) matrices [..., m, n], got shape(s) ${inputs.map((i) => fmtShape(i.shape)).join(", ")}`);
  if (!isFloat(a.dtype)) throw new DTypeError(`svd: expected a float matrix, got ${a.dtype}`);
  const batch = a.shape.slice(0, -2), m = a.shape[r - 2]!, n = a.shape[r - 1]!, k = Math.min(m, n);
  const shapes = [[...batch, k], [...batch, m, p.fullMatrices ? m : k], [...batch, p.fullMatrices ? n : k, n]];
  const shape = shapes[p.index];
  if (!shape) throw new IndexError(`svd: output index ${p.index} out of range (0: s, 1: u, 2: vh)`);
  return { shape, dtype: a.dtype };
}

/** sort: equal shapes (dtypes may differ: keys and carried values), 1 ≤ numKeys ≤ operands. */
function inferSort(inputs: readonly Aval[], p: PrimParams["sort"]): Aval {
  const [first] = inputs;
  if (!first) throw new ShapeError(`sort: expected at least one operand`);
  for (const a of inputs) {
    if (!shapeEq(a.shape, first.shape)) throw new ShapeError(`sort: operand shapes ${inputs.map((i) => fmtShape(i.shape)).join(", ")} differ`);
  }
  if (!(p.dimension >= 0 && p.dimension < first.shape.length)) throw new IndexError(`sort: dimension ${p.dimension} out of range for ${fmtShape(first.shape)}`);
  if (!(p.numKeys >= 1 && p.numKeys <= inputs.length)) throw new ValueError(`sort: numKeys ${p.numKeys} must be between 1 and the ${inputs.length} operand(s)`);
  if (!(p.index >= 0 && p.index < inputs.length)) throw new IndexError(`sort: output index ${p.index} out of range for ${inputs.length} operand(s)`);
  return inputs[p.index]!;
}

/** eigh: a (batch of) square float matrices; output 0 drops the last axis, output 1 keeps the shape. */
function inferEigh([a, ...rest]: readonly Aval[], p: PrimParams["eigh"]): Aval {
  if (!a || rest.length > 0) throw new ShapeError(`eigh: expected 1 operand`);
  lastTwoSquare("eigh", a);
  if (p.index !== 0 && p.index !== 1) throw new IndexError(`eigh: output index ${p.index} must be 0 (eigenvalues) or 1 (eigenvectors)`);
  return p.index === 0 ? { shape: a.shape.slice(0, -1), dtype: a.dtype } : a;
}

/** qr: a (batch of) float matrices [..., m, n]; Q [..., m, k] and R [..., k, n] with k = m if complete else min(m, n). */
function inferQr([a, ...rest]: readonly Aval[], p: PrimParams["qr"]): Aval {
  if (!a || rest.length > 0) throw new ShapeError(`qr: expected 1 operand`);
  if (a.shape.length < 2) throw new ShapeError(`qr: expected a (batch of) matrices, got shape ${fmtShape(a.shape)}`);
  if (!isFloat(a.dtype)) throw new DTypeError(`qr: expected a float matrix, got ${a.dtype}`);
  if (p.index !== 0 && p.index !== 1) throw new IndexError(`qr: output index ${p.index} must be 0 (Q) or 1 (R)`);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = p.complete ? m : Math.min(m, n);
  return { shape: [...a.shape.slice(0, -2), ...(p.index === 0 ? [m, k] : [k, n])], dtype: a.dtype };
}

/** fft: two float operands (re, im) of one shape and dtype, rank ≥ 1, a non-empty last axis. */
function inferFft(inputs: readonly Aval[], p: PrimParams["fft"]): Aval {
  const [re, im] = inputs;
  if (inputs.length !== 2 || !re || !im) throw new ShapeError(`fft: expected 2 operands (real and imaginary parts), got ${inputs.length}`);
  if (!shapeEq(re.shape, im.shape) || re.dtype !== im.dtype) {
    throw new ShapeError(`fft: real and imaginary parts differ: ${fmtShape(re.shape)} ${re.dtype} and ${fmtShape(im.shape)} ${im.dtype}`);
  }
  if (!isFloat(re.dtype)) throw new DTypeError(`fft: expected float operands, got ${re.dtype}`);
  if (re.shape.length < 1 || re.shape[re.shape.length - 1] === 0) {
    throw new ShapeError(`fft: the transformed (last) axis must exist and be non-empty, got shape ${fmtShape(re.shape)}`);
  }
  if (p.index !== 0 && p.index !== 1) throw new IndexError(`fft: output index ${p.index} must be 0 (real part) or 1 (imaginary part)`);
  return re;
}

/** polyRoots: one float operand of rank ≥ 1 with a non-empty last axis; drops one entry of it. */
function inferPolyRoots(inputs: readonly Aval[], p: PrimParams["polyRoots"]): Aval {
  const [c] = inputs;
  if (inputs.length !== 1 || !c) throw new ShapeError(`polyRoots: expected 1 operand, got ${inputs.length}`);
  if (!isFloat(c.dtype)) throw new DTypeError(`polyRoots: expected float coefficients, got ${c.dtype}`);
  if (c.shape.length < 1 || c.shape[c.shape.length - 1] === 0) throw new ShapeError(`polyRoots: expected coefficients [..., n] with n ≥ 1, got shape ${fmtShape(c.shape)}`);
  if (p.index !== 0 && p.index !== 1) throw new IndexError(`polyRoots: output index ${p.index} must be 0 (real parts) or 1 (imaginary parts)`);
  return { shape: [...c.shape.slice(0, -1), c.shape[c.shape.length - 1]! - 1], dtype: c.dtype };
}

// ---------------------------------------------------------------------------------------------

export const PRIMITIVES = {
  const: leaf({ value: num }),
  data: leaf({ ref: dataRef }),
  input: leaf({ label }),
  iota: leaf({ axis: int }),

  // The dtype rule of each unary/binary primitive is in its row.
  ...mapRows(UNARY_OPS, (_p, row) => unary<UnaryPrim>(row.dtypes)),
  ...mapRows(BINARY_OPS, (_p, row) => binary<BinaryPrim>(row.dtypes)),

  cast: { kind: "elementwise", params: { dtype }, infer: ([x], p) => ({ shape: x!.shape, dtype: p.dtype }) },
  bitcast: {
    kind: "elementwise",
    params: { dtype },
    infer: ([x], p) => {
      const why = bitcastError(x!.dtype, p.dtype);
      if (why) throw new DTypeError(`bitcast: ${why}`);
      return { shape: x!.shape, dtype: p.dtype };
    },
  },
  select: {
    kind: "elementwise",
    params: {},
    infer: (inputs) => {
      arity("select", inputs, 3);
      const [c, a, b] = inputs as [Aval, Aval, Aval];
      if (c.dtype !== "bool") throw new DTypeError(`select: predicate must be bool, got ${c.dtype}`);
      if (!shapeEq(c.shape, a.shape) || !shapeEq(a.shape, b.shape)) {
        throw new ShapeError(`select: shapes ${fmtShape(c.shape)}, ${fmtShape(a.shape)}, ${fmtShape(b.shape)} differ`);
      }
      if (a.dtype !== b.dtype) throw new DTypeError(`select: branch dtypes ${a.dtype} and ${b.dtype} differ`);
      return a;
    },
  },

  reduceSum: reduce(),
  reduceMax: reduce(),
  reduceMin: reduce(),
  reduceProd: reduce(),
  argmax: argReduce(),
  argmin: argReduce(),
  cumsum: { kind: "reduce", params: { axis: int, reverse: bool }, infer: ([x]) => x! },

  reshape: {
    kind: "movement",
    params: { shape: dims },
    infer: ([x], p) => {
      if (sizeOf(p.shape) !== sizeOf(x!.shape)) {
        throw new ShapeError(`reshape: cannot reshape ${fmtShape(x!.shape)} (size ${sizeOf(x!.shape)}) into ${fmtShape(p.shape)}`);
      }
      return { shape: p.shape, dtype: x!.dtype };
    },
  },
  broadcast: {
    kind: "movement",
    params: { shape: dims, dims: ints },
    infer: ([x], p) => {
      const s = x!.shape;
      if (p.dims.length !== s.length) throw new ShapeError(`broadcast: dims ${jsonOf(p.dims)} do not match rank of ${fmtShape(s)}`);
      p.dims.forEach((d, i) => {
        if (!(d >= 0 && d < p.shape.length) || (s[i] !== 1 && s[i] !== p.shape[d])) {
          throw new ShapeError(`broadcast: cannot broadcast ${fmtShape(s)} to ${fmtShape(p.shape)}`);
        }
      });
      return { shape: p.shape, dtype: x!.dtype };
    },
  },
  transpose: {
    kind: "movement",
    params: { perm: ints },
    infer: ([x], p) => {
      const r = x!.shape.length;
      if (p.perm.length !== r || [...p.perm].sort((a, b) => a - b).some((v, i) => v !== i)) {
        throw new ShapeError(`transpose: axes ${jsonOf(p.perm)} are not a permutation of ${r} axes`);
      }
      return { shape: p.perm.map((a) => x!.shape[a]!), dtype: x!.dtype };
    },
  },
  slice: {
    kind: "movement",
    params: { start: ints, stop: ints, step: ints },
    infer: ([x], p) => ({
      shape: x!.shape.map((_, i) => Math.max(0, Math.ceil((p.stop[i]! - p.start[i]!) / p.step[i]!))),
      dtype: x!.dtype,
    }),
  },
  flip: { kind: "movement", params: { axes: ints }, infer: ([x]) => x! },
  pad: {
    kind: "movement",
    params: { lo: ints, hi: ints, value: num },
    infer: ([x], p) => ({ shape: x!.shape.map((d, i) => d + p.lo[i]! + p.hi[i]!), dtype: x!.dtype }),
  },
  concatenate: {
    kind: "movement",
    params: { axis: int },
    infer: (inputs, p) => {
      const [first] = inputs;
      if (!first) throw new ShapeError(`concatenate: need at least one array`);
      let total = 0;
      for (const a of inputs) {
        if (a.shape.length !== first.shape.length || a.shape.some((d, i) => i !== p.axis && d !== first.shape[i])) {
          throw new ShapeError(`concatenate: shapes ${inputs.map((i) => fmtShape(i.shape)).join(", ")} differ off axis ${p.axis}`);
        }
        if (a.dtype !== first.dtype) throw new DTypeError(`concatenate: dtypes differ`);
        total += a.shape[p.axis]!;
      }
      const shape = [...first.shape];
      shape[p.axis] = total;
      return { shape, dtype: first.dtype };
    },
  },

  matmul: {
    kind: "contract",
    params: {},
    infer: (inputs) => {
      arity("matmul", inputs, 2);
      const [a, b] = inputs as [Aval, Aval];
      const r = a.shape.length;
      if (r < 2 || b.shape.length !== r || !shapeEq(a.shape.slice(0, -2), b.shape.slice(0, -2)) || a.shape[r - 1] !== b.shape[r - 2]) {
        throw new ShapeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not fit [...B,m,k] x [...B,k,n]`);
      }
      if (a.dtype !== b.dtype) throw new DTypeError(`matmul: dtypes ${a.dtype} and ${b.dtype} differ`);
      return { shape: [...a.shape.slice(0, -1), b.shape[r - 1]!], dtype: a.dtype };
    },
  },

  gather: {
    kind: "index",
    params: { axis: int },
    infer: ([x, idx], p) => {
      if (idx!.dtype !== "int32") throw new DTypeError(`gather: indices must be int32, got ${idx!.dtype}`);
      return { shape: [...x!.shape.slice(0, p.axis), ...idx!.shape, ...x!.shape.slice(p.axis + 1)], dtype: x!.dtype };
    },
  },
  scatterAdd: { kind: "index", params: { axis: int }, infer: ([x]) => x! },
  sort: { kind: "index", params: { dimension: int, numKeys: int, index: int }, infer: inferSort },
  scatter: { kind: "index", params: { axis: int }, infer: ([x]) => x! },

  solve: {
    kind: "linalg",
    params: {},
    infer: (inputs) => {
      const [a, b] = inputs as [Aval, Aval];
      lastTwoSquare("solve", a);
      const r = a.shape.length;
      if (b.shape.length !== r || !shapeEq(a.shape.slice(0, -1), b.shape.slice(0, -1)) || a.dtype !== b.dtype) {
        throw new ShapeError(`solve: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not fit [...B,n,n] x [...B,n,k]`);
      }
      return b;
    },
  },
  cholesky: { kind: "linalg", params: {}, infer: ([a]) => (lastTwoSquare("cholesky", a!), a!) },
  detSign: { kind: "linalg", params: {}, infer: ([a]) => (lastTwoSquare("det", a!), { shape: a!.shape.slice(0, -2), dtype: a!.dtype }) },
  logAbsDet: { kind: "linalg", params: {}, infer: ([a]) => (lastTwoSquare("slogdet", a!), { shape: a!.shape.slice(0, -2), dtype: a!.dtype }) },
  svd: { kind: "linalg", params: { fullMatrices: bool, index: int }, infer: inferSvd },

  cond: control("cond"),
  while: control("while"),
  scan: control("scan"),

  eigh: { kind: "linalg", params: { index: int }, infer: inferEigh },
  qr: { kind: "linalg", params: { index: int, complete: bool }, infer: inferQr },
  lu: { kind: "linalg", params: { index: int }, infer: inferLu },
  // A dense linear map along one axis, computed by a host library kernel like the factorizations.
  fft: { kind: "linalg", params: { inverse: bool, index: int }, infer: inferFft },
  // Companion-matrix eigenvalues on the host, like the factorizations.
  polyRoots: { kind: "linalg", params: { index: int }, infer: inferPolyRoots },
} satisfies { [P in Prim]: PrimRule<P> };

/** Named op groups (STYLE.md §6): fusion and defaults are decided by membership, not by name checks. */
export const Unary: ReadonlySet<Prim> = new Set(UNARY_PRIMS);
export const Binary: ReadonlySet<Prim> = new Set(BINARY_PRIMS);
export const Elementwise: ReadonlySet<Prim> = new Set(
  (Object.keys(PRIMITIVES) as Prim[]).filter((p) => PRIMITIVES[p].kind === "elementwise"),
);
export const Movement: ReadonlySet<Prim> = new Set(
  (Object.keys(PRIMITIVES) as Prim[]).filter((p) => PRIMITIVES[p].kind === "movement"),
);
export const Reduce: ReadonlySet<Prim> = new Set(
  (Object.keys(PRIMITIVES) as Prim[]).filter((p) => PRIMITIVES[p].kind === "reduce"),
);
/** Control flow: multi-output ops over sub-graphs (sibling nodes share a call). */
export const Control: ReadonlySet<Prim> = new Set(CONTROL_PRIMS);
export const Commutative: ReadonlySet<Prim> = new Set<Prim>(BINARY_PRIMS.filter((p) => "commutative" in BINARY_OPS[p]));
export const Leaf: ReadonlySet<Prim> = new Set<Prim>(["const", "data", "input", "iota"]);
