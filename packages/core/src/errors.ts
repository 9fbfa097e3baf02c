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
 * A short, safe description of any value for an error message: never calls user `toString`
 * (which may throw or lie), never prints `[object Object]`.
 * @example describeValue({ dtype: "int32" }) // 'an object {"dtype":"int32"}'
 */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case "number": return Object.is(v, -0) ? "-0" : String(v);
    case "string": return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    case "symbol": return `a symbol (${v.description ?? ""})`;
    case "function": return "a function";
    case "bigint": return `a bigint ${v}n`;
    case "undefined":
    case "boolean": return String(v);
    default: break;
  }
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  if (typeof ctor === "string" && ctor !== "Object") return `a ${ctor}`;
  try {
    const s = JSON.stringify(v);
    return `an object ${s.length > 60 ? `${s.slice(0, 60)}…` : s}`;
  } catch {
    return "an object";
  }
}
