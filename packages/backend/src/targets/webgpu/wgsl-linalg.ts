/**
 * Factorizations as WGSL library kernels: `solve` (so `inv`, whose lowering is a solve against
 * the identity), `cholesky` and the determinant pieces `detSign` / `logAbsDet` (behind `det` and
 * `slogdet`), so a jitted step that solves stays on the device (targets/webgpu/wgsl-library.ts
 * registers them). They follow core/matrix.ts step for step, in float32:
 *  - LU with partial pivoting, the host's rule (the first row of largest |a[i][k]| wins, a zero
 *    pivot skips its elimination): the same pivots, so results agree closely and a singular
 *    matrix gives the host's inf/NaN;
 *  - Cholesky column by column, NaN from the first non-positive pivot on (as LAPACK-backed JAX).
 *
 * Mapping: one matrix per invocation ("serial", n ≤ SERIAL_MAX: no barriers, a workgroup solves
 * `threads` matrices at once) or one matrix per workgroup ("cooperative": its `groupThreads`
 * invocations own the rows cyclically and share each elimination step, one barrier per pivot).
 * Pivoting permutes an index (`perm`, with its inverse `pos`), not the rows: every invocation
 * finds the same pivot from the same column, and the multipliers go to a block of their own (a
 * step never writes the column it pivots on), so the only barrier a step needs is the one that
 * publishes its eliminated rows. The loop budget of software drivers (wgsl-loops.ts) bounds the
 * iterations of one invocation: a size past it (n ≳ 170 with 64 threads) throws, and the step
 * runs on the host (webgpu.ts turns a render error into a host step with the reason).
 */
import { type DType, sizeOf } from "@kiln/core";
import { type LibrarySpec } from "../../schedule.js";
import { type BufferParam } from "../../kernel.js";
import { WgslWriter } from "./wgsl.js";
import { type WgslProgram, type WgslTuning, gridDims, wgslModule } from "./wgsl-module.js";
import { LOOP_BUDGET, LOOP_LIMIT } from "./wgsl-loops.js";

/** The factorization primitives with a WGSL kernel. */
export const WGSL_LINALG: readonly string[] = ["solve", "cholesky", "detSign", "logAbsDet"];

/**
 * Largest n solved one matrix per invocation. Up to 16 an LU is ≤ ~2,500 loop iterations and a
 * workgroup of matrices keeps every lane busy; past it, a matrix per workgroup shares each
 * elimination step between the rows' owners (LU is n³/3 multiply-adds: n = 64 alone would
 * exceed one invocation's budget).
 */
const SERIAL_MAX = 16;

/** How one dispatch lays matrices out over invocations. */
interface Layout {
  readonly n: number;
  readonly batch: number;
  /** Invocations per matrix: 1 (serial) or the workgroup size (cooperative). */
  readonly per: number;
  /** Workgroup size. */
  readonly threads: number;
  readonly maxGroupsPerDim: number;
}

const ceil = (a: number, b: number) => Math.ceil(a / b);

/** Loop iterations of one invocation: the copy into scratch, `perm`/`pos` setup and the elimination (worst-placed rows). */
function luTrips({ n, per }: Layout): number {
  let trips = ceil(n * n, per) + n;
  const rows = ceil(n, per);
  for (let k = 0; k < n; k++) trips += 1 + (n - k - 1) + rows * (n - k);
  return trips;
}

/** Loop iterations of one invocation of a Cholesky: zeroing its rows' upper parts, then each column. */
function choleskyTrips({ n, per }: Layout): number {
  let trips = ceil(n, per) * (n + 1);
  for (let j = 0; j < n; j++) trips += 1 + j + ceil(n - j, per) * (1 + j);
  return trips;
}

/** Forward and back substitution of the right-hand sides one invocation owns. */
function substitutionTrips({ n, per }: Layout, k: number): number {
  return ceil(k, per) * (1 + 2 * n + n * (n - 1));
}

/** The barrier that publishes one step's rows to the workgroup (none when an invocation owns a whole matrix). */
const barrier = (l: Layout) => (l.per > 1 ? ["storageBarrier();"] : []);

/** Prologue: which matrix (`m_`) and which row owner (`r_`) this invocation is; idle invocations leave (uniformly per workgroup when cooperative). */
function locate(l: Layout): string[] {
  return l.per === 1
    ? [`let m_ = gid * ${l.threads} + lid;`, `let r_ = 0;`, `if (m_ >= ${l.batch}) { return; }`]
    : [`let m_ = gid;`, `let r_ = lid;`, `if (m_ >= ${l.batch}) { return; }`];
}

/**
 * LU of matrix `m_` (input binding `src`) in scratch `lu_`, in core/matrix.ts's luInPlace order.
 * Rows stay in place: `perm[i]` is the row holding pivot row i, `pos` its inverse, `sgn` the
 * permutation's sign. U is eliminated in place at `A` (m_·2n²); the multipliers go to a second
 * n×n block at `L` = A + n², so step k writes nothing into column k of the first block, which
 * slower invocations may still be scanning for step k's pivot — one barrier per step suffices.
 * WGSL has no empty arrays: sizes are at least 1.
 */
