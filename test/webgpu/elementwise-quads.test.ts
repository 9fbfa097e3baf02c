/**
 * Elementwise kernels a quad per invocation on webgpu (targets/webgpu/wgsl-kernel.ts `threadQuads`):
 * where every output is stored once at a row-major index whose innermost extent is a multiple of
 * 4, each invocation computes four consecutive elements and stores each output as one vec4; other
 * kernels keep one invocation per element. Values are checked against plain JS either way,
 * including a broadcast operand, a transposed read, a bool output and a donated argument (read
 * through the output's vec4 binding).
 */
import { expect } from "chai";
import { type Tensor, jit, np, webgpuRunStats } from "kiln";
import { useWebgpu } from "./env.js";

const seq = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s) * 3);
const sources = (step: { lower: (...a: Tensor[]) => { kernels: readonly { source: string }[] } }, ...args: Tensor[]) =>
  step.lower(...args).kernels.map((k) => k.source).join("\n");

describe("webgpu: elementwise kernels a quad per invocation", function () {
  this.timeout(120_000);
  useWebgpu();

  it("a fused relu(x + bias) and a bool compare (inner extent 20): vec4 stores of both outputs, the per-element values", async () => {
    const f = jit((x: Tensor, b: Tensor) => [np.maximum(x.add(b), 0), x.gt(b)] as Tensor[]);
    const xs = seq(6 * 20, 1), bs = seq(20, 2);
    const x = np.array(xs, { shape: [6, 20] }), b = np.array(bs, { shape: [20] });
    const src = sources(f, x, b);
    expect(src).to.match(/var<storage, read_write> b\d+: array<vec4<f32>>/);
    expect(src).to.match(/var<storage, read_write> b\d+: array<vec4<u32>>/);
    const [y, gt] = f(x, b) as Tensor[];
    const [yv, gv] = [await y!.data(), await gt!.data()];
    for (let i = 0; i < 120; i++) {
      const s = Math.fround(xs[i]! + bs[i % 20]!);
      expect(yv[i], `relu [${i}]`).to.equal(Math.max(s, 0));
      expect(Boolean(gv[i]), `gt [${i}]`).to.equal(xs[i]! > bs[i % 20]!);
    }
  });

  it("a transposed read into a [12, 8] output: quads along the output's rows, the transposed values", async () => {
    const f = jit((x: Tensor) => x.T.mul(2).add(1));
    const xs = seq(8 * 12, 3);
    const x = np.array(xs, { shape: [8, 12] });
    expect(sources(f, x)).to.match(/array<vec4<f32>>/);
    const got = await (f(x) as Tensor).data();
    for (let i = 0; i < 12; i++) for (let j = 0; j < 8; j++) expect(got[i * 8 + j], `[${i},${j}]`).to.equal(Math.fround(Math.fround(xs[j * 12 + i]! * 2) + 1));
  });

  it("an inner extent of 10 (not a multiple of 4): one invocation per element, the same values", async () => {
    const f = jit((x: Tensor) => np.maximum(x.mul(3), -1));
    const xs = seq(7 * 10, 4);
    const x = np.array(xs, { shape: [7, 10] });
    expect(sources(f, x)).to.not.match(/vec4/);
    const got = await (f(x) as Tensor).data();
    for (let i = 0; i < 70; i++) expect(got[i], `[${i}]`).to.equal(Math.max(Math.fround(xs[i]! * 3), -1));
  });

  it("a donated argument updated in place: the aliased read goes through the output's vec4 binding", async () => {
    const update = jit((w: Tensor, g: Tensor) => w.sub(g.mul(0.5)), { donateArgnums: 0 });
    let w = np.arange(1000, { dtype: "float32" }).reshape([10, 100]).add(0);
    const g = np.full([10, 100], 2);
    await w.data();
    expect(sources(update, w, g)).to.match(/array<vec4<f32>>/);
    const d0 = webgpuRunStats().donations;
    for (let i = 0; i < 3; i++) w = update(w, g) as Tensor;
    expect(webgpuRunStats().donations - d0).to.equal(3);
    const got = await w.data();
    for (let i = 0; i < 1000; i++) expect(got[i], `[${i}]`).to.equal(i - 3);
  });
});
