import { expect } from "chai";
import { expectClose } from "../testing.js";
import { DTypeError, IndexError, ShapeError, ValueError } from "../errors.js";
import { Tensor } from "../tensor.js";
import * as np from "./index.js";
import { reshapeRaw } from "./util.js";

// ---- float64 references, written independently of the code under test (naive loops)
type N = number | N[];

function build(shape: readonly number[], f: (idx: number[]) => number, pre: number[] = []): N {
  if (pre.length === shape.length) return f(pre);
  return Array.from({ length: shape[pre.length]! }, (_, i) => build(shape, f, [...pre, i]));
}
function at(x: N, idx: readonly number[]): number {
  let c = x;
  for (const i of idx) c = (c as N[])[i]!;
  return c as number;
}
/** The index into a (right-aligned, size-1-broadcast) operand of shape `shape`. */
function bidx(idx: readonly number[], shape: readonly number[]): number[] {
  return idx.slice(idx.length - shape.length).map((v, i) => (shape[i] === 1 ? 0 : v));
}
let seed = 12345;
function rnd(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
}
/** Values in [-5, 5] with one decimal. */
const rand = (shape: readonly number[]): N => build(shape, () => Math.round(rnd() * 100 - 50) / 10);
const f64 = (v: N): Tensor => np.array(v as number[], { dtype: "float64" });

/** Batched matmul with broadcast batch dims: [...A, m, k] x [...B, k, n]. */
function refMatmul(a: N, as: number[], b: N, bs: number[]): N {
  const batchA = as.slice(0, -2), batchB = bs.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch = Array.from({ length: rank }, (_, i) => {
    const da = batchA[i - (rank - batchA.length)] ?? 1, db = batchB[i - (rank - batchB.length)] ?? 1;
    return Math.max(da, db);
  });
  const [m, k] = as.slice(-2) as [number, number];
  const n = bs[bs.length - 1]!;
  return build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2), i = idx[idx.length - 2]!, j = idx[idx.length - 1]!;
    let s = 0;
    for (let l = 0; l < k; l++) s += at(a, [...bidx(bi, batchA), i, l]) * at(b, [...bidx(bi, batchB), l, j]);
    return s;
  });
}

function refMatmul2(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, l) => s + v * b[l]![j]!, 0)));
}

/** A well-conditioned (diagonally dominant) random n×n matrix. */
function wellConditioned(n: number): number[][] {
  const m = rand([n, n]) as number[][];
  for (let i = 0; i < n; i++) m[i]![i] = 20 + i;
  return m;
}

function throwsWith(fn: () => unknown, cls: new (...a: never[]) => Error, fragment: string): void {
  expect(fn).to.throw(cls, fragment);
}

