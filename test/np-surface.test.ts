/**
 * The session-28 jax.numpy names (numpy-aliases.ts, set-ops.ts, numpy-extra.ts) under the
 * transforms on the cpu backend: jit equal to eager, gradients against central differences
 * (float64), vmap equal to the per-example results, and the ConcretizationError of the
 * data-dependent forms under jit (naming the static `size` option).
 */
import { expect } from "chai";
import { ConcretizationError, ShapeError, type Tensor, ValueError, grad, jit, np, vmap } from "kiln";
import { useCpuBackend } from "kiln/internal";
import { checkGradFd } from "./util.js";

const vals = (t: Tensor) => t.toArraySync();

describe("session-28 np names under jit, grad and vmap", () => {
  before(() => useCpuBackend());

  it("aliases: jit equals eager, grad by hand, vmap", () => {
    const f = (x: Tensor) => np.sum(np.multiply(np.amax(np.fliplr(x), 1), np.real(np.rollaxis(x, 1)).sum(0)));
    const x = np.array([[1, 4], [3, 2]], { dtype: "float64" });
    expect(vals(jit(f)(x))).to.equal(vals(f(x)));
    // d/dx of sum_i max_j x[i, j] * sum_j x[i, j]: row 0 max 4 sum 5, row 1 max 3 sum 5
    expect(vals(grad(f)(x))).to.deep.equal([[4, 9], [8, 3]]);
    expect(vals(vmap((r: Tensor) => np.angle(np.amin(r)))(np.array([[-1, 2], [3, 4]])))).to.deep.equal([Math.fround(Math.PI), 0]);
    checkGradFd("flipud/conj/amin", (t) => np.multiply(np.flipud(np.conj(t)), np.amin(t, 0, null, true)), [3, 2]);
    checkGradFd("broadcastArrays", (t) => { const [a, b] = np.broadcastArrays(t, np.get(t, 0)); return np.multiply(a!, b!); }, [3, 2]);
  });

  it("set functions: static size under jit and vmap, a ConcretizationError naming size without it", () => {
    const x = np.array([4, 2, 4, 7]);
    const f = (a: Tensor) => np.setxor1d(a, [2, 9], { size: 5, fillValue: 0 });
    expect(vals(jit(f)(x))).to.deep.equal([4, 7, 9, 0, 0]);
    expect(vals(jit(f)(x))).to.deep.equal(vals(f(x)));
    expect(vals(jit((a: Tensor) => np.intersect1d(a, [7, 4, 1], { size: 3, fillValue: -1 }))(x))).to.deep.equal([4, 7, -1]);
    expect(vals(jit((a: Tensor) => np.uniqueCounts(a, { size: 3 }).counts)(x))).to.deep.equal([1, 2, 1]);
    expect(vals(vmap((a: Tensor) => np.union1d(a, [0], { size: 3, fillValue: -1 }))(np.array([[1, 1], [2, 0]])))).to.deep.equal([[0, 1, -1], [0, 2, -1]]);
    expect(() => jit((a: Tensor) => np.setdiff1d(a, [2]))(x)).to.throw(ConcretizationError, /setdiff1d.*size/);
    expect(() => jit((a: Tensor) => np.uniqueValues(a))(x)).to.throw(ConcretizationError, /uniqueValues.*size/);
    checkGradFd("union1d values", (t) => np.union1d(t, np.array([100], { dtype: "float64" }), { size: 4 }), [3]);
  });

  it("array editing: jit equals eager, gradients, a ConcretizationError for traced shape-setting values", () => {
    const x = np.array([[1, -2, 3], [0.5, 4, -1]], { dtype: "float64" });
    const fns: [string, (t: Tensor) => Tensor][] = [
      ["insert", (t) => np.insert(t, [0, 2], np.get(t, 0), 0)],
      ["delete", (t) => np.delete(t, [0, -1], 1)],
      ["compress size", (t) => np.compress(np.greater(np.get(t, 0), 0), t, { axis: 1, size: 3, fillValue: 7 })],
      ["extract size", (t) => np.extract(np.greater(t, 0), t, { size: 5 })],
      ["place", (t) => np.place(t, np.less(t, 0), [10, 20])],
      ["put", (t) => np.put(t, [0, 5], np.get(t, 1, 1), "wrap")],
      ["resize", (t) => np.resize(t, [4, 2])],
      ["choose clip", (t) => np.choose(np.array([[0, 3, 1], [1, 0, -2]], { dtype: "int32" }), [t, np.negative(t)], "clip")],
      ["block", (t) => np.block([[t, t], [np.ones([1, 3]), np.expandDims(np.get(t, 0), 0)]])],
      ["vecdot", (t) => np.vecdot(t, np.flipud(t), { axis: 0 })],
    ];
    for (const [name, f] of fns) expect(vals(jit(f)(x)), name).to.deep.equal(vals(f(x)));
    for (const [name, f] of fns) checkGradFd(name, f, [2, 3]);
    expect(vals(vmap((r: Tensor) => np.insert(r, 1, 0))(x))).to.deep.equal([[1, 0, -2, 3], [0.5, 0, 4, -1]]);
    expect(() => jit((t: Tensor) => np.delete(x, np.astype(np.get(t, 0, 0), "int32")))(np.array([[1]]))).to.throw(ConcretizationError, /delete: obj/);
    expect(() => jit((t: Tensor) => np.compress(np.greater(t, 0), t))(np.array([1, -1]))).to.throw(ConcretizationError, /compress.*size/);
    expect(() => jit((t: Tensor) => np.choose(np.astype(t, "int32"), [1, 2]))(np.array([1, 0]))).to.throw(ConcretizationError, /choose.*wrap/);
    expect(() => jit((t: Tensor) => np.trimZeros(t))(np.array([0, 1]))).to.throw(ConcretizationError, /trimZeros/);
  });

  it("numeric: jit equals eager, gradients through gradient/i0/histogramBinEdges, vmap of histogramdd", () => {
    const x = np.array([[1, -2, 3.5], [0.5, 4, -1]], { dtype: "float64" });
    const fns: [string, (t: Tensor) => Tensor][] = [
      ["gradient", (t) => np.stack(np.gradient(t) as Tensor[])],
      ["gradient coordinates", (t) => np.gradient(t, np.array([0, 1, 3], { dtype: "float64" }), { axis: 1 }) as Tensor],
      ["i0", (t) => np.i0(t)],
      ["histogramBinEdges", (t) => np.histogramBinEdges(t, 4)],
      ["histogramdd", (t) => np.histogramdd(np.transpose(t), 2)[0]],
    ];
    for (const [name, f] of fns) expect(vals(jit(f)(x)), name).to.deep.equal(vals(f(x)));
    for (const [name, f] of fns.slice(0, 4)) checkGradFd(name, f, [2, 3]);
    const bits = np.array([[1, 0, 1], [0, 0, 1]], { dtype: "int32" });
    expect(vals(jit((b: Tensor) => np.unpackbits(np.packbits(b, 1), 1, 3))(bits))).to.deep.equal([[1, 0, 1], [0, 0, 1]]);
    expect(vals(jit((b: Tensor) => np.bitwiseCount(b))(np.array([7, -1], { dtype: "int32" })))).to.deep.equal([3, 1]);
    expect(vals(jit((t: Tensor) => np.spacing(t))(np.array([1, -0])))).to.deep.equal([2 ** -23, 2 ** -149]);
    expect(vals(vmap((r: Tensor) => np.histogramdd(np.expandDims(r, 1), 2, [[0, 4]])[0])(np.array([[0, 1, 3], [3, 3, 4]])))).to.deep.equal([[2, 1], [0, 3]]);
  });

  it("polynomials: jit equals eager and gradients for poly, polydiv, polyfit", () => {
    const fns: [string, (t: Tensor) => Tensor][] = [
      ["poly", (t) => np.poly(t)],
      ["polydiv quotient and remainder", (t) => { const [q, r] = np.polydiv(np.concatenate([t, np.array([1], { dtype: "float64" })]), np.get(t, [0, 1])); return np.concatenate([q, r]); }],
      ["polyfit", (t) => np.polyfit(np.array([0, 1, 2, 3.5], { dtype: "float64" }), t, 2) as Tensor],
    ];
    const x = np.array([1.5, -0.5, 2, 0.25], { dtype: "float64" });
    for (const [name, f] of fns) expect(vals(jit(f)(x)), name).to.deep.equal(vals(f(x)));
    for (const [name, f] of fns) checkGradFd(name, f, [4]);
    expect(() => jit((t: Tensor) => np.polydiv(t, [1, 1], { trimLeadingZeros: true })[1])(x)).to.throw(ConcretizationError, /trimLeadingZeros/);
  });

  it("vectorize: nested vmap over loop axes (scalars, gufunc signatures, excluded args), under jit and grad", () => {
    const f = np.vectorize((a: Tensor, b: Tensor) => np.where(a.gt(b), a.sub(b), a.add(b)));
    expect(vals(f([1, 4], 2) as Tensor)).to.deep.equal([3, 2]);
    expect(vals(f([[1], [4]], [2, 0]) as Tensor)).to.deep.equal([[3, 1], [2, 4]]);
    expect(vals(np.vectorize((x: Tensor) => x.sum(), { signature: "(n)->()" })([[1, 2], [3, 4]]) as Tensor)).to.deep.equal([3, 7]);
    const mv = np.vectorize((a: Tensor, b: Tensor) => np.matmul(a, b), { signature: "(m,n),(n)->(m)" });
    expect(vals(mv(np.ones([3, 2, 4]), np.array([1, 2, 3, 4])) as Tensor)).to.deep.equal([[10, 10], [10, 10], [10, 10]]);
    expect(vals(np.vectorize((x: Tensor, k: number) => x.mul(k), { excluded: [1] })([[1, 2]], 3) as Tensor)).to.deep.equal([[3, 6]]);
    const two = np.vectorize((x: Tensor) => [x.add(1), x.mul(2)])([1, 2]) as Tensor[];
    expect(two.map(vals)).to.deep.equal([[2, 3], [2, 4]]);
    expect(vals(jit((x: Tensor) => np.vectorize((y: Tensor) => y.mul(y))(x) as Tensor)(np.array([1, 2, 3])))).to.deep.equal([1, 4, 9]);
    checkGradFd("vectorize", (x) => np.vectorize((y: Tensor) => np.sin(y).mul(y))(x) as Tensor, [2, 3]);
    expect(() => mv(np.ones([2, 3]), np.ones([4]))).to.throw(ShapeError, "core dimension n");
    expect(() => np.vectorize((x: Tensor) => x, { signature: "(n),(n)->()" })([1])).to.throw(ValueError, "2 inputs");
  });
});
