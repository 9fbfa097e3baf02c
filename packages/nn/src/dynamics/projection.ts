/**
 * Projections between populations (BrainState's `nn.AlignPostProj` with `nn.COBA`/`nn.CUBA`
 * outputs): presynaptic spikes go through a connection (`Linear`, `OneToOne`, `FixedNumConn`, or
 * any function), then a synapse model (its conductance lives on the postsynaptic side, so it has
 * the post population's shape), and the output turns the conductance into a current that the
 * postsynaptic neuron adds to its input inside its drift.
 *
 * One step of a network is: update every projection with the previous step's spikes (this binds
 * each output's conductance), then update the neurons (each takes the bound currents once).
 */
import { type ArrayLike, ParamState, ShapeError, StateError, type Tensor, ValueError, checkConcrete, describeValue, np, npUtil, prng } from "@kiln/core";
import { Module } from "../module.js";
import { type CurrentInput, Dynamics, type DynamicsParam, modelOptions } from "./base.js";

/**
 * An output model (BrainState's `nn.SynOut`): holds the conductance a projection bound for this
 * step and gives the postsynaptic current as a function of the potential.
 * @example
 * new nn.COBA({ E: 0 }).call(np.array([0.5]), np.array([-60]))   // [30]: g (E − V)
 */
export abstract class SynOut extends Module implements CurrentInput {
  // A plain field, not a State: it lives for one step (bound by the projection, taken by the neuron).
  private bound: Tensor | undefined;

  constructor() {
    super();
    checkConcrete(new.target, SynOut, "nn.SynOut");
  }

  /** The current of conductance `g` at potential `V`. */
  protected abstract currentOf(g: Tensor, V: Tensor): Tensor;

  /** The current of conductance `g` at potential `V` (a pure function; nothing is bound or taken). */
  call(g: ArrayLike, V: ArrayLike): Tensor {
    return this.currentOf(npUtil.asTensor(g, `${this.constructor.name}.call`), npUtil.asTensor(V, `${this.constructor.name}.call`));
  }

  /** Binds this step's conductance (BrainState's `bind_cond`). */
  bindCond(g: Tensor): void {
    this.bound = g;
  }

  /** The bound conductance's current as a function of V; the binding is used up. */
  takeCurrent(who: string): (V: Tensor) => Tensor {
    if (typeof who !== "string") who = `${this.constructor.name}.takeCurrent`;
    const g = this.bound;
    if (g === undefined) {
      throw new StateError(`${who}: a projection onto this neuron (${this.constructor.name} output) was not updated since the neuron's last step; ` +
        "update every projection before its postsynaptic neuron in each step");
    }
    this.bound = undefined;
    return (V) => this.currentOf(g, V);
  }
}

/** An output's parameter: a finite number, or an array (broadcast against the conductance). */
function outputParam(who: string, name: string, value: DynamicsParam): number | Tensor {
  if (typeof value === "number" && !Number.isFinite(value)) throw new ValueError(`${who}: ${name} must be finite, got ${value}`);
  return typeof value === "number" ? value : npUtil.asTensor(value, `${who} ${name}`);
}

/**
 * Conductance-based output (BrainState's `nn.COBA`): I = g (E − V), with reversal potential `E`
 * (e.g. 0 mV excitatory, −80 mV inhibitory).
 * @example new nn.COBA({ E: -80 })
 */
export class COBA extends SynOut {
  readonly E: number | Tensor;

  constructor(opts: { E?: DynamicsParam } = {}) {
    super();
    opts = modelOptions("COBA", opts, { E: 1 });
    this.E = outputParam("COBA", "E", opts.E ?? 0);
  }

  protected currentOf(g: Tensor, V: Tensor): Tensor {
    return g.mul(np.subtract(this.E, V));
  }
}

/**
 * Current-based output (BrainState's `nn.CUBA`): I = scale · g, whatever the potential.
 * @example new nn.CUBA({ scale: 2 })
 */
export class CUBA extends SynOut {
  readonly scale: number | Tensor;

  constructor(opts: { scale?: DynamicsParam } = {}) {
    super();
    opts = modelOptions("CUBA", opts, { scale: 1 });
    this.scale = outputParam("CUBA", "scale", opts.scale ?? 1);
  }

  protected currentOf(g: Tensor): Tensor {
    return np.multiply(g, this.scale);
  }
}