describe("np.matmul", () => {
  it("multiplies 2-D matrices (hand-derived)", () => {
    expectClose(np.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]), [[19, 22], [43, 50]]);
    expectClose(np.array([[1, 2, 3]]).matmul([[1], [0], [-1]]), [[-2]]);
  });

  it("matches a float64 triple loop", () => {
    const a = rand([3, 4]) as number[][], b = rand([4, 5]) as number[][];
    const out = np.matmul(f64(a), f64(b));
    expect(out.dtype).to.equal("float64");
    expectClose(out, refMatmul2(a, b), { rtol: 1e-12, atol: 1e-12 });
  });

  it("batches over equal leading dims", () => {
    const a = rand([2, 3, 4]), b = rand([2, 4, 5]);
    expectClose(np.matmul(f64(a), f64(b)), refMatmul(a, [2, 3, 4], b, [2, 4, 5]), { rtol: 1e-12, atol: 1e-12 });
  });

  it("broadcasts batch dims", () => {
    const a = rand([2, 1, 3, 4]), b = rand([5, 4, 2]);
    const out = np.matmul(f64(a), f64(b));
    expect(out.shape).to.deep.equal([2, 5, 3, 2]);
    expectClose(out, refMatmul(a, [2, 1, 3, 4], b, [5, 4, 2]), { rtol: 1e-12, atol: 1e-12 });
    const c = rand([3, 4]), d = rand([3, 1, 4, 2]);
    expectClose(np.matmul(f64(c), f64(d)), refMatmul(c, [3, 4], d, [3, 1, 4, 2]), { rtol: 1e-12, atol: 1e-12 });
  });

  it("promotes 1-D operands and removes the added axis", () => {
    const v = np.matmul([1, 2, 3], [4, 5, 6]);
    expect(v.shape).to.deep.equal([]);
    expect(v.itemSync()).to.equal(32);
    expectClose(np.matmul([1, 1], [[1, 2, 3], [4, 5, 6]]), [5, 7, 9]);
    expectClose(np.matmul([[1, 2, 3], [4, 5, 6]], [1, 0, 1]), [4, 10]);
    // 1-D against a batch: [4] x [2, 4, 3] -> [2, 3]
    const b = rand([2, 4, 3]);
    const ref = build([2, 3], ([i, j]) => [0, 1, 2, 3].reduce((s, l) => s + (l + 1) * at(b, [i!, l, j!]), 0));
    expectClose(np.matmul(f64([1, 2, 3, 4]), f64(b)), ref, { rtol: 1e-12, atol: 1e-12 });
    // batch x 1-D: [2, 3, 4] x [4] -> [2, 3]
    const a = rand([2, 3, 4]);
    const ref2 = build([2, 3], ([i, j]) => [0, 1, 2, 3].reduce((s, l) => s + at(a, [i!, j!, l]) * (4 - l), 0));
    expectClose(np.matmul(f64(a), f64([4, 3, 2, 1])), ref2, { rtol: 1e-12, atol: 1e-12 });
  });

  it("promotes dtypes", () => {
    const i32 = np.array([[1, 2], [3, 4]], { dtype: "int32" });
    const ints = np.matmul(i32, i32);
    expect(ints.dtype).to.equal("int32");
    expect(ints.toArraySync()).to.deep.equal([[7, 10], [15, 22]]);
    expect(np.matmul(i32, np.array([[0.5], [1]])).dtype).to.equal("float32");
    expect(np.matmul(np.array([[1]]), f64([[2]])).dtype).to.equal("float64");
    const bools = np.matmul(np.array([[true, false], [false, false]]), np.array([[true], [true]]));
    expect(bools.dtype).to.equal("bool");
    expect(bools.toArraySync()).to.deep.equal([[true], [false]]);
  });

  it("handles zero-size dims", () => {
    const z = np.matmul(np.array([[], []]), reshapeRaw(np.array([]), [0, 3]));
    expectClose(z, [[0, 0, 0], [0, 0, 0]]);
    expect(np.matmul(reshapeRaw(np.array([]), [0, 3]), rand([3, 2]) as number[][]).shape).to.deep.equal([0, 2]);
  });

  it("rejects bad shapes with ShapeError", () => {
    throwsWith(() => np.matmul(rand([2, 3]) as number[][], rand([4, 5]) as number[][]), ShapeError,
      "matmul: cannot multiply shapes [2,3] and [4,5]: inner dimensions 3 and 4 differ");
    throwsWith(() => np.matmul([1, 2, 3], [1, 2]), ShapeError, "inner dimensions 3 and 2 differ");
    throwsWith(() => np.matmul(2, [1, 2]), ShapeError, "at least one dimension");
    throwsWith(() => np.matmul(rand([2, 2, 3]) as number[][][], rand([3, 3, 4]) as number[][][]), ShapeError, "batch dimensions of shapes [2,2,3] and [3,3,4]");
  });
});

