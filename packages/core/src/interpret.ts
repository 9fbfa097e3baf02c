/**
 * The reference interpreter: evaluates any Graph in float64 (int32 and bool exactly), with no
 * fusion and no cleverness. It is the executable spec every backend and every fused kernel is
 * tested against, and the realization path until a compiled backend is registered.
 */
import { ConcretizationError, DisposedError, ValueError } from "./errors.js";
import { DataBuffer } from "./buffer.js";
import { type DType, bitcastScalar, castScalar, hostValues, isBits16, isInt } from "./dtype.js";
import { BITS16 } from "./float-bits.js";
import { type Node } from "./ir/node.js";
import { topoSort } from "./ir/graph.js";
import { type ControlPrim, type Prim, type PrimParams } from "./ir/primitives.js";
import { BINARY_OPS, type BinaryPrim, type BinaryRow, UNARY_OPS, type UnaryPrim, mapRows } from "./ir/elementwise.js";
import { type ControlCall, type ControlRuntime, evalControl } from "./ir/control.js";
import { type Shape, sizeOf, stridesOf } from "./shape.js";
import { choleskyOf, detSignOf, logAbsDetOf, solveInto } from "./matrix.js";
import { sortAlongInto } from "./sort-order.js";
import { svdBatchInto } from "./linalg-svd-f64.js";
import { eighBatchInto } from "./linalg-eigh-f64.js";
import { luBatchInto } from "./linalg-lu-f64.js";
import { qrBatchInto } from "./linalg-qr-f64.js";
import { fftBatchInto } from "./fft-f64.js";
import { polyRootsBatchInto } from "./poly-roots-f64.js";

export type F64 = Float64Array;
type EvalRule<P extends Prim> = (inputs: F64[], params: PrimParams[P], node: Node<P>) => F64;

function mapUnary(f: (x: number) => number, dtype: DType) {
  return ([x]: F64[]) => {
    const out = new Float64Array(x!.length);
    for (let i = 0; i < x!.length; i++) out[i] = castScalar(f(x![i]!), dtype === "bool" ? "bool" : "float64");
    return out;
  };
}

/** A unary row's reference, elementwise (`interpret` wraps an integer result into its dtype). */
function unaryRule<P extends UnaryPrim>(p: P): EvalRule<P> {
  const f = UNARY_OPS[p].f64 as (x: number) => number;
  return (inputs) => inputs[0]!.map(f);
}

/**
 * A binary row's reference, elementwise: its integer variant on integer operands (of any width:
 * the variants compute modulo 2^32, which every integer dtype's wrap then narrows).
 */
function binaryRule<P extends BinaryPrim>(p: P): EvalRule<P> {
  const row: BinaryRow = BINARY_OPS[p];
  return (inputs, _params, node) => {
    const [a, b] = inputs as [F64, F64];
    const f = (isInt(node.inputs[0]!.aval.dtype) && row.int32) || row.f64;
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = f(a[i]!, b[i]!);
    return out;
  };
}

/** Calls `f(outFlat, inFlat)` for each element of a reduction of `shape` over `axes`. */
function forEachReduced(shape: Shape, axes: readonly number[], f: (o: number, i: number) => void): void {
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const outStrides = stridesOf(outShape);
  const keptStride = new Array<number>(shape.length).fill(0);
  let k = 0;
  for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) keptStride[d] = outStrides[k++]!;
  forEachIndex(shape, (idx, flat) => {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += idx[d]! * keptStride[d]!;
    f(o, flat);
  });
}

/** Iterates a shape in row-major order with its multi-index (reused array; do not keep it). */
function forEachIndex(shape: Shape, f: (idx: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

function reduceRule<P extends "reduceSum" | "reduceMax" | "reduceMin" | "reduceProd">(
  init: number,
  step: (acc: number, x: number) => number,
  intStep: (acc: number, x: number) => number = step,
): EvalRule<P> {
  return ([x], p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape)).fill(init);
    const f = isInt(node.aval.dtype) ? intStep : step;
    forEachReduced(node.inputs[0]!.aval.shape, (p as { axes: readonly number[] }).axes, (o, i) => (out[o] = f(out[o]!, x![i]!)));
    return out;
  };
}

