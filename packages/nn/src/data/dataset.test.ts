import { expect } from "chai";
import { ShapeError, type Tensor, ValueError, np, prng } from "@kiln/core";
import { Dataset } from "./dataset.js";

/** Ten examples: x row i is [i, 10 + i], y is i, so every batch says which examples it holds. */
const xs = Float32Array.from({ length: 20 }, (_, k) => (k % 2 ? 10 : 0) + Math.floor(k / 2));
const ys = Int32Array.from({ length: 10 }, (_, i) => i);
const ten = () => Dataset.fromArrays({ x: { data: xs, shape: [10, 2] }, y: ys });
const ids = (t: Tensor) => Array.from(t.dataSync());

describe("data.Dataset", () => {
  it("batches in order without shuffle, with a smaller last batch or without it", () => {
    const ds = ten();
    expect(ds.length).to.equal(10);
    const batches = [...ds.batch(4)];
    expect(batches.map((b) => ids(b.y))).to.deep.equal([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batches.map((b) => b.x.shape)).to.deep.equal([[4, 2], [4, 2], [2, 2]]);
    expect(batches[2]!.x.toArraySync()).to.deep.equal([[8, 18], [9, 19]]);
    expect(batches[0]!.x.dtype).to.equal("float32");
    expect(batches[0]!.y.dtype).to.equal("int32");
    const dropped = ds.batch(4, { dropRemainder: true });
    expect(dropped.length).to.equal(2);
    expect([...dropped].map((b) => ids(b.y))).to.deep.equal([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect([...ds.batch(5, { dropRemainder: true })].length).to.equal(2); // divides: nothing dropped
    expect([...ds.batch(11, { dropRemainder: true })].length).to.equal(0);
  });

  it("shuffled: every example once per epoch, fields kept aligned, a new order each epoch", () => {
    const batches = ten().shuffle(3).batch(3);
    const epochs = [0, 1, 2].map(() => [...batches]);
    for (const epoch of epochs) {
      const y = epoch.flatMap((b) => ids(b.y));
      expect([...y].sort((a, b) => a - b)).to.deep.equal([...ys]);
      for (const b of epoch) expect(b.x.toArraySync()).to.deep.equal(ids(b.y).map((i) => [i, 10 + i]));
    }
    const orders = epochs.map((e) => e.flatMap((b) => ids(b.y)).join());
    expect(new Set(orders).size).to.equal(3);
  });

  it("the same key gives the same orders; epoch(e) repeats epoch e and order(e) names it", () => {
    const key = prng.key(7);
    const a = ten().shuffle(key).batch(4), b = ten().shuffle(7).batch(4);
    const run = (it: Iterable<{ y: Tensor }>) => [...it].flatMap((x) => ids(x.y));
    const a0 = run(a), a1 = run(a);
    expect(run(b)).to.deep.equal(a0);
    expect(run(b)).to.deep.equal(a1);
    expect(run(a.epoch(1))).to.deep.equal(a1);
    expect(Array.from(ten().shuffle(7).order(1))).to.deep.equal(a1);
    expect(a0).to.deep.equal(Array.from(prng.permutation(key, 10).dataSync())); // epoch 0 is prng.permutation(key)
    expect(run(ten().shuffle(8).batch(4))).to.not.deep.equal(a0);
  });

  it("for await gives the same batches and builds the next one while the consumer awaits", async () => {
    const batches = ten().shuffle(1).batch(3);
    const sync = [...batches.epoch(0)].map((b) => ids(b.y));
    const got: number[][] = [];
    for await (const b of batches.epoch(0)) {
      got.push(ids(b.y));
      await new Promise((resolve) => setImmediate(resolve)); // the step awaiting (a readback, I/O)
    }
    expect(got).to.deep.equal(sync);
    expect(batches.prefetched).to.equal(3); // batches 1..3 were built during the awaits
    const eager: number[][] = [];
    for await (const b of batches.epoch(0)) eager.push(ids(b.y)); // a consumer that never yields
    expect(eager).to.deep.equal(sync);
    expect(batches.prefetched).to.equal(3);
  });

  it("takes Tensors, nested arrays, typed arrays and bool fields", () => {
    const ds = Dataset.fromArrays({ t: np.arange(6).reshape([3, 2]), n: [[1], [2], [3]], m: { data: [1, 0, 1], shape: [3], dtype: "bool" } });
    const [b] = [...ds.batch(3)];
    expect(b!.t.toArraySync()).to.deep.equal([[0, 1], [2, 3], [4, 5]]);
    expect([b!.n.dtype, b!.m.dtype]).to.deep.equal(["float32", "bool"]);
    expect(ids(b!.m)).to.deep.equal([1, 0, 1]);
  });

  it("rejects bad input with typed errors", () => {
    expect(() => Dataset.fromArrays({})).to.throw(ValueError, /no arrays/);
    expect(() => Dataset.fromArrays(null as never)).to.throw(ValueError, /expected a record of arrays/);
    expect(() => Dataset.fromArrays({ x: new Float32Array(4), y: new Int32Array(3) })).to.throw(ShapeError, /field "y" has 3 examples but "x" has 4/);
    expect(() => Dataset.fromArrays({ x: 3 })).to.throw(ShapeError, /field "x" is a scalar/);
    expect(() => Dataset.fromArrays({ x: { data: new Float32Array(5), shape: [2, 2] } })).to.throw(ValueError, /field "x": array: cannot give data of 5/);
    expect(() => ten().batch(0)).to.throw(ValueError, /batch size must be a positive integer, got number 0/);
    expect(() => ten().batch(2.5)).to.throw(ValueError, /positive integer/);
    expect(() => ten().batch(2, { dropRemainder: "yes" as never })).to.throw(ValueError, /dropRemainder must be a boolean/);
    expect(() => ten().shuffle(np.zeros([3]))).to.throw(/key/);
    expect(() => ten().batch(2).epoch(-1)).to.throw(ValueError, /epoch must be an integer in \[0, 2\^31\)/);
    expect(() => ten().order(1.5)).to.throw(ValueError, /epoch must be an integer in \[0, 2\^31\)/);
  });
});
