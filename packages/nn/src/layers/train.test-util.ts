/**
 * Test helper (not built into the package): a jitted Adam training step and the check that it
 * traces once and lowers the loss.
 */
import { expect } from "chai";
import type { ParamState, Tensor } from "@kiln/core";
import { grad, jit } from "@kiln/transforms";
import { Adam } from "../optim/adam.js";

/** Runs `steps` jitted Adam steps on `loss(x, y)` over `params`; expects one trace, finite losses and a final loss below `ratio` × the first. */
export function expectJittedTraining(params: Record<string, ParamState>, loss: (x: Tensor, y: Tensor) => Tensor, x: Tensor, y: Tensor, opts: { lr: number; steps: number; ratio: number }): void {
  const opt = new Adam(params, { lr: opts.lr });
  const step = jit((xb: Tensor, yb: Tensor) => {
    const [grads, value] = grad(() => loss(xb, yb), { gradStates: params, returnValue: true })();
    opt.update(grads);
    return value;
  });
  const losses = Array.from({ length: opts.steps }, () => (step(x, y) as Tensor).itemSync());
  expect(step.traceCount()).to.equal(1);
  expect(losses.every(Number.isFinite), `losses ${losses}`).to.equal(true);
  expect(losses[opts.steps - 1]!).to.be.below(losses[0]! * opts.ratio);
}
