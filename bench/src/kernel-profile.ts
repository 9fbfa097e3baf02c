/**
 * `--profile`: where a jitted kiln step's time goes, kernel by kernel (W7, W8) and by kernel kind (W3).
 * The backend's step timer (`setStepTimer`) reports every kernel a plan runs, in plan order, so the
 * i-th report of a call is the plan's i-th kernel (`lower().kernels`). Per kernel the profile keeps
 * the mean and the minimum over the profiled steps: on a shared machine the minimum is the kernel's
 * own cost, the mean adds the time other processes took from it. GFLOP/s uses the minimum.
 */
import { setStepTimer } from "@kiln/backend";
import { lpad, pad } from "./report.js";

/** A kernel as `jit(...).lower()` lists it. */
export interface ProfiledKernel {
  readonly name: string;
  readonly flops: number;
}

/** One kernel's line of the profile. */
export interface KernelLine {
  /** Position in the plan. */
  readonly index: number;
  readonly name: string;
  /** The kernel's kind, the first part of its name: matmul, reduce, elementwise or library. */
  readonly kind: string;
  readonly meanMs: number;
  readonly minMs: number;
  /** Of the summed kernel minima, %. */
  readonly sharePct: number;
  readonly gflops: number;
}

export interface KernelProfile {
  readonly steps: number;
  /** Wall time per step (mean). */
  readonly stepMs: number;
  /** Sum of the kernels' minima: the step's kernel time on an idle machine, roughly. */
  readonly kernelMinMs: number;
  /** Minima summed by kernel family (the name's first part: matmul, reduce, elementwise, library). */
  readonly byFamily: Readonly<Record<string, number>>;
  /** Every kernel, most expensive (by minimum) first. */
  readonly lines: readonly KernelLine[];
}

/**
 * Runs `step` once to warm up, then `steps` times with every kernel timed.
 * @example
 * const { kernels } = jitted.lower(x, y);
 * kernelProfile(() => jitted(x, y).item(), kernels, 10).lines[0]!.name; // the costliest kernel
 */
export function kernelProfile(step: () => unknown, kernels: readonly ProfiledKernel[], steps: number): KernelProfile {
  const n = kernels.length;
  const sum = new Float64Array(n), min = new Float64Array(n).fill(Infinity);
  let calls = 0;
  // A first call may trace and compile, running kernels outside the plan: warm up untimed.
  step();
  setStepTimer((_kind, ms) => {
    const i = calls++ % n;
    sum[i] += ms;
    if (ms < min[i]!) min[i] = ms;
  });
  let total: number;
  try {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) step();
    total = performance.now() - t0;
  } finally {
    setStepTimer(null);
  }
  // Kernels run outside the plan (an eager op in `step`) would shift every position after them.
  if (calls !== steps * n) throw new Error(`kernel profile: ${calls} kernel runs for ${steps} steps of ${n} kernels (the step must run the profiled plan alone)`);
  const kernelMinMs = min.reduce((a, b) => a + b, 0);
  const byFamily: Record<string, number> = {};
  const lines = kernels.map((k, i): KernelLine => {
    const kind = k.name.split("_")[0]!;
    byFamily[kind] = (byFamily[kind] ?? 0) + min[i]!;
    return { index: i, name: k.name, kind, meanMs: sum[i]! / steps, minMs: min[i]!, sharePct: (100 * min[i]!) / kernelMinMs, gflops: k.flops / (min[i]! * 1e6) };
  }).sort((a, b) => b.minMs - a.minMs);
  return { steps, stepMs: total / steps, kernelMinMs, byFamily, lines };
}

/** Prints the profile's summary and its `top` costliest kernels. */
export function printKernelProfile(title: string, p: KernelProfile, mflop: number, top = 15): void {
  const families = Object.entries(p.byFamily).sort((a, b) => b[1] - a[1]).map(([f, ms]) => `${f} ${ms.toFixed(1)} ms (${((100 * ms) / p.kernelMinMs).toFixed(0)}%)`);
  console.log(`\n${title}: ${p.stepMs.toFixed(1)} ms/step (mean of ${p.steps}); kernel minima sum to ${p.kernelMinMs.toFixed(1)} ms for ${p.lines.length} kernels, ${mflop.toFixed(0)} MFLOP (${(mflop / p.kernelMinMs).toFixed(1)} GFLOP/s overall): ${families.join(", ")}`);
  console.log(`${lpad("#", 4)}  ${pad("kernel", 34)}${lpad("min ms", 9)}${lpad("mean ms", 9)}${lpad("share", 8)}${lpad("GFLOP/s", 9)}`);
  for (const l of p.lines.slice(0, top)) {
    console.log(`${lpad(String(l.index), 4)}  ${pad(l.name, 34)}${lpad(l.minMs.toFixed(2), 9)}${lpad(l.meanMs.toFixed(2), 9)}${lpad(`${l.sharePct.toFixed(1)}%`, 8)}${lpad(l.gflops >= 0.05 ? l.gflops.toFixed(1) : "", 9)}`);
  }
}

/** One line of the by-kind profile: a kernel kind (or the time outside kernels). */
export interface ProfileLine {
  readonly kind: string;
  readonly countPerStep: number;
  readonly msPerStep: number;
  /** Of the step's wall time, %. */
  readonly sharePct: number;
}

/**
 * The profile summed by kernel kind (mean times), plus the rest of the step's wall time: argument
 * matching, dispatch, allocation and the State commit.
 * @example profileByKind(kernelProfile(step, kernels, 10)).lines.at(-1)!.kind; // "outside kernels"
 */
export function profileByKind(p: KernelProfile): { stepMs: number; lines: ProfileLine[] } {
  const byKind = new Map<string, { count: number; ms: number }>();
  for (const l of p.lines) {
    const e = byKind.get(l.kind) ?? { count: 0, ms: 0 };
    e.count++, (e.ms += l.meanMs);
    byKind.set(l.kind, e);
  }
  const lines: ProfileLine[] = [...byKind].sort((a, b) => b[1].ms - a[1].ms)
    .map(([kind, e]) => ({ kind, countPerStep: e.count, msPerStep: e.ms, sharePct: (100 * e.ms) / p.stepMs }));
  const outside = p.stepMs - lines.reduce((a, l) => a + l.msPerStep, 0);
  lines.push({ kind: "outside kernels", countPerStep: 0, msPerStep: outside, sharePct: (100 * outside) / p.stepMs });
  return { stepMs: p.stepMs, lines };
}
