/**
 * np.roots: NumPy 2.4's roots (pasted, in kiln's documented order), recovery of random real roots
 * from expanded coefficients, residuals |P(r)| of random polynomials (fast-check), leading zeros
 * with and without stripping, gradients against finite differences, vmap, jit and typed errors.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ConcretizationError, ValueError, type Tensor, jit, np, vmap } from "kiln";
import { checkGradFd, expectClose } from "./util.js";

const f64 = (v: readonly number[]) => np.array([...v], { dtype: "float64" });
const vals = (t: Tensor): number[] => Array.from(t.dataSync());

/** Coefficients (highest first) of Π (x − r_i). */
function expand(rs: readonly number[]): number[] {
  let c = [1];
  for (const r of rs) c = [...c, 0].map((v, i) => v - (i > 0 ? r * c[i - 1]! : 0));
  return c;
}

describe("np.roots", () => {
  it("NumPy's roots (numpy 2.4 np.roots, reordered by decreasing real then imaginary part)", () => {
    const a = np.roots(f64([2, -3, 0.5, 4, -1]));
    expectClose(a.re, [1.1050374159306453, 1.1050374159306453, 0.25205028518103684, -0.9621251170423284], { atol: 1e-12 });
    expectClose(a.im, [0.916904975533701, -0.916904975533701, 0, 0], { atol: 1e-12 });
    const b = np.roots(f64([3, 1, 4, 1, 5, 9, 2, 6]));
    expectClose(b.re, [0.8846671959586403, 0.8846671959586403, 0.02465433302130987, 0.02465433302130987, -0.5363352663214533, -0.5363352663214533, -1.0793058586503261], { atol: 1e-12 });
    expectClose(b.im, [0.8866319720089346, -0.8866319720089346, 0.818067006319838, -0.818067006319838, 1.2148159807398136, -1.2148159807398136, 0], { atol: 1e-12 });
    const c = np.roots([1, 0, 1]);
    expect(c.re.dtype).to.equal("float32");
    expectClose(c.im, [1, -1], { atol: 1e-6 });
  });

  it("recovers random distinct real roots; random polynomials have small residuals (properties)", () => {
    const distinct = fc.uniqueArray(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 7 }).map((ks) => ks.map((k) => k / 4));
    fc.assert(fc.property(distinct, (rs) => {
      const got = np.roots(f64(expand(rs)));
      const want = [...rs].sort((x, y) => y - x);
      vals(got.re).forEach((v, i) => expect(v, `root ${i} of ${rs}`).to.be.closeTo(want[i]!, 1e-6 * (1 + Math.abs(want[i]!))));
      vals(got.im).forEach((v) => expect(Math.abs(v)).to.be.below(1e-6));
    }), { numRuns: 40, seed: 15 });
    const coeffs = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 2, maxLength: 9 }).filter((c) => Math.abs(c[0]!) > 0.1);
    fc.assert(fc.property(coeffs, (c) => {
      const r = np.roots(f64(c)), re = vals(r.re), im = vals(r.im);
      re.forEach((x, j) => {
        // |P(r)| by complex Horner, against the size of the terms.
        let pr = 0, pi = 0, scale = 0;
        const mod = Math.hypot(x, im[j]!);
        c.forEach((ck, k) => {
          [pr, pi] = [pr * x - pi * im[j]! + ck, pr * im[j]! + pi * x];
          scale += Math.abs(ck) * mod ** (c.length - 1 - k);
        });
        expect(Math.hypot(pr, pi), `|P(r_${j})| for ${c}`).to.be.below(1e-9 * scale + 1e-12);
      });
    }), { numRuns: 60, seed: 16 });
  });

  it("leading zeros: stripped by default, trailing NaN roots with stripZeros: false; short inputs are empty", () => {
    expectClose(np.roots(f64([0, 0, 1, -2])).re, [2], { atol: 1e-14 });
    const kept = np.roots(f64([0, 1, -2]), { stripZeros: false });
    expect(vals(kept.re)[0]).to.be.closeTo(2, 1e-14);
    expect(Number.isNaN(vals(kept.re)[1]!) && Number.isNaN(vals(kept.im)[1]!)).to.equal(true);
    for (const p of [[0, 0], [5], []]) expect(np.roots(f64(p)).re.shape, JSON.stringify(p)).to.deep.equal([0]);
    expectClose(np.roots(f64([1, -3, 2, 0])).re, [2, 1, 0], { atol: 1e-14 });
  });

  it("gradients at simple roots match finite differences; vmap and jit agree (stripZeros: false)", () => {
    const base = f64([1, -6, 11, -6]);
    checkGradFd("roots re", (x) => np.roots(np.add(np.multiply(x, 0.05), base), { stripZeros: false }).re, [4]);
    const pair = f64([1, -2, 5]);
    checkGradFd("roots im", (x) => np.roots(np.add(np.multiply(x, 0.05), pair), { stripZeros: false }).im, [3]);
    const batch = np.reshape(f64([1, -6, 11, -6, 1, -1, -4, -6]), [2, 4]);
    const mapped = vmap((c: Tensor) => np.roots(c, { stripZeros: false }))(batch) as { re: Tensor; im: Tensor };
    expectClose(mapped.re, [[3, 2, 1], [3, -1, -1]], { atol: 1e-12 });
    expectClose(mapped.im, [[0, 0, 0], [0, 1, -1]], { atol: 1e-12 });
    expectClose(jit((c: Tensor) => np.roots(c, { stripZeros: false }).re)(base) as Tensor, [3, 2, 1], { atol: 1e-12 });
    expect(() => jit((c: Tensor) => np.roots(c).re)(base)).to.throw(ConcretizationError, /stripZeros: false/);
  });

  it("bad input is a typed error", () => {
    expect(() => np.roots(np.ones([2, 2]))).to.throw(ValueError, /1-D/);
    expect(() => np.roots(np.fft.complex([1, 2]) as never)).to.throw(ValueError, /real/);
    expect(() => np.roots([1, 2], { stripZeros: 1 as never })).to.throw(ValueError);
  });
});
