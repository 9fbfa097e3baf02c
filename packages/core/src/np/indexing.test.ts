import { expect } from "chai";
import fc from "fast-check";
import { np, slice, newaxis, DTypeError, IndexError, ShapeError, ValueError, type Tensor, type Index } from "../index.js";

type Nested = number | Nested[];

/** 0, 1, 2, ... laid out in `shape` (row-major), float32 unless told. */
function seq(shape: number[], dtype: "float32" | "int32" = "float32"): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.reshape(np.array(Array.from({ length: n }, (_, i) => i), { dtype }), shape);
}
const vals = (t: Tensor) => t.toArraySync();
const i32 = (v: Nested) => np.array(v, { dtype: "int32" });

// ---- plain-JS nested-array model (no kiln) for the property tests
function build(shape: readonly number[], f: (idx: number[]) => number, prefix: number[] = []): Nested {
  if (prefix.length === shape.length) return f(prefix);
  return Array.from({ length: shape[prefix.length]! }, (_, i) => build(shape, f, [...prefix, i]));
}
function flatten(x: Nested): number[] {
  return Array.isArray(x) ? x.flatMap(flatten) : [x];
}
/** The positions Python's `range(*slice(start, stop, step).indices(n))` visits, written as CPython does. */
function pySlice(n: number, start: number | null, stop: number | null, step: number | null): number[] {
  const st = step ?? 1;
  const adjust = (v: number | null, dflt: number) => {
    if (v === null) return dflt;
    if (v < 0) return v + n < 0 ? (st < 0 ? -1 : 0) : v + n;
    return v >= n ? (st < 0 ? n - 1 : n) : v;
  };
  const lo = adjust(start, st < 0 ? n - 1 : 0);
  const hi = adjust(stop, st < 0 ? -1 : n);
  const out: number[] = [];
  for (let i = lo; st > 0 ? i < hi : i > hi; i += st) out.push(i);
  return out;
}

/** One index component for the model: a Python slice or an integer (which drops the axis). */
type Comp = { s: [number | null, number | null, number | null] } | { i: number };
const compArb = (n: number): fc.Arbitrary<Comp> => {
  const bound = fc.option(fc.integer({ min: -n - 2, max: n + 2 }), { nil: null });
  const step = fc.option(fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0), { nil: null });
  const slices = fc.tuple(bound, bound, step).map((s) => ({ s }));
  return n > 0 ? fc.oneof(slices, fc.integer({ min: -n, max: n - 1 }).map((i) => ({ i }))) : slices;
};
const caseArb = fc
  .array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.tuple(...shape.map(compArb))));
const toIndex = (c: Comp): Index => ("i" in c ? c.i : slice(...c.s));
/** The positions each component selects, per input axis; null marks a dropped (integer) axis. */
const selected = (shape: number[], comps: Comp[]) =>
  comps.map((c, d) => ("i" in c ? { keep: false, pos: [c.i < 0 ? c.i + shape[d]! : c.i] } : { keep: true, pos: pySlice(shape[d]!, ...c.s) }));

