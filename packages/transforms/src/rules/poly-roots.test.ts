/**
 * polyRoots rules against finite differences (jvp, vjp and second order through checkGradients):
 * real and complex-conjugate simple roots, batched rows. Coefficients are small perturbations of
 * polynomials with well-separated roots (distinct real parts but for conjugate pairs), so the sorted order (and the pairing of outputs with
 * roots) does not change within the finite-difference step. (Roots 1, 2, 3 were too close: a ±0.05
 * perturbation brought two within 0.18, where central differences lose the digits the check needs.)
 */
import { type Tensor, npUtil } from "@kiln/core";
import { args, checkGradients, uniform } from "./gradcheck.test-util.js";

const { apply } = npUtil;
const rootsOut = (index: number) => (c: Tensor): Tensor => apply("polyRoots", [c], { index });
const near = (base: readonly number[]) => uniform(base.length, -0.05, 0.05).map((d) => d.map((v, i) => base[i]! + v));

describe("polyRoots rules", () => {
  it("real and imaginary parts of simple roots against finite differences", () => {
    for (const index of [0, 1]) {
      checkGradients({ shapes: [[4]], args: args(near([1, -10, 27, -18])), f: rootsOut(index), runs: 4 });
      checkGradients({ shapes: [[3]], args: args(near([1, -2, 5])), f: rootsOut(index), runs: 4 });
      checkGradients({ shapes: [[2, 4]], args: args(near([2, -1, 3, 4, 1, -1, -4, -6])), f: rootsOut(index), runs: 3 });
    }
  });
});
