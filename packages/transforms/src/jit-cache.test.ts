/** Issue 11, item 10: a jitted function keeps a bounded number of signatures (LRU). */
import { expect } from "chai";
import { type Tensor, np } from "@kiln/core";
import { JIT_CACHE_SIZE, jit } from "./jit.js";

describe("jit: bounded signature cache", () => {
  it(`keeps at most ${JIT_CACHE_SIZE} signatures; an evicted one is traced again, a recent one is not`, () => {
    const f = jit((x: Tensor) => x.mul(2));
    const shapes = Array.from({ length: JIT_CACHE_SIZE + 6 }, (_, i) => [i + 1]);
    for (const s of shapes) f(np.ones(s));
    expect(f.cacheSize()).to.equal(JIT_CACHE_SIZE);
    expect(f.traceCount()).to.equal(shapes.length);
    f(np.ones(shapes.at(-1)!)); // recent: replayed
    expect(f.traceCount()).to.equal(shapes.length);
    expect(f(np.ones([1])).toArraySync()).to.deep.equal([2]); // evicted: traced again, still correct
    expect(f.traceCount()).to.equal(shapes.length + 1);
    expect(f.cacheSize()).to.equal(JIT_CACHE_SIZE);
  });
});
