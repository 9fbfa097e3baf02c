/**
 * Library kernels: primitives that are not lowered to the kernel IR (data-dependent control flow
 * or sequential dependencies: arg-reductions, scans, scatters, factorizations) run as these
 * hand-written JS functions over typed arrays. They run through the executor like any kernel and
 * follow interpret.ts exactly; linear algebra computes in float64 and rounds on store.
 */
import { type TypedArray, type PrimParams, sizeOf } from "@kiln/core";
import { type LibrarySpec } from "../schedule.js";
import { runControlStep } from "./control.js";

type LibraryFn = (spec: LibrarySpec, ins: readonly TypedArray[], out: TypedArray) => void;

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

/** LU with partial pivoting of one n×n row-major matrix in place; returns the permutation sign. */
function luInPlace(a: Float64Array, n: number, perm: Int32Array): number {
  let sign = 1;
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]!) > Math.abs(a[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[p * n + j]!;
        a[p * n + j] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[p]!;
      perm[p] = t;
      sign = -sign;
    }
    const piv = a[k * n + k]!;
    if (piv === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k]! /= piv);
      for (let j = k + 1; j < n; j++) a[i * n + j]! -= f * a[k * n + j]!;
    }
  }
  return sign;
}

/** Runs `f` on each n×n matrix of a batch (copied to float64). */
function perMatrix(spec: LibrarySpec, x: TypedArray, f: (m: Float64Array, n: number, b: number) => void): void {
  const shape = spec.inShapes[0]!;
  const n = shape[shape.length - 1]!;
  const batch = sizeOf(shape.slice(0, -2));
  for (let b = 0; b < batch; b++) f(Float64Array.from(x.subarray(b * n * n, (b + 1) * n * n)), n, b);
}

export const LIBRARY: Record<string, LibraryFn> = {
  argmax: argReduce((a, b) => a > b),
  argmin: argReduce((a, b) => a < b),
  cumsum: (spec, [x], out) => {
    const { axis, reverse } = spec.params as PrimParams["cumsum"];
    const [outer, len, inner] = around(spec.outShape, axis);
    const isInt = spec.dtype === "int32";
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let j = 0; j < len; j++) {
          const at = (o * len + (reverse ? len - 1 - j : j)) * inner + i;
          acc += x![at]!;
          out[at] = isInt ? acc | 0 : acc;
        }
      }
    }
  },
  scatterAdd: scatterInto((a, b) => a + b),
  scatter: scatterInto((_a, b) => b),
  solve: (spec, [a, rhs], out) => {
    const shape = spec.outShape;
    const n = shape[shape.length - 2]!, k = shape[shape.length - 1]!;
    const perm = new Int32Array(n), y = new Float64Array(n);
    perMatrix(spec, a!, (lu, _n, bi) => {
      luInPlace(lu, n, perm);
      for (let c = 0; c < k; c++) {
        for (let i = 0; i < n; i++) {
          let s = rhs![bi * n * k + perm[i]! * k + c]!;
          for (let j = 0; j < i; j++) s -= lu[i * n + j]! * y[j]!;
          y[i] = s;
        }
        for (let i = n - 1; i >= 0; i--) {
          let s = y[i]!;
          for (let j = i + 1; j < n; j++) s -= lu[i * n + j]! * y[j]!;
          y[i] = s / lu[i * n + i]!;
        }
        for (let i = 0; i < n; i++) out[bi * n * k + i * k + c] = y[i]!;
      }
    });
  },
  cholesky: (spec, [a], out) => {
    perMatrix(spec, a!, (m, n, bi) => {
      const l = new Float64Array(n * n);
      for (let j = 0; j < n; j++) {
        let d = m[j * n + j]!;
        for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
        // A non-positive pivot means the matrix is not positive-definite: NaN, as LAPACK-backed JAX.
        const ljj = d > 0 ? Math.sqrt(d) : NaN;
        l[j * n + j] = ljj;
        for (let i = j + 1; i < n; i++) {
          let s = m[i * n + j]!;
          for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
          l[i * n + j] = s / ljj;
        }
      }
      out.set(l, bi * n * n);
    });
  },
  detSign: (spec, [a], out) => {
    perMatrix(spec, a!, (m, n, bi) => {
      let sign = luInPlace(m, n, new Int32Array(n));
      for (let i = 0; i < n; i++) sign *= Math.sign(m[i * n + i]!);
      out[bi] = sign;
    });
  },
  logAbsDet: (spec, [a], out) => {
    perMatrix(spec, a!, (m, n, bi) => {
      luInPlace(m, n, new Int32Array(n));
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.log(Math.abs(m[i * n + i]!));
      out[bi] = s;
    });
  },
  cond: runControlStep,
  while: runControlStep,
  scan: runControlStep,
};

/** Source text shown by `lowerGraph` for a library kernel. */
export function librarySource(name: string): string {
  const fn = LIBRARY[name];
  return fn ? `// library kernel ${name}\n${fn.toString()}` : `// unknown library kernel ${name}`;
}

