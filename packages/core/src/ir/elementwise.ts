/**
 * One row per elementwise primitive: every fact about the op that is not a per-target spelling —
 * the float64 reference the interpreter runs (with its int32 variant where integer arithmetic is
 * not "float64 then cast"), the dtype rule, the derivative(s), and the recompute cost class. The
 * row tables' keys *are* the primitives: `UnaryPrim`/`BinaryPrim` are derived from them, and the
 * primitive table, the interpreter, lowering, batching, jvp and vjp map over the rows. Adding a
 * unary op is one row here, one np function, and one entry per target's ALU table (each a
 * compile error when missing).
 *
 * Derivatives are Tensor formulas, but core/ir must not import the np layer (np imports the IR):
 * they receive the operations they use as a parameter (`DerivOps`), which transforms fills with
 * `np` and its strict-primitive helpers.
 */
import { floorDivideScalar, powerInt32, remainderScalar } from "../arith.js";
import { digammaF64, erfF64, erfInvF64, erfcF64, i0eF64, i1eF64, lgammaF64, trigammaF64 } from "../special-f64.js";
import type { DType } from "../dtype.js";
import type { Tensor } from "../tensor.js";

/**
 * What recomputing one element costs the scheduler, and how exact a float32 backend is expected
 * to be: "transcendental" ops are approximations (≈ 8 adds each, within the conformance rtol),
 * "multistep" ops are exact but several instructions (floor division, remainder, round half to
 * even; ≈ 8 adds), "cheap" ops are one instruction and correctly rounded.
 */
export type CostClass = "cheap" | "multistep" | "transcendental";

/** The np functions the derivative formulas use (the `np` namespace satisfies it). */
export interface DerivNp {
  add(a: Tensor | number, b: Tensor | number): Tensor;
  subtract(a: Tensor | number, b: Tensor | number): Tensor;
  multiply(a: Tensor | number, b: Tensor | number): Tensor;
  divide(a: Tensor | number, b: Tensor | number): Tensor;
  power(a: Tensor | number, b: Tensor | number): Tensor;
  floorDivide(a: Tensor | number, b: Tensor | number): Tensor;
  negative(x: Tensor): Tensor;
  reciprocal(x: Tensor): Tensor;
  square(x: Tensor): Tensor;
  rsqrt(x: Tensor): Tensor;
  sign(x: Tensor): Tensor;
  sin(x: Tensor): Tensor;
  cos(x: Tensor): Tensor;
  sinh(x: Tensor): Tensor;
  cosh(x: Tensor): Tensor;
  exp(x: Tensor): Tensor;
  log(x: Tensor): Tensor;
}

/** Strict primitives (equal shapes and dtypes, no promotion), as transforms' rules/ops.ts records them. */
export interface DerivLax {
  mul(a: Tensor, b: Tensor): Tensor;
  div(a: Tensor, b: Tensor): Tensor;
  neg(a: Tensor): Tensor;
  eq(a: Tensor, b: Tensor): Tensor;
  gt(a: Tensor, b: Tensor): Tensor;
  lt(a: Tensor, b: Tensor): Tensor;
  where(c: Tensor, a: Tensor, b: Tensor): Tensor;
  zerosLike(x: Tensor): Tensor;
  onesLike(x: Tensor): Tensor;
  /** A bool mask as 0/1 in `dtype`. */
  indicator(mask: Tensor, dtype: DType): Tensor;
  /** A unary row's primitive (a derivative that is another special function: lgamma' = digamma). */
  unary(prim: DerivUnaryPrim, x: Tensor): Tensor;
}

/**
 * The rows a derivative formula may apply through `lax.unary`, spelled out: typing it by
 * `UnaryPrim` would make the row table's type depend on itself (checked below to be rows).
 */
export type DerivUnaryPrim = "digamma" | "trigamma" | "i0e" | "i1e";

/** The operations a derivative formula is written with (see the module comment for why a parameter). */
export interface DerivOps {
  readonly np: DerivNp;
  readonly lax: DerivLax;
}