describe("np.dot / vdot / outer", () => {
  it("dot: 1-D, 2-D and scalar cases", () => {
    expect(np.dot([1, 2, 3], [4, 5, 6]).itemSync()).to.equal(32);
    expectClose(np.dot([[1, 2], [3, 4]], [1, 1]), [3, 7]);
    expectClose(np.dot([1, 1], [[1, 2], [3, 4]]), [4, 6]);
    expectClose(np.dot([[1, 2], [3, 4]], [[5, 6], [7, 8]]), [[19, 22], [43, 50]]);
    expectClose(np.dot(2, [[1, 2], [3, 4]]), [[2, 4], [6, 8]]);
    expectClose(np.array([1, 2]).dot([3, 4]), 11);
  });

  it("dot: N-D sums the last axis of a with the second-to-last of b", () => {
    const a = rand([2, 3, 4]), b = rand([5, 4, 6]);
    const out = np.dot(f64(a), f64(b));
    expect(out.shape).to.deep.equal([2, 3, 5, 6]);
    const ref = build([2, 3, 5, 6], ([i, j, k, m]) => {
      let s = 0;
      for (let l = 0; l < 4; l++) s += at(a, [i!, j!, l]) * at(b, [k!, l, m!]);
      return s;
    });
    expectClose(out, ref, { rtol: 1e-12, atol: 1e-12 });
    const v = rand([4]);
    const ref2 = build([2, 3], ([i, j]) => [0, 1, 2, 3].reduce((s, l) => s + at(a, [i!, j!, l]) * at(v, [l]), 0));
    expectClose(np.dot(f64(a), f64(v)), ref2, { rtol: 1e-12, atol: 1e-12 });
  });

  it("dot: mismatched dims are a ShapeError", () => {
    throwsWith(() => np.dot([1, 2, 3], [1, 2]), ShapeError, "dot: shapes [3] and [2] are not aligned");
    throwsWith(() => np.dot(rand([2, 3]) as number[][], rand([4, 2]) as number[][]), ShapeError, "axis 1 of a has size 3 but axis 0 of b has size 4");
  });

  it("vdot flattens both operands", () => {
    expect(np.vdot([[1, 2], [3, 4]], [[1, 0], [0, 1]]).itemSync()).to.equal(5);
    expect(np.vdot([[1, 2, 3], [4, 5, 6]], [1, 1, 1, 1, 1, 2]).itemSync()).to.equal(27);
    expect(np.vdot([1, 2], [3, 4]).shape).to.deep.equal([]);
    throwsWith(() => np.vdot([1, 2, 3], [1, 2]), ShapeError, "vdot: operands must have the same number of elements");
  });

  it("outer flattens and multiplies every pair", () => {
    expectClose(np.outer([1, 2], [3, 4, 5]), [[3, 4, 5], [6, 8, 10]]);
    expectClose(np.outer([[1], [2]], [[1, -1]]), [[1, -1], [2, -2]]);
    expectClose(np.outer(3, 2), [[6]]);
    expect(np.outer(np.array([] as number[]), [1, 2]).shape).to.deep.equal([0, 2]);
  });
});

describe("np.tensordot", () => {
  it("contracts the last/first two axes by default", () => {
    const a = rand([3, 4, 5]), b = rand([4, 5, 2]);
    const ref = build([3, 2], ([i, j]) => {
      let s = 0;
      for (let k = 0; k < 4; k++) for (let l = 0; l < 5; l++) s += at(a, [i!, k, l]) * at(b, [k, l, j!]);
      return s;
    });
    expectClose(np.tensordot(f64(a), f64(b)), ref, { rtol: 1e-12, atol: 1e-12 });
  });

  it("takes explicit axis pairs (negative axes too)", () => {
    const a = rand([3, 4]), b = rand([2, 3]);
    const ref = build([4, 2], ([i, j]) => [0, 1, 2].reduce((s, k) => s + at(a, [k, i!]) * at(b, [j!, k]), 0));
    expectClose(np.tensordot(f64(a), f64(b), [[0], [1]]), ref, { rtol: 1e-12, atol: 1e-12 });
    expectClose(np.tensordot(f64(a), f64(b), [[-2], [-1]]), ref, { rtol: 1e-12, atol: 1e-12 });
    const c = rand([2, 3, 4]), d = rand([4, 2]);
    const ref2 = build([3], ([j]) => {
      let s = 0;
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) s += at(c, [i, j!, k]) * at(d, [k, i]);
      return s;
    });
    expectClose(np.tensordot(f64(c), f64(d), [[2, 0], [0, 1]]), ref2, { rtol: 1e-12, atol: 1e-12 });
  });

  it("axes = 0 is the outer product; full contraction gives a scalar", () => {
    expectClose(np.tensordot([1, 2], [3, 4], 0), [[3, 4], [6, 8]]);
    expectClose(np.tensordot([[1, 2], [3, 4]], [[1, 1], [1, 1]], 2), 10);
  });

  it("rejects bad axes", () => {
    throwsWith(() => np.tensordot([1, 2], [1, 2], 2), ValueError, "tensordot: axes=2 must be an integer in [0, 1]");
    throwsWith(() => np.tensordot(rand([2, 3]) as number[][], rand([4, 3]) as number[][], 1), ShapeError, "axis 1 of a has size 3 but axis 0 of b has size 4");
    throwsWith(() => np.tensordot(rand([2, 3]) as number[][], rand([3, 2]) as number[][], [[0, 1], [0]]), ValueError, "names 2 axes of a but 1 of b");
    throwsWith(() => np.tensordot(rand([2, 3]) as number[][], rand([3, 2]) as number[][], [[2], [0]]), IndexError, "axis 2 is out of bounds");
    throwsWith(() => np.tensordot(rand([2, 2]) as number[][], rand([2, 2]) as number[][], [[0, 0], [0, 1]]), ValueError, "repeated axis");
  });
});

