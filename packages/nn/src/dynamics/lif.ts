/**
 * The integrate-and-fire family (BrainState's `nn.IF`, `nn.LIF`, `nn.ALIF`): a membrane with a
 * linear drift, so the exponential Euler step is exact for an input held over the step.
 *   LIF:  tau dV/dt = −(V − vRest) + R I(t)
 *   IF:   tau dV/dt = −V + R I(t)                       (BrainState's IF, threshold vTh, reset to 0)
 *   ALIF: LIF with an adaptive threshold vTh + beta a,   tauA da/dt = −a,  a += 1 on a spike
 * I(t) is the step's input plus the registered current inputs (projections' COBA/CUBA outputs).
 */
import { type ArrayLike, type HiddenState, type Tensor, ValueError, environ, np, stopGradient } from "@kiln/core";
import { type InitLike } from "../init.js";
import { type DynamicsParam, inputFor, modelOptions } from "./base.js";
import { type Integrator, checkIntegrator, integrate } from "./integrate.js";
import { Neuron, type NeuronOptions, difference } from "./neuron.js";

export interface LIFOptions extends NeuronOptions {
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
  /** Integration method; default `"expEuler"` (exact for this linear drift). */
  integrator?: Integrator;
}

/** The leaky membrane of LIF, LIFRef and ALIF over one step: tau dV/dt = vRest − V + R I(V), from `V`. */
function leakyStep(p: { vRest: number | Tensor; R: number | Tensor; tau: number | Tensor; integrator: Integrator }, V: Tensor, current: (v: Tensor) => Tensor): Tensor {
  return integrate((v) => np.divide(np.subtract(np.add(p.vRest, np.multiply(p.R, current(v))), v), p.tau), V, p.integrator);
}

const LIF_KEYS = { R: 1, tau: 1, vTh: 1, vReset: 1, vRest: 1, vInitializer: 1, spkFun: 1, spkReset: 1, integrator: 1 } as const;

/**
 * Leaky integrate-and-fire neurons; `V` (a HiddenState) is the membrane potential and `update(x)`
 * returns this step's spikes (0/1, with the surrogate gradient of `spkFun`).
 * @example
 * const lif = new nn.LIF(3, { tau: 10, spkFun: (x) => nn.surrogate.sigmoid(x) });
 * lif.initState(2);                                                       // V: [2, 3]
 * const spikes = environ.context({ dt: 0.5 }, () => forLoop((x) => lif.update(x), np.ones([100, 2, 3]).mul(2)));
 */
export class LIF extends Neuron {
  readonly R: number | Tensor;
  readonly tau: number | Tensor;
  readonly vTh: number | Tensor;
  readonly vReset: number | Tensor;
  readonly vRest: number | Tensor;
  readonly vInitializer: InitLike;
  readonly integrator: Integrator;

  constructor(inSize: number | readonly number[], opts: LIFOptions = {}) {
    opts = modelOptions("LIF", opts, LIF_KEYS);
    super(inSize, opts, "soft");
    this.R = this.param("R", opts.R ?? 1);
    this.tau = this.param("tau", opts.tau ?? 5, { positive: true });
    this.vTh = this.param("vTh", opts.vTh ?? 1);
    this.vReset = this.param("vReset", opts.vReset ?? 0);
    this.vRest = this.param("vRest", opts.vRest ?? 0);
    if (this.vTh === this.vReset) throw new ValueError(`LIF: vTh and vReset must differ (the spike function scales by vTh − vReset), both are ${this.vTh}`);
    this.vInitializer = opts.vInitializer ?? 0;
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
    const current = this.sumCurrentInputs(inputFor("LIF.update", x, last));
    const reset = this.resetPotential(last, this.getSpike(last), this.vTh, this.vReset);
    const V = leakyStep(this, reset, current);
    this.V.value = V;
    return this.getSpike(V);
  }
}

export interface LIFRefOptions extends LIFOptions {
  /** Refractory period (in dt's unit); default 5. */
  tauRef?: DynamicsParam;
}

