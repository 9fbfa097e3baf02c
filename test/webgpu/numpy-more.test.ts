/**
 * numpy-more.ts compositions on webgpu (WGSL) give the cpu backend's values bit for bit: the index
 * helpers (scatter/cumsum), gcd's fixed Euclid steps, interp, and the float32 bit tricks of
 * ldexp/frexp/nextafter (normal range: WGSL may flush subnormals).
 */
import { np } from "kiln";
import { type ParityCase, describeCpuParity } from "./cpu-parity.js";

const i32 = (v: number[]) => np.array(v, { dtype: "int32" });
const CASES: ParityCase[] = [
  ["argwhere size", () => np.argwhere(np.array([[0, 3, 0], [4, 0, 5]]), { size: 4, fillValue: -1 }), "exact"],
  ["flatnonzero size", () => np.flatnonzero(np.array([0, 2, 0, 1]), { size: 3 }), "exact"],
  ["unravelIndex", () => np.unravelIndex(i32([5, -1, 99, 2]), [2, 3])[1]!, "exact"],
  ["gcd", () => np.gcd(i32([1836311903, 12, 0, -21]), i32([1134903170, 18, 5, 14])), "exact"],
  ["lcm", () => np.lcm(i32([4, 6, 0, -3]), i32([6, -4, 3, 7])), "exact"],
  ["interp", () => np.interp(np.array([0, 1.5, 2.25, 5]), np.array([1, 2, 3]), np.array([3, 2, 0])), "exact"],
  ["digitize", () => np.digitize(np.array([0.5, 1, 2.5, 4]), np.array([3, 2, 1])), "exact"],
  ["ldexp", () => np.ldexp(np.array([1, 3, -0.5, 3e38, 1]), i32([3, -1, 2, -200, 200])), "exact"],
  ["frexp mantissa", () => np.frexp(np.array([8, -0.75, 0, 3e38, 1]))[0], "exact"],
  ["frexp exponent", () => np.frexp(np.array([8, -0.75, 0, 3e38, 1]))[1], "exact"],
  ["nextafter", () => np.nextafter(np.array([1, 1, -1, -1, 2]), np.array([2, 0, -2, 0, 2])), "exact"],
  ["fillDiagonal", () => np.fillDiagonal(np.zeros([5, 2]), np.array([1, 2]), { wrap: true }), "exact"],
  ["putAlongAxis", () => np.putAlongAxis(np.zeros([2, 3]), i32([1, 0, 1]).reshape([1, 3]), np.array([[5, 6, 7]]), 0), "exact"],
  ["nanargmax", () => np.nanargmax(np.array([[NaN, NaN], [1, NaN]]), { axis: 1 }), "exact"],
];

describeCpuParity("np numpy-more on webgpu", CASES, 1e-6);