describe("np indexing", () => {
  const x = () => seq([2, 3]); // [[0, 1, 2], [3, 4, 5]]
  const y = () => seq([2, 3, 4]); // y[a][b][c] = 12a + 4b + c

  describe("get: basic indexing", () => {
    it("takes integers, negative ones from the end", () => {
      expect(vals(x().get(0))).to.deep.equal([0, 1, 2]);
      expect(vals(np.get(x(), -1))).to.deep.equal([3, 4, 5]);
      const s = x().get(1, -1);
      expect([s.shape, vals(s)]).to.deep.equal([[], 5]);
      expect(vals(x().get(-2, 0))).to.equal(0);
      expect(seq([3], "int32").get(1).dtype).to.equal("int32");
    });
    it("slices with positive and negative steps, clamping like Python", () => {
      expect(vals(x().get(slice(), slice(0, 1)))).to.deep.equal([[0], [3]]);
      expect(vals(x().get(slice(null, null, -1)))).to.deep.equal([[3, 4, 5], [0, 1, 2]]);
      expect(vals(seq([7]).get(slice(1, null, 2)))).to.deep.equal([1, 3, 5]);
      expect(vals(seq([7]).get(slice(null, null, -2)))).to.deep.equal([6, 4, 2, 0]);
      expect(vals(seq([7]).get(slice(5, 1, -2)))).to.deep.equal([5, 3]);
      expect(vals(seq([7]).get(slice(-2, null, -3)))).to.deep.equal([5, 2]);
      expect(vals(seq([5]).get(slice(-10, 10)))).to.deep.equal([0, 1, 2, 3, 4]);
      expect(vals(seq([5]).get(slice(10, -10, -1)))).to.deep.equal([4, 3, 2, 1, 0]);
      expect(vals(seq([5]).get(slice(4, null, 10)))).to.deep.equal([4]);
      for (const empty of [slice(3, 1), slice(1, 3, -1), slice(-1, -2), slice(7)]) expect(vals(seq([5]).get(empty))).to.deep.equal([]);
      expect(vals(np.array([true, false, false]).get(slice(null, null, -1)))).to.deep.equal([false, false, true]);
    });
    it("inserts axes with newaxis and expands the ellipsis", () => {
      expect(x().get(newaxis).shape).to.deep.equal([1, 2, 3]);
      expect(x().get(slice(), newaxis).shape).to.deep.equal([2, 1, 3]);
      expect(x().get("...", newaxis).shape).to.deep.equal([2, 3, 1]);
      expect(vals(x().get(newaxis, slice(null, null, -1)))).to.deep.equal([[[3, 4, 5], [0, 1, 2]]]);
      expect(vals(y().get("...", 1))).to.deep.equal([[1, 5, 9], [13, 17, 21]]);
      expect(vals(y().get(1, "...", 2))).to.deep.equal([14, 18, 22]);
      expect(vals(y().get(0, "..."))).to.deep.equal([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
      expect(vals(y().get("...", slice(null, null, 3)))).to.deep.equal([[[0, 3], [4, 7], [8, 11]], [[12, 15], [16, 19], [20, 23]]]);
    });
    it("indexes scalars and zero-size arrays", () => {
      expect(vals(np.get(5))).to.equal(5);
      expect(vals(np.get(5, "..."))).to.equal(5);
      expect(vals(np.get(5, newaxis))).to.deep.equal([5]);
      const empty = seq([0, 3]);
      expect(empty.get(slice(), 1).shape).to.deep.equal([0]);
      expect(empty.get(slice(1)).shape).to.deep.equal([0, 3]);
      expect(empty.get(slice(null, null, -1), newaxis).shape).to.deep.equal([0, 1, 3]);
      expect(seq([2, 0]).get(1).shape).to.deep.equal([0]);
    });
    it("rejects bad indices with typed errors", () => {
      expect(() => x().get(2)).to.throw(IndexError, "get: index 2 is out of bounds for axis 0 with size 2");
      expect(() => x().get(0, -4)).to.throw(IndexError, "index -4 is out of bounds for axis 1 with size 3");
      expect(() => seq([0]).get(0)).to.throw(IndexError, "index 0 is out of bounds for axis 0 with size 0");
      expect(() => x().get(0, 0, 0)).to.throw(IndexError, /too many indices for an array of shape \[2,3\]: 3 were given/);
      expect(() => np.get(5, 0)).to.throw(IndexError, /too many indices/);
      expect(() => x().get("...", 0, "...")).to.throw(IndexError, /single ellipsis/);
      expect(() => x().get(slice(null, null, 0))).to.throw(ValueError, /step cannot be zero/);
      expect(() => x().get(0.5)).to.throw(IndexError, /index 0.5 is not an integer/);
      expect(() => x().get(slice(0.5))).to.throw(IndexError, /must be integers/);
      expect(() => x().get("x" as never)).to.throw(IndexError, /valid indices/);
    });
  });

  describe("get: integer-array indices", () => {
    it("gathers along its axis with JS arrays (negatives normalized)", () => {
      expect(vals(x().get(slice(), [2, 0, -1]))).to.deep.equal([[2, 0, 2], [5, 3, 5]]);
      expect(x().get([[1, 0], [0, 1]] as never).shape).to.deep.equal([2, 2, 3]);
      expect(vals(x().get([[1], [0]] as never))).to.deep.equal([[[3, 4, 5]], [[0, 1, 2]]]);
      expect(x().get([]).shape).to.deep.equal([0, 3]);
      expect(x().get(slice(), []).shape).to.deep.equal([2, 0]);
      expect(seq([0]).get([]).shape).to.deep.equal([0]);
    });
    it("wraps negative Tensor indices and clamps out-of-range ones (JAX semantics)", () => {
      expect(vals(x().get(i32([1, -1, -2])))).to.deep.equal([[3, 4, 5], [3, 4, 5], [0, 1, 2]]);
      // 5 clamps to the last row; -9 wraps to -7, which clamps to row 0.
      expect(vals(x().get(i32([5, -9])))).to.deep.equal([[3, 4, 5], [0, 1, 2]]);
      expect(vals(x().get(i32(1)))).to.deep.equal([3, 4, 5]);
      expect(vals(x().get(slice(), [i32(2), i32(0)] as never))).to.deep.equal([[2, 0], [5, 3]]);
    });
    it("places the result dims as NumPy does", () => {
      // Adjacent integer and array: the array's dims replace them in place.
      expect(vals(y().get(slice(), 0, [3, 1]))).to.deep.equal([[3, 1], [15, 13]]);
      // Separated by a slice, newaxis or "..." (even an empty one): the array's dims go first.
      expect(vals(y().get(0, slice(), [3, 1]))).to.deep.equal([[3, 7, 11], [1, 5, 9]]);
      expect(vals(y().get(slice(), [2, 0], newaxis, 1))).to.deep.equal([[[9], [21]], [[1], [13]]]);
      expect(vals(y().get(slice(), 0, "...", [3, 1]))).to.deep.equal([[3, 15], [1, 13]]);
    });
    it("rejects bad array indices", () => {
      expect(() => x().get(slice(), [0, 3])).to.throw(IndexError, "get: index 3 is out of bounds for axis 1 with size 3");
      expect(() => x().get([-3])).to.throw(IndexError, "index -3 is out of bounds for axis 0 with size 2");
      expect(() => x().get([0.5])).to.throw(IndexError, /not an integer/);
      expect(vals(x().get([0], [1]))).to.deep.equal([1]); // several arrays pick pointwise (test/advanced-indexing.test.ts)
      expect(() => x().get(np.array([0, 1]))).to.throw(DTypeError, /must be integers, got float32/);
      expect(() => x().get(np.array([true, false]))).to.throw(DTypeError, /boolean mask/);
      expect(() => seq([0]).get(i32([0]))).to.throw(IndexError, /axis 0, which has size 0/);
    });
  });

  describe("take / takeAlongAxis", () => {
    it("take picks along an axis, or from the flattened array", () => {
      expect(vals(np.take(x(), [5, 0, -1]))).to.deep.equal([5, 0, 5]);
      expect(vals(np.take(x(), [1, 0, 1], { axis: 1 }))).to.deep.equal([[1, 0, 1], [4, 3, 4]]);
      expect(vals(x().take([1], { axis: -2 }))).to.deep.equal([[3, 4, 5]]);
      expect(vals(np.take(x(), [[0, 1], [2, 3]]))).to.deep.equal([[0, 1], [2, 3]]);
      const s = np.take(x(), 4);
      expect([s.shape, vals(s)]).to.deep.equal([[], 4]);
      expect(vals(np.take(x(), 2, { axis: 1 }))).to.deep.equal([2, 5]);
      expect(vals(np.take([10, 20, 30], i32([-1, 7, -5])))).to.deep.equal([30, 30, 10]);
      expect(np.take(np.array([]), []).shape).to.deep.equal([0]);
      expect(np.take(seq([2, 0]), [], { axis: 1 }).shape).to.deep.equal([2, 0]);
    });
    it("take rejects bad input", () => {
      expect(() => np.take(x(), [6])).to.throw(IndexError, "take: index 6 is out of bounds for axis 0 with size 6");
      expect(() => np.take(x(), [0], { axis: 2 })).to.throw(IndexError, /take: axis 2 is out of bounds/);
      expect(() => np.take(x(), true)).to.throw(DTypeError, /boolean/);
      expect(() => np.take(x(), np.array([1.5]))).to.throw(DTypeError, /int32/);
    });
    it("takeAlongAxis pairs indices with positions", () => {
      const a = () => np.array([[10, 30, 20], [60, 40, 50]]);
      expect(vals(np.takeAlongAxis(a(), [[0, 2, 1], [1, 2, 0]], 1))).to.deep.equal([[10, 20, 30], [40, 50, 60]]);
      expect(vals(np.takeAlongAxis(a(), [[0, 2, 1], [1, 2, 0]], -1))).to.deep.equal([[10, 20, 30], [40, 50, 60]]);
      expect(vals(np.takeAlongAxis(a(), [[1, 0, 1]], 0))).to.deep.equal([[60, 30, 50]]);
      expect(vals(np.takeAlongAxis(a(), [[2], [0]], 1))).to.deep.equal([[20], [60]]);
      // Indices broadcast against the array on the other axes, both ways.
      expect(vals(np.takeAlongAxis(a(), [[0, 2]], 1))).to.deep.equal([[10, 20], [60, 50]]);
      expect(vals(np.takeAlongAxis([[10, 30, 20]], [[0], [-1]], 1))).to.deep.equal([[10], [20]]);
      expect(vals(np.takeAlongAxis([3, 1, 2], [1, 2, 0], 0))).to.deep.equal([1, 2, 3]);
      // Tensor indices clamp per row (5 -> 2, -1 -> 2), never into the next row.
      expect(vals(np.takeAlongAxis(a(), i32([[5], [-1]]), 1))).to.deep.equal([[20], [50]]);
      expect(np.takeAlongAxis(seq([2, 0]), np.reshape(i32([]), [2, 0]), 1).shape).to.deep.equal([2, 0]);
      expect(np.takeAlongAxis(seq([0, 3]), [[1]], 1).shape).to.deep.equal([0, 1]);
      // The last axis by default (NumPy >= 2.3); null takes from the flattened array.
      expect(vals(np.takeAlongAxis(a(), [[2], [0]]))).to.deep.equal([[20], [60]]);
      expect(vals(np.takeAlongAxis(a(), [5, 0, 3], null))).to.deep.equal([50, 10, 60]);
      expect(() => np.takeAlongAxis(a(), [[5, 0]], null)).to.throw(ShapeError, /rank of the array, shape \[6\]/);
    });
    it("takeAlongAxis rejects bad input", () => {
      const a = seq([2, 3]);
      expect(() => np.takeAlongAxis(a, [0, 1], 1)).to.throw(ShapeError, /indices of shape \[2\] must have the rank of the array, shape \[2,3\]/);
      expect(() => np.takeAlongAxis(a, [[3]], 1)).to.throw(IndexError, "takeAlongAxis: index 3 is out of bounds for axis 1 with size 3");
      expect(() => np.takeAlongAxis(a, [[0], [0], [0]], 1)).to.throw(ShapeError, /cannot be broadcast/);
      expect(() => np.takeAlongAxis(a, np.array([[0.0]]), 1)).to.throw(DTypeError, /int32/);
      expect(() => np.takeAlongAxis(a, [[0]], 2)).to.throw(IndexError, /axis 2/);
      expect(() => np.takeAlongAxis(seq([2, 0]), i32([[0], [0]]), 1)).to.throw(IndexError, /size 0/);
    });
  });

  describe("at: functional updates", () => {
    it("set and add through integers, slices, newaxis and the ellipsis", () => {
      expect(vals(np.at(seq([3]), 1).set(9))).to.deep.equal([0, 9, 2]);
      expect(vals(x().at(0, slice(1)).set(9))).to.deep.equal([[0, 9, 9], [3, 4, 5]]);
      expect(vals(x().at(slice(), -1).add(10))).to.deep.equal([[0, 1, 12], [3, 4, 15]]);
      expect(vals(np.at(seq([5]), slice(null, null, -2)).set([10, 20, 30]))).to.deep.equal([30, 1, 20, 3, 10]);
      expect(vals(x().at(slice()).set([7, 8, 9]))).to.deep.equal([[7, 8, 9], [7, 8, 9]]);
      expect(vals(x().at(0).set([[1, 1, 1]]))).to.deep.equal([[1, 1, 1], [3, 4, 5]]);
      expect(vals(x().at(newaxis, 0).set(1))).to.deep.equal([[1, 1, 1], [3, 4, 5]]);
      expect(vals(x().at("...", 0).set(-1))).to.deep.equal([[-1, 1, 2], [-1, 4, 5]]);
      expect(vals(x().at(1).get())).to.deep.equal([3, 4, 5]);
    });
    it("is functional and keeps the dtype", () => {
      const a = seq([3], "int32");
      const b = a.at(0).set(2.7);
      expect([b.dtype, vals(b), vals(a)]).to.deep.equal(["int32", [2, 1, 2], [0, 1, 2]]);
      const flags = np.at(np.array([true, false]), 1).set(true);
      expect([flags.dtype, vals(flags)]).to.deep.equal(["bool", [true, true]]);
      expect(vals(np.at(np.array(5)).set(3))).to.equal(3);
      expect(vals(np.at(np.array(5), "...").add(1))).to.equal(6);
    });
    it("handles array indices: accumulation, NumPy placement, dropped out-of-range Tensor values", () => {
      expect(vals(np.at(seq([3]), [0, 0, 2]).add(1))).to.deep.equal([2, 1, 3]);
      expect(vals(np.at(seq([3]), [-1]).set(7))).to.deep.equal([0, 1, 7]);
      // Indexed shape [2, 2] (array dims first): z[0][b][idx[k]] = v[k][b].
      const z = np.at(np.reshape(np.array([0, 0, 0, 0, 0, 0, 0, 0]), [2, 2, 2]), 0, slice(), [1, 0]).set([[1, 2], [3, 4]]);
      expect(vals(z)).to.deep.equal([[[3, 1], [4, 2]], [[0, 0], [0, 0]]]);
      // 5 and -7 are out of range for size 3: those updates are dropped; -1 wraps to 2.
      expect(vals(np.at(seq([3]), i32([5, -1, -7])).set(9))).to.deep.equal([0, 1, 9]);
      expect(vals(np.at(seq([3]), i32([5, 0, 3])).add(1))).to.deep.equal([1, 1, 2]);
      expect(vals(np.at(x(), slice(), i32([3, 1])).set(8))).to.deep.equal([[0, 8, 2], [3, 8, 5]]);
      // get() reads like x.get: clamped.
      expect(vals(np.at(seq([3]), i32([5])).get())).to.deep.equal([2]);
    });
    it("handles empty selections", () => {
      expect(vals(np.at(np.array([]), slice()).set(1))).to.deep.equal([]);
      expect(vals(np.at(x(), slice(), []).set(1))).to.deep.equal([[0, 1, 2], [3, 4, 5]]);
      expect(vals(np.at(x(), slice(2)).add(1))).to.deep.equal([[0, 1, 2], [3, 4, 5]]);
    });
    it("rejects bad updates", () => {
      expect(() => np.at(x(), 2)).to.throw(IndexError, "at: index 2 is out of bounds for axis 0 with size 2");
      expect(() => x().at(0).set([1, 2])).to.throw(ShapeError, "at.set: cannot broadcast updates of shape [2] to the indexed shape [3]");
      expect(() => x().at(0).add([[1, 2, 3], [1, 2, 3]])).to.throw(ShapeError, /at.add.*\[2,3\].*\[3\]/);
      expect(() => np.at(np.array([true]), 0).add(true)).to.throw(DTypeError, /bool/);
    });
  });

  describe("properties against a nested-array model", () => {
    it("get with random integers and slices matches Python slicing", () => {
      fc.assert(
        fc.property(caseArb, ([shape, comps]) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const flat = Array.from({ length: n }, (_, i) => i);
          const sel = selected(shape, comps);
          const outShape = sel.filter((s) => s.keep).map((s) => s.pos.length);
          const expected = build(outShape, (idx) => {
            let k = 0;
            const src = sel.map((s) => s.pos[s.keep ? idx[k++]! : 0]!);
            return flat[src.reduce((acc, v, d) => acc * shape[d]! + v, 0)]!;
          });
          const got = np.reshape(np.array(flat), shape).get(...comps.map(toIndex));
          expect(got.shape).to.deep.equal(outShape);
          expect(flatten(vals(got) as Nested)).to.deep.equal(flatten(expected));
        }),
        { numRuns: 100 },
      );
    });

    it("at(...).set writes exactly the selected positions", () => {
      fc.assert(
        fc.property(caseArb, ([shape, comps]) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const sel = selected(shape, comps);
          const out = Array.from({ length: n }, (_, i) => i);
          // Selection order is row-major over the kept axes; update k gets the value 1000 + k.
          let k = 0;
          const visit = (d: number, src: number[]): void => {
            if (d === shape.length) {
              out[src.reduce((acc, v, e) => acc * shape[e]! + v, 0)] = 1000 + k++;
              return;
            }
            for (const p of sel[d]!.pos) visit(d + 1, [...src, p]);
          };
          visit(0, []);
          const outShape = sel.filter((s) => s.keep).map((s) => s.pos.length);
          const count = outShape.reduce((a, b) => a * b, 1);
          const updates = np.reshape(np.array(Array.from({ length: count }, (_, i) => 1000 + i)), outShape);
          const got = np.reshape(np.array(Array.from({ length: n }, (_, i) => i)), shape).at(...comps.map(toIndex)).set(updates);
          expect(got.shape).to.deep.equal(shape);
          expect(flatten(vals(got) as Nested)).to.deep.equal(out);
        }),
        { numRuns: 60 },
      );
    });
  });
});
