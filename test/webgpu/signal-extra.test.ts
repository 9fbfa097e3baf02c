/**
 * A few signal-extra compositions on webgpu (WGSL) give the cpu backend's values: the counting
 * ones (bincount, histogram, isin, int convolve) bit for bit, the float ones to float32 rounding.
 */
import { expect } from "chai";
import { type Tensor, np, setBackend } from "kiln";
import { useWebgpu } from "./env.js";

const CASES: [string, () => Tensor, "exact" | "close"][] = [
  ["convolve int", () => np.convolve(np.array([1, 2, 3, -4], { dtype: "int32" }), np.array([1, -1, 2], { dtype: "int32" })), "exact"],
  ["correlate same", () => np.correlate(np.array([1, 2.5, 3, 0.5]), np.array([0, 1, 0.5]), { mode: "same" }), "close"],
  ["isin", () => np.isin(np.array([[1, 2], [NaN, 4]]), np.array([2, 4, NaN])), "exact"],
  ["bincount", () => np.bincount(np.array([0, 3, 3, 1, 9, -2], { dtype: "int32" }), { length: 5 }), "exact"],
  ["histogram", () => np.histogram(np.array([0, 0.3, 0.9, 1, 1.2, NaN]), { bins: 4, range: [0, 1] })[0], "exact"],
  ["kaiser", () => np.kaiser(7, 8.6), "close"],
  ["blackman", () => np.blackman(6), "close"],
];

async function run(): Promise<number[][]> {
  const out: number[][] = [];
  for (const [, f] of CASES) out.push(Array.from(await f().data()));
  return out;
}

describe("np signal-extra on webgpu", () => {
  let cpu: number[][] = [];
  before(async () => {
    setBackend("cpu");
    cpu = await run();
  });
  describe("webgpu", () => {
    useWebgpu();
    it("matches the cpu backend", async () => {
      const gpu = await run();
      CASES.forEach(([name, , kind], c) => {
        expect(gpu[c]!.length, name).to.equal(cpu[c]!.length);
        gpu[c]!.forEach((g, k) => {
          const want = cpu[c]![k]!;
          const ok = Object.is(g, want) || (kind === "close" && Math.abs(g - want) <= 1e-5 * Math.max(1, Math.abs(want)));
          expect(ok, `${name}[${k}]: webgpu ${g}, cpu ${want}`).to.equal(true);
        });
      });
    });
  });
});
