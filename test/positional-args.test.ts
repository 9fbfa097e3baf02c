/**
 * JAX/NumPy calling conventions: every function in POSITIONAL_PARAMS accepts its NumPy positional
 * parameters (after its required arguments) with the same result as the options form, rejects
 * extra or ill-typed positional values with a typed error, and never drops one silently (the bug:
 * `x.sum([0, 2], { keepdims: true })` lost keepdims, `np.trapezoid(y, x)` ignored x,
 * `lax.topK(x, 3, 0)` ignored the axis).
 */
import { expect } from "chai";
import { Tensor, ValueError, grad, jit, lax, nn, np, prng, vmap } from "kiln";
import { type PositionalName, positionalOptions } from "../packages/core/src/np/positional.js";
import { SIGNATURES } from "../packages/core/src/np/signatures.js";

const x3 = np.arange(24).reshape([2, 3, 4]);
const m = np.array([[1, 5, 2], [4, 0, 3]]);
const v = np.array([1, 2, 4, 7, 0]);
const k = prng.key(7);
/** A function as JS sees it (any arguments): for calls TypeScript rejects. */
const loose = (f: unknown) => f as (...args: unknown[]) => unknown;
const read = (t: unknown): unknown => (Array.isArray(t) ? t.map(read) : t instanceof Tensor ? t.toArraySync() : t);

/**
 * One call per table entry: the positional form and the equivalent options form. Typed as the
 * table's keys, so a function added to the table without a case here is a compile error.
 */
