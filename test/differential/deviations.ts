/**
 * Documented numerical deviations of the backends from the float64 interpreter (the spec): the
 * one list the differential suites read, rendered into docs/numerics.md (`renderDeviations`;
 * test/differential/docs.test.ts keeps the page in sync). A deviation is a property of a
 * backend we accept, not a bug: bugs go to KNOWN_ISSUE_11_FAILURES (known.ts) and get fixed.
 */
import { type Node, type Prim } from "kiln/internal";

/** One element where a backend and the reference differ. */
export interface ElementDiff {
  readonly backend: string;
  /** The primitive under test (special-value table), or null inside a random program. */
  readonly prim: Prim | null;
  /** The operand values of the element (special-value table); empty inside a program. */
  readonly operands: readonly number[];
  readonly got: number;
  readonly want: number;
  /** Inside a random program: its graph, and whether its inputs hold NaN/±inf. */
  readonly program?: { readonly graph: readonly Node[]; readonly nonFinite: boolean };
}

export interface Deviation {
  /** A stable name, also the anchor in docs/numerics.md. */
  readonly id: string;
  readonly backends: readonly string[];
  /** What differs, and why it is accepted (rendered into the docs). */
  readonly doc: string;
  readonly applies: (d: ElementDiff) => boolean;
}

/** A node the WGSL compiler may fold to 0 under its finite-math assumption: `x - x`, `x * 0`. */
function foldable(n: Node): boolean {
  const isZero = (m: Node): boolean => (m.prim === "const" && (m.params as { value: number }).value === 0) || (m.prim === "broadcast" && isZero(m.inputs[0]!));
  return (n.prim === "sub" && n.inputs[0] === n.inputs[1]) || (n.prim === "mul" && n.inputs.some(isZero));
}

const SMALLEST_NORMAL = 2 ** -126;
const isSubnormal = (v: number) => v !== 0 && Math.abs(v) < SMALLEST_NORMAL;

export const DEVIATIONS: readonly Deviation[] = [
  {
    id: "webgpu-subnormals",
    backends: ["webgpu"],
    doc: "Subnormal float32 values (|x| < 2^-126) may be flushed to zero, as inputs and as results " +
      "(WGSL allows it; llvmpipe and most GPUs do it). A subnormal operand may therefore act as ±0, " +
      "and a result that should be subnormal may be ±0.",
    applies: (d) => d.operands.some(isSubnormal) || isSubnormal(d.want),
  },
  {
    id: "webgpu-finite-math",
    backends: ["webgpu"],
    doc: "NaN and ±inf are not guaranteed through arithmetic the shader compiler may simplify: WGSL lets " +
      "implementations assume finite math, and Tint/LLVM fold `x - x` and `x * 0` to 0 even for NaN and " +
      "±inf inputs. isnan/isinf/comparisons of a stored NaN or ±inf are exact; arithmetic on them may not be. " +
      "(A reduction over an empty axis is lowered as its identity, a literal, so `nanvar`/`nanstd` of an empty " +
      "array divide by a literal zero and give NaN as NumPy does, not a 0 / 0 the compiler could fold to 0.)",
    // Element-wise the symptom is a lost NaN/±inf; downstream of a folded `x - x` anything can
    // follow (an argmax that no longer sees the NaN, `0 - (-inf)` = inf where NaN was due).
    // A NaN that should come from 0 * inf inside a fused kernel (a padded or masked zero times an
    // infinite input, e.g. the gradient of a contraction) may be lost the same way.
    applies: (d) => (!Number.isFinite(d.want) && Number.isFinite(d.got)) || (!!d.program?.nonFinite && d.program.graph.some(foldable)) ||
      (!!d.program?.nonFinite && Number.isNaN(d.want) && !Number.isNaN(d.got)),
  },
  {
    id: "webgpu-signed-zero",
    backends: ["webgpu"],
    doc: "The sign of a zero produced inside a contraction is not guaranteed (WGSL lets implementations ignore " +
      "the sign of zero, and accumulators start from +0): a matmul of zero products may give +0 where the " +
      "interpreter gives -0. Elementwise functions keep signed zeros (`max(0, -0)` is +0, `atan(-0)` is -0). " +
      "Comparisons treat both zeros as equal, so only 1/x and atan2 of such a zero can tell.",
    applies: (d) => d.want === 0 && d.got === 0 && (d.prim === "matmul" || (d.prim === null && !!d.program?.graph.some((n) => n.prim === "matmul"))),
  },
  {
    id: "contraction-zero-sign",
    backends: ["cpu"],
    doc: "A float32 contraction (matmul, dot, einsum) whose products are all zeros of mixed or negative sign " +
      "may give +0 where the interpreter gives -0: the WebAssembly SIMD microkernel accumulates from +0 " +
      "(as BLAS and XLA do), and +0 + -0 is +0. Only 1/x and atan2 of the result can tell.",
    applies: (d) => d.prim === "matmul" && d.want === 0 && d.got === 0,
  },
];

/** The deviation that accepts this element difference, or null. */
export function deviationFor(d: ElementDiff): Deviation | null {
  return DEVIATIONS.find((v) => v.backends.includes(d.backend) && v.applies(d)) ?? null;
}

/** Every backend the differential suites run, in docs order. */
export const BACKENDS = ["cpu", "webgpu"] as const;

/**
 * The deviations as the markdown of docs/numerics.md (between its `deviations` markers): one
 * section per backend, one entry per deviation.
 */
export function renderDeviations(): string {
  return BACKENDS.map((b) => {
    const ds = DEVIATIONS.filter((d) => d.backends.includes(b));
    const items = ds.length ? ds.map((d) => `- <a id="${d.id}"></a>**\`${d.id}\`**: ${d.doc}`) : ["- none: every value matches the interpreter within the tolerances above."];
    return [`### ${b}`, "", ...items].join("\n");
  }).join("\n\n");
}
