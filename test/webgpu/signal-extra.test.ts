/**
 * A few signal-extra compositions on webgpu (WGSL) give the cpu backend's values: the counting
 * ones (bincount, histogram, isin, int convolve) bit for bit, the float ones to float32 rounding.
 */
import { type Tensor, np } from "kiln";
import { type ParityCase, describeCpuParity } from "./cpu-parity.js";

const CASES: ParityCase[] = [
  ["convolve int", () => np.convolve(np.array([1, 2, 3, -4], { dtype: "int32" }), np.array([1, -1, 2], { dtype: "int32" })), "exact"],
  ["correlate same", () => np.correlate(np.array([1, 2.5, 3, 0.5]), np.array([0, 1, 0.5]), { mode: "same" }), "close"],
  ["isin", () => np.isin(np.array([[1, 2], [NaN, 4]]), np.array([2, 4, NaN])), "exact"],
  ["bincount", () => np.bincount(np.array([0, 3, 3, 1, 9, -2], { dtype: "int32" }), { length: 5 }), "exact"],
  ["histogram", () => np.histogram(np.array([0, 0.3, 0.9, 1, 1.2, NaN]), { bins: 4, range: [0, 1] })[0], "exact"],
  ["kaiser", () => np.kaiser(7, 8.6), "close"],
  ["blackman", () => np.blackman(6), "close"],
];

describeCpuParity("np signal-extra on webgpu", CASES, 1e-5);
