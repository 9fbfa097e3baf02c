/**
 * The NumPy random-program suite for one backend: every program of the fixture eagerly and under
 * jit, compared with NumPy's outputs (dtype, shape, values at per-dtype tolerances, NaN
 * positions, signs of zeros); a program NumPy rejects must raise a typed error. Differences are
 * excused only by NPDIFF_DEVIATIONS, and every deviation named for the backend must still happen.
 */
import { expect } from "chai";
import { type Tensor, jit, np } from "kiln";
import { activeExecutor, setExecutor, useCpuBackend } from "kiln/internal";
import { type Program, programCode, runProgram } from "../differential/program.js";
import { NPDIFF_DEVIATIONS, type NpdiffBackend, foldableCall, npdiffDeviationFor } from "./deviations.js";
import { type EncodedArray, type Expected, NPDIFF_REGRESSION_SEEDS, committedSeeds, decodeValue, loadFixture, numpyProgramsOf, serializeProgram } from "./programs.js";

/**
 * Per-dtype tolerances: |got - want| ≤ rtol · (|want| + scale / 10), scale the largest finite
 * |want| of the output (at least 1). scripts/npdiff-fixtures.py marks elements that move by a
 * quarter of this under float64 evaluation as unstable (not compared).
 */
export const TOLERANCES: Readonly<Record<string, number>> = { float32: 2e-5, float16: 2e-3, bfloat16: 1.6e-2 };

const FLOATS = new Set(["float32", "float16", "bfloat16"]);

function inputsOf(e: Expected): Tensor[] {
  return e.program.inputs.map((a) => np.array(a.v.map(decodeValue), { dtype: a.d }).reshape([...a.s]));
}

/** A mismatch of one output, or null; `excuse` decides element differences. */
export function compareOutput(want: EncodedArray, got: { dtype: string; shape: readonly number[]; values: ArrayLike<number> }, skip: ReadonlySet<number>,
  excuse: (i: number, g: number, w: number) => boolean): string | null {
  if (got.dtype !== want.d) return `dtype ${got.dtype}, want ${want.d}`;
  if (got.shape.join() !== want.s.join()) return `shape [${got.shape}], want [${want.s}]`;
  const w = want.v.map(decodeValue);
  const rtol = TOLERANCES[want.d];
  const scale = Math.max(1, ...w.filter(Number.isFinite).map(Math.abs));
  const bad: string[] = [];
  w.forEach((wv, i) => {
    if (skip.has(i)) return;
    const gv = Number(got.values[i]);
    const ok = Number.isNaN(wv) ? Number.isNaN(gv)
      : rtol === undefined || !Number.isFinite(wv) ? gv === wv && (wv !== 0 || Object.is(gv, wv) || !FLOATS.has(want.d))
        : wv === 0 && gv === 0 ? Object.is(gv, wv)
          : Math.abs(gv - wv) <= rtol * (Math.abs(wv) + scale / 10);
    if (!ok && !excuse(i, gv, wv)) bad.push(`[${i}] ${Object.is(gv, -0) ? "-0" : gv} want ${Object.is(wv, -0) ? "-0" : wv}`);
  });
  return bad.length ? `values ${bad.slice(0, 4).join(", ")}${bad.length > 4 ? ` (+${bad.length - 4})` : ""}` : null;
}

type Mode = "eager" | "jit";

async function runMode(p: Program, e: Expected, mode: Mode): Promise<{ dtype: string; shape: readonly number[]; values: ArrayLike<number> }[]> {
  const xs = inputsOf(e);
  const outs = mode === "eager" ? runProgram(p, xs) : (jit((...ts: Tensor[]) => runProgram(p, ts)) as (...ts: Tensor[]) => Tensor[])(...xs);
  const res = [];
  for (const t of outs) res.push({ dtype: t.dtype, shape: [...t.shape], values: await t.data() });
  return res;
}