/** d out / d x of a unary op, given the input and the primal output (reused where cheaper). */
export type UnaryDerivative = (x: Tensor, out: Tensor, ops: DerivOps) => Tensor;
/** ∂ out / ∂ operand of a binary op. */
export type BinaryPartial = (a: Tensor, b: Tensor, out: Tensor, ops: DerivOps) => Tensor;
/** A closed interval of inputs on which the op is smooth (the derivative check samples it). */
export type SmoothRange = readonly [lo: number, hi: number];

/**
 * How a primitive is differentiated:
 *  - a derivative formula (jvp multiplies it by the tangent, vjp by the cotangent) and where it is smooth;
 *  - "zero": piecewise constant, int/bool-valued or a gradient stop — zero tangent and cotangent;
 *  - "linear": linear in its operands; transforms writes its jvp/vjp by hand (a tangent passes
 *    through unmultiplied), and its tables fail to compile without them;
 *  - `{ notDifferentiable }`: smooth, but its derivative is no primitive (trigamma's would be
 *    polygamma(2, x)); differentiating it is a ValueError with the reason, never a silent zero.
 */
export type UnaryDerivativeRule =
  | { readonly d: UnaryDerivative; readonly smooth: SmoothRange }
  | "zero"
  | "linear"
  | { readonly notDifferentiable: string };
export type BinaryDerivativeRule =
  | { readonly partials: readonly [BinaryPartial, BinaryPartial]; readonly smooth: readonly [SmoothRange, SmoothRange] }
  | "zero"
  | "linear";

/** The dtype rule of a unary primitive: the input dtypes it accepts and its output dtype (default: the input's). */
export interface UnaryDTypes {
  readonly floatOnly?: boolean;
  readonly boolOnly?: boolean;
  readonly out?: DType;
}

/** The dtype rule of a binary primitive (operands always share one dtype). */
export interface BinaryDTypes {
  readonly out?: DType;
  readonly boolOnly?: boolean;
  readonly noBool?: boolean;
  /** Logical on bool and bitwise on int32 ("boolOrInt"), or int32 only ("int"). */
  readonly bits?: "boolOrInt" | "int";
}

export interface UnaryRow {
  /** The float64 reference; an int32 result is this value cast to int32 (bool results are 0/1 by the function itself). */
  readonly f64: (x: number) => number;
  readonly dtypes: UnaryDTypes;
  readonly derivative: UnaryDerivativeRule;
  readonly cost: CostClass;
}

export interface BinaryRow {
  /** The float64 reference (bool operands are 0/1). */
  readonly f64: (a: number, b: number) => number;
  /** int32 operands, where integer arithmetic differs from float64 arithmetic followed by a cast. */
  readonly int32?: (a: number, b: number) => number;
  readonly dtypes: BinaryDTypes;
  readonly derivative: BinaryDerivativeRule;
  readonly cost: CostClass;
  /** op(a, b) == op(b, a) for every dtype it accepts. */
  readonly commutative?: true;
}

/**
 * Round half to even, as NumPy's `round`.
 * @example
 * [0.5, 1.5, 2.5, -0.5].map(roundHalfEven); // [0, 2, 2, -0]
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const oneMinusSquare = (y: Tensor, np: DerivNp): Tensor => np.subtract(1, np.square(y));

const float = { floatOnly: true } as const;

const TWO_OVER_SQRT_PI = 1.1283791670955126;
/** 2/√π e^{-x²}: the derivative of erf. */
const erfSlope = (x: Tensor, np: DerivNp): Tensor => np.multiply(TWO_OVER_SQRT_PI, np.exp(np.negative(np.square(x))));

