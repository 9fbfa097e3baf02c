/**
 * The model-step workloads (W7, W8) share one shape: build each runner's jitted training step,
 * take its first loss (the runners start from the same weights, so the losses check that they do
 * the same work), time all of them in interleaved rounds, and report the ones that could not run
 * with their reason. kiln's rows also say how many kernels and MFLOP the step compiled to and how
 * long its first call (trace + compile + run) took; with `--profile`, where the cpu step's time goes
 * kernel by kernel (kernel-profile.ts).
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { type KilnDevice, webgpuAvailable } from "./devices.js";
import { type KernelProfile, type ProfiledKernel, kernelProfile, printKernelProfile } from "./kernel-profile.js";
import { peerOrThrow, webgpuPeers } from "./gpu-peers.js";
import type { BenchOptions, Workload } from "./options.js";
import { metric, reason, reportUnavailable, reportWorkload } from "./report.js";
import { measureInterleaved } from "./timing.js";

/** One training step; returns the loss, read back. */
export type Step = () => number | Promise<number>;

/** What a runner's maker returns: its step, and for kiln the compiled plan's size. */
export interface StepRunner {
  readonly step: Step;
  readonly kernels?: number;
  readonly mflop?: number;
  /** kiln on the cpu: the plan's kernels in run order (`lower().kernels`), profiled per kernel with `--profile`. */
  readonly profile?: readonly ProfiledKernel[];
}

export type StepMaker = readonly [name: string, make: () => StepRunner | Promise<StepRunner>];

/** kiln's devices for a model workload: cpu, and webgpu where an adapter exists (unless `--cpu-only`). */
export async function kilnDevices(opts: BenchOptions): Promise<KilnDevice[]> {
  return ["cpu", ...(!opts.cpuOnly && (await webgpuAvailable()) ? ["webgpu" as const] : [])];
}

/** How a model workload builds each runner's step: kiln per device, TF.js and jax-js per backend. */
export interface ModelRunners {
  readonly kiln: (device: KilnDevice) => StepRunner;
  /** `lib`: TF.js as imported (wasm) or as tfWebgpu() returned it (webgpu). */
  readonly tf: (lib: typeof tfTypes, backend: "wasm" | "webgpu") => Promise<Step>;
  /** jax-js with its arrays on `device` (initialized before: jax.init, jaxWebgpu()). */
  readonly jax: (device: "wasm" | "webgpu") => Step;
}

/**
 * The runners of a model workload, in table order: kiln on each of its devices, TF.js and jax-js
 * on wasm, and — when kiln runs on webgpu — both peers on webgpu (a peer that cannot start there
 * throws from its maker, and is listed with the reason).
 * @example
 * const makers = await modelMakers(opts, tf, { kiln: (dev) => kilnW8(d, dev), tf: (lib, b) => tfW8(d, lib, b), jax: (dev) => jaxW8(d, dev) });
 */
export async function modelMakers(opts: BenchOptions, tfWasm: typeof tfTypes, r: ModelRunners): Promise<StepMaker[]> {
  const devices = await kilnDevices(opts);
  const gpu = devices.includes("webgpu") ? await webgpuPeers() : null;
  return [
    ...devices.map((device): StepMaker => [`kiln (${device}, jit)`, () => r.kiln(device)]),
    ["TF.js (wasm)", async () => ({ step: await r.tf(tfWasm, "wasm") })],
    ["jax-js (wasm, jit)", () => ({ step: r.jax("wasm") })],
    ...(gpu ? [
      ["TF.js (webgpu)", async () => ({ step: await r.tf(peerOrThrow(gpu.tf), "webgpu") })],
      ["jax-js (webgpu, jit)", () => (peerOrThrow(gpu.jax), { step: r.jax("webgpu") })],
    ] satisfies StepMaker[] : []),
  ];
}

/**
 * Builds, checks and times the runners of one model-step workload; returns its JSON record.
 * `notRun` names runners left out on purpose, with the reason, given what failed.
 * @example
 * await runStepWorkload("W8", "W8: …", [["kiln (cpu, jit)", () => kilnStep()], ["jax-js (wasm, jit)", () => ({ step: jaxStep() })]], opts);
 */
export async function runStepWorkload(
  workload: Workload, title: string, makers: readonly StepMaker[], opts: BenchOptions,
  notRun: (failed: Readonly<Record<string, string>>) => Record<string, string> = () => ({}),
): Promise<Record<string, unknown>> {
  const runners: [string, Step][] = [];
  const firstLoss: Record<string, number> = {};
  const failed: Record<string, string> = {};
  const kiln: Record<string, { kernels: number; mflop: number; firstCallMs: number }> = {};
  const toProfile: [string, StepRunner][] = [];
  for (const [name, make] of makers) {
    try {
      const t0 = performance.now();
      const r = await make();
      firstLoss[name] = await r.step();
      if (r.kernels !== undefined) kiln[name] = { kernels: r.kernels, mflop: r.mflop ?? NaN, firstCallMs: performance.now() - t0 };
      runners.push([name, r.step]);
      if (opts.profile && r.profile) toProfile.push([name, r]);
    } catch (e) {
      failed[name] = reason(e);
    }
  }
  Object.assign(failed, notRun(failed));
  for (const [name, k] of Object.entries(kiln)) console.log(`\n${name}: ${k.kernels} kernels, ${k.mflop.toFixed(0)} MFLOP per step; first call (trace + compile + run) ${k.firstCallMs.toFixed(0)} ms`);
  // Steps take 0.1–10 s here: fewer rounds than the small workloads.
  const times = await measureInterleaved(runners.map(([, s]) => s), opts.quick ? { warmup: 1, minRounds: 3, maxRounds: 4, minMs: 300 } : { warmup: 1, minRounds: 5, maxRounds: 15, minMs: 2000 });
  const rows = reportWorkload(title, runners.map(([name], i) => ({ name, timing: times[i]!, extra: { "1st loss": firstLoss[name]! } })), metric.perSecond("steps/s", 1, 2));
  reportUnavailable(failed);
  const profiles: Record<string, KernelProfile> = {};
  for (const [name, r] of toProfile) {
    profiles[name] = kernelProfile(r.step, r.profile!, opts.quick ? 3 : 20);
    printKernelProfile(`${workload} profile, ${name}`, profiles[name], r.mflop ?? NaN);
  }
  return { [workload]: { ...rows, kiln, failed, ...(toProfile.length ? { profiles } : {}) } };
}
