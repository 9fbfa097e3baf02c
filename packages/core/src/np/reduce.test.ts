import { expect } from "chai";
import fc from "fast-check";
import { DTypeError, IndexError, Tensor, ValueError, np, npUtil } from "../index.js";
import { expectClose } from "../testing.js";

function vals(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

const M = [[1, 2], [3, 4]];
// cube[i][j][k] = 100 i + 10 j + k, shape [2, 3, 4]
const cube = [0, 1].map((i) => [0, 1, 2].map((j) => [0, 1, 2, 3].map((k) => 100 * i + 10 * j + k)));

describe("np.sum", () => {
  it("over all axes, one axis, negative axes and axis lists", () => {
    expectClose(np.sum(M), 10);
    expect(np.sum(M).shape).to.deep.equal([]);
    expectClose(np.sum(M, { axis: 0 }), [4, 6]);
    expectClose(np.sum(M, { axis: 1 }), [3, 7]);
    expectClose(np.sum(M, { axis: -1 }), [3, 7]);
    expectClose(np.sum(M, { axis: -2 }), [4, 6]);
    // axes 0 and 2 of cube: sum_i sum_k (100 i + 10 j + k) = 100*4 + 2*4*10 j + 2*6
    expectClose(np.sum(cube, { axis: [0, 2] }), [412, 492, 572]);
    expectClose(np.sum(cube, { axis: [-1, 0] }), [412, 492, 572]);
    expectClose(np.sum(cube, { axis: [0, 1, 2] }), 1200 + 240 + 36); // 100·Σi + 10·Σj + Σk over the 24 cells
  });

  it("keepdims keeps reduced axes as 1", () => {
    expectClose(np.sum(M, { axis: -1, keepdims: true }), [[3], [7]]);
    expectClose(np.sum(M, { keepdims: true }), [[10]]);
    expect(np.sum(cube, { axis: [0, 2], keepdims: true }).shape).to.deep.equal([1, 3, 1]);
  });

  it("axis [] reduces nothing", () => {
    expectClose(np.sum(M, { axis: [] }), M);
  });

  it("dtypes: bool counts as int32, int32 stays, float stays, dtype option", () => {
    const b = np.sum([true, true, false, true]);
    expect(b.dtype).to.equal("int32");
    expect(b.itemSync()).to.equal(3);
    const i = np.sum(np.array([[1, 2], [3, 4]], { dtype: "int32" }), { axis: 0 });
    expect(i.dtype).to.equal("int32");
    expect(vals(i)).to.deep.equal([4, 6]);
    expect(np.sum(np.array([1], { dtype: "float64" })).dtype).to.equal("float64");
    const f = np.sum(np.array([1, 2], { dtype: "int32" }), { dtype: "float32" });
    expect(f.dtype).to.equal("float32");
    expectClose(f, 3);
  });

  it("empty sums are 0; scalars sum to themselves", () => {
    expectClose(np.sum(np.zeros([0])), 0);
    expectClose(np.sum(np.zeros([2, 0]), { axis: 1 }), [0, 0]);
    expect(np.sum(np.zeros([0, 3]), { axis: 1 }).shape).to.deep.equal([0]);
    expectClose(np.sum(7.5), 7.5);
    expect(np.sum(7.5).shape).to.deep.equal([]);
  });

  it("NaN and infinities propagate", () => {
    expectClose(np.sum([1, NaN]), NaN);
    expectClose(np.sum([Infinity, 1]), Infinity);
    expectClose(np.sum([Infinity, -Infinity]), NaN);
  });

  it("Tensor method delegates", () => {
    expectClose(np.array(M).sum({ axis: 0 }), [4, 6]);
  });

  it("rejects bad axes and dtypes when called (typed errors naming sum)", () => {
    expect(() => np.sum(M, { axis: 2 })).to.throw(IndexError, "sum: axis 2 is out of bounds for an array of rank 2");
    expect(() => np.sum(M, { axis: -3 })).to.throw(IndexError, "sum: axis -3 is out of bounds");
    expect(() => np.sum(M, { axis: [0, -2] })).to.throw(IndexError, "sum: repeated axis");
    expect(() => np.sum(M, { axis: 0.5 })).to.throw(IndexError, "sum: axis must be an integer");
    expect(() => np.sum(5, { axis: 0 })).to.throw(IndexError, "rank 0");
    expect(() => np.sum(M, { dtype: "bool" })).to.throw(DTypeError, "sum: cannot accumulate in bool");
    expect(() => np.sum(M, { dtype: "int8" as never })).to.throw(DTypeError, "sum: unknown dtype");
  });
});

describe("np.prod", () => {
  it("values, axes, keepdims", () => {
    expectClose(np.prod(M), 24);
    expectClose(np.prod(M, { axis: 0 }), [3, 8]);
    expectClose(np.prod(M, { axis: -1, keepdims: true }), [[2], [12]]);
  });
  it("empty product is 1; bool counts as int32", () => {
    expectClose(np.prod(np.zeros([0])), 1);
    expectClose(np.prod(np.zeros([3, 0]), { axis: -1 }), [1, 1, 1]);
    const b = np.prod([true, false]);
    expect(b.dtype).to.equal("int32");
    expect(b.itemSync()).to.equal(0);
  });
  it("rejects bad axes", () => {
    expect(() => np.prod(M, { axis: 5 })).to.throw(IndexError, "prod: axis 5");
  });
});

describe("np.mean", () => {
  it("values over axes; integers give float32", () => {
    expectClose(np.mean([[1, 2], [3, 5]], { axis: 1 }), [1.5, 4]);
    const m = np.mean(np.array([1, 2], { dtype: "int32" }));
    expect(m.dtype).to.equal("float32");
    expectClose(m, 1.5);
    expect(np.mean([true, false, false, true]).dtype).to.equal("float32");
    expectClose(np.mean([true, false, false, true]), 0.5);
    expectClose(np.mean(cube, { axis: [0, 2] }), [412 / 8, 492 / 8, 572 / 8]);
  });
  it("keepdims and negative axes", () => {
    expectClose(np.mean(M, { axis: -2, keepdims: true }), [[2, 3]]);
  });
  it("mean of nothing is NaN", () => {
    expectClose(np.mean(np.zeros([0])), NaN);
    expectClose(np.mean(np.zeros([0, 3]), { axis: 0 }), [NaN, NaN, NaN]);
  });
  it("float64 stays float64", () => {
    const m = np.mean(np.array([0.1, 0.2], { dtype: "float64" }));
    expect(m.dtype).to.equal("float64");
    expect(m.itemSync()).to.be.closeTo(0.15, 1e-15);
  });
  it("rejects bad axes", () => {
    expect(() => np.mean(M, { axis: [0, 0] })).to.throw(IndexError, "mean: repeated axis");
  });
});

describe("np.max / np.min", () => {
  it("values over axes, keepdims", () => {
    expectClose(np.max([[1, 5], [3, 2]], { axis: 0 }), [3, 5]);
    expectClose(np.min([[1, 5], [3, 2]], { axis: 1 }), [1, 2]);
    expectClose(np.max([[1, 5], [3, 2]]), 5);
    expectClose(np.min([[1, 5], [3, 2]], { axis: -1, keepdims: true }), [[1], [2]]);
    expectClose(np.max(cube, { axis: [0, -1] }), [103, 113, 123]);
    expectClose(np.min([-Infinity, 0]), -Infinity);
  });
  it("keeps dtypes (int32, bool)", () => {
    const i = np.max(np.array([3, -7, 2], { dtype: "int32" }));
    expect(i.dtype).to.equal("int32");
    expect(i.itemSync()).to.equal(3);
    const b = np.min(np.array([true, false]));
    expect(b.dtype).to.equal("bool");
    expect(b.itemSync()).to.equal(false);
  });
  it("NaN propagates", () => {
    expectClose(np.max([1, NaN, 3]), NaN);
    expectClose(np.min([[1, NaN], [0, 2]], { axis: 1 }), [NaN, 0]);
  });
  it("an empty reduction is a ValueError; reducing a non-empty axis of an empty array is fine", () => {
    expect(() => np.max(np.zeros([0]))).to.throw(ValueError, "zero-size array to reduction operation max which has no identity");
    expect(() => np.min(np.zeros([0, 3]), { axis: 0 })).to.throw(ValueError, "zero-size array to reduction operation min");
    expect(np.max(np.zeros([0, 3]), { axis: 1 }).shape).to.deep.equal([0]);
  });
  it("scalars", () => {
    expectClose(np.max(4), 4);
  });
  it("rejects bad axes", () => {
    expect(() => np.max(M, { axis: -3 })).to.throw(IndexError, "max: axis -3");
    expect(() => np.min(M, { axis: 2 })).to.throw(IndexError, "min: axis 2");
  });
});

describe("np.argmax / np.argmin", () => {
  it("without axis: index into the flattened array", () => {
    const a = np.argmax([[1, 5], [7, 2]]);
    expect(a.dtype).to.equal("int32");
    expect(a.shape).to.deep.equal([]);
    expect(a.itemSync()).to.equal(2);
    expect(np.argmin([[1, 5], [7, 0]]).itemSync()).to.equal(3);
  });
  it("along an axis, including negative axes", () => {
    expect(vals(np.argmax([[1, 5], [7, 2]], { axis: 1 }))).to.deep.equal([1, 0]);
    expect(vals(np.argmin([[1, 5], [7, 0]], { axis: 0 }))).to.deep.equal([0, 1]);
    expect(vals(np.argmax([[1, 5], [7, 2]], { axis: -2 }))).to.deep.equal([1, 0]);
    expect(np.argmax(cube, { axis: 1 }).toArraySync()).to.deep.equal([[2, 2, 2, 2], [2, 2, 2, 2]]);
  });
  it("keepdims", () => {
    const k = np.argmax([[1, 5], [7, 2]], { axis: 1, keepdims: true });
    expect(k.shape).to.deep.equal([2, 1]);
    expect(k.toArraySync()).to.deep.equal([[1], [0]]);
    const f = np.argmin(cube, { keepdims: true });
    expect(f.shape).to.deep.equal([1, 1, 1]);
    expect(vals(f)).to.deep.equal([0]);
  });
  it("ties give the first index; the first NaN wins", () => {
    expect(np.argmax([3, 1, 3]).itemSync()).to.equal(0);
    expect(np.argmin([2, 1, 1]).itemSync()).to.equal(1);
    expect(np.argmax([1, NaN, 5, NaN]).itemSync()).to.equal(1);
    expect(np.argmin([1, -2, NaN]).itemSync()).to.equal(2);
  });
  it("scalars and empty arrays", () => {
    expect(np.argmax(7).itemSync()).to.equal(0);
    expect(() => np.argmax(np.zeros([0]))).to.throw(ValueError, "argmax: attempt to get argmax of an empty sequence");
    expect(() => np.argmin(np.zeros([2, 0]), { axis: 1 })).to.throw(ValueError, "argmin");
    expect(np.argmin(np.zeros([0, 2]), { axis: 1 }).shape).to.deep.equal([0]);
  });
  it("rejects bad axes", () => {
    expect(() => np.argmax(M, { axis: 2 })).to.throw(IndexError, "argmax: axis 2 is out of bounds");
    expect(() => np.argmin(5, { axis: 0 })).to.throw(IndexError, "argmin");
    expect(() => np.argmax(M, { axis: [0] as unknown as number })).to.throw(IndexError, "argmax: axis must be an integer");
  });
});

describe("np.var / np.std", () => {
  it("population variance by default (ddof 0)", () => {
    expectClose(np.var([1, 2, 3, 4]), 1.25);
    expectClose(np.std([1, 2, 3, 4]), Math.sqrt(1.25));
  });
  it("ddof", () => {
    expectClose(np.var([1, 2, 3, 4], { ddof: 1 }), 5 / 3);
    expectClose(np.std([1, 2, 3, 4], { ddof: 1 }), Math.sqrt(5 / 3));
    // n - ddof = 0: division by zero gives inf (nonzero numerator) or NaN, as NumPy.
    expectClose(np.var([1, 2], { ddof: 2 }), Infinity);
    expectClose(np.var([1], { ddof: 1 }), NaN);
    expectClose(np.var([1, 3], { ddof: 5 }), Infinity);
  });
  it("axes, keepdims, integer input", () => {
    // rows [1,2] and [3,5]: variances 0.25 and 1; columns [1,3], [2,5]: 1 and 2.25
    expectClose(np.var([[1, 2], [3, 5]], { axis: 1 }), [0.25, 1]);
    expectClose(np.var([[1, 2], [3, 5]], { axis: -2, keepdims: true }), [[1, 2.25]]);
    expectClose(np.std([[1, 2], [3, 5]], { axis: 0 }), [1, 1.5]);
    const v = np.var(np.array([1, 2, 3, 4], { dtype: "int32" }));
    expect(v.dtype).to.equal("float32");
    expectClose(v, 1.25);
    expectClose(np.var(cube, { axis: [0, 2] }), [2500 + 1.25, 2500 + 1.25, 2500 + 1.25]);
  });
  it("is numerically centred (large offset)", () => {
    expectClose(np.var(np.array([1e4 + 1, 1e4 + 2, 1e4 + 3])), 2 / 3, { rtol: 1e-4 });
  });
  it("empty is NaN; method names", () => {
    expectClose(np.var(np.zeros([0])), NaN);
    expectClose(np.array([1, 2, 3, 4]).var(), 1.25);
    expectClose(np.array([1, 2, 3, 4]).std({ ddof: 1 }), Math.sqrt(5 / 3));
  });
  it("rejects bad arguments", () => {
    expect(() => np.var([1, 2], { ddof: NaN })).to.throw(ValueError, "var: ddof must be a finite number");
    expect(() => np.std(M, { axis: 3 })).to.throw(IndexError, "std: axis 3");
  });
});

describe("np.logsumexp", () => {
  const ref = (xs: number[]): number => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
  it("matches log(sum(exp(x))) for moderate values", () => {
    expectClose(np.logsumexp([1, 2, 3]), ref([1, 2, 3]));
    expectClose(np.logsumexp([[1, 2], [-3, 0.5]], { axis: 1 }), [ref([1, 2]), ref([-3, 0.5])]);
    expectClose(np.logsumexp([[1, 2], [-3, 0.5]], { axis: 0, keepdims: true }), [[ref([1, -3]), ref([2, 0.5])]]);
    expectClose(np.logsumexp(cube.map((p) => p.map((r) => r.map((v) => v / 100))), { axis: [0, 2] }), [0, 1, 2].map((j) => ref([0, 1].flatMap((i) => [0, 1, 2, 3].map((k) => (100 * i + 10 * j + k) / 100)))));
  });
  it("is stable for large magnitudes", () => {
    expectClose(np.logsumexp([1000, 1000]), 1000 + Math.LN2);
    expectClose(np.logsumexp([-1000, -1000]), -1000 + Math.LN2);
  });
  it("handles infinities and NaN", () => {
    expectClose(np.logsumexp([[0, 0], [-Infinity, -Infinity]], { axis: 1 }), [Math.LN2, -Infinity]);
    expectClose(np.logsumexp([-Infinity, 0]), 0);
    expectClose(np.logsumexp([Infinity, 0]), Infinity);
    expectClose(np.logsumexp([NaN, 0]), NaN);
  });
  it("integer input gives float32; empty gives -inf", () => {
    const l = np.logsumexp(np.array([0, 0], { dtype: "int32" }));
    expect(l.dtype).to.equal("float32");
    expectClose(l, Math.LN2);
    expectClose(np.logsumexp(np.zeros([0])), -Infinity);
    expectClose(np.logsumexp(np.zeros([2, 0]), { axis: 1 }), [-Infinity, -Infinity]);
  });
  it("rejects bad axes", () => {
    expect(() => np.logsumexp(M, { axis: 2 })).to.throw(IndexError, "logsumexp: axis 2");
  });
});

describe("np.all / np.any", () => {
  it("bool results over axes", () => {
    const a = np.all([[true, false], [true, true]], { axis: 1 });
    expect(a.dtype).to.equal("bool");
    expect(vals(a)).to.deep.equal([0, 1]);
    expect(vals(np.any([[true, false], [false, false]], { axis: -1 }))).to.deep.equal([1, 0]);
    expect(np.all([[true, true]]).itemSync()).to.equal(true);
    expect(np.any([[false, false]]).itemSync()).to.equal(false);
    expect(np.any([[true, false], [false, false]], { axis: 0, keepdims: true }).toArraySync()).to.deep.equal([[true, false]]);
  });
  it("numbers: nonzero is true, NaN is true", () => {
    expect(np.any([0, 0, 3]).itemSync()).to.equal(true);
    expect(np.all([1, 2, 0]).itemSync()).to.equal(false);
    expect(np.all([NaN, -1]).itemSync()).to.equal(true);
    expect(np.any(np.array([0, 0], { dtype: "int32" })).itemSync()).to.equal(false);
  });
  it("empty: all is true, any is false", () => {
    expect(np.all(np.zeros([0])).itemSync()).to.equal(true);
    expect(np.any(np.zeros([0])).itemSync()).to.equal(false);
    const k = np.all(np.zeros([2, 0]), { axis: 1, keepdims: true });
    expect(k.dtype).to.equal("bool");
    expect(k.toArraySync()).to.deep.equal([[true], [true]]);
    // And the identity is a proper bool: it compares equal to true.
    expect(vals(np.equal(np.any(np.zeros([3, 0]), { axis: 1 }), false))).to.deep.equal([1, 1, 1]);
  });
  it("scalars and bad axes", () => {
    expect(np.all(true).itemSync()).to.equal(true);
    expect(np.any(0).itemSync()).to.equal(false);
    expect(() => np.all(M, { axis: 2 })).to.throw(IndexError, "all: axis 2");
    expect(() => np.any(M, { axis: -3 })).to.throw(IndexError, "any: axis -3");
  });
});

describe("np.cumsum", () => {
  it("without axis: over the flattened array", () => {
    const c = np.cumsum([[1, 2], [3, 4]]);
    expect(c.shape).to.deep.equal([4]);
    expectClose(c, [1, 3, 6, 10]);
    expectClose(np.cumsum(5), [5]);
  });
  it("a 0-d input is flattened to one element whatever the axis, as NumPy (issue 11 item 8)", () => {
    expect(np.cumsum(5, 0).shape).to.deep.equal([1]);
    expectClose(np.cumsum(5, 0), [5]);
    expectClose(np.cumsum(np.array(2.5), { axis: -1 }), [2.5]);
    expect(() => np.cumsum(5, 1)).to.throw(IndexError, "cumsum: axis 1 is out of bounds");
  });
  it("along an axis (negative too)", () => {
    expectClose(np.cumsum([[1, 2], [3, 4]], { axis: 0 }), [[1, 2], [4, 6]]);
    expectClose(np.cumsum([[1, 2], [3, 4]], { axis: -1 }), [[1, 3], [3, 7]]);
  });
  it("dtypes: bool counts as int32, int32 stays, dtype option", () => {
    const b = np.cumsum([true, true, false, true]);
    expect(b.dtype).to.equal("int32");
    expect(vals(b)).to.deep.equal([1, 2, 2, 3]);
    const i = np.cumsum(np.array([1, -2, 3], { dtype: "int32" }));
    expect(i.dtype).to.equal("int32");
    expect(vals(i)).to.deep.equal([1, -1, 2]);
    expect(np.cumsum([1, 2], { dtype: "float64" }).dtype).to.equal("float64");
  });
  it("empty and NaN", () => {
    expect(np.cumsum(np.zeros([0, 3]), { axis: 1 }).shape).to.deep.equal([0, 3]);
    expectClose(np.cumsum([1, NaN, 2]), [1, NaN, NaN]);
  });
  it("rejects bad axes", () => {
    expect(() => np.cumsum(M, { axis: 2 })).to.throw(IndexError, "cumsum: axis 2 is out of bounds");
    expect(() => np.cumsum(M, { dtype: "bool" })).to.throw(DTypeError, "cumsum");
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests against a plain nested-array model.

type Nested = number | Nested[];

function build(shape: readonly number[], flat: readonly number[], offset = 0): Nested {
  if (shape.length === 0) return flat[offset]!;
  const stride = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => build(shape.slice(1), flat, offset + i * stride));
}

/** Model reduction: for each output index (reduced axes kept as 1), combine every element it covers. */
function modelReduce(v: Nested, shape: readonly number[], axes: readonly number[], keepdims: boolean, f: (xs: number[]) => number): Nested {
  const gather = (node: Nested, d: number, idx: readonly number[]): number[] => {
    if (d === shape.length) return [node as number];
    const arr = node as Nested[];
    if (axes.includes(d)) return arr.flatMap((child) => gather(child, d + 1, idx));
    return gather(arr[idx[d]!]!, d + 1, idx);
  };
  const out = (d: number, idx: number[]): Nested => {
    if (d === shape.length) return f(gather(v, 0, idx));
    const n = axes.includes(d) ? 1 : shape[d]!;
    const children = Array.from({ length: n }, (_, i) => out(d + 1, [...idx, i]));
    return axes.includes(d) && !keepdims ? children[0] ?? NaN : children;
  };
  return out(0, []);
}

const caseArb = fc
  .array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 3 })
  .chain((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const rank = shape.length;
    const axes = fc.oneof(
      fc.constant(undefined),
      fc.shuffledSubarray([...Array(rank).keys()]).chain((sub) =>
        fc.array(fc.boolean(), { minLength: sub.length, maxLength: sub.length }).map((neg) => sub.map((a, i) => (neg[i] ? a - rank : a))),
      ),
      ...(rank > 0 ? [fc.integer({ min: -rank, max: rank - 1 })] : []),
    );
    return fc.record({
      shape: fc.constant(shape),
      flat: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: size, maxLength: size }),
      axis: axes,
      keepdims: fc.boolean(),
    });
  });

