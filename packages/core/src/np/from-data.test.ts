/**
 * from-data.ts against NumPy 2.4's values (hard-coded): frombuffer's dtype/count/offset, fromiter's
 * count, fromstring's separators, and the typed errors for bad input.
 */
import { expect } from "chai";
import { DTypeError, ValueError, np } from "../index.js";

const vals = (t: { toArraySync(): unknown }) => t.toArraySync();

describe("np: frombuffer, fromiter, fromstring (from-data.ts)", () => {
  it("frombuffer (NumPy's values; unaligned offsets are copied)", () => {
    // np.frombuffer(np.array([1, 2, 3], np.int32).tobytes(), dtype=np.int32, count=2, offset=4) == [2, 3]
    expect(vals(np.frombuffer(new Int32Array([1, 2, 3]).buffer, { dtype: "int32", count: 2, offset: 4 }))).to.deep.equal([2, 3]);
    expect(vals(np.frombuffer(new Float64Array([1.5, 2]), { dtype: "float64", count: 1 }))).to.deep.equal([1.5]);
    expect(vals(np.frombuffer(new Uint8Array([0, 1, 2]), { dtype: "bool" }))).to.deep.equal([false, true, true]);
    expect(vals(np.frombuffer(new Uint8Array([9, 0, 0, 128, 63]), { offset: 1 }))).to.deep.equal([1]);
    expect(np.frombuffer(new Float32Array([1, 2]).buffer).dtype).to.equal("float32");
    expect(() => np.frombuffer(new Uint8Array(3), { dtype: "int32" })).to.throw(ValueError, "whole number");
    expect(() => np.frombuffer(new Uint8Array(4), { dtype: "int32", count: 2 })).to.throw(ValueError, "2 int32");
    expect(() => np.frombuffer(new Uint8Array(4), { dtype: "float16" })).to.throw(DTypeError, "float16");
    expect(() => np.frombuffer(new Uint8Array(4), { dtpye: "int32" } as never)).to.throw(ValueError, "dtype");
  });

  it("fromiter and fromstring", () => {
    expect(vals(np.fromiter(new Set([3, 1, 2]), "int32"))).to.deep.equal([3, 1, 2]);
    expect(vals(np.fromiter([1, 2, 3][Symbol.iterator](), "float32", 2))).to.deep.equal([1, 2]);
    expect(() => np.fromiter([1], "float32", 3)).to.throw(ValueError, "ended");
    expect(() => np.fromiter(["a"] as never, "float32")).to.throw(ValueError, "not a number");
    expect(() => np.fromiter(5 as never, "float32")).to.throw(ValueError, "iterable");
    // np.fromstring('1 2  3', sep=' ') == [1, 2, 3]; np.fromstring('1,2,3', dtype=np.int32, sep=',') == [1, 2, 3]
    expect(vals(np.fromstring("1 2  3", { sep: " " }))).to.deep.equal([1, 2, 3]);
    expect(vals(np.fromstring("1, 2, 3", { sep: ",", dtype: "int32", count: 2 }))).to.deep.equal([1, 2]);
    expect(np.fromstring("1,2", { sep: "," }).dtype).to.equal("float32");
    expect(() => np.fromstring("1 2", { sep: "" })).to.throw(ValueError, "sep");
    expect(() => np.fromstring("1,x", { sep: "," })).to.throw(ValueError, "\"x\"");
    expect(() => np.fromstring("1,2", { sep: ",", count: 3 })).to.throw(ValueError, "count");
  });
});
