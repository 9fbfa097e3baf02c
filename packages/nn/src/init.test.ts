import { expect } from "chai";
import { type Tensor, ValueError, np, random } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import {
  Constant, KaimingNormal, KaimingUniform, Normal, Orthogonal, Uniform, VarianceScaling, XavierNormal, XavierUniform, computeFans,
} from "./init.js";

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

describe("init", () => {
  beforeEach(() => random.seed(2024));

  it("Constant fills; dtype option; zero-size shapes", () => {
    expectClose(new Constant(0.5).call([2, 2]), [[0.5, 0.5], [0.5, 0.5]]);
    expectClose(new Constant().call([3]), [0, 0, 0]);
    expect(new Constant(1).call([2], { dtype: "float64" }).dtype).to.equal("float64");
    expect(new Constant(1).call([0, 4]).shape).to.deep.equal([0, 4]);
    expect(new Constant(2).call([]).toArraySync()).to.equal(2);
  });

  it("Normal and Uniform have the requested moments and support", () => {
    // 4000 samples: tolerances are ~5 standard errors of each estimate.
    const n = stats(new Normal({ mean: 1, scale: 0.5 }).call([40, 100]));
    expect(n.mean).to.be.closeTo(1, 0.04);
    expect(n.std).to.be.closeTo(0.5, 0.03);
    const u = stats(new Uniform({ minVal: -2, maxVal: 1 }).call([4000]));
    expect(u.min).to.be.at.least(-2);
    expect(u.max).to.be.lessThan(1);
    expect(u.mean).to.be.closeTo(-0.5, 0.07);
    expect(u.std).to.be.closeTo(3 / Math.sqrt(12), 0.05);
  });

  it("the same seed gives the same weights; successive calls differ", () => {
    random.seed(7);
    const a = new KaimingNormal().call([4, 4]).dataSync();
    const b = new KaimingNormal().call([4, 4]).dataSync();
    random.seed(7);
    const c = new KaimingNormal().call([4, 4]).dataSync();
    expect(Array.from(a)).to.deep.equal(Array.from(c));
    expect(Array.from(a)).to.not.deep.equal(Array.from(b));
  });

  it("computeFans: in/out axes times the receptive field (BrainState/JAX)", () => {
    expect(computeFans([3, 4], -2, -1, "t")).to.deep.equal([3, 4]);
    expect(computeFans([5, 5, 3, 8], -2, -1, "t")).to.deep.equal([75, 200]);
    expect(computeFans([2, 3, 4], 0, 2, "t")).to.deep.equal([6, 12]);
    expect(() => computeFans([5], -2, -1, "init.KaimingNormal")).to.throw(ValueError, /init.KaimingNormal: cannot compute fans of shape \[5\]/);
  });

  it("Kaiming/Xavier presets: variance scale / fan, truncated normals bounded at 2 std", () => {
    const shape = [100, 50]; // fanIn 100, fanOut 50; 5000 samples: std within 4 standard errors
    const cases: [Tensor, number, "trunc" | "uniform"][] = [
      [new KaimingNormal().call(shape), Math.sqrt(2 / 100), "trunc"],
      [new KaimingUniform().call(shape), Math.sqrt(2 / 100), "uniform"],
      [new XavierNormal().call(shape), Math.sqrt(1 / 75), "trunc"],
      [new XavierUniform().call(shape), Math.sqrt(1 / 75), "uniform"],
    ];
    for (const [t, std, kind] of cases) {
      const s = stats(t);
      expect(s.mean).to.be.closeTo(0, 0.07 * std);
      expect(s.std / std).to.be.closeTo(1, 0.04);
      const bound = kind === "trunc" ? (2 * std) / 0.87962566103423978 : Math.sqrt(3) * std;
      expect(Math.max(-s.min, s.max)).to.be.at.most(bound + 1e-6);
      expect(Math.max(-s.min, s.max)).to.be.greaterThan(0.9 * bound);
    }
  });

  it("VarianceScaling options: mode, distribution, axes", () => {
    const s = stats(new VarianceScaling({ scale: 3, mode: "fanOut", distribution: "normal" }).call([20, 300]));
    expect(s.std).to.be.closeTo(Math.sqrt(3 / 300), 0.04 * Math.sqrt(3 / 300));
    const t = stats(new KaimingNormal({ inAxis: 0, outAxis: 1, mode: "fanOut" }).call([10, 200, 2])); // fanOut 200·2
    expect(t.std).to.be.closeTo(Math.sqrt(2 / 400), 0.05 * Math.sqrt(2 / 400));
    expect(new KaimingNormal().call([0, 5]).shape).to.deep.equal([0, 5]);
    expect(() => new VarianceScaling({ mode: "fan_in" as never })).to.throw(ValueError, /mode must be "fanIn", "fanOut" or "fanAvg", got fan_in/);
    expect(() => new XavierUniform({ distribution: "cauchy" as never })).to.throw(ValueError, /init.XavierUniform: distribution must be/);
    expect(() => new KaimingNormal({ scale: -1 })).to.throw(ValueError, /scale must be a finite number ≥ 0/);
    expect(() => new KaimingUniform().call([4])).to.throw(ValueError, /a weight needs rank ≥ 2/);
  });

  function gram(q: Tensor, rows: boolean): number[][] {
    return (rows ? q.matmul(q.T) : q.T.matmul(q)).toArraySync() as number[][];
  }
  const eye = (n: number, s = 1) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? s * s : 0)));

  it("Orthogonal: orthonormal columns (tall), rows (wide), scaled", () => {
    const tall = new Orthogonal().call([12, 5]);
    expectClose(gram(tall, false), eye(5), { atol: 2e-6 });
    const wide = new Orthogonal({ scale: 2 }).call([3, 8]);
    expectClose(gram(wide, true), eye(3, 2), { atol: 1e-5 });
    const square = new Orthogonal().call([16, 16]);
    expectClose(gram(square, false), eye(16), { atol: 3e-6 });
    expectClose(gram(square, true), eye(16), { atol: 3e-6 });
  });

  it("Orthogonal with rank 3 and another column axis: the flattened matrix is orthonormal", () => {
    const q = new Orthogonal({ axis: 0 }).call([3, 2, 4]); // 3 columns, 8 rows
    expect(q.shape).to.deep.equal([3, 2, 4]);
    const m = np.moveaxis(q, 0, -1).reshape([8, 3]);
    expectClose(gram(m, false), eye(3), { atol: 2e-6 });
  });

  it("Orthogonal errors and zero-size shapes", () => {
    expect(() => new Orthogonal().call([5])).to.throw(ValueError, /rank ≥ 2/);
    expect(() => new Orthogonal({ axis: 3 }).call([2, 2])).to.throw(ValueError, /column axis 3/);
    expect(new Orthogonal().call([0, 3]).shape).to.deep.equal([0, 3]);
  });

  it("bad arguments are ValueErrors", () => {
    expect(() => new Constant(NaN)).to.throw(ValueError, /init.Constant: value must be a finite number/);
    expect(() => new Normal({ scale: -1 })).to.throw(ValueError, /scale must be a finite number ≥ 0/);
    expect(() => new Uniform({ minVal: 1, maxVal: 0 })).to.throw(ValueError, /maxVal must be a finite number ≥ 1/);
    expect(() => new Constant(1).call([2, -1])).to.throw(ValueError, /a shape is an array of non-negative integers, got \[2,-1\]/);
    expect(() => new Normal().call(3 as never)).to.throw(ValueError, /a shape is an array/);
  });
});
