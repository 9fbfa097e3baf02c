/**
 * `PoissonSpike`: independent Poisson spike trains (BrainState's `nn.PoissonSpike`), the usual
 * external drive of a spiking network. Each step every neuron fires with probability freqs · dt
 * (freqs in Hz, dt in ms, so p = freqs · dt / 1000), drawn from a `RandomState` — a State, so a
 * jitted or `forLoop` simulation carries the key and draws fresh spikes every step.
 */
import { DEFAULT_RANDOM, RandomState, ShapeError, type Tensor, ValueError, describeValue, environ, np, npUtil, prng } from "@kiln/core";
import { Dynamics, type DynamicsParam, modelOptions } from "./base.js";

export interface PoissonSpikeOptions {
  /** Firing rate in Hz (spikes per second, with dt in ms): a number or one per neuron. */
  freqs: DynamicsParam;
  /** The generator; default the process-wide one behind `random.*` (`random.seed` reseeds it). */
  rng?: RandomState;
}

/**
 * Poisson spike sources; `update()` returns this step's spikes (0/1, float32) of shape
 * `[batchSize, ...varshape]` (the batch size of `initState`).
 * @example
 * const src = new nn.PoissonSpike(100, { freqs: 20, rng: new RandomState(0) });
 * src.initState(8);
 * const spikes = environ.context({ dt: 0.1 }, () => forLoop(() => src.update(), np.zeros([1000])));  // ~2 per neuron
 */
export class PoissonSpike extends Dynamics {
  readonly freqs: number | Tensor;
  readonly rng: RandomState;
  private batchShape: number[] = [];

  constructor(inSize: number | readonly number[], opts: PoissonSpikeOptions) {
    super(inSize);
    opts = modelOptions("PoissonSpike", opts, { freqs: 1, rng: 1 });
    if (opts.freqs === undefined) throw new ValueError("PoissonSpike: freqs (the firing rate in Hz) is required");
    this.freqs = this.param("freqs", opts.freqs);
    if (typeof this.freqs === "number" && this.freqs < 0) throw new ValueError(`PoissonSpike: freqs must be non-negative, got ${this.freqs}`);
    const rng = opts.rng ?? DEFAULT_RANDOM;
    if (!(rng instanceof RandomState)) throw new ValueError(`PoissonSpike: rng must be a RandomState, got ${describeValue(rng)}`);
    this.rng = rng;
  }

  protected hiddenVariables() {
    return {};
  }

  /** Records the batch size of the spikes `update` draws (no HiddenStates: the state is the generator's key). */
  override initState(batchSize?: number): void {
    this.batchShape = this.stateShape(batchSize).slice(0, batchSize === undefined ? 0 : 1);
  }

  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  /** This step's spikes: uniform draws below freqs · dt / 1000. */
  update(x?: unknown): Tensor {
    if (x !== undefined) throw new ShapeError("PoissonSpike.update takes no input (the rates are the freqs option)");
    const p = np.multiply(this.freqs, environ.getDt() / 1000);
    const shape = [...this.batchShape, ...this.varshape];
    return np.less(prng.uniform(this.rng.nextKey(), shape), p).astype("float32");
  }
}
