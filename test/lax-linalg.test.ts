/**
 * lax.linalg (JAX's jax.lax.linalg conventions): lu against LAPACK getrf's documented results and
 * the reconstruction a[perm] = L U on batched square/tall/wide matrices; triangularSolve in all 16
 * option combinations against its defining equation; the lax defaults of qr/eigh/svd/cholesky;
 * gradients against finite differences; typed errors for what lax refuses (no promotion).
 */
import { expect } from "chai";
import fc from "fast-check";
import { DTypeError, ShapeError, ValueError, type Tensor, grad, jit, lax, np, vmap } from "kiln";
import { checkGradFd, expectClose, sample } from "./util.js";

const vals = (t: Tensor) => Float64Array.from(t.dataSync());
const rows = (t: Tensor): number[][] => {
  const [m, n] = t.shape.slice(-2) as [number, number];
  const v = Array.from(t.dataSync());
  return Array.from({ length: m }, (_, i) => v.slice(i * n, (i + 1) * n));
};

/** L (m×k, unit diagonal) and U (k×n) unpacked from one packed m×n LU. */
function unpack(lu: number[][], m: number, n: number): { l: number[][]; u: number[][] } {
  const k = Math.min(m, n);
  const l = Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : i > j ? lu[i]![j]! : 0)));
  const u = Array.from({ length: k }, (_, i) => Array.from({ length: n }, (_, j) => (j >= i ? lu[i]![j]! : 0)));
  return { l, u };
}
const mm = (a: number[][], b: number[][]) => a.map((r) => b[0]!.map((_, j) => r.reduce((s, v, k) => s + v * b[k]![j]!, 0)));

