/**
 * Prints the NumPy-compared random programs (test/npdiff/programs.ts) as JSON on stdout, for
 * scripts/npdiff-fixtures.py. Run through that script, not directly. Arguments `FROM COUNT`
 * (both optional) print the programs of seeds FROM..FROM+COUNT-1 instead of the committed
 * fixture's (a deep run: `python3 scripts/npdiff-fixtures.py --from 100000 --count 4000 --out f.json`).
 */
import { NPDIFF_PROGRAMS, numpyPrograms, serializeProgram } from "../test/npdiff/programs.js";

const [from = 0, count = NPDIFF_PROGRAMS] = process.argv.slice(2).map(Number);
process.stdout.write(JSON.stringify(numpyPrograms(count, from).map(serializeProgram)) + "\n");
