/**
 * np.linalg.svd / svdvals / pinv / lstsq / matrixRank and the SVD matrix norms, checked against
 * closed forms and by properties of the factorization (reconstruction, orthogonality, order) on
 * seeded random matrices of every orientation, batched and rank-deficient.
 */
import { expect } from "chai";
import fc from "fast-check";
import { expectClose } from "../testing.js";
import { DTypeError, IndexError, ShapeError, ValueError } from "../errors.js";
import { svdF64 } from "../linalg-svd-f64.js";
import { type Tensor } from "../tensor.js";
import { apply } from "./util.js";
import * as np from "./index.js";

let seed = 2024;
function rnd(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
}
const randMat = (m: number, n: number): number[][] => Array.from({ length: m }, () => Array.from({ length: n }, rnd));
const values = (t: Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>);

/** Row-major product of an m×k and a k×n matrix, in float64 (independent of the code under test). */
function mm(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
  return out;
}
const tr = (a: ArrayLike<number>, m: number, n: number): number[] => Array.from({ length: m * n }, (_, i) => a[(i % m) * n + Math.floor(i / m)]!);
const eye = (n: number): number[] => Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0));
function near(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, what).to.equal(b.length);
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]! - b[i]!) <= tol)) expect.fail(`${what}: element ${i} is ${a[i]}, expected ${b[i]}`);
}

/** u diag(s) vh = a, uᵀu = I, vh vhᵀ = I, s descending and ≥ 0 (float64 kernel). */
function checkFactorization(a: number[], m: number, n: number, full: boolean, tol = 1e-12): void {
  const { s, u, vh } = svdF64(Float64Array.from(a), m, n, full);
  const k = Math.min(m, n), uc = full ? m : k, vr = full ? n : k;
  expect(s.length).to.equal(k);
  for (let i = 0; i < k; i++) expect(s[i]!).to.be.at.least(0);
  for (let i = 1; i < k; i++) expect(s[i]!).to.be.at.most(s[i - 1]!);
  // u[:, :k] diag(s) vh[:k, :]
  const us = Array.from({ length: m * k }, (_, i) => u[Math.floor(i / k) * uc + (i % k)]! * s[i % k]!);
  near(mm(us, vh.subarray(0, k * n), m, k, n), a, tol * (1 + (s[0] ?? 0)), `reconstruct ${m}x${n}`);
  near(mm(tr(u, m, uc), u, uc, m, uc), eye(uc), tol, `uᵀu ${m}x${n}`);
  near(mm(vh, tr(vh, vr, n), vr, n, vr), eye(vr), tol, `vh vhᵀ ${m}x${n}`);
}

