/**
 * NPDIFF_DEVIATIONS: where kiln knowingly differs from NumPy's value of an element of a random
 * program (test/fixtures/npdiff/programs.json), per backend, each with its reason. The suite
 * fails on a difference no deviation accepts, and on a deviation that no longer happens on a
 * backend it names (the table cannot outlive what it describes).
 */
export type NpdiffBackend = "cpu" | "wasm" | "webgpu" | "gpujs";
export const ALL_BACKENDS: readonly NpdiffBackend[] = ["cpu", "wasm", "webgpu", "gpujs"];

/**
 * One element where a backend and NumPy differ; or (`numpyRaises`) a program NumPy rejects at a
 * call whose values kiln computes (the fixture then holds the values under JAX's rule).
 */
export interface NpdiffElement {
  readonly backend: NpdiffBackend;
  readonly numpyRaises?: { readonly error: string; readonly op: string };
  readonly mode: "eager" | "jit";
  /** The program's calls: op table rows (test/differential/ops.ts), `row.fn` where the row picks a function. */
  readonly calls: readonly string[];
  readonly dtype: string;
  readonly got: number;
  readonly want: number;
  /** The element depends on a float → integer cast C leaves undefined (NaN, ±inf, out of range). */
  readonly undefinedCast: boolean;
  /** The program computes `x - x` or `x * 0`, which a shader compiler assuming finite math folds to 0. */
  readonly foldable?: boolean;
  /** The program's inputs hold NaN or ±inf. */
  readonly nonFiniteInputs?: boolean;
}

export interface NpdiffDeviation {
  readonly id: string;
  readonly backends: readonly NpdiffBackend[];
  readonly reason: string;
  readonly applies: (e: NpdiffElement) => boolean;
  /**
   * Programs (seeds of the fixture) where it happens: the strided GPU suites always run them, and
   * every suite checks that it still happens on one of them.
   */
  readonly witnesses: readonly number[];
}

/** Calls whose operands are one value (`x - x`) or that multiply by the constant 0. */
export function foldableCall(s: { readonly op: string; readonly args: readonly number[]; readonly p?: Readonly<Record<string, unknown>> }): boolean {
  const subtract = s.op === "subtract" || (s.op === "promote" && s.p?.["fn"] === "subtract");
  return (subtract && s.args[0] === s.args[1]) || (s.op === "scalar" && s.p?.["fn"] === "multiply" && s.p["c"] === 0);
}

const isZeroSignOnly = (e: NpdiffElement) => e.got === 0 && e.want === 0;
const MAX_MIN_CALLS: ReadonlySet<string> = new Set(["maximum", "minimum", "clip", "promote.maximum", "promote.minimum", "scalar.maximum", "reduce.max", "reduce.min",
  "npElem.clipLo", "npElem.clipHi", "npReduceMore.amax"]);
const ACCUMULATING_CALLS: ReadonlySet<string> = new Set(["reduce.sum", "reduce.mean", "reduce.prod", "cumsum", "matmul", "dot", "einsum", "fft", "svdvals", "atUpdate", "npReduce.median", "npReduce.nansum",
  "npReduceMore.nanmean", "npReduceMore.nanprod", "npReduceMore.average", "npReduceMore.logsumexp", "npReduceMore.quantile", "npReduceMore.percentile", "npReduceMore.nanmedian",
  "npScan.cumprod", "npScan.nancumsum", "npScan.nancumprod", "npShape.trace", "npContract.tensordot", "npContract.inner", "npContract.vdot",
  "npLinalg.inv", "npLinalg.det", "npLinalg.solve", "npLinalg.cholesky"]);

