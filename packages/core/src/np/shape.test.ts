import { expect } from "chai";
import fc from "fast-check";
import { np, IndexError, ShapeError, ValueError, type Tensor } from "../index.js";

type Nested = number | Nested[];

/** 0, 1, 2, ... laid out in `shape` (row-major), float32 unless told. */
function seq(shape: number[], dtype: "float32" | "int32" = "float32"): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.reshape(np.array(Array.from({ length: n }, (_, i) => i), { dtype }), shape);
}
const vals = (t: Tensor) => t.toArraySync();

// ---- plain-JS nested-array model (no kiln) for the property tests
function build(shape: readonly number[], f: (idx: number[]) => number, prefix: number[] = []): Nested {
  if (prefix.length === shape.length) return f(prefix);
  return Array.from({ length: shape[prefix.length]! }, (_, i) => build(shape, f, [...prefix, i]));
}
function read(x: Nested, idx: readonly number[]): number {
  return idx.reduce<Nested>((v, i) => (v as Nested[])[i]!, x) as number;
}
function flatten(x: Nested): number[] {
  return Array.isArray(x) ? x.flatMap(flatten) : [x];
}
const prodOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** A Tensor holding a model array (through flat data: nested arrays lose shapes like [0, 3]). */
const tensorOf = (x: Nested, shape: number[]) => np.reshape(np.array(flatten(x)), shape);

const shapeArb = (maxRank: number, maxDim = 3) => fc.array(fc.integer({ min: 0, max: maxDim }), { maxLength: maxRank });
/** A shape and values for it (small integers, exact in float32). */
const arrayArb = (maxRank: number) =>
  shapeArb(maxRank).chain((shape) =>
    fc.array(fc.integer({ min: -50, max: 50 }), { minLength: prodOf(shape), maxLength: prodOf(shape) }).map((flat) => ({
      shape,
      nested: build(shape, (idx) => flat[idx.reduce((acc, v, d) => acc * shape[d]! + v, 0)]!),
    })),
  );

