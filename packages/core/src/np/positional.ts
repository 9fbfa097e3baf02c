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
 *
 * The same table (signatures.ts) lists every public function's option keys, so an options object
 * with a key the function does not accept (`np.sum(x, { axes: 0 })`, `grad(f, { has_aux: true })`)
 * is a ValueError naming the nearest valid key instead of a silently ignored option.
 */
import { type DType } from "../dtype.js";
import { ValueError, describeValue, jsonOf } from "../errors.js";
import { activeExecutor } from "../realize.js";
import { Tensor } from "../tensor.js";
import { SIGNATURES } from "./signatures.js";

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
  /** A shape: an array of sizes, or one size (JAX's `shape=`). */
  shape: number | readonly number[];
  /** Anything the function checks itself (vmap's in_axes, a conv's padding); not a plain object. */
  value: unknown;
  /**
   * JAX's / jax-js's `device=`: kiln places every array on the active backend, so only its name
   * (or jax-js's spelling of it: "wasm" for cpu, "webgl" for gpujs) is accepted — never ignored.
   */
  device: string;
  /** NumPy's `out=`: kiln's arrays are immutable, so only null/undefined is accepted. */
  out: null;
  /** A NumPy parameter kiln does not have (it keeps later parameters at NumPy's positions): only null. */
  unsupported: null;
}
export type ParamKind = keyof KindValue;

/** jax-js's device names for kiln's backends. */
const DEVICE_ALIASES: Readonly<Record<string, string>> = { wasm: "cpu", webgl: "gpujs" };
const isActiveDevice = (v: unknown): boolean => {
  if (typeof v !== "string") return false;
  const active = activeExecutor().name;
  return v === active || DEVICE_ALIASES[v] === active;
};
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
  shape: [(v) => isInt(v) || (Array.isArray(v) && v.every(isInt)), "a shape (an array of sizes)"],
  value: [() => true, "a value"],
  device: [isActiveDevice, "the active backend's name (kiln places arrays on the active backend; setBackend changes it)"],
  out: [(v) => v === null, "null (kiln arrays are immutable: there is no out=)"],
  unsupported: [(v) => v === null, "null (kiln does not support this parameter)"],
};

/**
 * Kinds whose `null` is a value (NumPy's None means "every axis", "broadcast this argument"), not
 * "use the default"; for every other kind a null positional value leaves the option unset.
 */
const NULL_IS_VALUE: ReadonlySet<ParamKind> = new Set<ParamKind>(["nullableAxis", "axes", "value", "out", "unsupported"]);

/** One positional parameter: its options key and the kind of value it takes. */
export type Param = readonly [name: string, kind: ParamKind];
/**
 * A function's signature: its NumPy/JAX positional parameters after its required arguments, in
 * NumPy's order, then (plain strings) the keys its options object also accepts (keyword-only).
 */
export type Signature = readonly (Param | string)[];

/** Every function in the table (np, lax, prng/random, transforms, nn, optim, backend setup). */
export type SignatureName = keyof typeof SIGNATURES;

/** The leading `Param`s of a signature (its positional part). */
type LeadingParams<S> = S extends readonly [infer H, ...infer R] ? (H extends readonly [string, ParamKind] ? [H, ...LeadingParams<R>] : []) : [];
/** The functions that take NumPy/JAX positional parameters (a non-empty positional part). */
export type PositionalName = { [K in SignatureName]: LeadingParams<(typeof SIGNATURES)[K]> extends [] ? never : K }[SignatureName];

type ValuesOf<S extends readonly Param[]> = { -readonly [I in keyof S]: S[I] extends readonly [string, infer K extends ParamKind] ? KindValue[K] | null | undefined : never };
/** Every prefix of the positional values, each optionally followed by the options object. */
type Prefixes<T extends readonly unknown[], O> = T extends readonly [...infer Init, unknown] ? [...T, options?: O] | Prefixes<Init, O> : [options?: O];

/**
 * The rest parameters of a function in the table: its NumPy positional values (any prefix),
 * optionally followed by its options object `O`.
 * @example function diff(a: ArrayLike, ...args: Positional<"diff", DiffOptions>): Tensor
 */
export type Positional<K extends PositionalName, O> = Prefixes<ValuesOf<LeadingParams<(typeof SIGNATURES)[K]>>, O>;

/**
 * Kinds an options-object value is checked against too (`{ keepdims: "yes" }`, `{ n: 1.5 }`):
 * the plain scalar kinds. Axes, dtypes and array data are left to the function, whose own checks
 * give the more specific IndexError / DTypeError.
 */
const OPTION_VALUE_KINDS: ReadonlySet<ParamKind> = new Set<ParamKind>(["bool", "int", "number", "string", "device"]);

/** A signature, precomputed once per function on first use: the positional part and the valid keys. */
interface Compiled {
  readonly params: readonly Param[];
  readonly keys: ReadonlySet<string>;
  /** Keys whose only accepted value is null/undefined (NumPy's `out=`, parameters kiln lacks). */
  readonly nullOnly: ReadonlySet<string>;
  /** Keys whose options-object value is checked against their kind. */
  readonly valueKinds: ReadonlyMap<string, ParamKind>;
}
const COMPILED = new Map<string, Compiled>();

