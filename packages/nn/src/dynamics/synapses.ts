/**
 * Synapse models beyond `Expon` (BrainState's `nn.Alpha`, `nn.DualExpon`, `nn.STP`, `nn.STD`).
 * Alpha and DualExpon filter an input (spikes times weights) into a conductance; STP and STD track
 * a presynaptic resource and return the efficacy that scales each spike. Every variable decays
 * linearly between inputs, so the exponential Euler step is exact.
 */
import { type ArrayLike, type HiddenState, type Tensor, ValueError, np, npUtil } from "@kiln/core";
import { type InitLike } from "../init.js";
import { Dynamics, type DynamicsParam, inputFor, modelOptions } from "./base.js";
import { integrate } from "./integrate.js";

/** dx/dt = −x / tau over one step. */
function decay(x: Tensor, tau: number | Tensor): Tensor {
  return integrate((v) => np.divide(v.neg(), tau), x);
}

/** `x` plus the step's input, when there is one (checked to broadcast against the state). */
function withInput(who: string, x: Tensor, input: ArrayLike | undefined): Tensor {
  return input === undefined ? x : x.add(inputFor(who, input, x));
}

export interface AlphaOptions {
  /** Time constant of both stages (ms by convention); default 8. */
  tau?: DynamicsParam;
  /** Initial conductance (and inner stage h); default 0. */
  gInitializer?: InitLike;
}

/**
 * The alpha synapse (BrainState's `nn.Alpha`): two first-order stages with one time constant,
 *   tau dh/dt = −h,   tau dg/dt = −g + h,
 * the input is added to h after the decay, so a unit input at t = 0 gives g(t) = (t/tau) e^(−t/tau)
 * (peak 1/e at t = tau), sampled one step later than the input. `update(x)` returns g.
 * @example
 * const syn = new nn.Alpha(4, { tau: 5 });
 * syn.initState();
 * environ.context({ dt: 0.1 }, () => forLoop((x) => syn.update(x), np.zeros([100, 4])));
 */
export class Alpha extends Dynamics {
  readonly tau: number | Tensor;
  readonly gInitializer: InitLike;

  constructor(inSize: number | readonly number[], opts: AlphaOptions = {}) {
    super(inSize);
    opts = modelOptions("Alpha", opts, { tau: 1, gInitializer: 1 });
    this.tau = this.param("tau", opts.tau ?? 8, { positive: true });
    this.gInitializer = opts.gInitializer ?? 0;
  }

  /** The conductance; created by `initState`. */
  get g(): HiddenState {
    return this.hidden("g");
  }

  /** The inner stage that drives g; created by `initState`. */
  get h(): HiddenState {
    return this.hidden("h");
  }

  protected hiddenVariables() {
    return { g: this.gInitializer, h: this.gInitializer };
  }

  /** Decays h, moves g toward the decayed h, then adds the input `x` (if any) to h; returns g. */
  update(x?: ArrayLike): Tensor {
    const h = decay(this.h.value, this.tau);
    // BrainState's order: g integrates against the h of the end of the step.
    const g = integrate((g) => np.divide(h.sub(g), this.tau), this.g.value);
    this.h.value = withInput("Alpha.update", h, x);
    this.g.value = g;
    return g;
  }
}

export interface DualExponOptions {
  /** Decay time constant; default 10. */
  tauDecay?: DynamicsParam;
  /** Rise time constant (differs from tauDecay); default 1. */
  tauRise?: DynamicsParam;
  /**
   * Scale of the conductance; default the factor that makes the peak of a unit input's response 1:
   * tauDecay / (tauDecay − tauRise) · (tauRise / tauDecay)^(tauRise / (tauRise − tauDecay)).
   */
  A?: DynamicsParam;
  /** Initial value of both stages; default 0. */
  gInitializer?: InitLike;
}

