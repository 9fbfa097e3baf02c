import { expect } from "chai";
import { DTypeError, ShapeError, Tensor, ValueError, np, topoSort } from "../index.js";
import { expectClose } from "../testing.js";

/** The primitives of the graph behind `t` (creation ops must not embed host arrays). */
function prims(t: Tensor): string[] {
  return topoSort([t.node]).map((n) => n.prim);
}

function vals(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

describe("np creation: zeros / ones / full", () => {
  it("zeros and ones default to float32 and have the requested shape", () => {
    const z = np.zeros([2, 3]);
    expect(z.dtype).to.equal("float32");
    expectClose(z, [[0, 0, 0], [0, 0, 0]]);
    const o = np.ones([3]);
    expect(o.dtype).to.equal("float32");
    expectClose(o, [1, 1, 1]);
  });

  it("honours dtype", () => {
    const o = np.ones([2], { dtype: "int32" });
    expect(o.dtype).to.equal("int32");
    expect(o.dataSync()).to.be.instanceOf(Int32Array);
    expect(vals(o)).to.deep.equal([1, 1]);
    const b = np.zeros([2], { dtype: "bool" });
    expect(b.dtype).to.equal("bool");
    expect(vals(b)).to.deep.equal([0, 0]);
    expect(np.ones([1], { dtype: "float64" }).dtype).to.equal("float64");
  });

  it("scalar and zero-size shapes", () => {
    const s = np.zeros([]);
    expect(s.shape).to.deep.equal([]);
    expect(s.itemSync()).to.equal(0);
    const e = np.ones([0, 3]);
    expect(e.shape).to.deep.equal([0, 3]);
    expect(e.size).to.equal(0);
    expect(vals(e)).to.deep.equal([]);
  });

  it("is a broadcast scalar literal, not a host buffer", () => {
    const z = np.zeros([1000, 1000]);
    expect(z.node.prim).to.equal("broadcast");
    expect(prims(z)).to.deep.equal(["const", "broadcast"]);
    expect(prims(np.full([4, 4], 2.5))).to.not.include("data");
  });

  it("full: numbers give float32, booleans give bool", () => {
    const f = np.full([2, 2], 7);
    expect(f.dtype).to.equal("float32");
    expectClose(f, [[7, 7], [7, 7]]);
    const b = np.full([2], true);
    expect(b.dtype).to.equal("bool");
    expect(vals(b)).to.deep.equal([1, 1]);
    expectClose(np.full([2], NaN), [NaN, NaN]);
    expectClose(np.full([1], -Infinity), [-Infinity]);
  });

  it("distinct non-finite and signed-zero literals are distinct graph nodes", () => {
    // Regression: node keys were JSON, which writes NaN/±Infinity as null and -0 as 0.
    const [a, b, c] = [np.full([2], NaN), np.full([2], Infinity), np.full([2], -Infinity)];
    expect(new Set([a.node, b.node, c.node]).size).to.equal(3);
    expectClose(b, [Infinity, Infinity]);
    expectClose(c, [-Infinity, -Infinity]);
    expectClose(np.divide(1, np.full([1], 0)), [Infinity]);
    expectClose(np.divide(1, np.full([1], -0)), [-Infinity]);
  });

  it("full casts the value to an explicit dtype (int32 truncates toward zero)", () => {
    expect(vals(np.full([2], 2.7, { dtype: "int32" }))).to.deep.equal([2, 2]);
    expect(vals(np.full([1], -2.7, { dtype: "int32" }))).to.deep.equal([-2]);
    expect(vals(np.full([1], 0.5, { dtype: "bool" }))).to.deep.equal([1]);
    expect(vals(np.full([1], true, { dtype: "float32" }))).to.deep.equal([1]);
    // The literal is converted when the graph is built: arithmetic sees 2, not 2.7.
    expect(vals(np.full([1], 2.7, { dtype: "int32" }).add(np.full([1], 2.7, { dtype: "int32" })))).to.deep.equal([4]);
  });

  it("full broadcasts an array fill value to the shape (NumPy)", () => {
    const f = np.full([2, 3], [1, 2, 3]);
    expect(f.dtype).to.equal("float32");
    expectClose(f, [[1, 2, 3], [1, 2, 3]]);
    const g = np.full([2, 2], np.array([[1], [2]], { dtype: "int32" }));
    expect(g.dtype).to.equal("int32");
    expect(g.toArraySync()).to.deep.equal([[1, 1], [2, 2]]);
    expect(np.full([2], [5, 6], { dtype: "int32" }).dtype).to.equal("int32");
  });

  it("full rejects fill values that do not broadcast to the shape", () => {
    expect(() => np.full([2], [1, 2, 3])).to.throw(ShapeError, "full");
    expect(() => np.full([3], [[1], [2]])).to.throw(ValueError, "cannot be broadcast to [3]");
  });

  it("rejects bad shapes and dtypes", () => {
    expect(() => np.zeros([-1])).to.throw(ShapeError, "zeros");
    expect(() => np.ones([2.5])).to.throw(ShapeError, "ones");
    expect(() => np.full(3 as unknown as number[], 1)).to.throw(ShapeError, "non-negative integers");
    expect(() => np.zeros([2], { dtype: "float8" as never })).to.throw(DTypeError, "unknown dtype");
  });
});

describe("np creation: zerosLike / onesLike / fullLike", () => {
  it("take the shape and dtype of the argument", () => {
    const x = np.array([[1, 2, 3]], { dtype: "int32" });
    const z = np.zerosLike(x);
    expect(z.dtype).to.equal("int32");
    expect(z.toArraySync()).to.deep.equal([[0, 0, 0]]);
    const o = np.onesLike([[1.5], [2.5]]);
    expect(o.dtype).to.equal("float32");
    expectClose(o, [[1], [1]]);
    const b = np.onesLike(np.array([true, false]));
    expect(b.dtype).to.equal("bool");
    expect(vals(b)).to.deep.equal([1, 1]);
  });

  it("fullLike casts the value to the argument's dtype (NumPy)", () => {
    expect(vals(np.fullLike(np.array([1, 2], { dtype: "int32" }), 2.5))).to.deep.equal([2, 2]);
    expectClose(np.fullLike(np.array([1, 2]), 5), [5, 5]);
    expect(vals(np.fullLike(np.array([true]), 5))).to.deep.equal([1]);
  });

  it("dtype overrides; scalars and empty arrays work", () => {
    const f = np.fullLike(np.array([1, 2], { dtype: "int32" }), 2.5, { dtype: "float32" });
    expect(f.dtype).to.equal("float32");
    expectClose(f, [2.5, 2.5]);
    const s = np.zerosLike(3);
    expect(s.shape).to.deep.equal([]);
    expect(s.dtype).to.equal("int32");
    expect(np.onesLike(np.zeros([0, 2])).shape).to.deep.equal([0, 2]);
    expect(() => np.zerosLike([1], { dtype: "nope" as never })).to.throw(DTypeError, "zerosLike");
    expect(() => np.onesLike([[1, 2], [3]])).to.throw(ShapeError, "ragged");
  });
});

describe("np creation: arange", () => {
  it("arange(stop) is float32 0..stop-1", () => {
    const a = np.arange(4);
    expect(a.dtype).to.equal("float32");
    expectClose(a, [0, 1, 2, 3]);
  });

  it("arange(start, stop[, step]) has length ceil((stop - start) / step)", () => {
    expectClose(np.arange(2, 5), [2, 3, 4]);
    expectClose(np.arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75]);
    expectClose(np.arange(0, 1, 0.3), [0, 0.3, 0.6, 0.9]);
    expect(np.arange(0, 0.3, 0.1).shape).to.deep.equal([3]);
    expectClose(np.arange(-1, -2.5, -0.5), [-1, -1.5, -2]);
    expectClose(np.arange(2.5), [0, 1, 2]);
  });

  it("a negative step starts at +0, not -0 (start + i·step, issue 11 item 8)", () => {
    expect(Object.is(vals(np.arange(0, -10, -2))[0], 0)).to.equal(true);
    expect(vals(np.arange(0, -10, -2))).to.deep.equal([0, -2, -4, -6, -8]);
    expect(Object.is(vals(np.linspace(0, -1, 3))[0], 0)).to.equal(true);
  });

  it("empty ranges have length 0", () => {
    expect(np.arange(0).shape).to.deep.equal([0]);
    expect(np.arange(-3).shape).to.deep.equal([0]);
    expect(np.arange(5, 2).shape).to.deep.equal([0]);
    expect(np.arange(2, 5, -1).shape).to.deep.equal([0]);
  });

  it("int32 on request, with options after any number of positional arguments", () => {
    const a = np.arange(5, 0, -2, { dtype: "int32" });
    expect(a.dtype).to.equal("int32");
    expect(vals(a)).to.deep.equal([5, 3, 1]);
    expect(vals(np.arange(3, { dtype: "int32" }))).to.deep.equal([0, 1, 2]);
    expect(vals(np.arange(1, 4, { dtype: "int32" }))).to.deep.equal([1, 2, 3]);
    // NumPy: the first two values, truncated, fix the step.
    expect(vals(np.arange(0, 5, 1.5, { dtype: "int32" }))).to.deep.equal([0, 1, 2, 3]);
    expect(np.arange(4, { dtype: "float64" }).dtype).to.equal("float64");
  });

  it("is built from iota, not a host array", () => {
    const p = prims(np.arange(3, 100, 2));
    expect(p).to.include("iota");
    expect(p).to.not.include("data");
  });

  it("rejects bad arguments", () => {
    expect(() => np.arange(0, 5, 0)).to.throw(ValueError, "step must not be zero");
    expect(() => np.arange(NaN)).to.throw(ValueError, "arange: stop must be a finite number");
    expect(() => np.arange(0, Infinity)).to.throw(ValueError, "finite");
    expect(() => np.arange(3, { dtype: "bool" })).to.throw(DTypeError, "arange");
    expect(() => np.arange(0, 1e12)).to.throw(ValueError, "too large");
    expect(() => np.arange("3" as unknown as number)).to.throw(ValueError, "arange");
  });
});