function luLines(l: Layout, src: string): string[] {
  const { n, per } = l;
  const N = Math.max(1, n);
  return [
    `let A = m_ * ${2 * n * n};`,
    `let L = A + ${n * n};`,
    `let S = m_ * ${n * n};`,
    `for (var e = r_; e < ${n * n}; e += ${per}) { lu_[A + e] = ${src}[S + e]; }`,
    ...barrier(l),
    `var perm: array<i32, ${N}>;`,
    `var pos: array<i32, ${N}>;`,
    `for (var i = 0; i < ${n}; i++) { perm[i] = i; pos[i] = i; }`,
    `var sgn = 1.0;`,
    `for (var k = 0; k < ${n}; k++) {`,
    // The first row of largest |a[i][k]| (a NaN never wins a comparison, as on the host).
    `  var p = k;`,
    `  var best = abs(lu_[A + perm[k] * ${n} + k]);`,
    `  for (var i = k + 1; i < ${n}; i++) {`,
    `    let v = abs(lu_[A + perm[i] * ${n} + k]);`,
    `    if (v > best) { p = i; best = v; }`,
    `  }`,
    `  if (p != k) {`,
    `    let q = perm[p]; perm[p] = perm[k]; perm[k] = q;`,
    `    pos[q] = k; pos[perm[p]] = p;`,
    `    sgn = -sgn;`,
    `  }`,
    `  let rk = A + perm[k] * ${n};`,
    `  let piv = lu_[rk + k];`,
    // A zero pivot skips the step and leaves a[i][k] as the multiplier (the host's `continue`);
    // a NaN one eliminates (NaN spreads).
    `  let skip = piv == 0.0;`,
    `  for (var q = r_; q < ${n}; q += ${per}) {`,
    `    if (pos[q] > k) {`,
    `      let rq = A + q * ${n};`,
    `      let f = select(lu_[rq + k] / piv, lu_[rq + k], skip);`,
    `      lu_[L + q * ${n} + k] = f;`,
    `      if (!skip) {`,
    `        for (var j = k + 1; j < ${n}; j++) { lu_[rq + j] = lu_[rq + j] - f * lu_[rk + j]; }`,
    `      }`,
    `    }`,
    `  }`,
    ...barrier(l).map((s) => `  ${s}`),
    `}`,
  ];
}

/** A program of one dispatch over `l`; binding 0 the output, then the inputs; `scratch`: the LU's 2n² floats per matrix (U, then L). */
function linalgProgram(spec: LibrarySpec, inDtypes: readonly DType[], l: Layout, trips: number, scratch: boolean, lines: readonly string[]): WgslProgram {
  if (trips > LOOP_BUDGET) {
    throw new Error(`library kernel ${spec.name}: n = ${l.n} needs ${trips} loop iterations per invocation, past the ${LOOP_LIMIT}-iteration budget of software drivers`);
  }
  const params: BufferParam[] = [
    { dtype: spec.dtype, size: sizeOf(spec.outShape), role: "out" },
    ...inDtypes.map((dtype, i) => ({ dtype, size: sizeOf(spec.inShapes[i]!), role: "in" as const })),
  ];
  const w = new WgslWriter(params, []);
  params.forEach((_, i) => w.used.add(i));
  w.written.add(0);
  const groups = l.per === 1 ? ceil(l.batch, l.threads) : l.batch;
  const dims = gridDims(groups, l.maxGroupsPerDim);
  const { source, bindings } = wgslModule(w, [...locate(l), ...lines].map((s) => `  ${s}`), l.threads, dims[0], {
    scratch: scratch ? [{ name: "lu_", slot: 0, type: "f32", written: true }] : [],
  });
  return { dispatches: [{ source, bindings, groups: dims }], scratch: scratch ? [{ size: 2 * l.batch * l.n * l.n, type: "f32" }] : [], paramSizes: new Map() };
}

function solve(spec: LibrarySpec, inDtypes: readonly DType[], l: Layout): WgslProgram {
  const { n, per } = l;
  const k = spec.outShape[spec.outShape.length - 1]!;
  const X = `m_ * ${n * k}`;
  return linalgProgram(spec, inDtypes, l, luTrips(l) + substitutionTrips(l, k), true, [
    ...luLines(l, "b1"),
    // Each invocation owns right-hand sides c ≡ r_ (mod per): L y = P b, then U x = y, in place in the output.
    `let X = ${X};`,
    `for (var c = r_; c < ${k}; c += ${per}) {`,
    `  for (var i = 0; i < ${n}; i++) {`,
    `    let li = L + perm[i] * ${n};`,
    `    var s = b2[X + perm[i] * ${k} + c];`,
    `    for (var j = 0; j < i; j++) { s = s - lu_[li + j] * b0[X + j * ${k} + c]; }`,
    `    b0[X + i * ${k} + c] = s;`,
    `  }`,
    `  for (var i = ${n - 1}; i >= 0; i--) {`,
    `    let ri = A + perm[i] * ${n};`,
    `    var s = b0[X + i * ${k} + c];`,
    `    for (var j = i + 1; j < ${n}; j++) { s = s - lu_[ri + j] * b0[X + j * ${k} + c]; }`,
    `    b0[X + i * ${k} + c] = s / lu_[ri + i];`,
    `  }`,
    `}`,
  ]);
}

