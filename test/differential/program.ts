/**
 * The random program generator of the differential suite. A program is a short straight-line
 * sequence of kiln calls (rows of the op table, ops.ts) over 1–3 inputs; it is generated from a
 * seed (mulberry32, the conformance suite's PRNG), so a seed is a complete, reproducible
 * description, and it prints itself as the kiln code that rebuilds it (`programCode`), which is
 * what a failure reports.
 */
import { type DType, type Tensor } from "kiln";
import { castScalar, isFloat } from "kiln/internal";
import { rng, tensor } from "../conformance/suite.js";
import { type Instr, type Rand, NUMPY_FAMILY_WEIGHT, NUMPY_OPS, OPS, OP_NAMES, type OpName, drawOp, int, lit, pick, size, withAxisSpelling } from "./ops.js";

export { type Instr, OP_NAMES, type OpName };

/** An input of a program: its shape, dtype and values (float values are exact in their dtype). */
export interface InputSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly values: readonly number[];
}

export interface Program {
  readonly seed: number;
  readonly inputs: readonly InputSpec[];
  readonly steps: readonly Instr[];
  /** Value indices returned by the program (the values nothing else consumes). */
  readonly outputs: readonly number[];
  /** Whether the inputs include special values (NaN, ±inf, ±0, int32 extremes). */
  readonly specials: boolean;
  /** Which generator made it (absent: "differential"). */
  readonly profile?: Profile;
}

/**
 * The two generators over the one op table: "differential" programs (compared with the float64
 * interpreter) and "numpy" programs (compared with NumPy, test/npdiff/), which also draw the
 * promotion, weak-scalar and clip rows, see empty and 0-d shapes, all dtypes in every input, and
 * values on rounding ties, subnormals and near float32's maximum.
 */
export type Profile = "differential" | "numpy";

/** Largest value a program may build (elements): keeps programs fast on every backend. */
const MAX_ELEMENTS = 2000;

/** Random input shapes: rank 0–4, sizes 1–5; later inputs often broadcast against the first. */
function inputShapes(r: Rand, n: number): number[][] {
  const base = Array.from({ length: int(r, 0, 4) }, () => int(r, 1, 5));
  return Array.from({ length: n }, (_, k) => {
    if (k > 0 && r() < 0.3) return Array.from({ length: int(r, 0, 4) }, () => int(r, 1, 5));
    const s = base.map((d) => (k > 0 && r() < 0.3 ? 1 : d));
    return k > 0 && r() < 0.3 ? s.slice(int(r, 0, s.length)) : s;
  });
}

/**
 * Values a program sprinkles into its inputs (`specials`): NaN, ±inf, ±0; integer extremes that
 * wrap (int32's, and the unsigned maxima and sign-bit values).
 */
const FLOAT_SPECIALS = [NaN, Infinity, -Infinity, 0, -0];
const INT_SPECIALS = { int32: [2 ** 31 - 1, -(2 ** 31), 2 ** 30, -(2 ** 30) - 3, 0], uint8: [255, 128, 0], uint32: [2 ** 32 - 1, 2 ** 31, 2 ** 31 - 1, 0] };
/** Ordinary values of each integer dtype (small, so products and sums stay interesting but mostly unwrapped). */
const INT_RANGE = { int32: [-20, 19], uint8: [0, 40], uint32: [0, 40] } as const;

/**
 * An input's dtype: the seed's own draw, then — from a separate stream, so the draws of the other
 * programs stay as they were — some int32 inputs as uint8/uint32 and float32 ones as float16 or
 * bfloat16.
 */
function inputDType(r: Rand, alt: Rand, k: number): DType {
  const dtype: DType = k === 0 ? (r() < 0.8 ? "float32" : "int32") : pick(r, ["float32", "float32", "int32", "bool"] as const);
  if (dtype === "int32" && alt() < 0.6) return pick(alt, ["uint8", "uint32"] as const);
  if (dtype === "float32" && alt() < 0.2) return pick(alt, ["float16", "float16", "bfloat16"] as const);
  return dtype;
}

function inputValues(r: Rand, dtype: DType, n: number, specials: boolean): number[] {
  return Array.from({ length: n }, () => {
    const special = specials && r() < 0.15;
    if (dtype === "float32") return special ? pick(r, FLOAT_SPECIALS) : Math.fround(-3 + 6 * r());
    if (dtype === "float16" || dtype === "bfloat16") return special ? pick(r, FLOAT_SPECIALS) : castScalar(-3 + 6 * r(), dtype);
    if (dtype === "int32" || dtype === "uint8" || dtype === "uint32") return special ? pick(r, INT_SPECIALS[dtype]) : int(r, INT_RANGE[dtype][0], INT_RANGE[dtype][1]);
    return +(r() < 0.5);
  });
}

