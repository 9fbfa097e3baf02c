/**
 * gpujs values resident on the GPU across calls (WebGL, pipeline mode). A jitted call's outputs
 * that GPU.js kernels computed stay the textures those kernels returned: the `DataBuffer` holds the
 * texture as its device copy, the next call binds it directly (no read back, no upload), and the
 * values reach JavaScript only when something reads them — `dataSync`/`data`, a host step, the
 * cpu backend — through the buffer's synchronous device read (`DataBuffer.readDeviceWith`), the
 * copy then kept.
 *
 * Texture lifetime (GPU.js 2.24 on WebGL): kiln creates every GL kernel `immutable`, so a call
 * returns a clone of the kernel's output texture (GPU.js counts references to the GL texture) and
 * the kernel's next run renders into a new texture while a clone is alive: a resident value is
 * never overwritten by the next run of the kernel that made it. Releasing the buffer (dispose, a
 * State replacing it, its data node collected) deletes the clone. A kernel's `destroy()` deletes
 * the textures it created whatever their references, so before a kernel is destroyed (evicted
 * from the kernel cache, `destroyGpujs`) the values it made are read back to the host and their
 * textures released (`evacuateResidents`).
 */
import { DataBuffer, type DType, type TypedArray } from "@kiln/core";
import { type GpujsTexture, readTextureAs } from "./gpujs-read.js";

/** A resident value's device copy: its texture and the GPU.js kernel whose output it is. */
interface Resident {
  readonly texture: GpujsTexture;
  readonly kernel: unknown;
  /** The plan run that computed it and when it was submitted (performance.now()), for reads' expected times. */
  readonly made?: ResidentMade;
  /** The buffer holding it, held weakly: a collected buffer's finalizer frees the record. */
  buffer: WeakRef<DataBuffer> | null;
  readonly dtype: DType;
  readonly size: number;
}

/** What computed a resident value: a key for its plan's expected read time (`ReadTimes`) and the run's submission time. */
export interface ResidentMade {
  readonly key: object;
  readonly at: number;
}

/** Every resident texture not yet freed. */
const live = new Set<Resident>();

const isResident = (device: unknown): device is Resident => live.has(device as Resident);

/** Frees a resident record's texture (the `DeviceFree` of its buffer; idempotent). */
function freeResident(device: unknown): void {
  const r = device as Resident;
  if (!live.delete(r)) return;
  r.texture.delete();
}

let residentReads = 0;

/** The values of a resident record, read synchronously (`readPixels`: waits for the GPU). */
function readResident(device: unknown): TypedArray {
  const r = device as Resident;
  residentReads++;
  return readTextureAs(`a resident ${r.dtype}[${r.size}]`, r.texture, r.dtype, r.size);
}

/**
 * A buffer holding `texture` (an output of `kernel`, which the buffer now owns: it is deleted with
 * the buffer) as its only copy of the values; the host copy is made when something reads it.
 * @example const buf = residentBuffer("float32", 6, texture, c.fn); buf.host // read back once, kept
 */
export function residentBuffer(dtype: DType, size: number, texture: GpujsTexture, kernel: unknown, made?: ResidentMade): DataBuffer {
  const r: Resident = { texture, kernel, made, dtype, size, buffer: null };
  const buf = new DataBuffer(dtype, size, null, r, freeResident);
  r.buffer = new WeakRef(buf);
  live.add(r);
  buf.readDeviceWith(readResident);
  buf.owner = "gpujs";
  return buf;
}

/**
 * The texture a GPU.js kernel can bind for `buf` (its resident value), or null: the buffer has no
 * resident texture (a host value; released; read back and freed by `evacuateResidents`).
 */
export function residentTexture(buf: DataBuffer): GpujsTexture | null {
  const d = buf.device;
  return d !== null && !buf.isReleased && isResident(d) ? d.texture : null;
}

/** What computed `buf`'s resident value (null: none, or not recorded). */
export function residentMade(buf: DataBuffer): ResidentMade | null {
  const d = buf.device;
  return d !== null && !buf.isReleased && isResident(d) ? (d.made ?? null) : null;
}

/**
 * Reads the resident values that `which` selects back into their buffers and frees their
 * textures (before the kernels that made them are destroyed); all of them without `which`.
 * @example evacuateResidents((kernel) => kernel === evicted.fn)
 */
export function evacuateResidents(which?: (kernel: unknown) => boolean): void {
  for (const r of [...live]) {
    if (which && !which(r.kernel)) continue;
    const buf = r.buffer?.deref();
    // dropDevice reads the host copy (if there is none yet) before it frees the texture.
    if (!buf || buf.device !== r || !buf.dropDevice()) freeResident(r);
  }
}

/** @internal Live resident textures and the reads that brought one to the host (`gpujsStats`). */
export function residentCounts(): { residentTextures: number; residentReads: number } {
  return { residentTextures: live.size, residentReads: residentReads };
}
