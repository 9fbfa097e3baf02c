/**
 * numpy-aliases.ts against NumPy 2.4 values (computed with python3 numpy, hard-coded here), JAX's
 * real-input semantics of the complex-part functions, and the typed errors for bad input.
 */
import { expect } from "chai";
import { DTypeError, IndexError, ShapeError, ValueError, np } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();

describe("np: aliases, shape queries, complex parts and dtype predicates (numpy-aliases.ts)", () => {
  it("amax/amin are max/min (axis positional or by name, keepdims, empty → ValueError naming amax)", () => {
    expect(vals(np.amax([[1, 5], [3, 2]], 0))).to.deep.equal([3, 5]);
    expect(vals(np.amin([[1, 5], [3, 2]], { axis: 1 }))).to.deep.equal([1, 2]);
    expect(vals(np.amax([[1, 5], [3, 2]], -1, null, true))).to.deep.equal([[5], [3]]);
    expect(vals(np.amin([[1, NaN], [3, 2]]))).to.be.NaN;
    expect(np.amax(np.array([1, 2], { dtype: "int32" })).dtype).to.equal("int32");
    expect(() => np.amax(np.zeros([0]))).to.throw(ValueError, "amax");
    expect(() => np.amin([1], { axis: 1 })).to.throw(IndexError);
    expect(() => np.amax([1], { axes: 0 } as never)).to.throw(ValueError, "axis");
  });

  it("mod is Python's % (sign of the divisor, NumPy's values)", () => {
    expect(vals(np.mod([-3, 3, -7.5], [2, -2, 2]))).to.deep.equal([1, -1, 0.5]);
    expect(np.mod(np.array([5], { dtype: "int32" }), 3).dtype).to.equal("int32");
  });

  it("ndim, shape, size", () => {
    expect(np.ndim([[1, 2, 3]])).to.equal(2);
    expect(np.ndim(5)).to.equal(0);
    expect(np.shape([[1, 2, 3]])).to.deep.equal([1, 3]);
    expect(np.shape(5)).to.deep.equal([]);
    expect(np.size([[1, 2, 3], [4, 5, 6]])).to.equal(6);
    expect(np.size([[1, 2, 3], [4, 5, 6]], -1)).to.equal(3);
    expect(np.size(np.zeros([2, 0]))).to.equal(0);
    expect(() => np.size([1, 2], 1)).to.throw(IndexError, "size");
  });

  it("emptyLike is zerosLike (shape, dtype options; unknown key → ValueError)", () => {
    expect(vals(np.emptyLike([[1, 2]], { dtype: "int32" }))).to.deep.equal([[0, 0]]);
    expect(np.emptyLike([1.5], { shape: [2, 3] }).shape).to.deep.equal([2, 3]);
    expect(() => np.emptyLike([1], { dtpe: "int32" } as never)).to.throw(ValueError, "dtype");
  });

  it("fliplr, flipud, rollaxis (NumPy's shapes)", () => {
    expect(vals(np.fliplr([[1, 2], [3, 4]]))).to.deep.equal([[2, 1], [4, 3]]);
    expect(vals(np.flipud([[1, 2], [3, 4]]))).to.deep.equal([[3, 4], [1, 2]]);
    expect(vals(np.flipud([1, 2, 3]))).to.deep.equal([3, 2, 1]);
    expect(() => np.fliplr([1, 2])).to.throw(ShapeError, "fliplr");
    expect(() => np.flipud(1)).to.throw(ShapeError, "flipud");
    const z = np.zeros([3, 4, 5, 6]);
    // np.rollaxis(np.zeros((3,4,5,6)), 3, 1).shape == (3, 6, 4, 5), etc.
    expect(np.rollaxis(z, 3, 1).shape).to.deep.equal([3, 6, 4, 5]);
    expect(np.rollaxis(z, 2).shape).to.deep.equal([5, 3, 4, 6]);
    expect(np.rollaxis(z, 1, 4).shape).to.deep.equal([3, 5, 6, 4]);
    expect(np.rollaxis(z, -1, -2).shape).to.deep.equal([3, 4, 6, 5]);
    expect(vals(np.rollaxis([[1, 2, 3]], 1))).to.deep.equal([[1], [2], [3]]);
    expect(() => np.rollaxis(z, 4)).to.throw(IndexError);
    expect(() => np.rollaxis(z, 0, 5)).to.throw(ValueError, "start");
  });

  it("broadcastArrays and broadcastShapes", () => {
    const [a, b] = np.broadcastArrays([1, 2, 3], [[1], [2]]);
    expect(vals(a!)).to.deep.equal([[1, 2, 3], [1, 2, 3]]);
    expect(vals(b!)).to.deep.equal([[1, 1, 1], [2, 2, 2]]);
    expect(np.broadcastArrays()).to.deep.equal([]);
    expect(np.broadcastShapes([2, 1], [3])).to.deep.equal([2, 3]);
    expect(np.broadcastShapes([5, 1, 4], [3, 1], 4)).to.deep.equal([5, 3, 4]);
    expect(np.broadcastShapes()).to.deep.equal([]);
    expect(np.broadcastShapes([0], [1])).to.deep.equal([0]);
    expect(() => np.broadcastShapes([2], [3])).to.throw(ShapeError, "broadcastShapes");
    expect(() => np.broadcastArrays([1, 2], [1, 2, 3])).to.throw(ShapeError, "broadcastArrays");
    expect(() => np.broadcastShapes([-1])).to.throw(ShapeError);
  });

  it("real, imag, conj, angle on real inputs as JAX (dtypes kept; angle in float)", () => {
    const i = np.array([1, -2], { dtype: "int32" });
    expect(vals(np.real(i))).to.deep.equal([1, -2]);
    expect(np.real(i).dtype).to.equal("int32");
    expect(vals(np.imag([1.5, -2]))).to.deep.equal([0, 0]);
    expect(np.imag(i).dtype).to.equal("int32");
    expect(vals(np.conj([1, -2]))).to.deep.equal([1, -2]);
    expect(vals(np.conjugate(i))).to.deep.equal([1, -2]);
    // np.angle([-1, 0, 2]) == [pi, 0, 0]; np.angle(-0.0) == pi
    const ang = np.angle(i);
    expect(ang.dtype).to.equal("float32");
    expect(vals(np.angle([-1, 0, 2]))).to.deep.equal([Math.fround(Math.PI), 0, 0]);
    expect(vals(np.angle(np.array([-0], { dtype: "float64" })))).to.deep.equal([Math.PI]);
    expect(vals(np.angle(np.array([-3], { dtype: "float64" }), true))).to.deep.equal([180]);
    expect(() => np.angle([1], { deg: 1 } as never)).to.throw(ValueError, "deg");
  });

  it("Tensor's real/imag/conj/conjugate members (JAX's Array members on a real array)", () => {
    const t = np.array([1.5, -2], { dtype: "float64" });
    expect(vals(t.real)).to.deep.equal([1.5, -2]);
    expect(vals(t.imag)).to.deep.equal([0, 0]);
    expect(t.imag.dtype).to.equal("float64");
    expect(vals(t.conj())).to.deep.equal([1.5, -2]);
    expect(vals(t.conjugate())).to.deep.equal([1.5, -2]);
  });

  it("the complex-part functions read np.fft { re, im } pairs", () => {
    const z = np.fft.complex([1, 0, -1], [0, 2, -1]);
    expect(vals(np.real(z))).to.deep.equal([1, 0, -1]);
    expect(vals(np.imag(z))).to.deep.equal([0, 2, -1]);
    expect(vals(np.conj(z).im)).to.deep.equal([-0, -2, 1]);
    // np.angle([1, 2j, -1-1j], deg=True) == [0, 90, -135]
    expect(vals(np.angle(z, { deg: true }))).to.deep.equal([0, 90, -135]);
    expect(vals(np.iscomplex(z))).to.deep.equal([false, true, true]);
    expect(vals(np.isreal(z))).to.deep.equal([true, false, false]);
    expect(np.iscomplexobj(z)).to.equal(true);
    expect(np.isrealobj(z)).to.equal(false);
  });

  it("iscomplex/isreal/iscomplexobj/isrealobj on real inputs", () => {
    expect(vals(np.iscomplex([[1, 2]]))).to.deep.equal([[false, false]]);
    expect(vals(np.isreal([1, 2]))).to.deep.equal([true, true]);
    expect(vals(np.isreal(3))).to.equal(true);
    expect(np.iscomplexobj([1, 2])).to.equal(false);
    expect(np.isrealobj(np.zeros([2]))).to.equal(true);
  });

  it("canCast (NumPy's table on kiln's dtypes)", () => {
    expect(np.canCast("int32", "float64")).to.equal(true);
    expect(np.canCast("int32", "float32")).to.equal(false);
    expect(np.canCast("uint8", "int32")).to.equal(true);
    expect(np.canCast("uint32", "int32")).to.equal(false);
    expect(np.canCast("uint32", "int32", "same_kind")).to.equal(true);
    expect(np.canCast("int32", "uint32", "same_kind")).to.equal(false);
    expect(np.canCast("float64", "float32", "same_kind")).to.equal(true);
    expect(np.canCast("float16", "uint8", "same_kind")).to.equal(false);
    expect(np.canCast("bool", "uint8")).to.equal(true);
    expect(np.canCast("float32", "float32", "no")).to.equal(true);
    expect(np.canCast("float64", "bool", "unsafe")).to.equal(true);
    expect(np.canCast(np.zeros([1], { dtype: "uint8" }), "float16")).to.equal(true);
    expect(() => np.canCast("int64" as never, "float32")).to.throw(DTypeError, "canCast");
    expect(() => np.canCast("int32", "float32", "maybe" as never)).to.throw(ValueError, "casting");
  });

  it("promoteTypes, issubdtype, isdtype", () => {
    expect(np.promoteTypes("uint8", "int32")).to.equal("int32");
    expect(np.promoteTypes("float16", "bfloat16")).to.equal("float32");
    expect(np.promoteTypes("bool", "float16")).to.equal("float16");
    expect(np.promoteTypes(np.zeros([1]), "int32")).to.equal("float32");
    expect(np.issubdtype("float32", "floating")).to.equal(true);
    expect(np.issubdtype("uint8", "signedinteger")).to.equal(false);
    expect(np.issubdtype("uint8", "integer")).to.equal(true);
    expect(np.issubdtype("bool", "number")).to.equal(false);
    expect(np.issubdtype("int32", "float32")).to.equal(false);
    expect(np.issubdtype("int32", "int32")).to.equal(true);
    expect(() => np.issubdtype("int32", "complex")).to.throw(DTypeError, "issubdtype");
    expect(np.isdtype("float16", "real floating")).to.equal(true);
    expect(np.isdtype("uint8", ["signed integer", "bool"])).to.equal(false);
    expect(np.isdtype("uint8", ["integral"])).to.equal(true);
    expect(np.isdtype("bool", "numeric")).to.equal(false);
    expect(np.isdtype("float32", "float32")).to.equal(true);
    expect(() => np.isdtype("float32", "reals")).to.throw(DTypeError, "reals");
  });
});
