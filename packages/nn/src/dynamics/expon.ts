/**
 * `Expon`: the exponential synapse (BrainState's `nn.Expon`): dg/dt = −g / tau, and each step's
 * input is added to g after the decay, so a spike raises the conductance by its weight at once.
 */
import { type ArrayLike, type HiddenState, type Tensor, np, npUtil } from "@kiln/core";
import { type InitLike } from "../init.js";
import { Dynamics, type DynamicsParam, inputFor, modelOptions } from "./base.js";
import { type Integrator, checkIntegrator, integrate } from "./integrate.js";

export interface ExponOptions {
  /** Decay time constant (in dt's unit, ms by convention); default 8. */
  tau?: DynamicsParam;
  /** Initial conductance; default 0. */
  gInitializer?: InitLike;
  /** Integration method; default `"expEuler"` (exact for this linear decay). */
  integrator?: Integrator;
}

/**
 * Exponentially decaying synaptic conductance `g` (a HiddenState); `update(x)` decays g over one
 * dt, adds x, and returns g.
 * @example
 * const syn = new nn.Expon(4, { tau: 5 });
 * syn.initState();
 * environ.context({ dt: 1 }, () => [syn.update(np.ones([4])), syn.update()]); // [1, …], [exp(-1/5), …]
 */
export class Expon extends Dynamics {
  readonly tau: number | Tensor;
  readonly gInitializer: InitLike;
  readonly integrator: Integrator;

  constructor(inSize: number | readonly number[], opts: ExponOptions = {}) {
    super(inSize);
    opts = modelOptions("Expon", opts, { tau: 1, gInitializer: 1, integrator: 1 });
    this.tau = this.param("tau", opts.tau ?? 8, { positive: true });
    this.gInitializer = opts.gInitializer ?? 0;
    this.integrator = checkIntegrator("Expon", opts.integrator ?? "expEuler");
  }

  /** The conductance, `[batchSize, ...varshape]`; created by `initState`. */
  get g(): HiddenState {
    return this.hidden("g");
  }

  protected hiddenVariables() {
    return { g: this.gInitializer };
  }

  /** Decays g over one step, adds the input `x` (if any; broadcast against g) and returns g. */
  update(x?: ArrayLike): Tensor {
    const last = this.g.value;
    const decayed = integrate((g) => np.divide(g.neg(), this.tau), last, this.integrator);
    const g = x === undefined ? decayed : decayed.add(inputFor("Expon.update", x, last));
    this.g.value = g;
    return g;
  }
}
