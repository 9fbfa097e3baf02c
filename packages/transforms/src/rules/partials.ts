/**
 * Elementwise derivatives come from the primitives' rows (core ir/elementwise.ts), written once and
 * shared by both modes: the jvp table multiplies them by tangents, the vjp table by the cotangent
 * (JAX's `defjvp` partials). This module binds the rows' formulas to the operations they are
 * written with and builds the row-derived part of each rule table.
 */
import {
  BINARY_OPS, BINARY_PRIMS, type BinaryDerivativeRule, type BinaryPrim, type DerivOps, type LinearElementwisePrim, type Tensor,
  UNARY_OPS, UNARY_PRIMS, type UnaryDerivativeRule, type UnaryPrim, ValueError, np, npUtil, rowOf,
} from "@kiln/core";
import { div, eq, indicator, mul, neg, onesLike, where, zerosLike } from "./ops.js";

const { apply } = npUtil;

/** What the row formulas are written with: the np layer, and strict primitives for the rest. */
export const DERIV_OPS: DerivOps = {
  np,
  lax: {
    mul, div, neg, eq, where, zerosLike, onesLike, indicator,
    gt: (a, b) => apply("gt", [a, b], {}),
    lt: (a, b) => apply("lt", [a, b], {}),
    unary: (p, x) => apply(p, [x], {}),
  },
};

/** d out / d x of a unary op, given the input and the primal output (reused where cheaper). */
export type UnaryDerivative = (x: Tensor, out: Tensor) => Tensor;
/** Partials of a binary op with respect to each operand. */
export type BinaryPartials = readonly [
  (a: Tensor, b: Tensor, out: Tensor) => Tensor,
  (a: Tensor, b: Tensor, out: Tensor) => Tensor,
];

/** The elementwise primitives whose jvp/vjp entries come from their rows (all but the "linear" ones). */
export type RowDerivedPrim = Exclude<UnaryPrim | BinaryPrim, LinearElementwisePrim>;

/** One rule family per kind of row derivative; the table part is typed over RowDerivedPrim. */
export interface RowFamilies<R> {
  readonly zero: () => R;
  readonly unary: (d: UnaryDerivative) => R;
  readonly binary: (partials: BinaryPartials) => R;
}

/**
 * The entries of a derivative table for every row-derived elementwise primitive. The hand-written
 * ("linear") ones are left out, so the table is incomplete — a compile error — until it has them.
 * @example
 * const JVP_RULES = { ...rowRules({ zero: zeroJvp, unary: unaryJvp, binary: binaryJvp }), neg: ..., add: ..., sub: ... };
 */
export function rowRules<R>(families: RowFamilies<R>): { [P in RowDerivedPrim]: R } {
  const out: Partial<Record<UnaryPrim | BinaryPrim, R>> = {};
  for (const p of UNARY_PRIMS) {
    const rule: UnaryDerivativeRule = UNARY_OPS[p].derivative;
    if (rule === "linear") continue;
    if (rule === "zero") out[p] = families.zero();
    // The unary families call the derivative only for a nonzero tangent or cotangent.
    else if ("notDifferentiable" in rule) {
      out[p] = families.unary(() => {
        throw new ValueError(`${p} is not differentiable: ${rule.notDifferentiable}`);
      });
    } else out[p] = families.unary((x, y) => rule.d(x, y, DERIV_OPS));
  }
  for (const p of BINARY_PRIMS) {
    const rule: BinaryDerivativeRule = BINARY_OPS[p].derivative;
    if (rule === "linear") continue;
    if (rule === "zero") out[p] = families.zero();
    else {
      const [da, db] = rule.partials;
      out[p] = families.binary([(a, b, y) => da(a, b, y, DERIV_OPS), (a, b, y) => db(a, b, y, DERIV_OPS)]);
    }
  }
  return out as { [P in RowDerivedPrim]: R };
}

/**
 * True for a primitive whose row marks it "zero" (piecewise constant, int/bool-valued,
 * stopGradient): no cotangent passes through it, so the vjp driver's reachability stops there —
 * what lies above such a node is never differentiated (JAX: no tangent reaches it), and a
 * not-differentiable op above a stopGradient is no error.
 * @example blocksCotangent("stopGradient") // true
 */
export function blocksCotangent(prim: string): boolean {
  return rowOf(prim)?.derivative === "zero";
}