function compiled(name: SignatureName): Compiled {
  let c = COMPILED.get(name);
  if (c === undefined) {
    const sig: Signature = SIGNATURES[name];
    const params = sig.filter((p): p is Param => typeof p !== "string");
    const nullOnly = new Set(params.filter((p) => p[1] === "out" || p[1] === "unsupported").map((p) => p[0]));
    const valueKinds = new Map<string, ParamKind>(params.filter((p) => OPTION_VALUE_KINDS.has(p[1])));
    // The keyword-only key "device" is always a device (the creation functions, as in jax-js).
    if (sig.includes("device")) valueKinds.set("device", "device");
    c = { params, keys: new Set(sig.map((p) => (typeof p === "string" ? p : p[0]))), nullOnly, valueKinds };
    COMPILED.set(name, c);
  }
  return c;
}

/**
 * The option keys a table function accepts, in signature order.
 * @example optionKeys("grad") // ["argnums", "gradStates", "hasAux", "returnValue"]
 */
export function optionKeys(name: SignatureName): readonly string[] {
  return [...compiled(name).keys];
}

/** Edit distance (insert, delete, substitute, swap of neighbours) between two short keys. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The valid key a misspelt one most likely meant: the same key in another spelling (`keep_dims`,
 * `has_aux`, `KeepDims`), else the closest within a few edits (`axes` → `axis`), else none.
 * @example nearestKey("has_aux", ["argnums", "hasAux"]) // "hasAux"
 */
export function nearestKey(bad: string, valid: Iterable<string>): string | undefined {
  const fold = (k: string): string => k.replace(/[_-]/g, "").toLowerCase();
  const target = fold(bad);
  let best: string | undefined, bestD = Infinity;
  for (const k of valid) {
    const d = fold(k) === target ? 0 : editDistance(target, fold(k));
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (best === undefined) return undefined;
  // Short keys allow one edit, longer ones up to three ("ax" must not suggest "n"); a shared stem
  // also counts (order → ord, policies → policy, reduce → reduction).
  const other = fold(best);
  let stem = 0;
  while (stem < target.length && target[stem] === other[stem]) stem++;
  const close = bestD <= Math.max(1, Math.min(3, Math.floor(target.length / 3)));
  return close || stem >= Math.max(3, Math.min(target.length, other.length) - 2) ? best : undefined;
}

/**
 * Checks that every own key of an options object is one `name` accepts: a misspelt key (`axes`
 * for `axis`) is a ValueError naming the function, the key and the nearest valid one, never a
 * silently ignored option. NumPy parameters kiln lacks (`out`) accept only null/undefined.
 * Cheap (a precomputed Set per function); transforms call it when they are built or traced only.
 * @example checkOptionKeys("sum", { axes: 0 }) // throws ValueError: sum: unknown option 'axes' (did you mean 'axis'?); …
 */
export function checkOptionKeys(name: SignatureName, opts: object, op: string = name): void {
  const { keys, nullOnly, valueKinds } = compiled(name);
  checkKeysIn(op, opts, keys);
  if (nullOnly.size === 0 && valueKinds.size === 0) return;
  const o = opts as Record<string, unknown>;
  for (const k of nullOnly) {
    const v = o[k];
    if (v !== undefined && v !== null) {
      const why = k === "out" ? "kiln arrays are immutable: there is no out=" : "kiln does not support this parameter";
      throw new ValueError(`${op}: ${k} must be null or absent (${why}), got ${v instanceof Tensor ? "a Tensor" : jsonOf(v)}`);
    }
  }
  for (const [k, kind] of valueKinds) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    const [test, expected] = KIND_CHECKS[kind];
    if (!test(v)) throw new ValueError(`${op}: option ${k} must be ${expected}, got ${v instanceof Tensor ? "a Tensor" : jsonOf(v)}`);
  }
}

/**
 * The key check of `checkOptionKeys` against an explicit key set, for options whose keys are a
 * typed record next to their defaults (the neuron models' and surrogates' parameters), not a
 * table entry: the same error, naming the nearest valid key.
 * @example checkKeysIn("LIF", { tau_m: 5 }, new Set(["tau", "vTh"])) // throws ValueError … (did you mean 'tau'?)
 */
export function checkKeysIn(op: string, opts: object, keys: ReadonlySet<string>): void {
  for (const k of Object.keys(opts)) {
    if (keys.has(k)) continue;
    const near = nearestKey(k, keys);
    const list = keys.size ? `its options are ${[...keys].join(", ")}` : "it takes no options";
    throw new ValueError(`${op}: unknown option '${k}'${near === undefined ? "" : ` (did you mean '${near}'?)`}; ${list}`);
  }
}

/**
 * An options argument's shape only (absent → `{}`, a non-object → ValueError), for callers that
 * check the keys themselves with `checkKeysIn`.
 * @example optionsObject("LIF", undefined) // {}
 */
