/**
 * Multi-output kernels on webgpu (issue 13 item 5): a jitted Adam step is one device kernel per
 * parameter writing m', v' and the parameter, with the CPU backend's values; donated arguments
 * become those outputs' storage (each read through its output's binding), with the values of the
 * same step without donation.
 */
import { expect } from "chai";
import { type Tensor, jit, np, setBackend, webgpuRunStats } from "kiln";
import { type DataBuffer, bufferOf } from "kiln/internal";
import { useWebgpu } from "./env.js";

const gpuOf = (t: Tensor): unknown => ((bufferOf(t.node) as DataBuffer).device as { gpu: unknown } | null)?.gpu;

/** Adam written out (optim.Adam's update), a pure function of its state. */
function adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor): [Tensor, Tensor, Tensor] {
  const m1 = m.mul(0.9).add(g.mul(0.1)), v1 = v.mul(0.999).add(g.square().mul(0.001));
  const step = m1.div(1 - 0.9 ** 2).div(np.sqrt(v1.div(1 - 0.999 ** 2)).add(1e-8));
  return [p.sub(step.mul(0.01)), m1, v1];
}

/** Host values of Adam's four inputs (parameter, gradient, m, v ≥ 0), the same on every backend. */
function inputs(n: number): Float32Array[] {
  const wave = (k: number, scale: number, f: (x: number) => number = Math.sin) => Float32Array.from({ length: n }, (_, i) => f(i * k) * scale);
  return [wave(0.37, 2), wave(0.91, 1), wave(1.3, 0.1), wave(0.53, 1, (x) => Math.sin(x) ** 2)];
}

describe("webgpu: multi-output kernels", function () {
  this.timeout(60_000);
  useWebgpu();

  it("Adam over three parameters: one 3-output device kernel each, the CPU backend's values", async () => {
    const shapes = [[64, 32], [32], [32, 10]];
    const step = jit((ps: Tensor[], gs: Tensor[], ms: Tensor[], vs: Tensor[]) => ps.map((p, i) => adam(p, gs[i]!, ms[i]!, vs[i]!)));
    const data = shapes.map((s) => inputs(s.reduce((a, b) => a * b, 1)));
    const args = (k: number) => data.map((d, i) => np.array(d[k]!, { shape: shapes[i] }));
    const { kernels } = step.lower(args(0), args(1), args(2), args(3));
    expect(kernels.map((k) => [k.outputs, k.backend])).to.deep.equal(shapes.map(() => [3, "webgpu"]));
    const got = step(args(0), args(1), args(2), args(3));
    setBackend("cpu");
    let want: number[][];
    try {
      want = step(args(0), args(1), args(2), args(3)).flat().map((t) => Array.from(t.dataSync()));
    } finally {
      setBackend("webgpu");
    }
    const values = await Promise.all(got.flat().map(async (t) => Array.from(await t.data())));
    values.forEach((vs, k) => vs.forEach((x, i) => expect(x).to.be.closeTo(want[k]![i]!, 1e-5 * Math.max(1, Math.abs(want[k]![i]!)))));
  });

  it("donated parameter and moments become the outputs' storage; values as without donation", async () => {
    const n = 1000;
    const d = inputs(n);
    const fresh = async () => {
      const ts = [0, 2, 3].map((k) => np.array(d[k]!).add(0));
      await Promise.all(ts.map((t) => t.data())); // on the device
      return ts as [Tensor, Tensor, Tensor];
    };
    const g = np.array(d[1]!);
    const donating = jit((p: Tensor, m: Tensor, v: Tensor, gr: Tensor) => adam(p, gr, m, v), { donateArgnums: [0, 1, 2] });
    const plain = jit((p: Tensor, m: Tensor, v: Tensor, gr: Tensor) => adam(p, gr, m, v));
    const a = await fresh(), b = await fresh();
    expect(donating.lower(...a, g).kernels.map((k) => k.outputs)).to.deep.equal([3]);
    const storage = a.map(gpuOf);
    const d0 = webgpuRunStats().donations;
    const got = donating(...a, g);
    expect(webgpuRunStats().donations - d0).to.equal(3);
    expect(got.map(gpuOf)).to.deep.equal(storage);
    expect(a.every((t) => t.isDisposed)).to.equal(true);
    const want = plain(...b, g);
    const [gv, wv] = await Promise.all([Promise.all(got.map((t) => t.data())), Promise.all(want.map((t) => t.data()))]);
    expect(gv.map((x) => Array.from(x))).to.deep.equal(wv.map((x) => Array.from(x)));
  });
});
