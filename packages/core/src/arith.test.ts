import { expect } from "chai";
import { floorDivideScalar, powerInt32, remainderScalar } from "./arith.js";

const inf = Infinity;
// (a, b, a // b, a % b): float64 values printed by NumPy 2.4 (np.floor_divide, np.remainder).
const NUMPY_F64: readonly [number, number, number, number][] = [
  [1, 0.1, 9, 0.09999999999999995], [3, 0.3, 10, 1.1102230246251565e-16], [0.7, 0.1, 6, 0.09999999999999992],
  [inf, 2, NaN, NaN], [-inf, 2, NaN, NaN], [1, -inf, -1, -inf], [-1, inf, -1, inf], [1, inf, 0, 1], [-1, -inf, 0, -1],
  [0, -1, -0, -0], [-0, 1, -0, 0], [0.5, 2, 0, 0.5], [-0.5, 2, -1, 1.5], [-0.5, -2, 0, -0.5],
  [5, 0, inf, NaN], [-5, 0, -inf, NaN], [0, 0, NaN, NaN], [NaN, 1, NaN, NaN], [1, NaN, NaN, NaN],
  [-4, 2, -2, 0], [4, -2, -2, -0], [1e-20, -1, -1, -1], [7, inf, 0, 7],
];

describe("NumPy divmod (arith.ts)", () => {
  for (const [a, b, q, r] of NUMPY_F64) {
    it(`${a} // ${b} = ${Object.is(q, -0) ? "-0" : q}, ${a} % ${b} = ${Object.is(r, -0) ? "-0" : r}`, () => {
      expect(Object.is(floorDivideScalar(a, b), q), `quotient ${floorDivideScalar(a, b)}`).to.equal(true);
      expect(Object.is(remainderScalar(a, b), r), `remainder ${remainderScalar(a, b)}`).to.equal(true);
    });
  }
  it("int32 powers wrap modulo 2^32 as NumPy (float64 Math.pow rounds past 2^53)", () => {
    expect([powerInt32(7, 31), powerInt32(2, 31), powerInt32(-3, 21), powerInt32(46341, 2), powerInt32(5, -1), powerInt32(0, 0)])
      .to.deep.equal([265001655, -2147483648, -1870418611, -2147479015, 0, 1]);
  });
});
