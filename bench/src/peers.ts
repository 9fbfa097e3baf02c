/**
 * The peers, each behind the same two workloads: W1 (fused elementwise + sum over a float32
 * vector) and a square float32 matmul. Every runner reads its result back to host memory, so all
 * of them pay for the same work. Setup (uploading inputs) is outside the timed region.
 */
import { init as jaxInit, defaultDevice, jit, nn, numpy as jnp } from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { Tensor as KilnTensor, hostDataNode, np } from "@kiln/core";
import { useCpuBackend } from "@kiln/backend";
import { matmulDotT, matmulIkj, w1Loop } from "./hand.js";
import { type Peer, tfRunner } from "./tf-runner.js";

export { type Peer, type Runner, tfRunner } from "./tf-runner.js";

const kilnTensor = (data: Float32Array, shape: number[]) => new KilnTensor(hostDataNode(data, { shape, dtype: "float32" }));

/**
 * kiln, eager: every call wraps the input arrays in new tensors (no copy) and rebuilds the graph,
 * as a program feeding new data each step does. (Re-running the *same* tensors would be answered
 * from the realized graph without computing.) The plan and kernel caches make the rebuild cheap.
 */
export function kilnPeer(): Peer {
  useCpuBackend();
  return {
    name: "kiln (cpu)",
    w1(x) {
      return () => {
        const t = kilnTensor(x, [x.length]);
        return np.sum(np.tanh(t.mul(1.5).add(0.5)).mul(np.sigmoid(t)).sub(t.mul(t).mul(0.1))).itemSync();
      };
    },
    matmul(a, b, n) {
      return () => np.matmul(kilnTensor(a, [n, n]), kilnTensor(b, [n, n])).dataSync();
    },
  };
}

export function handPeers(): Peer[] {
  return [
    { name: "hand-written JS (i-k-j)", w1: (x) => () => w1Loop(x), matmul: (a, b, n) => () => matmulIkj(a, b, n) },
    { name: "hand-written JS (dot, Bᵀ)", matmul: (a, b, n) => () => matmulDotT(a, b, n) },
  ];
}

export async function jaxPeer(): Promise<Peer> {
  // In Node jax-js needs its wasm backend initialized explicitly; arrays are reference-counted,
  // so every reused input is passed as `.ref` (the call consumes one reference).
  await jaxInit("wasm");
  defaultDevice("wasm");
  const w1 = jit((x: jnp.Array) => jnp.sum(jnp.tanh(x.ref.mul(1.5).add(0.5)).mul(nn.sigmoid(x.ref)).sub(x.ref.mul(x).mul(0.1))));
  return {
    name: "jax-js (wasm, jit)",
    w1(x) {
      const xa = jnp.array(x);
      return async () => (await w1(xa.ref).data())[0];
    },
    matmul(a, b, n) {
      const A = jnp.array(a).reshape([n, n]), B = jnp.array(b).reshape([n, n]);
      return async () => await jnp.matmul(A.ref, B.ref).data();
    },
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
