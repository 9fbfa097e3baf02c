/**
 * clipByGlobalNorm / globalNorm against optax's clip_by_global_norm, eager and inside jit.
 */
import { expect } from "chai";
import { DTypeError, KilnTypeError, ParamState, type Tensor, ValueError, np } from "@kiln/core";
import { expectClose } from "@kiln/core/testing";
import { jit } from "@kiln/transforms";
import { SGD, clipByGlobalNorm, globalNorm } from "./index.js";

describe("optim.globalNorm / optim.clipByGlobalNorm", () => {
  const grads = () => ({ a: np.array([3, 0]), b: { c: np.array([[4]]) } }); // global norm 5

  it("globalNorm is the L2 norm over every leaf together", () => {
    expectClose(globalNorm(grads()), 5);
    expectClose(globalNorm({}), 0);
    expect(globalNorm({ x: np.array([1], { dtype: "float64" }), y: np.array([1]) }).dtype).to.equal("float64");
  });

  it("scales by maxNorm/‖g‖ above the threshold, keeping the structure; unchanged at or below it", () => {
    const c = clipByGlobalNorm(grads(), 1);
    expectClose(c.a, [0.6, 0]);
    expectClose(c.b.c, [[0.8]]);
    expectClose(globalNorm(c), 1);
    const same = clipByGlobalNorm(grads(), 10);
    expectClose(same.a, [3, 0]);
    expectClose(same.b.c, [[4]]);
    // Zero gradients stay zero (no 0/0).
    expectClose(clipByGlobalNorm({ z: np.zeros([2]) }, 1).z, [0, 0]);
  });

  it("returnNorm also gives the norm before clipping; leaf dtypes are kept", () => {
    const [c, norm] = clipByGlobalNorm({ a: np.array([6, 8], { dtype: "float64" }) }, 5, { returnNorm: true });
    expectClose(norm, 10);
    expect(c.a.dtype).to.equal("float64");
    expectClose(c.a, [3, 4]);
  });

  it("bad input: maxNorm ≤ 0 or NaN is a ValueError; non-Tensor or integer gradients a typed error", () => {
    expect(() => clipByGlobalNorm(grads(), 0)).to.throw(ValueError, /optim.clipByGlobalNorm: maxNorm must be > 0, got 0/);
    expect(() => clipByGlobalNorm(grads(), -1)).to.throw(ValueError, /maxNorm must be > 0, got -1/);
    expect(() => clipByGlobalNorm(grads(), NaN)).to.throw(ValueError, /maxNorm must be > 0, got NaN/);
    expect(() => clipByGlobalNorm(grads(), "1" as never)).to.throw(ValueError, /maxNorm must be > 0/);
    expect(() => clipByGlobalNorm({ a: 3 }, 1)).to.throw(KilnTypeError, /optim.globalNorm: every gradient must be a Tensor, got number 3/);
    expect(() => globalNorm({ a: np.array([1], { dtype: "int32" }) })).to.throw(DTypeError, /gradients must be float, got a int32 Tensor/);
  });

  it("inside jit the clip decision is in the graph: traced once, correct on both sides of the threshold", () => {
    const w = new ParamState(np.array([0, 0]));
    const opt = new SGD({ w }, { lr: 1 });
    const step = jit((g: Tensor) => {
      const [clipped, norm] = clipByGlobalNorm({ w: g }, 1, { returnNorm: true });
      opt.update(clipped);
      return norm;
    });
    expectClose(step(np.array([3, 4])), 5);
    expectClose(w.value, [-0.6, -0.8]);
    expectClose(step(np.array([0.3, 0.4])), 0.5);
    expectClose(w.value, [-0.9, -1.2]);
    expect(step.traceCount()).to.equal(1);
  });
});
