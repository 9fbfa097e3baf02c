/**
 * The sort primitive on webgpu: it runs as the host library kernel (documented in docs/webgpu.md),
 * between device kernels, and agrees with a JS sort (NaN last, stable) inside a fused program,
 * under jit and under grad.
 */
import { expect } from "chai";
import { type Tensor, grad, jit, lax, np, webgpuRunStats } from "kiln";
import { useWebgpu } from "./env.js";

function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, (_, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return i % 17 === 3 ? NaN : Math.floor((s / 2 ** 32) * 20) - 10; // many ties and a few NaNs
  });
}
const order = (a: number, b: number) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a - b);

describe("webgpu: sort runs on the host between device kernels", function () {
  this.timeout(60_000);
  useWebgpu();

  it("argsort of a computed [12, 90] array along each axis: stable, NaN last, one host step each", async () => {
    const [R, C] = [12, 90];
    const v = values(R * C, 3);
    const x = np.array(v).reshape([R, C]);
    const s0 = webgpuRunStats().hostSteps;
    const rows = Array.from(await np.argsort(x.mul(2).add(1), { axis: 1 }).data());
    expect(webgpuRunStats().hostSteps).to.be.above(s0);
    for (let r = 0; r < R; r++) {
      const line = v.slice(r * C, (r + 1) * C);
      const want = line.map((_, i) => i).sort((i, j) => order(line[i]!, line[j]!) || i - j);
      expect(rows.slice(r * C, (r + 1) * C), `row ${r}`).to.deep.equal(want);
    }
    const cols = Array.from(await np.sort(x, { axis: 0 }).add(0).data());
    for (let c = 0; c < C; c++) {
      const want = Array.from({ length: R }, (_, r) => v[r * C + c]!).sort(order);
      expect(Array.from({ length: R }, (_, r) => cols[r * C + c]!), `column ${c}`).to.deep.equal(want);
    }
  });

  it("topK under jit and the gradient of a sort", async () => {
    const x = np.array([0.5, 3, -1, 3, 2]);
    const [v, i] = jit((t: Tensor) => lax.topK(t.mul(2), 3))(x);
    expect(Array.from(await v.data())).to.deep.equal([6, 6, 4]);
    expect(Array.from(await i.data())).to.deep.equal([1, 3, 4]);
    const g = grad((t: Tensor) => np.sort(t).mul(np.array([1, 2, 3, 4, 5])).sum())(x) as Tensor;
    expect(Array.from(await g.data())).to.deep.equal([2, 4, 1, 5, 3]);
  });
});
