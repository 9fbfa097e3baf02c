/**
 * KNOWN_ISSUE_11_FAILURES: failures of the differential suites that are known kiln bugs, each
 * tied to its item of issue 11 and being fixed on another branch. A failure is excused only when
 * an entry matches it (by the shape of the compared graph, not by seed), so a new bug in a
 * program that also happens to contain, say, a flip is still excused — the entries are kept
 * narrow for that reason. The lead deletes an entry when its fix merges; the suite then checks
 * those programs too.
 */
import { type Node, type Prim, isFloat, topoSort } from "kiln/internal";
import { type Program } from "./program.js";
import { type Mismatch } from "./reference.js";

/** One compared run: a program on a backend, eager or jit, forward or gradient. */
export interface Variant {
  readonly backend: string;
  /** `jit-replay`: a jitted function's second call, on new input values. */
  readonly mode: "eager" | "jit" | "jit-replay";
  readonly grad: boolean;
  readonly program: Program;
}

/** A failing run with the graph it compared (the forward outputs, or the gradients). */
export interface FailedRun extends Variant {
  readonly graph: readonly Node[];
}

/** A failing element of the special-value table (specials.ts). */
export interface FailedSpecial {
  readonly backend: string;
  readonly prim: Prim;
  /** The case name, e.g. `lt(bool, bool)`. */
  readonly name: string;
  readonly operands: readonly number[];
  readonly got: number;
  readonly want: number;
}

export interface KnownFailure {
  /** The item number in issue 11. */
  readonly item: number;
  readonly what: string;
  /** Matches a failing random program (differential programs suite). */
  readonly matches?: (v: FailedRun, ms: readonly Mismatch[]) => boolean;
  /** Matches a failing element of the special-value table. */
  readonly special?: (s: FailedSpecial) => boolean;
}

const nodesOf = (v: FailedRun): Node[] => topoSort(v.graph);
const has = (v: FailedRun, p: Prim) => nodesOf(v).some((n) => n.prim === p);

/**
 * A reshape that merges two or more axes (of size > 1) into one. Item 1 says "three or more",
 * but the same normalisation also fails for two merged axes ahead of a kept one:
 * `np.array([0,1,2,3,4,5,6,7]).reshape([2,2,2]).reshape([4,2]).flip(0)` gives
 * `[6,7,4,5,0,0,0,1]` on cpu (expected `[6,7,4,5,2,3,0,1]`).
 */
function mergesAxes(n: Node): boolean {
  if (n.prim !== "reshape") return false;
  const from = n.inputs[0]!.aval.shape.filter((d) => d > 1);
  const to = n.aval.shape.filter((d) => d > 1);
  // Walk both shapes; a group ends where the running products meet.
  let i = 0, j = 0;
  while (i < from.length && j < to.length) {
    let a = from[i++]!, b = to[j++]!, count = 1;
    while (a !== b) {
      if (a < b) (a *= from[i++]!), count++;
      else b *= to[j++]!;
    }
    if (count >= 2) return true;
  }
  return false;
}

export const KNOWN_ISSUE_11_FAILURES: readonly KnownFailure[] = [
];

/**
 * Failures this suite found that issue 11 does not list (reported to the lead for triage, with
 * the repros in the report); numbered from 101 so they never collide with issue items.
 */
export const FOUND_BY_DIFFERENTIAL: readonly KnownFailure[] = [
];

/** The item number of the entry that excuses this failure, or null. */
export function knownFailure(v: FailedRun, ms: readonly Mismatch[]): number | null {
  return [...KNOWN_ISSUE_11_FAILURES, ...FOUND_BY_DIFFERENTIAL].find((k) => k.matches?.(v, ms))?.item ?? null;
}

/** The item number of the entry that excuses this special-value failure, or null. */
export function knownSpecialFailure(s: FailedSpecial): number | null {
  return [...KNOWN_ISSUE_11_FAILURES, ...FOUND_BY_DIFFERENTIAL].find((k) => k.special?.(s))?.item ?? null;
}