describe("np creation: linspace", () => {
  it("includes the endpoint by default", () => {
    const l = np.linspace(0, 1, 5);
    expect(l.dtype).to.equal("float32");
    expectClose(l, [0, 0.25, 0.5, 0.75, 1]);
    expectClose(np.linspace(1, 0, 3), [1, 0.5, 0]);
  });

  it("defaults to 50 samples", () => {
    const l = np.linspace(0, 1);
    expect(l.shape).to.deep.equal([50]);
    expectClose(l, Array.from({ length: 50 }, (_, i) => i / 49));
  });

  it("endpoint: false excludes stop", () => {
    expectClose(np.linspace(0, 1, 4, { endpoint: false }), [0, 0.25, 0.5, 0.75]);
    expectClose(np.linspace(2, 3, 1, { endpoint: false }), [2]);
  });

  it("pins the last sample to stop exactly", () => {
    const l = vals(np.linspace(-1.1, 7.3, 13));
    expect(l[12]).to.equal(Math.fround(7.3));
    expect(l[0]).to.equal(Math.fround(-1.1));
    expectClose(l, Array.from({ length: 13 }, (_, i) => -1.1 + (i * 8.4) / 12), { rtol: 1e-6 });
  });

  it("num 0 and 1", () => {
    expect(np.linspace(0, 1, 0).shape).to.deep.equal([0]);
    expectClose(np.linspace(3, 7, 1), [3]);
  });

  it("integer dtypes round toward -inf (NumPy 2)", () => {
    const l = np.linspace(0, 10, 4, { dtype: "int32" });
    expect(l.dtype).to.equal("int32");
    expect(vals(l)).to.deep.equal([0, 3, 6, 10]);
    expect(vals(np.linspace(-1, 0, 3, { dtype: "int32" }))).to.deep.equal([-1, -1, 0]);
  });

  it("rejects bad arguments", () => {
    expect(() => np.linspace(0, 1, -1)).to.throw(ValueError, "linspace: num must be a non-negative integer");
    expect(() => np.linspace(0, 1, 2.5)).to.throw(ValueError, "num");
    expect(() => np.linspace(NaN, 1)).to.throw(ValueError, "start");
    expect(() => np.linspace(0, 1, 3, { dtype: "bool" })).to.throw(DTypeError, "linspace");
  });
});