describe("svd kernel (one-sided Jacobi, float64)", () => {
  it("factorizes random matrices of every orientation, full and reduced", () => {
    for (const [m, n] of [[1, 1], [3, 3], [5, 3], [3, 5], [1, 4], [4, 1], [8, 8], [7, 2]] as const) {
      for (const full of [true, false]) checkFactorization(randMat(m, n).flat(), m, n, full);
    }
  });

  it("property: any matrix up to 6×6 (entries of mixed scale, repeated rows) factorizes", () => {
    const dims = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }));
    fc.assert(fc.property(dims.chain(([m, n]) => fc.tuple(fc.constant(m), fc.constant(n), fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: m * n, maxLength: m * n }), fc.boolean(), fc.boolean())),
      ([m, n, vals, dupRow, full]) => {
        // A duplicated row makes the matrix rank-deficient (a zero singular value when m ≤ n).
        const a = dupRow && m > 1 ? vals.map((v, i) => (i < n ? vals[n + i]! : v)) : vals;
        checkFactorization(a, m, n, full, 1e-11);
      }), { numRuns: 200 });
  });

  it("rank-deficient and zero matrices get a complete orthonormal basis", () => {
    checkFactorization(new Array(12).fill(1), 4, 3, true);
    checkFactorization(new Array(12).fill(0), 3, 4, true);
    checkFactorization([1, 2, 2, 4, 3, 6], 3, 2, true);
    expect(Array.from(svdF64(new Float64Array(6), 2, 3, false).s)).to.deep.equal([0, 0]);
  });

  it("matches the 2×2 closed form and keeps small singular values accurate (no AᵀA)", () => {
    // [[a, b], [0, d]]: s1 s2 = |ad|, s1² + s2² = a² + b² + d².
    const { s } = svdF64(Float64Array.of(2, 1, 0, 0.5), 2, 2, false);
    expect(s[0]! * s[1]!).to.be.closeTo(1, 1e-15);
    expect(s[0]! ** 2 + s[1]! ** 2).to.be.closeTo(5.25, 1e-14);
    // diag(1, 1e-12) rotated: AᵀA would lose the small value to rounding (1e-24 ≪ eps).
    const c = Math.cos(0.3), sn = Math.sin(0.3);
    const a = mm([c, -sn, sn, c], [1, 0, 0, 1e-12], 2, 2, 2);
    expect(svdF64(Float64Array.from(a), 2, 2, false).s[1]! / 1e-12).to.be.closeTo(1, 1e-4);
  });

  it("NaN in gives NaN out", () => {
    const r = svdF64(Float64Array.of(1, NaN, 0, 1), 2, 2, true);
    expect([...r.s, ...r.u, ...r.vh].every(Number.isNaN)).to.equal(true);
  });

  it("±inf in gives NaN out (every singular value, as LAPACK: not the finite columns' values)", () => {
    for (const r of [svdF64(Float64Array.of(0.875, Infinity, 1.125, -0.375, 2.5, 0, -1.625, 0, 3.375, -1.375, 0.5, 0), 3, 4, false), svdF64(Float64Array.of(-Infinity, 2, 3, 4), 2, 2, true)]) {
      expect([...r.s, ...r.u, ...r.vh].every(Number.isNaN)).to.equal(true);
    }
  });
});

describe("np.linalg.svd / svdvals", () => {
  it("returns [u, s, vh] with NumPy's shapes (fullMatrices default true)", () => {
    const a = np.array(randMat(5, 3));
    const [u, s, vh] = np.linalg.svd(a);
    expect([u.shape, s.shape, vh.shape]).to.deep.equal([[5, 5], [3], [3, 3]]);
    const [ur, , vhr] = np.linalg.svd(np.array(randMat(3, 5)), { fullMatrices: false });
    expect([ur.shape, vhr.shape]).to.deep.equal([[3, 3], [3, 5]]);
    expect(np.linalg.svd(a, { computeUv: false }).shape).to.deep.equal([3]);
  });

  it("reconstructs a batch and matches the closed form of a diagonal matrix", () => {
    const a = np.array([randMat(4, 3), randMat(4, 3)], { dtype: "float64" });
    const [u, s, vh] = np.linalg.svd(a, { fullMatrices: false });
    const rec = np.matmul(u.mul(s.reshape([2, 1, 3])), vh);
    near(values(rec), values(a), 1e-12, "batched reconstruction");
    expectClose(np.linalg.svdvals([[3, 0], [0, -4]]), [4, 3]);
    expectClose(np.linalg.svd([[0, 2], [0, 0]], { computeUv: false }), [2, 0]);
  });

  it("zero-size matrices: empty s, identity completions", () => {
    const [u, s, vh] = np.linalg.svd(np.zeros([0, 3]));
    expect([u.shape, s.shape, vh.shape]).to.deep.equal([[0, 0], [0], [3, 3]]);
    expect(values(vh)).to.deep.equal(eye(3));
    expect(np.linalg.svdvals(np.zeros([2, 0, 4])).shape).to.deep.equal([2, 0]);
    expect(np.linalg.pinv(np.zeros([3, 0])).shape).to.deep.equal([0, 3]);
    expect(values(np.linalg.matrixRank(np.zeros([0, 2])))).to.deep.equal([0]);
  });

  it("integer input is computed in float32; bad input is a typed error", () => {
    expect(np.linalg.svdvals([[1, 2], [3, 4]]).dtype).to.equal("float32");
    expect(() => np.linalg.svd([1, 2, 3])).to.throw(ShapeError, "expected a (batch of) matrices");
    expect(() => apply("svd", [np.array([[1, 2]])], { fullMatrices: true, index: 3 })).to.throw(IndexError, "output index 3");
    expect(() => apply("svd", [np.array([[1, 2]], { dtype: "int32" })], { fullMatrices: true, index: 0 })).to.throw(DTypeError, "float matrix");
  });
});

