/**
 * The rounding property on webgpu (docs/architecture.md, "Rounding: one value, one set of bits"):
 * random programs with equality masks behind recomputed values give the same results as f,
 * jit(f), grad(f) and jit(grad(f)). WGSL computes in f32, so every value is rounded where it is
 * computed; the test guards that a recomputed value never takes another branch than the stored one.
 */
import { type Tensor, grad, jit, np } from "kiln";
import { expect } from "chai";
import { useWebgpu } from "./env.js";
import { checkProgram, roundingProperty } from "../rounding-programs.js";

describe("webgpu: rounding (f, jit(f), grad(f), jit(grad(f)) agree)", function () {
  this.timeout(120000);
  useWebgpu();

  it("issue 11 item 2 and issue 19 on webgpu", async () => {
    const A = np.array([[-1, -0.737], [0.511, -0.083]]), s = np.array(0.066);
    const g = grad((A: Tensor, s: Tensor) => np.max(np.einsum("ab,->a", A, s)), { argnums: 1 });
    expect(await (g(A, s) as Tensor).item()).to.be.closeTo(0.428, 1e-5);
    expect(await (jit(g)(A, s) as Tensor).item()).to.be.closeTo(0.428, 1e-5);
    await checkProgram(["whereLess", "maximumConst", "log1p"], 11, { rtol: 1e-5, atol: 1e-6 });
  });

  it("random programs", async () => {
    await roundingProperty({ rtol: 1e-5, atol: 1e-6 }, 20, 1903);
  });
});
