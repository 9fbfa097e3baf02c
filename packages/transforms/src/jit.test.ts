import { expect } from "chai";
import { np, ParamState, State, Tensor, ConcretizationError, ValueError, StateError, environ, type StateValue } from "@kiln/core";
import { jit } from "./jit.js";
import { grad } from "./grad.js";

describe("jit", () => {
  it("traces once per signature and replays", () => {
    const f = jit((x: Tensor, y: Tensor) => np.sum(np.tanh(x).mul(y)));
    const a = np.array([1, 2, 3]), b = np.array([0.5, 1, 2]);
    const expected = Math.tanh(1) * 0.5 + Math.tanh(2) + Math.tanh(3) * 2;
    expect(f(a, b).itemSync()).to.be.closeTo(expected, 1e-5);
    expect(f(np.array([1, 2, 3]), b).itemSync()).to.be.closeTo(expected, 1e-5);
    expect(f.traceCount()).to.equal(1);
    expect(f.cacheSize()).to.equal(1);
    // A new shape traces again; the old one is still cached.
    expect(f(np.array([1, 2]), np.array([1, 1])).itemSync()).to.be.closeTo(Math.tanh(1) + Math.tanh(2), 1e-5);
    expect(f.traceCount()).to.equal(2);
    f(a, b);
    expect(f.traceCount()).to.equal(2);
    f.clearCache();
    f(a, b);
    expect(f.traceCount()).to.equal(3);
  });

  it("returns pytrees and accepts pytree arguments and numbers", () => {
    const f = jit((p: { w: Tensor; b: Tensor }, x: Tensor, s: number) => ({ y: x.matmul(p.w).add(p.b).mul(s), n: 2 }));
    const out = f({ w: np.array([[1], [2]]), b: np.array([1]) }, np.array([[1, 1]]), 3) as unknown as { y: Tensor; n: Tensor };
    expect(out.y.toArraySync()).to.deep.equal([[12]]);
    expect(out.n.itemSync()).to.equal(2);
  });

  it("static arguments are part of the key", () => {
    const f = jit((x: Tensor, power: number) => x.pow(power), { staticArgnums: 1 });
    expect(f(np.array([2]), 3).toArraySync()).to.deep.equal([8]);
    expect(f(np.array([2]), 2).toArraySync()).to.deep.equal([4]);
    expect(f.traceCount()).to.equal(2);
    f(np.array([5]), 2);
    expect(f.traceCount()).to.equal(2);
  });

  it("threads States: reads are inputs, writes are committed after the run and emitted once", () => {
    const w = new ParamState(np.array([1, 2]), { name: "w" });
    const count = new State(np.array(0), { name: "count" });
    const seen: number[] = [];
    const sub = count.value$.subscribe((v) => seen.push((v as Tensor).itemSync()));
    const step = jit((x: Tensor) => {
      count.value = count.value.add(1);
      w.value = w.value.mul(x);
      return np.sum(w.value);
    });
    expect(step(np.array(2)).itemSync()).to.equal(6);
    expect(step(np.array(2)).itemSync()).to.equal(12);
    expect(w.value.toArraySync()).to.deep.equal([4, 8]);
    expect(step.traceCount()).to.equal(1);
    sub.unsubscribe();
    expect(seen).to.deep.equal([0, 1, 2]);
  });

  it("re-traces when a State's shape changes (never a stale graph)", () => {
    const s = new State(np.array([1, 2]));
    const f = jit(() => np.sum(s.value));
    expect(f().itemSync()).to.equal(3);
    s.value = np.array([1, 2, 3]);
    expect(f().itemSync()).to.equal(6);
    expect(f.traceCount()).to.equal(2);
  });

  it("keys on the environment settings", () => {
    const f = jit((x: Tensor) => (environ.get("fit") ? x.mul(2) : x));
    expect(f(np.array([1])).toArraySync()).to.deep.equal([2]);
    expect(environ.context({ fit: false }, () => f(np.array([1])).toArraySync())).to.deep.equal([1]);
    expect(f.traceCount()).to.equal(2);
  });

  it("value-dependent control flow on a traced value is a ConcretizationError; nothing is committed", () => {
    const s = new State(np.array(1));
    const f = jit((x: Tensor) => {
      s.value = np.array(5);
      if (x.itemSync() > 0) return x;
      return x.neg();
    });
    expect(() => f(np.array(1))).to.throw(ConcretizationError, /cond, whileLoop or scan/);
    expect((s.value as Tensor).itemSync()).to.equal(1);
    expect(f.cacheSize()).to.equal(0);
  });

  it("composes with grad both ways", () => {
    const f = (x: Tensor) => np.sum(x.mul(x).mul(x));
    const g1 = jit(grad(f));
    const g2 = grad(jit(f));
    expect(g1(np.array([1, 2])).toArraySync()).to.deep.equal([3, 12]);
    expect(g2(np.array([1, 2])).toArraySync()).to.deep.equal([3, 12]);
    expect(g1(np.array([3, 1])).toArraySync()).to.deep.equal([27, 3]);
    expect(g1.traceCount()).to.equal(1);
  });

  it("lower() reports the graph, kernels and stats", () => {
    const f = jit((x: Tensor) => np.sum(x.mul(2)));
    const low = f.lower(np.array([1, 2, 3]));
    expect(low.graph).to.contain("reduceSum");
    expect(low.stats).to.have.keys(["kernels", "flops", "bytes", "peakBytes"]);
    expect(f.traceCount()).to.equal(1);
    f(np.array([1, 2, 3]));
    expect(f.traceCount()).to.equal(1);
    // as JAX's lower(*args): without the arguments it is a typed error, not a trace on undefineds
    expect(() => (f.lower as () => unknown)()).to.throw(ValueError, /takes the arguments of a call/);
  });

  it("rejects bad options and arguments with clear errors", () => {
    expect(() => jit((x: Tensor) => x, { staticArgnums: 1.5 })).to.throw(ValueError, /staticArgnums/);
    const f = jit((x: Tensor) => x);
    expect(() => f("a" as unknown as Tensor)).to.throw(ValueError, /arguments must be Tensors/);
    const g = jit((x: Tensor) => x, { staticArgnums: 3 });
    expect(() => g(np.array(1))).to.throw(ValueError, /out of range/);
    void (null as unknown as StateValue);
  });
});

describe("jit: leaked States", () => {
  it("a State created inside a trace and used outside is a StateError", () => {
    let leaked: State | undefined;
    const f = jit((x: Tensor) => {
      leaked = new State(x.mul(2));
      return x;
    });
    f(np.array([1]));
    expect(() => leaked!.value).to.throw(StateError, /created \(or assigned\) inside a traced function/);
  });
});
