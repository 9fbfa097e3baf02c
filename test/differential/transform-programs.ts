/**
 * The transform-identity suite registered per backend (transforms.ts holds the identities): every
 * identity on `KILN_XFORM_RUNS` random programs from seed `KILN_XFORM_FROM` (defaults below, per
 * backend, and 5000), or on the one program `KILN_DIFF_SEED`. A failure is shrunk to a small program (shrink.ts) and printed as kiln
 * code with the identity's name.
 */
import { expect } from "chai";
import { activeExecutor } from "kiln/internal";
import { IDENTITY_NAMES, type IdentityName, checkIdentityOn, checkIdentityRule } from "./transforms.js";
import { type Program, generateProgram } from "./program.js";
import { shrinkProgram } from "./shrink.js";

/**
 * Programs per backend: about a third of them are differentiable (the rest have special values or
 * no float32 input), so each identity sees a few dozen on cpu; the whole suite stays near a minute.
 */
export const XFORM_RUNS: Record<string, number> = { cpu: 48, wasm: 16, webgpu: 8, gpujs: 16 };

/** The seeds of this run: from 5000 on (`KILN_XFORM_FROM`, for a deep run), so they are not the forward suite's programs. */
function seedsFor(backend: string): number[] {
  if (process.env.KILN_DIFF_SEED) return [Number(process.env.KILN_DIFF_SEED)];
  const runs = Number(process.env.KILN_XFORM_RUNS ?? XFORM_RUNS[backend] ?? 20);
  const from = Number(process.env.KILN_XFORM_FROM ?? 5000);
  return Array.from({ length: runs }, (_, i) => from + i);
}

/** A failing (program, identity) shrunk while `check` still fails it. */
async function shrunk(p: Program, check: (c: Program) => Promise<string | null>, first: string): Promise<string> {
  const small = await shrinkProgram(p, async (c) => {
    try {
      return (await check(c)) !== null;
    } catch {
      return false;
    }
  });
  return `${(await check(small)) ?? first}\n(rerun: KILN_DIFF_SEED=${p.seed})`;
}

const CHUNK = 8;

/**
 * Registers the identity tests for the describe's backend (`label` names the variant, e.g.
 * "wasm" for cpu with every kernel as wasm): on cpu also each identity in the float64
 * interpreter (the rules themselves, backend-independent).
 */
export function transformIdentityTests(label: string, opts: { rules?: boolean } = {}): void {
  const seeds = seedsFor(label);
  for (let at = 0; at < seeds.length; at += CHUNK) {
    const chunk = seeds.slice(at, at + CHUNK);
    it(`programs ${chunk[0]}–${chunk[chunk.length - 1]}: ${IDENTITY_NAMES.length} transform identities hold`, async function () {
      this.timeout(0);
      const backend = activeExecutor().name;
      const failures: string[] = [];
      for (const seed of chunk) {
        const p = generateProgram(seed);
        for (const name of IDENTITY_NAMES) {
          const checks: ((c: Program) => Promise<string | null>)[] = [(c) => checkIdentityOn(c, name, backend)];
          if (opts.rules) checks.unshift(async (c) => checkIdentityRule(c, name as IdentityName));
          for (const check of checks) {
            const m = await check(p);
            if (m !== null) {
              failures.push(await shrunk(p, check, m));
              break;
            }
          }
        }
      }
      if (failures.length) expect.fail(`${failures.length} transform identit(ies) failed:\n\n${failures.join("\n\n")}`);
    });
  }
}
