/**
 * np.fft on webgpu: the fft primitive runs as the host library kernel (WGSL has no FFT; the
 * operands are read back, transformed in float64 and uploaded, as sort; docs/fft.md), between
 * device kernels, and agrees with the CPU backend, under jit and grad.
 */
import { expect } from "chai";
import { type Tensor, grad, jit, np, setBackend, webgpuRunStats } from "kiln";
import { useWebgpu } from "./env.js";

const rows = (r: number, c: number) => np.reshape(np.array(Array.from({ length: r * c }, (_, i) => Math.sin(0.37 * i) + 0.1 * (i % 5))), [r, c]);

describe("webgpu: np.fft runs on the host between device kernels", function () {
  this.timeout(60_000);
  useWebgpu();

  it("fft, irfft∘rfft and a gradient agree with the CPU backend (Bluestein and radix-2 lengths)", async () => {
    const run = (x: Tensor) => {
      const z = np.fft.fft(x.mul(2).add(1));
      const power = np.add(np.square(z.re), np.square(z.im));
      const round = np.fft.irfft(np.fft.rfft(x), { n: x.shape[1] });
      const g = grad((t: Tensor) => np.sum(np.fft.fft(t, { norm: "ortho" }).im.mul(np.arange(t.shape[1]!))))(x) as Tensor;
      return [power, round, g];
    };
    for (const [r, c] of [[3, 12], [2, 16]] as const) {
      const s0 = webgpuRunStats().hostSteps;
      const gpu = await Promise.all(run(rows(r, c)).map((t) => t.data()));
      expect(webgpuRunStats().hostSteps, `host steps for [${r}, ${c}]`).to.be.above(s0);
      const jitted = await Promise.all((jit((x: Tensor) => run(x))(rows(r, c)) as Tensor[]).map((t) => t.data()));
      setBackend("cpu");
      const cpu = await Promise.all(run(rows(r, c)).map((t) => t.data()));
      setBackend("webgpu");
      cpu.forEach((want, k) => {
        for (const got of [gpu[k]!, jitted[k]!]) {
          want.forEach((w, i) => expect(Math.abs(got[i]! - w), `output ${k}[${i}] of [${r}, ${c}]`).to.be.below(1e-4 * (1 + Math.abs(w))));
        }
      });
    }
  });
});