/**
 * LIF with a refractory period (BrainState's `nn.LIFRef`): for the steps less than `tauRef` after a
 * spike the potential stays at its reset value, whatever the input. The time since the last spike
 * is the HiddenState `sinceSpike` (BrainState keeps the spike time and reads `environ`'s `t`; the
 * elapsed time is the same comparison without a clock). Default reset: `"soft"`, as BrainState.
 * @example
 * const pop = new nn.LIFRef(100, { tau: 20, tauRef: 5, vRest: -60, vTh: -50, vReset: -60, spkReset: "hard" });
 * pop.initState();
 * environ.context({ dt: 0.1 }, () => forLoop((x) => pop.update(x), np.full([1000, 100], 20)));
 */
export class LIFRef extends LIF {
  readonly tauRef: number | Tensor;

  constructor(inSize: number | readonly number[], opts: LIFRefOptions = {}) {
    const { tauRef, ...rest } = modelOptions("LIFRef", opts, { ...LIF_KEYS, tauRef: 1 });
    super(inSize, rest);
    this.tauRef = this.param("tauRef", tauRef ?? 5);
    if (typeof this.tauRef === "number" && this.tauRef < 0) throw new ValueError(`LIFRef: tauRef must be non-negative, got ${this.tauRef}`);
  }

  /** Time since the last spike; created by `initState` (as long ago as 1e7: not refractory). */
  get sinceSpike(): HiddenState {
    return this.hidden("sinceSpike");
  }

  protected override hiddenVariables() {
    return { V: this.vInitializer, sinceSpike: 1e7 };
  }

  /** One step with input current `x`; returns the new spikes. Refractory neurons keep their reset potential. */
  override update(x: ArrayLike = 0): Tensor {
    const last = this.V.value;
    const current = this.sumCurrentInputs(inputFor("LIFRef.update", x, last));
    const reset = this.resetPotential(last, this.getSpike(last), this.vTh, this.vReset);
    const V = leakyStep(this, reset, current);
    const since = this.sinceSpike.value.add(environ.getDt());
    const held = np.where(np.less(since, this.tauRef), reset, V);
    this.V.value = held;
    // The clock restarts where this step's potential reaches threshold (no gradient through it).
    this.sinceSpike.value = stopGradient(np.where(np.greaterEqual(held, this.vTh), 0, since));
    return this.getSpike(held);
  }
}

export interface IFOptions extends NeuronOptions {
  /** Membrane resistance; default 1. */
  R?: DynamicsParam;
  /** Membrane time constant; default 5. */
  tau?: DynamicsParam;
  /** Firing threshold (nonzero: the spike function scales by it); default 1. */
  vTh?: DynamicsParam;
  /** Initial potential; default 0. */
  vInitializer?: InitLike;
}

/**
 * BrainState's integrate-and-fire neuron: tau dV/dt = −V + R I(t), a spike when V ≥ vTh, then V
 * is reset to 0 (hard) or lowered by vTh (soft, the default). The spike function sees (V − vTh) / vTh.
 * (BrainState's IF keeps the −V leak of its equations; it is the LIF with vRest = vReset = 0.)
 * @example
 * const neuron = new nn.IF(4, { tau: 8, vTh: 1.2 });
 * neuron.initState();
 * environ.context({ dt: 0.1 }, () => neuron.update(2));
 */
export class IF extends Neuron {
  readonly R: number | Tensor;
  readonly tau: number | Tensor;
  readonly vTh: number | Tensor;
  readonly vInitializer: InitLike;

  constructor(inSize: number | readonly number[], opts: IFOptions = {}) {
    opts = modelOptions("IF", opts, { R: 1, tau: 1, vTh: 1, vInitializer: 1, spkFun: 1, spkReset: 1 });
    super(inSize, opts, "soft");
    this.R = this.param("R", opts.R ?? 1);
    this.tau = this.param("tau", opts.tau ?? 5, { positive: true });
    this.vTh = this.param("vTh", opts.vTh ?? 1);
    if (this.vTh === 0) throw new ValueError("IF: vTh must be nonzero (the spike function scales by it)");
    this.vInitializer = opts.vInitializer ?? 0;
  }

  /** The membrane potential; created by `initState`. */
  get V(): HiddenState {
    return this.hidden("V");
  }

  protected hiddenVariables() {
    return { V: this.vInitializer };
  }

  /** spkFun((V − vTh) / vTh) of potential `V` (default: the current one). */
  getSpike(V: Tensor = this.V.value): Tensor {
    return this.spkFun(np.divide(np.subtract(V, this.vTh), this.vTh));
  }

