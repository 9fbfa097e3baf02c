/**
 * Bit reinterpretation between dtypes of one item size: JAX's `lax.bitcast_convert_type` and
 * NumPy's `ndarray.view(dtype)` (`Tensor.view`), over the `bitcast` primitive.
 */
import { type DType, bitcastError, checkDType } from "../dtype.js";
import { DTypeError } from "../errors.js";
import { type ArrayLike, type Tensor } from "../tensor.js";
import { apply, asTensor } from "../np/util.js";

/**
 * The same bits read as `dtype`: float32 ↔ int32 ↔ uint32 (or a dtype as itself, which returns `x`).
 * A different item size is a `DTypeError` (NumPy's resizing view of the last axis is not supported).
 * Not differentiable (zero tangent, as JAX's); works under jit and vmap. On the CPU a float32 NaN
 * has no payload: its bits read as 0x7fc00000.
 * @example
 * lax.bitcastConvertType(np.array([1, -2]), "int32");                          // [1065353216, -1073741824]
 * lax.bitcastConvertType(np.array([0x3f800000], { dtype: "uint32" }), "float32"); // [1]
 */
export function bitcastConvertType(x: ArrayLike, dtype: DType): Tensor {
  const op = "bitcastConvertType";
  checkDType(dtype, op);
  const t = asTensor(x, op);
  if (t.dtype === dtype) return t;
  const why = bitcastError(t.dtype, dtype);
  if (why) throw new DTypeError(`${op}: ${why}`);
  return apply("bitcast", [t], { dtype });
}
