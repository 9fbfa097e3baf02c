/**
 * Host values bound to GPU.js kernels call after call, uploaded once (WebGL, pipeline mode).
 *
 * GPU.js uploads every host array a kernel is given, on every call: a training loop over a fixed
 * batch, or a product of tensors made once (W2 against TF.js, whose inputs live on the GPU),
 * uploads the same values each step. A `DataBuffer` is immutable, so its values can stay a texture:
 * the second time a plan binds a host float32 buffer, it is copied into a texture by a one-line
 * GPU.js kernel (`return a[this.thread.x]`, the layout every WebGL kernel reads: four values per
 * texel) that the buffer holds as its device copy (`attachDevice`); later plans bind that texture,
 * and nothing is uploaded. The first binding uploads as before, so values used once (fresh inputs
 * every call, eager temporaries) never cost a copy.
 *
 * Bounded: at most KEPT_UPLOADS textures and KEPT_UPLOAD_BYTES bytes, least recently bound
 * dropped first (`dropDevice`: the host copy stays). Releasing the buffer (dispose, a State
 * replacing it, its collection) deletes its texture. The copy kernels are one per size (bounded);
 * destroying one deletes the textures it made, so those are dropped first.
 */
import { type DataBuffer, LruCache } from "@kiln/core";
import { type GpujsTexture, isTexture } from "./gpujs-read.js";

/** A kept upload: the texture and the copy kernel that made it. */
interface Kept {
  readonly texture: GpujsTexture;
  readonly kernel: CopyKernel;
  readonly buffer: WeakRef<DataBuffer>;
  readonly bytes: number;
}

/** A GPU.js kernel copying a host array of one size into a texture. */
interface CopyKernel {
  (a: Float32Array): unknown;
  destroy?(removeCanvasReferences?: boolean): void;
}

/** What makes copy kernels: the runtime's `GPU` instance (gpujs-runtime.ts passes it in). */
export interface CopyKernelMaker {
  createKernel(source: string, settings: Record<string, unknown>): CopyKernel;
}

/** Textures kept for host values, and their bytes: beyond either, the least recently bound goes. */
export const KEPT_UPLOADS = 64;
export const KEPT_UPLOAD_BYTES = 256 * 2 ** 20;

/** Buffers bound once (a second binding keeps a texture). */
let seen = new WeakSet<DataBuffer>();
/** Kept textures by record, least recently bound first (the device copy of their buffer). */
const kept = new Set<Kept>();
let keptBytes = 0;
let copies = 0;

const isKept = (device: unknown): device is Kept => kept.has(device as Kept);

/** Frees a kept texture (the `DeviceFree` of its buffer; idempotent). */
function freeKept(device: unknown): void {
  const k = device as Kept;
  if (!kept.delete(k)) return;
  keptBytes -= k.bytes;
  k.texture.delete();
}

/** Drops the kept textures `which` selects (all without it): their buffers read from the host again. */
export function dropKeptUploads(which?: (k: { readonly kernel: unknown }) => boolean): void {
  for (const k of [...kept]) {
    if (which && !which(k)) continue;
    const buf = k.buffer.deref();
    if (!buf || buf.device !== k || !buf.dropDevice()) freeKept(k);
  }
}

const copyKernels = new LruCache<number, CopyKernel>(16, (_size, fn) => {
  dropKeptUploads((k) => k.kernel === fn);
  fn.destroy?.();
});

/**
 * The texture a GPU.js kernel can bind for the host value `buf`: its kept texture, one made now
 * (the second binding of a float32 buffer, with `gpu`), or null (the host array is bound: a first
 * binding, another dtype, a buffer with another device copy). `upload(bytes)` counts a copy made.
 * @example
 * const t = keptUpload(buf, gpu, countGpujsUpload) ?? buf.host; // a texture from the second plan on
 */
export function keptUpload(buf: DataBuffer, gpu: CopyKernelMaker, upload: (bytes: number) => void): GpujsTexture | null {
  const d = buf.device;
  if (d !== null) {
    if (!isKept(d) || buf.isReleased) return null;
    // Most recently bound last: eviction takes the first.
    kept.delete(d);
    kept.add(d);
    return d.texture;
  }
  if (buf.dtype !== "float32" || buf.size === 0 || buf.isReleased || !buf.hasHost) return null;
  if (!seen.has(buf)) {
    seen.add(buf);
    return null;
  }
  const host = buf.host as Float32Array;
  const kernel = copyKernels.get(buf.size) ?? copyKernels.set(buf.size, gpu.createKernel(COPY_SOURCE, {
    output: [buf.size], tactic: "precision", precision: "single", dynamicOutput: false, pipeline: true, immutable: true, optimizeFloatMemory: true,
  }));
  const texture = kernel(host);
  if (!isTexture(texture)) return null;
  copies++;
  upload(host.byteLength);
  const k: Kept = { texture, kernel, buffer: new WeakRef(buf), bytes: host.byteLength };
  kept.add(k);
  keptBytes += k.bytes;
  buf.attachDevice(k, freeKept);
  for (const old of kept) {
    if (kept.size <= KEPT_UPLOADS && keptBytes <= KEPT_UPLOAD_BYTES) break;
    if (old !== k) dropKeptUploads((x) => x === old);
  }
  return texture;
}

const COPY_SOURCE = "function copy(a) {\n  return a[this.thread.x];\n}";

/** @internal Live kept textures and the copies made (`gpujsStats`). */
export function keptUploadCounts(): { keptUploads: number; keptUploadCopies: number } {
  return { keptUploads: kept.size, keptUploadCopies: copies };
}

/** Forgets every kept texture and copy kernel (the `GPU` instance goes: `destroyGpujs`). */
export function clearKeptUploads(): void {
  dropKeptUploads();
  copyKernels.clear();
  seen = new WeakSet();
}
