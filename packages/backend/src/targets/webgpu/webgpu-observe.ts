/**
 * What `profile()` (profile.ts) watches on webgpu: each device step as it is encoded (its
 * dispatches) and each submission with its host-measured wall time. A separate module so that the
 * runtime (webgpu.ts, webgpu-queue.ts) and the profiler import it without importing each other.
 */
import { type KernelStep } from "../../schedule.js";

export interface WebgpuObserver {
  /** A device step was encoded into the open batch with `dispatches` compute dispatches. */
  step(step: KernelStep, dispatches: number): void;
  /** A batch was submitted: milliseconds from `submit()` until the queue reported the work done. */
  submission(done: Promise<number>): void;
}

let observer: WebgpuObserver | null = null;

/** Installs (or removes, with `null`) the observer; returns the previous one. */
export function setWebgpuObserver(o: WebgpuObserver | null): WebgpuObserver | null {
  const was = observer;
  observer = o;
  return was;
}

export function webgpuObserver(): WebgpuObserver | null {
  return observer;
}
