/**
 * State atomicity under failure: every way a traced function, a control-flow body or an optimizer
 * step can fail after it wrote some States. Each case runs on three fresh States (a float32[2], a
 * float32[2, 3] and a ParamState float32[3]) with a subscriber on each stream, and must throw the
 * expected error while every State keeps its committed value (by identity: Tensors are immutable,
 * so any commit replaces one) and no stream emits. Shared by the cpu suite
 * (test/state-atomicity.test.ts) and a webgpu sample (test/webgpu/state-atomicity.test.ts); no
 * device read, so it runs the same on both.
 */
import { expect } from "chai";
import {
  DisposedError, KilnTypeError, ParamState, ShapeError, State, StateError, type Tensor, ValueError,
  checkpoint, cond, forLoop, grad, jit, np, optim, scan, tree, vmap, whileLoop,
} from "kiln";

/** The user's own error thrown from inside a traced function: it propagates as it is (as in JAX). */
export class UserBoom extends Error {}
const boom = (): never => {
  throw new UserBoom("user boom");
};

type Three = readonly [State, State, ParamState];

/** One failure: what it does to the three States and the error it must throw. */
export interface AtomicityCase {
  name: string;
  run: (s: Three) => unknown;
  /** Runs what succeeds first and returns the failing call (run is unused then). */
  setup?: (s: Three) => () => unknown;
  error: abstract new (...a: never[]) => Error;
  message?: RegExp;
}

export const ATOMICITY_CASES: AtomicityCase[] = [
  { name: "jit: the user's code throws after two writes", error: UserBoom, run: ([a, b]) => jit(() => { a.value = a.value.add(1); b.value = b.value.mul(2); boom(); })() },
  { name: "jit: the 3rd write is not a Tensor", error: StateError, message: /must be a Tensor or a pytree of Tensors/, run: ([a, b, c]) => jit(() => { a.value = a.value.add(1); b.value = b.value.mul(2); c.value = "x" as never; })() },
  { name: "jit: returns a function after writes", error: ValueError, message: /must return Tensors/, run: ([a]) => jit(() => { a.value = a.value.add(1); return (() => 1) as never; })() },
  { name: "jit: reads a disposed State's tensor after writes", error: DisposedError, run: ([a, b, c]) => { c.value.dispose(); return jit(() => { a.value = a.value.add(1); b.value = b.value.mul(2); return np.sum(c.value); })(); } },
  { name: "jit: a disposed argument", error: DisposedError, run: ([a]) => { const x = np.ones([2]); x.dispose(); return jit((t: Tensor) => { a.value = a.value.add(t); return t; })(x); } },
  { name: "nested jit: the inner function throws", error: UserBoom, run: ([a, b]) => jit(() => { a.value = a.value.add(1); jit(() => { b.value = b.value.add(1); boom(); })(); })() },
  { name: "nested jit: the outer throws after the inner wrote", error: UserBoom, run: ([a, b]) => jit(() => { jit(() => { b.value = b.value.add(1); })(); a.value = a.value.add(1); boom(); })() },
  { name: "grad(gradStates): throws after a write", error: UserBoom, run: ([a, , c]) => grad(() => { a.value = a.value.add(1); boom(); return np.sum(c.value); }, { gradStates: [c] })() },
  { name: "grad: a non-scalar loss after a write", error: KilnTypeError, message: /scalar-output/, run: ([a, , c]) => grad(() => { a.value = a.value.add(1); return c.value.mul(2); }, { gradStates: [c] })() },
  { name: "checkpoint: throws after a write", error: UserBoom, run: ([a]) => checkpoint((x: Tensor) => { a.value = a.value.add(1); boom(); return x; })(np.ones([2])) },
  { name: "scan: the body throws after a write", error: UserBoom, run: ([a]) => scan((c: Tensor, x: Tensor) => { a.value = a.value.add(x); boom(); return [c, x]; }, np.zeros([]), np.ones([3])) },
  { name: "scan: the body changes a State's shape", error: ShapeError, message: /changes State/, run: ([a, b]) => scan((c: Tensor, x: Tensor) => { a.value = a.value.add(x); b.value = np.ones([9]); return [c, x]; }, np.zeros([]), np.ones([3])) },
  { name: "jit(scan): the body throws after a write", error: UserBoom, run: ([a, b]) => jit(() => { b.value = b.value.add(1); return scan((c: Tensor, x: Tensor) => { a.value = a.value.add(x); boom(); return [c, x]; }, np.zeros([]), np.ones([3])); })() },
  { name: "forLoop: the body throws after a write", error: UserBoom, run: ([a]) => forLoop((x: Tensor) => { a.value = a.value.add(x); boom(); }, np.ones([3])) },
  { name: "whileLoop: the body throws after a write", error: UserBoom, run: ([a]) => whileLoop((i: Tensor) => np.less(i, 3), (i: Tensor) => { a.value = a.value.add(1); boom(); return i.add(1); }, np.array(0)) },
  { name: "whileLoop: the condition writes a State", error: StateError, message: /condFn must not write States/, run: ([a]) => whileLoop((i: Tensor) => { a.value = a.value.add(1); return np.less(i, 3); }, (i: Tensor) => i.add(1), np.array(0)) },
  { name: "cond: one branch writes, the other throws", error: UserBoom, run: ([a]) => cond(np.array(true), () => { a.value = a.value.add(1); return np.zeros([]); }, () => boom()) },
  { name: "cond: the branches write different shapes", error: ShapeError, message: /falseFn changes State/, run: ([a]) => cond(np.array(true), () => { a.value = a.value.add(1); return np.zeros([]); }, () => { a.value = np.ones([3]); return np.zeros([]); }) },
  { name: "vmap: a per-example value written to an unbatched State", error: StateError, message: /differs per example/, run: ([a, b]) => vmap((x: Tensor) => { b.value = b.value.add(1); a.value = a.value.add(x); })(np.ones([4, 2])) },
  { name: "vmap: throws after a write", error: UserBoom, run: ([a]) => vmap((x: Tensor) => { a.value = a.value.add(1); boom(); return x; })(np.ones([4, 2])) },
  { name: "a jit's second call throws (a new shape) after its writes", error: UserBoom, run: () => undefined, setup: ([a, b]) => {
    const f = jit((x: Tensor) => { b.value = b.value.add(1); if (x.shape[0] === 3) boom(); a.value = a.value.add(1); });
    f(np.ones([2]));
    return () => f(np.ones([3]));
  } },
];

