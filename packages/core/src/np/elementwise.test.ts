import { expect } from "chai";
import { DTypeError, ShapeError, Tensor, ValueError, np, stopGradient } from "../index.js";
import { expectClose } from "../testing.js";

function vals(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

// Sample points, all exactly representable in float32, including specials.
const SPECIALS = [NaN, Infinity, -Infinity];
const GENERAL = [-3, -1.5, -0.25, 0, 0.5, 1, 2.75, 10, ...SPECIALS];
const UNIT = [-1, -0.75, -0.5, 0, 0.25, 0.5, 1, 1.5, -2, ...SPECIALS]; // arcsin/arccos domain plus outside
const POSITIVE = [0, 0.125, 0.5, 1, 2, 8, 100, -1, ...SPECIALS]; // log/sqrt domain plus a negative

/** float64 references for each unary op (the spec is the float64 formula, rounded to float32 on output). */
const UNARY: [string, (x: Tensor) => Tensor, (x: number) => number, number[]][] = [
  ["negative", np.negative, (x) => -x, GENERAL],
  ["abs", np.abs, Math.abs, GENERAL],
  ["sign", np.sign, (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0), GENERAL],
  ["exp", np.exp, Math.exp, GENERAL],
  ["exp2", np.exp2, (x) => 2 ** x, GENERAL],
  ["expm1", np.expm1, Math.expm1, [...GENERAL, 1e-10]],
  ["log", np.log, Math.log, POSITIVE],
  ["log2", np.log2, Math.log2, POSITIVE],
  ["log1p", np.log1p, Math.log1p, [...POSITIVE, -0.5, -2, 1e-10]],
  ["sqrt", np.sqrt, Math.sqrt, POSITIVE],
  ["rsqrt", np.rsqrt, (x) => 1 / Math.sqrt(x), POSITIVE],
  ["square", np.square, (x) => x * x, GENERAL],
  ["reciprocal", np.reciprocal, (x) => 1 / x, GENERAL],
  ["sin", np.sin, Math.sin, GENERAL],
  ["cos", np.cos, Math.cos, GENERAL],
  ["tan", np.tan, Math.tan, GENERAL],
  ["arcsin", np.arcsin, Math.asin, UNIT],
  ["arccos", np.arccos, Math.acos, UNIT],
  ["arctan", np.arctan, Math.atan, GENERAL],
  ["sinh", np.sinh, Math.sinh, GENERAL],
  ["cosh", np.cosh, Math.cosh, GENERAL],
  ["tanh", np.tanh, Math.tanh, GENERAL],
  ["sigmoid", np.sigmoid, (x) => 1 / (1 + Math.exp(-x)), [...GENERAL, -100, 100]],
  ["relu", np.relu, (x) => (Number.isNaN(x) ? NaN : Math.max(x, 0)), GENERAL],
  ["floor", np.floor, Math.floor, GENERAL],
  ["ceil", np.ceil, Math.ceil, GENERAL],
];

describe("np elementwise: unary ops against float64 formulas", () => {
  for (const [name, fn, ref, points] of UNARY) {
    it(`${name} at ${points.length} points incl. NaN/±inf/negatives`, () => {
      const x = np.array(points);
      const y = fn(x);
      expect(y.dtype, "dtype").to.equal("float32");
      expect(y.shape).to.deep.equal([points.length]);
      expectClose(y, points.map((p) => Math.fround(ref(p))), { rtol: 2e-7, atol: 1e-30 });
    });
  }

  it("round is half-to-even (NumPy)", () => {
    expectClose(np.round([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, NaN, Infinity]), [0, 2, 2, -0, -2, -2, 2, -3, NaN, Infinity]);
  });

  it("isnan / isfinite / logicalNot give bool", () => {
    const x = [1, NaN, Infinity, -Infinity, 0];
    const n = np.isnan(x);
    expect(n.dtype).to.equal("bool");
    expect(vals(n)).to.deep.equal([0, 1, 0, 0, 0]);
    expect(vals(np.isfinite(x))).to.deep.equal([1, 0, 0, 0, 1]);
    // logicalNot: nonzero (and NaN) is true.
    expect(vals(np.logicalNot(x))).to.deep.equal([0, 0, 0, 0, 1]);
    expect(vals(np.logicalNot([true, false]))).to.deep.equal([0, 1]);
    expect(vals(np.isnan(np.array([1, 2], { dtype: "int32" })))).to.deep.equal([0, 0]);
    expect(vals(np.isfinite(np.array([1, 2], { dtype: "int32" })))).to.deep.equal([1, 1]);
  });

  it("scalars, 2-D and empty inputs keep their shapes", () => {
    const s = np.exp(0);
    expect(s.shape).to.deep.equal([]);
    expect(s.itemSync()).to.equal(1);
    expectClose(np.sqrt([[4, 9], [16, 25]]), [[2, 3], [4, 5]]);
    expect(np.tanh(np.zeros([0, 3])).shape).to.deep.equal([0, 3]);
  });

  it("integer inputs: float ops give float32, integral ops keep int32", () => {
    const i = np.array([-2, 0, 3], { dtype: "int32" });
    for (const f of [np.exp, np.log, np.sqrt, np.sin, np.tanh, np.sigmoid, np.reciprocal, np.rsqrt, np.exp2, np.log2]) {
      expect(f(i).dtype, f.name).to.equal("float32");
    }
    expectClose(np.exp(i), [Math.exp(-2), 1, Math.exp(3)]);
    expectClose(np.reciprocal(i), [-0.5, Infinity, 1 / 3]);
    for (const [f, want] of [
      [np.negative, [2, 0, -3]],
      [np.abs, [2, 0, 3]],
      [np.sign, [-1, 0, 1]],
      [np.square, [4, 0, 9]],
      [np.relu, [0, 0, 3]],
      [np.floor, [-2, 0, 3]],
      [np.ceil, [-2, 0, 3]],
      [np.round, [-2, 0, 3]],
    ] as [(x: Tensor) => Tensor, number[]][]) {
      const y = f(i);
      expect(y.dtype, f.name).to.equal("int32");
      expect(vals(y), f.name).to.deep.equal(want);
    }
  });

  it("bool inputs: arithmetic is a DTypeError naming the op; float ops promote", () => {
    const b = np.array([true, false]);
    expect(() => np.negative(b)).to.throw(DTypeError, "negative");
    expect(() => np.abs(b)).to.throw(DTypeError, "abs");
    expect(() => np.sign(b)).to.throw(DTypeError, "sign");
    expect(() => np.square(b)).to.throw(DTypeError, "square");
    expectClose(np.exp(b), [Math.E, 1]);
    expect(np.exp(b).dtype).to.equal("float32");
    expectClose(np.floor(b), [1, 0]);
  });
});

// ---------------------------------------------------------------------------------------------

const A = [-3, -1.5, 0, 2, 7, NaN, Infinity, -Infinity];
const B = [-2, 0.5, 2, 3, Infinity, NaN];

/** f over the broadcast of A as a column and B as a row. */
function outer(f: (a: number, b: number) => number, as = A, bs = B): number[][] {
  return as.map((a) => bs.map((b) => Math.fround(f(Math.fround(a), Math.fround(b)))));
}

const nanMax = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number][] = [
  ["add", np.add, (a, b) => a + b],
  ["subtract", np.subtract, (a, b) => a - b],
  ["multiply", np.multiply, (a, b) => a * b],
  ["divide", np.divide, (a, b) => a / b],
  ["power", np.power, Math.pow],
  ["maximum", np.maximum, nanMax],
  ["minimum", np.minimum, nanMin],
  ["arctan2", np.arctan2, Math.atan2],
];

