/**
 * The shape-extra and poly functions under the transforms: gradients against central finite
 * differences (float64, eager), and jit and vmap against the eager per-example results.
 */
import { expect } from "chai";
import { type Tensor, jit, np, vmap } from "kiln";
import { checkGradFd, sample } from "./util.js";

type F = (x: Tensor) => Tensor;
const checkGrad = checkGradFd;

const CASES: [string, F, number[]][] = [
  ["diff n=2 with prepend", (x) => np.diff(x, 2, { prepend: 1.5, axis: 0 }), [4, 3]],
  ["ediff1d", (x) => np.ediff1d(x, { toBegin: 2 }), [2, 3]],
  ["trapezoid(y, x)", (x) => np.trapezoid(x, { x: np.array([0, 0.5, 2], { dtype: "float64" }) }), [2, 3]],
  ["trapezoid over its own x", (x) => np.trapezoid(np.square(x), { x, axis: 0 }), [3, 2]],
  ["select", (x) => np.select([x.lt(0), x.gt(1)], [x.mul(x), x.sin()], x.mul(3)), [2, 4]],
  ["piecewise", (x) => np.piecewise(x, [x.lt(0)], [(v) => v.exp(), (v) => v.mul(v)]), [5]],
  ["polyval in x", (x) => np.polyval(np.array([2, -1, 0.5, 3], { dtype: "float64" }), x), [3]],
  ["polyval in p", (p) => np.polyval(p, np.array([0.5, -2], { dtype: "float64" })), [4]],
  ["polyval, a batch of p [3, 2]", (p) => np.polyval(p, np.array([0.5, -2], { dtype: "float64" })), [3, 2]],
  ["polyadd, batched", (p) => np.polyadd(p, np.array([[1, 2]], { dtype: "float64" })), [3, 2]],
  ["polymul", (p) => np.polymul(p, np.multiply(p, p)), [3]],
  ["polyadd/polysub", (p) => np.polysub(np.polyadd(p, [1, 2, 3, 4]), np.multiply(p, p)), [2]],
  ["polyder/polyint", (p) => np.polyint(np.polyder(p, 1), 2, [1, 2]), [4]],
  ["roll", (x) => np.roll(x, [1, -1], [0, 1]), [3, 3]],
  ["rot90", (x) => np.rot90(x, 3, [1, 2]), [2, 3, 2]],
  ["diagonal", (x) => np.diagonal(x, { offset: 1, axis1: 2, axis2: 0 }), [3, 2, 4]],
  ["diag and diagflat", (x) => np.add(np.diag(np.diag(x), 1), np.diagflat(np.diag(x), -1)), [3, 3]],
  ["trace", (x) => np.trace(x, { offset: -1 }), [2, 3, 3]],
  ["tril/triu", (x) => np.add(np.tril(x, -1), np.multiply(np.triu(x, 1), x)), [3, 4]],
  ["vander", (x) => np.vander(x, 4), [3]],
  ["cross", (x) => np.cross(x, np.flip(x, 0)), [2, 3]],
  ["cross of 2-vectors", (x) => np.cross(x, np.flip(x, 1)), [3, 2]],
  ["matvec/vecmat", (x) => np.add(np.matvec(x, np.sin(np.get(x, 0, 0))), np.vecmat(np.get(x, 1, 1), x)), [2, 3, 3]],
  ["stacks and splits", (x) => np.columnStack([np.hstack(np.arraySplit(x, 3, { axis: 1 })), np.vstack(np.unstack(x, { axis: 1 })).T]), [3, 2]],
  ["dstack/dsplit", (x) => np.concatenate(np.dsplit(np.dstack([x, np.square(x)]), 2)), [2, 2]],
  ["iteration", (x) => { const [a, b] = x; return np.multiply(a!, b!); }, [2, 3]],
];

