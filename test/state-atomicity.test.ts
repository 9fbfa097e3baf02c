/**
 * State atomicity under failure (test/state-atomicity.ts's cases) and careless use of States and
 * their streams, on cpu: a failing traced function, control-flow body or optimizer step leaves every
 * State as it was and its stream silent; careless writes, subscriptions and disposals get typed
 * errors (or the BrainState behaviour, where BrainState accepts them).
 */
import { expect } from "chai";
import {
  DisposedError, ParamState, ShapeError, State, StateError, Tensor, ValueError, grad, jit, np, optim, random, stateStreamErrors$, states$, tree, vmap,
} from "kiln";
import { ATOMICITY_CASES, UserBoom, checkAtomic, checkOptimizerAtomic, committed, replaced } from "./state-atomicity.js";
import { useCpu } from "./util.js";

describe("State atomicity under failure (cpu)", () => {
  useCpu();
  for (const c of ATOMICITY_CASES) {
    it(`${c.name}: the error, every State unchanged, no emission`, () => checkAtomic(c));
  }

  for (const Opt of [optim.SGD, optim.Momentum, optim.Adam, optim.AdamW, optim.RMSProp, optim.Adagrad, optim.Lion]) {
    it(`${Opt.name}.update with grads that do not match the weights changes no weight, moment or step count`, () => {
      checkOptimizerAtomic(Opt as never);
    });
  }

  it("an optimizer step inside a jit that then throws, or refuses its grads there, changes no weight or slot", () => {
    const c = new ParamState(np.zeros([3]));
    const opt = new optim.Adam({ c }, { lr: 0.1 });
    const all = [c, ...tree.leaves(opt.states(), (v) => v instanceof State)].filter((v): v is State => v instanceof State);
    const before = committed(all);
    expect(() => jit(() => {
      opt.update({ c: np.ones([3]) });
      throw new UserBoom("after the step");
    })()).to.throw(UserBoom);
    expect(() => jit(() => opt.update({ c: np.ones([4]) } as never))()).to.throw(ShapeError);
    expect(replaced(before, committed(all))).to.deep.equal([]);
    jit(() => opt.update({ c: np.ones([3]) }))();
    expect(replaced(before, committed(all))).to.have.length(all.length);
  });

  it("the global random key (a State) does not advance when a jit or grad that drew from it throws", () => {
    random.seed(1);
    const fresh = random.randn(2).toArraySync();
    random.seed(1);
    expect(() => jit(() => {
      random.randn(2);
      throw new UserBoom("after a draw");
    })()).to.throw(UserBoom);
    expect(() => grad((x: Tensor) => {
      random.randn(2);
      throw new UserBoom("after a draw");
    })(np.ones([2]))).to.throw(UserBoom);
    expect(random.randn(2).toArraySync()).to.deep.equal(fresh);
  });

  it("a subscriber that throws during a jit's commit: every State commits, every stream emits, the error is reported (documented in docs/state.md)", () => {
    const [a, b, c] = [new State(np.ones([2])), new State(np.ones([2])), new State(np.ones([2]))];
    const reported: unknown[] = [];
    const errSub = stateStreamErrors$.subscribe(({ error }) => reported.push(error));
    const seen: string[] = [];
    let armed = false;
    const subs = [
      a.value$.subscribe(() => {
        seen.push("a");
        if (armed) throw new Error("logger failed");
      }),
      b.value$.subscribe(() => seen.push("b")),
      c.value$.subscribe(() => seen.push("c")),
    ];
    seen.length = 0;
    armed = true;
    try {
      jit(() => {
        a.value = a.value.add(1);
        b.value = b.value.add(1);
        c.value = c.value.add(1);
      })();
      expect(seen).to.deep.equal(["a", "b", "c"]);
      expect(reported.map((e) => (e as Error).message)).to.deep.equal(["logger failed"]);
      expect([a, b, c].map((s) => s.value.toArraySync())).to.deep.equal([[2, 2], [2, 2], [2, 2]]);
    } finally {
      [...subs, errSub].forEach((s) => s.unsubscribe());
    }
  });

  it("a State whose shape changed between calls: jit traces again and commits the new shape", () => {
    const a = new State(np.ones([2]));
    const f = jit(() => {
      a.value = a.value.add(1);
    });
    f();
    a.value = np.ones([5]);
    f();
    expect(a.value.toArraySync()).to.deep.equal([2, 2, 2, 2, 2]);
  });
});

