/**
 * Rounding on the CPU backend (docs/architecture.md, "Rounding: one value, one set of bits"): a float32
 * value recomputed inside a fused kernel equals, bit for bit, the same value stored by another
 * kernel, so derivatives that compare a recomputed value with a stored one (max/min reductions,
 * maximum/minimum, clip) take the same branch in f, jit(f), grad(f) and jit(grad(f)).
 */
import { expect } from "chai";
import { type Tensor, grad, jit, lowerGraph, np } from "kiln";
import { checkProgram, roundingProperty } from "./rounding-programs.js";
import { useCpu } from "./util.js";

const T = (v: unknown) => v as Tensor;

describe("rounding: one value, one set of bits (cpu)", () => {
  useCpu();

  it("issue 11 item 2: grad of max(einsum(A, s)) with respect to s is finite, eager and jit", () => {
    const A = np.array([[-1, -0.737], [0.511, -0.083]]), s = np.array(0.066);
    const g = grad((A: Tensor, s: Tensor) => np.max(np.einsum("ab,->a", A, s)), { argnums: 1 });
    expect(T(g(A, s)).itemSync()).to.be.closeTo(0.428, 1e-6);
    expect(T(jit(g)(A, s)).itemSync()).to.be.closeTo(0.428, 1e-6);
  });

  it("issue 19: jit(grad(f)) equals grad(f) through where/maximum/log1p", () => {
    const f = (a: Tensor, b: Tensor, c: Tensor) => np.log1p(np.maximum(np.where(np.less(a.div(b), 0.5), c, a.div(b)), -3));
    const g = grad(f, { argnums: [0, 1, 2] });
    const eager = (g(np.array(2.171), np.array(0.962), np.array(2.053)) as Tensor[]).map((t) => t.itemSync());
    const jitted = (jit(g)(np.array(2.171), np.array(0.962), np.array(2.053)) as Tensor[]).map((t) => t.itemSync());
    expect(eager[0]).to.be.closeTo(0.3192, 1e-4);
    expect(eager[1]).to.be.closeTo(-0.7203, 1e-4);
    expect(jitted).to.deep.equal(eager);
  });

  it("grad(prod) over rank 3 (its backward pass reads a reshape through flips) — issue 11 item 1", () => {
    const x = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 0.5]]]);
    const all = [1, 2, 3, 4, 5, 6, 7, 0.5];
    const total = all.reduce((p, v) => p * v, 1);
    const g = grad((v: Tensor) => np.prod(v));
    expect(Array.from(T(g(x)).dataSync())).to.deep.equal(all.map((v) => total / v));
    expect(Array.from(T(jit(g)(x)).dataSync())).to.deep.equal(all.map((v) => total / v));
  });

  it("a float32 value recomputed inside a fused kernel equals the stored max of it", () => {
    const x = np.array(Array.from({ length: 4096 }, (_, i) => Math.sin(i * 0.731) * 3));
    // The maximum is an output, so it is stored; y is recomputed in the kernel that compares it
    // with that stored maximum (the mask of JAX's max vjp).
    const f = jit((x: Tensor) => {
      const y = np.tanh(x.mul(1.37).add(0.1)).div(3).add(np.exp(x.mul(0.2)));
      const m = np.max(y), lo = np.min(y);
      return [m, lo, np.sum(np.equal(y, m).astype("int32")), np.sum(np.equal(y, lo).astype("int32"))];
    });
    expect(f.lower(x).kernels.length).to.be.at.least(2);
    expect((f(x) as Tensor[]).slice(2).map((t) => t.itemSync())).to.deep.equal([1, 1]);
  });

  it("every float32 result in a JS kernel is rounded where it is computed", () => {
    const src = lowerGraph(np.exp(np.array([1, 2]).mul(0.1)).add(1)).kernels[0]!.source;
    // float32 exp is a float32 function (the wasm vector math's scalar twin): it rounds by itself.
    expect(src).to.include("f32exp(");
    expect(src).to.not.include("Math.exp(");
    expect(src).to.include("Math.fround((t");
    // 0.1 reaches the kernel through the parameter buffer, a Float32Array: the float32 number, as
    // when it is stored (params.test.ts); the source holds no value.
    expect(src).to.not.include("0.1");
  });

  it("random programs: f, jit(f), grad(f), jit(grad(f)) agree", async () => {
    await roundingProperty({ rtol: 1e-5, atol: 1e-6 }, 150, 1903);
  });

  it("the recorded counterexamples of the property", async () => {
    await checkProgram(["maxOfScaled"], 3, { rtol: 1e-5, atol: 1e-6 });
    await checkProgram(["whereLess", "maximumConst", "log1p"], 11, { rtol: 1e-5, atol: 1e-6 });
  });
});
