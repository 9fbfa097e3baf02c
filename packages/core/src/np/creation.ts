/** Array creation with NumPy names. Shapes are arrays; options come last. */
import { type DType } from "../dtype.js";
import { NotImplemented } from "./stub.js";
import { type ArrayLike, Tensor } from "../tensor.js";
import { asTensor } from "./util.js";

export interface DTypeOption {
  dtype?: DType;
}

/**
 * A Tensor from JS numbers, booleans, nested arrays or Tensors (float32 by default; booleans give bool).
 * @example np.array([[1, 2], [3, 4]]) // float32[2,2]
 */
export function array(v: ArrayLike, opts: DTypeOption = {}): Tensor {
  const dtype = opts.dtype ?? (v instanceof Tensor ? undefined : isAllBool(v) ? "bool" : "float32");
  const t = asTensor(v, "array", dtype);
  return t.weak ? new Tensor(t.node, false) : t;
}

function isAllBool(v: unknown): boolean {
  if (typeof v === "boolean") return true;
  if (Array.isArray(v)) return v.length > 0 && v.every(isAllBool);
  return false;
}

/** Like `array`, but returns a Tensor argument unchanged. */
export function asarray(v: ArrayLike, opts: DTypeOption = {}): Tensor {
  return v instanceof Tensor && (!opts.dtype || opts.dtype === v.dtype) ? v : array(v, opts);
}

export function zeros(shape: readonly number[], opts?: DTypeOption): Tensor { return NotImplemented("zeros", shape, opts); }
export function ones(shape: readonly number[], opts?: DTypeOption): Tensor { return NotImplemented("ones", shape, opts); }
export function full(shape: readonly number[], value: number | boolean, opts?: DTypeOption): Tensor { return NotImplemented("full", shape, value, opts); }
export function zerosLike(x: ArrayLike, opts?: DTypeOption): Tensor { return NotImplemented("zerosLike", x, opts); }
export function onesLike(x: ArrayLike, opts?: DTypeOption): Tensor { return NotImplemented("onesLike", x, opts); }
export function fullLike(x: ArrayLike, value: number | boolean, opts?: DTypeOption): Tensor { return NotImplemented("fullLike", x, value, opts); }
/** `arange(stop)`, `arange(start, stop, step?)`; float32 unless `dtype` says otherwise. */
export function arange(start: number, stop?: number | DTypeOption, step?: number | DTypeOption, opts?: DTypeOption): Tensor { return NotImplemented("arange", start, stop, step, opts); }
export function linspace(start: number, stop: number, num?: number, opts?: DTypeOption & { endpoint?: boolean }): Tensor { return NotImplemented("linspace", start, stop, num, opts); }
export function eye(n: number, m?: number | null, opts?: DTypeOption & { k?: number }): Tensor { return NotImplemented("eye", n, m, opts); }
export function meshgrid(...args: (ArrayLike | { indexing?: "xy" | "ij" })[]): Tensor[] { return NotImplemented("meshgrid", args); }
