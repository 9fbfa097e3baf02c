/**
 * `HH`: the Hodgkin–Huxley neuron (BrainPy's `dyn.HH`, the squid-axon parameters in mV, ms,
 * mS/cm², µF/cm²):
 *   C dV/dt = −gNa m³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I
 *   dx/dt = αx(V) (1 − x) − βx(V) x    for the gates x = m, h, n
 * There is no reset: the spike is the crossing of vTh (V below it at the start of the step, at or
 * above it at the end). Each variable takes an exponential Euler step with the others held (BrainPy's
 * `exp_auto`); every equation is linear in its own variable, so each step is exact given the others.
 */
import { type ArrayLike, type HiddenState, type Tensor, np, stopGradient } from "@kiln/core";
import { type InitLike } from "../init.js";
import { type DynamicsParam, inputFor, modelOptions } from "./base.js";
import { integrate } from "./integrate.js";
import { Neuron, type NeuronOptions } from "./neuron.js";

/** x / (e^x − 1), continued by 1 at x = 0: the α of m and n without their removable 0/0. */
function xOverExpm1(x: Tensor): Tensor {
  const zero = x.eq(0);
  const safe = np.where(zero, 1, x);
  return np.where(zero, 1, safe.div(np.expm1(safe)));
}

/** The rate functions (1/ms) of the three gates at potential V (mV). */
const RATES = {
  m: { alpha: (V: Tensor) => xOverExpm1(V.add(40).div(-10)), beta: (V: Tensor) => np.exp(V.add(65).div(-18)).mul(4) },
  h: { alpha: (V: Tensor) => np.exp(V.add(65).div(-20)).mul(0.07), beta: (V: Tensor) => np.reciprocal(np.exp(V.add(35).div(-10)).add(1)) },
  n: { alpha: (V: Tensor) => xOverExpm1(V.add(55).div(-10)).mul(0.1), beta: (V: Tensor) => np.exp(V.add(65).div(-80)).mul(0.125) },
} as const;

/** A gate's steady state α / (α + β) at V (the default initial value, at the initial V). */
function steadyState(gate: keyof typeof RATES, V: Tensor): Tensor {
  const a = RATES[gate].alpha(V);
  return a.div(a.add(RATES[gate].beta(V)));
}

export interface HHOptions extends Omit<NeuronOptions, "spkReset"> {
  ENa?: DynamicsParam;
  gNa?: DynamicsParam;
  EK?: DynamicsParam;
  gK?: DynamicsParam;
  EL?: DynamicsParam;
  gL?: DynamicsParam;
  /** Membrane capacitance; default 1. */
  C?: DynamicsParam;
  /** Spike detection threshold; default 20. */
  vTh?: DynamicsParam;
  /** Initial potential; default −65. The gates start at their steady state there. */
  vInitializer?: InitLike;
}

/**
 * Hodgkin–Huxley neurons; HiddenStates `V`, `m`, `h`, `n` and `spike` (this step's spikes).
 * Defaults (BrainPy's): ENa 50, gNa 120, EK −77, gK 36, EL −54.387, gL 0.03, C 1, vTh 20. The
 * spike function sees V − vTh (in mV) and is masked by "below threshold at the start of the step".
 * @example
 * const hh = new nn.HH(1);
 * hh.initState();
 * const spikes = environ.context({ dt: 0.01 }, () => forLoop((x) => hh.update(x), np.full([10000, 1], 10)));
 */
export class HH extends Neuron {
  readonly ENa: number | Tensor;
  readonly gNa: number | Tensor;
  readonly EK: number | Tensor;
  readonly gK: number | Tensor;
  readonly EL: number | Tensor;
  readonly gL: number | Tensor;
  readonly C: number | Tensor;
  readonly vTh: number | Tensor;
  readonly vInitializer: InitLike;

  constructor(inSize: number | readonly number[], opts: HHOptions = {}) {
    opts = modelOptions("HH", opts, { ENa: 1, gNa: 1, EK: 1, gK: 1, EL: 1, gL: 1, C: 1, vTh: 1, vInitializer: 1, spkFun: 1 });
    super(inSize, opts, "soft");
    this.ENa = this.param("ENa", opts.ENa ?? 50);
    this.gNa = this.param("gNa", opts.gNa ?? 120);
    this.EK = this.param("EK", opts.EK ?? -77);
    this.gK = this.param("gK", opts.gK ?? 36);
    this.EL = this.param("EL", opts.EL ?? -54.387);
    this.gL = this.param("gL", opts.gL ?? 0.03);
    this.C = this.param("C", opts.C ?? 1, { positive: true });
    this.vTh = this.param("vTh", opts.vTh ?? 20);
    this.vInitializer = opts.vInitializer ?? -65;
  }

  /** The membrane potential; created by `initState`. */
  get V(): HiddenState {
    return this.hidden("V");
  }

  /** Sodium activation; created by `initState`. */
  get m(): HiddenState {
    return this.hidden("m");
  }

  /** Sodium inactivation; created by `initState`. */
  get h(): HiddenState {
    return this.hidden("h");
  }

  /** Potassium activation; created by `initState`. */
  get n(): HiddenState {
    return this.hidden("n");
  }

  /** This step's spikes; created by `initState` (0). */
  get spike(): HiddenState {
    return this.hidden("spike");
  }

  /** The V initializer, then each gate at its steady state for the initial V, and no spike. */
  override initState(batchSize?: number): void {
    super.initState(batchSize);
    this.resetState(batchSize);
  }

  override resetState(batchSize?: number): void {
    const V = this.initialValue(this.vInitializer, batchSize, "V");
    this.V.value = V;
    for (const gate of ["m", "h", "n"] as const) this[gate].value = steadyState(gate, V);
    this.spike.value = np.zerosLike(V);
  }

  protected hiddenVariables() {
    return { V: this.vInitializer, m: 0, h: 0, n: 0, spike: 0 };
  }

  /** This step's spikes (the last update's). */
  getSpike(): Tensor {
    return this.spike.value;
  }

  /** One step with input current `x`; returns the spikes (threshold crossings). */
  update(x: ArrayLike = 0): Tensor {
    const lastV = this.V.value;
    const current = this.sumCurrentInputs(inputFor("HH.update", x, lastV));
    const m0 = this.m.value, h0 = this.h.value, n0 = this.n.value;
    const gNa = np.multiply(this.gNa, m0.mul(m0).mul(m0).mul(h0)), gK = np.multiply(this.gK, n0.mul(n0).mul(n0).mul(n0));
    const V = integrate((v) => {
      const ionic = gNa.mul(np.subtract(v, this.ENa)).add(gK.mul(np.subtract(v, this.EK))).add(np.multiply(this.gL, np.subtract(v, this.EL)));
      return np.divide(current(v).sub(ionic), this.C);
    }, lastV);
    const gates = { m: m0, h: h0, n: n0 };
    for (const gate of ["m", "h", "n"] as const) {
      const a = RATES[gate].alpha(lastV), b = RATES[gate].beta(lastV);
      this[gate].value = integrate((g) => a.sub(a.add(b).mul(g)), gates[gate]);
    }
    // A crossing: the spike function of V − vTh where the potential was below vTh at the start.
    const below = stopGradient(np.less(lastV, this.vTh).astype(lastV.dtype));
    const spike = this.spkFun(np.subtract(V, this.vTh)).mul(below);
    this.V.value = V;
    this.spike.value = spike;
    return spike;
  }
}
