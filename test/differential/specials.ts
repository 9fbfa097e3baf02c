/**
 * The special-value table: every primitive × every dtype it accepts × the values that break
 * kernels — NaN, ±inf, ±0, the smallest subnormal, the largest finite float32, int32 min/max —
 * built directly on the primitive (`npUtil.apply`) and compared element by element with the
 * float64 interpreter. Elementwise dtypes come from the primitive table itself (`infer` accepts
 * or throws), so a primitive gaining a dtype is tested with it; the table type makes a primitive
 * without an entry a compile error.
 *
 * Comparison: int32/bool exact; float32 within rtol 1e-5 (the conformance rtol: transcendental
 * functions are not correctly rounded) but with atol 0 and the sign of zero checked, since the
 * point here is the special values themselves (a subnormal within 1e-6 of 0 is not "equal").
 */
import { type DType, type Tensor, np } from "kiln";
import { type Node, type Prim, BINARY_PRIMS, PRIMITIVES, UNARY_PRIMS, hostValues, interpret, npUtil, toTyped } from "kiln/internal";
import { cond, scan } from "@kiln/transforms";
import { tensor } from "../conformance/suite.js";

const F32_MAX = 3.4028234663852886e38;
const F32_TINY = 2 ** -149;
export const FLOAT_SPECIALS: readonly number[] = [NaN, Infinity, -Infinity, 0, -0, F32_TINY, -F32_TINY, F32_MAX, -F32_MAX, 1, -2.5];
export const INT_SPECIALS: readonly number[] = [-(2 ** 31), 2 ** 31 - 1, 0, -1, 1, 7];
export const BOOL_SPECIALS: readonly number[] = [0, 1];
const VALUES: Record<"float32" | "int32" | "bool", readonly number[]> = { float32: FLOAT_SPECIALS, int32: INT_SPECIALS, bool: BOOL_SPECIALS };
const DTYPES = ["float32", "int32", "bool"] as const;
type Dt = (typeof DTYPES)[number];

/** One row of the table: built lazily, with the operand values of every output element. */
export interface SpecialCase {
  readonly prim: Prim;
  readonly name: string;
  readonly build: () => Tensor;
  /** The operand values behind output element i (for messages and deviations). */
  readonly operands: (i: number) => number[];
}

const vec = (dt: Dt, vals: readonly number[], shape: readonly number[] = [vals.length]) => tensor(dt, shape, (i) => vals[i]!);
const apply = npUtil.apply;

/** Does the primitive's shape/dtype rule accept these operand dtypes? */
function accepts(p: Prim, dts: readonly Dt[]): boolean {
  try {
    (PRIMITIVES[p].infer as (a: unknown[], p: unknown) => unknown)(dts.map((dtype) => ({ shape: [2], dtype })), {});
    return true;
  } catch {
    return false;
  }
}

function unaryCases(p: Prim): SpecialCase[] {
  return DTYPES.filter((dt) => accepts(p, [dt])).map((dt) => ({
    prim: p, name: `${p}(${dt})`, build: () => apply(p as never, [vec(dt, VALUES[dt])], {} as never), operands: (i) => [VALUES[dt][i]!],
  }));
}

/** Every ordered pair of special values: a on rows, b on columns. */
function binaryCases(p: Prim): SpecialCase[] {
  return DTYPES.filter((dt) => accepts(p, [dt, dt])).map((dt) => {
    const v = VALUES[dt], n = v.length;
    const a = () => vec(dt, Array.from({ length: n * n }, (_, i) => v[Math.floor(i / n)]!), [n, n]);
    const b = () => vec(dt, Array.from({ length: n * n }, (_, i) => v[i % n]!), [n, n]);
    return { prim: p, name: `${p}(${dt}, ${dt})`, build: () => apply(p as never, [a(), b()], {} as never), operands: (i) => [v[Math.floor(i / n)]!, v[i % n]!] };
  });
}

/** Each special value with two ordinary neighbours per row (reduced along axis 1), all of them in one column (axis 0). */
function reduceCases(p: Prim, params: (axis: number) => object, dts: readonly Dt[] = DTYPES): SpecialCase[] {
  return dts.flatMap((dt) => {
    const v = VALUES[dt], n = v.length;
    const other = dt === "bool" ? [1, 0] : [1, -2];
    const rows = v.flatMap((x) => [x, ...other]);
    return [1, 0].map((axis) => ({
      prim: p, name: `${p}(${dt}) axis ${axis}`,
      build: () => apply(p as never, [vec(dt, rows, [n, 3])], params(axis) as never),
      operands: (i: number) => (axis === 1 ? [v[i]!, ...other] : v.map((_, r) => rows[r * 3 + i]!)),
    }));
  }).filter((c) => {
    try {
      c.build();
      return true;
    } catch {
      return false;
    }
  });
}

