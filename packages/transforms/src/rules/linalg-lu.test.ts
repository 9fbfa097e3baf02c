/**
 * The lu rules (rules/linalg-lu.ts) against finite differences (jvp, vjp, second order) on square,
 * tall, wide and batched matrices whose pivots are unambiguous — column j has a dominant entry
 * (3 + j) in row (j + 1) mod m, so elimination swaps rows but a small perturbation never changes
 * which row is chosen — and the integer outputs carry no derivative.
 */
import { expect } from "chai";
import { type Tensor, npUtil } from "@kiln/core";
import { jvpNodes } from "../derive.js";
import { args, awayFromZero, checkGradients, f64 } from "./gradcheck.test-util.js";

const { apply } = npUtil;
const luOut = (index: number) => (x: Tensor): Tensor => apply("lu", [x], { index });

const pivoted = (b: number, m: number, n: number) =>
  awayFromZero(b * m * n, 0.05, 0.5).map((v) => v.map((x, i) => {
    const row = Math.floor(i / n) % m, col = i % n;
    return col < m && row === (col + 1) % m ? x + 3 + col : x;
  }));

describe("lu rules", () => {
  it("the packed LU of square, tall, wide and batched matrices against finite differences", () => {
    checkGradients({ shapes: [[3, 3]], args: args(pivoted(1, 3, 3)), f: luOut(0), runs: 6 });
    checkGradients({ shapes: [[4, 2]], args: args(pivoted(1, 4, 2)), f: luOut(0), runs: 6 });
    checkGradients({ shapes: [[2, 4]], args: args(pivoted(1, 2, 4)), f: luOut(0), runs: 6 });
    checkGradients({ shapes: [[2, 3, 3]], args: args(pivoted(2, 3, 3)), f: luOut(0), runs: 4 });
  });

  it("pivots and permutation are integers: no tangent", () => {
    const a = f64([1, 5, 2, 7, 0.5, 3, -2, 1, 9], [3, 3]);
    for (const index of [1, 2]) {
      const [t] = jvpNodes([luOut(index)(a)], new Map([[a.node, a]]));
      expect(t ?? null, `output ${index}`).to.equal(null);
    }
  });
});
