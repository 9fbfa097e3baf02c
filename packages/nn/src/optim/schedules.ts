/**
 * Learning-rate schedules, after optax's `optax.schedules`: each is a pure function of the update
 * count, built from np ops. Passed as `lr` to any optimizer, it is evaluated inside `update` on the
 * optimizer's step-count State, so a jitted training step (traced once) still sees the learning rate
 * change from step to step; nothing about the schedule is baked into the trace as a constant.
 */
import { type ArrayLike, type Tensor, ValueError, np, npUtil } from "@kiln/core";
import { checkHyper, checkSteps } from "./optimizer.js";

/**
 * A schedule: the value at update count `step` (0 on the first update), elementwise over a Tensor
 * of counts (so `schedule(np.arange(100))` tabulates it); the result is float32.
 */
export type Schedule = (step: ArrayLike) => Tensor;

/** The count as float32 (exact up to 2^24 updates), the dtype the formulas compute in. */
const stepsOf = (step: ArrayLike): Tensor => np.astype(npUtil.asTensor(step, "optim schedule"), "float32");

/** A finite number, or a ValueError naming it. */
function checkFinite(who: string, name: string, v: number): number {
  return checkHyper(who, name, v, -Infinity, Infinity, true);
}

/**
 * The same value at every step (optax `constant_schedule`).
 * @example optim.constantSchedule(0.1)(7) // 0.1
 */
export function constantSchedule(value: number): Schedule {
  checkFinite("optim.constantSchedule", "value", value);
  return (step) => np.fullLike(stepsOf(step), value);
}

export interface PolynomialScheduleOptions {
  initValue: number;
  endValue: number;
  /** The exponent of the transition (1: linear). */
  power: number;
  /** Steps from `initValue` to `endValue` (0: constant `initValue`, as optax). */
  transitionSteps: number;
  /** Steps held at `initValue` before the transition starts (default 0). */
  transitionBegin?: number;
}

/**
 * (I − E)·(1 − min(max(t − B, 0), T)/T)^power + E (optax `polynomial_schedule`).
 * @example optim.polynomialSchedule({ initValue: 1, endValue: 0.01, power: 2, transitionSteps: 100 })(50) // 0.2575
 */
export function polynomialSchedule(opts: PolynomialScheduleOptions, ...extra: undefined[]): Schedule {
  const who = "optim.polynomialSchedule";
  opts = npUtil.optionsOf(who, opts, who, extra);
  const [init, end, power] = [checkFinite(who, "initValue", opts.initValue), checkFinite(who, "endValue", opts.endValue), checkFinite(who, "power", opts.power)];
  const span = checkSteps(who, "transitionSteps", opts.transitionSteps, 0);
  const begin = checkSteps(who, "transitionBegin", opts.transitionBegin ?? 0, 0);
  if (span === 0) return constantSchedule(init);
  return (step) => {
    const frac = np.negative(np.clip(stepsOf(step).sub(begin), 0, span).div(span)).add(1);
    return np.power(frac, power).mul(init - end).add(end);
  };
}

/**
 * Linear from `initValue` to `endValue` over `transitionSteps` after `transitionBegin` (optax
 * `linear_schedule`); a linear warmup is `linearSchedule({ initValue: 0, endValue: peak, transitionSteps: warmup })`.
 * @example optim.linearSchedule({ initValue: 0, endValue: 1, transitionSteps: 10 })(5) // 0.5
 */
export function linearSchedule(opts: Omit<PolynomialScheduleOptions, "power">, ...extra: undefined[]): Schedule {
  return polynomialSchedule({ ...npUtil.optionsOf("optim.linearSchedule", opts, "optim.linearSchedule", extra), power: 1 });
}

export interface PiecewiseConstantScheduleOptions {
  initValue: number;
  /** `{ step: scale }`: from `step` on, the value is multiplied by `scale` (≥ 0). */
  boundariesAndScales: Readonly<Record<number, number>>;
}

