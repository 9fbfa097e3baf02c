/**
 * Shrinks a failing random program to a small repro: one output, dead steps removed, steps
 * bypassed where the program still builds and fails, input values rounded. Greedy and bounded:
 * it keeps any change after which `fails` still holds.
 */
import { type Program, pruneProgram, withInputValues } from "./program.js";

/** Greedy shrinking of `p` while `fails` holds (a predicate that must not throw). */
export async function shrinkProgram(p: Program, fails: (p: Program) => Promise<boolean>): Promise<Program> {
  let best = p;
  const attempt = async (c: Program | null) => {
    if (c && c !== best && (await fails(c))) {
      best = c;
      return true;
    }
    return false;
  };
  // One output.
  for (const o of best.outputs) if (best.outputs.length > 1 && (await attempt(pruneProgram(best, [o])))) break;
  // Bypass steps: each use of a step's value is replaced by one of the step's operands.
  const nIn = best.inputs.length;
  for (let changed = true, rounds = 0; changed && rounds < 8; rounds++) {
    changed = false;
    for (let k = best.steps.length - 1; k >= 0 && !changed; k--) {
      const v = nIn + k;
      for (const a of best.steps[k]!.args) {
        const steps = best.steps.map((s) => ({ ...s, args: s.args.map((x) => (x === v ? a : x)) }));
        const outputs = best.outputs.map((o) => (o === v ? a : o));
        if (outputs.every((o) => o < nIn)) continue;
        if (await attempt(pruneProgram({ ...best, steps }, outputs))) {
          changed = true;
          break;
        }
      }
    }
  }
  // Simpler input values.
  for (let k = 0; k < best.inputs.length; k++) {
    if (best.inputs[k]!.dtype !== "float32") continue;
    for (const f of [(v: number) => Math.round(v), (v: number) => Math.fround(Math.round(v * 10) / 10)]) {
      if (await attempt(withInputValues(best, k, best.inputs[k]!.values.map(f)))) break;
    }
  }
  return best;
}
