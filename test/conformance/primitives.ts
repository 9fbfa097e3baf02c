/**
 * Conformance cases per primitive (typed so that a primitive without cases is a compile error).
 * Each case builds the primitive directly (`npUtil.apply`) on deterministic data that includes
 * the awkward values: signed zeros, NaN, infinities, integer overflow, empty and scalar shapes.
 */
import {
  BINARY_OPS, type BinaryPrim, ConcretizationError, type DType, PRIMITIVES, type Prim, type ReducePrim, type Tensor, UNARY_OPS,
  type UnaryPrim, type UnaryRow, makeNode, mapRows, npUtil, Tensor as TensorClass,
} from "@kiln/core";
import { cond, scan, whileLoop } from "@kiln/transforms";
import { type Case, bools, floats, ints, tensor } from "./suite.js";

const { apply } = npUtil;
const SHAPES: readonly (readonly number[])[] = [[], [0], [17], [3, 5], [2, 3, 4]];

/** Float unary op over every shape, float32 and float64, special values included. */
function unaryCases(p: UnaryPrim, opts: { lo?: number; hi?: number; ints?: boolean; bools?: boolean } = {}): Case[] {
  const cases: Case[] = [];
  for (const dtype of ["float32", "float64"] as DType[]) {
    for (const shape of SHAPES) {
      cases.push({ name: `${dtype}[${shape}]`, build: () => apply(p, [floats(shape, { dtype, lo: opts.lo, hi: opts.hi, specials: true })], {}) });
    }
  }
  if (opts.ints) {
    cases.push({ name: "int32 with overflow", build: () => apply(p, [tensor("int32", [6], (i) => [-(2 ** 31), 2 ** 31 - 1, 0, -5, 7, 1][i]!)], {}) });
    for (const [dtype, vals] of UNSIGNED_SPECIALS) cases.push({ name: `${dtype} specials`, build: () => apply(p, [tensor(dtype, [vals.length], (i) => vals[i]!)], {}) });
  }
  if (opts.bools) cases.push({ name: "bool", build: () => apply(p, [bools([9])], {}) });
  return cases;
}

const FLOAT_BINARY_SPECIALS = [0, -0, 1, -1, NaN, Infinity, -Infinity, 2.5, -2.5, 1e30];

/** Unsigned values at the edges: 0, the largest value, the sign bit of int32 (uint32), small counts. */
const UNSIGNED_SPECIALS: readonly (readonly ["uint8" | "uint32", readonly number[]])[] = [
  ["uint8", [0, 255, 1, 128, 200, 7, 16, 3, 254, 2, 31, 100]],
  ["uint32", [0, 2 ** 32 - 1, 1, 2 ** 31, 3e9, 7, 65536, 3, 2 ** 32 - 2, 2, 31, 46341]],
];
/** Floats cast to unsigned types: NaN, ±inf, negatives and values past 2^32 (truncated, then wrapped). */
const CAST_FLOATS = [0, -0, 1.9, -1.9, 255.5, 256, -1, NaN, Infinity, -Infinity, 3e9, 5e9, -3e9, 1e30, 0.5];
/** Second operands: zero divisors, shift counts around the width, and wrap-around partners. */
const UNSIGNED_PARTNERS: readonly (readonly number[])[] = [
  [3, 1, 0, 2, 100, 8, 16, 0, 255, 33, 7, 3],
  [3, 1, 0, 2, 3e9, 32, 65536, 0, 2 ** 32 - 1, 33, 31, 46341],
];

/** Binary op: random floats, a grid of special pairs, int32 with zeros and overflow, bool. */
function binaryCases(p: BinaryPrim, kinds: { float?: boolean; int?: boolean; uint?: boolean; bool?: boolean } = { float: true, int: true, uint: true }): Case[] {
  const cases: Case[] = [];
  if (kinds.float) {
    for (const dtype of ["float32", "float64"] as DType[]) {
      cases.push({ name: `${dtype}[3,5]`, build: () => apply(p, [floats([3, 5], { dtype }), floats([3, 5], { dtype })], {}) });
    }
    const n = FLOAT_BINARY_SPECIALS.length;
    cases.push({
      name: "float32 special-value grid",
      build: () => apply(p, [
        tensor("float32", [n, n], (i) => FLOAT_BINARY_SPECIALS[Math.floor(i / n)]!),
        tensor("float32", [n, n], (i) => FLOAT_BINARY_SPECIALS[i % n]!),
      ], {}),
    });
    cases.push({ name: "scalars", build: () => apply(p, [floats([]), floats([])], {}) });
    cases.push({ name: "empty", build: () => apply(p, [floats([0, 3]), floats([0, 3])], {}) });
  }
  if (kinds.int) {
    const a = [7, -7, 7, -7, 0, 2 ** 31 - 1, -(2 ** 31), 3, 46341, -1, 5, 2];
    const b = [2, 2, -2, -2, 3, 1, 1, 0, 46341, 40, -1, 31];
    cases.push({ name: "int32 signs, zero divisors, overflow", build: () => apply(p, [tensor("int32", [12], (i) => a[i]!), tensor("int32", [12], (i) => b[i]!)], {}) });
    cases.push({ name: "int32 random", build: () => apply(p, [ints([4, 6]), ints([4, 6], 0, 12)], {}) });
  }
  if (kinds.uint) {
    UNSIGNED_SPECIALS.forEach(([dtype, a], k) => {
      const b = UNSIGNED_PARTNERS[k]!;
      cases.push({ name: `${dtype} wrap-around, zero divisors, wide shifts`, build: () => apply(p, [tensor(dtype, [12], (i) => a[i]!), tensor(dtype, [12], (i) => b[i]!)], {}) });
    });
  }
  if (kinds.bool) cases.push({ name: "bool", build: () => apply(p, [bools([3, 4]), bools([3, 4])], {}) });
  return cases;
}

