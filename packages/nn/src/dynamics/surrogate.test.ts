// Spike functions: the forward pass is exactly Heaviside, the backward pass is the surrogate's
// derivative formula (written here independently, in float64, from BrainState's definitions).
import { expect } from "chai";
import { DTypeError, type Tensor, ValueError, np } from "@kiln/core";
import { grad, jit, vmap } from "@kiln/transforms";
import * as surrogate from "./surrogate.js";

const f64 = (v: number[]) => np.array(v, { dtype: "float64" });
const XS = [-3, -1.2, -0.5, -1e-7, 0, 1e-7, 0.25, 0.9, 2.5];
const sig = (z: number) => 1 / (1 + Math.exp(-z));

type Case = { name: keyof typeof surrogate & surrogate.SurrogateName; opts: Record<string, number>; d: (x: number) => number };
const CASES: Case[] = [
  { name: "sigmoid", opts: {}, d: (x) => 4 * sig(4 * x) * (1 - sig(4 * x)) },
  { name: "sigmoid", opts: { alpha: 1.5 }, d: (x) => 1.5 * sig(1.5 * x) * (1 - sig(1.5 * x)) },
  { name: "fastSigmoid", opts: {}, d: (x) => 1 / (100 * Math.abs(x) + 1) ** 2 },
  { name: "fastSigmoid", opts: { alpha: 25 }, d: (x) => 1 / (25 * Math.abs(x) + 1) ** 2 },
  { name: "arctan", opts: {}, d: (x) => 0.5 / (1 + ((Math.PI / 2) * x) ** 2) },
  { name: "arctan", opts: { alpha: 3 }, d: (x) => 1.5 / (1 + ((Math.PI / 2) * 3 * x) ** 2) },
  { name: "piecewiseLinear", opts: {}, d: (x) => Math.max(0.3 * (1 - Math.abs(x)), 0) },
  { name: "piecewiseLinear", opts: { alpha: 2, width: 0.5 }, d: (x) => Math.max(2 * (0.5 - Math.abs(x)), 0) },
  { name: "gaussian", opts: {}, d: (x) => (0.5 * Math.exp(-(x * x) / (2 * 0.25))) / (Math.sqrt(2 * Math.PI) * 0.5) },
  { name: "gaussian", opts: { sigma: 2, alpha: 1 }, d: (x) => Math.exp(-(x * x) / 8) / (Math.sqrt(2 * Math.PI) * 2) },
];

describe("nn.surrogate spike functions", () => {
  for (const { name, opts, d } of CASES) {
    const label = `${name}(${JSON.stringify(opts)})`;
    it(`${label}: forward is exactly Heaviside (x >= 0), gradient is the derivative formula`, () => {
      const fn = surrogate[name] as (x: Tensor, o: object) => Tensor;
      const x = f64(XS);
      const y = fn(x, opts);
      expect(y.dtype).to.equal("float64");
      expect(Array.from(y.dataSync())).to.deep.equal(XS.map((v) => (v >= 0 ? 1 : 0)));
      // Weighted sum: the cotangent reaching each element differs, so a rule that ignored it fails.
      const w = XS.map((_, i) => i + 1);
      const g = grad((v: Tensor) => fn(v, opts).mul(f64(w)).sum())(x) as Tensor;
      Array.from(g.dataSync()).forEach((gi, i) => expect(gi, `x = ${XS[i]}`).to.be.closeTo(w[i]! * d(XS[i]!), 1e-12 * (1 + Math.abs(gi))));
    });
  }

  it("superSpike is fastSigmoid", () => {
    expect(surrogate.superSpike).to.equal(surrogate.fastSigmoid);
  });

  it("the gaussian is the normal density BrainState documents (not its exp(-x²σ²/2) slip)", () => {
    const g = grad((v: Tensor) => surrogate.gaussian(v, { sigma: 0.5, alpha: 0.5 }).sum())(f64([1])) as Tensor;
    expect(g.dataSync()[0]).to.be.closeTo((0.5 * Math.exp(-2)) / (Math.sqrt(2 * Math.PI) * 0.5), 1e-14);
  });

  it("works under jit and vmap as eagerly (float32)", () => {
    const x = np.array([[-0.4, 0.1, 0.7], [0.3, -0.2, -2]]);
    const f = (v: Tensor) => surrogate.sigmoid(v.mul(v).sub(0.1)).sum();
    const eager = (grad(f)(x) as Tensor).toArraySync();
    const jitted = (jit(grad(f))(x) as Tensor).toArraySync();
    const mapped = (vmap(grad(f))(x) as Tensor).toArraySync();
    expect(jitted).to.deep.equal(eager);
    (mapped as number[][]).flat().forEach((v, i) => expect(v).to.be.closeTo((eager as number[][]).flat()[i]!, 1e-6));
    const expected = [[-0.4, 0.1, 0.7], [0.3, -0.2, -2]].flat().map((v) => 2 * v * 4 * sig(4 * (v * v - 0.1)) * (1 - sig(4 * (v * v - 0.1))));
    (eager as number[][]).flat().forEach((v, i) => expect(v).to.be.closeTo(expected[i]!, 1e-6));
  });

  it("spike(x, surrogateGrad) takes a user's derivative (SLAYER's exp(-|x|))", () => {
    const x = f64([-1, 0.5]);
    const y = surrogate.spike(x, (v) => np.exp(v.abs().neg()));
    expect(Array.from(y.dataSync())).to.deep.equal([0, 1]);
    const g = grad((v: Tensor) => surrogate.spike(v, (u) => np.exp(u.abs().neg())).sum())(x) as Tensor;
    expect(Array.from(g.dataSync())).to.deep.equal([Math.exp(-1), Math.exp(-0.5)]);
  });

  it("bad input: typed errors naming the parameter or the dtype", () => {
    const x = np.array([0.5]);
    expect(() => surrogate.sigmoid(x, { alpha: -1 })).to.throw(ValueError, /surrogate\.sigmoid: alpha must be a positive finite number, got number -1/);
    expect(() => surrogate.piecewiseLinear(x, { width: Number.NaN })).to.throw(ValueError, /width must be a positive finite number/);
    expect(() => surrogate.arctan(x, { beta: 1 } as never)).to.throw(ValueError, /surrogate\.arctan: unknown option 'beta'; its options are alpha/);
    expect(() => surrogate.gaussian(x, 3 as never)).to.throw(ValueError, /options must be an object/);
    expect(() => surrogate.sigmoid(np.array([1, 2], { dtype: "int32" }))).to.throw(DTypeError, /must be a float Tensor, got int32/);
    expect(() => surrogate.spike(x, 1 as never)).to.throw(ValueError, /surrogateGrad must be a function/);
  });
});
