import { expect } from "chai";
import { LruCache } from "./lru.js";

describe("LruCache", () => {
  it("keeps at most `capacity` entries, dropping the least recently used", () => {
    const dropped: string[] = [];
    const c = new LruCache<string, number>(2, (k) => dropped.push(k));
    c.set("a", 1);
    c.set("b", 2);
    expect(c.get("a")).to.equal(1); // a is now the most recent
    c.set("c", 3);
    expect(dropped).to.deep.equal(["b"]);
    expect([c.peek("a"), c.peek("b"), c.peek("c")]).to.deep.equal([1, undefined, 3]);
    expect([c.size, c.evictions]).to.deep.equal([2, 1]);
  });

  it("peek does not refresh; set of an existing key does", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1);
    c.set("b", 2);
    c.peek("a");
    c.set("c", 3);
    expect(c.peek("a")).to.equal(undefined);
    c.set("b", 20);
    c.set("d", 4);
    expect([...c.values()]).to.deep.equal([20, 4]);
  });

  it("rejects a capacity below 1", () => {
    expect(() => new LruCache(0)).to.throw(RangeError, /capacity/);
  });
});