/** Nested arrays cannot spell shapes like [2, 0, 3], so build flat and reshape. */
function fromFlat(shape: number[], flat: number[], dtype: "float32" | "int32"): Tensor {
  return npUtil.reshapeRaw(np.array(flat, { dtype }), shape);
}

function normalized(axis: number | number[] | undefined, rank: number): number[] {
  if (axis === undefined) return [...Array(rank).keys()];
  return (typeof axis === "number" ? [axis] : axis).map((a) => (a < 0 ? a + rank : a));
}

describe("reductions: property tests against a nested-array model", () => {
  it("sum over random axes / keepdims of random small shapes", () => {
    fc.assert(
      fc.property(caseArb, ({ shape, flat, axis, keepdims }) => {
        const x = fromFlat(shape, flat, "float32");
        const got = np.sum(x, { axis, keepdims });
        const want = modelReduce(build(shape, flat), shape, normalized(axis, shape.length), keepdims, (xs) => xs.reduce((a, b) => a + b, 0));
        expect(got.toArraySync()).to.deep.equal(want);
      }),
      { numRuns: 150 },
    );
  });

  it("max over random axes / keepdims (empty reductions throw ValueError)", () => {
    fc.assert(
      fc.property(caseArb, ({ shape, flat, axis, keepdims }) => {
        const x = fromFlat(shape, flat, "int32");
        const axes = normalized(axis, shape.length);
        if (axes.some((a) => shape[a] === 0)) {
          expect(() => np.max(x, { axis, keepdims })).to.throw(ValueError, "zero-size array");
          return;
        }
        const got = np.max(x, { axis, keepdims });
        expect(got.dtype).to.equal("int32");
        expect(got.toArraySync()).to.deep.equal(modelReduce(build(shape, flat), shape, axes, keepdims, (xs) => Math.max(...xs)));
      }),
      { numRuns: 150 },
    );
  });
});

