/**
 * What a target is to the rest of the backend: a name, an executor, whether it can run here and,
 * for targets with a device, how `init()` finds it. A target's folder (targets/<name>/) exports a
 * `TargetFactory`; the target list (targets/index.ts) hands each the host that runs the plan steps
 * the target cannot (library kernels, float64 on WebGPU), so no target imports another.
 */
import { type Executor } from "@kiln/core";
import { type Host } from "../host/run.js";
import { type GpujsMode } from "./gpujs/gpujs-runtime.js";

/** The device a target's `init` found. */
export interface DeviceSummary {
  /** The adapter's name. */
  readonly name: string;
  /** A CPU implementation (llvmpipe, SwiftShader, ...): available when named, never the default. */
  readonly software: boolean;
}

/** Options of `init()` that reach the targets (select.ts documents them). */
export interface TargetInitOptions {
  readonly tune?: boolean;
  /** The GPU.js target's options (its mode). */
  readonly gpujs?: { readonly mode?: GpujsMode };
}

/** Availability of a target, as `backends()` reports it (without the name). */
export interface TargetStatus {
  readonly available: boolean;
  readonly adapter?: string;
  readonly software?: boolean;
  readonly reason?: string;
}

export interface Target {
  /** The backend name users choose it by (`setBackend`). */
  readonly name: string;
  readonly executor: Executor;
  /** Whether it can run here; `initialized`: whether `init()` ran. */
  status(initialized: boolean): TargetStatus;
  /** Finds and prepares the device (`init()`); resolves to null when there is none here. Absent: always available. */
  init?(opts: TargetInitOptions): Promise<DeviceSummary | null>;
}

/**
 * What a target folder exports: makes the target, given the host.
 * @example
 * export const jsTarget: TargetFactory = (host) => ({ name: "cpu", executor: cpuExecutorOn(host), status: () => ({ available: true }) });
 */
export type TargetFactory = (host: Host) => Target;