/** The dtypes among float32, int32 and bool whose operands the primitive's dtype rule accepts. */
function accepted(p: UnaryPrim | BinaryPrim, arity: 1 | 2): { float: boolean; int: boolean; uint: boolean; bool: boolean } {
  const ok = (dtype: DType) => {
    try {
      PRIMITIVES[p].infer!(Array.from({ length: arity }, () => ({ shape: [2], dtype })), {});
      return true;
    } catch {
      return false;
    }
  };
  return { float: ok("float32"), int: ok("int32"), uint: ok("uint32"), bool: ok("bool") };
}

/**
 * Every row gets cases for each dtype its rule accepts, so a new elementwise primitive is covered
 * without an entry here; the entries below override these where an op needs a narrower domain
 * or extra cases.
 */
const ROW_CASES = {
  ...mapRows(UNARY_OPS, (p): readonly Case[] => {
    const { float, int } = accepted(p, 1);
    const row: UnaryRow = UNARY_OPS[p];
    // A bool-valued op on ints (isnan, isinf) has no overflow to test; bool-only ops get bool operands only.
    if (float) return unaryCases(p, { ints: int && !row.dtypes.out });
    return [{ name: "bool", build: () => apply(p, [bools([3, 4])], {}) }, { name: "scalar", build: () => apply(p, [bools([])], {}) }];
  }),
  ...mapRows(BINARY_OPS, (p): readonly Case[] => binaryCases(p, accepted(p, 2))),
};

/** Reduction over several axis sets (adjacent, non-adjacent, all, none), empty axes and dtypes. */
function reduceCases(p: ReducePrim): Case[] {
  const r = (x: Tensor, axes: number[]) => apply(p, [x], { axes });
  const cases: Case[] = [
    { name: "vector", build: () => r(floats([1000]), [0]) },
    { name: "rows [3,5] axis 1", build: () => r(floats([3, 5]), [1]) },
    { name: "columns [3,5] axis 0", build: () => r(floats([3, 5]), [0]) },
    { name: "[2,3,4] axes [0,2] (non-adjacent)", build: () => r(floats([2, 3, 4]), [0, 2]) },
    { name: "[2,3,4] axes [1,2]", build: () => r(floats([2, 3, 4]), [1, 2]) },
    { name: "[2,3,4] all axes", build: () => r(floats([2, 3, 4]), [0, 1, 2]) },
    { name: "[2,3,4] no axes", build: () => r(floats([2, 3, 4]), []) },
    { name: "scalar", build: () => r(floats([]), []) },
    { name: "empty reduced axis", build: () => r(floats([3, 0]), [1]) },
    { name: "empty kept axis", build: () => r(floats([0, 3]), [1]) },
    { name: "no axes over a reshaped empty [0,0]", build: () => r(apply("reshape", [floats([0])], { shape: [0, 0] }), []) },
    { name: "all axes of a reshaped empty [3,0]", build: () => r(apply("reshape", [floats([0])], { shape: [3, 0] }), [0, 1]) },
    { name: "with NaN and infinities", build: () => r(floats([17], { specials: true }), [0]) },
    { name: "long float32 (blocked accumulation)", build: () => r(floats([5000], { lo: 0.5, hi: 1.5 }), [0]), tol: { rtol: 1e-5 } },
    { name: "float64", build: () => r(floats([4, 300], { dtype: "float64" }), [1]) },
    { name: "int32", build: () => r(ints([4, 7], -3, 4), [1]) },
    { name: "int32 all axes, empty", build: () => r(ints([0, 4]), [0, 1]) },
    // Running products and sums past 2^53 wrap at every step like int32 arithmetic.
    { name: "int32 full range", build: () => r(ints([3, 24], -(2 ** 31), 2 ** 31), [1]) },
    // uint32 sums and products wrap modulo 2^32, uint8 ones modulo 2^8; max/min compare unsigned.
    ...UNSIGNED_SPECIALS.map(([dtype, vals]) => ({ name: `${dtype} edges`, build: () => r(tensor(dtype, [2, 12], (i) => vals[i % 12]! ^ (i >= 12 ? 1 : 0)), [1]) })),
    { name: "int32 small values, product past 2^53", build: () => r(ints([2, 24], -20, 20), [1]) },
    { name: "of a transpose", build: () => r(apply("transpose", [floats([3, 4, 5])], { perm: [2, 0, 1] }), [0, 2]) },
  ];
  if (p === "reduceMax" || p === "reduceMin") cases.push({ name: "bool", build: () => r(bools([3, 4]), [1]) });
  return cases;
}

