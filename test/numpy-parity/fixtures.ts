/**
 * The NumPy parity fixtures (test/fixtures/numpy/*.json, written by scripts/numpy-fixtures.py):
 * decoding, running a case through kiln's np namespace eagerly or under jit, and comparing the
 * result with NumPy's (shape, dtype — JAX's where JAX and NumPy differ — and values).
 */
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type DType, type Tensor, jit, np } from "kiln";

export type EncodedValue = number | boolean | "nan" | "inf" | "-inf";
/** An array as the fixtures store it: dtype, shape, flat values. */
export interface EncodedArray {
  readonly d: DType;
  readonly s: readonly number[];
  readonly v: readonly EncodedValue[];
}
/**
 * Tolerance classes the script assigns: `f32` exact-input arithmetic, `f32t` transcendental
 * functions, `f32r` reductions and accumulations (summation order differs), `lin` linear algebra.
 */
export type TolClass = "f32" | "f32t" | "f32r" | "lin";
export interface Tolerance {
  readonly rtol: number;
  /** Absolute tolerance, as a fraction of the largest |want| of the output (at least 1). */
  readonly atol: number;
}
export const TOLERANCES: { readonly [C in TolClass]: Tolerance } = {
  f32: { rtol: 1e-6, atol: 1e-7 },
  // The vector-math functions are within ~2.5 ulp of the float64 function (docs/numerics.md).
  f32t: { rtol: 4e-6, atol: 1e-7 },
  // float32 accumulation in another order than NumPy's pairwise sums.
  f32r: { rtol: 1e-5, atol: 2e-6 },
  lin: { rtol: 1e-4, atol: 2e-5 },
};

export interface ParityCase {
  readonly id: string;
  /** The np function, a dotted path for namespaces (`linalg.det`). */
  readonly fn: string;
  readonly args: readonly unknown[];
  readonly opts?: Readonly<Record<string, unknown>>;
  readonly tol: TolClass;
  /** Data-dependent output shape (unique without `size`): not traceable under jit. */
  readonly eagerOnly?: boolean;
  /** Results compared up to sign: `abs` of every output, `abs1` of the second only. */
  readonly post?: "abs" | "abs1";
  readonly note?: string;
  readonly want: EncodedArray | readonly EncodedArray[] | { readonly error: string };
}

export interface FixtureFile {
  readonly numpy: string;
  readonly seed: number;
  readonly cases: readonly ParityCase[];
}

const FIXTURE_DIR = fileURLToPath(new URL("../fixtures/numpy/", import.meta.url));

/** Every fixture file, by name (`elementwise`, `reductions`, ...). */
export function loadFixtures(): Map<string, FixtureFile> {
  const files = new Map<string, FixtureFile>();
  for (const f of readdirSync(FIXTURE_DIR).filter((f) => f.endsWith(".json")).sort()) {
    files.set(f.replace(/\.json$/, ""), JSON.parse(readFileSync(FIXTURE_DIR + f, "utf8")) as FixtureFile);
  }
  return files;
}

export const decodeValue = (v: EncodedValue): number =>
  v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : typeof v === "boolean" ? Number(v) : v;

const isEncodedArray = (a: unknown): a is EncodedArray =>
  typeof a === "object" && a !== null && "d" in a && "s" in a && "v" in a;
const isPyScalar = (a: unknown): a is { py: EncodedValue } => typeof a === "object" && a !== null && "py" in a;

function toTensor(a: EncodedArray): Tensor {
  const values = a.d === "bool" ? a.v.map((v) => v === true) : a.v.map(decodeValue);
  return np.reshape(np.array(values, { dtype: a.d }), [...a.s]);
}

/**
 * The call's arguments with every array replaced by a placeholder slot, and the arrays: under jit
 * the arrays are the traced inputs and everything else (Python scalars, shapes, axes) is static.
 */
interface Call {
  readonly arrays: EncodedArray[];
  readonly build: (tensors: readonly Tensor[]) => { args: unknown[]; opts?: Record<string, unknown> };
}

function plan(c: ParityCase): Call {
  const arrays: EncodedArray[] = [];
  const slot = (a: unknown): unknown => {
    if (isEncodedArray(a)) return { slot: arrays.push(a) - 1 };
    if (isPyScalar(a)) return decodeValue(a.py);
    if (Array.isArray(a)) return a.map(slot);
    if (typeof a === "object" && a !== null && "slice" in a) return np.slice(...(a as { slice: [number | null, number | null, number | null] }).slice);
    if (typeof a === "object" && a !== null && "newaxis" in a) return np.newaxis;
    return a;
  };
  const args = c.args.map(slot);
  const opts = c.opts && Object.fromEntries(Object.entries(c.opts).map(([k, v]) =>
    // `ord: "inf"`: JSON has no Infinity.
    [k, k === "ord" && (v === "inf" || v === "-inf") ? decodeValue(v) : slot(v)]));
  const fill = (a: unknown, ts: readonly Tensor[]): unknown =>
    typeof a === "object" && a !== null && "slot" in a && !("kind" in a) ? ts[(a as { slot: number }).slot]
      : Array.isArray(a) ? a.map((x) => fill(x, ts)) : a;
  return {
    arrays,
    build: (ts) => ({
      args: args.map((a) => fill(a, ts)),
      opts: opts && Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, fill(v, ts)])),
    }),
  };
}

