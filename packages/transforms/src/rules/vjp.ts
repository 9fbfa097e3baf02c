/**
 * Reverse-mode rules: one entry per primitive (a missing one is a compile error). Each returns one
 * cotangent per operand, `null` for a zero one and always for int/bool operands (indices,
 * predicates). Structural primitives get their transposes from ops.ts.
 */
import { type Prim, isFloat, npUtil } from "@kiln/core";
import { type BinaryPartials, type UnaryDerivative, rowRules } from "./partials.js";
import {
  choleskyCotangent, chooserMask, clampIndices, div, expandReduced, inRangeMask, inversePerm, logAbsDetCotangent,
  mT, matmul, mul, neg, prodOfOthers, scatterWinners, slice, solve, transpose, unbroadcast, unpad, unslice,
  unpermuteLikeSort, where, zerosLike,
} from "./ops.js";
import { eighCotangent } from "./linalg-eigh.js";
import { luCotangent } from "./linalg-lu.js";
import { FFT_VJP } from "./fft.js";
import { POLY_ROOTS_VJP } from "./poly-roots.js";
import { qrCotangent } from "./linalg-qr.js";
import type { CallLevel, NotDifferentiable, VjpRule, VjpTable } from "./types.js";
import { SVD_VJP } from "./linalg-svd.js";

const { apply, astypeRaw, reshapeRaw } = npUtil;

// ---------------------------------------------------------------------------------------------
// Families (STYLE.md §5).

const leaf = (what: string) => ({ notDifferentiable: `${what} is a leaf: the backward pass stops there` });

/** Piecewise-constant or int/bool-valued: every operand gets a zero cotangent. */
const zeroVjp = (): VjpRule<Prim> => (_ct, primals) => primals.map(() => null);

/** ct · f'(x). */
const unaryVjp = (d: UnaryDerivative): VjpRule<Prim> => (ct, [x], _p, out) => [mul(ct, d(x!, out))];

/** [ct · ∂f/∂a, ct · ∂f/∂b]. */
const binaryVjp = ([da, db]: BinaryPartials): VjpRule<Prim> => (ct, [a, b], _p, out) =>
  [mul(ct, da(a!, b!, out)), mul(ct, db(a!, b!, out))];

/** The cotangent goes to the chosen elements, split equally among ties (the transpose of chooserJvp). */
const chooserVjp = (arg: "argmax" | "argmin"): VjpRule<"reduceMax" | "reduceMin"> => (ct, [x], { axes }, out) => {
  const { mask, counts } = chooserMask(x!, out, axes, arg);
  return [mul(mask, expandReduced(div(ct, counts), x!.shape, axes))];
};

/**
 * One output's cotangent through a control-flow op's call-level rule (the driver gathers every
 * sibling's cotangent and calls that rule once instead).
 */
/** Control flow: differentiated a whole call at a time by CALL_VJP_RULES (rules/control.ts), which derive.ts uses. */
const callLevel = (): CallLevel => ({ callLevel: "differentiated per call by its call-level rule (rules/control.ts)" });

// ---------------------------------------------------------------------------------------------