describe("np.einsum", () => {
  const a = rand([3, 4]), b = rand([4, 5]);
  const tol = { rtol: 1e-12, atol: 1e-12 };

  it("ij,jk->ik is matmul; implicit 'ij,jk' is the same", () => {
    const ref = refMatmul2(a as number[][], b as number[][]);
    expectClose(np.einsum("ij,jk->ik", f64(a), f64(b)), ref, tol);
    expectClose(np.einsum("ij,jk", f64(a), f64(b)), ref, tol);
    expectClose(np.einsum(" ij , jk -> ik ", f64(a), f64(b)), ref, tol);
  });

  it("transposes, sums and outer products", () => {
    expectClose(np.einsum("ij->ji", [[1, 2, 3], [4, 5, 6]]), [[1, 4], [2, 5], [3, 6]]);
    expectClose(np.einsum("ji", [[1, 2, 3], [4, 5, 6]]), [[1, 4], [2, 5], [3, 6]]); // implicit: output "ij"
    expectClose(np.einsum("ij->", [[1, 2, 3], [4, 5, 6]]), 21);
    expectClose(np.einsum("ij->j", [[1, 2, 3], [4, 5, 6]]), [5, 7, 9]);
    expectClose(np.einsum("i,i->", [1, 2, 3], [4, 5, 6]), 32);
    expectClose(np.einsum("i,i", [1, 2, 3], [4, 5, 6]), 32);
    expectClose(np.einsum("i,j->ij", [1, 2], [3, 4, 5]), [[3, 4, 5], [6, 8, 10]]);
    expectClose(np.einsum("ij,ij->ij", [[1, 2], [3, 4]], [[2, 2], [0, 1]]), [[2, 4], [0, 4]]);
    expectClose(np.einsum("ijk->kji", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]), [[[1, 5], [3, 7]], [[2, 6], [4, 8]]]);
  });

  it("diagonals and traces from repeated subscripts", () => {
    expectClose(np.einsum("ii->i", [[1, 2], [3, 4]]), [1, 4]);
    expectClose(np.einsum("ii", [[1, 2], [3, 4]]), 5);
    expectClose(np.einsum("ii->", [[1, 2, 3], [4, 5, 6], [7, 8, 9]]), 15);
    const x = rand([2, 2, 3]);
    expectClose(np.einsum("iij->ji", f64(x)), build([3, 2], ([j, i]) => at(x, [i!, i!, j!])), tol);
    expectClose(np.einsum("ij,jj->i", [[1, 2], [3, 4]], [[10, 0], [0, 100]]), [210, 430]);
  });

  it("batched contractions and ellipsis broadcasting", () => {
    const x = rand([2, 3, 4]), y = rand([2, 4, 5]);
    expectClose(np.einsum("bij,bjk->bik", f64(x), f64(y)), refMatmul(x, [2, 3, 4], y, [2, 4, 5]), tol);
    const z = rand([4, 5]);
    expectClose(np.einsum("...ij,...jk->...ik", f64(x), f64(z)), refMatmul(x, [2, 3, 4], z, [4, 5]), tol);
    expectClose(np.einsum("...ij,...jk", f64(x), f64(z)), refMatmul(x, [2, 3, 4], z, [4, 5]), tol);
    const w = rand([3, 1, 2, 2]);
    const t = np.einsum("...ij->...ji", f64(w));
    expectClose(t, build([3, 1, 2, 2], ([p, q, i, j]) => at(w, [p!, q!, j!, i!])), tol);
    const u = rand([1, 3, 4]);
    expectClose(np.einsum("bij,bjk->bik", f64(u), f64(y)), refMatmul(u, [1, 3, 4], y, [2, 4, 5]), tol);
  });

  it("broadcasts size-1 axes against any size (NumPy)", () => {
    // sum_ij a[i,j] * b[i,0]
    expectClose(np.einsum("ij,ij->", [[1, 2, 3], [4, 5, 6]], [[1], [2]]), 36);
    expectClose(np.einsum("i,i->i", [1, 2, 3], [2]), [2, 4, 6]);
  });

  it("three operands and implicit ASCII ordering", () => {
    const c = rand([5, 2]);
    const ab = refMatmul2(a as number[][], b as number[][]);
    expectClose(np.einsum("ij,jk,kl->il", f64(a), f64(b), f64(c)), refMatmul2(ab, c as number[][]), { rtol: 1e-10, atol: 1e-10 });
    // implicit output sorts letters by code: "Ba,aC" -> "BC", "ba,aC" -> "Cb"
    expect(np.einsum("Ba,aC", a as number[][], b as number[][]).shape).to.deep.equal([3, 5]);
    expect(np.einsum("ba,aC", a as number[][], b as number[][]).shape).to.deep.equal([5, 3]);
  });

  it("keeps dtypes: int32 exact, bool as or-of-ands", () => {
    const i = np.einsum("ij,j->i", np.array([[1, 2], [3, 4]], { dtype: "int32" }), np.array([5, 6], { dtype: "int32" }));
    expect(i.dtype).to.equal("int32");
    expect(i.toArraySync()).to.deep.equal([17, 39]);
    const bo = np.einsum("i,i->", np.array([true, false]), np.array([false, true]));
    expect(bo.dtype).to.equal("bool");
    expect(bo.itemSync()).to.equal(false);
  });

  it("handles scalars and zero-size axes", () => {
    expectClose(np.einsum(",->", 3, 4), 12);
    expectClose(np.einsum("ij,jk->ik", np.array([[], []]), reshapeRaw(np.array([]), [0, 2])), [[0, 0], [0, 0]]);
  });

  it("rejects bad subscripts and operands", () => {
    throwsWith(() => np.einsum("ij,jk->ik", [[1]]), ValueError, "name 2 operand(s) but 1 were given");
    throwsWith(() => np.einsum("ij"), ValueError, "needs at least one operand");
    throwsWith(() => np.einsum("i1->i", [[1]]), ValueError, "unsupported character '1'");
    throwsWith(() => np.einsum("ij->k", [[1]]), ValueError, "output subscript 'k' does not appear");
    throwsWith(() => np.einsum("ij->ii", [[1]]), ValueError, "appears more than once");
    throwsWith(() => np.einsum("...i...->i", [[1]]), ValueError, "more than one '...'");
    throwsWith(() => np.einsum("...i->i", [[1, 2]]), ValueError, "summing over '...' is not supported");
    throwsWith(() => np.einsum("i->i->i", [1]), ValueError, "more than one '->'");
    throwsWith(() => np.einsum("ijk->i", [[1]]), ShapeError, "operand 0 has shape [1,1] (rank 2) but its subscripts name 3 axes");
    throwsWith(() => np.einsum("ij,jk->ik", rand([2, 3]) as number[][], rand([4, 2]) as number[][]), ShapeError, "subscript 'j' has size 3 in operand 0 but size 4 in operand 1");
    throwsWith(() => np.einsum("ii->i", rand([2, 3]) as number[][]), ShapeError, "repeated subscript 'i'");
  });
});