function argRule<P extends "argmax" | "argmin">(better: (a: number, b: number) => boolean): EvalRule<P> {
  return ([x], p, node) => {
    const shape = node.inputs[0]!.aval.shape;
    const out = new Float64Array(sizeOf(node.aval.shape));
    const best = new Float64Array(out.length).fill(NaN);
    const seen = new Uint8Array(out.length);
    forEachIndex(shape, (idx, flat) => {
      // The output index of this element (axis removed), computed from the multi-index.
      let o = 0;
      for (let d = 0; d < shape.length; d++) if (d !== p.axis) o = o * shape[d]! + idx[d]!;
      const v = x![flat]!;
      // The first NaN wins, as in NumPy.
      if (!seen[o] || (!Number.isNaN(best[o]!) && (Number.isNaN(v) || better(v, best[o]!)))) {
        seen[o] = 1;
        best[o] = v;
        out[o] = idx[p.axis]!;
      }
    });
    return out;
  };
}

/** Gathers `x` through an index map: out[flat] = x[srcIndex(outMultiIndex)], or `fill` where it returns -1. */
function remap(node: Node, x: F64, srcIndex: (idx: number[]) => number, fill = 0): F64 {
  const out = new Float64Array(sizeOf(node.aval.shape));
  forEachIndex(node.aval.shape, (idx, flat) => {
    const s = srcIndex(idx);
    out[flat] = s < 0 ? fill : x[s]!;
  });
  return out;
}

function flatIndex(idx: readonly number[], strides: readonly number[]): number {
  let s = 0;
  for (let d = 0; d < idx.length; d++) s += idx[d]! * strides[d]!;
  return s;
}

/** Applies `f` to each matrix of a batch [...B, n, n]; `outPer` values per matrix. */
function perMatrix(x: F64, node: Node, outPer: number, f: (m: Float64Array, n: number, out: Float64Array) => void): F64 {
  const shape = node.inputs[0]!.aval.shape;
  const n = shape[shape.length - 1]!;
  const batch = sizeOf(shape.slice(0, -2));
  const out = new Float64Array(batch * outPer);
  for (let b = 0; b < batch; b++) {
    const m = x.slice(b * n * n, (b + 1) * n * n);
    f(m, n, out.subarray(b * outPer, (b + 1) * outPer));
  }
  return out;
}

/** Control-flow calls run their sub-graphs with this interpreter, recursively. */
const F64_RUNTIME: ControlRuntime<F64> = {
  run: (graph, inputs) => interpret(graph.outputs, new Map(graph.inputs.map((p, i) => [p, inputs[i]!]))),
  row: (x, i, n) => x.subarray(i * n, (i + 1) * n),
  stack: (rows, aval) => {
    const out = new Float64Array(sizeOf(aval.shape));
    let offset = 0;
    for (const r of rows) (out.set(r, offset), (offset += r.length));
    return out;
  },
  scalar: (x) => x[0]!,
};

/**
 * Sibling nodes of one call (same call, same operand values) share one evaluation. Values are
 * never mutated, so the identity of the operand arrays identifies the evaluation.
 */
const controlMemo = new WeakMap<F64, { call: ControlCall; inputs: F64[]; outputs: F64[] }[]>();

function controlOutputs(call: ControlCall, inputs: F64[]): F64[] {
  const key = inputs[0];
  if (!key) return evalControl(call, inputs, F64_RUNTIME);
  const list = controlMemo.get(key) ?? [];
  const hit = list.find((e) => e.call === call && e.inputs.length === inputs.length && e.inputs.every((x, i) => x === inputs[i]));
  if (hit) return hit.outputs;
  const outputs = evalControl(call, inputs, F64_RUNTIME);
  list.push({ call, inputs, outputs });
  if (list.length > 8) list.shift();
  controlMemo.set(key, list);
  return outputs;
}

const controlRule = <P extends ControlPrim>(): EvalRule<P> => (inputs, p) => controlOutputs(p.call, inputs)[p.index]!;

