import { expect } from "chai";
import { type AnyState, HiddenState, LongTermState, ParamState, State, StateError, type StateValue, type Tensor, ValueError, np, withStateTrace } from "@kiln/core";
import { isDraftable } from "immer";
import { Module, treefyStates } from "./module.js";
import { comparePaths, globToRegExp } from "@kiln/core";

class Affine extends Module {
  weight: ParamState;
  bias = new ParamState(np.zeros([2]));
  constructor(w: number[][] = [[1, 2], [3, 4]]) {
    super();
    this.weight = new ParamState(np.array(w));
  }
  call(x: Tensor) {
    return x.matmul(this.weight.value).add(this.bias.value);
  }
}

class Net extends Module {
  layer2 = new Affine();
  layer1 = new Affine();
  count = new LongTermState(np.array(0));
  hidden = new HiddenState(np.zeros([2]));
  note = "not a state";
  n = 3;
  call(x: Tensor) {
    return this.layer2.call(this.layer1.call(x));
  }
}

const keys = (r: object) => Object.keys(r);

describe("Module.states", () => {
  it("lists every State by dotted path, sorted, nested modules included", () => {
    const net = new Net();
    const all = net.states();
    expect(keys(all)).to.deep.equal(["count", "hidden", "layer1.bias", "layer1.weight", "layer2.bias", "layer2.weight"]);
    expect(all["layer1.weight"]).to.equal(net.layer1.weight);
    expect(all["count"]).to.equal(net.count);
  });

  it("filters by State class (subclasses included), predicate and glob", () => {
    const net = new Net();
    const params = net.states(ParamState);
    expect(keys(params)).to.deep.equal(["layer1.bias", "layer1.weight", "layer2.bias", "layer2.weight"]);
    expect(keys(net.states(LongTermState))).to.deep.equal(["count"]);
    expect(keys(net.states(State))).to.have.length(6);
    expect(keys(net.states((path, s) => path.endsWith("weight") && s instanceof ParamState))).to.deep.equal(["layer1.weight", "layer2.weight"]);
    expect(keys(net.states("layer1.*"))).to.deep.equal(["layer1.bias", "layer1.weight"]);
    expect(keys(net.states("*.bias"))).to.deep.equal(["layer1.bias", "layer2.bias"]);
    expect(keys(net.states("layer?.weight"))).to.deep.equal(["layer1.weight", "layer2.weight"]);
    expect(keys(net.states("nothing*"))).to.deep.equal([]);
  });

  it("a glob's dots are literal and `*` spans segments", () => {
    expect(globToRegExp("a.b").test("aXb")).to.equal(false);
    expect(globToRegExp("*.bias").test("enc.layers.0.bias")).to.equal(true);
    expect(globToRegExp("enc.*").test("enc")).to.equal(false);
  });

  it("arrays of modules give index segments, sorted numerically", () => {
    class Deep extends Module {
      layers = Array.from({ length: 11 }, () => new Affine());
      call(x: Tensor) {
        return this.layers.reduce((h, l) => l.call(h), x);
      }
    }
    const ks = keys(new Deep().states(ParamState));
    expect(ks.slice(0, 6)).to.deep.equal(["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight", "layers.2.bias", "layers.2.weight"]);
    expect(ks.slice(-2)).to.deep.equal(["layers.10.bias", "layers.10.weight"]);
    expect(["b", "a.10", "a.2", "a", "a.x", "a.2.z"].sort(comparePaths)).to.deep.equal(["a", "a.2", "a.2.z", "a.10", "a.x", "b"]);
  });

  it("plain objects of modules are walked; other class instances and Tensors are not", () => {
    class Holder extends Module {
      blocks = { enc: new Affine(), dec: new Affine() };
      tensor = np.zeros([3]);
      date = new Date();
      call() {
        return null;
      }
    }
    expect(keys(new Holder().states())).to.deep.equal(["blocks.dec.bias", "blocks.dec.weight", "blocks.enc.bias", "blocks.enc.weight"]);
  });

  it("lists a State reachable along two paths once, under its smallest path; cycles terminate", () => {
    class Shared extends Module {
      b = new Affine();
      a: Affine;
      tied: ParamState;
      self: Shared;
      constructor() {
        super();
        this.a = this.b; // the same sub-module twice
        this.tied = this.b.weight; // and one of its States directly
        this.self = this; // a cycle
      }
      call() {
        return null;
      }
    }
    const m = new Shared();
    const all = m.states();
    expect(keys(all)).to.deep.equal(["a.bias", "a.weight"]);
    expect(all["a.weight"]).to.equal(m.b.weight);
    expect(new Set(Object.values(all)).size).to.equal(2);
  });

  it("an empty module has no States; a bad filter is a ValueError", () => {
    class Empty extends Module {
      call() {
        return 0;
      }
    }
    expect(new Empty().states()).to.deep.equal({});
    expect(() => new Net().states(42 as never)).to.throw(ValueError, /filter is a State class, a predicate/);
  });

  it("the API.md example: LinearRegressor", () => {
    class LinearRegressor extends Module {
      weight = new ParamState(np.zeros([1, 1]));
      bias = new ParamState(np.zeros([1]));
      call(x: Tensor) {
        return x.matmul(this.weight.value).add(this.bias.value);
      }
    }
    const model = new LinearRegressor();
    expect(keys(model.states(ParamState))).to.deep.equal(["bias", "weight"]);
    expect((model.call(np.array([[2]])) as Tensor).toArraySync()).to.deep.equal([[0]]);
  });
});