export const UNARY_OPS = {
  neg: { f64: (x) => -x, dtypes: {}, derivative: "linear", cost: "cheap" },
  // sign(0) = 0: the derivative of |x| at 0 is 0, as JAX.
  abs: { f64: Math.abs, dtypes: {}, derivative: { d: (x, _y, { np }) => np.sign(x), smooth: [0.1, 3] }, cost: "cheap" },
  sign: { f64: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0), dtypes: {}, derivative: "zero", cost: "cheap" },
  exp: { f64: Math.exp, dtypes: float, derivative: { d: (_x, y) => y, smooth: [-2, 2] }, cost: "transcendental" },
  expm1: { f64: Math.expm1, dtypes: float, derivative: { d: (_x, y, { np }) => np.add(y, 1), smooth: [-2, 2] }, cost: "transcendental" },
  log: { f64: Math.log, dtypes: float, derivative: { d: (x, _y, { np }) => np.reciprocal(x), smooth: [0.1, 5] }, cost: "transcendental" },
  log1p: {
    f64: Math.log1p, dtypes: float, derivative: { d: (x, _y, { np }) => np.reciprocal(np.add(x, 1)), smooth: [-0.5, 3] }, cost: "transcendental",
  },
  sqrt: { f64: Math.sqrt, dtypes: float, derivative: { d: (_x, y, { np }) => np.divide(0.5, y), smooth: [0.1, 5] }, cost: "cheap" },
  // d/dx x^(1/3) = 1 / (3 cbrt(x)^2): inf at 0, as JAX.
  cbrt: { f64: Math.cbrt, dtypes: float, derivative: { d: (_x, y, { np }) => np.divide(1 / 3, np.square(y)), smooth: [0.2, 5] }, cost: "transcendental" },
  sin: { f64: Math.sin, dtypes: float, derivative: { d: (x, _y, { np }) => np.cos(x), smooth: [-3, 3] }, cost: "transcendental" },
  cos: { f64: Math.cos, dtypes: float, derivative: { d: (x, _y, { np }) => np.negative(np.sin(x)), smooth: [-3, 3] }, cost: "transcendental" },
  tan: { f64: Math.tan, dtypes: float, derivative: { d: (_x, y, { np }) => np.add(1, np.square(y)), smooth: [-1.2, 1.2] }, cost: "transcendental" },
  asin: { f64: Math.asin, dtypes: float, derivative: { d: (x, _y, { np }) => np.rsqrt(oneMinusSquare(x, np)), smooth: [-0.9, 0.9] }, cost: "transcendental" },
  acos: {
    f64: Math.acos, dtypes: float, derivative: { d: (x, _y, { np }) => np.negative(np.rsqrt(oneMinusSquare(x, np))), smooth: [-0.9, 0.9] },
    cost: "transcendental",
  },
  atan: { f64: Math.atan, dtypes: float, derivative: { d: (x, _y, { np }) => np.reciprocal(np.add(1, np.square(x))), smooth: [-3, 3] }, cost: "transcendental" },
  sinh: { f64: Math.sinh, dtypes: float, derivative: { d: (x, _y, { np }) => np.cosh(x), smooth: [-2, 2] }, cost: "transcendental" },
  cosh: { f64: Math.cosh, dtypes: float, derivative: { d: (x, _y, { np }) => np.sinh(x), smooth: [-2, 2] }, cost: "transcendental" },
  tanh: { f64: Math.tanh, dtypes: float, derivative: { d: (_x, y, { np }) => oneMinusSquare(y, np), smooth: [-2, 2] }, cost: "transcendental" },
  // Written so that neither branch overflows: e^-x for x >= 0, e^x below.
  logistic: {
    f64: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    dtypes: float,
    derivative: { d: (_x, y, { np }) => np.multiply(y, np.subtract(1, y)), smooth: [-4, 4] },
    cost: "transcendental",
  },
  // Special functions (SciPy's values and poles; float64 references in special-f64.ts).
  erf: { f64: erfF64, dtypes: float, derivative: { d: (x, _y, { np }) => erfSlope(x, np), smooth: [-2, 2] }, cost: "transcendental" },
  erfc: { f64: erfcF64, dtypes: float, derivative: { d: (x, _y, { np }) => np.negative(erfSlope(x, np)), smooth: [-2, 2] }, cost: "transcendental" },
  // d/dx erfinv(x) = √π/2 e^{erfinv(x)²}: inf at ±1.
  erfInv: {
    f64: erfInvF64, dtypes: float, derivative: { d: (_x, y, { np }) => np.multiply(Math.sqrt(Math.PI) / 2, np.exp(np.square(y))), smooth: [-0.9, 0.9] },
    cost: "transcendental",
  },
  // log|Γ(x)|: its derivative is digamma on both signs of Γ.
  lgamma: { f64: lgammaF64, dtypes: float, derivative: { d: (x, _y, { lax }) => lax.unary("digamma", x), smooth: [0.3, 4] }, cost: "transcendental" },
  digamma: { f64: digammaF64, dtypes: float, derivative: { d: (x, _y, { lax }) => lax.unary("trigamma", x), smooth: [0.3, 4] }, cost: "transcendental" },
  // polygamma(1, x). JAX differentiates it again through polygamma(2, x); kiln has no polygamma primitive.
  trigamma: {
    f64: trigammaF64, dtypes: float, cost: "transcendental",
    derivative: { notDifferentiable: "the derivative of trigamma is polygamma(2, x), which kiln does not implement" },
  },
  // e^{-|x|} I0(x) and e^{-|x|} I1(x) (JAX's bessel_i0e/i1e): i0e' = i1e − sign(x) i0e,
  // i1e' = i0e − i1e (sign(x) + 1/x), 1/2 at 0. Both have a kink at 0 (from |x|).
  i0e: {
    f64: i0eF64, dtypes: float, cost: "transcendental",
    derivative: { d: (x, y, { np, lax }) => np.subtract(lax.unary("i1e", x), np.multiply(np.sign(x), y)), smooth: [0.2, 4] },
  },
  i1e: {
    f64: i1eF64, dtypes: float, cost: "transcendental",
    derivative: {
      d: (x, y, { np, lax }) => {
        const zero = lax.eq(x, lax.zerosLike(x));
        const safe = lax.where(zero, lax.onesLike(x), x);
        const d = np.subtract(lax.unary("i0e", x), np.multiply(y, np.add(np.sign(x), np.reciprocal(safe))));
        return lax.where(zero, np.multiply(lax.onesLike(x), 0.5), d);
      },
      smooth: [0.2, 4],
    },
  },
  floor: { f64: Math.floor, dtypes: float, derivative: "zero", cost: "cheap" },
  ceil: { f64: Math.ceil, dtypes: float, derivative: "zero", cost: "cheap" },
  round: { f64: roundHalfEven, dtypes: float, derivative: "zero", cost: "multistep" },
  isnan: { f64: (x) => (Number.isNaN(x) ? 1 : 0), dtypes: { out: "bool" }, derivative: "zero", cost: "cheap" },
  isinf: { f64: (x) => (x === Infinity || x === -Infinity ? 1 : 0), dtypes: { out: "bool" }, derivative: "zero", cost: "cheap" },
  not: { f64: (x) => (x ? 0 : 1), dtypes: { boolOnly: true }, derivative: "zero", cost: "cheap" },
  // The identity on values; the backends lower it to its operand (it is no ALU op).
  stopGradient: { f64: (x) => x, dtypes: {}, derivative: "zero", cost: "cheap" },
} as const satisfies Record<string, UnaryRow>;