const RULES: { [P in Prim]: EvalRule<P> } = {
  const: (_i, p) => Float64Array.of(p.value),
  data: (_i, p, node) => {
    const buf = p.ref as DataBuffer;
    if (buf.isReleased || !buf.host) throw new DisposedError(`a tensor of shape [${node.aval.shape}] was read after dispose()`);
    return Float64Array.from(hostValues(buf.host, buf.dtype));
  },
  input: (_i, p) => {
    throw new ConcretizationError(`the traced value ${p.label} has no concrete value here`);
  },
  iota: (_i, p, node) => {
    const shape = node.aval.shape;
    const stride = stridesOf(shape)[p.axis]!;
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(i / stride) % shape[p.axis]!;
    return out;
  },

  ...mapRows(UNARY_OPS, (p) => unaryRule(p)),
  ...mapRows(BINARY_OPS, (p) => binaryRule(p)),

  cast: ([x], p) => mapUnary((v) => castScalar(v, p.dtype), p.dtype)([x!]),
  bitcast: ([x], p, node) => x!.map((v) => bitcastScalar(v, node.inputs[0]!.aval.dtype, p.dtype)),
  select: ([c, a, b]) => c!.map((v, i) => (v ? a![i]! : b![i]!)),

  // Integer sums wrap at every step like int32 addition (a float64 sum is exact only to 2^53);
  // `interpret` narrows uint8/uint32 results, exact since 2^8 and 2^32 divide the 2^32 wrap.
  reduceSum: reduceRule(0, (a, x) => a + x, (a, x) => (a + x) | 0),
  // int32 products wrap like int32 multiplication: a float64 product loses bits past 2^53.
  reduceProd: reduceRule(1, (a, x) => a * x, (a, x) => Math.imul(a, x)),
  reduceMax: reduceRule(-Infinity, (a, x) => (Number.isNaN(a) || Number.isNaN(x) ? NaN : Math.max(a, x))),
  reduceMin: reduceRule(Infinity, (a, x) => (Number.isNaN(a) || Number.isNaN(x) ? NaN : Math.min(a, x))),
  argmax: argRule((a, b) => a > b),
  argmin: argRule((a, b) => a < b),
  cumsum: ([x], p, node) => {
    const shape = node.aval.shape;
    const out = new Float64Array(x!.length);
    const stride = stridesOf(shape)[p.axis]!;
    const len = shape[p.axis]!;
    forEachIndex(shape, (idx, flat) => {
      if (idx[p.axis] !== 0) return;
      // -0 is the additive identity (NumPy's accumulate starts from the first element, so a
      // leading -0 stays -0); int32 partial sums wrap at every step, like int32 addition.
      const int = isInt(node.aval.dtype);
      let acc = int ? 0 : -0;
      for (let j = 0; j < len; j++) {
        const k = p.reverse ? len - 1 - j : j;
        acc = int ? (acc + x![flat + k * stride]!) | 0 : acc + x![flat + k * stride]!;
        out[flat + k * stride] = acc;
      }
    });
    return out;
  },

  reshape: ([x]) => x!,
  broadcast: ([x], p, node) => {
    const inShape = node.inputs[0]!.aval.shape;
    const inStrides = stridesOf(inShape);
    return remap(node, x!, (idx) => {
      let s = 0;
      p.dims.forEach((d, i) => (s += inShape[i] === 1 ? 0 : idx[d]! * inStrides[i]!));
      return s;
    });
  },
  transpose: ([x], p, node) => {
    const inStrides = stridesOf(node.inputs[0]!.aval.shape);
    return remap(node, x!, (idx) => {
      let s = 0;
      p.perm.forEach((a, i) => (s += idx[i]! * inStrides[a]!));
      return s;
    });
  },
  slice: ([x], p, node) => {
    const inStrides = stridesOf(node.inputs[0]!.aval.shape);
    return remap(node, x!, (idx) => flatIndex(idx.map((v, d) => p.start[d]! + v * p.step[d]!), inStrides));
  },
  flip: ([x], p, node) => {
    const shape = node.aval.shape;
    const strides = stridesOf(shape);
    return remap(node, x!, (idx) => flatIndex(idx.map((v, d) => (p.axes.includes(d) ? shape[d]! - 1 - v : v)), strides));
  },
  pad: ([x], p, node) => {
    const inShape = node.inputs[0]!.aval.shape;
    const inStrides = stridesOf(inShape);
    return remap(node, x!, (idx) => {
      let s = 0;
      for (let d = 0; d < idx.length; d++) {
        const v = idx[d]! - p.lo[d]!;
        if (v < 0 || v >= inShape[d]!) return -1;
        s += v * inStrides[d]!;
      }
      return s;
    }, p.value);
  },
  concatenate: (inputs, p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape));
    const outer = sizeOf(node.aval.shape.slice(0, p.axis));
    const rowOut = sizeOf(node.aval.shape.slice(p.axis));
    let offset = 0;
    inputs.forEach((x, k) => {
      const row = sizeOf(node.inputs[k]!.aval.shape.slice(p.axis));
      for (let o = 0; o < outer; o++) out.set(x.subarray(o * row, (o + 1) * row), o * rowOut + offset);
      offset += row;
    });
    return out;
  },

  matmul: ([a, b], _p, node) => {
    const s = node.inputs[0]!.aval.shape;
    const r = s.length;
    const m = s[r - 2]!, k = s[r - 1]!, n = node.aval.shape[r - 1]!;
    const batch = sizeOf(s.slice(0, -2));
    const out = new Float64Array(batch * m * n);
    // Integer dot products wrap like int32 arithmetic (a float64 sum of products loses bits past 2^53).
    const int = isInt(node.aval.dtype);
    for (let bi = 0; bi < batch; bi++) {
      const ao = bi * m * k, bo = bi * k * n, oo = bi * m * n;
      for (let i = 0; i < m; i++) {
        for (let kk = 0; kk < k; kk++) {
          const av = a![ao + i * k + kk]!;
          for (let j = 0; j < n; j++) {
            const o = oo + i * n + j, bv = b![bo + kk * n + j]!;
            out[o] = int ? (out[o]! + Math.imul(av, bv)) | 0 : out[o]! + av * bv;
          }
        }
      }
    }
    return out;
  },

  gather: ([x, idx], p, node) => {
    const xShape = node.inputs[0]!.aval.shape;
    const xStrides = stridesOf(xShape);
    const idxRank = node.inputs[1]!.aval.shape.length;
    const idxStrides = stridesOf(node.inputs[1]!.aval.shape);
    const len = xShape[p.axis]!;
    return remap(node, x!, (o) => {
      const j = flatIndex(o.slice(p.axis, p.axis + idxRank), idxStrides);
      const pos = Math.min(Math.max(idx![j]!, 0), len - 1);
      const src = [...o.slice(0, p.axis), pos, ...o.slice(p.axis + idxRank)];
      return flatIndex(src, xStrides);
    });
  },
  // Integer accumulation wraps like int32 addition.
  scatterAdd: (inputs, p, node) => scatterInto(inputs, p.axis, node, isInt(node.aval.dtype) ? (a, b) => (a + b) | 0 : (a, b) => a + b),
  scatter: (inputs, p, node) => scatterInto(inputs, p.axis, node, (_a, b) => b),
  sort: (inputs, p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape));
    sortAlongInto(inputs, node.aval.shape, p.dimension, p.numKeys, p.index, out);
    return out;
  },

  solve: ([a, b], _p, node) => {
    const shape = node.aval.shape;
    const n = shape[shape.length - 2]!, k = shape[shape.length - 1]!;
    const out = new Float64Array(b!.length);
    const batch = sizeOf(shape.slice(0, -2));
    for (let bi = 0; bi < batch; bi++) solveInto(a!.slice(bi * n * n, (bi + 1) * n * n), n, b!, bi * n * k, k, out, bi * n * k);
    return out;
  },
  cholesky: ([a], _p, node) => {
    const n = node.aval.shape[node.aval.shape.length - 1]!;
    return perMatrix(a!, node, n * n, (m, _n, out) => out.set(choleskyOf(m, n)));
  },
  detSign: ([a], _p, node) => perMatrix(a!, node, 1, (m, n, out) => (out[0] = detSignOf(m, n))),
  logAbsDet: ([a], _p, node) => perMatrix(a!, node, 1, (m, n, out) => (out[0] = logAbsDetOf(m, n))),
  svd: ([a], p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape));
    svdBatchInto(a!, node.inputs[0]!.aval.shape, p.fullMatrices, p.index, out);
    return out;
  },

  cond: controlRule(),
  while: controlRule(),
  scan: controlRule(),

  eigh: ([a], p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape));
    eighBatchInto(a!, node.inputs[0]!.aval.shape, p.index, out);
    return out;
  },
  qr: ([a], p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape));
    qrBatchInto(a!, node.inputs[0]!.aval.shape, p.complete, p.index, out);
    return out;
  },
  lu: ([a], p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape));
    luBatchInto(a!, node.inputs[0]!.aval.shape, p.index, out);
    return out;
  },
  fft: ([re, im], p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape));
    fftBatchInto(re!, im!, node.aval.shape, p.inverse, p.index, out);
    return out;
  },
  polyRoots: ([c], p, node) => {
    const out = new Float64Array(sizeOf(node.aval.shape));
    polyRootsBatchInto(c!, node.inputs[0]!.aval.shape, p.index, out);
    return out;
  },
};

