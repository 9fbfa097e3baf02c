/**
 * linalg compositions under the transforms: gradients against central differences (float64, via
 * test/util.ts checkGradFd), jit equal to eager, vmap equal to a loop.
 */
import { expect } from "chai";
import { type Tensor, jit, np, vmap } from "kiln";
import { checkGradFd, expectClose } from "./util.js";

describe("np.linalg multiDot / matrixPower / vectorNorm / matrixNorm under grad, jit and vmap", () => {
  it("gradients match central differences", () => {
    checkGradFd("matrixPower 3", (a) => np.linalg.matrixPower(a, 3), [3, 3]);
    checkGradFd("matrixPower -1", (a) => np.linalg.matrixPower(a.add(np.eye(3, { dtype: a.dtype }).mul(4)), -1), [3, 3]);
    checkGradFd("multiDot", (a) => np.linalg.multiDot([a, a.T, a]), [2, 3]);
    checkGradFd("vectorNorm", (a) => np.linalg.vectorNorm(a.add(3), { axis: [0, 1] }), [2, 3]);
    checkGradFd("matrixNorm", (a) => np.linalg.matrixNorm(a.add(3)), [2, 2]);
  });

  it("jit equals eager and vmap equals a loop", () => {
    const a = np.linspace(-1, 1, 18).reshape([2, 3, 3]);
    const f = (m: Tensor) => np.linalg.matrixPower(m, 5);
    expectClose(jit(f)(a), f(a).toArraySync() as never, { rtol: 1e-5 });
    const batched = vmap(f)(a);
    expectClose(batched.get(1), f(a.get(1)).toArraySync() as never, { rtol: 1e-5 });
    expect(vmap((m: Tensor) => np.linalg.vectorNorm(m))(a).shape).to.deep.equal([2]);
  });
});
