/**
 * `vectorize` (a function of scalars or of core-dimension blocks, mapped over the broadcast loop
 * axes by nested vmap: one batched graph, no host loop), `iterable`, and the dtype limits `finfo`
 * and `iinfo` (JS numbers).
 */
import { type DType, checkDType, isFloat, isInt } from "../dtype.js";
import { DTypeError, ShapeError, ValueError, describeValue, jsonOf } from "../errors.js";
import { broadcastShapes, fmtShape } from "../shape.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { broadcastTo } from "./shape.js";
import { asTensor, optionsOf, registeredVmap } from "./util.js";

/** Options of `vectorize`. */
export interface VectorizeOptions {
  /** Positions of arguments passed through unmapped (JS values, functions, …). */
  excluded?: readonly number[];
  /** The generalized-ufunc signature, e.g. "(n),(n)->()": the core axes `pyfunc` sees whole. */
  signature?: string | null;
}

interface ParsedSignature {
  readonly inputs: readonly (readonly string[])[];
  readonly outputs: readonly (readonly string[])[];
}

function parseSignature(sig: string): ParsedSignature {
  const group = /\(([^()]*)\)/g;
  const side = (part: string): string[][] => {
    const dims: string[][] = [];
    const rest = part.replace(group, (_, body: string) => {
      dims.push(body.trim() === "" ? [] : body.split(",").map((d) => d.trim()));
      return "";
    });
    if (rest.replace(/[\s,]/g, "") !== "" || dims.some((d) => d.some((n) => !/^\w+$/.test(n)))) {
      throw new ValueError(`vectorize: not a valid gufunc signature: ${jsonOf(sig)} (expected e.g. "(m,n),(n)->(m)")`);
    }
    return dims;
  };
  const parts = sig.split("->");
  if (parts.length !== 2) throw new ValueError(`vectorize: not a valid gufunc signature: ${jsonOf(sig)} (expected e.g. "(m,n),(n)->(m)")`);
  return { inputs: side(parts[0]!), outputs: side(parts[1]!) };
}

/**
 * A function that maps `pyfunc` over the leading (loop) axes of its broadcast arguments: without a
 * signature `pyfunc` sees 0-d Tensors, with one it sees the core axes named there. The mapping is
 * nested vmap, so it works under jit/grad and on every backend. Needs the transforms package
 * (importing `kiln` loads it).
 * @example np.vectorize((a, b) => np.where(a.gt(b), a.sub(b), a.add(b)))([1, 4], 2) // [3, 2]
 * @example np.vectorize((x) => x.sum(), { signature: "(n)->()" })([[1, 2], [3, 4]]) // [3, 7]
 */
export function vectorize(pyfunc: (...args: never[]) => unknown, options?: VectorizeOptions): (...args: unknown[]) => Tensor | Tensor[] {
  const op = "vectorize";
  if (typeof pyfunc !== "function") throw new ValueError(`${op}: pyfunc must be a function, got ${describeValue(pyfunc)}`);
  const opts = optionsOf(op, options);
  const excluded = new Set(opts.excluded ?? []);
  const sig = opts.signature ? parseSignature(opts.signature) : null;
  const call = pyfunc as (...args: unknown[]) => unknown;
  return (...args: unknown[]): Tensor | Tensor[] => {
    const vmap = registeredVmap();
    if (vmap === null) throw new ValueError(`${op}: needs vmap; import "kiln" (or @kiln/transforms) first`);
    const mapped = args.map((a, i) => (excluded.has(i) ? null : asTensor(a as ArrayLike, op)));
    const ts = mapped.filter((t): t is Tensor => t !== null);
    if (sig && sig.inputs.length !== ts.length) throw new ValueError(`${op}: the signature ${jsonOf(opts.signature)} has ${sig.inputs.length} inputs, got ${ts.length} mapped arguments`);
    const sizes = new Map<string, number>();
    const loops = ts.map((t, k) => {
      const core = sig ? sig.inputs[k]! : [];
      if (t.ndim < core.length) throw new ShapeError(`${op}: argument ${k} of shape ${fmtShape(t.shape)} has fewer axes than its core dimensions (${core.join(", ")})`);
      core.forEach((name, j) => {
        const d = t.shape[t.ndim - core.length + j]!;
        const seen = sizes.get(name);
        if (seen !== undefined && seen !== d) throw new ShapeError(`${op}: core dimension ${name} is ${seen} in one argument and ${d} in another`);
        sizes.set(name, d);
      });
      return t.shape.slice(0, t.ndim - core.length);
    });
    const loop = broadcastShapes(op, ...loops);
    const ready = ts.map((t, k) => broadcastTo(t, [...loop, ...t.shape.slice(loops[k]!.length)]));
    let f = (...xs: Tensor[]): unknown => {
      let next = 0;
      const full = args.map((a, i) => (mapped[i] === null ? a : xs[next++]));
      const out = call(...full);
      return Array.isArray(out) ? out.map((o) => asTensor(o as ArrayLike, op)) : asTensor(out as ArrayLike, op);
    };
    for (let i = 0; i < loop.length; i++) f = vmap(f, { inAxes: 0, outAxes: 0 });
    return f(...ready) as Tensor | Tensor[];
  };
}

