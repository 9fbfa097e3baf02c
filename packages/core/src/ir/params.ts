/**
 * Parameter types of the primitive table: one validator per kind of parameter (a number, an
 * integer, an axis list, a dtype, ...), combined per primitive into a schema typed by `PrimParams`.
 *
 * Params are a trust boundary: `makeNode` and `constNode` are exported, and backends write param
 * values into kernel source that runs through `new Function` (JS) or the WGSL compiler. So every
 * param is validated when its node is built, and the node keeps a fresh copy made of the
 * validated values only — a getter, a Proxy or a caller mutating its array afterwards cannot
 * change what reaches a renderer.
 */
import { DataBuffer } from "../buffer.js";
import { type DType, DTYPES } from "../dtype.js";
import { ValueError, describeValue } from "../errors.js";
import { type ControlCall, isControlCall } from "./control.js";

/** One kind of parameter: what it is (for messages) and its validated copy, or `INVALID`. */
export interface ParamType<T> {
  readonly what: string;
  readonly parse: (v: unknown) => T | typeof INVALID;
}

export const INVALID: unique symbol = Symbol("invalid param");

const NO_PARAMS = Object.freeze({});

/** A validator per key of a primitive's params (STYLE.md §2: typed by `PrimParams[P]`). */
export type ParamSchema<T> = { readonly [K in keyof T]-?: ParamType<T[K]> };

const isSafeInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** Any JS number, NaN and ±Infinity included (a literal may be any float). */
export const num: ParamType<number> = { what: "a number", parse: (v) => (typeof v === "number" ? v : INVALID) };
export const int: ParamType<number> = { what: "a safe integer", parse: (v) => (isSafeInt(v) ? v : INVALID) };
export const bool: ParamType<boolean> = { what: "a boolean", parse: (v) => (typeof v === "boolean" ? v : INVALID) };
export const dtype: ParamType<DType> = {
  what: `a dtype (${DTYPES.join(", ")})`,
  parse: (v) => ((DTYPES as readonly unknown[]).includes(v) ? (v as DType) : INVALID),
};
export const label: ParamType<string> = { what: "a string", parse: (v) => (typeof v === "string" ? v : INVALID) };

function listOf(what: string, ok: (v: unknown) => boolean): ParamType<readonly number[]> {
  return {
    what,
    parse: (v) => {
      if (!Array.isArray(v)) return INVALID;
      // Copy first, validate the copy: a Proxy or getter cannot answer differently later.
      const copy = Array.from(v as unknown[]);
      return copy.every(ok) ? (copy as number[]) : INVALID;
    },
  };
}

/** Axes, permutations, slice bounds: integers (ranges are checked by the shape rules). */
export const ints = listOf("an array of safe integers", isSafeInt);
/** A shape: non-negative integers (the element count is checked on the node's aval). */
export const dims = listOf("an array of non-negative safe integers", (d) => isSafeInt(d) && d >= 0);

/** A realized buffer: a DataBuffer (a look-alike's `host` could be anything but a typed array). */
export const dataRef: ParamType<{ readonly id: number }> = {
  what: "a DataBuffer",
  parse: (v) => (v instanceof DataBuffer ? v : INVALID),
};

/** A control-flow call built by `makeControlCall` for this primitive (not a look-alike object). */
export function call<C extends ControlCall>(kind: C["kind"]): ParamType<C> {
  return { what: `a ${kind} call from makeControlCall`, parse: (v) => (isControlCall(v) && v.kind === kind ? (v as C) : INVALID) };
}

/**
 * The validated copy of `params` against `schema`: a plain object with exactly the schema's keys,
 * each a data property holding a valid value. Throws a ValueError naming the primitive and param.
 * @example parseParams("iota", { axis: int }, { axis: 0 }) // { axis: 0 }
 */
export function parseParams<T>(prim: string, schema: ParamSchema<T>, params: unknown): T {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new ValueError(`${prim}: params must be a plain object, got ${describeValue(params)}`);
  }
  const proto = Object.getPrototypeOf(params) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new ValueError(`${prim}: params must be a plain object, got ${describeValue(params)}`);
  const given = Reflect.ownKeys(params);
  for (const k of given) {
    if (typeof k !== "string" || !Object.hasOwn(schema, k)) throw new ValueError(`${prim}: unknown param ${String(k)}`);
  }
  const keys = Object.keys(schema);
  // Most primitives (unary, binary, select, matmul...) have no params: share one frozen object.
  if (keys.length === 0) return NO_PARAMS as T;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const type = (schema as Record<string, ParamType<unknown>>)[k]!;
    const desc = Object.getOwnPropertyDescriptor(params, k);
    if (!desc || !("value" in desc)) throw new ValueError(`${prim}: param ${k} is missing (expected ${type.what})`);
    const v = type.parse(desc.value);
    if (v === INVALID) throw new ValueError(`${prim}: param ${k} must be ${type.what}, got ${describeValue(desc.value)}`);
    out[k] = v;
  }
  return out as T;
}
