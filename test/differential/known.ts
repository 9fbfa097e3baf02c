/**
 * KNOWN_ISSUE_11_FAILURES: failures of the differential suites that are known kiln bugs, each
 * tied to its item of issue 11 and being fixed on another branch. A failure is excused only when
 * an entry matches it (by the shape of the compared graph, not by seed), so a new bug in a
 * program that also happens to contain, say, a flip is still excused — the entries are kept
 * narrow for that reason. The lead deletes an entry when its fix merges; the suite then checks
 * those programs too.
 */
import { type Node, type Prim, isFloat, topoSort } from "kiln";
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
  {
    item: 1,
    what: "flip or a negative-step slice after a reshape merging axes reads the wrong elements (grad of prod over rank ≥ 3 inherits it)",
    matches: (v) => has(v, "flip") && nodesOf(v).some(mergesAxes),
  },
  {
    item: 2,
    what: "gradients of max/min (reductions and maximum/minimum) compare a recomputed value with a stored one: NaN or a wrong branch (with issue 19)",
    // The symptom is a NaN, or a zero where the other branch's value belongs (and vice versa).
    matches: (v, ms) => v.grad && ms.length > 0 && nodesOf(v).some((n) => ["reduceMax", "reduceMin", "max", "min"].includes(n.prim) && isFloat(n.aval.dtype)) &&
      ms.every((m) => Number.isNaN(m.got) || m.got === 0 || m.want === 0),
  },
  {
    item: 3,
    what: "WebGPU: lt/le/gt/ge on bool operands and isnan/isinf on int32/bool compile to invalid WGSL (so do abs/sign on bool and atan2 on int32, which the primitive table also allows)",
    special: (s) => s.backend === "webgpu" && Number.isNaN(s.got) && Number.isNaN(s.want) &&
      /^(lt|le|gt|ge)\(bool|^(isnan|isinf|abs|sign)\((int32|bool)\)|^atan2\(int32/.test(s.name),
    matches: (v) => v.backend === "webgpu" && nodesOf(v).some((n) =>
      (["lt", "le", "gt", "ge"].includes(n.prim) && n.inputs[0]!.aval.dtype === "bool") ||
      (["isnan", "isinf"].includes(n.prim) && !isFloat(n.inputs[0]!.aval.dtype))),
  },
  {
    item: 4,
    what: "WebGPU: float floorDivide (floor of a division) disagrees with NumPy's divmod",
    matches: (v) => v.backend === "webgpu" && nodesOf(v).some((n) => n.prim === "floor" && n.inputs[0]!.prim === "div"),
  },
  {
    item: 6,
    what: "WebGPU accuracy of tanh/expm1/log1p near 0 and near overflow (log1p(3.4e38) is inf)",
    special: (s) => s.backend === "webgpu" && ["tanh", "expm1", "log1p"].includes(s.prim),
  },
  {
    item: 7,
    what: "int32 power returns 0 on overflow instead of wrapping (cpu and the interpreter, the spec: webgpu then disagrees with it)",
    matches: (v) => nodesOf(v).some((n) => n.prim === "pow" && n.aval.dtype === "int32"),
    special: (s) => s.name === "pow(int32, int32)",
  },
  {
    item: 8,
    what: "np.cumsum rejects a 0-d input (NumPy flattens it)",
    special: (s) => s.name === "np.cumsum of a 0-d value",
  },
];

/**
 * Failures this suite found that issue 11 does not list (reported to the lead for triage, with
 * the repros in the report); numbered from 101 so they never collide with issue items.
 */
export const FOUND_BY_DIFFERENTIAL: readonly KnownFailure[] = [
  {
    item: 101,
    what: "int32 matmul/dot/einsum and prod accumulate in float64 (cpu) or float32 (webgpu, small matmuls) instead of wrapping like int32 multiplication once a product passes 2^53: `np.dot([-14,-20,-2147483648,-19], same)` gives 1024, NumPy 957",
    matches: (v) => nodesOf(v).some((n) => (n.prim === "matmul" || n.prim === "reduceProd") && n.aval.dtype === "int32"),
    special: (s) => /^(matmul|reduceProd)\(int32\)/.test(s.name),
  },
];

/** The item number of the entry that excuses this failure, or null. */
export function knownFailure(v: FailedRun, ms: readonly Mismatch[]): number | null {
  return [...KNOWN_ISSUE_11_FAILURES, ...FOUND_BY_DIFFERENTIAL].find((k) => k.matches?.(v, ms))?.item ?? null;
}

/** The item number of the entry that excuses this special-value failure, or null. */
export function knownSpecialFailure(s: FailedSpecial): number | null {
  return [...KNOWN_ISSUE_11_FAILURES, ...FOUND_BY_DIFFERENTIAL].find((k) => k.special?.(s))?.item ?? null;
}
