/**
 * Reduction, movement, indexing, contraction and linear-algebra rules against finite differences
 * at random points, applied as raw primitives (`npUtil.apply`) so each rule is exercised exactly,
 * plus the special cases JAX pins down (ties, zeros, duplicate and out-of-range indices) and
 * zero-size arrays.
 */
import { expect } from "chai";
import fc from "fast-check";
import { BINARY_OPS, type Prim, type PrimParams, Tensor, np, npUtil } from "@kiln/core";
import { jvpNodes, vjpNodes } from "../derive.js";
import { args, checkGradients, distinct, evaluate, f64, uniform } from "./gradcheck.test-util.js";
import { chooserMask } from "./ops.js";
import { DERIV_OPS } from "./partials.js";

const { apply } = npUtil;
const op = <P extends Prim>(prim: P, params: PrimParams[P], ...extra: Tensor[]) =>
  (...xs: Tensor[]): Tensor => apply(prim, [...xs, ...extra], params);
const ints = (v: number[], shape: number[]) => npUtil.reshapeRaw(np.array(v, { dtype: "int32" }), shape);

/** The vjp of `out` with respect to `x` for an all-ones cotangent, as numbers. */
function gradOnes(out: Tensor, x: Tensor): number[] {
  const [g] = vjpNodes([out], [f64(new Array(out.size).fill(1), out.shape)], [x.node]);
  return g ? Array.from(evaluate(g)) : new Array<number>(x.size).fill(0);
}

