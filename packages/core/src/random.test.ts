import { expect } from "chai";
import { erfApprox } from "./random-continuous.js";
import { numberOps, threefry2x32 } from "./random-bits.js";
import { np, prng, random, RandomState, withStateTrace, ValueError, DTypeError, type Tensor } from "./index.js";

const u32 = (t: Tensor): number[] => Array.from(t.dataSync()).map((v) => v >>> 0);

describe("random (Threefry-2x32)", () => {
  it("matches the Random123 known-answer vectors through prng.split", () => {
    // threefry2x32_20 KATs: key (k0, k1), counter (x0, x1). split(key, n)[i] is the hash of the
    // 64-bit counter i (high word 0), so split of the key (0, 0) shows the vector for counter (0, 0).
    expect(u32(prng.split(np.array([0, 0], { dtype: "int32" }), 1))).to.deep.equal([0x6b200159, 0x99ba4efe]);
    // key = ctr = (0xffffffff, 0xffffffff) -> (0x1cb996fc, 0xbb002be7), on the host words.
    expect(threefry2x32(numberOps, -1, -1, -1, -1).map((v) => v >>> 0)).to.deep.equal([0x1cb996fc, 0xbb002be7]);
  });

  it("prng.key, split, bits and foldIn give JAX's keys and bits (its default partitionable Threefry, JAX >= 0.5)", () => {
    expect(u32(prng.key(0))).to.deep.equal([0, 0]);
    expect(u32(prng.key(42))).to.deep.equal([0, 42]);
    // JAX's default 32-bit seeds: the high word is 0, the low word the seed's low 32 bits.
    expect(u32(prng.key(-1))).to.deep.equal([0, 4294967295]);
    expect(u32(prng.key(2 ** 32 + 5))).to.deep.equal([0, 5]);
    // jax.random.split(jax.random.key(1), 3), jax.random.bits(jax.random.key(0)) and
    // jax.random.bits(jax.random.key(10), (4,)): the values jax-js's suite checks against JAX.
    const keys = prng.split(prng.key(1), 3);
    expect(keys.shape).to.deep.equal([3, 2]);
    // Keys are int32 words; bits are uint32 as JAX's random.bits; a uint32 key (JAX's dtype) of the
    // same words draws the same values.
    expect([prng.key(0).dtype, keys.dtype, prng.bits(prng.key(0)).dtype, prng.foldIn(prng.key(0), 1).dtype]).to.deep.equal(["int32", "int32", "uint32", "int32"]);
    const asUint32 = np.array([0, 1], { dtype: "uint32" });
    expect(u32(prng.split(asUint32, 3))).to.deep.equal(u32(keys));
    expect(u32(prng.foldIn(asUint32, 2))).to.deep.equal(u32(prng.foldIn(prng.key(1), 2)));
    expect(Array.from(prng.normal(asUint32, [4]).dataSync())).to.deep.equal(Array.from(prng.normal(prng.key(1), [4]).dataSync()));
    expect(() => prng.normal(np.array([0, 1]), [2])).to.throw(ValueError, /expected a PRNG key \(int32\[2\] from prng.key or prng.split, or uint32\[2\]\), got float32\[2\]/);
    expect(u32(keys)).to.deep.equal([507451445, 1853169794, 1948878966, 4237131848, 2441914641, 3819641963]);
    expect(u32(prng.bits(prng.key(0)))).to.deep.equal([4070199207]);
    expect(u32(prng.bits(prng.key(10), [4]))).to.deep.equal([169096361, 1572511259, 2689743692, 2228103506]);
    // jax.random.normal(jax.random.key(0), (3,)) = [1.6226422, 2.0252647, -0.43359444]
    const z = Array.from(prng.normal(prng.key(0), [3]).dataSync());
    [1.6226422, 2.0252647, -0.43359444].forEach((want, i) => expect(z[i]).to.be.closeTo(want, 1e-6));
    // fold_in(key, i) is row i of split(key, n), from a number or an int32 Tensor (test/random-jax.test.ts: under jit).
    expect(u32(prng.foldIn(prng.key(1), 2))).to.deep.equal([2441914641, 3819641963]);
    expect(u32(prng.foldIn(prng.key(1), np.array(2, { dtype: "int32" })))).to.deep.equal([2441914641, 3819641963]);
    expect(u32(prng.foldIn(prng.key(0), -1))).to.deep.equal(u32(prng.foldIn(prng.key(0), 2 ** 32 - 1)));
    expect(() => prng.foldIn(prng.key(0), 1.5)).to.throw(ValueError, /data must be an integer, got number 1\.5/);
    expect(() => prng.foldIn(prng.key(0), np.array([1, 2], { dtype: "int32" }))).to.throw(ValueError, /scalar integer, got int32\[2\]/);
    expect(() => prng.foldIn(np.array([1, 2, 3], { dtype: "int32" }), 1)).to.throw(ValueError, /expected a PRNG key/);
  });

  it("uniform samples lie in [minval, maxval) with the right moments", () => {
    const u = prng.uniform(prng.key(1), [20000]);
    const v = Array.from(u.dataSync());
    expect(Math.min(...v)).to.be.at.least(0);
    expect(Math.max(...v)).to.be.below(1);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean).to.be.closeTo(0.5, 0.01);
    const w = Array.from(prng.uniform(prng.key(2), [1000], { minval: -3, maxval: -2 }).dataSync());
    expect(Math.min(...w)).to.be.at.least(-3);
    expect(Math.max(...w)).to.be.below(-2);
  });

  it("normal samples have mean 0 and variance 1; deterministic per key", () => {
    const z = Array.from(prng.normal(prng.key(3), [20000]).dataSync());
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(mean).to.be.closeTo(0, 0.03);
    expect(variance).to.be.closeTo(1, 0.04);
    expect(Array.from(prng.normal(prng.key(3), [5]).dataSync())).to.deep.equal(Array.from(prng.normal(prng.key(3), [5]).dataSync()));
  });

  it("the stateful generator is reproducible after seed() and advances on every draw", () => {
    random.seed(42);
    const a = Array.from(random.randn(4).dataSync());
    const b = Array.from(random.randn(4).dataSync());
    random.seed(42);
    expect(Array.from(random.randn(4).dataSync())).to.deep.equal(a);
    expect(b).to.not.deep.equal(a);
    // The eager host split and the graph split agree.
    const r1 = new RandomState(7);
    const eager = u32(r1.nextKey());
    const r2 = new RandomState(7);
    const traced = withStateTrace({ read: (_s, parent) => parent(), write: () => undefined }, () => r2.nextKey());
    expect(u32(traced)).to.deep.equal(eager);
    // split(key) = [new key, subkey]: the State keeps the first, the draw uses the second.
    expect(u32(prng.split(prng.key(7)).reshape([4]))).to.deep.equal([...u32(afterSplit(7)), ...eager]);
  });

  it("randint, bernoulli, permutation, rand, normal/uniform options", () => {
    random.seed(0);
    const r = Array.from(random.randint(3, 7, { size: [500] }).dataSync());
    expect(Math.min(...r)).to.equal(3);
    expect(Math.max(...r)).to.equal(6);
    const bern = Array.from(random.bernoulli({ p: 0.25, size: [4000] }).dataSync());
    expect(bern.reduce((a, b) => a + b, 0) / 4000).to.be.closeTo(0.25, 0.03);
    const perm = Array.from(random.permutation(10).dataSync());
    expect([...perm].sort((x, y) => x - y)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(random.rand(2, 3).shape).to.deep.equal([2, 3]);
    const n = Array.from(random.normal({ loc: 10, scale: 0.001, size: [50] }).dataSync());
    n.forEach((v) => expect(v).to.be.closeTo(10, 0.01));
    expect(random.uniform({ low: 5, high: 6, size: 3 }).shape).to.deep.equal([3]);
  });

  it("rejects bad keys, dtypes and parameters", () => {
    expect(() => prng.normal(np.array([1, 2]), [2])).to.throw(ValueError, /PRNG key/);
    expect(() => prng.uniform(prng.key(0), [2], { dtype: "int32" })).to.throw(DTypeError);
    expect(() => prng.split(prng.key(0), 0)).to.throw(ValueError);
    expect(() => random.bernoulli({ p: 2 })).to.throw(ValueError);
    expect(() => random.randint(5, 5)).to.throw(ValueError);
    expect(() => prng.key(1.5)).to.throw(ValueError);
  });

  it("a Tensor seed gives the key its number gives (sign-extended high word)", () => {
    for (const s of [0, 42, -1, -2147483648, 2147483647]) expect(u32(prng.key(np.array(s, { dtype: "int32" })))).to.deep.equal(u32(prng.key(s)));
  });

  it("truncatedNormal's local erf is within 7e-8 of erf (series) on [-6, 6]", () => {
    const xs = Array.from({ length: 1201 }, (_, i) => -6 + i / 100);
    const got = Array.from(erfApprox(np.array(xs, { dtype: "float64" })).dataSync());
    const series = (x: number): number => {
      if (Math.abs(x) > 4) return Math.sign(x); // 1 - erf(4) = 1.5e-8; the series cancels badly beyond
      let sum = 0, term = x;
      for (let n = 0; n < 300 && Math.abs(term) > 1e-18; n++) {
        sum += term / (2 * n + 1);
        term *= (-x * x) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    xs.forEach((x, i) => expect(got[i]!, `erf(${x})`).to.be.closeTo(series(x), 7e-8));
  });
});

function afterSplit(seed: number): Tensor {
  const r = new RandomState(seed);
  r.nextKey();
  return r.value;
}
