/**
 * lax.dynamicSlice / dynamicUpdateSlice against NumPy-style references written from JAX's
 * definition (negative starts count from the end, then every start is clamped so the window fits),
 * with static and traced starts, under jit (one trace for many starts), scan (a loop counter as the
 * start), vmap, and gradients against finite differences.
 */
import { expect } from "chai";
import { DTypeError, ShapeError, ValueError, type Tensor, grad, jit, lax, np, scan, vmap } from "kiln";
import { checkGradFd, sample } from "./util.js";

const i32 = (v: number) => np.array(v, { dtype: "int32" });
const clampStart = (s: number, dim: number, size: number) => Math.min(Math.max(s < 0 ? s + dim : s, 0), dim - size);

/** The reference window of a row-major [R, C] array. */
function refSlice2(v: number[], [R, C]: number[], [s0, s1]: number[], [h, w]: number[]): number[] {
  const a = clampStart(s0!, R!, h!), b = clampStart(s1!, C!, w!);
  const out: number[] = [];
  for (let i = 0; i < h!; i++) for (let j = 0; j < w!; j++) out.push(v[(a + i) * C! + b + j]!);
  return out;
}
function refUpdate2(v: number[], [R, C]: number[], u: number[], [h, w]: number[], [s0, s1]: number[]): number[] {
  const a = clampStart(s0!, R!, h!), b = clampStart(s1!, C!, w!);
  const out = [...v];
  for (let i = 0; i < h!; i++) for (let j = 0; j < w!; j++) out[(a + i) * C! + b + j] = u[i * w! + j]!;
  return out;
}

describe("lax.dynamicSlice", () => {
  const shape = [5, 7];
  const v = Array.from({ length: 35 }, (_, i) => i * 1.5 - 3);
  const x = np.array(v).reshape(shape);
  const starts = [-9, -3, -1, 0, 1, 2, 4, 6, 11];

  it("matches the clamped reference for static, traced and mixed starts", () => {
    for (const s0 of starts) for (const s1 of [-2, 0, 3, 9]) {
      const want = refSlice2(v, shape, [s0, s1], [2, 3]);
      expect(Array.from(lax.dynamicSlice(x, [s0, s1], [2, 3]).dataSync()), `static ${s0},${s1}`).to.deep.equal(want);
      expect(Array.from(lax.dynamicSlice(x, [i32(s0), i32(s1)], [2, 3]).dataSync()), `traced ${s0},${s1}`).to.deep.equal(want);
      expect(Array.from(lax.dynamicSlice(x, [s0, i32(s1)], [2, 3]).dataSync()), `mixed ${s0},${s1}`).to.deep.equal(want);
      expect(Array.from(lax.dynamicSlice(x, np.array([s0, s1], { dtype: "int32" }), [2, 3]).dataSync()), `1-D tensor ${s0},${s1}`).to.deep.equal(want);
    }
  });

  it("keeps the operand's dtype and the slice's shape; full and empty windows", () => {
    const xi = np.arange(12, { dtype: "int32" }).reshape([3, 4]);
    const s = lax.dynamicSlice(xi, [i32(1), i32(2)], [2, 2]);
    expect(s.dtype).to.equal("int32");
    expect(s.shape).to.deep.equal([2, 2]);
    expect(Array.from(s.dataSync())).to.deep.equal([6, 7, 10, 11]);
    expect(Array.from(lax.dynamicSlice(xi, [i32(2), i32(-1)], [3, 4]).dataSync())).to.deep.equal(Array.from({ length: 12 }, (_, i) => i));
    expect(lax.dynamicSlice(xi, [i32(2), 0], [0, 4]).shape).to.deep.equal([0, 4]);
  });

  it("under jit: one trace serves every start", () => {
    const f = jit((x: Tensor, i: Tensor) => lax.dynamicSliceInDim(x, i, 3, 1));
    for (const s of [0, 2, 5, -1]) {
      const want = refSlice2(v, shape, [0, s], [5, 3]);
      expect(Array.from(f(x, i32(s)).dataSync())).to.deep.equal(want);
    }
    expect(f.traceCount()).to.equal(1);
  });

  it("inside scan: the loop counter selects the row", () => {
    const [, rows] = scan((i: Tensor) => [i.add(1), lax.dynamicSlice(x, [i, 0], [1, 7]).reshape([7])], i32(0), null, { length: 5 });
    expect(Array.from((rows as Tensor).dataSync())).to.deep.equal(v);
  });

  it("vmap over the operand and over the start", () => {
    const xs = np.array(v).reshape([5, 7]);
    const byRow = vmap((r: Tensor, s: Tensor) => lax.dynamicSlice(r, [s], [2]))(xs, np.array([0, 1, 5, 6, -1], { dtype: "int32" }));
    const want = [0, 1, 5, 6, -1].flatMap((s, r) => { const a = clampStart(s, 7, 2); return [v[r * 7 + a]!, v[r * 7 + a + 1]!]; });
    expect(Array.from(byRow.dataSync())).to.deep.equal(want);
  });

  it("gradients: finite differences with traced and static starts", () => {
    checkGradFd("dynamicSlice traced", (t) => lax.dynamicSlice(t, [i32(1), i32(-2)], [3, 2]), [4, 5]);
    checkGradFd("dynamicSlice static", (t) => lax.dynamicSlice(t, [3, 1], [2, 2]), [4, 5]);
  });

  it("bad input: typed errors", () => {
    expect(() => lax.dynamicSlice(x, [0], [1, 1])).to.throw(ShapeError, /2/);
    expect(() => lax.dynamicSlice(x, [0, 0], [6, 1])).to.throw(ShapeError, /sliceSizes/);
    expect(() => lax.dynamicSlice(x, [0.5, 0], [1, 1])).to.throw(ValueError, /integer/);
    expect(() => lax.dynamicSlice(x, [np.array(1.5), 0], [1, 1])).to.throw(DTypeError, /integer dtype/);
    expect(() => lax.dynamicSlice(x, [np.array([1, 2], { dtype: "int32" }), 0], [1, 1])).to.throw(ShapeError, /scalar/);
    expect(() => lax.dynamicSlice(x, np.array([1, 2, 3], { dtype: "int32" }), [1, 1])).to.throw(ShapeError, /1-D/);
    expect(() => lax.dynamicSlice(x, "0" as never, [1, 1])).to.throw(ValueError);
  });
});

