/**
 * The random-program suite, registered per backend: `KILN_DIFF_RUNS` programs (default below),
 * or the one program `KILN_DIFF_SEED`. A failing program is shrunk to a minimal repro and
 * printed as kiln code; failures matching KNOWN_ISSUE_11_FAILURES or FOUND_BY_DIFFERENTIAL
 * (known.ts) are counted, not failed.
 */
import { expect } from "chai";
import { checkProgram, checkProgramOf } from "./harness.js";
import { type Program, generateProgram } from "./program.js";
import { shrinkProgram } from "./shrink.js";

/** Programs per run: the suite stays under two minutes on two busy cores with these. */
export const DEFAULT_RUNS: Record<string, number> = { cpu: 800, webgpu: 300, wasm: 300 };

/** The seeds of this run (`KILN_DIFF_SEED` for one; `KILN_DIFF_RUNS` of them from `KILN_DIFF_FROM`, default 0). */
export function seedsFor(backend: string): number[] {
  if (process.env.KILN_DIFF_SEED) return [Number(process.env.KILN_DIFF_SEED)];
  const runs = Number(process.env.KILN_DIFF_RUNS ?? DEFAULT_RUNS[backend] ?? 100);
  const from = Number(process.env.KILN_DIFF_FROM ?? 0);
  return Array.from({ length: runs }, (_, i) => from + i);
}

const CHUNK = 25;

/** Registers `it`s over the seeds, CHUNK programs each; the active backend is the describe's. */
export function programTests(backend: string): void {
  const seeds = seedsFor(backend);
  for (let at = 0; at < seeds.length; at += CHUNK) {
    const chunk = seeds.slice(at, at + CHUNK);
    it(`programs ${chunk[0]}–${chunk[chunk.length - 1]}: eager, jit, jit replay and gradients match the float64 interpreter`, async function () {
      this.timeout(0);
      const unexpected: string[] = [];
      for (const seed of chunk) {
        for (const f of await checkProgram(seed)) {
          if (f.known !== null) continue;
          const only = { mode: f.variant.mode, grad: f.variant.grad };
          const fails = async (c: Program) => {
            try {
              return (await checkProgramOf(c, only)).some((x) => x.known === null);
            } catch {
              return false;
            }
          };
          const small = await shrinkProgram(generateProgram(seed), fails);
          const [g] = await checkProgramOf(small, only);
          unexpected.push(`${g?.message ?? f.message}\n(rerun: KILN_DIFF_SEED=${seed})`);
        }
      }
      if (unexpected.length) expect.fail(`${unexpected.length} program run(s) differ from the interpreter:\n\n${unexpected.join("\n\n")}`);
    });
  }
}
