/**
 * `profile()`: where the time of a step goes, kernel by kernel, on whichever backend is active.
 * Host kernels (cpu, and gpujs's host steps) are timed one by one by the step timer
 * (`setStepTimer`). WebGPU kernels are encoded into one command buffer and run together: without
 * the adapter's `timestamp-query` feature there is no per-kernel device time, so the report gives
 * each device kernel's dispatches and bytes and the host-measured wall time of the submissions
 * (from `submit()` until the queue reports the work done), and says so in `timing`.
 */
import { Tensor, ValueError, npUtil, sizeOf } from "@kiln/core";
import { type KernelStep } from "./schedule.js";
import { type StepTimer, currentStepTimer, setStepTimer } from "./host/run.js";
import { bytesPer } from "./storage.js";
import { getBackend } from "./select.js";
import { currentGpu } from "./targets/webgpu/webgpu-device.js";
import { setWebgpuObserver } from "./targets/webgpu/webgpu-observe.js";

/** One kernel of a profiled step (kernels with the same name are one entry). */
export interface KernelProfile {
  /** As `lower()` names it: `<kind>_<root primitive>_<hash>`, or `library_<name>`. */
  readonly name: string;
  readonly kind: KernelStep["kind"];
  /** Runs per call of the profiled function. */
  readonly runs: number;
  /** WebGPU compute dispatches per call (0 for a kernel that ran on the host). */
  readonly dispatches: number;
  /** Bytes its inputs and outputs take, per call (what it reads and writes at least once). */
  readonly bytes: number;
  /** Milliseconds per call around the kernel on the host; null for a device kernel (see `Profile.timing`). */
  readonly ms: number | null;
  /** Where it ran. */
  readonly on: "host" | "device";
}

/** What `profile()` returns. */
export interface Profile {
  readonly backend: string;
  /** Timed calls (after the untimed warm-up calls). */
  readonly calls: number;
  /** Wall milliseconds per call, reading the outputs back included. */
  readonly wallMs: number;
  /** Slowest first (host-timed), then device kernels by bytes. */
  readonly kernels: readonly KernelProfile[];
  /** Device submissions per call (webgpu; 0 on host backends). */
  readonly submissions: number;
  /** Host-measured wall milliseconds per call from each `submit()` until its work was done (webgpu), else null. */
  readonly submissionMs: number | null;
  /** How the times were measured, in words (printed with the report). */
  readonly timing: string;
}

export interface ProfileOptions {
  /** Timed calls (default 5). */
  readonly calls?: number;
  /** Untimed calls first: tracing, compiling, the first upload (default 1). */
  readonly warmup?: number;
}

/** Every Tensor in a returned value (arrays, plain objects), read back so that the device work is done. */
async function settle(v: unknown): Promise<void> {
  const value = await v;
  if (value instanceof Tensor) await value.data();
  else if (Array.isArray(value)) for (const x of value) await settle(x);
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) for (const x of Object.values(value)) await settle(x);
}

function stepBytes(step: KernelStep): number {
  if (step.kernel) return step.kernel.params.filter((p) => p.role !== "scratch").reduce((n, p) => n + p.size * bytesPer(p.dtype), 0);
  const spec = step.library!;
  return (spec.inShapes.reduce((n, s) => n + sizeOf(s), 0) + sizeOf(spec.outShape)) * bytesPer(spec.dtype);
}

function checkCount(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ValueError(`profile: ${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/**
 * Runs `fn` (a jitted step, or any eager code) `warmup` times untimed, then `calls` times timed,
 * reading back every Tensor it returns, and reports each kernel it ran: name, kind, runs,
 * dispatches, bytes and time, plus device submissions per call. Works on every backend; on
 * webgpu, kernels run on the device have no time of their own (`ms: null`) unless the adapter
 * offers `timestamp-query` — see `timing` — and the submissions' wall time is reported instead.
 * @example
 * const step = jit((x: Tensor) => np.sum(np.tanh(x)));
 * const p = await profile(() => step(x), { calls: 10 });
 * p.kernels[0]; // { name: "reduce_reduceSum_…", kind: "reduce", runs: 1, dispatches: 2, bytes: 4194308, ms: null, on: "device" }
 * p.submissions; // 1 on webgpu: the step and its read in one submission
 */
export async function profile(fn: () => unknown, opts: ProfileOptions = {}, ...extra: undefined[]): Promise<Profile> {
  if (typeof fn !== "function") throw new ValueError(`profile: expected a function to call (e.g. () => step(x)), got ${typeof fn}`);
  opts = npUtil.optionsOf("profile", opts, "profile", extra);
  const calls = checkCount("calls", opts.calls ?? 5, 1), warmup = checkCount("warmup", opts.warmup ?? 1, 0);
  for (let i = 0; i < warmup; i++) await settle(fn());
  const entries = new Map<string, { name: string; kind: KernelStep["kind"]; runs: number; dispatches: number; bytes: number; ms: number; on: "host" | "device" }>();
  const entry = (step: KernelStep, on: "host" | "device") => {
    let e = entries.get(step.name);
    if (!e) entries.set(step.name, (e = { name: step.name, kind: step.kind, runs: 0, dispatches: 0, bytes: 0, ms: 0, on }));
    e.runs++;
    e.bytes += stepBytes(step);
    return e;
  };
  const submissions: Promise<number>[] = [];
  const outerTimer = currentStepTimer();
  const timer: StepTimer = (kind, ms, step) => {
    entry(step, "host").ms += ms;
    outerTimer?.(kind, ms, step);
  };
  setStepTimer(timer);
  const outerObserver = setWebgpuObserver({
    step: (step, dispatches) => void (entry(step, "device").dispatches += dispatches),
    submission: (done) => void submissions.push(done),
  });
  let wall: number;
  try {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await settle(fn());
    wall = performance.now() - t0;
  } finally {
    setStepTimer(outerTimer);
    setWebgpuObserver(outerObserver);
  }
  const submitted = await Promise.all(submissions);
  const kernels: KernelProfile[] = [...entries.values()]
    .map((e) => ({ name: e.name, kind: e.kind, runs: e.runs / calls, dispatches: e.dispatches / calls, bytes: e.bytes / calls, ms: e.on === "host" ? e.ms / calls : null, on: e.on }))
    .sort((a, b) => (b.ms ?? -1) - (a.ms ?? -1) || b.bytes - a.bytes);
  const backend = getBackend();
  const device = kernels.some((k) => k.on === "device") || submitted.length > 0;
  const timestamps = currentGpu()?.device.features.has("timestamp-query") ?? false;
  const timing = !device
    ? "host kernels: wall time around each kernel call (setStepTimer)"
    : `webgpu: no per-kernel device time (${timestamps ? "the adapter offers timestamp-query; kiln does not request it yet" : "this adapter has no timestamp-query"}); ` +
      `submissionMs is host-measured wall time from submit() until the queue reported the work done` +
      (kernels.some((k) => k.on === "host") ? "; host steps timed around each call" : "");
  return {
    backend, calls, wallMs: wall / calls, kernels, submissions: submitted.length / calls,
    submissionMs: device ? submitted.reduce((a, b) => a + b, 0) / calls : null, timing,
  };
}