describe("np.linalg: pinv, lstsq, matrixRank, SVD norms", () => {
  it("pinv satisfies the Moore-Penrose conditions and drops tiny singular values", () => {
    const a = randMat(4, 3).flat();
    const p = values(np.linalg.pinv(np.array(a, { dtype: "float64" }).reshape([4, 3])));
    near(mm(mm(a, p, 4, 3, 4), a, 4, 4, 3), a, 1e-12, "A A⁺ A = A");
    near(mm(mm(p, a, 3, 4, 3), p, 3, 3, 4), p, 1e-10, "A⁺ A A⁺ = A⁺");
    expectClose(np.linalg.pinv([[1, 0], [0, 0]]), [[1, 0], [0, 0]]);
    expectClose(np.linalg.pinv([[1, 0], [0, 1e-3]], { rtol: 1e-2 }), [[1, 0], [0, 0]]);
    expect(np.linalg.pinv(np.ones([2, 3, 4])).shape).to.deep.equal([2, 4, 3]);
  });

  it("lstsq: NumPy's solution, residuals, rank and singular values", () => {
    const [x, res, rank, s] = np.linalg.lstsq(np.array([[1, 0], [0, 1], [1, 1]], { dtype: "float64" }), [1, 2, 2]);
    near(values(x), [2 / 3, 5 / 3], 1e-12, "x");
    near(values(res), [1 / 3], 1e-12, "residuals");
    expect(values(rank)).to.deep.equal([2]);
    near(values(s), [Math.sqrt(3), 1], 1e-12, "s");
    // Underdetermined: the minimum-norm solution, empty residuals.
    const [x2, res2] = np.linalg.lstsq(np.array([[1, 1]], { dtype: "float64" }), np.array([[2, 4]], { dtype: "float64" }));
    near(values(x2), [1, 2, 1, 2], 1e-12, "min-norm x");
    expect(res2.shape).to.deep.equal([0]);
    expect(() => np.linalg.lstsq([[1, 2]], [1, 2])).to.throw(ShapeError, "same number of rows");
  });

  it("matrixRank counts singular values above the tolerance", () => {
    expect(values(np.linalg.matrixRank([[1, 2], [2, 4]]))).to.deep.equal([1]);
    expect(values(np.linalg.matrixRank(np.eye(3)))).to.deep.equal([3]);
    expect(values(np.linalg.matrixRank([[1, 0], [0, 1e-3]], { tol: 1e-2 }))).to.deep.equal([1]);
    expect(values(np.linalg.matrixRank([[1, 0], [0, 1e-3]], { rtol: 1e-4 }))).to.deep.equal([2]);
    expect(values(np.linalg.matrixRank([0, 0]))).to.deep.equal([0]);
    expect(values(np.linalg.matrixRank([0, 3]))).to.deep.equal([1]);
    expect(np.linalg.matrixRank(np.ones([2, 3, 3])).dtype).to.equal("int32");
    expect(() => np.linalg.matrixRank(np.eye(2), { tol: 1, rtol: 1 })).to.throw(ValueError, "not both");
  });

  it("norm / matrixNorm ord 2, -2 and nuc are the largest, smallest and summed singular values", () => {
    const m = [[3, 0], [0, -4]];
    expectClose(np.linalg.norm(m, { ord: 2 }), 4);
    expectClose(np.linalg.norm(m, { ord: -2 }), 3);
    expectClose(np.linalg.norm(m, { ord: "nuc" }), 7);
    // Over a non-trailing axis pair (axis order swapped: the transpose has the same singular values).
    expectClose(np.linalg.norm(np.array([m, [[0, 1], [5, 0]]]), { ord: -2, axis: [2, 1] }), [3, 1]);
    expectClose(np.linalg.norm(np.array([[[1, 0]], [[0, 2]]]), { ord: "nuc", axis: [2, 0] }), [3]);
    expectClose(np.linalg.matrixNorm(np.array([m, [[1, 1], [1, 1]]]), { ord: "nuc", keepdims: true }), [[[7]], [[2]]]);
  });
});