/**
 * The dual-exponential synapse (BrainState's `nn.DualExpon`): two decays, the input added to both,
 *   g = A (gDecay − gRise),   tauDecay dgDecay/dt = −gDecay,   tauRise dgRise/dt = −gRise,
 * so a unit input gives A (e^(−t/tauDecay) − e^(−t/tauRise)), rising with tauRise and falling with
 * tauDecay. `update(x)` returns g.
 * @example
 * const syn = new nn.DualExpon(4, { tauDecay: 10, tauRise: 2 });
 * syn.initState();
 * environ.context({ dt: 0.1 }, () => syn.update(np.ones([4])));
 */
export class DualExpon extends Dynamics {
  readonly tauDecay: number | Tensor;
  readonly tauRise: number | Tensor;
  readonly A: number | Tensor;
  readonly gInitializer: InitLike;

  constructor(inSize: number | readonly number[], opts: DualExponOptions = {}) {
    super(inSize);
    opts = modelOptions("DualExpon", opts, { tauDecay: 1, tauRise: 1, A: 1, gInitializer: 1 });
    this.tauDecay = this.param("tauDecay", opts.tauDecay ?? 10, { positive: true });
    this.tauRise = this.param("tauRise", opts.tauRise ?? 1, { positive: true });
    if (this.tauDecay === this.tauRise) throw new ValueError(`DualExpon: tauDecay and tauRise must differ (use Alpha for equal time constants), both are ${this.tauDecay}`);
    this.A = opts.A === undefined ? peakNormalization(this.tauDecay, this.tauRise) : this.param("A", opts.A);
    this.gInitializer = opts.gInitializer ?? 0;
  }

  /** The decaying stage; created by `initState`. */
  get gDecay(): HiddenState {
    return this.hidden("gDecay");
  }

  /** The rising stage (subtracted); created by `initState`. */
  get gRise(): HiddenState {
    return this.hidden("gRise");
  }

  protected hiddenVariables() {
    return { gDecay: this.gInitializer, gRise: this.gInitializer };
  }

  /** Decays both stages, adds the input `x` (if any) to both; returns A (gDecay − gRise). */
  update(x?: ArrayLike): Tensor {
    const gDecay = withInput("DualExpon.update", decay(this.gDecay.value, this.tauDecay), x);
    const gRise = withInput("DualExpon.update", decay(this.gRise.value, this.tauRise), x);
    this.gDecay.value = gDecay;
    this.gRise.value = gRise;
    return np.multiply(this.A, gDecay.sub(gRise));
  }
}

/** The A that makes max_t A (e^(−t/td) − e^(−t/tr)) equal 1 (the peak is at t = td tr ln(td/tr) / (td − tr)). */
function peakNormalization(td: number | Tensor, tr: number | Tensor): number | Tensor {
  if (typeof td === "number" && typeof tr === "number") return (td / (td - tr)) * (tr / td) ** (tr / (tr - td));
  const ratio = np.divide(tr, td), span = np.subtract(td, tr);
  return np.multiply(np.divide(td, span), np.exp(np.multiply(np.log(ratio), np.divide(tr, np.negative(span)))));
}

export interface STPOptions {
  /** Baseline release probability (in (0, 1]); default 0.15. */
  U?: DynamicsParam;
  /** Facilitation time constant; default 1500. */
  tauF?: DynamicsParam;
  /** Depression (recovery) time constant; default 200. */
  tauD?: DynamicsParam;
}

/** U must be a probability: checked when it is a number. */
function checkU(who: string, U: number | Tensor): void {
  if (typeof U === "number" && !(U > 0 && U <= 1)) throw new ValueError(`${who}: U must be in (0, 1], got ${U}`);
}

