/**
 * `Neuron`: the base of spiking neurons (BrainState's `nn.Neuron`): a spike function with a
 * surrogate gradient and a reset mode, shared by LIF, LIFRef, IF, ALIF, Izhikevich, AdEx and HH. Every neuron
 * follows BrainState's step order: reset with the previous step's spike, integrate over dt, then
 * return the spike of the new state.
 */
import { type Tensor, ValueError, checkConcrete, describeValue, np } from "@kiln/core";
import { customVjp } from "@kiln/transforms";
import { Dynamics } from "./base.js";
import { type SpikeFunction, piecewiseLinear } from "./surrogate.js";

/** How the potential is reset after a spike. */
export type SpikeReset = "soft" | "hard";

/** The options every neuron takes. */
export interface NeuronOptions {
  /** Spike function of the scaled potential (0 at threshold); default `nn.surrogate.piecewiseLinear` (BrainState's `ReluGrad`). */
  spkFun?: SpikeFunction;
  /**
   * `"soft"` subtracts the threshold distance from V after a spike; `"hard"` sets V to the reset
   * potential, with no gradient through the reset's subtracted potential (BrainState's `stop_gradient`).
   */
  spkReset?: SpikeReset;
}

const RESETS: readonly SpikeReset[] = ["soft", "hard"];

/**
 * a − b, in JS when both are numbers: np.subtract of two numbers would round the result to a
 * float32 constant, and a float64 simulation would drift from its reference by ~1e-8 per step.
 */
export function difference(a: number | Tensor, b: number | Tensor): number | Tensor {
  return typeof a === "number" && typeof b === "number" ? a - b : np.subtract(a, b);
}

/** Base class of spiking neurons: `spkFun`, `spkReset` and the reset both modes share. */
export abstract class Neuron extends Dynamics {
  readonly spkFun: SpikeFunction;
  readonly spkReset: SpikeReset;

  constructor(inSize: number | readonly number[], opts: NeuronOptions, defaultReset: SpikeReset) {
    checkConcrete(new.target, Neuron, "nn.Neuron");
    super(inSize);
    const who = this.constructor.name;
    this.spkFun = opts.spkFun ?? ((x) => piecewiseLinear(x));
    if (typeof this.spkFun !== "function") throw new ValueError(`${who}: spkFun must be a spike function such as nn.surrogate.sigmoid, got ${describeValue(this.spkFun)}`);
    this.spkReset = opts.spkReset ?? defaultReset;
    if (!RESETS.includes(this.spkReset)) throw new ValueError(`${who}: spkReset must be "soft" or "hard", got ${describeValue(this.spkReset)}`);
  }

  /** The spikes of the current state (the neuron's spike function of its scaled potential). */
  abstract getSpike(): Tensor;

  /**
   * The potential after the previous step's spike. Soft: V − (vTh − vReset) · spike. Hard: vReset
   * where the neuron spiked, V elsewhere — selected exactly rather than computed as
   * V − (V − vReset) · spike, which loses vReset to cancellation when a fast upstroke (AdEx,
   * Izhikevich) leaves V far above threshold — with BrainState's gradient: that of
   * V − (stop_gradient(V) − vReset) · spike.
   */
  protected resetPotential(V: Tensor, spike: Tensor, vTh: number | Tensor, vReset: number | Tensor): Tensor {
    if (this.spkReset === "soft") return V.sub(np.multiply(difference(vTh, vReset), spike));
    const reset = customVjp((v: Tensor, s: Tensor) => np.where(s.gt(0), np.add(np.zerosLike(v), vReset), v));
    reset.defVjp(
      (v: Tensor, s: Tensor) => [np.where(s.gt(0), np.add(np.zerosLike(v), vReset), v), v],
      (v: Tensor, g: Tensor) => [g, g.mul(np.subtract(vReset, v))],
    );
    return reset(V, spike) as Tensor;
  }
}
