/**
 * `Dynamics`: the base of models that evolve in time (BrainState's `nn.Dynamics`). Their
 * variables (a membrane potential, a conductance) are `HiddenState`s created by `initState`
 * (their shape depends on the batch size, unknown when the model is built) and overwritten by
 * `resetState`; `update(x)` advances one time step of `environ.getDt()`.
 */
import {
  type ArrayLike, HiddenState, ShapeError, StateError, Tensor, ValueError, checkConcrete, describeValue, npUtil,
} from "@kiln/core";
import { type InitLike, initialize } from "../init.js";
import { Module, walkStates } from "../module.js";

/**
 * A current registered on a neuron by a projection (BrainState's `add_current_input`): each step
 * the neuron takes its current once, as a function of the membrane potential (a conductance-based
 * output depends on it), and adds it to the step's input inside the drift.
 */
export interface CurrentInput {
  /** The current of this step as a function of the potential; consumed (one binding, one step). */
  takeCurrent(who: string): (V: Tensor) => Tensor;
}

/** A model parameter: one number for every neuron, or an array broadcasting to the variable shape. */
export type DynamicsParam = number | ArrayLike;

/**
 * Base class of neurons and synapses. Subclasses list their HiddenStates in `hiddenVariables()`
 * (created by `initState`) and declare a getter for each (`get V() { return this.hidden("V"); }`),
 * so a State used before `initState` is a typed error naming the fix rather than `undefined`.
 * @example
 * const lif = new nn.LIF(10);
 * lif.initState(32);              // V: HiddenState of shape [32, 10]
 * environ.context({ dt: 0.1 }, () => lif.update(np.ones([32, 10])));
 */
export abstract class Dynamics extends Module {
  /** The shape of one sample's variables (BrainState's `varshape`). */
  readonly varshape: readonly number[];

  constructor(inSize: number | readonly number[]) {
    super();
    checkConcrete(new.target, Dynamics, "nn.Dynamics");
    const dims = typeof inSize === "number" ? [inSize] : Array.isArray(inSize) ? [...(inSize as readonly unknown[])] : null;
    if (!dims || !dims.length || dims.some((d) => !Number.isInteger(d) || (d as number) <= 0)) {
      throw new ValueError(`${this.constructor.name}: inSize must be a positive integer or an array of them, got ${describeValue(inSize)}`);
    }
    this.varshape = dims as number[];
  }

  /**
   * The current inputs by key, non-enumerable: a projection registered here holds this model, and
   * walking the model's States must not walk back into the projection.
   */
  private get currentInputs(): Map<string, CurrentInput> {
    const own = Object.getOwnPropertyDescriptor(this, "_currentInputs");
    if (own) return own.value as Map<string, CurrentInput>;
    const inputs = new Map<string, CurrentInput>();
    Object.defineProperty(this, "_currentInputs", { value: inputs, enumerable: false });
    return inputs;
  }

  /**
   * Registers a current input under `key` (BrainState's `add_current_input`); `AlignPostProj`
   * calls it with its output (`COBA`/`CUBA`). A key is registered once.
   * @example
   * const out = new nn.CUBA({ scale: 2 });
   * lif.addCurrentInput("drive", out);
   * out.bindCond(g);        // each step, before lif.update: lif adds 2 · g to its input
   */
  addCurrentInput(key: string, input: CurrentInput): void {
    if (typeof key !== "string") throw new ValueError(`${this.constructor.name}.addCurrentInput: key must be a string, got ${describeValue(key)}`);
    if (typeof (input as Partial<CurrentInput> | null)?.takeCurrent !== "function") {
      throw new ValueError(`${this.constructor.name}.addCurrentInput: input must be a synaptic output such as nn.COBA or nn.CUBA, got ${describeValue(input)}`);
    }
    if (this.currentInputs.has(key)) throw new ValueError(`${this.constructor.name}.addCurrentInput: a current input "${key}" is already registered`);
    this.currentInputs.set(key, input);
  }

  /**
   * The total input current of this step as a function of the potential: `x` plus every
   * registered current input (BrainState's `sum_current_inputs(x, V)`). Each input's binding is
   * taken once, so call it once per `update`.
   */
  protected sumCurrentInputs(x: Tensor): (V: Tensor) => Tensor {
    const currents = [...this.currentInputs.values()].map((c) => c.takeCurrent(`${this.constructor.name}.update`));
    if (!currents.length) return () => x;
    return (V) => currents.reduce((total, current) => total.add(current(V)), x);
  }

  /** The HiddenStates `initState` creates, by field name, with their initializers. */
  protected abstract hiddenVariables(): Readonly<Record<string, InitLike>>;

  /** Creates the HiddenStates for `batchSize` samples (none: shape `varshape`, no batch axis). */
  initState(batchSize?: number): void {
    for (const [name, init] of Object.entries(this.hiddenVariables())) {
      // An own, enumerable field: `states()` finds it, and it shadows the subclass's getter
      // (which only runs while the State does not exist yet).
      Object.defineProperty(this, name, {
        value: new HiddenState(this.initialValue(init, batchSize, name), { name }), enumerable: true, writable: true, configurable: true,
      });
    }
  }

  /** Writes the initial values again (inside `jit` too: a reset is an ordinary State write). */
  resetState(batchSize?: number): void {
    for (const [name, init] of Object.entries(this.hiddenVariables())) {
      (this as unknown as Record<string, HiddenState>)[name]!.value = this.initialValue(init, batchSize, name);
    }
  }

