/**
 * Every `prng` sampler on webgpu draws what it draws on cpu: the bits are Threefry graph ops
 * (identical), and the transforms are float32 math, so floats agree to float32 tolerances and
 * integers exactly — except where a float lands within rounding of a threshold (floor, a
 * rejection test), allowed for at most 1% of the elements.
 */
import { expect } from "chai";
import { type Tensor, np, prng, setBackend } from "kiln";
import { activeExecutor } from "kiln/internal";
import { useWebgpu } from "./env.js";

const SAMPLERS: Record<string, (k: Tensor) => Tensor> = {
  uniform: (k) => prng.uniform(k, [256]),
  normal: (k) => prng.normal(k, [256]),
  exponential: (k) => prng.exponential(k, [256]),
  cauchy: (k) => prng.cauchy(k, [256]),
  laplace: (k) => prng.laplace(k, [256]),
  gumbel: (k) => prng.gumbel(k, [256]),
  logistic: (k) => prng.logistic(k, [256]),
  maxwell: (k) => prng.maxwell(k, [256]),
  lognormal: (k) => prng.lognormal(k, 0.5, { shape: [256] }),
  rayleigh: (k) => prng.rayleigh(k, 2, { shape: [256] }),
  pareto: (k) => prng.pareto(k, 3, { shape: [256] }),
  weibullMin: (k) => prng.weibullMin(k, 1, 1.5, { shape: [256] }),
  triangular: (k) => prng.triangular(k, 0, 1, 3, { shape: [256] }),
  doubleSidedMaxwell: (k) => prng.doubleSidedMaxwell(k, 0, 1, { shape: [256] }),
  truncatedNormal: (k) => prng.truncatedNormal(k, -1, 2, { shape: [256] }),
  multivariateNormal: (k) => prng.multivariateNormal(k, [0, 1], [[1, 0.5], [0.5, 2]], { shape: [128] }),
  gamma: (k) => prng.gamma(k, np.array([0.4, 3]), { shape: [128, 2] }),
  beta: (k) => prng.beta(k, 2, 3, { shape: [256] }),
  dirichlet: (k) => prng.dirichlet(k, [1, 2, 3], { shape: [64] }),
  chisquare: (k) => prng.chisquare(k, 3, { shape: [256] }),
  t: (k) => prng.t(k, 4, { shape: [256] }),
  ball: (k) => prng.ball(k, 3, { shape: [64] }),
  bernoulli: (k) => prng.bernoulli(k, 0.3, { shape: [256] }),
  rademacher: (k) => prng.rademacher(k, [256]),
  randint: (k) => prng.randint(k, [256], -5, 50),
  geometric: (k) => prng.geometric(k, 0.2, { shape: [256] }),
  poisson: (k) => prng.poisson(k, np.array([2, 40]), { shape: [128, 2] }),
  categorical: (k) => prng.categorical(k, np.array([0.5, 1, 2, -1]), { shape: [256] }),
  permutation: (k) => prng.permutation(k, 64),
  choice: (k) => prng.choice(k, 40, { shape: [16], replace: false, p: np.divide(np.arange(1, 41), 820) }),
};

describe("webgpu: prng samplers match cpu", function () {
  this.timeout(120000);
  const key = prng.key(123);
  const cpu: Record<string, number[]> = {};
  before(async () => {
    setBackend("cpu");
    for (const [name, f] of Object.entries(SAMPLERS)) cpu[name] = Array.from(await f(key).data());
  });
  useWebgpu();

  it("every sampler", async () => {
    expect(activeExecutor().name).to.equal("webgpu");
    for (const [name, f] of Object.entries(SAMPLERS)) {
      const got = Array.from(await f(key).data());
      const want = cpu[name]!;
      expect(got.length, name).to.equal(want.length);
      const off = got.filter((g, i) => !(Math.abs(g - want[i]!) <= 1e-4 * Math.max(1, Math.abs(want[i]!)))).length;
      expect(off, `${name}: ${off} of ${got.length} differ`).to.be.at.most(Math.floor(got.length / 100));
    }
  });
});