function argCases(p: "argmax" | "argmin"): Case[] {
  return [
    { name: "axis 0", build: () => apply(p, [floats([4, 5])], { axis: 0 }) },
    { name: "axis 1", build: () => apply(p, [floats([4, 5])], { axis: 1 }) },
    { name: "NaN wins, ties take the first", build: () => apply(p, [tensor("float32", [2, 4], (i) => [1, NaN, 3, NaN, 2, 5, 5, 1][i]!)], { axis: 1 }) },
    { name: "int32 3-D middle axis", build: () => apply(p, [ints([2, 3, 4])], { axis: 1 }) },
    ...UNSIGNED_SPECIALS.map(([dtype, vals]) => ({ name: `${dtype} (unsigned order)`, build: () => apply(p, [tensor(dtype, [2, 6], (i) => vals[i]!)], { axis: 1 }) })),
    { name: "empty kept axis", build: () => apply(p, [floats([0, 3])], { axis: 1 }) },
  ];
}

/** The sort primitive: every output of a sort (sibling nodes), realized together. */
function sortAll(xs: Tensor[], dimension: number, numKeys = 1): Tensor[] {
  return xs.map((_, index) => apply("sort", xs, { dimension, numKeys, index }));
}

/**
 * sort: specials (NaN last, -0 = +0 kept stable by a carried iota), ties, a second key of another
 * dtype, a middle axis, float64, bool, an empty axis and a length-1 axis.
 */
function sortCases(): Case[] {
  const pos = (shape: number[], axis: number) => new TensorClass(makeNode("iota", [], { axis }, { shape, dtype: "int32" }));
  return [
    { name: "float32 specials with positions", build: () => sortAll([floats([17], { specials: true }), pos([17], 0)], 0) },
    { name: "rows [3,5] along 1", build: () => sortAll([floats([3, 5])], 1) },
    { name: "[2,3,4] along the middle axis, int32 ties carry positions", build: () => sortAll([ints([2, 3, 4], -2, 2), pos([2, 3, 4], 1)], 1) },
    { name: "two keys (int32 then float32) and a carried float", build: () => sortAll([ints([4, 6], 0, 3), floats([4, 6]), floats([4, 6])], 1, 2) },
    { name: "float64", build: () => sortAll([floats([40], { dtype: "float64", specials: true })], 0) },
    { name: "bool keys", build: () => sortAll([bools([9]), pos([9], 0)], 0) },
    { name: "int32 extremes", build: () => sortAll([tensor("int32", [6], (i) => [2 ** 31 - 1, -(2 ** 31), 0, -1, 5, -(2 ** 31)][i]!), pos([6], 0)], 0) },
    ...UNSIGNED_SPECIALS.map(([dtype, vals]) => ({ name: `${dtype} extremes`, build: () => sortAll([tensor(dtype, [vals.length], (i) => vals[i]!), pos([vals.length], 0)], 0) })),
    { name: "empty axis", build: () => sortAll([floats([3, 0])], 1) },
    { name: "length-1 axis", build: () => sortAll([floats([4, 1])], 1) },
    { name: "of a transpose (a strided operand)", build: () => sortAll([apply("transpose", [floats([3, 4])], { perm: [1, 0] })], 1) },
  ];
}

const mat = (n: number, f: (i: number, j: number) => number, batch: number[] = []) =>
  tensor("float32", [...batch, n, n], (k) => f(Math.floor((k % (n * n)) / n), k % n) + Math.floor(k / (n * n)) * 0.1);
const spd = (n: number, batch: number[] = []) => mat(n, (i, j) => (i === j ? n + 1 : 1 / (1 + i + j)), batch);

