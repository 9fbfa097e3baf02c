/**
 * Shared plumbing of the distribution samplers: parameter checks, JAX's shape rule (the draw shape
 * defaults to the broadcast of the parameters' shapes), and the open-interval uniforms that the
 * inverse-CDF samplers need so `log(u)` is never `log(0)`.
 */
import type { DType } from "./dtype.js";
import { ShapeError, ValueError, describeValue } from "./errors.js";
import { Tensor, type ArrayLike } from "./tensor.js";
import { asTensor, astypeRaw, broadcastRaw, checkNesting } from "./np/util.js";
import { broadcastShapes, shapeEq } from "./shape.js";
import { checkKey, floatDType, normShape, uniform } from "./random-bits.js";

/** A distribution parameter: a number, a nested array or a Tensor (broadcast against the draw shape). */
export type DistributionParam = ArrayLike;

/** Options every `prng.*` sampler takes: the draw shape (default: the parameters' broadcast shape) and dtype. */
export interface DrawOptions {
  shape?: readonly number[];
  dtype?: DType;
}

/** The smallest normal number per float dtype (JAX's `finfo(dtype).tiny`), the low end of an open uniform. */
const TINY: Partial<Record<DType, number>> = { float16: 2 ** -14, bfloat16: 2 ** -126, float32: 2 ** -126, float64: 2 ** -1022 };

/** Every JS number inside `v` (a Tensor's values are not read: checking them would need a device sync). */
function hostNumbers(v: DistributionParam, op: string): number[] {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) {
    checkNesting(op, v);
    return (v as unknown[]).flat(Infinity).filter((x): x is number => typeof x === "number");
  }
  return [];
}

/** Rejects host values of a parameter that break `ok` (Tensor values are unchecked, as in JAX). */
export function checkParam(op: string, name: string, v: DistributionParam | undefined, ok: (x: number) => boolean, want: string): void {
  if (v === undefined) return;
  for (const x of hostNumbers(v, op)) if (!ok(x)) throw new ValueError(`${op}: ${name} must be ${want}, got ${describeValue(x)}`);
}

export const positive = (x: number): boolean => x > 0;
export const nonNegative = (x: number): boolean => x >= 0;
export const probability = (x: number): boolean => x >= 0 && x <= 1;
export const isInteger = (x: number): boolean => Number.isInteger(x);

/**
 * Resolves a sampler's key, draw shape and dtype, and its parameters cast to that dtype and broadcast
 * to the draw shape. A given shape must contain the parameters' broadcast shape (JAX's rule).
 */
export function prepareDraw(op: string, key: Tensor, opts: DrawOptions, params: readonly DistributionParam[], dtype?: DType): { shape: number[]; dtype: DType; ps: Tensor[] } {
  checkKey(key, op);
  const d = dtype ?? floatDType(opts.dtype, op);
  const ts = params.map((p) => asTensor(p, op));
  const pshape = broadcastShapes(op, ...ts.map((t) => t.shape));
  const shape = opts.shape === undefined ? pshape : normShape(opts.shape, op);
  if (!shapeEq(broadcastShapes(op, shape, pshape), shape)) {
    throw new ShapeError(`${op}: shape [${shape}] is not compatible with the parameters' broadcast shape [${pshape}]`);
  }
  return { shape, dtype: d, ps: ts.map((t) => broadcastRaw(astypeRaw(t, d), shape)) };
}

/** Uniform in (0, 1): JAX's `uniform(minval=finfo.tiny)`, so logarithms stay finite. */
export function openUnit(key: Tensor, shape: readonly number[], dtype: DType): Tensor {
  return uniform(key, shape, { dtype, minval: TINY[dtype] ?? 0, maxval: 1 });
}