/** Grads an optimizer step must refuse, leaving its weights and its own States (step count, moments) as they were. */
export const BAD_GRADS: [string, (shape: number[]) => unknown, abstract new (...a: never[]) => Error][] = [
  ["a missing key", () => ({}), StateError],
  ["an extra key", (shape) => ({ c: np.ones(shape), d: np.ones(shape) }), StateError],
  ["a wrong shape", () => ({ c: np.ones([4]) }), ShapeError],
  ["a string leaf", () => ({ c: "x" }), StateError],
  ["null", () => null, StateError],
  ["an array for a record", (shape) => [np.ones(shape)], StateError],
];

/** The committed leaves of `states`, by identity. */
export function committed(states: readonly State[]): unknown[] {
  return states.flatMap((s) => tree.leaves(s.committedValue, (v) => typeof v === "object" && v !== null && "shape" in v));
}

/** Which of `before`'s leaves `after` no longer holds (by identity: a commit replaces the Tensor). */
export function replaced(before: readonly unknown[], after: readonly unknown[]): number[] {
  expect(after.length).to.equal(before.length);
  return before.flatMap((v, i) => (after[i] === v ? [] : [i]));
}

/** Runs one case on fresh States and asserts the error, the unchanged States and the silent streams. */
export function checkAtomic(c: AtomicityCase): void {
  const s: Three = [new State(np.ones([2])), new State(np.ones([2, 3])), new ParamState(np.zeros([3]))];
  // A case's successful setup (a jit's first call) commits before the failing call is watched.
  const failing = c.setup ? c.setup(s) : () => c.run(s);
  const before = committed(s);
  const emitted: number[] = [];
  const subs = s.map((st, i) => st.value$.subscribe(() => emitted.push(i)));
  emitted.length = 0; // value$ emits the current value on subscribe
  try {
    let thrown: unknown = null;
    try {
      failing();
    } catch (e) {
      thrown = e;
    }
    expect(thrown, `${c.name}: threw`).to.be.instanceOf(c.error);
    if (c.message) expect((thrown as Error).message).to.match(c.message);
    expect(replaced(before, committed(s)), `${c.name}: a State changed`).to.deep.equal([]);
    expect(emitted, `${c.name}: a stream emitted`).to.deep.equal([]);
    // The States still work: a later transform reads and writes them, and the streams emit it.
    jit(() => { s[0].value = s[0].value.add(1); })();
    expect(s[0].value.shape).to.deep.equal([2]);
    expect(emitted).to.deep.equal([0]);
  } finally {
    subs.forEach((u) => u.unsubscribe());
  }
}

/** Runs every bad-grads step on `Opt` and asserts the weights and the optimizer's States stand. */
export function checkOptimizerAtomic(Opt: new (params: Record<string, ParamState>, opts: { lr: number }) => optim.Optimizer): void {
  const c = new ParamState(np.zeros([3]));
  const opt = new Opt({ c }, { lr: 0.1 });
  opt.update({ c: np.ones([3]) });
  const all = [c, ...tree.leaves(opt.states(), (v) => v instanceof State)].filter((v): v is State => v instanceof State);
  const before = committed(all);
  const emitted: number[] = [];
  const subs = all.map((st, i) => st.value$.subscribe(() => emitted.push(i)));
  emitted.length = 0;
  try {
    for (const [label, grads, error] of BAD_GRADS) {
      expect(() => opt.update(grads([3]) as never), `${Opt.name} with ${label}`).to.throw(error);
      expect(replaced(before, committed(all)), `${Opt.name} with ${label}: a State changed`).to.deep.equal([]);
      expect(emitted, `${Opt.name} with ${label}: a stream emitted`).to.deep.equal([]);
    }
    // A good step after the refused ones still applies.
    opt.update({ c: np.ones([3]) });
    expect(committed([c])[0]).to.not.equal(before[0]);
  } finally {
    subs.forEach((u) => u.unsubscribe());
  }
}
