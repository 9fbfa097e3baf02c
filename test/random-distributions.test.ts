/**
 * The distribution samplers (on the cpu backend; the interpreter is too slow for N = 20000): moments within 5 standard errors (N = 20000, standard errors estimated
 * from the sample's own fourth moment), KS distances against exact CDFs, support checks,
 * determinism, the shape/dtype rules and typed errors for bad input.
 */
import { expect } from "chai";
import { np, prng, random, vmap, DTypeError, ShapeError, ValueError, type Tensor } from "kiln";

const N = 20000;
const vals = (t: Tensor): number[] => Array.from(t.dataSync());

/** Sample mean and variance, with their standard errors (variance's from the 4th central moment). */
function moments(v: readonly number[]): { mean: number; variance: number; seMean: number; seVar: number } {
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const m4 = v.reduce((a, b) => a + (b - mean) ** 4, 0) / n;
  return { mean, variance, seMean: Math.sqrt(variance / n), seVar: Math.sqrt(Math.max(m4 - variance ** 2, 1e-12) / n) };
}

function expectMoments(name: string, t: Tensor, mean: number, variance: number): void {
  const m = moments(vals(t));
  expect(m.mean, `${name} mean`).to.be.closeTo(mean, 5 * m.seMean);
  expect(m.variance, `${name} variance`).to.be.closeTo(variance, 5 * m.seVar);
}

/** Kolmogorov–Smirnov distance of the sample from `cdf`. */
function ksDistance(v: readonly number[], cdf: (x: number) => number): number {
  const s = [...v].sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / s.length), Math.abs((i + 1) / s.length - f));
  });
  return d;
}
// P(D > 0.02) for N = 20000 is about 2 exp(-2 N 0.02^2) = 2e-7 under the null.
const KS_BOUND = 0.02;