/**
 * Whether `y` can be iterated (a JS array, typed array or a Tensor with at least one axis).
 * @example np.iterable([1, 2]) // true; np.iterable(3) // false
 */
export function iterable(y: unknown): boolean {
  if (y instanceof Tensor) return y.ndim > 0;
  return y !== null && typeof y === "object" && Symbol.iterator in y;
}

/** Machine limits of a float dtype (`finfo`), as JS numbers. */
export interface FInfo {
  readonly dtype: DType;
  readonly bits: number;
  /** The gap between 1 and the next larger float. */
  readonly eps: number;
  /** The gap between 1 and the next smaller float. */
  readonly epsneg: number;
  readonly max: number;
  readonly min: number;
  /** The smallest positive normal number (`smallestNormal`). */
  readonly tiny: number;
  readonly smallestNormal: number;
  readonly smallestSubnormal: number;
  /** 10 ** -precision. */
  readonly resolution: number;
  /** Approximate decimal digits. */
  readonly precision: number;
  readonly nmant: number;
  readonly nexp: number;
  readonly maxexp: number;
  readonly minexp: number;
}

/** [bits, mantissa bits, exponent bits, largest finite value, decimal digits] per float dtype. */
const FLOATS: Readonly<Record<string, readonly [number, number, number, number, number]>> = {
  float16: [16, 10, 5, 65504, 3],
  bfloat16: [16, 7, 8, 3.3895313892515355e38, 2],
  float32: [32, 23, 8, 3.4028234663852886e38, 6],
  float64: [64, 52, 11, Number.MAX_VALUE, 15],
};

const dtypeArg = (op: string, d: unknown): DType => (d instanceof Tensor ? d.dtype : checkDType(d, op));

/**
 * The limits of a float dtype (a name or an array's dtype), NumPy's `finfo` fields as numbers.
 * @example np.finfo("float32").eps // 1.1920928955078125e-7
 * @example np.finfo("float16").max // 65504
 */
export function finfo(dtype: DType | Tensor): FInfo {
  const d = dtypeArg("finfo", dtype);
  if (!isFloat(d)) throw new DTypeError(`finfo: ${d} is not a float dtype; use np.iinfo for integers`);
  const [bits, nmant, nexp, max, precision] = FLOATS[d]!;
  const maxexp = 2 ** (nexp - 1), minexp = 2 - maxexp;
  return Object.freeze({
    dtype: d, bits, eps: 2 ** -nmant, epsneg: 2 ** -(nmant + 1), max, min: -max, tiny: 2 ** minexp, smallestNormal: 2 ** minexp,
    smallestSubnormal: 2 ** (minexp - nmant), resolution: 10 ** -precision, precision, nmant, nexp, maxexp, minexp,
  });
}

/** Limits of an integer dtype (`iinfo`). */
export interface IInfo {
  readonly dtype: DType;
  readonly bits: number;
  readonly min: number;
  readonly max: number;
  /** "i" signed, "u" unsigned. */
  readonly kind: "i" | "u";
}

/**
 * The range of an integer dtype (a name or an array's dtype).
 * @example np.iinfo("int32").max // 2147483647
 * @example np.iinfo("uint8") // { bits: 8, min: 0, max: 255, kind: "u", … }
 */
export function iinfo(dtype: DType | Tensor): IInfo {
  const d = dtypeArg("iinfo", dtype);
  if (!isInt(d)) throw new DTypeError(`iinfo: ${d} is not an integer dtype; use np.finfo for floats`);
  const info: Record<string, IInfo> = {
    int32: { dtype: "int32", bits: 32, min: -(2 ** 31), max: 2 ** 31 - 1, kind: "i" },
    uint8: { dtype: "uint8", bits: 8, min: 0, max: 255, kind: "u" },
    uint32: { dtype: "uint32", bits: 32, min: 0, max: 2 ** 32 - 1, kind: "u" },
  };
  return Object.freeze({ ...info[d]! });
}