describe("reduction rules", () => {
  it("reduceSum over one, several, all and no axes", () => {
    for (const axes of [[0], [1], [0, 1], []]) checkGradients({ shapes: [[2, 3]], args: args(uniform(6, -2, 2)), f: op("reduceSum", { axes }), runs: 10 });
    checkGradients({ shapes: [[2, 3, 2]], args: args(uniform(12, -2, 2)), f: op("reduceSum", { axes: [0, 2] }), runs: 10 });
  });

  it("reduceMax and reduceMin away from ties", () => {
    for (const prim of ["reduceMax", "reduceMin"] as const) {
      checkGradients({ shapes: [[3, 4]], args: args(distinct(12)), f: op(prim, { axes: [1] }), runs: 10 });
      checkGradients({ shapes: [[2, 3, 2]], args: args(distinct(12)), f: op(prim, { axes: [0, 2] }), runs: 10 });
    }
  });

  it("reduceMax and reduceMin share the gradient equally among ties (JAX)", () => {
    const x = f64([1, 3, 3, 2, 2, 0], [2, 3]);
    expect(gradOnes(apply("reduceMax", [x], { axes: [1] }), x)).to.deep.equal([0, 0.5, 0.5, 0.5, 0.5, 0]);
    expect(gradOnes(apply("reduceMin", [x], { axes: [0] }), x)).to.deep.equal([1, 0, 0, 0, 1, 1]);
    const [t] = jvpNodes([apply("reduceMax", [x], { axes: [1] })], new Map([[x.node, f64([0, 1, 3, 5, 7, 0], [2, 3])]]));
    expect(Array.from(evaluate(t!))).to.deep.equal([2, 6]);
  });

  it("the max/min mask never comes out empty: a NaN or a mismatched output falls back to the first arg-max (no 0/0)", () => {
    // A recomputed x that misses the stored max by one rounding must not give 0/0 = NaN.
    const x = f64([1, 3, 2, 0.5, 0.25, 0.75, 4, 4, 1], [3, 3]);
    const off = f64([3.0000001, 0.8, 4], [3]);
    const { mask, counts } = chooserMask(x, off, [1], "argmax");
    expect(Array.from(evaluate(mask))).to.deep.equal([0, 1, 0, 0, 0, 1, 1, 1, 0]);
    expect(Array.from(evaluate(counts))).to.deep.equal([1, 1, 2]);
    const low = chooserMask(npUtil.reshapeRaw(x, [9]), f64([0.2], []), [0], "argmin");
    expect(Array.from(evaluate(low.mask))).to.deep.equal([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    // Over several axes, including NaN (which is what argmax picks first, as NumPy).
    const y = f64([1, NaN, 2, 5, 7, 0], [2, 3]);
    const g = gradOnes(apply("reduceMax", [y], { axes: [0, 1] }), y);
    expect(g).to.deep.equal([0, 1, 0, 0, 0, 0]);
  });

  it("maximum/minimum split the cotangent by comparing the operands, not by matching the output", () => {
    const a = f64([1, 2, 3, NaN], [4]), b = f64([2, 2, 1, 0], [4]);
    const wrongOut = f64([7, 7, 7, 7], [4]);
    for (const [name, share] of [["max", [[0, 0.5, 1, 0], [1, 0.5, 0, 0]]], ["min", [[1, 0.5, 0, 0], [0, 0.5, 1, 0]]]] as const) {
      const [da, db] = BINARY_OPS[name].derivative.partials;
      expect(Array.from(evaluate(da(a, b, wrongOut, DERIV_OPS))), `${name} d/da`).to.deep.equal(share[0]);
      expect(Array.from(evaluate(db(a, b, wrongOut, DERIV_OPS))), `${name} d/db`).to.deep.equal(share[1]);
    }
  });

  it("reduceProd, including exact zeros among the values", () => {
    const withZeros = fc.array(fc.oneof(fc.constant(0), fc.double({ min: -2, max: 2, noNaN: true })), { minLength: 12, maxLength: 12 });
    checkGradients({ shapes: [[3, 4]], args: args(withZeros), f: op("reduceProd", { axes: [1] }) });
    checkGradients({ shapes: [[2, 3, 2]], args: args(uniform(12, -2, 2)), f: op("reduceProd", { axes: [0, 2] }), runs: 10 });
    checkGradients({ shapes: [[5]], args: args(withZeros.map((v) => v.slice(0, 5))), f: op("reduceProd", { axes: [0] }), runs: 10 });
  });

  it("reduceProd is exact at zeros: one zero gets the product of the rest, two zeros give 0", () => {
    const x = f64([2, 0, 3, 0, 0, 3], [2, 3]);
    expect(gradOnes(apply("reduceProd", [x], { axes: [1] }), x)).to.deep.equal([0, 6, 0, 0, 0, 0]);
    const [t] = jvpNodes([apply("reduceProd", [x], { axes: [1] })], new Map([[x.node, f64([1, 1, 1, 1, 1, 1], [2, 3])]]));
    expect(Array.from(evaluate(t!))).to.deep.equal([6, 0]);
  });

  it("cumsum forward and reverse along each axis", () => {
    for (const [axis, reverse] of [[0, false], [1, false], [1, true]] as const) {
      checkGradients({ shapes: [[3, 4]], args: args(uniform(12, -2, 2)), f: op("cumsum", { axis, reverse }), runs: 10 });
    }
  });

  it("zero-size reductions give zero-size cotangents", () => {
    const x = f64([], [2, 0]);
    expect(gradOnes(apply("reduceSum", [x], { axes: [1] }), x)).to.deep.equal([]);
    expect(gradOnes(apply("reduceProd", [x], { axes: [1] }), x)).to.deep.equal([]);
    const [t] = jvpNodes([apply("reduceSum", [x], { axes: [1] })], new Map([[x.node, f64([], [2, 0])]]));
    expect(Array.from(evaluate(t!))).to.deep.equal([0, 0]);
  });

  it("argmax and argmin outputs have no derivative", () => {
    const x = f64([1, 3, 2], [3]);
    const outs = [apply("argmax", [x], { axis: 0 }), apply("argmin", [x], { axis: 0 })];
    expect(jvpNodes(outs, new Map([[x.node, f64([1, 1, 1], [3])]]))).to.deep.equal([null, null]);
  });
});

describe("movement rules", () => {
  const g = (n: number) => args(uniform(n, -2, 2));

  it("reshape and transpose", () => {
    checkGradients({ shapes: [[2, 3]], args: g(6), f: op("reshape", { shape: [3, 1, 2] }), runs: 10 });
    checkGradients({ shapes: [[2, 3, 4]], args: g(24), f: op("transpose", { perm: [2, 0, 1] }), runs: 10 });
  });

  it("broadcast sums over new axes and stretched size-1 axes, with any dims order", () => {
    checkGradients({ shapes: [[3]], args: g(3), f: op("broadcast", { shape: [2, 3], dims: [1] }), runs: 10 });
    checkGradients({ shapes: [[2, 1]], args: g(2), f: op("broadcast", { shape: [2, 4], dims: [0, 1] }), runs: 10 });
    // Input axis 0 (3) becomes output axis 2; input axis 1 (size 1) is stretched along output axis 0.
    checkGradients({ shapes: [[3, 1]], args: g(3), f: op("broadcast", { shape: [2, 4, 3], dims: [2, 0] }), runs: 10 });
    checkGradients({ shapes: [[1, 3]], args: g(3), f: op("broadcast", { shape: [1, 2, 3], dims: [0, 2] }), runs: 10 });
    // Non-increasing dims that keep both axes: the summed cotangent must be transposed back.
    checkGradients({ shapes: [[3, 2]], args: g(6), f: op("broadcast", { shape: [2, 4, 3], dims: [2, 0] }), runs: 10 });
    checkGradients({ shapes: [[]], args: g(1), f: op("broadcast", { shape: [2, 2], dims: [] }), runs: 5 });
  });

  it("slice with unit and larger steps", () => {
    checkGradients({ shapes: [[6, 5]], args: g(30), f: op("slice", { start: [1, 0], stop: [6, 5], step: [2, 3] }), runs: 10 });
    checkGradients({ shapes: [[6, 5]], args: g(30), f: op("slice", { start: [0, 1], stop: [6, 4], step: [1, 1] }), runs: 10 });
    checkGradients({ shapes: [[7]], args: g(7), f: op("slice", { start: [2], stop: [7], step: [4] }), runs: 10 });
  });

  it("slice to an empty result gives a zero cotangent", () => {
    const x = f64([1, 2, 3], [3]);
    expect(gradOnes(apply("slice", [x], { start: [1], stop: [1], step: [1] }), x)).to.deep.equal([0, 0, 0]);
  });

  it("flip", () => {
    checkGradients({ shapes: [[3, 4]], args: g(12), f: op("flip", { axes: [0] }), runs: 10 });
    checkGradients({ shapes: [[3, 4]], args: g(12), f: op("flip", { axes: [0, 1] }), runs: 10 });
  });

  it("pad (positive and negative widths); the padding value gets nothing", () => {
    checkGradients({ shapes: [[3, 4]], args: g(12), f: op("pad", { lo: [1, 0], hi: [0, 2], value: 5 }), runs: 10 });
    checkGradients({ shapes: [[4, 5]], args: g(20), f: op("pad", { lo: [-1, 1], hi: [2, -2], value: 0 }), runs: 10 });
  });

  it("concatenate along each axis", () => {
    const f = (axis: number) => (...xs: Tensor[]) => apply("concatenate", xs, { axis });
    checkGradients({ shapes: [[2, 1], [2, 3], [2, 2]], args: args(uniform(2, -2, 2), uniform(6, -2, 2), uniform(4, -2, 2)), f: f(1), runs: 10 });
    checkGradients({ shapes: [[1, 3], [2, 3]], args: args(uniform(3, -2, 2), uniform(6, -2, 2)), f: f(0), runs: 10 });
  });
});

describe("indexing rules", () => {
  it("gather along each axis, with clamped out-of-range indices", () => {
    const idx = ints([4, 0, -2, 7, 1, 1], [6]);
    checkGradients({ shapes: [[5, 3]], args: args(uniform(15, -2, 2)), f: op("gather", { axis: 0 }, idx), runs: 10 });
    const idx2 = ints([0, 2, 1, 1], [2, 2]);
    checkGradients({ shapes: [[2, 3]], args: args(uniform(6, -2, 2)), f: op("gather", { axis: 1 }, idx2), runs: 10 });
  });

  it("gather's cotangent lands on the clamped positions", () => {
    const x = f64([10, 20, 30], [3]);
    expect(gradOnes(apply("gather", [x, ints([5, -1, 1], [3])], { axis: 0 }), x)).to.deep.equal([1, 1, 1]);
    expect(gradOnes(apply("gather", [x, ints([5, 5], [2])], { axis: 0 }), x)).to.deep.equal([0, 0, 2]);
  });

  it("scatterAdd and scatter (duplicates and out-of-range indices) in x and in the updates", () => {
    const idx = ints([1, 3, 1, 9, -1], [5]);
    for (const prim of ["scatterAdd", "scatter"] as const) {
      const f = (x: Tensor, upd: Tensor) => apply(prim, [x, idx, upd], { axis: 0 });
      checkGradients({ shapes: [[4, 2], [5, 2]], args: args(uniform(8, -2, 2), uniform(10, -2, 2)), f, runs: 10 });
      const idx2 = ints([2, 0, 2], [3]);
      const f2 = (x: Tensor, upd: Tensor) => apply(prim, [x, idx2, upd], { axis: 1 });
      checkGradients({ shapes: [[2, 3], [2, 3]], args: args(uniform(6, -2, 2), uniform(6, -2, 2)), f: f2, runs: 10 });
    }
  });

  it("scatter: the last duplicate wins the gradient; overwritten and dropped entries get none", () => {
    const x = f64([1, 2, 3], [3]);
    const upd = f64([7, 8, 9], [3]);
    const out = apply("scatter", [x, ints([1, 1, 5], [3]), upd], { axis: 0 });
    const cts = vjpNodes([out], [f64([10, 20, 30], [3])], [x.node, upd.node]);
    expect(cts.map((c) => Array.from(evaluate(c!)))).to.deep.equal([[10, 0, 30], [0, 20, 0]]);
    const add = apply("scatterAdd", [x, ints([1, 1, 5], [3]), upd], { axis: 0 });
    const cts2 = vjpNodes([add], [f64([10, 20, 30], [3])], [x.node, upd.node]);
    expect(cts2.map((c) => Array.from(evaluate(c!)))).to.deep.equal([[10, 20, 30], [20, 20, 0]]);
  });
});

describe("contraction and linear-algebra rules", () => {
  /** n×n matrices (a batch of `b`) made diagonally dominant, so solves are well conditioned. */
  const wellConditioned = (b: number, n: number, sign = false) =>
    fc.tuple(uniform(b * n * n, -1, 1), fc.array(fc.boolean(), { minLength: b * n, maxLength: b * n })).map(([v, flips]) =>
      v.map((x, i) => {
        const r = Math.floor(i / n) % n, c = i % n;
        const row = Math.floor(i / n);
        const s = sign && flips[row] ? -1 : 1;
        return s * (r === c ? x + n + 1 : x);
      }));
  /** Symmetric positive-definite n×n matrices: M Mᵀ + n I. */
  const spd = (b: number, n: number) =>
    uniform(b * n * n, -1, 1).map((m) => {
      const out: number[] = [];
      for (let k = 0; k < b; k++) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let s = i === j ? n : 0;
            for (let l = 0; l < n; l++) s += m[k * n * n + i * n + l]! * m[k * n * n + j * n + l]!;
            out.push(s);
          }
        }
      }
      return out;
    });

  it("matmul, plain and batched", () => {
    checkGradients({ shapes: [[2, 3], [3, 4]], args: args(uniform(6, -2, 2), uniform(12, -2, 2)), f: op("matmul", {}), runs: 10 });
    checkGradients({ shapes: [[2, 2, 3], [2, 3, 2]], args: args(uniform(12, -2, 2), uniform(12, -2, 2)), f: op("matmul", {}), runs: 10 });
  });

  it("solve in a and b, plain and batched", () => {
    checkGradients({ shapes: [[3, 3], [3, 2]], args: fc.tuple(wellConditioned(1, 3), uniform(6, -2, 2)).map((v) => [...v]), f: op("solve", {}), runs: 10 });
    checkGradients({ shapes: [[2, 3, 3], [2, 3, 1]], args: fc.tuple(wellConditioned(2, 3), uniform(6, -2, 2)).map((v) => [...v]), f: op("solve", {}), runs: 10 });
  });

  it("cholesky of SPD matrices (the primitive reads the lower triangle)", () => {
    checkGradients({ shapes: [[3, 3]], args: args(spd(1, 3)), f: op("cholesky", {}), runs: 10 });
    checkGradients({ shapes: [[2, 2, 2]], args: args(spd(2, 2)), f: op("cholesky", {}), runs: 10 });
  });

  it("cholesky's cotangent for a symmetric input agrees with JAX after symmetrizing ((C + Cᵀ)/2)", () => {
    // f(A) = sum(L) for A = [[4, 2], [2, 3]]: L = [[2, 0], [1, √2]].
    const a = f64([4, 2, 2, 3], [2, 2]);
    const g = gradOnes(apply("cholesky", [a], {}), a);
    const sym = [g[0]!, (g[1]! + g[2]!) / 2, (g[1]! + g[2]!) / 2, g[3]!];
    // Hand-derived: L11 = √a, L21 = b/√a, L22 = √(c - b²/a); d(sum L) = (1/(2√a) - b/(2a^1.5) + b²/(2a²L22)) da
    // + (1/√a - b/(a L22)) db + (1/(2 L22)) dc, with the off-diagonal shared by the symmetric pair.
    const [A, B, C] = [4, 2, 3];
    const l22 = Math.sqrt(C - (B * B) / A);
    const dA = 1 / (2 * Math.sqrt(A)) - B / (2 * A ** 1.5) + (B * B) / (2 * A * A * l22);
    const dB = 1 / Math.sqrt(A) - B / (A * l22);
    const expected = [dA, dB / 2, dB / 2, 1 / (2 * l22)];
    sym.forEach((v, i) => expect(v).to.be.closeTo(expected[i]!, 1e-12));
  });

  it("logAbsDet (either sign of the determinant), plain and batched", () => {
    checkGradients({ shapes: [[3, 3]], args: args(wellConditioned(1, 3, true)), f: op("logAbsDet", {}), runs: 10 });
    checkGradients({ shapes: [[2, 3, 3]], args: args(wellConditioned(2, 3, true)), f: op("logAbsDet", {}), runs: 10 });
  });

  it("detSign has no derivative", () => {
    const a = f64([2, 1, 1, 3], [2, 2]);
    expect(jvpNodes([apply("detSign", [a], {})], new Map([[a.node, f64([1, 0, 0, 1], [2, 2])]]))).to.deep.equal([null]);
    expect(vjpNodes([apply("detSign", [a], {})], [f64([1], [])], [a.node])).to.deep.equal([null]);
  });
});

