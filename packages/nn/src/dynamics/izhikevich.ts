/**
 * Two-variable spiking neurons with a nonlinear upstroke (BrainPy's `dyn.Izhikevich`,
 * `dyn.AdExIF`): the membrane V and a recovery/adaptation variable, a spike when V crosses vTh,
 * then V is reset and the second variable jumps. Both are integrated by exponential Euler with each
 * variable's own diagonal Jacobian (BrainPy's `exp_auto` on a joint equation), the other variable
 * held at its value at the start of the step.
 */
import { type ArrayLike, type HiddenState, type Tensor, ValueError, np, npUtil } from "@kiln/core";
import { type InitLike } from "../init.js";
import { type DynamicsParam, inputFor, modelOptions } from "./base.js";
import { integrate } from "./integrate.js";
import { Neuron, type NeuronOptions, difference } from "./neuron.js";

export interface IzhikevichOptions extends NeuronOptions {
  /** Time scale of the recovery variable u; default 0.02. */
  a?: DynamicsParam;
  /** Sensitivity of u to V; default 0.2. */
  b?: DynamicsParam;
  /** Potential after a spike (mV); default −65. */
  c?: DynamicsParam;
  /** Jump of u after a spike; default 8. */
  d?: DynamicsParam;
  /** Spike cutoff (mV); default 30. */
  vTh?: DynamicsParam;
  /** Initial potential; default −65. */
  vInitializer?: InitLike;
  /** Initial recovery variable; default −13 (b · V at rest). */
  uInitializer?: InitLike;
}

/**
 * Izhikevich (2003) neurons: dV/dt = 0.04 V² + 5 V + 140 − u + I, du/dt = a (b V − u); when
 * V ≥ vTh: V ← c, u ← u + d. The defaults (a 0.02, b 0.2, c −65, d 8) are the regular-spiking
 * cortical cell; times in ms, potentials in mV. `spkReset` defaults to `"hard"` (V ← c).
 * @example
 * const rs = new nn.Izhikevich(1);
 * rs.initState();
 * const spikes = environ.context({ dt: 0.1 }, () => forLoop((x) => rs.update(x), np.full([10000, 1], 10)));
 */
export class Izhikevich extends Neuron {
  readonly a: number | Tensor;
  readonly b: number | Tensor;
  readonly c: number | Tensor;
  readonly d: number | Tensor;
  readonly vTh: number | Tensor;
  readonly vInitializer: InitLike;
  readonly uInitializer: InitLike;

  constructor(inSize: number | readonly number[], opts: IzhikevichOptions = {}) {
    opts = modelOptions("Izhikevich", opts, { a: 1, b: 1, c: 1, d: 1, vTh: 1, vInitializer: 1, uInitializer: 1, spkFun: 1, spkReset: 1 });
    super(inSize, opts, "hard");
    this.a = this.param("a", opts.a ?? 0.02, { positive: true });
    this.b = this.param("b", opts.b ?? 0.2);
    this.c = this.param("c", opts.c ?? -65);
    this.d = this.param("d", opts.d ?? 8);
    this.vTh = this.param("vTh", opts.vTh ?? 30);
    if (this.vTh === this.c) throw new ValueError(`Izhikevich: vTh and c must differ (the spike function scales by vTh − c), both are ${this.vTh}`);
    this.vInitializer = opts.vInitializer ?? -65;
    this.uInitializer = opts.uInitializer ?? -13;
  }

  /** The membrane potential; created by `initState`. */
  get V(): HiddenState {
    return this.hidden("V");
  }

  /** The recovery variable; created by `initState`. */
  get u(): HiddenState {
    return this.hidden("u");
  }

  protected hiddenVariables() {
    return { V: this.vInitializer, u: this.uInitializer };
  }

  /** spkFun((V − vTh) / (vTh − c)) of potential `V` (default: the current one). */
  getSpike(V: Tensor = this.V.value): Tensor {
    return this.spkFun(np.divide(np.subtract(V, this.vTh), difference(this.vTh, this.c)));
  }

  /** One step with input current `x`; returns the new spikes. */
  update(x: ArrayLike = 0): Tensor {
    const lastV = this.V.value;
    const current = this.sumCurrentInputs(inputFor("Izhikevich.update", x, lastV));
    const spike = this.getSpike(lastV);
    const V0 = this.resetPotential(lastV, spike, this.vTh, this.c);
    const u0 = this.u.value.add(np.multiply(this.d, spike));
    const V = integrate((v) => v.square().mul(0.04).add(v.mul(5)).add(140).sub(u0).add(current(v)), V0);
    const u = integrate((u) => np.multiply(this.a, np.subtract(np.multiply(this.b, V0), u)), u0);
    this.V.value = V;
    this.u.value = u;
    return this.getSpike(V);
  }
}

