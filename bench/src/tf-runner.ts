/**
 * The shape every peer of the benchmarks has (W1 and a square matmul behind one interface) and the
 * TF.js runner of both, in a file of its own without Node-only imports: the Node bench (peers.ts,
 * webgpu.ts) and the browser bench page (bench/browser) share it.
 */
import type * as tf from "@tensorflow/tfjs";

export type Runner = () => unknown;

export interface Peer {
  readonly name: string;
  w1?(x: Float32Array): Runner | Promise<Runner>;
  matmul?(a: Float32Array, b: Float32Array, n: number): Runner | Promise<Runner>;
}

/** The TF.js functions the runner uses (a static or a dynamic import of the package both fit). */
type TfOps = Pick<typeof tf, "tensor1d" | "tensor2d" | "tidy" | "sum" | "sub" | "mul" | "tanh" | "add" | "sigmoid" | "matMul">;

/**
 * The TF.js runner of W1 and W2 on whichever backend `use` activates (called before every run,
 * since several TF.js backends share one process).
 */
export function tfRunner(lib: TfOps, name: string, use: () => Promise<void>): Peer {
  return {
    name,
    async w1(x) {
      await use();
      const t = lib.tensor1d(x);
      return async () => {
        await use();
        const r = lib.tidy(() => lib.sum(lib.sub(lib.mul(lib.tanh(lib.add(lib.mul(t, 1.5), 0.5)), lib.sigmoid(t)), lib.mul(lib.mul(t, t), 0.1))));
        const v = (await r.data())[0];
        r.dispose();
        return v;
      };
    },
    async matmul(a, b, n) {
      await use();
      const A = lib.tensor2d(a, [n, n]), B = lib.tensor2d(b, [n, n]);
      return async () => {
        await use();
        const c = lib.matMul(A, B);
        const v = await c.data();
        c.dispose();
        return v;
      };
    },
  };
}