/** A connection: a module with `call` (e.g. `nn.Linear`) or a function of the presynaptic activity. */
export type Connection = { call(x: Tensor): Tensor } | ((x: Tensor) => Tensor);

export interface AlignPostProjOptions {
  /** Presynaptic activity → postsynaptic input (`nn.Linear`, `nn.OneToOne`, `nn.FixedNumConn`, a function). */
  comm: Connection;
  /** The synapse model on the postsynaptic side (`Expon`, `Alpha`, `DualExpon`), shaped like `post`. */
  syn: Dynamics;
  /** The output model: `COBA` or `CUBA`. */
  out: SynOut;
  /** The postsynaptic neurons; the output is registered on them as a current input. */
  post: Dynamics;
  /** Optional short-term plasticity (`STP`/`STD`) on the presynaptic side: the spikes are scaled by its efficacy. */
  stp?: Dynamics;
}

let projections = 0;

/**
 * An align-post projection (BrainState's `nn.AlignPostProj`): `update(spikes)` runs
 * comm → syn → out and binds the conductance, which `post` turns into a current at its next update.
 * Its States are those of its modules (`syn`, `stp`, `comm`'s weights); `post` is referenced, and
 * `nn.initAllStates` on a network holding both initializes each once.
 * @example
 * const pop = new nn.LIF(100, { vRest: -60, vTh: -50, vReset: -60, tau: 20 });
 * const E = new nn.AlignPostProj({
 *   comm: new nn.FixedNumConn(80, 100, { prob: 0.1, weight: 0.6 }),
 *   syn: new nn.Expon(100, { tau: 5 }), out: new nn.COBA({ E: 0 }), post: pop,
 * });
 * nn.initAllStates([pop, E]);
 * environ.context({ dt: 0.1 }, () => { E.update(preSpikes); return pop.update(20); });
 */
export class AlignPostProj extends Module {
  readonly comm: Connection;
  readonly syn: Dynamics;
  readonly out: SynOut;
  readonly post: Dynamics;
  readonly stp: Dynamics | undefined;
  /** The key of the output among `post`'s current inputs. */
  readonly key: string;

  constructor(opts: AlignPostProjOptions) {
    super();
    opts = modelOptions("AlignPostProj", opts, { comm: 1, syn: 1, out: 1, post: 1, stp: 1 });
    const { comm, syn, out, post, stp } = opts;
    if (!(typeof comm === "function" || (comm instanceof Object && typeof (comm as { call?: unknown }).call === "function"))) {
      throw new ValueError(`AlignPostProj: comm must be a connection module (with call) or a function, got ${describeValue(comm)}`);
    }
    for (const [name, m] of [["syn", syn], ["post", post], ["stp", stp ?? null]] as const) {
      if (m !== null && !(m instanceof Dynamics)) throw new ValueError(`AlignPostProj: ${name} must be a dynamics model (nn.Dynamics), got ${describeValue(m)}`);
    }
    if (!(out instanceof SynOut)) throw new ValueError(`AlignPostProj: out must be an output model (nn.COBA or nn.CUBA), got ${describeValue(out)}`);
    if (syn.varshape.join() !== post.varshape.join()) {
      throw new ShapeError(`AlignPostProj: the synapse has shape [${syn.varshape}] but the postsynaptic population has shape [${post.varshape}]; an align-post synapse lives on the postsynaptic side`);
    }
    this.comm = comm;
    this.syn = syn;
    this.out = out;
    this.post = post;
    this.stp = stp;
    this.key = `AlignPostProj#${++projections}`;
    post.addCurrentInput(this.key, out);
  }

  /** One step with presynaptic activity `spikes`: returns the synapse's conductance (bound to the output). */
  update(spikes: ArrayLike): Tensor {
    let x = npUtil.asTensor(spikes, "AlignPostProj.update");
    if (this.stp) x = x.mul(this.stp.update(x));
    const input = typeof this.comm === "function" ? this.comm(x) : this.comm.call(x);
    const g = this.syn.update(input);
    this.out.bindCond(g);
    return g;
  }

  /** `update(spikes)`. */
  call(spikes: ArrayLike): Tensor {
    return this.update(spikes);
  }
}

/**
 * A weight ParamState of `shape`, from a number (broadcast) or an array of that shape. Never 0-d:
 * a jitted step that reads a 0-d State keeps one buffer per call alive (a core issue, reported),
 * and a simulation loop would grow without bound.
 */
