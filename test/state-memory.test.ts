/**
 * Issue 11, items 9 and 11: State ownership keeps synchronous loops flat, and `tidy` never frees a
 * State's value.
 *
 * A synchronous loop never lets FinalizationRegistry callbacks run, so nothing the loop stops
 * using may wait for one: these tests run the README's jitted MLP + Adam step without yielding and
 * assert the live-buffer count (`memoryStats`) is the same after many more steps — while every
 * value user code kept (read through `.value`, or received by a `value$` subscriber) stays
 * readable with the value it had.
 */
import { expect } from "chai";
import { type Tensor, State, jit, memoryStats, np, tidy } from "kiln";
import { readmeLoop } from "./readme-loop.js";
import { useCpu } from "./util.js";

describe("State ownership: synchronous loops stay flat (cpu)", () => {
  useCpu();

  it("the README loop with a live loss stream keeps live buffers flat", () => {
    const { loss, step } = readmeLoop();
    let last = NaN;
    const sub = loss.value$.subscribe((v) => (last = v.itemSync()));
    for (let i = 0; i < 20; i++) step();
    const before = memoryStats().buffers;
    for (let i = 0; i < 300; i++) step();
    sub.unsubscribe();
    expect(memoryStats().buffers).to.equal(before);
    expect(last).to.be.finite.and.below(1);
  });

  it("without a subscriber too, and the final values are correct", () => {
    const { loss, step, params } = readmeLoop();
    for (let i = 0; i < 20; i++) step();
    const before = memoryStats().buffers;
    for (let i = 0; i < 300; i++) step();
    expect(memoryStats().buffers).to.equal(before);
    expect(loss.value.itemSync()).to.be.finite.and.below(1);
    for (const s of Object.values(params)) expect(s.value.isDisposed).to.equal(false);
  });

  it("a subscriber that keeps every value reads each one correctly afterwards", () => {
    const { loss, step } = readmeLoop();
    const history: Tensor[] = [];
    const seen: number[] = [];
    loss.value$.subscribe((v) => {
      history.push(v);
      seen.push(v.itemSync());
    });
    for (let i = 0; i < 50; i++) step();
    expect(history.map((v) => v.itemSync())).to.deep.equal(seen);
    // A subscriber that only keeps values without reading them gets readable values too.
    const unread: Tensor[] = [];
    loss.value$.subscribe((v) => unread.push(v));
    for (let i = 0; i < 5; i++) step();
    expect(unread.map((v) => v.itemSync())).to.deep.equal(seen.slice(-6));
  });

  it("values read through .value stay readable after the State moved on", () => {
    const { params, step } = readmeLoop();
    step();
    const w = Object.values(params)[0]!;
    const kept = w.value as Tensor;
    const snapshot = kept.toArraySync();
    for (let i = 0; i < 5; i++) step();
    expect(kept.isDisposed).to.equal(false);
    expect(kept.toArraySync()).to.deep.equal(snapshot);
    expect(w.value.toArraySync()).to.not.deep.equal(snapshot);
  });

  it("a jitted step reading a 0-d State holding a literal (np.array(0.5)) keeps live buffers flat", () => {
    // The literal is realized per call (literals are not cached): that buffer is the call's own.
    const acc = new State(np.zeros([3])), w = new State(np.array(0.5)), b = new State(np.array(2, { dtype: "int32" }));
    const step = jit(() => {
      acc.value = acc.value.add(w.value).add(b.value.astype("float32"));
    });
    for (let i = 0; i < 20; i++) step();
    const before = memoryStats().buffers;
    for (let i = 0; i < 300; i++) step();
    expect(memoryStats().buffers).to.equal(before);
    expect(Array.from(acc.value.dataSync())).to.deep.equal([800, 800, 800]);
    expect(w.value.itemSync()).to.equal(0.5);
  });

  it("a jit that returns the value it also commits keeps the returned one readable", () => {
    const s = new State(np.array([1, 2]));
    const f = jit(() => {
      s.value = s.value.mul(2);
      return s.value;
    });
    const outs = [f(), f(), f()];
    expect(outs.map((o) => o.toArraySync())).to.deep.equal([[2, 4], [4, 8], [8, 16]]);
    expect(s.value.toArraySync()).to.deep.equal([8, 16]);
  });

  it("a State written with another State's value by jit keeps both readable", () => {
    const a = new State(np.array([1, 2])), b = new State(np.array([0, 0]));
    const f = jit(() => {
      b.value = a.value;
      a.value = a.value.add(1);
    });
    for (let i = 0; i < 3; i++) f();
    expect(a.value.toArraySync()).to.deep.equal([4, 5]);
    expect(b.value.toArraySync()).to.deep.equal([3, 4]);
  });
});

describe("tidy never disposes a State's value (cpu)", () => {
  useCpu();

  it("tidy(() => step()) leaves the States usable", () => {
    const { model, loss, step } = readmeLoop();
    for (let i = 0; i < 3; i++) tidy(() => step());
    expect(loss.value.itemSync()).to.be.finite;
    expect(loss.toString()).to.contain("loss");
    const snapshot = model.stateDict();
    tidy(() => step());
    model.loadStateDict(snapshot);
    tidy(() => step());
    expect(loss.value.itemSync()).to.be.finite;
  });

  it("tidy(() => { s.value = ... }) keeps the value and the buffers its pending graph reads", () => {
    const s = new State(np.array([1, 2]), { name: "s" });
    tidy(() => {
      const t = np.array([10, 20]);
      s.value = s.value.add(t);
    });
    expect(s.value.toArraySync()).to.deep.equal([11, 22]);
    tidy(() => {
      s.value = np.array([5, 6]).mul(2);
      s.value.dataSync();
    });
    expect(s.value.toArraySync()).to.deep.equal([10, 12]);
    expect(String(s)).to.contain("s");
  });

  it("still frees the temporaries and the values a State replaced inside the scope", () => {
    const s = new State(np.array([1, 2]));
    const temps: Tensor[] = [];
    tidy(() => {
      const t = np.array([3, 4]);
      temps.push(t);
      s.value = t;
      s.value = np.array([7, 8]);
    });
    expect(temps[0]!.isDisposed).to.equal(true);
    expect(s.value.toArraySync()).to.deep.equal([7, 8]);
  });
});
