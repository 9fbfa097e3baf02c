/**
 * Keys and samplers under the transforms: `vmap(prng.key)` over int32 seeds, vmap over keys, and
 * jit of a sampler producing exactly the eager values (the generator is ordinary graph ops).
 */
import { expect } from "chai";
import { type Tensor, jit, np, prng, vmap } from "kiln";

const u32 = (t: Tensor): number[] => Array.from(t.dataSync()).map((v) => v >>> 0);
const vals = (t: Tensor): number[] => Array.from(t.dataSync());

describe("prng keys under vmap and jit", () => {
  it("vmap(prng.key)(np.arange(5)) makes the keys prng.key(i) makes one by one", () => {
    // np.arange(5) is float32 in kiln: float seeds holding integers are accepted, as the issue asks.
    const keys = vmap(prng.key)(np.arange(5));
    expect(keys.shape).to.deep.equal([5, 2]);
    expect(u32(keys)).to.deep.equal([0, 1, 2, 3, 4].flatMap((i) => u32(prng.key(i))));
    // Negative int32 seeds: high word 0, low word the seed's bits (JAX's 32-bit seeds), as the number form.
    expect(u32(vmap(prng.key)(np.array([-1, 7], { dtype: "int32" })))).to.deep.equal([...u32(prng.key(-1)), ...u32(prng.key(7))]);
    expect(u32(vmap(prng.key)(np.arange(5, undefined, undefined, { dtype: "int32" })))).to.deep.equal(u32(keys));
  });

  it("jit(prng.key) of a traced seed equals the eager key", () => {
    const f = jit((s: Tensor) => prng.normal(prng.key(s), [3]));
    expect(vals(f(np.array(42, { dtype: "int32" })))).to.deep.equal(vals(prng.normal(prng.key(42), [3])));
  });

  it("prng.foldIn under jit and vmap folds a traced step index as the eager calls do", () => {
    const key = prng.key(5);
    const f = jit((k: Tensor, step: Tensor) => prng.normal(prng.foldIn(k, step), [2]));
    for (const step of [0, 3, 1000]) expect(vals(f(key, np.array(step, { dtype: "int32" })))).to.deep.equal(vals(prng.normal(prng.foldIn(key, step), [2])));
    const folded = vmap((s: Tensor) => prng.foldIn(key, s))(np.arange(4, undefined, undefined, { dtype: "int32" }));
    // fold_in(key, i) is row i of split(key, n) (JAX's partitionable Threefry).
    expect(u32(folded)).to.deep.equal(u32(prng.split(key, 4)));
  });

  it("vmap over split keys draws what a loop over the keys draws", () => {
    const keys = prng.split(prng.key(3), 4);
    const batched = vmap((k: Tensor) => prng.gamma(k, 2, { shape: [3] }))(keys);
    expect(batched.shape).to.deep.equal([4, 3]);
    const loop = [0, 1, 2, 3].flatMap((i) => vals(prng.gamma(keys.get(i), 2, { shape: [3] })));
    const got = vals(batched);
    got.forEach((v, i) => expect(v).to.be.closeTo(loop[i]!, 1e-6 * Math.max(1, Math.abs(loop[i]!))));
  });

  it("jit of samplers gives the eager values", () => {
    const key = prng.key(11);
    const samplers: Record<string, (k: Tensor) => Tensor> = {
      gamma: (k) => prng.gamma(k, 0.7, { shape: [6] }),
      poisson: (k) => prng.poisson(k, np.array([2, 30]), { shape: [3, 2] }),
      categorical: (k) => prng.categorical(k, np.array([0.1, 1, 2]), { shape: [5] }),
      choice: (k) => prng.choice(k, 6, { shape: [4], replace: false }),
      truncatedNormal: (k) => prng.truncatedNormal(k, -1, 1, { shape: [4] }),
      randint: (k) => prng.randint(k, [5], -3, 9),
    };
    for (const [name, f] of Object.entries(samplers)) {
      const eager = vals(f(key)), compiled = vals(jit(f)(key));
      expect(compiled.length, name).to.equal(eager.length);
      compiled.forEach((v, i) => expect(v, `${name}[${i}]`).to.be.closeTo(eager[i]!, 1e-5 * Math.max(1, Math.abs(eager[i]!))));
    }
  });
});
