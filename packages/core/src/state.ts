/**
 * State: named, mutable values that traced functions read and write (BrainState's model). Inside a
 * trace, reads and writes are recorded by the innermost `StateTrace` and become explicit graph
 * inputs and outputs; outside, a write commits at once. Every State is an RxJS stream of its
 * committed values.
 */
import { BehaviorSubject, type Observable, merge, map as rxMap } from "rxjs";
import { AsyncFunctionError, StateError, describeValue } from "./errors.js";
import { Tensor, type ArrayLike, dropFromState, holdForState, realizeHandlesSync } from "./tensor.js";
import { bufferOf, releaseToGc } from "./realize.js";
import { asTensor, optionsOf } from "./np/util.js";
import { flatten, structureKey, unflatten } from "./tree.js";
import { avalString } from "./ir/node.js";
import { dependsOnPlaceholder } from "./trace.js";
import { guardedStream } from "./state-stream.js";

/** A State's value: a Tensor or a pytree of Tensors. */
export type StateValue = Tensor | { readonly [k: string]: StateValue } | readonly StateValue[];

/** Any State, whatever its value type (States are invariant in their value type). */
export type AnyState = State<any>;

export interface StateOptions {
  name?: string;
}

/**
 * Records State effects while a function is traced. The innermost active trace sees every access;
 * a trace asks its parent for the value of a State it has not seen yet.
 */
export interface StateTrace {
  /** The value a read inside the trace sees (a placeholder, a write made earlier in the trace...). */
  read(state: AnyState, parentValue: () => StateValue): StateValue;
  /** Records a write; it is committed (or not) by whoever owns the trace. */
  write(state: AnyState, value: StateValue): void;
}

const traceStack: StateTrace[] = [];

/** Whether a State trace is active (a transform is tracing the current code). */
export function isTracingStates(): boolean {
  return traceStack.length > 0;
}

/**
 * Runs `fn` with `trace` recording State reads and writes. Every transform runs the user's
 * function through here, so this is where a returned Promise (an async function, or one that
 * returns a Promise) is caught: its trace has already ended when the code after an `await` runs.
 */