describe("np.linalg.solve / inv", () => {
  it("solves a vector right-hand side (hand-derived)", () => {
    expectClose(np.linalg.solve([[3, 1], [1, 2]], [9, 8]), [2, 3]);
  });

  it("solves matrix right-hand sides: residual a @ x = b", () => {
    const a = wellConditioned(4), b = rand([4, 3]) as number[][];
    const x = np.linalg.solve(f64(a), f64(b));
    expect(x.shape).to.deep.equal([4, 3]);
    expectClose(refMatmul2(a, x.toArraySync() as number[][]) as N, b, { rtol: 1e-10, atol: 1e-10 });
  });

  it("batches and broadcasts", () => {
    const a = [wellConditioned(3), wellConditioned(3)];
    const v = [1, -2, 0.5];
    const x = np.linalg.solve(f64(a), f64(v));
    expect(x.shape).to.deep.equal([2, 3]);
    const xs = x.toArraySync() as number[][];
    for (let i = 0; i < 2; i++) expectClose(refMatmul2(a[i]!, xs[i]!.map((e) => [e])).flat(), v, { rtol: 1e-10, atol: 1e-10 });
    // one matrix against a batch of right-hand sides [4, 3, 1]
    const bs = rand([4, 3, 1]) as number[][][];
    const y = np.linalg.solve(f64(a[0]!), f64(bs)).toArraySync() as number[][][];
    for (let i = 0; i < 4; i++) expectClose(refMatmul2(a[0]!, y[i]!), bs[i]!, { rtol: 1e-10, atol: 1e-10 });
  });

  it("inv: hand-derived and batched residuals", () => {
    expectClose(np.linalg.inv([[4, 7], [2, 6]]), [[0.6, -0.7], [-0.2, 0.4]]);
    const a = [wellConditioned(3), wellConditioned(3)];
    const inv = np.linalg.inv(f64(a)).toArraySync() as number[][][];
    const eye = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    for (let i = 0; i < 2; i++) expectClose(refMatmul2(a[i]!, inv[i]!), eye, { rtol: 1e-10, atol: 1e-10 });
  });

  it("rejects bad input", () => {
    throwsWith(() => np.linalg.solve([[1, 2, 3], [4, 5, 6]], [1, 2]), ShapeError, "linalg.solve: expected a (batch of) square matrices [..., n, n], got shape [2,3]");
    throwsWith(() => np.linalg.solve([[1, 0], [0, 1]], [1, 2, 3]), ShapeError, "b must be [2] or [..., 2, k]");
    throwsWith(() => np.linalg.solve([[1, 0], [0, 1]], [[1, 2]]), ShapeError, "but b has shape [1,2]");
    throwsWith(() => np.linalg.solve(np.array([[1, 0], [0, 1]], { dtype: "int32" }), np.array([1, 2], { dtype: "int32" })), DTypeError, "linalg.solve: expected float input, got int32");
    throwsWith(() => np.linalg.inv([1, 2]), ShapeError, "linalg.inv: expected a (batch of) square matrices");
    throwsWith(() => np.linalg.inv(np.array([[1]], { dtype: "int32" })), DTypeError, "linalg.inv");
  });
});