const COMPARE: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => boolean][] = [
  ["equal", np.equal, (a, b) => a === b],
  ["notEqual", np.notEqual, (a, b) => a !== b],
  ["less", np.less, (a, b) => a < b],
  ["lessEqual", np.lessEqual, (a, b) => a <= b],
  ["greater", np.greater, (a, b) => a > b],
  ["greaterEqual", np.greaterEqual, (a, b) => a >= b],
];

describe("np elementwise: binary ops against float64 formulas, broadcast [8,1] x [6]", () => {
  const a = np.array(A.map((v) => [v]));
  const b = np.array(B);
  for (const [name, fn, ref] of BINARY) {
    it(name, () => {
      const y = fn(a, b);
      expect(y.dtype).to.equal("float32");
      expectClose(y, outer(ref), { rtol: 2e-7, atol: 1e-30 });
    });
  }
  for (const [name, fn, ref] of COMPARE) {
    it(`${name} (bool result; NaN compares false except notEqual)`, () => {
      const y = fn(a, b);
      expect(y.dtype).to.equal("bool");
      expect(y.toArraySync()).to.deep.equal(A.map((x) => B.map((z) => !!ref(x, z)))); // bools read back as booleans
    });
  }

  it("remainder takes the sign of the divisor (finite operands)", () => {
    const xs = [-7, -3.5, -1, 0, 2.5, 7];
    const ys = [-3, -0.75, 2, 4];
    // Python/NumPy modulo: a - floor(a / b) * b
    const want = xs.map((x) => ys.map((y) => x - Math.floor(x / y) * y));
    expectClose(np.remainder(xs.map((v) => [v]), ys), want, { atol: 1e-6 });
  });

  it("remainder at the edges (NumPy)", () => {
    expectClose(np.remainder([3, -3, Infinity, 5, NaN], [Infinity, Infinity, 2, 0, 1]), [3, Infinity, NaN, NaN, NaN]);
  });

  it("floorDivide rounds toward -inf", () => {
    const xs = [-7.5, -7, -1, 0, 1, 7];
    const ys = [-2, 0.5, 2];
    expectClose(np.floorDivide(xs.map((v) => [v]), ys), xs.map((x) => ys.map((y) => Math.floor(x / y))));
    expectClose(np.floorDivide([1, -1, 0], 0), [Infinity, -Infinity, NaN]);
  });

  it("integer remainder / floorDivide / power stay int32 (division by zero gives 0)", () => {
    const x = np.array([7, -7, 7, -7, 5], { dtype: "int32" });
    const y = np.array([2, 2, -2, -2, 0], { dtype: "int32" });
    const fd = np.floorDivide(x, y);
    expect(fd.dtype).to.equal("int32");
    expect(vals(fd)).to.deep.equal([3, -4, -4, 3, 0]);
    const r = np.remainder(x, y);
    expect(r.dtype).to.equal("int32");
    expect(vals(r)).to.deep.equal([1, 1, -1, -1, 0]);
    const p = np.power(np.array([2, 3, -2], { dtype: "int32" }), np.array([10, 2, 3], { dtype: "int32" }));
    expect(p.dtype).to.equal("int32");
    expect(vals(p)).to.deep.equal([1024, 9, -8]);
    expect(vals(np.multiply(np.array([46341], { dtype: "int32" }), 46341))).to.deep.equal([(46341 * 46341) | 0]);
  });

  it("an integer tensor to a negative integer number is a ValueError (NumPy's); a float base or exponent is fine", () => {
    for (const dtype of ["int32", "uint8", "uint32"] as const) {
      expect(() => np.power(np.array([2, 1], { dtype }), -3)).to.throw(ValueError, /negative integer powers/);
    }
    expect(vals(np.power(np.array([2, 1], { dtype: "int32" }), 0))).to.deep.equal([1, 1]);
    expect(vals(np.power(np.array([2, 4]), -1))).to.deep.equal([0.5, 0.25]);
    expect(vals(np.power(np.array([4], { dtype: "int32" }), -0.5))).to.deep.equal([0.5]);
  });

  it("a negative value in an integer exponent tensor gives 0 (NumPy raises; kiln, like JAX, checks no values)", () => {
    // Seed 201535 of a deep NumPy random-program run: np.power(3, int32 [13, -2]).
    expect(vals(np.power(3, np.array([13, -2, 0], { dtype: "int32" })))).to.deep.equal([1594323, 0, 1]);
  });

  it("int32 power wraps on overflow like repeated int32 multiplication (issue 11 item 7)", () => {
    const p = np.power(np.array([7, 2147483647, 3, -3, 2, -1, 5], { dtype: "int32" }), np.array([31, 2, 40, 33, 31, 2147483647, 0], { dtype: "int32" }));
    const byMultiplying = (a: number, b: number) => {
      let r = 1;
      for (let k = 0; k < Math.min(b, 100); k++) r = Math.imul(r, a);
      return r;
    };
    expect(vals(p)).to.deep.equal([265001655, 1, byMultiplying(3, 40), byMultiplying(-3, 33), -2147483648, -1, 1]);
  });

  it("logicalAnd / logicalOr treat nonzero (and NaN) as true", () => {
    expect(vals(np.logicalAnd([1, 0, NaN, 2], [2, 2, 3, 0]))).to.deep.equal([1, 0, 1, 0]);
    expect(vals(np.logicalOr([0, 0, NaN], [0, -1, 0]))).to.deep.equal([0, 1, 1]);
    const t = np.logicalAnd([[true], [false]], [true, false, true]);
    expect(t.dtype).to.equal("bool");
    expect(t.toArraySync()).to.deep.equal([[true, false, true], [false, false, false]]);
  });
});