export function withStateTrace<T>(trace: StateTrace, fn: () => T): T {
  traceStack.push(trace);
  try {
    const out = fn();
    if (isThenable(out)) {
      // Its rejection (a ConcretizationError from `await x.item()`...) must not become an
      // unhandled rejection that exits Node: the typed error below is what the caller gets.
      out.then(undefined, () => undefined);
      throw new AsyncFunctionError(
        `a function given to a transform (jit, grad, vmap, cond, ...) returned a Promise: tracing is synchronous, so code after an await ` +
          `would run after the trace ended. Make the function synchronous (itemSync() under grad; np.where / cond under jit) and await results outside it.`,
      );
    }
    return out;
  } finally {
    const top = traceStack.pop();
    if (top !== trace) throw new StateError("withStateTrace: trace stack corrupted (a trace was not closed in order)");
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/** The value of `state` as seen at trace depth `depth` (delegating outward). */
function readAt(state: AnyState, depth: number): StateValue {
  if (depth < 0) {
    const v = state.committedValue;
    if (traceStack.length === 0) checkNotLeaked(state, v, "read");
    return v;
  }
  return traceStack[depth]!.read(state, () => readAt(state, depth - 1));
}

/** Throws when `v` (read or assigned with no trace active) depends on a transform's placeholder. */
function checkNotLeaked(state: AnyState, v: StateValue, how: "read" | "assigned"): void {
  if (!leavesOf(v).some((t) => dependsOnPlaceholder(t.node))) return;
  const what = how === "read"
    ? `${state.describe()} holds a traced value: it was created (or assigned) inside a traced function and is used outside it. `
    : `${state.describe()} was assigned a traced value after its trace ended (e.g. after an await in a function given to jit/grad); the State is unchanged. `;
  throw new StateError(
    what + `Create States outside the traced function (jit, grad, ...) and assign them inside it; writes are committed when the call returns.`,
  );
}

function leavesOf(v: StateValue): Tensor[] {
  return flatten(v, (x) => x instanceof Tensor)[0] as Tensor[];
}

let nextStateId = 1;
/** State's private commit steps, for `commitStateWrites` (assigned in State's static block). */
let commitAccess: { assign(s: AnyState, v: StateValue, fresh: boolean): void; emit(s: AnyState): void };

function normalizeValue(v: unknown, who: string): StateValue {
  const [leaves, def] = flatten(v);
  if (leaves.length === 0) throw new StateError(`${who}: a State value must contain at least one Tensor`);
  const tensors = leaves.map((l) => {
    if (l instanceof Tensor) return l;
    if (typeof l === "number" || typeof l === "boolean" || Array.isArray(l)) return asTensor(l as ArrayLike, who, typeof l === "boolean" ? "bool" : "float32");
    throw new StateError(`${who}: a State value must be a Tensor or a pytree of Tensors, got ${typeof l}`);
  });
  return unflatten<StateValue>(def, tensors);
}

/** shape/dtype/structure signature of a value: equal signatures mean a cached trace stays valid. */
export function valueSignature(v: StateValue): string {
  const [leaves, def] = flatten(v);
  // shape and dtype, not `.node`: describing a State whose value was disposed must not throw.
  return `${structureKey(def)}:${leaves.map((l) => avalString({ shape: (l as Tensor).shape, dtype: (l as Tensor).dtype })).join(",")}`;
}

/**
 * A mutable value that transforms thread through graphs as explicit inputs and outputs.
 * @example
 * const s = new State(np.zeros([2]), { name: "s" });
 * s.value$.subscribe((v) => console.log(v.toString()));
 * s.value = s.value.add(1);   // commits and emits
 */
export class State<V extends StateValue = Tensor> {
  readonly id = nextStateId++;
  readonly name: string | undefined;
  #value: V;
  readonly #subject: BehaviorSubject<V>;
  /**
   * Who may hold the committed value besides this State (see `releaseReplaced`): `#fresh` when a
   * commit created it (a jit output), `#shared` once it was read through `.value`, `#emitted` once
   * a `value$` subscriber received it.
   */
  #fresh = false;
  #shared = false;
  #emitted = false;
  /**
   * Current value on subscribe, then every committed write, in commit order. A subscriber that
   * throws is reported on `stateStreamErrors$` (or `console.error`); the commit stands.
   */
  readonly value$: Observable<V>;

  constructor(value: V | ArrayLike, opts: StateOptions = {}, ...extra: undefined[]) {
    opts = optionsOf("State", opts, "State", extra);
    this.name = opts.name;
    this.#value = normalizeValue(value, this.describe()) as V;
    for (const t of leavesOf(this.#value)) holdForState(t);
    this.#subject = new BehaviorSubject<V>(this.#value);
    this.value$ = guardedStream(this.#subject, () => this.describe());
  }

  /** Reads the value; inside a trace the read is recorded and returns the traced value. */
  get value(): V {
    // The caller (or a transform building a graph from it) may keep the committed value.
    this.#shared = true;
    return readAt(this, traceStack.length - 1) as V;
  }

  /** Writes the value; inside a trace the write is recorded and committed after the computation. */
  set value(v: V) {
    const value = normalizeValue(v, this.describe()) as V;
    const trace = traceStack[traceStack.length - 1];
    if (trace) trace.write(this, value);
    else {
      // Checked like reads: a traced value written with no trace active (code after an `await`
      // in a traced async function) would make every later read of this State throw.
      checkNotLeaked(this, value, "assigned");
      commitStateWrites(new Map([[this as AnyState, value]]));
    }
  }

  /** The last committed value, ignoring any active trace. */
  get committedValue(): V {
    return this.#value;
  }

  // Only commitStateWrites may assign and emit (a public method would let a caller store an
  // unchecked value, a cyclic object, past normalizeValue): these private methods are reached
  // through `commitAccess`, set in the static block.
  static {
    commitAccess = { assign: (s, v, fresh) => s.#assignCommitted(v, fresh), emit: (s) => s.#emit() };
  }

  /**
   * Assigns without emitting; `commitStateWrites` emits after all assignments. `fresh`: the value
   * was created by the commit itself (a jit output no user code has seen).
   */
  #assignCommitted(v: StateValue, fresh: boolean): void {
    const old = this.#value;
    this.#value = v as V;
    for (const t of leavesOf(v)) holdForState(t);
    releaseReplaced(old, v, this.#fresh && !this.#shared, this.#emitted);
    this.#fresh = fresh;
    this.#shared = false;
    this.#emitted = false;
  }

  /** Emits the committed value on `value$`. */
  #emit(): void {
    // A subscriber may keep what it receives (a loss history): the value is no longer ours alone.
    if (this.#subject.observed) this.#emitted = true;
    this.#subject.next(this.#value);
  }

  /**
   * The number of elements over every leaf of the committed value (BrainState's `numel()`).
   * @example
   * new State({ w: np.zeros([2, 3]), b: np.zeros([3]) }).numel();   // 9
   */
  numel(): number {
    return leavesOf(this.#value).reduce((n, t) => n + t.size, 0);
  }

  /**
   * A new State of the same class and name holding the same committed value (BrainState's
   * `copy()`); writes to either State do not affect the other.
   * @example
   * const a = new ParamState(np.ones([2]), { name: "w" });
   * const b = a.copy();
   * b.value = np.zeros([2]);   // a.value is still [1, 1]
   */
  copy(): this {
    const Kind = this.constructor as new (value: V, opts: StateOptions) => this;
    return new Kind(this.#value, { name: this.name });
  }

  /**
   * Sets the value, as `state.value = v` does (BrainState's `restore_value`): committed and
   * emitted at once outside a trace, recorded as a write inside one.
   * @example
   * const saved = s.value;
   * s.value = s.value.add(1);
   * s.restoreValue(saved);
   */
  restoreValue(v: V | ArrayLike): void {
    this.value = v as V;
  }

  /** A short description used in error messages: `ParamState "w" (f32[2,1])`. */
  describe(): string {
    const kind = this.constructor.name;
    const name = this.name ? ` "${this.name}"` : ` #${this.id}`;
    // Called from the constructor before the value exists, hence the optional chaining.
    const v = this.#value as V | undefined;
    return `${kind}${name}${v ? ` (${valueSignature(v)})` : ""}`;
  }

  toString(): string {
    return this.describe();
  }
}

/** A trainable parameter (what `grad` and optimizers select by default). */
export class ParamState<V extends StateValue = Tensor> extends State<V> {}
/** State that is reset every step (e.g. a neuron's membrane potential). */
export class ShortTermState<V extends StateValue = Tensor> extends State<V> {}
/** State kept across steps (e.g. running statistics). */
export class LongTermState<V extends StateValue = Tensor> extends State<V> {}
/** A recurrent hidden state. */
export class HiddenState<V extends StateValue = Tensor> extends State<V> {}

/**
 * What happens to a State's value when a commit replaces it (issue: a synchronous loop must not
 * grow). The FinalizationRegistry that frees unreachable buffers cannot run until the loop yields,
 * so a replaced value is released here, as far as it is safe:
 * - owned (created by a commit, never read through `.value` nor emitted): nothing outside kiln can
 *   refer to it, so its handle is disposed now; its buffer (host or device) is freed, or recycled
 *   by the device pool, unless another handle shares it (`DataBuffer` counts handles);
 * - otherwise user code may keep it (a subscriber's loss history): it must stay readable. A
 *   host-only value is handed to the JS garbage collector (`releaseToGc`), which does run during
 *   a synchronous loop; a device value that was read back gives up its device storage first; a
 *   device-only value stays with the registry.
 * Leaves that are also in the new value, or held by another State, are left alone.
 */
function releaseReplaced(old: StateValue, next: StateValue, owned: boolean, emitted: boolean): void {
  const kept = new Set(leavesOf(next));
  for (const t of leavesOf(old)) {
    const heldElsewhere = dropFromState(t);
    if (kept.has(t) || heldElsewhere || t.isDisposed) continue;
    if (owned && !emitted) {
      t.dispose();
      continue;
    }
    const buf = t.node.prim === "data" ? bufferOf(t.node) : undefined;
    if (buf) releaseToGc(buf);
  }
}

/**
 * Commits writes in one step: every value is assigned first, then each State's stream emits, in
 * the map's order. A failure before this call leaves every State as it was. `fresh`: the values
 * were created by the commit itself (jit's outputs), so no user code refers to them yet and a
 * later commit may free them at once.
 */
export function commitStateWrites(writes: ReadonlyMap<AnyState, StateValue>, opts: { fresh?: boolean } = {}): void {
  // Computed before any State changes: a value that fails to compute leaves every State as it was.
  if (!opts.fresh) realizeHandlesSync([...writes.values()].flatMap((v) => leavesOf(v)));
  for (const [s, v] of writes) commitAccess.assign(s, v, opts.fresh ?? false);
  for (const s of writes.keys()) commitAccess.emit(s);
}

/**
 * Merges several State streams into one stream of `{ path, value }` events. Accepts an array
 * (paths "0", "1", ...) or a record of States (paths are the keys).
 * @example states$(model.states(ParamState)).subscribe(({ path, value }) => ...)
 */
export function states$(states: readonly AnyState[] | Readonly<Record<string, AnyState>>): Observable<{ path: string; value: StateValue }> {
  if (states === null || typeof states !== "object") throw new StateError(`states$: expected an array or a record of States, got ${describeValue(states)}`);
  const entries: [string, AnyState][] = Array.isArray(states)
    ? states.map((s, i) => [String(i), s])
    : Object.entries(states as Record<string, AnyState>);
  const bad = entries.find(([, s]) => !(s instanceof State));
  if (bad) throw new StateError(`states$: every entry must be a State, got ${describeValue(bad[1])} at "${bad[0]}"`);
  return guardedStream(merge(...entries.map(([path, s]) => s.value$.pipe(rxMap((value) => ({ path, value }))))), () => "states$");
}
