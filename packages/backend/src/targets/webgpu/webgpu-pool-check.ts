/**
 * A debug mode of the webgpu buffer pool (`setWebgpuPoolChecks(true)`, or `KILN_WEBGPU_POOL_CHECKS=1`
 * in the environment): it turns the silent failures of buffer recycling into errors that name the
 * culprit. A stale read on the device (a value that another computation wrote) has one cause on
 * the pool's side: a storage buffer recycled while a live value still refers to it. The checks:
 *
 *  - a buffer released twice (it would be handed to two owners) throws at the second release;
 *  - a buffer released or acquired while a live, unreleased `DeviceData` still holds it throws;
 *  - a released buffer is poisoned with a NaN pattern (queued, so work submitted before the
 *    release still reads the real values): a read of recycled memory shows `POISON_BITS`.
 *
 * Each error carries the stack of the release that put the buffer in the pool. The checks cost a
 * scan of the live values per pool operation: tests and investigations only.
 */
import { type GpuContext } from "./webgpu-device.js";
import { write } from "./webgpu-queue.js";

/** The float32 bit pattern written into released buffers (a quiet NaN no kernel produces). */
export const POISON_BITS = 0x7fbadbad;

/** What the checks need of a `DeviceData` (kept weakly). */
export interface PoolTracked {
  readonly gpu: GPUBuffer | null;
  readonly released: boolean;
  readonly dtype: string;
  readonly size: number;
}

let enabled = typeof process !== "undefined" && process.env?.KILN_WEBGPU_POOL_CHECKS === "1";
const live = new Set<WeakRef<PoolTracked>>();
/** Buffers in a pool's free list (or deferred), with the stack of the release that put them there. */
const releasedAt = new WeakMap<GPUBuffer, string>();

/**
 * Turns the pool checks on or off (see the module comment); returns the previous setting.
 * @example
 * const was = setWebgpuPoolChecks(true);
 * try { await runSuspectCode(); } finally { setWebgpuPoolChecks(was); }
 */
export function setWebgpuPoolChecks(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  if (!on) live.clear();
  return was;
}

/** Records a device value so the pool can tell whether a buffer it recycles is still held. */
export function trackDeviceData(d: PoolTracked): void {
  if (enabled) live.add(new WeakRef(d));
}

function holderOf(buf: GPUBuffer): PoolTracked | null {
  for (const ref of live) {
    const d = ref.deref();
    if (!d) live.delete(ref);
    else if (d.gpu === buf && !d.released) return d;
  }
  return null;
}

function violation(what: string, buf: GPUBuffer, holder: PoolTracked | null): Error {
  const who = holder ? ` while a live ${holder.dtype}[${holder.size}] value still holds it` : "";
  const prior = releasedAt.get(buf);
  return new Error(`internal: webgpu buffer pool: ${what} a buffer of ${buf.size} bytes${who} (a kiln bug)${prior ? `\nreleased earlier at:\n${prior}` : ""}`);
}

/** Checks a buffer being released into the pool; poisons it (queued after all earlier work). */
export function checkRelease(ctx: GpuContext, buf: GPUBuffer): void {
  if (!enabled) return;
  if (releasedAt.has(buf)) throw violation("released twice", buf, null);
  const holder = holderOf(buf);
  if (holder) throw violation("released", buf, holder);
  releasedAt.set(buf, new Error("release").stack ?? "");
  // A command of the open batch: work recorded before the release still reads the real values.
  write(ctx, buf, new Uint32Array(buf.size / 4).fill(POISON_BITS));
}

/** Checks a buffer the pool hands out again. */
export function checkAcquire(buf: GPUBuffer): void {
  if (!enabled) return;
  const holder = holderOf(buf);
  if (holder) throw violation("handed out", buf, holder);
  releasedAt.delete(buf);
}
