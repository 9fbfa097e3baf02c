/**
 * The qr rules (rules/linalg-qr.ts) against finite differences on well-conditioned tall and square
 * matrices (dominant diagonal: R invertible, pivots away from zero so no reflector sign flips), and
 * the typed error for the shapes JAX does not differentiate either.
 */
import { expect } from "chai";
import { type Tensor, ValueError, npUtil } from "@kiln/core";
import { jvpNodes } from "../derive.js";
import { args, awayFromZero, checkGradients, f64 } from "./gradcheck.test-util.js";

const { apply } = npUtil;
const qrOut = (index: number, complete = false) => (x: Tensor): Tensor => apply("qr", [x], { index, complete });

/**
 * b matrices m×n with |entries| in [0.05, 0.5] plus 2 + j on the diagonal (j the column). Entries
 * stay away from 0: a column exactly zero below the diagonal is not reflected (LAPACK's
 * convention), so the factorization jumps in sign there and finite differences across it mean nothing.
 */
const wellConditioned = (b: number, m: number, n: number) =>
  awayFromZero(b * m * n, 0.05, 0.5).map((v) => v.map((x, i) => (Math.floor(i / n) % m === i % n ? x + 2 + (i % n) : x)));

describe("qr rules", () => {
  it("Q and R of square and tall matrices against finite differences (jvp, vjp, second order)", () => {
    for (const index of [0, 1]) {
      checkGradients({ shapes: [[3, 3]], args: args(wellConditioned(1, 3, 3)), f: qrOut(index), runs: 6 });
      checkGradients({ shapes: [[4, 2]], args: args(wellConditioned(1, 4, 2)), f: qrOut(index), runs: 6 });
      checkGradients({ shapes: [[2, 3, 2]], args: args(wellConditioned(2, 3, 2)), f: qrOut(index), runs: 4 });
      checkGradients({ shapes: [[2, 2]], args: args(wellConditioned(1, 2, 2)), f: qrOut(index, true), runs: 4 });
    }
  });

  it("wide or tall-complete factorizations are not differentiable (a ValueError, as JAX)", () => {
    const wide = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => jvpNodes([qrOut(1)(wide)], new Map([[wide.node, wide]]))).to.throw(ValueError, /m >= n/);
    const tall = f64([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(() => jvpNodes([qrOut(0, true)(tall)], new Map([[tall.node, tall]]))).to.throw(ValueError, /complete/);
  });
});