  /** One step with input current `x`; returns the new spikes. */
  update(x: ArrayLike = 0): Tensor {
    const last = this.V.value;
    const current = this.sumCurrentInputs(inputFor("IF.update", x, last));
    const reset = this.resetPotential(last, this.getSpike(last), this.vTh, 0);
    const V = integrate((v) => np.divide(np.subtract(np.multiply(this.R, current(v)), v), this.tau), reset);
    this.V.value = V;
    return this.getSpike(V);
  }
}

export interface ALIFOptions extends LIFOptions {
  /** Time constant of the adaptation variable `a`; default 100. */
  tauA?: DynamicsParam;
  /** Threshold increase per unit of `a`; default 0.1. */
  beta?: DynamicsParam;
  /** Initial adaptation; default 0. */
  aInitializer?: InitLike;
}

/**
 * Adaptive LIF (BrainState's `nn.ALIF`): the LIF membrane with a threshold vTh + beta · a that
 * rises by beta after each spike (a += 1) and relaxes with tauA (tauA da/dt = −a), so a constant
 * input gives a firing rate that adapts down. HiddenStates `V` and `a`.
 * @example
 * const alif = new nn.ALIF(10, { tau: 10, tauA: 200, beta: 0.2 });
 * alif.initState(1);
 * environ.context({ dt: 1 }, () => forLoop((x) => alif.update(x), np.full([100, 1, 10], 1.5)));
 */
export class ALIF extends Neuron {
  readonly R: number | Tensor;
  readonly tau: number | Tensor;
  readonly tauA: number | Tensor;
  readonly vTh: number | Tensor;
  readonly vReset: number | Tensor;
  readonly vRest: number | Tensor;
  readonly beta: number | Tensor;
  readonly vInitializer: InitLike;
  readonly aInitializer: InitLike;
  readonly integrator: Integrator;

  constructor(inSize: number | readonly number[], opts: ALIFOptions = {}) {
    opts = modelOptions("ALIF", opts, { R: 1, tau: 1, tauA: 1, vTh: 1, vReset: 1, vRest: 1, beta: 1, vInitializer: 1, aInitializer: 1, spkFun: 1, spkReset: 1, integrator: 1 });
    super(inSize, opts, "soft");
    this.R = this.param("R", opts.R ?? 1);
    this.tau = this.param("tau", opts.tau ?? 5, { positive: true });
    this.tauA = this.param("tauA", opts.tauA ?? 100, { positive: true });
    this.vTh = this.param("vTh", opts.vTh ?? 1);
    this.vReset = this.param("vReset", opts.vReset ?? 0);
    this.vRest = this.param("vRest", opts.vRest ?? 0);
    this.beta = this.param("beta", opts.beta ?? 0.1);
    if (this.vTh === this.vReset) throw new ValueError(`ALIF: vTh and vReset must differ (the spike function scales by vTh − vReset), both are ${this.vTh}`);
    this.vInitializer = opts.vInitializer ?? 0;
    this.aInitializer = opts.aInitializer ?? 0;
    this.integrator = checkIntegrator("ALIF", opts.integrator ?? "expEuler");
  }

  /** The membrane potential; created by `initState`. */
  get V(): HiddenState {
    return this.hidden("V");
  }

  /** The adaptation variable; created by `initState`. */
  get a(): HiddenState {
    return this.hidden("a");
  }

  protected hiddenVariables() {
    return { V: this.vInitializer, a: this.aInitializer };
  }

  /** spkFun((V − vTh − beta · a) / (vTh − vReset)) (defaults: the current V and a). */
  getSpike(V: Tensor = this.V.value, a: Tensor = this.a.value): Tensor {
    return this.spkFun(np.divide(np.subtract(np.subtract(V, this.vTh), np.multiply(this.beta, a)), difference(this.vTh, this.vReset)));
  }

  /** One step with input current `x`; returns the new spikes. */
  update(x: ArrayLike = 0): Tensor {
    const lastV = this.V.value, lastA = this.a.value;
    const current = this.sumCurrentInputs(inputFor("ALIF.update", x, lastV));
    const spike = this.getSpike(lastV, lastA);
    const reset = this.resetPotential(lastV, spike, this.vTh, this.vReset);
    const V = leakyStep(this, reset, current);
    const a = integrate((a) => np.divide(a.neg(), this.tauA), lastA.add(spike), this.integrator);
    this.V.value = V;
    this.a.value = a;
    return this.getSpike(V, a);
  }
}
