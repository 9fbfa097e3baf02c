/**
 * `hasAux` for the variadic transforms (`vjp(fn, ...primals)`, `linearize(fn, ...primals)`): JAX's
 * keyword argument `has_aux=True` is spelled as a trailing options object `{ hasAux: true }`.
 * A trailing plain object whose keys are only `hasAux` (a boolean) is that options object — no
 * primal is such an object, since a pytree's leaves are Tensors or numbers.
 */
import { ValueError, npUtil } from "@kiln/core";

/** Options of the autodiff transforms whose function may return `[out, aux]`. */
export interface AuxOptions {
  /** `fn` returns `[out, aux]`: `out` is differentiated, `aux` is returned beside it, undifferentiated. */
  readonly hasAux?: boolean;
}

function isAuxOptions(v: unknown): v is AuxOptions {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === "hasAux" && typeof (v as AuxOptions).hasAux === "boolean";
}

/**
 * Splits a trailing `{ hasAux }` off variadic arguments.
 * @example splitAuxOption([x, { hasAux: true }]) // { args: [x], hasAux: true }
 */
export function splitAuxOption(args: readonly unknown[]): { args: readonly unknown[]; hasAux: boolean } {
  const last = args[args.length - 1];
  return isAuxOptions(last) ? { args: args.slice(0, -1), hasAux: last.hasAux === true } : { args, hasAux: false };
}

/**
 * Checks an explicit options object (`jvp`'s fourth argument): an object whose only key is a
 * boolean `hasAux`.
 * @example auxOptions("jvp", { hasAux: true }) // true
 */
export function auxOptions(op: npUtil.SignatureName, opts: unknown): boolean {
  if (opts === undefined) return false;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new ValueError(`${op}: options must be an object such as { hasAux: true }, got ${opts === null ? "null" : Array.isArray(opts) ? "an array" : typeof opts}`);
  }
  npUtil.checkOptionKeys(op, opts);
  const { hasAux } = opts as AuxOptions;
  if (hasAux !== undefined && typeof hasAux !== "boolean") throw new ValueError(`${op}: hasAux must be a boolean, got ${typeof hasAux}`);
  return hasAux === true;
}
