/**
 * Every error a user can cause is a `KilnError` subclass whose message names the op, the offending
 * shapes/dtypes/values and, where one exists, the fix (API.md §7).
 */

// Errors that must also be a built-in subclass (a `TypeError`, as API.md requires of `grad`'s
// non-scalar output) cannot extend KilnError; they carry this brand and `instanceof KilnError`
// accepts it, so both documented rules hold for one object.
const KILN_BRAND: unique symbol = Symbol("kiln.error");

export class KilnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /** `instanceof KilnError` also holds for the branded built-in subclasses (`KilnTypeError`). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, v)) return true;
    // Only KilnError itself accepts branded errors: a KilnTypeError is not a ShapeError.
    return this === KilnError && typeof v === "object" && v !== null && KILN_BRAND in v;
  }
}

/** Shapes that do not fit an op: broadcasting, matmul inner dims, reshape sizes, axes, impossible sizes. */
export class ShapeError extends KilnError {}
/** A dtype an op does not accept, or an unknown dtype name. */
export class DTypeError extends KilnError {}
/** An index or axis outside the valid range. */
export class IndexError extends KilnError {}
/** An argument of the wrong kind or value (not a shape or dtype problem). */
export class ValueError extends KilnError {}
/** A traced value was read as a concrete number (value-dependent JS control flow under a transform). */
export class ConcretizationError extends KilnError {}
/** The requested backend cannot be used on this machine. */
export class BackendUnavailableError extends KilnError {}
/** Misuse of a State: wrong value type, leaked from a trace, shape change where not allowed. */
export class StateError extends KilnError {}
/** A tensor was used after `dispose()`. */
export class DisposedError extends KilnError {}
/**
 * A generated kernel did not compile on the device: a kiln bug, or a corrupt persistent store
 * entry. The message names the kernel, the dispatch and the offending line of its source.
 */
export class KernelCompileError extends KilnError {}
/**
 * A compiled kernel trapped or threw while running (a WebAssembly `unreachable`, an out-of-bounds
 * access: a kiln bug). The message names the kernel's export; the CPU worker pool stays usable.
 */
export class KernelTrapError extends KilnError {}
/**
 * A Tensor was converted to a JS number or string (`x > 0`, `Number(x)`, `` `${x}` `` inside a
 * trace): the message says what to use instead (`itemSync()`, `np.where`, `cond`).
 */
export class CoercionError extends KilnError {}
/**
 * A transform was given an async function (or one returning a Promise): tracing is synchronous,
 * so the code after an `await` would run after the trace ended.
 */
export class AsyncFunctionError extends KilnError {}

/**
 * A KilnError that is also a built-in `TypeError` (`instanceof` both), for errors whose documented
 * contract is a TypeError.
 * @example
 * const e = new KilnTypeError("Gradient only defined for scalar-output functions.");
 * e instanceof TypeError && e instanceof KilnError // true
 */
export class KilnTypeError extends TypeError {
  readonly [KILN_BRAND] = true;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A short description of an unexpected value for error messages (never `[object Object]`).
 * @example describeValue(3) // "number 3"
 */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined"; // not "undefined undefined" (typeof + String)
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "no prototype"})`;
  if (typeof v === "function") return `a function (${(v as { name?: string }).name || "anonymous"})`;
  return `${typeof v} ${String(v)}`;
}

/**
 * The shared check for a callback argument: a ValueError naming the op and the argument unless
 * `v` is a function (or, when `optional`, undefined or null).
 * @example checkFunction("tree.map", "f", f); checkFunction("tree.leaves", "isLeaf", isLeaf, true)
 */
export function checkFunction(op: string, what: string, v: unknown, optional = false): void {
  if (typeof v === "function" || (optional && (v === undefined || v === null))) return;
  throw new ValueError(`${op}: ${what} must be a function${optional ? " (or omitted)" : ""}, got ${describeValue(v)}`);
}

/**
 * The shared guard of abstract base classes a JS caller can still construct: a ValueError when
 * `newTarget` (the constructor's `new.target`) is `base` itself rather than a subclass.
 * @example class Base { constructor() { checkConcrete(new.target, Base, "nn.Dynamics"); } }
 */
export function checkConcrete(newTarget: unknown, base: unknown, name: string): void {
  if (newTarget === base) throw new ValueError(`${name} is an abstract base class: extend it (class Mine extends ${name} { ... }) or use one of its subclasses`);
}

/**
 * JSON-like text of a value for an error message that never throws: bigints, symbols and
 * functions are spelled out and a cycle falls back to `describeValue` (plain `JSON.stringify`
 * throws a TypeError on `10n`, which would replace the intended KilnError).
 * @example jsonOf([1, 10n]) // "[1,\"10n\"]"; jsonOf(NaN) // "NaN"
 */
export function jsonOf(v: unknown): string {
  // NaN and ±Infinity as themselves: JSON would print them as null, hiding the actual mistake.
  if (typeof v === "number") return String(v);
  try {
    const s = JSON.stringify(v, (_k, x: unknown) =>
      typeof x === "bigint" ? `${x}n` : typeof x === "symbol" ? x.toString() : typeof x === "function" ? "[function]" : typeof x === "number" && !Number.isFinite(x) ? String(x) : x,
    );
    return s ?? describeValue(v);
  } catch {
    return describeValue(v);
  }
}
