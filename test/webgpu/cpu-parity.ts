/**
 * One harness for "these computations give the cpu backend's values on webgpu": each case is run
 * on cpu, then on webgpu, and compared element by element — bit for bit ("exact", NaN equal to
 * NaN, -0 distinct from +0) or within `rtol` relative to max(1, |cpu|) ("close").
 */
import { expect } from "chai";
import { type Tensor, setBackend } from "kiln";
import { useWebgpu } from "./env.js";

export type ParityCase = readonly [name: string, compute: () => Tensor, kind: "exact" | "close"];

async function runAll(cases: readonly ParityCase[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const [, f] of cases) out.push(Array.from(await f().data()));
  return out;
}

/**
 * Registers a mocha suite `title` comparing `cases` on webgpu with cpu (`rtol` for "close" cases).
 * @example describeCpuParity("np math-extra on webgpu", [["sinc", () => np.sinc(x), "close"]], 1e-6)
 */
export function describeCpuParity(title: string, cases: readonly ParityCase[], rtol: number): void {
  describe(title, () => {
    let cpu: number[][] = [];
    before(async () => {
      setBackend("cpu");
      cpu = await runAll(cases);
    });
    describe("webgpu", () => {
      useWebgpu();
      it("matches the cpu backend", async () => {
        const gpu = await runAll(cases);
        cases.forEach(([name, , kind], c) => {
          expect(gpu[c]!.length, name).to.equal(cpu[c]!.length);
          gpu[c]!.forEach((g, k) => {
            const want = cpu[c]![k]!;
            const ok = Object.is(g, want) || (kind === "close" && Math.abs(g - want) <= rtol * Math.max(1, Math.abs(want)));
            expect(ok, `${name}[${k}]: webgpu ${g}, cpu ${want}`).to.equal(true);
          });
        });
      });
    });
  });
}

/**
 * Runs `f` on the cpu backend and then on webgpu (left active); returns both results as arrays.
 * @example const [cpu, gpu] = await onBoth(() => [f(x)]); expectClose(gpu, cpu);
 */
export async function onBoth(f: () => Tensor[]): Promise<[number[][], number[][]]> {
  setBackend("cpu");
  const cpu = f().map((t) => Array.from(t.dataSync()));
  setBackend("webgpu");
  const gpu = await Promise.all(f().map(async (t) => Array.from(await t.data())));
  return [cpu, gpu];
}

/** Expects `got` to equal `want` output by output within 1e-5 relative to 1 + |want|. */
export function expectClose(got: number[][], want: number[][]): void {
  expect(got.length).to.equal(want.length);
  got.forEach((g, k) => g.forEach((v, i) => expect(v, `output ${k}[${i}]`).to.be.closeTo(want[k]![i]!, 1e-5 * (1 + Math.abs(want[k]![i]!)))));
}
