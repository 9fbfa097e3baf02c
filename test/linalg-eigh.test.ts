/**
 * np.linalg.eigh / eigvalsh: properties on seeded random symmetric matrices (reconstruction
 * V diag(w) Vᵀ = A, orthonormal V, ascending w, the sign convention), closed forms, the UPLO and
 * symmetrizeInput options, typed errors, gradients against finite differences through the public
 * surface, and vmap/jit agreeing with the eager call.
 */
import { expect } from "chai";
import fc from "fast-check";
import { DTypeError, ShapeError, ValueError, type Tensor, grad, jit, np, prng, random, vmap } from "kiln";
import { checkGradFd, expectClose } from "./util.js";

const vals = (t: Tensor): number[] => Array.from(t.dataSync());
const flat = (t: Tensor): Float64Array => Float64Array.from(t.dataSync());
const f64 = (v: number[][] | number[][][]) => np.array(v, { dtype: "float64" });

/** A symmetric n×n matrix with entries in [-2, 2] from `v` (its lower triangle mirrored). */
function symmetric(v: readonly number[], n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => v[Math.max(i, j) * n + Math.min(i, j)]!));
}

function checkDecomposition(a: number[][], w: number[], v: number[], tol: number): void {
  const n = a.length;
  for (let k = 1; k < n; k++) expect(w[k]!, "ascending").to.be.at.least(w[k - 1]!);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let rec = 0, gram = 0;
      for (let k = 0; k < n; k++) (rec += v[i * n + k]! * w[k]! * v[j * n + k]!), (gram += v[k * n + i]! * v[k * n + j]!);
      expect(rec, `reconstruction [${i}][${j}]`).to.be.closeTo(a[i]![j]!, tol);
      expect(gram, `orthonormality [${i}][${j}]`).to.be.closeTo(i === j ? 1 : 0, tol);
    }
  }
  // The sign convention: each column's largest-magnitude component is positive.
  for (let k = 0; k < n; k++) {
    const col = Array.from({ length: n }, (_, i) => v[i * n + k]!);
    const big = col.reduce((b, x) => (Math.abs(x) > Math.abs(b) ? x : b), 0);
    expect(big, `column ${k} sign`).to.be.above(0);
  }
}