/** detSign (the permutation's sign times the pivots' signs, ±0 and NaN kept as Math.sign) or logAbsDet (Σ log|pivot|). */
function determinant(spec: LibrarySpec, inDtypes: readonly DType[], l: Layout, logAbs: boolean): WgslProgram {
  const { n } = l;
  const step = logAbs ? "s = s + log_(abs(d));" : "s = s * select(select(-1.0, 1.0, d > 0.0), d, d == 0.0 || isnan_(d));";
  return linalgProgram(spec, inDtypes, l, luTrips(l) + n, true, [
    ...luLines(l, "b1"),
    `if (r_ == 0) {`,
    `  var s = ${logAbs ? "0.0" : "sgn"};`,
    `  for (var i = 0; i < ${n}; i++) {`,
    `    let d = lu_[A + perm[i] * ${n} + i];`,
    `    ${step}`,
    `  }`,
    `  b0[m_] = s;`,
    `}`,
  ]);
}

function cholesky(spec: LibrarySpec, inDtypes: readonly DType[], l: Layout): WgslProgram {
  const { n, per } = l;
  // The first row ≥ j this invocation owns (rows are owned cyclically: q ≡ r_ mod per).
  const first = per === 1 ? "j" : `j + (r_ + ${per} - j % ${per}) % ${per}`;
  return linalgProgram(spec, inDtypes, l, choleskyTrips(l), false, [
    `let A = m_ * ${n * n};`,
    // L's upper triangle is zero; pooled output buffers hold old values.
    `for (var q = r_; q < ${n}; q += ${per}) { for (var c = q + 1; c < ${n}; c++) { b0[A + q * ${n} + c] = 0.0; } }`,
    `for (var j = 0; j < ${n}; j++) {`,
    // Every invocation computes the pivot from row j's finished entries (no barrier to share it).
    `  let rj = A + j * ${n};`,
    `  var d = b1[rj + j];`,
    `  for (var k = 0; k < j; k++) { let v = b0[rj + k]; d = d - v * v; }`,
    `  let ljj = select(kNaN, sqrt(d), d > 0.0);`,
    `  for (var i = ${first}; i < ${n}; i += ${per}) {`,
    `    let ri = A + i * ${n};`,
    `    if (i == j) { b0[ri + j] = ljj; continue; }`,
    `    var s = b1[ri + j];`,
    `    for (var k = 0; k < j; k++) { s = s - b0[ri + k] * b0[rj + k]; }`,
    `    b0[ri + j] = s / ljj;`,
    `  }`,
    ...barrier(l).map((s) => `  ${s}`),
    `}`,
  ]);
}

/**
 * The WGSL program of a factorization step, or null when `spec` is not one (WGSL_LINALG lists
 * them). Throws when the step must run on the host instead: dtypes other than float32 (float64
 * has no WGSL type; float16 and integer matrices keep the host's float64 arithmetic) or a size
 * past the loop budget.
 * @example
 * renderLinalg({ name: "solve", params: {}, inShapes: [[8, 3, 3], [8, 3, 1]], outShape: [8, 3, 1], dtype: "float32" }, ["float32", "float32"], tuning)
 *   ?.dispatches[0]!.groups; // [1, 1, 1]: one invocation per 3×3 matrix, eight in one workgroup
 */
export function renderLinalg(spec: LibrarySpec, inDtypes: readonly DType[], t: WgslTuning): WgslProgram | null {
  if (!WGSL_LINALG.includes(spec.name)) return null;
  if (spec.dtype !== "float32" || inDtypes.some((d) => d !== "float32")) {
    throw new Error(`library kernel ${spec.name}: ${[spec.dtype, ...inDtypes].find((d) => d !== "float32")} matrices run on the host (the WGSL factorizations are float32)`);
  }
  const shape = spec.inShapes[0]!;
  const n = shape[shape.length - 1]!;
  const batch = sizeOf(shape.slice(0, -2));
  if (sizeOf(spec.outShape) === 0) return { dispatches: [], scratch: [], paramSizes: new Map() };
  const { maxGroupsPerDim } = t;
  const l: Layout = n <= SERIAL_MAX ? { n, batch, per: 1, threads: t.threads, maxGroupsPerDim } : { n, batch, per: t.groupThreads, threads: t.groupThreads, maxGroupsPerDim };
  switch (spec.name) {
    case "solve": return solve(spec, inDtypes, l);
    case "cholesky": return cholesky(spec, inDtypes, l);
    case "detSign": return determinant(spec, inDtypes, l, false);
    default: return determinant(spec, inDtypes, l, true);
  }
}