describe("np shape ops", () => {
  describe("reshape", () => {
    it("infers one -1 and keeps row-major order", () => {
      const x = seq([2, 3]);
      expect(vals(np.reshape(x, [-1, 2]))).to.deep.equal([[0, 1], [2, 3], [4, 5]]);
      expect(vals(np.reshape(x, [3, -1]))).to.deep.equal([[0, 1], [2, 3], [4, 5]]);
      expect(vals(x.reshape([6]))).to.deep.equal([0, 1, 2, 3, 4, 5]);
      expect(vals(x.flatten())).to.deep.equal([0, 1, 2, 3, 4, 5]);
      expect(np.reshape(seq([2, 3], "int32"), [3, 2]).dtype).to.equal("int32");
    });
    it("handles scalars and zero-size arrays", () => {
      expect(np.reshape(5, [1, 1]).shape).to.deep.equal([1, 1]);
      expect(vals(np.reshape([[7]], []))).to.equal(7);
      expect(np.reshape(np.array([]), [0, 3]).shape).to.deep.equal([0, 3]);
      expect(np.reshape(np.reshape(np.array([]), [0, 3]), [-1, 3]).shape).to.deep.equal([0, 3]);
      expect(np.reshape(np.reshape(np.array([]), [2, 0]), [-1]).shape).to.deep.equal([0]);
    });
    it("rejects a size mismatch naming both shapes", () => {
      expect(() => np.reshape(seq([2, 3]), [4])).to.throw(ShapeError, /reshape.*\[2,3\].*\[4\]/);
      expect(() => np.reshape(seq([2, 3]), [-1, 4])).to.throw(ShapeError, /\[2,3\].*\[-1,4\]/);
      expect(() => np.reshape(seq([2, 3]), [-1, -1])).to.throw(ShapeError, /only one dimension can be -1/);
      expect(() => np.reshape(np.reshape(np.array([]), [0, 2]), [-1, 0])).to.throw(ShapeError, /cannot reshape/);
      expect(() => np.reshape(seq([2]), [1.5])).to.throw(ShapeError, /non-negative integers/);
      expect(() => np.reshape(seq([2]), [-2, -1])).to.throw(ShapeError, /non-negative integers/);
    });
  });

  describe("transpose / moveaxis / swapaxes", () => {
    it("reverses axes by default and takes explicit (negative) axes", () => {
      expect(vals(np.transpose(seq([2, 3])))).to.deep.equal([[0, 3], [1, 4], [2, 5]]);
      expect(vals(seq([2, 3]).T)).to.deep.equal([[0, 3], [1, 4], [2, 5]]);
      // out[i][j][k] = x[j][k][i] for axes [-1, 0, 1] of a [2, 2, 2] array (x[a][b][c] = 4a + 2b + c).
      expect(vals(np.transpose(seq([2, 2, 2]), [-1, 0, 1]))).to.deep.equal([[[0, 2], [4, 6]], [[1, 3], [5, 7]]]);
      expect(vals(np.transpose(3))).to.equal(3);
      expect(np.transpose(np.reshape(np.array([]), [0, 2])).shape).to.deep.equal([2, 0]);
    });
    it("rejects bad axes", () => {
      expect(() => np.transpose(seq([2, 3]), [0])).to.throw(ShapeError, /transpose.*\[0\].*\[2,3\]/);
      expect(() => np.transpose(seq([2, 3]), [0, 0])).to.throw(IndexError, /repeated axis/);
      expect(() => np.transpose(seq([2, 3]), [0, 2])).to.throw(IndexError, /axis 2 is out of bounds for an array of rank 2/);
    });
    it("moveaxis moves one or several axes", () => {
      // x[a][b][c] = 12a + 4b + c; moving axis 0 last gives out[b][c][a].
      const out = np.moveaxis(seq([2, 3, 4]), 0, -1);
      expect(out.shape).to.deep.equal([3, 4, 2]);
      expect(vals(out)).to.deep.equal(build([3, 4, 2], ([b, c, a]) => 12 * a! + 4 * b! + c!));
      expect(np.moveaxis(seq([2, 3, 4]), [0, 1], [-1, -2]).shape).to.deep.equal([4, 3, 2]);
      expect(np.moveaxis(seq([2, 3, 4]), [2, 0], [0, 1]).shape).to.deep.equal([4, 2, 3]);
      expect(() => np.moveaxis(seq([2, 3]), [0, 1], [0])).to.throw(ValueError, /same number of axes/);
      expect(() => np.moveaxis(seq([2, 3]), [0, 0], [0, 1])).to.throw(IndexError, /repeated axis/);
      expect(() => np.moveaxis(seq([2, 3]), 2, 0)).to.throw(IndexError, /moveaxis: axis 2/);
    });
    it("swapaxes exchanges two axes", () => {
      expect(vals(np.swapaxes(seq([2, 3]), 0, -1))).to.deep.equal([[0, 3], [1, 4], [2, 5]]);
      expect(seq([2, 3, 4]).swapaxes(0, 2).shape).to.deep.equal([4, 3, 2]);
      expect(vals(np.swapaxes(seq([2, 3]), 1, 1))).to.deep.equal([[0, 1, 2], [3, 4, 5]]);
      expect(() => np.swapaxes(seq([2, 3]), 0, -3)).to.throw(IndexError, /swapaxes: axis -3/);
    });
  });

  describe("expandDims / squeeze", () => {
    it("expandDims inserts size-1 axes at result positions", () => {
      expect(np.expandDims(seq([2, 3]), 1).shape).to.deep.equal([2, 1, 3]);
      expect(np.expandDims(seq([2, 3]), [0, -1]).shape).to.deep.equal([1, 2, 3, 1]);
      expect(vals(np.expandDims(seq([2]), -1))).to.deep.equal([[0], [1]]);
      expect(np.expandDims(4, 0).shape).to.deep.equal([1]);
      expect(np.expandDims(np.array([]), 0).shape).to.deep.equal([1, 0]);
      expect(() => np.expandDims(seq([2]), 2)).to.throw(IndexError, /expandDims: axis 2/);
      expect(() => np.expandDims(seq([2]), [0, 0])).to.throw(IndexError, /repeated/);
    });
    it("squeeze removes size-1 axes and refuses others", () => {
      const x = seq([1, 3, 1]);
      expect(vals(np.squeeze(x))).to.deep.equal([0, 1, 2]);
      expect(np.squeeze(x, 0).shape).to.deep.equal([3, 1]);
      expect(x.squeeze(-1).shape).to.deep.equal([1, 3]);
      expect(np.squeeze(x, [0, 2]).shape).to.deep.equal([3]);
      expect(np.squeeze(7).shape).to.deep.equal([]);
      expect(np.squeeze(np.reshape(np.array([]), [0, 1])).shape).to.deep.equal([0]);
      expect(() => np.squeeze(x, 1)).to.throw(ShapeError, /squeeze: cannot squeeze axis 1 of an array of shape \[1,3,1\]: its size is 3/);
      expect(() => np.squeeze(x, 3)).to.throw(IndexError, /squeeze: axis 3/);
    });
  });

  describe("broadcastTo", () => {
    it("stretches size-1 and missing leading axes", () => {
      expect(vals(np.broadcastTo([1, 2], [3, 2]))).to.deep.equal([[1, 2], [1, 2], [1, 2]]);
      expect(vals(np.broadcastTo([[1], [2]], [2, 3]))).to.deep.equal([[1, 1, 1], [2, 2, 2]]);
      expect(vals(np.broadcastTo(5, [2]))).to.deep.equal([5, 5]);
      expect(np.broadcastTo(seq([3, 1]), [2, 3, 0]).shape).to.deep.equal([2, 3, 0]);
      expect(seq([2]).broadcastTo([1, 2]).shape).to.deep.equal([1, 2]);
    });
    it("rejects incompatible targets", () => {
      expect(() => np.broadcastTo(seq([2]), [3])).to.throw(ShapeError, /broadcastTo.*\[2\].*\[3\]/);
      expect(() => np.broadcastTo(seq([2, 2]), [2])).to.throw(ShapeError, /\[2,2\] to shape \[2\]/);
      expect(() => np.broadcastTo(seq([2]), [-1])).to.throw(ShapeError, /non-negative integers/);
    });
  });

  describe("concatenate / stack / split", () => {
    it("concatenate joins along an axis, promoting dtypes", () => {
      expect(vals(np.concatenate([[1, 2], [3]]))).to.deep.equal([1, 2, 3]);
      expect(vals(np.concatenate([[[1, 2]], [[3, 4]]], { axis: 1 }))).to.deep.equal([[1, 2, 3, 4]]);
      expect(vals(np.concatenate([seq([2, 1]), seq([2, 2])], { axis: -1 }))).to.deep.equal([[0, 0, 1], [1, 2, 3]]);
      expect(np.concatenate([seq([2], "int32"), seq([1], "int32")]).dtype).to.equal("int32");
      expect(np.concatenate([seq([2], "int32"), seq([1])]).dtype).to.equal("float32");
      expect(vals(np.concatenate([seq([2, 0]), seq([2, 2])], { axis: 1 }))).to.deep.equal([[0, 1], [2, 3]]);
      expect(np.concatenate([seq([0, 2]), seq([0, 2])]).shape).to.deep.equal([0, 2]);
      expect(vals(np.concatenate([[4, 5]]))).to.deep.equal([4, 5]);
    });
    it("concatenate rejects bad input", () => {
      expect(() => np.concatenate([])).to.throw(ValueError, /non-empty/);
      expect(() => np.concatenate([1, 2])).to.throw(ShapeError, /zero-dimensional/);
      expect(() => np.concatenate([seq([2, 2]), seq([2, 3])])).to.throw(ShapeError, /\[2,2\], \[2,3\].*except axis 0/);
      expect(() => np.concatenate([seq([2]), seq([2, 1])])).to.throw(ShapeError, /concatenate/);
      expect(() => np.concatenate([seq([2]), seq([2])], { axis: 1 })).to.throw(IndexError, /concatenate: axis 1/);
    });
    it("stack joins along a new axis", () => {
      expect(vals(np.stack([[1, 2], [3, 4]]))).to.deep.equal([[1, 2], [3, 4]]);
      expect(vals(np.stack([[1, 2], [3, 4]], { axis: 1 }))).to.deep.equal([[1, 3], [2, 4]]);
      expect(vals(np.stack([[1, 2], [3, 4]], { axis: -1 }))).to.deep.equal([[1, 3], [2, 4]]);
      expect(vals(np.stack([1, 2, 3]))).to.deep.equal([1, 2, 3]);
      expect(np.stack([np.array([]), np.array([])], { axis: 1 }).shape).to.deep.equal([0, 2]);
      expect(() => np.stack([[1, 2], [3]])).to.throw(ShapeError, /same shape.*\[2\], \[1\]/);
      expect(() => np.stack([])).to.throw(ValueError, /non-empty/);
      expect(() => np.stack([[1], [2]], { axis: 3 })).to.throw(IndexError, /stack: axis 3/);
    });
    it("split by sections or by indices (Python slice rules)", () => {
      expect(np.split(seq([6]), 3).map(vals)).to.deep.equal([[0, 1], [2, 3], [4, 5]]);
      expect(np.split(seq([5]), [2, 3]).map(vals)).to.deep.equal([[0, 1], [2], [3, 4]]);
      expect(np.split(seq([5]), [-2]).map(vals)).to.deep.equal([[0, 1, 2], [3, 4]]);
      // Out-of-order cuts give an empty piece and an overlapping one, as NumPy.
      expect(np.split(seq([5]), [3, 1]).map(vals)).to.deep.equal([[0, 1, 2], [], [1, 2, 3, 4]]);
      expect(np.split(seq([3]), [10]).map(vals)).to.deep.equal([[0, 1, 2], []]);
      expect(np.split(seq([2, 4]), 2, { axis: -1 }).map(vals)).to.deep.equal([[[0, 1], [4, 5]], [[2, 3], [6, 7]]]);
      expect(np.split(np.array([]), 2).map((t) => t.shape)).to.deep.equal([[0], [0]]);
      expect(() => np.split(seq([5]), 2)).to.throw(ShapeError, /size 5.*2 equal sections/);
      expect(() => np.split(seq([4]), 0)).to.throw(ValueError, /positive integer/);
      expect(() => np.split(seq([4]), [1.5])).to.throw(ValueError, /integers/);
      expect(() => np.split(3, 1)).to.throw(IndexError, /split: axis 0/);
    });
  });

  describe("tile / repeat", () => {
    it("tile repeats the whole array", () => {
      expect(vals(np.tile([1, 2], 2))).to.deep.equal([1, 2, 1, 2]);
      expect(vals(np.tile([1, 2], [2, 2]))).to.deep.equal([[1, 2, 1, 2], [1, 2, 1, 2]]);
      expect(vals(np.tile([[1, 2], [3, 4]], 2))).to.deep.equal([[1, 2, 1, 2], [3, 4, 3, 4]]);
      expect(vals(np.tile([[1], [2]], [2, 1]))).to.deep.equal([[1], [2], [1], [2]]);
      expect(vals(np.tile(7, [3]))).to.deep.equal([7, 7, 7]);
      expect(np.tile([1, 2], [2, 0]).shape).to.deep.equal([2, 0]);
      expect(np.tile(np.array([]), 3).shape).to.deep.equal([0]);
      expect(() => np.tile([1], [-1])).to.throw(ValueError, /non-negative integers/);
    });
    it("repeat repeats each element", () => {
      expect(vals(np.repeat([[1, 2], [3, 4]], 2))).to.deep.equal([1, 1, 2, 2, 3, 3, 4, 4]);
      expect(vals(np.repeat([[1, 2], [3, 4]], 2, { axis: 0 }))).to.deep.equal([[1, 2], [1, 2], [3, 4], [3, 4]]);
      expect(vals(np.repeat([[1, 2], [3, 4]], 2, { axis: -1 }))).to.deep.equal([[1, 1, 2, 2], [3, 3, 4, 4]]);
      expect(vals(np.repeat(5, 3))).to.deep.equal([5, 5, 5]);
      expect(np.repeat([1, 2], 0).shape).to.deep.equal([0]);
      expect(() => np.repeat([1], -1)).to.throw(ValueError, /non-negative integer/);
      expect(() => np.repeat([1], 2, { axis: 1 })).to.throw(IndexError, /repeat: axis 1/);
    });
  });

  describe("flip / pad", () => {
    it("flip reverses the given axes (all by default)", () => {
      expect(vals(np.flip(seq([2, 3])))).to.deep.equal([[5, 4, 3], [2, 1, 0]]);
      expect(vals(np.flip(seq([2, 3]), 0))).to.deep.equal([[3, 4, 5], [0, 1, 2]]);
      expect(vals(seq([2, 3]).flip(-1))).to.deep.equal([[2, 1, 0], [5, 4, 3]]);
      expect(vals(np.flip(3))).to.equal(3);
      expect(np.flip(np.reshape(np.array([]), [0, 2])).shape).to.deep.equal([0, 2]);
      expect(np.flip(np.array([true, false])).dtype).to.equal("bool");
      expect(() => np.flip(seq([2]), 1)).to.throw(IndexError, /flip: axis 1/);
      expect(() => np.flip(seq([2, 2]), [0, -2])).to.throw(IndexError, /repeated/);
    });
    it("pad adds constant borders", () => {
      expect(vals(np.pad([1, 2], 1))).to.deep.equal([0, 1, 2, 0]);
      expect(vals(np.pad([1, 2], [1, 2], { constantValues: 9 }))).to.deep.equal([9, 1, 2, 9, 9]);
      expect(vals(np.pad([[1]], [[1, 0], [0, 2]]))).to.deep.equal([[0, 0, 0], [1, 0, 0]]);
      expect(vals(np.pad([[1]], [[1, 0]]))).to.deep.equal([[0, 0], [0, 1]]);
      const ints = np.pad(seq([1], "int32"), 1, { constantValues: 1.5 });
      expect([ints.dtype, vals(ints)]).to.deep.equal(["int32", [1, 0, 1]]);
      expect(vals(np.pad(4, 2))).to.equal(4);
      expect(vals(np.pad(np.array([]), [1, 1], { constantValues: 3 }))).to.deep.equal([3, 3]);
      expect(() => np.pad(seq([2, 2]), [[1, 1], [1, 1], [1, 1]])).to.throw(ShapeError, /3 \[before, after\] pairs for an array of rank 2/);
      expect(() => np.pad(seq([2]), -1)).to.throw(ValueError, /non-negative/);
      expect(() => np.pad(seq([2]), [[1, 2, 3]] as never)).to.throw(ValueError, /pair/);
    });
  });

  describe("properties against a nested-array model", () => {
    it("add broadcasts like NumPy", () => {
      // A result shape, then each operand a suffix of it with some axes set to 1.
      const operand = (out: number[]) =>
        fc.tuple(fc.nat({ max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
          .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
      const arb = shapeArb(4).chain((out) => fc.tuple(fc.constant(out), operand(out), operand(out), fc.integer({ min: -9, max: 9 })));
      fc.assert(
        fc.property(arb, ([, sa, sb, seed]) => {
          // The model's broadcast shape: the longer rank; per axis the non-1 size, else 1.
          const rank = Math.max(sa.length, sb.length);
          const out = Array.from({ length: rank }, (_, k) => {
            const dims = [sa, sb].map((s) => s[s.length - rank + k] ?? 1);
            return dims.find((d) => d !== 1) ?? 1;
          });
          const a = build(sa, (idx) => idx.reduce((acc, v) => acc * 3 + v, seed));
          const b = build(sb, (idx) => idx.reduce((acc, v) => acc * 5 - v, 1));
          // Model: align trailing axes; a size-1 axis always reads element 0.
          const at = (x: Nested, s: number[], idx: number[]) => read(x, s.map((d, i) => (d === 1 ? 0 : idx[idx.length - s.length + i]!)));
          const expected = build(out, (idx) => at(a, sa, idx) + at(b, sb, idx));
          const got = np.add(tensorOf(a, sa), tensorOf(b, sb));
          expect(got.shape).to.deep.equal(out);
          expect(flatten(vals(got) as Nested)).to.deep.equal(flatten(expected));
        }),
        { numRuns: 80 },
      );
    });

    it("transpose permutes indices", () => {
      const arb = arrayArb(4).chain((x) =>
        fc.array(fc.double({ noNaN: true }), { minLength: x.shape.length, maxLength: x.shape.length })
          .map((keys) => ({ ...x, perm: keys.map((k, i) => [k, i] as const).sort((p, q) => p[0] - q[0]).map((p) => p[1]) })),
      );
      fc.assert(
        fc.property(arb, ({ shape, nested, perm }) => {
          const outShape = perm.map((p) => shape[p]!);
          const expected = build(outShape, (idx) => {
            const src = new Array<number>(shape.length);
            perm.forEach((p, k) => (src[p] = idx[k]!));
            return read(nested, src);
          });
          // Negative axes name the same permutation.
          const got = np.transpose(tensorOf(nested, shape), perm.map((p, k) => (k % 2 ? p - shape.length : p)));
          expect(got.shape).to.deep.equal(outShape);
          expect(flatten(vals(got) as Nested)).to.deep.equal(flatten(expected));
        }),
        { numRuns: 80 },
      );
    });

    it("reshape keeps row-major order", () => {
      // Factors of the size, grouped two different ways; one target dim may become -1.
      const groups = (factors: number[]) =>
        fc.array(fc.boolean(), { minLength: factors.length, maxLength: factors.length }).map((cuts) => {
          const out: number[] = [];
          factors.forEach((f, i) => (i === 0 || cuts[i] ? out.push(f) : (out[out.length - 1]! *= f)));
          return out;
        });
      const arb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }).chain((factors) =>
        fc.tuple(groups(factors), groups(factors), fc.nat()),
      );
      fc.assert(
        fc.property(arb, ([from, to, hole]) => {
          const n = prodOf(from);
          const x = build(from, (idx) => idx.reduce((acc, v, d) => acc * from[d]! + v, 0));
          const target = to.map((d, i) => (i === hole % (to.length + 1) ? -1 : d));
          const got = np.reshape(tensorOf(x, from), target);
          expect(got.shape).to.deep.equal(to);
          expect(flatten(vals(got) as Nested)).to.deep.equal(Array.from({ length: n }, (_, i) => i));
        }),
        { numRuns: 80 },
      );
    });

    it("flip mirrors the chosen axes", () => {
      const arb = arrayArb(4).chain((x) =>
        fc.subarray(x.shape.map((_, i) => i)).chain((axes) =>
          fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }).map((neg) => ({ ...x, axes, neg })),
        ),
      );
      fc.assert(
        fc.property(arb, ({ shape, nested, axes, neg }) => {
          const expected = build(shape, (idx) => read(nested, idx.map((v, d) => (axes.includes(d) ? shape[d]! - 1 - v : v))));
          const got = np.flip(tensorOf(nested, shape), axes.map((a, i) => (neg[i] ? a - shape.length : a)));
          expect(got.shape).to.deep.equal(shape);
          expect(flatten(vals(got) as Nested)).to.deep.equal(flatten(expected));
        }),
        { numRuns: 80 },
      );
    });
  });
});
