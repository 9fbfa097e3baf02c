/**
 * The peers, each behind the same two workloads: W1 (fused elementwise + sum over a float32
 * vector) and a square float32 matmul. Every runner reads its result back to host memory, so all
 * of them pay for the same work. Setup (uploading inputs) is outside the timed region.
 *
 * Each peer runs as its users run it at its best: jax-js compiles every workload with `jit` on its
 * wasm device; TF.js has no compiler, so it runs eagerly on its wasm backend with the binary and
 * thread count the package picks (`tfWasmConfig` reports them; under Node it ships SIMD without
 * threads, see there); kiln runs both ways (`jit`, and eager with its plan cache).
 */
import { init as jaxInit, defaultDevice, jit, nn, numpy as jnp } from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { Tensor as KilnTensor, type Tensor, hostDataNode, np } from "@kiln/core";
import { useCpuBackend } from "@kiln/backend";
import { jit as kilnJit } from "@kiln/transforms";
import { matmulDotT, matmulIkj, w1Loop } from "./hand.js";
import { type Peer, tfRunner } from "./tf-runner.js";

export { type Peer, type Runner, tfRunner } from "./tf-runner.js";

const kilnTensor = (data: Float32Array, shape: number[]) => new KilnTensor(hostDataNode(data, { shape, dtype: "float32" }));

/**
 * kiln, eager: every call wraps the input arrays in new tensors (no copy) and rebuilds the graph,
 * as a program feeding new data each step does. (Re-running the *same* tensors would be answered
 * from the realized graph without computing.) The plan and kernel caches make the rebuild cheap.
 */
export function kilnEagerPeer(): Peer {
  useCpuBackend();
  return {
    name: "kiln (cpu, eager)",
    w1(x) {
      return () => {
        const t = kilnTensor(x, [x.length]);
        return kilnW1(t).itemSync();
      };
    },
    matmul(a, b, n) {
      return () => np.matmul(kilnTensor(a, [n, n]), kilnTensor(b, [n, n])).dataSync();
    },
  };
}

/** W1's expression, written once for both kiln runners. */
const kilnW1 = (t: Tensor) => np.sum(np.tanh(t.mul(1.5).add(0.5)).mul(np.sigmoid(t)).sub(t.mul(t).mul(0.1)));

/**
 * kiln, jitted: the inputs are tensors made once, each call runs the compiled plan on them and
 * reads the result back (a jitted call always computes, unlike re-reading a realized tensor).
 */
export function kilnJitPeer(): Peer {
  useCpuBackend();
  const w1 = kilnJit(kilnW1), mm = kilnJit((a: Tensor, b: Tensor) => np.matmul(a, b));
  return {
    name: "kiln (cpu, jit)",
    w1(x) {
      const t = kilnTensor(x, [x.length]);
      return () => (w1(t) as Tensor).itemSync();
    },
    matmul(a, b, n) {
      const A = kilnTensor(a, [n, n]), B = kilnTensor(b, [n, n]);
      return () => (mm(A, B) as Tensor).dataSync();
    },
  };
}

export function handPeers(): Peer[] {
  return [
    { name: "hand-written JS (i-k-j)", w1: (x) => () => w1Loop(x), matmul: (a, b, n) => () => matmulIkj(a, b, n) },
    { name: "hand-written JS (dot, Bᵀ)", matmul: (a, b, n) => () => matmulDotT(a, b, n) },
  ];
}

/**
 * How many threads jax-js's wasm device runs on: it starts a worker pool only when the global
 * `Worker` and `SharedArrayBuffer` exist (a browser page); Node has no global `Worker`, so under
 * Node every jax-js kernel runs on the calling thread.
 */
export function jaxWasmThreads(): number {
  const g = globalThis as { Worker?: unknown; navigator?: { hardwareConcurrency?: number } };
  return typeof SharedArrayBuffer !== "undefined" && g.Worker !== undefined ? Math.max(1, g.navigator?.hardwareConcurrency ?? 4) : 1;
}

export async function jaxPeer(): Promise<Peer> {
  // In Node jax-js needs its wasm backend initialized explicitly; arrays are reference-counted,
  // so every reused input is passed as `.ref` (the call consumes one reference).
  await jaxInit("wasm");
  defaultDevice("wasm");
  const w1 = jit((x: jnp.Array) => jnp.sum(jnp.tanh(x.ref.mul(1.5).add(0.5)).mul(nn.sigmoid(x.ref)).sub(x.ref.mul(x).mul(0.1))));
  // jit, not the eager jnp.matmul: eager dispatch of a lone matmul measured 2-3x below this.
  const mm = jit((a: jnp.Array, b: jnp.Array) => jnp.matmul(a, b));
  return {
    name: "jax-js (wasm, jit)",
    w1(x) {
      const xa = jnp.array(x);
      return async () => (await w1(xa.ref).data())[0];
    },
    matmul(a, b, n) {
      const A = jnp.array(a).reshape([n, n]), B = jnp.array(b).reshape([n, n]);
      return async () => await mm(A.ref, B.ref).data();
    },
  };
}

/** What TF.js's wasm backend runs with, read after its initialization. */
export interface TfWasmConfig {
  readonly binary: string;
  readonly threads: number;
  readonly note: string;
}

/**
 * The binary and thread count TF.js's wasm backend picked (call after `tf.setBackend("wasm")`).
 * Under Node tfjs-backend-wasm 4.22 reports no multithread support on purpose (tfjs#3830) and
 * loads the SIMD binary on one thread; forcing `WASM_HAS_MULTITHREAD_SUPPORT` does not help (the
 * threaded binary's pthread workers come from blob: URLs, which Node's Worker refuses), and
 * `setThreadsCount` only sizes the XNNPACK pool of the threaded binary. In a cross-origin-isolated
 * browser page the same package runs the threaded SIMD binary on every core.
 */
export async function tfWasmConfig(): Promise<TfWasmConfig> {
  const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  const mt = Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
  return {
    binary: mt && simd ? "tfjs-backend-wasm-threaded-simd.wasm" : simd ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm",
    threads: getThreadsCount(),
    note: tf.env().get("IS_NODE") ? "Node: tfjs-backend-wasm disables threads (tfjs#3830)" : "browser",
  };
}

export async function tfPeer(backend: "cpu" | "wasm"): Promise<Peer> {
  const use = async () => {
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
    await tf.ready();
  };
  await use();
  return tfRunner(tf, `TF.js (${backend})`, use);
}