/** Special values carried by a movement/indexing op: they must arrive bit-exact (NaN, -0). */
function carried(p: Prim, f: (x: Tensor) => Tensor, dts: readonly Dt[] = DTYPES): SpecialCase[] {
  return dts.map((dt) => ({ prim: p, name: `${p}(${dt})`, build: () => f(vec(dt, VALUES[dt], [VALUES[dt].length, 1])), operands: () => [] }));
}

const n = FLOAT_SPECIALS.length;
const idx = (vals: number[]) => vec("int32", vals);
const INDEX_EXTREMES = [-(2 ** 31), 2 ** 31 - 1, 0, -1, 3];

/** A 2×2 matrix per special value (in the corner), batched. */
const specialMatrices = () => vec("float32", FLOAT_SPECIALS.flatMap((v) => [v, 0.5, 0.25, 2]), [n, 2, 2]);

export const SPECIAL_CASES: { readonly [P in Prim]: readonly SpecialCase[] | { readonly skip: string } } = {
  const: FLOAT_SPECIALS.map((v) => ({ prim: "const" as const, name: `const ${v}`, build: () => npUtil.fullRaw([2], v, "float32"), operands: () => [v] }))
    .concat(INT_SPECIALS.map((v) => ({ prim: "const" as const, name: `const int32 ${v}`, build: () => npUtil.fullRaw([2], v, "int32"), operands: () => [v] }))),
  data: carried("data", (x) => apply("neg", [apply("neg", [x], {})], {}), ["float32", "int32"]),
  input: { skip: "a trace placeholder has no value" },
  iota: { skip: "iota produces 0..n-1 only" },
  ...(Object.fromEntries(UNARY_PRIMS.map((p) => [p, unaryCases(p)])) as { [P in (typeof UNARY_PRIMS)[number]]: SpecialCase[] }),
  ...(Object.fromEntries(BINARY_PRIMS.map((p) => [p, binaryCases(p)])) as { [P in (typeof BINARY_PRIMS)[number]]: SpecialCase[] }),
  cast: DTYPES.flatMap((from) => DTYPES.map((to) => ({
    prim: "cast" as const, name: `cast ${from} → ${to}`, build: () => apply("cast", [vec(from, VALUES[from])], { dtype: to }), operands: (i: number) => [VALUES[from][i]!],
  }))),
  bitcast: [
    { prim: "bitcast", name: "bitcast float32 → int32", build: () => apply("bitcast", [vec("float32", FLOAT_SPECIALS.filter((v) => !Number.isNaN(v)))], { dtype: "int32" }), operands: (i: number) => [FLOAT_SPECIALS.filter((v) => !Number.isNaN(v))[i]!] },
    { prim: "bitcast", name: "bitcast int32 → float32", build: () => apply("bitcast", [vec("int32", INT_SPECIALS)], { dtype: "float32" }), operands: (i: number) => [INT_SPECIALS[i]!] },
  ],
  select: DTYPES.map((dt) => ({
    prim: "select" as const, name: `select(${dt})`,
    build: () => apply("select", [vec("bool", VALUES[dt].map((_, i) => i % 2)), vec(dt, VALUES[dt]), vec(dt, [...VALUES[dt]].reverse())], {}),
    operands: (i: number) => [VALUES[dt][i]!],
  })),
  reduceSum: reduceCases("reduceSum", (a) => ({ axes: [a] }), ["float32", "int32"]),
  reduceProd: reduceCases("reduceProd", (a) => ({ axes: [a] }), ["float32", "int32"]),
  reduceMax: reduceCases("reduceMax", (a) => ({ axes: [a] })),
  reduceMin: reduceCases("reduceMin", (a) => ({ axes: [a] })),
  argmax: reduceCases("argmax", (a) => ({ axis: a }), ["float32", "int32"]),
  argmin: reduceCases("argmin", (a) => ({ axis: a }), ["float32", "int32"]),
  cumsum: [
    ...reduceCases("cumsum", (a) => ({ axis: a, reverse: false }), ["float32", "int32"]),
    // Item 8: NumPy flattens a 0-d input.
    { prim: "cumsum", name: "np.cumsum of a 0-d value", build: () => np.cumsum(vec("float32", [5], []), { axis: 0 }), operands: () => [5] },
  ],
  reshape: carried("reshape", (x) => apply("reshape", [x], { shape: [x.size] })),
  broadcast: carried("broadcast", (x) => apply("broadcast", [x], { shape: [2, x.shape[0]!, 3], dims: [1, 2] })),
  transpose: carried("transpose", (x) => apply("transpose", [x], { perm: [1, 0] })),
  slice: carried("slice", (x) => apply("slice", [x], { start: [1, 0], stop: [x.shape[0]!, 1], step: [2, 1] })),
  flip: carried("flip", (x) => apply("flip", [x], { axes: [0] })),
  pad: [...carried("pad", (x) => apply("pad", [x], { lo: [1, 0], hi: [2, 1], value: 0 })),
    ...[NaN, -Infinity, -0].map((value) => ({ prim: "pad" as const, name: `pad value ${value}`, build: () => apply("pad", [vec("float32", [1, 2])], { lo: [2], hi: [1], value }), operands: () => [value] }))],
  concatenate: carried("concatenate", (x) => apply("concatenate", [x, apply("neg", [x], {})], { axis: 0 }), ["float32", "int32"]),
  matmul: ["float32", "int32"].map((dt) => {
    const v = VALUES[dt as Dt];
    return { prim: "matmul" as const, name: `matmul(${dt}) outer products`, build: () => apply("matmul", [vec(dt as Dt, v, [v.length, 1]), vec(dt as Dt, v, [1, v.length])], {}), operands: (i: number) => [v[Math.floor(i / v.length)]!, v[i % v.length]!] };
  }).concat(["float32", "int32"].map((dt) => {
    const v = VALUES[dt as Dt];
    return { prim: "matmul" as const, name: `matmul(${dt}) dot of a row with ones`, build: () => apply("matmul", [vec(dt as Dt, v, [1, v.length]), npUtil.fullRaw([v.length, 1], 1, dt as DType)], {}), operands: () => [...v] };
  })),
  gather: [
    ...carried("gather", (x) => apply("gather", [x, idx([2, 0, 1])], { axis: 0 })),
    { prim: "gather", name: "gather clamps int32-extreme indices", build: () => apply("gather", [vec("float32", FLOAT_SPECIALS), idx(INDEX_EXTREMES)], { axis: 0 }), operands: (i) => [INDEX_EXTREMES[i]!] },
  ],
  scatterAdd: [
    { prim: "scatterAdd", name: "scatterAdd of specials, int32-extreme indices dropped", build: () => apply("scatterAdd", [vec("float32", FLOAT_SPECIALS), idx(INDEX_EXTREMES), vec("float32", [1, 2, NaN, -0, Infinity])], { axis: 0 }), operands: () => [] },
    { prim: "scatterAdd", name: "scatterAdd int32 wraps", build: () => apply("scatterAdd", [vec("int32", INT_SPECIALS), idx([0, 1, 1]), vec("int32", [-1, 1, 2 ** 31 - 1])], { axis: 0 }), operands: () => [] },
  ],
  // Every special value (and int32 extreme, bool) sorted, with its input position carried: NaN
  // last, -0 and +0 equal (kept in input order), bit-exact on every backend.
  sort: DTYPES.map((dt) => ({
    prim: "sort" as const, name: `sort(${dt}) with positions`,
    build: () => apply("sort", [vec(dt, VALUES[dt]), vec("int32", VALUES[dt].map((_, i) => i))], { dimension: 0, numKeys: 1, index: 1 }),
    operands: () => [],
  })).concat(DTYPES.map((dt) => ({
    prim: "sort" as const, name: `sort(${dt}) values`,
    build: () => apply("sort", [vec(dt, VALUES[dt])], { dimension: 0, numKeys: 1, index: 0 }),
    operands: () => [],
  }))),
  scatter: [
    { prim: "scatter", name: "scatter of specials, int32-extreme indices dropped", build: () => apply("scatter", [vec("float32", FLOAT_SPECIALS), idx(INDEX_EXTREMES), vec("float32", [NaN, -0, Infinity, -Infinity, F32_TINY])], { axis: 0 }), operands: () => [] },
  ],
  solve: [{ prim: "solve", name: "solve with a special in the matrix", build: () => apply("solve", [specialMatrices(), vec("float32", Array(n * 2).fill(1), [n, 2, 1])], {}), operands: (i) => [FLOAT_SPECIALS[Math.floor(i / 2)]!] }],
  cholesky: [{ prim: "cholesky", name: "cholesky with a special in the corner", build: () => apply("cholesky", [specialMatrices()], {}), operands: (i) => [FLOAT_SPECIALS[Math.floor(i / 4)]!] }],
  detSign: [{ prim: "detSign", name: "detSign with a special in the corner", build: () => apply("detSign", [specialMatrices()], {}), operands: (i) => [FLOAT_SPECIALS[i]!] }],
  logAbsDet: [{ prim: "logAbsDet", name: "logAbsDet with a special in the corner", build: () => apply("logAbsDet", [specialMatrices()], {}), operands: (i) => [FLOAT_SPECIALS[i]!] }],
  svd: [
    { prim: "svd", name: "svd values with a special in the corner", build: () => apply("svd", [specialMatrices()], { fullMatrices: true, index: 0 }), operands: (i) => [FLOAT_SPECIALS[Math.floor(i / 2)]!] },
    { prim: "svd", name: "svd u with a special in the corner", build: () => apply("svd", [specialMatrices()], { fullMatrices: true, index: 1 }), operands: (i) => [FLOAT_SPECIALS[Math.floor(i / 4)]!] },
  ],
  cond: [true, false].map((p) => ({
    prim: "cond" as const, name: `cond ${p} branch carries specials`,
    build: () => cond(vec("bool", [+p], []), (x: Tensor) => x.mul(1), (x: Tensor) => x.neg(), vec("float32", FLOAT_SPECIALS)) as Tensor,
    operands: (i: number) => [FLOAT_SPECIALS[i]!],
  })),
  while: { skip: "a loop of specials is a loop of the elementwise ops above (the carry is covered by scan)" },
  scan: [{
    prim: "scan", name: "scan sums rows of specials",
    build: () => (scan((c: Tensor, x: Tensor) => [c.add(x), c], vec("float32", Array(n).fill(0)), vec("float32", [...FLOAT_SPECIALS, ...FLOAT_SPECIALS.map((v) => -v)], [2, n])) as Tensor[])[0]!,
    operands: (i: number) => [FLOAT_SPECIALS[i]!, -FLOAT_SPECIALS[i]!],
  }],
  // A non-finite entry makes every output NaN (as LAPACK-backed JAX); finite extremes go through Jacobi.
  eigh: [0, 1].map((index) => ({ prim: "eigh" as const, name: `eigh output ${index} with a special in the corner`, build: () => apply("eigh", [specialMatrices()], { index }), operands: (i: number) => [FLOAT_SPECIALS[Math.floor(i / (2 + 2 * index))]!] })),
  qr: [0, 1].map((index) => ({ prim: "qr" as const, name: `qr output ${index} with a special in the corner`, build: () => apply("qr", [specialMatrices()], { index, complete: false }), operands: (i: number) => [FLOAT_SPECIALS[Math.floor(i / 4)]!] })),
  lu: [0, 1, 2].map((index) => ({ prim: "lu" as const, name: `lu output ${index} with a special in the corner`, build: () => apply("lu", [specialMatrices()], { index }), operands: (i: number) => [FLOAT_SPECIALS[Math.floor(i / (index === 0 ? 4 : 2))]!] })),
  // A special in the first entry of each length-4 row (radix-2) spreads through that row only.
  fft: [0, 1].map((index) => ({
    prim: "fft" as const, name: `fft output ${index} of rows with a special first`,
    build: () => apply("fft", [vec("float32", FLOAT_SPECIALS.flatMap((v) => [v, 0.5, 0.25, 2]), [n, 4]), vec("float32", FLOAT_SPECIALS.flatMap(() => [0, -1, 0.5, 0]), [n, 4])], { inverse: false, index }),
    operands: (i: number) => [FLOAT_SPECIALS[Math.floor(i / 4)]!],
  })),
  // A special leading coefficient of each cubic (0 lowers the degree: a trailing NaN root).
  polyRoots: [0, 1].map((index) => ({
    prim: "polyRoots" as const, name: `polyRoots output ${index} with a special leading coefficient`,
    build: () => apply("polyRoots", [vec("float32", FLOAT_SPECIALS.flatMap((v) => [v, -2, 0.5, 3]), [n, 4])], { index }),
    operands: (i: number) => [FLOAT_SPECIALS[Math.floor(i / 3)]!],
  })),
};