describe("np.linalg.eigh", () => {
  it("reconstructs random symmetric matrices with orthonormal eigenvectors, ascending eigenvalues (float64)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 36, maxLength: 36 }), (n, v) => {
      const a = symmetric(v, n);
      const [w, vec] = np.linalg.eigh(f64(a));
      expect(w.shape).to.deep.equal([n]);
      expect(vec.shape).to.deep.equal([n, n]);
      checkDecomposition(a, vals(w), vals(vec), 1e-10);
    }), { numRuns: 40, seed: 7 });
  });

  it("float32, batched: every matrix of the batch decomposed (eigvalsh agrees)", () => {
    const a = [symmetric([1, 0, 0, 2, 3, 0, -1, 0.5, 2], 3), symmetric([4, 0, 0, 1, 1, 0, 0, 2, -3], 3)];
    const [w, v] = np.linalg.eigh(a);
    expect(w.dtype).to.equal("float32");
    expect(v.shape).to.deep.equal([2, 3, 3]);
    a.forEach((m, b) => checkDecomposition(m, vals(w).slice(3 * b, 3 * b + 3), vals(v).slice(9 * b, 9 * b + 9), 1e-5));
    expectClose(np.linalg.eigvalsh(a), flat(w), { rtol: 0, atol: 0 });
  });

  it("2×2 closed forms: [[a, b], [b, a]] has eigenvalues a ∓ b with vectors (∓1, 1)/√2", () => {
    const [w, v] = np.linalg.eigh(f64([[2, 1], [1, 2]]));
    expectClose(w, [1, 3], { atol: 1e-12 });
    const r = Math.SQRT1_2;
    // Column 0 is ±(1, -1)/√2: the first of two equal-magnitude components is made positive.
    expectClose(v, [[r, r], [-r, r]], { atol: 1e-12 });
    const [wd, vd] = np.linalg.eigh(f64([[3, 0], [0, -1]]));
    expectClose(wd, [-1, 3], { atol: 0 });
    expectClose(vd, [[0, 1], [1, 0]], { atol: 0 });
  });

  it("symmetrizes by default; symmetrizeInput: false reads the UPLO triangle", () => {
    const a = f64([[1, 4], [0, 1]]);
    expectClose(np.linalg.eigvalsh(a), [-1, 3], { atol: 1e-12 });              // (a + aᵀ)/2 = [[1, 2], [2, 1]]
    expectClose(np.linalg.eigvalsh(a, { symmetrizeInput: false }), [1, 1], { atol: 1e-12 });            // lower: [[1, 0], [0, 1]]
    expectClose(np.linalg.eigvalsh(a, { symmetrizeInput: false, UPLO: "U" }), [-3, 5], { atol: 1e-12 }); // upper: [[1, 4], [4, 1]]
  });

  it("bad input is a typed error", () => {
    expect(() => np.linalg.eigh(np.ones([2, 3]))).to.throw(ShapeError);
    expect(() => np.linalg.eigh(np.ones([3]))).to.throw(ShapeError);
    expect(() => np.linalg.eigvalsh(np.array([[1, 2], [2, 1]], { dtype: "int32" }))).to.throw(DTypeError);
    expect(() => np.linalg.eigh(np.eye(2), { UPLO: "X" as "L" })).to.throw(ValueError);
  });

  it("a non-finite entry gives NaN everywhere (as LAPACK-backed JAX)", () => {
    const [w, v] = np.linalg.eigh(f64([[1, NaN], [NaN, 2]]));
    expect(vals(w).every(Number.isNaN)).to.equal(true);
    expect(vals(v).every(Number.isNaN)).to.equal(true);
  });

  it("gradients through the public surface match finite differences (well-separated eigenvalues)", () => {
    const shift = f64([[0, 0, 0], [0, 4, 0], [0, 0, 8]]);
    const sep = (x: Tensor) => np.add(np.multiply(x, 0.2), shift);
    checkGradFd("eigvalsh", (x) => np.linalg.eigvalsh(sep(x)), [3, 3]);
    checkGradFd("eigh vectors", (x) => np.linalg.eigh(sep(x))[1], [3, 3]);
    checkGradFd("eigh vectors, lower triangle", (x) => np.linalg.eigh(sep(x), { symmetrizeInput: false })[1], [3, 3]);
    // d(sum w)/dA = I for a symmetric A (sum w = trace A).
    expectClose(grad((x: Tensor) => np.sum(np.linalg.eigvalsh(x)))(f64([[2, 1], [1, 3]])) as Tensor, [[1, 0], [0, 1]], { atol: 1e-12 });
  });

  it("vmap and jit agree with the eager batched call", () => {
    const a = f64([[[2, 0.5, 0], [0.5, 3, 0.1], [0, 0.1, 5]], [[1, -0.3, 0.2], [-0.3, -2, 0], [0.2, 0, 4]]]);
    const [w, v] = np.linalg.eigh(a);
    const [vw, vv] = vmap((m: Tensor) => np.linalg.eigh(m))(a) as Tensor[];
    expectClose(vw!, flat(w), { atol: 1e-12 });
    expectClose(vv!, flat(v), { atol: 1e-12 });
    const [jw, jv] = jit((m: Tensor) => np.linalg.eigh(m))(a) as Tensor[];
    expectClose(jw!, flat(w), { atol: 1e-12 });
    expectClose(jv!, flat(v), { atol: 1e-12 });
  });

  for (const method of ["eigh", "svd"] as const) {
    it(`prng.multivariateNormal with method "${method}" (was a ValueError): moments, and a singular PSD covariance`, () => {
      const N = 20000, key = prng.key(3);
      const mv = vals(prng.multivariateNormal(key, [1, -1], [[2, 0.6], [0.6, 1]], { shape: [N], method }));
      const x = mv.filter((_, i) => i % 2 === 0), y = mv.filter((_, i) => i % 2 === 1);
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      const mx = mean(x), my = mean(y);
      const cov = (u: number[], mu: number, t: number[], mt: number) => u.reduce((a, ui, i) => a + (ui - mu) * (t[i]! - mt), 0) / N;
      // Standard errors: sqrt(var / N) for the means, about sqrt(2 var² / N) for the (co)variances.
      expect(mx).to.be.closeTo(1, 5 * Math.sqrt(2 / N));
      expect(my).to.be.closeTo(-1, 5 * Math.sqrt(1 / N));
      expect(cov(x, mx, x, mx)).to.be.closeTo(2, 5 * Math.sqrt(8 / N));
      expect(cov(y, my, y, my)).to.be.closeTo(1, 5 * Math.sqrt(2 / N));
      expect(cov(x, mx, y, my)).to.be.closeTo(0.6, 5 * Math.sqrt(2.36 / N));
      // cov = [[1, 1], [1, 1]] is singular (Cholesky gives NaN): the samples lie on x = y.
      const s = vals(prng.multivariateNormal(key, [0, 0], [[1, 1], [1, 1]], { shape: [50], method }));
      for (let i = 0; i < 50; i++) expect(s[2 * i]!).to.be.closeTo(s[2 * i + 1]!, 1e-5);
      expect(random.multivariateNormal([0, 0], np.eye(2), { size: [3], method }).shape).to.deep.equal([3, 2]);
      expect(() => prng.multivariateNormal(key, [0, 0], np.eye(2), { method: "qr" as "eigh" })).to.throw(ValueError, /eigh/);
    });
  }
});