/**
 * Tsodyks–Markram short-term plasticity (BrainState's `nn.STP`): the release probability u
 * facilitates and the resource x depresses,
 *   tauF du/dt = U − u,   tauD dx/dt = 1 − x;   on a presynaptic spike: u += U (1 − u), x −= u x,
 * and `update(spike)` returns the efficacy u · x that scales the spike (an `AlignPostProj` with
 * `stp` multiplies its spikes by it). u starts at U and x at 1.
 * @example
 * const stp = new nn.STP(2, { U: 0.2, tauF: 600, tauD: 100 });
 * stp.initState();
 * environ.context({ dt: 1 }, () => stp.update(np.array([1, 0])));  // [0.2 · 0.8 ..., 0.2]
 */
export class STP extends Dynamics {
  readonly U: number | Tensor;
  readonly tauF: number | Tensor;
  readonly tauD: number | Tensor;

  constructor(inSize: number | readonly number[], opts: STPOptions = {}) {
    super(inSize);
    opts = modelOptions("STP", opts, { U: 1, tauF: 1, tauD: 1 });
    this.U = this.param("U", opts.U ?? 0.15);
    checkU("STP", this.U);
    this.tauF = this.param("tauF", opts.tauF ?? 1500, { positive: true });
    this.tauD = this.param("tauD", opts.tauD ?? 200, { positive: true });
  }

  /** The release probability; created by `initState`. */
  get u(): HiddenState {
    return this.hidden("u");
  }

  /** The available resource; created by `initState`. */
  get x(): HiddenState {
    return this.hidden("x");
  }

  protected hiddenVariables() {
    const U = this.U;
    return { u: typeof U === "number" ? U : (shape: number[]) => np.broadcastTo(U, shape), x: 1 };
  }

  /** Relaxes u and x over one step, applies the presynaptic spikes; returns u · x. */
  update(spike: ArrayLike = 0): Tensor {
    const lastU = this.u.value, lastX = this.x.value;
    const s = inputFor("STP.update", spike, lastU);
    const relaxedU = integrate((u) => np.divide(np.subtract(this.U, u), this.tauF), lastU);
    const relaxedX = integrate((x) => np.divide(x.neg().add(1), this.tauD), lastX);
    // BrainPy's order: the jumps use the values from the start of the step.
    const u = relaxedU.add(s.mul(np.multiply(this.U, lastU.neg().add(1))));
    const x = relaxedX.sub(s.mul(u).mul(lastX));
    this.u.value = u;
    this.x.value = x;
    return u.mul(x);
  }
}

export interface STDOptions {
  /** Fraction of the resource used by a spike (in (0, 1]); default 0.07. */
  U?: DynamicsParam;
  /** Recovery time constant; default 200. */
  tau?: DynamicsParam;
}

/**
 * Short-term depression (BrainState's `nn.STD`): tau dx/dt = 1 − x, and a presynaptic spike uses
 * a fraction U of the resource (x −= U x). `update(spike)` returns x, the efficacy of the next spike.
 * @example
 * const std = new nn.STD(1, { U: 0.5, tau: 100 });
 * std.initState();
 * environ.context({ dt: 1 }, () => [std.update(1), std.update(1)]);   // [0.5], [~0.255]
 */
export class STD extends Dynamics {
  readonly U: number | Tensor;
  readonly tau: number | Tensor;

  constructor(inSize: number | readonly number[], opts: STDOptions = {}) {
    super(inSize);
    opts = modelOptions("STD", opts, { U: 1, tau: 1 });
    this.U = this.param("U", opts.U ?? 0.07);
    checkU("STD", this.U);
    this.tau = this.param("tau", opts.tau ?? 200, { positive: true });
  }

  /** The available resource; created by `initState` (at 1). */
  get x(): HiddenState {
    return this.hidden("x");
  }

  protected hiddenVariables() {
    return { x: 1 };
  }

  /** Recovers x over one step, then lowers it by U x (of the start of the step) where a spike arrived; returns x. */
  update(spike: ArrayLike = 0): Tensor {
    const last = this.x.value;
    const s = inputFor("STD.update", spike, last);
    const x = integrate((x) => np.divide(x.neg().add(1), this.tau), last).sub(s.mul(np.multiply(this.U, last)));
    this.x.value = x;
    return x;
  }
}
