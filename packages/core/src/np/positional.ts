/**
 * NumPy/JAX positional parameters, as one typed table and one mechanism.
 *
 * kiln's documented form is an options object (`np.sum(x, { axis: 0, keepdims: true })`), but
 * NumPy and JAX users write `np.sum(x, 0, null, null, true)`, `np.diff(x, 1, -1)`,
 * `vmap(f, [0, null])`. Each function listed here takes, after its required arguments, the
 * values of its NumPy parameters in NumPy's order, optionally followed by the options object.
 * `positionalOptions` folds them into one options object, so a function body reads options only.
 * A positional value of the wrong kind, too many positional values, or a value given both
 * positionally and in the options object is a typed error naming the parameter: a value is never
 * silently dropped (the failure this replaced: `x.sum([0, 2], { keepdims: true })` lost keepdims).
 */
import { type DType } from "../dtype.js";
import { ValueError, describeValue, jsonOf } from "../errors.js";
import { Tensor } from "../tensor.js";

/** What a positional value may be; the key names the check below. */
interface KindValue {
  /** An integer (a count, an offset). */
  int: number;
  /** Any JS number. */
  number: number;
  bool: boolean;
  /** One axis. */
  axis: number;
  /** One axis, or null (NumPy's None: flatten first). */
  nullableAxis: number | null;
  /** One axis, several, or null (NumPy's None: every axis). */
  axes: number | readonly number[] | null;
  /** A dtype name ("float32"). */
  dtype: DType;
  string: string;
  /** Array data: a Tensor, a number, a boolean or (nested) JS arrays. */
  array: unknown;
  /** A list of integers (strides, dilations, a window). */
  ints: readonly number[];
  /** Anything the function checks itself (vmap's in_axes, a conv's padding); not a plain object. */
  value: unknown;
  /** NumPy's `out=`: kiln's arrays are immutable, so only null/undefined is accepted. */
  out: null;
  /** A NumPy parameter kiln does not have (it keeps later parameters at NumPy's positions): only null. */
  unsupported: null;
}
export type ParamKind = keyof KindValue;

const isInt = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v);
const isArrayData = (v: unknown): boolean =>
  v instanceof Tensor || typeof v === "number" || typeof v === "boolean" || Array.isArray(v) || ArrayBuffer.isView(v);

/** Per kind: whether a value fits, and how the error describes what was expected. */
const KIND_CHECKS: { readonly [K in ParamKind]: readonly [test: (v: unknown) => boolean, expected: string] } = {
  int: [isInt, "an integer"],
  number: [(v) => typeof v === "number", "a number"],
  bool: [(v) => typeof v === "boolean", "a boolean"],
  axis: [isInt, "an integer axis"],
  nullableAxis: [(v) => v === null || isInt(v), "an integer axis or null"],
  axes: [(v) => v === null || isInt(v) || (Array.isArray(v) && v.every(isInt)), "an axis, an array of axes or null"],
  dtype: [(v) => typeof v === "string", "a dtype name"],
  string: [(v) => typeof v === "string", "a string"],
  array: [isArrayData, "an array, a Tensor or a number"],
  ints: [(v) => Array.isArray(v) && v.every(isInt), "an array of integers"],
  value: [() => true, "a value"],
  out: [(v) => v === null, "null (kiln arrays are immutable: there is no out=)"],
  unsupported: [(v) => v === null, "null (kiln does not support this parameter)"],
};

/**
 * Kinds whose `null` is a value (NumPy's None means "every axis", "broadcast this argument"), not
 * "use the default"; for every other kind a null positional value leaves the option unset.
 */
const NULL_IS_VALUE: ReadonlySet<ParamKind> = new Set<ParamKind>(["nullableAxis", "axes", "value", "out", "unsupported"]);

type Param = readonly [name: string, kind: ParamKind];

/**
 * Each function's NumPy/JAX parameters after its required (kiln-positional) arguments, in
 * NumPy's order. A name is the key of the function's options object. NumPy parameters kiln does
 * not have end the list (extra values are an error, never dropped), except `out`, which is kept
 * so that later parameters sit at NumPy's positions.
 */
