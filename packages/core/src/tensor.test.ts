import { expect } from "chai";
import {
  np, tidy, memoryStats, Tensor, makeNode, ConcretizationError, DisposedError, ValueError, ShapeError, KilnError,
  bufferOf, CoercionError,
} from "./index.js";

declare const gc: undefined | (() => void);

describe("lazy Tensor", () => {
  it("records without computing and realizes on read", async () => {
    const before = memoryStats().buffers;
    const x = np.array([1, 2, 3]);
    const y = np.tanh(x.mul(1.5).add(0.5));
    // Building y allocated no buffer beyond x's.
    expect(memoryStats().buffers).to.equal(before + 1);
    expect(bufferOf(y.node)).to.equal(undefined);
    const data = await y.data();
    expect(data).to.be.instanceOf(Float32Array);
    const expected = [1, 2, 3].map((v) => Math.tanh(v * 1.5 + 0.5));
    Array.from(data).forEach((v, i) => expect(v).to.be.closeTo(expected[i]!, 1e-6));
    // After realization the handle points at a buffer leaf: its graph is gone.
    expect(y.node.prim).to.equal("data");
  });

  it("exposes shape, dtype, ndim, size", () => {
    const x = np.array([[1, 2, 3], [4, 5, 6]]);
    expect([x.shape, x.dtype, x.ndim, x.size]).to.deep.equal([[2, 3], "float32", 2, 6]);
    expect(np.array([true, false]).dtype).to.equal("bool");
    expect(np.array([1, 2], { dtype: "int32" }).dtype).to.equal("int32");
    expect(np.array(3).shape).to.deep.equal([]);
  });

  it("reads back synchronously and asynchronously in every form", async () => {
    const x = np.array([[1, 2], [3, 4]]);
    expect(x.toArraySync()).to.deep.equal([[1, 2], [3, 4]]);
    expect(await x.toArray()).to.deep.equal([[1, 2], [3, 4]]);
    expect(Array.from(x.dataSync())).to.deep.equal([1, 2, 3, 4]);
    const s = np.array(2.5).mul(2);
    expect(s.itemSync()).to.equal(5);
    expect(await s.item()).to.equal(5);
    expect(np.array([7]).itemSync()).to.equal(7);
    expect(() => x.itemSync()).to.throw(ValueError, /only size-1 tensors/);
    expect(np.array([1, 2]).toString()).to.equal("Tensor([1,2], float32)");
  });

  it("accepts nested Tensors in array literals and stays differentiable (graph-built)", () => {
    const a = np.array([1, 2]);
    const b = np.array([[a.mul(2), a]]);
    expect(b.shape).to.deep.equal([1, 2, 2]);
    expect(b.toArraySync()).to.deep.equal([[[2, 4], [1, 2]]]);
  });

  it("rejects ragged and non-numeric input with typed errors", () => {
    expect(() => np.array([[1, 2], [3]])).to.throw(ShapeError, /ragged/);
    expect(() => np.array(["a" as unknown as number])).to.throw(ValueError, /expected numbers/);
    expect(() => np.add([1, 2], [1, 2, 3])).to.throw(ShapeError, /add: shapes \[2\] and \[3\] cannot be broadcast/);
    // Every user error is a KilnError.
    expect(() => np.add([1, 2], [1, 2, 3])).to.throw(KilnError);
  });

  it("throws ConcretizationError when a traced value is read", () => {
    const x = new Tensor(makeNode("input", [], { label: "x" }, { shape: [2], dtype: "float32" }));
    expect(() => x.mul(2).dataSync()).to.throw(ConcretizationError, /cond, whileLoop or scan/);
    expect(x.mul(2).toString()).to.equal("Tensor(float32[2], pending)");
  });

  it("dispose() frees the buffer; use after dispose is a DisposedError", () => {
    const before = memoryStats().buffers;
    const x = np.array([1, 2, 3]);
    expect(memoryStats().buffers).to.equal(before + 1);
    x.dispose();
    expect(memoryStats().buffers).to.equal(before);
    expect(() => x.add(1)).to.throw(DisposedError, /after dispose/);
    x.dispose(); // idempotent
  });

  it("tidy() frees temporaries and keeps what is returned", () => {
    const before = memoryStats().buffers;
    const out = tidy(() => {
      const a = np.array([1, 2, 3]);
      const b = a.mul(2);
      b.dataSync(); // realized temporary
      const c = np.array([10, 20, 30]);
      return { sum: b.add(c) }; // pending: needs b's and c's buffers
    });
    expect(out.sum.toArraySync()).to.deep.equal([12, 24, 36]);
    // a was not needed by the result and was freed; b and c stay alive for the pending result.
    expect(memoryStats().buffers - before).to.be.at.most(3);
    const before2 = memoryStats().buffers;
    tidy(() => {
      np.array([1, 2]).mul(3).dataSync();
      np.array([4, 5]).dataSync();
    });
    expect(memoryStats().buffers).to.equal(before2);
  });

  it("reading 10,000 temporaries in a loop does not grow the live buffer count (tidy)", () => {
    const x = np.array([1, 2, 3, 4]);
    const start = memoryStats().buffers;
    for (let i = 0; i < 10000; i++) {
      tidy(() => {
        x.mul(i).add(1).dataSync();
      });
    }
    expect(memoryStats().buffers).to.equal(start);
  });

  it("buffers of unreferenced handles are reclaimed by the garbage collector", async function () {
    if (typeof gc !== "function") throw new Error("run mocha with --expose-gc (set in .mocharc.json)");
    const x = np.array([1, 2, 3, 4]);
    const start = memoryStats().buffers;
    let peak = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 1000; i++) x.mul(i).add(1).dataSync();
      // Let FinalizationRegistry callbacks run: collect, then yield to the event loop.
      gc();
      await new Promise((r) => setImmediate(r));
      gc();
      await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, memoryStats().buffers - start);
    }
    // 10,000 realized temporaries were created; the live count stays bounded by one round's worth.
    expect(peak).to.be.below(1100);
    expect(memoryStats().buffers - start).to.be.below(1100);
  });

  it("JS coercion to a number throws a CoercionError naming the fix; strings print outside a trace", () => {
    const x = np.array([1, 2]);
    const s = x.sum();
    expect(() => (s as unknown as number) > 0).to.throw(CoercionError, /itemSync\(\)/);
    expect(() => Number(s)).to.throw(CoercionError, /np.where/);
    expect(() => +s).to.throw(CoercionError);
    expect(() => (s as unknown as number) + 1).to.throw(CoercionError);
    expect(`${x}`).to.equal("Tensor([1,2], float32)");
    expect(String(x)).to.equal(x.toString());
    // A traced value: even the string hint throws.
    const p = new Tensor(makeNode("input", [], { label: "p" }, { shape: [2], dtype: "float32" }));
    expect(() => `${p}`).to.throw(CoercionError, /traced/);
    expect(() => (p.sum() as unknown as number) > 0).to.throw(CoercionError, /cond/);
  });

  it("has np's chaining methods as class members: on the prototype, not enumerable, delegating to np", () => {
    // They are installed by np/tensor-methods.ts (tensor.ts does not import np).
    const proto = Tensor.prototype as unknown as Record<string | symbol, unknown>;
    for (const m of ["add", "sub", "mul", "sum", "var", "reshape", "get", "at", "matmul", "dot", "diagonal", Symbol.iterator]) {
      expect(proto[m], String(m)).to.be.a("function");
      expect(Object.getOwnPropertyDescriptor(Tensor.prototype, m)!.enumerable, String(m)).to.equal(false);
    }
    expect(Object.getOwnPropertyDescriptor(Tensor.prototype, "T")!.get).to.be.a("function");
    const x = np.array([[1, 2], [3, 4]]);
    const keys: string[] = [];
    for (const k in x) keys.push(k);
    expect(keys).to.deep.equal(["weak"]);
    expect(x.T.toArraySync()).to.deep.equal([[1, 3], [2, 4]]);
    expect(x.var().itemSync()).to.equal(np.var(x).itemSync());
    const [a, b] = x;
    expect([a!.toArraySync(), b!.toArraySync()]).to.deep.equal([[1, 2], [3, 4]]);
  });
});
