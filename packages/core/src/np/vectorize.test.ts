/**
 * vectorize.ts: finfo/iinfo against NumPy 2.4's values (hard-coded; bfloat16 from its format:
 * 8 exponent, 7 mantissa bits), iterable, and the typed errors of vectorize. vectorize's mapping
 * needs vmap (the transforms package): it is tested in test/np-surface.test.ts.
 */
import { expect } from "chai";
import { DTypeError, ValueError, np } from "../index.js";

describe("np: finfo, iinfo, iterable, vectorize's checks (vectorize.ts)", () => {
  it("finfo (NumPy's float16/float32/float64 fields; bfloat16 from its format)", () => {
    const f32 = np.finfo("float32");
    expect([f32.bits, f32.eps, f32.epsneg, f32.max, f32.min]).to.deep.equal([32, 2 ** -23, 2 ** -24, 3.4028234663852886e38, -3.4028234663852886e38]);
    expect([f32.tiny, f32.smallestNormal, f32.smallestSubnormal]).to.deep.equal([2 ** -126, 2 ** -126, 2 ** -149]);
    expect([f32.precision, f32.resolution, f32.nmant, f32.nexp, f32.maxexp, f32.minexp]).to.deep.equal([6, 1e-6, 23, 8, 128, -126]);
    const f64 = np.finfo("float64");
    expect([f64.eps, f64.max, f64.tiny, f64.smallestSubnormal, f64.maxexp, f64.minexp, f64.precision]).to.deep.equal([2 ** -52, Number.MAX_VALUE, 2.2250738585072014e-308, 5e-324, 1024, -1022, 15]);
    const f16 = np.finfo(np.zeros([1], { dtype: "float16" }));
    expect([f16.eps, f16.max, f16.tiny, f16.smallestSubnormal, f16.maxexp, f16.minexp]).to.deep.equal([2 ** -10, 65504, 2 ** -14, 2 ** -24, 16, -14]);
    const bf = np.finfo("bfloat16");
    expect([bf.eps, bf.max, bf.tiny, bf.smallestSubnormal, bf.precision]).to.deep.equal([2 ** -7, 3.3895313892515355e38, 2 ** -126, 2 ** -133, 2]);
    expect(() => np.finfo("int32")).to.throw(DTypeError, "iinfo");
    expect(() => np.finfo("float128" as never)).to.throw(DTypeError, "finfo");
  });

  it("iinfo and iterable", () => {
    expect(np.iinfo("int32")).to.deep.include({ bits: 32, min: -2147483648, max: 2147483647, kind: "i" });
    expect(np.iinfo("uint8")).to.deep.include({ bits: 8, min: 0, max: 255, kind: "u" });
    expect(np.iinfo(np.zeros([1], { dtype: "uint32" })).max).to.equal(4294967295);
    expect(() => np.iinfo("float32")).to.throw(DTypeError, "finfo");
    expect(() => np.iinfo("bool")).to.throw(DTypeError);
    expect(np.iterable([1])).to.equal(true);
    expect(np.iterable(new Float32Array(2))).to.equal(true);
    expect(np.iterable(np.zeros([2]))).to.equal(true);
    expect(np.iterable(np.zeros([]))).to.equal(false);
    expect(np.iterable(3)).to.equal(false);
  });

  it("vectorize rejects bad functions, options and signatures", () => {
    expect(() => np.vectorize(3 as never)).to.throw(ValueError, "pyfunc");
    expect(() => np.vectorize((x: never) => x, { signatur: "()->()" } as never)).to.throw(ValueError, "signature");
    expect(() => np.vectorize((x: never) => x, { signature: "(n)->" })).not.to.throw();
    expect(() => np.vectorize((x: never) => x, { signature: "(n)" })).to.throw(ValueError, "gufunc signature");
    expect(() => np.vectorize((x: never) => x, { signature: "(n+1)->()" })).to.throw(ValueError, "gufunc signature");
  });
});
