/**
 * A few math-extra compositions on webgpu (WGSL) give the cpu backend's values: the exact ones
 * (cumprod of small integers, shifts, fmod, nanToNum, comparisons) bit for bit, the transcendental
 * ones (logaddexp, sinc) to float32 rounding.
 */
import { type Tensor, np } from "kiln";
import { type ParityCase, describeCpuParity } from "./cpu-parity.js";

const inf = Infinity;
const CASES: ParityCase[] = [
  ["cumprod", () => np.cumprod(np.array([[1, -2, 0, 3, 2], [-1, -1, 2, 2, -3]]), { axis: 1 }), "exact"],
  ["rightShift", () => np.rightShift(np.array([-16, 16, -1, 7], { dtype: "int32" }), np.array([2, 3, 40, -1], { dtype: "int32" })), "exact"],
  ["leftShift", () => np.leftShift(np.array([1, 3, 5, 1], { dtype: "int32" }), np.array([31, 30, 1, 32], { dtype: "int32" })), "exact"],
  ["bitwiseAnd", () => np.bitwiseAnd(np.array([13, 14, 3, -1], { dtype: "int32" }), 17), "exact"],
  ["fmod", () => np.fmod(np.array([-3, 3, -4, 5.5, 1]), np.array([2, -2, 2, 2, inf])), "exact"],
  ["nanToNum", () => np.nanToNum(np.array([NaN, inf, -inf, 1.5])), "exact"],
  ["isclose", () => np.isclose(np.array([1, inf, NaN, 1e-9]), np.array([1.000001, inf, NaN, 0])), "exact"],
  ["nanmax", () => np.nanmax(np.array([[NaN, 2], [NaN, NaN]]), { axis: 1 }), "exact"],
  ["logaddexp", () => np.logaddexp(np.array([1000, 0, -inf, 2]), np.array([1000, 0, -inf, -3])), "close"],
  ["sinc", () => np.sinc(np.array([0, 0.5, 1.5, -2.25])), "close"],
];

describeCpuParity("np math-extra on webgpu", CASES, 1e-6);
