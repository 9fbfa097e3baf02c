/**
 * The fft primitive's rules against finite differences (jvp, vjp and second order through
 * checkGradients), both outputs and both directions, on radix-2 and Bluestein lengths, batched rows.
 */
import { type Tensor, npUtil } from "@kiln/core";
import { args, checkGradients, uniform } from "./gradcheck.test-util.js";

const { apply } = npUtil;
const fftOut = (inverse: boolean, index: number) => (re: Tensor, im: Tensor): Tensor => apply("fft", [re, im], { inverse, index });

describe("fft rules", () => {
  it("real and imaginary outputs of both directions against finite differences (lengths 4 and 5, batched)", () => {
    for (const inverse of [false, true]) {
      for (const index of [0, 1]) {
        checkGradients({ shapes: [[4], [4]], args: args(uniform(4, -2, 2), uniform(4, -2, 2)), f: fftOut(inverse, index), runs: 3 });
        checkGradients({ shapes: [[2, 5], [2, 5]], args: args(uniform(10, -2, 2), uniform(10, -2, 2)), f: fftOut(inverse, index), runs: 3 });
      }
    }
  });
});
