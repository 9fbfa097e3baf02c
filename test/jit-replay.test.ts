/**
 * Issue #6: a cached jit call replays its compiled plan without tracing, building a signature
 * key, hashing or scheduling a graph, or looking kernels up; signatures are still matched
 * exactly (shapes, dtypes, weak types, pytrees, statics, States, settings); `donateArgnums` lets
 * the plan write outputs into argument buffers the caller gave up.
 */
import { expect } from "chai";
import { DisposedError, State, Tensor, ValueError, environ, jit, kernelCacheStats, np } from "kiln";
import { bufferOf, jitStats, planCacheStats, setStepTimer } from "kiln/internal";
import { useCpu } from "./util.js";

/** The host array behind a realized Tensor (identity tells whether storage was reused). */
const hostOf = (t: Tensor) => bufferOf(t.node)!.host!;

describe("jit replay", () => {
  useCpu();

  it("a cached call neither traces, builds a key, hashes, schedules nor looks kernels up", () => {
    const w = new State(np.array([1, 2, 3]), { name: "w" });
    const step = jit((x: Tensor, scale: number) => {
      w.value = w.value.mul(x);
      return np.sum(w.value).mul(scale);
    });
    const x = np.array([2, 2, 2]);
    step(x, 1);
    step(x, 1);
    step(x, 0.5); // 0.5 is a float where 1 was an int: a second entry
    expect(step.traceCount()).to.equal(2);
    const slow = jitStats().slowSignatures, plans = planCacheStats(), lookups = kernelCacheStats().lookups;
    let last = 0;
    // Alternating between the two cached signatures.
    for (let i = 0; i < 20; i++) last = step(x, i % 2 ? 0.5 : 1).itemSync();
    expect(step.traceCount()).to.equal(2);
    expect(jitStats().slowSignatures).to.equal(slow);
    expect(planCacheStats()).to.deep.equal(plans);
    expect(kernelCacheStats().lookups).to.equal(lookups);
    // 23 calls doubled w: the last (scale 0.5) returned sum(w) / 2 = 6 · 2^23 / 2.
    expect(last).to.equal(6 * 2 ** 22);
    expect((w.value as Tensor).toArraySync()).to.deep.equal([2 ** 23, 2 ** 24, 3 * 2 ** 23]);
  });

  it("matches signatures exactly: shapes, dtypes, weak types, numbers, pytrees and statics", () => {
    const f = jit((p: { a: Tensor; b: Tensor }, k: number, opts: { n: number }) => p.a.add(p.b).mul(k).add(opts.n), { staticArgnums: 2 });
    const a = np.array([1, 2]), b = np.array([10, 20]);
    expect(f({ a, b }, 2, { n: 1 }).toArraySync()).to.deep.equal([23, 45]);
    // Same structure with keys in another order, an equal static object: replayed.
    expect(f({ b, a }, 3, { n: 1 }).toArraySync()).to.deep.equal([34, 67]);
    expect(f.traceCount()).to.equal(1);
    // Each of these differs in one respect and traces anew.
    expect(f({ a, b }, 2, { n: 2 }).toArraySync()).to.deep.equal([24, 46]); // static value
    expect(f({ a, b }, 2.5, { n: 1 }).toArraySync()).to.deep.equal([28.5, 56]); // float number
    expect(f({ a: np.array([1, 2, 3]), b: np.array([1, 1, 1]) }, 1, { n: 0 }).toArraySync()).to.deep.equal([2, 3, 4]); // shape
    expect(f({ a: np.array([1, 2], { dtype: "int32" }), b: np.array([1, 1], { dtype: "int32" }) }, 1, { n: 0 }).dtype).to.equal("int32"); // dtype
    expect(f.traceCount()).to.equal(5);
    const g = jit((x: Tensor) => x.add(np.array([1], { dtype: "int32" })));
    expect(g(np.array([1], { dtype: "int32" })).dtype).to.equal("int32");
    expect(g(np.array([1.5])).dtype).to.equal("float32"); // a strong float32 argument
    expect(g.traceCount()).to.equal(2);
    expect(g(np.array([7], { dtype: "int32" })).toArraySync()).to.deep.equal([8]);
    expect(g.traceCount()).to.equal(2);
    expect(() => f({ a, b, c: a } as never, 1, { n: 0 })).to.not.throw(); // a new structure is a new entry
    expect(f.traceCount()).to.equal(6);
    // A static object mutated in place is compared by its contents, not its identity.
    const opts = { n: 100 };
    expect(f({ a, b }, 1, opts).toArraySync()).to.deep.equal([111, 122]);
    opts.n = 200;
    expect(f({ a, b }, 1, opts).toArraySync()).to.deep.equal([211, 222]);
    expect(f.traceCount()).to.equal(8);
  });

  it("follows State values replaced outside: same avals replay, new avals trace", () => {
    const s = new State(np.array([1, 2]));
    const f = jit(() => np.sum(s.value));
    expect(f().itemSync()).to.equal(3);
    s.value = np.array([5, 6]);
    expect(f().itemSync()).to.equal(11);
    expect(f.traceCount()).to.equal(1);
    s.value = np.array([5, 6], { dtype: "int32" });
    expect(f().itemSync()).to.equal(11);
    expect(f.traceCount()).to.equal(2);
  });

  it("keys on settings changed inside a context", () => {
    const f = jit((x: Tensor) => (environ.get("fit") ? x.mul(2) : x));
    try {
      expect(f(np.array([3])).toArraySync()).to.deep.equal([6]);
      environ.context({ fit: true }, () => environ.set({ fit: false }));
      expect(environ.signature()).to.equal('[["fit",false]]');
      expect(f(np.array([3])).toArraySync()).to.deep.equal([3]);
      expect(f.traceCount()).to.equal(2);
    } finally {
      environ.reset();
    }
  });

  it("setStepTimer sees every kernel of a replay, by kind", () => {
    const f = jit((a: Tensor, b: Tensor) => np.tanh(a.matmul(b)).sum({ axis: 1 }));
    const a = np.ones([8, 16]), b = np.ones([16, 4]);
    a.dataSync();
    b.dataSync();
    const { kernels } = f.lower(a, b).stats;
    const seen: string[] = [];
    setStepTimer((kind, ms) => {
      expect(ms).to.be.at.least(0);
      seen.push(kind);
    });
    try {
      expect(f(a, b).toArraySync()).to.deep.equal(Array(8).fill(4 * Math.fround(Math.tanh(16))));
    } finally {
      setStepTimer(null);
    }
    expect(seen).to.have.length(kernels);
    for (const kind of seen) expect(["elementwise", "reduce", "matmul", "library"]).to.include(kind);
    f(a, b);
    expect(seen).to.have.length(kernels); // removed
  });

  it("a disposed argument is a DisposedError on a cached call", () => {
    const f = jit((x: Tensor) => x.mul(2));
    const x = np.array([1, 2]);
    f(x);
    x.dispose();
    expect(() => f(x)).to.throw(DisposedError, /after dispose/);
  });
});