function weightState(who: string, weight: ArrayLike, shape: readonly number[]): ParamState {
  if (typeof weight === "number" && !Number.isFinite(weight)) throw new ValueError(`${who}: weight must be finite, got ${weight}`);
  const w = npUtil.asTensor(weight, `${who} weight`);
  if (w.ndim && w.shape.join() !== shape.join()) throw new ShapeError(`${who}: weight has shape [${w.shape}], expected a number or shape [${shape}]`);
  return new ParamState(np.broadcastTo(w, shape));
}

/**
 * One-to-one connection (BrainState's `nn.OneToOne`): neuron i drives neuron i, y = x · weight
 * (`weight`: a ParamState of shape [size], from a number or one weight per neuron).
 * @example new nn.OneToOne(100, { weight: 0.5 }).call(spikes)
 */
export class OneToOne extends Module {
  readonly weight: ParamState;

  constructor(readonly size: number, opts: { weight?: ArrayLike } = {}) {
    super();
    opts = modelOptions("OneToOne", opts, { weight: 1 });
    if (!Number.isInteger(size) || size <= 0) throw new ValueError(`OneToOne: size must be a positive integer, got ${describeValue(size)}`);
    this.weight = weightState("OneToOne", opts.weight ?? 1, [size]);
  }

  call(x: ArrayLike): Tensor {
    const t = npUtil.asTensor(x, "OneToOne");
    if (t.shape[t.ndim - 1] !== this.size) throw new ShapeError(`OneToOne(${this.size}): expected an input whose last axis has size ${this.size}, got shape [${t.shape}]`);
    return t.mul(this.weight.value);
  }
}

export interface FixedNumConnOptions {
  /** Fraction of the postsynaptic neurons each presynaptic neuron connects to, in (0, 1]. */
  prob: number;
  /** Synaptic weight, the same for every connection (a ParamState of shape [1]); default 1. */
  weight?: number;
  /** Seed of the connectivity (fixed at construction); default 0. */
  seed?: number;
}

/**
 * Random sparse connectivity with a fixed number of targets (BrainState's `nn.FixedNumConn`): each
 * presynaptic neuron connects to round(prob · outSize) distinct postsynaptic neurons, drawn once
 * from `seed`. Stored as a dense 0/1 mask times the weight (`call(x)` = x @ (mask · weight)), which
 * suits the network sizes a dense matmul handles.
 * @example new nn.FixedNumConn(3200, 4000, { prob: 0.02, weight: 0.6 })
 */
export class FixedNumConn extends Module {
  readonly weight: ParamState;
  /** The connectivity, [inSize, outSize] of 0/1. */
  readonly mask: Tensor;

  constructor(readonly inSize: number, readonly outSize: number, opts: FixedNumConnOptions) {
    super();
    opts = modelOptions("FixedNumConn", opts, { prob: 1, weight: 1, seed: 1 });
    for (const [name, n] of [["inSize", inSize], ["outSize", outSize]] as const) {
      if (!Number.isInteger(n) || n <= 0) throw new ValueError(`FixedNumConn: ${name} must be a positive integer, got ${describeValue(n)}`);
    }
    const prob = opts.prob;
    if (typeof prob !== "number" || !(prob > 0 && prob <= 1)) throw new ValueError(`FixedNumConn: prob must be a number in (0, 1], got ${describeValue(prob)}`);
    if (typeof (opts.weight ?? 1) !== "number") throw new ValueError(`FixedNumConn: weight must be a number, got ${describeValue(opts.weight)}`);
    this.weight = weightState("FixedNumConn", opts.weight ?? 1, [1]);
    const fanOut = Math.max(1, Math.round(prob * outSize));
    // Per row, the fanOut smallest of outSize uniform draws pick distinct targets without replacement.
    const draws = prng.uniform(prng.key(opts.seed ?? 0), [inSize, outSize]);
    const rank = np.argsort(np.argsort(draws, { axis: 1 }), { axis: 1 });
    this.mask = rank.lt(fanOut).astype(this.weight.value.dtype);
  }

  call(x: ArrayLike): Tensor {
    const t = npUtil.asTensor(x, "FixedNumConn");
    if (t.shape[t.ndim - 1] !== this.inSize) throw new ShapeError(`FixedNumConn(${this.inSize}, ${this.outSize}): expected an input whose last axis has size ${this.inSize}, got shape [${t.shape}]`);
    return np.matmul(t, this.mask.mul(this.weight.value));
  }
}