describe("sort rules", () => {
  const sortOut = (dimension: number, numKeys: number, index: number, ...extra: Tensor[]) =>
    (...xs: Tensor[]): Tensor => apply("sort", [...xs, ...extra], { dimension, numKeys, index });

  it("the sorted keys and a carried operand, along either axis, away from ties (jvp, vjp, adjoint, second order)", () => {
    checkGradients({ shapes: [[6]], args: args(distinct(6)), f: sortOut(0, 1, 0), runs: 10 });
    checkGradients({ shapes: [[2, 3]], args: args(distinct(6)), f: sortOut(0, 1, 0), runs: 10 });
    checkGradients({ shapes: [[3, 4]], args: args(distinct(12)), f: sortOut(1, 1, 0), runs: 10 });
    // Output 1 is the second operand permuted by the first's order: differentiable in both (the key's part is 0).
    checkGradients({ shapes: [[5], [5]], args: args(distinct(5), uniform(5, -2, 2)), f: sortOut(0, 1, 1), runs: 10 });
  });

  it("an int32 key permutes a float operand; the key gets no cotangent", () => {
    const keys = ints([2, 0, 1, 0], [4]);
    checkGradients({ shapes: [[4]], args: args(uniform(4, -2, 2)), f: (x) => apply("sort", [keys, x], { dimension: 0, numKeys: 1, index: 1 }), runs: 10 });
    const x = f64([10, 20, 30, 40], [4]);
    const [gk] = vjpNodes([apply("sort", [keys, x], { dimension: 0, numKeys: 1, index: 1 })], [f64([1, 2, 3, 4], [4])], [keys.node]);
    expect(gk).to.equal(null);
  });

  it("ties: the cotangent follows the stable permutation (each position gets its own)", () => {
    // x = [1, 0, 1]: sorted [0, 1, 1] from positions [1, 0, 2]; u = [1, 2, 3] -> x̄ = [2, 1, 3].
    const x = f64([1, 0, 1], [3]);
    const [g] = vjpNodes([apply("sort", [x], { dimension: 0, numKeys: 1, index: 0 })], [f64([1, 2, 3], [3])], [x.node]);
    expect(Array.from(evaluate(g!))).to.deep.equal([2, 1, 3]);
  });
});