describe("np elementwise: broadcasting", () => {
  it("column x row, scalar x array, trailing dims", () => {
    expectClose(np.add([[1], [2]], [10, 20, 30]), [[11, 21, 31], [12, 22, 32]]);
    expectClose(np.multiply(2, [[1, 2], [3, 4]]), [[2, 4], [6, 8]]);
    const x = np.zeros([2, 1, 3]);
    expect(np.subtract(x, np.ones([4, 1])).shape).to.deep.equal([2, 4, 3]);
    expect(np.add(np.zeros([0, 3]), [1, 2, 3]).shape).to.deep.equal([0, 3]);
  });

  it("incompatible shapes are a ShapeError naming the op and both shapes", () => {
    expect(() => np.add([1, 2], [1, 2, 3])).to.throw(ShapeError, "add: shapes [2] and [3] cannot be broadcast");
    expect(() => np.maximum(np.zeros([2, 3]), np.zeros([3, 2]))).to.throw(ShapeError, "maximum: shapes [2,3] and [3,2]");
    expect(() => np.where([true, false], [1, 2, 3], 0)).to.throw(ShapeError, "where");
  });

  it("Tensor methods delegate with broadcasting", () => {
    const t = np.array([[1, 2]]);
    expectClose(t.add([[10], [20]]), [[11, 12], [21, 22]]);
    expectClose(t.sub(1).mul(3).div(2), [[0, 1.5]]);
    expectClose(t.pow(2).neg(), [[-1, -4]]);
  });
});