describe("lax.linalg.lu", () => {
  it("gives LAPACK getrf's factors for a 2×2 and a 3×3 (pivots, permutation, packed LU)", () => {
    const [lu, piv, perm] = lax.linalg.lu(np.array([[1, 2], [3, 4]], { dtype: "float64" }));
    expectClose(lu, [[3, 4], [1 / 3, 2 / 3]], { atol: 1e-12 });
    expect(Array.from(piv.dataSync())).to.deep.equal([1, 1]);
    expect(Array.from(perm.dataSync())).to.deep.equal([1, 0]);
    expect(piv.dtype).to.equal("int32");
    const [lu3, piv3, perm3] = lax.linalg.lu(np.array([[2, 1, 1], [4, -6, 0], [-2, 7, 2]], { dtype: "float64" }));
    // column 0: |4| is largest (row 1, swapped in); the updated column 1 is [4, 4]: a tie, so the
    // first row stays (no swap), as LAPACK's idamax.
    expect(Array.from(piv3.dataSync())).to.deep.equal([1, 1, 2]);
    expect(Array.from(perm3.dataSync())).to.deep.equal([1, 0, 2]);
    expectClose(lu3, [[4, -6, 0], [0.5, 4, 1], [-0.5, 1, 1]], { atol: 1e-12 });
  });

  it("reconstructs a[perm] = L U for batched square, tall and wide matrices", () => {
    for (const shape of [[3, 4, 4], [2, 5, 3], [2, 3, 5]]) {
      const a = sample(shape, shape[1]!);
      const [lu, piv, perm] = lax.linalg.lu(a);
      const [B, m, n] = shape as [number, number, number];
      expect(piv.shape).to.deep.equal([B, Math.min(m, n)]);
      expect(perm.shape).to.deep.equal([B, m]);
      const av = rows(a.reshape([B * m, n])), luv = rows(lu.reshape([B * m, n])), pv = Array.from(perm.dataSync());
      for (let b = 0; b < B; b++) {
        const { l, u } = unpack(luv.slice(b * m, (b + 1) * m), m, n);
        const want = pv.slice(b * m, (b + 1) * m).map((r) => av[b * m + r]!);
        expectClose(np.array(mm(l, u)), want, { atol: 1e-9 });
        // |L| ≤ 1: partial pivoting chose the largest entry of each column.
        expect(l.flat().every((v) => Math.abs(v) <= 1 + 1e-12)).to.equal(true);
      }
    }
  });

  it("a singular matrix still factors (zero pivot column skipped); non-finite input gives NaN", () => {
    const [lu, , perm] = lax.linalg.lu(np.array([[0, 1, 2], [0, 3, 4], [0, 5, 7]], { dtype: "float64" }));
    expect(Array.from(perm.dataSync())).to.deep.equal([0, 2, 1]);
    expectClose(lu, [[0, 1, 2], [0, 5, 7], [0, 0.6, -0.2]], { atol: 1e-12 });
    const [luNaN] = lax.linalg.lu(np.array([[1, NaN], [2, 3]]));
    expect(Array.from(luNaN.dataSync()).every(Number.isNaN)).to.equal(true);
  });

  it("runs under jit and vmap; its gradient matches finite differences", () => {
    const a = sample([3, 3], 4);
    const f = jit((x: Tensor) => lax.linalg.lu(x)[0]);
    expectClose(f(a) as Tensor, vals(lax.linalg.lu(a)[0]), { atol: 1e-12 });
    const batched = vmap((x: Tensor) => lax.linalg.lu(x)[2])(sample([2, 3, 3], 6));
    expect(Array.from(batched.dataSync())).to.deep.equal(Array.from(lax.linalg.lu(sample([2, 3, 3], 6))[2].dataSync()));
    checkGradFd("lu", (x) => lax.linalg.lu(x)[0], [3, 3]);
    checkGradFd("lu tall", (x) => lax.linalg.lu(x)[0], [4, 2]);
  });

  it("property: for any matrix, permutation is a permutation, |L| <= 1 and a[perm] = L U", () => {
    const dims = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }));
    fc.assert(fc.property(dims.chain(([m, n]) => fc.tuple(fc.constant([m, n]), fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: m * n, maxLength: m * n }))), ([[m, n], v]) => {
      const a = np.array(v, { dtype: "float64" }).reshape([m!, n!]);
      const [lu, piv, perm] = lax.linalg.lu(a);
      const p = Array.from(perm.dataSync());
      expect([...p].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: m! }, (_, i) => i));
      // replaying the pivots (row j swapped with row pivots[j]) gives the permutation
      const replay = Array.from({ length: m! }, (_, i) => i);
      Array.from(piv.dataSync()).forEach((q, j) => ([replay[j], replay[q]] = [replay[q]!, replay[j]!]));
      expect(replay).to.deep.equal(p);
      const { l, u } = unpack(rows(lu), m!, n!);
      expect(l.flat().every((x) => Math.abs(x) <= 1 + 1e-12)).to.equal(true);
      const av = rows(a);
      expectClose(mm(l, u), p.map((r) => av[r]!), { atol: 1e-9, rtol: 1e-9 });
    }), { numRuns: 60 });
  });

  it("bad input: integer or non-matrix operands are typed errors", () => {
    expect(() => lax.linalg.lu(np.array([[1, 2], [3, 4]], { dtype: "int32" }))).to.throw(DTypeError, /promote/);
    expect(() => lax.linalg.lu(np.array([1, 2]))).to.throw(ShapeError, /matrices/);
  });
});

