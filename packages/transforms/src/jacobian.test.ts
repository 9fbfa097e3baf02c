/** jacrev, jacfwd, jacobian and hessian: shapes [...out, ...in], pytrees, argnums, the table. */
import { expect } from "chai";
import { DTypeError, type Tensor, np, slice } from "@kiln/core";
import { GradientTransform, hessian, jacfwd, jacobian, jacrev, jit } from "./index.js";
import { expectClose } from "@kiln/core/testing";

const T = (v: unknown) => v as Tensor;
const both = [["jacrev", jacrev], ["jacfwd", jacfwd]] as const;

describe("jacrev and jacfwd", () => {
  for (const [name, jac] of both) {
    describe(name, () => {
      it("computes [[2x, 1], [y, x], [0, 2y]] for f(x, y) = [x² + y, xy, y²] at (2, 3)", () => {
        const f = (v: Tensor) => np.stack([v.get(0).pow(2).add(v.get(1)), v.get(0).mul(v.get(1)), v.get(1).pow(2)]);
        expectClose(T(jac(f)(np.array([2, 3]))), [[4, 1], [3, 2], [0, 6]]);
      });

      it("gives shape [...outShape, ...inShape] for any ranks, scalars and empty arrays", () => {
        const sq = T(jac((x: Tensor) => x.mul(x))(np.array([[1, 2, 3], [4, 5, 6]])));
        expect(sq.shape).to.deep.equal([2, 3, 2, 3]);
        const v = sq.toArraySync() as number[][][][];
        for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) for (let l = 0; l < 3; l++) {
          expect(v[i]![j]![k]![l]).to.equal(i === k && j === l ? 2 * (3 * i + j + 1) : 0);
        }
        // scalar -> vector, vector -> scalar, scalar -> scalar
        expectClose(T(jac((t: Tensor) => np.stack([t, t.mul(t)]))(3)), [1, 6]);
        expectClose(T(jac((x: Tensor) => x.pow(2).sum())(np.array([1, -2]))), [2, -4]);
        expectClose(T(jac((t: Tensor) => t.exp())(0)), 1);
        // zero-size output and zero-size input
        expect(T(jac((x: Tensor) => x.get(slice(0, 0)))(np.array([1, 2]))).shape).to.deep.equal([0, 2]);
        expect(T(jac((x: Tensor) => x.sum().add(1))(np.zeros([0, 2]))).shape).to.deep.equal([0, 2]);
      });

      it("equals W for a linear layer Wx + b", () => {
        const W = np.array([[1, 2], [3, 4], [5, 6]]);
        const b = np.array([0.1, 0.2, 0.3]);
        expectClose(T(jac((x: Tensor) => W.matmul(x).add(b))(np.array([1, 2]))), [[1, 2], [3, 4], [5, 6]]);
      });

      it("lays out pytree outputs and inputs as JAX (output structure outside)", () => {
        const f = (p: { a: Tensor; b: Tensor }) => [p.a.mul(p.b), p.a.add(p.b).sum()];
        const J = jac(f)({ a: np.array([1, 2]), b: np.array([3, 4]) }) as [{ a: Tensor; b: Tensor }, { a: Tensor; b: Tensor }];
        expectClose(J[0].a, [[3, 0], [0, 4]]);
        expectClose(J[0].b, [[1, 0], [0, 2]]);
        expectClose(J[1].a, [1, 1]);
        expectClose(J[1].b, [1, 1]);
      });

      it("takes argnums arrays: one Jacobian per argument, in order", () => {
        const f = (x: Tensor, y: Tensor) => x.mul(y).sum().add(y.pow(2));
        const [jy, jx] = jac(f, { argnums: [1, 0] })(np.array([1, 2]), np.array(3)) as Tensor[];
        expectClose(jy!, 1 + 2 + 6);
        expectClose(jx!, [3, 3]);
      });

      it("follows the return table (seed 003's f1 with returnValue and hasAux)", () => {
        const f1 = (x: Tensor, y: Tensor) => {
          const a = x.get(1).pow(2).mul(4).sub(x.get(2).mul(2));
          return [np.stack([x.get(0).mul(y.get(0)), x.get(2).mul(y.get(1)).mul(5), a, x.get(2).mul(x.get(0).sin())]), a];
        };
        const [J, value, aux] = jac(f1, { returnValue: true, hasAux: true })(np.array([1, 2, 3]), np.array([10, 5])) as Tensor[];
        expectClose(J!, [[10, 0, 0], [0, 0, 25], [0, 16, -2], [3 * Math.cos(1), 0, Math.sin(1)]], { rtol: 1e-6 });
        expectClose(value!, [10, 75, 10, 3 * Math.sin(1)], { rtol: 1e-6 });
        expectClose(aux!, 10);
        const [[Jx, Jy]] = jac(f1, { argnums: [0, 1], hasAux: true })(np.array([1, 2, 3]), np.array([10, 5])) as [Tensor[], Tensor];
        expect(Jx!.shape).to.deep.equal([4, 3]);
        expectClose(Jy!, [[1, 0], [0, 15], [0, 0], [0, 0]]);
      });

      it("rejects int inputs and outputs", () => {
        expect(() => jac((x: Tensor) => x)(np.array([1], { dtype: "int32" }))).to.throw(DTypeError, new RegExp(`${name} requires real-valued`));
        expect(() => jac((x: Tensor) => x.astype("int32"))(np.array([1.5]))).to.throw(DTypeError, /real-valued \(float\) outputs/);
      });
    });
  }

  it("agree on a nonlinear function, and jacobian is jacrev", () => {
    const f = (x: Tensor) => np.stack([x.get(0).mul(x.get(1)), x.get(0).sin(), x.get(1).exp()]);
    const want = [[2, 1], [Math.cos(1), 0], [0, Math.exp(2)]];
    for (const jac of [jacrev, jacfwd, jacobian]) expectClose(T(jac(f)(np.array([1, 2]))), want, { rtol: 1e-6 });
    expect(jacobian(f)).to.be.instanceOf(GradientTransform);
  });
});

