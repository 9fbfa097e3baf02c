/**
 * The peers' WebGPU backends on Dawn in Node, shared by the W1/W2 GPU section (webgpu.ts) and the
 * model steps (W7, W8): each initializer returns the initialized library, or the reason it cannot
 * run here (printed in the bench's "not run" list).
 *
 * jax-js's webgpu backend asks `navigator.gpu` for an adapter without `featureLevel`, which Dawn's
 * GL ES backend (the only one on a machine without a GPU driver) refuses; both peers run through a
 * `navigator.gpu` shim that adds `featureLevel: "compatibility"`, on one Dawn instance of their own
 * (kiln's backend makes its own).
 */
import type * as tfTypes from "@tensorflow/tfjs";

/**
 * Runs `f` with EGL_PLATFORM=surfaceless unless set: headless Mesa finds no EGL display without it
 * while Dawn discovers its GL ES adapter (kiln's backend does the same for its own instance).
 */
async function headlessEgl<T>(f: () => Promise<T>): Promise<T> {
  if (process.env.EGL_PLATFORM !== undefined) return f();
  process.env.EGL_PLATFORM = "surfaceless";
  try {
    return await f();
  } finally {
    delete process.env.EGL_PLATFORM;
  }
}

/** The shim jax-js and TF.js need on Dawn's GL ES backend (see the file comment); installed once. */
async function dawnNavigator(): Promise<void> {
  if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return;
  const spec = "webgpu";
  const { create, globals } = (await import(spec)) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  const dawn = create(["backend=opengles"]);
  // The peers read the WebGPU constants (GPUBufferUsage, GPUMapMode, …) as globals, as in a browser.
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
  const gpu = {
    requestAdapter: (o: GPURequestAdapterOptions = {}) => headlessEgl(() => dawn.requestAdapter({ ...o, featureLevel: "compatibility" } as GPURequestAdapterOptions)),
    getPreferredCanvasFormat: () => "rgba8unorm",
    wgslLanguageFeatures: new Set<string>(),
  };
  Object.defineProperty(globalThis, "navigator", { value: { gpu, userAgent: `Node.js ${process.version}` }, configurable: true });
}

/**
 * jax-js with its webgpu device initialized next to wasm (arrays made while `defaultDevice` is
 * "webgpu" live there, and jitted calls on them run there), or why it cannot run.
 * @example
 * const jax = await jaxWebgpu();
 * if (typeof jax !== "string") jax.defaultDevice("webgpu");
 */
export async function jaxWebgpu(): Promise<typeof import("@jax-js/jax") | string> {
  try {
    await dawnNavigator();
    const jax = await import("@jax-js/jax");
    const devices = await jax.init("webgpu");
    return devices.includes("webgpu") ? jax : "jax-js found no WebGPU device on Dawn";
  } catch (e) {
    return `jax-js cannot run on Dawn in Node: ${(e as Error).message}`;
  }
}

/**
 * Runs `f` with jax-js's default device set to `device`, then back to wasm: jax-js places new
 * arrays (inputs and a jitted function's constants) on the default device.
 * @example
 * const x = onJaxDevice(jax, "webgpu", () => jax.numpy.array(data));
 */
export function onJaxDevice<T>(jax: typeof import("@jax-js/jax"), device: "wasm" | "webgpu", f: () => T): T {
  jax.defaultDevice(device);
  try {
    return f();
  } finally {
    jax.defaultDevice("wasm");
  }
}

/**
 * TF.js with its webgpu backend registered and initialized on Dawn, or why it cannot run. The
 * package registers the backend at import time only if `navigator.gpu` exists, so the shim goes in
 * before the import. The active backend is left as it was (runners switch before each call).
 * @example
 * const tf = await tfWebgpu();
 * if (typeof tf !== "string") await tf.setBackend("webgpu");
 */
export async function tfWebgpu(): Promise<typeof tfTypes | string> {
  let tf: typeof tfTypes;
  try {
    await dawnNavigator();
    tf = await import("@tensorflow/tfjs");
    const spec = "@tensorflow/tfjs-backend-webgpu";
    await import(spec);
  } catch (e) {
    return `@tensorflow/tfjs-backend-webgpu cannot be loaded: ${(e as Error).message}`;
  }
  const was = tf.getBackend();
  try {
    if (!tf.findBackendFactory("webgpu")) return "TF.js registered no webgpu backend (navigator.gpu was missing at import)";
    if (!(await tf.setBackend("webgpu"))) return "tf.setBackend('webgpu') failed on Dawn";
    await tf.ready();
  } catch (e) {
    return `TF.js webgpu cannot initialise on Dawn: ${(e as Error).message}`;
  } finally {
    if (was && was !== "webgpu") await tf.setBackend(was);
  }
  return tf;
}

/** Both peers' webgpu backends, each initialized or with the reason it cannot run. */
export interface WebgpuPeers {
  readonly jax: typeof import("@jax-js/jax") | string;
  readonly tf: typeof tfTypes | string;
}

/**
 * Initializes both peers' webgpu backends (for the model steps, which make one runner per peer).
 * @example
 * const peers = await webgpuPeers(); // { jax: module | reason, tf: module | reason }
 */
export async function webgpuPeers(): Promise<WebgpuPeers> {
  return { jax: await jaxWebgpu(), tf: await tfWebgpu() };
}

/**
 * The initialized peer, or an Error carrying why it cannot run: a runner's maker throws it, and the
 * bench lists the runner as not run with that reason.
 * @example
 * const tf = peerOrThrow((await webgpuPeers()).tf);
 */
export function peerOrThrow<T>(peer: T | string): T {
  if (typeof peer === "string") throw new Error(peer);
  return peer;
}