describe("np shape-extra under transforms", () => {
  describe("grad against central finite differences (float64)", () => {
    for (const [name, f, shape] of CASES) it(name, () => checkGrad(name, f, shape));
  });

  it("polyval/polyadd/polysub take JAX's batches: coefficients on axis 0, trailing axes broadcast (was a ShapeError)", () => {
    // column j of p is a polynomial in x[j]: [1, 0, 4] at 2 is 8, [2, 3, 5] at 3 is 32
    expect(np.polyval([[1, 2], [0, 3], [4, 5]], [2, 3]).toArraySync()).to.deep.equal([8, 32]);
    const model = (c: number[], x: number) => c.reduce((y, ci) => y * x + ci, 0);
    const p = [[1, -2, 0.5], [3, 0, -1]]; // [N=2, batch 3] against x [4, 1]
    const xs = [[-1], [0], [2], [0.5]];
    expect(np.polyval(p, xs).toArraySync()).to.deep.equal(xs.map(([x]) => [0, 1, 2].map((j) => model([p[0]![j]!, p[1]![j]!], x!))));
    const empty = np.polyval(np.zeros([0, 2, 1]), np.ones([3]));
    expect([empty.shape, empty.toArraySync()]).to.deep.equal([[2, 3], [[0, 0, 0], [0, 0, 0]]]);
    expect(np.polyadd([[2, 3, 1]], [[5, 7, 3], [8, 2, 6]]).toArraySync()).to.deep.equal([[5, 7, 3], [10, 5, 7]]);
    expect(np.polysub([[2, 3, 1]], [[5, 7, 3], [8, 2, 6]]).toArraySync()).to.deep.equal([[-5, -7, -3], [-6, 1, -5]]);
    // a 1-D polynomial broadcasts into a batch; the result has the longer operand's shape (JAX)
    expect(np.polyadd([[5, 7, 9], [8, 6, 4]], [2]).toArraySync()).to.deep.equal([[5, 7, 9], [10, 8, 6]]);
    expect(() => np.polyadd([1, 3, 5], [[5, 7, 9], [8, 6, 4]])).to.throw(/polyadd: coefficient batch \[3\] does not broadcast into \[\]/);
    expect(() => np.polyval([[1, 2, 3]], [1, 2])).to.throw(/polyval: shapes \[3\] and \[2\] cannot be broadcast/);
    expect(() => np.polymul([[1, 2]], [1])).to.throw(/polymul: coefficients must be a 1-D array/);
  });

  it("trapezoid takes an array dx (JAX): it broadcasts against y's pairwise sums with the axis moved last (was a ValueError)", () => {
    const y = np.array([[1, 2, 3], [4, 5, 6]]);
    // pairwise sums [[3, 5], [9, 11]] times dx [[1, 2], [1, 1]], halved, summed: [6.5, 10]
    expect(np.trapezoid(y, null, np.array([[1, 2], [1, 1]])).toArraySync()).to.deep.equal([6.5, 10]);
    // axis 0: y moved to [[1, 3, 5], [2, 4, 6]], sums [[4, 8], [6, 10]]; dx [[1], [2]] scales rows: [6, 16]
    expect(np.trapezoid(np.array([[1, 2], [3, 4], [5, 6]]), { dx: np.array([[1], [2]]), axis: 0 }).toArraySync()).to.deep.equal([6, 16]);
    expect(np.trapezoid([1, 2, 3], { dx: np.array(2) }).itemSync()).to.equal(np.trapezoid([1, 2, 3], { dx: 2 }).itemSync());
    checkGrad("trapezoid in dx", (d) => np.trapezoid(np.array([1, -2, 3.5], { dtype: "float64" }), { dx: d }), [2]);
    expect(() => np.trapezoid([1, 2, 3], { dx: np.array([1, 2, 3]) })).to.throw(/cannot be broadcast/);
  });

  it("fromfunction maps fn over every coordinate as JAX does (vmap): non-scalar results get shape as leading axes", () => {
    const a = np.fromfunction((i) => i.add(1).mul(np.arange(3)), [2]);
    expect([a.shape, a.toArraySync()]).to.deep.equal([[2, 3], [[0, 1, 2], [0, 2, 4]]]);
    // Elementwise fns give NumPy's grid values; pytrees of results, zero-size shapes and constants.
    expect(np.fromfunction((i, j) => i.mul(3).add(j), [2, 3]).toArraySync()).to.deep.equal([[0, 1, 2], [3, 4, 5]]);
    const [s, p] = np.fromfunction((i, j) => [i.add(j), i.mul(j)], [2, 2]);
    expect([s!.toArraySync(), p!.toArraySync()]).to.deep.equal([[[0, 1], [1, 2]], [[0, 0], [0, 1]]]);
    expect(np.fromfunction((i, j) => i.add(j), [0, 2]).shape).to.deep.equal([0, 2]);
    expect(np.fromfunction(() => np.array(5), [2]).toArraySync()).to.deep.equal([5, 5]);
    expect(np.fromfunction((i, j) => np.where(i.less(j), 1, 0), [2, 2]).toArraySync()).to.deep.equal([[0, 1], [0, 0]]);
    // Under jit, and in a batched graph (the coordinate depends on a traced value).
    expect(jit((x: Tensor) => np.fromfunction((i) => i.mul(x), [3]))(np.array(2)).toArraySync()).to.deep.equal([0, 2, 4]);
    expect(vmap((x: Tensor) => np.fromfunction((i) => i.mul(x), [2]))(np.array([1, 3])).toArraySync()).to.deep.equal([[0, 1], [0, 3]]);
  });

  it("Tensor has jax-js / TF.js comparison method names (equal, notEqual, less, lessEqual, greater, greaterEqual)", () => {
    const x = np.array([1, 2, 3]);
    expect([x.equal(2), x.notEqual(2), x.less(2), x.lessEqual(2), x.greater(2), x.greaterEqual(2)].map((t) => t.toArraySync()))
      .to.deep.equal([[false, true, false], [true, false, true], [true, false, false], [true, true, false], [false, false, true], [false, true, true]]);
  });

  it("the finite-difference check can fail (a wrong derivative is caught)", () => {
    // stopGradient gives a zero gradient where the true one is not.
    expect(() => checkGrad("broken", (x) => np.stopGradient(np.roll(x, 1)), [3])).to.throw(/finite difference/);
  });

  it("jit gives the eager values", () => {
    const x = sample([3, 3]);
    for (const [name, f] of CASES) {
      const shape = CASES.find((c) => c[0] === name)![2];
      const v = sample(shape);
      expect(Array.from((jit(f)(v) as Tensor).dataSync()), name).to.deep.equal(Array.from(f(v).dataSync()));
    }
    expect(jit((t: Tensor) => np.diagonal(t))(x).shape).to.deep.equal([3]);
  });

  it("vmap over a leading batch axis gives the per-example values", () => {
    const batch = sample([4, 3, 3]);
    const perExample: [string, F][] = [
      ["diagonal", (m) => np.diagonal(m, { offset: 1 })],
      ["trace", (m) => np.trace(m)],
      ["roll", (m) => np.roll(m, 1)],
      ["rot90", (m) => np.rot90(m)],
      ["diff", (m) => np.diff(m, 1, { axis: 0, append: 0 })],
      ["cross", (m) => np.cross(m, np.flip(m, 0))],
      ["polyval", (m) => np.polyval(np.get(m, 0), np.get(m, 1))],
      ["polymul", (m) => np.polymul(np.get(m, 0), np.get(m, 2))],
      ["tril", (m) => np.tril(m)],
      ["select", (m) => np.select([m.gt(0)], [m], -1)],
      ["iteration", (m) => { const [a, , c] = m; return np.subtract(a!, c!); }],
      ["matvec", (m) => np.matvec(m, np.get(m, 0))],
    ];
    for (const [name, f] of perExample) {
      const got = vmap(f)(batch) as Tensor;
      const want = np.stack([...batch].map(f));
      expect(got.shape, name).to.deep.equal(want.shape);
      expect(Array.from(got.dataSync()), name).to.deep.equal(Array.from(want.dataSync()));
    }
  });
});
