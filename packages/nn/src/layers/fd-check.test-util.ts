/**
 * Test helper (not built into the package): grad of a scalar loss against central differences in
 * float64, element by element.
 */
import { expect } from "chai";
import { type Tensor, np } from "@kiln/core";
import { grad } from "@kiln/transforms";

/** Checks `grad(loss)(x0)` against central differences (h = 1e-6, float64). */
export function fdCheck(loss: (t: Tensor) => Tensor, x0: Tensor): void {
  const g = Array.from((grad(loss)(x0) as Tensor).dataSync());
  const v = Array.from(x0.dataSync()), h = 1e-6;
  v.forEach((u, i) => {
    const f = (d: number) => loss(np.array(v.map((q, j) => (j === i ? u + d : q)), { dtype: "float64" }).reshape(x0.shape)).itemSync();
    const fd = (f(h) - f(-h)) / (2 * h);
    expect(Math.abs(g[i]! - fd), `d/dx[${i}] = ${g[i]} vs ${fd}`).to.be.below(1e-6 * (1 + Math.abs(fd)));
  });
}
