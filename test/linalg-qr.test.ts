/**
 * np.linalg.qr: properties on seeded random matrices of every aspect ratio (QR = A, QᵀQ = I, R
 * upper triangular), NumPy's values for a known case (LAPACK signs), the modes and their shapes,
 * typed errors, gradients against finite differences through the public surface, vmap and jit.
 */
import { expect } from "chai";
import fc from "fast-check";
import { DTypeError, ShapeError, ValueError, type Tensor, jit, np, vmap } from "kiln";
import { checkGradFd, expectClose } from "./util.js";

const vals = (t: Tensor): number[] => Array.from(t.dataSync());
const flat = (t: Tensor): Float64Array => Float64Array.from(t.dataSync());

function checkQr(a: number[], m: number, n: number, q: number[], r: number[], qCols: number, tol: number): void {
  const rRows = r.length / n;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < qCols; k++) s += q[i * qCols + k]! * r[k * n + j]!;
      expect(s, `(QR)[${i}][${j}]`).to.be.closeTo(a[i * n + j]!, tol);
    }
  }
  for (let i = 0; i < qCols; i++) {
    for (let j = 0; j < qCols; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += q[k * qCols + i]! * q[k * qCols + j]!;
      expect(s, `(QᵀQ)[${i}][${j}]`).to.be.closeTo(i === j ? 1 : 0, tol);
    }
  }
  for (let i = 0; i < rRows; i++) for (let j = 0; j < Math.min(i, n); j++) expect(r[i * n + j], `R[${i}][${j}]`).to.equal(0);
}

describe("np.linalg.qr", () => {
  it("reduced and complete factorizations of random matrices of every aspect ratio (float64)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 25, maxLength: 25 }), (m, n, v) => {
      const a = v.slice(0, m * n);
      const x = np.reshape(np.array(a, { dtype: "float64" }), [m, n]);
      const k = Math.min(m, n);
      const [q, r] = np.linalg.qr(x);
      expect(q.shape).to.deep.equal([m, k]);
      expect(r.shape).to.deep.equal([k, n]);
      checkQr(a, m, n, vals(q), vals(r), k, 1e-10);
      const [qc, rc] = np.linalg.qr(x, { mode: "complete" });
      expect(qc.shape).to.deep.equal([m, m]);
      expect(rc.shape).to.deep.equal([m, n]);
      checkQr(a, m, n, vals(qc), vals(rc), m, 1e-10);
      expectClose(np.linalg.qr(x, { mode: "r" }), flat(r), { rtol: 0, atol: 0 });
    }), { numRuns: 40, seed: 11 });
  });

  it("NumPy's values for [[1, 2], [3, 4], [5, 6]] (LAPACK signs: R's diagonal may be negative)", () => {
    const [q, r] = np.linalg.qr(np.array([[1, 2], [3, 4], [5, 6]], { dtype: "float64" }));
    expectClose(q, [[-0.16903085, 0.89708523], [-0.50709255, 0.27602622], [-0.84515425, -0.34503278]], { atol: 1e-8 });
    expectClose(r, [[-5.91607978, -7.43735744], [0, 0.82807867]], { atol: 1e-8 });
    // A column already zero below the diagonal is not reflected: qr(I) = (I, I).
    const [qi, ri] = np.linalg.qr(np.eye(3));
    expectClose(qi, flat(np.eye(3)), { atol: 0 });
    expectClose(ri, flat(np.eye(3)), { atol: 0 });
  });

  it("float32 and batched", () => {
    const a = np.add(np.reshape(np.sin(np.arange(24)).astype("float32"), [2, 4, 3]), np.multiply(np.eye(4, 3), 5).astype("float32"));
    const [q, r] = np.linalg.qr(a);
    expect(q.dtype).to.equal("float32");
    expect(q.shape).to.deep.equal([2, 4, 3]);
    expect(r.shape).to.deep.equal([2, 3, 3]);
    expectClose(np.matmul(q, r), flat(a), { atol: 1e-4 });
  });

  it("bad input is a typed error", () => {
    expect(() => np.linalg.qr(np.ones([3]))).to.throw(ShapeError);
    expect(() => np.linalg.qr(np.array([[1, 2]], { dtype: "int32" }))).to.throw(DTypeError);
    expect(() => np.linalg.qr(np.eye(2), { mode: "raw" as "r" })).to.throw(ValueError);
  });

  it("gradients through the public surface match finite differences (tall, well-conditioned)", () => {
    const shift = np.array([[3, 0], [0, 4], [0, 0]], { dtype: "float64" });
    const wc = (x: Tensor) => np.add(np.multiply(x, 0.2), shift);
    checkGradFd("qr Q", (x) => np.linalg.qr(wc(x))[0], [3, 2]);
    checkGradFd("qr R", (x) => np.linalg.qr(wc(x))[1], [3, 2]);
    checkGradFd("qr mode r", (x) => np.linalg.qr(wc(x), { mode: "r" }), [3, 2]);
  });

  it("vmap and jit agree with the eager batched call", () => {
    const a = np.reshape(np.array([2, 1, 0.5, 3, -1, 0.2, 1, 2, 0.3, -4, 1, 1], { dtype: "float64" }), [2, 3, 2]);
    const [q, r] = np.linalg.qr(a);
    const [vq, vr] = vmap((m: Tensor) => np.linalg.qr(m))(a) as Tensor[];
    expectClose(vq!, flat(q), { atol: 1e-12 });
    expectClose(vr!, flat(r), { atol: 1e-12 });
    const [jq, jr] = jit((m: Tensor) => np.linalg.qr(m))(a) as Tensor[];
    expectClose(jq!, flat(q), { atol: 1e-12 });
    expectClose(jr!, flat(r), { atol: 1e-12 });
  });
});
