/**
 * Every error a user can cause is a `KilnError` subclass whose message names the op, the offending
 * shapes/dtypes/values and, where one exists, the fix (API.md §7).
 */
export class KilnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an op: broadcasting, matmul inner dims, reshape sizes, axes. */
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