const CASES: { readonly [K in PositionalName]: readonly [positional: () => unknown, options: () => unknown] } = {
  sum: [() => x3.sum([0, 2], null, null, true), () => np.sum(x3, { axis: [0, 2], keepdims: true })],
  prod: [() => np.prod(m, 1, "int32"), () => np.prod(m, { axis: 1, dtype: "int32" })],
  mean: [() => np.mean(x3, 1, null, null, true), () => np.mean(x3, { axis: 1, keepdims: true })],
  var: [() => np.var(m, 1, null, null, 1), () => np.var(m, { axis: 1, ddof: 1 })],
  std: [() => m.std(0, null, null, 0, true), () => np.std(m, { axis: 0, keepdims: true })],
  max: [() => np.max(m, 0, null, true), () => np.max(m, { axis: 0, keepdims: true })],
  min: [() => m.min(1, null, true), () => np.min(m, { axis: 1, keepdims: true })],
  all: [() => np.all(m, 1, null, true), () => np.all(m, { axis: 1, keepdims: true })],
  any: [() => np.any(m, [0, 1]), () => np.any(m, { axis: [0, 1] })],
  argmax: [() => np.argmax(m, 1, null, true), () => np.argmax(m, { axis: 1, keepdims: true })],
  argmin: [() => m.argmin(0), () => np.argmin(m, { axis: 0 })],
  logsumexp: [() => np.logsumexp(m, 1, null, true), () => np.logsumexp(m, { axis: 1, keepdims: true })],
  cumsum: [() => np.cumsum(m, 1, "float32"), () => np.cumsum(m, { axis: 1, dtype: "float32" })],
  cumprod: [() => np.cumprod(m, 0), () => np.cumprod(m, { axis: 0 })],
  nansum: [() => np.nansum(m, 0, null, null, true), () => np.nansum(m, { axis: 0, keepdims: true })],
  nanmean: [() => np.nanmean(m, 1), () => np.nanmean(m, { axis: 1 })],
  nanmax: [() => np.nanmax(m, 1, null, true), () => np.nanmax(m, { axis: 1, keepdims: true })],
  nanmin: [() => np.nanmin(m, 0), () => np.nanmin(m, { axis: 0 })],
  countNonzero: [() => np.countNonzero(m, 1, true), () => np.countNonzero(m, { axis: 1, keepdims: true })],
  average: [() => np.average(m, 1, [1, 2, 3]), () => np.average(m, { axis: 1, weights: [1, 2, 3] })],
  diff: [() => np.diff(m, 1, 0), () => np.diff(m, { n: 1, axis: 0 })],
  trapezoid: [() => np.trapezoid(v, [0, 1, 3, 4, 8]), () => np.trapezoid(v, { x: [0, 1, 3, 4, 8] })],
  cov: [() => np.cov(m, [0, 2], false, true, 0), () => np.cov(m, { y: [0, 2], rowvar: false, bias: true, ddof: 0 })],
  corrcoef: [() => np.corrcoef(m, [0, 2, 1], true), () => np.corrcoef(m, { y: [0, 2, 1], rowvar: true })],
  split: [() => np.split(x3, 2, 2), () => np.split(x3, 2, { axis: 2 })],
  arraySplit: [() => np.arraySplit(x3, 3, -1), () => np.arraySplit(x3, 3, { axis: -1 })],
  unstack: [() => np.unstack(m, 1), () => np.unstack(m, { axis: 1 })],
  concatenate: [() => np.concatenate([m, m], 1), () => np.concatenate([m, m], { axis: 1 })],
  stack: [() => np.stack([m, m], -1), () => np.stack([m, m], { axis: -1 })],
  append: [() => np.append(m, m, 0), () => np.append(m, m, { axis: 0 })],
  roll: [() => np.roll(m, 1, 1), () => np.roll(m, 1, { axis: 1 })],
  repeat: [() => np.repeat(m, 2, 0), () => np.repeat(m, 2, { axis: 0 })],
  sort: [() => np.sort(m, 0), () => np.sort(m, { axis: 0 })],
  argsort: [() => m.argsort(0), () => np.argsort(m, { axis: 0 })],
  take: [() => np.take(m, [2, 0], 1), () => np.take(m, [2, 0], { axis: 1 })],
  diagonal: [() => np.diagonal(x3, 1, 1, 2), () => np.diagonal(x3, { offset: 1, axis1: 1, axis2: 2 })],
  trace: [() => np.trace(x3, 0, 1, 2), () => np.trace(x3, { axis1: 1, axis2: 2 })],
  tri: [() => np.tri(3, 4, 1, "int32"), () => np.tri(3, 4, { k: 1, dtype: "int32" })],
  vander: [() => np.vander([1, 2, 3], 4, true), () => np.vander([1, 2, 3], { N: 4, increasing: true })],
  unwrap: [() => np.unwrap([0, 1, 4, 9], null, -1, 4), () => np.unwrap([0, 1, 4, 9], { period: 4 })],
  amax: [() => np.amax(m, 0, null, true), () => np.amax(m, { axis: 0, keepdims: true })],
  amin: [() => np.amin(m, -1), () => np.amin(m, { axis: -1 })],
  angle: [() => np.angle([-1, 2], true), () => np.angle([-1, 2], { deg: true })],
  setdiff1d: [() => np.setdiff1d([3, 1, 2], [2], true), () => np.setdiff1d([3, 1, 2], [2], { assumeUnique: true })],
  setxor1d: [() => np.setxor1d([3, 1, 2], [2, 4], false), () => np.setxor1d([3, 1, 2], [2, 4], { assumeUnique: false })],
  intersect1d: [() => np.intersect1d([3, 1, 2], [2, 3], false, true), () => np.intersect1d([3, 1, 2], [2, 3], { returnIndices: true })],
  insert: [() => np.insert(m, 1, 9, 1), () => np.insert(m, 1, 9, { axis: 1 })],
  delete: [() => np.delete(m, 0, 0), () => np.delete(m, 0, { axis: 0 })],
  compress: [() => np.compress([true, false], m, 0), () => np.compress([true, false], m, { axis: 0 })],
  put: [() => np.put(m, [7], 5, "clip"), () => np.put(m, [7], 5, { mode: "clip" })],
  choose: [() => np.choose([0, 3], [1, 2], "wrap"), () => np.choose([0, 3], [1, 2], { mode: "wrap" })],
  packbits: [() => np.packbits([[1, 0], [1, 1]], 1, "little"), () => np.packbits([[1, 0], [1, 1]], { axis: 1, bitorder: "little" })],
  unpackbits: [() => np.unpackbits(np.array([[3]], { dtype: "uint8" }), 1, 4), () => np.unpackbits(np.array([[3]], { dtype: "uint8" }), { axis: 1, count: 4 })],
  histogramBinEdges: [() => np.histogramBinEdges([1, 2], 2, [0, 4]), () => np.histogramBinEdges([1, 2], 2, { range: [0, 4] })],
  histogramdd: [() => np.histogramdd([[1, 2], [0, 1]], 2, null, [1, 2], true)[0], () => np.histogramdd([[1, 2], [0, 1]], 2, { weights: [1, 2], density: true })[0]],
  histogram2d: [() => np.histogram2d([1, 2], [0, 1], 2, [[0, 2], [0, 2]])[0], () => np.histogram2d([1, 2], [0, 1], 2, { range: [[0, 2], [0, 2]] })[0]],
  polyfit: [() => np.polyfit([0, 1, 2], [1, 2, 4], 1, null, false, [1, 2, 1]), () => np.polyfit([0, 1, 2], [1, 2, 4], 1, { w: [1, 2, 1] })],
  convolve: [() => np.convolve([1, 2, 3], [0, 1, 0.5], "same"), () => np.convolve([1, 2, 3], [0, 1, 0.5], { mode: "same" })],
  correlate: [() => np.correlate([1, 2, 3], [0, 1, 0.5], "full"), () => np.correlate([1, 2, 3], [0, 1, 0.5], { mode: "full" })],
  linspace: [() => np.linspace(0, 1, 4, false), () => np.linspace(0, 1, 4, { endpoint: false })],
  logspace: [() => np.logspace(0, 3, 4, true, 2), () => np.logspace(0, 3, 4, { base: 2 })],
  geomspace: [() => np.geomspace(1, 1000, 3, false), () => np.geomspace(1, 1000, 3, { endpoint: false })],
  "fft.fft": [() => read(np.fft.fft(m, 4, 0).re), () => read(np.fft.fft(m, { n: 4, axis: 0 }).re)],
  "fft.ifft": [() => read(np.fft.ifft(m, null, 0).im), () => read(np.fft.ifft(m, { axis: 0 }).im)],
  "lax.topK": [() => lax.topK(m, 1, 0), () => [np.max(m, { axis: 0, keepdims: true }), np.argmax(m, { axis: 0, keepdims: true })]],
  convGeneralDilated: [
    () => lax.convGeneralDilated(np.ones([1, 1, 5]), np.ones([1, 1, 3]), [2], [[1, 1]], null, [1]),
    () => lax.convGeneralDilated(np.ones([1, 1, 5]), np.ones([1, 1, 3]), { windowStrides: [2], padding: [[1, 1]], rhsDilation: [1] }),
  ],
  vmap: [() => vmap((a: Tensor, b: Tensor) => a.mul(b).sum(), [0, null])(m, np.array([1, 2, 3])), () => vmap((a: Tensor, b: Tensor) => a.mul(b).sum(), { inAxes: [0, null] })(m, np.array([1, 2, 3]))],
  softmax: [() => nn.softmax(m, [0, 1]), () => nn.softmax(m, { axis: [0, 1] })],
  logSoftmax: [() => nn.logSoftmax(m, 0), () => nn.logSoftmax(m, { axis: 0 })],
  // jax.random: (key, ..., shape, dtype, ...) in JAX's order
  "prng.uniform": [() => prng.uniform(k, [3], "float32", -2, 5), () => prng.uniform(k, [3], { minval: -2, maxval: 5 })],
  "prng.normal": [() => prng.normal(k, [2], "float32"), () => prng.normal(k, [2], { dtype: "float32" })],
  "prng.bernoulli": [() => prng.bernoulli(k, 0.3, [4]), () => prng.bernoulli(k, 0.3, { shape: [4] })],
  "prng.categorical": [() => prng.categorical(k, np.zeros([2, 3]), 0, [2, 3], false), () => prng.categorical(k, np.zeros([2, 3]), { axis: 0, shape: [2, 3], replace: false })],
  "prng.choice": [() => prng.choice(k, 10, [3], false), () => prng.choice(k, 10, { shape: [3], replace: false })],
  "prng.permutation": [() => prng.permutation(k, m, 1, true), () => prng.permutation(k, m, { axis: 1, independent: true })],
  "prng.randint": [() => prng.randint(k, [4], 0, 9, "int32"), () => prng.randint(k, [4], 0, 9, { dtype: "int32" })],
  "prng.geometric": [() => prng.geometric(k, 0.4, [3], "int32"), () => prng.geometric(k, 0.4, { shape: [3], dtype: "int32" })],
  "prng.rademacher": [() => prng.rademacher(k, [3], "float32"), () => prng.rademacher(k, [3], { dtype: "float32" })],
  "prng.poisson": [() => prng.poisson(k, 3, [3]), () => prng.poisson(k, 3, { shape: [3] })],
  "prng.exponential": [() => prng.exponential(k, [3], "float32"), () => prng.exponential(k, [3], { dtype: "float32" })],
  "prng.cauchy": [() => prng.cauchy(k, [3], "float32"), () => prng.cauchy(k, [3], { dtype: "float32" })],
  "prng.laplace": [() => prng.laplace(k, [3], "float32"), () => prng.laplace(k, [3], { dtype: "float32" })],
  "prng.gumbel": [() => prng.gumbel(k, [3], "float32"), () => prng.gumbel(k, [3], { dtype: "float32" })],
  "prng.logistic": [() => prng.logistic(k, [3], "float32"), () => prng.logistic(k, [3], { dtype: "float32" })],
  "prng.maxwell": [() => prng.maxwell(k, [3], "float32"), () => prng.maxwell(k, [3], { dtype: "float32" })],
  "prng.lognormal": [() => prng.lognormal(k, 0.5, [3]), () => prng.lognormal(k, 0.5, { shape: [3] })],
  "prng.rayleigh": [() => prng.rayleigh(k, 2, [3]), () => prng.rayleigh(k, 2, { shape: [3] })],
  "prng.pareto": [() => prng.pareto(k, 3, [3]), () => prng.pareto(k, 3, { shape: [3] })],
  "prng.weibullMin": [() => prng.weibullMin(k, 1, 1.5, [3]), () => prng.weibullMin(k, 1, 1.5, { shape: [3] })],
  "prng.triangular": [() => prng.triangular(k, 0, 1, 3, [3]), () => prng.triangular(k, 0, 1, 3, { shape: [3] })],
  "prng.doubleSidedMaxwell": [() => prng.doubleSidedMaxwell(k, 0, 1, [3]), () => prng.doubleSidedMaxwell(k, 0, 1, { shape: [3] })],
  "prng.truncatedNormal": [() => prng.truncatedNormal(k, -1, 2, [3]), () => prng.truncatedNormal(k, -1, 2, { shape: [3] })],
  "prng.multivariateNormal": [
    () => prng.multivariateNormal(k, [0, 0], [[1, 0.5], [0.5, 1]], [4], null, "eigh"),
    () => prng.multivariateNormal(k, [0, 0], [[1, 0.5], [0.5, 1]], { shape: [4], method: "eigh" }),
  ],
  "prng.gamma": [() => prng.gamma(k, 2.5, [3]), () => prng.gamma(k, 2.5, { shape: [3] })],
  "prng.beta": [() => prng.beta(k, 2, 5, [3]), () => prng.beta(k, 2, 5, { shape: [3] })],
  "prng.dirichlet": [() => prng.dirichlet(k, [1, 2, 3], [4]), () => prng.dirichlet(k, [1, 2, 3], { shape: [4] })],
  "prng.chisquare": [() => prng.chisquare(k, 4, [3]), () => prng.chisquare(k, 4, { shape: [3] })],
  "prng.t": [() => prng.t(k, 5, [3]), () => prng.t(k, 5, { shape: [3] })],
  "prng.ball": [() => prng.ball(k, 3, 1, [4]), () => prng.ball(k, 3, { p: 1, shape: [4] })],
};