describe("np elementwise: weak-type promotion and dtype rules", () => {
  const i32 = (v: number[]): Tensor => np.array(v, { dtype: "int32" });

  it("int32 tensor + 1 stays int32", () => {
    const y = np.add(i32([1, 2]), 1);
    expect(y.dtype).to.equal("int32");
    expect(vals(y)).to.deep.equal([2, 3]);
    expect(i32([5]).sub(7).dtype).to.equal("int32");
    expect(i32([5]).mul(-2).dtype).to.equal("int32");
  });

  it("int32 tensor * 1.5 becomes float32", () => {
    const y = np.multiply(i32([1, 2]), 1.5);
    expect(y.dtype).to.equal("float32");
    expectClose(y, [1.5, 3]);
  });

  it("divide of ints gives float32", () => {
    const y = np.divide(i32([7, -7, 1]), i32([2, 2, 0]));
    expect(y.dtype).to.equal("float32");
    expectClose(y, [3.5, -3.5, Infinity]);
    expect(np.divide(7, 2).dtype).to.equal("float32");
    expectClose(np.divide(7, 2), 3.5);
  });

  it("a float32 tensor is never widened by a JS number; int32 + float32 tensors give float32", () => {
    expect(np.add(np.array([1]), 1).dtype).to.equal("float32");
    expect(np.add(np.array([1]), 2.5).dtype).to.equal("float32");
    expect(np.add(i32([1]), np.array([0.5])).dtype).to.equal("float32");
    expectClose(np.add(i32([1]), np.array([0.5])), [1.5]);
    const f64 = np.add(np.array([0.1], { dtype: "float64" }), 0.2);
    expect(f64.dtype).to.equal("float64");
    // The weak number keeps its full precision against a float64 tensor.
    expect(f64.itemSync()).to.equal(0.1 + 0.2);
  });

  it("JS numbers alone stay weak: int + int is int32, int + float is float32", () => {
    const s = np.add(1, 2);
    expect(s.dtype).to.equal("int32");
    expect(s.weak).to.equal(true);
    expect(np.add(1, 2.5).dtype).to.equal("float32");
    // ...and still do not widen a strong operand afterwards.
    expect(np.add(i32([1]), np.add(1, 2)).dtype).to.equal("int32");
  });

  it("comparisons promote before comparing (int32 vs 2.5 is not truncated)", () => {
    expect(vals(np.less(i32([2, 3]), 2.5))).to.deep.equal([1, 0]);
    expect(vals(np.equal(i32([2, 3]), 2.5))).to.deep.equal([0, 0]);
    expect(vals(np.equal(np.array([true, false]), 1))).to.deep.equal([1, 0]);
  });

  it("bool + bool is or and bool * bool is and, staying bool (NumPy, JAX's _maybe_bool_binop; NumPy parity suite)", () => {
    const a = np.array([true, true, false, false]), b = np.array([true, false, true, false]);
    expect(np.add(a, b).dtype).to.equal("bool");
    expect(vals(np.add(a, b))).to.deep.equal([1, 1, 1, 0]);
    expect(np.multiply(a, b).dtype).to.equal("bool");
    expect(vals(np.multiply(a, b))).to.deep.equal([1, 0, 0, 0]);
    expect(vals(a.add(true))).to.deep.equal([1, 1, 1, 1]);
  });

  it("other bool arithmetic is a DTypeError naming the op; bool with a JS int promotes to int32", () => {
    const b = np.array([true, false]);
    for (const [f, name] of [
      [np.subtract, "subtract"], [np.divide, "divide"],
      [np.power, "power"], [np.remainder, "remainder"], [np.arctan2, "arctan2"], [np.floorDivide, "floorDivide"],
    ] as [(a: Tensor, b: Tensor) => Tensor, string][]) {
      expect(() => f(b, b), name).to.throw(DTypeError, `${name}: not defined for bool`);
    }
    expect(() => np.subtract(true, false)).to.throw(DTypeError, "subtract");
    const y = np.add(b, 1);
    expect(y.dtype).to.equal("int32");
    expect(vals(y)).to.deep.equal([2, 1]);
    // maximum/minimum are defined on bool (logical or/and).
    expect(vals(np.maximum(b, np.array([false, false])))).to.deep.equal([1, 0]);
  });
});