/**
 * Step decay (optax `piecewise_constant_schedule`): initValue times every scale whose boundary is ≤ t.
 * PyTorch's `MultiStepLR(milestones, gamma)` is `{ [m]: gamma }` for each milestone; `StepLR` is
 * `exponentialDecay({ ..., staircase: true })`.
 * @example optim.piecewiseConstantSchedule({ initValue: 1, boundariesAndScales: { 100: 0.1, 200: 0.1 } })(150) // 0.1
 */
export function piecewiseConstantSchedule(opts: PiecewiseConstantScheduleOptions, ...extra: undefined[]): Schedule {
  const who = "optim.piecewiseConstantSchedule";
  opts = npUtil.optionsOf(who, opts, who, extra);
  const init = checkFinite(who, "initValue", opts.initValue);
  if (opts.boundariesAndScales === null || typeof opts.boundariesAndScales !== "object") {
    throw new ValueError(`${who}: boundariesAndScales must be a record { step: scale }, got ${String(opts.boundariesAndScales)}`);
  }
  const pieces = Object.entries(opts.boundariesAndScales).map(([b, s]): [number, number] => [
    checkSteps(who, "a boundary", Number(b), 0),
    checkHyper(who, `the scale at step ${b}`, s, 0, Infinity, true),
  ]);
  return (step) => {
    const t = stepsOf(step);
    return pieces.reduce((v, [b, s]) => v.mul(np.where(np.greaterEqual(t, b), s, 1)), np.fullLike(t, init));
  };
}

export interface ExponentialDecayOptions {
  initValue: number;
  /** Steps per factor of `decayRate` (> 0). */
  transitionSteps: number;
  /** The factor per `transitionSteps` steps (> 0). */
  decayRate: number;
  /** Steps held at `initValue` first (default 0). */
  transitionBegin?: number;
  /** Decay in whole jumps every `transitionSteps` steps (default false: continuously). */
  staircase?: boolean;
  /** A floor when decaying (decayRate < 1), a ceiling when growing. */
  endValue?: number;
}

/**
 * I · decayRate^((t − B) / T) for t > B, I before (optax `exponential_decay`); with `staircase`
 * the exponent is floored, which is PyTorch's `StepLR(stepSize: T, gamma: decayRate)`.
 * @example optim.exponentialDecay({ initValue: 1, transitionSteps: 10, decayRate: 0.5 })(20) // 0.25
 */
export function exponentialDecay(opts: ExponentialDecayOptions, ...extra: undefined[]): Schedule {
  const who = "optim.exponentialDecay";
  opts = npUtil.optionsOf(who, opts, who, extra);
  const init = checkFinite(who, "initValue", opts.initValue);
  const span = checkSteps(who, "transitionSteps", opts.transitionSteps, 1);
  const rate = checkHyper(who, "decayRate", opts.decayRate, Number.MIN_VALUE, Infinity, true);
  const begin = checkSteps(who, "transitionBegin", opts.transitionBegin ?? 0, 0);
  const end = opts.endValue === undefined ? undefined : checkFinite(who, "endValue", opts.endValue);
  return (step) => {
    const since = stepsOf(step).sub(begin);
    const p = opts.staircase ? np.floor(since.div(span)) : since.div(span);
    const v = np.where(np.lessEqual(since, 0), init, np.power(rate, p).mul(init));
    if (end === undefined) return v;
    return rate < 1 ? np.maximum(v, end) : np.minimum(v, end);
  };
}

export interface CosineDecayScheduleOptions {
  initValue: number;
  /** Steps of the decay (> 0); the value stays at alpha·initValue after. */
  decaySteps: number;
  /** The final value as a fraction of initValue (default 0). */
  alpha?: number;
  /** Applied to the cosine factor (default 1). */
  exponent?: number;
}

/**
 * I · ((1 − α)·(½(1 + cos(π·min(t, T)/T)))^exponent + α) (optax `cosine_decay_schedule`; PyTorch's
 * `CosineAnnealingLR(T_max: T, eta_min: α·I)` without restarts).
 * @example optim.cosineDecaySchedule({ initValue: 1, decaySteps: 100, alpha: 0.1 })(50) // 0.55
 */
