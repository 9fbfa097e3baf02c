/**
 * The float64 reference of a random program and the comparison of a backend's values with it.
 *
 * Why a sensitivity term: the conformance suite's tolerances (rtol 1e-5, atol 1e-6 for float32)
 * assume a well-conditioned case. A random program is not always one: `log(x² + 0.5)` of a
 * difference that cancels, or a cast to int32 of a value next to an integer, turns a float32
 * rounding a backend is allowed to make into a large (or discrete) change of the output. So the
 * reference is evaluated three more times with every float32 intermediate rounded to float32
 * (what a backend that materializes every node stores; a float16/bfloat16 matmul with every
 * product rounded, as the JS and WGSL kernels compute it) and then nudged by a relative error of
 * random sign (two seeds): ±2^-23 for correctly rounded arithmetic (a stand-in for a different
 * accumulation order), ±1e-5 — the conformance suite's float32 rtol, which every primitive may
 * use — for transcendental functions, which no backend rounds correctly (WGSL's atan is ~45 ulp
 * off on llvmpipe, and a cumsum of such values inherits the sum of those errors). An element whose reference
 * moves under that perturbation gets the movement (times SPREAD_FACTOR) added to its tolerance;
 * an int32/bool element, or a NaN position, that changes under it is unstable and not compared.
 * Everything else is held to the conformance tolerance exactly.
 */
import { BITS16, type DType, type Node, type Prim, costClassOf, hostValues, interpret, isBits16, isFloat, toTyped, topoSort } from "@kiln/core";
import { TOL, type Tol, rng, withinTol } from "../conformance/suite.js";

/** How far beyond the measured rounding sensitivity a backend may be (its roundings differ in place and count). */
const SPREAD_FACTOR = 8;

export interface Reference {
  readonly dtypes: readonly DType[];
  /** The float64 values (int32/bool exact). */
  readonly want: readonly Float64Array[];
  /** Per element: the largest movement of the reference under float32 rounding of intermediates. */
  readonly spread: readonly Float64Array[];
  /** Per element: its int/bool value or NaN-ness depends on rounding (not compared). */
  readonly unstable: readonly Uint8Array[];
}

/** Transcendental primitives (their rows' cost class): a float32 result may be off by the conformance rtol rather than by one rounding. */
const nudgeOf = (p: Prim) => (costClassOf(p) === "transcendental" ? TOL.float32.rtol : 2 ** -23);

/**
 * A float16/bfloat16 intermediate's nudge: one ulp of the format at 1 (as float32's 2^-23). The
 * backends compute both in float32 and round, so a value whose float32 computation (or float32
 * accumulation: the cpu contraction) lands next to a rounding boundary may be one ulp (2^-10,
 * 2^-7 relative) from the interpreter's; the movement this causes downstream is the element's spread.
 */
const NUDGE16 = { float16: 2 ** -10, bfloat16: 2 ** -7 } as const;

/**
 * A float16/bfloat16 matmul whose every product is rounded to the dtype before the (float64) sum:
 * what the JS and WGSL contraction kernels compute (docs/numerics.md), which differs from the
 * interpreter's exact sum by up to about an ulp of the dtype per product. The unnudged rounded
 * evaluation uses it, so an element that such a rounding moves gets its spread (or is unstable).
 */
function matmul16(n: Node, values: ReadonlyMap<Node, Float64Array>, round: (x: number) => number): Float64Array {
  const a = values.get(n.inputs[0]!)!, b = values.get(n.inputs[1]!)!;
  const s = n.inputs[0]!.aval.shape, r = s.length;
  const m = s[r - 2]!, k = s[r - 1]!, cols = n.aval.shape[r - 1]!;
  const batch = a.length / (m * k || 1);
  const out = new Float64Array(n.aval.shape.reduce((x, y) => x * y, 1));
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < cols; j++) {
        let acc = 0;
        for (let kk = 0; kk < k; kk++) acc += round(a[bi * m * k + i * k + kk]! * b[bi * k * cols + kk * cols + j]!);
        out[bi * m * cols + i * cols + j] = acc;
      }
    }
  }
  return out;
}

