/**
 * The optimizer base (BrainState's `brainstate.optim.Optimizer`): it owns a record of trainable
 * States, one `LongTermState` per weight and moment ("slot"), and the step count, so an update
 * inside `jit` reads and writes only States and threads through the graph like any other.
 */
import { jsonOf } from "@kiln/core";
import {
  type AnyState, type ArrayLike, DTypeError, LongTermState, ShapeError, State, StateError, type StateValue, Tensor, ValueError,
  isFloat, np, npUtil, tree,
} from "@kiln/core";
import { comparePaths, defineKey, describeValue, ownValue } from "@kiln/core";

/** A learning rate: a number, or a schedule of the step count (a scalar int32 Tensor: 0 on the first update). */
export type LearningRate = number | ((step: Tensor) => ArrayLike);

export interface OptimizerOptions {
  lr?: LearningRate;
}

/** The per-leaf hyperparameters an update rule sees. */
export interface StepContext {
  /** The learning rate for this update (a weak number, or a Tensor in the weight's dtype). */
  lr: number | Tensor;
  /** The 1-based index of this update as a float32 scalar (for bias corrections). */
  t: Tensor;
}

/** A record of trainable States keyed by path, e.g. `model.states(ParamState)`. */
export type WeightRecord = Readonly<Record<string, AnyState>>;

/**
 * Splits `(weights, opts)` / `(opts)` constructor arguments: a lone record is the weights when it holds States.
 * @example splitOptimizerArgs({ lr: 0.1 }, undefined) // [undefined, { lr: 0.1 }]
 */
export function splitOptimizerArgs<O extends object>(a: WeightRecord | O | undefined, b: O | undefined): [WeightRecord | undefined, O] {
  if (b !== undefined) return [a as WeightRecord, b];
  const isWeights = a !== undefined && a !== null && Object.values(a).some((v) => v instanceof State);
  return isWeights ? [a as WeightRecord, {} as O] : [undefined, (a ?? {}) as O];
}

/**
 * Checks a hyperparameter lies in [lo, hi] (or [lo, hi)), naming it in the ValueError.
 * @example checkHyper("optim.Adam", "beta1", 0.9, 0, 1, true) // 0.9
 */
export function checkHyper(who: string, name: string, v: number, lo: number, hi: number, hiOpen = false): number {
  if (typeof v !== "number" || !(v >= lo && (hiOpen ? v < hi : v <= hi))) {
    throw new ValueError(`${who}: ${name} must be in [${lo}, ${hi}${hiOpen ? ")" : "]"}, got ${String(v)}`);
  }
  return v;
}

/**
 * Base class. Subclasses name their slots and define `updateLeaf`, the rule for one weight Tensor.
 * @example
 * const opt = new optim.Adam({ lr: 1e-3 });
 * opt.registerTrainableWeights(model.states(ParamState));
 * opt.update(grads); // grads keyed like the weights
 */
export abstract class Optimizer {
  /** The number of updates applied so far (int32 scalar). */
  readonly stepCount = new LongTermState(np.array(0, { dtype: "int32" }), { name: "step" });
  readonly lr: LearningRate;
  readonly #weights: Record<string, AnyState> = {};
  /** slot name → weight path → State holding that slot's value (same structure as the weight). */
  readonly #slots: Record<string, Record<string, LongTermState<StateValue>>> = {};

  protected constructor(protected readonly who: string, private readonly slotNames: readonly string[], lr: LearningRate | undefined) {
    if (lr === undefined) throw new ValueError(`${who}: a learning rate is required, e.g. new optim.${who.replace("optim.", "")}({ lr: 0.01 })`);
    if (typeof lr === "number") checkHyper(who, "lr", lr, 0, Infinity, true);
    else if (typeof lr !== "function") throw new ValueError(`${who}: lr must be a number or a schedule function of the step, got ${describeValue(lr)}`);
    this.lr = lr;
    for (const s of slotNames) this.#slots[s] = {};
  }