describe("lax.dynamicUpdateSlice", () => {
  const shape = [4, 6];
  const v = Array.from({ length: 24 }, (_, i) => i + 0.25);
  const x = np.array(v).reshape(shape);
  const uv = [-1, -2, -3, -4, -5, -6];
  const u = np.array(uv).reshape([2, 3]);

  it("matches the clamped reference for static, traced and mixed starts", () => {
    for (const s0 of [-7, -1, 0, 1, 3, 9]) for (const s1 of [-4, 0, 2, 5]) {
      const want = refUpdate2(v, shape, uv, [2, 3], [s0, s1]);
      expect(Array.from(lax.dynamicUpdateSlice(x, u, [s0, s1]).dataSync()), `static ${s0},${s1}`).to.deep.equal(want);
      expect(Array.from(lax.dynamicUpdateSlice(x, u, [i32(s0), i32(s1)]).dataSync()), `traced ${s0},${s1}`).to.deep.equal(want);
      expect(Array.from(lax.dynamicUpdateSlice(x, u, [i32(s0), s1]).dataSync()), `mixed ${s0},${s1}`).to.deep.equal(want);
    }
  });

  it("int and bool operands stay exact; an empty update returns the operand", () => {
    const b = lax.dynamicUpdateSlice(np.zeros([5], { dtype: "bool" }), np.ones([2], { dtype: "bool" }), [i32(3)]);
    expect(Array.from(b.dataSync())).to.deep.equal([0, 0, 0, 1, 1]);
    const big = np.full([3], 2 ** 30 + 1, { dtype: "int32" });
    expect(Array.from(lax.dynamicUpdateSliceInDim(np.zeros([6], { dtype: "int32" }), big, i32(9)).dataSync())).to.deep.equal([0, 0, 0, 2 ** 30 + 1, 2 ** 30 + 1, 2 ** 30 + 1]);
    expect(Array.from(lax.dynamicUpdateSlice(x, np.zeros([0, 3]), [i32(1), i32(1)]).dataSync())).to.deep.equal(v);
  });

  it("inside scan: writes row i of a buffer carried through the loop", () => {
    const [buf] = scan((c: [Tensor, Tensor]) => {
      const [b, i] = c;
      return [[lax.dynamicUpdateSlice(b, np.full([1, 3], i.astype("float32").add(1)), [i, 0]), i.add(1)], null];
    }, [np.zeros([4, 3]), i32(0)], null, { length: 4 }) as [[Tensor, Tensor], null];
    expect(Array.from(buf[0].dataSync())).to.deep.equal([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
  });

  it("gradients: the operand's cotangent is zero under the window, the update's is gathered back", () => {
    const w = sample([2, 3], 3);
    checkGradFd("dUS operand traced", (t) => lax.dynamicUpdateSlice(t, w, [i32(1), i32(2)]), [4, 6]);
    checkGradFd("dUS update traced", (t) => lax.dynamicUpdateSlice(sample([4, 6], 5), t, [i32(-1), i32(4)]), [2, 3]);
    checkGradFd("dUS update static", (t) => lax.dynamicUpdateSlice(sample([4, 6], 5), t, [0, 1]), [2, 3]);
    const g = grad((t: Tensor) => np.sum(lax.dynamicUpdateSlice(t, np.zeros([2, 3]), [i32(0), i32(0)])))(np.ones([4, 6]));
    expect(Array.from(g.dataSync()).filter((d) => d === 0)).to.have.length(6);
  });

  it("bad input: typed errors", () => {
    expect(() => lax.dynamicUpdateSlice(x, np.ones([2]), [0, 0])).to.throw(ShapeError, /rank/);
    expect(() => lax.dynamicUpdateSlice(x, np.ones([5, 1]), [0, 0])).to.throw(ShapeError, /update shape/);
    expect(() => lax.dynamicUpdateSlice(x, np.ones([1, 1], { dtype: "int32" }), [0, 0])).to.throw(DTypeError, /promote/);
  });
});