/** Evaluates `nodes` node by node, rounding (and, with `r`, nudging) every float32, float16 and bfloat16 intermediate. */
function roundedEval(nodes: readonly Node[], r: (() => number) | null): Float64Array[] {
  const values = new Map<Node, Float64Array>();
  for (const n of topoSort(nodes)) {
    const dt16 = n.aval.dtype;
    let v = r === null && n.prim === "matmul" && isBits16(dt16) && n.inputs.every((i) => values.has(i))
      ? matmul16(n, values, BITS16[dt16].round) : interpret([n], values)[0]!;
    const dt = n.aval.dtype;
    if ((dt === "float32" || isBits16(dt)) && n.inputs.length > 0) {
      const nudge = isBits16(dt) ? NUDGE16[dt] : nudgeOf(n.prim);
      const round = isBits16(dt) ? BITS16[dt].round : Math.fround;
      v = v.map((x) => {
        const f = round(x);
        // The full nudge, of a random sign: a nudge of random size (uniform in ±nudge) left both
        // runs' nudges small often enough that a sensitive element's spread came out far below
        // what one rounding does (seeds 109635, 111008, 111502, 115448 of a deep cpu run).
        return r ? f * (1 + (r() < 0.5 ? -nudge : nudge)) : f;
      });
    }
    values.set(n, v);
  }
  return nodes.map((n) => values.get(n)!);
}

/** The reference of `nodes` (build them lazily; do not realize them first). */
export function reference(nodes: readonly Node[]): Reference {
  const want = interpret(nodes);
  const variants = [roundedEval(nodes, null), roundedEval(nodes, rng(17)), roundedEval(nodes, rng(91))];
  const spread = want.map((w) => new Float64Array(w.length));
  const unstable = want.map((w) => new Uint8Array(w.length));
  nodes.forEach((n, k) => {
    const w = want[k]!;
    const exact = !isFloat(n.aval.dtype);
    for (const v of variants) {
      for (let i = 0; i < w.length; i++) {
        const a = w[i]!, b = v[k]![i]!;
        if (Object.is(a, b)) continue;
        if (exact || Number.isNaN(a) !== Number.isNaN(b) || !Number.isFinite(a) || !Number.isFinite(b)) unstable[k]![i] = 1;
        else spread[k]![i] = Math.max(spread[k]![i]!, Math.abs(a - b));
      }
    }
  });
  return { dtypes: nodes.map((n) => n.aval.dtype), want, spread, unstable };
}

export interface Mismatch {
  readonly output: number;
  readonly index: number;
  readonly got: number;
  readonly want: number;
  readonly tol: Tol;
}

/**
 * The elements of `got` outside tolerance of the reference: the conformance suite's per-dtype
 * tolerance (`withinTol`, NaN matches NaN, infinities exactly, int32/bool exact) widened by the
 * element's rounding sensitivity; unstable elements are skipped.
 */
export function mismatches(ref: Reference, got: readonly ArrayLike<number>[], extra: Partial<Tol> = {}): Mismatch[] {
  const out: Mismatch[] = [];
  ref.want.forEach((w0, k) => {
    const dt = ref.dtypes[k]!;
    const w = hostValues(toTyped(w0, dt), dt); // values (a float16 buffer holds half bits)
    const g = got[k]!;
    if (g.length !== w.length) {
      out.push({ output: k, index: -1, got: g.length, want: w.length, tol: TOL[dt] });
      return;
    }
    for (let i = 0; i < w.length; i++) {
      if (ref.unstable[k]![i]) continue;
      const base = { ...TOL[dt], ...(dt === "float32" ? extra : {}) };
      const tol = { rtol: base.rtol, atol: base.atol + SPREAD_FACTOR * ref.spread[k]![i]! };
      if (!withinTol(g[i]!, w[i]!, tol)) out.push({ output: k, index: i, got: g[i]!, want: w[i]!, tol });
    }
  });
  return out;
}

/** A short description of the first few mismatches. */
export function describeMismatches(ms: readonly Mismatch[], max = 4): string {
  const lines = ms.slice(0, max).map((m) => m.index < 0
    ? `output ${m.output}: length ${m.got}, expected ${m.want}`
    : `output ${m.output} element ${m.index}: got ${m.got}, expected ${m.want} (atol ${m.tol.atol.toExponential(2)}, rtol ${m.tol.rtol})`);
  if (ms.length > max) lines.push(`... and ${ms.length - max} more`);
  return lines.join("\n");
}