export interface AdExOptions extends NeuronOptions {
  /** Membrane time constant; default 10. */
  tau?: DynamicsParam;
  /** Adaptation time constant; default 30. */
  tauW?: DynamicsParam;
  /** Resting potential; default −65. */
  vRest?: DynamicsParam;
  /** Potential after a spike; default −68. */
  vReset?: DynamicsParam;
  /** Spike cutoff; default −30. */
  vTh?: DynamicsParam;
  /** Soft threshold of the exponential term; default −59.9. */
  vT?: DynamicsParam;
  /** Slope factor of the exponential term (positive); default 3.48. */
  deltaT?: DynamicsParam;
  /** Subthreshold adaptation coupling; default 1. */
  a?: DynamicsParam;
  /** Spike-triggered adaptation jump; default 1. */
  b?: DynamicsParam;
  /** Membrane resistance; default 1. */
  R?: DynamicsParam;
  /** Initial potential; default −65. */
  vInitializer?: InitLike;
  /** Initial adaptation current; default 0. */
  wInitializer?: InitLike;
}

/**
 * Adaptive exponential integrate-and-fire neurons (Brette & Gerstner 2005; BrainPy's `AdExIF`,
 * same defaults): tau dV/dt = −(V − vRest) + deltaT exp((V − vT)/deltaT) − R w + R I,
 * tauW dw/dt = a (V − vRest) − w; when V ≥ vTh: V ← vReset, w ← w + b. The exponential upstroke
 * needs a small step (dt ≤ 0.1 ms): above vT its exponential Euler step grows like e^(dt/tau ·
 * e^((V − vT)/deltaT)), which overflows float32 for dt = 1 ms just below vTh.
 * @example
 * const adex = new nn.AdEx(1);
 * adex.initState();
 * const spikes = environ.context({ dt: 0.05 }, () => forLoop((x) => adex.update(x), np.full([4000, 1], 65)));
 */
export class AdEx extends Neuron {
  readonly tau: number | Tensor;
  readonly tauW: number | Tensor;
  readonly vRest: number | Tensor;
  readonly vReset: number | Tensor;
  readonly vTh: number | Tensor;
  readonly vT: number | Tensor;
  readonly deltaT: number | Tensor;
  readonly a: number | Tensor;
  readonly b: number | Tensor;
  readonly R: number | Tensor;
  readonly vInitializer: InitLike;
  readonly wInitializer: InitLike;

  constructor(inSize: number | readonly number[], opts: AdExOptions = {}) {
    opts = modelOptions("AdEx", opts, { tau: 1, tauW: 1, vRest: 1, vReset: 1, vTh: 1, vT: 1, deltaT: 1, a: 1, b: 1, R: 1, vInitializer: 1, wInitializer: 1, spkFun: 1, spkReset: 1 });
    super(inSize, opts, "hard");
    this.tau = this.param("tau", opts.tau ?? 10, { positive: true });
    this.tauW = this.param("tauW", opts.tauW ?? 30, { positive: true });
    this.vRest = this.param("vRest", opts.vRest ?? -65);
    this.vReset = this.param("vReset", opts.vReset ?? -68);
    this.vTh = this.param("vTh", opts.vTh ?? -30);
    this.vT = this.param("vT", opts.vT ?? -59.9);
    this.deltaT = this.param("deltaT", opts.deltaT ?? 3.48, { positive: true });
    this.a = this.param("a", opts.a ?? 1);
    this.b = this.param("b", opts.b ?? 1);
    this.R = this.param("R", opts.R ?? 1);
    if (this.vTh === this.vReset) throw new ValueError(`AdEx: vTh and vReset must differ (the spike function scales by vTh − vReset), both are ${this.vTh}`);
    this.vInitializer = opts.vInitializer ?? -65;
    this.wInitializer = opts.wInitializer ?? 0;
  }

  /** The membrane potential; created by `initState`. */
  get V(): HiddenState {
    return this.hidden("V");
  }

  /** The adaptation current; created by `initState`. */
  get w(): HiddenState {
    return this.hidden("w");
  }

  protected hiddenVariables() {
    return { V: this.vInitializer, w: this.wInitializer };
  }

  /** spkFun((V − vTh) / (vTh − vReset)) of potential `V` (default: the current one). */
  getSpike(V: Tensor = this.V.value): Tensor {
    return this.spkFun(np.divide(np.subtract(V, this.vTh), difference(this.vTh, this.vReset)));
  }

  /** One step with input current `x`; returns the new spikes. */
  update(x: ArrayLike = 0): Tensor {
    const lastV = this.V.value;
    const current = this.sumCurrentInputs(inputFor("AdEx.update", x, lastV));
    const spike = this.getSpike(lastV);
    const V0 = this.resetPotential(lastV, spike, this.vTh, this.vReset);
    const w0 = this.w.value.add(np.multiply(this.b, spike));
    const V = integrate((v) => {
      const upstroke = np.multiply(this.deltaT, np.exp(np.divide(np.subtract(v, this.vT), this.deltaT)));
      const drive = np.multiply(this.R, current(v).sub(w0));
      return np.divide(upstroke.add(drive).sub(np.subtract(v, this.vRest)), this.tau);
    }, V0);
    const w = integrate((w) => np.divide(np.subtract(np.multiply(this.a, np.subtract(V0, this.vRest)), w), this.tauW), w0);
    this.V.value = V;
    this.w.value = w;
    return this.getSpike(V);
  }
}
