/**
 * The NumPy parity suite for one backend: every fixture case eagerly and under jit, compared with
 * NumPy; failures excused only by PARITY_DEVIATIONS, every deviation checked to still happen.
 */
import { expect } from "chai";
import { type Mode, TOLERANCES, check, describeCase, loadFixtures } from "./fixtures.js";
import { PARITY_DEVIATIONS, type ParityBackend } from "./deviations.js";

/**
 * Registers the suite's tests (inside a describe block whose hooks select the backend). With
 * `alternate`, each case runs in one mode only (even cases eagerly, odd ones under jit): every
 * kernel compiles on the GPU backends, and both modes of every case would take minutes there.
 */
export function paritySuite(backend: ParityBackend, opts: { alternate?: boolean } = {}): void {
  const fixtures = loadFixtures();
  const used = new Set<string>();
  for (const [name, file] of fixtures) {
    for (const mode of ["eager", "jit"] as const satisfies readonly Mode[]) {
      it(`${name} (${file.cases.length} cases, NumPy ${file.numpy}), ${mode}`, async function () {
        this.timeout(0);
        const failures: string[] = [];
        for (const [i, c] of file.cases.entries()) {
          if (mode === "jit" && c.eagerOnly) continue;
          if (opts.alternate && !c.eagerOnly && (i % 2 === 0) !== (mode === "eager")) continue;
          const why = await check(c, mode, TOLERANCES[c.tol]);
          if (!why) continue;
          const dev = PARITY_DEVIATIONS.find((d) => d.backends.includes(backend) && d.matches(c, mode));
          if (dev) {
            used.add(dev.id);
            const still = dev.tolerance ? await check(c, mode, dev.tolerance) : null;
            if (!still) continue;
            failures.push(`${describeCase(c)}\n    ${still} (beyond deviation ${dev.id})`);
            continue;
          }
          failures.push(`${describeCase(c)}\n    ${why}`);
        }
        if (failures.length) expect.fail(`${failures.length} cases differ from NumPy on ${backend} (${mode}):\n  ${failures.join("\n  ")}`);
      });
    }
  }
  it("every deviation listed for this backend still happens", () => {
    const stale = PARITY_DEVIATIONS.filter((d) => d.backends.includes(backend) && !used.has(d.id)).map((d) => d.id);
    expect(stale, "deviations that no longer happen: delete them (or drop the backend)").to.deep.equal([]);
  });
}
