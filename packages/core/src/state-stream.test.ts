/**
 * A throwing subscriber of a State stream is reported, never rethrown: RxJS would rethrow it from a
 * timer and kill Node. With RxJS's synchronous error handling switched on for the test, an
 * unguarded subscriber error surfaces synchronously in the write itself, so these tests fail
 * deterministically without the guard (no waiting for timers).
 */
import { expect } from "chai";
import { config, map } from "rxjs";
import { np, State, type StateStreamError, type Tensor, commitStateWrites, stateStreamErrors$, states$ } from "./index.js";

describe("State streams: throwing subscribers", () => {
  let sync: boolean;
  beforeEach(() => {
    sync = config.useDeprecatedSynchronousErrorHandling;
    config.useDeprecatedSynchronousErrorHandling = true;
  });
  afterEach(() => {
    config.useDeprecatedSynchronousErrorHandling = sync;
  });

  it("value$: the error is reported on stateStreamErrors$, the commit stands, other subscribers still see it", () => {
    const a = new State(np.array([1]), { name: "a" });
    const b = new State(np.array([10]), { name: "b" });
    const reported: StateStreamError[] = [];
    const errSub = stateStreamErrors$.subscribe((e) => reported.push(e));
    const seenB: number[] = [];
    const bad = a.value$.subscribe((v) => {
      if ((v as Tensor).itemSync() === 2) throw new Error("bad logger");
    });
    const good = b.value$.subscribe((v) => seenB.push((v as Tensor).itemSync()));
    expect(() => commitStateWrites(new Map([[a, np.array([2])], [b, np.array([20])]]))).to.not.throw();
    expect((a.value as Tensor).itemSync()).to.equal(2);
    expect(seenB).to.deep.equal([10, 20]);
    expect(reported).to.have.length(1);
    expect(reported[0]!.stream).to.match(/State "a"/);
    expect((reported[0]!.error as Error).message).to.equal("bad logger");
    // The faulty subscriber stays subscribed; the stream keeps emitting.
    a.value = np.array([3]);
    expect((a.value as Tensor).itemSync()).to.equal(3);
    [bad, good, errSub].forEach((s) => s.unsubscribe());
  });

  it("piped value$ and states$ are guarded too; with no error subscriber the error goes to console.error", () => {
    const a = new State(np.array([1]), { name: "a" });
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const s1 = a.value$.pipe(map((v) => (v as Tensor).itemSync())).subscribe((x) => {
        if (x > 1) throw new Error("piped");
      });
      const s2 = a.value$.pipe(map(() => { throw new Error("in map"); })).subscribe(() => {});
      const s3 = states$({ a }).subscribe(({ value }) => {
        if ((value as Tensor).itemSync() > 1) throw new Error("merged");
      });
      expect(() => (a.value = np.array([2]))).to.not.throw();
      [s1, s2, s3].forEach((s) => s.unsubscribe());
    } finally {
      console.error = original;
    }
    const messages = logged.map((args) => (args[1] as Error).message);
    expect(messages).to.include.members(["piped", "in map", "merged"]);
    expect((a.value as Tensor).itemSync()).to.equal(2);
  });

  it("unsubscribing a piped subscriber detaches it from the State", () => {
    const a = new State(np.array([1]));
    const seen: number[] = [];
    const sub = a.value$.pipe(map((v) => (v as Tensor).itemSync())).subscribe((x) => seen.push(x));
    sub.unsubscribe();
    a.value = np.array([5]);
    expect(seen).to.deep.equal([1]);
  });
});
