/**
 * Small jitted plans on the host: a jitted call whose inputs all have a host copy and whose whole
 * work is below a crossover runs on the host's kernels (the cpu backend's), and its outputs stay
 * on the host until a device kernel needs them (they are uploaded then, as a fresh `np.array` is).
 *
 * Why: every call that touches the device pays a submission and a mapped read-back, whatever it
 * holds. On Dawn's GL ES backend over llvmpipe that floor is ~0.1–0.2 ms for one dispatch and a
 * 64-byte read with nothing else in the way (bench/README.md, "W4 on webgpu"), while the host runs
 * a 16-element plan in microseconds. TF.js's webgpu backend forwards small ops whose inputs are on
 * the CPU for the same reason (its CPU handoff, 1,000 elements by default); kiln decides per
 * compiled plan, since a jitted step is the unit that would be one submission.
 *
 * The rule knows nothing of GPU types (public `setWebgpuHostPlanLimit` is exported from here):
 * webgpu.ts asks it per call, with the adapter class.
 */
import { DataBuffer, ValueError } from "@kiln/core";
import type { Plan } from "../../schedule.js";
import type { Host } from "../../host/run.js";

/**
 * The work below which a jitted plan runs on the host when its inputs are there: bytes its kernels
 * move and flops, each strictly below (so `{ bytes: 0, flops: 0 }` keeps every call on the device).
 */
export interface HostPlanLimit {
  readonly bytes: number;
  readonly flops: number;
}

/**
 * Defaults per adapter class. Software (llvmpipe): half the measured crossover, a call with its
 * read-back on each side (bench/README.md, "W4 on webgpu"): host and device took the same time at
 * ~256 KB moved by a fused elementwise + sum plan, the host was still ahead for a 128×128 matmul
 * (4.2 MFLOP), and at 64 KB the host took 0.1–0.3x the device's time. Hardware: not measured here
 * (no GPU on this machine) — a device round trip costs tens of microseconds there, so the limit
 * is small: TF.js's handoff size (1,000 float32 elements in and out) and a 40×40 matmul's flops.
 */
const DEFAULT_LIMITS: { readonly [K in "software" | "hardware"]: HostPlanLimit } = {
  software: { bytes: 128 << 10, flops: 2 << 20 },
  hardware: { bytes: 8 << 10, flops: 128 << 10 },
};

let override: HostPlanLimit | null = null;

/** Control steps: their work per call is not bounded by the plan's stats (a `while` runs until its predicate fails). */
const CONTROL_STEPS: ReadonlySet<string> = new Set(["scan", "while", "cond"]);

/** Jitted calls run on the host by this rule (`webgpuRunStats().hostPlans`). */
export const hostPlanStats = { hostPlans: 0 };

/**
 * Sets the work below which a jitted plan whose inputs are all on the host runs on the host's
 * kernels under webgpu (`null`: the adapter's default; `{ bytes: 0, flops: 0 }`: always the
 * device; `{ bytes: Infinity, flops: Infinity }`: every such plan without control flow on the
 * host). Returns the previous override. A plan's bytes and flops are `jit(f).lower(...).stats`;
 * `stats.placement` says which side a plan takes. Bad limits throw a `ValueError`.
 * @example
 * const was = setWebgpuHostPlanLimit({ bytes: 0, flops: 0 }); // every jitted call on the device
 * // ...
 * setWebgpuHostPlanLimit(was);
 */
export function setWebgpuHostPlanLimit(limit: HostPlanLimit | null): HostPlanLimit | null {
  if (limit !== null) {
    for (const k of ["bytes", "flops"] as const) {
      const v = (limit as Partial<HostPlanLimit> | undefined)?.[k];
      if (typeof v !== "number" || !(v >= 0)) throw new ValueError(`setWebgpuHostPlanLimit: ${k} must be a number ≥ 0 (Infinity allowed), got ${String(v)}`);
    }
  }
  const was = override;
  override = limit === null ? null : { bytes: limit.bytes, flops: limit.flops };
  return was;
}

/** The limit in force for an adapter of this class. */
export function hostPlanLimit(software: boolean): HostPlanLimit {
  return override ?? DEFAULT_LIMITS[software ? "software" : "hardware"];
}

/** The control step a plan has (its name), or null; found once per plan — `runsOnHost` asks on every call. */
const controlStepOf = new WeakMap<Plan, string | null>();
function controlStep(plan: Plan): string | null {
  let name = controlStepOf.get(plan);
  if (name === undefined) {
    name = plan.steps.find((s) => s.library && CONTROL_STEPS.has(s.library.name))?.library!.name ?? null;
    controlStepOf.set(plan, name);
  }
  return name;
}

/** What keeps `plan` on the device under `limit` (null: nothing, when every input has a host copy). */
function obstacle(plan: Plan, limit: HostPlanLimit): "control" | "bytes" | "flops" | null {
  if (controlStep(plan) !== null) return "control";
  if (!(plan.stats.bytes < limit.bytes)) return "bytes";
  if (!(plan.stats.flops < limit.flops)) return "flops";
  return null;
}

/** What `lower()` says of where a plan runs (`stats.placement`). */
export function placementText(plan: Plan, software: boolean): string {
  const limit = hostPlanLimit(software);
  const { bytes, flops } = plan.stats;
  const set = "setWebgpuHostPlanLimit";
  switch (obstacle(plan, limit)) {
    case "control": return `device: it has a ${controlStep(plan)}, whose work per call the plan's stats do not bound (${set})`;
    case "bytes": return `device: it moves ${bytes} bytes per call, not below the ${limit.bytes}-byte limit (${set})`;
    case "flops": return `device: it does ${flops} flops per call, not below the ${limit.flops}-flop limit (${set})`;
    case null: return `host when every input has a host copy (${bytes} bytes and ${flops} flops per call, below ${limit.bytes} bytes and ${limit.flops} flops: a device call costs more than the work; ${set}), else device`;
  }
}

/** Whether a call on `inputs` runs on the host: the plan is small and every input has a host copy. */
export function runsOnHost(plan: Plan, software: boolean, inputs: readonly DataBuffer[]): boolean {
  if (obstacle(plan, hostPlanLimit(software)) !== null) return false;
  for (const b of inputs) if (b.host === null || b.isReleased) return false;
  return true;
}

/**
 * Runs `plan` on the host's kernels on its inputs' host copies; the outputs are host buffers (an
 * input returned as is, or an output returned twice, is a copy: each buffer owns its array).
 * @example
 * if (runsOnHost(plan, true, ins)) return runPlanOnHost(HOST, plan, ins);
 */
export function runPlanOnHost(host: Host, plan: Plan, inputs: readonly DataBuffer[]): DataBuffer[] {
  const arrays = host.runPlan(plan, inputs.map((b) => b.host!));
  const taken = new Set<number>();
  hostPlanStats.hostPlans++;
  return plan.outputs.map((id) => {
    const b = plan.buffers[id]!, values = arrays[id]!;
    const own = b.role === "output" && !taken.has(id);
    taken.add(id);
    return new DataBuffer(b.dtype, b.size, own ? values : values.slice());
  });
}