export function optionsObject<O extends object>(op: string, opts: O | undefined | null): O {
  if (opts === undefined) return {} as O;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts) || opts instanceof Tensor) {
    throw new ValueError(`${op}: options must be an object, got ${opts instanceof Tensor ? "a Tensor" : describeValue(opts)}`);
  }
  return opts;
}

/** A plain `{...}` object: the options argument, as opposed to array data or a Tensor. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const NO_ARGS: readonly unknown[] = [];

/** The left-over arguments after an options object (trailing `undefined`s are "not given"). */
function givenArgs(rest: readonly unknown[]): readonly unknown[] {
  let n = rest.length;
  while (n > 0 && rest[n - 1] === undefined) n--;
  return n === rest.length ? rest : rest.slice(0, n);
}

const leftOver = (rest: readonly unknown[]): string => rest.map((v) => (v instanceof Tensor ? "a Tensor" : jsonOf(v))).join(", ");

/** `optionsOf`'s check of the arguments after the options object. */
function noArgsAfterOptions(op: string, extra: readonly unknown[]): void {
  const rest = givenArgs(extra);
  if (rest.length) throw new ValueError(`${op}: takes no arguments after its options object, got ${rest.length} more: ${leftOver(rest)} left over`);
}

/**
 * An options argument, checked: absent gives `{}`; anything but a plain object (null, a number, an
 * array) is a ValueError instead of a TypeError on the first property read, and a key `name` does
 * not accept is a ValueError naming the nearest valid key. `op` names the function in errors.
 * `extra` is what the caller passed after the options object (the function's `...extra: undefined[]`
 * rest parameter): anything but trailing `undefined`s there is a ValueError, never ignored.
 * @example optionsOf("zeros", undefined) // {}; optionsOf("zeros", { dtpye: "int32" }) throws ValueError (did you mean 'dtype'?)
 */
export function optionsOf<O extends object>(name: SignatureName, opts: O | undefined | null, op: string = name, extra: readonly unknown[] = NO_ARGS): O {
  if (extra.length) noArgsAfterOptions(op, extra);
  const o = optionsObject(op, opts);
  if (opts !== undefined) checkOptionKeys(name, o, op);
  return o;
}

/**
 * Extra arguments after an elementwise op's operands (`np.exp(x, …)`, `np.add(a, b, …)`): none, or
 * exactly what `Array.prototype.map`/`forEach`/`filter`/`reduce` pass a callback, `(index, array)`
 * with `array[index]` the last operand, so `xs.map(np.exp)` and `xs.reduce(np.add)` keep working.
 * Anything else is a ValueError, as JAX's TypeError for extra positionals: NumPy's `out` (a third
 * argument to `np.add`) is never silently dropped.
 * @example elementwiseExtras("exp", [x], [0, [x]]) // fine: xs.map(np.exp)
 */
export function elementwiseExtras(op: string, operands: readonly unknown[], rest: readonly unknown[]): void {
  if (rest.length === 0) return;
  if (rest.length === 2 && Number.isInteger(rest[0]) && Array.isArray(rest[1]) && rest[1][rest[0] as number] === operands[operands.length - 1]) return;
  noExtraArgs(op, operands.length, rest);
}

/**
 * Rejects arguments past the last parameter of a function (JS drops them silently; Python raises
 * a TypeError): `rest` is what the caller passed after the `taken` parameters `op` declares. An
 * options object there (`np.linalg.cholesky(a, { upper: true })`) is named as an unknown option;
 * trailing `undefined`s count as not given.
 * Call it with a rest parameter typed `undefined[]`, so TypeScript callers cannot pass a value there either.
 * @example
 * function cholesky(a: ArrayLike, ...extra: undefined[]) { noExtraArgs("linalg.cholesky", 1, extra); … }
 * np.linalg.cholesky(a, { upper: true }) // throws ValueError: linalg.cholesky: unknown option 'upper'; it takes no options …
 */
export function noExtraArgs(op: string, taken: number, rest: readonly unknown[]): void {
  // Trailing undefineds are "not given" (a JS wrapper forwarding an absent optional argument).
  rest = givenArgs(rest);
  if (rest.length === 0) return;
  const given = taken + rest.length;
  const counts = `takes ${taken} positional argument${taken === 1 ? "" : "s"} but ${given} were given`;
  const first = rest[0];
  if (isPlainObject(first)) {
    const keys = Object.keys(first);
    const what = keys.length ? `unknown option${keys.length === 1 ? "" : "s"} ${keys.map((k) => `'${k}'`).join(", ")}; it takes no options` : "it takes no options object";
    throw new ValueError(`${op}: ${what} (${counts})`);
  }
  throw new ValueError(`${op}: ${counts}: ${leftOver(rest)} left over`);
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
  const { params } = compiled(name);
  let values = args;
  let opts: Record<string, unknown> = {};
  const last = args[args.length - 1];
  if (isPlainObject(last)) {
    checkOptionKeys(name, last, op);
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