export const POSITIONAL_PARAMS = {
  // reductions: np.sum(a, axis, dtype, out, keepdims)
  sum: [["axis", "axes"], ["dtype", "dtype"], ["out", "out"], ["keepdims", "bool"]],
  prod: [["axis", "axes"], ["dtype", "dtype"], ["out", "out"], ["keepdims", "bool"]],
  mean: [["axis", "axes"], ["dtype", "unsupported"], ["out", "out"], ["keepdims", "bool"]],
  var: [["axis", "axes"], ["dtype", "unsupported"], ["out", "out"], ["ddof", "number"], ["keepdims", "bool"]],
  std: [["axis", "axes"], ["dtype", "unsupported"], ["out", "out"], ["ddof", "number"], ["keepdims", "bool"]],
  max: [["axis", "axes"], ["out", "out"], ["keepdims", "bool"]],
  min: [["axis", "axes"], ["out", "out"], ["keepdims", "bool"]],
  all: [["axis", "axes"], ["out", "out"], ["keepdims", "bool"]],
  any: [["axis", "axes"], ["out", "out"], ["keepdims", "bool"]],
  argmax: [["axis", "axes"], ["out", "out"], ["keepdims", "bool"]],
  argmin: [["axis", "axes"], ["out", "out"], ["keepdims", "bool"]],
  logsumexp: [["axis", "axes"], ["b", "unsupported"], ["keepdims", "bool"]],
  cumsum: [["axis", "axes"], ["dtype", "dtype"], ["out", "out"]],
  cumprod: [["axis", "axes"], ["dtype", "dtype"], ["out", "out"]],
  nansum: [["axis", "axes"], ["dtype", "unsupported"], ["out", "out"], ["keepdims", "bool"]],
  nanmean: [["axis", "axes"], ["dtype", "unsupported"], ["out", "out"], ["keepdims", "bool"]],
  nanmax: [["axis", "axes"], ["out", "out"], ["keepdims", "bool"]],
  nanmin: [["axis", "axes"], ["out", "out"], ["keepdims", "bool"]],
  countNonzero: [["axis", "axes"], ["keepdims", "bool"]],
  average: [["axis", "axes"], ["weights", "array"], ["returned", "bool"], ["keepdims", "bool"]],
  // shape and order: np.diff(a, n, axis, prepend, append), np.split(ary, sections, axis) …
  diff: [["n", "int"], ["axis", "axis"], ["prepend", "array"], ["append", "array"]],
  trapezoid: [["x", "array"], ["dx", "number"], ["axis", "axis"]],
  split: [["axis", "axis"]],
  arraySplit: [["axis", "axis"]],
  unstack: [["axis", "axis"]],
  concatenate: [["axis", "nullableAxis"]],
  stack: [["axis", "axis"], ["out", "out"]],
  append: [["axis", "nullableAxis"]],
  roll: [["axis", "axes"]],
  repeat: [["axis", "axis"]],
  sort: [["axis", "axes"]],
  argsort: [["axis", "axes"]],
  take: [["axis", "axis"], ["out", "out"], ["mode", "unsupported"]],
  diagonal: [["offset", "int"], ["axis1", "axis"], ["axis2", "axis"]],
  trace: [["offset", "int"], ["axis1", "axis"], ["axis2", "axis"], ["dtype", "dtype"], ["out", "out"]],
  tri: [["k", "int"], ["dtype", "dtype"]],
  vander: [["N", "int"], ["increasing", "bool"]],
  unwrap: [["discont", "number"], ["axis", "axis"], ["period", "number"]],
  convolve: [["mode", "string"]],
  correlate: [["mode", "string"]],
  // creation: np.linspace(start, stop, num, endpoint, retstep, dtype), logspace(…, endpoint, base, dtype)
  linspace: [["endpoint", "bool"], ["retstep", "unsupported"], ["dtype", "dtype"]],
  logspace: [["endpoint", "bool"], ["base", "number"], ["dtype", "dtype"]],
  geomspace: [["endpoint", "bool"], ["dtype", "dtype"]],
  "fft.fft": [["n", "int"], ["axis", "axis"], ["norm", "string"]],
  "fft.ifft": [["n", "int"], ["axis", "axis"], ["norm", "string"]],
  // lax: lax.top_k(operand, k, axis); conv_general_dilated(lhs, rhs, window_strides, padding, …)
  "lax.topK": [["axis", "axis"]],
  convGeneralDilated: [
    ["windowStrides", "ints"], ["padding", "value"], ["lhsDilation", "ints"], ["rhsDilation", "ints"],
    ["dimensionNumbers", "value"], ["featureGroupCount", "int"], ["batchGroupCount", "int"],
    ["precision", "unsupported"], ["preferredElementType", "dtype"],
  ],
  // transforms and nn: vmap(fun, in_axes, out_axes); jax.nn.softmax(x, axis)
  vmap: [["inAxes", "value"], ["outAxes", "value"]],
  softmax: [["axis", "axes"]],
  logSoftmax: [["axis", "axes"]],
} as const satisfies Record<string, readonly Param[]>;