describe("positional parameters (NumPy/JAX calling conventions)", () => {
  for (const name of Object.keys(CASES) as PositionalName[]) {
    it(`${name}: positional and options forms agree`, () => {
      const [pos, opt] = CASES[name];
      expect(read(pos())).to.deep.equal(read(opt()));
    });
  }

  it("every table entry with positional parameters has a case (the table is the list)", () => {
    const positional = Object.entries(SIGNATURES).filter(([, sig]) => typeof sig[0] !== "string" && sig.length > 0).map(([name]) => name);
    expect(Object.keys(CASES).sort()).to.deep.equal(positional.sort());
  });

  it("prng samplers take JAX's positional shape and dtype, and check them", () => {
    expect(prng.normal(k, [2, 3], "float32").shape).to.deep.equal([2, 3]);
    expect(prng.gamma(k, 2, [5]).shape).to.deep.equal([5]);
    expect(prng.uniform(k, [100], null, 3, 4).dataSync().every((u) => u >= 3 && u < 4)).to.equal(true);
    expect(() => prng.normal(k, [2], "float32", 1 as never)).to.throw(ValueError, /prng\.normal: takes at most 1 positional argument/);
    expect(() => prng.gamma(k, 2, "3" as never)).to.throw(ValueError, /prng\.gamma: shape .*must be a shape/);
    expect(() => prng.uniform(k, [2], { minval: 0, maxvl: 1 } as never)).to.throw(ValueError, /prng\.uniform: unknown option 'maxvl' \(did you mean 'maxval'\?\)/);
    expect(() => prng.bernoulli(k, 0.5, [3], { shape: [3] } as never)).to.throw(ValueError, /shape given both positionally and in the options object/);
  });

  it("the silently-dropped cases of the bug report now take effect", () => {
    expect(x3.sum([0, 2], { keepdims: true }).shape).to.deep.equal([1, 3, 1]);
    expect(np.trapezoid([1, 2, 3], [4, 6, 8]).itemSync()).to.equal(8); // was 4: x ignored
    expect(read(lax.topK(np.array([[1, 9], [4, 2]]), 1, 0)[0])).to.deep.equal([[4, 9]]);
    expect(np.diff([1, 5, 2], 0, -1, [9], [9]).toArraySync()).to.deep.equal([1, 5, 2]); // n=0 returns a
    // x of lower rank than y broadcasts against it (NumPy): [[3, 4], [3, 4]]
    expect(np.trapezoid(np.ones([2, 2, 3]), [[0, 1, 3], [0, 2, 4]]).toArraySync()).to.deep.equal([[3, 4], [3, 4]]);
  });

  it("np.cov and np.corrcoef take JAX's positional y (was: a ValueError, options object expected)", () => {
    // jnp.cov(x, y): the two variables stacked; a null y is no y, as JAX's y=None
    expect(np.cov([-1, 0, 1], [1, 0, -1]).toArraySync()).to.deep.equal([[1, -1], [-1, 1]]);
    const samples = np.array([[1, 2], [2, 4], [3, 7]]);
    expect(read(np.cov(samples, null, { rowvar: false }))).to.deep.equal(read(np.cov(samples.T)));
    expect(read(np.cov(samples, null, false))).to.deep.equal(read(np.cov(samples.T)));
    expect(np.corrcoef([0, 1, 2], [2, 1, 0]).toArraySync()).to.deep.equal([[1, -1], [-1, 1]]);
    expect(() => np.cov(samples, null, "no" as never)).to.throw(ValueError, /cov: rowvar .*must be a boolean/);
  });

  it("too many positional values is a ValueError naming the parameters", () => {
    expect(() => np.diff(v, 1, 0, null, null, 3 as never)).to.throw(ValueError, /diff: takes at most 4 positional arguments .*n, axis, prepend, append/);
    expect(() => lax.topK(m, 1, 0, 1 as never)).to.throw(ValueError, /lax\.topK: takes at most 1 positional argument/);
    expect(() => np.split(m, 3, 1, 1 as never)).to.throw(ValueError, /split: takes at most 1/);
  });

  it("a positional value of the wrong kind names the parameter", () => {
    expect(() => np.sum(m, "0" as never)).to.throw(ValueError, /sum: axis .*must be an axis/);
    expect(() => np.diff(v, 1, 0.5)).to.throw(ValueError, /diff: axis .*must be an integer axis, got 0.5/);
    expect(() => np.logspace(0, 1, 3, "yes" as never)).to.throw(ValueError, /logspace: endpoint .*must be a boolean/);
    expect(() => np.sum(m, 0, null, np.zeros([2]) as never)).to.throw(ValueError, /sum: out .*no out=/);
    expect(() => np.mean(m, 0, "float32" as never)).to.throw(ValueError, /mean: dtype .*does not support/);
  });

  it("a value given both positionally and in the options object is a ValueError", () => {
    expect(() => np.diff(v, 1, 0, { axis: 0 })).to.throw(ValueError, /diff: axis given both positionally and in the options object/);
  });

  it("the options object stays the documented form; undefined leaves the default", () => {
    expect(np.diff(v, undefined, undefined, { append: [0] }).toArraySync()).to.deep.equal([1, 2, 3, -7, 0]);
    expect(positionalOptions("diff", [1, -1])).to.deep.equal({ n: 1, axis: -1 });
    expect(positionalOptions("sum", [[0, 2], { keepdims: true }])).to.deep.equal({ axis: [0, 2], keepdims: true });
  });

  it("arguments past the last parameter are a ValueError, never silently dropped (Python's TypeError)", () => {
    const spd = [[4, 2], [2, 3]];
    // A function without options given an options object: the key is named, and the count.
    expect(() => np.linalg.cholesky(spd, { upper: true } as never)).to.throw(ValueError, /^linalg\.cholesky: unknown option 'upper'; it takes no options \(takes 1 positional argument but 2 were given\)/);
    expect(() => np.linalg.inv(spd, 3 as never)).to.throw(ValueError, /^linalg\.inv: takes 1 positional argument but 2 were given: 3 left over/);
    expect(() => np.linalg.solve(spd, [1, 2], {} as never)).to.throw(ValueError, /linalg\.solve: it takes no options object \(takes 2 positional arguments but 3 were given\)/);
    expect(() => np.linalg.det(spd, spd as never)).to.throw(ValueError, /linalg\.det: takes 1 positional argument but 2/);
    expect(() => np.linalg.matrixPower(spd, 2, 1 as never)).to.throw(ValueError, /linalg\.matrixPower: takes 2 positional arguments but 3/);
    expect(() => np.matmul(spd, spd, { precision: "highest" } as never)).to.throw(ValueError, /^matmul: unknown option 'precision'; it takes no options/);
    // A function whose last parameter is its options object: nothing may follow it.
    const after = /takes no arguments after its options object, got 1 more: (true|1|\{"axis":0\}|"float32") left over/;
    const calls: [string, () => unknown][] = [
      ["zeros", () => np.zeros([2], { dtype: "int32" }, true as never)],
      ["linalg.norm", () => np.linalg.norm(spd, {}, 1 as never)],
      ["linalg.svd", () => loose(np.linalg.svd)(spd, { computeUv: false }, true)],
      ["fft.rfftn", () => np.fft.rfftn(spd, {}, 1 as never)],
      ["fft.fftfreq", () => np.fft.fftfreq(4, 1, {}, 1 as never)],
      ["cumulativeSum", () => np.cumulativeSum([1, 2], { axis: 0 }, { axis: 0 } as never)],
      ["lax.cumsum", () => lax.cumsum([1, 2], {}, 1 as never)],
      ["lax.linalg.cholesky", () => lax.linalg.cholesky(spd, {}, true as never)],
      ["unique", () => loose(np.unique)([1, 2], {}, true)],
      ["grad", () => loose(grad)((a: Tensor) => a.sum(), {}, 1)],
      ["jit", () => loose(jit)((a: Tensor) => a, {}, 1)],
      ["Linear", () => new nn.Linear(2, 3, {}, 1 as never)],
    ];
    for (const [op, call] of calls) {
      expect(call, op).to.throw(ValueError, new RegExp(`^${op.replace(/\./g, "\\.")}: ${after.source}`));
    }
  });

  it("trailing undefined arguments are 'not given' (JS wrappers forwarding absent optionals)", () => {
    const spd = [[4, 2], [2, 3]];
    expect(read(np.linalg.cholesky(spd, undefined as never))).to.deep.equal(read(np.linalg.cholesky(spd)));
    expect(np.zeros([2], undefined, undefined as never).shape).to.deep.equal([2]);
    expect(np.linalg.norm(spd, undefined, undefined as never).itemSync()).to.be.closeTo(Math.sqrt(33), 1e-5);
    expect(np.matmul([1, 2], [3, 4], undefined as never).itemSync()).to.equal(11);
  });
});