/** NumPy programs: shapes of rank 0–3 whose sizes may be 0. */
function numpyShapes(r: Rand, n: number): number[][] {
  const dim = () => (r() < 0.06 ? 0 : int(r, 1, 4));
  const base = Array.from({ length: int(r, 0, 3) }, dim);
  return Array.from({ length: n }, (_, k) => {
    if (k > 0 && r() < 0.25) return Array.from({ length: int(r, 0, 3) }, dim);
    const s = base.map((d) => (k > 0 && r() < 0.3 ? 1 : d));
    return k > 0 && r() < 0.3 ? s.slice(int(r, 0, s.length)) : s;
  });
}

/** Float specials of the NumPy programs: NaN, ±inf, ±0 (twice: max/min and sums of mixed zeros), subnormals, values near float32's maximum. */
const NUMPY_FLOAT_SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 0, -0, 2 ** -140, -3 * 2 ** -149, Math.fround(3e38), Math.fround(-1e30), 2.5, -0.5];
const NUMPY_DTYPES = ["float32", "float32", "int32", "uint8", "uint32", "bool", "float16", "bfloat16"] as const;

function numpyDType(r: Rand, k: number): DType {
  return k === 0 ? pick(r, ["float32", "float32", "float32", "int32", "uint8", "bool"] as const) : pick(r, NUMPY_DTYPES);
}

/**
 * Magnitudes the specials leave out, drawn from a stream of their own (so the other draws stay as
 * they were): large and tiny normal floats (products and squares that overflow or underflow),
 * float16's maximum and a value past it (rounds to inf in float16), integers past float32's 2^24.
 */
const NUMPY_MAGNITUDES = [1e20, -3e15, 1e-20, -2.5e-30, 65504, 70000, -1e6, 16777217, 2 ** 31, 1e-7];

/** NumPy program values: floats k/8 (rounding ties included), integers as the differential ones. */
function numpyValues(r: Rand, dtype: DType, n: number, specials: boolean, mag: Rand | null = null): number[] {
  if (!isFloat(dtype)) return inputValues(r, dtype, n, specials);
  return Array.from({ length: n }, () => {
    const v = specials && r() < 0.2 ? pick(r, NUMPY_FLOAT_SPECIALS) : int(r, -40, 40) / 8;
    return castScalar(mag && mag() < 0.04 ? pick(mag, NUMPY_MAGNITUDES) : v, dtype);
  });
}

/** The same inputs with fresh values (same shapes and dtypes): a jitted program's second call. */
export function reseedInputs(p: Program, seed: number): Program {
  const r = rng(seed);
  return { ...p, inputs: p.inputs.map((s) => ({ ...s, values: inputValues(r, s.dtype, s.values.length, p.specials) })) };
}

/** Builds the program's values from realized or traced inputs. */
export function runProgram(p: Program, inputs: readonly Tensor[]): Tensor[] {
  const vals: Tensor[] = [...inputs];
  for (const s of p.steps) vals.push(s.build(s.args.map((a) => vals[a]!)));
  return p.outputs.map((o) => vals[o]!);
}

/** Fresh realized input tensors of a program. */
export function programInputs(p: Program): Tensor[] {
  return p.inputs.map((s) => tensor(s.dtype, s.shape, (i) => s.values[i]!));
}

/**
 * Generates program `seed`: 1–3 inputs (float32 mostly; int32, uint8, uint32, float16, bfloat16
 * and bool too), 2–8 calls.
 * @example
 * const p = generateProgram(42);
 * console.log(programCode(p));            // the kiln code of the program
 * const [y] = runProgram(p, programInputs(p));
 */
export function generateProgram(seed: number, profile: Profile = "differential"): Program {
  if (profile === "numpy") return numpyProgram(seed);
  const r = rng(seed * 2654435761);
  const nIn = int(r, 1, 3);
  const shapes = inputShapes(r, nIn);
  // A quarter of the programs see special values (NaN propagation through fused reductions,
  // signed zeros through where/sign, int32 wrapping through sums and products).
  const specials = r() < 0.25;
  const alt = rng(seed * 2246822519 + 3);
  const inputs: InputSpec[] = shapes.map((shape, k) => {
    const dtype = inputDType(r, alt, k);
    return { shape, dtype, values: inputValues(r, dtype, size(shape), specials) };
  });
  return buildSteps(r, seed, inputs, specials, () => drawOp(r), false);
}

/** A NumPy program (profile "numpy"): see `Profile`. */
function numpyProgram(seed: number): Program {
  const r = rng(seed * 2654435761 + 0x9e3779b9);
  const shapes = numpyShapes(r, int(r, 1, 3));
  const specials = r() < 0.4;
  const mag = rng(seed * 2246822519 + 0x51ed27);
  const inputs: InputSpec[] = shapes.map((shape, k) => {
    const dtype = numpyDType(r, k);
    return { shape, dtype, values: numpyValues(r, dtype, size(shape), specials, mag) };
  });
  // Some axes spelled negatively, from a stream of their own (the programs' draws stay as they were).
  const steps = withAxisSpelling(rng(seed * 3266489917 + 11), () => buildSteps(r, seed, inputs, specials, () => drawOp(r, NUMPY_OPS, NUMPY_FAMILY_WEIGHT), true));
  return { ...steps, profile: "numpy" };
}