export const PRIMITIVE_CASES: { readonly [P in Prim]: readonly Case[] } = {
  const: [
    { name: "float32 scalar", build: () => npUtil.asTensor(2.5) },
    { name: "broadcast const", build: () => npUtil.fullRaw([2, 3], -1.5, "float32") },
    { name: "int32 and bool", build: () => [npUtil.fullRaw([4], 7, "int32"), npUtil.fullRaw([2], 1, "bool")] },
  ],
  data: [
    { name: "read through a kernel", build: () => apply("neg", [floats([5])], {}) },
    { name: "copied by a movement-only output", build: () => apply("reshape", [ints([2, 3])], { shape: [3, 2] }) },
  ],
  input: [{
    name: "a traced placeholder cannot be realized",
    build: () => new TensorClass(makeNode("input", [], { label: "x" }, { shape: [2], dtype: "float32" })),
    throws: { type: ConcretizationError, message: "traced" },
  }],
  iota: ["float32", "int32", "float64"].flatMap((dt) => [0, 1].map((axis) => ({
    name: `${dt} axis ${axis}`,
    build: () => new TensorClass(makeNode("iota", [], { axis }, { shape: [3, 4], dtype: dt as DType })),
  }))),

  ...ROW_CASES,
  log: unaryCases("log", { lo: 0, hi: 5 }),
  log1p: unaryCases("log1p", { lo: -1, hi: 5 }),
  sqrt: unaryCases("sqrt", { lo: 0, hi: 9 }),
  asin: unaryCases("asin", { lo: -1, hi: 1 }),
  acos: unaryCases("acos", { lo: -1, hi: 1 }),
  logistic: unaryCases("logistic", { lo: -800, hi: 800 }),
  round: [...unaryCases("round"), { name: "halves round to even", build: () => apply("round", [tensor("float32", [8], (i) => [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.49, -3.51][i]!)], {}) }],
  pow: [
    ...binaryCases("pow"),
    { name: "int32 negative exponents", build: () => apply("pow", [ints([10], -4, 4), ints([10], -2, 5)], {}) },
    // Overflow wraps like repeated int32 multiplication (7^31 → 265001655), never 0.
    { name: "int32 overflow wraps", build: () => apply("pow", [tensor("int32", [5], (i) => [7, 2147483647, 3, -3, 2][i]!), tensor("int32", [5], (i) => [31, 2, 40, 33, 31][i]!)], {}) },
  ],
  // Narrower than their rules: atan2 of int32 and bool orderings are not conformance-tested.
  atan2: binaryCases("atan2", { float: true }),
  lt: binaryCases("lt", { float: true, int: true, uint: true }),
  le: binaryCases("le", { float: true, int: true, uint: true }),
  gt: binaryCases("gt", { float: true, int: true, uint: true }),
  ge: binaryCases("ge", { float: true, int: true, uint: true }),

  cast: [
    ...(["float32", "float64", "int32", "bool"] as DType[]).flatMap((to) => [
      { name: `float32 specials → ${to}`, build: () => apply("cast", [floats([17], { specials: true })], { dtype: to }) },
      { name: `float64 → ${to}`, build: () => apply("cast", [tensor("float64", [5], (i) => [0.1, -2.7, 3e9, 1 / 3, -0][i]!)], { dtype: to }) },
      { name: `int32 → ${to}`, build: () => apply("cast", [tensor("int32", [5], (i) => [0, -1, 2 ** 31 - 1, 16777217, 5][i]!)], { dtype: to }) },
      { name: `bool → ${to}`, build: () => apply("cast", [bools([6])], { dtype: to }) },
    ]),
    // Unsigned casts, on fixed data (no draw from the shared generator: later cases keep their data).
    ...(["float32", "float64", "int32", "uint8", "uint32", "bool"] as DType[]).flatMap((to) => [
      ...(["uint8", "uint32"] as DType[]).includes(to) ? [
        { name: `float32 specials and out-of-range values → ${to}`, build: () => apply("cast", [tensor("float32", [CAST_FLOATS.length], (i) => CAST_FLOATS[i]!)], { dtype: to }) },
        { name: `int32 → ${to}`, build: () => apply("cast", [tensor("int32", [6], (i) => [0, -1, 2 ** 31 - 1, -(2 ** 31), 256, 5][i]!)], { dtype: to }) },
        { name: `bool → ${to}`, build: () => apply("cast", [tensor("bool", [4], (i) => i % 2)], { dtype: to }) },
      ] : [],
      ...UNSIGNED_SPECIALS.map(([from, vals]) => ({ name: `${from} → ${to}`, build: () => apply("cast", [tensor(from, [vals.length], (i) => vals[i]!)], { dtype: to }) })),
    ]),
  ],
  bitcast: [
    { name: "float32 specials → int32", build: () => apply("bitcast", [tensor("float32", [CAST_FLOATS.length], (i) => CAST_FLOATS[i]!)], { dtype: "int32" }) },
    { name: "float32 specials → uint32", build: () => apply("bitcast", [tensor("float32", [CAST_FLOATS.length], (i) => CAST_FLOATS[i]!)], { dtype: "uint32" }) },
    { name: "int32 extremes → float32 (subnormals, infinities)", build: () => apply("bitcast", [tensor("int32", [6], (i) => [0, 1, 0x7f800000, -0x800000, 0x3f800000, 0x00800000][i]!)], { dtype: "float32" }) },
    ...UNSIGNED_SPECIALS.map(([dtype, vals]) => ({ name: `${dtype} → ${dtype === "uint8" ? "uint8" : "int32"}`, build: () => apply("bitcast", [tensor(dtype, [vals.length], (i) => vals[i]!)], { dtype: dtype === "uint8" ? "uint8" : "int32" }) })),
  ],
  select: [
    { name: "float32", build: () => apply("select", [bools([3, 4]), floats([3, 4]), floats([3, 4])], {}) },
    { name: "int32 scalar", build: () => apply("select", [bools([]), ints([]), ints([])], {}) },
    { name: "bool branches", build: () => apply("select", [bools([5]), bools([5]), bools([5])], {}) },
  ],

  reduceSum: reduceCases("reduceSum"),
  reduceMax: reduceCases("reduceMax"),
  reduceMin: reduceCases("reduceMin"),
  reduceProd: reduceCases("reduceProd").map((c) => ({ ...c, tol: { rtol: 1e-4 } })),
  argmax: argCases("argmax"),
  argmin: argCases("argmin"),
  cumsum: [
    { name: "axis 1", build: () => apply("cumsum", [floats([3, 5])], { axis: 1, reverse: false }) },
    { name: "axis 0 reverse", build: () => apply("cumsum", [floats([3, 5])], { axis: 0, reverse: true }) },
    { name: "int32 overflow", build: () => apply("cumsum", [tensor("int32", [3], () => 2 ** 30 + 7)], { axis: 0, reverse: false }) },
    ...UNSIGNED_SPECIALS.map(([dtype, vals]) => ({ name: `${dtype} wrap-around`, build: () => apply("cumsum", [tensor(dtype, [vals.length], (i) => vals[i]!)], { axis: 0, reverse: false }) })),
    { name: "empty", build: () => apply("cumsum", [floats([0, 2])], { axis: 0, reverse: false }) },
  ],

  reshape: [
    { name: "[2,3,4] → [6,4]", build: () => apply("reshape", [floats([2, 3, 4])], { shape: [6, 4] }) },
    { name: "[2,3,4] → [4,6]", build: () => apply("reshape", [floats([2, 3, 4])], { shape: [4, 6] }) },
    { name: "transpose then reshape (non-contiguous)", build: () => apply("reshape", [apply("transpose", [floats([3, 4])], { perm: [1, 0] })], { shape: [2, 6] }) },
    { name: "to and from scalar", build: () => apply("reshape", [apply("reshape", [floats([1, 1])], { shape: [] })], { shape: [1] }) },
    { name: "empty", build: () => apply("reshape", [floats([0, 4])], { shape: [2, 0] }) },
  ],
  broadcast: [
    { name: "[3] → [2,3]", build: () => apply("broadcast", [floats([3])], { shape: [2, 3], dims: [1] }) },
    { name: "[3,1] → [3,4]", build: () => apply("broadcast", [floats([3, 1])], { shape: [3, 4], dims: [0, 1] }) },
    { name: "scalar → [2,2]", build: () => apply("broadcast", [ints([])], { shape: [2, 2], dims: [] }) },
    { name: "[4] → [4,3] along axis 0", build: () => apply("broadcast", [bools([4])], { shape: [4, 3], dims: [0] }) },
    { name: "to empty", build: () => apply("broadcast", [floats([3])], { shape: [0, 3], dims: [1] }) },
  ],
  transpose: [[1, 0, 2], [2, 0, 1], [0, 2, 1], [2, 1, 0]].map((perm) => ({
    name: `perm ${perm}`, build: () => apply("transpose", [floats([2, 3, 4])], { perm }),
  })),
  slice: [
    { name: "contiguous", build: () => apply("slice", [floats([5, 6])], { start: [1, 2], stop: [4, 6], step: [1, 1] }) },
    { name: "strided", build: () => apply("slice", [floats([7, 9])], { start: [0, 1], stop: [7, 9], step: [3, 2] }) },
    { name: "empty result", build: () => apply("slice", [floats([4])], { start: [2], stop: [2], step: [1] }) },
  ],
  flip: [
    { name: "axis 0", build: () => apply("flip", [floats([3, 4])], { axes: [0] }) },
    { name: "both axes", build: () => apply("flip", [ints([3, 4])], { axes: [0, 1] }) },
  ],
  pad: [
    { name: "both sides", build: () => apply("pad", [floats([2, 3])], { lo: [1, 2], hi: [2, 0], value: -7 }) },
    { name: "negative (crop)", build: () => apply("pad", [floats([4, 5])], { lo: [-1, 0], hi: [1, -2], value: 0 }) },
    { name: "empty input", build: () => apply("pad", [floats([0, 2])], { lo: [1, 0], hi: [1, 0], value: 3 }) },
    { name: "int32", build: () => apply("pad", [ints([3])], { lo: [2], hi: [1], value: 9 }) },
  ],
  concatenate: [
    { name: "axis 0, three pieces", build: () => apply("concatenate", [floats([1, 3]), floats([2, 3]), floats([3, 3])], { axis: 0 }) },
    { name: "axis 1 with an empty piece", build: () => apply("concatenate", [floats([2, 2]), floats([2, 0]), floats([2, 3])], { axis: 1 }) },
    { name: "bool", build: () => apply("concatenate", [bools([2]), bools([3])], { axis: 0 }) },
  ],

  matmul: [
    ...[[1, 1, 1], [4, 4, 4], [5, 3, 7], [9, 17, 6], [33, 20, 31], [3, 0, 4]].map(([m, k, n]) => ({
      name: `[${m},${k}] @ [${k},${n}]`, build: () => apply("matmul", [floats([m!, k!]), floats([k!, n!])], {}),
    })),
    // Large enough for packed, register-tiled contraction kernels (ragged edges included).
    ...[[45, 37, 29], [64, 64, 64], [41, 9, 130]].map(([m, k, n]) => ({
      name: `[${m},${k}] @ [${k},${n}]`, build: () => apply("matmul", [floats([m!, k!]), floats([k!, n!])], {}),
    })),
    { name: "batched [2,3,5,4] @ [2,3,4,6]", build: () => apply("matmul", [floats([2, 3, 5, 4]), floats([2, 3, 4, 6])], {}) },
    { name: "batched [2,3,33,20] @ [2,3,20,30]", build: () => apply("matmul", [floats([2, 3, 33, 20]), floats([2, 3, 20, 30])], {}) },
    { name: "float64", build: () => apply("matmul", [floats([6, 5], { dtype: "float64" }), floats([5, 7], { dtype: "float64" })], {}) },
    { name: "float64 large", build: () => apply("matmul", [floats([40, 36], { dtype: "float64" }), floats([36, 29], { dtype: "float64" })], {}) },
    { name: "int32", build: () => apply("matmul", [ints([3, 4], -5, 5), ints([4, 2], -5, 5)], {}) },
    { name: "int32 large with wrapping sums", build: () => apply("matmul", [ints([40, 30], -50000, 50000), ints([30, 31], -50000, 50000)], {}) },
    // Full-range int32: products pass 2^53, where a float64 accumulator loses bits before the wrap.
    { name: "int32 full range (small)", build: () => apply("matmul", [ints([3, 4], -(2 ** 31), 2 ** 31), ints([4, 2], -(2 ** 31), 2 ** 31)], {}) },
    { name: "int32 full range (packed)", build: () => apply("matmul", [ints([41, 30], -(2 ** 31), 2 ** 31), ints([30, 37], -(2 ** 31), 2 ** 31)], {}) },
    { name: "int32 full range (batched)", build: () => apply("matmul", [ints([2, 3, 5, 6], -(2 ** 31), 2 ** 31), ints([2, 3, 6, 4], -(2 ** 31), 2 ** 31)], {}) },
    { name: "empty rows", build: () => apply("matmul", [floats([0, 3]), floats([3, 2])], {}) },
  ],
  gather: [
    { name: "axis 0, clamped indices", build: () => apply("gather", [floats([5, 3]), tensor("int32", [6], (i) => [0, 4, 2, -3, 9, 1][i]!)], { axis: 0 }) },
    { name: "axis 1, 2-D indices", build: () => apply("gather", [floats([2, 6, 3]), tensor("int32", [2, 2], (i) => [5, 0, 3, 3][i]!)], { axis: 1 }) },
    { name: "int32 values", build: () => apply("gather", [ints([4]), tensor("int32", [3], (i) => [3, 0, 1][i]!)], { axis: 0 }) },
  ],
  scatterAdd: [
    { name: "duplicates accumulate, out of range dropped", build: () => apply("scatterAdd", [floats([5, 2]), tensor("int32", [4], (i) => [1, 1, 7, -1][i]!), floats([4, 2])], { axis: 0 }) },
    { name: "axis 1 int32", build: () => apply("scatterAdd", [ints([2, 4]), tensor("int32", [2], (i) => [3, 0][i]!), ints([2, 2])], { axis: 1 }) },
  ],
  sort: sortCases(),
  scatter: [
    { name: "last duplicate wins", build: () => apply("scatter", [floats([4]), tensor("int32", [3], (i) => [2, 2, 0][i]!), floats([3])], { axis: 0 }) },
  ],
  solve: [
    { name: "4×4 with two right-hand sides", build: () => apply("solve", [spd(4), floats([4, 2])], {}), tol: { rtol: 1e-4, atol: 1e-5 } },
    { name: "batched", build: () => apply("solve", [spd(3, [2]), floats([2, 3, 1])], {}), tol: { rtol: 1e-4, atol: 1e-5 } },
  ],
  cholesky: [
    { name: "5×5", build: () => apply("cholesky", [spd(5)], {}), tol: { rtol: 1e-4, atol: 1e-5 } },
    { name: "not positive-definite gives NaN", build: () => apply("cholesky", [mat(2, (i, j) => (i === j ? -1 : 0))], {}) },
  ],
  detSign: [
    { name: "batched", build: () => apply("detSign", [mat(3, (i, j) => (i === 2 - j ? 1 : 0.1 * (i + j)), [2])], {}) },
    { name: "singular", build: () => apply("detSign", [mat(2, () => 1)], {}) },
  ],
  logAbsDet: [
    { name: "4×4", build: () => apply("logAbsDet", [spd(4)], {}), tol: { rtol: 1e-5, atol: 1e-5 } },
  ],
  svd: [
    { name: "s of a batch of 5×3", build: () => apply("svd", [floats([2, 5, 3])], { fullMatrices: true, index: 0 }), tol: { rtol: 1e-5, atol: 1e-5 } },
    { name: "full u of 4×2", build: () => apply("svd", [floats([4, 2])], { fullMatrices: true, index: 1 }), tol: { rtol: 1e-4, atol: 1e-5 } },
    { name: "reduced vh of 2×4", build: () => apply("svd", [floats([2, 4])], { fullMatrices: false, index: 2 }), tol: { rtol: 1e-4, atol: 1e-5 } },
    { name: "rank-deficient s", build: () => apply("svd", [mat(3, () => 1)], { fullMatrices: false, index: 0 }), tol: { rtol: 1e-5, atol: 1e-6 } },
  ],

  // Control flow: the CPU runs compiled sub-graphs per branch/iteration; siblings realized together.
  cond: [true, false].map((p): Case => ({
    name: `${p} branch, float and int outputs`,
    build: () => cond(tensor("bool", [], () => +p), (x: Tensor, k: Tensor) => [x.exp().sum({ axis: 1 }), k.add(1)],
      (x: Tensor, k: Tensor) => [x.mul(x).max({ axis: 1 }), k.mul(k)], floats([3, 4]), ints([5])) as Tensor[],
  })).concat([{
    name: "int32 predicate, closed-over matmul",
    build: () => {
      const w = floats([4, 2]);
      return cond(tensor("int32", [], () => 7), (x: Tensor) => x.matmul(w), (x: Tensor) => x.matmul(w).neg(), floats([3, 4])) as Tensor;
    },
  }]),
  while: [
    {
      name: "counter and doubling",
      build: () => whileLoop(([i, x]: Tensor[]) => i.lt(7), ([i, x]: Tensor[]) => [i.add(1), x.mul(2).add(1)], [tensor("int32", [], () => 0), floats([2, 3])]) as Tensor[],
    },
    {
      name: "zero iterations",
      build: () => whileLoop((x: Tensor) => x.sum().lt(-1e9), (x: Tensor) => x.add(1), floats([4], { lo: 0, hi: 1 })) as Tensor,
    },
  ],
  scan: [false, true].map((reverse): Case => ({
    name: `carry and stacked ys${reverse ? ", reverse" : ""}`,
    build: () => {
      const w = floats([3, 3], { lo: -0.5, hi: 0.5 });
      const [h, hs] = scan((h: Tensor, x: Tensor) => {
        const n = h.matmul(w).add(x).tanh();
        return [n, [n.sum(), n]];
      }, floats([2, 3]), floats([6, 2, 3]), { reverse });
      return [h, ...(hs as Tensor[])];
    },
  })).concat([
    { name: "null xs with length", build: () => scan((c: Tensor) => [c.mul(1.5), c], floats([2]), null, { length: 5 }) as Tensor[] },
    { name: "zero length", build: () => scan((c: Tensor, x: Tensor) => [c.add(x), c.mul(x)], floats([3]), floats([0, 3])) as Tensor[] },
    {
      name: "nested scan",
      build: () => scan((c: Tensor, row: Tensor) => {
        const [s] = scan((a: Tensor, v: Tensor) => [a.add(v.mul(c)), a], tensor("float32", [], () => 0), row);
        return [c.add(s), s];
      }, tensor("float32", [], () => 0.5), floats([4, 5])) as Tensor[],
    },
  ]),

  // Symmetric with well-separated eigenvalues (near 1..n), so the eigenvector signs are stable in float32.
  eigh: [
    { name: "eigenvalues 4×4", build: () => apply("eigh", [mat(4, (i, j) => (i === j ? i + 1 : 0.3 / (1 + i + j)))], { index: 0 }), tol: { rtol: 1e-5, atol: 1e-5 } },
    { name: "both outputs, batched 3×3", build: () => [0, 1].map((index) => apply("eigh", [mat(3, (i, j) => (i === j ? 2 * i + 1 : 0.4 / (1 + i + j)), [2])], { index })), tol: { rtol: 1e-4, atol: 1e-5 } },
    { name: "reads the lower triangle only", build: () => apply("eigh", [mat(3, (i, j) => (i === j ? i + 1 : i > j ? 0.25 : 9))], { index: 1 }), tol: { rtol: 1e-4, atol: 1e-5 } },
  ],
  qr: [
    ...[false, true].map((complete): Case => ({
      name: `${complete ? "complete" : "reduced"} Q and R of a tall batched matrix`,
      build: () => [0, 1].map((index) => apply("qr", [tensor("float32", [2, 4, 3], (k) => Math.sin(1.3 * k + 0.4) + (k % 4 === 0 ? 2 : 0))], { index, complete })),
      tol: { rtol: 1e-4, atol: 1e-5 },
    })),
    { name: "wide matrix", build: () => [0, 1].map((index) => apply("qr", [tensor("float32", [2, 4], (k) => [3, 1, -2, 0.5, 4, -1, 1, 2][k]!)], { index, complete: false })), tol: { rtol: 1e-4, atol: 1e-5 } },
  ],
  // Entries whose column maxima differ clearly, so float32 and float64 choose the same pivots.
  lu: [
    { name: "square batched: packed LU, pivots, permutation", build: () => [0, 1, 2].map((index) => apply("lu", [tensor("float32", [2, 3, 3], (k) => [1, 5, 2, 7, 0.5, 3, -2, 1, 9, 4, -3, 1, 0.25, 8, -6, 2, 1, 3][k]!)], { index })), tol: { rtol: 1e-5, atol: 1e-6 } },
    { name: "tall and wide", build: () => [[4, 2], [2, 4]].flatMap((shape) => [0, 1, 2].map((index) => apply("lu", [tensor("float32", shape, (k) => [3, -1, 8, 2, -5, 0.5, 1, 4][k]!)], { index }))), tol: { rtol: 1e-5, atol: 1e-6 } },
    { name: "singular (a zero pivot column is skipped)", build: () => [0, 1].map((index) => apply("lu", [tensor("float32", [3, 3], (k) => [0, 1, 2, 0, 3, 4, 0, 5, 7][k]!)], { index })), tol: { rtol: 1e-5, atol: 1e-6 } },
  ],
  // Radix-2 lengths (1, 8, 16) and Bluestein ones (3, 17, 12), both directions, float32 and float64.
  fft: ([[1], [17], [3, 8], [2, 3, 12], [2, 16]] as const).flatMap((shape) => (["float32", "float64"] as DType[]).flatMap((dtype) => [false, true].map((inverse): Case => ({
    name: `${inverse ? "inverse " : ""}${dtype}[${shape}]`,
    build: () => [0, 1].map((index) => apply("fft", [floats(shape, { dtype }), floats(shape, { dtype, lo: -2, hi: 1 })], { inverse, index })),
    tol: { rtol: 1e-4, atol: 1e-4 },
  })))),
  // Well-separated real and complex roots (batched rows), and a leading zero (a trailing NaN root).
  polyRoots: [
    { name: "batched cubic and quartic rows", build: () => [0, 1].map((index) => apply("polyRoots", [tensor("float32", [2, 5], (k) => [1, -2, 3, -1, 5, 2, 0.5, -7, 1, 3][k]!)], { index })), tol: { rtol: 1e-4, atol: 1e-4 } },
    { name: "leading zero and a constant", build: () => [0, 1].map((index) => apply("polyRoots", [tensor("float64", [2, 3], (k) => [0, 2, -3, 0, 0, 4][k]!)], { index })), tol: { rtol: 1e-6, atol: 1e-6 } },
  ],
};
