/**
 * lax.dynamicSlice / dynamicUpdateSlice on webgpu: traced starts become gathers and a select in
 * device kernels; the values equal the cpu backend's bit for bit (pure data movement).
 */
import { type Tensor, jit, lax, np } from "kiln";
import { describeCpuParity } from "./cpu-parity.js";

const i32 = (v: number) => np.array(v, { dtype: "int32" });
const x = () => np.arange(60, { dtype: "float32" }).reshape([3, 4, 5]).mul(0.5);
const window = jit((t: Tensor, a: Tensor, b: Tensor) => lax.dynamicSlice(t, [0, a, b], [2, 2, 3]));

describeCpuParity("webgpu: lax.dynamicSlice / dynamicUpdateSlice", [
  ["dynamicSlice traced (clamped)", () => lax.dynamicSlice(x(), [i32(1), i32(-1), i32(4)], [2, 3, 2]), "exact"],
  ["dynamicSlice under jit", () => window(x(), i32(3), i32(1)) as Tensor, "exact"],
  ["dynamicUpdateSlice traced", () => lax.dynamicUpdateSlice(x(), np.full([1, 2, 2], -1), [i32(2), i32(1), i32(7)]), "exact"],
  ["dynamicUpdateSlice static", () => lax.dynamicUpdateSlice(x(), np.full([3, 1, 5], 9), [0, 2, 0]), "exact"],
  ["dynamicUpdateSlice int32", () => lax.dynamicUpdateSliceInDim(np.arange(10, { dtype: "int32" }), np.full([3], 77, { dtype: "int32" }), i32(-2)), "exact"],
], 0);