describe("lax.linalg.triangularSolve", () => {
  const a = np.array([[2, 0.5, -1], [0.3, 3, 0.7], [-0.4, 0.2, 4]], { dtype: "float64" });
  const masked = (lower: boolean, unit: boolean) => {
    const v = rows(a);
    return v.map((r, i) => r.map((x, j) => (i === j ? (unit ? 1 : x) : (lower ? i > j : i < j) ? x : 0)));
  };
  const tr = (m: number[][]) => m[0]!.map((_, j) => m.map((r) => r[j]!));

  it("solves op(a) x = b or x op(a) = b for every option combination, reading one triangle", () => {
    for (const leftSide of [true, false]) for (const lower of [true, false]) for (const transposeA of [true, false]) for (const unitDiagonal of [true, false]) {
      const b = leftSide ? sample([3, 2], 2) : sample([2, 3], 2);
      const x = lax.linalg.triangularSolve(a, b, { leftSide, lower, transposeA, unitDiagonal });
      let opA = masked(lower, unitDiagonal);
      if (transposeA) opA = tr(opA);
      const back = leftSide ? mm(opA, rows(x)) : mm(rows(x), opA);
      expectClose(back, rows(b), { atol: 1e-12 }); // (each of the 16 option combinations)
    }
  });

  it("batches (broadcast) and differentiates in both operands; the unread triangle gets no gradient", () => {
    const x = lax.linalg.triangularSolve(np.stack([a, a.mul(2)]), sample([2, 3, 4], 3), { leftSide: true, lower: true });
    expect(x.shape).to.deep.equal([2, 3, 4]);
    checkGradFd("triangularSolve b", (b) => lax.linalg.triangularSolve(a, b, { lower: true }), [2, 3]);
    const lowerA = (t: Tensor) => t.add(np.eye(3, { dtype: "float64" }).mul(4));
    checkGradFd("triangularSolve a", (t) => lax.linalg.triangularSolve(lowerA(t), sample([3, 2], 5), { leftSide: true, lower: true }), [3, 3]);
    const g = grad((t: Tensor) => np.sum(lax.linalg.triangularSolve(t, sample([3, 2], 5), { leftSide: true, lower: true })))(a);
    const gv = rows(g);
    expect([gv[0]![1], gv[0]![2], gv[1]![2]]).to.deep.equal([0, 0, 0]);
  });

  it("bad input: shapes, dtypes and options are checked", () => {
    expect(() => lax.linalg.triangularSolve(a, np.ones([2, 2], { dtype: "float64" }), { leftSide: true })).to.throw(ShapeError, /rows must be 3/);
    expect(() => lax.linalg.triangularSolve(a, np.ones([3, 3]))).to.throw(DTypeError, /promote/);
    expect(() => lax.linalg.triangularSolve(a, np.ones([3], { dtype: "float64" }))).to.throw(ShapeError);
    expect(() => lax.linalg.triangularSolve(a, a, { lower: 1 as never })).to.throw(ValueError, /boolean/);
  });
});

describe("lax.linalg: JAX's lax-level defaults over the np.linalg primitives", () => {
  const spd = np.array([[4, 2, 0.4], [2, 3, 0.5], [0.4, 0.5, 2]], { dtype: "float64" });

  it("qr is full by default; eigh returns [vectors, values]; svd [u, s, vh] or s", () => {
    const [q, r] = lax.linalg.qr(sample([4, 2]));
    expect([q.shape, r.shape]).to.deep.equal([[4, 4], [4, 2]]);
    const [qr2] = lax.linalg.qr(sample([4, 2]), { fullMatrices: false });
    expect(qr2.shape).to.deep.equal([4, 2]);
    const [v, w] = lax.linalg.eigh(spd);
    expect([v.shape, w.shape]).to.deep.equal([[3, 3], [3]]);
    expectClose(w, vals(np.linalg.eigvalsh(spd)), { atol: 1e-12 });
    const [u, s, vh] = lax.linalg.svd(sample([3, 2]));
    expect([u.shape, s.shape, vh.shape]).to.deep.equal([[3, 3], [2], [2, 2]]);
    expectClose(lax.linalg.svd(sample([3, 2]), { computeUv: false }), vals(s), { atol: 1e-12 });
  });

  it("cholesky symmetrizes its input by default (JAX), reads the lower triangle without", () => {
    const skew = spd.add(np.array([[0, 1, 0], [-1, 0, 0], [0, 0, 0]], { dtype: "float64" }));
    expectClose(lax.linalg.cholesky(skew), vals(np.linalg.cholesky(spd)), { atol: 1e-12 });
    expectClose(lax.linalg.cholesky(skew, { symmetrizeInput: false }), vals(np.linalg.cholesky(np.tril(skew))), { atol: 1e-12 });
  });
});
