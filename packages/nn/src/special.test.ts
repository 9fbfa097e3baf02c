import { expect } from "chai";
import { np } from "@kiln/core";
import { erf, erfc, erfinv } from "./special.js";
import { gelu } from "./activations.js";

// Independent float64 references: the Maclaurin series of erf (|x| < 3, cancellation ≤ 1e-12)
// and the Laplace continued fraction of erfc (x ≥ 3, evaluated by Lentz's method).
function erfRef(x: number): number {
  const z = Math.abs(x);
  if (z >= 3) return Math.sign(x) * (1 - erfcRef(z));
  let term = z, sum = z;
  for (let n = 1; n < 200; n++) {
    term *= (-z * z) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-18 * Math.abs(sum)) break;
  }
  return (Math.sign(x) * 2 * sum) / Math.sqrt(Math.PI);
}
function erfcRef(x: number): number {
  if (x < 3) return 1 - erfRef(x);
  let f = x, c = x, d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = 1 / (x + a * d);
    c = x + a / c;
    f *= c * d;
    if (Math.abs(c * d - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

function maxRelErr(actual: ArrayLike<number>, expected: readonly number[]): number {
  let worst = 0;
  expected.forEach((e, i) => {
    const err = e === 0 ? Math.abs(actual[i]!) : Math.abs(actual[i]! - e) / Math.abs(e);
    worst = Math.max(worst, err);
  });
  return worst;
}

const grid = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

describe("erf / erfc / erfinv (composed from primitives)", () => {
  it("the references agree with known values", () => {
    expect(erfRef(1)).to.be.closeTo(0.8427007929497149, 1e-15);
    expect(erfcRef(5) / 1.5374597944280349e-12).to.be.closeTo(1, 1e-13);
  });

  it("erf is accurate to 1.5e-7 relative on [-6, 6] (float64 inputs show the approximation error)", () => {
    const xs = [...grid(-6, 6, 2401), 1e-6, -1e-4, 0.999999, 1.000001];
    const got = erf(np.array(xs, { dtype: "float64" })).dataSync();
    expect(maxRelErr(got, xs.map(erfRef))).to.be.lessThan(1.5e-7);
    expect(erf(np.array(xs, { dtype: "float64" })).dtype).to.equal("float64");
  });

  it("erfc keeps its relative accuracy in the far tail (no 1 − erf cancellation)", () => {
    const xs = [...grid(-3, 9, 1201), 15, 20];
    const got = erfc(np.array(xs, { dtype: "float64" })).dataSync();
    expect(maxRelErr(got, xs.map(erfcRef))).to.be.lessThan(1.5e-7);
    // float32: erfc(9) = 4.14e-37 is representable and still accurate.
    expect(erfc(np.array([9])).dataSync()[0]! / erfcRef(9)).to.be.closeTo(1, 1e-6);
  });

  it("edge values: 0, ±inf, NaN; integer inputs become float32", () => {
    expect(Array.from(erf(np.array([0, Infinity, -Infinity, NaN])).dataSync())).to.deep.equal([0, 1, -1, NaN]);
    expect(Array.from(erfc(np.array([Infinity, -Infinity])).dataSync())).to.deep.equal([0, 2]);
    const i = erf(np.array([1], { dtype: "int32" }));
    expect(i.dtype).to.equal("float32");
    expect(i.dataSync()[0]).to.be.closeTo(0.8427008, 1e-7);
    expect(erf(np.zeros([0, 3])).shape).to.deep.equal([0, 3]);
    expect(erf(0.5).shape).to.deep.equal([]);
  });

  it("erfinv inverts erf to 1.5e-7 relative, ±inf at ±1, NaN outside", () => {
    const ys = grid(-3.5, 3.5, 701).filter((y) => y !== 0);
    const got = erfinv(np.array(ys.map(erfRef), { dtype: "float64" })).dataSync();
    expect(maxRelErr(got, ys)).to.be.lessThan(1.5e-7);
    const edge = Array.from(erfinv(np.array([1, -1, 0, 1.5])).dataSync());
    expect(edge).to.deep.equal([Infinity, -Infinity, 0, NaN]);
  });

  it("exact GELU = x·Φ(x) against the float64 formula, relative 2e-7 even deep in the negative tail", () => {
    const xs = [...grid(-12, 6, 721)];
    const ref = xs.map((x) => 0.5 * x * erfcRef(-x / Math.SQRT2));
    const got = gelu(np.array(xs, { dtype: "float64" }), { approximate: false }).dataSync();
    expect(maxRelErr(got, ref)).to.be.lessThan(2e-7);
    expect(gelu(np.array([1]), { approximate: false }).dataSync()[0]).to.be.closeTo(0.8413447460685429, 1e-7);
  });
});