export const NPDIFF_DEVIATIONS: readonly NpdiffDeviation[] = [
  {
    id: "float-to-int-out-of-range",
    backends: ALL_BACKENDS,
    reason: "A float → integer cast of NaN, ±inf or a value outside the target's range is undefined in C; NumPy " +
      "returns what the x86 instruction gives (INT_MIN for int32). kiln defines it (docs/dtypes.md#conversions): " +
      "truncate toward zero and wrap modulo 2^bits, NaN and ±inf to 0, the same on every backend.",
    witnesses: [46, 270],
    applies: (e) => e.undefinedCast,
  },
  {
    id: "weak-int-out-of-range",
    backends: ALL_BACKENDS,
    reason: "A JS number operand that is an integer outside the other operand's integer dtype (`np.subtract(-3, " +
      "uint8Tensor)`, `np.clip(uint8Tensor, -1)`) is converted modulo 2^bits, as JAX converts a weakly typed " +
      "Python int (docs/dtypes.md); NumPy 2 raises OverflowError (NEP 50). Values after the call are compared " +
      "with NumPy's under JAX's conversion.",
    witnesses: [223, 906],
    applies: (e) => e.numpyRaises?.error === "OverflowError" && (e.numpyRaises.op === "scalar" || e.numpyRaises.op === "clip"),
  },
  {
    id: "max-min-zero-sign",
    backends: ALL_BACKENDS,
    reason: "maximum(+0, -0) and minimum(+0, -0): NumPy returns whichever operand its SIMD loop picks; kiln " +
      "orders the zeros as IEEE 754-2019's maximum/minimum do (+0 for maximum, -0 for minimum) on every " +
      "backend (docs/numerics.md). Only 1/x and atan2 of the result can tell.",
    witnesses: [495],
    applies: (e) => isZeroSignOnly(e) && e.calls.some((c) => MAX_MIN_CALLS.has(c)),
  },
  {
    id: "accumulated-zero-sign",
    // webgpu too since its float sums start from a run-time +0 (LLVM had folded the literal 0.0 + x to x,
    // which kept NumPy's -0 by accident: np.tensordot(a, b, 0) and a median over no axes of a -0).
    backends: ALL_BACKENDS,
    reason: "The sign of a zero produced by an accumulation (sum, mean, prod, cumsum, cumprod, trace, a contraction, " +
      "a factorization, fft) or an interpolation (median, quantile) depends on its start value and order: kiln's " +
      "accumulators start from +0 as JAX's (XLA's reduce with init 0) do, so sum([-0]) is +0 where NumPy's add.reduce, " +
      "which starts from the first element, gives -0; an FFT's zero imaginary parts take the sign of the algorithm's " +
      "last rounding; NumPy's quantile of a -0 is -0 or +0 by its code path (a + (b - a)·t below the middle, " +
      "b - (b - a)·(1 - t) above, one-element slices taken as they are). Only 1/x and atan2 can tell.",
    witnesses: [889, 949],
    applies: (e) => isZeroSignOnly(e) && e.calls.some((c) => ACCUMULATING_CALLS.has(c)),
  },
  {
    id: "cumprod-reassociated",
    backends: ALL_BACKENDS,
    reason: "A cumulative product is a parallel prefix product (log2(n) rounds of pairwise products, as JAX " +
      "lowers cumprod to an associative scan off TPU), not NumPy's left-to-right loop: an inner partial product " +
      "may overflow to ±inf where the left-to-right one does not, and a 0 met later gives NaN where NumPy " +
      "gives ±0 (or ±inf where NumPy's running product had already reached 0). Finite, non-overflowing lanes agree.",
    witnesses: [238],
    applies: (e) => e.calls.some((c) => c === "npScan.cumprod" || c === "npScan.nancumprod") && (!Number.isFinite(e.got) || !Number.isFinite(e.want)),
  },
  {
    id: "fft-non-finite",
    backends: ALL_BACKENDS,
    reason: "The DFT of a lane holding ±inf or NaN: which outputs stay finite depends on the algorithm (NumPy's " +
      "pocketfft adds and subtracts without multiplying by the twiddles that are exactly 0 or ±1, kiln's " +
      "radix-2/Bluestein multiplies by computed twiddles such as cos(π/2) = 6e-17, so inf · 6e-17 is inf where " +
      "NumPy's output is finite), and what is computed from such outputs (an argsort of them) follows. Both are " +
      "IEEE evaluations of the same sum; the finite lanes agree.",
    witnesses: [459],
    applies: (e) => e.calls.includes("fft") && (!!e.nonFiniteInputs || !Number.isFinite(e.got) || !Number.isFinite(e.want)),
  },
  {
    id: "webgpu-finite-math",
    backends: ["webgpu"],
    reason: "docs/numerics.md#webgpu-finite-math: WGSL lets the shader compiler assume finite math and ignore " +
      "the sign of zero, and Tint/LLVM fold `x - x` to 0 and `x * 0` to +0 also for NaN, ±inf and negative x: a " +
      "NaN (or ±inf) NumPy gives there, and anything computed from it, may come out finite, and a -0 as +0. " +
      "var/std subtract the mean, so the var of one infinite element can be 0 instead of NaN; ptp over no axes " +
      "is max(x) - min(x) of one value, x - x.",
    witnesses: [167, 228, 856],
    // Downstream of a folded NaN or ±inf anything can follow (a comparison, a count of nonzeros).
    applies: (e) => (!!e.foldable || e.calls.some((c) => c === "npReduce.var" || c === "npReduce.std" || c === "npReduce.ptp")) &&
      (!!e.nonFiniteInputs || (Number.isFinite(e.got) && !Number.isFinite(e.want)) || isZeroSignOnly(e)),
  },
];

/** The deviation that accepts this element, or null. */
export function npdiffDeviationFor(e: NpdiffElement): NpdiffDeviation | null {
  return NPDIFF_DEVIATIONS.find((d) => d.backends.includes(e.backend) && d.applies(e)) ?? null;
}

/** The deviations as the markdown of docs/numerics.md (between its `npdiff-deviations` markers). */
export function renderNpdiffDeviations(): string {
  return NPDIFF_DEVIATIONS.map((d) => `- <a id="npdiff-${d.id}"></a>**\`${d.id}\`** (${d.backends.join(", ")}): ${d.reason}`).join("\n");
}