describe("np creation: eye", () => {
  it("square identity, float32 by default", () => {
    const e = np.eye(3);
    expect(e.dtype).to.equal("float32");
    expectClose(e, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  });

  it("rectangular with an offset diagonal", () => {
    expectClose(np.eye(2, 3, { k: 1 }), [[0, 1, 0], [0, 0, 1]]);
    expectClose(np.eye(3, null, { k: -1 }), [[0, 0, 0], [1, 0, 0], [0, 1, 0]]);
    expectClose(np.eye(3, 2), [[1, 0], [0, 1], [0, 0]]);
    expectClose(np.eye(2, 2, { k: 5 }), [[0, 0], [0, 0]]);
  });

  it("dtypes, empty, iota-based", () => {
    const i = np.eye(2, 2, { dtype: "int32" });
    expect(i.dtype).to.equal("int32");
    expect(i.toArraySync()).to.deep.equal([[1, 0], [0, 1]]);
    expect(np.eye(2, 2, { dtype: "bool" }).dtype).to.equal("bool");
    expect(np.eye(0).shape).to.deep.equal([0, 0]);
    expect(prims(np.eye(500))).to.not.include("data");
  });

  it("rejects bad arguments", () => {
    expect(() => np.eye(-1)).to.throw(ValueError, "eye: n must be a non-negative integer");
    expect(() => np.eye(2, 1.5)).to.throw(ValueError, "eye: m");
    expect(() => np.eye(2, 2, { k: 0.5 })).to.throw(ValueError, "eye: k must be an integer");
    expect(() => np.eye(2, 2, { dtype: "x" as never })).to.throw(DTypeError, "eye");
  });
});

describe("np creation: meshgrid", () => {
  it('default indexing "xy" swaps the first two axes', () => {
    const [X, Y] = np.meshgrid([1, 2, 3], [4, 5]);
    expectClose(X!, [[1, 2, 3], [1, 2, 3]]);
    expectClose(Y!, [[4, 4, 4], [5, 5, 5]]);
  });

  it('indexing "ij" is matrix order', () => {
    const [I, J] = np.meshgrid([1, 2, 3], [4, 5], { indexing: "ij" });
    expectClose(I!, [[1, 1], [2, 2], [3, 3]]);
    expectClose(J!, [[4, 5], [4, 5], [4, 5]]);
  });

  it("three inputs: xy gives shape (b, a, c)", () => {
    const [A, B, C] = np.meshgrid([1, 2], [3, 4, 5], [6, 7, 8, 9]);
    for (const t of [A!, B!, C!]) expect(t.shape).to.deep.equal([3, 2, 4]);
    // A varies along axis 1, B along axis 0, C along axis 2.
    const at = (t: Tensor, i: number, j: number, k: number): number => (t.toArraySync() as number[][][])[i]![j]![k]!;
    expect([at(A!, 2, 1, 3), at(A!, 0, 0, 0), at(A!, 1, 1, 2)]).to.deep.equal([2, 1, 2]);
    expect([at(B!, 2, 1, 3), at(B!, 0, 1, 1), at(B!, 1, 0, 3)]).to.deep.equal([5, 3, 4]);
    expect([at(C!, 2, 1, 3), at(C!, 0, 1, 1), at(C!, 1, 0, 2)]).to.deep.equal([9, 7, 8]);
    const [A2, B2, C2] = np.meshgrid([1, 2], [3, 4, 5], [6, 7, 8, 9], { indexing: "ij" });
    expect(A2!.shape).to.deep.equal([2, 3, 4]);
    expect([at(A2!, 1, 2, 3), at(B2!, 1, 2, 3), at(C2!, 1, 2, 3)]).to.deep.equal([2, 5, 9]);
    expect([at(A2!, 0, 1, 0), at(B2!, 0, 1, 0), at(C2!, 0, 1, 0)]).to.deep.equal([1, 4, 6]);
  });

  it("flattens inputs, keeps dtypes, handles one and zero inputs", () => {
    const [X, Y] = np.meshgrid(np.array([[1, 2], [3, 4]], { dtype: "int32" }), [0, 1]);
    expect(X!.dtype).to.equal("int32");
    expect(X!.shape).to.deep.equal([2, 4]);
    expect(X!.toArraySync()).to.deep.equal([[1, 2, 3, 4], [1, 2, 3, 4]]);
    expect(Y!.dtype).to.equal("float32");
    const [only] = np.meshgrid([7, 8]);
    expectClose(only!, [7, 8]);
    expect(np.meshgrid()).to.deep.equal([]);
    const [E, F] = np.meshgrid(np.zeros([0]), [1, 2]);
    expect(E!.shape).to.deep.equal([2, 0]);
    expect(F!.shape).to.deep.equal([2, 0]);
  });

  it("rejects a bad indexing option", () => {
    expect(() => np.meshgrid([1], [2], { indexing: "yx" as never })).to.throw(ValueError, 'meshgrid: indexing must be "xy" or "ij"');
  });
});

describe("np.array of typed arrays", () => {
  it("takes each typed array's dtype (NumPy's where kiln has it)", () => {
    const cases: [ArrayBufferView, string][] = [
      [new Float32Array([1.5, 2]), "float32"], [new Float64Array([1e-300, 2]), "float64"], [new Int32Array([-7, 2]), "int32"],
      [new Int16Array([-3, 4]), "int32"], [new Int8Array([-128, 127]), "int32"], [new Uint8Array([0, 255]), "uint8"],
      [new Uint8ClampedArray([0, 255]), "uint8"], [new Uint16Array([0, 65535]), "uint32"], [new Uint32Array([0, 2 ** 32 - 1]), "uint32"],
    ];
    for (const [data, dtype] of cases) {
      const t = np.array(data as never);
      expect(t.dtype, data.constructor.name).to.equal(dtype);
      expect(t.shape).to.deep.equal([2]);
      expect(vals(t)).to.deep.equal(Array.from(data as unknown as number[]));
    }
  });

  it("copies: writing the source afterwards does not change the Tensor", () => {
    const src = new Float32Array([1, 2, 3]);
    const t = np.array(src).mul(2);
    src[0] = 100;
    expect(vals(t)).to.deep.equal([2, 4, 6]);
    const a = np.asarray(src);
    src[1] = -1;
    expect(vals(a)).to.deep.equal([100, 2, 3]);
  });

  it("takes a shape and a dtype", () => {
    const t = np.array(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect(t.shape).to.deep.equal([2, 3]);
    expect(t.toArraySync()).to.deep.equal([[1, 2, 3], [4, 5, 6]]);
    expect(np.array([1, 2, 3, 4], { shape: [2, 2] }).toArraySync()).to.deep.equal([[1, 2], [3, 4]]);
    const i = np.array(new Float64Array([1.9, -2.9]), { dtype: "int32" });
    expect(i.dtype).to.equal("int32");
    expect(vals(i)).to.deep.equal([1, -2]);
    expect(vals(np.array(new Uint8Array([0, 3]), { dtype: "bool" }))).to.deep.equal([0, 1]);
    expect(np.array(new Int32Array([1, 2]), { dtype: "float64" }).dtype).to.equal("float64");
  });

  it("works wherever an ArrayLike is taken (np functions broadcast typed arrays like nested arrays)", () => {
    expect(vals(np.add(new Float32Array([1, 2]), 1))).to.deep.equal([2, 3]);
    expect(vals(np.sum(new Int32Array([1, 2, 3])))).to.deep.equal([6]);
  });

  it("bad input is a typed error", () => {
    expect(() => np.array(new Float32Array(6), { shape: [4] })).to.throw(ValueError, /6 element\(s\).*shape \[4\]/);
    expect(() => np.array(new Float32Array(2), { shape: [-1, 2] })).to.throw(ShapeError);
    expect(() => np.array(new Uint32Array([2 ** 31]), { dtype: "int32" })).to.throw(ValueError, /does not fit in int32/);
    expect(() => np.array(new Int32Array([-1]), { dtype: "uint8" })).to.throw(ValueError, /-1 does not fit in uint8 \(range 0 to 255\)/);
    expect(() => np.array(new Float32Array([NaN]), { dtype: "int32" })).to.throw(ValueError, /does not fit in int32/);
    expect(() => np.array(new BigInt64Array(2) as never)).to.throw(ValueError, /BigInt64Array is not supported/);
    expect(() => np.array(new DataView(new ArrayBuffer(4)) as never)).to.throw(ValueError, /DataView is not supported/);
  });
});
