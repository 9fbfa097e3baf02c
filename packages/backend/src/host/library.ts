/**
 * Library kernels: primitives that are not lowered to the kernel IR (data-dependent control flow
 * or sequential dependencies: arg-reductions, scans, scatters, sorts, factorizations) run as these
 * hand-written JS functions over typed arrays. They run through the executor like any kernel and
 * follow interpret.ts exactly; linear algebra computes in float64 and rounds on store. Control
 * steps (cond, while, scan) run sub-plans, so the host adds them (host/control.ts, host/run.ts).
 */
import { type TypedArray, type PrimParams, hostValues, isBits16, isInt, numbersToBits16, sizeOf, choleskyOf, detSignOf, logAbsDetOf, solveInto, sortAlongInto, svdBatchInto, eighBatchInto, qrBatchInto, luBatchInto, fftBatchInto, polyRootsBatchInto } from "@kiln/core";
import { type LibrarySpec } from "../schedule.js";

/** A library kernel: reads `ins`, writes `out` (one output per step). */
export type LibraryFn = (spec: LibrarySpec, ins: readonly TypedArray[], out: TypedArray) => void;

/** Splits `shape` around `axis` into (outer, len, inner) extents. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

function argReduce(better: (a: number, b: number) => boolean): LibraryFn {
  return (spec, [x], out) => {
    const { axis } = spec.params as PrimParams["argmax"];
    const [outer, len, inner] = around(spec.inShapes[0]!, axis);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = x![o * len * inner + i]!, at = 0;
        // The first NaN wins, as NumPy.
        for (let j = 1; j < len && best === best; j++) {
          const v = x![(o * len + j) * inner + i]!;
          if (v !== v || better(v, best)) (best = v), (at = j);
        }
        out[o * inner + i] = at;
      }
    }
  };
}

function scatterInto(combine: (a: number, b: number) => number): LibraryFn {
  return (spec, [x, idx, upd], out) => {
    const { axis } = spec.params as PrimParams["scatter"];
    out.set(x!);
    const xShape = spec.outShape, idxShape = spec.inShapes[1]!;
    const [outer, , inner] = around(xShape, axis);
    const nIdx = sizeOf(idxShape), len = xShape[axis]!;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < nIdx; j++) {
        const pos = idx![j]!;
        if (pos < 0 || pos >= len) continue; // out-of-range updates are dropped, as in JAX
        for (let i = 0; i < inner; i++) {
          const dst = (o * len + pos) * inner + i;
          out[dst] = combine(out[dst]!, upd![(o * nIdx + j) * inner + i]!);
        }
      }
    }
  };
}

/** Runs `f` on each n×n matrix of a batch (copied to float64). */
function perMatrix(spec: LibrarySpec, x: TypedArray, f: (m: Float64Array, n: number, b: number) => void): void {
  const shape = spec.inShapes[0]!;
  const n = shape[shape.length - 1]!;
  const batch = sizeOf(shape.slice(0, -2));
  for (let b = 0; b < batch; b++) f(Float64Array.from(x.subarray(b * n * n, (b + 1) * n * n)), n, b);
}

/**
 * A library kernel over values: float16/bfloat16 arrays (bit patterns in Uint16Arrays) are decoded
 * before it runs and such an output encoded after (each value rounded half to even, as the
 * interpreter rounds a float16/bfloat16 result). Other arrays pass as they are.
 */
function overValues(fn: LibraryFn): LibraryFn {
  const wrapped: LibraryFn = (spec, ins, out) => {
    const outDt = spec.dtype;
    if (!isBits16(outDt) && !spec.inDtypes.some(isBits16)) return fn(spec, ins, out);
    const values = isBits16(outDt) ? new Float32Array(out.length) : out;
    fn(spec, ins.map((a, i) => hostValues(a, spec.inDtypes[i]!)), values);
    if (isBits16(outDt)) numbersToBits16(values, out as Uint16Array, outDt);
  };
  wrapped.toString = () => fn.toString(); // lowerGraph shows the kernel, not the wrapper
  return wrapped;
}

/** The library kernels that need nothing but their arrays (as values: `overValues`). */
export const LIBRARY: Readonly<Record<string, LibraryFn>> = Object.fromEntries(Object.entries({
  argmax: argReduce((a, b) => a > b),
  argmin: argReduce((a, b) => a < b),
  cumsum: (spec, [x], out) => {
    const { axis, reverse } = spec.params as PrimParams["cumsum"];
    const [outer, len, inner] = around(spec.outShape, axis);
    const int = isInt(spec.dtype);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        // As the interpreter: -0 is the additive identity, integer partial sums wrap at every step
        // (modulo 2^32; the store into a uint8/uint32 array narrows).
        let acc = int ? 0 : -0;
        for (let j = 0; j < len; j++) {
          const at = (o * len + (reverse ? len - 1 - j : j)) * inner + i;
          acc = int ? (acc + x![at]!) | 0 : acc + x![at]!;
          out[at] = acc;
        }
      }
    }
  },
  scatterAdd: scatterInto((a, b) => a + b),
  scatter: scatterInto((_a, b) => b),
  // Data-dependent permutations: a host kernel on every backend (WGSL has no version; webgpu reads back).
  sort: (spec, ins, out) => {
    const { dimension, numKeys, index } = spec.params as PrimParams["sort"];
    sortAlongInto(ins, spec.outShape, dimension, numKeys, index, out);
  },
  solve: (spec, [a, rhs], out) => {
    const shape = spec.outShape;
    const n = shape[shape.length - 2]!, k = shape[shape.length - 1]!;
    perMatrix(spec, a!, (lu, _n, bi) => solveInto(lu, n, rhs!, bi * n * k, k, out, bi * n * k));
  },
  cholesky: (spec, [a], out) => perMatrix(spec, a!, (m, n, bi) => out.set(choleskyOf(m, n), bi * n * n)),
  detSign: (spec, [a], out) => perMatrix(spec, a!, (m, n, bi) => (out[bi] = detSignOf(m, n))),
  logAbsDet: (spec, [a], out) => perMatrix(spec, a!, (m, n, bi) => (out[bi] = logAbsDetOf(m, n))),
  // The factorizations in float64 (core/linalg-*-f64.ts, shared with the interpreter), rounded on store.
  svd: (spec, [a], out) => {
    const { fullMatrices, index } = spec.params as PrimParams["svd"];
    svdBatchInto(a!, spec.inShapes[0]!, fullMatrices, index, out);
  },
  eigh: (spec, [a], out) => eighBatchInto(a!, spec.inShapes[0]!, (spec.params as PrimParams["eigh"]).index, out),
  qr: (spec, [a], out) => {
    const { index, complete } = spec.params as PrimParams["qr"];
    qrBatchInto(a!, spec.inShapes[0]!, complete, index, out);
  },
  lu: (spec, [a], out) => luBatchInto(a!, spec.inShapes[0]!, (spec.params as PrimParams["lu"]).index, out),
  // The float64 FFT (core/fft-f64.ts, shared with the interpreter); WGSL has none, so webgpu reads back.
  fft: (spec, [re, im], out) => {
    const { inverse, index } = spec.params as PrimParams["fft"];
    fftBatchInto(re!, im!, spec.outShape, inverse, index, out);
  },
  // Companion-matrix eigenvalues in float64 (core/poly-roots-f64.ts, shared with the interpreter).
  polyRoots: (spec, [c], out) => polyRootsBatchInto(c!, spec.inShapes[0]!, (spec.params as PrimParams["polyRoots"]).index, out),
} satisfies Record<string, LibraryFn>).map(([name, fn]) => [name, overValues(fn)]));