/** One program in one mode against NumPy: null when it matches (or only differs by deviations). */
export async function checkNpdiff(backend: NpdiffBackend, p: Program, e: Expected, mode: Mode, used: Set<string>): Promise<string | null> {
  const want = e.want;
  if ("error" in want) {
    try {
      await runMode(p, e, mode);
    } catch (err) {
      return err instanceof Error && err.constructor.name !== "Error" && err.constructor.name !== "TypeError" ? null
        : `threw an untyped ${(err as Error).constructor.name}: ${(err as Error).message}`;
    }
    return `no error, NumPy raises ${want.error} at call ${want.step} (v${want.step})`;
  }
  let got;
  try {
    got = await runMode(p, e, mode);
  } catch (err) {
    return `threw ${(err as Error).constructor.name}: ${(err as Error).message.split("\n")[0]}`;
  }
  if (got.length !== want.length) return `${got.length} outputs, want ${want.length}`;
  const foldable = p.steps.some(foldableCall);
  const nonFiniteInputs = p.inputs.some((s) => s.values.some((v) => !Number.isFinite(v)));
  const calls = p.steps.map((s) => (typeof s.p?.["fn"] === "string" ? `${s.op}.${s.p["fn"]}` : s.op));
  if (e.numpyRaises) {
    const dev = npdiffDeviationFor({ backend, mode, calls, dtype: "", got: NaN, want: NaN, undefinedCast: false,
      numpyRaises: { error: e.numpyRaises.error, op: p.steps[e.numpyRaises.step]!.op } });
    if (!dev) return `NumPy raises ${e.numpyRaises.error} at call ${e.numpyRaises.step} (v${e.numpyRaises.step})`;
    used.add(dev.id);
  }
  for (let k = 0; k < want.length; k++) {
    const undef = new Set(e.undefinedCast[k]);
    const excuse = (i: number, g: number, w: number) => {
      const dev = npdiffDeviationFor({ backend, mode, calls, dtype: want[k]!.d, got: g, want: w, undefinedCast: undef.has(i), foldable, nonFiniteInputs });
      if (dev) used.add(dev.id);
      return dev !== null;
    };
    // A shape that depends on an undefined cast (flatnonzero of one): the whole output is excused.
    if (e.undefinedShape?.[k] && got[k]!.shape.join() !== want[k]!.s.join()) {
      const dev = npdiffDeviationFor({ backend, mode, calls, dtype: want[k]!.d, got: NaN, want: NaN, undefinedCast: true, foldable, nonFiniteInputs });
      if (dev) {
        used.add(dev.id);
        continue;
      }
    }
    const why = compareOutput(want[k]!, got[k]!, new Set(e.unstable[k]), excuse);
    if (why) return `output ${k} (${want[k]!.d}[${want[k]!.s}]): ${why}`;
  }
  return null;
}

const CHUNK = 50;

/**
 * Registers the suite (inside a describe whose hooks select the backend). With `alternate`, each
 * program runs in one mode (alternating along the programs that run); with `stride`, only every
 * stride-th program runs (`KILN_NPDIFF_STRIDE=1` runs them all): the GPU backends compile every
 * kernel, and the whole fixture in both modes would take minutes there. The deviation check then
 * sees only the programs that ran. `syncReads: false` (webgpu): the programs with a call that
 * reads values to size its result (np.unique without `size`) are not run.
 */
/**
 * The programs of these seeds, generated on cpu whatever the active backend: the generator runs
 * its calls to learn the shapes, and a call that reads values to size its result (np.unique)
 * needs the synchronous reads only cpu has.
 */
function programsOnCpu(seeds: readonly number[]): Program[] {
  const previous = activeExecutor().name;
  useCpuBackend();
  try {
    return numpyProgramsOf(seeds);
  } finally {
    setExecutor(previous);
  }
}