describe("reductions: the axis alone as NumPy/JAX write it (x.sum(0), np.mean(x, [0, 1]))", () => {
  const x = np.array([[1, 2, 3], [4, 5, 6]]);
  it("a number or an array of axes means { axis }", () => {
    expect(x.sum(0).toArraySync()).to.deep.equal([5, 7, 9]);
    expect(np.sum(x, -1).toArraySync()).to.deep.equal([6, 15]);
    expect(x.mean([0, 1]).itemSync()).to.equal(3.5);
    expect(x.max(1).toArraySync()).to.deep.equal([3, 6]);
    expect(x.min(0).toArraySync()).to.deep.equal([1, 2, 3]);
    expect(x.prod(1).toArraySync()).to.deep.equal([6, 120]);
    expect(x.argmax(1).toArraySync()).to.deep.equal([2, 2]);
    expect(x.argmin(0).toArraySync()).to.deep.equal([0, 0, 0]);
    expect(x.cumsum(1).toArraySync()).to.deep.equal([[1, 3, 6], [4, 9, 15]]);
    expect(x.gt(2).any(1).toArraySync()).to.deep.equal([true, true]); // bools read back as booleans
    expect(x.gt(2).all(1).toArraySync()).to.deep.equal([false, true]);
    expect(x.var(1).toArraySync()).to.deep.equal([2 / 3, 2 / 3].map(Math.fround));
    expect(x.std(0).toArraySync()).to.deep.equal([1.5, 1.5, 1.5]);
    expect(x.sum(null).itemSync()).to.equal(21);
  });
  it("anything else is a ValueError naming the op; argmax/argmin/cumsum take one axis", () => {
    expect(() => x.sum("0" as never)).to.throw(ValueError, /sum: axis .*must be an axis, an array of axes or null, got "0"/);
    expect(() => np.mean(x, x as never)).to.throw(ValueError, /mean: axis .*got a Tensor/);
    expect(() => x.argmax([0, 1] as never)).to.throw(IndexError, /argmax: axis must be an integer/);
    expect(() => np.cumsum(x, { axis: [0] as never })).to.throw(IndexError, /cumsum: axis must be an integer/);
    expect(() => x.sum(2)).to.throw(/axis 2 is out of bounds/);
  });
});
