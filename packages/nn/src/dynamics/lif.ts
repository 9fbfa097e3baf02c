/**
 * `LIF`: the leaky integrate-and-fire neuron (BrainState's `nn.LIF`):
 *   tau dV/dt = −(V − vRest) + R x(t),   spike when V ≥ vTh, then V is reset.
 * The reset of a step uses the previous step's spike (BrainState's order): reset, integrate over
 * dt, then emit the spike of the new potential.
 */
import { type ArrayLike, type HiddenState, type Tensor, ValueError, describeValue, np, npUtil, stopGradient } from "@kiln/core";
import { type InitLike } from "../init.js";
import { Dynamics, type DynamicsParam, inputFor } from "./base.js";
import { type Integrator, checkIntegrator, integrate } from "./integrate.js";
import { type SpikeFunction, piecewiseLinear } from "./surrogate.js";

/** How the potential is reset after a spike. */
export type SpikeReset = "soft" | "hard";

export interface LIFOptions {
  /** Membrane resistance; default 1. */
  R?: DynamicsParam;
  /** Membrane time constant (in dt's unit, ms by convention); default 5. */
  tau?: DynamicsParam;
  /** Firing threshold; default 1. */
  vTh?: DynamicsParam;
  /** Potential after a spike; default 0. */
  vReset?: DynamicsParam;
  /** Resting potential; default 0. */
  vRest?: DynamicsParam;
  /** Initial potential (a number, an `nn.init` initializer or a function of the shape); default 0. */
  vInitializer?: InitLike;
  /** Spike function of the scaled potential (V − vTh) / (vTh − vReset); default `nn.surrogate.piecewiseLinear`. */
  spkFun?: SpikeFunction;
  /**
   * `"soft"` (default) subtracts vTh − vReset from V after a spike; `"hard"` sets V to vReset,
   * with no gradient through the reset (BrainState's `stop_gradient`).
   */
  spkReset?: SpikeReset;
  /** Integration method; default `"expEuler"` (exact for this linear drift). */
  integrator?: Integrator;
}

const RESETS: readonly SpikeReset[] = ["soft", "hard"];

/**
 * a − b, in JS when both are numbers: np.subtract of two numbers would round the result to a
 * float32 constant, and a float64 simulation would drift from its reference by ~1e-8 per step.
 */
function difference(a: number | Tensor, b: number | Tensor): number | Tensor {
  return typeof a === "number" && typeof b === "number" ? a - b : np.subtract(a, b);
}

/**
 * Leaky integrate-and-fire neurons; `V` (a HiddenState) is the membrane potential and `update(x)`
 * returns this step's spikes (0/1, with the surrogate gradient of `spkFun`).
 * @example
 * const lif = new nn.LIF(3, { tau: 10, spkFun: (x) => nn.surrogate.sigmoid(x) });
 * lif.initState(2);                                                       // V: [2, 3]
 * const spikes = environ.context({ dt: 0.5 }, () => forLoop((x) => lif.update(x), np.ones([100, 2, 3]).mul(2)));
 */
export class LIF extends Dynamics {
  readonly R: number | Tensor;
  readonly tau: number | Tensor;
  readonly vTh: number | Tensor;
  readonly vReset: number | Tensor;
  readonly vRest: number | Tensor;
  readonly vInitializer: InitLike;
  readonly spkFun: SpikeFunction;
  readonly spkReset: SpikeReset;
  readonly integrator: Integrator;

  constructor(inSize: number | readonly number[], opts: LIFOptions = {}) {
    super(inSize);
    opts = npUtil.optionsOf("LIF", opts);
    this.R = this.param("R", opts.R ?? 1);
    this.tau = this.param("tau", opts.tau ?? 5, { positive: true });
    this.vTh = this.param("vTh", opts.vTh ?? 1);
    this.vReset = this.param("vReset", opts.vReset ?? 0);
    this.vRest = this.param("vRest", opts.vRest ?? 0);
    if (this.vTh === this.vReset) throw new ValueError(`LIF: vTh and vReset must differ (the spike function scales by vTh − vReset), both are ${this.vTh}`);
    this.vInitializer = opts.vInitializer ?? 0;
    this.spkFun = opts.spkFun ?? ((x) => piecewiseLinear(x));
    if (typeof this.spkFun !== "function") throw new ValueError(`LIF: spkFun must be a spike function such as nn.surrogate.sigmoid, got ${describeValue(this.spkFun)}`);
    this.spkReset = opts.spkReset ?? "soft";
    if (!RESETS.includes(this.spkReset)) throw new ValueError(`LIF: spkReset must be "soft" or "hard", got ${describeValue(this.spkReset)}`);
    this.integrator = checkIntegrator("LIF", opts.integrator ?? "expEuler");
  }

  /** The membrane potential, `[batchSize, ...varshape]`; created by `initState`. */
  get V(): HiddenState {
    return this.hidden("V");
  }

  protected hiddenVariables() {
    return { V: this.vInitializer };
  }

  /** The spikes of potential `V` (default: the current one): spkFun((V − vTh) / (vTh − vReset)). */
  getSpike(V: Tensor = this.V.value): Tensor {
    return this.spkFun(np.divide(np.subtract(V, this.vTh), difference(this.vTh, this.vReset)));
  }

  /** One step with input current `x` (broadcast against V); returns the new spikes. */
  update(x: ArrayLike = 0): Tensor {
    const last = this.V.value;
    const input = inputFor("LIF.update", x, last);
    // Soft: V − (vTh − vReset) · spike. Hard: V − (V − vReset) · spike = vReset on a spike, with
    // the subtracted V held constant for the gradient (BrainState's stop_gradient).
    const top = this.spkReset === "soft" ? this.vTh : stopGradient(last);
    const reset = last.sub(np.multiply(difference(top, this.vReset), this.getSpike(last)));
    const current = np.add(this.vRest, np.multiply(this.R, input));
    const V = integrate((v) => np.divide(np.subtract(current, v), this.tau), reset, this.integrator);
    this.V.value = V;
    return this.getSpike(V);
  }
}