describe("jit donateArgnums", () => {
  useCpu();

  it("writes an elementwise update into the donated buffer and disposes the argument", () => {
    const update = jit((w: Tensor, g: Tensor) => w.sub(g.mul(0.5)), { donateArgnums: 0 });
    let w = np.array([1, 2, 3, 4]);
    const g = np.array([2, 2, 2, 2]);
    w.dataSync();
    const alias = new Tensor(w.node); // a second handle on the same buffer
    const storage = hostOf(w);
    const first = w;
    w = update(w, g);
    expect(hostOf(w)).to.equal(storage);
    expect(w.toArraySync()).to.deep.equal([0, 1, 2, 3]);
    expect(first.isDisposed).to.equal(true);
    expect(() => first.add(1)).to.throw(DisposedError);
    expect(() => alias.dataSync()).to.throw(DisposedError, /after dispose/);
    for (let i = 0; i < 4; i++) w = update(w, g);
    expect(w.toArraySync()).to.deep.equal([-4, -3, -2, -1]);
    expect(hostOf(w)).to.equal(storage);
    expect(hostOf(g)).to.not.equal(storage); // g was not donated and is intact
    expect(g.toArraySync()).to.deep.equal([2, 2, 2, 2]);
  });

  it("never writes over an input that is still read (a transpose reads other elements)", () => {
    const f = jit((w: Tensor) => w.T.mul(2), { donateArgnums: 0 });
    const w = np.array([[1, 2], [3, 4]]);
    const storage = hostOf(w);
    const out = f(w);
    expect(out.toArraySync()).to.deep.equal([[2, 6], [4, 8]]);
    expect(hostOf(out)).to.not.equal(storage);
    expect(w.isDisposed).to.equal(true);
  });

  it("reuses donated pytree leaves by shape and dtype; others get fresh storage", () => {
    const f = jit((p: { w: Tensor; b: Tensor }) => ({ w: p.w.add(1), b: p.b.mul(3), total: np.sum(p.w) }), { donateArgnums: [0] });
    const p = { w: np.array([1, 2, 3]), b: np.array([5]) };
    const ws = hostOf(p.w), bs = hostOf(p.b);
    const out = f(p) as unknown as { w: Tensor; b: Tensor; total: Tensor };
    expect(out.w.toArraySync()).to.deep.equal([2, 3, 4]);
    expect(out.b.toArraySync()).to.deep.equal([15]);
    expect(out.total.itemSync()).to.equal(6);
    // total (shape [] ) cannot take either; w's and b's storage went to the same-shaped outputs.
    expect(hostOf(out.w)).to.equal(ws);
    expect(hostOf(out.b)).to.equal(bs);
    expect(p.w.isDisposed && p.b.isDisposed).to.equal(true);
  });

  it("does not take storage that another input of the call reads", () => {
    const f = jit((w: Tensor, v: Tensor) => w.add(v), { donateArgnums: 0 });
    const w = np.array([1, 2]);
    const v = new Tensor(w.node); // the same buffer through another handle
    const storage = hostOf(w);
    const out = f(w, v);
    expect(out.toArraySync()).to.deep.equal([2, 4]);
    expect(hostOf(out)).to.not.equal(storage);
    expect(v.toArraySync()).to.deep.equal([1, 2]);
  });

  it("outputs never alias other storage, so donating one cannot change another handle", () => {
    const update = jit((w: Tensor) => w.add(1), { donateArgnums: 0 });
    const x = np.array([1, 2]);
    const y = jit((v: Tensor) => v)(x); // an input returned as is: a copy
    expect(hostOf(y)).to.not.equal(hostOf(x));
    expect(update(y).toArraySync()).to.deep.equal([2, 3]);
    expect(x.toArraySync()).to.deep.equal([1, 2]);
    // One value returned twice is one buffer: donating it disposes both handles.
    const [a, b] = jit((v: Tensor) => {
      const d = v.mul(2);
      return [d, d];
    })(x) as unknown as [Tensor, Tensor];
    expect(update(a).toArraySync()).to.deep.equal([3, 5]);
    expect(() => b.dataSync()).to.throw(DisposedError, /after dispose/);
  });

  it("rejects bad donateArgnums", () => {
    expect(() => jit((x: Tensor) => x, { donateArgnums: 0.5 })).to.throw(ValueError, /donateArgnums must be integers/);
    const f = jit((x: Tensor) => x, { donateArgnums: 2 });
    expect(() => f(np.array([1]))).to.throw(ValueError, /donateArgnums 2 is out of range/);
  });
});
