/**
 * Derivatives and batching of the `svd` primitive: jvp/vjp against finite differences (and each
 * other) on matrices with well-separated singular values, every orientation, batched; the
 * singular values alone also at repeated values (finite there, as JAX); vmap and jit of np.linalg.svd.
 */
import { expect } from "chai";
import { type Prim, type PrimParams, type Tensor, ValueError, np, npUtil } from "@kiln/core";
import { grad, jit, vmap } from "../index.js";
import { jvpNodes, vjpNodes } from "../derive.js";
import { checkGradients, evaluate, f64, uniform } from "./gradcheck.test-util.js";

const { apply } = npUtil;
const op = <P extends Prim>(prim: P, params: PrimParams[P]) => (...xs: Tensor[]): Tensor => apply(prim, xs, params);

/**
 * b m×n matrices diag(k, k-1, …, 1) + 0.3·noise: singular values at least ~0.4 apart and ≥ ~0.4,
 * singular vectors near the axes (so the sign convention never flips under a small step).
 */
const separated = (b: number, m: number, n: number) =>
  uniform(b * m * n, -0.3, 0.3).map((v) => [v.map((x, i) => {
    const r = Math.floor(i / n) % m, c = i % n;
    return r === c ? x + (Math.min(m, n) - r) : x;
  })]);

describe("svd derivatives", () => {
  for (const [m, n] of [[3, 3], [4, 3], [3, 4], [1, 3]] as const) {
    it(`s, u and vh of ${m}×${n} (reduced) against finite differences`, () => {
      for (const index of [0, 1, 2]) {
        checkGradients({ shapes: [[m, n]], args: separated(1, m, n), f: op("svd", { fullMatrices: false, index }), runs: 6, tol: 1e-6 });
      }
    });
  }

  it("batched, and s of a full (non-square) svd", () => {
    for (const index of [0, 1, 2]) checkGradients({ shapes: [[2, 3, 2]], args: separated(2, 3, 2), f: op("svd", { fullMatrices: false, index }), runs: 4, tol: 1e-6 });
    checkGradients({ shapes: [[2, 4]], args: separated(1, 2, 4), f: op("svd", { fullMatrices: true, index: 0 }), runs: 4, tol: 1e-6 });
    checkGradients({ shapes: [[3, 3]], args: separated(1, 3, 3), f: op("svd", { fullMatrices: true, index: 1 }), runs: 4, tol: 1e-6 });
  });

  it("the derivative of s is ds = diag(Uᵀ dA V): finite at repeated singular values (the identity)", () => {
    const x = f64([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]);
    const s = apply("svd", [x], { fullMatrices: false, index: 0 });
    const [g] = vjpNodes([s], [f64([1, 1, 1], [3])], [x.node]);
    // d(Σ s)/dA = U Vᵀ = I for A = I.
    expect(Array.from(evaluate(g!))).to.deep.equal([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const [t] = jvpNodes([s], new Map([[x.node, f64([0.5, 0, 0, 0, 0, 0, 0, 0, -0.25], [3, 3])]]));
    expect([...evaluate(t!)].sort()).to.deep.equal([-0.25, 0, 0.5].sort());
  });

  it("u/vh derivatives of a non-square full svd are a ValueError (not unique), as JAX", () => {
    const x = f64([1, 2, 3, 4, 5, 7], [3, 2]);
    const u = apply("svd", [x], { fullMatrices: true, index: 1 });
    expect(() => vjpNodes([u], [f64(new Array(9).fill(1), [3, 3])], [x.node])).to.throw(ValueError, "fullMatrices: false");
  });

  it("pinv, lstsq's x and the spectral/nuclear norms through the svd rules", () => {
    checkGradients({ shapes: [[3, 2]], args: separated(1, 3, 2), f: (x) => np.linalg.pinv(x), runs: 4, tol: 1e-6 });
    checkGradients({ shapes: [[2, 3]], args: separated(1, 2, 3), f: (x) => np.linalg.pinv(x), runs: 4, tol: 1e-6 });
    checkGradients({ shapes: [[3, 2]], args: separated(1, 3, 2), f: (x) => np.linalg.lstsq(x, f64([1, -2, 0.5], [3]))[0], runs: 4, tol: 1e-6 });
    for (const ord of [2, -2, "nuc"] as const) checkGradients({ shapes: [[3, 3]], args: separated(1, 3, 3), f: (x) => np.linalg.norm(x, { ord }), runs: 4, tol: 1e-6 });
  });

  it("grad of the nuclear norm is U Vᵀ; vmap and jit of np.linalg.svd agree with the loop", () => {
    const a = [[2, 1, 0], [0.5, 3, 1], [0, 0.2, 1]];
    const g = grad((x: Tensor) => np.linalg.norm(x, { ord: "nuc" }))(np.array(a, { dtype: "float64" })) as Tensor;
    const [u, , vh] = np.linalg.svd(np.array(a, { dtype: "float64" }));
    const uvt = np.matmul(u, vh);
    const close = (p: Tensor, q: Tensor) => Array.from(p.dataSync() as ArrayLike<number>).forEach((v, i) => expect(v).to.be.closeTo((q.dataSync() as ArrayLike<number>)[i]!, 1e-10));
    close(g, uvt);
    const batch = np.array([a, [[1, 0, 0], [0, 2, 0], [0, 0, 3]]], { dtype: "float64" });
    const f = (x: Tensor) => np.linalg.svdvals(x);
    const viaVmap = vmap(f)(batch) as Tensor;
    close(viaVmap, np.linalg.svdvals(batch));
    close(jit(f)(batch) as Tensor, np.linalg.svdvals(batch));
  });
});