type NpFunction = (...args: unknown[]) => Tensor | Tensor[];

/** Calls that are not one np function: JAX's `.at[]` updates, `(x, index[], v)`. */
const SPECIAL_CALLS: Readonly<Record<string, NpFunction>> = {
  "at.set": (x, index, v) => np.at(x as Tensor, ...(index as np.Index[])).set(v as Tensor),
  "at.add": (x, index, v) => np.at(x as Tensor, ...(index as np.Index[])).add(v as Tensor),
};

function resolve(fn: string): NpFunction {
  if (SPECIAL_CALLS[fn]) return SPECIAL_CALLS[fn];
  let f: unknown = np;
  for (const part of fn.split(".")) f = (f as Record<string, unknown>)[part];
  if (typeof f !== "function") throw new Error(`numpy parity: np.${fn} is not a kiln function`);
  return f as NpFunction;
}

function applyPost(c: ParityCase, out: Tensor | Tensor[]): Tensor | Tensor[] {
  if (!c.post) return out;
  const outs = out as Tensor[];
  return outs.map((t, i) => (c.post === "abs" || i === 1 ? np.abs(t) : t));
}

export type Mode = "eager" | "jit";

/** Runs a case; the outputs as an array (one element for a single Tensor). */
export function runCase(c: ParityCase, mode: Mode): Tensor[] {
  const call = plan(c);
  const f = resolve(c.fn);
  const body = (...ts: Tensor[]): Tensor | Tensor[] => {
    const { args, opts } = call.build(ts);
    return applyPost(c, opts ? f(...args, opts) : f(...args));
  };
  const inputs = call.arrays.map(toTensor);
  const out = mode === "eager" ? body(...inputs) : (jit(body) as (...ts: Tensor[]) => Tensor | Tensor[])(...inputs);
  return Array.isArray(out) ? out : [out];
}

/** What a backend gave for one output. */
export interface Got {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

export async function read(ts: readonly Tensor[]): Promise<Got[]> {
  const out: Got[] = [];
  for (const t of ts) out.push({ dtype: t.dtype, shape: [...t.shape], values: Array.from(await t.data(), Number) });
  return out;
}

/** Why an output differs from NumPy's, or null. */
export function compare(want: EncodedArray, got: Got, tol: Tolerance): string | null {
  if (got.dtype !== want.d) return `dtype ${got.dtype}, want ${want.d}`;
  if (got.shape.join() !== want.s.join()) return `shape [${got.shape}], want [${want.s}]`;
  const w = want.v.map(decodeValue);
  const exact = want.d !== "float32" && want.d !== "float16" && want.d !== "bfloat16" && want.d !== "float64";
  const scale = Math.max(1, ...w.filter(Number.isFinite).map(Math.abs));
  const bad: string[] = [];
  w.forEach((wv, i) => {
    const gv = got.values[i]!;
    const ok = Number.isNaN(wv) ? Number.isNaN(gv)
      : exact || !Number.isFinite(wv) ? gv === wv
        : Math.abs(gv - wv) <= tol.atol * scale + tol.rtol * Math.abs(wv);
    if (!ok) bad.push(`[${i}] ${gv} want ${wv}`);
  });
  return bad.length ? `values ${bad.slice(0, 4).join(", ")}${bad.length > 4 ? ` (+${bad.length - 4})` : ""}` : null;
}

/** One case's outcome against NumPy at a tolerance: null when it matches. */
export async function check(c: ParityCase, mode: Mode, tol: Tolerance): Promise<string | null> {
  const want = c.want;
  if ("error" in want) {
    try {
      const outs = runCase(c, mode);
      await read(outs);
    } catch (e) {
      // NumPy raises; kiln must raise a typed error (a KilnError subclass names the op).
      return e instanceof Error && e.constructor.name !== "Error" && e.constructor.name !== "TypeError" ? null
        : `threw an untyped ${(e as Error).constructor.name}: ${(e as Error).message}`;
    }
    return `no error, NumPy raises ${want.error}`;
  }
  let got: Got[];
  try {
    got = await read(runCase(c, mode));
  } catch (e) {
    return `threw ${(e as Error).constructor.name}: ${(e as Error).message.split("\n")[0]}`;
  }
  const wants = isEncodedArray(want) ? [want] : want;
  if (got.length !== wants.length) return `${got.length} outputs, want ${wants.length}`;
  for (let i = 0; i < wants.length; i++) {
    const why = compare(wants[i]!, got[i]!, tol);
    if (why) return wants.length > 1 ? `output ${i}: ${why}` : why;
  }
  return null;
}

/** A case as a readable line for failure messages. */
export function describeCase(c: ParityCase): string {
  const arg = (a: unknown): string => isEncodedArray(a) ? `${a.d}[${a.s}](${a.v.slice(0, 8).join(",")}${a.v.length > 8 ? ",…" : ""})`
    : isPyScalar(a) ? `${a.py}` : Array.isArray(a) ? `[${a.map(arg).join(", ")}]` : JSON.stringify(a);
  const opts = c.opts ? `, {${Object.entries(c.opts).map(([k, v]) => `${k}: ${arg(v)}`).join(", ")}}` : "";
  return `${c.id}: np.${c.fn}(${c.args.map(arg).join(", ")}${opts})`;
}