describe("np.linalg.det / slogdet / cholesky", () => {
  it("det of [[1,2],[3,4]] is -2; 3x3 by cofactors", () => {
    expectClose(np.linalg.det([[1, 2], [3, 4]]), -2, { rtol: 1e-5 });
    const m = rand([3, 3]) as number[][];
    const [r0, r1, r2] = m as [number[], number[], number[]];
    const cof = r0[0]! * (r1[1]! * r2[2]! - r1[2]! * r2[1]!) - r0[1]! * (r1[0]! * r2[2]! - r1[2]! * r2[0]!) + r0[2]! * (r1[0]! * r2[1]! - r1[1]! * r2[0]!);
    expectClose(np.linalg.det(f64(m)), cof, { rtol: 1e-10, atol: 1e-10 });
  });

  it("det batches, and a singular matrix gives 0", () => {
    expectClose(np.linalg.det([[[2, 0], [0, 3]], [[0, 1], [1, 0]], [[1, 2], [2, 4]]]), [6, -1, 0]);
  });

  it("slogdet returns [sign, log|det|]", () => {
    const [sign, logAbs] = np.linalg.slogdet([[1, 2], [3, 4]]);
    expectClose(sign, -1);
    expectClose(logAbs, Math.log(2), { rtol: 1e-5 });
    const [s2, l2] = np.linalg.slogdet([[[1e-20, 0], [0, 1e-20]], [[1, 2], [2, 4]]]);
    expectClose(s2, [1, 0]);
    expectClose(l2, [2 * Math.log(Math.fround(1e-20)), -Infinity], { rtol: 1e-5 });
  });

  it("cholesky factors SPD matrices", () => {
    expectClose(np.linalg.cholesky([[4, 2], [2, 3]]), [[2, 0], [1, Math.SQRT2]]);
    const l = [[2, 0, 0], [1, 3, 0], [-1, 0.5, 1.5]];
    const spd = refMatmul2(l, l[0]!.map((_, j) => l.map((row) => row[j]!)));
    expectClose(np.linalg.cholesky(f64(spd)), l, { rtol: 1e-12, atol: 1e-12 });
    expectClose(np.linalg.cholesky(f64([spd, [[1, 0, 0], [0, 4, 0], [0, 0, 9]]])), [l, [[1, 0, 0], [0, 2, 0], [0, 0, 3]]], { rtol: 1e-12, atol: 1e-12 });
  });

  it("rejects non-square and integer input", () => {
    throwsWith(() => np.linalg.det([[1, 2, 3], [4, 5, 6]]), ShapeError, "linalg.slogdet: expected a (batch of) square matrices");
    throwsWith(() => np.linalg.slogdet(np.array([[1, 2], [3, 4]], { dtype: "int32" })), DTypeError, "expected float input, got int32");
    throwsWith(() => np.linalg.det(np.array([[1, 2], [3, 4]], { dtype: "int32" })), DTypeError, "cast with astype");
    throwsWith(() => np.linalg.cholesky([1, 2, 3]), ShapeError, "linalg.cholesky: expected a (batch of) square matrices");
    throwsWith(() => np.linalg.cholesky(np.array([[1]], { dtype: "int32" })), DTypeError, "linalg.cholesky");
  });
});

