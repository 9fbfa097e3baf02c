/**
 * The sort family under the transforms on the cpu backend: gradients against central differences
 * (float64), jit equal to eager, vmap equal to a loop over the batch, and unique's static-size
 * rule under jit.
 */
import { expect } from "chai";
import { ConcretizationError, type Tensor, grad, jit, jvp, lax, np, vmap } from "kiln";
import { useCpuBackend } from "kiln/internal";
import { checkGradFd, sample } from "./util.js";

const vals = (t: Tensor) => Array.from(t.dataSync());

describe("sort family under grad, jit and vmap", () => {
  before(() => useCpuBackend());

  it("gradients match central differences (sort, descending sort, topK, lax.sort carried operand)", () => {
    checkGradFd("np.sort axis -1", (x) => np.sort(x), [3, 5]);
    checkGradFd("np.sort axis 0", (x) => np.sort(x, { axis: 0 }), [4, 3]);
    checkGradFd("np.sort flattened, descending", (x) => np.sort(x, { axis: null, descending: true }), [3, 4]);
    checkGradFd("lax.topK values", (x) => lax.topK(x, 3)[0], [2, 6]);
    checkGradFd("lax.sort carried operand", (x) => lax.sort([np.sin(x.mul(3)), x.mul(x)], { dimension: 1 })[1]!, [2, 5]);
    checkGradFd("np.partition", (x) => np.partition(x, 2), [7]);
  });

  it("cumulative reductions' gradients match central differences; cummax's goes to the running maximum", () => {
    checkGradFd("lax.cummax", (x) => lax.cummax(x), [9]);
    checkGradFd("lax.cummin reverse axis 1", (x) => lax.cummin(x, { axis: 1, reverse: true }), [3, 4]);
    checkGradFd("lax.cumprod reverse", (x) => lax.cumprod(x, { reverse: true }), [6]);
    checkGradFd("lax.cumsum axis 1 reverse", (x) => lax.cumsum(x, { axis: 1, reverse: true }), [2, 5]);
    // JAX: grad(sum(cummax(x))) at [1, 3, 2, 5] is [1, 2, 0, 1] (3 is the running max twice).
    expect(vals(grad((x: Tensor) => lax.cummax(x).sum())(np.array([1, 3, 2, 5])) as Tensor)).to.deep.equal([1, 2, 0, 1]);
    expect(vals(grad((x: Tensor) => lax.cummin(x).sum())(np.array([4, 2, 3, 1])) as Tensor)).to.deep.equal([1, 2, 0, 1]);
  });

  it("second order: grad of grad through a sort", () => {
    // f(x) = sum(sort(x)^3 * w): d²f/dx_i² = 6 x_i w_rank(i).
    const w = np.array([1, 2, 3], { dtype: "float64" });
    const f = (x: Tensor) => np.sort(x).mul(np.sort(x)).mul(np.sort(x)).mul(w).sum();
    const x = np.array([0.5, -1, 2], { dtype: "float64" });
    const hdiag = [0, 1, 2].map((i) => {
      const gi = (t: Tensor) => (grad(f)(t) as Tensor).get(i);
      return vals(grad(gi)(x) as Tensor)[i]!;
    });
    expect(hdiag).to.deep.equal([6 * 0.5 * 2, 6 * -1 * 1, 6 * 2 * 3]);
  });

  it("jvp of a sort is the permuted tangent", () => {
    const [y, t] = jvp((x: Tensor) => np.sort(x), [np.array([3, 1, 2])], [np.array([30, 10, 20])]);
    expect(vals(y as Tensor)).to.deep.equal([1, 2, 3]);
    expect(vals(t as Tensor)).to.deep.equal([10, 20, 30]);
  });

  it("jit equals eager", () => {
    const x = sample([4, 6]);
    const fns: [string, (t: Tensor) => Tensor][] = [
      ["sort", (t) => np.sort(t)],
      ["argsort descending", (t) => np.argsort(t, { axis: 0, descending: true })],
      ["topK indices", (t) => lax.topK(t, 2)[1]],
      ["unique size", (t) => np.unique(t.mul(2).floor(), { size: 10, fillValue: -1 })],
      ["searchsorted", (t) => np.searchsorted(np.sort(t.reshape([-1])), t)],
      ["cummax", (t) => lax.cummax(t, { axis: 1 })],
    ];
    for (const [name, f] of fns) expect(vals(jit(f)(x)), name).to.deep.equal(vals(f(x)));
  });

  it("vmap equals a loop over the batch", () => {
    const x = sample([3, 5]);
    const rows = [0, 1, 2].map((i) => x.get(i));
    const fns: [string, (t: Tensor) => Tensor][] = [
      ["sort", (t) => np.sort(t)],
      ["argsort", (t) => np.argsort(t, { descending: true })],
      ["topK values", (t) => lax.topK(t, 2)[0]],
      ["unique inverse", (t) => np.unique(t.mul(2).floor(), { size: 5, returnInverse: true })[1]!],
      ["searchsorted", (t) => np.searchsorted(np.array([-1, 0, 1], { dtype: "float64" }), t)],
      ["lexsort", (t) => np.lexsort([t, t.mul(2).floor()])],
      ["cummin", (t) => lax.cummin(t)],
    ];
    for (const [name, f] of fns) {
      const batched = vals(vmap(f)(x));
      expect(batched, name).to.deep.equal(rows.flatMap((r) => vals(f(r))));
    }
  });

  it("unique without size under jit is a ConcretizationError naming size; with size it traces", () => {
    expect(() => jit((t: Tensor) => np.unique(t))(np.array([1, 2, 2]))).to.throw(ConcretizationError, /size/);
    expect(vals(jit((t: Tensor) => np.unique(t, { size: 3, fillValue: 0 }))(np.array([2, 1, 2])))).to.deep.equal([1, 2, 0]);
  });
});