/**
 * JAX's `_balanced_eq`: the share of the gradient of max/min that goes to `x` — 1 where `x` alone
 * is the result, 1/2 where both operands tie, 0 elsewhere (and where either is NaN). Decided by
 * comparing the operands with each other, not with the output: a backend may compute the output in
 * another kernel, and an `x == out` that misses by one rounding would give neither operand a share.
 */
function balancedShare(x: Tensor, other: Tensor, wins: "gt" | "lt", { np, lax }: DerivOps): Tensor {
  const alone = lax.indicator(lax[wins](x, other), x.dtype);
  const tie = lax.indicator(lax.eq(x, other), x.dtype);
  return np.add(alone, np.multiply(0.5, tie));
}

/** x where x != 0, else 1 (keeps the unselected branch of a select finite, as JAX's `_replace_zero`). */
function replaceZero(x: Tensor, lax: DerivLax): Tensor {
  return lax.where(lax.eq(x, lax.zerosLike(x)), lax.onesLike(x), x);
}

const arith = { noBool: true } as const;
const compare = { out: "bool" } as const;
const bits = { bits: "boolOrInt" } as const;

// Integer division rounds toward negative infinity and the remainder follows the divisor, as
// NumPy's // and %; x // 0 and x % 0 are 0 on int32.
const intFloorDiv = (a: number, b: number): number => (b === 0 ? 0 : Math.floor(a / b));

