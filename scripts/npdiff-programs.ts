/**
 * Prints the NumPy-compared random programs (test/npdiff/programs.ts) as JSON on stdout, for
 * scripts/npdiff-fixtures.py. Run through that script, not directly.
 */
import { numpyPrograms, serializeProgram } from "../test/npdiff/programs.js";

process.stdout.write(JSON.stringify(numpyPrograms().map(serializeProgram)) + "\n");
