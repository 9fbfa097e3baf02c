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
 * Mapping (`layoutFor`): one matrix per invocation ("serial", n ≤ SERIAL_MAX: no barriers, a
 * workgroup solves `threads` matrices at once) or one matrix per workgroup ("cooperative": its 8,
 * 16, … invocations own the rows cyclically and share each elimination step, one barrier per pivot).
 * Pivoting permutes an index (`perm`, with its inverse `pos`), not the rows: every invocation
 * finds the same pivot from the same column, and the multipliers go to a block of their own, or
 * nowhere for a determinant (a step never writes the column it pivots on), so the only barrier a
 * step needs is the one that publishes its eliminated rows. The loop budget of software drivers
 * (wgsl-loops.ts) bounds the iterations of one invocation: a size past it (with 64 threads:
 * solve n > 145 for one right-hand side, inv n > 128, det/slogdet n > 177, cholesky n > 217)
 * throws, and the step runs on the host (webgpu.ts turns a render error into a host step with
 * the reason).
 */
import { type DType, sizeOf } from "@kiln/core";
import { type LibrarySpec } from "../../schedule.js";
import { type WgslProgram, type WgslTuning, gridDims, libraryWriter, wgslModule } from "./wgsl-module.js";
import { LOOP_BUDGET, LOOP_LIMIT } from "./wgsl-loops.js";

/**
 * Largest n solved one matrix per invocation (when its loop iterations fit the budget). Such a
 * kernel has no barrier and a workgroup solves `threads` matrices at once: under load on llvmpipe
 * 16 matrices of 32×32 took ~17 ms this way against ~50 ms with a workgroup per matrix, and single
 * matrices up to 32 were within the noise of either. Past it a matrix per workgroup shares each
 * elimination step (an LU is n³/3 multiply-adds: n = 64 alone exceeds one invocation's budget).
 */
const SERIAL_MAX = 32;

/**
 * Largest LU scratch (bytes): WebGPU's guaranteed `maxStorageBufferBindingSize` (128 MiB). A
 * solve's scratch is twice its matrices, so matrices that fit a binding may not: those run on the host.
 */
const SCRATCH_MAX_BYTES = 1 << 27;

/** How one dispatch lays matrices out over invocations. */
interface Layout {
  readonly n: number;
  readonly batch: number;
  /** Invocations per matrix: 1 (serial) or the workgroup size (cooperative: a power of two ≥ 8). */
  readonly per: number;
  /** Workgroup size. */
  readonly threads: number;
  readonly maxGroupsPerDim: number;
}

const ceil = (a: number, b: number) => Math.ceil(a / b);

/**
 * Loop iterations of one invocation of an LU: the copy into scratch, `perm`/`pos` setup, then per
 * step the pivot search, the walk over its rows and the elimination of the active ones (at worst
 * all n − k − 1 active rows are its own).
 */
function luTrips({ n, per }: Layout): number {
  const rows = ceil(n, per);
  let trips = ceil(n * n, per) + n;
  for (let k = 0; k < n; k++) trips += 1 + (n - k - 1) + rows + Math.min(rows, n - k - 1) * (n - k - 1);
  return trips;
}

/** Loop iterations of one invocation of a Cholesky: zeroing its rows' upper parts, then per column the pivot and its rows below. */
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
 * permutation's sign. U is eliminated in place at `A`; with `keepL` the multipliers go to a
 * second n×n block at `L` = A + n² (`blocks` = 2), else they are not stored (a determinant needs
 * U only). Either way step k writes nothing into column k of U's block, which slower invocations
 * may still be scanning for step k's pivot — one barrier per step suffices.
 * WGSL has no empty arrays: sizes are at least 1.
 */
function luLines(l: Layout, src: string, keepL: boolean): string[] {
  const { n, per } = l;
  const N = Math.max(1, n);
  return [
    `let A = m_ * ${(keepL ? 2 : 1) * n * n};`,
    ...(keepL ? [`let L = A + ${n * n};`] : []),
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
    ...(keepL ? [`      lu_[L + q * ${n} + k] = f;`] : []),
    `      if (!skip) {`,
    `        for (var j = k + 1; j < ${n}; j++) { lu_[rq + j] = lu_[rq + j] - f * lu_[rk + j]; }`,
    `      }`,
    `    }`,
    `  }`,
    ...barrier(l).map((s) => `  ${s}`),
    `}`,
  ];
}

/** A factorization's kernel: its loop iterations per invocation under a layout, the n×n scratch blocks per matrix it needs (LU's U, L), its body. */
interface LinalgKernel {
  readonly trips: (l: Layout) => number;
  readonly blocks: 0 | 1 | 2;
  readonly lines: (l: Layout) => string[];
}

function solve(spec: LibrarySpec): LinalgKernel {
  const k = spec.outShape[spec.outShape.length - 1]!;
  return {
    trips: (l) => luTrips(l) + substitutionTrips(l, k),
    blocks: 2,
    lines: (l) => {
      const { n, per } = l;
      return [
        ...luLines(l, "b1", true),
        // Each invocation owns right-hand sides c ≡ r_ (mod per): L y = P b, then U x = y, in place in the output.
        `let X = m_ * ${n * k};`,
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
      ];
    },
  };
}

