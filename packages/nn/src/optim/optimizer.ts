/**
 * The optimizer base (BrainState's `brainstate.optim.Optimizer`): it owns a record of trainable
 * States, one `LongTermState` per weight and moment ("slot"), and the step count, so an update
 * inside `jit` reads and writes only States and threads through the graph like any other.
 *
 * The mechanisms every optimizer shares live here, once: learning-rate schedules (a function of the
 * step count, evaluated inside the graph), the weight-decay mask, and gradient accumulation (k
 * micro-steps averaged in States; the update is gated with `np.where`, so there is no host branch
 * and a jitted step is traced once).
 */
import { jsonOf } from "@kiln/core";
import {
  type AnyState, type ArrayLike, DTypeError, LongTermState, ShapeError, State, StateError, type StateFilter, type StateValue, Tensor,
  ValueError, isFloat, np, npUtil, toStatePredicate, tree,
} from "@kiln/core";
import { checkConcrete, comparePaths, defineKey, describeValue, ownValue } from "@kiln/core";

/**
 * A learning rate: a number, or a schedule of the step count (a scalar int32 Tensor: 0 on the
 * first update), such as `optim.cosineDecaySchedule(...)`. A schedule is evaluated inside the
 * update, so under `jit` it advances with the step count State instead of being frozen at trace time.
 */
export type LearningRate = number | ((step: Tensor) => ArrayLike);

/**
 * Which weights `weightDecay` applies to: a State filter (a class, a predicate `(path, state) =>
 * boolean`, a path glob such as `"*.weight"`) or a record of States (e.g. a `model.states(...)` piece).
 */
export type WeightDecayMask = StateFilter | WeightRecord;

/** Options every optimizer accepts. */
export interface OptimizerOptions {
  lr?: LearningRate;
  /** Weight decay; coupled (added to the gradient) or decoupled (AdamW) as each optimizer documents. */
  weightDecay?: number;
  /** Restricts weight decay to the weights it selects (default: every weight), as optax's `mask`. */
  weightDecayMask?: WeightDecayMask;
  /**
   * Gradient accumulation (optax `MultiSteps`): each `update` adds its gradients to a running mean,
   * and every `accumulateSteps`-th call applies one update with that mean (default 1: every call).
   */
  accumulateSteps?: number;
}

/** Per-optimizer defaults for the shared options. */
export interface OptimizerDefaults {
  lr?: number;
  weightDecay?: number;
}

/** The per-leaf hyperparameters an update rule sees. */
export interface StepContext {
  /** The learning rate for this update (a weak number, or a Tensor in the weight's dtype). */
  lr: number | Tensor;
  /** The 1-based index of this update as a scalar in the weight's dtype (for bias corrections). */
  t: Tensor;
  /** The weight decay for this weight: the optimizer's `weightDecay`, or 0 where the mask excludes it. */
  weightDecay: number;
}

/** A record of trainable States keyed by path, e.g. `model.states(ParamState)`. */
export type WeightRecord = Readonly<Record<string, AnyState>>;

/** The optimizers' names in the signature table (their option keys live there). */
export type OptimizerName = Extract<npUtil.SignatureName, `optim.${string}`>;

/**
 * Splits `(weights, opts)` / `(opts)` constructor arguments: a lone record is the weights when it
 * holds States. The options are checked against `who`'s keys (`{ learningRate: 0.1 }` is a
 * ValueError naming `lr`, not an optimizer that silently asks for a learning rate).
 * @example splitOptimizerArgs("optim.SGD", { lr: 0.1 }, undefined) // [undefined, { lr: 0.1 }]
 */
