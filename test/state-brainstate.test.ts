/**
 * BrainState's State conveniences: `numel()`, `copy()`, `restoreValue()` (what code ported from
 * BrainState calls), with BrainState's semantics.
 */
import { expect } from "chai";
import { ParamState, State, StateError, jit, np } from "kiln";
import { useCpu } from "./util.js";

describe("State: BrainState's numel / copy / restoreValue", () => {
  useCpu();

  it("numel counts the elements of every leaf", () => {
    expect(new State(np.zeros([2, 3, 4])).numel()).to.equal(24);
    expect(new State({ a: np.zeros([5]), b: np.zeros([2, 3]) }).numel()).to.equal(11);
    expect(new State(np.zeros([0, 3])).numel()).to.equal(0);
  });

  it("copy keeps the class, the name and the value; the two States are independent", () => {
    const a = new ParamState(np.array([1, 2]), { name: "w" });
    const b = a.copy();
    expect(b).to.be.instanceOf(ParamState);
    expect(b).to.not.equal(a);
    expect(b.name).to.equal("w");
    expect(b.value.toArraySync()).to.deep.equal([1, 2]);
    b.value = np.zeros([2]);
    expect(a.value.toArraySync()).to.deep.equal([1, 2]);
    a.value = a.value.mul(3);
    expect(b.value.toArraySync()).to.deep.equal([0, 0]);
    expect(a.value.toArraySync()).to.deep.equal([3, 6]);
  });

  it("restoreValue sets, emits, and inside jit is a recorded write", () => {
    const s = new State(np.zeros([3]));
    const seen: number[][] = [];
    s.value$.subscribe((v) => seen.push(Array.from(v.dataSync())));
    const saved = s.value;
    s.value = np.ones([3]);
    s.restoreValue(saved);
    expect(s.value.toArraySync()).to.deep.equal([0, 0, 0]);
    expect(seen).to.deep.equal([[0, 0, 0], [1, 1, 1], [0, 0, 0]]);
    const f = jit(() => s.restoreValue(s.value.add(2)));
    f();
    f();
    expect(s.value.toArraySync()).to.deep.equal([4, 4, 4]);
  });

  it("a State is not a State value (BrainState: ValueError)", () => {
    const a = new State(np.zeros([3]));
    const b = new State(np.ones([3]));
    expect(() => a.restoreValue(b as never)).to.throw(StateError, /Tensor or a pytree/);
    expect(a.value.toArraySync()).to.deep.equal([0, 0, 0]);
  });
});