describe("careless use of States and their streams (cpu)", () => {
  useCpu();

  it("writing a non-Tensor, undefined or null to .value is a StateError and keeps the value", () => {
    const s = new State(np.ones([2, 3]));
    const before = s.committedValue;
    for (const v of ["abc", undefined, null, Symbol("s"), () => 1, 10n]) {
      expect(() => (s.value = v as never), String(typeof v)).to.throw(StateError);
      expect(s.committedValue).to.equal(before);
    }
  });

  it("a JS array written to .value is a pytree (list) of scalar Tensors, as BrainState keeps any pytree; ragged is fine for a list", () => {
    const s = new State(np.ones([2, 3]));
    s.value = [[1, 2], [3]] as never;
    const leaves = tree.leaves(s.value);
    expect(leaves.map((t) => (t as Tensor).shape)).to.deep.equal([[], [], []]);
    expect(leaves.every((t) => t instanceof Tensor)).to.equal(true);
  });

  it("a write of another shape or dtype is accepted (BrainState: the value is replaced; traced loops check the shape)", () => {
    const s = new State(np.ones([2]));
    s.value = np.ones([3], { dtype: "int32" });
    expect(s.value.shape).to.deep.equal([3]);
    expect(s.value.dtype).to.equal("int32");
  });

  it("subscribing with a non-function or an observer of non-functions is a ValueError; no argument and unsubscribing twice are fine", () => {
    const s = new State(np.ones([2]));
    for (const bad of [5, "x", true, { next: 5 }, { error: "e" }, { complete: 1 }]) {
      expect(() => s.value$.subscribe(bad as never), JSON.stringify(bad)).to.throw(ValueError, /subscribe expects a function or an observer/);
    }
    expect(() => states$([s]).subscribe(7 as never)).to.throw(ValueError, /subscribe expects/);
    const u = s.value$.subscribe();
    u.unsubscribe();
    u.unsubscribe();
    const seen: number[] = [];
    const v = s.value$.subscribe({ next: () => seen.push(1) });
    v.unsubscribe();
    v.unsubscribe();
    s.value = np.zeros([2]);
    expect(seen).to.deep.equal([1]);
  });

  it("a State whose tensor was disposed: reading it (eagerly or in jit) is a DisposedError; writing a new value recovers it", () => {
    const s = new State(np.ones([2]));
    s.value.dispose();
    expect(() => s.value.dataSync()).to.throw(DisposedError);
    expect(() => jit(() => s.value.add(1))()).to.throw(DisposedError);
    s.value = np.zeros([2]);
    expect(s.value.toArraySync()).to.deep.equal([0, 0]);
  });

  it("a State captured by two nested jits is threaded through both: every write counts", () => {
    const s = new State(np.ones([2]));
    const inner = jit(() => {
      s.value = s.value.add(1);
      return s.value;
    });
    const outer = jit(() => {
      inner();
      return inner();
    });
    outer();
    outer();
    expect(s.value.toArraySync()).to.deep.equal([5, 5]);
  });

  it("a State written inside grad (not differentiated) commits its value, as BrainState's grad does", () => {
    const t = new State(np.ones([2]));
    const p = new ParamState(np.ones([2]));
    const g = grad(() => {
      t.value = t.value.add(p.value);
      return np.sum(p.value.mul(3));
    }, { gradStates: [p] })() as Tensor[];
    expect(g[0]!.toArraySync()).to.deep.equal([3, 3]);
    expect(t.value.toArraySync()).to.deep.equal([2, 2]);
  });

  it("a State written inside vmap: an unbatched value commits, a per-example one is a StateError", () => {
    const t = new State(np.ones([2]));
    vmap((x: Tensor) => {
      t.value = t.value.add(1);
      return x;
    })(np.ones([3, 2]));
    expect(t.value.toArraySync()).to.deep.equal([2, 2]);
    expect(() => vmap((x: Tensor) => {
      t.value = t.value.add(x);
    })(np.ones([3, 2]))).to.throw(StateError, /differs per example/);
    expect(t.value.toArraySync()).to.deep.equal([2, 2]);
  });
});