function scatterInto(inputs: F64[], axis: number, node: Node, combine: (a: number, b: number) => number): F64 {
  const [x, idx, upd] = inputs as [F64, F64, F64];
  const out = Float64Array.from(x);
  const xShape = node.aval.shape;
  const xStrides = stridesOf(xShape);
  const idxShape = node.inputs[1]!.aval.shape;
  const idxStrides = stridesOf(idxShape);
  const updShape = node.inputs[2]!.aval.shape;
  forEachIndex(updShape, (o, flat) => {
    const pos = idx[flatIndex(o.slice(axis, axis + idxShape.length), idxStrides)]!;
    if (pos < 0 || pos >= xShape[axis]!) return; // out-of-range updates are dropped, as in JAX
    const dst = flatIndex([...o.slice(0, axis), pos, ...o.slice(axis + idxShape.length)], xStrides);
    out[dst] = combine(out[dst]!, upd[flat]!);
  });
  return out;
}

/**
 * Evaluates `outputs` in float64, each node's value then rounded to its dtype: a float32 node holds
 * float32 numbers (computed in float64, rounded once per node), exactly as a backend that stores or
 * recomputes it must (docs/architecture.md, "Rounding: one value, one set of bits"). `env` supplies
 * values for placeholders (and may pre-seed any node). Values come back as Float64Arrays in
 * row-major order. `{ exact: true }` skips the per-node rounding: the graph's real-number math in
 * float64, for derivative checks by finite differences (a float32 rounding step is a staircase
 * whose central difference is 0 or noise).
 * @example
 * interpret([np.array([1, 2]).mul(0.1).node])[0];                       // Float64Array [0.10000000149011612, 0.20000000298023224]
 * interpret([np.array([1, 2]).mul(0.1).node], new Map(), { exact: true }); // the products in float64, not rounded
 */
