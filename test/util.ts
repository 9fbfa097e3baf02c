/**
 * Shared test helpers for the cross-package suites: `expectClose` (from `@kiln/core/testing`, which
 * the packages' own unit tests use directly), float64 samples and a finite-difference gradient check.
 */
import { expect } from "chai";
import { type ParamState, type Tensor, grad, jit, nn, np } from "kiln";
import { activeExecutor, setExecutor, useCpuBackend } from "kiln/internal";
import { destroyGpu, init, setBackend } from "@kiln/backend";

export { expectClose, type Nested } from "@kiln/core/testing";

/** A float64 tensor of distinct, non-integral values (no ties), deterministic per seed. */
export function sample(shape: readonly number[], seed = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.7 + 0.05 * i);
  return np.reshape(np.array(v, { dtype: "float64" }), [...shape]);
}

/**
 * grad of sum(f(x) * w) (fixed weights, so no symmetric cancellation) against central finite
 * differences in float64, at `sample(shape)`.
 */
export function checkGradFd(name: string, f: (x: Tensor) => Tensor, shape: number[]): void {
  const x = sample(shape);
  const loss = (t: Tensor) => {
    const y = f(t);
    return np.sum(np.multiply(y, sample(y.shape, 7)));
  };
  const g = Array.from((grad(loss)(x) as Tensor).dataSync());
  const values = Array.from(x.dataSync());
  const h = 1e-6;
  values.forEach((v, i) => {
    const at = (d: number) => loss(np.reshape(np.array(values.map((u, j) => (j === i ? v + d : u)), { dtype: "float64" }), shape)).itemSync();
    const fd = (at(h) - at(-h)) / (2 * h);
    expect(Math.abs(g[i]! - fd), `${name}: d/dx[${i}] = ${g[i]} vs finite difference ${fd}`).to.be.below(1e-5 * (1 + Math.abs(fd)));
  });
}

/**
 * Registers hooks that make the cpu backend active for a describe block and restore the previous
 * backend after it (the cpu counterpart of webgpu/env.ts's `useWebgpu`).
 * @example describe("on cpu", () => { useCpu(); it(...); });
 */
export function useCpu(): void {
  let previous = "";
  before(() => {
    previous = activeExecutor().name;
    useCpuBackend();
  });
  after(() => setExecutor(previous));
}

/**
 * Registers hooks that make the gpujs backend active for a describe block (GPU.js alone: the
 * WebGPU device `init` found is destroyed) and restore the previous backend after it.
 * @example describe("on gpujs", () => { useGpujs(); it(...); });
 */
export function useGpujs(): void {
  let previous = "";
  before(async () => {
    previous = activeExecutor().name;
    await init({ tune: false });
    destroyGpu();
    setBackend("gpujs");
  });
  after(() => setExecutor(previous));
}

/**
 * A jitted classification training step: softmax cross-entropy of `model` on a batch, the gradient
 * for `params`, `opt.update`; returns the loss (the step the training-loop suites share).
 * @example const step = classifierStep(model, params, new optim.SGD(params, { lr: 1e-2 })); step(x, labels).itemSync();
 */
export function classifierStep(model: { call(x: Tensor): Tensor }, params: Record<string, ParamState>, opt: { update(g: Record<string, Tensor>): void }) {
  return jit((xb: Tensor, yb: Tensor) => {
    const [g, loss] = grad(() => nn.softmaxCrossEntropy(model.call(xb), yb), { gradStates: params, returnValue: true })() as [Record<string, Tensor>, Tensor];
    opt.update(g);
    return loss;
  });
}