export type PositionalName = keyof typeof POSITIONAL_PARAMS;

type ValuesOf<S extends readonly Param[]> = { -readonly [I in keyof S]: S[I] extends readonly [string, infer K extends ParamKind] ? KindValue[K] | null | undefined : never };
/** Every prefix of the positional values, each optionally followed by the options object. */
type Prefixes<T extends readonly unknown[], O> = T extends readonly [...infer Init, unknown] ? [...T, options?: O] | Prefixes<Init, O> : [options?: O];

/**
 * The rest parameters of a function in the table: its NumPy positional values (any prefix),
 * optionally followed by its options object `O`.
 * @example function diff(a: ArrayLike, ...args: Positional<"diff", DiffOptions>): Tensor
 */
export type Positional<K extends PositionalName, O> = Prefixes<ValuesOf<(typeof POSITIONAL_PARAMS)[K]>, O>;

/** A plain `{...}` object: the options argument, as opposed to array data or a Tensor. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * An options argument, checked: absent gives `{}`; anything but a plain object (null, a number, an
 * array) is a ValueError instead of a TypeError on the first property read.
 * @example optionsOf("norm", undefined) // {}; optionsOf("norm", null) throws ValueError
 */
export function optionsOf<O extends object>(op: string, opts: O | undefined | null): O {
  if (opts === undefined) return {} as O;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new ValueError(`${op}: options must be an object, got ${describeValue(opts)}`);
  }
  return opts;
}

/**
 * Folds a call's trailing arguments — NumPy positional values for `name`'s parameters, then an
 * optional options object — into one options object. `op` names the function in errors.
 * @example
 * positionalOptions("diff", [1, -1]);             // { n: 1, axis: -1 }
 * positionalOptions("sum", [[0, 2], { keepdims: true }]); // { axis: [0, 2], keepdims: true }
 * positionalOptions("diff", [1, "x"]);            // throws ValueError: diff: axis must be an integer axis, got "x"
 */
export function positionalOptions<O extends object>(name: PositionalName, args: readonly unknown[], op: string = name): O {
  const params: readonly Param[] = POSITIONAL_PARAMS[name];
  let values = args;
  let opts: Record<string, unknown> = {};
  const last = args[args.length - 1];
  if (isPlainObject(last)) {
    opts = last;
    values = args.slice(0, -1);
  }
  if (values.length > params.length) {
    const names = params.map((p) => p[0]).join(", ");
    throw new ValueError(
      `${op}: takes at most ${params.length} positional argument${params.length === 1 ? "" : "s"} after its required ones (${names || "none"}) and then an options object, got ${values.length}: ${jsonOf(values.slice(params.length))} left over`,
    );
  }
  let out: Record<string, unknown> | null = null;
  values.forEach((v, i) => {
    const [pname, kind] = params[i]!;
    if (v === undefined || (v === null && !NULL_IS_VALUE.has(kind))) return;
    const [test, expected] = KIND_CHECKS[kind];
    if (isPlainObject(v) || !test(v)) {
      throw new ValueError(`${op}: ${pname} (positional argument ${i + 1} after the required ones) must be ${expected}, got ${v instanceof Tensor ? "a Tensor" : jsonOf(v)}`);
    }
    if (opts[pname] !== undefined) throw new ValueError(`${op}: ${pname} given both positionally and in the options object`);
    if (kind === "out" || kind === "unsupported") return; // only null reaches here: nothing to store
    (out ??= { ...opts })[pname] = v;
  });
  return (out ?? opts) as O;
}