export const BINARY_OPS = {
  add: { f64: (a, b) => a + b, dtypes: arith, derivative: "linear", cost: "cheap", commutative: true },
  sub: { f64: (a, b) => a - b, dtypes: arith, derivative: "linear", cost: "cheap" },
  mul: {
    f64: (a, b) => a * b, int32: (a, b) => Math.imul(a, b), dtypes: arith, cost: "cheap", commutative: true,
    derivative: { partials: [(_a, b) => b, (a) => a], smooth: [[-3, 3], [-3, 3]] },
  },
  div: {
    f64: (a, b) => a / b, int32: intFloorDiv, dtypes: arith, cost: "cheap",
    derivative: {
      partials: [(_a, b, _out, { np }) => np.reciprocal(b), (_a, b, out, { lax }) => lax.neg(lax.div(out, b))],
      smooth: [[-3, 3], [0.3, 3]],
    },
  },
  // NumPy's floor_divide (arith.ts), consistent with rem's divmod; on int32 the same as div.
  floorDiv: { f64: floorDivideScalar, int32: intFloorDiv, dtypes: arith, derivative: "zero", cost: "multistep" },
  // NumPy's divmod: the remainder takes the sign of the divisor.
  rem: {
    f64: remainderScalar, int32: (a, b) => (b === 0 ? 0 : remainderScalar(a, b)), dtypes: arith, cost: "multistep",
    // NumPy's remainder a - b·(a // b): piecewise linear, jumps at a/b integral (the check stays in a // b == 2).
    derivative: {
      partials: [(a, _b, _out, { lax }) => lax.onesLike(a), (a, b, _out, { np, lax }) => lax.neg(np.floorDivide(a, b))],
      smooth: [[2.2, 2.8], [1, 1.05]],
    },
  },
  pow: {
    f64: Math.pow, int32: powerInt32, dtypes: arith, cost: "transcendental",
    // d/da = b·a^(b-1), defined as 0 where b == 0 (so 0^0 has slope 0); d/db = log(a)·a^b with log(0)
    // replaced by 0, so the slope in b at a == 0 is 0 (JAX's _pow_jvp_lhs/_pow_jvp_rhs).
    derivative: {
      partials: [
        (a, b, _out, { np, lax }) =>
          lax.where(lax.eq(b, lax.zerosLike(b)), lax.zerosLike(b), lax.mul(replaceZero(b, lax), np.power(a, np.subtract(b, 1)))),
        (a, _b, out, { np, lax }) => lax.mul(np.log(replaceZero(a, lax)), out),
      ],
      smooth: [[0.2, 3], [0.05, 2]],
    },
  },
  max: {
    f64: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), dtypes: {}, cost: "cheap", commutative: true,
    derivative: { partials: [(a, b, _out, ops) => balancedShare(a, b, "gt", ops), (a, b, _out, ops) => balancedShare(b, a, "gt", ops)], smooth: [[1, 3], [-3, 0.5]] },
  },
  min: {
    f64: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), dtypes: {}, cost: "cheap", commutative: true,
    derivative: { partials: [(a, b, _out, ops) => balancedShare(a, b, "lt", ops), (a, b, _out, ops) => balancedShare(b, a, "lt", ops)], smooth: [[1, 3], [-3, 0.5]] },
  },
  atan2: {
    f64: Math.atan2, dtypes: arith, cost: "transcendental",
    // atan2(a, b) = atan(a / b) in the right quadrant (the check keeps b > 0, clear of the branch cut).
    derivative: {
      partials: [
        (a, b, _out, { np, lax }) => lax.div(b, np.add(np.square(a), np.square(b))),
        (a, b, _out, { np, lax }) => lax.neg(lax.div(a, np.add(np.square(a), np.square(b)))),
      ],
      smooth: [[-3, 3], [0.3, 3]],
    },
  },
  eq: { f64: (a, b) => +(a === b), dtypes: compare, derivative: "zero", cost: "cheap", commutative: true },
  ne: { f64: (a, b) => +(a !== b), dtypes: compare, derivative: "zero", cost: "cheap", commutative: true },
  lt: { f64: (a, b) => +(a < b), dtypes: compare, derivative: "zero", cost: "cheap" },
  le: { f64: (a, b) => +(a <= b), dtypes: compare, derivative: "zero", cost: "cheap" },
  gt: { f64: (a, b) => +(a > b), dtypes: compare, derivative: "zero", cost: "cheap" },
  ge: { f64: (a, b) => +(a >= b), dtypes: compare, derivative: "zero", cost: "cheap" },
  // Logical on bool, bitwise on int32 (uint32 bit patterns for Threefry live in int32).
  and: { f64: (a, b) => +(!!a && !!b), int32: (a, b) => a & b, dtypes: bits, derivative: "zero", cost: "cheap", commutative: true },
  or: { f64: (a, b) => +(!!a || !!b), int32: (a, b) => a | b, dtypes: bits, derivative: "zero", cost: "cheap", commutative: true },
  xor: { f64: (a, b) => +(!!a !== !!b), int32: (a, b) => a ^ b, dtypes: bits, derivative: "zero", cost: "cheap" },
  shl: { f64: (a, b) => (b >= 32 ? 0 : a << b), dtypes: { bits: "int" }, derivative: "zero", cost: "cheap" },
  /** Logical (unsigned) right shift of the 32-bit pattern. */
  shrl: { f64: (a, b) => (b >= 32 ? 0 : (a >>> b) | 0), dtypes: { bits: "int" }, derivative: "zero", cost: "cheap" },
} as const satisfies Record<string, BinaryRow>;