  /** Advances one time step with input `x` and returns the output (spikes, conductance, ...). */
  abstract update(x?: ArrayLike): Tensor;

  /** `update(x)`: a dynamics model is called like any module. */
  call(x?: ArrayLike): Tensor {
    return this.update(x);
  }

  /** `[batchSize, ...varshape]`, or `varshape` without a batch size. */
  protected stateShape(batchSize: number | undefined): number[] {
    if (batchSize === undefined) return [...this.varshape];
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new ValueError(`${this.constructor.name}: batchSize must be a positive integer (or omitted for no batch axis), got ${describeValue(batchSize)}`);
    }
    return [batchSize, ...this.varshape];
  }

  /** The initial value of a variable: `init` evaluated at the state shape. */
  protected initialValue(init: InitLike, batchSize: number | undefined, name: string): Tensor {
    return initialize(init, this.stateShape(batchSize), `${this.constructor.name} ${name} initializer`);
  }

  /** What a getter of a not-yet-created State returns: a StateError naming the fix. */
  protected hidden(name: string): never {
    throw new StateError(
      `${this.constructor.name}.${name} does not exist yet: call initState(batchSize) on the model (or nn.initAllStates(model, batchSize)) before update or resetState`,
    );
  }

  /** A parameter as a number or a Tensor broadcasting to `varshape` (checked now, not at the first step). */
  protected param(name: string, value: DynamicsParam, opts: { positive?: boolean } = {}): number | Tensor {
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new ValueError(`${this.constructor.name}: ${name} must be finite, got ${value}`);
      if (opts.positive && !(value > 0)) throw new ValueError(`${this.constructor.name}: ${name} must be positive, got ${value}`);
      return value;
    }
    const t = npUtil.asTensor(value, `${this.constructor.name} ${name}`);
    if (!broadcastsTo(t.shape, this.varshape)) {
      throw new ShapeError(`${this.constructor.name}: ${name} has shape [${t.shape}], which does not broadcast to the variable shape [${this.varshape}]`);
    }
    return t;
  }
}

/** Whether `shape` broadcasts to `target` unchanged: no more axes, each trailing axis 1 or equal. */
function broadcastsTo(shape: readonly number[], target: readonly number[]): boolean {
  const off = target.length - shape.length;
  return off >= 0 && shape.every((d, i) => d === 1 || d === target[off + i]);
}

/**
 * A model's options object, checked: every key must be one of `known` (typed as the complete key
 * set of `O`, so a new option cannot be left out). A BrainState spelling such as `tau_a` or
 * `V_th` would otherwise be ignored silently and the model would run with the default.
 */
export function modelOptions<O extends object>(who: string, opts: O | undefined, known: { readonly [K in keyof Required<O>]: 1 }): O {
  const o = npUtil.optionsObject(who, opts);
  npUtil.checkKeysIn(who, o, new Set(Object.keys(known)));
  return o;
}

/**
 * A step's input as a Tensor, checked to broadcast to the State it drives: a larger input would
 * silently grow the State (and break a loop whose carry must keep its shape).
 */
export function inputFor(who: string, x: ArrayLike, state: Tensor): Tensor {
  // JS numbers and arrays take the state's dtype: a float32 constant would round a float64 model's input.
  const t = npUtil.asTensor(x, who, x instanceof Tensor ? undefined : state.dtype);
  if (!broadcastsTo(t.shape, state.shape)) {
    throw new ShapeError(`${who}: the input has shape [${t.shape}] but the state has shape [${state.shape}]; ` +
      `the input must broadcast to it (initState(batchSize) sets the batch size)`);
  }
  return t;
}

/** A module with BrainState's `init_state`/`reset_state` protocol. */
interface HasStateInit {
  initState(batchSize?: number): void;
  resetState(batchSize?: number): void;
}

function stateInitModules(root: unknown, who: string): HasStateInit[] {
  const modules = Array.isArray(root) ? root : [root];
  if (!modules.every((m) => m instanceof Module)) throw new ValueError(`${who}: expected a Module or an array of Modules, got ${describeValue(root)}`);
  const found: HasStateInit[] = [];
  walkStates(root, () => undefined, (_, m) => {
    const c = m as Partial<HasStateInit>;
    if (typeof c.initState === "function" && typeof c.resetState === "function") found.push(m as unknown as HasStateInit);
  });
  return found;
}

/**
 * Calls `initState(batchSize)` on every module of `model` that has one (BrainState's
 * `nn.init_all_states`), or of every module of an array of them (a network's populations and
 * projections). Call it outside `jit`: it creates States.
 * @example
 * const net = new nn.Sequential(new nn.Linear(784, 100), new nn.LIF(100));
 * nn.initAllStates(net, 64);
 */
export function initAllStates<M extends Module | readonly Module[]>(model: M, batchSize?: number): M {
  for (const m of stateInitModules(model, "initAllStates")) m.initState(batchSize);
  return model;
}

/**
 * Calls `resetState(batchSize)` on every module of `model` that has one (BrainState's
 * `nn.reset_all_states`); inside `jit` the resets are State writes of the compiled step.
 * @example
 * const step = jit((xs) => { nn.resetAllStates(net, 64); return forLoop((x) => net.call(x), xs); });
 */
export function resetAllStates<M extends Module | readonly Module[]>(model: M, batchSize?: number): M {
  for (const m of stateInitModules(model, "resetAllStates")) m.resetState(batchSize);
  return model;
}
