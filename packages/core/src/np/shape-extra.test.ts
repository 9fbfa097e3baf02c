/**
 * Values of the shape-extra functions, written from NumPy's documented behaviour (its docstring
 * examples where they exist), plus edge cases: empty and 0-d arrays, negative axes, int dtypes,
 * NaN/inf, and the typed errors for bad input.
 */
import { expect } from "chai";
import { np, DTypeError, IndexError, KilnError, ShapeError, ValueError, type Tensor } from "../index.js";

const vals = (t: Tensor) => t.toArraySync();
const all = (ts: Tensor[]) => ts.map(vals);
const seq = (shape: number[], dtype: "float32" | "int32" = "float32") =>
  np.reshape(np.arange(shape.reduce((a, b) => a * b, 1), { dtype }), shape);

describe("np shape-extra", () => {
  describe("diff / ediff1d", () => {
    it("NumPy's examples, n > 1, prepend/append, axis", () => {
      const x = np.array([1, 2, 4, 7, 0]);
      expect(vals(np.diff(x))).to.deep.equal([1, 2, 3, -7]);
      expect(vals(np.diff(x, 2))).to.deep.equal([1, 1, -10]);
      expect(vals(np.diff([[1, 3, 6, 10], [0, 5, 6, 8]]))).to.deep.equal([[2, 3, 4], [5, 1, 2]]);
      expect(vals(np.diff([[1, 3, 6, 10], [0, 5, 6, 8]], 1, { axis: 0 }))).to.deep.equal([[-1, 2, 0, -2]]);
      expect(vals(np.diff([[1, 3], [0, 5]], 1, { axis: -2 }))).to.deep.equal([[-1, 2]]);
      expect(vals(np.diff(x, 1, { prepend: 0, append: [5, 6] }))).to.deep.equal([1, 1, 2, 3, -7, 5, 1]);
      expect(vals(np.diff([[1, 2], [3, 4]], 1, { axis: 0, prepend: 10 }))).to.deep.equal([[-9, -8], [2, 2]]);
      // options in n's place (NumPy parity suite: `diff(x, axis=0)`)
      expect(vals(np.diff([[1, 3, 6, 10], [0, 5, 6, 8]], { axis: 0 }))).to.deep.equal([[-1, 2, 0, -2]]);
    });
    it("edge cases: n = 0, n beyond the axis, empty, int32, bool, inf", () => {
      expect(vals(np.diff([1, 2], 0))).to.deep.equal([1, 2]);
      expect(np.diff([1, 2, 3], 5).shape).to.deep.equal([0]);
      expect(np.diff(np.zeros([2, 0])).shape).to.deep.equal([2, 0]);
      const i = np.diff(np.array([1, 5], { dtype: "int32" }));
      expect([i.dtype, vals(i)]).to.deep.equal(["int32", [4]]);
      const b = np.diff([true, true, false]);
      expect([b.dtype, vals(b)]).to.deep.equal(["bool", [false, true]]);
      expect(vals(np.diff([Infinity, Infinity, 1]))).to.deep.equal([NaN, -Infinity]);
    });
    it("rejects 0-d input, negative n and a bad axis", () => {
      expect(() => np.diff(3)).to.throw(ShapeError, /diff/);
      expect(() => np.diff([1, 2], -1)).to.throw(ValueError, /n must be/);
      expect(() => np.diff([1, 2], 1, { axis: 1 })).to.throw(IndexError);
    });
    it("ediff1d flattens and casts toBegin/toEnd", () => {
      expect(vals(np.ediff1d(np.array([1, 2, 4, 7]), { toBegin: -99, toEnd: [88, 99] }))).to.deep.equal([-99, 1, 2, 3, 88, 99]);
      expect(vals(np.ediff1d([[1, 2, 4], [1, 6, 24]]))).to.deep.equal([1, 2, -3, 5, 18]);
      const r = np.ediff1d(np.array([1, 4], { dtype: "int32" }), { toEnd: 2.5 });
      expect([r.dtype, vals(r)]).to.deep.equal(["int32", [3, 2]]);
      expect(np.ediff1d(np.zeros([0])).shape).to.deep.equal([0]);
    });
  });

  describe("trapezoid", () => {
    it("dx, x and axis (NumPy's examples)", () => {
      expect(vals(np.trapezoid([1, 2, 3]))).to.equal(4);
      expect(vals(np.trapezoid([1, 2, 3], { x: [4, 6, 8] }))).to.equal(8);
      expect(vals(np.trapezoid([1, 2, 3], { dx: 2 }))).to.equal(8);
      const a = seq([2, 3]);
      expect(vals(np.trapezoid(a, { axis: 0 }))).to.deep.equal([1.5, 2.5, 3.5]);
      expect(vals(np.trapezoid(a, { axis: 1 }))).to.deep.equal([2, 8]);
      expect(vals(np.trapezoid([[1, 2], [3, 4]], { x: [[0, 1], [0, 2]] }))).to.deep.equal([1.5, 7]);
      expect(vals(np.trapezoid([1, 2, 3], { x: [8, 6, 4] }))).to.equal(-8);
    });
    it("int input gives float32; one sample gives 0; errors", () => {
      const r = np.trapezoid(np.array([1, 2], { dtype: "int32" }));
      expect([r.dtype, vals(r)]).to.deep.equal(["float32", 1.5]);
      expect(vals(np.trapezoid([5]))).to.equal(0);
      expect(() => np.trapezoid(1)).to.throw(ShapeError);
      expect(() => np.trapezoid([1, 2, 3], { x: [1, 2] })).to.throw(ShapeError, /x of shape/);
      expect(() => np.trapezoid([1, 2], { x: [1, 2], dx: 1 })).to.throw(ValueError, /either x or dx/);
    });
  });

  describe("select / piecewise", () => {
    it("select takes the first true condition, else the default", () => {
      const x = np.arange(6);
      expect(vals(np.select([x.lt(3), x.gt(3)], [x, x.mul(x)], 42))).to.deep.equal([0, 1, 2, 42, 16, 25]);
      expect(vals(np.select([x.lt(4), x.gt(2)], [x, x.mul(x)], 55))).to.deep.equal([0, 1, 2, 3, 16, 25]);
      const i = np.select([np.array([true, false])], [np.array([1, 2], { dtype: "int32" })]);
      expect([i.dtype, vals(i)]).to.deep.equal(["int32", [1, 0]]);
      expect(vals(np.select([[true, false]], [[NaN, 1]], Infinity))).to.deep.equal([NaN, Infinity]);
    });
    it("select errors", () => {
      expect(() => np.select([], [])).to.throw(ValueError, /empty/);
      expect(() => np.select([[true]], [1, 2])).to.throw(ValueError, /same length/);
    });
    it("select casts numeric conditions to bool, as jnp.select (nonzero and NaN are true)", () => {
      expect(vals(np.select([[1, 0, NaN], [0, 2, 0]], [1, 2], 9))).to.deep.equal([1, 2, 1]);
    });
    it("piecewise: functions, constants, the default piece, x's dtype", () => {
      const x = np.array([-2, -1, 0, 1, 2]);
      expect(vals(np.piecewise(x, [x.lt(0), x.ge(0)], [-1, 1]))).to.deep.equal([-1, -1, 1, 1, 1]);
      expect(vals(np.piecewise(x, [x.lt(0), x.ge(0)], [(v) => v.neg(), (v) => v]))).to.deep.equal([2, 1, 0, 1, 2]);
      expect(vals(np.piecewise(x, [x.lt(0)], [(v) => v.mul(10), (v) => v.add(100)]))).to.deep.equal([-20, -10, 100, 101, 102]);
      // Later conditions win (NumPy assigns in order); uncovered elements are 0.
      expect(vals(np.piecewise(x, [x.ge(-1), x.ge(1)], [5, 7]))).to.deep.equal([0, 5, 5, 7, 7]);
      const i = np.piecewise(np.array([1, 2], { dtype: "int32" }), [[true, false]], [(v) => v.mul(1.7)]);
      expect([i.dtype, vals(i)]).to.deep.equal(["int32", [1, 0]]);
      expect(vals(np.piecewise(np.array(3), np.array(true), [(v) => v.mul(2)]))).to.equal(6);
      expect(vals(np.piecewise(x, [], [4]))).to.deep.equal([4, 4, 4, 4, 4]);
      // One condition shaped like x is a single condition, not a list of scalar ones (NumPy).
      expect(vals(np.piecewise([1, 2, 3], [true, false, true], [(v) => v.neg()]))).to.deep.equal([-1, 0, -3]);
      expect(vals(np.piecewise(x, x.gt(0), [(v) => v.mul(3), 9]))).to.deep.equal([9, 9, 9, 3, 6]);
      expect(vals(np.piecewise(x, np.stack([x.lt(0), x.gt(0)]), [1, 2]))).to.deep.equal([1, 1, 0, 2, 2]);
      expect(() => np.piecewise(x, [x.lt(0)], [1, 2, 3])).to.throw(ValueError, /funclist/);
      expect(() => np.piecewise(x, [x.lt(0)], ["a" as unknown as number])).to.throw(ValueError, /functions or numbers/);
    });
  });

  describe("creation: fromfunction, indices, geomspace, logspace, tri, vander", () => {
    it("fromfunction and indices", () => {
      expect(vals(np.fromfunction((i, j) => i.add(j), [2, 3]))).to.deep.equal([[0, 1, 2], [1, 2, 3]]);
      const f = np.fromfunction((i) => i, [3], { dtype: "int32" });
      expect([f.dtype, vals(f)]).to.deep.equal(["int32", [0, 1, 2]]);
      const g = np.indices([2, 3]);
      expect([g.dtype, g.shape, vals(g)]).to.deep.equal(["int32", [2, 2, 3], [[[0, 0, 0], [1, 1, 1]], [[0, 1, 2], [0, 1, 2]]]]);
      expect(all(np.indices([2, 3], { sparse: true }))).to.deep.equal([[[0], [1]], [[0, 1, 2]]]);
      expect(np.indices([]).shape).to.deep.equal([0]);
      expect(np.indices([0, 2]).shape).to.deep.equal([2, 0, 2]);
      expect(() => np.indices([-1])).to.throw(ValueError);
    });
    it("geomspace and logspace", () => {
      expect(vals(np.geomspace(1, 1000, 4))).to.deep.equal([1, 10, 100, 1000]);
      expect(vals(np.geomspace(1, 1000, 3, { endpoint: false }))).to.deep.equal([1, 10, 100]);
      expect(vals(np.geomspace(-1000, -1, 4))).to.deep.equal([-1000, -100, -10, -1]);
      expect(vals(np.geomspace(2, 2, 1))).to.deep.equal([2]);
      expect(np.geomspace(1, 2, 0).shape).to.deep.equal([0]);
      expect(() => np.geomspace(0, 1)).to.throw(ValueError, /nonzero/);
      expect(() => np.geomspace(-1, 1)).to.throw(ValueError, /same sign/);
      expect(vals(np.logspace(2, 3, 4)) as number[]).to.satisfy((v: number[]) =>
        [100, 215.443469, 464.158883, 1000].every((e, k) => Math.abs(v[k]! - e) < 1e-3));
      expect(vals(np.logspace(0, 3, 4, { base: 2 }))).to.deep.equal([1, 2, 4, 8]);
      expect(vals(np.logspace(0, 2, 3, { dtype: "int32" }))).to.deep.equal([1, 10, 100]);
      const g64 = np.geomspace(1, 3, 3, { dtype: "float64" });
      expect([g64.dtype, vals(g64)]).to.deep.equal(["float64", [1, Math.sqrt(3), 3]]);
      expect(np.logspace(0, 1, 2, { dtype: "float64" }).dtype).to.equal("float64");
    });
    it("tri, tril, triu on matrices and batches", () => {
      expect(vals(np.tri(3, 5, { k: 2, dtype: "int32" }))).to.deep.equal([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]);
      expect(vals(np.tri(3, null, { k: -1 }))).to.deep.equal([[0, 0, 0], [1, 0, 0], [1, 1, 0]]);
      const m = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]);
      expect(vals(np.tril(m, -1))).to.deep.equal([[0, 0, 0], [4, 0, 0], [7, 8, 0], [10, 11, 12]]);
      expect(vals(np.triu(m, -1))).to.deep.equal([[1, 2, 3], [4, 5, 6], [0, 8, 9], [0, 0, 12]]);
      expect(vals(np.triu(np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])))).to.deep.equal([[[1, 2], [0, 4]], [[5, 6], [0, 8]]]);
      // Infinities outside the triangle become 0, not NaN (a select, not a multiply by a mask).
      expect(vals(np.tril([[1, Infinity], [NaN, 2]]))).to.deep.equal([[1, 0], [NaN, 2]]);
      expect(np.tril(np.array([[1, 2]], { dtype: "int32" })).dtype).to.equal("int32");
      expect(() => np.tril([1, 2])).to.throw(ShapeError);
    });
    it("vander", () => {
      const x = np.array([1, 2, 3, 5]);
      expect(vals(np.vander(x, 3))).to.deep.equal([[1, 1, 1], [4, 2, 1], [9, 3, 1], [25, 5, 1]]);
      expect(vals(np.vander(x, 3, { increasing: true }))).to.deep.equal([[1, 1, 1], [1, 2, 4], [1, 3, 9], [1, 5, 25]]);
      expect(vals(np.vander(np.array([0, 2], { dtype: "int32" })))).to.deep.equal([[0, 1], [2, 1]]);
      expect(np.vander(x, 0).shape).to.deep.equal([4, 0]);
      expect(() => np.vander([[1]])).to.throw(ShapeError);
    });
  });

  describe("splitting and stacking", () => {
    it("unstack inverts stack; arraySplit allows unequal parts", () => {
      const x = seq([2, 3]);
      expect(all(np.unstack(x))).to.deep.equal([[0, 1, 2], [3, 4, 5]]);
      expect(all(np.unstack(x, { axis: -1 }))).to.deep.equal([[0, 3], [1, 4], [2, 5]]);
      expect(np.unstack(np.zeros([0, 2]))).to.deep.equal([]);
      expect(() => np.unstack(1)).to.throw(ShapeError);
      expect(all(np.arraySplit(np.arange(8), 3))).to.deep.equal([[0, 1, 2], [3, 4, 5], [6, 7]]);
      expect(all(np.arraySplit(np.arange(2), 3))).to.deep.equal([[0], [1], []]);
      expect(all(np.arraySplit(np.arange(5), [1, 3]))).to.deep.equal([[0], [1, 2], [3, 4]]);
      expect(all(np.arraySplit(x, 2, { axis: 1 }))).to.deep.equal([[[0, 1], [3, 4]], [[2], [5]]]);
      expect(() => np.arraySplit(x, 0)).to.throw(ValueError);
    });
    it("hsplit, vsplit, dsplit", () => {
      const x = seq([4, 4]);
      expect(np.hsplit(x, 2).map((t) => t.shape)).to.deep.equal([[4, 2], [4, 2]]);
      expect(all(np.hsplit(np.arange(4), [3]))).to.deep.equal([[0, 1, 2], [3]]);
      expect(all(np.vsplit(x, 2))[1]).to.deep.equal([[8, 9, 10, 11], [12, 13, 14, 15]]);
      expect(np.dsplit(seq([2, 2, 4]), [3, 6]).map((t) => t.shape)).to.deep.equal([[2, 2, 3], [2, 2, 1], [2, 2, 0]]);
      expect(all(np.vsplit(np.arange(4), 2))).to.deep.equal([[0, 1], [2, 3]]); // JAX splits 1-D (NumPy refuses)
      expect(() => np.vsplit(np.array(4), 2)).to.throw(ShapeError);
      expect(() => np.dsplit(x, 2)).to.throw(ShapeError);
      expect(() => np.hsplit(x, 3)).to.throw(ShapeError);
    });
    it("vstack, hstack, dstack, columnStack, append", () => {
      expect(vals(np.vstack([[1, 2, 3], [4, 5, 6]]))).to.deep.equal([[1, 2, 3], [4, 5, 6]]);
      expect(vals(np.vstack([[[1], [2]], [[3]]]))).to.deep.equal([[1], [2], [3]]);
      expect(vals(np.vstack([1, 2]))).to.deep.equal([[1], [2]]);
      expect(vals(np.hstack([[1, 2, 3], [4, 5, 6]]))).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(vals(np.hstack([[[1], [2]], [[4], [5]]]))).to.deep.equal([[1, 4], [2, 5]]);
      expect(vals(np.dstack([[1, 2, 3], [2, 3, 4]]))).to.deep.equal([[[1, 2], [2, 3], [3, 4]]]);
      expect(vals(np.dstack([[[1], [2]], [[2], [3]]]))).to.deep.equal([[[1, 2]], [[2, 3]]]);
      expect(vals(np.columnStack([[1, 2, 3], [2, 3, 4]]))).to.deep.equal([[1, 2], [2, 3], [3, 4]]);
      expect(vals(np.columnStack([[[1], [2]], [5, 6]]))).to.deep.equal([[1, 5], [2, 6]]);
      expect(np.hstack([np.array([1], { dtype: "int32" }), np.array([0.5])]).dtype).to.equal("float32");
      expect(vals(np.append([1, 2, 3], [[4, 5, 6], [7, 8, 9]]))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(vals(np.append([[1, 2, 3], [4, 5, 6]], [[7, 8, 9]], { axis: 0 }))).to.deep.equal([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
      expect(() => np.append([[1, 2, 3], [4, 5, 6]], [7, 8, 9], { axis: 0 })).to.throw(ShapeError);
      expect(() => np.vstack([])).to.throw(ValueError);
    });
  });

  describe("roll and rot90", () => {
    it("roll: flattened, per axis, negative shifts, shifts larger than the axis, several axes", () => {
      expect(vals(np.roll(np.arange(10), 2))).to.deep.equal([8, 9, 0, 1, 2, 3, 4, 5, 6, 7]);
      expect(vals(np.roll(np.arange(10), -2))).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      const x2 = np.reshape(np.arange(10), [2, 5]);
      expect(vals(np.roll(x2, 1))).to.deep.equal([[9, 0, 1, 2, 3], [4, 5, 6, 7, 8]]);
      expect(vals(np.roll(x2, 1, 0))).to.deep.equal([[5, 6, 7, 8, 9], [0, 1, 2, 3, 4]]);
      expect(vals(np.roll(x2, -1, 1))).to.deep.equal([[1, 2, 3, 4, 0], [6, 7, 8, 9, 5]]);
      expect(vals(np.roll(x2, [1, 1], [1, 0]))).to.deep.equal([[9, 5, 6, 7, 8], [4, 0, 1, 2, 3]]);
      expect(vals(np.roll(x2, [2, -1], [1, 1]))).to.deep.equal([[4, 0, 1, 2, 3], [9, 5, 6, 7, 8]]);
      expect(vals(np.roll(np.arange(3), 7))).to.deep.equal([2, 0, 1]);
      expect(np.roll(np.zeros([0, 2]), 1, 0).shape).to.deep.equal([0, 2]);
      expect(vals(np.roll(5, 3))).to.equal(5);
      expect(() => np.roll(x2, [1, 2, 3], [0, 1])).to.throw(ValueError);
      expect(() => np.roll(x2, 1, 2)).to.throw(IndexError);
      // JAX's keyword spelled as an options object; anything else is a typed error, not a TypeError.
      expect(vals(np.roll(x2, -1, { axis: 1 }))).to.deep.equal([[1, 2, 3, 4, 0], [6, 7, 8, 9, 5]]);
      expect(vals(np.roll(x2, 1, { axis: null }))).to.deep.equal(vals(np.roll(x2, 1)));
      expect(() => np.roll(x2, 1, "1" as never)).to.throw(ValueError, /axis/);
    });
    it("rot90: k, negative k, axes, rank 3", () => {
      const m = np.array([[1, 2], [3, 4]]);
      expect(vals(np.rot90(m))).to.deep.equal([[2, 4], [1, 3]]);
      expect(vals(np.rot90(m, 2))).to.deep.equal([[4, 3], [2, 1]]);
      expect(vals(np.rot90(m, -1))).to.deep.equal([[3, 1], [4, 2]]);
      expect(vals(np.rot90(m, 3))).to.deep.equal([[3, 1], [4, 2]]);
      expect(vals(np.rot90(m, 4))).to.deep.equal([[1, 2], [3, 4]]);
      expect(vals(np.rot90(m, 1, [1, 0]))).to.deep.equal([[3, 1], [4, 2]]);
      const c = seq([2, 2, 2]);
      expect(vals(np.rot90(c, 1, [1, 2]))).to.deep.equal([[[1, 3], [0, 2]], [[5, 7], [4, 6]]]);
      expect(np.rot90(seq([2, 3])).shape).to.deep.equal([3, 2]);
      expect(() => np.rot90([1, 2])).to.throw(ShapeError);
      expect(() => np.rot90(m, 1, [0, 0])).to.throw(ValueError);
    });
  });

  describe("diagonals", () => {
    it("diagonal: offsets, axes, batches, empty results", () => {
      const a = seq([2, 2]);
      expect(vals(np.diagonal(a))).to.deep.equal([0, 3]);
      expect(vals(np.diagonal(a, { offset: 1 }))).to.deep.equal([1]);
      expect(vals(a.diagonal({ offset: -1 }))).to.deep.equal([2]);
      const b = seq([2, 2, 2]);
      expect(vals(np.diagonal(b, { axis1: 0, axis2: 1 }))).to.deep.equal([[0, 6], [1, 7]]);
      expect(vals(np.diagonal(b, { axis1: -1, axis2: -2 }))).to.deep.equal([[0, 3], [4, 7]]);
      const r = seq([3, 4]);
      expect(vals(np.diagonal(r))).to.deep.equal([0, 5, 10]);
      expect(vals(np.diagonal(r, { offset: 2 }))).to.deep.equal([2, 7]);
      expect(vals(np.diagonal(r, { offset: -2 }))).to.deep.equal([8]);
      expect(np.diagonal(r, { offset: 9 }).shape).to.deep.equal([0]);
      expect(np.diagonal(np.zeros([2, 0, 3])).shape).to.deep.equal([3, 0]);
      expect(np.diagonal(seq([2, 2], "int32")).dtype).to.equal("int32");
      expect(() => np.diagonal([1, 2])).to.throw(ShapeError);
      expect(() => np.diagonal(a, { axis1: 1, axis2: -1 })).to.throw(ValueError);
      expect(() => np.diagonal(a, { axis1: 2 })).to.throw(IndexError);
    });
    it("diag, diagflat, trace", () => {
      const x = seq([3, 3]);
      expect(vals(np.diag(x))).to.deep.equal([0, 4, 8]);
      expect(vals(np.diag(x, 1))).to.deep.equal([1, 5]);
      expect(vals(np.diag(x, -1))).to.deep.equal([3, 7]);
      expect(vals(np.diag(np.diag(x)))).to.deep.equal([[0, 0, 0], [0, 4, 0], [0, 0, 8]]);
      expect(vals(np.diag([1, 2], 1))).to.deep.equal([[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
      expect(vals(np.diag([Infinity, 2]))).to.deep.equal([[Infinity, 0], [0, 2]]);
      expect(np.diag(np.zeros([0])).shape).to.deep.equal([0, 0]);
      expect(() => np.diag(1)).to.throw(ShapeError);
      expect(vals(np.diagflat([[1, 2], [3, 4]]))).to.deep.equal([[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 4]]);
      expect(vals(np.diagflat([1, 2], 1))).to.deep.equal([[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
      expect(vals(np.trace(np.eye(3)))).to.equal(3);
      const t = np.trace(seq([2, 2, 3], "int32"));
      expect([t.dtype, vals(t)]).to.deep.equal(["int32", [9, 11, 13]]);
      expect(vals(np.trace(seq([3, 3]), { offset: 1 }))).to.equal(6);
      expect(vals(np.trace(np.zeros([2, 0])))).to.equal(0);
    });
    it("diagIndices and diagIndicesFrom", () => {
      expect(all(np.diagIndices(3))).to.deep.equal([[0, 1, 2], [0, 1, 2]]);
      expect(np.diagIndices(2, 3).length).to.equal(3);
      const [i, j] = np.diagIndices(3);
      expect(vals(np.take(seq([3, 3]).flatten(), np.add(np.multiply(i!, 3), j!)))).to.deep.equal([0, 4, 8]);
      expect(all(np.diagIndicesFrom(np.zeros([2, 2, 2])))).to.deep.equal([[0, 1], [0, 1], [0, 1]]);
      expect(() => np.diagIndicesFrom(np.zeros([2, 3]))).to.throw(ShapeError);
      expect(() => np.diagIndicesFrom(np.zeros([2]))).to.throw(ShapeError);
    });
  });

  describe("cross, matvec, vecmat, matrixTranspose", () => {
    it("cross of 3-vectors, 2-vectors, mixed, batched, and axes", () => {
      expect(vals(np.cross([1, 2, 3], [4, 5, 6]))).to.deep.equal([-3, 6, -3]);
      expect(vals(np.cross([1, 2], [4, 5, 6]))).to.deep.equal([12, -6, -3]);
      expect(vals(np.cross([1, 2, 0], [4, 5, 6]))).to.deep.equal([12, -6, -3]);
      expect(vals(np.cross([1, 2], [4, 5]))).to.equal(-3);
      const x = [[1, 2, 3], [4, 5, 6]];
      const y = [[4, 5, 6], [1, 2, 3]];
      expect(vals(np.cross(x, y))).to.deep.equal([[-3, 6, -3], [3, -6, 3]]);
      expect(vals(np.cross(x, y, { axisc: 0 }))).to.deep.equal([[-3, 3], [6, -6], [-3, 3]]);
      // NumPy's example: vectors along axis 0 of 3x3 matrices.
      const a = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
      const b = [[7, 8, 9], [4, 5, 6], [1, 2, 3]];
      expect(vals(np.cross(a, b))).to.deep.equal([[-6, 12, -6], [0, 0, 0], [6, -12, 6]]);
      expect(vals(np.cross(a, b, { axisa: 0, axisb: 0 }))).to.deep.equal([[-24, 48, -24], [-30, 60, -30], [-36, 72, -36]]);
      expect(vals(np.cross(a, b, { axis: 0 }))).to.deep.equal([[-24, -30, -36], [48, 60, 72], [-24, -30, -36]]);
      expect(vals(np.cross([[1, 2, 3]], [0, 0, 1]))).to.deep.equal([[2, -1, 0]]);
      expect(np.cross(np.array([1, 0, 0], { dtype: "int32" }), np.array([0, 1, 0], { dtype: "int32" })).dtype).to.equal("int32");
      expect(() => np.cross([1, 2, 3, 4], [1, 2, 3])).to.throw(ShapeError, /2 or 3/);
      expect(() => np.cross([true, false], [true, true])).to.throw(DTypeError);
    });
    it("matvec, vecmat, matrixTranspose", () => {
      expect(vals(np.matvec([[1, 2], [3, 4]], [1, 1]))).to.deep.equal([3, 7]);
      expect(vals(np.matvec([[[1, 0], [0, 1]], [[2, 0], [0, 2]]], [3, 4]))).to.deep.equal([[3, 4], [6, 8]]);
      expect(vals(np.vecmat([1, 1], [[1, 2], [3, 4]]))).to.deep.equal([4, 6]);
      expect(vals(np.vecmat([[1, 0], [0, 1]], [[1, 2], [3, 4]]))).to.deep.equal([[1, 2], [3, 4]]);
      expect(np.matvec(np.zeros([5, 2, 3]), np.zeros([3])).shape).to.deep.equal([5, 2]);
      expect(np.vecmat(np.zeros([3]), np.zeros([5, 3, 2])).shape).to.deep.equal([5, 2]);
      expect(vals(np.matrixTranspose([[1, 2, 3]]))).to.deep.equal([[1], [2], [3]]);
      expect(np.matrixTranspose(np.zeros([5, 2, 3])).shape).to.deep.equal([5, 3, 2]);
      expect(() => np.matvec([[1, 2]], [1, 2, 3])).to.throw(ShapeError);
      expect(() => np.matvec([1, 2], [1, 2])).to.throw(ShapeError);
      expect(() => np.matrixTranspose([1])).to.throw(ShapeError);
    });
  });

  describe("Tensor iteration", () => {
    it("iterates over the first axis; destructuring works", () => {
      const [a, b] = np.array([[1, 2], [3, 4]]);
      expect([vals(a!), vals(b!)]).to.deep.equal([[1, 2], [3, 4]]);
      expect([...np.array([5, 6, 7])].map(vals)).to.deep.equal([5, 6, 7]);
      expect([...np.zeros([0, 3])]).to.deep.equal([]);
      expect([...seq([2, 3, 1])].map((t) => t.shape)).to.deep.equal([[3, 1], [3, 1]]);
    });
    it("a 0-d tensor is not iterable: a TypeError that is also a KilnError", () => {
      const f = () => [...np.array(3)];
      expect(f).to.throw(TypeError, /0-d/);
      expect(f).to.throw(KilnError);
      expect(() => np.array(3)[Symbol.iterator]()).to.throw(TypeError);
    });
  });
});