export type UnaryPrim = keyof typeof UNARY_OPS;
/** Compiles only for `true`: a type-level assertion (no code at run time). */
type Assert<T extends true> = T;
// Every DerivUnaryPrim is a row: the assertion fails to compile otherwise.
type DerivUnaryAreRows = Assert<[DerivUnaryPrim] extends [UnaryPrim] ? true : false>;
export type BinaryPrim = keyof typeof BINARY_OPS;

/** The primitives of a row table whose derivative is marked `M`. */
type MarkedWith<T, M> = { [P in keyof T]: T[P] extends { readonly derivative: M } ? P : never }[keyof T];
/** Elementwise primitives whose jvp/vjp transforms writes by hand (derivative "linear"). */
export type LinearElementwisePrim = MarkedWith<typeof UNARY_OPS, "linear"> | MarkedWith<typeof BINARY_OPS, "linear">;

const keysOf = <T extends object>(rows: T): (keyof T & string)[] => Object.keys(rows) as (keyof T & string)[];

export const UNARY_PRIMS: readonly UnaryPrim[] = keysOf(UNARY_OPS);
export const BINARY_PRIMS: readonly BinaryPrim[] = keysOf(BINARY_OPS);

/**
 * A per-primitive table built from a row table: `make(prim, row)` for every row, typed
 * `{ [P in keyof rows]: R }` so the result fills its part of a complete rule table.
 * @example
 * const lower = mapRows(BINARY_OPS, (p) => binaryLower(p)); // { add: ..., sub: ..., ... }
 */
export function mapRows<T extends object, R>(rows: T, make: (prim: keyof T & string, row: T[keyof T]) => R): { [P in keyof T]: R } {
  const out = {} as { [P in keyof T]: R };
  for (const p of keysOf(rows)) out[p] = make(p, rows[p]);
  return out;
}

/**
 * The row of an elementwise primitive, or undefined for any other primitive (and for the row-less
 * elementwise ones, cast and select).
 * @example rowOf("exp")?.cost // "transcendental"
 */
export function rowOf(prim: string): UnaryRow | BinaryRow | undefined {
  if (Object.hasOwn(UNARY_OPS, prim)) return UNARY_OPS[prim as UnaryPrim];
  if (Object.hasOwn(BINARY_OPS, prim)) return BINARY_OPS[prim as BinaryPrim];
  return undefined;
}

/**
 * The cost class of an elementwise primitive: its row's, "cheap" for the row-less elementwise
 * primitives (cast, select) and anything else.
 * @example
 * costClassOf("exp"); // "transcendental"
 * costClassOf("add"); // "cheap"
 */
export function costClassOf(prim: string): CostClass {
  return rowOf(prim)?.cost ?? "cheap";
}