/** One element of a case that differs from the reference. */
export interface SpecialDiff {
  readonly index: number;
  readonly operands: readonly number[];
  readonly got: number;
  readonly want: number;
}

/** Element comparison of the table (see the file comment). */
function sameSpecial(g: number, w: number, dt: DType): boolean {
  if (dt !== "float32") return g === w;
  if (Number.isNaN(w)) return Number.isNaN(g);
  if (w === 0) return Object.is(g, w);
  if (!Number.isFinite(w)) return g === w;
  return Math.abs(g - w) <= 1e-5 * Math.abs(w);
}

/** The reference of a case (build it fresh; do not realize it first). */
export function specialReference(t: Tensor): { node: Node; want: ArrayLike<number> } {
  return { node: t.node, want: hostValues(toTyped(interpret([t.node])[0]!, t.dtype), t.dtype) };
}

/** The elements of `got` that differ from `want`. */
export function specialDiffs(c: SpecialCase, dt: DType, want: ArrayLike<number>, got: ArrayLike<number>): SpecialDiff[] {
  const out: SpecialDiff[] = [];
  if (want.length !== got.length) return [{ index: -1, operands: [], got: got.length, want: want.length }];
  for (let i = 0; i < want.length; i++) {
    if (!sameSpecial(got[i]!, want[i]!, dt)) out.push({ index: i, operands: c.operands(i), got: got[i]!, want: want[i]! });
  }
  return out;
}
