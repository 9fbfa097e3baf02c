/**
 * The eigh rules (rules/linalg-eigh.ts) against finite differences on symmetric-ish matrices with
 * well-separated eigenvalues (dominant distinct diagonal, so no ties and no sign flips of the
 * eigenvectors near the sample), plus JAX's behaviour at a repeated eigenvalue.
 */
import { expect } from "chai";
import fc from "fast-check";
import { type Tensor, npUtil } from "@kiln/core";
import { jvpNodes, vjpNodes } from "../derive.js";
import { args, checkGradients, evaluate, f64, uniform } from "./gradcheck.test-util.js";

const { apply } = npUtil;
const eighOut = (index: number) => (x: Tensor): Tensor => apply("eigh", [x], { index });

/** b matrices n×n: diagonal 0, 3, 6, ... plus entries in [-0.5, 0.5] (Gershgorin discs disjoint). */
const separated = (b: number, n: number) =>
  uniform(b * n * n, -0.5, 0.5).map((v) => v.map((x, i) => (Math.floor(i / n) % n === i % n ? x + 3 * (i % n) : x)));

describe("eigh rules", () => {
  it("eigenvalues and eigenvectors against finite differences (jvp, vjp, second order)", () => {
    for (const index of [0, 1]) {
      checkGradients({ shapes: [[3, 3]], args: args(separated(1, 3)), f: eighOut(index), runs: 8 });
      checkGradients({ shapes: [[2, 2, 2]], args: args(separated(2, 2)), f: eighOut(index), runs: 5 });
    }
  });

  it("only the lower triangle is read: the cotangent of the upper triangle is zero", () => {
    const a = f64([1, 0.5, 0.2, 0.3, 4, 0.1, 0.7, 0.9, 7], [3, 3]);
    for (const index of [0, 1]) {
      const out = eighOut(index)(a);
      const [g] = vjpNodes([out], [f64(new Array(out.size).fill(1), out.shape)], [a.node]);
      const gv = evaluate(g!);
      for (const k of [1, 2, 5]) expect(gv[k], `index ${index} entry ${k}`).to.equal(0);
    }
  });

  it("the eigenvalue derivative of a diagonal matrix is the diagonal of the tangent (2×2 closed form)", () => {
    const a = f64([1, 0, 0, 3], [2, 2]);
    const [t] = jvpNodes([eighOut(0)(a)], new Map([[a.node, f64([0.5, 9, 2, -1], [2, 2])]]));
    // dw = diag(Vᵀ S V) with V = I and S read from the lower triangle: [0.5, -1].
    expect(Array.from(evaluate(t!))).to.deep.equal([0.5, -1]);
  });

  it("a repeated eigenvalue gives non-finite eigenvector derivatives, finite eigenvalue ones (as JAX)", () => {
    const a = f64([2, 0, 0, 2], [2, 2]);
    const tan = new Map([[a.node, f64([0.1, 0, 0.3, 0.2], [2, 2])]]);
    const [tw] = jvpNodes([eighOut(0)(a)], tan);
    expect(Array.from(evaluate(tw!)).every(Number.isFinite)).to.equal(true);
    const [tv] = jvpNodes([eighOut(1)(a)], tan);
    expect(Array.from(evaluate(tv!)).some((v) => !Number.isFinite(v))).to.equal(true);
  });

  it("vjp and jvp are transposes of each other at random points", () => {
    fc.assert(fc.property(separated(1, 3), (m) => {
      const a = f64(m, [3, 3]);
      const out = eighOut(1)(a);
      const u = f64(m.map((_, i) => Math.sin(i + 1)), [3, 3]), v = f64(m.map((_, i) => Math.cos(2 * i)), [3, 3]);
      const [g] = vjpNodes([out], [u], [a.node]);
      const [t] = jvpNodes([out], new Map([[a.node, v]]));
      const lhs = evaluate(g!).reduce((s, x, i) => s + x * evaluate(v)[i]!, 0);
      const rhs = evaluate(t!).reduce((s, x, i) => s + x * evaluate(u)[i]!, 0);
      expect(lhs).to.be.closeTo(rhs, 1e-9 * (1 + Math.abs(lhs)));
    }), { numRuns: 10 });
  });
});