export function interpret(outputs: readonly Node[], env: Map<Node, F64> = new Map(), opts: { readonly exact?: boolean } = {}): F64[] {
  const values = new Map(env);
  for (const node of topoSort(outputs, (n) => values.has(n))) {
    if (values.has(node)) continue;
    const rule = RULES[node.prim] as EvalRule<Prim>;
    const ins = node.inputs.map((i) => values.get(i)!);
    const v = rule(ins, node.params as PrimParams[Prim], node);
    if (v.length !== sizeOf(node.aval.shape)) throw new ValueError(`interpret: ${node.prim} produced ${v.length} values for ${node.aval.shape}`);
    const dt = node.aval.dtype;
    // Rules may hand back an input array unchanged (movement ops): round a copy, never in place.
    // Integer values are wrapped into their dtype (modulo 2^bits) in every mode: rules compute
    // int32-style (or in float64), and one wrap here gives uint8/uint32 their ranges.
    if (isInt(dt)) values.set(node, v.map((x) => castScalar(x, dt)));
    else if (opts.exact || (dt !== "float32" && !isBits16(dt))) values.set(node, v);
    else values.set(node, v.map(dt === "float32" ? Math.fround : BITS16[dt].round));
  }
  return outputs.map((o) => values.get(o)!);
}