/** detSign (the permutation's sign times the pivots' signs, ±0 and NaN kept as Math.sign) or logAbsDet (Σ log|pivot|). */
function determinant(logAbs: boolean): LinalgKernel {
  const step = logAbs ? "s = s + log_(abs(d));" : "s = s * select(select(-1.0, 1.0, d > 0.0), d, d == 0.0 || isnan_(d));";
  return {
    trips: (l) => luTrips(l) + l.n,
    blocks: 1,
    lines: (l) => [
      ...luLines(l, "b1", false),
      `if (r_ == 0) {`,
      `  var s = ${logAbs ? "0.0" : "sgn"};`,
      `  for (var i = 0; i < ${l.n}; i++) {`,
      `    let d = lu_[A + perm[i] * ${l.n} + i];`,
      `    ${step}`,
      `  }`,
      `  b0[m_] = s;`,
      `}`,
    ],
  };
}

const cholesky: LinalgKernel = {
  trips: choleskyTrips,
  blocks: 0,
  lines: (l) => {
    const { n, per } = l;
    // The first row ≥ j this invocation owns (rows are owned cyclically: q ≡ r_ mod per).
    const first = per === 1 ? "j" : `j + (r_ + ${per} - j % ${per}) % ${per}`;
    return [
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
    ];
  },
};

type LinalgPrim = "solve" | "cholesky" | "detSign" | "logAbsDet";

const KERNELS: { readonly [P in LinalgPrim]: (spec: LibrarySpec) => LinalgKernel } = {
  solve,
  cholesky: () => cholesky,
  detSign: () => determinant(false),
  logAbsDet: () => determinant(true),
};

/** The factorization primitives with a WGSL kernel. */
export const WGSL_LINALG: readonly string[] = Object.keys(KERNELS);

/**
 * The layout of `n`×`n` matrices: one per invocation up to SERIAL_MAX, else the fewest invocations
 * per matrix — 8, 16, … up to `groupThreads` — whose loop iterations fit the budget. Fewest,
 * because every invocation of the workgroup waits at each step's barrier: on llvmpipe a barrier
 * switches through every group of 8 lanes, and a batch of 64×64 matrices ran ~1.7x faster with
 * 8 invocations each than with 64. Null when no layout fits (the step runs on the host).
 */
function layoutFor(kernel: LinalgKernel, n: number, batch: number, t: WgslTuning): { layout: Layout | null; trips: number } {
  const { maxGroupsPerDim } = t;
  if (n <= SERIAL_MAX) {
    const layout: Layout = { n, batch, per: 1, threads: t.threads, maxGroupsPerDim };
    if (kernel.trips(layout) <= LOOP_BUDGET) return { layout, trips: kernel.trips(layout) };
  }
  let trips = Infinity;
  for (let per = Math.min(8, t.groupThreads); per <= t.groupThreads; per *= 2) {
    const layout: Layout = { n, batch, per, threads: per, maxGroupsPerDim };
    trips = kernel.trips(layout);
    if (trips <= LOOP_BUDGET) return { layout, trips };
  }
  return { layout: null, trips };
}

/**
 * The WGSL program of a factorization step, or null when `spec` is not one (WGSL_LINALG lists
 * them). Throws when the step must run on the host instead: dtypes other than float32 (float64
 * has no WGSL type; float16 keeps the host's float64 arithmetic, rounded once) or a size past the
 * loop budget.
 * @example
 * renderLinalg({ name: "solve", params: {}, inShapes: [[8, 3, 3], [8, 3, 1]], outShape: [8, 3, 1], dtype: "float32" }, ["float32", "float32"], tuning)
 *   ?.dispatches[0]!.groups; // [1, 1, 1]: one invocation per 3×3 matrix, eight in one workgroup
 */
export function renderLinalg(spec: LibrarySpec, inDtypes: readonly DType[], t: WgslTuning): WgslProgram | null {
  if (!(spec.name in KERNELS)) return null;
  if (spec.dtype !== "float32" || inDtypes.some((d) => d !== "float32")) {
    throw new Error(`library kernel ${spec.name}: ${[spec.dtype, ...inDtypes].find((d) => d !== "float32")} matrices run on the host (the WGSL factorizations are float32)`);
  }
  const shape = spec.inShapes[0]!;
  const n = shape[shape.length - 1]!;
  const batch = sizeOf(shape.slice(0, -2));
  if (sizeOf(spec.outShape) === 0) return { dispatches: [], scratch: [], paramSizes: new Map() };
  const kernel = KERNELS[spec.name as LinalgPrim](spec);
  const { layout: l, trips } = layoutFor(kernel, n, batch, t);
  if (!l) throw new Error(`library kernel ${spec.name}: n = ${n} needs ${trips} loop iterations per invocation, past the ${LOOP_LIMIT}-iteration budget of software drivers`);
  // n = 0 (det of 0×0 matrices, 1): the kernel still names its scratch, so it gets one element.
  const scratch = kernel.blocks * batch * Math.max(1, n * n);
  if (scratch * 4 > SCRATCH_MAX_BYTES) throw new Error(`library kernel ${spec.name}: ${scratch * 4} bytes of LU scratch exceed one storage binding (${SCRATCH_MAX_BYTES})`);
  const w = libraryWriter(spec, inDtypes);
  const dims = gridDims(l.per === 1 ? ceil(batch, l.threads) : batch, l.maxGroupsPerDim);
  const { source, bindings } = wgslModule(w, [...locate(l), ...kernel.lines(l)].map((s) => `  ${s}`), l.threads, dims[0], {
    scratch: scratch ? [{ name: "lu_", slot: 0, type: "f32", written: true }] : [],
  });
  return { dispatches: [{ source, bindings, groups: dims }], scratch: scratch ? [{ size: scratch, type: "f32" }] : [], paramSizes: new Map() };
}