/** Draws the calls of a program over its inputs (`empty`: values of size 0 may be built). */
function buildSteps(r: Rand, seed: number, inputs: readonly InputSpec[], specials: boolean, draw: () => OpName, empty: boolean): Program {
  const nIn = inputs.length;
  const vals: Tensor[] = inputs.map((s) => tensor(s.dtype, s.shape, (i) => s.values[i]!));
  const steps: Instr[] = [];
  const nSteps = int(r, 2, 8);
  for (let tries = 0; steps.length < nSteps && tries < 60; tries++) {
    const instr = OPS[draw()](r, vals.map((v) => ({ shape: v.shape, dtype: v.dtype })));
    if (!instr || instr.args.some((a) => a < 0)) continue;
    // A call np rejects (e.g. a cast of a bool to bool) is declined, not an error: the rows pick
    // operands by dtype and rank only; the validity of np's own checks is tested elsewhere.
    let t: Tensor;
    try {
      t = instr.build(instr.args.map((a) => vals[a]!));
    } catch (e) {
      // A kiln bug hides here when NumPy accepts the call: KILN_LOG_DECLINES=1 lists the declined calls.
      if (process.env.KILN_LOG_DECLINES) {
        const operands = instr.args.map((a) => `${vals[a]!.dtype}[${vals[a]!.shape.join(",")}]`).join(" ");
        console.error(`declined ${instr.op} ${JSON.stringify((instr as Instr).p ?? {})} on ${operands}: ${(e as Error).constructor.name}: ${(e as Error).message.split("\n")[0]}`);
      }
      continue;
    }
    if (t.size > MAX_ELEMENTS || (t.size === 0 && !empty)) continue;
    vals.push(t);
    steps.push(instr);
  }
  const used = new Set(steps.flatMap((s) => s.args));
  const outputs = vals.map((_, i) => i).filter((i) => i >= nIn && !used.has(i));
  return { seed, inputs, steps, outputs: outputs.length ? outputs : [vals.length - 1], specials };
}

/** A number as kiln code: 9 significant digits round-trip a float32; NaN, ±Infinity and -0 by name. */
const numText = (v: number) => (Object.is(v, -0) ? "-0" : Number.isFinite(v) ? String(+v.toPrecision(9)) : String(v));

/** The program as kiln code: inputs, then one `const` per call, then the outputs. */
export function programCode(p: Program): string {
  const names = [...p.inputs.map((_, i) => `x${i}`), ...p.steps.map((_, i) => `v${i}`)];
  const lines = p.inputs.map((s, i) =>
    `const x${i} = np.array([${s.values.map(isFloat(s.dtype) ? numText : String).join(",")}], { dtype: "${s.dtype}" }).reshape(${lit(s.shape)});`);
  p.steps.forEach((s, i) => lines.push(`const v${i} = ${s.code(s.args.map((a) => names[a]!))};`));
  lines.push(`// outputs: ${p.outputs.map((o) => names[o]).join(", ")}`);
  return lines.join("\n");
}

/** True when every call of the program is smooth (finite differences apply). */
export const isSmooth = (p: Program): boolean => p.steps.every((s) => s.smooth);

/**
 * Removes steps: keeps `keep` (value indices) and what they depend on, renumbering the rest.
 * Returns null when an input would be lost (inputs are kept as they are).
 */
export function pruneProgram(p: Program, outputs: readonly number[], drop: ReadonlySet<number> = new Set()): Program | null {
  const nIn = p.inputs.length;
  const live = new Set<number>();
  const visit = (v: number): boolean => {
    if (drop.has(v)) return false;
    if (live.has(v) || v < nIn) return live.add(v), true;
    live.add(v);
    return p.steps[v - nIn]!.args.every(visit);
  };
  if (!outputs.every(visit)) return null;
  const map = new Map<number, number>();
  for (let i = 0; i < nIn; i++) map.set(i, i);
  const steps: Instr[] = [];
  p.steps.forEach((s, k) => {
    if (!live.has(nIn + k)) return;
    map.set(nIn + k, nIn + steps.length);
    steps.push({ ...s, args: s.args.map((a) => map.get(a)!) });
  });
  return { ...p, steps, outputs: outputs.map((o) => map.get(o)!) };
}

/** The program with input `k`'s values replaced (same shape and dtype). */
export function withInputValues(p: Program, k: number, values: readonly number[]): Program {
  return { ...p, inputs: p.inputs.map((s, i) => (i === k ? { ...s, values } : s)) };
}