describe("hessian", () => {
  it("of x³ + y³ + 3xy at (1, 2) is [[6x, 3], [3, 6y]] = [[6, 3], [3, 12]]", () => {
    const f = (v: Tensor) => v.get(0).pow(3).add(v.get(1).pow(3)).add(v.get(0).mul(v.get(1)).mul(3));
    expectClose(T(hessian(f)(np.array([1, 2]))), [[6, 3], [3, 12]]);
  });

  it("of sum(x²) and of x·x is 2I", () => {
    expectClose(T(hessian((x: Tensor) => x.mul(x).sum())(np.array([1, 2, 3]))), [[2, 0, 0], [0, 2, 0], [0, 0, 2]]);
    expectClose(T(hessian((x: Tensor) => np.dot(x, x))(np.array([1, 2]))), [[2, 0], [0, 2]]);
  });

  it("has shape [...out, ...in, ...in] and the diagonal 2 sin x + 4x cos x - x² sin x for sum(x² sin x)", () => {
    const x0 = [0.3, -1.1, 2];
    const H = T(hessian((x: Tensor) => x.pow(2).mul(x.sin()).sum())(np.array(x0)));
    expectClose(H, x0.map((xi, i) => x0.map((_, j) => (i === j ? 2 * Math.sin(xi) + 4 * xi * Math.cos(xi) - xi * xi * Math.sin(xi) : 0))), { rtol: 1e-5, atol: 1e-5 });
    const M = T(hessian((m: Tensor) => m.pow(3).sum())(np.array([[1, 2], [3, 4]])));
    expect(M.shape).to.deep.equal([2, 2, 2, 2]);
    expect((M.toArraySync() as number[][][][])[1]![0]![1]![0]).to.equal(18);
  });

  it("nests per argnums: [[Hxx, Hxy], [Hyx, Hyy]] for x²y at (2, 3)", () => {
    const [[hxx, hxy], [hyx, hyy]] = hessian((x: Tensor, y: Tensor) => x.pow(2).mul(y), { argnums: [0, 1] })(np.array(2), np.array(3)) as Tensor[][];
    expect([hxx!, hxy!, hyx!, hyy!].map((t) => t.itemSync())).to.deep.equal([6, 4, 4, 0]);
  });

  it("equals every other composition of the Jacobians", () => {
    const f = (x: Tensor) => x.get(0).mul(x.get(1).exp()).add(x.get(1).pow(3).mul(x.get(0).sin()));
    const x = np.array([0.4, -0.7]);
    const want = T(hessian(f)(x)).toArraySync() as number[][];
    const [a, b] = [0.4, -0.7];
    const exact = [[-(b ** 3) * Math.sin(a), Math.exp(b) + 3 * b * b * Math.cos(a)], [Math.exp(b) + 3 * b * b * Math.cos(a), a * Math.exp(b) + 6 * b * Math.sin(a)]];
    expectClose(want, exact, { rtol: 1e-5 });
    for (const H of [jacrev(jacfwd(f)), jacrev(jacrev(f)), jacfwd(jacfwd(f))]) expectClose(T(H(x)), exact, { rtol: 1e-5 });
  });

  it("follows the table: returnValue gives the function's value, hasAux its aux", () => {
    const [H, v] = hessian((x: Tensor) => x.pow(3).sum(), { returnValue: true })(np.array([1, 2])) as Tensor[];
    expectClose(H!, [[6, 0], [0, 12]]);
    expect(v!.itemSync()).to.equal(9);
    const [H2, v2, aux] = hessian((x: Tensor) => [x.pow(3).sum(), { sq: x.mul(x) }], { returnValue: true, hasAux: true })(np.array([1, 2])) as [Tensor, Tensor, { sq: Tensor }];
    expectClose(H2, [[6, 0], [0, 12]]);
    expect(v2.itemSync()).to.equal(9);
    expectClose(aux.sq, [1, 4]);
  });

  it("is one batched graph, not one copy per basis vector: a jitted 32x32 Hessian is a single kernel", () => {
    const f = (x: Tensor) => x.pow(3).sum().add(x.get(0).mul(x.get(1)));
    const h = jit(hessian(f));
    const x = np.arange(32, { dtype: "float32" }).mul(0.1);
    const H = h(x).toArraySync() as number[][];
    // 6·x_i on the diagonal, 1 at (0, 1) and (1, 0)
    H.forEach((row, i) => row.forEach((v, j) => expect(v).to.be.closeTo((i === j ? 6 * Math.fround(0.1 * i) : 0) + (i + j === 1 ? 1 : 0), 1e-5)));
    expect(h.lower(x).stats.kernels).to.be.at.most(2);
  });
});
