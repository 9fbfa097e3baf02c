/**
 * Forward-mode rules: one entry per primitive (a missing one is a compile error). Rules see
 * symbolic zeros as `null` and return `null` for a zero tangent; the driver (derive.ts) skips a
 * node whose input tangents are all null and never asks for the tangent of an int/bool node.
 */
import { type Prim, npUtil } from "@kiln/core";
import { type BinaryPartials, type UnaryDerivative, rowRules } from "./partials.js";
import {
  addOrNull, choleskyTangent, chooserMask, div, logAbsDetTangent, matmul, mul, neg, orZeros,
  permuteLikeSort, prodOfOthers, solve, sub, sumAxes,
} from "./ops.js";
import { eighTangent } from "./linalg-eigh.js";
import { luTangent } from "./linalg-lu.js";
import { FFT_JVP } from "./fft.js";
import { POLY_ROOTS_JVP } from "./poly-roots.js";
import { qrTangent } from "./linalg-qr.js";
import type { CallLevel, JvpRule, JvpTable, NotDifferentiable } from "./types.js";
import { SVD_JVP } from "./linalg-svd.js";

const { apply, astypeRaw } = npUtil;

// ---------------------------------------------------------------------------------------------
// Families (STYLE.md §5).

const leaf = (what: string) => ({ notDifferentiable: `${what} is a leaf: its tangent is seeded, not derived` });

/** Piecewise-constant or int/bool-valued: the tangent is zero. */
const zeroJvp = (): JvpRule<Prim> => () => null;

/** t · f'(x). */
const unaryJvp = (d: UnaryDerivative): JvpRule<Prim> => ([x], [t], _p, out) => t && mul(t, d(x!, out));

/** ta · ∂f/∂a + tb · ∂f/∂b, skipping zero tangents. */
const binaryJvp = ([da, db]: BinaryPartials): JvpRule<Prim> => ([a, b], [ta, tb], _p, out) =>
  addOrNull(ta && mul(ta, da(a!, b!, out)), tb && mul(tb, db(a!, b!, out)));

/**
 * A primitive linear in the operands at `linear` (all of them by default): apply it to the
 * tangents, zeros standing in for null ones; other operands (indices, predicates) pass through.
 */
function linearJvp<P extends Prim>(prim: P, linear?: readonly number[]): JvpRule<P> {
  return (primals, tangents, params) => {
    const isLinear = (i: number) => !linear || linear.includes(i);
    const args = primals.map((x, i) => (isLinear(i) ? orZeros(tangents[i]!, x) : x));
    return apply(prim, args, params);
  };
}

/** The chosen element's tangent; ties share it equally (JAX's `_reduce_chooser_jvp_rule`). */
const chooserJvp = (arg: "argmax" | "argmin"): JvpRule<"reduceMax" | "reduceMin"> => ([x], [t], { axes }, out) => {
  const { mask, counts } = chooserMask(x!, out, axes, arg);
  return div(sumAxes(mul(t!, mask), axes), counts);
};

/** One output of a control-flow op through its call-level rule (the driver uses that rule directly). */
/** Control flow: differentiated a whole call at a time by CALL_JVP_RULES (rules/control.ts), which derive.ts uses. */
const callLevel = (): CallLevel => ({ callLevel: "differentiated per call by its call-level rule (rules/control.ts)" });

// ---------------------------------------------------------------------------------------------

export const JVP_RULES = {
  const: leaf("const"),
  data: leaf("data"),
  input: leaf("input"),
  iota: leaf("iota"),

  // Elementwise primitives: from their rows, except the linear ones written here.
  ...rowRules({ zero: zeroJvp, unary: unaryJvp, binary: binaryJvp }),
  neg: linearJvp("neg"),
  add: (_x, [ta, tb]) => addOrNull(ta!, tb!),
  sub: (_x, [ta, tb]) => (tb ? (ta ? sub(ta, tb) : neg(tb)) : ta!),

  // float -> float converts the tangent; casts to or from int/bool carry none (the driver sees to it).
  cast: (_x, [t], { dtype }) => t && astypeRaw(t, dtype),
  // A bit reinterpretation has no derivative (JAX's bitcast_convert_type): float ↔ int views
  // carry no tangent, and a view as the same dtype never reaches the graph.
  bitcast: zeroJvp(),
  select: linearJvp("select", [1, 2]),

  reduceSum: linearJvp("reduceSum"),
  reduceMax: chooserJvp("argmax"),
  reduceMin: chooserJvp("argmin"),
  reduceProd: ([x], [t], { axes }) => sumAxes(mul(t!, prodOfOthers(x!, axes)), axes),
  argmax: zeroJvp(),
  argmin: zeroJvp(),
  cumsum: linearJvp("cumsum"),

  reshape: linearJvp("reshape"),
  broadcast: linearJvp("broadcast"),
  transpose: linearJvp("transpose"),
  slice: linearJvp("slice"),
  flip: linearJvp("flip"),
  // The padding value is a constant: the tangent is padded with zeros.
  pad: ([x], [t], params) => apply("pad", [orZeros(t!, x!)], { ...params, value: 0 }),
  concatenate: linearJvp("concatenate"),

  matmul: ([a, b], [ta, tb]) => addOrNull(ta && matmul(ta, b!), tb && matmul(a!, tb)),

  gather: linearJvp("gather", [0]),
  scatterAdd: linearJvp("scatterAdd", [0, 2]),
  // scatter is linear in (x, updates) jointly: the same positions are overwritten in the tangent.
  scatter: linearJvp("scatter", [0, 2]),
  // The permutation is piecewise constant in the keys: the tangent of output i is operand i's
  // tangent permuted the same way (JAX's _sort_jvp).
  sort: (primals, tangents, { dimension, numKeys, index }) => {
    const t = tangents[index];
    return t ? permuteLikeSort(primals.slice(0, numKeys), t, dimension) : null;
  },

  // x = a⁻¹b: dx = a⁻¹(db - da·x).
  solve: ([a, _b], [ta, tb], _p, out) => {
    const rhs = ta ? (tb ? sub(tb, matmul(ta, out)) : neg(matmul(ta, out))) : tb!;
    return solve(a!, rhs);
  },
  cholesky: (_x, [t], _p, out) => choleskyTangent(out, t!),
  detSign: zeroJvp(),
  logAbsDet: ([a], [t]) => logAbsDetTangent(a!, t!),
  ...SVD_JVP,

  cond: callLevel(),
  while: callLevel(),
  scan: callLevel(),

  eigh: ([a], [t], { index }, out) => eighTangent(a!, t!, index, out),
  ...FFT_JVP,
  ...POLY_ROOTS_JVP,
  qr: ([a], [t], { index, complete }) => qrTangent(a!, t!, index, complete),
  lu: ([a], [t], { index }) => luTangent(a!, t!, index),
} satisfies JvpTable;

/** Narrowing helper for the driver: a table entry that is a rule (not a marker). */
export function jvpRuleOf<P extends Prim>(prim: P): JvpRule<P> | null {
  const r = JVP_RULES[prim] as JvpRule<P> | NotDifferentiable | CallLevel;
  return typeof r === "function" ? r : null;
}
