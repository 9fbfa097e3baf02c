/**
 * packages/core/src/np/numpy-more.ts under the transforms on the cpu backend: jit equal to eager,
 * gradients of the differentiable ones against central differences (float64), vmap of the
 * static-size index functions, and the ConcretizationError of the size-less forms under jit.
 */
import { expect } from "chai";
import { ConcretizationError, type Tensor, grad, jit, np, vmap } from "kiln";
import { useCpuBackend } from "kiln/internal";
import { checkGradFd, sample } from "./util.js";

const vals = (t: Tensor) => t.toArraySync();

describe("numpy-more functions under jit, grad and vmap", () => {
  before(() => useCpuBackend());

  it("jit gives the eager values", () => {
    const x = np.array([[0, 1.5, -2], [3, 0, 0.25]]);
    const fns: [string, (t: Tensor) => Tensor][] = [
      ["ravel", (t) => np.ravel(t)],
      ["atleast3d", (t) => np.atleast3d(t)],
      ["copy", (t) => np.copy(t)],
      ["inner", (t) => np.inner(t, t)],
      ["kron", (t) => np.kron(t, np.array([[1, -1]]))],
      ["interp", (t) => np.interp(t, np.array([-1, 0, 2]), np.array([5, 1, 3]))],
      ["digitize", (t) => np.digitize(t, np.array([-1, 0, 2]))],
      ["argwhere size", (t) => np.argwhere(t, { size: 5, fillValue: -1 })],
      ["flatnonzero size", (t) => np.flatnonzero(t, { size: 3 })],
      ["unravelIndex", (t) => np.unravelIndex(np.astype(t, "int32"), [2, 3])[1]!],
      ["ravelMultiIndex clip", (t) => np.ravelMultiIndex([np.astype(t, "int32"), np.astype(t, "int32")], [2, 3], { mode: "clip" })],
      ["nanargmax", (t) => np.nanargmax(t, { axis: 1 })],
      ["nancumprod", (t) => np.nancumprod(t, { axis: 1 })],
      ["fillDiagonal", (t) => np.fillDiagonal(t, np.array([7, 8]))],
      ["putAlongAxis", (t) => np.putAlongAxis(t, np.array([[2], [0]], { dtype: "int32" }), np.array([[-5], [6]]), 1)],
      ["gcd", (t) => np.gcd(np.astype(t, "int32"), np.array([4, 6, 9], { dtype: "int32" }))],
      ["ldexp", (t) => np.ldexp(t, np.array([[3, -2, 0], [1, 1, -130]], { dtype: "int32" }))],
      ["frexp", (t) => np.frexp(t)[0]!],
      ["frexp exponent", (t) => np.frexp(t)[1]!],
      ["nextafter", (t) => np.nextafter(t, np.zeros([2, 3]))],
      ["lcm", (t) => np.lcm(np.astype(t, "int32"), np.array([4, 6, 9], { dtype: "int32" }))],
    ];
    for (const [name, f] of fns) expect(vals(jit(f)(x)), name).to.deep.equal(vals(f(x)));
  });

  it("gradients match central differences (inner, kron, interp in x and in fp, nancumprod, ravel)", () => {
    checkGradFd("inner", (x) => np.inner(x, np.multiply(x, x)), [2, 3]);
    checkGradFd("kron", (x) => np.kron(x, np.array([[1, 2], [3, 4]], { dtype: "float64" })), [2, 2]);
    const xp = np.array([-3, -1, 0.5, 2, 4], { dtype: "float64" });
    checkGradFd("interp in x", (x) => np.interp(x, xp, np.array([1, -2, 0, 5, 3], { dtype: "float64" })), [6]);
    checkGradFd("interp periodic in x", (x) => np.interp(x, xp, np.array([1, -2, 0, 5, 3], { dtype: "float64" }), { period: 7.5 }), [6]);
    checkGradFd("interp in fp", (fp) => np.interp(np.array([-2, 0, 1, 3.5, 9], { dtype: "float64" }), xp, fp), [5]);
    checkGradFd("nancumprod", (x) => np.nancumprod(x), [5]);
    checkGradFd("ravel", (x) => np.ravel(x), [2, 3]);
    checkGradFd("ldexp in x", (x) => np.ldexp(x, np.array([[2, -1, 0], [5, -3, 1]], { dtype: "int32" })), [2, 3]);
    checkGradFd("fillDiagonal in a", (x) => np.fillDiagonal(x, 2), [3, 2]);
    checkGradFd("fillDiagonal in val", (v) => np.fillDiagonal(np.zeros([4, 4], { dtype: "float64" }), v), [3]);
    const idx = np.array([[1, 0], [2, 2]], { dtype: "int32" });
    checkGradFd("putAlongAxis in arr", (x) => np.putAlongAxis(x, idx, np.array([[5, 6], [7, 8]], { dtype: "float64" }), 1), [2, 3]);
    checkGradFd("putAlongAxis in values", (v) => np.putAlongAxis(np.zeros([2, 3], { dtype: "float64" }), idx, v, 1), [2, 2]);
  });

  it("interp's gradient at a repeated xp is finite (the zero-width interval is guarded)", () => {
    // x = 0.5 lands in the zero-width first interval [1, 1] (then takes `left` = fp[0]).
    const g = grad((fp: Tensor) => np.interp(np.array([0.5, 1.5]), np.array([1, 1, 2]), fp).sum())(np.array([0, 1, 2]));
    expect(vals(g as Tensor)).to.deep.equal([1, 0.5, 0.5]);
  });

  it("vmap gives the per-row values", () => {
    const x = np.array([[0, 1.5, -2], [3, NaN, 0.25]]);
    const fns: [string, (t: Tensor) => Tensor][] = [
      ["interp", (t) => np.interp(t, np.array([-1, 0, 2]), np.array([5, 1, 3]))],
      ["kron", (t) => np.kron(t, np.array([1, -1]))],
      ["nanargmax", (t) => np.nanargmax(t)],
      ["digitize", (t) => np.digitize(t, np.array([-1, 0, 2]))],
      ["putAlongAxis", (t) => np.putAlongAxis(t, np.array([2], { dtype: "int32" }), 9, 0)],
      ["fillDiagonal", (t) => np.fillDiagonal(np.reshape(np.concatenate([t, t, t]), [3, 3]), 0)],
      ["frexp", (t) => np.frexp(t)[0]!],
    ];
    for (const [name, f] of fns) {
      const rows = [0, 1].map((i) => vals(f(np.get(x, i))));
      expect(vals(vmap(f)(x)), name).to.deep.equal(rows);
    }
  });

  it("the static-size forms vmap; the size-less forms name `size` under jit", () => {
    const rows = np.array([[0, 2, 0], [1, 1, 0]]);
    expect(vals(vmap((t: Tensor) => np.flatnonzero(t, { size: 2, fillValue: -1 }))(rows))).to.deep.equal([[1, -1], [0, 1]]);
    expect(() => jit((t: Tensor) => np.flatnonzero(t))(rows)).to.throw(ConcretizationError, /size/);
    expect(() => jit((t: Tensor) => np.nonzero(t)[0]!)(rows)).to.throw(ConcretizationError, /size/);
    expect(() => jit((t: Tensor) => np.ravelMultiIndex([np.astype(t, "int32")], [3]))(np.array([1]))).to.throw(ConcretizationError, /clip/);
  });
});