  /** The registered trainable States, keyed by path. */
  get paramStates(): Readonly<Record<string, AnyState>> {
    return { ...this.#weights };
  }

  /**
   * Registers States to train (any State kind with a float value; usually `model.states(ParamState)`)
   * and creates their zero-initialized slots. Registering the same State under the same path again
   * is a no-op; reusing a path or a State elsewhere is a `StateError`.
   * @example opt.registerTrainableWeights(model.states(ParamState));
   */
  registerTrainableWeights(weights: WeightRecord): this {
    if (weights === null || typeof weights !== "object" || Array.isArray(weights)) {
      throw new StateError(`${this.who}: registerTrainableWeights expects a record { path: State }, got ${describeValue(weights)}`);
    }
    const known = new Map(Object.entries(this.#weights).map(([p, s]) => [s, p]));
    const fresh: [string, AnyState][] = [];
    for (const [path, s] of Object.entries(weights)) {
      if (!(s instanceof State)) throw new StateError(`${this.who}: "${path}" must be a State, got ${describeValue(s)}`);
      const existing = ownValue(this.#weights, path); // a path "constructor" is a path, not Object's
      if (existing === s) continue;
      if (existing) throw new StateError(`${this.who}: path "${path}" is already registered for another State (${existing.describe()})`);
      const other = known.get(s) ?? fresh.find(([, f]) => f === s)?.[0];
      if (other !== undefined) throw new StateError(`${this.who}: ${s.describe()} is registered twice, as "${other}" and "${path}"`);
      for (const leaf of tree.leaves(s.committedValue) as Tensor[]) {
        if (!isFloat(leaf.dtype)) throw new DTypeError(`${this.who}: "${path}" has dtype ${leaf.dtype}; only float weights can be trained`);
      }
      fresh.push([path, s]);
    }
    for (const [path, s] of fresh) {
      defineKey(this.#weights, path, s);
      const zeros = tree.map((l: Tensor) => np.zerosLike(l), s.committedValue) as StateValue;
      for (const slot of this.slotNames) defineKey(this.#slots[slot]!, path, new LongTermState<StateValue>(zeros, { name: `${slot}.${path}` }));
    }
    return this;
  }

  /**
   * The optimizer's own States — `step` and one per slot and weight (`"m.layer1.weight"`, ...) —
   * sorted by path, e.g. to thread them through `jit` or to save them.
   * @example Object.keys(new optim.Adam({ lr: 1e-3 }, { w }).states()) // ["m.w", "step", "v.w"]
   */
  states(): Record<string, AnyState> {
    const all: Record<string, AnyState> = { step: this.stepCount };
    for (const slot of this.slotNames) for (const [path, s] of Object.entries(this.#slots[slot]!)) all[`${slot}.${path}`] = s;
    return Object.fromEntries(Object.entries(all).sort(([a], [b]) => comparePaths(a, b)));
  }

  /**
   * Applies one update from gradients keyed exactly like the registered weights (as
   * `grad(loss, { gradStates })` returns them). Everything is validated first: a missing or extra
   * key is a `StateError`, a gradient of another structure or shape a `StateError`/`ShapeError`,
   * and then no State has changed.
   * @example opt.update(grad(loss, { gradStates: model.states(ParamState) })(x, y));
   */
  update(grads: Readonly<Record<string, unknown>>): void {
    const flat = this.#checkGrads(grads);
    const count = this.stepCount.value as Tensor;
    const lr = typeof this.lr === "number" ? this.lr : npUtil.asTensor(this.lr(count), `${this.who} lr schedule`);
    if (lr instanceof Tensor && lr.ndim !== 0) throw new ShapeError(`${this.who}: the lr schedule must return a scalar, got shape [${lr.shape.join(", ")}]`);
    const t = np.astype(count.add(1), "float32");
    const writes: [AnyState, StateValue][] = [];
    for (const [path, w] of Object.entries(this.#weights)) {
      const [wLeaves, def] = tree.flatten(w.value);
      const slotStates = this.slotNames.map((s) => ownValue(this.#slots[s]!, path)!);
      const slotLeaves = slotStates.map((s) => tree.leaves(s.value) as Tensor[]);
      const newW: Tensor[] = [];
      const newSlots: Tensor[][] = slotStates.map(() => []);
      (wLeaves as Tensor[]).forEach((wl, i) => {
        const g = ownValue(flat, path)![i]!;
        const ctx: StepContext = { lr: typeof lr === "number" ? lr : np.astype(lr, wl.dtype), t: np.astype(t, wl.dtype) };
        const [nw, ns] = this.updateLeaf(wl, g.dtype === wl.dtype ? g : np.astype(g, wl.dtype), slotLeaves.map((s) => s[i]!), ctx);
        newW.push(nw);
        ns.forEach((v, j) => newSlots[j]!.push(v));
      });
      writes.push([w, tree.unflatten<StateValue>(def, newW)]);
      slotStates.forEach((s, j) => writes.push([s, tree.unflatten<StateValue>(def, newSlots[j]!)]));
    }
    // Through the setters, so that inside a trace (jit, grad) the writes are recorded, not committed.
    for (const [s, v] of writes) s.value = v;
    this.stepCount.value = count.add(1);
  }

  /** The rule for one weight leaf: returns the new weight and the new slot values (in `slotNames` order). */
  protected abstract updateLeaf(w: Tensor, g: Tensor, slots: Tensor[], ctx: StepContext): [Tensor, Tensor[]];

  /** Validates `grads` against the registered weights and returns each path's gradient leaves. */
  #checkGrads(grads: Readonly<Record<string, unknown>>): Record<string, Tensor[]> {
    if (grads === null || typeof grads !== "object" || Array.isArray(grads)) {
      throw new StateError(`${this.who}: update expects gradients keyed like the weights { path: Tensor }, got ${describeValue(grads)}`);
    }
    const missing = Object.keys(this.#weights).filter((k) => !Object.hasOwn(grads, k));
    const extra = Object.keys(grads).filter((k) => !Object.hasOwn(this.#weights, k));
    if (missing.length || extra.length) {
      const parts = [];
      if (missing.length) parts.push(`missing gradients for ${jsonOf(missing)}`);
      if (extra.length) parts.push(`gradients for unregistered weights ${jsonOf(extra)}`);
      throw new StateError(`${this.who}: update: ${parts.join("; ")} (registered: ${jsonOf(Object.keys(this.#weights))})`);
    }
    const out: Record<string, Tensor[]> = {};
    for (const [path, w] of Object.entries(this.#weights)) {
      const [wLeaves, wDef] = tree.flatten(w.committedValue);
      const [gLeaves, gDef] = tree.flatten(ownValue(grads, path));
      if (tree.structureKey(wDef) !== tree.structureKey(gDef)) {
        throw new StateError(`${this.who}: the gradient for "${path}" has structure ${tree.structureKey(gDef)}, the weight ${tree.structureKey(wDef)}`);
      }
      gLeaves.forEach((g, i) => {
        const wl = wLeaves[i] as Tensor;
        if (!(g instanceof Tensor)) throw new StateError(`${this.who}: the gradient for "${path}" must be a Tensor, got ${describeValue(g)}`);
        if (g.ndim !== wl.ndim || g.shape.some((d, j) => d !== wl.shape[j])) {
          throw new ShapeError(`${this.who}: the gradient for "${path}" has shape [${g.shape.join(", ")}], the weight [${wl.shape.join(", ")}]`);
        }
      });
      defineKey(out, path, gLeaves as Tensor[]);
    }
    return out;
  }
}