export function splitOptimizerArgs<O extends object>(who: OptimizerName, a: WeightRecord | O | undefined, b: O | undefined, ...extra: undefined[]): [WeightRecord | undefined, O] {
  if (b !== undefined) return [a as WeightRecord, npUtil.optionsOf(who, b, who, extra)];
  const isWeights = a !== undefined && a !== null && typeof a === "object" && Object.values(a).some((v) => v instanceof State);
  return isWeights ? [a as WeightRecord, {} as O] : [undefined, npUtil.optionsOf(who, a as O | undefined)];
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
 * Checks a step count is an integer ≥ `min`, naming it in the ValueError.
 * @example checkSteps("optim.cosineDecaySchedule", "decaySteps", 100, 1) // 100
 */
export function checkSteps(who: string, name: string, v: number, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new ValueError(`${who}: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

/** The mask as a predicate; a record of States selects exactly those States. */
function maskPredicate(who: string, mask: WeightDecayMask | undefined): (path: string, s: AnyState) => boolean {
  if (mask === null || typeof mask !== "object") return toStatePredicate(mask, `${who} weightDecayMask`);
  const chosen = new Set<AnyState>();
  for (const [path, s] of Object.entries(mask)) {
    if (!(s instanceof State)) throw new StateError(`${who}: weightDecayMask "${path}" must be a State, got ${describeValue(s)}`);
    chosen.add(s);
  }
  return (_path, s) => chosen.has(s);
}

/** The accumulation slot's name: a gradient accumulator per weight, `accum.<path>`. */
const ACCUM = "accum";

/**
 * Base class. Subclasses name their slots and define `updateLeaf`, the rule for one weight Tensor.
 * @example
 * const opt = new optim.Adam({ lr: 1e-3 });
 * opt.registerTrainableWeights(model.states(ParamState));
 * opt.update(grads); // grads keyed like the weights
 */
export abstract class Optimizer {
  /** The number of updates applied so far (int32 scalar); also the position of an lr schedule. */
  readonly stepCount = new LongTermState(np.array(0, { dtype: "int32" }), { name: "step" });
  readonly lr: LearningRate;
  readonly weightDecay: number;
  /** The number of `update` calls averaged into one applied update (1: no accumulation). */
  readonly accumulateSteps: number;
  /**
   * With a schedule: the learning rate of the latest applied update (float32 scalar, 0 before the
   * first), written inside the update so a jitted step streams it (`opt.learningRate.value$`).
   */
  readonly learningRate: LongTermState | undefined;
  /** With `accumulateSteps` > 1: the number of gradients accumulated since the last applied update. */
  readonly microStep: LongTermState | undefined;
  readonly #weights: Record<string, AnyState> = {};
  /** slot name → weight path → State holding that slot's value (same structure as the weight). */
  readonly #slots: Record<string, Record<string, LongTermState<StateValue>>> = {};
  readonly #allSlots: readonly string[];
  readonly #decays: (path: string, s: AnyState) => boolean;

  protected constructor(protected readonly who: string, private readonly slotNames: readonly string[], opts: OptimizerOptions, defaults: OptimizerDefaults = {}) {
    checkConcrete(new.target, Optimizer, "optim.Optimizer");
    const lr = opts.lr ?? defaults.lr;
    if (lr === undefined) throw new ValueError(`${who}: a learning rate is required, e.g. new optim.${who.replace("optim.", "")}({ lr: 0.01 })`);
    if (typeof lr === "number") checkHyper(who, "lr", lr, 0, Infinity, true);
    else if (typeof lr !== "function") throw new ValueError(`${who}: lr must be a number or a schedule function of the step, got ${describeValue(lr)}`);
    this.lr = lr;
    this.weightDecay = checkHyper(who, "weightDecay", opts.weightDecay ?? defaults.weightDecay ?? 0, 0, Infinity, true);
    this.#decays = maskPredicate(who, opts.weightDecayMask);
    this.accumulateSteps = checkSteps(who, "accumulateSteps", opts.accumulateSteps ?? 1, 1);
    this.learningRate = typeof lr === "function" ? new LongTermState(np.array(0, { dtype: "float32" }), { name: "lr" }) : undefined;
    this.microStep = this.accumulateSteps > 1 ? new LongTermState(np.array(0, { dtype: "int32" }), { name: "microStep" }) : undefined;
    this.#allSlots = this.accumulateSteps > 1 ? [...slotNames, ACCUM] : slotNames;
    for (const s of this.#allSlots) this.#slots[s] = {};
  }

  /** The registered trainable States, keyed by path. */
  get paramStates(): Readonly<Record<string, AnyState>> {
    return { ...this.#weights };
  }

  /** The value a slot starts at (Adagrad's initial accumulator, RMSProp's initial scale); 0 by default. */
  protected initialSlotValue(_slot: string): number {
    return 0;
  }

  /**
   * Registers States to train (any State kind with a float value; usually `model.states(ParamState)`)
   * and creates their slots. Registering the same State under the same path again
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
      for (const slot of this.#allSlots) {
        const fill = slot === ACCUM ? 0 : this.initialSlotValue(slot);
        const init = tree.map((l: Tensor) => np.fullLike(l, fill), s.committedValue) as StateValue;
        defineKey(this.#slots[slot]!, path, new LongTermState<StateValue>(init, { name: `${slot}.${path}` }));
      }
    }
    return this;
  }

  /**
   * The optimizer's own States — `step`, `lr` (with a schedule), `microStep` and `accum.<path>`
   * (with accumulation) and one per slot and weight (`"m.layer1.weight"`, ...) — sorted by path,
   * e.g. to thread them through `jit` or to save them.
   * @example Object.keys(new optim.Adam({ lr: 1e-3 }, { w }).states()) // ["m.w", "step", "v.w"]
   */
  states(): Record<string, AnyState> {
    const all: Record<string, AnyState> = { step: this.stepCount };
    if (this.learningRate) all["lr"] = this.learningRate;
    if (this.microStep) all["microStep"] = this.microStep;
    for (const slot of this.#allSlots) for (const [path, s] of Object.entries(this.#slots[slot]!)) all[`${slot}.${path}`] = s;
    return Object.fromEntries(Object.entries(all).sort(([a], [b]) => comparePaths(a, b)));
  }

  /**
   * Applies one update from gradients keyed exactly like the registered weights (as
   * `grad(loss, { gradStates })` returns them). Everything is validated first: a missing or extra
   * key is a `StateError`, a gradient of another structure or shape a `StateError`/`ShapeError`,
   * and then no State has changed. With `accumulateSteps: k`, only every k-th call changes the
   * weights (with the mean of the k gradients); the others only accumulate.
   * @example opt.update(grad(loss, { gradStates: model.states(ParamState) })(x, y));
   */
  update(grads: Readonly<Record<string, unknown>>): void {
    let flat = this.#checkGrads(grads);
    const count = this.stepCount.value as Tensor;
    const lr = this.#lrAt(count);
    const t = np.astype(count.add(1), "float32");
    const writes: [AnyState, StateValue][] = [];
    // Accumulation: the update is computed every call and kept only on the k-th (np.where, no host branch).
    let apply: Tensor | undefined;
    if (this.microStep) {
      const micro = this.microStep.value as Tensor;
      const seen = micro.add(1);
      apply = np.equal(seen, this.accumulateSteps);
      flat = this.#accumulate(flat, seen, apply, writes);
      this.#gatedWrite(writes, this.microStep, np.zerosLike(micro), seen, apply);
    }
    const gated = (s: AnyState, v: StateValue): void => {
      writes.push([s, apply ? tree.map((n: Tensor, o: Tensor) => np.where(apply, n, o), v, s.value) as StateValue : v]);
    };
    for (const [path, w] of Object.entries(this.#weights)) {
      const [wLeaves, def] = tree.flatten(w.value);
      const slotStates = this.slotNames.map((s) => ownValue(this.#slots[s]!, path)!);
      const slotLeaves = slotStates.map((s) => tree.leaves(s.value) as Tensor[]);
      const weightDecay = this.weightDecay && this.#decays(path, w) ? this.weightDecay : 0;
      const newW: Tensor[] = [];
      const newSlots: Tensor[][] = slotStates.map(() => []);
      (wLeaves as Tensor[]).forEach((wl, i) => {
        const g = ownValue(flat, path)![i]!;
        const ctx: StepContext = { lr: typeof lr === "number" ? lr : np.astype(lr, wl.dtype), t: np.astype(t, wl.dtype), weightDecay };
        const [nw, ns] = this.updateLeaf(wl, g.dtype === wl.dtype ? g : np.astype(g, wl.dtype), slotLeaves.map((s) => s[i]!), ctx);
        newW.push(nw);
        ns.forEach((v, j) => newSlots[j]!.push(v));
      });
      gated(w, tree.unflatten<StateValue>(def, newW));
      slotStates.forEach((s, j) => gated(s, tree.unflatten<StateValue>(def, newSlots[j]!)));
    }
    if (this.learningRate && lr instanceof Tensor) gated(this.learningRate, np.astype(lr, "float32"));
    gated(this.stepCount, count.add(1));
    // Through the setters, so that inside a trace (jit, grad) the writes are recorded, not committed.
    for (const [s, v] of writes) s.value = v;
  }

  /** The rule for one weight leaf: returns the new weight and the new slot values (in `slotNames` order). */
  protected abstract updateLeaf(w: Tensor, g: Tensor, slots: Tensor[], ctx: StepContext): [Tensor, Tensor[]];

  /** The learning rate at step `count`: the number, or the schedule evaluated in the graph. */
  #lrAt(count: Tensor): number | Tensor {
    if (typeof this.lr === "number") return this.lr;
    const lr = npUtil.asTensor(this.lr(count), `${this.who} lr schedule`);
    if (lr.ndim !== 0) throw new ShapeError(`${this.who}: the lr schedule must return a scalar, got shape [${lr.shape.join(", ")}]`);
    return lr;
  }

  /**
   * Folds this call's gradients into the running means `accum.<path>` (optax MultiSteps: mean ←
   * mean + (g − mean) / n for the n-th gradient) and returns the means; the accumulators restart
   * at 0 when the update is applied.
   */
  #accumulate(flat: Record<string, Tensor[]>, seen: Tensor, apply: Tensor, writes: [AnyState, StateValue][]): Record<string, Tensor[]> {
    const means: Record<string, Tensor[]> = {};
    for (const path of Object.keys(this.#weights)) {
      const acc = ownValue(this.#slots[ACCUM]!, path)!;
      const [accLeaves, def] = tree.flatten(acc.value);
      const mean = (accLeaves as Tensor[]).map((a, i) => {
        const g = ownValue(flat, path)![i]!;
        return a.add(np.astype(g, a.dtype).sub(a).div(np.astype(seen, a.dtype)));
      });
      defineKey(means, path, mean);
      this.#gatedWrite(writes, acc, tree.unflatten<StateValue>(def, mean.map((m) => np.zerosLike(m))), tree.unflatten<StateValue>(def, mean), apply);
    }
    return means;
  }

  /** Records `s ← apply ? onApply : otherwise`, leaf by leaf. */
  #gatedWrite(writes: [AnyState, StateValue][], s: AnyState, onApply: StateValue, otherwise: StateValue, apply: Tensor): void {
    writes.push([s, tree.map((a: Tensor, b: Tensor) => np.where(apply, a, b), onApply, otherwise) as StateValue]);
  }

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