describe("treefyStates", () => {
  it("nests States by path segment, with a non-enumerable toFlat on every level", () => {
    const net = new Net();
    const t = treefyStates(net, ParamState);
    expect(keys(t)).to.deep.equal(["layer1", "layer2"]);
    const l1 = t.layer1 as Record<string, AnyState>;
    expect(keys(l1)).to.deep.equal(["bias", "weight"]);
    expect(l1.weight).to.equal(net.layer1.weight);
    expect(Object.getOwnPropertyDescriptor(t, "toFlat")!.enumerable).to.equal(false);
    expect(t.toFlat()).to.deep.equal(net.states(ParamState));
    expect(keys((t.layer1 as unknown as { toFlat(): object }).toFlat())).to.deep.equal(["bias", "weight"]);
    expect(JSON.stringify(Object.keys(treefyStates(net)))).to.equal('["count","hidden","layer1","layer2"]');
  });

  it("arrays become string-keyed levels; works on arrays of modules too", () => {
    const mods = [new Affine(), new Affine()];
    const t = treefyStates(mods, "*.weight");
    expect(keys(t)).to.deep.equal(["0", "1"]);
    expect(keys(t.toFlat())).to.deep.equal(["0.weight", "1.weight"]);
    expect((t["1"] as Record<string, AnyState>).weight).to.equal(mods[1]!.weight);
  });
});

