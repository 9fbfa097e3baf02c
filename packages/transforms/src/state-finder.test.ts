/** StateFinder: which States a function touches, found by abstract tracing (seed 002 §2.3). */
import { expect } from "chai";
import {
  ConcretizationError, LongTermState, ParamState, State, type Tensor, ValueError, isTracingStates, np, random,
} from "@kiln/core";
import { StateFinder, grad, jit } from "./index.js";
import { expectClose } from "@kiln/core/testing";

const names = (found: Record<string, State> | State[]) =>
  Array.isArray(found) ? found.map((s) => s.name) : Object.fromEntries(Object.entries(found).map(([k, s]) => [k, s.name]));

describe("StateFinder", () => {
  // seed 002 §2.3
  const scale = new ParamState(np.array(1.5), { name: "scale" });
  const offset = new ParamState(np.array(-0.2), { name: "offset" });
  const cache = new State(np.array(0), { name: "cache" });
  const energy = (x: Tensor) => {
    const shifted = x.mul(scale.value).add(offset.value);
    scale.value = scale.value.add(0);
    cache.value = np.sum(shifted);
    return np.sum(shifted.pow(2));
  };

  it("finds the ParamStates of seed 002 §2.3 in first-touch order; grad w.r.t. them gives 20.18, 28.4, 11.2", () => {
    const found = StateFinder(energy, { filter: ParamState, usage: "all", returnType: "dict" })(np.ones([2]));
    expect(names(found)).to.deep.equal({ 0: "scale", 1: "offset" });
    const [g, value] = grad(energy, { gradStates: found, returnValue: true })(np.array([1, 3])) as [Record<string, Tensor>, Tensor];
    // shifted = 1.5x - 0.2 = [1.3, 4.3]: Σ shifted² = 20.18; ∂scale = Σ 2·shifted·x = 28.4; ∂offset = Σ 2·shifted = 11.2
    expect(value.itemSync()).to.be.closeTo(20.18, 1e-5);
    expect(Object.keys(g)).to.deep.equal(["0", "1"]);
    expect(g["0"]!.itemSync()).to.be.closeTo(28.4, 1e-5);
    expect(g["1"]!.itemSync()).to.be.closeTo(11.2, 1e-5);
    // the gradient call committed energy's writes: cache = Σ shifted = 5.6, scale unchanged
    expect(cache.value.itemSync()).to.be.closeTo(5.6, 1e-6);
    expect(scale.value.itemSync()).to.equal(1.5);
  });

  it("usage: all (read or written), read (never written), write (written); default dict, or a list", () => {
    const readOnly = new State(np.array(0), { name: "read_state" });
    const param = new ParamState(np.array(1), { name: "param_state" });
    const writeOnly = new LongTermState(np.array(0), { name: "log" });
    const fn = (k: Tensor) => {
      writeOnly.value = k;
      const r = readOnly.value;
      param.value = param.value.mul(k);
      return param.value.add(r);
    };
    const x = np.array(2);
    expect(names(StateFinder(fn)(x))).to.deep.equal({ 0: "log", 1: "read_state", 2: "param_state" });
    expect(names(StateFinder(fn, { usage: "read" })(x))).to.deep.equal({ 0: "read_state" });
    expect(names(StateFinder(fn, { usage: "write", returnType: "list" })(x))).to.deep.equal(["log", "param_state"]);
    expect(StateFinder(fn, { returnType: "list" })(x)).to.deep.equal([writeOnly, readOnly, param]);
  });

  it("filters by class, predicate (path = first-touch index) or glob, renumbering the keys", () => {
    const fn = (x: Tensor) => energy(x);
    expect(names(StateFinder(fn, { filter: (_path, s) => s.name !== "scale" })(np.ones([2])))).to.deep.equal({ 0: "offset", 1: "cache" });
    expect(names(StateFinder(fn, { filter: (path) => Number(path) >= 1, returnType: "list" })(np.ones([2])))).to.deep.equal(["offset", "cache"]);
    expect(names(StateFinder(fn, { filter: "2" })(np.ones([2])))).to.deep.equal({ 0: "cache" });
    expect(names(StateFinder(fn, { filter: State, usage: "write" })(np.ones([2])))).to.deep.equal({ 0: "scale", 1: "cache" });
  });

  it("traces abstractly: no data is read, nothing is committed and no stream emits", () => {
    let emitted = 0;
    const sub = cache.value$.subscribe(() => emitted++);
    let seenArg: Tensor | null = null;
    const found = StateFinder((x: Tensor) => ((seenArg = x), energy(x)))(np.array([1, 3]));
    sub.unsubscribe();
    expect(Object.keys(found)).to.have.length(3);
    expect(seenArg!.node.prim).to.equal("input");
    expect(emitted).to.equal(1);
    expect(isTracingStates()).to.equal(false);
    // reading a value inside is a ConcretizationError: the finder never computes
    expect(() => StateFinder((x: Tensor) => x.itemSync())(np.array(1))).to.throw(ConcretizationError);
    expect(() => StateFinder(() => scale.value.itemSync())()).to.throw(ConcretizationError);
    expect(scale.value.itemSync()).to.equal(1.5);
  });

  it("sees through nested transforms, jit and the random generator, committing none of their writes", () => {
    const w = new ParamState(np.array([1, 2]), { name: "w" });
    const steps = new LongTermState(np.array(0), { name: "steps" });
    const loss = jit((x: Tensor) => np.sum(w.value.mul(x).add(random.normal({ size: [2] }))));
    const trainStep = (x: Tensor) => {
      const g = grad(loss, { gradStates: w })(x) as Tensor;
      w.value = w.value.sub(g.mul(0.1));
      steps.value = steps.value.add(1);
    };
    const all = StateFinder(trainStep, { returnType: "list" })(np.array([1, 1]));
    expect(all.map((s) => s.name)).to.deep.equal(["w", "random.key", "steps"]);
    expect(names(StateFinder(trainStep, { usage: "write", returnType: "list" })(np.array([1, 1])))).to.deep.equal(["w", "random.key", "steps"]);
    expectClose(w.value, [1, 2]);
    expect(steps.value.itemSync()).to.equal(0);
  });

  it("rejects bad arguments with a ValueError naming the option", () => {
    expect(() => StateFinder(3 as never)).to.throw(ValueError, /StateFinder: expected a function, got number 3/);
    expect(() => StateFinder(energy, { usage: "both" as never })).to.throw(ValueError, /usage must be one of "read", "write", "all"; got "both"/);
    expect(() => StateFinder(energy, { returnType: "tuple" as never })).to.throw(ValueError, /returnType must be "dict" or "list"; got "tuple"/);
    expect(() => StateFinder(energy, { filter: 5 as never })).to.throw(ValueError, /StateFinder: a filter is a State class, a predicate/);
    expect(() => StateFinder(energy, null as never)).to.throw(ValueError, /options must be an object/);
  });
});
