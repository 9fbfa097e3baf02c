import { expect } from "chai";
import { np, type AnyState, State, ParamState, HiddenState, states$, withStateTrace, commitStateWrites, StateError, type StateValue, Tensor } from "./index.js";

describe("State", () => {
  it("holds a Tensor or a pytree of Tensors; JS numbers become float32 tensors", () => {
    const a = new State(np.array([0, 0]), { name: "a" });
    expect((a.value as Tensor).shape).to.deep.equal([2]);
    const b = new ParamState({ w: np.array([[1]]), b: [np.array([2])] });
    expect(Object.keys(b.value as object)).to.deep.equal(["b", "w"]);
    // A JS array is a pytree (as a Python list in JAX): three float32 scalars.
    const c = new HiddenState([1, 2, 3] as never);
    expect((c.value as Tensor[]).map((t) => `${t.dtype}[${t.shape}]`)).to.deep.equal(["float32[]", "float32[]", "float32[]"]);
    expect(() => new State({} as never)).to.throw(StateError, /at least one Tensor/);
    expect(() => new State({ f: "x" } as never)).to.throw(StateError, /pytree of Tensors/);
    expect(a.toString()).to.equal('State "a" (*:f32[2])');
  });

  it("value$ emits the current value on subscribe, then every committed write in order", () => {
    const s = new State(np.array([1]));
    const seen: number[] = [];
    const sub = s.value$.subscribe((v) => seen.push((v as Tensor).itemSync()));
    s.value = (s.value as Tensor).add(1);
    s.value = (s.value as Tensor).mul(10);
    sub.unsubscribe();
    s.value = np.array([0]);
    expect(seen).to.deep.equal([1, 2, 20]);
  });

  it("states$ merges streams into { path, value } events", () => {
    const w = new ParamState(np.array([1]));
    const b = new ParamState(np.array([2]));
    const events: string[] = [];
    const sub = states$({ w, b }).subscribe(({ path, value }) => events.push(`${path}=${(value as Tensor).itemSync()}`));
    commitStateWrites(new Map<AnyState, StateValue>([[b, np.array([5])], [w, np.array([7])]]));
    sub.unsubscribe();
    expect(events).to.deep.equal(["w=1", "b=2", "b=5", "w=7"]);
  });

  it("inside a trace, reads and writes go to the trace and nothing is emitted or committed", () => {
    const s = new State(np.array([1]));
    const emitted: unknown[] = [];
    const sub = s.value$.subscribe((v) => emitted.push(v));
    const writes = new Map<AnyState, StateValue>();
    const reads: State[] = [];
    const result = withStateTrace(
      {
        read: (st, parent) => {
          reads.push(st);
          return writes.get(st) ?? parent();
        },
        write: (st, v) => void writes.set(st, v),
      },
      () => {
        s.value = (s.value as Tensor).add(41);
        return (s.value as Tensor).itemSync();
      },
    );
    sub.unsubscribe();
    expect(result).to.equal(42);
    expect(reads).to.deep.equal([s, s]);
    expect((s.value as Tensor).itemSync()).to.equal(1); // not committed
    expect(emitted).to.have.length(1);
    commitStateWrites(writes);
    expect((s.value as Tensor).itemSync()).to.equal(42);
  });

  it("a failure inside a trace leaves the trace stack and every State as it was", () => {
    const s = new State(np.array([1]));
    const writes = new Map<AnyState, StateValue>();
    expect(() =>
      withStateTrace({ read: (_s, p) => p(), write: (st, v) => void writes.set(st, v) }, () => {
        s.value = np.array([5]);
        throw new Error("boom");
      }),
    ).to.throw("boom");
    expect((s.value as Tensor).itemSync()).to.equal(1);
  });
});