/** erf by its Maclaurin series (float64; exact to ~1e-9 on |x| <= 4). */
function erf(x: number): number {
  if (Math.abs(x) > 4) return Math.sign(x); // 1 - erf(4) = 1.5e-8; the series cancels badly beyond
  let sum = 0, term = x;
  for (let n = 0; n < 200 && Math.abs(term) > 1e-17; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const phi = (x: number): number => 0.5 * (1 + erf(x / Math.SQRT2));

describe("prng distributions: moments and KS", function () {
  this.timeout(120000);
  const key = prng.key(2024);

  it("continuous transforms of uniforms match their exact CDFs (KS)", () => {
    const cases: [string, Tensor, (x: number) => number][] = [
      ["exponential", prng.exponential(key, [N]), (x) => 1 - Math.exp(-x)],
      ["cauchy", prng.cauchy(key, [N]), (x) => 0.5 + Math.atan(x) / Math.PI],
      ["laplace", prng.laplace(key, [N]), (x) => (x < 0 ? 0.5 * Math.exp(x) : 1 - 0.5 * Math.exp(-x))],
      ["gumbel", prng.gumbel(key, [N]), (x) => Math.exp(-Math.exp(-x))],
      ["logistic", prng.logistic(key, [N]), (x) => 1 / (1 + Math.exp(-x))],
      ["rayleigh", prng.rayleigh(key, 2, { shape: [N] }), (x) => 1 - Math.exp(-(x * x) / 8)],
      ["pareto", prng.pareto(key, 3, { shape: [N] }), (x) => 1 - x ** -3],
      ["weibullMin", prng.weibullMin(key, 2, 1.5, { shape: [N] }), (x) => 1 - Math.exp(-((x / 2) ** 1.5))],
      ["triangular", prng.triangular(key, 0, 1, 3, { shape: [N] }), (x) => (x < 1 ? (x * x) / 3 : 1 - (3 - x) ** 2 / 6)],
      ["truncatedNormal", prng.truncatedNormal(key, -0.5, 2, { shape: [N] }), (x) => (phi(x) - phi(-0.5)) / (phi(2) - phi(-0.5))],
      ["truncatedNormal (tail)", prng.truncatedNormal(key, 1.5, Infinity, { shape: [N] }), (x) => (phi(x) - phi(1.5)) / (1 - phi(1.5))],
      // Gamma(1) is Exp(1): Marsaglia–Tsang's worst case for the acceptance rate.
      ["gamma(1)", prng.gamma(key, 1, { shape: [N] }), (x) => 1 - Math.exp(-x)],
      ["lognormal", prng.lognormal(key, 0.5, { shape: [N] }), (x) => phi(Math.log(x) / 0.5)],
    ];
    for (const [name, t, cdf] of cases) expect(ksDistance(vals(t), cdf), name).to.be.below(KS_BOUND);
  });

  it("truncated normal stays inside its bounds", () => {
    const v = vals(prng.truncatedNormal(key, 1.5, 1.6, { shape: [2000] }));
    expect(Math.min(...v)).to.be.at.least(1.5);
    expect(Math.max(...v)).to.be.at.most(1.6);
  });

  it("gamma family: gamma (a >= 1 and the a < 1 boost), beta, chisquare, t, dirichlet", () => {
    expectMoments("gamma(2.5)", prng.gamma(key, 2.5, { shape: [N] }), 2.5, 2.5);
    expectMoments("gamma(0.3)", prng.gamma(key, 0.3, { shape: [N] }), 0.3, 0.3);
    expectMoments("beta(2, 5)", prng.beta(key, 2, 5, { shape: [N] }), 2 / 7, 10 / (49 * 8));
    expectMoments("chisquare(4)", prng.chisquare(key, 4, { shape: [N] }), 4, 8);
    expectMoments("t(10)", prng.t(key, 10, { shape: [N] }), 0, 10 / 8);
    const dir = prng.dirichlet(key, [1, 2, 3], { shape: [N] });
    expect(dir.shape).to.deep.equal([N, 3]);
    const d = vals(dir);
    const col = (j: number) => d.filter((_, i) => i % 3 === j);
    [1, 2, 3].forEach((a, j) => {
      const m = moments(col(j));
      expect(m.mean).to.be.closeTo(a / 6, 5 * m.seMean);
      expect(m.variance).to.be.closeTo((a * (6 - a)) / (36 * 7), 5 * m.seVar);
    });
    for (let i = 0; i < 30; i += 3) expect(d[i]! + d[i + 1]! + d[i + 2]!).to.be.closeTo(1, 1e-5);
  });

  it("maxwell, double-sided maxwell, multivariate normal, ball", () => {
    expectMoments("maxwell", prng.maxwell(key, [N]), 2 * Math.sqrt(2 / Math.PI), 3 - 8 / Math.PI);
    expectMoments("doubleSidedMaxwell", prng.doubleSidedMaxwell(key, 1, 2, { shape: [N] }), 1, 12);
    const mv = vals(prng.multivariateNormal(key, [1, -1], [[2, 0.6], [0.6, 1]], { shape: [N] }));
    const x = mv.filter((_, i) => i % 2 === 0), y = mv.filter((_, i) => i % 2 === 1);
    const mx = moments(x), my = moments(y);
    expect(mx.mean).to.be.closeTo(1, 5 * mx.seMean);
    expect(my.mean).to.be.closeTo(-1, 5 * my.seMean);
    expect(mx.variance).to.be.closeTo(2, 5 * mx.seVar);
    expect(my.variance).to.be.closeTo(1, 5 * my.seVar);
    const cxy = x.reduce((a, xi, i) => a + (xi - mx.mean) * (y[i]! - my.mean), 0) / N;
    expect(cxy).to.be.closeTo(0.6, 5 * Math.sqrt((2 * 1 + 0.36) / N));
    // Uniform in the unit 3-ball: |x| <= 1 and P(|x| <= r) = r^3.
    const b = vals(prng.ball(key, 3, { shape: [N] }));
    const radii = Array.from({ length: N }, (_, i) => Math.hypot(b[3 * i]!, b[3 * i + 1]!, b[3 * i + 2]!));
    expect(Math.max(...radii)).to.be.at.most(1 + 1e-6);
    expect(ksDistance(radii, (r) => Math.min(1, r) ** 3)).to.be.below(KS_BOUND);
    const b1 = vals(prng.ball(key, 2, { shape: [2000], p: 1 }));
    for (let i = 0; i < b1.length; i += 2) expect(Math.abs(b1[i]!) + Math.abs(b1[i + 1]!)).to.be.at.most(1 + 1e-6);
  });
});

describe("prng distributions: discrete", function () {
  this.timeout(120000);
  const key = prng.key(77);

  it("bernoulli is in {0, 1} with mean p; rademacher is ±1", () => {
    const b = prng.bernoulli(key, 0.3, { shape: [N] });
    expect(b.dtype).to.equal("bool");
    expectMoments("bernoulli", np.astype(b, "float32"), 0.3, 0.21);
    const r = vals(prng.rademacher(key, [N]));
    expect(new Set(r)).to.deep.equal(new Set([-1, 1]));
  });

  it("randint is in [low, high) and every value is about equally likely", () => {
    const r = vals(prng.randint(key, [N], -3, 7));
    const counts = new Map<number, number>();
    for (const v of r) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).to.deep.equal([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6]);
    const se = Math.sqrt(N * 0.1 * 0.9);
    for (const c of counts.values()) expect(c).to.be.closeTo(N / 10, 5 * se);
    // The whole int32 range (the span overflows int32): values spread over both signs.
    const wide = vals(prng.randint(key, [N], -(2 ** 31), 2 ** 31 - 1));
    expect(wide.filter((v) => v < 0).length).to.be.closeTo(N / 2, 5 * Math.sqrt(N / 4));
    expect(Math.max(...wide)).to.be.above(2 ** 30);
    expect(Math.min(...wide)).to.be.below(-(2 ** 30));
    expect(new Set(wide).size).to.be.above(N - 10);
    // Tensor bounds broadcast against the shape; maxval <= minval gives minval, as JAX.
    expect(vals(prng.randint(key, [3], np.array([4, 2, 0]), np.array([4, 1, 1])))).to.deep.equal([4, 2, 0]);
    const rt = vals(prng.randint(key, [1000, 2], np.array([0, 100]), np.array([2, 103])));
    rt.forEach((v, i) => expect(v).to.be.within(i % 2 ? 100 : 0, i % 2 ? 102 : 1));
  });

  it("geometric and poisson (Knuth below 10, PTRS above, a mixed Tensor lam)", () => {
    expectMoments("geometric(0.25)", np.astype(prng.geometric(key, 0.25, { shape: [N] }), "float32"), 4, 12);
    const g = vals(prng.geometric(key, 0.9, { shape: [1000] }));
    expect(Math.min(...g)).to.equal(1);
    expectMoments("poisson(3)", np.astype(prng.poisson(key, 3, { shape: [N] }), "float32"), 3, 3);
    expectMoments("poisson(10)", np.astype(prng.poisson(key, 10, { shape: [N] }), "float32"), 10, 10);
    expectMoments("poisson(250)", np.astype(prng.poisson(key, 250, { shape: [N] }), "float32"), 250, 250);
    expect(vals(prng.poisson(key, 0, { shape: [5] }))).to.deep.equal([0, 0, 0, 0, 0]);
    const mixed = vals(prng.poisson(key, np.array([0.5, 40]), { shape: [N / 2, 2] }));
    expectMoments("poisson(0.5) mixed", np.array(mixed.filter((_, i) => i % 2 === 0)), 0.5, 0.5);
    expectMoments("poisson(40) mixed", np.array(mixed.filter((_, i) => i % 2 === 1)), 40, 40);
  });

  it("categorical follows softmax(logits) along the axis, with leading sample axes", () => {
    const p = [0.1, 0.2, 0.7];
    const c = vals(prng.categorical(key, np.log(np.array(p)), { shape: [N] }));
    p.forEach((pi, j) => expect(c.filter((v) => v === j).length).to.be.closeTo(N * pi, 5 * Math.sqrt(N * pi * (1 - pi))));
    // axis 0 of [3, 2] logits: batch [2]; shape [4, 2] adds a sample axis.
    const logits = np.array([[0, -100], [-100, 0], [-100, -100]]);
    expect(vals(prng.categorical(key, logits, { axis: 0, shape: [4, 2] }))).to.deep.equal([0, 1, 0, 1, 0, 1, 0, 1]);
  });

  it("categorical with replace: false draws distinct categories, the first by softmax (Gumbel-top-k)", () => {
    // N independent batch entries of 4 categories, 3 draws each: shape [3, N] (JAX: [k, ...batch]).
    const p = [0.1, 0.2, 0.7, 0];
    const logits = np.broadcastTo(np.log(np.array(p)), [N, 4]);
    const c = vals(prng.categorical(key, logits, { shape: [3, N], replace: false }));
    const rows = [c.slice(0, N), c.slice(N, 2 * N), c.slice(2 * N)];
    for (let b = 0; b < N; b++) {
      const drawn = [rows[0]![b]!, rows[1]![b]!, rows[2]![b]!];
      // distinct, and never the zero-probability category 3
      if (new Set(drawn).size !== 3 || drawn.includes(3)) expect.fail(`entry ${b}: drew ${drawn}`);
    }
    p.slice(0, 3).forEach((pi, j) =>
      expect(rows[0]!.filter((v) => v === j).length, `first draw = ${j}`).to.be.closeTo(N * pi, 5 * Math.sqrt(N * pi * (1 - pi))));
    // k = number of categories: a permutation; positional replace in JAX's order (axis, shape, replace)
    const perm = vals(prng.categorical(key, np.zeros([6]), -1, [2, 3], false));
    expect([...perm].sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    // along axis 0: batch [2], leading sample axis [2]; each column distinct
    const cols = prng.categorical(key, np.zeros([3, 2]), { axis: 0, shape: [2, 2], replace: false }).toArraySync() as number[][];
    expect(cols[0]![0]).to.not.equal(cols[1]![0]);
    expect(cols[0]![1]).to.not.equal(cols[1]![1]);
    expect(() => prng.categorical(key, np.zeros([3]), { shape: [5], replace: false })).to.throw(ValueError, /5\) cannot exceed the number of categories \(3/);
  });

  it("permutation is a permutation, along any axis, independently if asked", () => {
    const p = vals(prng.permutation(key, 50));
    expect([...p].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(p).to.not.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    const x = np.reshape(np.arange(12), [3, 4]);
    const cols = vals(prng.permutation(key, x, { axis: 1 }));
    const rows = [cols.slice(0, 4), cols.slice(4, 8), cols.slice(8)];
    // The same column permutation for every row.
    expect(rows[1]!.map((v) => v - 4)).to.deep.equal(rows[0]);
    expect([...rows[0]!].sort()).to.deep.equal([0, 1, 2, 3]);
    const ind = vals(prng.permutation(key, np.reshape(np.arange(40), [4, 10]), { axis: 1, independent: true }));
    for (let r = 0; r < 4; r++) expect([...ind.slice(10 * r, 10 * r + 10)].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 10 }, (_, i) => 10 * r + i));
    // Each position takes every value about equally often: position 0 of permutation(4) over many keys.
    const many = vals(prng.permutation(key, np.tile(np.arange(4), [400, 1]), { axis: 1, independent: true }));
    const firsts = Array.from({ length: 400 }, (_, i) => many[4 * i]!);
    for (let v = 0; v < 4; v++) expect(firsts.filter((f) => f === v).length).to.be.closeTo(100, 5 * Math.sqrt(400 * 0.25 * 0.75));
  });

  it("choice: with replacement (uniform, weighted), without (no repeats, Gumbel top-k), from an array axis", () => {
    const w = vals(prng.choice(key, 4, { shape: [N], p: [0.1, 0.2, 0.3, 0.4] }));
    [0.1, 0.2, 0.3, 0.4].forEach((pi, j) => expect(w.filter((v) => v === j).length).to.be.closeTo(N * pi, 5 * Math.sqrt(N * pi * (1 - pi))));
    const u = vals(prng.choice(key, 5, { shape: [N] }));
    for (let j = 0; j < 5; j++) expect(u.filter((v) => v === j).length).to.be.closeTo(N / 5, 5 * Math.sqrt(N * 0.16));
    const keys = prng.split(key, 200);
    const noRepeat = vals(vmap((k: Tensor) => prng.choice(k, 30, { shape: [2, 5], replace: false }))(keys));
    for (let i = 0; i < 200; i++) expect(new Set(noRepeat.slice(10 * i, 10 * i + 10)).size).to.equal(10);
    // Without replacement with p: a zero-probability item is never drawn; the heavy one is drawn first most often.
    const weighted = vals(vmap((k: Tensor) => prng.choice(k, 3, { shape: [2], replace: false, p: [0, 0.1, 0.9] }))(keys));
    const firsts = Array.from({ length: 200 }, (_, i) => weighted.slice(2 * i, 2 * i + 2));
    for (const f of firsts) expect(f).to.not.include(0);
    expect(firsts.filter((f) => f[0] === 2).length).to.be.closeTo(180, 5 * Math.sqrt(200 * 0.09));
    const arr = np.reshape(np.arange(12), [3, 4]);
    const picked = prng.choice(key, arr, { shape: [2], replace: false, axis: 1 });
    expect(picked.shape).to.deep.equal([3, 2]);
    const pv = vals(picked);
    expect(pv[2]! - pv[0]!).to.equal(4);
  });
});

describe("prng distributions: determinism, shapes, dtypes and errors", () => {
  const key = prng.key(5);

  it("the same key gives the same values; another key different ones", () => {
    for (const f of [(k: Tensor) => prng.gamma(k, 1.5, { shape: [8] }), (k: Tensor) => prng.poisson(k, 4, { shape: [8] }), (k: Tensor) => prng.choice(k, 20, { shape: [8], replace: false })]) {
      expect(vals(f(key))).to.deep.equal(vals(f(prng.key(5))));
      expect(vals(f(key))).to.not.deep.equal(vals(f(prng.key(6))));
    }
  });

  it("shape defaults to the parameters' broadcast shape; dtype is float32 unless asked", () => {
    const g = prng.gamma(key, [1, 2, 3]);
    expect(g.shape).to.deep.equal([3]);
    expect(g.dtype).to.equal("float32");
    expect(prng.beta(key, [[1], [2]], [1, 2, 3]).shape).to.deep.equal([2, 3]);
    expect(prng.exponential(key, [2, 2], { dtype: "float64" }).dtype).to.equal("float64");
    expect(prng.poisson(key, 2, { shape: [3] }).dtype).to.equal("int32");
    expect(prng.randint(key, [3], 0, 4).dtype).to.equal("int32");
    expect(prng.multivariateNormal(key, [0, 0, 0], np.eye(3)).shape).to.deep.equal([3]);
    expect(prng.multivariateNormal(key, [0, 0], np.eye(2), { shape: [5] }).shape).to.deep.equal([5, 2]);
    expect(prng.categorical(key, np.zeros([4, 3])).shape).to.deep.equal([4]);
    expect(prng.choice(key, np.zeros([6, 2]), { shape: [3] }).shape).to.deep.equal([3, 2]);
  });

  it("bad input throws typed errors", () => {
    expect(() => prng.gamma(key, -1)).to.throw(ValueError, /a must be positive/);
    expect(() => prng.rayleigh(key, -2)).to.throw(ValueError, /scale/);
    expect(() => prng.bernoulli(key, 1.5)).to.throw(ValueError, /p must be in \[0, 1\]/);
    expect(() => prng.geometric(key, 0)).to.throw(ValueError, /p/);
    expect(() => prng.poisson(key, -1)).to.throw(ValueError, /lam/);
    expect(() => prng.choice(key, 3, { shape: [4], replace: false })).to.throw(ValueError, /without replacement/);
    expect(() => prng.choice(key, 3, { p: [0.5, 0.5] })).to.throw(ShapeError, /length 3/);
    expect(() => prng.choice(key, 3, { p: [0.5, -0.5, 1] })).to.throw(ValueError, /p must be in/);
    expect(() => prng.randint(key, [3], 5, 5)).to.throw(ValueError, /minval < maxval/);
    expect(() => prng.randint(key, [3], 0.5, 5)).to.throw(ValueError, /integer/);
    expect(() => prng.randint(key, [3], 0, 5, { dtype: "float32" })).to.throw(DTypeError);
    expect(() => prng.gamma(key, 2, { dtype: "int32" })).to.throw(DTypeError);
    expect(() => prng.gamma(key, 2, { shape: [2.5] })).to.throw(ShapeError, /non-negative integers/);
    expect(() => prng.gamma(key, [1, 2, 3], { shape: [2] })).to.throw(ShapeError);
    expect(() => prng.triangular(key, 0, 5, 3)).to.throw(ValueError, /left <= mode <= right/);
    expect(() => prng.truncatedNormal(key, 2, 1)).to.throw(ValueError, /lower < upper/);
    expect(() => prng.multivariateNormal(key, [0, 0], np.eye(3))).to.throw(ShapeError);
    expect(() => prng.multivariateNormal(key, [0, 0], np.eye(2), { method: "qr" as "cholesky" })).to.throw(ValueError, /cholesky/);
    expect(() => prng.gamma(np.array([1, 2, 3], { dtype: "int32" }), 1)).to.throw(ValueError, /PRNG key/);
    expect(() => prng.gamma(key, 1, { size: [3] } as never)).to.throw(ValueError, /unknown option/);
    expect(() => prng.key(np.array([1, 2], { dtype: "int32" }))).to.throw(ValueError, /scalar integer/);
    expect(() => prng.key(np.array(true))).to.throw(ValueError, /scalar integer/);
    expect(() => random.gamma(2, { scale: -1 })).to.throw(ValueError, /scale/);
    expect(() => random.exponential(2 as never)).to.throw(ValueError, /one options object/);
  });
});

describe("random.* (stateful, NumPy's parameters)", function () {
  this.timeout(60000);

  it("is reproducible after seed() and follows NumPy's parameterisations", () => {
    random.seed(3);
    const a = vals(random.gamma(2, { scale: 3, size: [4] }));
    random.seed(3);
    expect(vals(random.gamma(2, { scale: 3, size: [4] }))).to.deep.equal(a);
    random.seed(9);
    expectMoments("random.gamma(2, scale 3)", random.gamma(2, { scale: 3, size: [N] }), 6, 18);
    expectMoments("random.exponential(scale 2)", random.exponential({ scale: 2, size: [N] }), 2, 4);
    expectMoments("random.laplace", random.laplace({ loc: 1, scale: 2, size: [N] }), 1, 8);
    expectMoments("random.lognormal", random.lognormal({ mean: 1, sigma: 0.25, size: [N] }), Math.exp(1 + 0.25 ** 2 / 2), (Math.exp(0.0625) - 1) * Math.exp(2 + 0.0625));
    // NumPy's pareto is Lomax (Pareto II): support [0, inf), mean 1 / (a - 1).
    expectMoments("random.pareto(5)", random.pareto(5, { size: [N] }), 0.25, 5 / (16 * 3));
    expectMoments("random.poisson(4)", np.astype(random.poisson({ lam: 4, size: [N] }), "float32"), 4, 4);
    const tn = vals(random.truncatedNormal(10, 12, { loc: 10, scale: 3, size: [2000] }));
    expect(Math.min(...tn)).to.be.at.least(10);
    expect(Math.max(...tn)).to.be.at.most(12);
    expect(random.choice(np.arange(10), { size: [3], replace: false }).shape).to.deep.equal([3]);
    expect(random.dirichlet([1, 1], { size: [2] }).shape).to.deep.equal([2, 2]);
    expect(random.ball(4, { size: [3] }).shape).to.deep.equal([3, 4]);
    expect(random.multivariateNormal([0, 0], np.eye(2), { size: [3] }).shape).to.deep.equal([3, 2]);
    for (const t of [random.cauchy({ size: [3] }), random.gumbel({ size: [3] }), random.logistic({ size: [3] }), random.maxwell({ size: [3] }), random.doubleSidedMaxwell({ size: [3] }), random.rayleigh({ size: [3] }), random.weibullMin(1.5, { size: [3] }), random.triangular(0, 1, 2, { size: [3] }), random.beta(1, 2, { size: [3] }), random.t(3, { size: [3] }), random.chisquare(2, { size: [3] }), random.geometric(0.5, { size: [3] }), random.rademacher({ size: [3] }), random.categorical([0, 1], { size: [3] })]) {
      expect(t.shape).to.deep.equal([3]);
      vals(t).forEach((v) => expect(Number.isFinite(v)).to.equal(true));
    }
  });
});