describe("np.linalg.norm", () => {
  const v = [3, 0, -4];
  const m = [[1, -2], [3, 4]];

  it("vector norms", () => {
    expectClose(np.linalg.norm(v), 5);
    expectClose(np.linalg.norm(v, { ord: 2 }), 5);
    expectClose(np.linalg.norm(v, { ord: 1 }), 7);
    expectClose(np.linalg.norm(v, { ord: Infinity }), 4);
    expectClose(np.linalg.norm(v, { ord: -Infinity }), 0);
    expectClose(np.linalg.norm(v, { ord: 0 }), 2);
    expectClose(np.linalg.norm(v, { ord: 3 }), Math.cbrt(27 + 64), { rtol: 1e-5 });
    expectClose(np.linalg.norm([1, 2, 4], { ord: -1 }), 1 / (1 + 0.5 + 0.25), { rtol: 1e-5 });
  });

  it("default with no axis flattens any rank", () => {
    const x = build([2, 3, 4], ([i, j, k]) => i! + j! - k!);
    let ss = 0;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) ss += (i + j - k) ** 2;
    expectClose(np.linalg.norm(x as number[][]), Math.sqrt(ss), { rtol: 1e-6 });
    expectClose(np.linalg.norm(x as number[][], { keepdims: true }), [[[Math.sqrt(ss)]]], { rtol: 1e-6 });
  });

  it("vector norms along an axis, negative axes, keepdims", () => {
    const x = [[3, 4], [6, 8]];
    expectClose(np.linalg.norm(x, { axis: 1 }), [5, 10]);
    expectClose(np.linalg.norm(x, { axis: -1, keepdims: true }), [[5], [10]]);
    expectClose(np.linalg.norm(x, { axis: 0, ord: 1 }), [9, 12]);
    expectClose(np.linalg.norm(x, { axis: 0, ord: Infinity, keepdims: true }), [[6, 8]]);
  });

  it("matrix norms", () => {
    const fro = Math.sqrt(1 + 4 + 9 + 16);
    expectClose(np.linalg.norm(m, { ord: "fro" }), fro, { rtol: 1e-6 });
    expectClose(np.linalg.norm(m, { axis: [0, 1] }), fro, { rtol: 1e-6 });
    expectClose(np.linalg.norm(m, { ord: 1 }), 6); // column sums 4, 6
    expectClose(np.linalg.norm(m, { ord: -1 }), 4);
    expectClose(np.linalg.norm(m, { ord: Infinity }), 7); // row sums 3, 7
    expectClose(np.linalg.norm(m, { ord: -Infinity }), 3);
    // the axis order matters: (1, 0) views the transpose
    expectClose(np.linalg.norm(m, { ord: 1, axis: [1, 0] }), 7);
  });

  it("matrix norms over an axis pair of a batch, keepdims", () => {
    const x = [[[1, -2], [3, 4]], [[0, 1], [1, 0]]];
    expectClose(np.linalg.norm(x, { ord: 1, axis: [-2, -1] }), [6, 1]);
    expectClose(np.linalg.norm(x, { ord: Infinity, axis: [1, 2], keepdims: true }), [[[7]], [[1]]]);
    const y = build([2, 3, 2], ([i, j, k]) => i! * 10 + j! - k!);
    // ord 1 over (0, 2): for each j, max over k of sum_i |y[i,j,k]|
    const ref = [0, 1, 2].map((j) => Math.max(...[0, 1].map((k) => [0, 1].reduce((s, i) => s + Math.abs(i * 10 + j - k), 0))));
    expectClose(np.linalg.norm(y as number[][], { ord: 1, axis: [0, 2] }), ref);
  });

  it("integer input is computed in float32", () => {
    const n = np.linalg.norm(np.array([3, 4], { dtype: "int32" }));
    expect(n.dtype).to.equal("float32");
    expectClose(n, 5);
  });

  it("rejects unsupported orders and bad axes", () => {
    expectClose(np.linalg.norm([[3, 0], [0, -4]], { ord: 2 }), 4); // singular values (the svd primitive)
    throwsWith(() => np.linalg.norm(m, { ord: -3, axis: [0, 1] }), ValueError, "invalid norm order -3 for matrices");
    throwsWith(() => np.linalg.norm(m, { ord: 3 }), ValueError, "invalid norm order 3 for matrices");
    throwsWith(() => np.linalg.norm(v, { ord: "fro" }), ValueError, `invalid norm order "fro" for vectors`);
    throwsWith(() => np.linalg.norm([[[1]]], { ord: 1 }), ValueError, "x must be 1-D or 2-D");
    throwsWith(() => np.linalg.norm(m, { axis: 2 }), IndexError, "axis 2 is out of bounds for an array of rank 2");
    throwsWith(() => np.linalg.norm([[[1]]], { axis: [0, 1, 2] }), ValueError, "axis must name 1 axis");
    throwsWith(() => np.linalg.norm(m, { axis: [1, -1] }), ValueError, "duplicate axes");
  });
});

