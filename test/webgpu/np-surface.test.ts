/**
 * The session-28 jax.numpy names on webgpu (WGSL) give the cpu backend's values: set functions at a
 * static size (sort/scatter/gather), insert/delete/put/place/choose (gather/scatter/select),
 * bitwiseCount's uint32 bit tricks, packbits/unpackbits, histogramdd, gradient, spacing (normal
 * range: WGSL may flush subnormals) and nextafter toward ±inf.
 */
import { np } from "kiln";
import { type ParityCase, describeCpuParity } from "./cpu-parity.js";

const i32 = (v: number[]) => np.array(v, { dtype: "int32" });
const CASES: ParityCase[] = [
  ["setxor1d size", () => np.setxor1d(np.array([4, 2, 4, 7, NaN]), np.array([2, 9, 1]), { size: 6, fillValue: -1 }), "exact"],
  ["intersect1d size", () => np.intersect1d(np.array([5, 1, 5, 3]), np.array([3, 5, 8]), { size: 3, fillValue: 0 }), "exact"],
  ["uniqueCounts size", () => np.uniqueCounts(np.array([3, 1, 3, 3]), { size: 3 }).counts, "exact"],
  ["insert", () => np.insert(np.array([[1, 2], [3, 4]]), [0, 2, 2], np.array([7, 8, 9]), 1), "exact"],
  ["delete", () => np.delete(np.array([1, 2, 3, 4, 5]), [0, -2]), "exact"],
  ["place", () => np.place(np.array([1, 2, 3, 4]), np.array([true, false, true, true]), np.array([9, 8])), "exact"],
  ["put wrap", () => np.put(np.array([1, 2, 3]), i32([4, -1]), np.array([7, 8]), "wrap"), "exact"],
  ["choose clip", () => np.choose(i32([0, 5, -1]), [np.array([1, 2, 3]), np.array([10, 20, 30])], "clip"), "exact"],
  ["compress size", () => np.compress(np.array([true, false, true]), np.array([[1, 2, 3], [4, 5, 6]]), { axis: 1, size: 3 }), "exact"],
  ["bitwiseCount", () => np.bitwiseCount(i32([0, 7, -8, 255, -2147483648, 2147483647])), "exact"],
  ["packbits", () => np.packbits(i32([1, 0, 1, 1, 0, 0, 0, 0, 1]), null, "little"), "exact"],
  ["unpackbits", () => np.unpackbits(np.array([176, 3], { dtype: "uint8" }), null, 12), "exact"],
  ["histogramdd", () => np.histogramdd(np.array([[0, 0], [1, 1], [1, 0.2], [0.5, 0.7]]), 2, { weights: np.array([1, 2, 3, 4]) })[0], "exact"],
  ["gradient", () => np.gradient(np.array([1, 4, 9, 2]), np.array([0, 1, 3, 4])) as ReturnType<typeof np.array>, "close"],
  ["spacing", () => np.spacing(np.array([1, -1, 1e30, -3.5])), "exact"],
  ["nextafter to inf", () => np.nextafter(np.array([1, -1, 0.5]), np.array([Infinity, -Infinity, -Infinity])), "exact"],
  ["vecdot", () => np.vecdot(np.array([[1, 2], [3, 4]]), np.array([0.5, -1])), "exact"],
];

describeCpuParity("np session-28 names on webgpu", CASES, 1e-6);