export const VJP_RULES = {
  const: leaf("const"),
  data: leaf("data"),
  input: leaf("input"),
  iota: leaf("iota"),

  // Elementwise primitives: from their rows, except the linear ones written here.
  ...rowRules({ zero: zeroVjp, unary: unaryVjp, binary: binaryVjp }),
  neg: (ct) => [neg(ct)],
  add: (ct) => [ct, ct],
  sub: (ct) => [ct, neg(ct)],

  cast: (ct, [x]) => [isFloat(x!.dtype) && isFloat(ct.dtype) ? astypeRaw(ct, x!.dtype) : null],
  bitcast: zeroVjp(),
  // The predicate is bool: no cotangent.
  select: (ct, [c]) => [null, where(c!, ct, zerosLike(ct)), where(c!, zerosLike(ct), ct)],

  reduceSum: (ct, [x], { axes }) => [expandReduced(ct, x!.shape, axes)],
  reduceMax: chooserVjp("argmax"),
  reduceMin: chooserVjp("argmin"),
  reduceProd: (ct, [x], { axes }) => [mul(expandReduced(ct, x!.shape, axes), prodOfOthers(x!, axes))],
  argmax: zeroVjp(),
  argmin: zeroVjp(),
  cumsum: (ct, _x, { axis, reverse }) => [apply("cumsum", [ct], { axis, reverse: !reverse })],

  reshape: (ct, [x]) => [reshapeRaw(ct, x!.shape)],
  broadcast: (ct, [x], { dims }) => [unbroadcast(ct, x!.shape, dims)],
  transpose: (ct, _x, { perm }) => [transpose(ct, inversePerm(perm))],
  slice: (ct, [x], { start, step }) => [unslice(ct, x!.shape, start, step)],
  flip: (ct, _x, params) => [apply("flip", [ct], params)],
  // The padding value is a parameter, not an operand: it gets nothing.
  pad: (ct, _x, { lo, hi }) => [unpad(ct, lo, hi)],
  concatenate: (ct, xs, { axis }) => {
    let offset = 0;
    return xs.map((x) => {
      const start = ct.shape.map((_, d) => (d === axis ? offset : 0));
      offset += x.shape[axis]!;
      return slice(ct, start, ct.shape.map((v, d) => (d === axis ? offset : v)));
    });
  },

  matmul: (ct, [a, b]) => [matmul(ct, mT(b!)), matmul(mT(a!), ct)],

  // gather clamps its indices; scatterAdd drops out-of-range ones, so clamp before scattering back.
  gather: (ct, [x, idx], { axis }) => [
    apply("scatterAdd", [zerosLike(x!), clampIndices(idx!, x!.shape[axis]!), ct], { axis }),
    null,
  ],
  scatterAdd: (ct, [x, idx, upd], { axis }) => {
    const inRange = inRangeMask(idx!, x!.shape[axis]!, upd!.shape, axis);
    return [ct, null, where(inRange, apply("gather", [ct, idx!], { axis }), zerosLike(upd!))];
  },
  // Overwritten positions of x get nothing; of duplicate indices only the update that lands does.
  scatter: (ct, [x, idx, upd], { axis }) => {
    const won = scatterWinners(x!, idx!, upd!, axis);
    return [
      apply("scatter", [ct, idx!, zerosLike(upd!)], { axis }),
      null,
      where(won, apply("gather", [ct, idx!], { axis }), zerosLike(upd!)),
    ];
  },

  // Output i is operand i permuted: its cotangent goes back through the inverse permutation; the
  // keys get nothing through the (piecewise constant) permutation itself.
  sort: (ct, primals, { dimension, numKeys, index }) =>
    primals.map((x, i) => (i === index && isFloat(x.dtype) ? unpermuteLikeSort(primals.slice(0, numKeys), ct, dimension) : null)),

  // x = a⁻¹b: b̄ = a⁻ᵀ x̄, ā = -b̄ xᵀ.
  solve: (ct, [a], _p, out) => {
    const ctB = solve(mT(a!), ct);
    return [neg(matmul(ctB, mT(out))), ctB];
  },
  cholesky: (ct, _x, _p, out) => [choleskyCotangent(out, ct)],
  detSign: zeroVjp(),
  logAbsDet: (ct, [a]) => [logAbsDetCotangent(a!, ct)],
  ...SVD_VJP,

  cond: callLevel(),
  while: callLevel(),
  scan: callLevel(),

  eigh: (ct, [a], { index }, out) => [eighCotangent(a!, ct, index, out)],
  ...FFT_VJP,
  ...POLY_ROOTS_VJP,
  qr: (ct, [a], { index, complete }) => [qrCotangent(a!, ct, index, complete)],
  lu: (ct, [a], { index }) => [luCotangent(a!, ct, index)],
} satisfies VjpTable;

/** Narrowing helper for the driver: a table entry that is a rule (not a marker). */
export function vjpRuleOf<P extends Prim>(prim: P): VjpRule<P> | null {
  const r = VJP_RULES[prim] as VjpRule<P> | NotDifferentiable | CallLevel;
  return typeof r === "function" ? r : null;
}