describe("np.linalg: multiDot, matrixPower, vectorNorm, matrixNorm", () => {
  const close = (t: Tensor, want: unknown, rtol = 1e-5) => expectClose(t, want as never, { rtol });

  it("multiDot equals the left-to-right product, with 1-D ends as vectors", () => {
    const a = np.arange(6).reshape([2, 3]), b = np.arange(12).reshape([3, 4]), c = np.arange(8).reshape([4, 2]);
    close(np.linalg.multiDot([a, b, c]), np.matmul(np.matmul(a, b), c).toArraySync());
    const v = np.array([1, 2]), w = np.array([1, -1]);
    const r = np.linalg.multiDot([v, a, b, c, w]);
    expect(r.shape).to.deep.equal([]);
    close(r, np.dot(np.matmul(np.matmul(np.matmul(v, a), b), c), w).itemSync());
    expect(np.linalg.multiDot([np.ones([10, 100]), np.ones([100, 5]), np.ones([5, 50])]).shape).to.deep.equal([10, 50]);
  });

  it("multiDot picks the cheapest order (the result is the same)", () => {
    const A = np.linspace(-1, 1, 10 * 100).reshape([10, 100]), B = np.linspace(0, 1, 500).reshape([100, 5]), C = np.linspace(1, 2, 250).reshape([5, 50]);
    close(np.linalg.multiDot([A, B, C]), np.matmul(A, np.matmul(B, C)).toArraySync(), 1e-4);
  });

  it("multiDot rejects bad chains with typed errors", () => {
    expect(() => np.linalg.multiDot([np.ones([2, 3])])).to.throw(ValueError);
    expect(() => np.linalg.multiDot([np.ones([2, 3]), np.ones([4, 2])])).to.throw(ShapeError, /do not chain/);
    expect(() => np.linalg.multiDot([np.ones([2, 3]), np.ones([3]), np.ones([3, 2])])).to.throw(ShapeError, /must be 2-D/);
  });

  it("matrixPower: Fibonacci, identity, inverse powers, batches", () => {
    expect(np.linalg.matrixPower(np.array([[1, 1], [1, 0]], { dtype: "int32" }), 10).toArraySync()).to.deep.equal([[89, 55], [55, 34]]);
    close(np.linalg.matrixPower(np.array([[2, 0], [0, 3]]), 0), [[1, 0], [0, 1]]);
    close(np.linalg.matrixPower(np.array([[2, 0], [0, 4]]), -2), [[0.25, 0], [0, 0.0625]]);
    const batch = np.array([[[1, 1], [0, 1]], [[2, 0], [0, 2]]]);
    close(np.linalg.matrixPower(batch, 3), [[[1, 3], [0, 1]], [[8, 0], [0, 8]]]);
    expect(() => np.linalg.matrixPower(np.ones([2, 3]), 2)).to.throw(ShapeError);
    expect(() => np.linalg.matrixPower(np.eye(2), 1.5)).to.throw(ValueError, /integer/);
  });

  it("vectorNorm over all axes, one axis or several; matrixNorm batched; 'f' is 'fro'", () => {
    close(np.linalg.vectorNorm([[3, 4], [0, 0]]), 5);
    close(np.linalg.vectorNorm([[1, -2], [3, 4]], { ord: 1, axis: 1 }), [3, 7]);
    close(np.linalg.vectorNorm([[1, -2], [3, 4]], { ord: Infinity }), 4);
    const x = np.arange(24).reshape([2, 3, 4]);
    close(np.linalg.vectorNorm(x, { axis: [0, 2], keepdims: true }), np.sqrt(np.sum(x.mul(x), { axis: [0, 2], keepdims: true })).toArraySync());
    close(np.linalg.matrixNorm([[[1, 2], [3, 4]], [[0, 0], [0, 1]]]), [Math.sqrt(30), 1]);
    close(np.linalg.matrixNorm([[1, -2], [3, 4]], { ord: 1 }), 6);
    close(np.linalg.norm([[1, 2], [3, 4]], { ord: "f" }), Math.sqrt(30));
    expect(() => np.linalg.matrixNorm([1, 2])).to.throw(ValueError);
    close(np.linalg.norm([[3, 0], [0, -4]], { ord: "nuc" }), 7);
  });

});