describe("stateDict / loadStateDict", () => {
  function deepFrozen(v: unknown, path = "root"): void {
    if (v === null || typeof v !== "object" || !isDraftable(v)) return; // Tensors are immutable handles
    expect(Object.isFrozen(v), `${path} frozen`).to.equal(true);
    for (const [k, c] of Object.entries(v)) deepFrozen(c, `${path}.${k}`);
  }

  it("snapshots values into a deep-frozen record, pytree values included", () => {
    class WithTree extends Module {
      lin = new Affine();
      pair = new State({ a: np.array([1]), b: [np.array([2]), np.array([3])] });
      call() {
        return null;
      }
    }
    const m = new WithTree();
    const snap = m.stateDict();
    expect(keys(snap)).to.deep.equal(["lin.bias", "lin.weight", "pair"]);
    expect(Object.isFrozen(snap)).to.equal(true);
    deepFrozen(snap);
    const pair = snap["pair"] as { a: Tensor; b: Tensor[] };
    expect(Object.isFrozen(pair.b)).to.equal(true);
    expect(pair.b[1]!.toArraySync()).to.deep.equal([3]);
    // The State's own containers are not frozen (the snapshot copied them).
    expect(Object.isFrozen(m.pair.value)).to.equal(false);
    expect(() => ((snap as Record<string, unknown>)["lin.bias"] = np.zeros([2]))).to.throw(TypeError);
    expect(keys(m.stateDict("lin.*"))).to.deep.equal(["lin.bias", "lin.weight"]);
  });

  it("round-trips: load restores the saved values, and each stream emits exactly once", () => {
    const net = new Net();
    const snap = net.stateDict();
    net.layer1.weight.value = np.array([[9, 9], [9, 9]]);
    net.count.value = np.array(7);
    const emitted: string[] = [];
    const subs = Object.entries(net.states()).map(([p, s]) => s.value$.subscribe(() => emitted.push(p)));
    emitted.length = 0; // drop the on-subscribe emissions
    net.loadStateDict(snap);
    subs.forEach((s) => s.unsubscribe());
    expect(net.layer1.weight.value.toArraySync()).to.deep.equal([[1, 2], [3, 4]]);
    expect(net.count.value.toArraySync()).to.equal(0);
    expect(emitted.sort()).to.deep.equal(keys(net.states()).sort());
  });

  function expectUnchanged(net: Net, load: () => void, pattern: RegExp): void {
    const before = Object.values(net.states()).map((s) => s.value);
    let emitted = 0;
    const subs = Object.values(net.states()).map((s) => s.value$.subscribe(() => emitted++));
    emitted = 0;
    expect(load).to.throw(StateError, pattern);
    subs.forEach((s) => s.unsubscribe());
    expect(emitted).to.equal(0);
    Object.values(net.states()).forEach((s, i) => expect(s.value).to.equal(before[i]));
  }

  it("missing and unexpected keys are a StateError naming them, and nothing changes", () => {
    const net = new Net();
    const snap = { ...net.stateDict(), "layer1.weight": np.array([[5, 5], [5, 5]]) } as Record<string, unknown>;
    delete snap["layer2.bias"];
    snap["layer3.weight"] = np.zeros([1]);
    expectUnchanged(net, () => net.loadStateDict(snap as never), /missing keys \["layer2\.bias"\]; unexpected keys \["layer3\.weight"\]/);
    const only = { ...net.stateDict() } as Record<string, unknown>;
    delete only["count"];
    expectUnchanged(net, () => net.loadStateDict(only as never), /missing keys \["count"\]$/);
  });

  it("a shape or dtype mismatch is a StateError naming the path and both, and nothing changes", () => {
    const net = new Net();
    const good = net.stateDict();
    const badShape = { ...good, "layer1.bias": np.array([7, 7, 7]), "layer1.weight": np.array([[5, 5], [5, 5]]) };
    expectUnchanged(net, () => net.loadStateDict(badShape), /"layer1\.bias" has shape \[2\] in the module but \[3\] in the state dict/);
    const badDtype = { ...good, count: np.array(1, { dtype: "int32" }) };
    expectUnchanged(net, () => net.loadStateDict(badDtype), /"count" has dtype float32 in the module but int32 in the state dict/);
    const notTensor = { ...good, count: 3 as never };
    expectUnchanged(net, () => net.loadStateDict(notTensor), /"count" must be a Tensor, got number 3/);
    expectUnchanged(net, () => net.loadStateDict(null as never), /expected a state dict/);
  });

  it("inside a State trace (a transform), loading records writes in the trace instead of committing", () => {
    const net = new Net();
    const snap = net.stateDict();
    net.count.value = np.array(5);
    const writes = new Map<AnyState, StateValue>();
    let emitted = 0;
    const sub = net.count.value$.subscribe(() => emitted++);
    emitted = 0;
    withStateTrace({ read: (st, parent) => writes.get(st) ?? parent(), write: (st, v) => void writes.set(st, v) }, () => net.loadStateDict(snap));
    sub.unsubscribe();
    expect(emitted).to.equal(0);
    expect(net.count.value.toArraySync()).to.equal(5);
    expect(writes.size).to.equal(6);
    expect((writes.get(net.count) as Tensor).toArraySync()).to.equal(0);
  });

  it("a pytree value with another structure is a StateError", () => {
    class WithTree extends Module {
      pair = new State({ a: np.array([1]), b: np.array([2]) });
      call() {
        return null;
      }
    }
    const m = new WithTree();
    expect(() => m.loadStateDict({ pair: { a: np.array([1]) } })).to.throw(StateError, /"pair" has structure \{"a":\*,"b":\*\} in the module but \{"a":\*\} in the state dict/);
    m.loadStateDict({ pair: { a: np.array([10]), b: np.array([20]) } });
    expect((m.pair.value as { b: Tensor }).b.toArraySync()).to.deep.equal([20]);
  });
});