export function cosineDecaySchedule(opts: CosineDecayScheduleOptions, ...extra: undefined[]): Schedule {
  const who = "optim.cosineDecaySchedule";
  opts = npUtil.optionsOf(who, opts, who, extra);
  const init = checkFinite(who, "initValue", opts.initValue);
  const span = checkSteps(who, "decaySteps", opts.decaySteps, 1);
  const alpha = checkFinite(who, "alpha", opts.alpha ?? 0);
  const exponent = checkFinite(who, "exponent", opts.exponent ?? 1);
  return (step) => {
    const cosine = np.cos(np.minimum(stepsOf(step), span).mul(Math.PI / span)).add(1).mul(0.5);
    return np.power(cosine, exponent).mul(1 - alpha).add(alpha).mul(init);
  };
}

export interface WarmupCosineDecayScheduleOptions {
  /** The value at step 0. */
  initValue: number;
  /** The value at the end of the warmup. */
  peakValue: number;
  /** Steps of the linear warmup (≥ 0). */
  warmupSteps: number;
  /** The total length, warmup included (> warmupSteps). */
  decaySteps: number;
  /** The value after decaySteps (default 0). */
  endValue?: number;
  /** Applied to the cosine factor (default 1). */
  exponent?: number;
}

/**
 * Linear warmup from initValue to peakValue over warmupSteps, then cosine decay to endValue at
 * decaySteps (optax `warmup_cosine_decay_schedule`).
 * @example optim.warmupCosineDecaySchedule({ initValue: 0, peakValue: 1, warmupSteps: 10, decaySteps: 110 })(60) // 0.5
 */
export function warmupCosineDecaySchedule(opts: WarmupCosineDecayScheduleOptions, ...extra: undefined[]): Schedule {
  const who = "optim.warmupCosineDecaySchedule";
  opts = npUtil.optionsOf(who, opts, who, extra);
  const warmup = checkSteps(who, "warmupSteps", opts.warmupSteps, 0);
  const total = checkSteps(who, "decaySteps", opts.decaySteps, warmup + 1);
  const peak = checkFinite(who, "peakValue", opts.peakValue);
  const end = checkFinite(who, "endValue", opts.endValue ?? 0);
  return joinSchedules(
    [
      linearSchedule({ initValue: opts.initValue, endValue: peak, transitionSteps: warmup }),
      cosineDecaySchedule({ initValue: peak, decaySteps: total - warmup, alpha: peak === 0 ? 0 : end / peak, exponent: opts.exponent }),
    ],
    [warmup],
  );
}

/**
 * Runs `schedules[i]` from `boundaries[i − 1]` on, each restarting its count at its boundary
 * (optax `join_schedules`).
 * @example optim.joinSchedules([optim.constantSchedule(1), optim.linearSchedule({ initValue: 1, endValue: 0, transitionSteps: 10 })], [5])(10) // 0.5
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const who = "optim.joinSchedules";
  if (!Array.isArray(schedules) || schedules.length === 0 || schedules.some((s) => typeof s !== "function")) {
    throw new ValueError(`${who}: expects a non-empty array of schedules`);
  }
  if (!Array.isArray(boundaries) || boundaries.length !== schedules.length - 1) {
    throw new ValueError(`${who}: ${schedules.length} schedules need ${schedules.length - 1} boundaries, got ${Array.isArray(boundaries) ? boundaries.length : String(boundaries)}`);
  }
  boundaries.forEach((b, i) => {
    checkSteps(who, "a boundary", b, i === 0 ? 0 : boundaries[i - 1]!);
  });
  return (step) => {
    const t = stepsOf(step);
    return boundaries.reduce((out, b, i) => np.where(np.less(t, b), out, schedules[i + 1]!(t.sub(b))), schedules[0]!(t));
  };
}
