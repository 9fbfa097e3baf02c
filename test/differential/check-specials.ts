/**
 * Runs the special-value table on the active backend: every case realized (and read back with
 * `await data()`), compared with the interpreter; differences are sorted into documented
 * deviations (deviations.ts), known issue-11 failures (known.ts) and unexpected ones.
 */
import { type Prim, activeExecutor } from "kiln/internal";
import { SPECIAL_CASES, type SpecialCase, specialDiffs, specialReference } from "./specials.js";
import { deviationFor } from "./deviations.js";
import { knownSpecialFailure } from "./known.js";

export interface SpecialOutcome {
  readonly unexpected: string[];
  readonly deviations: Map<string, number>;
  readonly known: Map<number, number>;
}

const fmt = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/** All cases of the table, in primitive order. */
export function allSpecialCases(): SpecialCase[] {
  return (Object.keys(SPECIAL_CASES) as Prim[]).flatMap((p) => {
    const e = SPECIAL_CASES[p];
    return "skip" in e ? [] : [...e];
  });
}

/** Runs `cases` on the active backend. */
export async function runSpecials(cases: readonly SpecialCase[]): Promise<SpecialOutcome> {
  const backend = activeExecutor().name;
  const out: SpecialOutcome = { unexpected: [], deviations: new Map(), known: new Map() };
  for (const c of cases) {
    let diffs;
    let dt;
    try {
      const { want } = specialReference(c.build());
      const t = c.build();
      dt = t.dtype;
      diffs = specialDiffs(c, dt, want, await t.data());
    } catch (e) {
      const item = knownSpecialFailure({ backend, prim: c.prim, name: c.name, operands: [], got: NaN, want: NaN });
      if (item !== null) out.known.set(item, (out.known.get(item) ?? 0) + 1);
      else out.unexpected.push(`${backend} ${c.name}: threw ${(e as Error).name}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    for (const d of diffs) {
      const dev = deviationFor({ backend, prim: c.prim, operands: d.operands, got: d.got, want: d.want });
      if (dev) {
        out.deviations.set(dev.id, (out.deviations.get(dev.id) ?? 0) + 1);
        continue;
      }
      const item = knownSpecialFailure({ backend, prim: c.prim, name: c.name, operands: d.operands, got: d.got, want: d.want });
      if (item !== null) {
        out.known.set(item, (out.known.get(item) ?? 0) + 1);
        continue;
      }
      out.unexpected.push(`${backend} ${c.name} element ${d.index} of (${d.operands.map(fmt).join(", ")}): got ${fmt(d.got)}, expected ${fmt(d.want)}`);
    }
  }
  return out;
}
