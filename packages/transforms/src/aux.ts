/**
 * The one `hasAux` contract (JAX's `has_aux=True`) of every autodiff transform that has it — grad,
 * valueAndGrad, vectorGrad, jacfwd, jacrev, jacobian, hessian (through GradientTransform), jvp,
 * vjp and linearize:
 * - the flag is a boolean (or absent): `hasAuxFlag`, so `{ hasAux: "yes" }` or `{ hasAux: 1 }` is
 *   a ValueError everywhere, not truthy in one transform and a primal in another;
 * - with it, the function returns a pair `[out, aux]`: `valueAuxPair`, one check and one message;
 * - the variadic transforms (`vjp(fn, ...primals)`, `linearize(fn, ...primals)`) spell it as a
 *   trailing options object `{ hasAux: true }`: `splitAuxOption` takes a trailing plain object
 *   with a `hasAux`-like key (`hasAux`, `has_aux`, `hasaux`) and no array leaves as that object and
 *   checks it like every options object (unknown keys named), instead of silently passing a
 *   misspelt one to `fn` as one more primal. Other plain objects are pytree primals.
 */
import { Tensor, ValueError, describeValue, npUtil } from "@kiln/core";

/** Options of the autodiff transforms whose function may return `[out, aux]`. */
export interface AuxOptions {
  /** `fn` returns `[out, aux]`: `out` is differentiated, `aux` is returned beside it, undifferentiated. */
  readonly hasAux?: boolean;
}

/**
 * The `hasAux` flag, checked: absent (undefined or null) is false, a boolean is itself, anything
 * else is a ValueError naming the transform.
 * @example hasAuxFlag("grad", true) // true; hasAuxFlag("grad", "yes") throws ValueError: grad: hasAux must be a boolean …
 */
export function hasAuxFlag(op: string, v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw new ValueError(`${op}: hasAux must be a boolean, got ${v instanceof Tensor ? "a Tensor" : describeValue(v)}`);
  return v;
}

/** A short description of a returned value for the transforms' errors (an array's length, a class name). */
export function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v === null || v === undefined) return String(v);
  return typeof v === "object" ? (v.constructor?.name ?? "an object") : `a ${typeof v}`;
}

/**
 * Checks the `[value, aux]` protocol of a `hasAux` user function (and of a transform's function):
 * an array of exactly two elements, else a ValueError naming the transform and what came back.
 * @example valueAuxPair("vjp", [y, { n: 3 }]) // [y, { n: 3 }]; valueAuxPair("vjp", y) throws ValueError: vjp: with hasAux: true, the function must return a pair [value, aux] …
 */
export function valueAuxPair(op: string, out: unknown, who = "the function"): [unknown, unknown] {
  if (!Array.isArray(out) || out.length !== 2) {
    throw new ValueError(`${op}: with hasAux: true, ${who} must return a pair [value, aux]; it returned ${describe(out)}`);
  }
  return [out[0], out[1]];
}

/** A trailing plain object meant as `{ hasAux }`: a `hasAux`-like key, and no Tensor or array value (a pytree's leaves). */
function isAuxOptions(v: unknown): v is Record<string, unknown> {
  if (!npUtil.isPlainObject(v)) return false;
  const keys = Object.keys(v);
  if (!keys.some((k) => npUtil.nearestKey(k, ["hasAux"]) === "hasAux")) return false;
  return Object.values(v).every((x) => !(x instanceof Tensor) && !Array.isArray(x) && !ArrayBuffer.isView(x));
}

/**
 * Splits a trailing `{ hasAux }` off variadic arguments, checked as an options object of `op`
 * (unknown keys name the nearest valid one; the flag must be a boolean).
 * @example splitAuxOption("vjp", [x, { hasAux: true }]) // { args: [x], hasAux: true }
 */
export function splitAuxOption(op: "vjp" | "linearize", args: readonly unknown[]): { args: readonly unknown[]; hasAux: boolean } {
  const last = args[args.length - 1];
  if (!isAuxOptions(last)) return { args, hasAux: false };
  npUtil.checkOptionKeys(op, last);
  return { args: args.slice(0, -1), hasAux: hasAuxFlag(op, last.hasAux) };
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
  return hasAuxFlag(op, (opts as AuxOptions).hasAux);
}
