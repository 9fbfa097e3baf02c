/**
 * Prints the NumPy-compared random programs (test/npdiff/programs.ts) as JSON on stdout, for
 * scripts/npdiff-fixtures.py. Run through that script, not directly. Without arguments: the
 * committed fixture's programs (seeds 0..999, then NPDIFF_REGRESSION_SEEDS); with `FROM COUNT`
 * those of seeds FROM..FROM+COUNT-1 (a deep run: `python3 scripts/npdiff-fixtures.py --from
 * 100000 --count 3000 --out f.json`).
 */
import { committedSeeds, numpyPrograms, numpyProgramsOf, serializeProgram } from "../test/npdiff/programs.js";

const [from, count = 1000] = process.argv.slice(2).map(Number);
const programs = from === undefined ? numpyProgramsOf(committedSeeds()) : numpyPrograms(count, from);
process.stdout.write(JSON.stringify(programs.map(serializeProgram)) + "\n");