describe("np elementwise: where / clip / astype / stopGradient", () => {
  it("where selects with broadcasting and promotion", () => {
    expectClose(np.where([true, false], 1, [5, 6]), [1, 6]);
    expectClose(np.where([[true], [false]], [1, 2, 3], -1), [[1, 2, 3], [-1, -1, -1]]);
    // A numeric condition is nonzero-is-true (NaN too).
    expectClose(np.where([0, 2, NaN], 1, 0), [0, 1, 1]);
    const w = np.where([true, false], np.array([1, 2], { dtype: "int32" }), 0.5);
    expect(w.dtype).to.equal("float32");
    expectClose(w, [1, 0.5]);
    expect(np.where([true], np.array([1], { dtype: "int32" }), 0).dtype).to.equal("int32");
  });

  it("clip bounds either side; NaN stays NaN; int32 with float bounds gives float32", () => {
    expectClose(np.clip([-2, 0.5, 3, NaN], 0, 1), [0, 0.5, 1, NaN]);
    expectClose(np.clip([-2, 0.5, 3], null, 1), [-2, 0.5, 1]);
    expectClose(np.clip([-2, 0.5, 3], 0, null), [0, 0.5, 3]);
    expectClose(np.clip([[1, 5]], [[0], [2]], 4), [[1, 4], [2, 4]]);
    const c = np.clip(np.array([-3, 3], { dtype: "int32" }), -1.5, 2.5);
    expect(c.dtype).to.equal("float32");
    expectClose(c, [-1.5, 2.5]);
    expect(np.clip(np.array([-3, 3], { dtype: "int32" }), -1, 2).dtype).to.equal("int32");
  });

  it("astype: float→int truncates toward zero, nonzero (and NaN) → true", () => {
    const i = np.astype([1.7, -1.7, 0.2], "int32");
    expect(i.dtype).to.equal("int32");
    expect(vals(i)).to.deep.equal([1, -1, 0]);
    const b = np.astype([0, 2, NaN, -0.5], "bool");
    expect(b.dtype).to.equal("bool");
    expect(vals(b)).to.deep.equal([0, 1, 1, 1]);
    expectClose(np.astype(np.array([true, false]), "float32"), [1, 0]);
    expect(np.array([1.5]).astype("float64").dtype).to.equal("float64");
    expect(() => np.astype([1], "int64" as never)).to.throw(DTypeError, "astype: unknown dtype");
  });

  it("literals with an explicit dtype are converted when built", () => {
    // 3.7 as int32 is 3, so 3 > 3.5 is false and 3 + 1 is 4.
    expect(np.array(3.7, { dtype: "int32" }).gt(3.5).itemSync()).to.equal(false);
    expect(np.array(3.7, { dtype: "int32" }).add(1).itemSync()).to.equal(4);
    expect(np.array(0.5, { dtype: "bool" }).itemSync()).to.equal(true);
  });

  it("stopGradient is the identity on values and keeps dtype", () => {
    const s = stopGradient(np.array([1, -2], { dtype: "int32" }));
    expect(s.dtype).to.equal("int32");
    expect(vals(s)).to.deep.equal([1, -2]);
    expectClose(np.stopGradient([NaN, 2.5]), [NaN, 2.5]);
  });
});