export function npdiffSuite(backend: NpdiffBackend, opts: { alternate?: boolean; stride?: number; syncReads?: boolean } = {}): void {
  const fixture = loadFixture();
  // The fixture's seeds: 0..999 and the regression seeds, or a deep run's (KILN_NPDIFF_FIXTURE) other range.
  const allSeeds = fixture.programs.map((e) => e.program.seed);
  const deep = process.env.KILN_NPDIFF_FIXTURE !== undefined;
  const only = process.env.KILN_NPDIFF_SEED === undefined ? null : Number(process.env.KILN_NPDIFF_SEED);
  const stride = Number(process.env.KILN_NPDIFF_STRIDE ?? opts.stride ?? 1);
  const used = new Map<string, Set<number>>();
  // Witnesses and regression seeds run whatever the stride.
  const witnesses = new Set(deep ? [] : [...NPDIFF_DEVIATIONS.filter((d) => d.backends.includes(backend)).flatMap((d) => d.witnesses), ...NPDIFF_REGRESSION_SEEDS]);
  let programs: Program[] = [];

  it(`the fixture is current (${fixture.programs.length} programs, NumPy ${fixture.numpy}; else rerun python3 scripts/npdiff-fixtures.py)`, function () {
    // Generating runs every call eagerly (about 2 s of CPU for 1000 programs; a deeper run's 4000 under load took over 20 s).
    this.timeout(0);
    programs = programsOnCpu(allSeeds);
    const stale = programs.filter((p, i) => JSON.stringify(serializeProgram(p)) !== JSON.stringify(fixture.programs[i]!.program)).map((p) => p.seed);
    expect(stale, "programs whose fixture differs from the generator").to.deep.equal([]);
    if (!deep) expect(allSeeds, "the fixture's seeds (0..999 and NPDIFF_REGRESSION_SEEDS)").to.deep.equal(committedSeeds());
  });

  for (let at = 0; at < fixture.programs.length; at += CHUNK) {
    const seeds = Array.from({ length: Math.min(CHUNK, fixture.programs.length - at) }, (_, i) => at + i)
      .filter((k) => (only === null ? allSeeds[k]! % stride === 0 || witnesses.has(allSeeds[k]!) : allSeeds[k] === only));
    if (seeds.length === 0) continue;
    it(`programs ${allSeeds[seeds[0]!]}–${allSeeds[seeds.at(-1)!]} match NumPy (eager and jit)`, async function () {
      this.timeout(0);
      const failures: string[] = [];
      for (const k of seeds) {
        const seed = allSeeds[k]!;
        for (const mode of ["eager", "jit"] as const) {
          const p = programs[k]!;
          // A program that reads values to size a result (np.unique without size) runs eagerly only.
          // Without synchronous reads (webgpu) such a call needs a static size, as under jit: not run there.
          const eagerOnly = p.steps.some((s) => s.eagerOnly);
          if (eagerOnly && opts.syncReads === false) continue;
          if (eagerOnly ? mode === "jit" : opts.alternate && (Math.floor(seed / stride) % 2 === 0) !== (mode === "eager")) continue;
          const seen = new Set<string>();
          const why = await checkNpdiff(backend, p, fixture.programs[k]!, mode, seen);
          for (const id of seen) used.set(id, (used.get(id) ?? new Set()).add(seed));
          if (why) failures.push(`seed ${seed} (${mode}): ${why}\n${programCode(p)}\n(rerun: ${deep ? `KILN_NPDIFF_FIXTURE=${process.env.KILN_NPDIFF_FIXTURE} ` : ""}KILN_NPDIFF_SEED=${seed})`);
        }
      }
      if (failures.length) expect.fail(`${failures.length} program run(s) differ from NumPy on ${backend}:\n\n${failures.join("\n\n")}`);
    });
  }

  // One program (KILN_NPDIFF_SEED), or a deep run's other seeds, prove nothing about the deviations: not registered then.
  if (only === null && !deep) it("every deviation listed for this backend still happens on a program it names (its witnesses)", () => {
    if (process.env.KILN_NPDIFF_WITNESSES) console.log([...used].map(([id, seeds]) => `${id}: ${[...seeds].slice(0, 8).join(", ")}`).join("\n"));
    const stale = NPDIFF_DEVIATIONS.filter((d) => d.backends.includes(backend) && !d.witnesses.some((w) => used.get(d.id)?.has(w))).map((d) => d.id);
    expect(stale, "deviations that no longer happen on their witness programs: update the witnesses, or delete them (or drop the backend)").to.deep.equal([]);
  });
}
